/**
 * The CLI's plain-text tables. Every column says how its numbers are written (a fixed
 * number of decimals, an integer, or scientific notation for the whole column), so one
 * column never mixes `1.5000` and `1`; a cell that does not apply (null, undefined, NaN)
 * is written `—`. Headers may take two lines ("guided\nenergy") so that spelled-out names
 * fit: every table the CLI prints must fit TABLE_WIDTH columns (a test runs every
 * command and checks), wider data going only to the JSON.
 */

/** How a column writes its numbers. */
export type CellFormat =
  /** Strings as they are, left-aligned; at most `maxWidth` characters (then cut with …). */
  | { readonly text: true; readonly maxWidth?: number }
  /** Rounded to an integer. */
  | 'integer'
  /** Exactly this many decimals. */
  | { readonly decimals: number }
  /** d.dde±x for every number of the column (figures that span decades). */
  | 'scientific';

export interface Column {
  /** The column's name; a "\n" splits it over two header lines. */
  readonly header: string;
  readonly format: CellFormat;
}

export type Cell = string | number | null | undefined;

/** The widest a printed table may be (a 100-column terminal). */
export const TABLE_WIDTH = 100;

/** What a cell that does not apply shows. */
export const NOT_APPLICABLE = '—';

const DEFAULT_TEXT_WIDTH = 16;
const GUTTER = '  ';

/** Shorthands for the column formats. */
export const text = (header: string, maxWidth = DEFAULT_TEXT_WIDTH): Column => ({
  header,
  format: { text: true, maxWidth },
});
export const integer = (header: string): Column => ({ header, format: 'integer' });
export const fixed = (header: string, decimals: number): Column => ({
  header,
  format: { decimals },
});
export const scientific = (header: string): Column => ({ header, format: 'scientific' });

/** One cell as its column writes it. */
export function formatCell(value: Cell, format: CellFormat): string {
  if (value === null || value === undefined || value === '') return NOT_APPLICABLE;
  if (typeof value === 'string') {
    const max = typeof format === 'object' && 'text' in format ? format.maxWidth : undefined;
    return max !== undefined && value.length > max ? `${value.slice(0, max - 1)}…` : value;
  }
  if (!Number.isFinite(value)) return NOT_APPLICABLE;
  if (format === 'integer') return Math.round(value).toFixed(0);
  if (format === 'scientific') return value.toExponential(2);
  if ('decimals' in format) return value.toFixed(format.decimals);
  return String(value);
}

/** What is printed around a table, each wrapped at TABLE_WIDTH. */
export interface TableText {
  /** Above the table: what was run. */
  readonly title?: readonly string[];
  /** Under the table: what a figure means, where the columns that did not fit went. */
  readonly notes?: readonly string[];
}

/**
 * The table: headers (one or two lines), a rule, then the rows; text columns left-aligned,
 * numbers right-aligned.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly Cell[])[],
  { title = [], notes = [] }: TableText = {},
): string {
  for (const r of rows) {
    if (r.length !== columns.length)
      throw new Error(`table row has ${r.length} cells for ${columns.length} columns`);
  }
  const cells = rows.map((r) => r.map((c, i) => formatCell(c, columns[i].format)));
  const headerLines = columns.map((c) => c.header.split('\n'));
  const depth = Math.max(...headerLines.map((h) => h.length));
  const widths = columns.map((_, i) =>
    Math.max(...headerLines[i].map((h) => h.length), ...cells.map((r) => r[i].length)),
  );
  const left = columns.map((c) => typeof c.format === 'object' && 'text' in c.format);
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (left[i] ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join(GUTTER)
      .trimEnd();
  const header = Array.from({ length: depth }, (_, k) =>
    // Bottom-aligned: a one-line header sits on the last header line.
    line(headerLines.map((h) => h[k - (depth - h.length)] ?? '')),
  );
  return [
    ...title.flatMap((t) => wrap(t)),
    ...header,
    widths.map((w) => '-'.repeat(w)).join(GUTTER),
    ...cells.map(line),
    ...notes.flatMap((t) => wrap(t)),
  ].join('\n');
}

/** `text` broken at spaces into lines of at most `width` characters (a longer word stays whole). */
export function wrap(text: string, width = TABLE_WIDTH): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let current = '';
    for (const word of paragraph.split(' ')) {
      if (current !== '' && current.length + 1 + word.length > width) {
        lines.push(current);
        current = word;
      } else current = current === '' ? word : `${current} ${word}`;
    }
    lines.push(current);
  }
  return lines;
}

/** A figure in running text, with the decimals its column would use. */
export function formatFigure(value: number | null | undefined, decimals: number): string {
  return formatCell(value, { decimals });
}
