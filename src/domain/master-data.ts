/**
 * Minimal, pure view of the Exact Online master data (synced through Maesn) that
 * the mapping checks and the journal-entry builder need. The sync/store layers
 * translate Maesn DTOs into these shapes; the domain never talks to Maesn itself.
 *
 * All codes are compared after trimming surrounding whitespace (Exact pads some
 * codes, e.g. supplier codes are left-padded with spaces to 18 characters).
 */

import type { DatedPercentage } from './vat-treatment';

/**
 * How a GL account is used:
 * - `profit_and_loss`: expense/revenue accounts (Maesn class EXPENSE/REVENUE);
 * - `balance_sheet`: assets, liabilities, equity (class ASSET/LIABILITY/EQUITY);
 * - `creditor`: accounts payable / supplier control accounts (type ACCOUNTS_PAYABLE and similar).
 */
export type GlAccountKind = 'profit_and_loss' | 'balance_sheet' | 'creditor';

export interface GlAccount {
  /** Maesn/Exact id (GUID) — what a journal line's `accountId` carries. */
  id: string;
  /** Account code/number as shown in Exact, e.g. "4500". Mappings refer to this. */
  code: string;
  /** Display name. */
  name: string;
  kind: GlAccountKind;
  /** False when archived/ended. */
  active: boolean;
  /** True when Exact blocks postings on the account. */
  blocked: boolean;
}

export interface Journal {
  /** Maesn/Exact id. */
  id: string;
  /** Journal code, e.g. "90"; entries reference the code. */
  code: string;
  /** Journal type as reported by Maesn, e.g. "General", "Purchase" (informational). */
  type: string;
  active: boolean;
}

/** VAT code usage as reported by Maesn (`INVOICE` = sales only, `BILL` = purchases only). */
export type VatCodeUsage = 'INVOICE' | 'BILL' | 'JOURNAL_ENTRY' | 'CASH' | 'ALL';
/** VAT code calculation type as reported by Maesn. */
export type VatCodeType = 'INCLUSIVE' | 'EXCLUSIVE' | 'NO_TAX' | 'ZERO_TAX';

export interface VatCode {
  /** Maesn/Exact id. */
  id: string;
  /** Exact VAT code (≤ 3 characters), e.g. "2"; lines reference the code. */
  code: string;
  /**
   * Percentage as a decimal string. Either a percentage ("21") or a fraction
   * ("0.21") is accepted — Exact stores fractions, Maesn may scale them; see
   * `vatPercentageMatches`.
   */
  percentage: string;
  description: string;
  /** Calculation type; unknown values are kept as strings. */
  type: VatCodeType | (string & {});
  /** Which documents the code may be used on; unknown values are kept as strings. */
  usage: VatCodeUsage | (string & {});
  active: boolean;
  /** Exact's IsBlocked (from rawData); a blocked code is also inactive. */
  blocked?: boolean;
  /** Exact's Charged (from rawData): reverse charge, Exact creates the VAT to pay and to claim. */
  charged?: boolean;
  /** Exact's dated percentages (VATPercentages, from rawData), when known. */
  percentages?: readonly DatedPercentage[] | null;
}

/** A cost center or cost unit (both are Exact "dimensions" referenced by code). */
export interface DimensionValue {
  id: string;
  /** Exact code (≤ 8 characters). */
  code: string;
  name: string;
  /** False once the end date has passed. */
  active: boolean;
}
export type CostCenter = DimensionValue;
export type CostUnit = DimensionValue;

export interface Supplier {
  /** Maesn/Exact id — what a journal line's `supplierId` carries. */
  id: string;
  /** Supplier (creditor) number/code; mappings refer to this. */
  code: string;
  name: string;
  /** VAT number when known. */
  vatNumber?: string;
  /** False when blocked or inactive. */
  active: boolean;
}

const CREDITOR_TYPES: ReadonlySet<string> = new Set(['ACCOUNTS_PAYABLE', 'CREDITOR', 'CREDITORS', 'SUPPLIER', 'SUPPLIERS']);
const PL_CLASSES: ReadonlySet<string> = new Set(['EXPENSE', 'REVENUE']);
const BS_CLASSES: ReadonlySet<string> = new Set(['ASSET', 'LIABILITY', 'EQUITY']);
const PL_TYPES: ReadonlySet<string> = new Set([
  'EXPENSE',
  'COST',
  'COST_OF_GOODS_SOLD',
  'OVERHEADS',
  'OTHER_EXPENSE',
  'REVENUE',
  'SALES',
  'OTHER_INCOME',
]);

/**
 * Derives the account kind from Maesn's account `class` and `type` (there is no
 * dedicated flag): a payables/supplier type → creditor; class EXPENSE/REVENUE →
 * P&L; class ASSET/LIABILITY/EQUITY → balance sheet; without a usable class, a
 * cost/revenue type → P&L. Returns null when nothing is recognisable.
 */
export function classifyGlAccount(account: { class?: string | null; type?: string | null }): GlAccountKind | null {
  const cls = (account.class ?? '').trim().toUpperCase();
  const type = (account.type ?? '').trim().toUpperCase();
  if (CREDITOR_TYPES.has(type)) return 'creditor';
  if (PL_CLASSES.has(cls)) return 'profit_and_loss';
  if (BS_CLASSES.has(cls)) return 'balance_sheet';
  if (PL_TYPES.has(type)) return 'profit_and_loss';
  return null;
}

/** Usages that allow a VAT code on purchase-side journal lines. */
const PURCHASE_USAGES: ReadonlySet<string> = new Set(['BILL', 'JOURNAL_ENTRY', 'ALL']);

/**
 * True when the VAT code may be put on an expense (purchase) journal line:
 * it must be active and its usage must be BILL, JOURNAL_ENTRY or ALL
 * (INVOICE is sales-only, CASH is for cash-accounting schemes).
 */
export function isVatCodeUsableForPurchases(v: VatCode): boolean {
  return v.active && PURCHASE_USAGES.has(v.usage);
}

/** Trimmed code used as map key. */
export function normalizeCode(code: string): string {
  return code.trim();
}

/** VAT numbers compare upper-cased without spaces, dots or hyphens: "nl 8536.42.b01" → "NL853642B01". */
export function normalizeVatNumber(v: string): string {
  return v.toUpperCase().replace(/[\s.\-]+/g, '');
}

/**
 * Names compare case-, accent-, whitespace- and punctuation-insensitively:
 * "Albert Heijn B.V." and "ALBERT-HEIJN BV" both become "albertheijnbv".
 */
export function normalizeName(v: string): string {
  return v
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}
