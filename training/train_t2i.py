"""Train the embedded text-to-image model (TinyTextEncoder + TinyCrossAttnUNet).

    /usr/bin/python3 training/train_t2i.py --steps 3000

* data: MNIST TRAIN split (training/mnist_data.py), images scaled to [-1, 1];
  a fresh random caption per image per step; caption dropout 15 % -> "";
  5 % of the other captions get one out-of-vocabulary word (-> <unk>) inserted
  at a random position, so that unknown words in a prompt are harmless.
* diffusion: cosine alpha-bar (diffusers squaredcos_cap_v2), 1000 steps,
  t ~ U{0..999}, epsilon-prediction MSE loss.
* optimiser: AdamW (lr 2e-3 after 100 warm-up steps, constant; wd 0.01),
  grad-norm clip 1.0, EMA of the weights with decay min(0.999, (1+n)/(10+n)).
* determinism: all randomness of step n is drawn from generators seeded with
  (seed, n), so a run stopped and resumed (`--resume`) gives the same weights as
  an uninterrupted one, and `--steps N` reproduces the checkpoint of step N.
* output: training/out/t2i/ema_step{N}.pt every --ckpt-every steps and at the
  end (EMA weights of both networks), state.pt (resume), losses.json.
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
from nets import TinyCrossAttnUNet, TinyTextEncoder, cosine_alphas_cumprod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=3000)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--warmup', type=int, default=100)
    ap.add_argument('--p-uncond', type=float, default=0.15)
    ap.add_argument('--p-unk', type=float, default=0.05)
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--ckpt-every', type=int, default=250)
    ap.add_argument('--out', default=os.path.join(common.OUT_DIR, 't2i'))
    ap.add_argument('--resume', action='store_true')
    args = ap.parse_args()
    t0 = common.setup(args.seed, args.threads)
    os.makedirs(args.out, exist_ok=True)

    train, _, _ = md.load_datasets()
    x_all = torch.from_numpy(train.images).reshape(-1, 1, 28, 28) * 2 - 1  # [-1, 1]
    n = x_all.shape[0]
    steps_per_epoch = n // args.batch  # the last partial batch of an epoch is dropped
    tok = md.Tokenizer()

    abar = cosine_alphas_cumprod().float()
    sqrt_ab, sqrt_1mab = abar.sqrt(), (1 - abar).sqrt()

    te = TinyTextEncoder(len(md.VOCAB))
    unet = TinyCrossAttnUNet().to(memory_format=torch.channels_last)
    params = list(te.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    ema_te, ema_unet = copy.deepcopy(te), copy.deepcopy(unet)
    ema_params = list(ema_te.parameters()) + list(ema_unet.parameters())
    for p in ema_params:
        p.requires_grad_(False)
    common.log(
        f'params: text encoder {sum(p.numel() for p in te.parameters())}, '
        f'unet {sum(p.numel() for p in unet.parameters())}; train images {n}, '
        f'{steps_per_epoch} steps/epoch'
    )

    start, losses = 0, []
    state_path = os.path.join(args.out, 'state.pt')
    if args.resume and os.path.exists(state_path):
        st = torch.load(state_path)
        te.load_state_dict(st['te'])
        unet.load_state_dict(st['unet'])
        ema_te.load_state_dict(st['ema_te'])
        ema_unet.load_state_dict(st['ema_unet'])
        opt.load_state_dict(st['opt'])
        start, losses = st['step'], st['losses']
        common.log(f'resumed at step {start}')

    def batch_indices(step):
        epoch, k = divmod(step, steps_per_epoch)
        perm = np.random.default_rng([args.seed, 1_000_000 + epoch]).permutation(n)
        return perm[k * args.batch : (k + 1) * args.batch]

    win, t_last = [], time.time()
    for step in range(start, args.steps):
        rng = np.random.default_rng([args.seed, step])
        g = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
        idx = batch_indices(step)
        caps = []
        for i in idx:
            if rng.random() < args.p_uncond:
                caps.append('')
                continue
            c = md.make_caption(int(train.digits[i]), train.buckets[i], rng)
            if rng.random() < args.p_unk:  # an out-of-vocabulary word -> <unk>
                words = c.split(' ')
                words.insert(int(rng.integers(0, len(words) + 1)), 'qqq')
                c = ' '.join(words)
            caps.append(c)
        ids = torch.from_numpy(tok.encode_batch(caps))
        x0 = x_all[idx].contiguous(memory_format=torch.channels_last)
        t = torch.randint(0, 1000, (len(idx),), generator=g)
        eps = torch.randn(x0.shape, generator=g).contiguous(memory_format=torch.channels_last)
        xt = sqrt_ab[t].view(-1, 1, 1, 1) * x0 + sqrt_1mab[t].view(-1, 1, 1, 1) * eps

        for grp in opt.param_groups:
            grp['lr'] = args.lr * min(1.0, (step + 1) / args.warmup)
        pred = unet(xt, t.float(), te(ids))
        loss = F.mse_loss(pred, eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            decay = min(0.999, (1 + step) / (10 + step))
            for pe, p in zip(ema_params, params):
                pe.mul_(decay).add_(p.detach(), alpha=1 - decay)

        win.append(loss.item())
        if (step + 1) % 25 == 0:
            losses.append([step + 1, float(np.mean(win))])
            common.log(
                f'step {step + 1}/{args.steps} epoch {(step + 1) / steps_per_epoch:.1f} '
                f'loss {np.mean(win):.4f} ({(time.time() - t_last) / len(win):.2f} s/step, '
                f'{(time.time() - t0) / 60:.1f} min)'
            )
            win, t_last = [], time.time()
        if (step + 1) % args.ckpt_every == 0 or step + 1 == args.steps:
            torch.save(
                {'te': ema_te.state_dict(), 'unet': ema_unet.state_dict(), 'step': step + 1},
                os.path.join(args.out, f'ema_step{step + 1}.pt'),
            )
            torch.save(
                {'te': te.state_dict(), 'unet': unet.state_dict(), 'ema_te': ema_te.state_dict(),
                 'ema_unet': ema_unet.state_dict(), 'opt': opt.state_dict(), 'step': step + 1,
                 'losses': losses},
                state_path,
            )
            with open(os.path.join(args.out, 'losses.json'), 'w') as f:
                json.dump(losses, f)
    common.report_wall_time(t0, 'train_t2i')


if __name__ == '__main__':
    main()
