// How a pino line becomes a threadwal record, shared by the destination (pino.ts) and the
// transport target (pino-transport.ts): the line is kept verbatim as `output`, and the
// record's head (ts, type, job_id, error) comes from pino's metadata when it is there
// (free: pino sets it before each write) or from one JSON.parse of the line when not.
import { idInChindings } from './chindings.js';

/** pino's standard levels; custom ones arrive in the PINO_CONFIG message. */
export const PINO_LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** What the PINO_CONFIG message pino sends a destination holds (pino.js: stream.emit('message', …)). */
export interface PinoConfig {
  levels?: { labels?: Record<string, string>; values?: Record<string, number> };
  errorKey?: string;
}

/** The head of a pino record, reused per write (writeBody reads it synchronously). */
export type RecordHead = {
  ts: number;
  type: string;
  job_id: string;
  error: string | undefined;
};

export interface Levels {
  labels: Map<number, string>;
  values: Map<string, number>;
}

export function defaultLevels(): Levels {
  const labels = new Map<number, string>();
  const values = new Map<string, number>();
  for (const [k, v] of Object.entries(PINO_LEVELS)) {
    labels.set(v, k);
    values.set(k, v);
  }
  return { labels, values };
}

/** Adds custom levels from a PINO_CONFIG message. */
export function applyConfig(levels: Levels, config: PinoConfig | undefined): void {
  const l = config?.levels;
  if (!l) return;
  for (const [n, label] of Object.entries(l.labels ?? {})) if (typeof label === 'string' && label) levels.labels.set(Number(n), label);
  for (const [label, n] of Object.entries(l.values ?? {})) if (typeof n === 'number') levels.values.set(label, n);
}

/** The level label, or the number as a string for a level nobody named. */
export function labelOf(levels: Levels, level: number): string {
  return levels.labels.get(level) ?? String(level);
}

/** Unix seconds from pino's time: epoch ms (the default) or a quoted ISO string; else now. */
export function secondsOf(time: unknown): number {
  if (time === '' || time === undefined) return Math.floor(Date.now() / 1000); // timestamp: false
  if (typeof time === 'number') return time > 0 ? Math.floor(time / 1000) : Math.floor(Date.now() / 1000);
  if (typeof time === 'string' && time.length > 0) {
    const ms = time.charCodeAt(0) === 0x22 ? Date.parse(time.slice(1, -1)) : +time;
    if (ms > 0) return Math.floor(ms / 1000);
    const iso = Date.parse(time);
    if (iso > 0) return Math.floor(iso / 1000);
  }
  return Math.floor(Date.now() / 1000);
}

/** A string or number under `key` of `obj`, as a non-empty string, else undefined. */
export function idIn(obj: unknown, key: string): string | undefined {
  if (obj === null || typeof obj !== 'object') return undefined;
  const v = (obj as Record<string, unknown>)[key];
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** err.message of the error under `errorKey`, when it has one. */
export function errorMessageOf(obj: unknown, errorKey: string): string | undefined {
  if (obj === null || typeof obj !== 'object') return undefined;
  const e = (obj as Record<string, unknown>)[errorKey];
  if (e === null || typeof e !== 'object') return undefined;
  const m = (e as { message?: unknown }).message;
  return typeof m === 'string' ? m : undefined;
}

interface PinoLoggerLike {
  bindings?: () => Record<string, unknown>;
}

/**
 * job_id from a logger's bindings (`key`, else `name`, else "pino"). pino keeps a logger's
 * bindings as a JSON fragment (its chindings string, a child's including its parent's) that
 * bindings() parses. A web server makes a child per request (Fastify's reqId), so a cache by
 * logger object (or by that string) misses on every request: instead the id is read from the
 * string itself (chindings.ts), with no parse when neither key is in it (a key that is bound
 * is in it verbatim, `"job_id":`), and remembered for the next line of the same logger. A
 * logger without a chindings string is cached per instance.
 */
export class BindingsCache {
  readonly #key: string;
  readonly #keyNeedle: string;
  readonly #byLogger = new WeakMap<object, string>();
  #lastCh = '';
  #lastId = 'pino';
  #chSym: symbol | null | undefined;

  constructor(key: string) {
    this.#key = key;
    this.#keyNeedle = `${JSON.stringify(key)}:`;
  }

  #chindingsSymbol(logger: object): symbol | null {
    for (let o: object | null = logger; o !== null; o = Object.getPrototypeOf(o) as object | null) {
      for (const s of Object.getOwnPropertySymbols(o)) if (s.description === 'pino.chindings') return s;
    }
    return null;
  }

  idOf(logger: unknown): string {
    if (logger === null || typeof logger !== 'object') return 'pino';
    if (this.#chSym === undefined) this.#chSym = this.#chindingsSymbol(logger);
    const ch = this.#chSym ? (logger as Record<symbol, unknown>)[this.#chSym] : undefined;
    if (typeof ch !== 'string') {
      let id = this.#byLogger.get(logger);
      if (id === undefined) this.#byLogger.set(logger, (id = this.#parse(logger)));
      return id;
    }
    if (ch === this.#lastCh) return this.#lastId;
    let id = 'pino';
    const hasKey = ch.indexOf(this.#keyNeedle) !== -1;
    const hasName = ch.indexOf('"name":') !== -1;
    if (hasKey || hasName) {
      let v = hasKey ? idInChindings(ch, this.#key) : undefined;
      if (v === undefined && hasName) v = idInChindings(ch, 'name');
      id = v === null ? this.#parse(logger) : (v ?? 'pino'); // null: not the chindings pino writes, so ask pino
    }
    this.#lastCh = ch;
    this.#lastId = id;
    return id;
  }

  #parse(logger: object): string {
    try {
      const b = (logger as PinoLoggerLike).bindings?.();
      return idIn(b, this.#key) ?? idIn(b, 'name') ?? 'pino';
    } catch {
      return 'pino'; // not a pino logger after all
    }
  }
}

/** Whether a line looks like one JSON object (`{…}`, before an optional final `\n` or `\r\n`). The body writer checks the rest. */
export function looksLikeObject(line: string): boolean {
  let n = line.length;
  if (n > 0 && line.charCodeAt(n - 1) === 0x0a) n--;
  if (n > 0 && line.charCodeAt(n - 1) === 0x0d) n--;
  return n >= 2 && line.charCodeAt(0) === 0x7b && line.charCodeAt(n - 1) === 0x7d;
}

/** The line without its final `\n` (or `\r\n`). */
export function stripEol(line: string): string {
  let n = line.length;
  if (n > 0 && line.charCodeAt(n - 1) === 0x0a) n--;
  if (n > 0 && line.charCodeAt(n - 1) === 0x0d) n--;
  return n === line.length ? line : line.slice(0, n);
}
