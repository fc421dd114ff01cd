/**
 * Tenant onboarding end to end: real dev server, FerretDB and the Maesn sandbox over HTTP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ScheduleNotFoundError } from '@temporalio/client';
import { resyncOffsetMs } from '../../src/services';
import { scheduleIds } from '../../src/workflows/definitions';
import { authorizeInSandbox, connectTenant, openCallback, startConnect, waitForState, waitForSyncRun } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';

let p: Product;

before(async () => {
  p = await startProduct({ env: { RESYNC_INTERVAL: '1h', ONBOARDING_AUTHORIZATION_TIMEOUT: '10 minutes' } });
});
after(async () => {
  await p?.close();
});

const DIVISION = '123456';

async function seededCounts(division: string) {
  const d = (await p.sandbox.listDivisions()).find((x) => x.code === division)!;
  return d.counts;
}

const HOUR = 3_600_000;

/**
 * A new tenant ID whose hourly resync point (this file's products resync hourly) is more than 15
 * minutes away: the tests read "the last sync" and count runs, which a scheduled sync starting
 * in the middle would change.
 */
function tenantAwayFromItsResync(prefix: string): string {
  for (;;) {
    const id = uniqueId(prefix);
    if ((resyncOffsetMs(id, '1 hour') - (Date.now() % HOUR) + HOUR) % HOUR > 15 * 60_000) return id;
  }
}

