// Low-resolution example inputs for `diffier upscale`: held-out MNIST digits (the last 100
// images of each digit's file, never trained on) reduced 4× by 4×4 block means to 7×7,
// written as 8-bit greyscale PNGs in examples/.
//
//     node scripts/make-sr-examples.mjs
import { Buffer } from 'node:buffer';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const require = createRequire(import.meta.url);
const digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples');
mkdirSync(out, { recursive: true });

for (const [digit, fromEnd] of [
  [7, 1],
  [3, 1],
]) {
  const data = JSON.parse(readFileSync(join(digitsDir, `${digit}.json`), 'utf8')).data;
  const count = data.length / 784;
  const index = count - fromEnd;
  const image = data.slice(index * 784, (index + 1) * 784);
  const png = new PNG({ width: 7, height: 7, colorType: 0, inputColorType: 0, bitDepth: 8 });
  const grey = Buffer.alloc(49);
  for (let y = 0; y < 7; y++) {
    for (let x = 0; x < 7; x++) {
      let sum = 0;
      for (let dy = 0; dy < 4; dy++)
        for (let dx = 0; dx < 4; dx++) sum += image[(4 * y + dy) * 28 + 4 * x + dx];
      grey[y * 7 + x] = Math.round((sum / 16) * 255);
    }
  }
  png.data = grey;
  const file = join(out, `lowres-${digit}.png`);
  writeFileSync(file, PNG.sync.write(png, { colorType: 0, inputColorType: 0 }));
  console.log(`wrote ${file} (digit ${digit}, held-out image ${index} of ${count})`);
}
