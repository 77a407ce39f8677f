// Summarises bench/run-sampler-table.sh's JSON files into one markdown table per benchmark:
// per sampler, CFG and DiffIER side by side (steps/NFE, the benchmark's quality measures, the
// training gap). usage: node bench/sampler-table.mjs [DIR]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'bench/results/samplers';
const SAMPLERS = ['ddim', 'ddpm', 'euler', 'euler-a', 'dpmpp-2m', 'dpmpp-2m-sde'];
const NEW = ['heun', 'dpmpp-sde', 'unipc', 'lms', 'lcm'];
/** Per benchmark: the measures shown (key in `metrics`, heading, digits). */
const MEASURES = {
  gmm: [
    ['energy', 'energy ↓', 4],
    ['precision', 'prec ↑', 3],
    ['recall', 'recall ↑', 3],
    ['adherence', 'adher ↑', 3],
    ['trueGap', 'true gap ↓', 4],
  ],
  t2i: [
    ['fid', 'FID ↓', 1],
    ['adherence', 'digit ↑', 3],
    ['gap', 'gap ↓', 3],
  ],
  sr: [
    ['psnr', 'PSNR ↑', 2],
    ['fid', 'FID ↓', 1],
    ['digitAccuracy', 'digit ↑', 3],
    ['gap', 'gap ↓', 2],
  ],
  tts: [
    ['mcd', 'MCD ↓', 2],
    ['sc', 'SC ↓', 3],
    ['gap', 'gap ↓', 2],
  ],
};

const fmt = (v, d) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(d));

for (const [bench, measures] of Object.entries(MEASURES)) {
  const head = [
    'sampler',
    'steps (cfg / diffier)',
    'NFE',
    ...measures.map((m) => `${m[1]} cfg / diffier`),
  ];
  const rows = [];
  for (const s of [...SAMPLERS, ...NEW]) {
    const file = join(dir, `${bench}-${s}.json`);
    if (!existsSync(file)) {
      rows.push([s, 'not run']);
      continue;
    }
    const runs = JSON.parse(readFileSync(file, 'utf8')).runs;
    const c = runs.find((r) => r.method === 'cfg');
    const d = runs.find((r) => r.method === 'diffier');
    rows.push([
      NEW.includes(s) ? `**${s}**` : s,
      `${c.steps} / ${d.steps}`,
      `${c.nfe} / ${d.nfe}`,
      ...measures.map(([k, , n]) => `${fmt(c.metrics[k], n)} / ${fmt(d.metrics[k], n)}`),
    ]);
  }
  console.log(`\n**bench ${bench}**\n`);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`| ${head.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}
