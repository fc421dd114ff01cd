/**
 * The fields of a mappings document as an editor sees them: which field fixes a problem of a
 * report (`categories.travel.glAccount` for a category without an account), and which master
 * data fits a field (what a picker offers).
 *
 * A field is a mapping path: `journalCode`, `creditAccount`, `categories.<category>.glAccount`,
 * `vatRates.<rate>`, `costCenters.<code>`, `costUnits.<code>`, `employees.<id>.supplier`,
 * `merchants.<name or VAT number>`. Pure.
 */
import { MILEAGE_VAT_KEY, vatKey } from './amounts';
import { kindOfMappingPath, type MasterDataKind } from './master-data-kinds';
import { CREDIT_ACCOUNT_KINDS, type ReportIssue } from './mapping-check';
import { isDecimalString } from './money';
import { normalizeName, normalizeVatNumber, type GlAccountKind } from './master-data';
import type { Mappings, ReportCore } from './schemas';

/** The sections of a mappings document, in the order an editor shows them. */
export const mappingSections = ['general', 'categories', 'vatRates', 'costCenters', 'costUnits', 'employees', 'merchants'] as const;
export type MappingSection = (typeof mappingSections)[number];

/** The mapping field that fixes a report's problem, or null when no mapping can (amounts, currencies, duplicate IDs). */
export function mappingFieldOfIssue(issue: Pick<ReportIssue, 'expenseId' | 'field' | 'value'>, report: ReportCore, mappings: Mappings | null): string | null {
  const expense = issue.expenseId === null ? undefined : report.expenses.find((e) => e.id === issue.expenseId);
  switch (issue.field) {
    case 'journalCode':
    case 'creditAccount':
      return issue.field;
    case 'employee':
    case 'employee.supplier':
      return `employees.${report.employee.id}.supplier`;
    case 'category':
      return `categories.${issue.value}.glAccount`;
    case 'glAccount':
      return expense ? `categories.${expense.category}.glAccount` : null;
    case 'vatRate':
      return isDecimalString(issue.value) || issue.value === 'exempt' ? `vatRates.${issue.value}` : null;
    case 'vatCode': {
      if (!expense) return null;
      // A receipt split into VAT lines has no single rate: its parts name theirs in the issue.
      const rate = expense.type === 'mileage' ? MILEAGE_VAT_KEY : (expense.vatRate ?? (isDecimalString(issue.value) || issue.value === 'exempt' ? issue.value : null));
      if (rate === null) return null;
      const key = rate === MILEAGE_VAT_KEY ? rate : vatKey(rate);
      // The key as written in the mappings ("21.0" maps rate 21 too).
      const written = mappings ? Object.keys(mappings.vatRates).find((k) => k === key || (k !== 'exempt' && isDecimalString(k) && vatKey(k) === key)) : undefined;
      return `vatRates.${written ?? key}`;
    }
    case 'costCenter':
      return expense?.costCenter ? `costCenters.${expense.costCenter}` : null;
    case 'costUnit':
      return expense?.costUnit ? `costUnits.${expense.costUnit}` : null;
    case 'merchant': {
      const merchant = expense?.type === 'receipt' ? expense.merchant : undefined;
      if (!merchant || !mappings) return null;
      // The override that matched: the merchant's VAT number first, then its name.
      const keys = Object.keys(mappings.merchants);
      const byVat = merchant.vatNumber ? keys.find((k) => normalizeVatNumber(k) === normalizeVatNumber(merchant.vatNumber!)) : undefined;
      const byName = keys.find((k) => normalizeName(k) === normalizeName(merchant.name));
      const key = byVat ?? byName;
      return key === undefined ? null : `merchants.${key}`;
    }
    default:
      return null;
  }
}

/** The section a mapping path belongs to. */
export function sectionOfMappingPath(path: string): MappingSection | null {
  if (path === 'journalCode' || path === 'creditAccount') return 'general';
  const head = path.split('.')[0];
  return (mappingSections as readonly string[]).includes(head) && head !== 'general' ? (head as MappingSection) : null;
}

/** What fits a mapping field: the master-data kind, and for accounts and VAT codes the narrower choice. */
export interface MappingFieldFit {
  kind: MasterDataKind;
  /** GL accounts of these kinds (categories: cost accounts; the credit account: balance sheet or creditor). */
  accountKinds?: readonly GlAccountKind[];
  /** VAT codes usable on purchases whose percentage matches this rate key ("21", "exempt"). */
  vatRate?: string;
}

/**
 * What a picker for `path` offers: only active records of the field's kind, and for categories
 * cost (P&L) accounts — the check also accepts a balance-sheet account (prepaid or capitalised
 * expenses), which an admin rarely means. Null for a path that holds no master-data code.
 */
export function mappingFieldFit(path: string): MappingFieldFit | null {
  const kind = kindOfMappingPath(path);
  if (!kind) return null;
  if (path === 'creditAccount') return { kind, accountKinds: CREDIT_ACCOUNT_KINDS };
  if (kind === 'gl-accounts') return path.startsWith('categories.') && path.endsWith('.glAccount') ? { kind, accountKinds: ['profit_and_loss'] } : null;
  if (kind === 'vat-codes') {
    const key = path.slice('vatRates.'.length);
    return key === 'exempt' || isDecimalString(key) ? { kind, vatRate: vatKey(key) } : null;
  }
  return { kind };
}

/** Every field of a mappings document that holds an Exact code, with its code (in section order). */
export function mappingEntries(m: Mappings): { path: string; code: string }[] {
  const out: { path: string; code: string }[] = [
    { path: 'journalCode', code: m.journalCode },
    { path: 'creditAccount', code: m.creditAccount },
  ];
  for (const [k, v] of Object.entries(m.categories)) out.push({ path: `categories.${k}.glAccount`, code: v.glAccount });
  for (const [k, v] of Object.entries(m.vatRates)) out.push({ path: `vatRates.${k}`, code: v });
  for (const [k, v] of Object.entries(m.costCenters)) out.push({ path: `costCenters.${k}`, code: v });
  for (const [k, v] of Object.entries(m.costUnits)) out.push({ path: `costUnits.${k}`, code: v });
  for (const [k, v] of Object.entries(m.employees)) out.push({ path: `employees.${k}.supplier`, code: v.supplier });
  for (const [k, v] of Object.entries(m.merchants)) out.push({ path: `merchants.${k}`, code: v });
  return out;
}
