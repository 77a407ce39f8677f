// Issue 15's goals, checked on the scoreboard's JSON files (bench/lab/scoreboard.sh):
// prints one markdown table per task. usage: node bench/lab/checks.mjs [RESULTS_DIR]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'docs/results';
const load = (f) =>
  existsSync(join(dir, f)) ? JSON.parse(readFileSync(join(dir, f), 'utf8')) : null;
const fmt = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(d));

function spearman(a, b) {
  const rank = (v) => {
    const idx = v.map((x, i) => [x, i]).sort((p, q) => p[0] - q[0]);
    const r = new Array(v.length);
    for (let i = 0; i < idx.length;) {
      let j = i;
      while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
      for (let k = i; k <= j; k++) r[idx[k][1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const m = (v) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = m(ra);
  const mb = m(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

const rows = (runs, method) => runs.filter((r) => r.method === method);
const range = (v) => Math.max(...v) - Math.min(...v);

/** The checks every task shares: sensitivity, the knob, the gap and its ranking of CFG. */
function common(runs, quality, lowerIsBetter, adherence) {
  const out = [];
  const inRange = (r) => r.w >= 2 && r.w <= 7.5;
  const d = rows(runs, 'diffier').filter(inRange);
  const c = rows(runs, 'cfg').filter(inRange);
  const dr = range(d.map(quality));
  const cr = range(c.map(quality));
  out.push([
    'sensitivity: range of quality over w ∈ [2, 7.5] ≤ ⅓ of CFG’s',
    `${fmt(dr)} vs ${fmt(cr)} (${fmt(dr / cr)}×)`,
    dr <= cr / 3,
  ]);
  if (adherence) {
    const a = rows(runs, 'diffier')
      .sort((p, q) => p.w - q.w)
      .map(adherence);
    // Mixture adherence is a mean posterior probability: 0.001 is below its sampling noise.
    const monotone = a.every((v, i) => i === 0 || v >= a[i - 1] - 1e-3);
    const maxC = Math.max(...rows(runs, 'cfg').map(adherence));
    out.push([
      'adherence never falls as w rises (within 0.001)',
      a.map((v) => fmt(v, 4)).join(' → '),
      monotone,
    ]);
    out.push([
      'adherence reaches CFG’s (within 0.001)',
      `${fmt(Math.max(...a), 4)} vs ${fmt(maxC, 4)}`,
      Math.max(...a) >= maxC - 1e-3,
    ]);
  }
  const guided = rows(runs, 'cfg').filter((r) => r.w > 1);
  const lower = guided.map((cr_) => {
    const dd = rows(runs, 'diffier').find((r) => r.w === cr_.w);
    return [cr_.w, dd?.metrics.training, cr_.metrics.training];
  });
  out.push([
    'headline gap lower than CFG’s at every w > 1',
    lower.map(([w, a, b]) => `w ${w}: ${fmt(a, 3)} vs ${fmt(b, 3)}`).join('; '),
    lower.every(([, a, b]) => a < b),
  ]);
  const cfgAll = rows(runs, 'cfg').sort((p, q) => p.w - q.w);
  const rho = spearman(
    cfgAll.map((r) => r.metrics.training),
    cfgAll.map(quality),
  );
  out.push([
    'CFG’s accumulated gap over w ranks its quality (abs. Spearman ≥ 0.8)',
    fmt(rho),
    Math.abs(rho) >= 0.8,
  ]);
  void lowerIsBetter;
  return out;
}

function table(title, checks) {
  console.log(`\n**${title}**\n`);
  console.log('| goal | measured | met |');
  console.log('| --- | --- | --- |');
  for (const [g, m, ok] of checks) console.log(`| ${g} | ${m} | ${ok ? 'yes' : '**no**'} |`);
}

for (const [file, label] of [
  ['t2i/bench-seed0.json', 'text-to-image (10 digits × 24 images, NFE 60, seed 0)'],
  ['t2i/bench-seed1.json', 'text-to-image, second seed (the methods run there)'],
]) {
  const t2i = load(file);
  if (!t2i) continue;
  const runs = t2i.runs;
  const fid = (r) => r.metrics.fid;
  const adh = (r) => r.metrics.adherence;
  const peers = runs.filter((r) => r.method !== 'diffier' && [2, 3, 5].includes(r.w));
  const d = rows(runs, 'diffier');
  const undominated = peers.filter(
    (p) => !d.some((x) => adh(x) >= adh(p) - 0.01 && fid(x) <= fid(p)),
  );
  const best = (rs) => Math.min(...rs.filter((r) => adh(r) >= 0.99).map(fid));
  const dBest = best(d);
  const pBest = best(runs.filter((r) => r.method !== 'diffier'));
  table(label, [
    [
      'every peer point at w 2/3/5 dominated by a DiffIER point (adherence ≥ peer − 0.01, FID ≤ peer)',
      undominated.length
        ? `not dominated: ${undominated.map((p) => `${p.method} w ${p.w} (${fmt(fid(p))} / ${fmt(adh(p), 3)})`).join(', ')}`
        : `all ${peers.length}`,
      undominated.length === 0,
    ],
    [
      'at adherence ≥ 0.99: DiffIER’s best FID ≤ 0.85 × the best peer’s',
      `${fmt(dBest)} vs ${fmt(pBest)} (${fmt(dBest / pBest)}×)`,
      dBest <= 0.85 * pBest,
    ],
    ...common(runs, fid, true, adh),
  ]);
}

const sr = load('sr/bench-seed0.json');
if (sr) {
  const runs = sr.runs;
  const psnr = (r) => r.metrics.psnr;
  const peersR = runs.filter((r) => r.method !== 'diffier');
  const bestPeer = peersR.reduce((a, b) => (psnr(b) > psnr(a) ? b : a));
  const bestD = rows(runs, 'diffier').reduce((a, b) => (psnr(b) > psnr(a) ? b : a));
  table('super-resolution (100 held-out inputs, NFE 60, seed 0)', [
    [
      'DiffIER’s best PSNR ≥ the best peer’s, FID no worse',
      `${fmt(psnr(bestD))} dB (w ${bestD.w}, FID ${fmt(bestD.metrics.fid)}) vs ${bestPeer.method} w ${bestPeer.w}: ${fmt(psnr(bestPeer))} dB (FID ${fmt(bestPeer.metrics.fid)})`,
      psnr(bestD) >= psnr(bestPeer) && bestD.metrics.fid <= bestPeer.metrics.fid,
    ],
    ...common(runs, psnr, false, (r) => r.metrics.digitAccuracy),
  ]);
}

const tts = load('tts/bench.json');
if (tts) {
  const runs = tts.runs;
  const mcd = (r) => r.metrics.mcd;
  const bestPeer = runs
    .filter((r) => r.method !== 'diffier')
    .reduce((a, b) => (mcd(b) < mcd(a) ? b : a));
  const bestD = rows(runs, 'diffier').reduce((a, b) => (mcd(b) < mcd(a) ? b : a));
  table('text-to-speech (12 held-out sentences, NFE 30)', [
    [
      'DiffIER’s best MCD ≤ the best peer’s',
      `${fmt(mcd(bestD))} dB (w ${bestD.w}) vs ${bestPeer.method} w ${bestPeer.w}: ${fmt(mcd(bestPeer))} dB`,
      mcd(bestD) <= mcd(bestPeer),
    ],
    ...common(runs, mcd, true, null),
  ]);
}

for (const p of ['2d-separated', '2d-overlapping', '32d', '2d-three-class', '16d']) {
  const g = load(`gmm/${p}.json`);
  if (!g) continue;
  const runs = g.runs;
  const fid = (r) => r.metrics.guidedEnergy;
  const meanFid = (m) => {
    const rs = rows(runs, m).filter((r) => [2, 3, 5].includes(r.w));
    return rs.reduce((s, r) => s + fid(r), 0) / rs.length;
  };
  const methods = [...new Set(runs.map((r) => r.method))].filter((m) => m !== 'diffier');
  const bestPeer = methods.reduce((a, b) => (meanFid(b) < meanFid(a) ? b : a));
  const finite = runs.filter(
    (r) => Number.isFinite(r.metrics.training) && Number.isFinite(r.metrics.trueGap),
  );
  const rhoAll = spearman(
    finite.map((r) => r.metrics.training),
    finite.map((r) => r.metrics.trueGap),
  );
  table(`mixture ${p} (1,500 samples, NFE 100)`, [
    [
      'fidelity (energy to π₀ʷ, mean over w 2, 3, 5) ≤ 0.5 × the best peer’s',
      `${fmt(meanFid('diffier'), 4)} vs ${bestPeer} ${fmt(meanFid(bestPeer), 4)}`,
      meanFid('diffier') <= 0.5 * meanFid(bestPeer),
    ],
    [
      'the headline gap agrees in rank with the true gap over w and methods',
      `Spearman ${fmt(rhoAll)} over ${finite.length} runs`,
      rhoAll >= 0.8,
    ],
    ...common(runs, fid, true, (r) => r.metrics.adherence),
  ]);
}
