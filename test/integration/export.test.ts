/**
 * Export on approval, end to end: real dev server, FerretDB and the Maesn sandbox over HTTP.
 */
import { after, before, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { DEMO_DIVISION, demoFiles, demoMappings, mixedReport, simpleReport } from '../fixtures/demo-data';
import { authorizeInSandbox, connectTenant, openCallback, startConnect, waitForState } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';
import { productDataConverter } from '../../src/temporal';

let p: Product;
const tenantId = uniqueId('exp');

before(async () => {
  p = await startProduct({
    env: { EXPORT_REAUTH_CHECK_INTERVAL: '1s', EXPORT_REMINDER_INTERVAL: '2s', EXPORT_MAX_RECEIPT_BYTES: '4096', EXPORT_SETTLE_PERIOD: '2s' },
  });
  await connectTenant(p, tenantId, DEMO_DIVISION);
  const put = await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings());
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.valid, true, JSON.stringify(put.body.issues));
});
after(async () => {
  await p?.close();
});

const exportPath = (reportId: string) => `/api/tenants/${tenantId}/expense-reports/${reportId}/export`;

async function waitForExport(reportId: string, status: string, timeoutMs = 60_000): Promise<any> {
  return eventually(
    async () => {
      const r = await p.call('GET', exportPath(reportId));
      return r.body?.status === status ? r.body : null;
    },
    `export ${reportId} to be ${status}`,
    timeoutMs,
  );
}

async function entriesFor(reportId: string) {
  const all = await p.sandbox.listJournalEntries(DEMO_DIVISION);
  // Every line carries the reference (general journal entries have no header description in Exact).
  return all.filter((e) => e.journalLineItems.some((l) => l.description?.split(/\s+/).includes(`EXP-${reportId}`))) as any[];
}

