/**
 * Property-based tests over generated reports: whatever the amounts, rates,
 * currencies and dimensions, the built entry balances, every line satisfies
 * net + tax = gross, and building is deterministic.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildJournalEntry,
  checkEntryInvariants,
  createMasterDataLookup,
  divRoundHalfAwayFromZero,
  expenseReportSchema,
  formatCents,
  hasExportReference,
  isVatWithinOneCent,
  localDate,
  mappingsSchema,
  productToCents,
  summarizeEntry,
  toReportRef,
  validateReport,
  vatKey,
  type Expense,
  type ExpenseReport,
} from '../../src/domain';

import { monthlyPeriods } from '../fixtures/periods';

const RUNS = 2000;

const lookup = createMasterDataLookup({
  glAccounts: [
    { id: 'gl-4500', code: '4500', name: 'Travel', kind: 'profit_and_loss', active: true, blocked: false },
    { id: 'gl-4510', code: '4510', name: 'Car', kind: 'profit_and_loss', active: true, blocked: false },
    { id: 'gl-4520', code: '4520', name: 'Meals', kind: 'profit_and_loss', active: true, blocked: false },
    { id: 'gl-0200', code: '0200', name: 'Equipment', kind: 'balance_sheet', active: true, blocked: false },
    { id: 'gl-1600', code: '1600', name: 'Creditors', kind: 'creditor', active: true, blocked: false },
  ],
  journals: [{ id: 'j-90', code: '90', type: 'General', active: true }],
  vatCodes: [
    { id: 'v2', code: '2', percentage: '21', description: 'high', type: 'EXCLUSIVE', usage: 'ALL', active: true },
    { id: 'v1', code: '1', percentage: '9', description: 'low', type: 'EXCLUSIVE', usage: 'BILL', active: true },
    { id: 'v6', code: '6', percentage: '5.5', description: 'other', type: 'EXCLUSIVE', usage: 'ALL', active: true },
    { id: 'v0', code: '0', percentage: '0', description: 'zero', type: 'ZERO_TAX', usage: 'ALL', active: true },
    { id: 'v5', code: '5', percentage: '0', description: 'exempt', type: 'NO_TAX', usage: 'ALL', active: true },
  ],
  costCenters: ['100', '200', '300'].map((c) => ({ id: `cc-${c}`, code: c, name: c, active: true })),
  costUnits: ['P1', 'P2'].map((c) => ({ id: `cu-${c}`, code: c, name: c, active: true })),
  financialPeriods: monthlyPeriods(2019, 2031),
  suppliers: [
    { id: 's-1001', code: '1001', name: 'Employee', active: true },
    { id: 's-2001', code: '2001', name: 'Hotel Utrecht B.V.', vatNumber: 'NL853642B01', active: true },
    { id: 's-2002', code: '2002', name: 'Rail Co', active: true },
  ],
});

const mappings = mappingsSchema.parse({
  journalCode: '90',
  creditAccount: '1600',
  categories: {
    travel: { glAccount: '4500' },
    mileage: { glAccount: '4510' },
    meals: { glAccount: '4520' },
    equipment: { glAccount: '0200' },
  },
  vatRates: { '21': '2', '9': '1', '5.5': '6', '0': '0', exempt: '5' },
  costCenters: { SALES: '100', OPS: '200' },
  costUnits: {},
  employees: { 'emp-1': { supplier: '1001' } },
  merchants: { 'Rail Company': '2002' },
});

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

/** decimal string with up to `decimals` fraction digits, value in (0, max] */
const positiveDecimal = (maxUnits: number, decimals: number) =>
  fc.tuple(fc.integer({ min: 1, max: maxUnits }), fc.integer({ min: 0, max: decimals })).map(([units, scale]) => {
    const s = String(units).padStart(scale + 1, '0');
    return scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  });

const vatRateArb = fc.constantFrom('21', '9', '0', 'exempt', '21.00', '5.5', '09');
const costCenterArb = fc.option(fc.constantFrom('SALES', 'OPS', '300'), { nil: undefined });
const costUnitArb = fc.option(fc.constantFrom('P1', 'P2'), { nil: undefined });
const merchantArb = fc.option(
  fc.constantFrom(
    { name: 'Hotel Utrecht BV' },
    { name: 'Somewhere', vatNumber: 'nl8536 42 b01' },
    { name: 'RAIL COMPANY' },
    { name: 'Unknown Shop', vatNumber: 'DE123' },
  ),
  { nil: undefined },
);

