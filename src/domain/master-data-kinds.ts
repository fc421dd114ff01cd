/**
 * The one registry of master-data kinds. Everything that lists kinds (the sync's resources, the
 * store's collections, the API's `/master-data/{kind}` enum, the admin page, mapping health, the
 * loading of master data for validation) derives its list from `MASTER_DATA_KINDS`.
 *
 * Adding a kind: add an entry here (with its record conversion), the Maesn schema of its
 * resource, and the sandbox's seed.
 *
 * Pure: no I/O, safe inside workflows. Conversions read Maesn DTOs structurally (the minimal
 * shapes below), so the domain does not depend on the Maesn client.
 *
 * Maesn's unified DTOs leave out a few things the export needs: a cost centre's or cost unit's
 * code (the dimension DTO has only id and name) and Exact's "blocked" flags on journals and VAT
 * codes. The sync therefore asks for `rawData=true` and reads Exact's own fields (Code, IsBlocked,
 * EndDate, Blocked) when they are there, falling back to the DTO otherwise.
 */
import {
  classifyGlAccount,
  normalizeCode,
  normalizeName,
  normalizeVatNumber,
  type CostCenter,
  type CostUnit,
  type GlAccount,
  type Journal,
  type Supplier,
  type VatCode,
} from './master-data';
import { accountingPeriodId, type FinancialPeriod } from './periods';
import type { Mappings } from './schemas';
import type { DatedPercentage } from './vat-treatment';

/** A record as stored: fields every kind has; kind-specific fields ride along. */
export interface MasterDataRecord {
  id: string;
  code: string;
  name: string;
  active: boolean;
  blocked?: boolean;
  /** Last modification in Exact, as Maesn reported it. */
  updatedDate?: string | null;
  [field: string]: unknown;
}

/** Exact's own record (Maesn's `rawData`), when sent. */
export type RawRecord = Record<string, unknown> | undefined;

type Opt<T> = T | null | undefined;

/** What the conversions read of Maesn's DTOs (structural subsets of src/maesn's schemas). */
export interface AccountSource { id?: Opt<string>; code?: Opt<string>; number?: Opt<string>; name?: Opt<string>; description?: Opt<string>; class?: Opt<string>; type?: Opt<string>; status?: Opt<string>; updatedDate?: Opt<string> }
export interface JournalSource { id?: Opt<string>; code?: Opt<string>; description?: Opt<string>; type?: Opt<string>; currency?: Opt<string>; updatedDate?: Opt<string> }
export interface TaxRateSource { id?: Opt<string>; code?: Opt<string>; name?: Opt<string>; description?: Opt<string>; percentage?: Opt<string>; type?: Opt<string>; usage?: Opt<string>; updatedDate?: Opt<string> }
export interface SupplierSource {
  id?: Opt<string>;
  number?: Opt<string>;
  accountNumber?: Opt<number | string>;
  companyName?: Opt<string>;
  vatId?: Opt<string>;
  contactPersons?: Opt<ReadonlyArray<{ firstName?: Opt<string>; lastName?: Opt<string>; emailAddresses?: Opt<ReadonlyArray<{ email?: Opt<string> }>> }>>;
  emailAddresses?: Opt<ReadonlyArray<{ email?: Opt<string> }>>;
  updatedDate?: Opt<string>;
}
export interface DimensionSource { id?: Opt<string>; name?: Opt<string>; categoryName?: Opt<string>; status?: Opt<string>; updatedDate?: Opt<string> }

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const uniq = (xs: ReadonlyArray<string | undefined>) => [...new Set(xs.filter((x): x is string => !!x).map((x) => x.trim()))];

export function glAccountRecord(a: AccountSource, raw: RawRecord): MasterDataRecord | null {
  const id = a.id;
  const code = str(raw?.Code) ?? a.code ?? a.number;
  if (!id || !code) return null;
  const blocked = bool(raw?.IsBlocked) ?? a.status === 'ARCHIVED';
  return {
    id,
    code,
    name: a.name ?? a.description ?? code,
    kind: classifyGlAccount({ class: a.class, type: a.type }) ?? 'balance_sheet',
    class: a.class ?? null,
    type: a.type ?? null,
    active: true,
    blocked,
    updatedDate: a.updatedDate ?? null,
  };
}

