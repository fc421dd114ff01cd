/**
 * zod schemas for the two inputs of the export: the approved expense report sent
 * by the expense platform and the per-tenant mappings to Exact Online codes.
 *
 * Two report shapes exist:
 *  - `ExpenseReport`: as received, receipts carry their content in base64;
 *  - `ExpenseReportRef`: the same report with every receipt replaced by a small
 *    reference ({ receiptId, fileName, contentType, size }). Workflows and every
 *    domain function work on this form so large payloads never reach workflow history.
 *
 * Validation failures name the field path (see `formatIssuePath`).
 */
import { z } from 'zod';
import { addDecimal, compareDecimal, type Decimal, isDecimalString, parseDecimal } from './money';

// ---------------------------------------------------------------------------
// Scalar building blocks
// ---------------------------------------------------------------------------

/** Decimal strings are bounded so bigint arithmetic stays small and cents stay safe integers. */
const MAX_INTEGER_DIGITS = 12;
const MAX_RATE_FRACTION_DIGITS = 12;

function integerDigits(s: string): number {
  return s.replace(/^-/, '').split('.')[0].replace(/^0+(?=\d)/, '').length;
}

interface DecimalRule {
  /** maximum fraction digits */
  maxDecimals: number;
  /** strictly greater than zero (otherwise >= 0) */
  positive: boolean;
  /** negative values allowed (then `positive` means "not zero") */
  signed?: boolean;
  /** inclusive upper bound */
  max?: string;
  example: string;
}

/** Returns why `s` breaks `rule`, or null. Exact arithmetic; never throws. */
function decimalProblem(s: string, rule: DecimalRule): string | null {
  if (!isDecimalString(s)) return `must be a plain decimal string, e.g. "${rule.example}"`;
  if (s.startsWith('-') && !rule.signed) return 'must not be negative';
  const d = parseDecimal(s);
  if (d.scale > rule.maxDecimals) return `must have at most ${rule.maxDecimals} decimals`;
  if (integerDigits(s) > MAX_INTEGER_DIGITS) return 'is too large';
  if (rule.positive && d.units === 0n) return rule.signed ? 'must not be 0' : 'must be greater than 0';
  if (rule.max !== undefined && compareDecimal(d, rule.max) > 0) return `must be at most ${rule.max}`;
  return null;
}

/** A non-negative decimal string validated against `rule`. */
function decimalString(rule: DecimalRule) {
  return z.string().superRefine((s, ctx) => {
    const problem = decimalProblem(s, rule);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** A positive amount: decimal string, at most 2 decimals, > 0. */
const POSITIVE_AMOUNT_RULE: DecimalRule = { maxDecimals: 2, positive: true, example: '12.34' };
export const positiveAmountString = decimalString(POSITIVE_AMOUNT_RULE);

/** An amount that may be negative (a refund): decimal string, at most 2 decimals, not 0. */
const SIGNED_AMOUNT_RULE: DecimalRule = { maxDecimals: 2, positive: true, signed: true, example: '-12.34' };
export const signedAmountString = decimalString(SIGNED_AMOUNT_RULE);

/** A VAT amount that may be negative (on a refund): decimal string, at most 2 decimals. */
const SIGNED_VAT_AMOUNT_RULE: DecimalRule = { maxDecimals: 2, positive: false, signed: true, example: '-2.10' };
export const signedVatAmountString = decimalString(SIGNED_VAT_AMOUNT_RULE);

/** A non-negative amount: decimal string, at most 2 decimals, >= 0. */
const NON_NEGATIVE_AMOUNT_RULE: DecimalRule = { maxDecimals: 2, positive: false, example: '2.10' };
export const nonNegativeAmountString = decimalString(NON_NEGATIVE_AMOUNT_RULE);

/** A positive decimal of bounded precision, e.g. an exchange rate "1.0845123" or a distance "12.5". */
export const positiveDecimalString = decimalString({
  maxDecimals: MAX_RATE_FRACTION_DIGITS,
  positive: true,
  example: '1.0845',
});

const VAT_PERCENT_RULE: DecimalRule = { maxDecimals: 4, positive: false, max: '100', example: '21' };

/** A VAT percentage between 0 and 100 ("21", "9", "0", "5.5") or the literal "exempt". */
export const vatRateString = z.string().superRefine((s, ctx) => {
  if (s === 'exempt') return;
  const problem = decimalProblem(s, VAT_PERCENT_RULE);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `${problem} (or "exempt")` });
});

/** ISO 4217 currency code: three upper-case letters. */
const CURRENCY_RE = /^[A-Z]{3}$/;
export const currencyCode = z.string().regex(CURRENCY_RE, { message: 'must be an ISO 4217 code (3 upper-case letters)' });

/** Calendar date YYYY-MM-DD (validated as a real date). */
export const isoDate = z.iso.date();

/** ISO 8601 date-time with Z or an offset. */
export const isoDateTime = z.iso.datetime({ offset: true });

/** Identifier without whitespace (so export references stay detectable in descriptions). */
export const identifier = z
  .string()
  .min(1)
  .max(100)
  .regex(/^\S+$/, { message: 'must not contain whitespace' });

const nonEmpty = z.string().trim().min(1);

/**
 * A MIME type as in RFC 6838/9110 (`type/subtype`, optional `; name=value` parameters). It is
 * written into a multipart header when the receipt is posted, so line breaks and other control
 * characters can never pass.
 */
const MIME_TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
const MIME_TYPE_RE = new RegExp(`^${MIME_TOKEN}/${MIME_TOKEN}(?:[ \\t]*;[ \\t]*${MIME_TOKEN}=(?:${MIME_TOKEN}|"[^"\\\\\\x00-\\x1f\\x7f]*"))*$`);
export const mimeType = z.string().max(255).regex(MIME_TYPE_RE, { message: 'must be a MIME type such as "application/pdf" or "image/jpeg"' });

/** A file name without control characters (it goes into a multipart header too). */
const fileName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[^\x00-\x1f\x7f]+$/, { message: 'must not contain control characters (line breaks, tabs, …)' });

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

