/**
 * Builds the journal entry for one approved expense report.
 *
 * Shape: one DEBIT line per expense (in report order, positions 1..n), then one
 * CREDIT line (position n + 1) for the report total on the mapping's credit
 * account, carrying the employee's supplier. The credit is the sum of the
 * debits' gross amounts by construction — there is never a rounding/plug line.
 *
 * Dates: transactionDate is the date part of `approvedAt` exactly as written
 * (the first 10 characters, no time-zone conversion), so "2025-06-30T23:30:00-02:00"
 * books on 2025-06-30. accountingPeriodId is its "YYYY-MM" prefix.
 *
 * The entry is deliberately close to Maesn's CreateJournalEntryRequestDto: the
 * activities layer only has to turn cents into decimals (`centsToDecimalString`),
 * the date into the API's date-time format and the dimensions into
 * `{ categoryName, code }` items.
 */
import { computeExpenseAmounts, DomainError, type ExpenseAmounts, type VatSource } from './amounts';
import type { MasterDataLookup } from './master-data';
import { normalizeCode } from './master-data';
import {
  categoryGlAccount,
  employeeSupplier,
  exactCostCenter,
  exactCostUnit,
  findVatCodeMapping,
  matchMerchantSupplier,
  type MerchantMatchVia,
  type ReportIssue,
  validateReport,
} from './mapping-check';
import { type Cents, sumCents } from './money';
import type { ExpenseCore, Mappings, ReportCore } from './schemas';

/**
 * Maximum description length the builder produces. Exact's limit for entry-line
 * descriptions is not documented publicly; 60 is the longest description limit
 * known from its lookups, so it is used as the safe bound. The export reference
 * is never cut, even when it alone is longer.
 */
export const MAX_DESCRIPTION_LENGTH = 60;

/** Maesn dimension category names used for Exact cost centers / cost units. */
export const COST_CENTER_CATEGORY = 'CostCenter';
export const COST_UNIT_CATEGORY = 'CostUnit';

export type DebitCredit = 'DEBIT' | 'CREDIT';

export interface EntryAccountRef {
  /** Maesn/Exact id of the GL account (→ line `accountId`) */
  id: string;
  /** GL account code (→ line `accountCode`) */
  code: string;
}

export interface EntryVatCodeRef {
  id: string;
  /** Exact VAT code (→ line `taxRate.code`) */
  code: string;
  /** Rate applied, canonical percentage or "exempt" (→ `taxRate.taxRatePercentage`, "exempt" as "0") */
  rate: string;
}

export interface EntryDimensionRef {
  /** Maesn category name, "CostCenter" or "CostUnit" */
  categoryName: string;
  id: string;
  /** Exact code */
  code: string;
}

export interface EntrySupplierRef {
  /** Maesn/Exact id (→ line `supplierId`) */
  id: string;
  code: string;
}

export interface JournalEntryLine {
  /** 1-based position in `lines` (the value Exact's `filesPos` refers to). */
  position: number;
  side: DebitCredit;
  /** Expense this line books; null for the credit line. */
  expenseId: string | null;
  account: EntryAccountRef;
  description: string;
  netCents: Cents;
  taxCents: Cents;
  grossCents: Cents;
  /** null on the credit line */
  vatCode: EntryVatCodeRef | null;
  /** cost center / cost unit, in that order; may be empty */
  dimensions: EntryDimensionRef[];
  /** merchant supplier on debit lines (when matched), employee supplier on the credit line */
  supplier: EntrySupplierRef | null;
  /** how the supplier was found (debit lines), or 'employee' on the credit line */
  supplierVia: MerchantMatchVia | 'employee' | null;
  vatSource: VatSource;
  /** present when the expense was converted from another currency */
  conversion?: ExpenseAmounts['conversion'];
}

export interface JournalEntry {
  reportId: string;
  /** `exportReference(reportId)` — also the start of every description */
  reference: string;
  journalCode: string;
  /** YYYY-MM-DD, date part of the approval timestamp */
  transactionDate: string;
  /** YYYY-MM */
  accountingPeriodId: string;
  /** report currency (ISO 4217) */
  currency: string;
  description: string;
  /** debit lines in expense order, then the credit line */
  lines: JournalEntryLine[];
  /** expense id → 1-based line position */
  expenseLinePositions: Record<string, number>;
}

