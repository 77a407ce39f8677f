"""Adherence of the text-to-image model, scored by the evaluation classifier.

    /usr/bin/python3 training/eval_t2i.py --ckpt training/out/t2i/ema_step<N>.pt [--w 1 3 5]

Prompts: "a <digit word>" for every digit, and "a <attr> <digit>" for each of
the six attribute words and digits 0-9 (numerals), `--seeds` samples each,
DDIM 50 steps ("trailing") with classifier-free guidance w.  Reports digit
accuracy over all samples and, for the attribute prompts, the fraction whose
predicted bucket equals the requested one (chance = 1/3 on real data).  A
Python-side reference for the TypeScript benchmark (which measures the same
thing with models/mnist-eval/classifier.onnx).
"""

import common  # noqa: F401

import argparse
import json
import os

import numpy as np
import torch

import mnist_data as md
from nets import DigitClassifier
from sample_t2i import TorchModel, sample

ATTR_PROMPTS = [('thin', 0, 0), ('thick', 0, 2), ('backslanted', 1, 0), ('slanted', 1, 2),
                ('small', 2, 0), ('large', 2, 2)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ckpt', required=True)
    ap.add_argument('--classifier', default=os.path.join(common.OUT_DIR, 'classifier', 'final.pt'))
    ap.add_argument('--w', type=float, nargs='*', default=[3.0])
    ap.add_argument('--seeds', type=int, default=4)
    ap.add_argument('--steps', type=int, default=50)
    args = ap.parse_args()
    t0 = common.setup(0)
    model = TorchModel(args.ckpt)
    clf = DigitClassifier()
    clf.load_state_dict(torch.load(args.classifier))
    clf.eval()

    prompts, want = [], []  # want: (digit, attr index or -1, bucket)
    for d in range(10):
        prompts.append(f'{"an" if d == 8 else "a"} {md.DIGIT_WORDS[d]}')
        want.append((d, -1, -1))
    for word, j, b in ATTR_PROMPTS:
        for d in range(10):
            prompts.append(f'a {word} {d}')
            want.append((d, j, b))
    results = {}
    for w in args.w:
        img = sample(model, prompts, list(range(args.seeds)), args.steps, w)  # [P, S, 28, 28]
        with torch.no_grad():
            out = clf(torch.from_numpy(img.reshape(-1, 1, 28, 28).astype(np.float32)))
        pred = [o.argmax(1).numpy().reshape(len(prompts), args.seeds) for o in out[:4]]
        dig = np.mean([(pred[0][i] == want[i][0]).mean() for i in range(len(prompts))])
        attr = {}
        for word, j, b in ATTR_PROMPTS:
            rows = [i for i, wt in enumerate(want) if wt[1] == j and wt[2] == b]
            attr[word] = float(np.mean([(pred[j + 1][i] == b).mean() for i in rows]))
        results[str(w)] = {'digit': float(dig), **attr}
        common.log(f'w={w}: digit {dig:.3f} ' + ' '.join(f'{k} {v:.2f}' for k, v in attr.items()))
    with open(os.path.join(os.path.dirname(args.ckpt), 'adherence.json'), 'w') as f:
        json.dump({'ckpt': os.path.basename(args.ckpt), 'seeds': args.seeds, 'results': results}, f, indent=1)
    common.report_wall_time(t0, 'eval_t2i')


if __name__ == '__main__':
    main()
