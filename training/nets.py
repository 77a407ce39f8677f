"""Network definitions and noise schedules (PyTorch 1.13, export-friendly).

* `cosine_alphas_cumprod` / `scaled_linear_alphas_cumprod`: the two schedules
  (exactly diffusers' `squaredcos_cap_v2` and SD 1.5 `scaled_linear`).
* `TinyTextEncoder`: ids int64 [B, 16] -> states float [B, 16, 64].
* `TinyCrossAttnUNet`: (x [B,1,28,28], t, states [B,16,64]) -> eps [B,1,28,28].
* `DigitClassifier`: image [B,1,28,28] in [0,1] -> digit/attribute logits + features.
* `MixtureEpsMLP`: (x [B,D], t [B], label [B]) -> eps [B,D].
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------


def cosine_alphas_cumprod(T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """diffusers `squaredcos_cap_v2` (Nichol & Dhariwal 2021): betas from the
    cosine alpha-bar, capped at 0.999, then alpha_bar_t = prod_{i<=t} (1 - beta_i).
    Computed in float64, returned as float64 [T]."""

    def f(u: float) -> float:
        return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2

    betas = torch.tensor(
        [min(1 - f((i + 1) / T) / f(i / T), max_beta) for i in range(T)], dtype=torch.float64
    )
    return torch.cumprod(1 - betas, 0)


def scaled_linear_alphas_cumprod(
    T: int = 1000, beta_start: float = 0.00085, beta_end: float = 0.012
) -> torch.Tensor:
    """SD 1.5 `scaled_linear`: betas = linspace(sqrt(b0), sqrt(b1), T)^2 (float64 [T])."""
    betas = torch.linspace(beta_start**0.5, beta_end**0.5, T, dtype=torch.float64) ** 2
    return torch.cumprod(1 - betas, 0)


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of (float) timesteps t [N] -> [N, dim]: [cos | sin]
    with frequencies exp(-ln(max_period) * i / half), i = 0..half-1 (as in
    diffusers' `get_timestep_embedding` with flip_sin_to_cos=True, shift 0)."""
    half = dim // 2
    freqs = torch.exp(
        -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half
    )
    args = t.float().reshape(-1, 1) * freqs.reshape(1, -1)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


# ---------------------------------------------------------------------------
# Text encoder
# ---------------------------------------------------------------------------


