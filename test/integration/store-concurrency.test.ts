/**
 * Every "exactly once" and every lease of the stores, raced by many callers at once on the real
 * database of the test stack (the embedded FerretDB, whose updates are not atomic: see
 * database-atomicity.test.ts): exactly one caller wins, whatever the others do.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExportRef } from '../../src/domain';
import { claimOnce, ExportStore, exportDocId, LeaseStore, type Lease, type PostingLeaseResult } from '../../src/store';
import { authorizeInSandbox, openCallback, startConnect, waitForState } from '../helpers/onboarding';
import { startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';

const CALLERS = 50;
const all = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let p: Product;
before(async () => {
  p = await startProduct({ env: { AUTH_FAILURE_LIMIT: '100000' } });
});
after(async () => {
  await p?.close();
});

describe('the primitives', () => {
  test('an event recorded again under the same key (a retried activity) is one event, raced or not', async () => {
    const tenantId = uniqueId('evonce');
    const event = { type: 'connection.connected' as const, tenantId, objectId: tenantId, data: { division: '123456', divisionName: null } };
    const key = `connection.connected:onboarding:${tenantId}:run-1:7`;
    const recorded = await all(10, () => p.stores.webhooks.record(event, new Date(), key));
    assert.equal(new Set(recorded.map((e) => e._id)).size, 1, 'every caller is given the one event');
    await p.stores.webhooks.record(event, new Date(), `connection.connected:onboarding:${tenantId}:run-2:7`);
    await p.stores.webhooks.record(event);
    assert.equal((await p.stores.webhooks.eventsOf(tenantId)).length, 3, 'another key, or none, is another event');
  });

  test('claimOnce: one winner of many; every loser is shown the winner', async () => {
    const col = p.db.collection<{ _id: string; by: number }>('claims_test');
    const results = await all(CALLERS, (i) => claimOnce(col, { _id: 'step-1', by: i }));
    const winners = results.filter((r) => r.won);
    assert.equal(winners.length, 1);
    const by = (winners[0] as { doc: { by: number } }).doc.by;
    for (const r of results) if (!r.won) assert.equal(r.holder?.by, by);
  });

  test('lease: of many callers taking a free lease, one gets it; after it expires, one of many takes it over', async () => {
    let now = Date.now();
    const leases = new LeaseStore(p.db, 'leases_test', () => now);
    await leases.ensureIndexes();
    const first = await all(CALLERS, (i) => leases.acquire('export:t:r1', `a${i}`, 60_000));
    const holders = first.filter((r) => r.acquired);
    assert.equal(holders.length, 1);
    const held = (holders[0] as { lease: import('../../src/store').Lease }).lease;
    for (const r of first) if (!r.acquired) assert.equal(r.holder, held.holder);
    assert.equal(await leases.holds(held), true);

    now += 61_000; // the holder stalled past its lease
    const second = await all(CALLERS, (i) => leases.acquire('export:t:r1', `b${i}`, 60_000));
    const takers = second.filter((r) => r.acquired);
    assert.equal(takers.length, 1);
    const taken = (takers[0] as { lease: import('../../src/store').Lease }).lease;
    assert.ok(taken.gen > held.gen, 'a takeover is a later generation (fencing)');
    assert.equal(await leases.holds(held), false, 'the stalled holder learns it lost the lease');
    await leases.release(held); // a late release of the old lease changes nothing
    assert.equal(await leases.holds(taken), true);

    await leases.release(taken);
    const third = await all(CALLERS, (i) => leases.acquire('export:t:r1', `c${i}`, 60_000));
    assert.equal(third.filter((r) => r.acquired).length, 1, 'a released lease goes to one caller');
    // Reads go by `_id` (no collection scan on the embedded FerretDB): that needs generations without gaps.
    const gens = (await p.db.collection('leases_test').find({ key: 'export:t:r1' }).toArray()).map((d) => d.gen as number).sort((a, b) => a - b);
    assert.deepEqual(gens, gens.map((_, i) => i + 1), 'generations follow one another without gaps');
    // Another process (no generation known) finds the same holder.
    const other = new LeaseStore(p.db, 'leases_test', () => now);
    const winner = (third.find((r) => r.acquired) as { lease: import('../../src/store').Lease }).lease;
    assert.equal((await other.current('export:t:r1'))?.holder, winner.holder);
  });

  test('lease renewal: a holder renewing while many callers try to take it over after its expiry: one of them wins; the own name takes over at once', async () => {
    let now = Date.now();
    const leases = new LeaseStore(p.db, 'leases_renew_test', () => now);
    await leases.ensureIndexes();
    const first = await leases.acquire('sync-writer:t:suppliers', 'run-1:suppliers', 60_000);
    assert.ok(first.acquired);
    const renewed = await leases.renew(first.lease, 60_000);
    assert.ok(renewed && renewed.gen === first.lease.gen + 1 && renewed.holder === 'run-1:suppliers');
    assert.equal(await leases.holds(renewed), true);
    assert.equal(await leases.holds(first.lease), false, 'the renewal is the newest generation');
    assert.equal((await leases.acquire('sync-writer:t:suppliers', 'run-2:suppliers', 60_000)).acquired, false, 'a renewed lease is still held');

    now += 30_000;
    const late = await leases.renew(renewed, 60_000);
    assert.ok(late && late.expiresAt.getTime() === now + 60_000, 'each renewal is 60 s from its own time');

    // Expired in the other callers' eyes: the holder's renewal and their takeovers race for one generation.
    now += 61_000;
    const lateAgain = { ...late, expiresAt: new Date(now + 1) }; // the holder's own clock is behind
    const [renewal, ...takeovers] = await Promise.all([leases.renew(lateAgain, 60_000), ...Array.from({ length: 20 }, (_, i) => leases.acquire('sync-writer:t:suppliers', `run-${3 + i}:suppliers`, 60_000))]);
    const winners = (renewal ? 1 : 0) + takeovers.filter((r) => r.acquired).length;
    assert.equal(winners, 1, 'the renewal or one takeover, never both');

    // A later attempt of the holder's own work (same name, after a crash) takes over without waiting; the older one is fenced out.
    const holderNow = await leases.current('sync-writer:t:suppliers');
    assert.ok(holderNow);
    const own = await leases.acquire('sync-writer:t:suppliers', holderNow.holder, 60_000, { takeOverOwn: true });
    assert.ok(own.acquired && own.lease.gen === holderNow.gen + 1);
    assert.equal(await leases.holds(holderNow), false);
    assert.equal(await leases.renew(holderNow, 60_000), null, 'the fenced attempt cannot renew');
    assert.equal((await leases.acquire('sync-writer:t:suppliers', 'someone-else', 60_000, { takeOverOwn: true })).acquired, false, 'takeOverOwn is for the own name only');
  });

  test('lease: workers taking and giving back one lease in a loop are never inside together', { timeout: 120_000 }, async () => {
    const leases = new LeaseStore(p.db, 'leases_loop_test');
    await leases.ensureIndexes();
    let inside = 0;
    let most = 0;
    let entries = 0;
    await all(8, async (w) => {
      for (let round = 0; round < 15; round++) {
        const r = await leases.acquire('loop', `w${w}-${round}`, 30_000);
        if (!r.acquired) {
          await sleep(5 + Math.random() * 20);
          continue;
        }
        inside++;
        entries++;
        most = Math.max(most, inside);
        await sleep(Math.random() * 15);
        inside--;
        await leases.release(r.lease);
      }
    });
    assert.ok(entries > 0);
    assert.equal(most, 1, `${entries} entries, at most ${most} holders at once`);
  });
});

describe('exclusive steps of the product', () => {
  test('a new tenant created by many requests at once: one is told it created it (201), the others 200', async () => {
    const tenantId = uniqueId('race');
    const res = await all(20, () => p.call('POST', '/api/tenants', { tenantId, name: 'Race BV' }));
    assert.deepEqual(
      res.map((r) => r.status).sort((a, b) => a - b),
      [...Array(19).fill(200), 201],
      JSON.stringify(res.filter((r) => r.status >= 300).map((r) => r.body)),
    );
  });

  test('an admin link opened many times at once signs in exactly once', async () => {
    const tenantId = uniqueId('link');
    assert.equal((await p.call('POST', '/api/tenants', { tenantId, name: 'Link BV' })).status, 201);
    const minted = await p.call('POST', `/api/tenants/${tenantId}/admin-sessions`);
    assert.equal(minted.status, 201);
    const res = await all(20, () => p.request('POST', '/api/admin-session', { auth: 'none', body: { token: minted.body.token }, headers: { origin: p.apiUrl } }));
    assert.equal(res.filter((r) => r.status === 200).length, 1, JSON.stringify(res.map((r) => r.status)));
    for (const r of res.filter((x) => x.status !== 200)) assert.equal(r.body.error.code, 'link_used');
  });

  test('the connect callback opened many times at once is accepted once; the credential is adopted once', { timeout: 180_000 }, async () => {
    const tenantId = uniqueId('callback');
    assert.equal((await p.call('POST', '/api/tenants', { tenantId, name: 'Callback BV' })).status, 201);
    const { authorizationUrl, connectCookie } = await startConnect(p, tenantId);
    const callbackUrl = await authorizeInSandbox(authorizationUrl, '123456');
    const res = await all(10, () => openCallback(callbackUrl, connectCookie));
    const statuses = res.map((r) => r.status);
    await Promise.all(res.map((r) => r.body?.cancel()));
    assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
    assert.deepEqual(statuses.filter((s) => s !== 200).sort(), Array(9).fill(409));
    await waitForState(p, tenantId, 'connected');
    assert.equal(await p.db.collection('credential_adoptions').countDocuments({ tenantId }), 1);
  });

  test('a pending credential offered to many adopters at once goes to one; that one gets it again on a retry', async () => {
    const tenantId = uniqueId('adopt');
    const stored = await all(CALLERS, () => p.stores.tenants.storePendingCredential(tenantId, 'state-1', '123456', 'account-key-0123456789'));
    const ids = stored.filter((id): id is string => id !== null);
    assert.equal(ids.length, 1, 'one callback of an authorization is stored');
    const adopted = await all(CALLERS, (i) => p.stores.tenants.adoptPendingCredential(tenantId, ids[0]!, `run-${i}`));
    const winners = adopted.flatMap((a, i) => (a ? [i] : []));
    assert.equal(winners.length, 1);
    assert.equal((await p.stores.tenants.adoptPendingCredential(tenantId, ids[0]!, `run-${winners[0]}`))?.accountKey, 'account-key-0123456789');
    assert.equal(await p.stores.tenants.adoptPendingCredential(tenantId, ids[0]!, 'run-late'), null);
  });
});

describe('the posting lease of an export (what postJournalEntry takes before it may POST)', () => {
  async function anExport(extra: Record<string, unknown> = {}): Promise<ExportRef> {
    const tenantId = uniqueId('lease');
    const reportId = uniqueId('report');
    const now = new Date();
    await p.stores.exports.insertOrGet({
      _id: exportDocId(tenantId, reportId),
      tenantId,
      reportId,
      contentHash: `hash-${reportId}`,
      report: {} as never,
      status: 'posting',
      workflowId: `export:${tenantId}:${reportId}`,
      division: '123456',
      missing: [],
      entry: null,
      exactEntryId: null,
      exactEntryNumber: null,
      postedAt: null,
      error: null,
      createdAt: now,
      updatedAt: now,
      ...extra,
    });
    return { tenantId, reportId, revision: 1 };
  }
  const leaseOf = (results: PostingLeaseResult[]): Lease[] => results.flatMap((r) => (r.acquired ? [r.lease] : []));

  test('20 attempts taking it at once: exactly one proceeds, with the export; the others are told who holds it', async () => {
    const ref = await anExport();
    const results = await all(20, (i) => p.stores.exports.acquirePostingLease(ref, `postJournalEntry:${i}:run-a`, 60_000));
    const [lease, ...more] = leaseOf(results);
    assert.ok(lease);
    assert.equal(more.length, 0, `${more.length + 1} attempts got the lease`);
    const winner = results.find((r) => r.acquired) as Extract<PostingLeaseResult, { acquired: true }>;
    assert.equal(winner.doc?._id, exportDocId(ref.tenantId, ref.reportId));
    for (const r of results) if (!r.acquired) assert.equal(r.holder, lease.holder);
    assert.equal(await p.stores.exports.holdsPostingLease(lease), true);

    await p.stores.exports.releasePostingLease(lease);
    assert.equal(await p.stores.exports.postingLeaseHolder(ref), null, 'given back');
    const again = await all(20, (i) => p.stores.exports.acquirePostingLease(ref, `postJournalEntry:${i}:run-b`, 60_000));
    assert.equal(leaseOf(again).length, 1, 'a lease given back goes to one attempt');
  });

  test('a posting.leaseUntil left on an old document means nothing', async () => {
    const ref = await anExport({ posting: { leaseUntil: new Date(Date.now() + 3600_000) } });
    assert.equal((await p.stores.exports.acquirePostingLease(ref, 'postJournalEntry:1:run', 60_000)).acquired, true);
  });

  test('a zombie attempt past its lease: one newer attempt takes over; the zombie can neither send nor free the newer lease; the lookup waits for the holder', async () => {
    let now = Date.now();
    const exports = new ExportStore(p.db, new LeaseStore(p.db, 'leases', () => now));
    const ref = await anExport();
    const first = await exports.acquirePostingLease(ref, 'postJournalEntry:1:run', 60_000);
    assert.ok(first.acquired);
    const zombie = first.lease;

    now += 61_000; // the first attempt stalled past its lease; Temporal started the next ones
    const takeover = await all(20, (i) => exports.acquirePostingLease(ref, `postJournalEntry:${i + 2}:run`, 60_000));
    const [newer, ...more] = leaseOf(takeover);
    assert.ok(newer);
    assert.equal(more.length, 0);
    assert.ok(newer.gen > zombie.gen);
    assert.equal(await exports.holdsPostingLease(zombie), false, 'the fencing check before the POST stops the zombie');

    await exports.releasePostingLease(zombie); // the zombie's late release
    assert.equal(await exports.holdsPostingLease(newer), true, 'the late release did not free the newer lease');
    assert.equal((await exports.postingLeaseHolder(ref))?.holder, newer.holder);
    assert.equal(leaseOf(await all(20, (i) => exports.acquirePostingLease(ref, `postJournalEntry:${i + 30}:run`, 60_000))).length, 0, 'nobody else gets it');

    // The newer attempt sends a POST that is never answered.
    assert.equal(await exports.beginPost(ref, { frozenAt: new Date(), firstAttemptAt: new Date(), division: '123456' }), true);
    const last = await exports.recordUnknown(ref, 'timeout');
    assert.equal(await exports.resolveNothingPosted(ref, last, 'lookup'), false, 'not while an attempt holds the lease');
    await exports.releasePostingLease(newer);
    assert.equal(await exports.resolveNothingPosted(ref, new Date(last.getTime() - 1), 'lookup'), false, 'not when a POST went out since');
    assert.equal(await exports.resolveNothingPosted(ref, last, 'lookup'), true);
    assert.equal((await exports.getRevision(ref))?.posting?.outcomeOpen, false);

    // A holder that never gives its lease back holds the lookup off only until the lease expires.
    const stuck = await exports.acquirePostingLease(ref, 'postJournalEntry:60:run', 60_000);
    assert.ok(stuck.acquired);
    assert.equal(await exports.beginPost(ref, { frozenAt: new Date(), firstAttemptAt: new Date(), division: '123456' }), true);
    const lastStuck = await exports.recordUnknown(ref, 'worker died');
    assert.equal(await exports.resolveNothingPosted(ref, lastStuck, 'lookup'), false);
    now += 61_000;
    assert.equal(await exports.resolveNothingPosted(ref, lastStuck, 'lookup'), true);
  });
});