export const employeeSchema = z.strictObject({
  id: identifier,
  name: nonEmpty,
  email: z.email(),
});

/** ISO 3166-1 alpha-2 country code: two upper-case letters. */
export const countryCode = z.string().regex(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 code (2 upper-case letters, e.g. "NL")' });

export const merchantSchema = z.strictObject({
  name: nonEmpty,
  vatNumber: z.string().optional(),
  /** Where the merchant is established; VAT charged by a merchant outside the Netherlands is not deductible here. */
  country: countryCode.optional(),
});

/** One part of a receipt with its own VAT rate (and optionally its own category), e.g. the breakfast on a hotel bill. */
export const vatLineSchema = z.strictObject({
  vatRate: vatRateString,
  /** gross amount of this part, in the expense's currency; the parts sum to the expense's amount */
  amount: signedAmountString,
  vatAmount: signedVatAmountString.optional(),
  /** another category for this part (default: the expense's) */
  category: nonEmpty.optional(),
});

/** A receipt file as received from the platform (content inline). */
export const receiptFileSchema = z.strictObject({
  fileName,
  contentType: mimeType,
  contentBase64: z.base64(),
});

/** A receipt reference (content stored elsewhere, e.g. a blob store keyed by receiptId). */
export const receiptRefSchema = z.strictObject({
  receiptId: nonEmpty,
  fileName,
  contentType: mimeType,
  /** decoded size in bytes */
  size: z.number().int().nonnegative(),
});

const receiptExpenseFields = {
  type: z.literal('receipt'),
  id: identifier,
  date: isoDate,
  description: z.string(),
  category: nonEmpty,
  /** gross amount (VAT included) in `currency`; negative for a refund */
  amount: signedAmountString,
  currency: currencyCode,
  /** report-currency units per 1 unit of `currency`; required when currency differs from the report's */
  exchangeRate: positiveDecimalString.optional(),
  /** the receipt's VAT rate; required unless `vatLines` split the receipt */
  vatRate: vatRateString.optional(),
  /** VAT on the receipt in `currency` (same sign as `amount`) */
  vatAmount: signedVatAmountString.optional(),
  /** the receipt split by VAT rate; each part becomes a line of its own */
  vatLines: z.array(vatLineSchema).min(1).optional(),
  costCenter: nonEmpty.optional(),
  costUnit: nonEmpty.optional(),
  merchant: merchantSchema.optional(),
};

export const receiptExpenseSchema = z.strictObject({ ...receiptExpenseFields, receipts: z.array(receiptFileSchema) });
export const receiptExpenseRefSchema = z.strictObject({ ...receiptExpenseFields, receipts: z.array(receiptRefSchema) });

export const mileageExpenseSchema = z.strictObject({
  type: z.literal('mileage'),
  id: identifier,
  date: isoDate,
  description: z.string(),
  category: nonEmpty,
  distanceKm: positiveDecimalString,
  /** amount per km in the report currency */
  ratePerKm: positiveDecimalString,
  costCenter: nonEmpty.optional(),
  costUnit: nonEmpty.optional(),
});

const reportHeaderFields = {
  reportId: identifier,
  employee: employeeSchema,
  approvedAt: isoDateTime,
  currency: currencyCode,
  description: z.string(),
};

interface CrossCheckable {
  currency: string;
  expenses: ReadonlyArray<
    | { type: 'mileage'; id: string }
    | {
        type: 'receipt';
        id: string;
        currency: string;
        exchangeRate?: string;
        amount: string;
        vatRate?: string;
        vatAmount?: string;
        vatLines?: ReadonlyArray<{ amount: string; vatAmount?: string }>;
      }
  >;
}

/** Adds an issue when a (well-formed) VAT amount has another sign than its amount or exceeds it. */
function checkVatAgainstAmount(amount: string, vatAmount: string | undefined, path: PropertyKey[], ctx: z.RefinementCtx): void {
  if (vatAmount === undefined) return;
  if (decimalProblem(vatAmount, SIGNED_VAT_AMOUNT_RULE) !== null || decimalProblem(amount, SIGNED_AMOUNT_RULE) !== null) return;
  const negative = amount.startsWith('-');
  const vat = parseDecimal(vatAmount);
  if (vat.units !== 0n && vat.units < 0n !== negative) {
    ctx.addIssue({ code: 'custom', path, message: `must have the same sign as the amount ${amount}` });
    return;
  }
  const abs = (s: string) => s.replace(/^-/, '');
  if (compareDecimal(abs(vatAmount), abs(amount)) > 0) ctx.addIssue({ code: 'custom', path, message: 'must not exceed amount' });
}

/** Cross-field rules: unique ids, exchange rate presence, VAT not above the gross amount. */
function crossCheck(report: CrossCheckable, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  report.expenses.forEach((e, i) => {
    const first = seen.get(e.id);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['expenses', i, 'id'],
        message: `duplicate expense id "${e.id}" (also used by expenses[${first}])`,
      });
    } else {
      seen.set(e.id, i);
    }
    // Zod still runs this refinement when sibling fields failed non-fatally, so every
    // rule below first makes sure the values it compares are themselves well-formed.
    if (e.type !== 'receipt') return;
    if (!CURRENCY_RE.test(e.currency) || !CURRENCY_RE.test(report.currency)) return;
    if (e.currency !== report.currency) {
      if (e.exchangeRate === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['expenses', i, 'exchangeRate'],
          message: `required because the expense currency ${e.currency} differs from the report currency ${report.currency}`,
        });
      }
    } else if (e.exchangeRate !== undefined && isDecimalString(e.exchangeRate) && compareDecimal(e.exchangeRate, '1') !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['expenses', i, 'exchangeRate'],
        message: 'must be 1 (or absent) when the expense is in the report currency',
      });
    }
    checkVatAgainstAmount(e.amount, e.vatAmount, ['expenses', i, 'vatAmount'], ctx);
    if (e.vatLines === undefined) {
      if (e.vatRate === undefined) ctx.addIssue({ code: 'custom', path: ['expenses', i, 'vatRate'], message: 'required unless vatLines split the receipt' });
      return;
    }
    if (e.vatAmount !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['expenses', i, 'vatAmount'], message: 'must be absent when vatLines are given (each part has its own vatAmount)' });
    }
    let sum: Decimal = { units: 0n, scale: 0 };
    let sumOk = decimalProblem(e.amount, SIGNED_AMOUNT_RULE) === null;
    e.vatLines.forEach((part, k) => {
      checkVatAgainstAmount(part.amount, part.vatAmount, ['expenses', i, 'vatLines', k, 'vatAmount'], ctx);
      if (decimalProblem(part.amount, SIGNED_AMOUNT_RULE) !== null) sumOk = false;
      else sum = addDecimal(sum, part.amount);
    });
    if (sumOk && compareDecimal(sum, e.amount) !== 0) {
      ctx.addIssue({ code: 'custom', path: ['expenses', i, 'vatLines'], message: `the parts' amounts must sum to the expense's amount ${e.amount}` });
    }
  });
}

