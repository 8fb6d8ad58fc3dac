// Small text helpers for the commands' human output: aligned label/value rows, numbers
// with separators, UTC times, paths shown relative to the WAL's directory.
import { basename } from 'node:path';

export const fmtInt = (n: number): string => n.toLocaleString('en-US');

/** `2024-05-15 20:53:20Z` for Unix seconds. */
export function fmtTime(ts: number): string {
  return new Date(ts * 1000).toISOString().replace('T', ' ').replace('.000Z', 'Z');
}

/** A segment's file name: the WAL's directory is printed once, at the top. */
export const segName = (file: string): string => basename(file);

/** Label/value rows with the labels padded to one width. */
export function rows(items: Array<[string, string]>, indent = ''): string {
  const width = Math.max(0, ...items.map(([l]) => l.length));
  return items.map(([l, v]) => `${indent}${l.padEnd(width)}  ${v}`).join('\n');
}

/** A table; `align` has 'l' or 'r' per column ('l' past its end). */
export function table(lines: string[][], align = '', indent = '  '): string {
  const widths: number[] = [];
  for (const line of lines) line.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return lines
    .map((line) => indent + line.map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

/** For JSON output: `null` where the library says "none" with -1 (no seq, no event). */
export const orNull = (n: number): number | null => (n < 0 ? null : n);

/** A segment report with `null` seqs when it holds no event. */
export function segmentJson<S extends { firstSeq: number; lastSeq: number }>(s: S): Omit<S, 'firstSeq' | 'lastSeq'> & { firstSeq: number | null; lastSeq: number | null } {
  return { ...s, firstSeq: orNull(s.firstSeq), lastSeq: orNull(s.lastSeq) };
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${fmtInt(n)} ${n === 1 ? one : many}`;
