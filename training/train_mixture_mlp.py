"""Train a small class-conditional eps-MLP on the TRUE mixture of a benchmark problem.

    /usr/bin/python3 training/train_mixture_mlp.py --problem bench/problems/2d-overlapping.json

* data: fresh samples of the problem's mixture every step (class, x); label
  dropout 15 % -> the null label `num_classes` (unconditional).
* schedule: Stable Diffusion 1.5 (scaled_linear 0.00085..0.012, 1000 steps),
  t ~ U{0..999}, eps-prediction MSE.
* optimiser: Adam, lr 1e-3 with 200 warm-up steps then cosine decay to 0,
  batch 1024; EMA 0.999 of the weights (exported).
* evaluation: RMS error of the network against the exact E[eps | x_t] of the
  mixture (conditional on each class and unconditional) at several t, on
  samples of x_t; saved in training/out/mixture/<name>/metrics.json.
"""

import common  # noqa: F401

import argparse
import copy
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from mixture import Mixture
from nets import MixtureEpsMLP, scaled_linear_alphas_cumprod


@torch.no_grad()
def evaluate(model, mix: Mixture, abar: torch.Tensor, n: int = 4000, seed: int = 99) -> dict:
    """RMS ||eps_net - eps_exact|| (per dimension) at selected t, per label."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for t in [0, 50, 200, 400, 600, 800, 999]:
        a = float(abar[t])
        row = {}
        for label in list(range(mix.num_classes)) + [None]:
            x0, y = mix.sample(n, g)
            if label is not None:  # condition on the class: keep only its samples
                x0 = x0[y == label]
            eps = torch.randn(x0.shape, generator=g)
            xt = math.sqrt(a) * x0 + math.sqrt(1 - a) * eps
            lab = torch.full((len(xt),), mix.num_classes if label is None else label, dtype=torch.long)
            pred = model(xt, torch.full((len(xt),), float(t)), lab).numpy()
            exact = mix.exact_eps(xt.numpy().astype(np.float64), a, label)
            rms = float(np.sqrt(((pred - exact) ** 2).mean()))
            # the irreducible error of any eps-predictor, for scale
            irreducible = float(np.sqrt(((eps.numpy() - exact) ** 2).mean()))
            row['uncond' if label is None else f'class{label}'] = {'rms_vs_exact': rms, 'rms_exact_vs_true_eps': irreducible}
        out[str(t)] = row
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--problem', default=os.path.join(common.REPO_ROOT, 'bench', 'problems', '2d-overlapping.json'))
    ap.add_argument('--steps', type=int, default=4000)
    ap.add_argument('--batch', type=int, default=1024)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--hidden', type=int, default=256)
    ap.add_argument('--p-uncond', type=float, default=0.15)
    ap.add_argument('--seed', type=int, default=777)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    t0 = common.setup(args.seed, args.threads)

    mix = Mixture(args.problem)
    name = mix.spec['name']
    out_dir = os.path.join(common.OUT_DIR, 'mixture', name)
    os.makedirs(out_dir, exist_ok=True)
    abar = scaled_linear_alphas_cumprod().float()

    model = MixtureEpsMLP(mix.dim, mix.num_classes, hidden=args.hidden)
    ema = copy.deepcopy(model)
    for p in ema.parameters():
        p.requires_grad_(False)
    common.log(f'{name}: dim {mix.dim}, classes {mix.num_classes}, params {sum(p.numel() for p in model.parameters())}')
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    g = torch.Generator().manual_seed(args.seed)
    losses, win = [], []
    for step in range(args.steps):
        x0, y = mix.sample(args.batch, g)
        drop = torch.rand(args.batch, generator=g) < args.p_uncond
        y = torch.where(drop, torch.full_like(y, mix.num_classes), y)
        t = torch.randint(0, 1000, (args.batch,), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        a = abar[t].unsqueeze(1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        warm = min(1.0, (step + 1) / 200)
        for grp in opt.param_groups:
            grp['lr'] = args.lr * warm * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        loss = F.mse_loss(model(xt, t.float(), y), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            d = min(0.999, (1 + step) / (10 + step))
            for pe, p in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(p, alpha=1 - d)
        win.append(loss.item())
        if (step + 1) % 250 == 0:
            losses.append([step + 1, float(np.mean(win))])
            common.log(f'step {step + 1}/{args.steps} loss {np.mean(win):.4f}')
            win = []
    torch.save({'state': ema.state_dict(), 'dim': mix.dim, 'num_classes': mix.num_classes,
                'hidden': args.hidden, 'problem': mix.spec}, os.path.join(out_dir, 'ema.pt'))
    metrics = {'losses': losses, 'eval_ema': evaluate(ema.eval(), mix, abar), 'args': vars(args),
               'problem': mix.spec}
    with open(os.path.join(out_dir, 'metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=1)
    for t, row in metrics['eval_ema'].items():
        common.log(f't={t}: ' + ', '.join(f"{k} {v['rms_vs_exact']:.4f} (irreducible {v['rms_exact_vs_true_eps']:.3f})" for k, v in row.items()))
    common.report_wall_time(t0, 'train_mixture_mlp')


if __name__ == '__main__':
    main()
