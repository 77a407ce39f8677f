"""test/fixtures/tts-mel.json: the log-mel (training/tts/mel.py) of a synthetic 0.3 s
signal, for the test that the TypeScript features (src/audio/mel.ts) are the same maths.

  python3 training/tts/make_mel_fixture.py     (numpy only)

Signal (test/ttsAudio.test.ts builds the same one): for i < 6615 at 22050 Hz,
x[i] = 0.5 sin(2π·440·i/sr) + 0.25 sin(2π·3000·i/sr + 0.3) + 0.1 sin(2π·(200 + 2000·i/N)·i/sr).
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mel import SR, log_mel  # noqa: E402

N = 6615
i = np.arange(N)
x = (0.5 * np.sin(2 * np.pi * 440 * i / SR) + 0.25 * np.sin(2 * np.pi * 3000 * i / SR + 0.3)
     + 0.1 * np.sin(2 * np.pi * (200 + 2000 * i / N) * i / SR))
m = log_mel(x)
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(root, 'test', 'fixtures', 'tts-mel.json'), 'w') as f:
    json.dump({'samples': N, 'shape': list(m.shape), 'logMel': [round(float(v), 6) for v in m.flatten()]}, f)
    f.write('\n')
print(m.shape)