export function journalRecord(j: JournalSource, raw: RawRecord): MasterDataRecord | null {
  if (!j.id || !j.code) return null;
  const blocked = bool(raw?.IsBlocked) ?? false;
  return { id: j.id, code: j.code, name: j.description ?? j.code, type: j.type ?? '', currency: j.currency ?? null, active: !blocked, blocked, updatedDate: j.updatedDate ?? null };
}

/** Exact's VATCodes.Type and VATTransactionType as Maesn's type and usage (when the DTO lacks them). */
const EXACT_VAT_TYPE: Record<string, string> = { E: 'EXCLUSIVE', I: 'INCLUSIVE', N: 'NO_TAX', B: 'ZERO_TAX' };
const EXACT_VAT_USAGE: Record<string, string> = { P: 'BILL', S: 'INVOICE', B: 'ALL' };

/** A date Exact sends (`/Date(1719792000000)/` or ISO 8601) as `YYYY-MM-DD`; undefined otherwise. */
export function exactDate(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = /^\/Date\((-?\d+)(?:[+-]\d+)?\)\/$/.exec(v.trim());
  if (ms) return new Date(Number(ms[1])).toISOString().slice(0, 10);
  return /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : undefined;
}

/** Exact's dated percentages (VATPercentages rows, fractions or percentages) as the domain reads them. */
function datedPercentages(v: unknown): DatedPercentage[] | null {
  const rows = Array.isArray(v) ? v : v && typeof v === 'object' && Array.isArray((v as { results?: unknown }).results) ? (v as { results: unknown[] }).results : null;
  if (!rows) return null;
  const out: DatedPercentage[] = [];
  for (const r of rows) {
    if (!r || typeof r !== 'object') continue;
    const row = r as Record<string, unknown>;
    const percentage = str(row.Percentage);
    if (percentage === undefined) continue;
    out.push({ startDate: exactDate(row.StartDate) ?? null, endDate: exactDate(row.EndDate) ?? null, percentage });
  }
  return out;
}

export function vatCodeRecord(t: TaxRateSource, raw: RawRecord): MasterDataRecord | null {
  const code = t.code ?? str(raw?.Code);
  if (!t.id || !code) return null;
  const blocked = bool(raw?.IsBlocked) ?? false;
  return {
    id: t.id,
    code,
    name: t.description ?? t.name ?? code,
    description: t.description ?? t.name ?? '',
    percentage: t.percentage ?? '0',
    type: t.type ?? EXACT_VAT_TYPE[str(raw?.Type) ?? ''] ?? '',
    usage: t.usage ?? EXACT_VAT_USAGE[str(raw?.VATTransactionType) ?? ''] ?? '',
    active: !blocked,
    blocked,
    charged: bool(raw?.Charged) ?? false,
    percentages: datedPercentages(raw?.VATPercentages),
    updatedDate: t.updatedDate ?? null,
  };
}

/** A financial period as the sync combines it from Exact's FinancialPeriods and JournalStatusList rows. */
export interface FinancialPeriodSource {
  FinYear?: Opt<number | string>;
  FinPeriod?: Opt<number | string>;
  StartDate?: Opt<string>;
  EndDate?: Opt<string>;
  /** journal codes with JournalStatusList.Status = 1 (closed) for this year and period */
  closedJournals?: Opt<readonly string[]>;
  Modified?: Opt<string>;
}

export function financialPeriodRecord(p: FinancialPeriodSource): MasterDataRecord | null {
  const year = Number(p.FinYear);
  const period = Number(p.FinPeriod);
  const startDate = exactDate(p.StartDate);
  const endDate = exactDate(p.EndDate);
  if (!Number.isInteger(year) || !Number.isInteger(period) || period < 1 || !startDate || !endDate) return null;
  const id = accountingPeriodId(year, period);
  return {
    id,
    code: id,
    name: `${year} / ${period} (${startDate} – ${endDate})`,
    year,
    period,
    startDate,
    endDate,
    closedJournals: [...new Set((p.closedJournals ?? []).map((j) => j.trim()))].sort(),
    active: true,
    updatedDate: exactDate(p.Modified) ?? null,
  };
}

