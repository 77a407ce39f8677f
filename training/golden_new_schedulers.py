"""Golden fixtures for Heun, DPM++ SDE, UniPC, LMS and LCM: diffusers' formulas, rewritten.

A reference written from a reading of diffusers' HeunDiscreteScheduler, DPMSolverSDEScheduler,
UniPCMultistepScheduler, LMSDiscreteScheduler and LCMScheduler (set_timesteps and step, their
default keys), in float64 numpy with an analytic model, so the TypeScript samplers can be
checked against it (test/goldenNewSamplers.test.ts). diffusers itself is not needed to run it.

The model: data N(mu, c^2) per coordinate, for which the clean estimate at noise level sigma
is exact, x0(x_bar) = mu + c^2/(c^2 + sigma^2)*(x_bar - mu) with x_bar = x/a; it answers with
eps or v as a network of that prediction type would, and the scheduler converts back as
diffusers does. Each case starts from the same VP sample x (the k-diffusion classes run on
x_bar = x*sqrt(sigma^2 + 1)) and draws its noise, in order, from one stored table.

DPM++ SDE: diffusers draws its two noises per step from a Brownian tree; here
z1 = table[k], z2 = w_z*z1 + w_u*table[k+1] (w as in src/samplers/dpmSolverSde.ts), which
has the tree's joint law. Everything else is diffusers' formula.

Run: /usr/bin/python3 training/golden_new_schedulers.py  (writes test/fixtures/golden-new-schedulers.json)
"""

import json
import math
import os

import numpy as np

T = 1000
STEPS = [1, 2, 10, 25, 50]
DIM = 3
MU = np.array([0.5, -1.0, 0.25])
C2 = np.array([0.3, 1.0, 2.0])

CONFIGS = {
    "sd15": dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
                 timestep_spacing="leading", steps_offset=1),
    "linear": dict(beta_schedule="linear", beta_start=0.0001, beta_end=0.02),
    "cosine": dict(beta_schedule="squaredcos_cap_v2"),
}


def alphas_cumprod(cfg):
    """diffusers' float32 tables: float32 betas, cumprod accumulated in float64 and stored as float32."""
    if cfg["beta_schedule"] == "linear":
        betas = np.linspace(cfg["beta_start"], cfg["beta_end"], T)
    elif cfg["beta_schedule"] == "scaled_linear":
        betas = np.linspace(cfg["beta_start"] ** 0.5, cfg["beta_end"] ** 0.5, T).astype(np.float32).astype(np.float64) ** 2
    else:
        f = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = np.array([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)])
    alphas = (1 - betas.astype(np.float32).astype(np.float64)).astype(np.float32).astype(np.float64)
    out, prod = np.empty(T), 1.0
    for i in range(T):
        prod *= alphas[i]
        out[i] = np.float32(prod)
    return out


def sigma_table(ab):
    f32 = lambda v: np.asarray(v, dtype=np.float32).astype(np.float64)
    return f32(np.sqrt(f32(f32(1 - ab) / ab)))


def sigma_to_t(sigma, log_sigmas):
    log_sigma = np.log(max(sigma, 1e-10))
    dists = log_sigma - log_sigmas
    low = int(np.clip(np.cumsum(dists >= 0).argmax(), None, len(log_sigmas) - 2))
    lo, hi = log_sigmas[low], log_sigmas[low + 1]
    w = np.clip((lo - log_sigma) / (lo - hi), 0, 1)
    return (1 - w) * low + w * (low + 1)


def k_timesteps(cfg, n, dtype):
    """Heun / LMS / DPM++ SDE set_timesteps: N timesteps, fractional under linspace."""
    spacing = cfg.get("timestep_spacing", "linspace")
    offset = cfg.get("steps_offset", 0)
    if spacing == "linspace":
        return np.linspace(0, T - 1, n, dtype=dtype)[::-1].astype(np.float64)
    if spacing == "leading":
        ratio = T // n
        return (np.arange(0, n) * ratio).round()[::-1].astype(np.float64) + offset
    ratio = T / n
    return np.arange(T, 0, -ratio).round().astype(np.float64) - 1


