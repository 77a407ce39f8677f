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
 * A table of rows under a header; numbers shown with 4 significant digits, and a figure
 * that does not apply (NaN: e.g. no gap measured) as "—".
 */
export function fillTable(table: HTMLTableElement, head: readonly string[], rows: unknown[][]) {
  const cell = (v: unknown) =>
    typeof v !== 'number'
      ? String(v)
      : Number.isNaN(v)
        ? '—'
        : Number.isInteger(v)
          ? String(v)
          : v.toPrecision(4);
  table.replaceChildren();
  const tr = table.createTHead().insertRow();
  for (const h of head) tr.appendChild(document.createElement('th')).textContent = h;
  const body = table.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    for (const v of r) row.insertCell().textContent = cell(v);
  }
}

/** A range slider and a number field that show one value: editing either moves the other. */
export function linkSlider(rangeId: string, numberId: string): void {
  const range = byId<HTMLInputElement>(rangeId);
  const field = byId<HTMLInputElement>(numberId);
  range.addEventListener('input', () => (field.value = range.value));
  field.addEventListener('input', () => (range.value = field.value));
}
