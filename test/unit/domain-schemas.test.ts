import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  base64DecodedSize,
  expenseReportRefSchema,
  expenseReportSchema,
  formatIssuePath,
  mappingsSchema,
  parseExpenseReport,
  parseExpenseReportRef,
  parseMappings,
  toReportRef,
  type ExpenseReport,
} from '../../src/domain';

function validReport(): ExpenseReport {
  return {
    reportId: 'R-100',
    employee: { id: 'emp-1', name: 'Jan Jansen', email: 'jan@example.com' },
    approvedAt: '2025-06-30T23:30:00+02:00',
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
        costCenter: 'CC10',
        merchant: { name: 'Hotel Utrecht B.V.', vatNumber: 'NL 8536.42.B01' },
        receipts: [{ fileName: 'hotel.pdf', contentType: 'application/pdf', contentBase64: 'aGVsbG8=' }],
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
    ],
  };
}

function issuesOf(input: unknown): Array<{ path: string; message: string }> {
  const r = parseExpenseReport(input);
  assert.equal(r.ok, false, 'expected the report to be rejected');
  return r.ok ? [] : r.issues;
}

function paths(input: unknown): string[] {
  return issuesOf(input).map((i) => i.path);
}

describe('expense report schema', () => {
  test('accepts a valid report', () => {
    const r = parseExpenseReport(validReport());
    assert.equal(r.ok, true);
    assert.deepEqual(expenseReportSchema.parse(validReport()), validReport());
  });

  test('names the path of a bad amount', () => {
    const rep: any = validReport();
    rep.expenses[0].amount = '12.345';
    const issues = issuesOf(rep);
    assert.deepEqual(
      issues.map((i) => i.path),
      ['expenses[0].amount'],
    );
    assert.match(issues[0].message, /at most 2 decimals/);
  });

  test('amount must be > 0; vatAmount at most 2 decimals', () => {
    const rep: any = validReport();
    rep.expenses[0].amount = '0.00';
    rep.expenses[0].vatAmount = '1.001';
    assert.deepEqual(paths(rep).sort(), ['expenses[0].amount', 'expenses[0].vatAmount']);
  });

  test('names nested paths: employee email, merchant name, receipt content', () => {
    const rep: any = validReport();
    rep.employee.email = 'not-an-email';
    rep.expenses[0].merchant.name = '';
    rep.expenses[0].receipts[0].contentBase64 = '***';
    assert.deepEqual(paths(rep).sort(), [
      'employee.email',
      'expenses[0].merchant.name',
      'expenses[0].receipts[0].contentBase64',
    ]);
  });

  test('currency, dates and approval timestamp', () => {
    const rep: any = validReport();
    rep.currency = 'eur';
    rep.approvedAt = '2025-06-30';
    rep.expenses[0].date = '2025-02-30';
    rep.expenses[1].date = '12-06-2025';
    assert.deepEqual(paths(rep).sort(), ['approvedAt', 'currency', 'expenses[0].date', 'expenses[1].date']);
  });

  test('VAT rate accepts percentages and "exempt" only', () => {
    for (const ok of ['21', '9', '0', '5.5', 'exempt', '100']) {
      const rep: any = validReport();
      rep.expenses[0].vatRate = ok;
      delete rep.expenses[0].vatAmount;
      assert.equal(parseExpenseReport(rep).ok, true, ok);
    }
    for (const bad of ['21%', 'EXEMPT', '-1', '101', '', 'zero']) {
      const rep: any = validReport();
      rep.expenses[0].vatRate = bad;
      assert.deepEqual(paths(rep), ['expenses[0].vatRate'], bad);
    }
  });

  test('exchangeRate required for foreign currency, and 1 when same currency', () => {
    const rep: any = validReport();
    rep.expenses[0].currency = 'USD';
    const issues = issuesOf(rep);
    assert.deepEqual(issues.map((i) => i.path), ['expenses[0].exchangeRate']);
    assert.match(issues[0].message, /USD.*EUR/);

    rep.expenses[0].exchangeRate = '0.9231';
    assert.equal(parseExpenseReport(rep).ok, true);
    rep.expenses[0].exchangeRate = '0';
    assert.deepEqual(paths(rep), ['expenses[0].exchangeRate']);

    const same: any = validReport();
    same.expenses[0].exchangeRate = '1.0000';
    assert.equal(parseExpenseReport(same).ok, true);
    same.expenses[0].exchangeRate = '1.1';
    assert.deepEqual(paths(same), ['expenses[0].exchangeRate']);
  });

  test('malformed values are reported, never thrown', () => {
    const rep: any = validReport();
    rep.currency = 'EURO';
    rep.expenses[0].currency = 'USD';
    rep.expenses[0].exchangeRate = 'x';
    rep.expenses[0].amount = 'abc';
    rep.expenses[0].vatAmount = '1e3';
    assert.deepEqual(paths(rep).sort(), [
      'currency',
      'expenses[0].amount',
      'expenses[0].exchangeRate',
      'expenses[0].vatAmount',
    ]);
  });

  test('vatAmount may not exceed the amount', () => {
    const rep: any = validReport();
    rep.expenses[0].vatAmount = '109.01';
    assert.deepEqual(paths(rep), ['expenses[0].vatAmount']);
  });

  test('duplicate expense ids are reported on the later expense', () => {
    const rep: any = validReport();
    rep.expenses[1].id = 'e1';
    const issues = issuesOf(rep);
    assert.deepEqual(issues.map((i) => i.path), ['expenses[1].id']);
    assert.match(issues[0].message, /duplicate.*expenses\[0\]/);
  });

  test('at least one expense; unknown expense type', () => {
    const empty: any = validReport();
    empty.expenses = [];
    assert.deepEqual(paths(empty), ['expenses']);
    const odd: any = validReport();
    odd.expenses[1].type = 'per-diem';
    assert.deepEqual(paths(odd), ['expenses[1].type']);
  });

  test('mileage distance and rate must be positive decimals', () => {
    const rep: any = validReport();
    rep.expenses[1].distanceKm = '-3';
    rep.expenses[1].ratePerKm = '0,23';
    assert.deepEqual(paths(rep).sort(), ['expenses[1].distanceKm', 'expenses[1].ratePerKm']);
  });

  test('missing required fields name their path', () => {
    const rep: any = validReport();
    delete rep.reportId;
    delete rep.expenses[0].category;
    assert.deepEqual(paths(rep).sort(), ['expenses[0].category', 'reportId']);
  });

  test('formatIssuePath', () => {
    assert.equal(formatIssuePath([]), '(root)');
    assert.equal(formatIssuePath(['a', 0, 'b', 12]), 'a[0].b[12]');
  });
});