export function supplierRecord(s: SupplierSource, raw: RawRecord): MasterDataRecord | null {
  const code = s.number ?? (s.accountNumber != null ? String(s.accountNumber) : undefined) ?? str(raw?.Code);
  if (!s.id || !code) return null;
  const person = s.contactPersons?.[0];
  const name = s.companyName ?? str(raw?.Name) ?? ([person?.firstName, person?.lastName].filter(Boolean).join(' ') || code);
  const blocked = bool(raw?.Blocked) ?? false;
  return {
    id: s.id,
    code: code.trim(),
    name,
    nameNorm: normalizeName(name),
    vatNumber: s.vatId ?? null,
    vatNumberNorm: s.vatId ? normalizeVatNumber(s.vatId) : null,
    email: s.emailAddresses?.[0]?.email ?? person?.emailAddresses?.[0]?.email ?? null,
    active: !blocked,
    blocked,
    updatedDate: s.updatedDate ?? null,
  };
}

/** Dimension categories (normalised: lower case, no spaces or hyphens) of cost centres and cost units. */
export const COST_CENTER_CATEGORIES: ReadonlySet<string> = new Set(['costcenter', 'costcentre', 'kostenplaats', 'cost_center']);
export const COST_UNIT_CATEGORIES: ReadonlySet<string> = new Set(['costunit', 'kostendrager', 'cost_unit']);

/** A dimension value of one of `categories`, or null (another category, or no code). */
function dimensionRecord(categories: ReadonlySet<string>) {
  return (d: DimensionSource, raw: RawRecord): MasterDataRecord | null => {
    const category = (d.categoryName ?? '').toLowerCase().replace(/[\s-]/g, '');
    const code = str(raw?.Code) ?? str((d as { code?: unknown }).code);
    if (!categories.has(category) || !d.id || !code) return null;
    const status = (d.status ?? 'ACTIVE').toUpperCase();
    return { id: d.id, code, name: d.name ?? code, active: status === 'ACTIVE', endDate: str(raw?.EndDate) ?? null, updatedDate: d.updatedDate ?? null };
  };
}

export interface MasterDataKindDefinition<S = never, F extends string = string, D = unknown> {
  /** Shown in the admin page's master-data browser. */
  label: string;
  /** The Maesn list resource the kind is read from (several kinds may share one). */
  resource: string;
  /** MongoDB collection. */
  collection: string;
  /** The `MasterData`/`MasterDataLookup` field the domain checks read. */
  field: F;
  /** Maesn DTO (+ Exact's raw record) → stored record; null when the item is not of this kind. */
  toRecord(item: S, raw: RawRecord): MasterDataRecord | null;
  /** Stored record → what the domain checks read. */
  toDomain(record: MasterDataRecord): D;
  /** The codes of this kind that a mappings document refers to. */
  mappedCodes(m: Mappings): string[];
  /** Mapping paths (exact, or a prefix ending in `.`) whose values are codes of this kind. */
  mappingPaths: readonly string[];
  /**
   * Read through Maesn's passThrough to these Exact endpoints instead of a Maesn list resource
   * (what Maesn's unified API does not serve for Exact). `resource` is then the kind's own name.
   */
  passThrough?: readonly string[];
  /** The export reads every record of the kind (not only mapped codes): small tables such as periods. */
  loadAll?: boolean;
  /**
   * Maesn webhooks announcing changes of this kind: the resource to subscribe to and the resource
   * names its events arrive as (Exact: CONTACT changes arrive as SUPPLIER). Absent: Exact has no
   * webhook for it; only the scheduled sync reads it.
   */
  webhook?: { subscribe: string; arrivesAs: readonly string[] };
}

const define = <S, F extends string, D extends { code: string }>(d: MasterDataKindDefinition<S, F, D>) => d;
const plain = <T>(r: MasterDataRecord) => r as unknown as T;