type ReceiptDraft = {
  kind: 'receipt';
  category: string;
  cents: number;
  foreign: boolean;
  currency: string;
  exchangeRate: string;
  vatRate: string;
  vatMode: 'none' | 'near' | 'random';
  vatOffset: number;
  randomVat: number;
  costCenter?: string;
  costUnit?: string;
  merchant?: { name: string; vatNumber?: string };
};

const receiptDraft: fc.Arbitrary<ReceiptDraft> = fc.record({
  kind: fc.constant('receipt' as const),
  category: fc.constantFrom('travel', 'meals', 'equipment'),
  cents: fc.oneof(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 1, max: 100_000_000 })),
  foreign: fc.boolean(),
  currency: fc.constantFrom('USD', 'GBP', 'CHF'),
  exchangeRate: positiveDecimal(3_000_000, 6),
  vatRate: vatRateArb,
  vatMode: fc.constantFrom('none', 'near', 'random'),
  vatOffset: fc.oneof(fc.constant(0), fc.integer({ min: -3, max: 3 })),
  randomVat: fc.nat(),
  costCenter: costCenterArb,
  costUnit: costUnitArb,
  merchant: merchantArb,
});

type MileageDraft = { kind: 'mileage'; km: string; rate: string; costCenter?: string; costUnit?: string };
const mileageDraft: fc.Arbitrary<MileageDraft> = fc.record({
  kind: fc.constant('mileage' as const),
  km: positiveDecimal(500_000, 3),
  rate: positiveDecimal(99, 2),
  costCenter: costCenterArb,
  costUnit: costUnitArb,
});

function toExpense(d: ReceiptDraft | MileageDraft, i: number): Expense {
  const base = { id: `e${i + 1}`, date: '2025-03-01', description: `expense ${i + 1}` };
  const dims = { ...(d.costCenter ? { costCenter: d.costCenter } : {}), ...(d.costUnit ? { costUnit: d.costUnit } : {}) };
  if (d.kind === 'mileage') {
    return { ...base, type: 'mileage', category: 'mileage', distanceKm: d.km, ratePerKm: d.rate, ...dims };
  }
  let vatAmount: string | undefined;
  if (d.vatMode !== 'none') {
    const key = vatKey(d.vatRate);
    const pct = key === 'exempt' ? 0 : Number(key);
    // an approximate receipt VAT around the true value (the builder decides whether it is usable)
    const approx = Math.round((d.cents * pct) / (100 + pct)) + d.vatOffset;
    const v = d.vatMode === 'near' ? approx : d.randomVat % (d.cents + 1);
    vatAmount = formatCents(Math.min(Math.max(v, 0), d.cents));
  }
  return {
    ...base,
    type: 'receipt',
    category: d.category,
    amount: formatCents(d.cents),
    currency: d.foreign ? d.currency : 'EUR',
    ...(d.foreign ? { exchangeRate: d.exchangeRate } : {}),
    vatRate: d.vatRate,
    ...(vatAmount !== undefined ? { vatAmount } : {}),
    ...dims,
    ...(d.merchant ? { merchant: d.merchant } : {}),
    receipts: [{ fileName: 'r.pdf', contentType: 'application/pdf', contentBase64: 'aGk=' }],
  };
}

const reportArb: fc.Arbitrary<ExpenseReport> = fc
  .record({
    id: fc.stringMatching(/^[A-Z0-9-]{1,12}$/),
    date: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true }),
    drafts: fc.array(fc.oneof({ weight: 3, arbitrary: receiptDraft }, { weight: 1, arbitrary: mileageDraft }), {
      minLength: 1,
      maxLength: 12,
    }),
  })
  .map(({ id, date, drafts }) => ({
    reportId: id,
    employee: { id: 'emp-1', name: 'Jan Jansen', email: 'jan@example.com' },
    approvedAt: date.toISOString(),
    currency: 'EUR',
    description: 'generated',
    expenses: drafts.map(toExpense),
  }));

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

