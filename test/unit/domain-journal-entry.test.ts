import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildJournalEntry,
  checkEntryInvariants,
  classifyGlAccount,
  isVatCodeUsableForPurchases,
  normalizeName,
  normalizeVatNumber,
  computeExpenseAmounts,
  createMasterDataLookup,
  exportReference,
  hasExportReference,
  JournalEntryBuildError,
  mappingsSchema,
  matchMerchantSupplier,
  MAX_DESCRIPTION_LENGTH,
  parseExportReference,
  planAttachments,
  summarizeEntry,
  toReportRef,
  validateMappings,
  validateReport,
  type ExpenseReport,
  type ExpenseReportRef,
  type GlAccount,
  type Mappings,
  type MappingsInput,
  type MasterData,
  type MasterDataLookup,
  type ReceiptExpenseRef,
  type ReportIssue,
} from '../../src/domain';

import { monthlyPeriods } from '../fixtures/periods';

const sha256Hex = (t: string) => createHash('sha256').update(t, 'utf8').digest('hex');

// ---------------------------------------------------------------------------
// Fixture: a small Exact administration and a tenant mapping
// ---------------------------------------------------------------------------

function gl(code: string, kind: GlAccount['kind'], extra: Partial<GlAccount> = {}): GlAccount {
  return { id: `gl-${code}`, code, name: `Account ${code}`, kind, active: true, blocked: false, ...extra };
}

function masterData(): MasterData {
  return {
    glAccounts: [
      gl('4500', 'profit_and_loss'),
      gl('4510', 'profit_and_loss'),
      gl('4520', 'profit_and_loss'),
      gl('1600', 'creditor'),
      gl('1700', 'balance_sheet'),
      gl('4999', 'profit_and_loss', { active: false }),
      gl('4998', 'profit_and_loss', { blocked: true }),
      gl('8000', 'profit_and_loss'),
    ],
    journals: [
      { id: 'j-90', code: '90', type: 'General', active: true },
      { id: 'j-91', code: '91', type: 'General', active: false },
    ],
    vatCodes: [
      { id: 'v-2', code: '2', percentage: '21', description: 'BTW hoog', type: 'EXCLUSIVE', usage: 'ALL', active: true },
      { id: 'v-1', code: '1', percentage: '9', description: 'BTW laag', type: 'EXCLUSIVE', usage: 'BILL', active: true },
      { id: 'v-0', code: '0', percentage: '0', description: 'BTW 0%', type: 'ZERO_TAX', usage: 'ALL', active: true },
      { id: 'v-5', code: '5', percentage: '0', description: 'Vrijgesteld', type: 'NO_TAX', usage: 'ALL', active: true },
      { id: 'v-s', code: 'S21', percentage: '0.21', description: 'Sales only', type: 'EXCLUSIVE', usage: 'INVOICE', active: true },
      { id: 'v-x', code: 'X9', percentage: '9', description: 'Old', type: 'EXCLUSIVE', usage: 'ALL', active: false },
    ],
    costCenters: [
      { id: 'cc-100', code: '100', name: 'Sales', active: true },
      { id: 'cc-200', code: '200', name: 'Ops', active: true },
      { id: 'cc-900', code: '900', name: 'Closed', active: false },
    ],
    costUnits: [{ id: 'cu-P1', code: 'P1', name: 'Project 1', active: true }],
    financialPeriods: monthlyPeriods(2024, 2027),
    suppliers: [
      { id: 'sup-1001', code: '              1001', name: 'Jan Jansen', active: true },
      { id: 'sup-1002', code: '1002', name: 'Piet Old', active: false },
      { id: 'sup-2001', code: '2001', name: 'Hotel Utrecht B.V.', vatNumber: 'NL853642B01', active: true },
      { id: 'sup-2002', code: '2002', name: 'NS Reizigers', vatNumber: 'NL 0000.11.B01', active: true },
      { id: 'sup-2003', code: '2003', name: 'Café de Zon', active: true },
      { id: 'sup-2004', code: '2004', name: 'Twin', active: true },
      { id: 'sup-2005', code: '2005', name: 'TWIN', active: true },
      { id: 'sup-2006', code: '2006', name: 'Shell Direct', active: true },
    ],
  };
}

