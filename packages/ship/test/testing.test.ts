// @threadwal/ship/testing's port picking: a 3-node cluster takes nine ports at once, and a
// repeated one made a node refuse its config ("Duplicate route entry detected").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { freePorts } from '../src/testing.js';

test('freePorts(n) gives n distinct ports, each free to listen on once returned', async () => {
  for (let round = 0; round < 600; round++) { // one picked at a time, ~1 round in 300 repeated a port here
    const ports = await freePorts(9);
    assert.is(ports.length, 9);
    assert.is(new Set(ports).size, 9, `a port repeats: ${ports.join(', ')}`);
    for (const p of ports) assert.ok(p > 0 && p < 65536);
  }
  const [p] = await freePorts(1);
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(p, '127.0.0.1', () => s.close(() => resolve()));
  });
});

test.run();
