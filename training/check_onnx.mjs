// Load every exported model in onnxruntime-node, print its input/output metadata,
// and compare its outputs with the PyTorch reference written by export_onnx.py
// (training/out/ref/<name>.json).  Usage (from the repository root):
//
//     node training/check_onnx.mjs
//
// Exits non-zero if a model fails to load or differs by more than 1e-4.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const MODELS = {
  'mnist-t2i-text_encoder': 'models/mnist-t2i/text_encoder/model.onnx',
  'mnist-t2i-unet': 'models/mnist-t2i/unet/model.onnx',
  'mnist-sr-unet': 'models/mnist-sr/unet/model.onnx',
  'mnist-eval-classifier': 'models/mnist-eval/classifier.onnx',
  '2d-overlapping-mlp': 'bench/models/2d-overlapping-mlp.onnx',
  'tts-encoder': 'models/tts-espeak/encoder/model.onnx',
  'tts-decoder': 'models/tts-espeak/decoder/model.onnx',
};

function toTensor({ dtype, shape, data }) {
  if (dtype === 'int64')
    return new ort.Tensor('int64', BigInt64Array.from(data.map(BigInt)), shape);
  return new ort.Tensor('float32', Float32Array.from(data), shape);
}

let failed = false;
for (const [name, path] of Object.entries(MODELS)) {
  const refPath = `training/out/ref/${name}.json`;
  if (!existsSync(path)) {
    console.log(`${name}: ${path} missing, skipped`);
    continue;
  }
  const session = await ort.InferenceSession.create(path);
  const fmt = (m) => m.map((x) => `${x.name}:${x.type}[${x.shape.join(',')}]`).join(' ');
  console.log(`${name}: in ${fmt(session.inputMetadata)} -> out ${fmt(session.outputMetadata)}`);
  if (!existsSync(refPath)) continue;
  const ref = JSON.parse(readFileSync(refPath, 'utf8'));
  const feeds = Object.fromEntries(Object.entries(ref.inputs).map(([k, v]) => [k, toTensor(v)]));
  const out = await session.run(feeds);
  for (const [k, v] of Object.entries(ref.outputs)) {
    let maxDiff = 0;
    out[k].data.forEach((x, i) => (maxDiff = Math.max(maxDiff, Math.abs(x - v.data[i]))));
    const ok = maxDiff < 1e-4 && out[k].dims.join() === v.shape.join();
    if (!ok) failed = true;
    console.log(
      `  ${k} [${out[k].dims}] max |ort - torch| = ${maxDiff.toExponential(2)} ${ok ? 'ok' : 'FAIL'}`,
    );
  }
}
process.exit(failed ? 1 : 0);