function mappings(overrides: Partial<MappingsInput> = {}): Mappings {
  return mappingsSchema.parse({
    journalCode: '90',
    creditAccount: '1600',
    categories: {
      lodging: { glAccount: '4500' },
      travel: { glAccount: '4510' },
      meals: { glAccount: '4520' },
      mileage: { glAccount: '4510' },
    },
    vatRates: { '21': '2', '9': '1', '0': '0', exempt: '5' },
    costCenters: { SALES: '100' },
    costUnits: {},
    employees: { 'emp-1': { supplier: '1001' } },
    merchants: { Shell: '2006' },
    ...overrides,
  });
}

function report(expenses: ExpenseReportRef['expenses'], extra: Partial<ExpenseReportRef> = {}): ExpenseReportRef {
  return {
    reportId: 'R-100',
    employee: { id: 'emp-1', name: 'Jan Jansen', email: 'jan@example.com' },
    approvedAt: '2025-06-30T23:30:00-02:00',
    currency: 'EUR',
    description: 'Trip to Utrecht',
    expenses,
    ...extra,
  };
}

function receipt(id: string, fields: Partial<ReceiptExpenseRef> = {}): ReceiptExpenseRef {
  return {
    type: 'receipt',
    id,
    date: '2025-06-12',
    description: `Receipt ${id}`,
    category: 'lodging',
    amount: '121.00',
    currency: 'EUR',
    vatRate: '21',
    receipts: [],
    ...fields,
  };
}

const lookup: MasterDataLookup = createMasterDataLookup(masterData());

function issueKeys(issues: ReportIssue[]): string[] {
  return issues.map((i) => `${i.expenseId ?? '-'}|${i.field}|${i.value}|${i.reason}`);
}

// ---------------------------------------------------------------------------
// VAT, mileage and currency computation
// ---------------------------------------------------------------------------

