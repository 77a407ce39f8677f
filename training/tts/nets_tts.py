"""The tiny Grad-TTS-like model: phoneme encoder (prior μ + log-durations) and a
1-D convolutional diffusion decoder over the 80 × T normalised log-mel.

Differences from Grad-TTS, to stay tiny and fit DiffIER's samplers: the decoder
diffuses towards N(0, I) (a standard VP/DDPM chain with the cosine schedule)
rather than N(μ, I), and reads μ as a condition channel; μ = 0 everywhere is
the null condition (condition dropout), so CFG guides on the text.
"""

import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from nets import timestep_embedding  # noqa: E402

N_MELS = 80


class ConvBlock(nn.Module):
    def __init__(self, c: int, k: int = 5):
        super().__init__()
        self.conv = nn.Conv1d(c, c, k, padding=k // 2)
        self.norm = nn.GroupNorm(1, c)

    def forward(self, x):
        return x + F.relu(self.norm(self.conv(x)))


class PhonemeEncoder(nn.Module):
    """ids [B, N] → (μ per phoneme [B, 80, N], log(1 + frames) [B, N])."""

    def __init__(self, vocab: int, c: int = 128, layers: int = 4):
        super().__init__()
        self.emb = nn.Embedding(vocab, c)
        self.blocks = nn.Sequential(*[ConvBlock(c) for _ in range(layers)])
        self.mu = nn.Conv1d(c, N_MELS, 1)
        self.dur = nn.Sequential(nn.Conv1d(c, c, 3, padding=1), nn.ReLU(), nn.GroupNorm(1, c),
                                 nn.Conv1d(c, c, 3, padding=1), nn.ReLU(), nn.GroupNorm(1, c),
                                 nn.Conv1d(c, 1, 1))

    def forward(self, ids):
        h = self.blocks(self.emb(ids).transpose(1, 2))
        # The duration predictor does not train the encoder (as in Glow-/Grad-TTS).
        return self.mu(h), self.dur(h.detach()).squeeze(1)


class ResBlock(nn.Module):
    def __init__(self, c: int, dilation: int, temb: int):
        super().__init__()
        self.n1, self.n2 = nn.GroupNorm(8, c), nn.GroupNorm(8, c)
        self.c1 = nn.Conv1d(c, c, 3, padding=dilation, dilation=dilation)
        self.c2 = nn.Conv1d(c, c, 3, padding=1)
        self.t = nn.Linear(temb, c)

    def forward(self, x, emb):
        h = self.c1(F.silu(self.n1(x)) + self.t(emb)[:, :, None])
        return x + self.c2(F.silu(self.n2(h)))


class MelDecoder(nn.Module):
    """v-prediction: (x_t [B, 80, T], timestep [B] in 0..999, μ [B, 80, T]) → v [B, 80, T]."""

    def __init__(self, c: int = 128, dilations=(1, 2, 4, 8, 1, 2, 4, 8), t_dim: int = 64, temb: int = 128):
        super().__init__()
        self.t_dim = t_dim
        self.t_mlp = nn.Sequential(nn.Linear(t_dim, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.inp = nn.Conv1d(2 * N_MELS, c, 3, padding=1)
        self.blocks = nn.ModuleList([ResBlock(c, d, temb) for d in dilations])
        self.out = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv1d(c, N_MELS, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x, t, mu):
        emb = F.silu(self.t_mlp(timestep_embedding(t, self.t_dim)))
        h = self.inp(torch.cat([x, mu], dim=1))
        for b in self.blocks:
            h = b(h, emb)
        return self.out(h)


def expand(mu_ph, dur):
    """μ per phoneme [80, N] repeated dur[i] times → [80, sum(dur)]."""
    return torch.repeat_interleave(mu_ph, dur, dim=1)


def count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


if __name__ == '__main__':
    print(count(PhonemeEncoder(89)), count(MelDecoder()), math.pi)