export const expenseSchema = z.discriminatedUnion('type', [receiptExpenseSchema, mileageExpenseSchema]);
export const expenseRefSchema = z.discriminatedUnion('type', [receiptExpenseRefSchema, mileageExpenseSchema]);

/** The approved expense report as received from the platform. */
export const expenseReportSchema = z
  .strictObject({ ...reportHeaderFields, expenses: z.array(expenseSchema).min(1) })
  .superRefine(crossCheck);

/** The report with receipt contents replaced by references; the form workflows carry. */
export const expenseReportRefSchema = z
  .strictObject({ ...reportHeaderFields, expenses: z.array(expenseRefSchema).min(1) })
  .superRefine(crossCheck);

export type Employee = z.infer<typeof employeeSchema>;
export type Merchant = z.infer<typeof merchantSchema>;
export type VatLine = z.infer<typeof vatLineSchema>;
export type ReceiptFile = z.infer<typeof receiptFileSchema>;
export type ReceiptRef = z.infer<typeof receiptRefSchema>;
export type ReceiptExpense = z.infer<typeof receiptExpenseSchema>;
export type ReceiptExpenseRef = z.infer<typeof receiptExpenseRefSchema>;
export type MileageExpense = z.infer<typeof mileageExpenseSchema>;
export type Expense = z.infer<typeof expenseSchema>;
export type ExpenseRef = z.infer<typeof expenseRefSchema>;
export type ExpenseReport = z.infer<typeof expenseReportSchema>;
export type ExpenseReportRef = z.infer<typeof expenseReportRefSchema>;
/** Short name used by the workflow layer. */
export type ReportRef = ExpenseReportRef;