// ---------------------------------------------------------------------------
// Export reference
// ---------------------------------------------------------------------------

export const EXPORT_REFERENCE_PREFIX = 'EXP-';

/** The reference written into descriptions, used to find an earlier export: `EXP-<reportId>`. */
export function exportReference(reportId: string): string {
  return `${EXPORT_REFERENCE_PREFIX}${reportId}`;
}

/**
 * True when `text` contains the export reference of `reportId` as a whole token
 * (delimited by start/end or whitespace), so "EXP-R1" is not found in "EXP-R10".
 */
export function hasExportReference(text: string | null | undefined, reportId: string): boolean {
  if (!text) return false;
  const ref = exportReference(reportId);
  let from = 0;
  for (;;) {
    const i = text.indexOf(ref, from);
    if (i < 0) return false;
    const before = i === 0 ? '' : text[i - 1];
    const after = text[i + ref.length] ?? '';
    if ((before === '' || /\s/.test(before)) && (after === '' || /\s/.test(after))) return true;
    from = i + 1;
  }
}

/** Extracts the report id from the first `EXP-<id>` token in `text`, or null. */
export function parseExportReference(text: string | null | undefined): string | null {
  if (!text) return null;
  const m = /(?:^|\s)EXP-(\S+)/.exec(text);
  return m ? m[1] : null;
}

function describe(reference: string, rest: string): string {
  const text = rest.trim() === '' ? reference : `${reference} ${rest.trim().replace(/\s+/g, ' ')}`;
  if (text.length <= MAX_DESCRIPTION_LENGTH) return text;
  return text.slice(0, Math.max(MAX_DESCRIPTION_LENGTH, reference.length)).trimEnd();
}

// ---------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------

/** Thrown by buildJournalEntry when the report does not validate; carries every issue. */
export class JournalEntryBuildError extends DomainError {
  readonly issues: ReportIssue[];
  constructor(issues: ReportIssue[]) {
    super(
      `report cannot be booked: ${issues.length} problem(s): ` +
        issues
          .slice(0, 5)
          .map((i) => `${i.expenseId ?? 'report'}.${i.field}=${i.value}: ${i.reason}`)
          .join('; '),
    );
    this.name = 'JournalEntryBuildError';
    this.issues = issues;
  }
}

function need<T>(v: T | undefined | null, what: string): T {
  if (v === undefined || v === null) throw new DomainError(`internal: ${what} missing after validation`);
  return v;
}

function debitLine(
  e: ExpenseCore,
  position: number,
  report: ReportCore,
  reference: string,
  mappings: Mappings,
  lookup: MasterDataLookup,
): JournalEntryLine {
  const amounts = computeExpenseAmounts(e, report.currency);
  const glCode = need(categoryGlAccount(mappings, e.category), `GL mapping for ${e.category}`);
  const gl = need(lookup.glAccounts.get(normalizeCode(glCode)), `GL account ${glCode}`);
  const vatCodeStr = need(findVatCodeMapping(mappings, amounts.vatKey), `VAT mapping for ${amounts.vatKey}`);
  const vat = need(lookup.vatCodes.get(normalizeCode(vatCodeStr)), `VAT code ${vatCodeStr}`);

  const dimensions: EntryDimensionRef[] = [];
  if (e.costCenter !== undefined) {
    const code = exactCostCenter(mappings, e.costCenter);
    const cc = need(lookup.costCenters.get(normalizeCode(code)), `cost center ${code}`);
    dimensions.push({ categoryName: COST_CENTER_CATEGORY, id: cc.id, code: cc.code });
  }
  if (e.costUnit !== undefined) {
    const code = exactCostUnit(mappings, e.costUnit);
    const cu = need(lookup.costUnits.get(normalizeCode(code)), `cost unit ${code}`);
    dimensions.push({ categoryName: COST_UNIT_CATEGORY, id: cu.id, code: cu.code });
  }

  const match = e.type === 'receipt' ? matchMerchantSupplier(e.merchant, mappings, lookup) : null;
  const supplier = match?.supplier && match.supplier.active ? match.supplier : null;

  const label = e.description.trim() === '' ? e.category : e.description;
  const line: JournalEntryLine = {
    position,
    side: 'DEBIT',
    expenseId: e.id,
    account: { id: gl.id, code: gl.code },
    description: describe(reference, `${e.id} ${label}`),
    netCents: amounts.netCents,
    taxCents: amounts.taxCents,
    grossCents: amounts.grossCents,
    vatCode: { id: vat.id, code: vat.code, rate: amounts.vatKey },
    dimensions,
    supplier: supplier ? { id: supplier.id, code: supplier.code } : null,
    supplierVia: supplier && match ? match.via : null,
    vatSource: amounts.vatSource,
  };
  if (amounts.conversion) line.conversion = amounts.conversion;
  return line;
}

