/**
 * Internal Exact-like records → Maesn unified DTOs (AccountResponseDto, JournalResponseDto,
 * TaxRateResponseDto, DimensionResponseDto, ContactResponseDto, JournalEntryResponseDto), plus
 * the Exact-shaped "raw" records returned in `rawData` when `rawData=true`.
 */
import type { DivisionState } from './state';
import type { DimensionKind, DimensionValue, GlAccount, Journal, StoredJournalEntry, Supplier, VatCode } from './types';

/** Dimension category names used for Exact cost centres and cost units (as in Maesn's examples). */
export const COST_CENTER_CATEGORY = 'CostCenter';
export const COST_UNIT_CATEGORY = 'CostUnit';

const CLASS_BY_TYPE: Record<number, 'ASSET' | 'LIABILITY' | 'EQUITY' | 'REVENUE' | 'EXPENSE'> = {
  10: 'ASSET', 12: 'ASSET', 16: 'ASSET', 20: 'ASSET', 26: 'ASSET', 30: 'ASSET', 32: 'ASSET', 35: 'ASSET', 40: 'ASSET', 90: 'ASSET',
  14: 'LIABILITY', 21: 'LIABILITY', 22: 'LIABILITY', 25: 'LIABILITY', 27: 'LIABILITY', 29: 'LIABILITY', 55: 'LIABILITY', 60: 'LIABILITY', 100: 'LIABILITY',
  50: 'EQUITY', 52: 'EQUITY',
  110: 'REVENUE', 140: 'REVENUE', 160: 'REVENUE',
  111: 'EXPENSE', 120: 'EXPENSE', 121: 'EXPENSE', 122: 'EXPENSE', 123: 'EXPENSE', 125: 'EXPENSE', 126: 'EXPENSE', 130: 'EXPENSE', 150: 'EXPENSE',
};

/** Exact GL account type → Maesn account `type` (values from Maesn's account type enum). */
const TYPE_BY_EXACT: Record<number, string> = {
  10: 'CASH', 12: 'BANK', 14: 'CREDIT_CARD', 16: 'PAYMENT_PROVIDER', 20: 'ACCOUNTS_RECEIVABLE', 21: 'CUSTOMER_PREPAYMENT',
  22: 'ACCOUNTS_PAYABLE', 24: 'VAT', 25: 'EMPLOYEES_PAYABLE', 26: 'PREPAID_EXPENSES', 27: 'ACCRUED_EXPENSES', 29: 'CURRENT_LIABILITY',
  30: 'FIXED_ASSET', 32: 'NON_CURRENT_ASSET', 35: 'DEPRECIATION', 40: 'INVENTORY', 50: 'CAPITAL', 52: 'RETAINED_EARNINGS',
  55: 'LONG_TERM_LIABILITY', 60: 'CURRENT_LIABILITY', 90: 'OTHER_BALANCE_SHEET_ACCOUNT', 100: 'LIABILITY', 110: 'REVENUE',
  111: 'COST_OF_GOODS_SOLD', 120: 'OTHER_EXPENSE', 121: 'EXPENSE', 122: 'DEPRECIATION', 123: 'RESEARCH_AND_DEVELOPMENT',
  125: 'EMPLOYEE_COSTS', 126: 'EMPLOYMENT_COSTS', 130: 'EXCEPTIONAL_COSTS', 140: 'EXCEPTIONAL_INCOME', 150: 'INCOME_TAXES', 160: 'INTEREST_INCOME',
};

export function accountClass(a: GlAccount): 'ASSET' | 'LIABILITY' | 'EQUITY' | 'REVENUE' | 'EXPENSE' {
  if (a.type === 24) return a.balanceSide === 'C' ? 'LIABILITY' : 'ASSET';
  return CLASS_BY_TYPE[a.type] ?? (a.balanceType === 'W' ? 'EXPENSE' : 'ASSET');
}

export function centsToNumber(c: number): number {
  return Math.round(c) / 100;
}

export function accountDto(a: GlAccount, balanceCents: number) {
  return {
    id: a.id,
    balance: centsToNumber(balanceCents),
    class: accountClass(a),
    code: a.code,
    createdDate: a.createdDate,
    currency: 'EUR',
    debitCreditIndicator: a.balanceSide === 'C' ? 'CREDIT' : 'DEBIT',
    description: a.description,
    name: a.description,
    number: a.code,
    parentAccountId: null,
    status: a.isBlocked ? 'ARCHIVED' : 'ACTIVE',
    type: TYPE_BY_EXACT[a.type] ?? 'OTHER',
    updatedDate: a.updatedDate,
  };
}

export function accountRaw(a: GlAccount) {
  return {
    ID: a.id, Code: a.code, Description: a.description, Type: a.type, BalanceType: a.balanceType, BalanceSide: a.balanceSide,
    IsBlocked: a.isBlocked, UseCostcenter: a.useCostcenter, UseCostunit: a.useCostunit, VATCode: a.vatCode,
    Created: a.createdDate, Modified: a.updatedDate,
  };
}

