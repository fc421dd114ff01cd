/**
 * Which VAT code a cost line carries and whether its VAT is claimed (Dutch rules; sources in the
 * README's "VAT treatment" section):
 *
 * - `deductible` (default): the code mapped for the receipt's rate, with the VAT amount;
 * - `non_deductible` (a category marked so, e.g. food and drink in horeca; or VAT charged by a
 *   merchant established outside the Netherlands): the gross amount with the tenant's no-VAT code
 *   and no VAT amount;
 * - `reverse_charge` (a category marked so, e.g. software bought from outside the Netherlands): the
 *   amount paid as net with the charged code mapped for the rate, no VAT amount (Exact creates the
 *   VAT to pay and to claim). A receipt without VAT is self-assessed at the standard rate.
 *
 * Every cost line carries an explicit code, so Exact never applies a GL account's default.
 * A receipt split by `vatLines` becomes one part per line; each part follows these rules itself.
 */
import { MILEAGE_VAT_KEY, vatKey } from './amounts';
import { findVatCodeMapping } from './mapping-lookup';
import { canonicalDecimalString, compareDecimal, isDecimalString, parseDecimal } from './money';
import type { ExpenseCore, Mappings, ReceiptExpenseCore, VatTreatment } from './schemas';

/** The country whose VAT a Dutch administration deducts. */
export const HOME_COUNTRY = 'NL';
/** The Dutch standard rate: what a reverse-charge receipt without VAT is self-assessed at. */
export const STANDARD_VAT_RATE = '21';

/** One booked part of an expense: the expense itself, or one of its `vatLines`. */
export type ExpensePart = ExpenseCore & { partIndex: number | null };

/** The parts of an expense, in order: one per `vatLines` entry, or the expense itself. */
export function expenseParts(e: ExpenseCore): ExpensePart[] {
  if (e.type !== 'receipt' || !e.vatLines) return [{ ...e, partIndex: null }];
  return e.vatLines.map((p, k): ExpensePart => {
    const part: ReceiptExpenseCore = { ...e, amount: p.amount, vatRate: p.vatRate, category: p.category ?? e.category };
    delete part.vatLines;
    if (p.vatAmount === undefined) delete part.vatAmount;
    else part.vatAmount = p.vatAmount;
    return { ...part, partIndex: k };
  });
}

/** A part's VAT-rate key ("21", "9", "0", "exempt"), or null when malformed. */
export function partVatKey(part: ExpenseCore): string | null {
  if (part.type === 'mileage') return MILEAGE_VAT_KEY;
  if (part.vatRate === undefined) return null;
  return part.vatRate === 'exempt' || isDecimalString(part.vatRate) ? vatKey(part.vatRate) : null;
}

const isZeroRate = (key: string) => key === 'exempt' || compareDecimal(key, '0') === 0;

/** Why a line's VAT is treated as it is. */
export type TreatmentCause = 'category' | 'foreign_vat';

export interface LineVatPlan {
  treatment: VatTreatment;
  cause: TreatmentCause;
  /** the rate the code must carry ("21", "9", "0", "exempt") */
  rateKey: string;
  /** the mapping the code comes from, e.g. `vatRates.21`, `nonDeductibleVatCode` */
  mappingPath: string;
  /** the mapped Exact code, undefined when not mapped */
  code: string | undefined;
}

/** Reverse-charge code mapped for a rate key, matching numerically. */
export function findReverseChargeCode(mappings: Mappings, key: string): string | undefined {
  const rc = mappings.reverseChargeVatCodes ?? {};
  if (Object.prototype.hasOwnProperty.call(rc, key)) return rc[key];
  for (const k of Object.keys(rc).sort()) if (isDecimalString(k) && canonicalDecimalString(k) === key) return rc[k];
  return undefined;
}

/** True when VAT on this receipt was charged by a merchant outside the Netherlands. */
export function isForeignVat(part: ExpenseCore, key: string): boolean {
  if (part.type !== 'receipt') return false;
  const country = part.merchant?.country;
  return country !== undefined && country !== HOME_COUNTRY && !isZeroRate(key);
}

/** How one part's VAT is booked and with which mapped code. `key` is `partVatKey(part)`. */
export function planLineVat(part: ExpenseCore, key: string, mappings: Mappings): LineVatPlan {
  const category = Object.prototype.hasOwnProperty.call(mappings.categories, part.category) ? mappings.categories[part.category] : undefined;
  const treatment: VatTreatment = category?.vatTreatment ?? 'deductible';
  if (treatment === 'reverse_charge') {
    const rateKey = isZeroRate(key) ? STANDARD_VAT_RATE : key;
    return { treatment, cause: 'category', rateKey, mappingPath: `reverseChargeVatCodes.${rateKey}`, code: findReverseChargeCode(mappings, rateKey) };
  }
  const noVat = (cause: TreatmentCause): LineVatPlan => ({ treatment: 'non_deductible', cause, rateKey: '0', mappingPath: 'nonDeductibleVatCode', code: mappings.nonDeductibleVatCode });
  if (treatment === 'non_deductible') return noVat('category');
  if (isForeignVat(part, key)) return noVat('foreign_vat');
  return { treatment: 'deductible', cause: 'category', rateKey: key, mappingPath: `vatRates.${key}`, code: findVatCodeMapping(mappings, key) };
}

/** A percentage of a VAT code, valid from `startDate` to `endDate` (inclusive; null = open-ended). */
export interface DatedPercentage {
  startDate: string | null;
  endDate: string | null;
  percentage: string;
}

/** The code's percentage on `date`: its dated rows (Exact's VATPercentages) when known, else its current one. */
export function percentageOn(v: { percentage: string; percentages?: readonly DatedPercentage[] | null }, date: string | null): string {
  if (date !== null && v.percentages && v.percentages.length > 0) {
    const row = v.percentages.find((r) => (r.startDate === null || r.startDate.slice(0, 10) <= date) && (r.endDate === null || date <= r.endDate.slice(0, 10)));
    if (row) return row.percentage;
  }
  return v.percentage;
}

/** True when a percentage (either "21" or Exact's fraction "0.21") equals the rate key ("exempt" = 0). */
export function percentageMatches(percentage: string, rateKey: string): boolean {
  if (!isDecimalString(percentage)) return false;
  const expected = rateKey === 'exempt' ? '0' : rateKey;
  if (compareDecimal(percentage, expected) === 0) return true;
  const p = parseDecimal(percentage);
  return compareDecimal({ units: p.units * 100n, scale: p.scale }, expected) === 0;
}

export { isZeroRate };
