// Crash-state explorer: what must hold in the states of a cut, from the workload's markers
// (workloads/markers.ts). An event acked before the cut must be present at its seq with its
// content, unless the workload deleted it on purpose: the first `floor` marker after the
// cut is the lowest seq the live log still held once the deleting operation in flight at
// the cut (if any) had finished, and a crash cannot delete more than finishing would have.
// A state reached from several cuts (the same bytes) must satisfy all of them.
import type { Op } from './ops.js';

export interface Expectation {
  /** seq → job_id of every acked event the state must hold. */
  required: Array<[number, string]>;
  /** The highest seq ever acked before the cut (deleted or not): the next append must get more. */
  maxAcked: number;
  /** cursor → the seq its last returned commit stored. */
  commits: Array<[string, number]>;
  /** ship checkpoint name → the ackedSeq of its last returned commit. */
  checkpoints: Array<[string, number]>;
}

export class Markers {
  readonly #acks: Array<[number, number, string]> = [];
  readonly #floors: Array<[number, number]> = [];
  readonly #commits: Array<[number, string, number]> = [];
  readonly #checkpoints: Array<[number, string, number]> = [];
  /** Every cursor and checkpoint name the workload committed. */
  readonly cursors = new Set<string>();
  readonly checkpointNames = new Set<string>();

  constructor(ops: readonly Op[]) {
    ops.forEach((op, i) => {
      if (op.k !== 'marker') return;
      const [kind, a, b] = op.text.split(' ');
      if (kind === 'ack') this.#acks.push([i, Number(a), b!]);
      else if (kind === 'floor') this.#floors.push([i, a === 'all' ? Infinity : Number(a)]);
      else if (kind === 'commit') {
        this.#commits.push([i, a!, Number(b)]);
        this.cursors.add(a!);
      } else if (kind === 'checkpoint') {
        this.#checkpoints.push([i, a!, Number(b)]);
        this.checkpointNames.add(a!);
      } else throw new Error(`unknown marker ${op.text}`);
    });
  }

  get acks(): number {
    return this.#acks.length;
  }

  #floorAt(cut: number): number {
    for (const [i, f] of this.#floors) if (i >= cut) return f;
    return this.#floors.length ? this.#floors[this.#floors.length - 1]![1] : -Infinity;
  }

  /** What every one of `cuts` requires of a state they all produce. */
  at(cuts: readonly number[]): Expectation {
    const required = new Map<number, string>();
    const commits = new Map<string, number>();
    const checkpoints = new Map<string, number>();
    let maxAcked = -1;
    for (const cut of cuts) {
      const floor = this.#floorAt(cut);
      for (const [i, seq, id] of this.#acks) {
        if (i >= cut) break;
        if (seq > maxAcked) maxAcked = seq;
        if (seq >= floor) required.set(seq, id);
      }
      for (const [i, name, seq] of this.#commits) if (i < cut && seq > (commits.get(name) ?? -2)) commits.set(name, seq);
      for (const [i, name, seq] of this.#checkpoints) if (i < cut && seq > (checkpoints.get(name) ?? -2)) checkpoints.set(name, seq);
    }
    return { required: [...required].sort((x, y) => x[0] - y[0]), maxAcked, commits: [...commits], checkpoints: [...checkpoints] };
  }
}