def k_sigmas(cfg, n, dtype=np.float32):
    table = sigma_table(alphas_cumprod(cfg))
    ts = k_timesteps(cfg, n, dtype)
    sig = np.interp(ts, np.arange(T), table)
    return ts, sig, np.log(table)


def eps_or_v(kind, x_in, x0, a, s):
    eps = (x_in - a * x0) / s
    return eps if kind == "eps" else a * eps - s * x0


def model_x0_kdiff(kind, x_bar, sigma):
    """What a k-diffusion class recovers from the model's output at (x_bar, sigma)."""
    x0 = MU + C2 / (C2 + sigma**2) * (x_bar - MU)
    a = 1 / math.sqrt(sigma**2 + 1)
    out = eps_or_v(kind, x_bar * a, x0, a, sigma * a)
    if kind == "eps":
        return x_bar - sigma * out
    return out * (-sigma / (sigma**2 + 1) ** 0.5) + x_bar / (sigma**2 + 1)


class Noise:
    def __init__(self, table):
        self.table = table
        self.k = 0

    def next(self):
        z = self.table[self.k]
        self.k += 1
        return z


def heun(cfg, n, kind, x, noise, calls):
    ts, sig, _ = k_sigmas(cfg, n)
    sig = np.append(sig, 0.0)
    xb = x * math.sqrt(sig[0] ** 2 + 1)
    for i in range(n):
        s, sn = sig[i], sig[i + 1]
        calls.append(ts[i])
        d1 = (xb - model_x0_kdiff(kind, xb, s)) / s
        dt = sn - s
        if sn == 0:
            xb = xb + d1 * dt
            continue
        x1 = xb + d1 * dt
        calls.append(ts[i + 1])
        d2 = (x1 - model_x0_kdiff(kind, x1, sn)) / sn
        xb = xb + (d1 + d2) / 2 * dt
    return xb / math.sqrt(sig[-1] ** 2 + 1), ts, sig


def ancestral(s_from, s_to):
    up = min(s_to, (s_to**2 * (s_from**2 - s_to**2) / s_from**2) ** 0.5)
    return up, (s_to**2 - up**2) ** 0.5


def dpm_sde(cfg, n, kind, x, noise, calls):
    ts, sig, log_sigmas = k_sigmas(cfg, n, dtype=float)
    mids = [sigma_to_t(math.exp(-(-math.log(sig[i]) + (-math.log(sig[i + 1]) + math.log(sig[i])) / 2)), log_sigmas)
            for i in range(n - 1)]
    sig = np.append(sig, 0.0).astype(np.float32).astype(np.float64)
    xb = x * math.sqrt(sig[0] ** 2 + 1)
    for i in range(n):
        s, sn = sig[i], sig[i + 1]
        calls.append(ts[i])
        x0 = model_x0_kdiff(kind, xb, s)
        if sn == 0:
            xb = xb + (xb - x0) / s * (sn - s)
            continue
        t, t_next = -math.log(s), -math.log(sn)
        sm = math.exp(-(t + (t_next - t) / 2))
        up, down = ancestral(s, sm)
        z1 = noise.next()
        x1 = (down / s) * xb + (1 - down / s) * x0 + z1 * up
        calls.append(mids[i])
        x0m = model_x0_kdiff(kind, x1, sm)
        up, down = ancestral(s, sn)
        wz = math.sqrt((s - sm) / (s - sn))
        wu = math.sqrt((sm - sn) / (s - sn))
        z2 = wz * z1 + wu * noise.next()
        xb = (down / s) * xb + (1 - down / s) * x0m + z2 * up
    return xb, ts, sig


