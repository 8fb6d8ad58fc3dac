// Human sizes and durations for command-line options: `64MiB`, `1.5GB`, `512k`, `7d`, `1h30m`.
// Sizes follow GNU coreutils: a bare letter or `iB` is a power of 1024 (`512k`, `64MiB`),
// a letter with `B` a power of 1000 (`1.5GB`); a bare number is bytes. Durations add up
// `<number><unit>` parts with units ms, s, m, h, d, w; a bare number is seconds.

/** A size or duration that does not parse; `kind` says which one was expected. */
export class UnitParseError extends Error {
  override readonly name = 'UnitParseError';
  readonly code = 'EINVAL';
  constructor(readonly kind: 'size' | 'duration' | 'integer', readonly input: string, readonly reason: string) {
    super(`invalid ${kind} ${JSON.stringify(input)}: ${reason}`);
  }
}

const SIZE_POWERS: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };
const SIZE_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*([kmgtp]?)(i?b?)$/i;

/** Parses a size into whole bytes; a size that is not a whole number of bytes (`1.5`, `0.3k`) is an error. Throws UnitParseError. */
export function parseSize(input: string): number {
  const s = input.trim();
  const m = SIZE_RE.exec(s);
  if (!m) throw new UnitParseError('size', input, 'expected a number with an optional unit, like 512k, 64MiB or 1.5GB');
  const [, num, prefix, suffix] = m as unknown as [string, string, string, string];
  const power = SIZE_POWERS[prefix.toLowerCase()]!;
  const sfx = suffix.toLowerCase();
  if (sfx === 'i') throw new UnitParseError('size', input, `write ${prefix}iB, not ${prefix}i`);
  if (power === 0 && sfx === 'ib') throw new UnitParseError('size', input, 'iB needs a prefix, like KiB or MiB');
  const base = power > 0 && sfx === 'b' ? 1000 : 1024; // KB, MB, GB are SI; K, KiB, M, MiB binary
  // Exact decimal arithmetic: 1.1MB is 1100000 bytes, where floats say 1100000.0000000002.
  const [whole, frac = ''] = num.split('.') as [string, string?];
  const scaled = BigInt(`${whole}${frac}` || '0') * BigInt(base) ** BigInt(power);
  const scale = 10n ** BigInt(frac.length);
  if (scaled % scale !== 0n) throw new UnitParseError('size', input, 'not a whole number of bytes');
  const bytes = scaled / scale;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnitParseError('size', input, 'too large');
  return Number(bytes);
}

const DURATION_SECS: Record<string, number> = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86_400, w: 604_800 };
const PART_RE = /(\d+(?:\.\d+)?|\.\d+)\s*(ms|sec|min|[smhdw])/gy;

/** Parses a duration into seconds (may be fractional). Throws UnitParseError. */
export function parseDuration(input: string): number {
  const s = input.trim().toLowerCase();
  if (/^(\d+(?:\.\d+)?|\.\d+)$/.test(s)) return Number(s);
  let total = 0;
  let at = 0;
  PART_RE.lastIndex = 0;
  for (let m = PART_RE.exec(s); m; m = PART_RE.exec(s)) {
    total += Number(m[1]) * DURATION_SECS[m[2]!]!;
    at = PART_RE.lastIndex;
  }
  if (s.length === 0 || at !== s.length) {
    throw new UnitParseError('duration', input, 'expected a number with a unit, like 45s, 30m, 12h, 7d or 1h30m');
  }
  if (!Number.isFinite(total)) throw new UnitParseError('duration', input, 'too large');
  return total;
}

/** Parses a non-negative integer (a seq, a count). Throws UnitParseError. */
export function parseCount(input: string): number {
  const s = input.trim();
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new UnitParseError('integer', input, 'expected a whole number >= 0');
  return Number(s);
}

const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes for people: `512 B`, `1.5 KiB`, `64.0 MiB`. */
export function formatSize(bytes: number): string {
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < SIZE_UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(n)} B` : `${n.toFixed(1)} ${SIZE_UNITS[i]}`;
}

/**
 * A throughput for people from bytes and seconds: `412 MB/s`, `3.2 MB/s`, `86 kB/s`, `512 B/s`
 * (SI, like the MB/s of the bench tables). Small inputs get a small unit, never `0 MB/s`;
 * no measurable time gives `-`.
 */
export function formatRate(bytes: number, secs: number): string {
  if (!(secs > 0) || !Number.isFinite(bytes / secs)) return '-';
  const rate = bytes / secs;
  for (const [unit, size] of [['GB/s', 1e9], ['MB/s', 1e6], ['kB/s', 1e3]] as const) {
    if (rate >= size) {
      const n = rate / size;
      return `${n >= 100 ? n.toFixed(0) : n.toFixed(1)} ${unit}`;
    }
  }
  return `${Math.round(rate)} B/s`;
}

/** Seconds for people: `45s`, `30m`, `1h30m`, `7d`. */
export function formatDuration(secs: number): string {
  if (secs === 0) return '0s';
  if (secs < 1) return `${Math.round(secs * 1000)}ms`;
  const parts: string[] = [];
  let rest = Math.round(secs);
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.slice(0, 2).join('');
}