/** Every master-data kind, by its one public name (API path, admin page, code). */
export const MASTER_DATA_KINDS = {
  'gl-accounts': define<AccountSource, 'glAccounts', GlAccount>({
    label: 'GL accounts',
    resource: 'accounts',
    collection: 'md_gl_accounts',
    field: 'glAccounts',
    toRecord: glAccountRecord,
    toDomain: plain<GlAccount>,
    mappedCodes: (m) => uniq([m.creditAccount, ...Object.values(m.categories ?? {}).map((c) => c.glAccount)]),
    mappingPaths: ['creditAccount', 'categories.'],
    webhook: { subscribe: 'ACCOUNT', arrivesAs: ['ACCOUNT'] },
  }),
  journals: define<JournalSource, 'journals', Journal>({
    label: 'Journals',
    resource: 'journals',
    collection: 'md_journals',
    field: 'journals',
    toRecord: journalRecord,
    toDomain: plain<Journal>,
    mappedCodes: (m) => uniq([m.journalCode]),
    mappingPaths: ['journalCode'],
  }),
  'vat-codes': define<TaxRateSource, 'vatCodes', VatCode>({
    label: 'VAT codes',
    resource: 'taxRates',
    collection: 'md_vat_codes',
    field: 'vatCodes',
    toRecord: vatCodeRecord,
    toDomain: plain<VatCode>,
    mappedCodes: (m) => uniq([...Object.values(m.vatRates ?? {}), m.nonDeductibleVatCode, ...Object.values(m.reverseChargeVatCodes ?? {})]),
    mappingPaths: ['vatRates.', 'nonDeductibleVatCode', 'reverseChargeVatCodes.'],
  }),
  suppliers: define<SupplierSource, 'suppliers', Supplier>({
    label: 'Suppliers',
    resource: 'suppliers',
    collection: 'md_suppliers',
    field: 'suppliers',
    toRecord: supplierRecord,
    // No VAT number is `undefined` in the domain, null in storage.
    toDomain: (r) => ({ ...plain<Supplier>(r), vatNumber: (r.vatNumber as string | null | undefined) ?? undefined }),
    mappedCodes: (m) => uniq([...Object.values(m.employees ?? {}).map((e) => e.supplier), ...Object.values(m.merchants ?? {})]),
    mappingPaths: ['employees.', 'merchants.'],
    webhook: { subscribe: 'CONTACT', arrivesAs: ['SUPPLIER', 'CONTACT'] },
  }),
  'cost-centers': define<DimensionSource, 'costCenters', CostCenter>({
    label: 'Cost centres',
    resource: 'dimensions',
    collection: 'md_cost_centers',
    field: 'costCenters',
    toRecord: dimensionRecord(COST_CENTER_CATEGORIES),
    toDomain: plain<CostCenter>,
    mappedCodes: (m) => uniq(Object.values(m.costCenters ?? {})),
    mappingPaths: ['costCenters.'],
  }),
  'cost-units': define<DimensionSource, 'costUnits', CostUnit>({
    label: 'Cost units',
    resource: 'dimensions',
    collection: 'md_cost_units',
    field: 'costUnits',
    toRecord: dimensionRecord(COST_UNIT_CATEGORIES),
    toDomain: plain<CostUnit>,
    mappedCodes: (m) => uniq(Object.values(m.costUnits ?? {})),
    mappingPaths: ['costUnits.'],
  }),
  'financial-periods': define<FinancialPeriodSource, 'financialPeriods', FinancialPeriod>({
    label: 'Financial periods',
    // Maesn's fiscalYears resource carries no periods and no status per journal (its DTO is DATEV's):
    // Exact's own endpoints through passThrough.
    resource: 'financialPeriods',
    passThrough: ['financial/FinancialPeriods', 'read/financial/JournalStatusList'],
    collection: 'md_financial_periods',
    field: 'financialPeriods',
    toRecord: financialPeriodRecord,
    toDomain: (r) => ({ ...plain<FinancialPeriod>(r), closedJournals: (r.closedJournals as string[] | undefined) ?? [] }),
    mappedCodes: () => [],
    mappingPaths: [],
    loadAll: true,
  }),
} as const;

export type MasterDataKind = keyof typeof MASTER_DATA_KINDS;

type Registry = typeof MASTER_DATA_KINDS;
/** The domain field of a kind, e.g. `glAccounts`. */
export type MasterDataField = Registry[MasterDataKind]['field'];
/** What the domain checks read of a kind (GlAccount, VatCode, …). */
export type DomainRecordOf<K extends MasterDataKind> = ReturnType<Registry[K]['toDomain']>;
type KindOfField<F extends MasterDataField> = { [K in MasterDataKind]: Registry[K]['field'] extends F ? K : never }[MasterDataKind];

/** The synced master data as plain lists, one per kind (derived from the registry). */
export type MasterData = { [F in MasterDataField]?: readonly DomainRecordOf<KindOfField<F>>[] };