describe('computeExpenseAmounts', () => {
  const table: Array<{ name: string; fields: Partial<ReceiptExpenseRef>; gross: number; tax: number; source: string }> = [
    { name: '21% computed', fields: { amount: '121.00', vatRate: '21' }, gross: 12100, tax: 2100, source: 'computed' },
    { name: '9% computed', fields: { amount: '109.00', vatRate: '9' }, gross: 10900, tax: 900, source: 'computed' },
    { name: '0% gives no VAT', fields: { amount: '50.00', vatRate: '0' }, gross: 5000, tax: 0, source: 'none' },
    { name: 'exempt gives no VAT', fields: { amount: '50.00', vatRate: 'exempt' }, gross: 5000, tax: 0, source: 'none' },
    { name: 'exempt ignores a receipt VAT', fields: { amount: '50.00', vatRate: 'exempt', vatAmount: '3.00' }, gross: 5000, tax: 0, source: 'none' },
    { name: '21% rounding half away (10.00 → 1.74)', fields: { amount: '10.00', vatRate: '21' }, gross: 1000, tax: 174, source: 'computed' },
    { name: 'receipt VAT used when within one cent (1.73)', fields: { amount: '10.00', vatRate: '21', vatAmount: '1.73' }, gross: 1000, tax: 173, source: 'receipt' },
    { name: 'receipt VAT used when equal', fields: { amount: '121.00', vatRate: '21', vatAmount: '21.00' }, gross: 12100, tax: 2100, source: 'receipt' },
    { name: 'receipt VAT exactly one cent off is used', fields: { amount: '121.00', vatRate: '21', vatAmount: '21.01' }, gross: 12100, tax: 2101, source: 'receipt' },
    { name: 'receipt VAT two cents off is replaced', fields: { amount: '121.00', vatRate: '21', vatAmount: '21.02' }, gross: 12100, tax: 2100, source: 'computed' },
    { name: 'receipt VAT at the wrong rate is replaced', fields: { amount: '109.00', vatRate: '21', vatAmount: '9.00' }, gross: 10900, tax: 1892, source: 'computed' },
    { name: 'rate "21.00" is the same as "21"', fields: { amount: '121.00', vatRate: '21.00' }, gross: 12100, tax: 2100, source: 'computed' },
    { name: 'fractional rate 5.5', fields: { amount: '10.55', vatRate: '5.5' }, gross: 1055, tax: 55, source: 'computed' },
  ];
  for (const row of table) {
    test(row.name, () => {
      const a = computeExpenseAmounts(receipt('x', row.fields), 'EUR');
      assert.equal(a.grossCents, row.gross);
      assert.equal(a.taxCents, row.tax);
      assert.equal(a.netCents, row.gross - row.tax);
      assert.equal(a.vatSource, row.source);
    });
  }

  test('mileage: gross = round(km × rate), VAT key "0"', () => {
    const cases: Array<[string, string, number]> = [
      ['45.5', '0.23', 1047], // 10.465 → 10.47
      ['12.5', '0.21', 263], // 2.625 → 2.63
      ['100', '0.23', 2300],
      ['0.1', '0.05', 1], // 0.005 → 0.01
      ['33.333', '0.19', 633], // 6.33327 → 6.33
    ];
    for (const [km, rate, gross] of cases) {
      const a = computeExpenseAmounts(
        { type: 'mileage', id: 'm', date: '2025-06-01', description: '', category: 'mileage', distanceKm: km, ratePerKm: rate },
        'EUR',
      );
      assert.deepEqual([a.grossCents, a.taxCents, a.netCents, a.vatKey], [gross, 0, gross, '0'], `${km} × ${rate}`);
    }
  });

  test('foreign currency: gross converted per line, VAT derived on converted gross', () => {
    // 100.00 USD × 0.9235 = 92.35 EUR; VAT 21% of 92.35 gross = 16.027… → 16.03
    const a = computeExpenseAmounts(receipt('x', { amount: '100.00', currency: 'USD', exchangeRate: '0.9235' }), 'EUR');
    assert.equal(a.grossCents, 9235);
    assert.equal(a.taxCents, 1603);
    assert.deepEqual(a.conversion, { currency: 'USD', exchangeRate: '0.9235', originalGrossCents: 10000 });
  });

  test('foreign currency: rounding of the conversion is half away from zero', () => {
    // 10.01 GBP × 1.5 = 15.015 → 15.02
    const a = computeExpenseAmounts(receipt('x', { amount: '10.01', currency: 'GBP', exchangeRate: '1.5', vatRate: '0' }), 'EUR');
    assert.equal(a.grossCents, 1502);
  });

  test('foreign currency: receipt VAT is converted before the one-cent check', () => {
    // 121.00 USD @ 0.5 → 60.50 EUR; receipt VAT 21.00 USD → 10.50 EUR = exact 10.50 → used
    const used = computeExpenseAmounts(
      receipt('x', { amount: '121.00', currency: 'USD', exchangeRate: '0.5', vatAmount: '21.00' }),
      'EUR',
    );
    assert.deepEqual([used.grossCents, used.taxCents, used.vatSource], [6050, 1050, 'receipt']);
    assert.equal(used.conversion?.originalVatCents, 2100);
    // receipt VAT 21.06 USD → 10.53 EUR, 3 cents off in EUR → recomputed
    const rejected = computeExpenseAmounts(
      receipt('x', { amount: '121.00', currency: 'USD', exchangeRate: '0.5', vatAmount: '21.06' }),
      'EUR',
    );
    assert.deepEqual([rejected.taxCents, rejected.vatSource, rejected.receiptVatIgnored], [1050, 'computed', true]);
  });
});

// ---------------------------------------------------------------------------
// Merchant matching
// ---------------------------------------------------------------------------

