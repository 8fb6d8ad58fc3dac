import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WalError, WAL_ERROR_CODES, toWire, fromWire, fromFsError, isWalError, isNoSpace } from '../src/errors.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

test('WalError carries code, path, cause, file and offset, and is named WalError', () => {
  const cause = errno('EIO');
  const e = new WalError('ECORRUPT', 'bad line', { path: '/w', cause, file: '/w.1', offset: 12 });
  assert.instance(e, Error);
  assert.is(e.name, 'WalError');
  assert.is(e.code, 'ECORRUPT');
  assert.is(e.path, '/w');
  assert.is(e.cause, cause);
  assert.is(e.file, '/w.1');
  assert.is(e.offset, 12);
  assert.ok(e.stack);
  assert.not.ok('cause' in new WalError('EIO', 'x'), 'no cause property when none was given');
});

test('toWire gives plain, cloneable data; fromWire rebuilds an equal WalError', () => {
  const e = new WalError('ENOSPC', 'disk full', { path: '/w', cause: errno('ENOSPC'), file: '/w', offset: 3 });
  const wire = toWire(e);
  assert.equal(structuredClone(wire), wire);
  assert.equal(wire, { name: 'WalError', code: 'ENOSPC', message: 'disk full', path: '/w', file: '/w', offset: 3, causeCode: 'ENOSPC' });
  const back = fromWire(structuredClone(wire));
  assert.instance(back, WalError);
  assert.is(back.code, 'ENOSPC');
  assert.is(back.path, '/w');
  assert.is(back.file, '/w');
  assert.is(back.offset, 3);
  assert.is((back.cause as NodeJS.ErrnoException).code, 'ENOSPC', "the Node error's code survives the thread hop");
});

test('toWire omits what is absent', () => {
  assert.equal(toWire(new WalError('ECLOSED', 'closed')), { name: 'WalError', code: 'ECLOSED', message: 'closed' });
  assert.is(fromWire(toWire(new WalError('ECLOSED', 'closed'))).cause, undefined);
});

test('fromFsError: the errnos an operator can act on become the code, with what to do; others the fallback', () => {
  const cases = [
    ['ENOSPC', 'ENOSPC', /free space/], ['EDQUOT', 'EDQUOT', /quota/], ['EISDIR', 'EISDIR', /directory/],
    ['ENOTDIR', 'ENOTDIR', /fix the path/], ['EACCES', 'EACCES', /write access/], ['EPERM', 'EACCES', /write access/],
    ['EROFS', 'EROFS', /read-only/], ['EMFILE', 'EMFILE', /ulimit/], ['ENFILE', 'EMFILE', /file-max/],
    ['ENAMETOOLONG', 'EINVAL', /too long/],
    ['EIO', 'EIO', /injected/], ['EBADF', 'EIO', /injected/], ['ENOENT', 'EIO', /injected/],
  ] as const;
  for (const [code, want, says] of cases) {
    const cause = errno(code);
    const e = fromFsError(cause, '/w', 'write');
    assert.is(e.code, want, code);
    assert.is(e.path, '/w');
    assert.is(e.cause, cause, 'the Node error is the cause');
    assert.match(e.message, says, code);
    assert.ok(e.message.includes(`${code}: injected`), 'the errno stays in the message');
  }
  assert.is(fromFsError(errno('EBADF'), '/w', 'open', 'EINVAL').code, 'EINVAL');
  assert.is(fromFsError(errno('EACCES'), '/w', 'open', 'EINVAL').code, 'EACCES', 'a known errno wins over the fallback');
  assert.is(fromFsError('a string', '/w', 'open').code, 'EIO');
});

test('new codes are appended to WAL_ERROR_CODES: an index crosses threads, so old indexes keep their meaning', () => {
  assert.equal(WAL_ERROR_CODES.slice(0, 13), ['EINVAL', 'EFSYNC', 'ENOSPC', 'EIO', 'ECLOSED', 'ELOCKED', 'ECORRUPT', 'EWORKER', 'EBACKPRESSURE', 'ETIMEDOUT', 'ENOENT', 'EABORTED', 'ESHIP']);
  for (const c of ['EISDIR', 'ENOTDIR', 'EACCES', 'EROFS', 'EDQUOT', 'EMFILE'] as const) assert.ok(WAL_ERROR_CODES.includes(c), c);
});

test('isNoSpace: ENOSPC and EDQUOT, from Node or as a WalError', () => {
  assert.ok(isNoSpace(errno('ENOSPC')));
  assert.ok(isNoSpace(new WalError('EDQUOT', 'x')));
  assert.not.ok(isNoSpace(errno('EIO')));
  assert.not.ok(isNoSpace(undefined));
});

test('fromFsError passes a WalError through unchanged', () => {
  const e = new WalError('EFSYNC', 'x');
  assert.is(fromFsError(e, '/w', 'write'), e);
});

test('isWalError checks the class and, when given, the code', () => {
  const e = new WalError('EIO', 'x');
  assert.ok(isWalError(e));
  assert.ok(isWalError(e, 'EIO'));
  assert.not.ok(isWalError(e, 'ENOSPC'));
  assert.not.ok(isWalError(Object.assign(new Error('x'), { code: 'EIO' })));
  assert.not.ok(isWalError(undefined));
});

test.run();
