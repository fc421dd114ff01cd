/**
 * zod schemas for what Maesn sends back and what we send to it.
 *
 * Responses are parsed leniently, because the published spec and the live API disagree in
 * small ways: numbers may arrive as strings, optional/"required but nullable" fields may be
 * missing, enum fields may carry values outside the documented list. After parsing, every
 * documented field is present (null when absent), money-like values are canonical decimal
 * strings (never floats — the domain converts them to integer cents), and counts are numbers.
 *
 * The create DTO for journal entries is strict: unknown keys are rejected before anything
 * goes over the wire.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Scalar helpers
// ---------------------------------------------------------------------------------------------

/** Decimal number written as a string: optional minus, digits, optional fraction. */
export type DecimalString = string;
const DECIMAL_RE = /^-?\d+(\.\d+)?$/;

/** Renders a finite JS number as a plain decimal string (no exponent notation). */
export function numberToDecimalString(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError('not a finite number');
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // Exponent form only happens for very small/large magnitudes; expand it exactly.
  const [mant, expStr] = s.toLowerCase().split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const [intPart, fracPart = ''] = mant.replace('-', '').split('.');
  let digits = intPart + fracPart;
  let point = intPart.length + exp;
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) {
    digits = digits + '0'.repeat(point - digits.length);
  }
  const i = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const f = digits.slice(point).replace(/0+$/, '');
  return `${neg ? '-' : ''}${i}${f ? `.${f}` : ''}`;
}

/** Accepts a number or numeric string; yields a canonical decimal string. */
const decimal = z.union([z.number(), z.string()]).transform((v, ctx): DecimalString => {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) {
      ctx.addIssue({ code: 'custom', message: 'expected a finite number' });
      return z.NEVER;
    }
    return numberToDecimalString(v);
  }
  const t = v.trim().replace(/^\+/, '');
  if (!DECIMAL_RE.test(t)) {
    // Tolerate a decimal comma ("12,50") but nothing fancier.
    const comma = t.replace(',', '.');
    if (/^-?\d+,\d+$/.test(t) && DECIMAL_RE.test(comma)) return comma;
    ctx.addIssue({ code: 'custom', message: `expected a decimal number, got '${v}'` });
    return z.NEVER;
  }
  return t;
});

/** Accepts a number or numeric string; yields a JS number. For counts, codes, page numbers. */
const numeric = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v),
  z.number(),
);

/** Accepts a boolean or "true"/"false". */
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

/** Accepts a string; numbers (ids/codes sent as numbers) are turned into strings. */
const str = z.preprocess((v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : v), z.string());

/** A documented enum, parsed leniently: unknown values are kept (typed as plain string). */
function lenientEnum<const T extends readonly string[]>(_values: T) {
  return str as unknown as z.ZodType<T[number] | (string & {})>;
}

/** Field that may be missing or null on the wire; always present (possibly null) after parsing. */
function nz<S extends z.ZodType>(schema: S) {
  return schema.nullable().default(null);
}

// ---------------------------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------------------------

export const paginationSchema = z.object({
  total: numeric,
  perPage: numeric,
  currentPage: numeric,
  totalPages: numeric,
});
export type Pagination = z.output<typeof paginationSchema>;

export const metaSchema = z.object({
  warnings: nz(z.array(z.string())),
  pagination: nz(paginationSchema),
});

/** The raw envelope: `data` is left untyped and parsed per endpoint. */
export const envelopeSchema = z.object({
  meta: nz(metaSchema),
  data: z.unknown(),
  errors: z.unknown().optional(),
  rawData: z.unknown().optional(),
});
export type Envelope = z.output<typeof envelopeSchema>;

// ---------------------------------------------------------------------------------------------
// Resources (response DTOs)
// ---------------------------------------------------------------------------------------------

const DEBIT_CREDIT = ['DEBIT', 'CREDIT'] as const;
export type DebitCredit = (typeof DEBIT_CREDIT)[number];

/** `WebhookResponseDto`: a subscription to change events; `secret` signs its deliveries (`X-MAESN-SIGNATURE`). */
export const webhookSchema = z.object({
  id: z.string().min(1),
  callbackUrl: z.string(),
  createdDate: z.string(),
  expiresDate: z.string(),
  updatedDate: nz(str),
  secret: nz(str),
});
export type MaesnWebhook = z.output<typeof webhookSchema>;