describe('connect → callback → initial sync', () => {
  const tenantId = tenantAwayFromItsResync('acme');

  test('the synced counts equal the sandbox administration for every kind', async () => {
    await connectTenant(p, tenantId, DIVISION);
    const status = (await p.call('GET', `/api/tenants/${tenantId}/exact`)).body;
    assert.equal(status.state, 'connected');
    assert.equal(status.division, DIVISION);
    assert.equal(status.lastSync.status, 'succeeded');
    assert.equal(status.lastSync.mode, 'full');
    const seeded = await seededCounts(DIVISION);
    const expected: Record<string, number> = {
      'gl-accounts': seeded.accounts,
      journals: seeded.journals,
      'vat-codes': seeded.taxRates,
      suppliers: seeded.suppliers,
      'cost-centers': seeded.costCenters,
      'cost-units': seeded.costUnits,
    };
    for (const [kind, n] of Object.entries(expected)) {
      assert.ok(n > 0, `sandbox seeds ${kind}`);
      assert.equal(status.lastSync.counts[kind]?.fetched, n, `${kind} fetched`);
      const list = (await p.call('GET', `/api/tenants/${tenantId}/master-data/${kind}?limit=1`)).body;
      assert.equal(list.total, n, `${kind} stored`);
    }
  });

  test('the account key is stored encrypted, never in clear', async () => {
    const conn = await p.stores.tenants.getConnection(tenantId);
    assert.ok(conn?.accountKey?.data, 'sealed account key stored');
    const plain = (await p.stores.tenants.revealAccountKey(tenantId))!.accountKey;
    assert.ok(!JSON.stringify(conn).includes(plain), 'the plain key does not appear in the document');
  });

  test('master data is classified and searchable', async () => {
    const pl = (await p.call('GET', `/api/tenants/${tenantId}/master-data/gl-accounts?limit=500`)).body;
    const kinds = new Set(pl.items.map((a: any) => a.kind));
    for (const k of ['profit_and_loss', 'balance_sheet', 'creditor']) assert.ok(kinds.has(k), `an account of kind ${k}`);
    const vat = (await p.call('GET', `/api/tenants/${tenantId}/master-data/vat-codes?limit=100`)).body;
    assert.ok(vat.items.some((v: any) => v.percentage === '21' && v.description));
    const cc = (await p.call('GET', `/api/tenants/${tenantId}/master-data/cost-centers?limit=100`)).body;
    assert.ok(cc.items.length > 0 && cc.items.every((c: any) => typeof c.code === 'string' && c.code.length > 0), 'cost centers carry their Exact code');
    const first = pl.items.find((a: any) => a.kind === 'profit_and_loss');
    const search = (await p.call('GET', `/api/tenants/${tenantId}/master-data/gl-accounts?search=${encodeURIComponent(first.name.slice(0, 5))}`)).body;
    assert.ok(search.items.some((a: any) => a.id === first.id));
    const byCode = (await p.call('GET', `/api/tenants/${tenantId}/master-data/gl-accounts?search=${first.code}`)).body;
    assert.ok(byCode.items.some((a: any) => a.code === first.code));
    const page2 = (await p.call('GET', `/api/tenants/${tenantId}/master-data/gl-accounts?limit=5&page=2`)).body;
    assert.equal(page2.items.length, 5);
    assert.equal(page2.page, 2);
  });

  test('the resync schedule exists, with overlap skip, and the next run is shown', async () => {
    const d = await p.temporal.schedule.getHandle(scheduleIds.resync(tenantId)).describe();
    assert.equal(d.policies.overlap, 'SKIP');
    assert.equal(d.state.paused, false);
    const status = (await p.call('GET', `/api/tenants/${tenantId}/exact`)).body;
    assert.ok(status.nextSyncAt && Date.parse(status.nextSyncAt) > Date.now());
  });

  test('tenants resync at their own point of the hour, not all on the hour', async () => {
    const d = await p.temporal.schedule.getHandle(scheduleIds.resync(tenantId)).describe();
    const interval = (d.spec.intervals ?? [])[0];
    assert.equal(interval?.every, HOUR);
    assert.equal(interval?.offset, resyncOffsetMs(tenantId, '1 hour'));
    // Every planned run falls on that point of its hour, one hour apart.
    const next = d.info.nextActionTimes.map((t) => t.getTime());
    assert.ok(next.length >= 2, `planned runs: ${next.length}`);
    for (const t of next) assert.equal(t % HOUR, interval!.offset);
    for (let i = 1; i < next.length; i++) assert.equal(next[i] - next[i - 1], HOUR);
    // Fixed per tenant, whole seconds inside the interval, and spread: 200 tenants use (nearly) 200 points.
    const offsets = Array.from({ length: 200 }, (_, i) => resyncOffsetMs(`tenant-${i}`, '1 hour'));
    assert.equal(resyncOffsetMs('tenant-1', '1 hour'), offsets[1]);
    assert.ok(offsets.every((o) => o >= 0 && o < HOUR && o % 1000 === 0));
    assert.ok(new Set(offsets).size >= 190, `distinct points: ${new Set(offsets).size}`);
    assert.ok(offsets.filter((o) => o < HOUR / 2).length > 60 && offsets.filter((o) => o >= HOUR / 2).length > 60, 'both halves of the hour are used');
  });

  test('connect is idempotent while authorization is pending', async () => {
    const t = uniqueId('pending');
    await p.call('POST', '/api/tenants', { tenantId: t, name: 'Pending BV' });
    const [a, b] = await Promise.all([p.call('POST', `/api/tenants/${t}/exact/connect`), p.call('POST', `/api/tenants/${t}/exact/connect`)]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal(a.body.authorizationUrl, b.body.authorizationUrl);
    const s = (await p.call('GET', `/api/tenants/${t}/exact`)).body;
    assert.equal(s.state, 'awaiting_authorization');
    assert.equal(s.authorizationUrl, a.body.authorizationUrl);
    await p.call('DELETE', `/api/tenants/${t}/exact`);
  });
});

describe('callback security', () => {
  test('a callback with a bad signature is refused and nothing changes', async () => {
    const t = uniqueId('sig');
    await p.call('POST', '/api/tenants', { tenantId: t, name: 'Sig BV' });
    const { authorizationUrl, connectCookie } = await startConnect(p, t);
    const callbackUrl = new URL(await authorizeInSandbox(authorizationUrl, DIVISION));
    const tampered = new URL(callbackUrl);
    tampered.searchParams.set('companyId', '234567'); // another division under the original signature
    const forged = new URL(callbackUrl);
    forged.searchParams.set('signature', 'f'.repeat(64));
    const missing = new URL(callbackUrl);
    missing.searchParams.delete('signature');
    for (const url of [tampered, forged, missing]) {
      const res = await openCallback(url, connectCookie);
      const body: any = await res.json();
      assert.equal(res.status, 400, url.toString());
      assert.ok(body.error.fields.some((f: any) => f.path === 'query.signature'), JSON.stringify(body));
    }

    // Nothing changed: still waiting, no credential adopted, no account key stored.
    const s = (await p.call('GET', `/api/tenants/${t}/exact`)).body;
    assert.equal(s.state, 'awaiting_authorization');
    const conn = await p.stores.tenants.getConnection(t);
    assert.equal(conn?.accountKey, undefined);
    const wf = await p.temporal.workflow.getHandle(`onboarding:${t}`).query<any>('status');
    assert.equal(wf.step, 'awaiting_authorization');

    // The genuine callback still works afterwards.
    const ok = await openCallback(callbackUrl, connectCookie);
    assert.equal(ok.status, 200);
    await waitForState(p, t, 'connected');
    // …and replaying it is refused (the authorization is no longer pending).
    const replay = await openCallback(callbackUrl, connectCookie);
    assert.equal(replay.status, 409);
  });

  test('a browser callback redirects to the admin page', async () => {
    const t = uniqueId('browser');
    await p.call('POST', '/api/tenants', { tenantId: t, name: 'Browser BV' });
    const { authorizationUrl, connectCookie } = await startConnect(p, t);
    const callbackUrl = await authorizeInSandbox(authorizationUrl, DIVISION);
    const res = await fetch(callbackUrl, { redirect: 'manual', headers: { cookie: connectCookie } });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `/admin?tenant=${t}&connected=1`);
    await waitForState(p, t, 'connected');
  });
});

