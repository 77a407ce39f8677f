"""Train the embedded 4x super-resolution model (TinySrUNet, x4-upscaler style).

    /usr/bin/python3 training/train_sr.py --steps 3000

* data: MNIST TRAIN split (training/mnist_data.py), images scaled to [-1, 1];
  low-res image = 4x4 box mean (28x28 -> 7x7).
* condition (as the Stable Diffusion x4 upscaler): noise augmentation of the
  low-res image with the low-res scheduler (DDPM, scaled_linear 1e-4 -> 0.02) at
  a noise level ~ U{0..350}, given to the UNet as `class_labels`; the noisy
  low-res image is bicubic-upsampled to 28x28 and concatenated to x_t.
  Condition dropout 15 %: the condition image is replaced by zeros.
* diffusion: scaled_linear 1e-4 -> 0.02 (the x4 upscaler's), 1000 steps,
  t ~ U{0..999}, v-prediction MSE loss.
* optimiser: AdamW (lr 2e-3 after 100 warm-up steps, constant; wd 0.01), grad-norm
  clip 1.0, EMA of the weights with decay min(0.999, (1+n)/(10+n)).
* determinism: the randomness of step n comes from generators seeded with
  (seed, n); `--resume` continues a stopped run with the same result.
* output: training/out/sr/ema_step{N}.pt, state.pt, losses.json.
"""

import common  # noqa: F401  (sets OMP_WAIT_POLICY before torch is imported)

import argparse
import copy
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import mnist_data as md
from nets import TinySrUNet, bicubic_upsample, box_downsample, scaled_linear_alphas_cumprod

MAX_NOISE_LEVEL = 350


def condition(lowres: torch.Tensor, level: torch.Tensor, noise: torch.Tensor, abar_low: torch.Tensor):
    """Noise the low-res image at `level` (DDPM add_noise) and upsample it to 28x28."""
    a = abar_low[level].view(-1, 1, 1, 1)
    return bicubic_upsample(a.sqrt() * lowres + (1 - a).sqrt() * noise)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=3000)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--warmup', type=int, default=100)
    ap.add_argument('--p-uncond', type=float, default=0.15)
    ap.add_argument('--seed', type=int, default=4321)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--ckpt-every', type=int, default=250)
    ap.add_argument('--out', default=os.path.join(common.OUT_DIR, 'sr'))
    ap.add_argument('--resume', action='store_true')
    args = ap.parse_args()
    t0 = common.setup(args.seed, args.threads)
    os.makedirs(args.out, exist_ok=True)

    train, _, _ = md.load_datasets()
    x_all = torch.from_numpy(train.images).reshape(-1, 1, 28, 28) * 2 - 1  # [-1, 1]
    low_all = box_downsample(x_all)
    n = x_all.shape[0]
    steps_per_epoch = n // args.batch

    abar = scaled_linear_alphas_cumprod(1000, 0.0001, 0.02).float()
    sqrt_ab, sqrt_1mab = abar.sqrt(), (1 - abar).sqrt()

    unet = TinySrUNet()
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.01)
    ema = copy.deepcopy(unet)
    for p in ema.parameters():
        p.requires_grad_(False)
    common.log(f'params: unet {sum(p.numel() for p in unet.parameters())}; train images {n}')

    start, losses = 0, []
    state_path = os.path.join(args.out, 'state.pt')
    if args.resume and os.path.exists(state_path):
        st = torch.load(state_path)
        unet.load_state_dict(st['unet'])
        ema.load_state_dict(st['ema'])
        opt.load_state_dict(st['opt'])
        start, losses = st['step'], st['losses']
        common.log(f'resumed at step {start}')

    def batch_indices(step):
        epoch, k = divmod(step, steps_per_epoch)
        perm = np.random.default_rng([args.seed, 1_000_000 + epoch]).permutation(n)
        return perm[k * args.batch : (k + 1) * args.batch]

    win, t_last = [], time.time()
    for step in range(start, args.steps):
        g = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
        idx = torch.from_numpy(batch_indices(step))
        x0, low = x_all[idx], low_all[idx]
        b = len(idx)
        t = torch.randint(0, 1000, (b,), generator=g)
        level = torch.randint(0, MAX_NOISE_LEVEL + 1, (b,), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        low_noise = torch.randn(low.shape, generator=g)
        keep = (torch.rand(b, generator=g) >= args.p_uncond).float().view(-1, 1, 1, 1)
        cond = condition(low, level, low_noise, abar) * keep
        a, s = sqrt_ab[t].view(-1, 1, 1, 1), sqrt_1mab[t].view(-1, 1, 1, 1)
        xt = a * x0 + s * eps
        v = a * eps - s * x0

        for grp in opt.param_groups:
            grp['lr'] = args.lr * min(1.0, (step + 1) / args.warmup)
        loss = F.mse_loss(unet(torch.cat([xt, cond], 1), t.float(), level), v)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            decay = min(0.999, (1 + step) / (10 + step))
            for pe, p in zip(ema.parameters(), unet.parameters()):
                pe.mul_(decay).add_(p.detach(), alpha=1 - decay)

        win.append(loss.item())
        if (step + 1) % 25 == 0:
            losses.append([step + 1, float(np.mean(win))])
            common.log(
                f'step {step + 1}/{args.steps} loss {np.mean(win):.4f} '
                f'({(time.time() - t_last) / len(win):.2f} s/step, {(time.time() - t0) / 60:.1f} min)'
            )
            win, t_last = [], time.time()
        if (step + 1) % args.ckpt_every == 0 or step + 1 == args.steps:
            torch.save({'unet': ema.state_dict(), 'step': step + 1},
                       os.path.join(args.out, f'ema_step{step + 1}.pt'))
            torch.save({'unet': unet.state_dict(), 'ema': ema.state_dict(), 'opt': opt.state_dict(),
                        'step': step + 1, 'losses': losses}, state_path)
            with open(os.path.join(args.out, 'losses.json'), 'w') as f:
                json.dump(losses, f)
    common.report_wall_time(t0, 'train_sr')


if __name__ == '__main__':
    main()