export const JOURNAL_TYPE_NAMES: Record<number, string> = { 10: 'Cash', 12: 'Bank', 20: 'Sales', 22: 'Purchase', 90: 'General journal' };

export function journalDto(j: Journal) {
  return {
    id: j.id,
    accountId: j.glAccountId,
    code: j.code,
    createdDate: j.createdDate,
    currency: j.currency,
    description: j.description,
    type: JOURNAL_TYPE_NAMES[j.type] ?? 'General journal',
    updatedDate: j.updatedDate,
  };
}

export function journalRaw(j: Journal) {
  return {
    ID: j.id, Code: j.code, Description: j.description, Type: j.type, AllowVAT: j.allowVat, AllowVariableCurrency: j.allowVariableCurrency,
    Currency: j.currency, GLAccount: j.glAccountId, IsBlocked: j.isBlocked, Created: j.createdDate, Modified: j.updatedDate,
  };
}

const VAT_TYPE: Record<VatCode['type'], 'EXCLUSIVE' | 'INCLUSIVE' | 'ZERO_TAX' | 'NO_TAX'> = { E: 'EXCLUSIVE', I: 'INCLUSIVE', B: 'ZERO_TAX', N: 'NO_TAX' };
const VAT_USAGE: Record<VatCode['transactionType'], 'INVOICE' | 'BILL' | 'ALL'> = { S: 'INVOICE', P: 'BILL', B: 'ALL' };

export function percentFromBp(bp: number): number {
  return bp / 100;
}

/** The code's percentage (basis points) on a date `YYYY-MM-DD`; its current one without a date. */
export function bpOn(v: VatCode, date: string | null): number {
  if (!date || !v.percentages) return v.percentageBp;
  const row = v.percentages.find((r) => (r.startDate === null || r.startDate <= date) && (r.endDate === null || date <= r.endDate));
  return row ? row.bp : v.percentageBp;
}

export function taxRateDto(v: VatCode) {
  return {
    id: v.id,
    code: v.code,
    createdDate: v.createdDate,
    description: v.description,
    name: v.description,
    percentage: percentFromBp(v.percentageBp),
    type: VAT_TYPE[v.type],
    updatedDate: v.updatedDate,
    usage: VAT_USAGE[v.transactionType],
  };
}

export function taxRateRaw(v: VatCode) {
  return {
    ID: v.id, Code: v.code, Description: v.description, Percentage: v.percentageBp / 10000, Type: v.type,
    VATTransactionType: v.transactionType, Charged: v.charged, GLToClaim: v.glToClaim, GLToPay: v.glToPay, IsBlocked: v.isBlocked,
    VATPercentages: (v.percentages ?? [{ startDate: null, endDate: null, bp: v.percentageBp }]).map((r) => ({
      StartDate: r.startDate ? `/Date(${Date.parse(`${r.startDate}T00:00:00Z`)})/` : null,
      EndDate: r.endDate ? `/Date(${Date.parse(`${r.endDate}T00:00:00Z`)})/` : null,
      Percentage: r.bp / 10000,
    })),
    Created: v.createdDate, Modified: v.updatedDate,
  };
}

export function isDimensionActive(d: DimensionValue, now: Date): boolean {
  return d.endDate === null || Date.parse(d.endDate) >= now.getTime();
}

export function dimensionDto(kind: DimensionKind, d: DimensionValue, now: Date) {
  return {
    id: d.id,
    categoryName: kind === 'costCenter' ? COST_CENTER_CATEGORY : COST_UNIT_CATEGORY,
    createdDate: d.createdDate,
    name: d.description,
    status: isDimensionActive(d, now) ? 'ACTIVE' : 'INACTIVE',
    updatedDate: d.updatedDate,
  };
}

export function dimensionRaw(kind: DimensionKind, d: DimensionValue) {
  return { Entity: kind === 'costCenter' ? 'Costcenters' : 'Costunits', ID: d.id, Code: d.code, Description: d.description, EndDate: d.endDate, Created: d.createdDate, Modified: d.updatedDate };
}

export function supplierDto(s: Supplier) {
  const num = Number(s.code);
  return {
    id: s.id,
    addresses: [
      { addressLine1: s.addressLine, addressLine2: null, city: s.city, countryCode: s.countryCode, postalCode: s.postalCode, type: s.isEmployee ? 'PRIVATE' : 'BILLING' },
    ],
    accountNumber: Number.isSafeInteger(num) ? num : null,
    bankAccounts: s.iban ? [{ bic: s.bic, holder: s.name, isMainAccount: true, iban: s.iban, name: null, sepa: true }] : [],
    companyName: s.isEmployee ? null : s.name,
    contactPersons: s.isEmployee
      ? [{ emailAddresses: s.email ? [{ email: s.email, type: 'BUSINESS' }] : [], firstName: s.firstName, lastName: s.lastName, phoneNumbers: [], salutation: null }]
      : [],
    contactType: s.isEmployee ? 'CONTACT_PERSON' : 'COMPANY',
    documentId: null,
    emailAddresses: s.email ? [{ email: s.email, type: s.isEmployee ? 'BUSINESS' : 'INVOICE' }] : [],
    number: s.code,
    phoneNumbers: s.phone ? [{ number: s.phone, type: 'BUSINESS' }] : [],
    projectId: null,
    role: 'SUPPLIER',
    updatedDate: s.updatedDate,
    vatId: s.vatNumber,
  };
}

