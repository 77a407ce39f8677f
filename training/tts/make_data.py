"""Make the TTS data set: sentences → espeak-ng audio + phoneme timings → log-mels.

  /usr/bin/python3 training/tts/make_data.py [--n 3000]

Builds training/tts/espeak_align.c (gcc, libespeak-ng-dev), renders every
sentence with it, and reads the phoneme sequence the run-time front end will
see (`espeak-ng -v en-us -q -x --sep=" "`, stress marks kept). A sentence is
kept only if that sequence matches espeak-ng's synthesis events one to one
(names with stress marks stripped; each clause ends in the events' pause "_:"
and end marker "_"), so training and run time read the same tokens.
Durations: phoneme i spans frames round(s_i/256) .. round(s_{i+1}/256) with
s_0 = 0 and the last end = T, so they sum to T exactly.
Writes training/out/tts/data.pkl (+ sentences, rejects) and the WAVs of the
held-out split.
"""

import argparse
import json
import os
import pickle
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mel import HOP, SR, log_mel  # noqa: E402
from sentences import sentences  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), 'out', 'tts')
STRESS = "',%="
HELD_OUT = 120  # the last sentences of the list


def frontend_tokens(text):
    """The run-time front end's tokens (src/tts/frontend.ts does the same)."""
    out = subprocess.run(['espeak-ng', '-v', 'en-us', '-q', '-x', '--sep= ', text],
                         capture_output=True, text=True, check=True).stdout
    toks = []
    for line in out.splitlines():
        words = line.split()
        if words:
            toks += words + ['_:', '_']
    return toks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=3000)
    ap.add_argument('--seed', type=int, default=6)
    args = ap.parse_args()
    t0 = time.time()
    os.makedirs(os.path.join(OUT, 'raw'), exist_ok=True)
    helper = os.path.join(OUT, 'espeak_align')
    subprocess.run(['gcc', '-O2', '-Wall', '-o', helper, os.path.join(HERE, 'espeak_align.c'),
                    '-lespeak-ng'], check=True)
    sents = sentences(args.n, args.seed)
    with open(os.path.join(OUT, 'sentences.txt'), 'w') as f:
        f.write('\n'.join(sents) + '\n')
    res = subprocess.run([helper, os.path.join(OUT, 'raw')], stdin=open(os.path.join(OUT, 'sentences.txt')),
                         capture_output=True, text=True, check=True)
    events = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(events) == len(sents)
    items, rejects = [], []
    for i, (s, ev) in enumerate(zip(sents, events)):
        toks = frontend_tokens(s)
        names = [p[0] for p in ev['phonemes']]
        if [t.lstrip(STRESS) for t in toks] != names:
            rejects.append({'i': i, 'text': s, 'frontend': toks, 'events': names})
            continue
        audio = np.fromfile(os.path.join(OUT, 'raw', f'{i}.raw'), dtype='<i2').astype(np.float64) / 32768
        mel = log_mel(audio).astype(np.float32)
        t = mel.shape[1]
        starts = [0] + [min(t, round(p[1] / HOP)) for p in ev['phonemes'][1:]]
        ends = starts[1:] + [t]
        dur = np.array([max(0, e - b) for b, e in zip(starts, ends)], dtype=np.int64)
        assert dur.sum() == t
        items.append({'i': i, 'text': s, 'tokens': toks, 'dur': dur, 'mel': mel})
    vocab = ['<pad>'] + sorted({t for it in items for t in it['tokens']})
    index = {t: k for k, t in enumerate(vocab)}
    n_held = HELD_OUT
    split = np.array([0] * (len(items) - n_held) + [1] * n_held)
    with open(os.path.join(OUT, 'data.pkl'), 'wb') as f:
        pickle.dump({'ids': [np.array([index[t] for t in it['tokens']]) for it in items],
                     'dur': [it['dur'] for it in items], 'mel': [it['mel'] for it in items],
                     'src': [it['i'] for it in items], 'split': split}, f)
    json.dump({'vocab': vocab, 'texts': [it['text'] for it in items]},
              open(os.path.join(OUT, 'meta.json'), 'w'))
    json.dump(rejects, open(os.path.join(OUT, 'rejects.json'), 'w'), indent=1)
    frames = sum(it['mel'].shape[1] for it in items)
    print(f'sentences {len(sents)}, kept {len(items)}, rejected {len(rejects)}; '
          f'train {len(items) - n_held}, held out {n_held}; vocab {len(vocab)}; '
          f'{frames} frames = {frames * HOP / SR / 60:.1f} min of audio; {time.time() - t0:.0f} s')


if __name__ == '__main__':
    main()