describe('resync', () => {
  const tenantId = tenantAwayFromItsResync('resync');

  test('an incremental sync picks up an added, a changed and a blocked record, and flags mapping health', async () => {
    await connectTenant(p, tenantId, DIVISION);
    const accounts = (await p.call('GET', `/api/tenants/${tenantId}/master-data/gl-accounts?limit=500&active=true`)).body.items;
    const pl = accounts.filter((a: any) => a.kind === 'profit_and_loss' && !a.blocked);
    const [mapped, renamed] = pl;
    const creditor = accounts.find((a: any) => a.kind === 'creditor');
    const journal = (await p.call('GET', `/api/tenants/${tenantId}/master-data/journals?limit=100`)).body.items[0];
    const put = await p.call('PUT', `/api/tenants/${tenantId}/mappings`, {
      journalCode: journal.code,
      creditAccount: creditor.code,
      categories: { travel: { glAccount: mapped.code } },
      vatRates: {},
      employees: {},
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.valid, true, JSON.stringify(put.body.issues));

    await new Promise((r) => setTimeout(r, 1100)); // lastModifiedAt has second precision in some systems
    const added = await p.sandbox.createRecord(DIVISION, 'suppliers', { code: '88001', name: 'Nieuwe Leverancier BV' });
    await p.sandbox.updateRecord(DIVISION, 'accounts', renamed.id, { description: 'Hernoemde kostenrekening' });
    await p.sandbox.blockAccount(DIVISION, mapped.id);

    const sync = await p.call('POST', `/api/tenants/${tenantId}/exact/sync`, {});
    assert.equal(sync.status, 202);
    // (The changes also reach us as Maesn webhooks, which start incremental syncs of their own.)
    const run = await waitForSyncRun(p, tenantId, sync.body.runId);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.mode, 'incremental');
    assert.equal(run.counts.suppliers.fetched, 1, 'only the changed supplier was read');
    assert.equal(run.counts['gl-accounts'].fetched, 2, 'only the two changed accounts were read');
    const after = (await p.call('GET', `/api/tenants/${tenantId}/exact`)).body;

    const sup = (await p.call('GET', `/api/tenants/${tenantId}/master-data/suppliers?search=88001`)).body.items;
    assert.equal(sup.length, 1);
    assert.equal(sup[0].id, added.id);
    const acc = (await p.call('GET', `/api/tenants/${tenantId}/master-data/gl-accounts?search=${renamed.code}`)).body.items.find((a: any) => a.id === renamed.id);
    assert.equal(acc.name, 'Hernoemde kostenrekening');
    const blocked = (await p.call('GET', `/api/tenants/${tenantId}/master-data/gl-accounts?search=${mapped.code}`)).body.items.find((a: any) => a.id === mapped.id);
    assert.equal(blocked.blocked, true);

    assert.equal(after.mappingHealth.ok, false);
    assert.deepEqual(
      after.mappingHealth.issues.map((i: any) => [i.usedIn, i.code]),
      [['categories.travel.glAccount', mapped.code]],
    );
  });

  test('a full sync writes nothing that did not change and marks records deleted in Exact inactive instead of deleting them', async () => {
    const cc = (await p.call('GET', `/api/tenants/${tenantId}/master-data/cost-centers?limit=100`)).body.items[0];
    await p.sandbox.deleteRecord(DIVISION, 'costCenters', cc.id);
    const started = await p.call('POST', `/api/tenants/${tenantId}/exact/sync`, { mode: 'full' });
    // The deletion also reaches us as a Maesn webhook, which starts an incremental sync of its own.
    const run = await waitForSyncRun(p, tenantId, started.body.runId);
    assert.equal(run.mode, 'full');
    assert.equal(run.counts['cost-centers'].deactivated, 1);
    // Everything else was read and found unchanged since the incremental sync: nothing written.
    for (const [kind, c] of Object.entries<any>(run.counts)) {
      assert.equal(c.upserted, 0, `${kind}: nothing changed, nothing written`);
      assert.equal(c.unchanged, c.fetched, `${kind}: every record read was unchanged`);
    }
    const all = (await p.call('GET', `/api/tenants/${tenantId}/master-data/cost-centers?search=${cc.code}`)).body.items;
    const gone = all.find((x: any) => x.id === cc.id);
    assert.equal(gone.active, false, 'kept, but inactive');
    const active = (await p.call('GET', `/api/tenants/${tenantId}/master-data/cost-centers?active=true&limit=100`)).body.items;
    assert.ok(!active.some((x: any) => x.id === cc.id));
  });
});

