"""Export the TTS model folder and the held-out benchmark set.

  /usr/bin/python3 training/tts/export_tts.py --ckpt training/out/tts/ema_step6000.pt

models/tts-espeak/ (loaded by src/models/ttsModel.ts):
  model_index.json, scheduler/scheduler_config.json (DDIM, squaredcos_cap_v2, v-prediction)
  encoder/model.onnx   phoneme_ids int64 [1, N] → mu [1, 80, N], log_durations [1, N]
                       (log(1 + frames) per phoneme)
  decoder/model.onnx   sample [B, 80, T], timestep float32 [B], mu [B, 80, T] → out_sample (v)
  decoder/config.json  mel definition + the per-bin mean/std of the normalised log-mel
  tokenizer/phonemes.json  espeak-ng voice and arguments, stress marks, vocabulary
bench/tts/heldout.json + bench/tts/wav/<k>.wav: the first --bench held-out sentences
(text, phoneme tokens, espeak-ng durations in frames) and espeak-ng's renderings.
Also writes training/out/ref/tts.json (PyTorch reference I/O for check_onnx).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import argparse  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import shutil  # noqa: E402
import wave  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from export_onnx import _export, _ref, _write_json  # noqa: E402
import mel as M  # noqa: E402
from make_data import STRESS  # noqa: E402
from nets_tts import MelDecoder, PhonemeEncoder  # noqa: E402

TTS_OUT = os.path.join(common.OUT_DIR, 'tts')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ckpt', required=True)
    ap.add_argument('--out', default=os.path.join(common.MODELS_DIR, 'tts-espeak'))
    ap.add_argument('--bench', type=int, default=12)
    args = ap.parse_args()
    torch.manual_seed(0)
    st = torch.load(args.ckpt)
    meta = json.load(open(os.path.join(TTS_OUT, 'meta.json')))
    enc, dec = PhonemeEncoder(st['vocab']), MelDecoder()
    enc.load_state_dict(st['enc'])
    dec.load_state_dict(st['dec'])
    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    ids = torch.randint(1, st['vocab'], (1, 17))
    _export(enc, (ids,), os.path.join(out, 'encoder', 'model.onnx'), ['phoneme_ids'],
            ['mu', 'log_durations'], {'phoneme_ids': {1: 'phonemes'}, 'mu': {2: 'phonemes'},
                                      'log_durations': {1: 'phonemes'}})
    x, t, mu = torch.randn(2, 80, 40), torch.tensor([500.0, 20.0]), torch.randn(2, 80, 40)
    _export(dec, (x, t, mu), os.path.join(out, 'decoder', 'model.onnx'),
            ['sample', 'timestep', 'mu'], ['out_sample'],
            {'sample': {0: 'batch', 2: 'frames'}, 'timestep': {0: 'batch'},
             'mu': {0: 'batch', 2: 'frames'}, 'out_sample': {0: 'batch', 2: 'frames'}})
    with torch.no_grad():
        mu_ph, logd = enc(ids)
        eps = dec(x, t, mu)
    _ref('tts-encoder', {'phoneme_ids': ids}, {'mu': mu_ph, 'log_durations': logd})
    _ref('tts-decoder', {'sample': x, 'timestep': t, 'mu': mu}, {'out_sample': eps})
    _write_json(os.path.join(out, 'model_index.json'), {
        '_class_name': 'DiffierTextToSpeechPipeline', '_diffusers_version': '0.30.0',
        'scheduler': ['diffusers', 'DDIMScheduler'], 'encoder': ['diffier', 'PhonemeEncoder'],
        'decoder': ['diffier', 'MelDecoder'], 'tokenizer': ['diffier', 'EspeakPhonemes']})
    _write_json(os.path.join(out, 'scheduler', 'scheduler_config.json'), {
        '_class_name': 'DDIMScheduler', 'num_train_timesteps': 1000,
        'beta_schedule': 'squaredcos_cap_v2', 'beta_start': 0.0001, 'beta_end': 0.02,
        'prediction_type': 'v_prediction', 'timestep_spacing': 'trailing', 'steps_offset': 0,
        'set_alpha_to_one': True, 'clip_sample': False})
    _write_json(os.path.join(out, 'decoder', 'config.json'), {
        'mel': {'sample_rate': M.SR, 'n_fft': M.N_FFT, 'hop_length': M.HOP, 'n_mels': M.N_MELS,
                'fmin': M.FMIN, 'fmax': M.FMAX, 'log_floor': M.LOG_FLOOR,
                'mel_scale': 'slaney', 'norm': 'slaney', 'window': 'hann-periodic', 'center': True},
        'mel_mean': [float(v) for v in st['mean']], 'mel_std': [float(v) for v in st['std']],
        'null_condition': 'mu = 0', 'step': st['step']})
    _write_json(os.path.join(out, 'tokenizer', 'phonemes.json'), {
        'voice': 'en-us', 'espeak_args': ['-q', '-x', '--sep= '], 'stress_marks': STRESS,
        'clause_end': ['_:', '_'], 'vocab': meta['vocab']})
    # Held-out benchmark set.
    with open(os.path.join(TTS_OUT, 'data.pkl'), 'rb') as f:
        d = pickle.load(f)
    held = [k for k, s in enumerate(d['split']) if s == 1][:args.bench]
    bench_dir = os.path.join(common.REPO_ROOT, 'bench', 'tts')
    shutil.rmtree(bench_dir, ignore_errors=True)
    os.makedirs(os.path.join(bench_dir, 'wav'))
    items = []
    for j, k in enumerate(held):
        raw = np.fromfile(os.path.join(TTS_OUT, 'raw', f'{d["src"][k]}.raw'), dtype='<i2')
        with wave.open(os.path.join(bench_dir, 'wav', f'{j}.wav'), 'wb') as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(M.SR)
            w.writeframes(raw.tobytes())
        items.append({'text': meta['texts'][k], 'tokens': [meta['vocab'][i] for i in d['ids'][k]],
                      'durations': [int(v) for v in d['dur'][k]], 'wav': f'wav/{j}.wav'})
    _write_json(os.path.join(bench_dir, 'heldout.json'), {
        'about': 'held-out sentences of training/tts/make_data.py (never trained on): '
                 'espeak-ng phoneme tokens, durations in frames from its synthesis events, '
                 'and its rendering (16-bit mono 22050 Hz)', 'items': items})
    print(f'bench set: {len(items)} sentences, '
          f'{sum(sum(i["durations"]) for i in items) * M.HOP / M.SR:.1f} s of audio')


if __name__ == '__main__':
    main()
