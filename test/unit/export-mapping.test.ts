/**
 * The journal entry the export activity sends: built by the domain, converted to Maesn's create
 * DTO, and valid against Maesn's published spec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { buildJournalEntry, createMasterDataLookup, mappingsSchema, type GlAccount, type MasterData } from '../../src/domain';
import { toMaesnJournalEntry } from '../../src/activities/export';
import { toActivityFailure } from '../../src/activities/common';
import { MaesnInvalidRequestError, MaesnRateLimitedError, MaesnTransientError, MaesnUnauthorizedError, journalEntryCreateInputSchema, toJournalEntryWire } from '../../src/maesn';
import { demoMappings, mixedReport } from '../fixtures/demo-data';
import { monthlyPeriods } from '../fixtures/periods';
import { loadMaesnSpec, specAbsentReason, validateRequest } from '../helpers/openapi';

function lookup() {
  const gl = (code: string, kind: GlAccount['kind']): GlAccount => ({ id: `gl-${code}`, code, name: code, kind, active: true, blocked: false });
  const data: MasterData = {
    glAccounts: [gl('4500', 'profit_and_loss'), gl('4430', 'profit_and_loss'), gl('4300', 'profit_and_loss'), gl('4520', 'profit_and_loss'), gl('4330', 'profit_and_loss'), gl('1610', 'balance_sheet')],
    journals: [{ id: 'j90', code: '90', type: 'General journal', active: true }],
    vatCodes: [
      { id: 'v5', code: '5', percentage: '21', description: 'hoog', type: 'EXCLUSIVE', usage: 'BILL', active: true },
      { id: 'v6', code: '6', percentage: '9', description: 'laag', type: 'EXCLUSIVE', usage: 'BILL', active: true },
      { id: 'v7', code: '7', percentage: '0', description: '0%', type: 'ZERO_TAX', usage: 'BILL', active: true },
      { id: 'v8', code: '8', percentage: '0', description: 'vrijgesteld', type: 'NO_TAX', usage: 'BILL', active: true },
      { id: 'v0', code: '0', percentage: '0', description: 'geen BTW', type: 'NO_TAX', usage: 'ALL', active: true },
      { id: 'v9', code: '9', percentage: '21', description: 'verlegd 21%', type: 'EXCLUSIVE', usage: 'BILL', active: true, charged: true },
    ],
    financialPeriods: monthlyPeriods(2025, 2027),
    costCenters: [{ id: 'cc200', code: '200', name: 'Verkoop', active: true }, { id: 'cc400', code: '400', name: 'Advies', active: true }],
    costUnits: [{ id: 'cu2', code: 'KD02', name: 'Implementatie', active: true }],
    suppliers: [
      { id: 's2002', code: '2002', name: 'Spoor & Stad Reizen B.V.', vatNumber: 'NL823456789B01', active: true },
      { id: 's9002', code: '9002', name: 'de Vries, Sanne', active: true },
    ],
  };
  return createMasterDataLookup(data);
}

const entry = () => buildJournalEntry(mixedReport('R-1', '2026-11-20T10:00:00Z'), mappingsSchema.parse(demoMappings()), lookup());

test('the built entry converts to a create DTO the client accepts, with exact decimal amounts', () => {
  const input = toMaesnJournalEntry(entry());
  const parsed = journalEntryCreateInputSchema.parse(input);
  const wire = toJournalEntryWire(parsed) as any;
  assert.equal(wire.journalCode, '90');
  assert.equal(wire.accountingPeriodId, '2026-11');
  assert.equal(wire.transactionDate, '2026-11-20');
  assert.match(wire.description, /EXP-R-1/);
  assert.deepEqual(
    wire.journalLineItems.map((l: any) => [l.debitCreditIndicator, l.accountId, l.totalNetAmount, l.totalTaxAmount, l.totalGrossAmount, l.taxRate?.code ?? null]),
    [
      ['DEBIT', 'gl-4500', 100, 21, 121, '5'],
      // restaurant lunch: not deductible, gross with the no-VAT code and no VAT amount
      ['DEBIT', 'gl-4430', 54.5, 0, 54.5, '0'],
      ['DEBIT', 'gl-4300', 19.99, 0, 19.99, '7'],
      ['DEBIT', 'gl-4520', 28.38, 0, 28.38, '7'],
      // US software: reverse charge, the amount paid as net with the charged code, no VAT amount
      ['DEBIT', 'gl-4330', 92, 0, 92, '9'],
      ['CREDIT', 'gl-1610', 315.87, 0, 315.87, null],
    ],
  );
  assert.deepEqual(wire.journalLineItems[0].dimensions, [{ categoryName: 'CostCenter', code: '400' }, { categoryName: 'CostUnit', code: 'KD02' }]);
  assert.equal(wire.journalLineItems[0].supplierId, 's2002');
  assert.equal(wire.journalLineItems[5].supplierId, 's9002');
  // every cost line carries an explicit VAT code and its percentage
  assert.deepEqual(wire.journalLineItems.slice(0, 5).map((l: any) => l.taxRate?.taxRatePercentage), ['21', '0', '0', '0', '21']);
});

test('the create request validates against the Maesn spec', (t) => {
  const spec = loadMaesnSpec();
  if (!spec) return t.skip(specAbsentReason);
  const wire = toJournalEntryWire(journalEntryCreateInputSchema.parse(toMaesnJournalEntry(entry())));
  const errors = validateRequest(spec, 'post', '/accounting/journalEntries', {
    query: { companyId: '123456' },
    headers: { 'x-api-key': 'k', 'x-account-key': 'a' },
    multipartJsonField: { name: 'journal_entry', value: JSON.stringify(wire) },
  });
  assert.deepEqual(errors, []);
});

test('Maesn errors become Temporal failures with the right type and retry decision', () => {
  const cases: [Error, string, boolean][] = [
    [new MaesnInvalidRequestError({ operation: 'createJournalEntry', status: 400, targetMessage: 'Periode is afgesloten' }), 'MaesnInvalidRequestError', true],
    [new MaesnUnauthorizedError({ operation: 'createJournalEntry', status: 401 }), 'MaesnUnauthorizedError', true],
    [new MaesnTransientError({ operation: 'createJournalEntry', status: 503, outcomeUnknown: true }), 'MaesnTransientError', false],
  ];
  for (const [err, type, nonRetryable] of cases) {
    const f = toActivityFailure(err) as ApplicationFailure;
    assert.ok(f instanceof ApplicationFailure);
    assert.equal(f.type, type);
    assert.equal(f.nonRetryable, nonRetryable, type);
  }
  const limited = toActivityFailure(new MaesnRateLimitedError({ operation: 'getAccounts', status: 429, retryAfterMs: 7000, retryAfterFromHeader: true })) as ApplicationFailure;
  assert.equal(limited.nonRetryable, false);
  assert.equal(limited.nextRetryDelay, 7000);
  const plain = new Error('other');
  assert.equal(toActivityFailure(plain), plain, 'other errors pass through');
});