class _Block(nn.Module):
    """Pre-LN transformer block: x + MHA(LN x), then x + MLP(LN x).  No padding
    mask: pads (id 0) are ordinary tokens, so the empty prompt (16 pads) is a
    fixed, well-defined input (the unconditional embedding)."""

    def __init__(self, d: int, heads: int, ff: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class TinyTextEncoder(nn.Module):
    """Token + learned position embeddings, 2 pre-LN transformer layers, final LN."""

    def __init__(self, vocab_size: int, d: int = 64, max_len: int = 16, layers: int = 2):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, d)
        self.pos = nn.Parameter(torch.zeros(1, max_len, d))
        nn.init.normal_(self.pos, std=0.02)
        nn.init.normal_(self.tok.weight, std=0.02)
        self.blocks = nn.ModuleList([_Block(d, 4, 4 * d) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = self.tok(input_ids) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.ln(x)


# ---------------------------------------------------------------------------
# UNet
# ---------------------------------------------------------------------------


def _gn(c: int) -> nn.GroupNorm:
    return nn.GroupNorm(8, c)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv, + time/text embedding (per-channel bias), GroupNorm-SiLU-conv, skip."""

    def __init__(self, cin: int, cout: int, emb: int):
        super().__init__()
        self.n1 = _gn(cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.e = nn.Linear(emb, cout)
        self.n2 = _gn(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.c2.weight)
        nn.init.zeros_(self.c2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.c1(F.silu(self.n1(x)))
        h = h + self.e(emb)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


class CrossAttn(nn.Module):
    """Spatial tokens attend to the text states (nn.MultiheadAttention, kdim=vdim=64)."""

    def __init__(self, c: int, ctx: int, heads: int = 4):
        super().__init__()
        self.norm = _gn(c)
        self.attn = nn.MultiheadAttention(c, heads, kdim=ctx, vdim=ctx, batch_first=True)
        self.proj = nn.Linear(c, c)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q = self.norm(x).flatten(2).transpose(1, 2)  # [B, HW, C]
        a = self.attn(q, ctx, ctx, need_weights=False)[0]
        return x + self.proj(a).transpose(1, 2).reshape(b, c, h, w)


class TinyCrossAttnUNet(nn.Module):
    """Pixel-space UNet for 28x28x1, two downsamplings (28 -> 14 -> 7).

    Conditioning: sinusoidal time embedding -> MLP, plus a projection of the
    mean of the text states (a pooled text vector, as SDXL's `text_embeds`),
    added in every ResBlock; cross-attention to the 16 text states at 14x14
    and 7x7.

    Output parametrisation.  The network's output IS the noise prediction
    eps_hat, but it is formed as

        eps_hat = sqrt(1 - abar_t) * x_t + sqrt(abar_t) * F(x_t, t, c)

    i.e. the trunk F predicts v = sqrt(abar) eps - sqrt(1 - abar) x0 (Salimans
    & Ho 2022) and the skip is built in.  Reason: with the cosine schedule,
    abar_999 = 2.4e-9 and DDIM with "trailing" spacing starts at t = 999, where
    the x0 estimate (x_t - sqrt(1-abar) eps_hat) / sqrt(abar) multiplies any
    error of a plain eps network by 1/sqrt(abar) = 2e4 (x 635 in x_{t-1} for 50
    steps).  Here eps_hat -> x_t exactly as abar -> 0, and the x0 estimate
    equals sqrt(abar) x_t - sqrt(1-abar) F, bounded.  abar_t is looked up in the
    exact discrete table (buffer `abar`, linear interpolation for fractional t,
    t clamped to [0, 999]).  Training uses the plain eps-MSE on eps_hat.
    """

    def __init__(self, ch=(16, 32, 64), ctx_dim: int = 64, emb_dim: int = 128, t_dim: int = 64):
        super().__init__()
        c1, c2, c3 = ch
        self.t_dim = t_dim
        self.register_buffer('abar', cosine_alphas_cumprod().float(), persistent=False)
        self.t_mlp = nn.Sequential(nn.Linear(t_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.pool_proj = nn.Sequential(nn.Linear(ctx_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.inp = nn.Conv2d(1, c1, 3, padding=1)
        # encoder
        self.d1 = ResBlock(c1, c1, emb_dim)  # 28
        self.down1 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)  # -> 14
        self.d2 = ResBlock(c2, c2, emb_dim)
        self.a2 = CrossAttn(c2, ctx_dim)
        self.down2 = nn.Conv2d(c2, c3, 3, stride=2, padding=1)  # -> 7
        self.d3 = ResBlock(c3, c3, emb_dim)
        self.a3 = CrossAttn(c3, ctx_dim)
        # middle
        self.m = ResBlock(c3, c3, emb_dim)
        self.ma = CrossAttn(c3, ctx_dim)
        # decoder (skip concatenations)
        self.u3 = ResBlock(c3 + c3, c3, emb_dim)
        self.ua3 = CrossAttn(c3, ctx_dim)
        self.up2 = nn.Conv2d(c3, c2, 3, padding=1)  # at 7x7, then nearest x2 -> 14
        self.u2 = ResBlock(c2 + c2, c2, emb_dim)
        self.ua2 = CrossAttn(c2, ctx_dim)
        self.up1 = nn.Conv2d(c2, c1, 3, padding=1)  # at 14x14, then nearest x2 -> 28
        self.u1 = ResBlock(c1 + c1, c1, emb_dim)
        self.out_norm = _gn(c1)
        self.out = nn.Conv2d(c1, 1, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def abar_at(self, t: torch.Tensor) -> torch.Tensor:
        """abar at float timesteps t [N] (linear interpolation of the table)."""
        t = t.float().clamp(0.0, 999.0)
        i0 = t.floor()
        frac = t - i0
        i0 = i0.long()
        i1 = (i0 + 1).clamp(max=999)
        return self.abar[i0] * (1 - frac) + self.abar[i1] * frac

    def forward(self, x: torch.Tensor, t: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        """x [B,1,28,28]; t float [B] or [1] (broadcast); ctx [B,16,64] -> eps_hat."""
        a = self.abar_at(t.reshape(-1)).reshape(-1, 1, 1, 1)
        return (1 - a).sqrt() * x + a.sqrt() * self.trunk(x, t, ctx)

    def trunk(self, x: torch.Tensor, t: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        """F(x_t, t, c): the v-prediction."""
        emb = self.t_mlp(timestep_embedding(t, self.t_dim)) + self.pool_proj(ctx.mean(dim=1))
        h0 = self.inp(x)
        h1 = self.d1(h0, emb)  # 28
        h2 = self.a2(self.d2(self.down1(h1), emb), ctx)  # 14
        h3 = self.a3(self.d3(self.down2(h2), emb), ctx)  # 7
        h = self.ma(self.m(h3, emb), ctx)
        h = self.ua3(self.u3(torch.cat([h, h3], 1), emb), ctx)
        h = F.interpolate(self.up2(h), scale_factor=2.0, mode='nearest')  # 14
        h = self.ua2(self.u2(torch.cat([h, h2], 1), emb), ctx)
        h = F.interpolate(self.up1(h), scale_factor=2.0, mode='nearest')  # 28
        h = self.u1(torch.cat([h, h1], 1), emb)
        return self.out(F.silu(self.out_norm(h)))


# ---------------------------------------------------------------------------
# Evaluation classifier
# ---------------------------------------------------------------------------


class DigitClassifier(nn.Module):
    """Small CNN: three conv stages (16, 32, 64 channels at 28, 14, 7 px; two
    3x3 conv + BatchNorm + ReLU each, max-pool between), 3x3/2 average pool to
    64x3x3, a 64-unit feature layer (`features` = BatchNorm(Linear(.)), i.e. the
    pre-activation, roughly standardised and Gaussian-like, which suits a
    Frechet distance; a ReLU feature layer left ~half its units dead), then
    SiLU and linear heads for the digit (10 classes) and each attribute (3)."""

    def __init__(self, ch=(16, 32, 64), feat: int = 64):
        super().__init__()

        def stage(cin, cout):
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
            )

        c1, c2, c3 = ch
        self.s1, self.s2, self.s3 = stage(1, c1), stage(c1, c2), stage(c2, c3)
        self.fc = nn.Linear(c3 * 3 * 3, feat)
        self.fc_bn = nn.BatchNorm1d(feat)
        self.digit = nn.Linear(feat, 10)
        self.thickness = nn.Linear(feat, 3)
        self.slant = nn.Linear(feat, 3)
        self.size = nn.Linear(feat, 3)
        self.drop = nn.Dropout(0.2)

    def forward(self, image: torch.Tensor):
        h = self.s1(image)  # 28
        h = self.s2(F.max_pool2d(h, 2))  # 14
        h = self.s3(F.max_pool2d(h, 2))  # 7
        h = F.avg_pool2d(h, 3, stride=2)  # 3
        features = self.fc_bn(self.fc(h.flatten(1)))
        z = self.drop(F.silu(features))
        return self.digit(z), self.thickness(z), self.slant(z), self.size(z), features


# ---------------------------------------------------------------------------
# Mixture MLP
# ---------------------------------------------------------------------------


class MixtureEpsMLP(nn.Module):
    """eps-network for low-dimensional mixtures: input [x, fourier(t), emb(label)]
    -> 3 hidden SiLU layers (width `hidden`) with the time+label embedding also
    added to every hidden layer -> eps.  label == num_classes is the null label."""

    def __init__(self, dim: int, num_classes: int, hidden: int = 256, temb: int = 64):
        super().__init__()
        self.temb = temb
        self.cls = nn.Embedding(num_classes + 1, temb)
        self.cond = nn.Sequential(nn.Linear(2 * temb, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.inp = nn.Linear(dim, hidden)
        self.h = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(3)])
        self.out = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor, t: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        c = self.cond(torch.cat([timestep_embedding(t, self.temb), self.cls(label)], dim=1))
        h = self.inp(x) + c
        for layer in self.h:
            h = h + layer(F.silu(h))  # residual
        return self.out(F.silu(h))


# ---------------------------------------------------------------------------
# Super-resolution UNet (x4-upscaler style, pixel space)
# ---------------------------------------------------------------------------


def box_downsample(x: torch.Tensor, factor: int = 4) -> torch.Tensor:
    """The low-resolution image of the SR task: the mean of each factor x factor
    block (28x28 -> 7x7). The TypeScript side (image/resize.ts) uses the same."""
    return F.avg_pool2d(x, factor)


def bicubic_upsample(x: torch.Tensor, factor: int = 4) -> torch.Tensor:
    """torch's bicubic (Keys a = -0.75, align_corners=False, border replicated):
    how the low-resolution condition is brought to the UNet's size. Reproduced
    in image/resize.ts and checked against this function (test fixture)."""
    return F.interpolate(x, scale_factor=float(factor), mode='bicubic', align_corners=False)


class TinySrUNet(nn.Module):
    """Pixel-space UNet for 4x super-resolution of 28x28x1 digits, laid out as the
    Stable Diffusion x4 upscaler: the input is [x_t, upsampled noisy low-res image]
    concatenated on channels (2 channels), `class_labels` is the noise level that
    was added to the low-res image (0..max_noise_level), embedded like the
    timestep and added to it. No text. The output is v (v-prediction).

    Condition dropout: a zero condition image stands for "no low-res input"."""

    def __init__(self, ch=(16, 32, 64), emb_dim: int = 128, t_dim: int = 64):
        super().__init__()
        c1, c2, c3 = ch
        self.t_dim = t_dim
        self.t_mlp = nn.Sequential(nn.Linear(t_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.l_mlp = nn.Sequential(nn.Linear(t_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.inp = nn.Conv2d(2, c1, 3, padding=1)
        self.d1 = ResBlock(c1, c1, emb_dim)  # 28
        self.down1 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)  # -> 14
        self.d2 = ResBlock(c2, c2, emb_dim)
        self.down2 = nn.Conv2d(c2, c3, 3, stride=2, padding=1)  # -> 7
        self.d3 = ResBlock(c3, c3, emb_dim)
        self.m = ResBlock(c3, c3, emb_dim)
        self.u3 = ResBlock(c3 + c3, c3, emb_dim)
        self.up2 = nn.Conv2d(c3, c2, 3, padding=1)
        self.u2 = ResBlock(c2 + c2, c2, emb_dim)
        self.up1 = nn.Conv2d(c2, c1, 3, padding=1)
        self.u1 = ResBlock(c1 + c1, c1, emb_dim)
        self.out_norm = _gn(c1)
        self.out = nn.Conv2d(c1, 1, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, sample: torch.Tensor, t: torch.Tensor, class_labels: torch.Tensor) -> torch.Tensor:
        """sample [B,2,28,28] = [x_t, condition]; t float [B] or [1]; class_labels [B] -> v."""
        emb = self.t_mlp(timestep_embedding(t.reshape(-1), self.t_dim)) + self.l_mlp(
            timestep_embedding(class_labels.reshape(-1).float(), self.t_dim)
        )
        h1 = self.d1(self.inp(sample), emb)  # 28
        h2 = self.d2(self.down1(h1), emb)  # 14
        h3 = self.d3(self.down2(h2), emb)  # 7
        h = self.m(h3, emb)
        h = self.u3(torch.cat([h, h3], 1), emb)
        h = F.interpolate(self.up2(h), scale_factor=2.0, mode='nearest')  # 14
        h = self.u2(torch.cat([h, h2], 1), emb)
        h = F.interpolate(self.up1(h), scale_factor=2.0, mode='nearest')  # 28
        h = self.u1(torch.cat([h, h1], 1), emb)
        return self.out(F.silu(self.out_norm(h)))
