// Crash-state explorer, step 3: from the operations, the states a power cut could leave.
// A cut after op `c` (0 … ops.length) keeps, for every file, what its last fsync/fdatasync
// before the cut made durable plus one of its variants (tearing.ts) for the writes since;
// for every directory, the entries its last fsync before the cut made durable plus a
// prefix, in program order, of the creates/renames/unlinks since (any prefix: none of
// them may have reached disk, or all). Every combination is a state; the ones built per
// cut are: every entity at its least and at its most, each variant of each entity with
// the others at their least and at their most, and `randomPerCut` random mixes.
import { createHash } from 'node:crypto';
import type { Op, OpsTrace } from './ops.js';
import { applyDataOp, fileVariants, variantContent, variantKey, type DataVariant } from './tearing.js';

/** One file or directory of a state, path relative to the root. */
export interface Entry {
  path: string;
  dir: boolean;
  data?: Buffer;
  /** A hard link: the path of the first entry of the same file. */
  link?: string;
}

/** How one state is made: the cut, and for each entity with pending operations, which variant. */
export interface Recipe {
  cut: number;
  /** dir inode → pending entry operations kept (a prefix). */
  dirs: Map<number, number>;
  /** file inode → variant. */
  files: Map<number, DataVariant>;
}

const ROOT = 0;

/** Largest element < x of an ascending array, or -1. */
function lastBelow(a: readonly number[] | undefined, x: number): number {
  if (!a) return -1;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? a[lo - 1]! : -1;
}