def lms(cfg, n, kind, x, noise, calls, order=4):
    ts, sig, _ = k_sigmas(cfg, n)
    sig = np.append(sig, 0.0).astype(np.float32).astype(np.float64)
    xb = x * math.sqrt(sig[0] ** 2 + 1)
    ders = []
    for i in range(n):
        calls.append(ts[i])
        d = (xb - model_x0_kdiff(kind, xb, sig[i])) / sig[i]
        ders.append(d)
        if len(ders) > order:
            ders.pop(0)
        p = min(i + 1, order)
        step = np.zeros(DIM)
        for cur, der in zip(range(p), reversed(ders)):
            # The Lagrange basis through sig[i], sig[i-1], ..., integrated exactly.
            poly = np.polynomial.Polynomial([1.0])
            for k in range(p):
                if k != cur:
                    poly *= np.polynomial.Polynomial([-sig[i - k], 1.0]) / (sig[i - cur] - sig[i - k])
            prim = poly.integ()
            step += (prim(sig[i + 1]) - prim(sig[i])) * der
        xb = xb + step
    return xb, ts, sig


def unipc_timesteps(cfg, n):
    spacing = cfg.get("timestep_spacing", "linspace")
    if spacing == "linspace":
        return np.linspace(0, T - 1, n + 1).round()[::-1][:-1].astype(np.int64)
    if spacing == "leading":
        ratio = T // (n + 1)
        return (np.arange(0, n + 1) * ratio).round()[::-1][:-1].astype(np.int64) + cfg.get("steps_offset", 0)
    ratio = T / n
    return np.arange(T, 0, -ratio).round().astype(np.int64) - 1


def unipc(cfg, n, kind, x, noise, calls, order=2):
    table = sigma_table(alphas_cumprod(cfg))
    ts = unipc_timesteps(cfg, n)
    sig = np.append(np.interp(ts, np.arange(T), table), 0.0).astype(np.float32).astype(np.float64)
    a_of = lambda s: 1 / math.sqrt(s**2 + 1)
    s_of = lambda s: s / math.sqrt(s**2 + 1)
    lam = lambda s: math.log(a_of(s)) - math.log(s_of(s))

    def system(rks, h):
        hh = -h
        h_phi_1 = math.expm1(hh)
        h_phi_k = h_phi_1 / hh - 1
        fact = 1
        bh = math.expm1(hh)
        R, b = [], []
        for i in range(1, len(rks) + 1):
            R.append([r ** (i - 1) for r in rks])
            b.append(h_phi_k * fact / bh)
            fact *= i + 1
            h_phi_k = h_phi_k / hh - 1 / fact
        return np.array(R), np.array(b), h_phi_1, bh

    outs = [None] * order
    last = None
    this_order = None
    lower = 0
    for k in range(n):
        s0 = sig[k]
        calls.append(float(ts[k]))
        x0_true = MU + C2 / (C2 + s0**2) * (x / a_of(s0) - MU)
        out = eps_or_v(kind, x, x0_true, a_of(s0), s_of(s0))
        m_t = (x - s_of(s0) * out) / a_of(s0) if kind == "eps" else a_of(s0) * x - s_of(s0) * out
        if k > 0 and last is not None:
            # UniC of the previous step (model list not yet updated).
            sp = sig[k - 1]
            h = lam(s0) - lam(sp)
            m0 = outs[-1]
            rks, D1s = [], []
            for i in range(1, this_order):
                si = sig[k - (i + 1)]
                rk = (lam(si) - lam(sp)) / h
                rks.append(rk)
                D1s.append((outs[-(i + 1)] - m0) / rk)
            rks.append(1.0)
            R, b, h_phi_1, bh = system(rks, h)
            rhos = np.array([0.5]) if this_order == 1 else np.linalg.solve(R, b)
            corr = sum(rhos[j] * D1s[j] for j in range(len(D1s))) if D1s else 0
            x = s_of(s0) / s_of(sp) * last - a_of(s0) * h_phi_1 * m0 - a_of(s0) * bh * (corr + rhos[-1] * (m_t - m0))
        outs = outs[1:] + [m_t]
        this_order = min(order, n - k, lower + 1)
        last = x
        # UniP.
        st = sig[k + 1]
        m0 = outs[-1]
        if st == 0:
            x = a_of(st) * m0 if this_order == 1 else None
        else:
            h = lam(st) - lam(s0)
            rks, D1s = [], []
            for i in range(1, this_order):
                si = sig[k - i]
                rk = (lam(si) - lam(s0)) / h
                rks.append(rk)
                D1s.append((outs[-(i + 1)] - m0) / rk)
            rks.append(1.0)
            R, b, h_phi_1, bh = system(rks, h)
            if this_order == 1:
                res = 0
            elif this_order == 2:
                res = 0.5 * D1s[0]
            else:
                rhos = np.linalg.solve(R[:-1, :-1], b[:-1])
                res = sum(rhos[j] * D1s[j] for j in range(len(D1s)))
            x = s_of(st) / s_of(s0) * x - a_of(st) * h_phi_1 * m0 - a_of(st) * bh * res
        lower = min(lower + 1, order)
    return x, ts.astype(np.float64), sig


