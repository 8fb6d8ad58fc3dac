// @threadwal/ship/testing: real nats-server processes for tests and benchmarks: one node or a 3-node cluster on loopback,
// each on free ports with its own store dir, killed (SIGKILL) and restarted at will, all
// stopped when the test process exits.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { get } from 'node:http';
import { join } from 'node:path';

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) c.kill('SIGKILL'); });

/** Whether nats-server can run here; the reason when not. */
export function natsAvailable(): { ok: true; version: string } | { ok: false; reason: string } {
  const r = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { ok: false, reason: `nats-server not found (${r.error?.message ?? r.stderr}); install it: apt-get install -y nats-server` };
  return { ok: true, version: r.stdout.trim() };
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * `n` distinct free ports: every listener stays open until all are bound, so the kernel cannot
 * hand the same ephemeral port out twice (freePort called in a row could, and a cluster config
 * then listed one route twice: "Duplicate route entry detected").
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
  }
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz?js-enabled-only=true', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

export class NatsServer {
  child: ChildProcess | undefined;
  log = '';
  constructor(readonly name: string, readonly port: number, readonly httpPort: number, readonly args: string[]) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts the process and waits for /healthz (JetStream enabled). */
  async start(waitHealthy = true): Promise<void> {
    const child = spawn('nats-server', this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    const keep = (d: Buffer): void => { this.log = (this.log + d.toString()).slice(-20_000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', () => live.delete(child));
    if (!waitHealthy) return;
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      if (child.exitCode !== null) throw new Error(`nats-server ${this.name} exited ${child.exitCode}:\n${this.log}`);
      if (await healthy(this.httpPort)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server ${this.name} not healthy after 20 s:\n${this.log}`);
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}

/** One JetStream node with its own store dir under `dir`. */
export async function startServer(dir: string, name = 'n1', extra: string[] = []): Promise<NatsServer> {
  const [port, httpPort] = (await freePorts(2)) as [number, number];
  const sd = join(dir, `js-${name}`);
  mkdirSync(sd, { recursive: true });
  const s = new NatsServer(name, port, httpPort, ['-js', '-sd', sd, '-a', '127.0.0.1', '-p', String(port), '-m', String(httpPort), '-n', name, ...extra]);
  await s.start();
  return s;
}

/** A 3-node JetStream cluster on loopback (cluster name twship), every node healthy. */
export async function startCluster(dir: string): Promise<NatsServer[]> {
  const nodes = [];
  const ports = await freePorts(9);
  for (let i = 0; i < 3; i++) nodes.push({ name: `n${i + 1}`, port: ports[3 * i]!, http: ports[3 * i + 1]!, route: ports[3 * i + 2]! });
  const routes = nodes.map((n) => `    nats-route://127.0.0.1:${n.route}`).join('\n');
  const servers = nodes.map((n) => {
    const sd = join(dir, `js-${n.name}`);
    mkdirSync(sd, { recursive: true });
    const conf = join(dir, `${n.name}.conf`);
    writeFileSync(conf, `server_name: ${n.name}
listen: 127.0.0.1:${n.port}
http: 127.0.0.1:${n.http}
jetstream { store_dir: "${sd}", max_mem_store: 64MB, max_file_store: 1GB }
cluster {
  name: twship
  listen: 127.0.0.1:${n.route}
  routes: [
${routes}
  ]
}
`);
    return new NatsServer(n.name, n.port, n.http, ['-c', conf]);
  });
  try {
    await Promise.all(servers.map((s) => s.start(false)));
    await Promise.all(servers.map(async (s) => {
      const until = Date.now() + 30_000;
      while (!(await healthy(s.httpPort))) {
        if (Date.now() > until) throw new Error(`cluster node ${s.name} not healthy:\n${s.log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }));
  } catch (err) {
    // One node failed: the others must not outlive the caller (they kept running after a CI failure).
    await Promise.all(servers.map((s) => s.kill()));
    throw err;
  }
  return servers;
}
