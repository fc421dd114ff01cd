/**
 * Checks mappings and reports against synced Exact master data.
 *
 * Account-kind rules (a judgement call, documented here):
 * - `creditAccount` must be `balance_sheet` or `creditor`: the employee claim is a
 *   liability (employees payable / creditors control account), never a P&L account;
 * - category accounts must be `profit_and_loss` or `balance_sheet`: most expenses are
 *   costs, but some are capitalised or prepaid (balance sheet); a `creditor`
 *   (payables control) account is never a valid expense destination.
 *
 * Every check collects ALL problems; nothing stops at the first one.
 */
import { computeExpenseAmounts, DomainError, vatKey } from './amounts';
import { bookingDate } from './booking-date';
import { resolvePeriod } from './periods';
import { DEFAULT_TENANT_SETTINGS, type TenantSettings } from './settings';
import { expenseParts, isZeroRate, partVatKey, percentageMatches, percentageOn, planLineVat } from './vat-treatment';
import {
  type GlAccountKind,
  isVatCodeUsableForPurchases,
  normalizeCode,
  type VatCode,
} from './master-data';
import type { MasterDataLookup } from './master-data-kinds';
import { compareDecimal, isDecimalString, MoneyError, sumCents } from './money';
import { categoryGlAccount, employeeSupplier, exactCostCenter, exactCostUnit, matchMerchantSupplier } from './mapping-lookup';
import type { ExpenseCore, Mappings, ReportCore, VatTreatment } from './schemas';

/** Why a reference is unusable. */
export type IssueReason =
  /** no mapping entry for the value (category, VAT rate, employee) */
  | 'not_mapped'
  /** the mapped code does not exist in the synced master data */
  | 'unknown'
  /** exists but is inactive / ended */
  | 'inactive'
  /** GL account blocked for postings */
  | 'blocked'
  /** VAT code cannot be used on purchase journal lines (sales-only, cash, inactive) */
  | 'vat_code_not_usable'
  /** VAT code's percentage (on the booking date) differs from the mapped rate */
  | 'vat_percentage_mismatch'
  /** VAT code of the wrong type for its role: not exclusive for a deductible rate, not no-VAT for nonDeductibleVatCode */
  | 'vat_code_wrong_type'
  /** a reverse-charge code that Exact does not mark as charged */
  | 'vat_code_not_charged'
  /** no financial periods synced yet (a sync fixes it) */
  | 'periods_not_synced'
  /** the booking date's financial period is closed for the journal (policy reject) */
  | 'period_closed'
  /** no financial period contains the booking date (policy reject) */
  | 'period_missing'
  /** GL account of a kind not allowed in this role */
  | 'wrong_account_kind'
  /** foreign-currency expense without exchange rate */
  | 'missing_exchange_rate'
  /** exchange rate other than 1 on an expense in the report currency */
  | 'unexpected_exchange_rate'
  /** malformed value (only possible when the input skipped schema validation) */
  | 'invalid_value'
  /** amount rounds to 0.00 in the report currency */
  | 'zero_amount'
  /** amount exceeds the safe range */
  | 'amount_out_of_range'
  /** two expenses share one id */
  | 'duplicate_expense_id';

/**
 * Reasons a person can fix by changing the mappings (or the master data in Exact, then syncing).
 * Every other reason is in the report's content (a zero amount, an amount out of range, a missing
 * exchange rate, …): no mapping fixes it, so such an export is rejected instead of waiting.
 */
export const MAPPING_FIXABLE_REASONS: readonly IssueReason[] = [
  'not_mapped',
  'unknown',
  'inactive',
  'blocked',
  'vat_code_not_usable',
  'vat_percentage_mismatch',
  'vat_code_wrong_type',
  'vat_code_not_charged',
  'wrong_account_kind',
  'periods_not_synced',
];

export function isMappingFixable(issue: { reason: string }): boolean {
  return (MAPPING_FIXABLE_REASONS as readonly string[]).includes(issue.reason);
}

interface Problem {
  reason: IssueReason;
  message: string;
}

/** A problem in the mappings document itself. `path` e.g. `categories.travel.glAccount`. */
export interface MappingIssue {
  path: string;
  value: string;
  reason: IssueReason;
  message: string;
}

