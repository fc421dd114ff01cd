/**
 * Properties of entries with refunds, split receipts and every VAT treatment: the entry balances
 * to 0.00 with VAT, net + tax = gross on every line, no line on a no-VAT or reverse-charge code
 * carries VAT, amounts are never negative (the side carries the sign), and a refund of a report
 * is the same entry with every side swapped.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildJournalEntry, checkEntryInvariants, expenseReportSchema, formatCents, validateReport, type ExpenseReport, type ReportCore } from '../../src/domain';
import { fiscalLookup, fiscalMappings } from '../fixtures/fiscal';

const RUNS = 500;
const mappings = fiscalMappings();
const lookup = fiscalLookup();

const categoryArb = fc.constantFrom('meals', 'hotel', 'software', 'travel');
const rateArb = fc.constantFrom('21', '9', '0');
const centsArb = fc.integer({ min: 1, max: 5_000_000 });

interface PartDraft {
  cents: number;
  rate: string;
  category: string | null;
  withVat: boolean;
}
interface ExpenseDraft {
  category: string;
  country: string | null;
  parts: PartDraft[];
  refund: boolean;
}

const partArb: fc.Arbitrary<PartDraft> = fc.record({ cents: centsArb, rate: rateArb, category: fc.option(categoryArb, { nil: null }), withVat: fc.boolean() });
const expenseArb: fc.Arbitrary<ExpenseDraft> = fc.record({
  category: categoryArb,
  country: fc.option(fc.constantFrom('NL', 'DE', 'US'), { nil: null }),
  parts: fc.array(partArb, { minLength: 1, maxLength: 3 }),
  refund: fc.boolean(),
});

const vatOf = (cents: number, rate: string) => Math.round((cents * Number(rate)) / (100 + Number(rate)));

function toReport(drafts: ExpenseDraft[], negate = false): ExpenseReport {
  return {
    reportId: 'P-1',
    employee: { id: 'emp-jan', name: 'Jan Jansen', email: 'jan@example.com' },
    approvedAt: '2026-03-10T10:00:00Z',
    currency: 'EUR',
    description: 'generated',
    expenses: drafts.map((d, i) => {
      // The fixture maps a reverse-charge code for 21 % only.
      d = { ...d, parts: d.parts.map((p) => ((d.parts.length > 1 && p.category ? p.category : d.category) === 'software' && p.rate === '9' ? { ...p, rate: '21' } : p)) };
      const sign = (d.refund ? -1 : 1) * (negate ? -1 : 1);
      const amt = (c: number) => formatCents(sign * c);
      const total = d.parts.reduce((s, p) => s + p.cents, 0);
      const base = { type: 'receipt' as const, id: `e${i + 1}`, date: '2026-03-01', description: `expense ${i + 1}`, category: d.category, amount: amt(total), currency: 'EUR', receipts: [] };
      const merchant = d.country ? { merchant: { name: `M${i}`, country: d.country } } : {};
      if (d.parts.length === 1) {
        const p = d.parts[0];
        return { ...base, ...merchant, vatRate: p.rate, ...(p.withVat ? { vatAmount: amt(vatOf(p.cents, p.rate)) } : {}) };
      }
      return {
        ...base,
        ...merchant,
        vatLines: d.parts.map((p) => ({ vatRate: p.rate, amount: amt(p.cents), ...(p.withVat ? { vatAmount: amt(vatOf(p.cents, p.rate)) } : {}), ...(p.category ? { category: p.category } : {}) })),
      };
    }),
  };
}

function parse(r: ExpenseReport): ReportCore {
  const p = expenseReportSchema.safeParse(r);
  assert.ok(p.success, 'generator produced an invalid report');
  return p.data;
}

describe('fiscal entry properties', () => {
  test(`refunds and splits: balanced with VAT, net + tax = gross, no VAT on no-VAT codes (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(expenseArb, { minLength: 1, maxLength: 6 }), (drafts) => {
        const report = parse(toReport(drafts));
        const v = validateReport(report, mappings, lookup);
        assert.deepEqual(v.missing, []);
        const entry = buildJournalEntry(report, mappings, lookup);
        assert.deepEqual(checkEntryInvariants(entry), []);

        let balance = 0;
        for (const l of entry.lines) {
          assert.ok(l.netCents >= 0 && l.taxCents >= 0 && l.grossCents > 0 || (l.expenseId === null && l.grossCents >= 0), 'amounts are positive; the side carries the sign');
          assert.equal(l.netCents + l.taxCents, l.grossCents, 'net + tax = gross per part');
          balance += l.side === 'DEBIT' ? l.grossCents : -l.grossCents;
          if (l.expenseId !== null) assert.ok(l.vatCode, 'every cost line has an explicit VAT code');
          if (l.vatCode?.code === '0' || l.vatCode?.code === '9') assert.equal(l.taxCents, 0, `no VAT amount on code ${l.vatCode.code}`);
        }
        assert.equal(balance, 0, 'the entry balances to 0.00');
        const parts = drafts.reduce((n, d) => n + d.parts.length, 0);
        assert.equal(entry.lines.length, parts + 1, 'one line per part, plus the employee line');

        // Each expense's lines sum (signed) to its amount.
        report.expenses.forEach((e) => {
          const lines = entry.lines.filter((l) => l.expenseId === e.id);
          const signed = lines.reduce((s, l) => s + (l.side === 'DEBIT' ? l.grossCents : -l.grossCents), 0);
          assert.equal(formatCents(signed), e.type === 'receipt' ? e.amount : '');
        });
      }),
      { numRuns: RUNS },
    );
  });

  test(`the refund of a report is the same entry with every side swapped (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(expenseArb, { minLength: 1, maxLength: 4 }), (drafts) => {
        const a = buildJournalEntry(parse(toReport(drafts)), mappings, lookup);
        const b = buildJournalEntry(parse(toReport(drafts, true)), mappings, lookup);
        const total = a.lines[a.lines.length - 1].grossCents;
        assert.equal(a.lines.length, b.lines.length);
        a.lines.forEach((l, i) => {
          const m = b.lines[i];
          assert.deepEqual([m.account.code, m.netCents, m.taxCents, m.grossCents, m.vatCode?.code], [l.account.code, l.netCents, l.taxCents, l.grossCents, l.vatCode?.code]);
          if (!(l.expenseId === null && total === 0)) assert.notEqual(m.side, l.side);
        });
      }),
      { numRuns: RUNS },
    );
  });
});