def lcm_timesteps(n, original=50):
    k = T // original
    origin = (np.arange(1, original + 1) * k - 1)[::-1]
    idx = np.floor(np.linspace(0, original, num=n, endpoint=False)).astype(np.int64)
    return origin[idx]


def lcm(cfg, n, kind, x, noise, calls, scaling=10.0):
    ab = alphas_cumprod(cfg)
    ts = lcm_timesteps(n)
    for i, t in enumerate(ts):
        calls.append(float(t))
        a, s = math.sqrt(ab[t]), math.sqrt(1 - ab[t])
        x0_true = MU + C2 / (C2 + (s / a) ** 2) * (x / a - MU)
        out = eps_or_v(kind, x, x0_true, a, s)
        x0 = (x - s * out) / a if kind == "eps" else a * x - s * out
        st = t * scaling
        c_skip = 0.25 / (st**2 + 0.25)
        c_out = st / (st**2 + 0.25) ** 0.5
        den = c_out * x0 + c_skip * x
        if i == n - 1:
            x = den
        else:
            ap = ab[ts[i + 1]]
            x = math.sqrt(ap) * den + math.sqrt(1 - ap) * noise.next()
    sig = np.append(((1 - ab[ts]) / ab[ts]) ** 0.5, 0.0)
    return x, ts.astype(np.float64), sig


SAMPLERS = {"heun": heun, "dpmpp-sde": dpm_sde, "lms": lms, "unipc": unipc, "lcm": lcm}


def main():
    rng = np.random.default_rng(12)
    x_init = rng.standard_normal(DIM)
    table = rng.standard_normal((2 * max(STEPS), DIM))
    cases = []
    for name, fn in SAMPLERS.items():
        for cname, cfg in CONFIGS.items():
            for kind in ["eps", "v"]:
                for n in STEPS:
                    calls = []
                    out, ts, sig = fn(cfg, n, kind, x_init.copy(), Noise(table), calls)
                    cases.append(dict(sampler=name, config=cname, prediction=kind, steps=n,
                                      timesteps=[float(t) for t in ts], sigmas=[float(s) for s in sig],
                                      calls=[float(c) for c in calls], x=[float(v) for v in out]))
        # N = 999: timesteps only; they depend on the spacing, not the betas (cosine = linear),
        # and LMS's are Heun's.
        if name in ("heun", "dpmpp-sde", "unipc"):
            for cname in ("sd15", "linear"):
                if name == "unipc" and cname == "sd15":
                    continue  # 999 leading steps + steps_offset reach t = 1000: refused here
                cfg = CONFIGS[cname]
                ts = (unipc_timesteps(cfg, 999) if name == "unipc" else k_timesteps(cfg, 999, float if name == "dpmpp-sde" else np.float32))
                cases.append(dict(sampler=name, config=cname, steps=999, timesteps=[round(float(t), 4) for t in ts]))
    out = dict(model=dict(mu=MU.tolist(), c2=C2.tolist()), configs=CONFIGS, x=x_init.tolist(),
               noise=table.tolist(), cases=cases)
    path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "golden-new-schedulers.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"{len(cases)} cases -> {os.path.normpath(path)} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