/** A problem that blocks exporting a report. `expenseId` is null for report-level problems. */
export interface ReportIssue {
  expenseId: string | null;
  field: string;
  value: string;
  reason: IssueReason;
  message: string;
}

export interface ReportValidation {
  ok: boolean;
  missing: ReportIssue[];
}

export const EXPENSE_ACCOUNT_KINDS: readonly GlAccountKind[] = ['profit_and_loss', 'balance_sheet'];
export const CREDIT_ACCOUNT_KINDS: readonly GlAccountKind[] = ['balance_sheet', 'creditor'];

// ---------------------------------------------------------------------------
// Single-reference checks
// ---------------------------------------------------------------------------

function glAccountProblems(lookup: MasterDataLookup, code: string, allowed: readonly GlAccountKind[], role: string): Problem[] {
  const acc = lookup.glAccounts.get(normalizeCode(code));
  if (!acc) return [{ reason: 'unknown', message: `GL account ${code} (${role}) does not exist in Exact` }];
  const out: Problem[] = [];
  if (!acc.active) out.push({ reason: 'inactive', message: `GL account ${code} (${role}) is inactive` });
  if (acc.blocked) out.push({ reason: 'blocked', message: `GL account ${code} (${role}) is blocked` });
  if (!allowed.includes(acc.kind)) {
    out.push({
      reason: 'wrong_account_kind',
      message: `GL account ${code} (${role}) is a ${acc.kind} account; expected ${allowed.join(' or ')}`,
    });
  }
  return out;
}

/**
 * True when the VAT code's percentage equals the mapped rate. The code's
 * percentage may be a percentage ("21") or a fraction ("0.21"); both are accepted.
 * "exempt" matches any 0 % code. `date` picks the percentage valid then (dated rows).
 */
export function vatPercentageMatches(v: VatCode, rateKey: string, date: string | null = null): boolean {
  return percentageMatches(percentageOn(v, date), rateKey);
}

/** What a VAT code is used for: its checks depend on it. */
export type VatCodeRole = VatTreatment;

const NO_VAT_TYPES: ReadonlySet<string> = new Set(['NO_TAX', 'ZERO_TAX']);

/**
 * A VAT code's problems in `role` for rate `rateKey` on `date` (null: its current percentage):
 * known, not blocked, purchase or both (never sales-only); a deductible rate above 0 needs an
 * exclusive code (a 0 % rate any but an inclusive one); the no-VAT code must be of type N or B; a
 * reverse-charge code must be charged; the percentage must equal the rate.
 */
export function vatCodeProblems(lookup: MasterDataLookup, code: string, rateKey: string, role: VatCodeRole = 'deductible', date: string | null = null): Problem[] {
  const v = lookup.vatCodes.get(normalizeCode(code));
  const what = role === 'non_deductible' ? 'no-VAT code' : role === 'reverse_charge' ? `reverse-charge code (rate ${rateKey})` : `VAT code`;
  if (!v) return [{ reason: 'unknown', message: `${what} ${code}${role === 'deductible' ? ` (rate ${rateKey})` : ''} does not exist in Exact` }];
  const out: Problem[] = [];
  if (v.blocked) out.push({ reason: 'blocked', message: `VAT code ${code} is blocked in Exact` });
  else if (!v.active) out.push({ reason: 'inactive', message: `VAT code ${code} is inactive` });
  else if (!isVatCodeUsableForPurchases(v)) {
    out.push({ reason: 'vat_code_not_usable', message: `VAT code ${code} (usage ${v.usage}) cannot be used for purchases` });
  }
  if (role === 'non_deductible' && !NO_VAT_TYPES.has(v.type)) {
    out.push({ reason: 'vat_code_wrong_type', message: `${what} ${code} is of type ${v.type || 'unknown'}; it must be a no-VAT code (Exact type N or B)` });
  }
  if (role === 'deductible') {
    if (!isZeroRate(rateKey) && v.type !== 'EXCLUSIVE') {
      out.push({ reason: 'vat_code_wrong_type', message: `VAT code ${code} is of type ${v.type || 'unknown'}; a deductible rate needs an exclusive code` });
    } else if (isZeroRate(rateKey) && v.type === 'INCLUSIVE') {
      out.push({ reason: 'vat_code_wrong_type', message: `VAT code ${code} is an inclusive code; lines are booked exclusive of VAT` });
    }
  }
  if (role === 'reverse_charge' && v.charged !== true) {
    out.push({ reason: 'vat_code_not_charged', message: `${what} ${code} is not marked as charged (verlegd) in Exact` });
  }
  const expected = role === 'non_deductible' ? '0' : rateKey;
  if (!vatPercentageMatches(v, expected, date)) {
    out.push({
      reason: 'vat_percentage_mismatch',
      message: `VAT code ${code} has percentage ${percentageOn(v, date)}${date ? ` on ${date}` : ''}, mapped for rate ${expected}`,
    });
  }
  return out;
}

