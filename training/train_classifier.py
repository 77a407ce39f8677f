"""Train the evaluation classifier (digit + thickness/slant/size buckets).

    /usr/bin/python3 training/train_classifier.py

* data: MNIST TRAIN split only; input = image in [0, 1] (NOT [-1, 1]).
* augmentation: random integer translation by up to 2 px in x and y (zero
  fill).  Translation leaves all three attributes unchanged (they are
  translation invariant), unlike rotation/scaling, which would change slant/size.
* loss: sum of the four cross-entropies; Adam, lr 2e-3 cosine-decayed to 0 over
  --epochs epochs, batch 128, weight decay 1e-4.
* output: training/out/classifier/final.pt (+ held-out metrics in metrics.json).
  The held-out split is only evaluated, never used for choices.
"""

import common  # noqa: F401

import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

import mnist_data as md
from nets import DigitClassifier

HEADS = ['digit', 'thickness', 'slant', 'size']


def shift_batch(x: torch.Tensor, rng: np.random.Generator, max_shift: int = 2) -> torch.Tensor:
    """Translate each image by (dy, dx) in [-max_shift, max_shift]^2 with zero fill."""
    b = x.shape[0]
    pad = F.pad(x, (max_shift,) * 4)
    d = rng.integers(0, 2 * max_shift + 1, size=(b, 2))
    return torch.stack([pad[i, :, d[i, 0] : d[i, 0] + 28, d[i, 1] : d[i, 1] + 28] for i in range(b)])


@torch.no_grad()
def evaluate(model, ds: md.Dataset) -> dict:
    model.eval()
    x = torch.from_numpy(ds.images).reshape(-1, 1, 28, 28)
    outs = [model(x[i : i + 500]) for i in range(0, len(x), 500)]
    logits = [torch.cat([o[k] for o in outs]) for k in range(4)]
    targets = [ds.digits] + [ds.buckets[:, j] for j in range(3)]
    acc = {h: float((l.argmax(1).numpy() == t).mean()) for h, l, t in zip(HEADS, logits, targets)}
    # attribute accuracy counting an adjacent bucket as half right is not reported;
    # 'within_one' = fraction not confusing the two extreme buckets.
    for j, h in enumerate(HEADS[1:]):
        p = logits[j + 1].argmax(1).numpy()
        acc[h + '_no_extreme_swap'] = float((np.abs(p - targets[j + 1]) < 2).mean())
    model.train()
    return acc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--epochs', type=int, default=20)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=4321)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--out', default=os.path.join(common.OUT_DIR, 'classifier'))
    args = ap.parse_args()
    t0 = common.setup(args.seed, args.threads)
    os.makedirs(args.out, exist_ok=True)

    train, held, thr = md.load_datasets()
    x_all = torch.from_numpy(train.images).reshape(-1, 1, 28, 28)
    y_all = torch.from_numpy(np.concatenate([train.digits[:, None], train.buckets], axis=1))
    n = len(x_all)
    spe = math.ceil(n / args.batch)
    total = spe * args.epochs

    model = DigitClassifier()
    common.log('classifier params', sum(p.numel() for p in model.parameters()))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    step = 0
    history = []
    for epoch in range(args.epochs):
        rng = np.random.default_rng([args.seed, epoch])
        perm = rng.permutation(n)
        tot = 0.0
        for k in range(spe):
            idx = perm[k * args.batch : (k + 1) * args.batch]
            x = shift_batch(x_all[idx], rng)
            y = y_all[idx]
            for grp in opt.param_groups:
                grp['lr'] = args.lr * 0.5 * (1 + math.cos(math.pi * step / total))
            out = model(x)
            loss = sum(F.cross_entropy(out[j], y[:, j]) for j in range(4))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += loss.item()
            step += 1
        acc = evaluate(model, held)
        history.append({'epoch': epoch + 1, 'train_loss': tot / spe, 'heldout': acc})
        common.log(f'epoch {epoch + 1} loss {tot / spe:.4f} held-out ' +
                   ' '.join(f'{h} {acc[h]:.3f}' for h in HEADS))
    torch.save(model.state_dict(), os.path.join(args.out, 'final.pt'))
    final = {'heldout': evaluate(model, held), 'train': evaluate(model, train), 'history': history,
             'thresholds': thr, 'epochs': args.epochs, 'seed': args.seed}
    with open(os.path.join(args.out, 'metrics.json'), 'w') as f:
        json.dump(final, f, indent=1)
    common.log('final held-out', json.dumps(final['heldout']))
    common.log('final train   ', json.dumps(final['train']))
    common.report_wall_time(t0, 'train_classifier')


if __name__ == '__main__':
    main()
