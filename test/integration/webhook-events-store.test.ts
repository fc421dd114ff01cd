/**
 * WebhookStore on the real database: an event that no enabled endpoint takes is stored as handed
 * on and calls no dispatcher (no search for earlier events of its key, which scans on the embedded
 * FerretDB); one that an endpoint takes is handed to the dispatcher, with the events of its key
 * that were left behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from 'mongodb';
import { KeyRing } from '../../src/crypto';
import type { NewEvent } from '../../src/domain';
import { WebhookStore } from '../../src/store';
import { testDb } from '../helpers/stack';

let db: Db;
let dispose: () => Promise<void>;

before(async () => {
  ({ db, dispose } = await testDb('webhook_events'));
});
after(async () => dispose?.());

test('events nobody takes are stored as handed on; taken ones go to the dispatcher with those left behind', { timeout: 60_000 }, async () => {
  const store = new WebhookStore(db, new KeyRing([{ id: 'k1', key: Buffer.alloc(32, 7) }]));
  await store.ensureIndexes();
  const dispatched: string[] = [];
  store.setDispatcher(async (key) => {
    dispatched.push(key);
    const events = await store.undispatched(key);
    await store.markDispatched(events.map((e) => e._id));
  });
  const event = (reportId: string): NewEvent => ({ type: 'export.posted', tenantId: 't1', objectId: reportId, data: { exactEntryId: `g-${reportId}`, exactEntryNumber: '1' } });

  const quiet = await store.record(event('r1'));
  assert.ok(quiet.dispatchedAt, 'no endpoint: handed on at once');
  assert.deepEqual(dispatched, [], 'the dispatcher is not called');
  assert.deepEqual(await store.undispatched('export:t1:r1'), []);

  // An event the dispatcher could not hand on earlier (left behind), then an endpoint appears.
  await store.events.insertOne({ ...(await store.getEvent(quiet._id))!, _id: 'evt_left', dispatchedAt: null, type: 'export.rejected' });
  await store.putEndpoint('ep1', { url: 'https://platform.example/hooks', description: null, events: ['export.posted'], enabled: true, secret: 'whsec_dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQtMDE=' });
  const heard = await store.record(event('r1'));
  assert.equal(heard.dispatchedAt, null);
  assert.deepEqual(dispatched, ['export:t1:r1']);
  assert.deepEqual(await store.undispatched('export:t1:r1'), [], 'handed on together with the one left behind');

  // An event type the endpoint does not take is again stored as handed on.
  const other = await store.record({ type: 'export.rejected', tenantId: 't1', objectId: 'r2', data: { message: 'no', line: null, code: null } });
  assert.ok(other.dispatchedAt);
  assert.deepEqual(dispatched, ['export:t1:r1']);
});
