import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  canonicalDecimalString,
  centsToDecimalString,
  compareDecimal,
  divRoundHalfAwayFromZero,
  formatCents,
  isVatWithinOneCent,
  MoneyError,
  mulRound,
  parseAmount,
  parseDecimal,
  productToCents,
  ratioRound,
  sumCents,
  vatFromGross,
} from '../../src/domain';

describe('parseAmount', () => {
  const ok: Array<[string, number]> = [
    ['0', 0],
    ['0.00', 0],
    ['12.34', 1234],
    ['12.3', 1230],
    ['12', 1200],
    ['0.01', 1],
    ['0.1', 10],
    ['007.50', 750],
    ['-0.05', -5],
    ['-12.34', -1234],
    ['90071992547409.91', 9007199254740991],
  ];
  for (const [input, cents] of ok) {
    test(`"${input}" → ${cents}`, () => assert.equal(parseAmount(input), cents));
  }
  const bad = ['12.345', '0.001', '', ' 1', '1 ', '1,00', '+1', '1e2', '.5', '5.', 'abc', 'NaN', '--1', '90071992547409.92'];
  for (const input of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => assert.throws(() => parseAmount(input), MoneyError));
  }
});

describe('formatCents / centsToDecimalString', () => {
  const table: Array<[number, string]> = [
    [0, '0.00'],
    [1, '0.01'],
    [10, '0.10'],
    [99, '0.99'],
    [100, '1.00'],
    [1234, '12.34'],
    [-5, '-0.05'],
    [-1234, '-12.34'],
    [9007199254740991, '90071992547409.91'],
  ];
  for (const [cents, s] of table) {
    test(`${cents} → "${s}"`, () => {
      assert.equal(formatCents(cents), s);
      assert.equal(centsToDecimalString(cents), s);
    });
  }
  test('rejects non-integers', () => {
    assert.throws(() => formatCents(1.5), MoneyError);
    assert.throws(() => formatCents(Number.NaN), MoneyError);
  });
  test('round-trips every safe cent value', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (c) => {
        assert.equal(parseAmount(formatCents(c)), c);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('rounding half away from zero', () => {
  test('divRoundHalfAwayFromZero boundaries', () => {
    const table: Array<[bigint, bigint, bigint]> = [
      [5n, 10n, 1n], // 0.5 → 1
      [-5n, 10n, -1n], // -0.5 → -1
      [4n, 10n, 0n],
      [-4n, 10n, 0n],
      [15n, 10n, 2n],
      [-15n, 10n, -2n],
      [25n, 10n, 3n], // not banker's rounding
      [-25n, 10n, -3n],
      [149n, 100n, 1n],
      [-149n, 100n, -1n],
      [5n, -10n, -1n],
      [0n, 7n, 0n],
    ];
    for (const [n, d, q] of table) assert.equal(divRoundHalfAwayFromZero(n, d), q, `${n}/${d}`);
    assert.throws(() => divRoundHalfAwayFromZero(1n, 0n), MoneyError);
  });

  test('mulRound at the 0.005 boundary', () => {
    // 1 cent × 0.5 = 0.5 cent → 1 cent; negative mirrors
    assert.equal(mulRound(1, '0.5'), 1);
    assert.equal(mulRound(-1, '0.5'), -1);
    assert.equal(mulRound(1, '0.4999999'), 0);
    assert.equal(mulRound(-1, '0.4999999'), 0);
    // 100.00 × 1.00005 = 100.005 → 100.01
    assert.equal(mulRound(10000, '1.00005'), 10001);
    assert.equal(mulRound(-10000, '1.00005'), -10001);
    assert.equal(mulRound(10000, '1.000049999'), 10000);
    // 0.01 × 0.5 = 0.005 → 0.01
    assert.equal(mulRound(1, '0.50'), 1);
    assert.equal(mulRound(1234, '1'), 1234);
    assert.equal(mulRound(1234, '0'), 0);
  });

  test('productToCents (e.g. km × rate)', () => {
    assert.equal(productToCents('12.5', '0.23'), 288); // 2.875 → 2.88
    assert.equal(productToCents('12.5', '0.21'), 263); // 2.625 → 2.63 (half away from zero)
    assert.equal(productToCents('0.1', '0.05'), 1); // 0.005 → 0.01
    assert.equal(productToCents('0.1', '0.04'), 0); // 0.004 → 0.00
    assert.equal(productToCents('-0.1', '0.05'), -1);
    assert.equal(productToCents('100', '0.23'), 2300);
  });

  test('ratioRound applies a single rounding', () => {
    assert.equal(ratioRound(12100, '21', '121'), 2100);
    assert.equal(ratioRound(1, '1', '2'), 1); // 0.5 → 1
    assert.equal(ratioRound(-1, '1', '2'), -1);
    assert.equal(ratioRound(100, '1', '3'), 33);
    assert.equal(ratioRound(200, '1', '3'), 67);
    assert.throws(() => ratioRound(1, '1', '0'), MoneyError);
  });
});

describe('VAT helpers', () => {
  test('vatFromGross table', () => {
    const table: Array<[number, string, number]> = [
      [12100, '21', 2100],
      [10900, '9', 900],
      [1000, '21', 174], // 173.55… → 174
      [1000, '9', 83], // 82.57 → 83
      [1000, '0', 0],
      [1, '21', 0], // 0.1735… → 0
      [3, '21', 1], // 0.5206… → 1
      [1055, '5.5', 55], // 55.0 → 55
      [-1000, '21', -174],
    ];
    for (const [gross, rate, vat] of table) assert.equal(vatFromGross(gross, rate), vat, `${gross} @ ${rate}`);
  });

  test('isVatWithinOneCent uses the exact unrounded value', () => {
    // 10.00 @ 21%: exact VAT 1.7355…; 1.74 and 1.73 (< 1 cent off) pass, 1.75 is 1.45 cents off
    assert.equal(isVatWithinOneCent(1000, '21', 174), true);
    assert.equal(isVatWithinOneCent(1000, '21', 173), true);
    assert.equal(isVatWithinOneCent(1000, '21', 175), false);
    assert.equal(isVatWithinOneCent(1000, '21', 172), false);
    // exact value 21.00 for 121.00: 20.99 and 21.01 are exactly one cent off (inclusive)
    assert.equal(isVatWithinOneCent(12100, '21', 2099), true);
    assert.equal(isVatWithinOneCent(12100, '21', 2101), true);
    assert.equal(isVatWithinOneCent(12100, '21', 2102), false);
  });
});

describe('decimal helpers', () => {
  test('parseDecimal keeps every digit', () => {
    assert.deepEqual(parseDecimal('1.084512345678'), { units: 1084512345678n, scale: 12 });
    assert.deepEqual(parseDecimal('-0.5'), { units: -5n, scale: 1 });
    assert.throws(() => parseDecimal('1e-3'), MoneyError);
  });
  test('canonicalDecimalString', () => {
    const table: Array<[string, string]> = [
      ['21', '21'],
      ['21.00', '21'],
      ['09', '9'],
      ['5.50', '5.5'],
      ['0.0', '0'],
      ['-0', '0'],
      ['0.05', '0.05'],
      ['100', '100'],
    ];
    for (const [i, o] of table) assert.equal(canonicalDecimalString(i), o, i);
  });
  test('compareDecimal across scales', () => {
    assert.equal(compareDecimal('1.0', '1'), 0);
    assert.equal(compareDecimal('1.01', '1.1'), -1);
    assert.equal(compareDecimal('-1', '0.000001'), -1);
    assert.equal(compareDecimal('2', '1.999999999'), 1);
  });
  test('sumCents detects overflow', () => {
    assert.equal(sumCents([1, 2, 3]), 6);
    assert.throws(() => sumCents([Number.MAX_SAFE_INTEGER, 1]), MoneyError);
  });
});