/** Number of elements < x of an ascending array. */
function countBelow(a: readonly number[] | undefined, x: number): number {
  if (!a) return 0;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class StateSpace {
  readonly ops: readonly Op[];
  readonly what: readonly string[];
  readonly #dirs: Set<number>;
  /** inode → indexes (into ops) of its writes/truncates. */
  readonly #data = new Map<number, number[]>();
  /** inode → indexes of fsync/fdatasync on it. */
  readonly #syncs = new Map<number, number[]>();
  /** dir inode → indexes of its entry operations. */
  readonly #entries = new Map<number, number[]>();
  readonly #contents = new Map<number, Buffer[]>();
  /** dir inode → its entries after its first N entry ops, for each N computed so far. */
  readonly #dirStates = new Map<number, Array<Map<string, { ino: number; dir: boolean }>>>();

  constructor(t: OpsTrace) {
    this.ops = t.ops;
    this.what = t.what;
    this.#dirs = t.dirs;
    const push = (m: Map<number, number[]>, k: number, i: number): void => {
      let a = m.get(k);
      if (!a) m.set(k, (a = []));
      a.push(i);
    };
    t.ops.forEach((op, i) => {
      if (op.k === 'write' || op.k === 'trunc') push(this.#data, op.ino, i);
      else if (op.k === 'sync') push(this.#syncs, op.ino, i);
      else if (op.k === 'link' || op.k === 'rename' || op.k === 'unlink') {
        push(this.#entries, op.dir, i);
      }
    });
  }

  /** Content of `ino` after its first `j` data operations. */
  contentAfter(ino: number, j: number): Buffer {
    let cache = this.#contents.get(ino);
    if (!cache) this.#contents.set(ino, (cache = [Buffer.alloc(0)]));
    const idx = this.#data.get(ino) ?? [];
    while (cache.length <= j) cache.push(applyDataOp(cache[cache.length - 1]!, this.ops[idx[cache.length - 1]!]!));
    return cache[j]!;
  }

  /** [durable data ops, data ops so far] of a file at a cut. */
  #fileSpan(ino: number, cut: number): [number, number] {
    const idx = this.#data.get(ino);
    const synced = lastBelow(this.#syncs.get(ino), cut);
    return [countBelow(idx, synced), countBelow(idx, cut)];
  }

  /** [durable entry ops, entry ops so far] of a directory at a cut. */
  #dirSpan(dir: number, cut: number): [number, number] {
    const idx = this.#entries.get(dir);
    const synced = lastBelow(this.#syncs.get(dir), cut);
    return [countBelow(idx, synced), countBelow(idx, cut)];
  }

  /** The entities with operations since their last barrier, and each one's choices. */
  pending(cut: number, maxHoles: number, rand: () => number): { dirs: Array<[number, number]>; files: Array<[number, DataVariant[]]> } {
    const dirs: Array<[number, number]> = [];
    for (const d of this.#entries.keys()) {
      const [a, b] = this.#dirSpan(d, cut);
      if (b > a) dirs.push([d, b - a]);
    }
    const files: Array<[number, DataVariant[]]> = [];
    for (const [ino, idx] of this.#data) {
      if (this.#dirs.has(ino)) continue;
      const [a, b] = this.#fileSpan(ino, cut);
      if (b > a) files.push([ino, fileVariants(idx.map((i) => this.ops[i]!), a, b, (j) => this.contentAfter(ino, j), maxHoles, rand)]);
    }
    return { dirs, files };
  }

  /** The files and directories of a state, sorted by path. */
  build(r: Recipe): Entry[] {
    const first = new Map<number, string>();
    return this.#tree(r).map((e): Entry => {
      if (e.dir) return { path: e.path, dir: true };
      const link = first.get(e.ino);
      if (link !== undefined) return { path: e.path, dir: false, data: this.#fileContent(e.ino, r), link };
      first.set(e.ino, e.path);
      return { path: e.path, dir: false, data: this.#fileContent(e.ino, r) };
    });
  }

  /** Entries of `dir` after its first `n` entry operations. */
  #dirAfter(dir: number, n: number): Map<string, { ino: number; dir: boolean }> {
    let cache = this.#dirStates.get(dir);
    if (!cache) this.#dirStates.set(dir, (cache = [new Map()]));
    const idx = this.#entries.get(dir) ?? [];
    while (cache.length <= n) {
      const i = idx[cache.length - 1]!;
      const op = this.ops[i]!;
      const m = new Map(cache[cache.length - 1]!);
      if (op.k === 'link') m.set(op.name, { ino: op.ino, dir: op.isDir });
      else if (op.k === 'rename') {
        const e = m.get(op.from);
        if (!e) throw new Error(`model error: rename of a missing entry (${this.what[i]})`);
        m.delete(op.from);
        m.set(op.to, e);
      } else if (op.k === 'unlink') {
        if (!m.delete(op.name)) throw new Error(`model error: unlink of a missing entry (${this.what[i]})`);
      }
      cache.push(m);
    }
    return cache[n]!;
  }

  /**
   * The namespace of a state: every path with its inode, sorted. A directory's entries depend
   * on its own operations only (a child directory's on its own), so each directory is its
   * first (durable + kept) operations applied.
   */
  #tree(r: Recipe): Array<{ path: string; dir: boolean; ino: number }> {
    const out: Array<{ path: string; dir: boolean; ino: number }> = [];
    const walk = (dir: number, prefix: string): void => {
      const [a, b] = this.#dirSpan(dir, r.cut);
      for (const [name, e] of this.#dirAfter(dir, a + Math.min(r.dirs.get(dir) ?? b - a, b - a))) {
        const path = prefix + name;
        out.push({ path, dir: e.dir, ino: e.ino });
        if (e.dir) walk(e.ino, `${path}/`);
      }
    };
    walk(ROOT, '');
    return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  }

  readonly #fileHashes = new Map<string, string>();

  readonly #stateHashes = new Map<string, string>();

  /**
   * The state's content hash without building it: the namespace, with each file's content
   * hash (cached per file variant), equal for equal bytes. Recipes of different cuts often
   * make the same choices (the same operations applied per directory, the same variant per
   * file): those are hashed once.
   */
  key(r: Recipe): string {
    const tree = this.#tree(r);
    let choice = '';
    for (const e of tree) {
      if (e.dir) choice += `d ${e.path}\n`;
      else {
        const [, b] = this.#fileSpan(e.ino, r.cut);
        choice += `f ${e.path} ${e.ino}:${variantKey(r.files.get(e.ino) ?? { j: b })}\n`;
      }
    }
    let hash = this.#stateHashes.get(choice);
    if (hash !== undefined) return hash;
    const h = createHash('sha1');
    const first = new Map<number, string>();
    for (const e of tree) {
      h.update(`${e.dir ? 'd' : 'f'} ${e.path}\0`);
      if (!e.dir) {
        const link = first.get(e.ino);
        if (link !== undefined) h.update(`link ${link}\0`);
        else first.set(e.ino, e.path);
        const [, b] = this.#fileSpan(e.ino, r.cut);
        const k = `${e.ino}:${variantKey(r.files.get(e.ino) ?? { j: b })}`;
        let fh = this.#fileHashes.get(k);
        if (fh === undefined) this.#fileHashes.set(k, (fh = createHash('sha1').update(this.#fileContent(e.ino, r)).digest('hex')));
        h.update(fh);
      }
    }
    hash = h.digest('hex');
    this.#stateHashes.set(choice, hash);
    return hash;
  }

  #fileContent(ino: number, r: Recipe): Buffer {
    const [a, b] = this.#fileSpan(ino, r.cut);
    const v = r.files.get(ino) ?? { j: b };
    if (v.j < a || v.j > b) throw new Error(`model error: variant ${variantKey(v)} outside ${a}..${b}`);
    return variantContent(this.contentAfter(ino, v.j), v);
  }

  /** Index of the op before the cut, described. */
  describeCut(cut: number): string {
    return cut === 0 ? 'before the first operation' : `after op ${cut - 1}: ${this.what[cut - 1]}`;
  }
}

/** A seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The recipes of one cut (see the file comment). */
export function recipesAt(space: StateSpace, cut: number, randomPerCut: number, maxHoles: number, rand: () => number): Recipe[] {
  const { dirs, files } = space.pending(cut, maxHoles, rand);
  const least = (): Recipe => ({ cut, dirs: new Map(dirs.map(([d]) => [d, 0])), files: new Map(files.map(([f, vs]) => [f, vs[0]!])) });
  const most = (): Recipe => ({ cut, dirs: new Map(), files: new Map() });
  const out: Recipe[] = [least(), most()];
  for (const [d, n] of dirs) {
    for (let k = 0; k <= n; k++) {
      const lo = least();
      lo.dirs.set(d, k);
      const hi = most();
      hi.dirs.set(d, k);
      out.push(lo, hi);
    }
  }
  for (const [f, vs] of files) {
    for (const v of vs) {
      const lo = least();
      lo.files.set(f, v);
      const hi = most();
      hi.files.set(f, v);
      out.push(lo, hi);
    }
  }
  if (dirs.length + files.length > 1) {
    for (let i = 0; i < randomPerCut; i++) {
      out.push({
        cut,
        dirs: new Map(dirs.map(([d, n]) => [d, Math.floor(rand() * (n + 1))])),
        files: new Map(files.map(([f, vs]) => [f, vs[Math.floor(rand() * vs.length)]!])),
      });
    }
  }
  return out;
}

export function describeRecipe(space: StateSpace, r: Recipe): string {
  const parts = [space.describeCut(r.cut)];
  for (const [d, k] of r.dirs) parts.push(`dir#${d} kept ${k} pending entries`);
  for (const [f, v] of r.files) if (v.len !== undefined || v.zero || true) parts.push(`file#${f} ${variantKey(v)}`);
  return parts.join('; ');
}
