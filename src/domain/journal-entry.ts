/**
 * Builds the journal entry for one approved expense report.
 *
 * Shape: one cost line per expense part (an expense, or each of its `vatLines`), in report order
 * (positions 1..n), then one employee line (position n + 1) for the report total on the mapping's
 * credit account, carrying the employee's supplier. Amounts on lines are positive (as Maesn takes
 * them); the side carries the sign: a refund is a CREDIT on the same cost account and VAT code, and
 * a negative report total makes the employee line a DEBIT. The entry balances by construction —
 * there is never a rounding/plug line.
 *
 * VAT: see vat-treatment.ts (deductible, non-deductible, reverse charge; every cost line carries an
 * explicit code).
 *
 * Dates: transactionDate is the booking date (booking-date.ts: the approval date in the tenant's
 * time zone, or the last expense date); the period is Exact's financial period containing it
 * (periods.ts). A closed period either rejects the report or moves the entry to the start of the
 * next open period, the original date kept in each cost line's text.
 *
 * The entry is deliberately close to Maesn's CreateJournalEntryRequestDto: the
 * activities layer only has to turn cents into decimals (`centsToDecimalString`),
 * the date into the API's date-time format and the dimensions into
 * `{ categoryName, code }` items.
 */
import { computeExpenseAmounts, DomainError, type ExpenseAmounts, type VatSource } from './amounts';
import { bookingDate } from './booking-date';
import { resolvePeriod } from './periods';
import { DEFAULT_TENANT_SETTINGS, type TenantSettings } from './settings';
import { type ExpensePart, expenseParts, partVatKey, planLineVat } from './vat-treatment';
import type { MasterDataLookup } from './master-data-kinds';
import { normalizeCode } from './master-data';
import { type ReportIssue, validateReport } from './mapping-check';
import {
  categoryGlAccount,
  employeeSupplier,
  exactCostCenter,
  exactCostUnit,
  matchMerchantSupplier,
  type MerchantMatchVia,
} from './mapping-lookup';
import { describeLine, isExportReference, plainExportReference } from './export-reference';
import { type Cents, sumCents } from './money';
import type { Mappings, ReportCore, VatTreatment } from './schemas';

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
  /** DEBIT for a cost, CREDIT for a refund; the employee line takes the other side of the total. */
  side: DebitCredit;
  /** Expense this line books; null for the employee line. */
  expenseId: string | null;
  /** Which of the expense's `vatLines` (0-based); null when the expense is not split or for the employee line. */
  partIndex?: number | null;
  /** How the line's VAT is booked; null on the employee line. */
  vatTreatment?: VatTreatment | null;
  /** Why VAT is not deductible when VAT was charged abroad. */
  vatCause?: 'category' | 'foreign_vat' | null;
  account: EntryAccountRef;
  description: string;
  /** amounts are never negative: `side` carries the direction */
  netCents: Cents;
  taxCents: Cents;
  grossCents: Cents;
  /** null on the employee line */
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
  /** YYYY-MM-DD, the booking date (in the tenant's time zone), or the start of the next open period */
  transactionDate: string;
  /** Exact's financial year and period, see `accountingPeriodId()` in periods.ts */
  accountingPeriodId: string;
  /** The booking date the period policy moved away from (closed period, `next_open`); absent otherwise. */
  originalDate?: string;
  /** report currency (ISO 4217) */
  currency: string;
  description: string;
  /** cost lines in expense order, then the employee line */
  lines: JournalEntryLine[];
  /** expense id → 1-based position of its (first) cost line */
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

