/**
 * What the admin page reads, through the API: exports with search, counts per status and those
 * that need a person first; one export in full (lines with names and receipts, VAT, totals, the
 * field that fixes each missing mapping, actions, Temporal UI link); the mappings reviewed
 * (records, problems, what waiting exports need); sync history; pickers that offer only what fits.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoMappings, mixedReport, simpleReport } from '../fixtures/demo-data';
import { connectTenant } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';

let p: Product;
const T = uniqueId('view');
const posted = uniqueId('M');
const waiting = uniqueId('W');
const other = uniqueId('W');

const get = async (path: string) => {
  const r = await p.call('GET', `/api/tenants/${T}${path}`);
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
  return r.body;
};
const waitFor = (reportId: string, status: string) => eventually(async () => (await get(`/expense-reports/${reportId}/export`)).status === status, `${reportId} ${status}`, 90_000);

before(async () => {
  p = await startProduct();
  await connectTenant(p, T);
  const { parking: _p, ...categories } = demoMappings().categories!;
  assert.equal((await p.call('PUT', `/api/tenants/${T}/mappings`, { ...demoMappings(), categories: { ...categories, gifts: { glAccount: '9999' } } })).status, 200);
  await p.call('POST', `/api/tenants/${T}/expense-reports/${posted}/export`, mixedReport(posted));
  await p.call('POST', `/api/tenants/${T}/expense-reports/${waiting}/export`, simpleReport(waiting, { category: 'parking' }));
  await p.call('POST', `/api/tenants/${T}/expense-reports/${other}/export`, { ...simpleReport(other, { category: 'parking', employeeId: 'emp-sanne' }), employee: { id: 'emp-sanne', name: 'Sanne de Vries', email: 'sanne@demo.example' } });
  await Promise.all([waitFor(waiting, 'waiting_for_mappings'), waitFor(other, 'waiting_for_mappings')]);
});
after(async () => {
  await p?.close();
});

describe('exports for a person', () => {
  test('those that need action first, counts per status, search by report ID or employee', async () => {
    await eventually(async () => (await get(`/expense-reports/${posted}/export`)).status !== 'validating', 'the mixed report settles', 90_000);
    const all = await get('/exports?sort=action&limit=2');
    assert.deepEqual(all.items.map((i: any) => i.status), ['waiting_for_mappings', 'waiting_for_mappings']);
    assert.equal(all.total, 3);
    assert.equal(all.counts.waiting_for_mappings, 2);
    assert.equal(Object.values(all.counts as Record<string, number>).reduce((a, b) => a + b, 0), 3);
    const page2 = await get('/exports?sort=action&limit=2&page=2');
    assert.deepEqual(page2.items.map((i: any) => i.reportId), [posted], 'the rest on the next page');

    const w = all.items.find((i: any) => i.reportId === waiting);
    assert.deepEqual(w.employee, { id: 'emp-jan', name: 'Jan Jansen' });
    assert.equal(w.total, '12.10');
    assert.equal(w.currency, 'EUR');
    assert.deepEqual(w.actions, ['fix-mappings', 'mapping-fixed', 'mark-posted', 'cancel']);
    assert.equal(w.revision, 1);

    const byEmployee = await get('/exports?search=sanne');
    assert.deepEqual(byEmployee.items.map((i: any) => i.reportId).sort(), [posted, other].sort(), 'name or ID of the employee, any case');
    assert.equal(byEmployee.counts.waiting_for_mappings, 1, 'counts follow the search');
    const byReport = await get(`/exports?search=${waiting.slice(2)}`);
    assert.deepEqual(byReport.items.map((i: any) => i.reportId), [waiting]);
    assert.equal((await get('/exports?search=.*')).total, 0, 'a search is literal text, not a pattern');
  });
});

describe('one export in full', () => {
  test('posted: lines with account names and the receipts on each line, VAT per code, totals, Temporal UI link', async () => {
    await waitFor(posted, 'posted');
    const d = await get(`/expense-reports/${posted}/export/detail`);
    assert.equal(d.lines.length, 6);
    assert.equal(d.lines[0].accountName, 'Reiskosten');
    assert.deepEqual(d.lines[0].receipts.map((r: any) => r.fileName), ['treinkaartje.pdf']);
    assert.deepEqual(d.lines[1].receipts.map((r: any) => r.fileName), ['lunch.jpg']);
    assert.deepEqual(d.lines[5].receipts, [], 'nothing on the credit line');
    assert.equal(d.lines[5].side, 'CREDIT');
    assert.equal(d.lines[5].supplierName, 'de Vries, Sanne', 'the name of supplier 9002 in Exact');
    assert.equal(d.totals.gross, d.lines[5].grossAmount);
    assert.equal(d.totals.currency, 'EUR');
    const vat21 = d.vat.find((v: any) => v.code === '5');
    assert.deepEqual(vat21, { code: '5', rate: '21', net: '100.00', tax: '21.00', gross: '121.00' });
    assert.deepEqual(d.actions, []);
    assert.equal(d.postedVia, 'created');
    assert.equal(d.reference, `EXP-${posted}`);
    assert.equal(d.report.expenses.length, 5);
    assert.equal(d.report.expenses[4].originalCurrency, 'USD');
    assert.equal(d.temporalUrl, `${p.config.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(`export:${T}:${posted}`)}`);
  });

  test('waiting: each missing mapping names the field that fixes it; no lines yet, the report total', async () => {
    const d = await get(`/expense-reports/${waiting}/export/detail`);
    assert.deepEqual(d.missing.map((m: any) => m.mappingField), ['categories.parking.glAccount']);
    assert.deepEqual(d.lines, []);
    assert.deepEqual(d.totals, { net: null, tax: null, gross: '12.10', currency: 'EUR' });
    assert.deepEqual(d.report.expenses[0].receipts.map((r: any) => r.fileName), ['parkeren.pdf']);
    assert.deepEqual([d.revision, d.currentRevision, d.reference, d.postedVia], [1, 1, `EXP-${waiting}`, null]);
    assert.deepEqual(d.actions, ['fix-mappings', 'mapping-fixed', 'mark-posted', 'cancel']);
    assert.equal((await get(`/expense-reports/${waiting}/export/detail?revision=1`)).exportId, d.exportId);
    assert.equal((await p.call('GET', `/api/tenants/${T}/expense-reports/${waiting}/export/detail?revision=2`)).status, 404);
    assert.equal((await p.call('GET', `/api/tenants/${T}/expense-reports/nope/export/detail`)).status, 404);
  });
});

describe('the mappings reviewed', () => {
  test('each code with its record, every invalid reference, and the fields waiting exports need', async () => {
    const r = await get('/mappings/review');
    assert.equal(r.version, 1);
    const ref = (path: string) => r.references.find((x: any) => x.path === path);
    assert.deepEqual(ref('categories.travel.glAccount').record, { code: '4500', name: 'Reiskosten', active: true, blocked: false, vanished: false });
    assert.equal(ref('categories.gifts.glAccount').record, null, 'a code that is not in Exact');
    assert.equal(ref('journalCode').kind, 'journals');
    assert.deepEqual(r.issues.map((i: any) => i.path), ['categories.gifts.glAccount']);
    assert.equal(r.needed.length, 1, JSON.stringify(r.needed));
    assert.equal(r.needed[0].path, 'categories.parking.glAccount');
    assert.deepEqual(r.needed[0].messages, ['category parking has no GL account mapping']);
    assert.deepEqual([...r.needed[0].reportIds].sort(), [waiting, other].sort());
  });
});

describe('pickers offer what fits a field', () => {
  const codes = async (kind: string, query: string) => (await get(`/master-data/${kind}?limit=200&${query}`)).items.map((i: any) => i.code);

  test('categories: cost accounts only; the credit account: balance sheet or creditor', async () => {
    const cost = await codes('gl-accounts', 'fit=categories.travel.glAccount');
    assert.ok(cost.includes('4230') && cost.includes('4500'));
    assert.ok(!cost.includes('1610') && !cost.includes('1600'), 'no balance-sheet or creditor account for a category');
    const credit = await codes('gl-accounts', 'fit=creditAccount');
    assert.ok(credit.includes('1610'));
    assert.ok(!credit.includes('4500'));
    assert.deepEqual(await codes('gl-accounts', 'fit=categories.x.glAccount&search=parkeer'), ['4230'], 'searched by name');
  });

  test('VAT rates: purchase codes of that percentage', async () => {
    const all = (await get('/master-data/vat-codes?limit=200')).items;
    const fit21 = (await get('/master-data/vat-codes?limit=200&fit=vatRates.21')).items;
    assert.ok(fit21.length >= 1 && fit21.length < all.length);
    assert.ok(fit21.some((v: any) => v.code === '5'));
    for (const v of fit21) {
      assert.ok(['BILL', 'JOURNAL_ENTRY', 'ALL'].includes(v.usage) || v.usage === 'CASH' ? true : false, `usage ${v.usage}`);
      assert.ok(Number(v.percentage) === 21 || Number(v.percentage) === 0.21, `percentage ${v.percentage}`);
    }
  });

  test('a field of another kind, or no field at all, is a 400 naming query.fit', async () => {
    for (const q of ['/master-data/suppliers?fit=categories.x.glAccount', '/master-data/gl-accounts?fit=nonsense', '/master-data/vat-codes?fit=vatRates.abc']) {
      const r = await p.call('GET', `/api/tenants/${T}${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.fields[0].path, 'query.fit', q);
    }
  });
});

describe('sync history', () => {
  test('the runs, newest first, with mode, trigger, duration and counts per kind', async () => {
    const started = await p.call('POST', `/api/tenants/${T}/exact/sync`, { mode: 'incremental' });
    assert.equal(started.status, 202);
    const h = await eventually(async () => {
      const r = await get('/sync-runs');
      return r.items.length === 2 && r.items[0].status !== 'running' ? r : null;
    }, 'the second run', 60_000);
    assert.deepEqual(h.items.map((r: any) => r.trigger), ['manual', 'onboarding']);
    assert.equal(h.items[1].mode, 'full');
    assert.equal(h.items[1].counts['gl-accounts'].fetched > 10, true);
    assert.ok(h.items[0].durationMs >= 0);
    assert.equal((await get('/sync-runs?limit=1')).items.length, 1);
  });
});
