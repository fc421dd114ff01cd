import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DESCRIPTION_LENGTH, checkEntryInvariants, hasExportReference, mayExportAgain, reverseJournalEntry, type JournalEntry, type JournalEntryLine } from '../../src/domain';

const ref = 'EXP-R-2026-0042';
const line = (position: number, side: JournalEntryLine['side'], gross: number, tax: number, description: string, expenseId: string | null): JournalEntryLine => ({
  position,
  side,
  expenseId,
  account: { id: `gl-${position}`, code: `45${position}0` } as JournalEntryLine['account'],
  description,
  netCents: gross - tax,
  taxCents: tax,
  grossCents: gross,
  vatCode: expenseId ? ({ id: 'v-2', code: '2', rate: '21' } as unknown as JournalEntryLine['vatCode']) : null,
  dimensions: [],
  supplier: null,
  supplierVia: null,
  vatSource: 'computed' as JournalEntryLine['vatSource'],
});

// A cost, a refund (credit on its cost account) and the employee line for the net total.
const original: JournalEntry = {
  reportId: 'R-2026-0042',
  reference: ref,
  journalCode: '90',
  transactionDate: '2026-10-31',
  accountingPeriodId: '2026-10',
  currency: 'EUR',
  description: `${ref} Oktober - Jan Jansen`,
  lines: [
    line(1, 'DEBIT', 12100, 2100, `${ref} Hotel Utrecht, a very long text that was cut to fi`, 'e1'),
    line(2, 'CREDIT', 2420, 420, `${ref} refund`, 'e2'),
    line(3, 'CREDIT', 9680, 0, `${ref} Jan Jansen`, null),
  ],
  expenseLinePositions: { e1: 1, e2: 2 },
};

test('a reversal mirrors every line: same accounts, codes and amounts, sides swapped, balanced', () => {
  assert.deepEqual(checkEntryInvariants(original), []);
  const rev = reverseJournalEntry(original, { reference: 'EXP-#0123456789ABCDEF0123', originalEntryNumber: '90000017' });
  assert.deepEqual(checkEntryInvariants(rev), []);
  assert.deepEqual(
    rev.lines.map((l) => [l.side, l.account.code, l.netCents, l.taxCents, l.grossCents, l.vatCode?.code ?? null]),
    [
      ['CREDIT', '4510', 10000, 2100, 12100, '2'],
      ['DEBIT', '4520', 2000, 420, 2420, '2'],
      ['DEBIT', '4530', 9680, 0, 9680, null],
    ],
  );
  assert.equal(rev.transactionDate, original.transactionDate);
  assert.equal(rev.accountingPeriodId, original.accountingPeriodId);
  assert.equal(original.lines[0].side, 'DEBIT', 'the original is not changed');
});

test("every line of a reversal carries its own reference, whole, and names the original entry number; never the original's reference", () => {
  const reference = 'EXP-#0123456789ABCDEF0123';
  const rev = reverseJournalEntry(original, { reference, originalEntryNumber: '90000017' });
  assert.equal(rev.reference, reference);
  for (const l of [...rev.lines, { description: rev.description }]) {
    assert.ok(l.description.startsWith(`${reference} reversal of 90000017`), l.description);
    assert.ok(hasExportReference(l.description, reference));
    assert.ok(!hasExportReference(l.description, ref), l.description);
    assert.ok(l.description.length <= MAX_DESCRIPTION_LENGTH, l.description);
  }
  assert.equal(rev.lines[2].description, `${reference} reversal of 90000017 Jan Jansen`);
});

test('a report is exported again after reversed or cancelled, never after a cancelled reversal (its original is still booked)', () => {
  assert.equal(mayExportAgain({ status: 'reversed' }), true);
  assert.equal(mayExportAgain({ status: 'reversed', reverses: 1 }), true);
  assert.equal(mayExportAgain({ status: 'cancelled' }), true);
  assert.equal(mayExportAgain({ status: 'cancelled', reverses: 1 }), false);
  for (const status of ['posted', 'validating', 'posting', 'rejected', 'needs_review', 'waiting_for_mappings'] as const) assert.equal(mayExportAgain({ status }), false, status);
});
