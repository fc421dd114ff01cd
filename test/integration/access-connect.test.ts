/**
 * The connect flow under attack, end to end: someone tries to connect a victim tenant to their own
 * Exact administration. Every step is refused (no credential, another tenant's session, a forged
 * session, a callback from another browser); and if the victim's own browser is tricked into
 * completing it, the switch to another division waits for the admin's confirmation, with nothing
 * exported there meanwhile. Disconnect stops running syncs and waiting exports from using the key.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_DIVISION, demoMappings, simpleReport } from '../fixtures/demo-data';
import { TokenService } from '../../src/api/tokens';
import { workflowIds } from '../../src/workflows/definitions';
import { CONNECT_COOKIE, SESSION_COOKIE, adminSession, asAdmin, setCookie } from '../helpers/access';
import { authorizeInSandbox, connectTenant, openCallback, startConnect, waitForState } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';
import { entriesWith } from '../helpers/exports';

const ATTACKER_DIVISION = '234567';

let p: Product;
before(async () => {
  p = await startProduct({ env: { EXPORT_REAUTH_CHECK_INTERVAL: '1s', AUTH_FAILURE_LIMIT: '100000' } });
});
after(async () => {
  await p?.close();
});

const exportPath = (tenantId: string, reportId: string) => `/api/tenants/${tenantId}/expense-reports/${reportId}/export`;

const entriesFor = (division: string, reportId: string) => entriesWith(p, division, `EXP-${reportId}`);

async function waitForExport(tenantId: string, reportId: string, status: string): Promise<any> {
  return eventually(async () => {
    const r = await p.call('GET', exportPath(tenantId, reportId));
    return r.body?.status === status ? r.body : null;
  }, `export ${reportId} to be ${status}`);
}

async function pendingCredentials(tenantId: string): Promise<number> {
  return p.db.collection('pending_credentials').countDocuments({ tenantId });
}

describe('hijacking a tenant’s connection', () => {
  const victim = uniqueId('victim');
  const attacker = uniqueId('attacker');
  let victimBrowser: string;
  let attackerBrowser: string;
  let victimConnectCookie: string;
  let hijackCallback: string;
  let keyBefore: string;

  before(async () => {
    await connectTenant(p, victim, DEMO_DIVISION);
    assert.equal((await p.call('PUT', `/api/tenants/${victim}/mappings`, demoMappings())).status, 200);
    await p.call('POST', '/api/tenants', { tenantId: attacker, name: 'Attacker BV' });
    victimBrowser = (await adminSession(p, victim)).cookie;
    attackerBrowser = (await adminSession(p, attacker)).cookie;
    keyBefore = (await p.stores.tenants.revealAccountKey(victim))!.accountKey;
  });

  test('without a credential, with their own tenant’s session, or a forged one: nothing of the victim is reachable', async () => {
    const forged = `${SESSION_COOKIE}=${(await new TokenService(['attacker-made-up-key-0123456789-abcdef']).sign('admin-session', victim, 60_000)).token}`;
    const routes: [string, string, unknown?][] = [
      ['POST', `/api/tenants/${victim}/exact/connect`],
      ['GET', `/api/tenants/${victim}/exact`],
      ['PUT', `/api/tenants/${victim}/mappings`, demoMappings()],
      ['GET', `/api/tenants/${victim}/master-data/suppliers`],
      ['GET', `/api/tenants/${victim}/exports`],
      ['POST', `/api/tenants/${victim}/exact/division-change/confirm`, { division: ATTACKER_DIVISION }],
      ['DELETE', `/api/tenants/${victim}/exact`],
    ];
    for (const [method, path, body] of routes) {
      assert.equal((await p.request(method, path, { auth: 'none', body })).status, 401, `${method} ${path} without a credential`);
      assert.equal((await p.request(method, path, { auth: { cookie: attackerBrowser }, body: body ?? (method === 'GET' ? undefined : {}) })).status, 404, `${method} ${path} with the attacker's session`);
      assert.equal((await p.request(method, path, { auth: { cookie: forged }, body: body ?? (method === 'GET' ? undefined : {}) })).status, 401, `${method} ${path} with a forged session`);
    }
    assert.equal((await p.call('GET', `/api/tenants/${victim}/exact`)).body.state, 'connected', 'the victim is untouched');
  });

  test('a callback from another browser is refused, and nothing from it is kept', async () => {
    // The victim's admin reconnects; the authorization link leaks to the attacker.
    const connect = await asAdmin(p, victimBrowser)('POST', `/api/tenants/${victim}/exact/connect`);
    assert.equal(connect.status, 200);
    victimConnectCookie = setCookie(connect.headers, CONNECT_COOKIE)!;
    // The attacker logs in to their own administration with it: Maesn signs the callback.
    hijackCallback = await authorizeInSandbox(connect.body.authorizationUrl, ATTACKER_DIVISION);

    // …and opens it: without the binding cookie, with one of their own tenant, or a forged one.
    const own = await asAdmin(p, attackerBrowser)('POST', `/api/tenants/${attacker}/exact/connect`);
    const attackerConnectCookie = setCookie(own.headers, CONNECT_COOKIE)!;
    const forged = `${CONNECT_COOKIE}=${(await new TokenService(['attacker-made-up-key-0123456789-abcdef']).sign('connect', victim, 60_000, { state: new URL(hijackCallback).searchParams.get('state')! })).token}`;
    for (const cookie of [null, attackerConnectCookie, forged]) {
      const res = await openCallback(hijackCallback, cookie);
      const body: any = await res.json();
      assert.equal(res.status, 403, JSON.stringify(body));
      assert.equal(body.error.code, 'foreign_browser');
    }

    // Nothing changed: no credential stored, the victim's key and division, still waiting for the victim.
    assert.equal(await pendingCredentials(victim), 0);
    const conn = await p.stores.tenants.getConnection(victim);
    assert.equal(conn?.divisionChange ?? null, null);
    const key = await p.stores.tenants.revealAccountKey(victim);
    assert.equal(key?.division, DEMO_DIVISION);
    assert.equal(key?.accountKey, keyBefore);
    assert.equal((await p.temporal.workflow.getHandle(workflowIds.onboarding(victim)).query<any>('status')).step, 'awaiting_authorization');
  });

  test('tricked into completing it in their own browser, the victim still has to confirm the other division; nothing is exported there', async () => {
    const res = await openCallback(hijackCallback, victimConnectCookie);
    assert.equal(res.status, 200, await res.clone().text());
    const pending = await waitForState(p, victim, 'division_change_pending');
    assert.deepEqual([pending.divisionChange.from, pending.divisionChange.to, pending.division], [DEMO_DIVISION, ATTACKER_DIVISION, DEMO_DIVISION]);

    // The platform approves a report meanwhile: it waits, and reaches no administration.
    const reportId = uniqueId('H');
    assert.equal((await p.call('POST', exportPath(victim, reportId), simpleReport(reportId))).status, 202);
    const waiting = await waitForExport(victim, reportId, 'waiting_for_reauthorization');
    assert.match(waiting.error.message, /confirm/);
    assert.equal((await entriesFor(ATTACKER_DIVISION, reportId)).length, 0);
    assert.equal((await entriesFor(DEMO_DIVISION, reportId)).length, 0);

    // The attacker cannot confirm it; the victim confirming another division than shown is refused.
    const confirm = `/api/tenants/${victim}/exact/division-change/confirm`;
    assert.equal((await p.request('POST', confirm, { auth: 'none', body: { division: ATTACKER_DIVISION } })).status, 401);
    assert.equal((await p.request('POST', confirm, { auth: { cookie: attackerBrowser }, body: { division: ATTACKER_DIVISION } })).status, 404);
    const mismatch = await asAdmin(p, victimBrowser)('POST', confirm, { division: '999999' });
    assert.equal(mismatch.status, 409);
    assert.equal(mismatch.body.error.code, 'division_mismatch');

    // The victim's admin rejects it: the previous connection stays, and the report goes there.
    const reject = await asAdmin(p, victimBrowser)('POST', `/api/tenants/${victim}/exact/division-change/reject`);
    assert.equal(reject.status, 202, JSON.stringify(reject.body));
    const restored = await waitForState(p, victim, 'connected');
    assert.equal(restored.division, DEMO_DIVISION);
    assert.equal(restored.divisionChange, null);
    assert.equal((await p.stores.tenants.revealAccountKey(victim))?.accountKey, keyBefore);
    const result: any = await p.temporal.workflow.getHandle(workflowIds.onboarding(victim)).result();
    assert.equal(result.step, 'division_change_rejected');
    const posted = await waitForExport(victim, reportId, 'posted');
    assert.equal(posted.division, DEMO_DIVISION);
    assert.equal((await entriesFor(DEMO_DIVISION, reportId)).length, 1);
    assert.equal((await entriesFor(ATTACKER_DIVISION, reportId)).length, 0, 'nothing ever reached the other administration');
  });
});

describe('changing the division on purpose', () => {
  test('confirmed by the admin: the new division is synced and becomes the connection; waiting exports are woken', async () => {
    const t = uniqueId('move');
    await connectTenant(p, t, DEMO_DIVISION);
    assert.equal((await p.call('PUT', `/api/tenants/${t}/mappings`, demoMappings())).status, 200);
    const browser = (await adminSession(p, t)).cookie;
    const connect = await asAdmin(p, browser)('POST', `/api/tenants/${t}/exact/connect`);
    const callback = await authorizeInSandbox(connect.body.authorizationUrl, ATTACKER_DIVISION);
    assert.equal((await openCallback(callback, setCookie(connect.headers, CONNECT_COOKIE))).status, 200);
    await waitForState(p, t, 'division_change_pending');

    const reportId = uniqueId('M');
    await p.call('POST', exportPath(t, reportId), simpleReport(reportId));
    await waitForExport(t, reportId, 'waiting_for_reauthorization');

    const confirm = await asAdmin(p, browser)('POST', `/api/tenants/${t}/exact/division-change/confirm`, { division: ATTACKER_DIVISION });
    assert.equal(confirm.status, 202, JSON.stringify(confirm.body));
    assert.deepEqual([confirm.body.previousDivision, confirm.body.division], [DEMO_DIVISION, ATTACKER_DIVISION]);
    const moved = await waitForState(p, t, 'connected');
    assert.equal(moved.division, ATTACKER_DIVISION);
    assert.equal(moved.lastSync.status, 'succeeded', 'the new administration was synced');
    // The report accepted while the change waited (for the old division, never posted) is booked
    // in the administration the admin confirmed, once; nothing in the old one.
    const done = await waitForExport(t, reportId, 'posted');
    assert.equal(done.division, ATTACKER_DIVISION);
    assert.equal((await entriesFor(ATTACKER_DIVISION, reportId)).length, 1);
    assert.equal((await entriesFor(DEMO_DIVISION, reportId)).length, 0);
  });
});

describe('disconnect', () => {
  test('stops a running sync and keeps waiting exports from using the old key', async () => {
    const t = uniqueId('disc');
    await connectTenant(p, t, DEMO_DIVISION);
    const reportId = uniqueId('D');
    await p.call('POST', exportPath(t, reportId), simpleReport(reportId, { category: 'not-mapped-yet' }));
    await waitForExport(t, reportId, 'waiting_for_mappings');

    // A sync that hangs on suppliers (Maesn holds the request), so it still runs when the admin disconnects.
    await p.sandbox.timeoutNext('getSuppliers', 3_000, 1_000, { division: DEMO_DIVISION });
    try {
      const sync = await p.call('POST', `/api/tenants/${t}/exact/sync`, { mode: 'full' });
      assert.equal(sync.status, 202);
      await eventually(async () => (await p.stores.syncRuns.latest(t))?.status === 'running' && (await p.stores.syncRuns.latest(t))?.trigger === 'manual', 'manual sync running');

      const res = await p.call('DELETE', `/api/tenants/${t}/exact`);
      assert.equal(res.status, 200);
      assert.ok(res.body.stoppedSyncs >= 1, JSON.stringify(res.body));
      const d = await p.temporal.workflow.getHandle(workflowIds.manualSync(t)).describe();
      assert.equal(d.status.name, 'TERMINATED');
    } finally {
      await p.sandbox.clearFaults();
    }

    // The waiting export is woken (mappings fixed): it finds no key and waits for a reconnect; nothing is posted.
    const m = demoMappings();
    await p.call('PUT', `/api/tenants/${t}/mappings`, { ...m, categories: { ...m.categories, 'not-mapped-yet': { glAccount: '4100' } } });
    const waiting = await waitForExport(t, reportId, 'waiting_for_reauthorization');
    assert.match(waiting.error.message, /no Exact Online connection/);
    assert.equal((await entriesFor(DEMO_DIVISION, reportId)).length, 0);
    const conn = await p.stores.tenants.getConnection(t);
    assert.equal(conn?.state, 'disconnected');
    assert.equal(conn?.accountKey, undefined);
    assert.notEqual((await p.stores.syncRuns.latest(t))?.status, 'succeeded');
  });
});
