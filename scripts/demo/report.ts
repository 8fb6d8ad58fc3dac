// Formatting for the demo's summary: thousands separators, units, aligned rows.

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function fmtMs(us: number): string {
  return us < 1000 ? `${us.toFixed(0)} µs` : `${(us / 1000).toFixed(2)} ms`;
}

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** The q-quantile of ascending `sorted` (nearest rank). */
export function quantile(sorted: Float32Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Rows of label, figure, note: labels left-aligned, figures right-aligned in one column. */
export function table(rows: Array<[string, string, string?]>, indent = '  '): string {
  const lw = Math.max(...rows.map((r) => r[0].length));
  const vw = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([l, v, note]) => `${indent}${l.padEnd(lw)}  ${v.padStart(vw)}${note ? `   ${note}` : ''}`).join('\n');
}

/** Bold on a TTY, plain otherwise. */
export function bold(s: string): string {
  return process.stdout.isTTY ? `\x1b[1m${s}\x1b[22m` : s;
}

export function dim(s: string): string {
  return process.stdout.isTTY ? `\x1b[2m${s}\x1b[22m` : s;
}
