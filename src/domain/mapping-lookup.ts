/**
 * Reading the mappings: which Exact code a category, VAT rate, cost centre or unit, employee or
 * merchant maps to, and which codes a report refers to. Shared by the checks and the builder.
 */
import { normalizeCode, normalizeName, normalizeVatNumber, type Supplier } from './master-data';
import type { CodesByKind, MasterDataLookup } from './master-data-kinds';
import { canonicalDecimalString, isDecimalString } from './money';
import type { Mappings, Merchant, ReportCore } from './schemas';
import { expenseParts, partVatKey, planLineVat } from './vat-treatment';


/** Exact VAT code mapped for a VAT key, matching keys numerically ("21.0" finds "21"). */
export function findVatCodeMapping(mappings: Mappings, key: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(mappings.vatRates, key)) return mappings.vatRates[key];
  for (const k of Object.keys(mappings.vatRates).sort()) {
    if (k === 'exempt' || !isDecimalString(k)) continue;
    if (key !== 'exempt' && canonicalDecimalString(k) === key) return mappings.vatRates[k];
  }
  return undefined;
}

function ownValue<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
}

/** Exact cost center code for a platform code (identity when not mapped). */
export function exactCostCenter(mappings: Mappings, platformCode: string): string {
  return ownValue(mappings.costCenters, platformCode) ?? platformCode;
}

/** Exact cost unit code for a platform code (identity when not mapped). */
export function exactCostUnit(mappings: Mappings, platformCode: string): string {
  return ownValue(mappings.costUnits, platformCode) ?? platformCode;
}

export function categoryGlAccount(mappings: Mappings, category: string): string | undefined {
  return ownValue(mappings.categories, category)?.glAccount;
}

export function employeeSupplier(mappings: Mappings, employeeId: string): string | undefined {
  return ownValue(mappings.employees, employeeId)?.supplier;
}

/** The Exact codes a report refers to through the mappings (to load just that master data). */
export function reportCodes(report: ReportCore, mappings: Mappings): CodesByKind {
  const defined = (xs: (string | undefined)[]) => xs.filter((x): x is string => !!x);
  return {
    'gl-accounts': defined(report.expenses.flatMap((e) => expenseParts(e).map((p) => categoryGlAccount(mappings, p.category)))),
    'vat-codes': defined(
      report.expenses.flatMap((e) =>
        expenseParts(e).map((p) => {
          const key = partVatKey(p);
          return key === null ? undefined : planLineVat(p, key, mappings).code;
        }),
      ),
    ),
    'cost-centers': report.expenses.flatMap((e) => (e.costCenter ? [exactCostCenter(mappings, e.costCenter)] : [])),
    'cost-units': report.expenses.flatMap((e) => (e.costUnit ? [exactCostUnit(mappings, e.costUnit)] : [])),
    suppliers: defined([employeeSupplier(mappings, report.employee.id)]),
  };
}

/** How a merchant was linked to a supplier. */
export type MerchantMatchVia = 'override_vat_number' | 'override_name' | 'vat_number' | 'name';

export interface MerchantMatch {
  via: MerchantMatchVia;
  supplierCode: string;
  /** null only for overrides pointing at a code that is not in the master data */
  supplier: Supplier | null;
}

function single(list: readonly Supplier[] | undefined): Supplier | null {
  const active = (list ?? []).filter((s) => s.active);
  return active.length === 1 ? active[0] : null;
}

/**
 * Finds the supplier for a merchant:
 * 1. the `merchants` override map — a key equal to the merchant's VAT number
 *    (normalized) wins, then a key equal to its name (normalized);
 * 2. exactly one active supplier with the same normalized VAT number;
 * 3. exactly one active supplier with the same normalized name.
 * Ambiguous or absent matches give null (not an error).
 */
export function matchMerchantSupplier(
  merchant: Merchant | undefined,
  mappings: Mappings,
  lookup: MasterDataLookup,
): MerchantMatch | null {
  if (!merchant) return null;
  const vat = merchant.vatNumber ? normalizeVatNumber(merchant.vatNumber) : '';
  const name = normalizeName(merchant.name);
  const keys = Object.keys(mappings.merchants).sort();
  const viaOverride = (via: MerchantMatchVia, key: string): MerchantMatch => {
    const supplierCode = mappings.merchants[key];
    return { via, supplierCode, supplier: lookup.suppliers.get(normalizeCode(supplierCode)) ?? null };
  };
  if (vat !== '') {
    const k = keys.find((key) => normalizeVatNumber(key) === vat);
    if (k !== undefined) return viaOverride('override_vat_number', k);
  }
  if (name !== '') {
    const k = keys.find((key) => normalizeName(key) === name);
    if (k !== undefined) return viaOverride('override_name', k);
  }
  if (vat !== '') {
    const s = single(lookup.suppliersByVatNumber.get(vat));
    if (s) return { via: 'vat_number', supplierCode: s.code, supplier: s };
  }
  if (name !== '') {
    const s = single(lookup.suppliersByName.get(name));
    if (s) return { via: 'name', supplierCode: s.code, supplier: s };
  }
  return null;
}