describe('happy path', () => {
  const reportId = uniqueId('R');

  test('mixed 21/9/0 % VAT, mileage, USD and two receipts: one entry, right to the cent', async () => {
    const res = await p.call('POST', exportPath(reportId), mixedReport(reportId));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.exportId, `${tenantId}:${reportId}`);

    const done = await waitForExport(reportId, 'posted');
    assert.ok(done.exactEntryId);
    assert.ok(done.exactEntryNumber);
    assert.equal(done.division, DEMO_DIVISION);
    assert.deepEqual(done.missing, []);

    const [entry, ...others] = await entriesFor(reportId);
    assert.equal(others.length, 0, 'exactly one entry');
    assert.equal(entry.id, done.exactEntryId);
    assert.equal(entry.journalCode, '90');
    assert.equal(entry.currency, 'EUR');
    assert.match(entry.accountingPeriodId, /^\d{4}-11$/);

    const lines = entry.journalLineItems.map((l: any) => ({
      side: l.debitCreditIndicator,
      account: l.accountCode,
      net: Number(l.totalNetAmount).toFixed(2),
      tax: Number(l.totalTaxAmount).toFixed(2),
      gross: Number(l.totalGrossAmount).toFixed(2),
      vat: l.taxRate?.code ?? null,
      dims: (l.dimensions ?? []).map((d: any) => `${d.categoryName}:${d.code}`).sort(),
    }));
    assert.deepEqual(lines, [
      { side: 'DEBIT', account: '4500', net: '100.00', tax: '21.00', gross: '121.00', vat: '5', dims: ['CostCenter:400', 'CostUnit:KD02'] },
      // the restaurant lunch: VAT not deductible, gross with the no-VAT code
      { side: 'DEBIT', account: '4430', net: '54.50', tax: '0.00', gross: '54.50', vat: '0', dims: ['CostCenter:200'] },
      { side: 'DEBIT', account: '4300', net: '19.99', tax: '0.00', gross: '19.99', vat: '7', dims: [] },
      { side: 'DEBIT', account: '4520', net: '28.38', tax: '0.00', gross: '28.38', vat: '7', dims: ['CostCenter:400'] },
      // the US software subscription: reverse charge with the charged code
      { side: 'DEBIT', account: '4330', net: '92.00', tax: '0.00', gross: '92.00', vat: '9', dims: [] },
      { side: 'CREDIT', account: '1610', net: '315.87', tax: '0.00', gross: '315.87', vat: null, dims: [] },
    ]);
    // Merchants matched to suppliers (VAT number, then name); the employee on the credit line.
    const suppliers = await p.call('GET', `/api/tenants/${tenantId}/master-data/suppliers?limit=100`);
    const byId = new Map(suppliers.body.items.map((s: any) => [s.id, s.code]));
    assert.deepEqual(entry.journalLineItems.map((l: any) => (l.supplierId ? byId.get(l.supplierId) : null)), ['2002', '2008', null, null, null, '9002']);
    // Both receipts attached to their expense's line.
    assert.deepEqual(
      entry.attachments.map((f: any) => [f.name, f.linePosition]).sort(),
      [['lunch.jpg', 2], ['treinkaartje.pdf', 1]],
    );
    // …byte for byte.
    const sha = (b64: string) => createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex');
    assert.deepEqual(
      Object.fromEntries(entry.attachments.map((f: any) => [f.name, f.sha256])),
      { 'treinkaartje.pdf': sha(demoFiles.pdf), 'lunch.jpg': sha(demoFiles.jpg) },
    );
    // The booking as built is visible on the export.
    assert.equal(done.lines.length, 6);
    assert.equal(done.lines[5].grossAmount, '315.87');
  });

  test('the same approval again returns the same export and posts nothing new', async () => {
    const again = await p.call('POST', exportPath(reportId), mixedReport(reportId));
    assert.equal(again.status, 202);
    assert.equal(again.body.exportId, `${tenantId}:${reportId}`);
    assert.equal(again.body.status, 'posted');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await entriesFor(reportId)).length, 1);
  });

  test('the run replays deterministically against the current workflow code', async () => {
    const history = await p.temporal.workflow.getHandle(`export:${tenantId}:${reportId}`).fetchHistory();
    // Payloads are encrypted: replaying needs the product's data converter.
    await Worker.runReplayHistory({ workflowsPath: require.resolve('../../src/workflows'), dataConverter: productDataConverter(p.config.keyRing) }, history, `export:${tenantId}:${reportId}`);
  });

  test('neither receipts nor credentials are in the workflow history', async () => {
    const history = await p.temporal.workflow.getHandle(`export:${tenantId}:${reportId}`).fetchHistory();
    const text = JSON.stringify(history, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
    const key = (await p.stores.tenants.revealAccountKey(tenantId))!.accountKey;
    assert.ok(!text.includes(key), 'account key in history');
    assert.ok(!text.includes(demoFiles.pdf.slice(0, 40)), 'receipt content in history');
    assert.ok(!text.includes(p.config.maesn.apiKey), 'API key in history');
    const onboarding = JSON.stringify(await p.temporal.workflow.getHandle(`onboarding:${tenantId}`).fetchHistory(), (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
    assert.ok(!onboarding.includes(key), 'account key in onboarding history');
  });

  test('the same reportId with different content is a conflict', async () => {
    const changed = mixedReport(reportId);
    changed.description = 'Anders';
    const r = await p.call('POST', exportPath(reportId), changed);
    assert.equal(r.status, 409);
    assert.equal((await entriesFor(reportId)).length, 1);
  });
});

describe('idempotency and faults', () => {
  test('ten concurrent approvals of one report → one entry', async () => {
    const reportId = uniqueId('C');
    const report = simpleReport(reportId);
    const results = await Promise.all(Array.from({ length: 10 }, () => p.call('POST', exportPath(reportId), report)));
    for (const r of results) {
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.exportId, `${tenantId}:${reportId}`);
    }
    await waitForExport(reportId, 'posted');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await entriesFor(reportId)).length, 1);
  });

  test('"commit then fail": the entry is stored, the answer lost → the lookup adopts it, still one entry', async () => {
    const reportId = uniqueId('F');
    await p.sandbox.commitThenFail({ status: 502 });
    const res = await p.call('POST', exportPath(reportId), simpleReport(reportId));
    assert.equal(res.status, 202);
    const done = await waitForExport(reportId, 'posted');
    const entries = await entriesFor(reportId);
    assert.equal(entries.length, 1);
    assert.equal(done.exactEntryId, entries[0].id);
    const doc = await p.stores.exports.get(tenantId, reportId);
    assert.equal(doc?.postedVia, 'adopted');
  });

  test('a timeout on the post (outcome unknown) does not lead to a second entry either', async () => {
    const reportId = uniqueId('T');
    await p.sandbox.commitThenFail('reset');
    await p.call('POST', exportPath(reportId), simpleReport(reportId));
    await waitForExport(reportId, 'posted');
    assert.equal((await entriesFor(reportId)).length, 1);
  });

  test('transient 503s and a 429 before the post are retried with backoff', async () => {
    const reportId = uniqueId('B');
    await p.sandbox.failNext('createJournalEntry', 503, 2);
    await p.sandbox.failNext('createJournalEntry', 429, 1);
    await p.call('POST', exportPath(reportId), simpleReport(reportId));
    await waitForExport(reportId, 'posted', 90_000);
    assert.equal((await entriesFor(reportId)).length, 1);
  });
});