/**
 * Builds the journal entry. Validates first and throws JournalEntryBuildError
 * (with every issue) when anything is missing. Deterministic: equal inputs give
 * deep-equal entries.
 */
export function buildJournalEntry(report: ReportCore, mappings: Mappings, lookup: MasterDataLookup): JournalEntry {
  const validation = validateReport(report, mappings, lookup);
  if (!validation.ok) throw new JournalEntryBuildError(validation.missing);

  const reference = exportReference(report.reportId);
  const debits = report.expenses.map((e, i) => debitLine(e, i + 1, report, reference, mappings, lookup));
  const total = sumCents(debits.map((l) => l.grossCents));

  const creditGl = need(lookup.glAccounts.get(normalizeCode(mappings.creditAccount)), 'credit account');
  const supplierCode = need(employeeSupplier(mappings, report.employee.id), 'employee supplier mapping');
  const employeeSupplierRec = need(lookup.suppliers.get(normalizeCode(supplierCode)), `supplier ${supplierCode}`);

  const credit: JournalEntryLine = {
    position: debits.length + 1,
    side: 'CREDIT',
    expenseId: null,
    account: { id: creditGl.id, code: creditGl.code },
    description: describe(reference, report.employee.name),
    netCents: total,
    taxCents: 0,
    grossCents: total,
    vatCode: null,
    dimensions: [],
    supplier: { id: employeeSupplierRec.id, code: employeeSupplierRec.code },
    supplierVia: 'employee',
    vatSource: 'none',
  };

  const transactionDate = report.approvedAt.slice(0, 10);
  const expenseLinePositions: Record<string, number> = {};
  for (const l of debits) expenseLinePositions[l.expenseId as string] = l.position;

  return {
    reportId: report.reportId,
    reference,
    journalCode: normalizeCode(mappings.journalCode),
    transactionDate,
    accountingPeriodId: transactionDate.slice(0, 7),
    currency: report.currency,
    description: describe(reference, `${report.description} - ${report.employee.name}`),
    lines: [...debits, credit],
    expenseLinePositions,
  };
}

// ---------------------------------------------------------------------------
// Attachments (filesPos)
// ---------------------------------------------------------------------------

export interface AttachmentPlanItem {
  receiptId: string;
  fileName: string;
  contentType: string;
  size: number;
  expenseId: string;
  /** 1-based journal line position (Exact `filesPos`) */
  linePosition: number;
}

/**
 * Lists the receipts to upload with the entry, in expense order then receipt
 * order, each with the line position it belongs to.
 */