export function supplierRaw(s: Supplier) {
  return {
    ID: s.id, Code: s.code.padStart(18, ' '), Name: s.name, IsSupplier: true, Blocked: s.blocked, VATNumber: s.vatNumber, Email: s.email,
    PurchaseVATCode: s.purchaseVatCode, Country: s.countryCode, City: s.city, Created: s.createdDate, Modified: s.updatedDate,
  };
}

export interface LineRefs {
  vat: (code: string) => VatCode | undefined;
  costCenter: (code: string) => DimensionValue | undefined;
  costUnit: (code: string) => DimensionValue | undefined;
}

/**
 * A stored entry in Maesn's DTO shape. `generalJournal`: Exact's GeneralJournalEntries have no
 * entry-level description, so Maesn can return none for them (null); the lines keep theirs.
 */
export function journalEntryDto(e: StoredJournalEntry, refs: LineRefs, generalJournal = false) {
  return {
    id: e.id,
    accountId: null,
    accountingPeriodId: e.accountingPeriodId,
    createdDate: e.createdDate,
    currency: e.currency,
    debitCreditIndicator: null,
    deliveryDate: e.deliveryDate,
    description: generalJournal ? null : e.description,
    documentId: e.documentId,
    dueDate: e.dueDate,
    exchangeRate: null,
    files: e.files.map((f) => f.name),
    isProvisional: e.isProvisional,
    journalCode: e.journalCode,
    journalLineItems: e.lines.map((l) => {
      const vat = l.vatCode !== null ? refs.vat(l.vatCode) : undefined;
      const dims: { id: string | null; categoryName: string; code: string; name: string | null }[] = [];
      if (l.costCenterCode !== null) {
        const d = refs.costCenter(l.costCenterCode);
        dims.push({ id: d?.id ?? null, categoryName: COST_CENTER_CATEGORY, code: l.costCenterCode, name: d?.description ?? null });
      }
      if (l.costUnitCode !== null) {
        const d = refs.costUnit(l.costUnitCode);
        dims.push({ id: d?.id ?? null, categoryName: COST_UNIT_CATEGORY, code: l.costUnitCode, name: d?.description ?? null });
      }
      const num = Number(l.accountCode);
      return {
        id: l.id,
        accountCode: l.accountCode,
        accountId: l.accountId,
        accountNumber: Number.isSafeInteger(num) ? num : null,
        createdDate: e.createdDate,
        currency: l.currency,
        customerId: l.customerId,
        debitCreditIndicator: l.debitCreditIndicator,
        description: l.description,
        dimensions: dims,
        discountAmount: null,
        documentNumber: l.documentNumber,
        exchangeRate: 1,
        supplierId: l.supplierId,
        taxRate:
          l.vatCode === null
            ? null
            : { id: vat?.id ?? null, code: l.vatCode, name: vat?.description ?? null, taxRatePercentage: vat ? String(percentFromBp(vat.percentageBp)) : null },
        thirdPartyCode: l.thirdPartyCode,
        totalGrossAmount: centsToNumber(l.grossCents),
        totalNetAmount: centsToNumber(l.netCents),
        totalTaxAmount: centsToNumber(l.taxCents),
        updatedDate: e.updatedDate,
      };
    }),
    journalType: e.journalType,
    number: e.entryNumber,
    taxAssignmentDate: null,
    transactionDate: e.transactionDate,
    updatedDate: e.updatedDate,
  };
}

/** A stored entry as Maesn returns it, with its VAT codes and dimensions looked up in its division. */
export function divisionEntryDto(division: DivisionState, e: StoredJournalEntry) {
  const journalType = division.journals.getByCode(e.journalCode)?.type;
  return journalEntryDto(
    e,
    {
      vat: (c) => division.taxRates.getByCode(c),
      costCenter: (c) => division.costCenters.getByCode(c),
      costUnit: (c) => division.costUnits.getByCode(c),
    },
    journalType === 90,
  );
}

export function journalEntryRaw(e: StoredJournalEntry) {
  return {
    EntryID: e.id, EntryNumber: Number(e.entryNumber), JournalCode: e.journalCode, Status: 20, Type: 90,
    FinancialYear: Number(e.accountingPeriodId.slice(0, 4)), FinancialPeriod: Number(e.accountingPeriodId.slice(5, 7)),
    Document: e.documentId,
    Attachments: e.files.map((f) => ({ ID: f.id, FileName: f.name, FileSize: f.size, ContentType: f.contentType, LineNumber: f.linePosition })),
    Request: e.request,
  };
}