describe('matchMerchantSupplier', () => {
  const m = mappings();
  const match = (name: string, vatNumber?: string) => {
    const r = matchMerchantSupplier({ name, ...(vatNumber ? { vatNumber } : {}) }, m, lookup);
    return r ? `${r.via}:${r.supplierCode}` : null;
  };

  test('VAT number, normalized', () => {
    assert.equal(match('Some other name', 'nl 8536.42.b01'), 'vat_number:2001');
    assert.equal(match('x', 'NL0000.11.B01'), 'vat_number:2002');
  });
  test('name, case/whitespace/punctuation/accent-insensitive', () => {
    assert.equal(match('hotel utrecht bv'), 'name:2001');
    assert.equal(match('  HOTEL-UTRECHT, B.V. '), 'name:2001');
    assert.equal(match('cafe de zon'), 'name:2003');
  });
  test('VAT number wins over name', () => {
    assert.equal(match('Café de Zon', 'NL853642B01'), 'vat_number:2001');
  });
  test('unknown VAT number falls back to name', () => {
    assert.equal(match('Hotel Utrecht', 'NL999999999B01'), null);
    assert.equal(match('Hotel Utrecht BV', 'NL999999999B01'), 'name:2001');
  });
  test('ambiguous names and no match give null', () => {
    assert.equal(match('twin'), null);
    assert.equal(match('Nobody Ltd'), null);
  });
  test('override map is checked first (by VAT number or name)', () => {
    assert.equal(match('SHELL'), 'override_name:2006');
    const withVat = mappings({ merchants: { 'NL 8536 42 B01': '2003' } });
    const r = matchMerchantSupplier({ name: 'Hotel Utrecht B.V.', vatNumber: 'NL853642B01' }, withVat, lookup);
    assert.equal(r?.via, 'override_vat_number');
    assert.equal(r?.supplier?.id, 'sup-2003');
  });
  test('inactive suppliers are not matched from master data', () => {
    assert.equal(match('Piet Old'), null);
  });
});

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

describe('validateMappings', () => {
  test('a consistent mapping has no issues', () => {
    assert.deepEqual(validateMappings(mappings(), lookup), []);
  });

  test('reports every invalid reference with its reason', () => {
    const bad = mappings({
      journalCode: '91',
      creditAccount: '4500',
      categories: {
        a: { glAccount: '4999' },
        b: { glAccount: '4998' },
        c: { glAccount: '1600' },
        d: { glAccount: '0000' },
        e: { glAccount: '1700' },
      },
      vatRates: { '21': 'S21', '9': 'X9', '0': '2', exempt: 'ZZ' },
      costCenters: { A: '900', B: '404' },
      costUnits: { P: 'P9' },
      employees: { 'emp-1': { supplier: '1002' }, 'emp-2': { supplier: '9999' } },
      merchants: { Foo: '8888' },
    });
    const got = validateMappings(bad, lookup).map((i) => `${i.path}|${i.value}|${i.reason}`);
    assert.deepEqual(got, [
      'journalCode|91|inactive',
      'creditAccount|4500|wrong_account_kind',
      'categories.a.glAccount|4999|inactive',
      'categories.b.glAccount|4998|blocked',
      'categories.c.glAccount|1600|wrong_account_kind',
      'categories.d.glAccount|0000|unknown',
      'vatRates.0|2|vat_percentage_mismatch',
      'vatRates.21|S21|vat_code_not_usable',
      'vatRates.9|X9|inactive',
      'vatRates.exempt|ZZ|unknown',
      'costCenters.A|900|inactive',
      'costCenters.B|404|unknown',
      'costUnits.P|P9|unknown',
      'employees.emp-1.supplier|1002|inactive',
      'employees.emp-2.supplier|9999|unknown',
      'merchants.Foo|8888|unknown',
    ]);
  });

  test('credit account may be balance sheet or creditor; fraction percentages match', () => {
    assert.deepEqual(validateMappings(mappings({ creditAccount: '1700' }), lookup), []);
    const issues = validateMappings(mappings({ vatRates: { '21': 'S21', '9': '1', '0': '0', exempt: '5' } }), lookup);
    // S21 has percentage 0.21 (fraction) → matches 21, only the usage is wrong
    assert.deepEqual(issues.map((i) => i.reason), ['vat_code_not_usable']);
  });
});

