/** Where the embedded models live: `models/mnist-t2i` and `models/mnist-sr` under the package root. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found by walking up from this file to the package.json named "diffier",
 * so the default model is found from any working directory and from src/ or dist/ alike.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'diffier'
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package root of diffier not found');
    dir = parent;
  }
}

export function embeddedModelDir(): string {
  return join(packageRoot(), 'models', 'mnist-t2i');
}

/** The embedded text-to-speech model: `models/tts-espeak`. */
export function embeddedTtsModelDir(): string {
  return join(packageRoot(), 'models', 'tts-espeak');
}

/** The embedded 4× super-resolution model (7×7 → 28×28 digits). */
export function embeddedUpscalerDir(): string {
  return join(packageRoot(), 'models', 'mnist-sr');
}

/** The version in the package's package.json (recorded in every recipe). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