export const subscriptionSchema = z.object({
  id: nz(str),
  name: nz(str),
  status: nz(str),
  active: nz(bool),
});

export const companySchema = z.object({
  id: nz(str),
  name: nz(str),
  environmentId: nz(str),
  client_number: nz(numeric),
  consultant_number: nz(numeric),
  subscription: nz(z.array(subscriptionSchema)),
});
export type Company = z.output<typeof companySchema>;

export const accountSchema = z.object({
  id: nz(str),
  balance: nz(decimal),
  class: nz(lenientEnum(['ASSET', 'EQUITY', 'EXPENSE', 'LIABILITY', 'REVENUE'] as const)),
  code: nz(str),
  createdDate: nz(str),
  currency: nz(str),
  debitCreditIndicator: nz(lenientEnum(DEBIT_CREDIT)),
  description: nz(str),
  name: nz(str),
  number: nz(str),
  parentAccountId: nz(str),
  status: nz(lenientEnum(['ACTIVE', 'ARCHIVED'] as const)),
  type: nz(str),
  updatedDate: nz(str),
});
export type Account = z.output<typeof accountSchema>;

export const journalSchema = z.object({
  id: nz(str),
  accountId: nz(str),
  code: nz(str),
  createdDate: nz(str),
  currency: nz(str),
  description: nz(str),
  type: nz(str),
  updatedDate: nz(str),
});
export type Journal = z.output<typeof journalSchema>;

export const taxRateSchema = z.object({
  id: nz(str),
  code: nz(str),
  createdDate: nz(str),
  description: nz(str),
  name: nz(str),
  /** Percentage as a decimal string, e.g. "21" or "9". */
  percentage: nz(decimal),
  type: nz(lenientEnum(['INCLUSIVE', 'EXCLUSIVE', 'NO_TAX', 'ZERO_TAX'] as const)),
  updatedDate: nz(str),
  usage: nz(lenientEnum(['INVOICE', 'BILL', 'JOURNAL_ENTRY', 'CASH', 'ALL'] as const)),
});
export type TaxRate = z.output<typeof taxRateSchema>;

const emailAddressSchema = z.object({ email: nz(str), type: nz(str) });
const phoneNumberSchema = z.object({ number: nz(str), type: nz(str) });

export const contactSchema = z.object({
  id: nz(str),
  accountNumber: nz(numeric),
  addresses: nz(
    z.array(
      z.object({
        addressLine1: nz(str),
        addressLine2: nz(str),
        city: nz(str),
        countryCode: nz(str),
        postalCode: nz(str),
        type: nz(str),
      }),
    ),
  ),
  bankAccounts: nz(
    z.array(
      z.object({
        bic: nz(str),
        holder: nz(str),
        isMainAccount: nz(bool),
        iban: nz(str),
        name: nz(str),
        sepa: nz(bool),
      }),
    ),
  ),
  companyName: nz(str),
  contactPersons: nz(
    z.array(
      z.object({
        emailAddresses: nz(z.array(emailAddressSchema)),
        firstName: nz(str),
        lastName: nz(str),
        phoneNumbers: nz(z.array(phoneNumberSchema)),
        salutation: nz(str),
      }),
    ),
  ),
  contactType: nz(lenientEnum(['CONTACT_PERSON', 'COMPANY', 'UNDEFINED'] as const)),
  documentId: nz(str),
  emailAddresses: nz(z.array(emailAddressSchema)),
  number: nz(str),
  phoneNumbers: nz(z.array(phoneNumberSchema)),
  projectId: nz(str),
  role: nz(lenientEnum(['SUPPLIER', 'CUSTOMER', 'CONTACT'] as const)),
  updatedDate: nz(str),
  vatId: nz(str),
});
/** A supplier as returned by `GET /accounting/suppliers` (the spec's contact DTO). */
export type Supplier = z.output<typeof contactSchema>;

export const dimensionSchema = z.object({
  id: nz(str),
  /** e.g. "CostCenter" / "CostUnit" for Exact Online. */
  categoryName: nz(str),
  createdDate: nz(str),
  name: nz(str),
  status: nz(str),
  updatedDate: nz(str),
});
export type Dimension = z.output<typeof dimensionSchema>;

const lineDimensionSchema = z.object({ id: nz(str), categoryName: nz(str), code: nz(str), name: nz(str) });
const lineTaxRateSchema = z.object({ id: nz(str), code: nz(str), name: nz(str), taxRatePercentage: nz(decimal) });

