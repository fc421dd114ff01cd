/**
 * Exact money arithmetic for the domain.
 *
 * Amounts are held as integer cents (`Cents`, a JS number that must stay a safe
 * integer). Rates (exchange rates, VAT percentages, mileage rates, distances) are
 * arbitrary-precision decimals (`Decimal`), i.e. `units / 10^scale` with a bigint
 * numerator. Every product or ratio is computed on bigints and rounded exactly
 * once, half away from zero. No floating point is ever involved, so results are
 * deterministic and safe to use inside Temporal workflows.
 */

/** An amount of money in the smallest currency unit (cents). Always a safe integer. */
export type Cents = number;

/** An exact decimal number: value = units / 10^scale. `scale` is >= 0. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/** Thrown for malformed decimal strings or results that leave the safe-integer range. */
export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

const DECIMAL_RE = /^(-)?(\d+)(?:\.(\d+))?$/;
const AMOUNT_RE = /^-?\d+(?:\.\d{1,2})?$/;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** True when `s` is a plain decimal string ("12", "-0.5", "1.23456"); no exponent, no sign "+". */
export function isDecimalString(s: string): boolean {
  return DECIMAL_RE.test(s);
}

/** True when `s` is a decimal string with at most two fraction digits. */
export function isAmountString(s: string): boolean {
  return AMOUNT_RE.test(s);
}

/** Parses a decimal string exactly. Throws MoneyError on anything else. */
export function parseDecimal(s: string): Decimal {
  const m = DECIMAL_RE.exec(s);
  if (!m) throw new MoneyError(`not a decimal number: ${JSON.stringify(s)}`);
  const frac = m[3] ?? '';
  const magnitude = BigInt(m[2] + frac);
  return { units: m[1] ? -magnitude : magnitude, scale: frac.length };
}

/**
 * Parses an amount ("12.34", "5", "0.5") to integer cents. Rejects more than two
 * fraction digits and results outside the safe-integer range.
 */
export function parseAmount(s: string): Cents {
  if (!AMOUNT_RE.test(s)) {
    throw new MoneyError(`not an amount with at most 2 decimals: ${JSON.stringify(s)}`);
  }
  const d = parseDecimal(s);
  return toSafeCents(d.units * pow10(2 - d.scale));
}

/** Converts a bigint cent value to a number, throwing when it is not a safe integer. */
export function toSafeCents(v: bigint): Cents {
  if (v > MAX_SAFE || v < -MAX_SAFE) throw new MoneyError(`amount out of range: ${v} cents`);
  return Number(v);
}

/** Formats cents as a decimal string with exactly two fraction digits: 1234 → "12.34", -5 → "-0.05". */
export function formatCents(cents: Cents): string {
  if (!Number.isSafeInteger(cents)) throw new MoneyError(`cents must be a safe integer, got ${cents}`);
  const neg = cents < 0;
  const abs = Math.abs(cents);
  const whole = Math.trunc(abs / 100);
  const frac = abs % 100;
  return `${neg ? '-' : ''}${whole}.${frac < 10 ? '0' : ''}${frac}`;
}

/** Alias of formatCents, for the activities layer converting entries to Maesn DTOs. */
export const centsToDecimalString = formatCents;

/** Integer division of num/den rounded half away from zero. `den` must be non-zero. */
export function divRoundHalfAwayFromZero(num: bigint, den: bigint): bigint {
  if (den === 0n) throw new MoneyError('division by zero');
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const neg = num < 0n;
  const abs = neg ? -num : num;
  // floor((2*abs + den) / (2*den)) is abs/den rounded half up; mirror for negatives.
  const q = (2n * abs + den) / (2n * den);
  return neg ? -q : q;
}

/** Coerces a Decimal or decimal string into a Decimal. */
export function toDecimal(v: Decimal | string): Decimal {
  return typeof v === 'string' ? parseDecimal(v) : v;
}

/** cents × factor, rounded half away from zero to the cent. */
export function mulRound(cents: Cents, factor: Decimal | string): Cents {
  const f = toDecimal(factor);
  return toSafeCents(divRoundHalfAwayFromZero(BigInt(cents) * f.units, pow10(f.scale)));
}

/** cents × numerator / denominator, rounded half away from zero to the cent (single rounding). */
export function ratioRound(cents: Cents, numerator: Decimal | string, denominator: Decimal | string): Cents {
  const n = toDecimal(numerator);
  const d = toDecimal(denominator);
  if (d.units === 0n) throw new MoneyError('division by zero');
  // (c * n.u / 10^n.s) / (d.u / 10^d.s) = c * n.u * 10^d.s / (d.u * 10^n.s)
  return toSafeCents(
    divRoundHalfAwayFromZero(BigInt(cents) * n.units * pow10(d.scale), d.units * pow10(n.scale)),
  );
}

/** a × b (two decimals in currency units, e.g. km × rate per km) rounded to cents. */
export function productToCents(a: Decimal | string, b: Decimal | string): Cents {
  const x = toDecimal(a);
  const y = toDecimal(b);
  return toSafeCents(divRoundHalfAwayFromZero(x.units * y.units * 100n, pow10(x.scale + y.scale)));
}

/** Compares two decimals: -1, 0 or 1. */
export function compareDecimal(a: Decimal | string, b: Decimal | string): -1 | 0 | 1 {
  const x = toDecimal(a);
  const y = toDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  const l = x.units * pow10(scale - x.scale);
  const r = y.units * pow10(scale - y.scale);
  return l < r ? -1 : l > r ? 1 : 0;
}

/** Adds two decimals exactly. */
export function addDecimal(a: Decimal | string, b: Decimal | string): Decimal {
  const x = toDecimal(a);
  const y = toDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  return { units: x.units * pow10(scale - x.scale) + y.units * pow10(scale - y.scale), scale };
}

/**
 * Canonical text of a decimal: no leading zeros, no trailing fraction zeros, "-0" → "0".
 * "21.00" → "21", "09" → "9", "5.50" → "5.5". Used to match VAT-rate keys.
 */
export function canonicalDecimalString(v: Decimal | string): string {
  const d = toDecimal(v);
  let units = d.units;
  let scale = d.scale;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${neg ? '-' : ''}${whole}${scale > 0 ? `.${frac}` : ''}`;
}

/**
 * VAT contained in a gross (VAT-inclusive) amount at `ratePercent`:
 * gross × rate / (100 + rate), rounded half away from zero to the cent.
 */
export function vatFromGross(grossCents: Cents, ratePercent: Decimal | string): Cents {
  const r = toDecimal(ratePercent);
  return ratioRound(grossCents, r, addDecimal(r, { units: 100n, scale: 0 }));
}

/**
 * True when `vatCents` lies within one cent (inclusive) of the exact, unrounded
 * gross × rate / (100 + rate). Exact rational comparison, no rounding involved.
 */
export function isVatWithinOneCent(grossCents: Cents, ratePercent: Decimal | string, vatCents: Cents): boolean {
  const r = toDecimal(ratePercent);
  const s = pow10(r.scale);
  const denom = r.units + 100n * s; // (100 + rate) × 10^scale
  // |vat − gross·r/(100+r)| ≤ 1  ⇔  |vat·denom − gross·r.units| ≤ denom
  const diff = BigInt(vatCents) * denom - BigInt(grossCents) * r.units;
  return (diff < 0n ? -diff : diff) <= denom;
}

/** Sums cent values exactly, throwing if the total leaves the safe-integer range. */
export function sumCents(values: readonly Cents[]): Cents {
  let total = 0n;
  for (const v of values) total += BigInt(v);
  return toSafeCents(total);
}
