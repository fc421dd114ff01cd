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
import { computeExpenseAmounts, DomainError, MILEAGE_VAT_KEY, vatKey } from './amounts';
import {
  type GlAccountKind,
  isVatCodeUsableForPurchases,
  normalizeCode,
  type VatCode,
} from './master-data';
import type { MasterDataLookup } from './master-data-kinds';
import { compareDecimal, isDecimalString, MoneyError, parseDecimal } from './money';
import { categoryGlAccount, employeeSupplier, exactCostCenter, exactCostUnit, findVatCodeMapping, matchMerchantSupplier } from './mapping-lookup';
import type { ExpenseCore, Mappings, ReportCore } from './schemas';

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
  /** VAT code's percentage differs from the mapped rate */
  | 'vat_percentage_mismatch'
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
  'wrong_account_kind',
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
 * "exempt" matches any 0 % code.
 */
export function vatPercentageMatches(v: VatCode, rateKey: string): boolean {
  if (!isDecimalString(v.percentage)) return false;
  const expected = rateKey === 'exempt' ? '0' : rateKey;
  if (compareDecimal(v.percentage, expected) === 0) return true;
  const p = parseDecimal(v.percentage);
  return compareDecimal({ units: p.units * 100n, scale: p.scale }, expected) === 0;
}

function vatCodeProblems(lookup: MasterDataLookup, code: string, rateKey: string): Problem[] {
  const v = lookup.vatCodes.get(normalizeCode(code));
  if (!v) return [{ reason: 'unknown', message: `VAT code ${code} (rate ${rateKey}) does not exist in Exact` }];
  const out: Problem[] = [];
  if (!v.active) out.push({ reason: 'inactive', message: `VAT code ${code} is inactive` });
  else if (!isVatCodeUsableForPurchases(v)) {
    out.push({ reason: 'vat_code_not_usable', message: `VAT code ${code} (usage ${v.usage}) cannot be used for purchases` });
  }
  if (!vatPercentageMatches(v, rateKey)) {
    out.push({
      reason: 'vat_percentage_mismatch',
      message: `VAT code ${code} has percentage ${v.percentage}, mapped for rate ${rateKey}`,
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

/** Checks every reference in the mappings (used or not) against the master data. */
export function validateMappings(mappings: Mappings, lookup: MasterDataLookup): MappingIssue[] {
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
    add(`vatRates.${rate}`, code, vatCodeProblems(lookup, code, vatKey(rate)));
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
  push: (field: string, value: string, problems: Problem[]) => void,
): void {
  // Category → GL account
  const gl = categoryGlAccount(mappings, e.category);
  if (gl === undefined) {
    push('category', e.category, [{ reason: 'not_mapped', message: `category ${e.category} has no GL account mapping` }]);
  } else {
    push('glAccount', gl, glAccountProblems(lookup, gl, EXPENSE_ACCOUNT_KINDS, `category ${e.category}`));
  }

  // VAT rate → VAT code
  let key: string | null = MILEAGE_VAT_KEY;
  if (e.type === 'receipt') {
    key = e.vatRate === 'exempt' || isDecimalString(e.vatRate) ? vatKey(e.vatRate) : null;
    if (key === null) push('vatRate', e.vatRate, [{ reason: 'invalid_value', message: `VAT rate ${e.vatRate} is not a percentage` }]);
  }
  if (key !== null) {
    const vc = findVatCodeMapping(mappings, key);
    if (vc === undefined) {
      const what = e.type === 'mileage' ? 'VAT rate 0 (used for mileage)' : `VAT rate ${key}`;
      push('vatRate', key, [{ reason: 'not_mapped', message: `${what} has no VAT code mapping` }]);
    } else {
      push('vatCode', vc, vatCodeProblems(lookup, vc, key));
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

  // Amounts must be computable and non-zero
  try {
    const a = computeExpenseAmounts(e, report.currency);
    if (a.grossCents <= 0) {
      push('amount', String(a.grossCents), [{ reason: 'zero_amount', message: 'amount rounds to 0.00 in the report currency' }]);
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
export function validateReport(report: ReportCore, mappings: Mappings, lookup: MasterDataLookup): ReportValidation {
  const missing: ReportIssue[] = [];
  const pushFor = (expenseId: string | null) => (field: string, value: string, problems: Problem[]) => {
    for (const p of problems) missing.push({ expenseId, field, value, ...p });
  };
  const header = pushFor(null);

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
    expenseProblems(e, report, mappings, lookup, pushFor(e.id));
  }
  return { ok: missing.length === 0, missing };
}