/** Read-only, by-code indexes over the synced master data (keys are trimmed codes), one per kind, plus supplier indexes. */
export type MasterDataLookup = { [F in MasterDataField]: ReadonlyMap<string, DomainRecordOf<KindOfField<F>>> } & {
  /** by normalized VAT number (see `normalizeVatNumber`); several suppliers may share one */
  suppliersByVatNumber: ReadonlyMap<string, readonly Supplier[]>;
  /** by normalized name (see `normalizeName`) */
  suppliersByName: ReadonlyMap<string, readonly Supplier[]>;
};

/** The kinds' public names, in registry order. */
export const masterDataKinds = Object.keys(MASTER_DATA_KINDS) as [MasterDataKind, ...MasterDataKind[]];

/** A kind's definition (typed loosely enough to be used generically). */
export function kindDefinition(kind: MasterDataKind): MasterDataKindDefinition<unknown> {
  return MASTER_DATA_KINDS[kind] as unknown as MasterDataKindDefinition<unknown>;
}

/** The Maesn resources the sync reads, each once. */
export const syncResources: readonly string[] = [...new Set(masterDataKinds.map((k) => MASTER_DATA_KINDS[k].resource))];

/** The kinds read from one Maesn resource. */
export function kindsOfResource(resource: string): MasterDataKind[] {
  return masterDataKinds.filter((k) => MASTER_DATA_KINDS[k].resource === resource);
}

/** The kind whose codes a mapping path holds (`categories.travel.glAccount` → gl-accounts), or null. */
export function kindOfMappingPath(path: string): MasterDataKind | null {
  for (const k of masterDataKinds) {
    if (MASTER_DATA_KINDS[k].mappingPaths.some((p) => (p.endsWith('.') ? path.startsWith(p) : path === p))) return k;
  }
  return null;
}

/** Codes per kind, for loading master data. */
export type CodesByKind = Partial<Record<MasterDataKind, string[]>>;

/** Every code a mappings document refers to, per kind, plus `extra` codes (e.g. a report's). */
export function mappedCodesByKind(mappings: Mappings, extra: CodesByKind = {}): Record<MasterDataKind, string[]> {
  return Object.fromEntries(
    masterDataKinds.map((k) => [k, uniq([...MASTER_DATA_KINDS[k].mappedCodes(mappings), ...(extra[k] ?? [])])]),
  ) as Record<MasterDataKind, string[]>;
}

function byCode<T extends { code: string }>(items: readonly T[] | undefined): Map<string, T> {
  const m = new Map<string, T>();
  // First occurrence wins so the result does not depend on later duplicates.
  for (const it of items ?? []) {
    const k = normalizeCode(it.code);
    if (!m.has(k)) m.set(k, it);
  }
  return m;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    if (k === undefined || k === '') continue;
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** Builds the lookup indexes from plain lists. Pure. */
export function createMasterDataLookup(data: MasterData): MasterDataLookup {
  const maps = Object.fromEntries(
    masterDataKinds.map((k) => [MASTER_DATA_KINDS[k].field, byCode((data as Record<string, readonly { code: string }[] | undefined>)[MASTER_DATA_KINDS[k].field])]),
  );
  const suppliers = data.suppliers ?? [];
  return {
    ...maps,
    suppliersByVatNumber: groupBy(suppliers, (s) => (s.vatNumber ? normalizeVatNumber(s.vatNumber) : undefined)),
    suppliersByName: groupBy(suppliers, (s) => normalizeName(s.name)),
  } as unknown as MasterDataLookup;
}

/** Stored records per kind → the domain's `MasterData`. */
export function toMasterData(records: Partial<Record<MasterDataKind, readonly MasterDataRecord[]>>): MasterData {
  const out: Record<string, unknown[]> = {};
  for (const k of masterDataKinds) {
    const def = kindDefinition(k);
    out[def.field] = [...(out[def.field] ?? []), ...(records[k] ?? []).map((r) => def.toDomain(r))];
  }
  return out as MasterData;
}

/** The Maesn webhook resources to subscribe to on connect (one subscription each). */
export const webhookSubscriptionResources: readonly string[] = [...new Set(masterDataKinds.flatMap((k) => (kindDefinition(k).webhook ? [kindDefinition(k).webhook!.subscribe] : [])))];

/** The sync resource a Maesn webhook event's `resource` names (null: none of ours). */
export function syncResourceOfWebhook(resource: string): string | null {
  const kind = masterDataKinds.find((k) => kindDefinition(k).webhook?.arrivesAs.includes(resource.toUpperCase()));
  return kind ? kindDefinition(kind).resource : null;
}