export const journalLineItemSchema = z.object({
  id: nz(str),
  accountCode: nz(str),
  accountId: nz(str),
  accountNumber: nz(numeric),
  createdDate: nz(str),
  currency: nz(str),
  customerId: nz(str),
  debitCreditIndicator: nz(lenientEnum(DEBIT_CREDIT)),
  description: nz(str),
  dimensions: nz(z.array(lineDimensionSchema)),
  discountAmount: nz(decimal),
  documentNumber: nz(str),
  exchangeRate: nz(decimal),
  supplierId: nz(str),
  taxRate: nz(lineTaxRateSchema),
  thirdPartyCode: nz(str),
  totalGrossAmount: nz(decimal),
  totalNetAmount: nz(decimal),
  totalTaxAmount: nz(decimal),
  updatedDate: nz(str),
});
export type JournalLineItem = z.output<typeof journalLineItemSchema>;

export const journalEntrySchema = z.object({
  id: nz(str),
  accountId: nz(str),
  accountingPeriodId: nz(str),
  createdDate: nz(str),
  currency: nz(str),
  debitCreditIndicator: nz(lenientEnum(DEBIT_CREDIT)),
  deliveryDate: nz(str),
  description: nz(str),
  documentId: nz(str),
  dueDate: nz(str),
  exchangeRate: nz(decimal),
  /** Names of attached files. */
  files: nz(z.array(str)),
  isProvisional: nz(bool),
  journalCode: nz(str),
  journalLineItems: nz(z.array(journalLineItemSchema)),
  journalType: nz(str),
  number: nz(str),
  taxAssignmentDate: nz(str),
  transactionDate: nz(str),
  updatedDate: nz(str),
});
export type JournalEntry = z.output<typeof journalEntrySchema>;

/** The hosted-link endpoint returns a bare URL string. */
export const hostedLinkSchema = z.url({ protocol: /^https?$/ });

// ---------------------------------------------------------------------------------------------
// Journal entry CREATE input (the spec's create DTO), validated strictly before sending.
// ---------------------------------------------------------------------------------------------

/**
 * Amount input: a JS number or a decimal string (preferred: derive it from integer cents).
 * Sent as a JSON number, as the spec requires. Decimal strings are limited to 15 significant
 * digits so the number written on the wire is exactly the decimal given.
 */
const amountInput = z.union([
  z.number().refine(Number.isFinite, 'must be finite'),
  z
    .string()
    .regex(DECIMAL_RE, 'must be a decimal string like "109.00"')
    .refine((s) => s.replace(/^-/, '').replace('.', '').replace(/^0+/, '').length <= 15, 'too many significant digits'),
]);
const decimalStringInput = z.union([z.string().regex(DECIMAL_RE, 'must be a decimal string'), z.number()]);
const isoDate = z.string().min(10).max(40);
const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code like EUR');

export const dimensionInputSchema = z.strictObject({
  id: z.string().min(1).optional(),
  categoryName: z.string().min(1).optional(),
  code: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
});

export const taxRateInputSchema = z
  .strictObject({
    id: z.string().min(1).optional(),
    code: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    taxRatePercentage: decimalStringInput.optional(),
  })
  .refine((t) => t.id !== undefined || t.code !== undefined, 'taxRate needs a code or an id');

export const journalLineItemInputSchema = z.strictObject({
  accountId: z.string().min(1).optional(),
  accountCode: z.string().min(1).optional(),
  accountNumber: z.number().int().optional(),
  currency: currencyCode.optional(),
  customerId: z.string().min(1).optional(),
  supplierId: z.string().min(1).optional(),
  debitCreditIndicator: z.enum(DEBIT_CREDIT).optional(),
  description: z.string().optional(),
  dimensions: z.array(dimensionInputSchema).optional(),
  discountAmount: amountInput.optional(),
  documentNumber: z.string().optional(),
  exchangeRate: decimalStringInput.optional(),
  taxRate: taxRateInputSchema.optional(),
  thirdPartyCode: z.string().optional(),
  totalGrossAmount: amountInput.optional(),
  totalNetAmount: amountInput.optional(),
  totalTaxAmount: amountInput.optional(),
});
export type JournalLineItemInput = z.input<typeof journalLineItemInputSchema>;

