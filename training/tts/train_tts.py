"""Train the tiny TTS model (encoder + duration predictor + diffusion decoder).

  nice -n 10 /usr/bin/python3 training/tts/train_tts.py --steps 3000 > training/out/tts/train.log 2>&1 &

* data: training/out/tts/data.pkl from make_data.py, TRAIN split only; log-mels
  normalised per bin with the TRAIN mean/std (stored in the export's config)
* loss = prior  MSE(μ expanded by the true durations, mel)
       + duration MSE(predicted, log(1 + frames)) per phoneme
       + diffusion MSE(v̂, v), v = √ᾱ·ε − √(1−ᾱ)·x0, on a random 96-frame crop, cosine
         schedule (diffusers squaredcos_cap_v2, 1000 steps), t ~ U{0..999};
         condition dropout: μ → 0 for 15 % of the crops (the null condition).
         v rather than ε: an ε-network's error is multiplied by √((1−ᾱ)/ᾱ) in its
         clean estimate, which at the noisy end made its samples diverge (ε run of
         step 1000: clean-estimate MSE 21.6 at t = 950 against 0.39 for the prior μ)
* batch 24 sentences; AdamW lr 1e-3 after 100 warm-up steps, wd 0.01; grad-norm
  clip 1; EMA 0.998; one thread; seed 6 (step n's randomness from (seed, n))
* output: training/out/tts/ema_step{N}.pt every --ckpt-every steps
"""

import argparse
import copy
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import OUT_DIR, log, report_wall_time, setup  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from nets import cosine_alphas_cumprod  # noqa: E402
from nets_tts import MelDecoder, PhonemeEncoder, expand  # noqa: E402

TTS_OUT = os.path.join(OUT_DIR, 'tts')
CROP = 96
P_UNCOND = 0.15


def load_data():
    with open(os.path.join(TTS_OUT, 'data.pkl'), 'rb') as f:
        d = pickle.load(f)
    train = [k for k, s in enumerate(d['split']) if s == 0]
    frames = np.concatenate([d['mel'][k] for k in train], axis=1)
    mean, std = frames.mean(axis=1), frames.std(axis=1) + 1e-3
    return d, train, mean.astype(np.float32), std.astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=3000)
    ap.add_argument('--batch', type=int, default=24)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--warmup', type=int, default=100)
    ap.add_argument('--seed', type=int, default=6)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--ckpt-every', type=int, default=500)
    args = ap.parse_args()
    t0 = setup(args.seed, args.threads)
    d, train, mean, std = load_data()
    vocab = int(max(int(ids.max()) for ids in d['ids'])) + 1
    enc, dec = PhonemeEncoder(vocab), MelDecoder()
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    ema_enc, ema_dec = copy.deepcopy(enc), copy.deepcopy(dec)
    ema_params = list(ema_enc.parameters()) + list(ema_dec.parameters())
    abar = cosine_alphas_cumprod().float()
    mean_t, std_t = torch.from_numpy(mean)[:, None], torch.from_numpy(std)[:, None]
    mels = [(torch.from_numpy(m) - mean_t) / std_t for m in d['mel']]
    log(f'vocab {vocab}, train {len(train)} sentences; enc {sum(p.numel() for p in enc.parameters())} '
        f'dec {sum(p.numel() for p in dec.parameters())} parameters')
    run = {'prior': 0.0, 'dur': 0.0, 'diff': 0.0}
    for step in range(args.steps):
        g = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
        idx = [train[int(k)] for k in torch.randint(0, len(train), (args.batch,), generator=g)]
        n_max = max(len(d['ids'][k]) for k in idx)
        ids = torch.zeros(len(idx), n_max, dtype=torch.long)
        pmask = torch.zeros(len(idx), n_max)
        logd = torch.zeros(len(idx), n_max)
        for b, k in enumerate(idx):
            n = len(d['ids'][k])
            ids[b, :n] = torch.from_numpy(d['ids'][k])
            pmask[b, :n] = 1
            logd[b, :n] = torch.log1p(torch.from_numpy(d['dur'][k]).float())
        mu_ph, logd_hat = enc(ids)
        dur_loss = ((logd_hat - logd) ** 2 * pmask).sum() / pmask.sum()
        prior_loss, x0s, mus = 0.0, [], []
        for b, k in enumerate(idx):
            n = len(d['ids'][k])
            mu = expand(mu_ph[b, :, :n], torch.from_numpy(d['dur'][k]))
            y = mels[k]
            prior_loss = prior_loss + F.mse_loss(mu, y)
            s = int(torch.randint(0, max(1, y.shape[1] - CROP + 1), (1,), generator=g))
            yc, mc = y[:, s:s + CROP], mu[:, s:s + CROP]
            if yc.shape[1] < CROP:  # (no TRAIN sentence is this short; kept for safety)
                pad = CROP - yc.shape[1]
                yc, mc = F.pad(yc, (0, pad)), F.pad(mc, (0, pad))
            x0s.append(yc)
            mus.append(mc)
        prior_loss = prior_loss / len(idx)
        x0, mu = torch.stack(x0s), torch.stack(mus)
        keep = (torch.rand(len(idx), generator=g) >= P_UNCOND).float()[:, None, None]
        t = torch.randint(0, 1000, (len(idx),), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        ab = abar[t][:, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        v = ab.sqrt() * eps - (1 - ab).sqrt() * x0  # v-prediction (Salimans & Ho 2022)
        diff_loss = F.mse_loss(dec(xt, t.float(), mu * keep), v)
        loss = prior_loss + dur_loss + diff_loss
        for grp in opt.param_groups:
            grp['lr'] = args.lr * min(1.0, (step + 1) / args.warmup)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            for pe, p in zip(ema_params, params):
                pe.mul_(0.998).add_(p, alpha=0.002)
        for key, v in (('prior', prior_loss), ('dur', dur_loss), ('diff', diff_loss)):
            run[key] += float(v)
        if (step + 1) % 50 == 0:
            log(f'step {step + 1} ' + ' '.join(f'{k} {v / 50:.4f}' for k, v in run.items()))
            run = {k: 0.0 for k in run}
            report_wall_time(t0, 'so far')
        if (step + 1) % args.ckpt_every == 0 or step + 1 == args.steps:
            torch.save({'enc': ema_enc.state_dict(), 'dec': ema_dec.state_dict(), 'vocab': vocab,
                        'mean': mean, 'std': std, 'step': step + 1},
                       os.path.join(TTS_OUT, f'ema_step{step + 1}.pt'))
    report_wall_time(t0, 'train_tts')


if __name__ == '__main__':
    main()