function dimensionProblems(
  map: ReadonlyMap<string, { active: boolean }>,
  exactCode: string,
  label: 'cost center' | 'cost unit',
  platformCode: string,
): Problem[] {
  const via = platformCode === exactCode ? '' : ` (mapped from ${platformCode})`;
  const d = map.get(normalizeCode(exactCode));
  if (!d) return [{ reason: 'unknown', message: `${label} ${exactCode}${via} does not exist in Exact` }];
  if (!d.active) return [{ reason: 'inactive', message: `${label} ${exactCode}${via} is inactive` }];
  return [];
}

function supplierProblems(lookup: MasterDataLookup, code: string, role: string): Problem[] {
  const s = lookup.suppliers.get(normalizeCode(code));
  if (!s) return [{ reason: 'unknown', message: `supplier ${code} (${role}) does not exist in Exact` }];
  if (!s.active) return [{ reason: 'inactive', message: `supplier ${code} (${role}) is inactive` }];
  return [];
}

function journalProblems(lookup: MasterDataLookup, code: string): Problem[] {
  const j = lookup.journals.get(normalizeCode(code));
  if (!j) return [{ reason: 'unknown', message: `journal ${code} does not exist in Exact` }];
  if (!j.active) return [{ reason: 'inactive', message: `journal ${code} is inactive` }];
  return [];
}

// ---------------------------------------------------------------------------
// validateMappings
// ---------------------------------------------------------------------------

/**
 * Checks every reference in the mappings (used or not) against the master data. `asOf` (YYYY-MM-DD)
 * is the date whose VAT percentages count (default: each code's current percentage).
 */
export function validateMappings(mappings: Mappings, lookup: MasterDataLookup, asOf: string | null = null): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const add = (path: string, value: string, problems: Problem[]) => {
    for (const p of problems) issues.push({ path, value, ...p });
  };
  add('journalCode', mappings.journalCode, journalProblems(lookup, mappings.journalCode));
  add('creditAccount', mappings.creditAccount, glAccountProblems(lookup, mappings.creditAccount, CREDIT_ACCOUNT_KINDS, 'credit account'));
  for (const cat of Object.keys(mappings.categories).sort()) {
    const gl = mappings.categories[cat].glAccount;
    add(`categories.${cat}.glAccount`, gl, glAccountProblems(lookup, gl, EXPENSE_ACCOUNT_KINDS, `category ${cat}`));
  }
  for (const rate of Object.keys(mappings.vatRates).sort()) {
    const code = mappings.vatRates[rate];
    if (rate !== 'exempt' && !isDecimalString(rate)) {
      issues.push({ path: `vatRates.${rate}`, value: rate, reason: 'invalid_value', message: `VAT rate key ${rate} is not a percentage` });
      continue;
    }
    add(`vatRates.${rate}`, code, vatCodeProblems(lookup, code, vatKey(rate), 'deductible', asOf));
  }
  if (mappings.nonDeductibleVatCode !== undefined) {
    add('nonDeductibleVatCode', mappings.nonDeductibleVatCode, vatCodeProblems(lookup, mappings.nonDeductibleVatCode, '0', 'non_deductible', asOf));
  }
  for (const rate of Object.keys(mappings.reverseChargeVatCodes ?? {}).sort()) {
    const code = mappings.reverseChargeVatCodes[rate];
    if (!isDecimalString(rate)) {
      issues.push({ path: `reverseChargeVatCodes.${rate}`, value: rate, reason: 'invalid_value', message: `VAT rate key ${rate} is not a percentage` });
      continue;
    }
    add(`reverseChargeVatCodes.${rate}`, code, vatCodeProblems(lookup, code, vatKey(rate), 'reverse_charge', asOf));
  }
  for (const cc of Object.keys(mappings.costCenters).sort()) {
    const code = mappings.costCenters[cc];
    add(`costCenters.${cc}`, code, dimensionProblems(lookup.costCenters, code, 'cost center', cc));
  }
  for (const cu of Object.keys(mappings.costUnits).sort()) {
    const code = mappings.costUnits[cu];
    add(`costUnits.${cu}`, code, dimensionProblems(lookup.costUnits, code, 'cost unit', cu));
  }
  for (const emp of Object.keys(mappings.employees).sort()) {
    const code = mappings.employees[emp].supplier;
    add(`employees.${emp}.supplier`, code, supplierProblems(lookup, code, `employee ${emp}`));
  }
  for (const m of Object.keys(mappings.merchants).sort()) {
    const code = mappings.merchants[m];
    add(`merchants.${m}`, code, supplierProblems(lookup, code, `merchant ${m}`));
  }
  return issues;
}