describe('validateReport', () => {
  test('a valid report has no issues', () => {
    const r = report([receipt('e1'), receipt('e2', { category: 'travel', vatRate: '9', amount: '10.90', costCenter: 'SALES' })]);
    assert.deepEqual(validateReport(r, mappings(), lookup), { ok: true, missing: [] });
  });

  test('collects every problem, not only the first', () => {
    const r = report(
      [
        receipt('e1', { category: 'unknown-cat', vatRate: '5.5' }),
        receipt('e2', { category: 'lodging', costCenter: '900', costUnit: 'NOPE' }),
        receipt('e3', { category: 'meals', vatRate: 'exempt', currency: 'USD' }),
        { type: 'mileage', id: 'e4', date: '2025-06-01', description: 'drive', category: 'mileage', distanceKm: '10', ratePerKm: '0.23', costCenter: 'X' },
        receipt('e5', { merchant: { name: 'Hotel Utrecht B.V.' }, category: 'bad-gl' }),
      ],
      { employee: { id: 'emp-9', name: 'Unknown Person', email: 'u@example.com' } },
    );
    const m = mappings({
      categories: {
        lodging: { glAccount: '4500' },
        meals: { glAccount: '4998' },
        mileage: { glAccount: '4510' },
        'bad-gl': { glAccount: '7777' },
      },
      vatRates: { '21': '2', '9': '1', exempt: '5' },
    });
    const v = validateReport(r, m, lookup);
    assert.equal(v.ok, false);
    assert.deepEqual(issueKeys(v.missing), [
      '-|employee|emp-9|not_mapped',
      'e1|category|unknown-cat|not_mapped',
      'e1|vatRate|5.5|not_mapped',
      'e2|costCenter|900|inactive',
      'e2|costUnit|NOPE|unknown',
      'e3|glAccount|4998|blocked',
      'e3|exchangeRate||missing_exchange_rate',
      'e4|vatRate|0|not_mapped',
      'e4|costCenter|X|unknown',
      'e5|glAccount|7777|unknown',
    ]);
    // messages are precise
    const byKey = new Map(v.missing.map((i) => [`${i.expenseId}|${i.field}`, i.message]));
    assert.match(byKey.get('e4|vatRate') ?? '', /mileage/);
    assert.match(byKey.get('e3|exchangeRate') ?? '', /USD to EUR/);
    assert.match(byKey.get('null|employee') ?? '', /emp-9.*Unknown Person/);
  });

  test('0% and exempt are distinct keys', () => {
    const m = mappings({ vatRates: { '21': '2', '0': '0' } });
    const v = validateReport(report([receipt('e1', { vatRate: 'exempt' }), receipt('e2', { vatRate: '0' })]), m, lookup);
    assert.deepEqual(issueKeys(v.missing), ['e1|vatRate|exempt|not_mapped']);
  });

  test('cost center mapping is applied before the lookup (identity when absent)', () => {
    const m = mappings({ costCenters: { SALES: '100', OPS: '900' } });
    const v = validateReport(
      report([receipt('e1', { costCenter: 'SALES' }), receipt('e2', { costCenter: '200' }), receipt('e3', { costCenter: 'OPS' })]),
      m,
      lookup,
    );
    assert.deepEqual(issueKeys(v.missing), ['e3|costCenter|900|inactive']);
    assert.match(v.missing[0].message, /mapped from OPS/);
  });

  test('header problems: journal, credit account, employee supplier', () => {
    const m = mappings({ journalCode: '77', creditAccount: '4500', employees: { 'emp-1': { supplier: '1002' } } });
    const v = validateReport(report([receipt('e1')]), m, lookup);
    assert.deepEqual(issueKeys(v.missing), [
      '-|journalCode|77|unknown',
      '-|creditAccount|4500|wrong_account_kind',
      '-|employee.supplier|1002|inactive',
    ]);
  });

  test('VAT code not usable for purchases and merchant override to an unknown supplier', () => {
    const m = mappings({ vatRates: { '21': 'S21', '9': '1', '0': '0', exempt: '5' }, merchants: { Shell: '9999' } });
    const v = validateReport(report([receipt('e1', { merchant: { name: 'Shell' } })]), m, lookup);
    assert.deepEqual(issueKeys(v.missing), ['e1|vatCode|S21|vat_code_not_usable', 'e1|merchant|9999|unknown']);
  });

  test('amounts that round to zero and duplicate ids', () => {
    const v = validateReport(
      report([
        { type: 'mileage', id: 'm1', date: '2025-06-01', description: '', category: 'mileage', distanceKm: '0.01', ratePerKm: '0.23' },
        receipt('m1'),
      ]),
      mappings(),
      lookup,
    );
    assert.deepEqual(issueKeys(v.missing), ['m1|amount|0|zero_amount', 'm1|id|m1|duplicate_expense_id']);
  });
});

