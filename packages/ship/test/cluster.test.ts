// A 3-node JetStream cluster on loopback, an R3 stream, one node SIGKILLed (the stream
// leader first, then a random one) and restarted while shipping: each seq once, in order,
// and every node ends with the whole stream.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { readWalId } from '@threadwal/core';
import { ship } from '../src/index.js';
import { natsAvailable, startCluster, type NatsServer } from '../src/testing.js';
import { tmpDir, checkStream, report, size, verdict, CLEAN, until, lastWalSeq, MODES } from './helpers.js';
import { startProc, sigterm, sleep, prng } from './procs.js';

const avail = natsAvailable();

/** The stream leader's name; undefined when the cluster cannot say right now (an election after a restart). */
async function leaderOf(url: string, stream: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const nc = await connect({ servers: url, timeout: 2000 });
    try {
      return (await (await jetstreamManager(nc, { timeout: 2000, checkAPI: false })).streams.info(stream)).cluster?.leader;
    } catch {
      await sleep(500);
    } finally {
      await nc.close();
    }
  }
  return undefined;
}

/** Whether both followers of the stream are current and have no lag (per the leader). */
async function replicasCaughtUp(url: string, stream: string): Promise<boolean> {
  const nc = await connect({ servers: url, timeout: 2000 });
  try {
    const reps = (await (await jetstreamManager(nc, { timeout: 2000, checkAPI: false })).streams.info(stream)).cluster?.replicas ?? [];
    return reps.length === 2 && reps.every((r) => r.current && !r.offline && !r.lag);
  } catch {
    return false;
  } finally {
    await nc.close();
  }
}

if (!avail.ok) {
  console.log(`[ship] skipped: ${avail.reason}`);
  test('nats-server missing: skipped', () => {});
} else {
  for (const mode of MODES) test(`${mode.name}: 3-node cluster, R3 stream, a node killed during shipping (the leader first): each seq once`, async () => {
    const dir = tmpDir();
    const nodes: NatsServer[] = await startCluster(dir);
    const rnd = prng(Number(process.env.SEED ?? Date.now() % 100000));
    const urls = nodes.map((n) => n.url);
    const path = join(dir, 'app.wal');
    const app = startProc('appender', [path, 'app', '1000']);
    await until(() => readWalId(path) !== undefined, 'the appender to open the WAL');
    const shipper = ship(path, { servers: urls, stream: 'R3', subject: 'tw.r3', createStream: true, replicas: 3, window: 256, batch: mode.batch, timeoutMs: 2000, backoff: { initialMs: 100, maxMs: 1000 }, connectTimeoutMs: 30_000 });
    try {
      await until(() => shipper.status().ackedSeq > 200, 'the first acks from the cluster', 60_000);
      const KILLS = size(2, 6);
      const killed: string[] = [];
      for (let k = 0; k < KILLS; k++) {
        const leader = await leaderOf(urls.join(','), 'R3');
        const victim = (k === 0 && nodes.find((n) => n.name === leader)) || nodes[rnd.int(0, 2)]!;
        killed.push(`${victim.name}${victim.name === leader ? '(leader)' : ''}`);
        const ackedBefore = shipper.status().ackedSeq;
        await victim.kill();
        // Two of three nodes are a quorum: shipping goes on without the victim.
        await until(() => shipper.status().ackedSeq > ackedBefore + 200, 'shipping to continue on the remaining quorum', 60_000);
        await sleep(rnd.int(300, 1000));
        await victim.start(false);
        await sleep(1000);
      }
      const r = await sigterm(app);
      assert.is(r.code, 0, app.err);
      const last = await lastWalSeq(path);
      await until(() => shipper.status().ackedSeq === last, 'the shipper to catch up', 60_000);
      const final = await shipper.stop();
      // Every replica converges: both followers current, no lag. Waited for before reading the
      // stream back, so the read-back's consumer is not created during a post-restart election.
      await until(() => replicasCaughtUp(urls.join(','), 'R3'), 'both followers to hold the whole stream', 60_000);
      const c = await checkStream(urls, 'R3', path);
      assert.equal(verdict(c), CLEAN);
      assert.is(c.streamEvents, c.walEvents);
      report(`cluster-r3 ${mode.name}`, { messages: final.messages, nodeKills: KILLS, killed: killed.join(','), events: c.walEvents, retries: final.retries, reconnects: final.reconnects, duplicateAcks: final.duplicates, duplicates: c.duplicates, gaps: c.gaps });
    } finally {
      app.child.kill('SIGKILL');
      await shipper.stop().catch(() => undefined);
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });
}

test.run();