function costLine(
  part: ExpensePart,
  position: number,
  report: ReportCore,
  reference: string,
  mappings: Mappings,
  lookup: MasterDataLookup,
  movedFrom: string | null,
): JournalEntryLine {
  const e = part;
  const key = need(partVatKey(part), `VAT rate of ${e.id}`);
  const plan = planLineVat(part, key, mappings);
  const computed = computeExpenseAmounts(part, report.currency);
  // Not deductible, or reverse charge: the whole amount paid is the cost; no VAT amount is sent.
  const amounts: ExpenseAmounts =
    plan.treatment === 'deductible' ? computed : { ...computed, taxCents: 0, netCents: computed.grossCents, vatSource: 'none' };
  const glCode = need(categoryGlAccount(mappings, part.category), `GL mapping for ${part.category}`);
  const gl = need(lookup.glAccounts.get(normalizeCode(glCode)), `GL account ${glCode}`);
  const vatCodeStr = need(plan.code, `${plan.mappingPath} mapping`);
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

  const label = e.description.trim() === '' ? part.category : e.description;
  const id = part.partIndex === null ? e.id : `${e.id}/${part.partIndex + 1}`;
  // The original date goes first so cutting the free text never loses it.
  const text = `${movedFrom ? `${movedFrom} ` : ''}${id} ${label}`;
  const negative = amounts.grossCents < 0;
  const line: JournalEntryLine = {
    position,
    side: negative ? 'CREDIT' : 'DEBIT',
    expenseId: e.id,
    partIndex: part.partIndex,
    vatTreatment: plan.treatment,
    vatCause: plan.treatment === 'non_deductible' ? plan.cause : null,
    account: { id: gl.id, code: gl.code },
    description: describeLine(reference, text),
    netCents: Math.abs(amounts.netCents),
    taxCents: Math.abs(amounts.taxCents),
    grossCents: Math.abs(amounts.grossCents),
    vatCode: { id: vat.id, code: vat.code, rate: plan.rateKey },
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
export function buildJournalEntry(
  report: ReportCore,
  mappings: Mappings,
  lookup: MasterDataLookup,
  reference?: string,
  settings: TenantSettings = DEFAULT_TENANT_SETTINGS,
): JournalEntry {
  const validation = validateReport(report, mappings, lookup, settings);
  if (!validation.ok) throw new JournalEntryBuildError(validation.missing);

  reference ??= plainExportReference({ reportId: report.reportId, revision: 1 }) ?? undefined;
  if (reference === undefined) throw new DomainError(`report ID ${report.reportId} is too long for a plain reference: pass the export's reference`);
  if (!isExportReference(reference)) throw new DomainError(`not an export reference: ${reference}`);

  const booked = resolvePeriod(bookingDate(report, settings), mappings.journalCode, [...lookup.financialPeriods.values()], settings.closedPeriod);
  if (!booked.ok) throw new DomainError(`internal: ${booked.message} after validation`);

  const parts = report.expenses.flatMap((e) => expenseParts(e));
  const costs = parts.map((p, i) => costLine(p, i + 1, report, reference, mappings, lookup, booked.movedFrom));
  // Signed total: costs count positive, refunds negative.
  const total = sumCents(costs.map((l) => (l.side === 'DEBIT' ? l.grossCents : -l.grossCents)));

  const creditGl = need(lookup.glAccounts.get(normalizeCode(mappings.creditAccount)), 'credit account');
  const supplierCode = need(employeeSupplier(mappings, report.employee.id), 'employee supplier mapping');
  const employeeSupplierRec = need(lookup.suppliers.get(normalizeCode(supplierCode)), `supplier ${supplierCode}`);

  const employee: JournalEntryLine = {
    position: costs.length + 1,
    side: total < 0 ? 'DEBIT' : 'CREDIT',
    expenseId: null,
    partIndex: null,
    vatTreatment: null,
    vatCause: null,
    account: { id: creditGl.id, code: creditGl.code },
    description: describeLine(reference, report.employee.name),
    netCents: Math.abs(total),
    taxCents: 0,
    grossCents: Math.abs(total),
    vatCode: null,
    dimensions: [],
    supplier: { id: employeeSupplierRec.id, code: employeeSupplierRec.code },
    supplierVia: 'employee',
    vatSource: 'none',
  };

  const expenseLinePositions: Record<string, number> = {};
  for (const l of costs) expenseLinePositions[l.expenseId as string] ??= l.position;

  const entry: JournalEntry = {
    reportId: report.reportId,
    reference,
    journalCode: normalizeCode(mappings.journalCode),
    transactionDate: booked.date,
    accountingPeriodId: booked.period.id,
    currency: report.currency,
    description: describeLine(reference, `${report.description} - ${report.employee.name}`),
    lines: [...costs, employee],
    expenseLinePositions,
  };
  if (booked.movedFrom) entry.originalDate = booked.movedFrom;
  return entry;
}
