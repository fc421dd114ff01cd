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
import type { MasterDataLookup } from './master-data-kinds';
import { normalizeCode } from './master-data';
import { type ReportIssue, validateReport } from './mapping-check';
import {
  categoryGlAccount,
  employeeSupplier,
  exactCostCenter,
  exactCostUnit,
  findVatCodeMapping,
  matchMerchantSupplier,
  type MerchantMatchVia,
} from './mapping-lookup';
import { describeLine, isExportReference, plainExportReference } from './export-reference';
import { type Cents, sumCents } from './money';
import type { ExpenseCore, Mappings, ReportCore } from './schemas';

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
  /** The export reference (see export-reference.ts) — the start of every description */
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
    description: describeLine(reference, `${e.id} ${label}`),
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
 * deep-equal entries. `reference` is the export's reference (export-reference.ts); without one,
 * the plain `EXP-<reportId>` is used, which only short report IDs have.
 */
export function buildJournalEntry(report: ReportCore, mappings: Mappings, lookup: MasterDataLookup, reference?: string): JournalEntry {
  const validation = validateReport(report, mappings, lookup);
  if (!validation.ok) throw new JournalEntryBuildError(validation.missing);

  reference ??= plainExportReference({ reportId: report.reportId, revision: 1 }) ?? undefined;
  if (reference === undefined) throw new DomainError(`report ID ${report.reportId} is too long for a plain reference: pass the export's reference`);
  if (!isExportReference(reference)) throw new DomainError(`not an export reference: ${reference}`);
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
    description: describeLine(reference, report.employee.name),
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
    description: describeLine(reference, `${report.description} - ${report.employee.name}`),
    lines: [...debits, credit],
    expenseLinePositions,
  };
}
