// A fixed-width text table (the sub-tables that a group prints under the main one).

/** Columns whose index is in `right` are right-aligned; the last column is never padded. */
export function textTable(header: string[], rows: string[][], right: ReadonlySet<number>): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const fmt = (row: string[]): string =>
    row.map((cell, c) => (c === row.length - 1 ? cell : right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  const rule = widths.map((w, c) => '-'.repeat(c === widths.length - 1 ? Math.min(w, 40) : w)).join('  ');
  return [fmt(header), rule, ...rows.map(fmt)].join('\n');
}

/** The median of some numbers (undefined for none). */
export function median(xs: readonly number[]): number | undefined {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1]! + s[m]!) / 2;
}
