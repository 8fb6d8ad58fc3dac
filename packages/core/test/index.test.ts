// The package entry is what library users load on their main thread: it must not pull in
// proper-lockfile (its signal-exit hook changes process.exitCode during exit; DESIGN.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

function loadedBy(entry: string): string[] {
  const url = new URL(entry, import.meta.url).href;
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(url)});
    const require = createRequire(import.meta.url);
    console.log(JSON.stringify(Object.keys(require.cache)));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

test('importing the package entry does not load proper-lockfile or signal-exit', () => {
  const loaded = loadedBy('../src/index.js');
  assert.not.ok(loaded.some((p) => p.includes('proper-lockfile') || p.includes('signal-exit')), JSON.stringify(loaded));
});

test('the check itself works: the lock entry does load proper-lockfile', () => {
  const loaded = loadedBy('../src/lock/lock.js');
  assert.ok(loaded.some((p) => p.includes('proper-lockfile')));
});

test('the entry exports the documented API', async () => {
  const core = await import('../src/index.js');
  for (const name of ['WalError', 'encodeBody', 'encodeLine', 'parseLine', 'peekSeq', 'resolveWriterOptions', 'shiftSegments',
    'recoverTail', 'nextSeqFor', 'fsSeam', 'openWriter', 'WriterHost', 'installWalErrorTransfer', 'assertNever']) {
    assert.ok(name in core, name);
  }
  assert.not.ok('PathLock' in core, 'the lock lives at @threadwal/core/lock only');
});

test.run();