// ---------------------------------------------------------------------------
// validateReport
// ---------------------------------------------------------------------------

function expenseProblems(
  e: ExpenseCore,
  report: ReportCore,
  mappings: Mappings,
  lookup: MasterDataLookup,
  date: string | null,
  push: (field: string, value: string, problems: Problem[]) => void,
): void {
  // Every part (the receipt, or each of its vatLines): category → GL account, VAT → code
  for (const part of expenseParts(e)) {
    const at = (field: string) => (part.partIndex === null ? field : `vatLines[${part.partIndex}].${field}`);
    const gl = categoryGlAccount(mappings, part.category);
    if (gl === undefined) {
      push(at('category'), part.category, [{ reason: 'not_mapped', message: `category ${part.category} has no GL account mapping` }]);
    } else {
      push(at('glAccount'), gl, glAccountProblems(lookup, gl, EXPENSE_ACCOUNT_KINDS, `category ${part.category}`));
    }
    const key = partVatKey(part);
    if (key === null) {
      const rate = part.type === 'receipt' ? part.vatRate ?? '' : '';
      push(at('vatRate'), rate, [{ reason: 'invalid_value', message: rate === '' ? 'no VAT rate' : `VAT rate ${rate} is not a percentage` }]);
      continue;
    }
    const plan = planLineVat(part, key, mappings);
    if (plan.code === undefined) {
      const what =
        plan.treatment === 'non_deductible'
          ? `VAT here is not deductible (${plan.cause === 'foreign_vat' ? 'charged abroad' : `category ${part.category}`}) but nonDeductibleVatCode is not mapped`
          : plan.treatment === 'reverse_charge'
            ? `category ${part.category} is reverse charge but reverseChargeVatCodes has no code for rate ${plan.rateKey}`
            : e.type === 'mileage'
              ? 'VAT rate 0 (used for mileage) has no VAT code mapping'
              : `VAT rate ${key} has no VAT code mapping`;
      push(at(plan.treatment === 'deductible' ? 'vatRate' : plan.mappingPath), plan.treatment === 'deductible' ? key : plan.rateKey, [{ reason: 'not_mapped', message: what }]);
    } else {
      push(at('vatCode'), plan.code, vatCodeProblems(lookup, plan.code, plan.rateKey, plan.treatment, date));
    }
    try {
      if (computeExpenseAmounts(part, report.currency).grossCents === 0) {
        push(at('amount'), '0', [{ reason: 'zero_amount', message: 'amount rounds to 0.00 in the report currency' }]);
      }
    } catch (err) {
      if (!(err instanceof MoneyError || err instanceof DomainError)) throw err;
      // reported once for the whole expense below
    }
  }

  // Dimensions (identity when the platform code is not in the map)
  if (e.costCenter !== undefined) {
    const code = exactCostCenter(mappings, e.costCenter);
    push('costCenter', code, dimensionProblems(lookup.costCenters, code, 'cost center', e.costCenter));
  }
  if (e.costUnit !== undefined) {
    const code = exactCostUnit(mappings, e.costUnit);
    push('costUnit', code, dimensionProblems(lookup.costUnits, code, 'cost unit', e.costUnit));
  }

  if (e.type === 'receipt') {
    // Merchant override pointing at an unusable supplier
    const match = matchMerchantSupplier(e.merchant, mappings, lookup);
    if (match && (match.via === 'override_vat_number' || match.via === 'override_name')) {
      push('merchant', match.supplierCode, supplierProblems(lookup, match.supplierCode, `merchant ${e.merchant?.name ?? ''}`));
    }
    // Currency conversion data
    if (e.currency !== report.currency) {
      if (e.exchangeRate === undefined) {
        push('exchangeRate', '', [
          { reason: 'missing_exchange_rate', message: `no exchange rate from ${e.currency} to ${report.currency}` },
        ]);
        return;
      }
      if (!isDecimalString(e.exchangeRate) || compareDecimal(e.exchangeRate, '0') <= 0) {
        push('exchangeRate', e.exchangeRate, [{ reason: 'invalid_value', message: 'exchange rate must be a positive decimal' }]);
        return;
      }
    } else if (e.exchangeRate !== undefined && !(isDecimalString(e.exchangeRate) && compareDecimal(e.exchangeRate, '1') === 0)) {
      push('exchangeRate', e.exchangeRate, [
        { reason: 'unexpected_exchange_rate', message: 'expense is in the report currency but has an exchange rate other than 1' },
      ]);
      return;
    }
  }

  // Amounts must be computable and non-zero (each part's amount was checked above)
  try {
    const total = sumCents(expenseParts(e).map((p) => computeExpenseAmounts(p, report.currency).grossCents));
    if (total === 0 && expenseParts(e).length > 1) {
      push('amount', '0', [{ reason: 'zero_amount', message: 'amount rounds to 0.00 in the report currency' }]);
    }
  } catch (err) {
    if (!(err instanceof MoneyError || err instanceof DomainError)) throw err;
    const field = e.type === 'mileage' ? 'distanceKm' : 'amount';
    const value = e.type === 'mileage' ? e.distanceKm : e.amount;
    const reason: IssueReason = /out of range/.test(err.message) ? 'amount_out_of_range' : 'invalid_value';
    push(field, value, [{ reason, message: err.message }]);
  }
}