// ---------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------

describe('buildJournalEntry', () => {
  const full: ExpenseReport = {
    reportId: 'R-100',
    employee: { id: 'emp-1', name: 'Jan Jansen', email: 'jan@example.com' },
    approvedAt: '2025-06-30T23:30:00-02:00',
    currency: 'EUR',
    description: 'Trip to Utrecht',
    expenses: [
      {
        type: 'receipt',
        id: 'e1',
        date: '2025-06-12',
        description: 'Hotel',
        category: 'lodging',
        amount: '109.00',
        currency: 'EUR',
        vatRate: '9',
        vatAmount: '9.00',
        costCenter: 'SALES',
        costUnit: 'P1',
        merchant: { name: 'Hotel Utrecht', vatNumber: 'NL 8536.42.B01' },
        receipts: [
          { fileName: 'hotel.pdf', contentType: 'application/pdf', contentBase64: 'aGVsbG8=' },
          { fileName: 'hotel-2.jpg', contentType: 'image/jpeg', contentBase64: 'aGk=' },
        ],
      },
      {
        type: 'mileage',
        id: 'e2',
        date: '2025-06-12',
        description: 'Amsterdam - Utrecht',
        category: 'mileage',
        distanceKm: '45.5',
        ratePerKm: '0.23',
      },
      {
        type: 'receipt',
        id: 'e3',
        date: '2025-06-13',
        description: 'Lunch in London',
        category: 'meals',
        amount: '20.00',
        currency: 'GBP',
        exchangeRate: '1.1795',
        vatRate: '21',
        receipts: [{ fileName: 'lunch.png', contentType: 'image/png', contentBase64: 'aA==' }],
      },
    ],
  };
  const ref = toReportRef(full);
  const entry = buildJournalEntry(ref, mappings(), lookup);

  test('header: journal, the approval date in Amsterdam (23:30 at -02:00 is 01:30 on 1 July there), its period, currency, reference', () => {
    assert.equal(entry.journalCode, '90');
    assert.equal(entry.transactionDate, '2025-07-01');
    assert.equal(entry.accountingPeriodId, '2025-07');
    assert.equal(entry.currency, 'EUR');
    assert.equal(entry.reference, 'EXP-R-100');
    assert.equal(entry.description, 'EXP-R-100 Trip to Utrecht - Jan Jansen');
  });

  test('one debit line per expense, then the credit line', () => {
    assert.deepEqual(
      entry.lines.map((l) => [l.position, l.side, l.expenseId, l.account.code, l.netCents, l.taxCents, l.grossCents, l.vatCode?.code ?? null]),
      [
        [1, 'DEBIT', 'e1', '4500', 10000, 900, 10900, '1'],
        [2, 'DEBIT', 'e2', '4510', 1047, 0, 1047, '0'],
        // 20.00 GBP × 1.1795 = 23.59 EUR; VAT 21% of 23.59 = 4.094… → 4.09
        [3, 'DEBIT', 'e3', '4520', 1950, 409, 2359, '2'],
        [4, 'CREDIT', null, '1600', 14306, 0, 14306, null],
      ],
    );
    assert.deepEqual(entry.expenseLinePositions, { e1: 1, e2: 2, e3: 3 });
  });

  test('dimensions, suppliers and descriptions', () => {
    const [l1, l2, l3, credit] = entry.lines;
    assert.deepEqual(l1.dimensions, [
      { categoryName: 'CostCenter', id: 'cc-100', code: '100' },
      { categoryName: 'CostUnit', id: 'cu-P1', code: 'P1' },
    ]);
    assert.deepEqual(l1.supplier, { id: 'sup-2001', code: '2001' });
    assert.equal(l1.supplierVia, 'vat_number');
    assert.equal(l1.vatSource, 'receipt');
    assert.equal(l1.account.id, 'gl-4500');
    assert.equal(l1.description, 'EXP-R-100 e1 Hotel');
    assert.deepEqual(l2.dimensions, []);
    assert.equal(l2.supplier, null);
    assert.equal(l3.conversion?.currency, 'GBP');
    assert.deepEqual(credit.supplier, { id: 'sup-1001', code: '              1001' });
    assert.equal(credit.supplierVia, 'employee');
    assert.equal(credit.description, 'EXP-R-100 Jan Jansen');
    for (const l of entry.lines) assert.ok(hasExportReference(l.description, 'EXP-R-100'));
  });

  test('long descriptions are cut to MAX_DESCRIPTION_LENGTH; the reference never is', () => {
    const longId = 'R-'.padEnd(70, '9');
    assert.throws(() => buildJournalEntry(report([receipt('e1')], { reportId: longId }), mappings(), lookup), /too long for a plain reference/);
    const ref = exportReference({ tenantId: 't1', reportId: longId, revision: 1 }, sha256Hex);
    const long = buildJournalEntry(report([receipt('e1', { description: 'x'.repeat(300) })], { reportId: longId }), mappings(), lookup, ref);
    assert.equal(long.reference, ref);
    for (const l of long.lines) {
      assert.ok(l.description.length <= MAX_DESCRIPTION_LENGTH, `${l.description.length} characters`);
      assert.ok(l.description.startsWith(`${ref} `));
      assert.ok(hasExportReference(l.description, ref));
    }
    const short = buildJournalEntry(report([receipt('e1', { description: 'y'.repeat(300) })]), mappings(), lookup);
    assert.equal(short.lines[0].description.length, MAX_DESCRIPTION_LENGTH);
    assert.ok(short.lines[0].description.startsWith('EXP-R-100 e1 yyy'));
  });

  test('codes are trimmed in the lookup', () => {
    assert.equal(lookup.suppliers.get('1001')?.id, 'sup-1001');
  });
});

describe('export reference', () => {
  test('format and detection', () => {
    assert.equal(exportReference({ tenantId: 't', reportId: 'R-1', revision: 1 }, sha256Hex), 'EXP-R-1');
    assert.equal(hasExportReference('EXP-R-1 Trip', 'EXP-R-1'), true);
    assert.equal(hasExportReference('Trip EXP-R-1', 'EXP-R-1'), true);
    assert.equal(hasExportReference('EXP-R-10 Trip', 'EXP-R-1'), false);
    assert.equal(hasExportReference('XEXP-R-1 Trip', 'EXP-R-1'), false);
    assert.equal(hasExportReference('EXP-R-10 EXP-R-1', 'EXP-R-1'), true);
    assert.equal(hasExportReference(null, 'EXP-R-1'), false);
    assert.equal(parseExportReference('EXP-R-1 Trip'), 'EXP-R-1');
    assert.equal(parseExportReference('Trip to X'), null);
    assert.equal(parseExportReference(undefined), null);
  });
});