describe('reauthorization and disconnect', () => {
  const tenantId = tenantAwayFromItsResync('reauth');

  test('a 401 puts the connection in needs_reauthorization and pauses the schedule; reconnecting restores both', async () => {
    await connectTenant(p, tenantId, DIVISION);
    const key = (await p.stores.tenants.revealAccountKey(tenantId))!.accountKey;
    await p.sandbox.revokeAccountKey(key);
    const before = (await p.call('GET', `/api/tenants/${tenantId}/exact`)).body;
    await p.call('POST', `/api/tenants/${tenantId}/exact/sync`, {});
    const s = await waitForState(p, tenantId, 'needs_reauthorization');
    assert.match(s.error, /revoked|connect again/i);
    assert.equal(s.nextSyncAt, null);
    await eventually(async () => (await p.temporal.schedule.getHandle(scheduleIds.resync(tenantId)).describe()).state.paused, 'schedule paused', 15_000);
    const run = await p.stores.syncRuns.latest(tenantId);
    assert.notEqual(run?._id, before.lastSync.runId);
    assert.equal(run?.status, 'needs_reauthorization');

    // Reconnect through the same flow.
    const { authorizationUrl, connectCookie } = await startConnect(p, tenantId);
    const callbackUrl = await authorizeInSandbox(authorizationUrl, DIVISION);
    assert.equal((await openCallback(callbackUrl, connectCookie)).status, 200);
    const restored = await waitForState(p, tenantId, 'connected');
    assert.equal(restored.error, null);
    // Schedule changes reach the scheduler asynchronously.
    await eventually(async () => !(await p.temporal.schedule.getHandle(scheduleIds.resync(tenantId)).describe()).state.paused, 'schedule unpaused', 15_000);
    const newKey = (await p.stores.tenants.revealAccountKey(tenantId))!.accountKey;
    assert.notEqual(newKey, key);
  });

  test('disconnect deletes the schedule and the account key, and keeps the sync history', async () => {
    const runsBefore = await p.stores.syncRuns.col.countDocuments({ tenantId });
    assert.ok(runsBefore > 0);
    const res = await p.call('DELETE', `/api/tenants/${tenantId}/exact`);
    assert.equal(res.status, 200);
    await assert.rejects(p.temporal.schedule.getHandle(scheduleIds.resync(tenantId)).describe(), ScheduleNotFoundError);
    const conn = await p.stores.tenants.getConnection(tenantId);
    assert.equal(conn?.state, 'disconnected');
    assert.equal(conn?.accountKey, undefined);
    assert.equal(await p.stores.syncRuns.col.countDocuments({ tenantId }), runsBefore);
    const sync = await p.call('POST', `/api/tenants/${tenantId}/exact/sync`, {});
    assert.equal(sync.status, 409);
  });
});