/**
 * The structural minimum the validator and the builder read. Both `ExpenseReport`
 * and `ExpenseReportRef` satisfy it; receipts are never looked at.
 */
export type ReceiptExpenseCore = Omit<ReceiptExpense, 'receipts'>;
export type ExpenseCore = ReceiptExpenseCore | MileageExpense;
export interface ReportCore {
  reportId: string;
  employee: Employee;
  approvedAt: string;
  currency: string;
  description: string;
  expenses: readonly ExpenseCore[];
}

/** Decoded byte length of a (valid) base64 string, computed without decoding. */
export function base64DecodedSize(b64: string): number {
  const clean = b64.replace(/\s+/g, '');
  if (clean.length === 0) return 0;
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.floor((clean.length * 3) / 4) - padding;
}

/** Default receipt id: `<expenseId>#<1-based index>`; unique within a report. */
export function defaultReceiptId(expenseId: string, index: number): string {
  return `${expenseId}#${index + 1}`;
}

/**
 * Replaces every receipt's content by a reference. `receiptId` names where the
 * caller stores the content (default `defaultReceiptId`). Pure; does not store anything.
 */
export function toReportRef(
  report: ExpenseReport,
  receiptId: (expenseId: string, index: number) => string = defaultReceiptId,
): ExpenseReportRef {
  return {
    ...report,
    expenses: report.expenses.map((e): ExpenseRef => {
      if (e.type !== 'receipt') return e;
      return {
        ...e,
        receipts: e.receipts.map((r, i) => ({
          receiptId: receiptId(e.id, i),
          fileName: r.fileName,
          contentType: r.contentType,
          size: base64DecodedSize(r.contentBase64),
        })),
      };
    }),
  };
}

// ---------------------------------------------------------------------------
// Mappings
// ---------------------------------------------------------------------------

const code = z.string().trim().min(1).max(100);

/** How the VAT of a category's expenses is booked. */
export const VAT_TREATMENTS = ['deductible', 'non_deductible', 'reverse_charge'] as const;
export type VatTreatment = (typeof VAT_TREATMENTS)[number];

/**
 * Keys of the mapping records become MongoDB field names: one starting with `$` or holding a `.`
 * would read as an operator or a path there, so they are refused. (VAT-rate keys are percentages
 * such as "5.5"; their own rule admits digits and one decimal point only.)
 */
function mappingRecord<V extends z.ZodType>(value: V, opts: { allowDecimalPoint?: boolean; hint?: string } = {}) {
  return z.record(z.string().min(1).max(200), value).superRefine((rec, ctx) => {
    for (const key of Object.keys(rec)) {
      if (key.startsWith('$') || (!opts.allowDecimalPoint && key.includes('.')) || /[\x00-\x1f]/.test(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `a key may not start with "$" or contain "." or control characters${opts.hint ? ` (${opts.hint})` : ''}` });
      }
    }
  });
}