describe('waiting and rejections', () => {
  test('a missing category mapping → waiting_for_mappings → PUT mappings → posted', async () => {
    const reportId = uniqueId('M');
    await p.call('POST', exportPath(reportId), simpleReport(reportId, { category: 'coworking' }));
    const waiting = await waitForExport(reportId, 'waiting_for_mappings');
    assert.deepEqual(
      waiting.missing.map((m: any) => [m.expenseId, m.field, m.value, m.reason]),
      [['x1', 'category', 'coworking', 'not_mapped']],
    );
    const listed = await p.call('GET', `/api/tenants/${tenantId}/exports?status=waiting_for_mappings`);
    const item = listed.body.items.find((i: any) => i.reportId === reportId);
    assert.match(item.problem, /1 missing: .*coworking/);
    // The reminder fires while it waits (2 s in this test).
    await eventually(async () => ((await p.temporal.workflow.getHandle(`export:${tenantId}:${reportId}`).query<any>('state')).reminders >= 1 ? true : null), 'a reminder', 20_000);

    const mappings = demoMappings();
    mappings.categories = { ...mappings.categories, coworking: { glAccount: '4100' } };
    const put = await p.call('PUT', `/api/tenants/${tenantId}/mappings`, mappings);
    assert.equal(put.status, 200);
    assert.ok(put.body.signalledExports >= 1);
    await waitForExport(reportId, 'posted');
    const [entry] = await entriesFor(reportId);
    assert.equal(entry.journalLineItems[0].accountCode, '4100');
    // Put the demo mappings back for the other tests.
    await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings());
  });

  test('a closed period → rejected with Exact\'s message; reopen + retry → posted', async () => {
    const year = new Date().getUTCFullYear();
    const reportId = uniqueId('P');
    await p.sandbox.closePeriod(DEMO_DIVISION, `${year}-10`);
    await p.call('POST', exportPath(reportId), simpleReport(reportId, { approvedAt: `${year}-10-15T12:00:00Z` }));
    const rejected = await waitForExport(reportId, 'rejected');
    assert.match(rejected.error.message, /period|periode/i);
    assert.equal((await entriesFor(reportId)).length, 0);

    await p.sandbox.reopenPeriod(DEMO_DIVISION, `${year}-10`);
    const retry = await p.call('POST', `${exportPath(reportId)}/retry`);
    assert.equal(retry.status, 202);
    await waitForExport(reportId, 'posted');
    assert.equal((await entriesFor(reportId)).length, 1);
  });

  test('a blocked GL account → rejected naming the line; fixed in Exact + retry → posted', async () => {
    const reportId = uniqueId('G');
    const accounts = await p.call('GET', `/api/tenants/${tenantId}/master-data/gl-accounts?search=4230`);
    const parking = accounts.body.items.find((a: any) => a.code === '4230');
    await p.sandbox.blockAccount(DEMO_DIVISION, parking.id); // blocked in Exact, not yet synced here
    await p.call('POST', exportPath(reportId), simpleReport(reportId));
    const rejected = await waitForExport(reportId, 'rejected');
    assert.equal(rejected.error.line, 1);
    await p.sandbox.unblockAccount(DEMO_DIVISION, parking.id);
    await p.call('POST', `${exportPath(reportId)}/retry`);
    await waitForExport(reportId, 'posted');
  });

  test('revoked key → waiting_for_reauthorization → reconnect → posted', async () => {
    const reportId = uniqueId('K');
    const key = (await p.stores.tenants.revealAccountKey(tenantId))!.accountKey;
    await p.sandbox.revokeAccountKey(key);
    await p.call('POST', exportPath(reportId), simpleReport(reportId));
    await waitForExport(reportId, 'waiting_for_reauthorization');

    const { authorizationUrl, connectCookie } = await startConnect(p, tenantId);
    const callbackUrl = await authorizeInSandbox(authorizationUrl, DEMO_DIVISION);
    assert.equal((await openCallback(callbackUrl, connectCookie)).status, 200);
    await waitForState(p, tenantId, 'connected');
    await waitForExport(reportId, 'posted');
    assert.equal((await entriesFor(reportId)).length, 1);
  });

  test('cancel ends a waiting export as cancelled', async () => {
    const reportId = uniqueId('X');
    await p.call('POST', exportPath(reportId), simpleReport(reportId, { category: 'unknown-category' }));
    await waitForExport(reportId, 'waiting_for_mappings');
    const res = await p.call('POST', `${exportPath(reportId)}/cancel`);
    assert.equal(res.status, 202);
    await waitForExport(reportId, 'cancelled');
    const again = await p.call('POST', `${exportPath(reportId)}/retry`);
    assert.equal(again.status, 409);
  });
});

