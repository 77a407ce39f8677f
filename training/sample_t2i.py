"""Sanity check of the text-to-image model: DDIM + classifier-free guidance.

    /usr/bin/python3 training/sample_t2i.py --ckpt training/out/t2i/ema_step3000.pt \
        --png /tmp/t2i_grid.png
    /usr/bin/python3 training/sample_t2i.py --onnx models/mnist-t2i --png /tmp/onnx_grid.png

Uses exactly the shipped scheduler config (DDIM, squaredcos_cap_v2, "trailing"
spacing, set_alpha_to_one, epsilon, no clipping), so it is the reference the
TypeScript pipeline can be compared with.  Rows = prompts, columns = seeds.
With --classify, the samples are also scored by models/mnist-eval/classifier.onnx
(digit / attribute adherence) if it exists.
"""

import common  # noqa: F401

import argparse
import os

import numpy as np
import torch
from PIL import Image

import mnist_data as md
from nets import TinyCrossAttnUNet, TinyTextEncoder, cosine_alphas_cumprod

PROMPTS = [
    'a seven', '3', 'the digit four', 'a thick slanted seven', 'a thin 2',
    'a small thin 2', 'a large thick zero', 'a backslanted one', 'an 8', '',
]


def ddim_timesteps(steps: int, T: int = 1000) -> np.ndarray:
    """diffusers DDIMScheduler, timestep_spacing="trailing"."""
    return (np.round(np.arange(T, 0, -T / steps)).astype(np.int64) - 1)


class TorchModel:
    def __init__(self, ckpt: str):
        st = torch.load(ckpt)
        self.te = TinyTextEncoder(len(md.VOCAB)).eval()
        self.unet = TinyCrossAttnUNet().eval()
        self.te.load_state_dict(st['te'])
        self.unet.load_state_dict(st['unet'])

    @torch.no_grad()
    def encode(self, ids: np.ndarray) -> np.ndarray:
        return self.te(torch.from_numpy(ids)).numpy()

    @torch.no_grad()
    def eps(self, x: np.ndarray, t: int, ctx: np.ndarray) -> np.ndarray:
        return self.unet(torch.from_numpy(x), torch.tensor([float(t)]), torch.from_numpy(ctx)).numpy()


class OnnxModel:
    """Same interface through onnxruntime (python package), if installed."""

    def __init__(self, folder: str):
        import onnxruntime as ort  # noqa: WPS433

        self.te = ort.InferenceSession(os.path.join(folder, 'text_encoder', 'model.onnx'))
        self.unet = ort.InferenceSession(os.path.join(folder, 'unet', 'model.onnx'))

    def encode(self, ids):
        return self.te.run(None, {'input_ids': ids})[0]

    def eps(self, x, t, ctx):
        return self.unet.run(None, {'sample': x, 'timestep': np.array(t, dtype=np.float32),
                                    'encoder_hidden_states': ctx})[0]


def sample(model, prompts, seeds, steps=50, w=3.0) -> np.ndarray:
    """Returns images float [len(prompts), len(seeds), 28, 28] in [0, 1]."""
    abar = cosine_alphas_cumprod().numpy()
    tok = md.Tokenizer()
    P, S = len(prompts), len(seeds)
    ctx_c = model.encode(tok.encode_batch([p for p in prompts for _ in seeds]))
    ctx_u = model.encode(tok.encode_batch([''] * (P * S)))
    x = np.stack([np.random.default_rng(s).standard_normal((1, 28, 28)) for _ in prompts for s in seeds])
    x = x.astype(np.float32)
    ts = ddim_timesteps(steps)
    for i, t in enumerate(ts):
        e_u = model.eps(x, int(t), ctx_u)
        e_c = model.eps(x, int(t), ctx_c)
        e = e_u + w * (e_c - e_u)
        a_t = abar[t]
        t_prev = t - 1000 // steps
        a_prev = abar[t_prev] if t_prev >= 0 else 1.0
        x0 = (x - np.sqrt(1 - a_t) * e) / np.sqrt(a_t)
        x = (np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * e).astype(np.float32)
    img = np.clip(x / 2 + 0.5, 0, 1).reshape(P, S, 28, 28)
    return img


def save_grid(img: np.ndarray, path: str, scale: int = 3) -> None:
    P, S = img.shape[:2]
    g = np.ones((P * 30, S * 30), dtype=np.float32)
    for i in range(P):
        for j in range(S):
            g[i * 30 + 1 : i * 30 + 29, j * 30 + 1 : j * 30 + 29] = img[i, j]
    im = Image.fromarray((255 * (1 - g)).astype(np.uint8))  # ink dark on white
    im.resize((g.shape[1] * scale, g.shape[0] * scale), Image.NEAREST).save(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ckpt')
    ap.add_argument('--onnx')
    ap.add_argument('--png', default='/tmp/t2i_grid.png')
    ap.add_argument('--steps', type=int, default=50)
    ap.add_argument('--w', type=float, default=3.0)
    ap.add_argument('--seeds', type=int, default=8)
    ap.add_argument('--prompts', nargs='*', default=PROMPTS)
    args = ap.parse_args()
    t0 = common.setup(0)
    model = OnnxModel(args.onnx) if args.onnx else TorchModel(args.ckpt)
    img = sample(model, args.prompts, list(range(args.seeds)), args.steps, args.w)
    save_grid(img, args.png)
    np.save(args.png.replace('.png', '.npy'), img)
    for i, p in enumerate(args.prompts):
        print(f'row {i}: {p!r}')
    common.report_wall_time(t0, 'sample_t2i')


if __name__ == '__main__':
    main()