describe('report references', () => {
  test('base64DecodedSize', () => {
    assert.equal(base64DecodedSize(''), 0);
    assert.equal(base64DecodedSize('aGVsbG8='), 5); // "hello"
    assert.equal(base64DecodedSize('aGVsbG8h'), 6);
    assert.equal(base64DecodedSize('aGk='), 2);
    assert.equal(base64DecodedSize('aA=='), 1);
  });

  test('toReportRef drops content and keeps metadata', () => {
    const ref = toReportRef(validReport());
    const e0 = ref.expenses[0];
    assert.equal(e0.type, 'receipt');
    if (e0.type === 'receipt') {
      assert.deepEqual(e0.receipts, [{ receiptId: 'e1#1', fileName: 'hotel.pdf', contentType: 'application/pdf', size: 5 }]);
    }
    assert.equal(JSON.stringify(ref).includes('aGVsbG8='), false);
    assert.equal(parseExpenseReportRef(ref).ok, true);
    assert.deepEqual(expenseReportRefSchema.parse(ref), ref);
    // custom ids
    const custom = toReportRef(validReport(), (id, i) => `blob:${id}:${i}`);
    assert.equal(custom.expenses[0].type === 'receipt' && custom.expenses[0].receipts[0].receiptId, 'blob:e1:0');
  });

  test('the ref schema rejects inline content', () => {
    const r = parseExpenseReportRef(validReport());
    assert.equal(r.ok, false);
    if (!r.ok) assert.ok(r.issues.some((i) => i.path.startsWith('expenses[0].receipts[0].')));
  });
});

describe('mappings schema', () => {
  const valid = {
    journalCode: '90',
    creditAccount: '1600',
    categories: { lodging: { glAccount: '4500' }, mileage: { glAccount: '4510' } },
    vatRates: { '21': '2', '9': '1', '0': '0', exempt: '5' },
    employees: { 'emp-1': { supplier: '1001' } },
  };

  test('accepts mappings and defaults the optional maps', () => {
    const r = parseMappings(valid);
    assert.equal(r.ok, true);
    if (r.ok) {
      assert.deepEqual(r.value.costCenters, {});
      assert.deepEqual(r.value.costUnits, {});
      assert.deepEqual(r.value.merchants, {});
    }
  });

  test('names the failing path', () => {
    const r = parseMappings({
      ...valid,
      journalCode: '',
      categories: { lodging: {} },
      vatRates: { '21%': '2' },
      employees: { 'emp-1': { supplier: 7 } },
    });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.deepEqual(r.issues.map((i) => i.path).sort(), [
        'categories.lodging.glAccount',
        'employees.emp-1.supplier',
        'journalCode',
        'vatRates.21%',
      ]);
    }
    assert.throws(() => mappingsSchema.parse({}));
  });
});
