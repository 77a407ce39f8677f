/** PNG files of every kind the upscaler must accept or refuse, written for the tests. */
import { writeFile } from 'node:fs/promises';
import { crc32, deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';

/** An 8-bit PNG of colour type 0 (grey), 2 (RGB), 4 (grey + alpha) or 6 (RGBA), or 16-bit grey. */
export function pngBytes(
  width: number,
  height: number,
  kind: 'grey' | 'rgb' | 'grey-alpha' | 'rgba' | 'grey16',
  value = (x: number, y: number) => ((x * 37 + y * 11) % 256) / 255,
): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 4 * (y * width + x);
      const v = Math.round(value(x, y) * 255);
      png.data[o] = v;
      png.data[o + 1] = kind === 'rgb' || kind === 'rgba' ? 255 - v : v;
      png.data[o + 2] = v;
      png.data[o + 3] = kind.includes('alpha') || kind === 'rgba' ? 128 : 255;
    }
  }
  const colorType = { grey: 0, grey16: 0, rgb: 2, 'grey-alpha': 4, rgba: 6 }[kind];
  return PNG.sync.write(png, {
    colorType: colorType as 0 | 2 | 4 | 6,
    bitDepth: kind === 'grey16' ? 16 : 8,
  });
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A palette (colour type 3) PNG, which pngjs cannot write: built chunk by chunk. */
export function palettePngBytes(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // palette
  const plte = Buffer.from([0, 0, 0, 255, 255, 255]);
  const rows = Buffer.alloc(height * (width + 1)); // filter byte 0, index 0 everywhere
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', plte),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export async function writePng(path: string, bytes: Buffer): Promise<string> {
  await writeFile(path, bytes);
  return path;
}
