/** Small DOM helpers shared by the two tabs. */
import { DiffierError } from '../src/core/errors.js';

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
}

export function inputValue(id: string): string {
  return byId<HTMLInputElement>(id).value;
}

/** The page's state, for people (styles) and for the end-to-end tests. */
export function setState(state: 'loading' | 'ready' | 'running' | 'done' | 'error'): void {
  document.body.dataset.state = state;
}

/** Library errors are the user's to fix: their message is shown as it is. */
export function errorText(err: unknown): string {
  if (err instanceof DiffierError) return `${err.message}`;
  return `unexpected error: ${(err as Error)?.message ?? String(err)}`;
}

export function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/**
 * Decimals for a column of numbers: none when all are integers, else enough for 4
 * significant digits of the largest (at most 6), so one column has one format.
 */
function columnDecimals(values: readonly unknown[]): number {
  const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (nums.every(Number.isInteger)) return 0;
  const largest = Math.max(...nums.map(Math.abs));
  return Math.min(6, Math.max(0, 3 - Math.floor(Math.log10(largest || 1))));
}

/**
 * A table of rows under a header: numbers with fixed decimals per column, and a figure that
 * does not apply (NaN: e.g. no gap measured) as "—".
 */
export function fillTable(table: HTMLTableElement, head: readonly string[], rows: unknown[][]) {
  const decimals = head.map((_, c) => columnDecimals(rows.map((r) => r[c])));
  const cell = (v: unknown, c: number) =>
    typeof v !== 'number' ? String(v) : Number.isNaN(v) ? '—' : v.toFixed(decimals[c]);
  table.replaceChildren();
  const tr = table.createTHead().insertRow();
  for (const h of head) tr.appendChild(document.createElement('th')).textContent = h;
  const body = table.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    r.forEach((v, c) => (row.insertCell().textContent = cell(v, c)));
  }
}

/** A range slider and a number field that show one value: editing either moves the other. */
export function linkSlider(rangeId: string, numberId: string): void {
  const range = byId<HTMLInputElement>(rangeId);
  const field = byId<HTMLInputElement>(numberId);
  range.addEventListener('input', () => (field.value = range.value));
  field.addEventListener('input', () => (range.value = field.value));
}
