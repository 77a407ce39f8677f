"""Golden fixtures for the samplers: diffusers' scheduler formulas, re-implemented here from a
reading of diffusers' DDIMScheduler, DDPMScheduler, EulerDiscreteScheduler,
EulerAncestralDiscreteScheduler and DPMSolverMultistepScheduler (set_timesteps and step), in
numpy, in each class's own coordinates (Euler's x̄ = x·√(σ² + 1)).

Tables (betas, ᾱ, σ) are built in float32 as diffusers builds them; the step arithmetic is
float64 (the exact formulas). An analytic "network" (a fixed smooth function of the network
input and the timestep, below; the same in test/goldenSchedulers.test.ts) is evaluated at
every step; stochastic steps take their noise from a fixed pool stored in the fixture (row
i mod 32 at step i), so both sides use the same noise.

Writes test/fixtures/golden-schedulers.json. Run: /usr/bin/python3 training/golden_schedulers.py
"""

import json
import math
import os

import numpy as np

D = 4  # elements per sample
POOL = 32  # noise rows
X_INIT = [0.9, -1.3, 0.4, 1.7]
NS = [1, 2, 10, 25, 50, 999]


def noise_pool():
    rng = np.random.default_rng(12)
    return np.round(rng.standard_normal((POOL, D)), 6)


def model(x, t):
    """The analytic network: bounded, smooth in x and t, different per element."""
    u = t / 1000.0
    j = np.arange(D)
    return 0.6 * np.tanh(x) + 0.4 * np.sin(3 * u + 0.7 * j) - 0.2 * x * u


# ---------------------------------------------------------------------------------------
# Training tables, as diffusers' __init__ builds them
# ---------------------------------------------------------------------------------------


def betas_of(cfg):
    T = cfg.get("num_train_timesteps", 1000)
    sched = cfg.get("beta_schedule", "linear")
    b0 = cfg.get("beta_start", 0.0001)
    b1 = cfg.get("beta_end", 0.02)
    if sched == "linear":
        betas = np.linspace(b0, b1, T, dtype=np.float32)
    elif sched == "scaled_linear":
        betas = np.linspace(b0**0.5, b1**0.5, T, dtype=np.float32) ** 2
    else:
        f = lambda s: math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = np.array([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)], dtype=np.float32)
    if cfg.get("rescale_betas_zero_snr", False):
        ab = cumprod32(1 - betas.astype(np.float32))
        r = np.sqrt(ab)
        r0, rT = r[0], r[-1]
        r = (r - rT) * (r0 / (r0 - rT))
        ab = r**2
        alphas = np.concatenate([ab[:1], ab[1:] / ab[:-1]])
        betas = (1 - alphas).astype(np.float32)
    return betas


def cumprod32(alphas):
    """torch's CPU cumprod of a float32 tensor: accumulated in float64, stored as float32."""
    return np.cumprod(alphas.astype(np.float64)).astype(np.float32)


def alphas_cumprod(cfg, terminal_fix):
    """ᾱ as float32 (diffusers' alphas_cumprod)."""
    ab = cumprod32((1 - betas_of(cfg)).astype(np.float32))
    if terminal_fix and cfg.get("rescale_betas_zero_snr", False):
        ab = ab.copy()
        ab[-1] = np.float32(2.0**-24)
    return ab


def sigma_table(ab):
    """σ = √((1 − ᾱ)/ᾱ) in float32, as diffusers computes it."""
    return np.sqrt((1 - ab) / ab).astype(np.float32).astype(np.float64)


def spaced(cfg, N, spacing, dtype_int=True):
    T = cfg.get("num_train_timesteps", 1000)
    off = cfg.get("steps_offset", 0)
    if spacing == "linspace":
        ts = np.linspace(0, T - 1, N)
        ts = ts.round()[::-1] if dtype_int else ts.astype(np.float32)[::-1]
    elif spacing == "leading":
        ratio = T // N
        ts = (np.arange(0, N) * ratio).round()[::-1] + off
    else:
        ratio = T / N
        ts = np.round(np.arange(T, 0, -ratio)) - 1
    return np.array(ts, dtype=np.float64)


