/**
 * Dutch fiscal rules of the entry builder: non-deductible VAT, foreign VAT, reverse charge, split
 * receipts, refunds, VAT code checks (also by date), booking date in the tenant's time zone,
 * financial periods and the closed-period policies, references never cut.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildJournalEntry,
  checkEntryInvariants,
  expenseReportSchema,
  isMappingFixable,
  mappingsSchema,
  tenantSettingsSchema,
  toSchemaIssues,
  validateMappings,
  validateReport,
  type ExpenseReport,
  type ReportCore,
  type TenantSettings,
} from '../../src/domain';
import { fiscalLookup, fiscalMappings } from '../fixtures/fiscal';
import { monthlyPeriods } from '../fixtures/periods';

type Receipt = Extract<ExpenseReport['expenses'][number], { type: 'receipt' }>;

function receipt(id: string, fields: Partial<Receipt>): Receipt {
  return { type: 'receipt', id, date: '2026-03-02', description: id, category: 'travel', amount: '10.00', currency: 'EUR', vatRate: '21', receipts: [], ...fields };
}

function report(expenses: Receipt[], approvedAt = '2026-03-10T10:00:00Z'): ReportCore {
  const r: ExpenseReport = { reportId: 'R-1', employee: { id: 'emp-jan', name: 'Jan Jansen', email: 'jan@example.com' }, approvedAt, currency: 'EUR', description: 'Maart', expenses };
  const parsed = expenseReportSchema.safeParse(r);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  return parsed.data;
}

const settings = (s: Partial<TenantSettings> = {}): TenantSettings => tenantSettingsSchema.parse(s);
const row = (l: { side: string; account: { code: string }; netCents: number; taxCents: number; grossCents: number; vatCode: { code: string } | null }) => [
  l.side,
  l.account.code,
  l.netCents,
  l.taxCents,
  l.grossCents,
  l.vatCode?.code ?? null,
];

describe('VAT treatment', () => {
  test('a restaurant lunch (non-deductible category) books the gross amount with the no-VAT code and no VAT', () => {
    const e = buildJournalEntry(report([receipt('lunch', { category: 'meals', amount: '54.50', vatRate: '9', vatAmount: '4.50' })]), fiscalMappings(), fiscalLookup());
    assert.deepEqual(row(e.lines[0]), ['DEBIT', '4430', 5450, 0, 5450, '0']);
    assert.equal(e.lines[0].vatTreatment, 'non_deductible');
    assert.deepEqual(row(e.lines[1]), ['CREDIT', '1610', 5450, 0, 5450, null]);
    assert.deepEqual(checkEntryInvariants(e), []);
  });

  test('VAT charged by a German hotel is not deductible here; a Dutch hotel keeps its deductible code', () => {
    const e = buildJournalEntry(
      report([
        receipt('de', { category: 'hotel', amount: '119.00', vatRate: '19', merchant: { name: 'Hotel Adlon', country: 'DE' } }),
        receipt('nl', { category: 'hotel', amount: '121.00', vatRate: '21', merchant: { name: 'Hotel Utrecht', country: 'NL' } }),
      ]),
      fiscalMappings(),
      fiscalLookup(),
    );
    assert.deepEqual(row(e.lines[0]), ['DEBIT', '4530', 11900, 0, 11900, '0']);
    assert.equal(e.lines[0].vatCause, 'foreign_vat');
    assert.deepEqual(row(e.lines[1]), ['DEBIT', '4530', 10000, 2100, 12100, '5']);
  });

  test('foreign VAT needs nonDeductibleVatCode: without it the report waits for that mapping', () => {
    const m = fiscalMappings({ categories: { hotel: { glAccount: '4530' } }, nonDeductibleVatCode: undefined });
    const v = validateReport(report([receipt('de', { category: 'hotel', amount: '119.00', vatRate: '19', merchant: { name: 'Hotel Adlon', country: 'DE' } })]), m, fiscalLookup());
    assert.deepEqual(v.missing.map((i) => [i.field, i.reason]), [['nonDeductibleVatCode', 'not_mapped']]);
    assert.ok(v.missing.every(isMappingFixable));
  });

  test('reverse charge: the amount paid is the net, the charged code, no VAT amount; a receipt without VAT is self-assessed at 21 %', () => {
    const e = buildJournalEntry(
      report([receipt('saas', { category: 'software', amount: '100.00', vatRate: '0', merchant: { name: 'Figma, Inc.', country: 'US' } })]),
      fiscalMappings(),
      fiscalLookup(),
    );
    assert.deepEqual(row(e.lines[0]), ['DEBIT', '4330', 10000, 0, 10000, '9']);
    assert.equal(e.lines[0].vatCode?.rate, '21');
    assert.equal(e.lines[0].vatTreatment, 'reverse_charge');
  });

  test('a split hotel bill: the room (21 % in 2026) deductible, the breakfast on the meals category not', () => {
    const e = buildJournalEntry(
      report([
        receipt('bill', {
          category: 'hotel',
          amount: '146.00',
          vatRate: undefined,
          vatLines: [
            { vatRate: '21', amount: '121.00', vatAmount: '21.00' },
            { vatRate: '9', amount: '25.00', category: 'meals' },
          ],
          merchant: { name: 'Hotel Utrecht', country: 'NL' },
        }),
      ]),
      fiscalMappings(),
      fiscalLookup(),
    );
    assert.deepEqual(e.lines.map(row), [
      ['DEBIT', '4530', 10000, 2100, 12100, '5'],
      ['DEBIT', '4430', 2500, 0, 2500, '0'],
      ['CREDIT', '1610', 14600, 0, 14600, null],
    ]);
    assert.match(e.lines[0].description, /^EXP-R-1 bill\/1 /);
    assert.match(e.lines[1].description, /^EXP-R-1 bill\/2 /);
    assert.equal(e.expenseLinePositions.bill, 1);
    assert.deepEqual(checkEntryInvariants(e), []);
  });

  test('every cost line carries an explicit VAT code', () => {
    const e = buildJournalEntry(
      report([receipt('a', { category: 'meals' }), receipt('b', { category: 'software' }), receipt('c', { vatRate: '0' }), receipt('d', {})]),
      fiscalMappings(),
      fiscalLookup(),
    );
    assert.ok(e.lines.filter((l) => l.expenseId !== null).every((l) => l.vatCode !== null && l.vatCode.code !== ''));
  });
});

describe('refunds', () => {
  test('a refund is a CREDIT line on the same cost account and VAT code with positive amounts; the entry balances', () => {
    const e = buildJournalEntry(
      report([receipt('ticket', { amount: '121.00', vatAmount: '21.00' }), receipt('refund', { amount: '-60.50', vatAmount: '-10.50' })]),
      fiscalMappings(),
      fiscalLookup(),
    );
    assert.deepEqual(e.lines.map(row), [
      ['DEBIT', '4500', 10000, 2100, 12100, '5'],
      ['CREDIT', '4500', 5000, 1050, 6050, '5'],
      ['CREDIT', '1610', 6050, 0, 6050, null],
    ]);
    assert.deepEqual(checkEntryInvariants(e), []);
  });

  test('a negative report total makes the employee line a DEBIT', () => {
    const e = buildJournalEntry(report([receipt('refund', { amount: '-24.20' })]), fiscalMappings(), fiscalLookup());
    assert.deepEqual(e.lines.map(row), [
      ['CREDIT', '4500', 2000, 420, 2420, '5'],
      ['DEBIT', '1610', 2420, 0, 2420, null],
    ]);
  });
});

describe('VAT code checks', () => {
  const issuesFor = (overrides: Parameters<typeof fiscalMappings>[0]) => validateMappings(fiscalMappings(overrides), fiscalLookup()).map((i) => [i.path, i.value, i.reason]);

  test('the tenant mappings of the fixture are valid', () => {
    assert.deepEqual(validateMappings(fiscalMappings(), fiscalLookup()), []);
  });

  test('unknown, blocked, sales-only and inclusive codes are refused for deductible rates', () => {
    assert.deepEqual(issuesFor({ vatRates: { '21': '99', '6': '12', '9': '6', '0': '7' } }), [
      ['vatRates.21', '99', 'unknown'],
      ['vatRates.6', '12', 'blocked'],
    ]);
    assert.deepEqual(issuesFor({ vatRates: { '21': '1' } }), [['vatRates.21', '1', 'vat_code_not_usable']]);
    assert.deepEqual(issuesFor({ vatRates: { '21': '10' } }), [['vatRates.21', '10', 'vat_code_wrong_type']]);
  });

  test('nonDeductibleVatCode must be a no-VAT code, reverse-charge codes must be charged', () => {
    assert.deepEqual(issuesFor({ nonDeductibleVatCode: '5' }), [
      ['nonDeductibleVatCode', '5', 'vat_code_wrong_type'],
      ['nonDeductibleVatCode', '5', 'vat_percentage_mismatch'],
    ]);
    assert.deepEqual(issuesFor({ reverseChargeVatCodes: { '21': '5' } }), [['reverseChargeVatCodes.21', '5', 'vat_code_not_charged']]);
  });

  test('the percentage counts on the booking date: the low-rate code was 6 % before 2019', () => {
    const lunch = (approvedAt: string) => report([receipt('x', { category: 'hotel', amount: '10.90', vatRate: '9', date: approvedAt.slice(0, 10) })], approvedAt);
    assert.equal(validateReport(lunch('2019-03-01T10:00:00Z'), fiscalMappings(), fiscalLookup()).ok, true);
    const before = validateReport(lunch('2018-06-01T10:00:00Z'), fiscalMappings(), fiscalLookup());
    assert.deepEqual(before.missing.map((i) => [i.field, i.value, i.reason]), [['vatCode', '6', 'vat_percentage_mismatch']]);
    assert.match(before.missing[0].message, /0\.06 on 2018-06-01/);
  });

  test('the same checks run before posting: a reverse-charge code that is no longer charged stops the report', () => {
    const lookup = fiscalLookup();
    const m = fiscalMappings({ reverseChargeVatCodes: { '21': '5' } });
    const v = validateReport(report([receipt('saas', { category: 'software', amount: '100.00', vatRate: '0' })]), m, lookup);
    assert.deepEqual(v.missing.map((i) => [i.field, i.reason]), [['vatCode', 'vat_code_not_charged']]);
  });
});

describe('booking date and financial periods', () => {
  test('approved at 23:30 UTC on 31 January books on 1 February (Amsterdam) in period 02', () => {
    const e = buildJournalEntry(report([receipt('a', { date: '2026-01-30' })], '2026-01-31T23:30:00Z'), fiscalMappings(), fiscalLookup());
    assert.equal(e.transactionDate, '2026-02-01');
    assert.equal(e.accountingPeriodId, '2026-02');
  });

  test('the time zone and the booking-date source are settings', () => {
    const r = report([receipt('a', { date: '2026-01-20' }), receipt('b', { date: '2026-01-28' })], '2026-01-31T23:30:00Z');
    assert.equal(buildJournalEntry(r, fiscalMappings(), fiscalLookup(), undefined, settings({ timeZone: 'UTC' })).transactionDate, '2026-01-31');
    assert.equal(buildJournalEntry(r, fiscalMappings(), fiscalLookup(), undefined, settings({ bookingDate: 'last_expense' })).transactionDate, '2026-01-28');
  });

  test('a financial year starting on 1 July: January is period 07 of the year that started in July', () => {
    const e = buildJournalEntry(report([receipt('a', {})], '2026-01-15T10:00:00Z'), fiscalMappings(), fiscalLookup(monthlyPeriods(2024, 2027, 7)));
    assert.equal(e.accountingPeriodId, '2025-07');
    assert.equal(e.transactionDate, '2026-01-15');
  });

  test('a closed period is rejected naming it (policy reject), and no mapping fixes that', () => {
    const lookup = fiscalLookup(monthlyPeriods(2025, 2027, 1, { '2026-03': ['90'] }));
    const v = validateReport(report([receipt('a', {})]), fiscalMappings(), lookup);
    assert.deepEqual(v.missing.map((i) => [i.field, i.value, i.reason]), [['bookingDate', '2026-03-10', 'period_closed']]);
    assert.match(v.missing[0].message, /2026-03 \(2026-03-01 – 2026-03-31\) is closed for journal 90/);
    assert.equal(isMappingFixable(v.missing[0]), false);
  });

  test('a period closed for another journal does not matter', () => {
    const lookup = fiscalLookup(monthlyPeriods(2025, 2027, 1, { '2026-03': ['70'] }));
    assert.equal(buildJournalEntry(report([receipt('a', {})]), fiscalMappings(), lookup).accountingPeriodId, '2026-03');
  });

  test('next_open books on the first day of the next open period and keeps the original date in the line text', () => {
    const lookup = fiscalLookup(monthlyPeriods(2025, 2027, 1, { '2026-03': ['90'], '2026-04': ['90'] }));
    const r = report([receipt('a', { description: 'Een heel lange omschrijving van een treinreis naar Maastricht en terug' })]);
    const e = buildJournalEntry(r, fiscalMappings(), lookup, undefined, settings({ closedPeriod: 'next_open' }));
    assert.equal(e.transactionDate, '2026-05-01');
    assert.equal(e.accountingPeriodId, '2026-05');
    assert.equal(e.originalDate, '2026-03-10');
    assert.match(e.lines[0].description, /^EXP-R-1 2026-03-10 a Een/);
    assert.ok(e.lines[0].description.length <= 60);
  });

  test('no financial periods synced: the report waits (a sync fixes it); a date outside every period follows the policy', () => {
    const none = validateReport(report([receipt('a', {})]), fiscalMappings(), fiscalLookup([]));
    assert.deepEqual(none.missing.map((i) => i.reason), ['periods_not_synced']);
    assert.equal(isMappingFixable(none.missing[0]), true);
    const outside = validateReport(report([receipt('a', {})], '2030-01-05T10:00:00Z'), fiscalMappings(), fiscalLookup(monthlyPeriods(2025, 2027)));
    assert.deepEqual(outside.missing.map((i) => i.reason), ['period_missing']);
  });
});

describe('descriptions', () => {
  test('the reference is never cut; the free text is cut to keep the line within 60 characters', () => {
    const long = 'Treinkaartje Utrecht Centraal - Maastricht v.v. met overstap in Eindhoven';
    const reference = 'EXP-#0123456789ABCDEF0123';
    const e = buildJournalEntry(report([receipt('a-very-long-expense-id', { description: long })]), fiscalMappings(), fiscalLookup(), reference);
    for (const l of e.lines) {
      assert.ok(l.description.startsWith(`${reference} `));
      assert.ok(l.description.length <= 60, l.description);
    }
  });
});

describe('schemas', () => {
  const base = () => ({ reportId: 'R', employee: { id: 'e', name: 'E', email: 'e@example.com' }, approvedAt: '2026-01-01T10:00:00Z', currency: 'EUR', description: '' });
  const issues = (expense: Record<string, unknown>) => {
    const r = expenseReportSchema.safeParse({ ...base(), expenses: [{ type: 'receipt', id: 'x', date: '2026-01-01', description: '', category: 'c', currency: 'EUR', receipts: [], ...expense }] });
    return r.success ? [] : toSchemaIssues(r.error).map((i) => `${i.path}: ${i.message}`);
  };

  test('a negative amount (refund) is accepted; zero is not', () => {
    assert.deepEqual(issues({ amount: '-12.10', vatRate: '21', vatAmount: '-2.10' }), []);
    assert.deepEqual(issues({ amount: '0.00', vatRate: '21' }), ['expenses[0].amount: must not be 0']);
  });

  test('VAT with another sign than the amount, or above it, is refused', () => {
    assert.deepEqual(issues({ amount: '-12.10', vatRate: '21', vatAmount: '2.10' }), ['expenses[0].vatAmount: must have the same sign as the amount -12.10']);
    assert.deepEqual(issues({ amount: '2.00', vatRate: '21', vatAmount: '3.00' }), ['expenses[0].vatAmount: must not exceed amount']);
  });

  test('vatLines must sum to the amount; vatRate is required without them', () => {
    assert.deepEqual(issues({ amount: '10.00', vatLines: [{ vatRate: '21', amount: '6.00' }, { vatRate: '9', amount: '3.00' }] }), [
      "expenses[0].vatLines: the parts' amounts must sum to the expense's amount 10.00",
    ]);
    assert.deepEqual(issues({ amount: '10.00' }), ['expenses[0].vatRate: required unless vatLines split the receipt']);
    assert.deepEqual(issues({ amount: '10.00', vatLines: [{ vatRate: '21', amount: '10.00' }] }), []);
  });

  test('merchant.country is an ISO 3166 alpha-2 code', () => {
    assert.deepEqual(issues({ amount: '1.00', vatRate: '0', merchant: { name: 'M', country: 'Germany' } }), [
      'expenses[0].merchant.country: must be an ISO 3166-1 alpha-2 code (2 upper-case letters, e.g. "NL")',
    ]);
  });

  test('mappings: an unknown vatTreatment and a missing no-VAT code are named', () => {
    const r = mappingsSchema.safeParse({ ...fiscalMappings(), nonDeductibleVatCode: undefined, categories: { a: { glAccount: '1', vatTreatment: 'partly' }, b: { glAccount: '1', vatTreatment: 'non_deductible' } } });
    assert.equal(r.success, false);
    const paths = toSchemaIssues(r.error!).map((i) => i.path);
    assert.deepEqual(paths, ['categories.a.vatTreatment']);
    const r2 = mappingsSchema.safeParse({ ...fiscalMappings(), nonDeductibleVatCode: undefined, categories: { b: { glAccount: '1', vatTreatment: 'non_deductible' } } });
    assert.deepEqual(toSchemaIssues(r2.error!).map((i) => i.path), ['nonDeductibleVatCode']);
    const r3 = mappingsSchema.safeParse({ ...fiscalMappings(), reverseChargeVatCodes: { exempt: '9' } });
    assert.deepEqual(toSchemaIssues(r3.error!).map((i) => i.path), ['reverseChargeVatCodes.exempt']);
  });

  test('settings: defaults, and a time zone that does not exist is named', () => {
    assert.deepEqual(tenantSettingsSchema.parse({}), { timeZone: 'Europe/Amsterdam', bookingDate: 'approval', closedPeriod: 'reject' });
    const r = tenantSettingsSchema.safeParse({ timeZone: 'Mars/Olympus' });
    assert.deepEqual(toSchemaIssues(r.error!).map((i) => i.path), ['timeZone']);
  });
});
