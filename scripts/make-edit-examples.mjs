// The example inputs of docs/editing.md: examples/seven.png (the embedded model's "a thick
// seven", seed 0, 30 DDIM steps, CFG w = 3) and examples/mask-top.png (white = repaint
// the top half). Run from the repository root after `npm run build`.
import { writeFileSync } from 'node:fs';
import { loadTextToImageModel, textToImage, gridPng } from '../dist/src/index.js';
import { Tensor } from '../dist/src/core/tensor.js';
const model = await loadTextToImageModel('models/mnist-t2i', { warn: () => {} });
const r = await textToImage(model, {
  prompt: 'a thick seven',
  n: 1,
  seed: 0,
  steps: 30,
  warn: () => {},
});
writeFileSync('examples/seven.png', gridPng([r.images], { scale: 1, gap: 0 }));
const m = new Float32Array(28 * 28);
for (let y = 0; y < 14; y++) for (let x = 0; x < 28; x++) m[y * 28 + x] = 1;
writeFileSync(
  'examples/mask-top.png',
  gridPng([new Tensor(m, [1, 1, 28, 28])], { scale: 1, gap: 0 }),
);
await model.release();
