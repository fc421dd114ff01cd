/**
 * Per-expense amounts in the report currency: gross, VAT and net in cents.
 *
 * Rules (all exact, rounding half away from zero, once per step):
 * - receipt in the report currency: gross = amount;
 * - receipt in another currency: gross = round(amount × exchangeRate), where
 *   exchangeRate is report-currency units per one unit of the expense currency;
 *   a receipt vatAmount is converted the same way (round(vatAmount × exchangeRate))
 *   *before* it is compared with the converted gross, so the one-cent tolerance
 *   applies in the currency that is actually booked;
 * - VAT: "exempt" and a 0 % rate give 0. Otherwise the receipt's (converted)
 *   vatAmount is used when it lies within one cent of gross × rate / (100 + rate)
 *   (exact, unrounded value); else VAT = round(gross × rate / (100 + rate));
 * - mileage: gross = round(distanceKm × ratePerKm), VAT key "0", VAT 0;
 * - net = gross − VAT (so net + VAT = gross always holds);
 * - a refund (negative amount) follows the same rules with every amount negative: the amounts of
 *   −x are exactly the negated amounts of x (rounding is symmetric).
 */
import {
  canonicalDecimalString,
  compareDecimal,
  type Cents,
  isVatWithinOneCent,
  mulRound,
  parseAmount,
  productToCents,
  vatFromGross,
} from './money';
import type { ExpenseCore } from './schemas';

/** Thrown when an expense lacks what the computation needs (validation reports these first). */
export class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Where the VAT amount of a line comes from. */
export type VatSource = 'receipt' | 'computed' | 'none';

export interface ExpenseAmounts {
  grossCents: Cents;
  taxCents: Cents;
  netCents: Cents;
  /** Key into `mappings.vatRates`: canonical percentage ("21", "5.5", "0") or "exempt". */
  vatKey: string;
  vatSource: VatSource;
  /** True when the receipt carried a vatAmount that was not used (outside tolerance, or rate 0/exempt). */
  receiptVatIgnored: boolean;
  /** Present when the expense was converted from another currency. */
  conversion?: {
    currency: string;
    exchangeRate: string;
    originalGrossCents: Cents;
    originalVatCents?: Cents;
  };
}

/** Canonical VAT-rate key: "exempt" stays, percentages lose redundant zeros ("21.00" → "21"). */
export function vatKey(rate: string): string {
  return rate === 'exempt' ? 'exempt' : canonicalDecimalString(rate);
}

/** The VAT key mileage lines use. */
export const MILEAGE_VAT_KEY = '0';

/** Computes the booked amounts of one expense in the report currency. Throws DomainError/MoneyError. */
export function computeExpenseAmounts(expense: ExpenseCore, reportCurrency: string): ExpenseAmounts {
  if (expense.type === 'mileage') {
    const gross = productToCents(expense.distanceKm, expense.ratePerKm);
    return {
      grossCents: gross,
      taxCents: 0,
      netCents: gross,
      vatKey: MILEAGE_VAT_KEY,
      vatSource: 'none',
      receiptVatIgnored: false,
    };
  }

  const foreign = expense.currency !== reportCurrency;
  if (foreign && expense.exchangeRate === undefined) {
    throw new DomainError(`expense ${expense.id}: exchangeRate required for ${expense.currency} → ${reportCurrency}`);
  }
  const originalGross = parseAmount(expense.amount);
  const originalVat = expense.vatAmount === undefined ? undefined : parseAmount(expense.vatAmount);
  const rate = foreign ? (expense.exchangeRate as string) : '1';
  const gross = foreign ? mulRound(originalGross, rate) : originalGross;
  const receiptVat = originalVat === undefined ? undefined : foreign ? mulRound(originalVat, rate) : originalVat;

  if (expense.vatRate === undefined) throw new DomainError(`expense ${expense.id}: no VAT rate (split receipts are computed per part)`);
  const key = vatKey(expense.vatRate);
  let tax = 0;
  let source: VatSource = 'none';
  let ignored = receiptVat !== undefined;
  if (key !== 'exempt' && compareDecimal(key, '0') !== 0) {
    // A refund has a negative gross and VAT: the same rules hold for the magnitudes.
    const sameSign = receiptVat !== undefined && (receiptVat === 0 || receiptVat < 0 === gross < 0);
    if (receiptVat !== undefined && sameSign && Math.abs(receiptVat) <= Math.abs(gross) && isVatWithinOneCent(gross, key, receiptVat)) {
      tax = receiptVat;
      source = 'receipt';
      ignored = false;
    } else {
      tax = vatFromGross(gross, key);
      source = 'computed';
    }
  } else if (receiptVat === 0) {
    ignored = false;
  }

  const result: ExpenseAmounts = {
    grossCents: gross,
    taxCents: tax,
    netCents: gross - tax,
    vatKey: key,
    vatSource: source,
    receiptVatIgnored: ignored,
  };
  if (foreign) {
    result.conversion = {
      currency: expense.currency,
      exchangeRate: rate,
      originalGrossCents: originalGross,
      ...(originalVat === undefined ? {} : { originalVatCents: originalVat }),
    };
  }
  return result;
}