export function planAttachments(
  entry: JournalEntry,
  report: { expenses: ReadonlyArray<{ id: string; type: string; receipts?: ReadonlyArray<{ receiptId: string; fileName: string; contentType: string; size: number }> }> },
): AttachmentPlanItem[] {
  const out: AttachmentPlanItem[] = [];
  for (const e of report.expenses) {
    if (e.type !== 'receipt' || !e.receipts) continue;
    const pos = entry.expenseLinePositions[e.id];
    if (pos === undefined) throw new DomainError(`expense ${e.id} has no line in entry ${entry.reference}`);
    for (const r of e.receipts) {
      out.push({ receiptId: r.receiptId, fileName: r.fileName, contentType: r.contentType, size: r.size, expenseId: e.id, linePosition: pos });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Summary and invariants
// ---------------------------------------------------------------------------

export interface VatCodeTotal {
  code: string;
  rate: string;
  netCents: Cents;
  taxCents: Cents;
  grossCents: Cents;
}

export interface EntrySummary {
  lineCount: number;
  debitLineCount: number;
  debitNetCents: Cents;
  debitTaxCents: Cents;
  debitGrossCents: Cents;
  creditCents: Cents;
  balanced: boolean;
  /** per VAT code (sorted by code, then rate) */
  byVatCode: VatCodeTotal[];
}

export function summarizeEntry(entry: JournalEntry): EntrySummary {
  const debits = entry.lines.filter((l) => l.side === 'DEBIT');
  const credits = entry.lines.filter((l) => l.side === 'CREDIT');
  const groups = new Map<string, VatCodeTotal>();
  for (const l of debits) {
    if (!l.vatCode) continue;
    const key = `${l.vatCode.code}\u0000${l.vatCode.rate}`;
    const g = groups.get(key) ?? { code: l.vatCode.code, rate: l.vatCode.rate, netCents: 0, taxCents: 0, grossCents: 0 };
    g.netCents = sumCents([g.netCents, l.netCents]);
    g.taxCents = sumCents([g.taxCents, l.taxCents]);
    g.grossCents = sumCents([g.grossCents, l.grossCents]);
    groups.set(key, g);
  }
  const debitGross = sumCents(debits.map((l) => l.grossCents));
  const creditCents = sumCents(credits.map((l) => l.grossCents));
  return {
    lineCount: entry.lines.length,
    debitLineCount: debits.length,
    debitNetCents: sumCents(debits.map((l) => l.netCents)),
    debitTaxCents: sumCents(debits.map((l) => l.taxCents)),
    debitGrossCents: debitGross,
    creditCents,
    balanced: debitGross === creditCents,
    byVatCode: [...groups.values()].sort((a, b) =>
      a.code < b.code ? -1 : a.code > b.code ? 1 : a.rate < b.rate ? -1 : a.rate > b.rate ? 1 : 0,
    ),
  };
}

/**
 * Returns every violated invariant (empty array = fine): at least one debit line,
 * debits = credits, net + tax = gross per line, all amounts are non-negative
 * safe integers of cents (so never more than 2 decimals), positions are 1..n,
 * and every expense position points at its debit line.
 */
export function checkEntryInvariants(entry: JournalEntry): string[] {
  const v: string[] = [];
  const debits = entry.lines.filter((l) => l.side === 'DEBIT');
  if (debits.length === 0) v.push('entry has no debit line');
  entry.lines.forEach((l, i) => {
    const where = `line ${i + 1}`;
    if (l.position !== i + 1) v.push(`${where}: position is ${l.position}`);
    for (const [name, val] of [
      ['net', l.netCents],
      ['tax', l.taxCents],
      ['gross', l.grossCents],
    ] as const) {
      if (!Number.isSafeInteger(val)) v.push(`${where}: ${name} ${val} is not a whole number of cents`);
      else if (val < 0) v.push(`${where}: ${name} ${val} is negative`);
    }
    if (l.netCents + l.taxCents !== l.grossCents) {
      v.push(`${where}: net ${l.netCents} + tax ${l.taxCents} ≠ gross ${l.grossCents}`);
    }
  });
  let debitTotal = 0n;
  let creditTotal = 0n;
  for (const l of entry.lines) {
    if (!Number.isSafeInteger(l.grossCents)) continue;
    if (l.side === 'DEBIT') debitTotal += BigInt(l.grossCents);
    else creditTotal += BigInt(l.grossCents);
  }
  if (debitTotal !== creditTotal) v.push(`unbalanced: debits ${debitTotal} ≠ credits ${creditTotal}`);
  for (const [expenseId, pos] of Object.entries(entry.expenseLinePositions)) {
    const l = entry.lines[pos - 1];
    if (!l || l.side !== 'DEBIT' || l.expenseId !== expenseId) v.push(`expense ${expenseId}: position ${pos} is not its debit line`);
  }
  return v;
}
