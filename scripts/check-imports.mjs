// The import rule of src/ (docs/architecture.md): the folders form layers, and a module
// may import its own folder and the layers below it, never a layer above nor a folder of
// its own layer. Run by `npm run lint`; exits 1 and names every import that breaks the rule
// (and every folder that has no layer yet). core/ holds the contracts, the tensor and RNG
// they are written in and the typed errors: it imports nothing outside core/.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bottom to top. A name is a folder of src/ or a file directly in it. */
export const LAYERS = [
  ['core'],
  ['io', 'types'],
  ['schedules'],
  ['samplers', 'monitors', 'options', 'backends', 'audio', 'image'],
  ['guidance', 'transitions', 'models', 'plot'],
  ['methods', 'denoisers', 'tts', 'data'],
  ['eval', 'run'],
  ['pipelines'],
  ['bench'],
  ['web'],
  ['cli'],
  ['index.ts'],
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const layerOf = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.ts$/.test(e.name) ? [p] : [];
  });
}

/** The top-level unit of src/ a path belongs to: its first folder, or the file itself. */
const unitOf = (file) => relative(root, file).split(sep)[0];

/** Relative module specifiers of static imports, re-exports and dynamic imports. */
function specifiers(text) {
  const re = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
  return [...text.matchAll(re)].map((m) => m[2]);
}

const problems = [];
for (const file of sourceFiles(root)) {
  const unit = unitOf(file);
  const layer = layerOf.get(unit);
  if (layer === undefined) {
    problems.push(`src/${unit}: not in a layer of scripts/check-imports.mjs`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const spec of specifiers(text)) {
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    if (!target.startsWith(root + sep)) continue;
    const to = unitOf(target);
    if (to === unit) continue;
    const toLayer = layerOf.get(to);
    if (toLayer === undefined || toLayer >= layer) {
      const why = toLayer === undefined ? 'no layer' : toLayer > layer ? 'upward' : 'same layer';
      problems.push(`${relative(join(root, '..'), file)}: imports ${spec} (${why})`);
    }
  }
}
if (problems.length > 0) {
  console.error(
    `import rule (docs/architecture.md) broken:\n  ${[...new Set(problems)].join('\n  ')}`,
  );
  process.exit(1);
}