describe('journal entry properties', () => {
  test(`every generated report is valid and builds a balanced entry (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(reportArb, (full) => {
        assert.equal(expenseReportSchema.safeParse(full).success, true, 'generator produced an invalid report');
        const report = toReportRef(full);
        const validation = validateReport(report, mappings, lookup);
        if (!validation.ok) {
          // The only thing the generator can get "wrong" is an amount that rounds to 0.00
          // (tiny distance × rate, tiny amount × rate); such reports must be refused.
          assert.deepEqual([...new Set(validation.missing.map((i) => i.reason))], ['zero_amount']);
          assert.throws(() => buildJournalEntry(report, mappings, lookup));
          return;
        }

        const entry = buildJournalEntry(report, mappings, lookup);
        assert.deepEqual(checkEntryInvariants(entry), []);

        const debits = entry.lines.filter((l) => l.side === 'DEBIT');
        const credits = entry.lines.filter((l) => l.side === 'CREDIT');
        assert.equal(debits.length, report.expenses.length);
        assert.equal(credits.length, 1);
        const debitSum = debits.reduce((s, l) => s + l.grossCents, 0);
        assert.equal(credits[0].grossCents, debitSum, 'credit equals the sum of debits');

        for (const l of entry.lines) {
          assert.equal(l.netCents + l.taxCents, l.grossCents, 'net + tax = gross');
          assert.ok(Number.isSafeInteger(l.grossCents) && l.grossCents > 0);
          assert.ok(l.taxCents >= 0 && l.taxCents <= l.grossCents);
          assert.ok(hasExportReference(l.description, `EXP-${report.reportId}`), 'every line carries the export reference');
          assert.ok(l.description.length <= 60, 'a line description fits Exact');
        }

        report.expenses.forEach((e, i) => {
          const line = debits[i];
          assert.equal(line.expenseId, e.id);
          assert.equal(entry.expenseLinePositions[e.id], i + 1);
          if (e.type === 'mileage') {
            assert.equal(line.grossCents, productToCents(e.distanceKm, e.ratePerKm));
            assert.equal(line.taxCents, 0);
            assert.equal(line.vatCode?.code, '0');
            return;
          }
          const key = vatKey(e.vatRate as string);
          if (key === 'exempt' || key === '0') assert.equal(line.taxCents, 0);
          // VAT is always within one cent of the exact inclusive VAT of the booked gross
          else assert.ok(isVatWithinOneCent(line.grossCents, key, line.taxCents));
          if (line.vatSource === 'computed') {
            const exact2 = divRoundHalfAwayFromZero(
              BigInt(line.grossCents) * BigInt(Math.round(Number(key) * 10)),
              BigInt(1000 + Math.round(Number(key) * 10)),
            );
            assert.equal(BigInt(line.taxCents), exact2);
          }
          if (e.currency === 'EUR') assert.equal(formatCents(line.grossCents), e.amount);
        });

        const s = summarizeEntry(entry);
        assert.equal(s.balanced, true);
        assert.equal(s.debitNetCents + s.debitTaxCents, s.debitGrossCents);
        // booked on the approval date in Amsterdam; the fixture's financial years are calendar years
        assert.equal(entry.transactionDate, localDate(full.approvedAt, 'Europe/Amsterdam'));
        assert.equal(entry.accountingPeriodId, entry.transactionDate.slice(0, 7));
      }),
      { numRuns: RUNS },
    );
  });

  test(`building is deterministic (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(reportArb, (full) => {
        fc.pre(validateReport(toReportRef(full), mappings, lookup).ok); // skip the rare zero-amount report
        const a = buildJournalEntry(toReportRef(full), mappings, lookup);
        const b = buildJournalEntry(toReportRef(structuredClone(full)), mappings, lookup);
        assert.deepEqual(a, b);
        assert.equal(JSON.stringify(a), JSON.stringify(b));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('rounding properties', () => {
  test('divRoundHalfAwayFromZero is symmetric and within half a unit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), (n, d) => {
        const q = divRoundHalfAwayFromZero(n, d);
        assert.equal(divRoundHalfAwayFromZero(-n, d), -q);
        const err = q * d - n; // |err| ≤ d/2, and exactly d/2 only when rounding away from zero
        assert.ok(2n * (err < 0n ? -err : err) <= d);
        if (2n * (err < 0n ? -err : err) === d) assert.ok(n >= 0n ? q * d > n : q * d < n);
      }),
      { numRuns: RUNS },
    );
  });
});