export const journalEntryCreateInputSchema = z.strictObject({
  accountId: z.string().min(1).optional(),
  /** Exact Online: "YYYY-MM" style period id; required by Exact. */
  accountingPeriodId: z.string().min(1).optional(),
  currency: currencyCode.optional(),
  debitCreditIndicator: z.enum(DEBIT_CREDIT).optional(),
  deliveryDate: isoDate.optional(),
  /** Required by Exact Online. */
  description: z.string().min(1).optional(),
  documentId: z.string().optional(),
  dueDate: isoDate.optional(),
  exchangeRate: decimalStringInput.optional(),
  isProvisional: z.boolean().optional(),
  /** Journal code from `GET /accounting/journals`; required by Exact Online. */
  journalCode: z.string().min(1).optional(),
  journalLineItems: z.array(journalLineItemInputSchema).min(1),
  journalType: z.string().optional(),
  number: z.string().optional(),
  taxAssignmentDate: isoDate.optional(),
  /** Required by Exact Online. */
  transactionDate: isoDate.optional(),
});
/** Input for `createJournalEntry` (mirrors the spec's create DTO; amounts as number or decimal string). */
export type JournalEntryCreateInput = z.input<typeof journalEntryCreateInputSchema>;

/** Converts the validated input into the JSON the spec describes (amounts as numbers, rates as strings). */
export function toJournalEntryWire(input: z.output<typeof journalEntryCreateInputSchema>): Record<string, unknown> {
  const num = (v: number | string | undefined) => (v === undefined ? undefined : typeof v === 'number' ? v : Number(v));
  const rate = (v: number | string | undefined) => (v === undefined ? undefined : typeof v === 'string' ? v : numberToDecimalString(v));
  return {
    ...input,
    exchangeRate: rate(input.exchangeRate),
    journalLineItems: input.journalLineItems.map((l) => ({
      ...l,
      exchangeRate: rate(l.exchangeRate),
      discountAmount: num(l.discountAmount),
      totalGrossAmount: num(l.totalGrossAmount),
      totalNetAmount: num(l.totalNetAmount),
      totalTaxAmount: num(l.totalTaxAmount),
      taxRate: l.taxRate ? { ...l.taxRate, taxRatePercentage: rate(l.taxRate.taxRatePercentage) } : undefined,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Resource registry (used by listing)
// ---------------------------------------------------------------------------------------------

export const listResources = {
  accounts: { path: '/accounting/accounts', schema: accountSchema },
  journals: { path: '/accounting/journals', schema: journalSchema },
  taxRates: { path: '/accounting/taxRates', schema: taxRateSchema },
  suppliers: { path: '/accounting/suppliers', schema: contactSchema },
  dimensions: { path: '/accounting/dimensions', schema: dimensionSchema },
  journalEntries: { path: '/accounting/journalEntries', schema: journalEntrySchema },
} as const;

export type ListResource = keyof typeof listResources;
export interface ListItemTypes {
  accounts: Account;
  journals: Journal;
  taxRates: TaxRate;
  suppliers: Supplier;
  dimensions: Dimension;
  journalEntries: JournalEntry;
}

// ---------------------------------------------------------------------------------------------
// Exact endpoints read through `POST /accounting/passThrough` (`data` is Exact's raw answer)
// ---------------------------------------------------------------------------------------------

/** Exact's OData v2 list answer: `{ d: { results, __next? } }` (older endpoints: `{ d: [...] }`). */
export const exactODataListSchema = z.object({
  d: z.union([
    z.object({ results: z.array(z.record(z.string(), z.unknown())), __next: z.string().nullish() }).loose(),
    z.array(z.record(z.string(), z.unknown())),
  ]),
});

const exactInt = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

/** A row of Exact's `financial/FinancialPeriods`. */
export const exactFinancialPeriodSchema = z
  .object({ FinYear: exactInt, FinPeriod: exactInt, StartDate: z.string(), EndDate: z.string(), Modified: z.string().nullish() })
  .loose();
export type ExactFinancialPeriod = z.output<typeof exactFinancialPeriodSchema>;

/** A row of Exact's `read/financial/JournalStatusList` (Status 0 open, 1 closed). */
export const exactJournalStatusSchema = z.object({ Journal: z.string(), Year: exactInt, Period: exactInt, Status: exactInt }).loose();
export type ExactJournalStatus = z.output<typeof exactJournalStatusSchema>;