/** A record whose keys are VAT percentages ("21", "9", "0", …) or "exempt". */
const byVatRate = (opts: { exempt: boolean }) =>
  mappingRecord(code, { allowDecimalPoint: true }).superRefine((rec, ctx) => {
    for (const key of Object.keys(rec)) {
      if (!vatRateString.safeParse(key).success || (!opts.exempt && key === 'exempt')) {
        ctx.addIssue({ code: 'custom', path: [key], message: opts.exempt ? 'key must be a percentage like "21" or "exempt"' : 'key must be a percentage like "21"' });
      }
    }
  });

export const categoryMappingSchema = z.strictObject({
  glAccount: code,
  /** `deductible` (default), `non_deductible` (booked gross with `nonDeductibleVatCode`), `reverse_charge` (a charged code from `reverseChargeVatCodes`). */
  vatTreatment: z.enum(VAT_TREATMENTS).default('deductible'),
});

export const mappingsSchema = z
  .strictObject({
  /** Exact journal code the entries are posted in, e.g. "90". */
  journalCode: code,
  /** GL account code credited for the employee (payables / employee current account). */
  creditAccount: code,
  /** platform category → GL account code (mileage is a category too) and how its VAT is booked. */
  categories: mappingRecord(categoryMappingSchema),
  /** VAT percentage ("21", "9", "0", …) or "exempt" → Exact VAT code. Keys match numerically ("21.0" = "21"). */
  vatRates: byVatRate({ exempt: true }),
  /** The tenant's no-VAT code (Exact type N or B): non-deductible categories and VAT charged abroad. */
  nonDeductibleVatCode: code.optional(),
  /** VAT percentage → a charged (verlegd) Exact code, for reverse-charge categories. */
  reverseChargeVatCodes: byVatRate({ exempt: false }).default({}),
  /** platform cost center → Exact cost center code; an absent key means the same code. */
  costCenters: mappingRecord(code).default({}),
  /** platform cost unit → Exact cost unit code; an absent key means the same code. */
  costUnits: mappingRecord(code).default({}),
  /** platform employee id → Exact supplier (creditor) number. */
  employees: mappingRecord(z.strictObject({ supplier: code })),
  /** optional overrides: merchant VAT number or name → Exact supplier number. */
  merchants: mappingRecord(code, { hint: 'merchants match ignoring punctuation: write "B.V." as "BV"' }).default({}),
  })
  .superRefine((m, ctx) => {
    // What a category's treatment needs must be mapped: said when the mappings are saved, naming the field.
    for (const [cat, c] of Object.entries(m.categories)) {
      if (c.vatTreatment === 'non_deductible' && m.nonDeductibleVatCode === undefined) {
        ctx.addIssue({ code: 'custom', path: ['nonDeductibleVatCode'], message: `required because category ${cat} is non_deductible` });
      }
      if (c.vatTreatment === 'reverse_charge' && Object.keys(m.reverseChargeVatCodes).length === 0) {
        ctx.addIssue({ code: 'custom', path: ['reverseChargeVatCodes'], message: `needs at least one code because category ${cat} is reverse_charge` });
      }
    }
  });

export type Mappings = z.infer<typeof mappingsSchema>;
/** Mappings as written by a tenant (optional maps may be omitted). */
export type MappingsInput = z.input<typeof mappingsSchema>;

// ---------------------------------------------------------------------------
// Parsing helpers with path-named errors
// ---------------------------------------------------------------------------

/** A schema violation with a readable path such as `expenses[2].amount`. */
export interface SchemaIssue {
  path: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: SchemaIssue[] };

/** `['expenses', 2, 'amount']` → `expenses[2].amount`; the root is `(root)`. */
export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

export function toSchemaIssues(error: z.ZodError): SchemaIssue[] {
  return error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message }));
}

function parseWith<S extends z.ZodType>(schema: S, input: unknown): ParseResult<z.infer<S>> {
  const r = schema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toSchemaIssues(r.error) };
}

export const parseExpenseReport = (input: unknown): ParseResult<ExpenseReport> => parseWith(expenseReportSchema, input);
export const parseExpenseReportRef = (input: unknown): ParseResult<ExpenseReportRef> =>
  parseWith(expenseReportRefSchema, input);
export const parseMappings = (input: unknown): ParseResult<Mappings> => parseWith(mappingsSchema, input);
