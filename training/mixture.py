"""Gaussian-mixture benchmark problems (bench/problems/*.json): sampling and the
exact noise prediction, mirroring src/bench/problem.ts.

A problem has classes with an optional "weight" (default equal, normalised)
and components {"mean": [dim], "std": number | [dim], "weight"?} (weights
default equal, normalised within the class).
"""

from __future__ import annotations

import json

import numpy as np
import torch


class Mixture:
    def __init__(self, path: str):
        with open(path) as f:
            self.spec = json.load(f)
        self.dim = int(self.spec['dim'])
        classes = self.spec['classes']
        self.num_classes = len(classes)
        cw = np.array([c.get('weight', 1.0) for c in classes], dtype=np.float64)
        self.class_w = cw / cw.sum()
        # flat component list: class id, weight within class, mean, std[dim]
        self.comp_class, self.comp_w, self.means, self.stds = [], [], [], []
        for ci, c in enumerate(classes):
            w = np.array([k.get('weight', 1.0) for k in c['components']], dtype=np.float64)
            w = w / w.sum()
            for k, wk in zip(c['components'], w):
                self.comp_class.append(ci)
                self.comp_w.append(wk)
                self.means.append(np.asarray(k['mean'], dtype=np.float64))
                s = k['std']
                self.stds.append(np.full(self.dim, float(s)) if np.isscalar(s) else np.asarray(s, float))
        self.comp_class = np.array(self.comp_class)
        self.comp_w = np.array(self.comp_w)
        self.means = np.stack(self.means)
        self.stds = np.stack(self.stds)

    def sample(self, n: int, g: torch.Generator):
        """n samples of the joint (class, x): returns (x float32 [n, dim], label int64 [n])."""
        joint = torch.from_numpy(self.class_w[self.comp_class] * self.comp_w)  # P(component)
        k = torch.multinomial(joint, n, replacement=True, generator=g)
        z = torch.randn(n, self.dim, generator=g, dtype=torch.float64)
        x = torch.from_numpy(self.means)[k] + torch.from_numpy(self.stds)[k] * z
        return x.float(), torch.from_numpy(self.comp_class)[k].long()

    def exact_eps(self, x: np.ndarray, abar: float, label: int | None) -> np.ndarray:
        """E[eps | x_t = x] for x_t = sqrt(abar) x0 + sqrt(1 - abar) eps, for the class
        `label` (None = unconditional, i.e. the class-weighted mixture)."""
        if label is None:
            w = self.class_w[self.comp_class] * self.comp_w
        else:
            w = np.where(self.comp_class == label, self.comp_w, 0.0)
        m = np.sqrt(abar) * self.means  # [K, dim]
        var = abar * self.stds**2 + (1 - abar)  # [K, dim]
        d = x[:, None, :] - m[None]  # [N, K, dim]
        logp = -0.5 * (d**2 / var[None] + np.log(2 * np.pi * var[None])).sum(-1) + np.log(
            np.maximum(w, 1e-300)
        )[None]
        logp[:, w == 0] = -np.inf
        r = np.exp(logp - logp.max(1, keepdims=True))
        r /= r.sum(1, keepdims=True)  # responsibilities [N, K]
        score = -(r[:, :, None] * d / var[None]).sum(1)  # grad log p_t
        return -np.sqrt(1 - abar) * score