/**
 * Collects every reason the report cannot be booked with these mappings and
 * this master data. `ok` is true when `missing` is empty.
 */
export function validateReport(report: ReportCore, mappings: Mappings, lookup: MasterDataLookup, settings: TenantSettings = DEFAULT_TENANT_SETTINGS): ReportValidation {
  const missing: ReportIssue[] = [];
  const pushFor = (expenseId: string | null) => (field: string, value: string, problems: Problem[]) => {
    for (const p of problems) missing.push({ expenseId, field, value, ...p });
  };
  const header = pushFor(null);

  // Booking date (tenant's zone) and its financial period; VAT percentages count on the date booked.
  let date: string | null = null;
  try {
    date = bookingDate(report, settings);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    header('approvedAt', report.approvedAt, [{ reason: 'invalid_value', message: err.message }]);
  }
  if (date !== null) {
    const r = resolvePeriod(date, mappings.journalCode, [...lookup.financialPeriods.values()], settings.closedPeriod);
    if (r.ok) date = r.date;
    else header('bookingDate', date, [{ reason: r.reason, message: r.message }]);
  }

  header('journalCode', mappings.journalCode, journalProblems(lookup, mappings.journalCode));
  header('creditAccount', mappings.creditAccount, glAccountProblems(lookup, mappings.creditAccount, CREDIT_ACCOUNT_KINDS, 'credit account'));
  const sup = employeeSupplier(mappings, report.employee.id);
  if (sup === undefined) {
    header('employee', report.employee.id, [
      { reason: 'not_mapped', message: `employee ${report.employee.id} (${report.employee.name}) has no supplier mapping` },
    ]);
  } else {
    header('employee.supplier', sup, supplierProblems(lookup, sup, `employee ${report.employee.id}`));
  }

  const seen = new Set<string>();
  for (const e of report.expenses) {
    if (seen.has(e.id)) {
      pushFor(e.id)('id', e.id, [{ reason: 'duplicate_expense_id', message: `expense id ${e.id} is used more than once` }]);
      continue;
    }
    seen.add(e.id);
    expenseProblems(e, report, mappings, lookup, date, pushFor(e.id));
  }
  return { ok: missing.length === 0, missing };
}
