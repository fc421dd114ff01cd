/**
 * Dutch fiscal rules against the stack (API, worker, Temporal, MongoDB, the sandbox over HTTP): the
 * posted entry's lines, date and period for a report with a restaurant lunch, a split hotel bill, a
 * US software subscription (reverse charge), a refund and a German hotel, approved at 23:30 UTC on
 * the last day of a month; a division whose financial year starts on 1 July; a closed period under
 * both policies; an export waiting for the periods, woken by the sync that brings them; a posted
 * export reversed, then exported again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MASTER_DATA_KINDS, type ExpenseReport } from '../../src/domain';
import { DEMO_DIVISION, demoMappings } from '../fixtures/demo-data';
import { entriesWith, submit, waitForExport } from '../helpers/exports';
import { connectTenant, waitForSyncRun } from '../helpers/onboarding';
import { startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';

const JULY_DIVISION = '345678';
let p: Product;
const tenantId = uniqueId('fis');
const year = new Date().getUTCFullYear();

before(async () => {
  p = await startProduct({ env: { EXPORT_SETTLE_PERIOD: '2s' } });
  await connectTenant(p, tenantId, DEMO_DIVISION);
  const put = await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings());
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.valid, true, JSON.stringify(put.body.issues));
});
after(async () => {
  await p?.close();
});

type Receipt = Extract<ExpenseReport['expenses'][number], { type: 'receipt' }>;
const receipt = (id: string, f: Partial<Receipt>): Receipt => ({ type: 'receipt', id, date: `${year}-10-20`, description: id, category: 'travel', amount: '10.00', currency: 'EUR', vatRate: '21', receipts: [], ...f });
const report = (reportId: string, approvedAt: string, expenses: Receipt[]): ExpenseReport => ({
  reportId,
  employee: { id: 'emp-jan', name: 'Jan Jansen', email: 'jan@example.com' },
  approvedAt,
  currency: 'EUR',
  description: 'Oktober',
  expenses,
});

async function postedEntry(t: string, division: string, r: ExpenseReport) {
  await submit(p, t, r);
  const done = await waitForExport(p, t, r.reportId, ['posted', 'rejected', 'waiting_for_mappings', 'needs_review']);
  assert.equal(done.status, 'posted', JSON.stringify({ error: done.error, missing: done.missing }));
  const [entry, ...more] = await entriesWith(p, division, done.reference);
  assert.equal(more.length, 0);
  return { done, entry: entry as any };
}

const lines = (entry: any) =>
  entry.journalLineItems.map((l: any) => [l.debitCreditIndicator, l.accountCode, Number(l.totalNetAmount).toFixed(2), Number(l.totalTaxAmount).toFixed(2), Number(l.totalGrossAmount).toFixed(2), l.taxRate?.code ?? null]);

describe('a report with every Dutch VAT case', () => {
  test('lines, date and period as the rules say', async () => {
    const r = report(uniqueId('F'), `${year}-10-31T23:30:00Z`, [
      receipt('lunch', { category: 'meals', description: 'Lunch met klant', amount: '54.50', vatRate: '9', vatAmount: '4.50', merchant: { name: 'Restaurant het Pakhuis', country: 'NL' } }),
      receipt('hotel', {
        category: 'hotel',
        description: 'Hotel Utrecht',
        amount: '146.00',
        vatRate: undefined,
        vatLines: [
          { vatRate: '21', amount: '121.00', vatAmount: '21.00' },
          { vatRate: '9', amount: '25.00', category: 'meals' },
        ],
      }),
      receipt('saas', { category: 'software', description: 'Design tool', amount: '100.00', vatRate: '0', merchant: { name: 'Figma, Inc.', country: 'US' } }),
      receipt('refund', { description: 'Refund train ticket', amount: '-24.20', vatRate: '21', vatAmount: '-4.20' }),
      receipt('berlin', { category: 'hotel', description: 'Hotel Berlin', amount: '119.00', vatRate: '19', vatAmount: '19.00', merchant: { name: 'Hotel Adlon', country: 'DE' } }),
    ]);
    const { entry } = await postedEntry(tenantId, DEMO_DIVISION, r);
    // 23:30 UTC on 31 October is 00:30 on 1 November in Amsterdam.
    assert.equal(String(entry.transactionDate).slice(0, 10), `${year}-11-01`);
    assert.equal(entry.accountingPeriodId, `${year}-11`);
    assert.deepEqual(lines(entry), [
      ['DEBIT', '4430', '54.50', '0.00', '54.50', '0'], // lunch: gross, no-VAT code
      ['DEBIT', '4530', '100.00', '21.00', '121.00', '5'], // hotel room: 21 % deductible
      ['DEBIT', '4430', '25.00', '0.00', '25.00', '0'], // breakfast: not deductible
      ['DEBIT', '4330', '100.00', '0.00', '100.00', '9'], // US software: reverse charge
      ['CREDIT', '4500', '20.00', '4.20', '24.20', '5'], // refund: credit on the cost account, same code
      ['DEBIT', '4530', '119.00', '0.00', '119.00', '0'], // German VAT: not deductible here
      ['CREDIT', '1610', '395.30', '0.00', '395.30', null],
    ]);
    for (const l of entry.journalLineItems) assert.ok(String(l.description).length <= 60);
  });

  test('a report whose total is a refund makes the employee line a debit', async () => {
    const r = report(uniqueId('F'), `${year}-10-15T10:00:00Z`, [receipt('back', { amount: '-12.10', vatRate: '21' })]);
    const { entry } = await postedEntry(tenantId, DEMO_DIVISION, r);
    assert.deepEqual(lines(entry), [
      ['CREDIT', '4500', '10.00', '2.10', '12.10', '5'],
      ['DEBIT', '1610', '12.10', '0.00', '12.10', null],
    ]);
  });
});

describe('a financial year from 1 July', () => {
  test('books in the financial period of the date, not the calendar month', async () => {
    const t = uniqueId('jul');
    await connectTenant(p, t, JULY_DIVISION);
    const put = await p.call('PUT', `/api/tenants/${t}/mappings`, demoMappings());
    assert.equal(put.body.valid, true, JSON.stringify(put.body.issues));
    const now = new Date();
    const fy = now.getUTCMonth() + 1 >= 7 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
    const r = report(uniqueId('F'), `${fy + 1}-02-10T09:00:00Z`, [receipt('a', { date: `${fy + 1}-02-09` })]);
    const { entry } = await postedEntry(t, JULY_DIVISION, r);
    assert.equal(String(entry.transactionDate).slice(0, 10), `${fy + 1}-02-10`);
    assert.equal(entry.accountingPeriodId, `${fy}-08`); // February is period 8 of the year that started in July
  });
});

describe('a closed period', () => {
  const closed = `${year + 1}-03`;

  before(async () => {
    await p.sandbox.closePeriod(DEMO_DIVISION, closed);
    const sync = await p.call('POST', `/api/tenants/${tenantId}/exact/sync`, { mode: 'full' });
    assert.ok(sync.status < 300, JSON.stringify(sync.body));
    await waitForSyncRun(p, tenantId, sync.body.runId);
  });

  test('reject: the export is rejected naming the period', async () => {
    const r = report(uniqueId('F'), `${year + 1}-03-10T10:00:00Z`, [receipt('a', { date: `${year + 1}-03-09` })]);
    await submit(p, tenantId, r);
    const done = await waitForExport(p, tenantId, r.reportId, ['rejected', 'posted']);
    assert.equal(done.status, 'rejected');
    assert.match(done.error.message, new RegExp(`financial period ${closed} .* is closed for journal 90`));
  });

  test('next_open: booked on the first day of the next open period, the original date in the line text', async () => {
    const put = await p.call('PUT', `/api/tenants/${tenantId}/settings`, { closedPeriod: 'next_open' });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body, { timeZone: 'Europe/Amsterdam', bookingDate: 'approval', closedPeriod: 'next_open' });
    const r = report(uniqueId('F'), `${year + 1}-03-10T10:00:00Z`, [receipt('a', { date: `${year + 1}-03-09` })]);
    const { entry } = await postedEntry(tenantId, DEMO_DIVISION, r);
    assert.equal(String(entry.transactionDate).slice(0, 10), `${year + 1}-04-01`);
    assert.equal(entry.accountingPeriodId, `${year + 1}-04`);
    assert.match(entry.journalLineItems[0].description, new RegExp(` ${year + 1}-03-10 a`));
  });

  test('settings: a bad value is a 400 naming the field', async () => {
    const r = await p.call('PUT', `/api/tenants/${tenantId}/settings`, { timeZone: 'Europe/Atlantis', closedPeriod: 'later' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.error.fields.map((f: any) => f.path).sort(), ['body.closedPeriod', 'body.timeZone']);
    assert.equal((await p.call('GET', `/api/tenants/${tenantId}/settings`)).body.closedPeriod, 'next_open');
  });
});

describe('mappings are checked when saved', () => {
  test('an unknown vatTreatment is a 400 naming the field; a non-charged reverse-charge code and a sales code are listed', async () => {
    const bad = await p.call('PUT', `/api/tenants/${tenantId}/mappings`, { ...demoMappings(), categories: { meals: { glAccount: '4430', vatTreatment: 'half' } } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.fields.map((f: any) => f.path), ['body.categories.meals.vatTreatment']);
    const listed = await p.call('PUT', `/api/tenants/${tenantId}/mappings`, { ...demoMappings(), reverseChargeVatCodes: { '21': '5' }, vatRates: { ...demoMappings().vatRates, '9': '2' } });
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.issues.map((i: any) => [i.path, i.reason]),
      [
        ['vatRates.9', 'vat_code_not_usable'],
        ['reverseChargeVatCodes.21', 'vat_code_not_charged'],
      ],
    );
    const restore = await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings());
    assert.equal(restore.body.valid, true);
  });
});

describe('financial periods not synced yet', () => {
  test('the export waits naming them, and the sync that brings them wakes it (no mapping-fixed signal)', async () => {
    const t = uniqueId('nop');
    await connectTenant(p, t, DEMO_DIVISION);
    const put = await p.call('PUT', `/api/tenants/${t}/mappings`, demoMappings());
    assert.equal(put.body.valid, true, JSON.stringify(put.body.issues));
    // The administration's periods as before any sync read them: the records and their sync digest.
    const periods = p.db.collection(MASTER_DATA_KINDS['financial-periods'].collection);
    assert.ok((await periods.deleteMany({ tenantId: t })).deletedCount > 0);
    await p.db.collection('md_digests').deleteMany({ tenantId: t, kind: 'financial-periods' });
    await p.db.collection('md_versions').deleteOne({ _id: t as never }); // written by hand: processes' cached lookups must not answer

    const r = report(uniqueId('F'), `${year}-10-21T10:00:00Z`, [receipt('a', {})]);
    await submit(p, t, r);
    const waiting = await waitForExport(p, t, r.reportId, ['waiting_for_mappings', 'posted', 'rejected']);
    assert.equal(waiting.status, 'waiting_for_mappings');
    assert.deepEqual(waiting.missing.map((m: any) => m.reason), ['periods_not_synced']);

    const sync = await p.call('POST', `/api/tenants/${t}/exact/sync`, { mode: 'full' });
    assert.ok(sync.status < 300, JSON.stringify(sync.body));
    await waitForSyncRun(p, t, sync.body.runId);
    const done = await waitForExport(p, t, r.reportId, ['posted', 'rejected', 'needs_review']);
    assert.equal(done.status, 'posted', JSON.stringify({ error: done.error, missing: done.missing }));
    const [entry, ...more] = (await entriesWith(p, DEMO_DIVISION, done.reference)) as any[];
    assert.equal(more.length, 0);
    assert.equal(entry.accountingPeriodId, `${year}-10`);
  });
});

describe('corrections', () => {
  test('reverse a posted export, then export new content: two entries and one reversal, each found by its revision reference', async () => {
    const reportId = uniqueId('C');
    const path = `/api/tenants/${tenantId}/expense-reports/${reportId}/export`;
    const first = report(reportId, `${year}-10-21T10:00:00Z`, [receipt('a', { amount: '121.00' }), receipt('b', { amount: '-24.20', description: 'refund' })]);
    const { done: posted, entry: original } = await postedEntry(tenantId, DEMO_DIVISION, first);

    const asked = await p.call('POST', `${path}/reverse`);
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    assert.deepEqual([asked.body.revision, asked.body.reverses], [2, 1]);
    const reversal = await waitForExport(p, tenantId, reportId, ['reversed', 'rejected', 'needs_review']);
    assert.equal(reversal.status, 'reversed', JSON.stringify(reversal.error));
    assert.equal(reversal.revision, 2);
    assert.equal((await p.call('POST', `${path}/reverse`)).status, 409, 'a reversed export cannot be reversed again');
    const before = (await p.call('GET', `${path}?revision=1`)).body;
    assert.deepEqual([before.status, before.reversedBy, before.exactEntryNumber], ['reversed', 2, posted.exactEntryNumber]);

    // The mirror in Exact: the same lines with their sides swapped, text naming the original entry.
    const [mirror, ...others] = (await entriesWith(p, DEMO_DIVISION, reversal.reference)) as any[];
    assert.equal(others.length, 0);
    const swap = (l: unknown[]) => [l[0] === 'DEBIT' ? 'CREDIT' : 'DEBIT', ...l.slice(1)];
    assert.deepEqual(lines(mirror), lines(original).map(swap));
    for (const l of mirror.journalLineItems) assert.ok(l.description.startsWith(`${reversal.reference} reversal of ${posted.exactEntryNumber}`), l.description);
    assert.equal(String(mirror.transactionDate).slice(0, 10), String(original.transactionDate).slice(0, 10));

    // The corrected report, exported again: the next revision, posted.
    const second = { ...first, expenses: [receipt('a', { amount: '96.80' })] };
    await submit(p, tenantId, second);
    const corrected = await waitForExport(p, tenantId, reportId, ['posted', 'rejected', 'needs_review']);
    assert.deepEqual([corrected.status, corrected.revision], ['posted', 3], JSON.stringify(corrected.error));
    assert.deepEqual(
      corrected.revisions.map((r: any) => [r.revision, r.status, r.reverses]),
      [
        [1, 'reversed', null],
        [2, 'reversed', 1],
        [3, 'posted', null],
      ],
    );
    const numbers = corrected.revisions.map((r: any) => r.exactEntryNumber);
    assert.equal(new Set(numbers.filter(Boolean)).size, 3, JSON.stringify(numbers));
    for (const r of corrected.revisions) {
      const found = (await entriesWith(p, DEMO_DIVISION, r.reference)) as any[];
      assert.equal(found.length, 1, `revision ${r.revision} (${r.reference})`);
      assert.equal(found[0].number, r.exactEntryNumber);
    }
  });
});
