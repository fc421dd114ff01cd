/**
 * Internal records of the sandbox. They follow Exact Online's own data model (GL account types,
 * journal types, VAT transaction types, cost centre/unit codes, creditor accounts) and are mapped
 * to Maesn's unified DTOs only when a response is written (see mapping.ts).
 * All timestamps are ISO-8601 UTC strings with milliseconds.
 */

export const TARGET_SYSTEMS = ['exact-nl', 'exact-be', 'exact-de', 'exact-gb'] as const;
export type SandboxTargetSystem = (typeof TARGET_SYSTEMS)[number];

interface Stamped {
  id: string; // GUID, stable
  createdDate: string;
  updatedDate: string;
}

/** Exact GLAccounts.Type values used by the seed (subset of Exact's list). */
export type ExactGlType =
  | 10 | 12 | 14 | 20 | 22 | 24 | 25 | 26 | 27 | 29 | 30 | 35 | 40 | 50 | 52 | 55 | 90
  | 110 | 111 | 120 | 121 | 122 | 125 | 126 | 130 | 150 | 160;

/** 0 = optional, 1 = mandatory, 2 = not allowed (Exact's UseCostcenter/UseCostunit). */
export type DimensionPolicy = 0 | 1 | 2;

export interface GlAccount extends Stamped {
  code: string;
  description: string;
  /** 'B' balance sheet, 'W' profit & loss (Exact's BalanceType). */
  balanceType: 'B' | 'W';
  balanceSide: 'D' | 'C';
  type: ExactGlType;
  isBlocked: boolean;
  useCostcenter: DimensionPolicy;
  useCostunit: DimensionPolicy;
  /** Default VAT code, informational. */
  vatCode: string | null;
}

/** Exact Journals.Type: 10 cash, 12 bank, 20 sales, 22 purchase, 90 general. */
export type ExactJournalType = 10 | 12 | 20 | 22 | 90;

export interface Journal extends Stamped {
  code: string;
  description: string;
  type: ExactJournalType;
  /** Whether VAT codes may be used on entries in this journal. */
  allowVat: boolean;
  allowVariableCurrency: boolean;
  currency: string;
  /** GUID of the journal's own GL account (bank/cash account, creditors, suspense). */
  glAccountId: string | null;
  isBlocked: boolean;
}

export interface VatCode extends Stamped {
  code: string;
  description: string;
  /** Percentage in basis points (2100 = 21 %): the one valid now. */
  percentageBp: number;
  /** Exact's VATPercentages: the percentage by date (absent = always `percentageBp`). */
  percentages?: { startDate: string | null; endDate: string | null; bp: number }[];
  /** Exact VATCodes.Type: B 0 % (base only), E excluding, I including, N no VAT. */
  type: 'B' | 'E' | 'I' | 'N';
  /** Exact VATTransactionType: S sales, P purchase, B both. */
  transactionType: 'S' | 'P' | 'B';
  /** Reverse charge (verlegd): purchase creates both to-pay and to-claim VAT. */
  charged: boolean;
  glToClaim: string | null;
  glToPay: string | null;
  isBlocked: boolean;
}

export type DimensionKind = 'costCenter' | 'costUnit';

export interface DimensionValue extends Stamped {
  code: string;
  description: string;
  /** Inactive after this date (Exact EndDate); null = open-ended. */
  endDate: string | null;
}

export interface Supplier extends Stamped {
  /** Creditor number (Exact crm/Accounts.Code, trimmed). */
  code: string;
  name: string;
  isEmployee: boolean;
  firstName: string | null;
  lastName: string | null;
  blocked: boolean;
  email: string | null;
  phone: string | null;
  vatNumber: string | null;
  iban: string | null;
  bic: string | null;
  addressLine: string | null;
  postalCode: string | null;
  city: string | null;
  countryCode: string;
  purchaseVatCode: string | null;
}

export interface StoredFile {
  id: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  /** 1-based journal line the file belongs to; null when attached to the entry as a whole. */
  linePosition: number | null;
  createdDate: string;
}

export interface StoredLine {
  id: string;
  lineNumber: number;
  accountId: string;
  accountCode: string;
  debitCreditIndicator: 'DEBIT' | 'CREDIT';
  description: string | null;
  currency: string;
  netCents: number;
  taxCents: number;
  grossCents: number;
  vatCode: string | null;
  supplierId: string | null;
  customerId: string | null;
  costCenterCode: string | null;
  costUnitCode: string | null;
  documentNumber: string | null;
  thirdPartyCode: string | null;
}

export interface StoredJournalEntry extends Stamped {
  entryNumber: string;
  journalCode: string;
  journalType: string | null;
  accountingPeriodId: string;
  transactionDate: string;
  description: string;
  currency: string;
  documentId: string | null;
  dueDate: string | null;
  deliveryDate: string | null;
  isProvisional: boolean;
  lines: StoredLine[];
  files: StoredFile[];
  /** The raw `journal_entry` JSON as received (exposed through rawData=true). */
  request: unknown;
  /** Fault injection: invisible to every GET before this time (ISO). */
  visibleAfter?: string;
  /** Fault injection: missing from list results before this time (ISO). */
  listedAfter?: string;
}

/** Explicit period status overrides (all journals); absent periods follow the default rule (see periods.ts). */
export type PeriodStatus = 'open' | 'closed';

/** Everything that belongs to one Exact division (administration). */
export interface AdministrationData {
  accounts: GlAccount[];
  journals: Journal[];
  vatCodes: VatCode[];
  costCenters: DimensionValue[];
  costUnits: DimensionValue[];
  suppliers: Supplier[];
}

export interface DivisionInfo {
  code: string;
  name: string;
  /** First month of the financial year (1 = calendar year; absent = 1). */
  fiscalYearStartMonth?: number;
  /** Seed used for reset: 'demo' or a generator spec. */
  seed: DivisionSeed;
  createdDate: string;
}

export type DivisionSeed =
  | { kind: 'demo'; variant: 'main' | 'second' }
  | { kind: 'generated'; options: GenerateOptions }
  | { kind: 'empty' };

export interface GenerateOptions {
  suppliers?: number;
  accounts?: number;
  costCenters?: number;
  costUnits?: number;
  seed?: number;
  division?: string;
}

export interface Connection {
  /** sha256 hex of the account key; the key itself is never stored. */
  keyHash: string;
  targetSystem: SandboxTargetSystem;
  division: string;
  createdDate: string;
  revokedDate: string | null;
}