describe('input checks', () => {
  test('invalid reports → 400 naming the field; nothing stored', async () => {
    const reportId = uniqueId('V');
    const bad = simpleReport(reportId) as any;
    bad.expenses[0].amount = '12.345';
    const r = await p.call('POST', exportPath(reportId), bad);
    assert.equal(r.status, 400);
    assert.ok(r.body.error.fields.some((f: any) => f.path === 'body.expenses.0.amount'), JSON.stringify(r.body));
    const mismatch = await p.call('POST', exportPath(reportId), simpleReport('other-id'));
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.error.fields[0].path, 'body.reportId');
    assert.equal((await p.call('GET', exportPath(reportId))).status, 404);
  });

  test('a receipt over the size limit → 413 with the limit; nothing stored', async () => {
    const reportId = uniqueId('L');
    const big = simpleReport(reportId) as any;
    big.expenses[0].receipts[0].contentBase64 = Buffer.alloc(5000, 1).toString('base64');
    const r = await p.call('POST', exportPath(reportId), big);
    assert.equal(r.status, 413);
    assert.equal(r.body.error.limitBytes, 4096);
    assert.equal((await p.call('GET', exportPath(reportId))).status, 404);
  });

  test('PUT mappings reports every invalid reference with its reason', async () => {
    const t = uniqueId('mapcheck');
    await connectTenant(p, t, DEMO_DIVISION);
    const m = demoMappings();
    m.categories = { ...m.categories, travel: { glAccount: '9999' }, old: { glAccount: '4590' } }; // unknown; blocked in the seed
    m.vatRates = { ...m.vatRates, '21': '1' }; // a sales VAT code
    m.employees = { ...m.employees, 'emp-lucas': { supplier: '9006' } }; // blocked creditor
    const r = await p.call('PUT', `/api/tenants/${t}/mappings`, m);
    assert.equal(r.status, 200);
    assert.equal(r.body.valid, false);
    const byPath = Object.fromEntries(r.body.issues.map((i: any) => [i.path, i.reason]));
    assert.equal(byPath['categories.travel.glAccount'], 'unknown');
    assert.equal(byPath['categories.old.glAccount'], 'blocked');
    assert.equal(byPath['vatRates.21'], 'vat_code_not_usable');
    assert.equal(byPath['employees.emp-lucas.supplier'], 'inactive');
    const got = await p.call('GET', `/api/tenants/${t}/exact`);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(got.body.mappingHealth.ok, false);
    const bad = await p.call('PUT', `/api/tenants/${t}/mappings`, { ...m, journalCode: 5 });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.error.fields.some((f: any) => f.path === 'body.journalCode'));
  });

  test('unknown tenant → 404', async () => {
    const r = await p.call('POST', `/api/tenants/nobody/expense-reports/r1/export`, simpleReport('r1'));
    assert.equal(r.status, 404);
  });
});
