/**
 * The embedded FerretDB answers a write with `database is locked (SQLITE_BUSY)` when SQLite's
 * write lock stayed with other writers longer than its busy timeout (seen in the pacing benchmark:
 * POST export while a full sync wrote suppliers). That is a passing condition of the database:
 * the API answers 503 with Retry-After, as for a database it cannot reach, not 500.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import { errorHandler } from '../../src/api/errors';
import { retryWhileBusy } from '../../src/store';
import { BUSY_PAUSES_RECORDING_MS } from '../../src/store/mongo';

// What FerretDB 1.24 sent (bench logs), word for word apart from the source positions.
const BUSY = '[msg_update.go:133 handler.(*Handler).updateDocument] [collection.go:135 sqlite.(*collection).InsertAll.func1] database is locked (5) (SQLITE_BUSY)';
const response = (errmsg: string) => ({ ok: 0, errmsg, code: 1, codeName: 'InternalError' });

const failures: Record<string, () => Error> = {
  'busy-update': () => new MongoServerError(response(BUSY)),
  // As the driver wraps a server error that failed a whole bulk write (bulkWrite, insertMany).
  'busy-bulk': () => new MongoBulkWriteError(new MongoServerError(response(BUSY)), { insertedCount: 0, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0, upsertedIds: {}, insertedIds: {} } as never),
  'other-internal': () => new MongoServerError(response('[msg_update.go:133] some other failure')),
};

let url: string;
let server: ReturnType<express.Express['listen']>;
before(async () => {
  const app = express();
  app.get('/fail/:kind', (req) => {
    throw failures[req.params.kind]!();
  });
  app.use(errorHandler);
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server?.close();
});

for (const kind of ['busy-update', 'busy-bulk']) {
  test(`a write refused with SQLITE_BUSY (${kind}) answers 503 with Retry-After, naming the database`, async () => {
    const res = await fetch(`${url}/fail/${kind}`);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    assert.equal(body.error.code, 'unavailable');
    assert.match(body.error.message, /MongoDB/);
    assert.doesNotMatch(body.error.message, /sqlite|msg_update/i, 'the database internals stay in the log');
  });
}

test('any other database failure stays a 500', async () => {
  const res = await fetch(`${url}/fail/other-internal`);
  assert.equal(res.status, 500);
});

test('idempotent work meeting a busy database runs again (a few times), other failures at once', async () => {
  const flaky = (busyTimes: number, fail = failures['busy-update']!) => {
    let calls = 0;
    return { work: async () => (++calls <= busyTimes ? Promise.reject(fail()) : 'done'), calls: () => calls };
  };
  const twice = flaky(2);
  assert.equal(await retryWhileBusy(twice.work), 'done');
  assert.equal(twice.calls(), 3);
  const bulk = flaky(1, failures['busy-bulk']);
  assert.equal(await retryWhileBusy(bulk.work), 'done');
  const always = flaky(99);
  await assert.rejects(retryWhileBusy(always.work), /SQLITE_BUSY/);
  assert.equal(always.calls(), 4, 'three more attempts, then the 503');
  const other = flaky(1, failures['other-internal']);
  await assert.rejects(retryWhileBusy(other.work), /some other failure/);
  assert.equal(other.calls(), 1);
});

test('an export writes its own status and answers with more patience: 6 more attempts', async () => {
  const flaky = (busyTimes: number) => {
    let calls = 0;
    return { work: async () => (++calls <= busyTimes ? Promise.reject(failures['busy-update']!()) : 'done'), calls: () => calls };
  };
  const busy = flaky(6);
  assert.equal(await retryWhileBusy(busy.work, [1, 1, 1, 1, 1, 1]), 'done');
  assert.equal(busy.calls(), 7);
  const always = flaky(99);
  await assert.rejects(retryWhileBusy(always.work, BUSY_PAUSES_RECORDING_MS.map(() => 1)), /SQLITE_BUSY/);
  assert.equal(always.calls(), BUSY_PAUSES_RECORDING_MS.length + 1);
  assert.ok(BUSY_PAUSES_RECORDING_MS.reduce((a, b) => a + b, 0) >= 5_000, 'patient enough to outlast a burst of writes');
});