describe('input errors', () => {
  test('unknown tenant → 404 on every tenant route', async () => {
    for (const [method, path] of [
      ['GET', '/api/tenants/nobody'],
      ['GET', '/api/tenants/nobody/exact'],
      ['POST', '/api/tenants/nobody/exact/connect'],
      ['POST', '/api/tenants/nobody/exact/sync'],
      ['DELETE', '/api/tenants/nobody/exact'],
      ['GET', '/api/tenants/nobody/master-data/journals'],
    ] as const) {
      const r = await p.call(method, path, method === 'POST' ? {} : undefined);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.body.error.code, 'not_found');
    }
  });

  test('invalid bodies and parameters → 400 naming the field', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/tenants', { name: 'No id' }, 'body.tenantId'],
      ['POST', '/api/tenants', { tenantId: 'has space', name: 'x' }, 'body.tenantId'],
      ['POST', '/api/tenants', { tenantId: 'ok-id', name: '' }, 'body.name'],
      ['GET', '/api/tenants/x/master-data/planets', undefined, 'params.kind'],
      ['GET', '/api/tenants/x/master-data/journals?limit=0', undefined, 'query.limit'],
      ['POST', '/api/tenants/x/exact/sync', { mode: 'sometimes' }, 'body.mode'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await p.call(method, path, body);
      assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.ok(r.body.error.fields.some((f: any) => f.path === field), `${path} names ${field}: ${JSON.stringify(r.body.error.fields)}`);
    }
    const malformed = await p.call('POST', '/api/tenants', '{"tenantId": ');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'invalid_json');
  });

  test('the same tenant id with another name is a conflict', async () => {
    const t = uniqueId('dup');
    assert.equal((await p.call('POST', '/api/tenants', { tenantId: t, name: 'A' })).status, 201);
    assert.equal((await p.call('POST', '/api/tenants', { tenantId: t, name: 'A' })).status, 200);
    const r = await p.call('POST', '/api/tenants', { tenantId: t, name: 'B' });
    assert.equal(r.status, 409);
  });

  test('the admin page is served and drives the API', async () => {
    const res = await fetch(`${p.apiUrl}/admin?tenant=x`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.match(html, /<title>Exact Online<\/title>/);
    // The page is a shell loading versioned modules; the views call the API.
    const app = /<script type="module" src="([^"]+\/app\.mjs)">/.exec(html)?.[1];
    assert.ok(app, 'the page loads its app module');
    const base = app.slice(0, app.lastIndexOf('/'));
    const views = await Promise.all(['view-connection.mjs', 'view-mappings.mjs', 'picker.mjs'].map(async (m) => (await fetch(`${p.apiUrl}${base}/${m}`)).text()));
    for (const route of ['/exact/connect', '/exact/sync', '/master-data/', '/mappings']) assert.ok(views.some((v) => v.includes(route)), `page calls ${route}`);
  });

  test('the OpenAPI document describes the routes', async () => {
    const doc = (await p.call('GET', '/api/openapi.json')).body;
    assert.equal(doc.openapi, '3.0.3');
    for (const path of ['/api/tenants', '/api/tenants/{tenantId}/exact/connect', '/api/exact/callback', '/api/tenants/{tenantId}/exact', '/api/tenants/{tenantId}/master-data/{kind}']) {
      assert.ok(doc.paths[path], `${path} documented`);
    }
  });
});