def sigma_to_t(sigma, log_sigmas):
    log_sigma = np.log(np.maximum(sigma, 1e-10))
    dists = log_sigma - log_sigmas[:, None]
    low = np.cumsum(dists >= 0, axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
    lo, hi = log_sigmas[low], log_sigmas[low + 1]
    w = np.clip((lo - log_sigma) / (lo - hi), 0, 1)
    return ((1 - w) * low + w * (low + 1)).reshape(np.shape(sigma))


def karras(smax, smin, n):
    ramp = np.linspace(0, 1, n)
    return (smax ** (1 / 7) + ramp * (smin ** (1 / 7) - smax ** (1 / 7))) ** 7


# ---------------------------------------------------------------------------------------
# x̂0 handling shared by DDIM / DDPM / DPM-Solver
# ---------------------------------------------------------------------------------------


def threshold(x0, cfg):
    s = np.quantile(np.abs(x0), cfg.get("dynamic_thresholding_ratio", 0.995))
    s = min(max(s, 1.0), cfg.get("sample_max_value", 1.0))
    return np.clip(x0, -s, s) / s


def to_x0_eps(kind, out, x, ab):
    a, s = math.sqrt(ab), math.sqrt(1 - ab)
    if kind == "epsilon":
        return (x - s * out) / a, out
    if kind == "sample":
        return out, (x - a * out) / s
    return a * x - s * out, a * out + s * x


def post(x0, cfg, clip_default):
    if cfg.get("thresholding", False):
        return threshold(x0, cfg)
    if cfg.get("clip_sample", clip_default):
        r = cfg.get("clip_sample_range", 1.0)
        return np.clip(x0, -r, r)
    return x0


# ---------------------------------------------------------------------------------------
# The five classes: (timesteps, per-level values, run)
# ---------------------------------------------------------------------------------------


def run_ddim(cfg, N, pool, eta):
    T = cfg.get("num_train_timesteps", 1000)
    kind = cfg.get("prediction_type", "epsilon")
    ab = alphas_cumprod(cfg, False).astype(np.float64)
    final = 1.0 if cfg.get("set_alpha_to_one", True) else ab[0]
    ts = spaced(cfg, N, cfg.get("timestep_spacing", "leading")).astype(int)
    x = np.array(X_INIT, dtype=np.float64)
    xs, prevs = [], []
    for i, t in enumerate(ts):
        prev = t - T // N
        abt, abp = ab[t], (ab[prev] if prev >= 0 else final)
        prevs.append(abp)
        x0, eps = to_x0_eps(kind, model(x, t), x, abt)
        x0 = post(x0, cfg, True)
        var = (1 - abp) / (1 - abt) * (1 - abt / abp)
        std = eta * math.sqrt(var)
        x = math.sqrt(abp) * x0 + math.sqrt(1 - abp - std**2) * eps
        if eta > 0:
            x = x + std * pool[i % POOL]
        xs.append(x)
    return ts, [ab[t] for t in ts] + [final], prevs, xs


def run_ddpm(cfg, N, pool):
    kind = cfg.get("prediction_type", "epsilon")
    ab = alphas_cumprod(cfg, False).astype(np.float64)
    ts = spaced(cfg, N, cfg.get("timestep_spacing", "leading")).astype(int)
    vt = cfg.get("variance_type", "fixed_small")
    x = np.array(X_INIT, dtype=np.float64)
    xs = []
    for i, t in enumerate(ts):
        prev = ts[i + 1] if i + 1 < len(ts) else -1
        abt, abp = ab[t], (ab[prev] if prev >= 0 else 1.0)
        cur_a = abt / abp
        cur_b = 1 - cur_a
        x0, _ = to_x0_eps(kind, model(x, t), x, abt)
        x0 = post(x0, cfg, True)
        mean = (math.sqrt(abp) * cur_b / (1 - abt)) * x0 + (math.sqrt(cur_a) * (1 - abp) / (1 - abt)) * x
        if t > 0:
            var = max((1 - abp) / (1 - abt) * cur_b, 1e-20)
            if vt == "fixed_large":
                var = cur_b
            mean = mean + math.sqrt(var) * pool[i % POOL]
        x = mean
        xs.append(x)
    return ts, [ab[t] for t in ts] + [1.0], None, xs


def euler_levels(cfg, N, ancestral):
    ab32 = alphas_cumprod(cfg, True)
    ab = ab32.astype(np.float64)
    table = sigma_table(ab32)
    log_sigmas = np.log(table)
    ts = spaced(cfg, N, cfg.get("timestep_spacing", "linspace"), dtype_int=False)
    if not ancestral and cfg.get("interpolation_type", "linear") == "log_linear":
        sig = np.exp(np.linspace(np.log(table[-1]), np.log(table[0]), N + 1, dtype=np.float32)).astype(np.float64)
    else:
        sig = np.interp(ts, np.arange(len(table)), table)
    if not ancestral and cfg.get("use_karras_sigmas", False):
        smin = cfg.get("sigma_min") or sig[-1]
        smax = cfg.get("sigma_max") or sig[0]
        sig = karras(smax, smin, N)
        ts = np.array([sigma_to_t(s, log_sigmas) for s in sig]).astype(np.float32).astype(np.float64)
    if ancestral or cfg.get("final_sigmas_type", "zero") == "zero":
        last = 0.0
    else:
        last = math.sqrt((1 - ab[0]) / ab[0])
    sig = np.concatenate([sig, [last]]).astype(np.float32).astype(np.float64)
    return ts.astype(np.float32).astype(np.float64), sig


def run_euler(cfg, N, pool, ancestral):
    kind = cfg.get("prediction_type", "epsilon")
    ts, sig = euler_levels(cfg, N, ancestral)
    sample = np.array(X_INIT, dtype=np.float64) * math.sqrt(sig[0] ** 2 + 1)
    xs = []
    for i, t in enumerate(ts):
        s = sig[i]
        out = model(sample / math.sqrt(s**2 + 1), t)
        if kind == "epsilon":
            x0 = sample - s * out
        elif kind == "v_prediction":
            x0 = out * (-s / math.sqrt(s**2 + 1)) + sample / (s**2 + 1)
        else:
            x0 = out
        d = (sample - x0) / s
        if ancestral:
            st = sig[i + 1]
            up = math.sqrt(st**2 * (s**2 - st**2) / s**2)
            down = math.sqrt(st**2 - up**2)
            sample = sample + d * (down - s) + pool[i % POOL] * up
        else:
            sample = sample + d * (sig[i + 1] - s)
        # Back to VP coordinates at the level landed on.
        xs.append(sample / math.sqrt(sig[i + 1] ** 2 + 1))
    return ts, sig, None, xs


def dpm_levels(cfg, N):
    T = cfg.get("num_train_timesteps", 1000)
    ab32 = alphas_cumprod(cfg, True)
    ab = ab32.astype(np.float64)
    lam = np.log(np.sqrt(ab)) - np.log(np.sqrt(1 - ab))
    clip = cfg.get("lambda_min_clipped", None)
    clipped = 0 if clip is None else int(np.searchsorted(np.flip(lam), clip))
    last = T - clipped
    spacing = cfg.get("timestep_spacing", "linspace")
    if spacing == "linspace":
        ts = np.linspace(0, last - 1, N + 1).round()[::-1][:-1]
    elif spacing == "leading":
        ratio = last // (N + 1)
        ts = (np.arange(0, N + 1) * ratio).round()[::-1][:-1] + cfg.get("steps_offset", 0)
    else:
        ts = np.arange(last, 0, -T / N).round() - 1
    table = sigma_table(ab32)
    log_sigmas = np.log(table)
    if cfg.get("use_karras_sigmas", False):
        sig = karras(table[-1], table[0], N)
        ts = np.array([sigma_to_t(s, log_sigmas) for s in sig])
        if cfg.get("beta_schedule", "linear") != "squaredcos_cap_v2":
            ts = ts.round()
    else:
        sig = np.interp(ts, np.arange(len(table)), table)
    lastsig = 0.0 if cfg.get("final_sigmas_type", "zero") == "zero" else math.sqrt((1 - ab[0]) / ab[0])
    sig = np.concatenate([sig, [lastsig]]).astype(np.float32).astype(np.float64)
    return ts.astype(np.int64), sig


def run_dpm(cfg, N, pool):
    kind = cfg.get("prediction_type", "epsilon")
    order = cfg.get("solver_order", 2)
    sde = cfg.get("algorithm_type", "dpmsolver++") == "sde-dpmsolver++"
    heun = cfg.get("solver_type", "midpoint") == "heun"
    lof = cfg.get("lower_order_final", True)
    ts, sig = dpm_levels(cfg, N)
    n = len(ts)
    x = np.array(X_INIT, dtype=np.float64)
    outs = []
    lower_nums = 0
    xs = []

    def al(s):
        a = 1 / math.sqrt(s**2 + 1)
        return a, s * a

    for i, t in enumerate(ts):
        last = i == n - 1 and (
            cfg.get("euler_at_final", False) or (lof and n < 15) or cfg.get("final_sigmas_type", "zero") == "zero"
        )
        a_s, s_s = al(sig[i])
        out = model(x, t)
        if kind == "epsilon":
            x0 = (x - s_s * out) / a_s
        elif kind == "v_prediction":
            x0 = a_s * x - s_s * out
        else:
            x0 = out
        if cfg.get("thresholding", False):
            x0 = threshold(x0, cfg)
        outs = (outs + [x0])[-2:]
        z = pool[i % POOL] if sde else None
        a_t, s_t = al(sig[i + 1])
        with np.errstate(divide="ignore"):
            lam_t = math.log(a_t) - (math.log(s_t) if s_t > 0 else -math.inf)
        lam_s = math.log(a_s) - math.log(s_s)
        h = lam_t - lam_s
        if order == 1 or lower_nums < 1 or last:
            if sde:
                x = (s_t / s_s * math.exp(-h)) * x + a_t * (1 - math.exp(-2 * h)) * x0 + s_t * math.sqrt(1 - math.exp(-2 * h)) * z
            else:
                x = (s_t / s_s) * x - a_t * (math.exp(-h) - 1) * x0
        else:
            a_p, s_p = al(sig[i - 1])
            h0 = lam_s - (math.log(a_p) - math.log(s_p))
            r0 = h0 / h
            m0, m1 = outs[-1], outs[-2]
            D0, D1 = m0, (1 / r0) * (m0 - m1)
            if sde:
                e2 = 1 - math.exp(-2 * h)
                c = 0.5 * a_t * e2 if not heun else a_t * (e2 / (-2 * h) + 1)
                x = (s_t / s_s * math.exp(-h)) * x + a_t * e2 * D0 + c * D1 + s_t * math.sqrt(e2) * z
            else:
                em = math.exp(-h) - 1
                c = -0.5 * a_t * em if not heun else a_t * (em / h + 1)
                x = (s_t / s_s) * x - a_t * em * D0 + c * D1
        if lower_nums < order:
            lower_nums += 1
        xs.append(x)
    return ts, sig, None, xs


# ---------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------

SD15 = {
    "_class_name": "PNDMScheduler",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "timestep_spacing": "leading",
    "trained_betas": None,
}
LINEAR = {"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02}
COSINE = {"beta_schedule": "squaredcos_cap_v2", "timestep_spacing": "trailing"}
CONFIGS = {"sd15": SD15, "linear": LINEAR, "cosine": COSINE}

SAMPLERS = {
    "DDIMScheduler": {},
    "DDPMScheduler": {},
    "EulerDiscreteScheduler": {},
    "EulerAncestralDiscreteScheduler": {},
    "DPMSolverMultistepScheduler": {},
    "DPMSolverMultistepScheduler+sde": {"algorithm_type": "sde-dpmsolver++"},
}

# Further keys each class reads, one config each, a few step counts.
VARIANTS = [
    ("DDIMScheduler", "linear", {"thresholding": True, "prediction_type": "v_prediction"}, {}),
    ("DDIMScheduler", "sd15", {"clip_sample": True, "clip_sample_range": 0.5}, {}),
    ("DDIMScheduler", "sd15", {"set_alpha_to_one": True, "timestep_spacing": "linspace"}, {}),
    ("DDIMScheduler", "sd15", {}, {"eta": 0.5}),
    ("DDIMScheduler", "linear", {"prediction_type": "sample"}, {}),
    ("DDIMScheduler", "linear", {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, {}),
    ("DDPMScheduler", "linear", {"variance_type": "fixed_large"}, {}),
    ("DDPMScheduler", "cosine", {"thresholding": True, "sample_max_value": 2.0}, {}),
    ("DDPMScheduler", "linear", {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, {}),
    ("EulerDiscreteScheduler", "sd15", {"use_karras_sigmas": True}, {}),
    ("EulerDiscreteScheduler", "sd15", {"use_karras_sigmas": True, "sigma_min": 0.1, "sigma_max": 10.0}, {}),
    ("EulerDiscreteScheduler", "linear", {"final_sigmas_type": "sigma_min"}, {}),
    ("EulerDiscreteScheduler", "linear", {"interpolation_type": "log_linear"}, {}),
    ("EulerDiscreteScheduler", "linear", {"prediction_type": "sample"}, {}),
    ("EulerDiscreteScheduler", "linear", {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, {}),
    ("EulerAncestralDiscreteScheduler", "linear", {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, {}),
    ("DPMSolverMultistepScheduler", "sd15", {"use_karras_sigmas": True}, {}),
    ("DPMSolverMultistepScheduler", "cosine", {"use_karras_sigmas": True}, {}),
    ("DPMSolverMultistepScheduler", "linear", {"solver_order": 1}, {}),
    ("DPMSolverMultistepScheduler", "linear", {"solver_type": "heun"}, {}),
    ("DPMSolverMultistepScheduler", "linear", {"final_sigmas_type": "sigma_min"}, {}),
    ("DPMSolverMultistepScheduler", "linear", {"final_sigmas_type": "sigma_min", "euler_at_final": True}, {}),
    ("DPMSolverMultistepScheduler", "linear", {"final_sigmas_type": "sigma_min", "lower_order_final": False}, {}),
    ("DPMSolverMultistepScheduler", "cosine", {"lambda_min_clipped": -5.1}, {}),
    ("DPMSolverMultistepScheduler", "linear", {"thresholding": True, "prediction_type": "sample", "sample_max_value": 1.5}, {}),
    ("DPMSolverMultistepScheduler", "linear", {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, {}),
    ("DPMSolverMultistepScheduler", "sd15", {"algorithm_type": "sde-dpmsolver++", "solver_type": "heun", "use_karras_sigmas": True}, {}),
]
VARIANT_NS = [1, 2, 10, 25]


def run(cls, cfg, N, pool, eta):
    if cls == "DDIMScheduler":
        return run_ddim(cfg, N, pool, eta)
    if cls == "DDPMScheduler":
        return run_ddpm(cfg, N, pool)
    if cls == "EulerDiscreteScheduler":
        return run_euler(cfg, N, pool, False)
    if cls == "EulerAncestralDiscreteScheduler":
        return run_euler(cfg, N, pool, True)
    return run_dpm(cfg, N, pool)


def checked_steps(n):
    """Steps whose output is stored: all of a short run, a spread of a long one."""
    if n <= 10:
        return list(range(n))
    picks = set([0, 1, 2, n - 3, n - 2, n - 1] + [round(k * (n - 1) / 8) for k in range(9)])
    return sorted(picks)


def r(v, digits=9):
    return float(f"{v:.{digits}g}")


def case(cls_key, config_name, extra, opts, N, pool):
    cls = cls_key.split("+")[0]
    cfg = {**CONFIGS[config_name], **SAMPLERS.get(cls_key, {}), **extra}
    cfg["_class_name"] = cls
    name = f"{cls_key} {config_name}{' ' + json.dumps(extra, sort_keys=True) if extra else ''}{' ' + json.dumps(opts) if opts else ''} N={N}"
    if cls == "DPMSolverMultistepScheduler" and not cfg.get("use_karras_sigmas", False):
        ts = dpm_levels(cfg, N)[0]
        if ts.max() > cfg.get("num_train_timesteps", 1000) - 1:
            # diffusers would give the network timestep ts[0] (past the training grid) and
            # two equal σ's (h = 0): the project refuses such a plan.
            return {"name": name, "className": cls, "config": cfg, "options": opts, "steps": N,
                    "refused": f"timestep {int(ts.max())} is past the training grid"}
    ts, levels, landings, xs = run(cls, cfg, N, pool, opts.get("eta", 0.0))
    n = len(ts)
    idx = checked_steps(n)
    kind = "alphaBar" if cls in ("DDIMScheduler", "DDPMScheduler") else "sigma"
    levelIdx = list(range(n + 1)) if n <= 50 else sorted(set(idx + [i + 1 for i in idx]))
    out = {
        "name": name,
        "className": cls,
        "config": cfg,
        "options": opts,
        "steps": N,
        "levelKind": kind,
        "levelIndex": levelIdx,
        "timesteps": [r(float(ts[i])) for i in levelIdx if i < n],
        "levels": [r(float(levels[i])) for i in levelIdx],
        "checks": [[i, [r(v) for v in xs[i]]] for i in idx],
    }
    if landings is not None:
        out["landings"] = [r(float(landings[i])) for i in idx]
    return out


def main():
    pool = noise_pool()
    cases = []
    for cls_key in SAMPLERS:
        for config_name in CONFIGS:
            for kind in ["epsilon", "v_prediction"]:
                for N in NS:
                    cases.append(case(cls_key, config_name, {"prediction_type": kind}, {}, N, pool))
    for cls, config_name, extra, opts in VARIANTS:
        for N in VARIANT_NS:
            cases.append(case(cls, config_name, extra, opts, N, pool))
    for c in cases:
        for _, x in c.get("checks", []):
            assert all(math.isfinite(v) for v in x), c["name"]
    doc = {
        "about": "diffusers scheduler formulas re-run by training/golden_schedulers.py; see docs/samplers.md",
        "xInit": X_INIT,
        "noisePool": pool.tolist(),
        "model": "0.6·tanh(x_j) + 0.4·sin(3t/1000 + 0.7j) − 0.2·x_j·t/1000",
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "golden-schedulers.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"{len(cases)} cases, {os.path.getsize(path) / 1024:.0f} KB -> {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
