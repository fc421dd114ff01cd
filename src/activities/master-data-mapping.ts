/**
 * Maesn DTOs (plus Exact's raw record when Maesn sends `rawData`) → the records we store.
 *
 * Maesn's unified DTOs leave out a few things the export needs: a cost centre's or cost unit's
 * code (the dimension DTO has only id and name) and Exact's "blocked" flags on journals and VAT
 * codes. The sync therefore asks for `rawData=true` and reads Exact's own fields (Code, IsBlocked,
 * EndDate, Blocked) when they are there, falling back to the DTO otherwise.
 */
import { classifyGlAccount, normalizeName, normalizeVatNumber } from '../domain';
import type { Account, Dimension, Journal, Supplier, TaxRate } from '../maesn';
import type { MasterDataKind, MasterDataRecord } from '../store';

type Raw = Record<string, unknown> | undefined;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

export const COST_CENTER_CATEGORIES = new Set(['costcenter', 'costcentre', 'kostenplaats', 'cost_center']);
export const COST_UNIT_CATEGORIES = new Set(['costunit', 'kostendrager', 'cost_unit']);

export function glAccountRecord(a: Account, raw: Raw): MasterDataRecord | null {
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

export function journalRecord(j: Journal, raw: Raw): MasterDataRecord | null {
  if (!j.id || !j.code) return null;
  return {
    id: j.id,
    code: j.code,
    name: j.description ?? j.code,
    type: j.type ?? '',
    currency: j.currency ?? null,
    active: !(bool(raw?.IsBlocked) ?? false),
    blocked: bool(raw?.IsBlocked) ?? false,
    updatedDate: j.updatedDate ?? null,
  };
}

export function vatCodeRecord(t: TaxRate, raw: Raw): MasterDataRecord | null {
  const code = t.code ?? str(raw?.Code);
  if (!t.id || !code) return null;
  const blocked = bool(raw?.IsBlocked) ?? false;
  return {
    id: t.id,
    code,
    name: t.description ?? t.name ?? code,
    description: t.description ?? t.name ?? '',
    percentage: t.percentage ?? '0',
    type: t.type ?? '',
    usage: t.usage ?? '',
    active: !blocked,
    blocked,
    updatedDate: t.updatedDate ?? null,
  };
}

export function supplierRecord(s: Supplier, raw: Raw): MasterDataRecord | null {
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

/** A dimension value is a cost centre or a cost unit by its category; other categories are skipped. */
export function dimensionRecord(d: Dimension, raw: Raw): { kind: MasterDataKind; record: MasterDataRecord } | null {
  const category = (d.categoryName ?? '').toLowerCase().replace(/[\s-]/g, '');
  const kind: MasterDataKind | null = COST_CENTER_CATEGORIES.has(category) ? 'cost-centers' : COST_UNIT_CATEGORIES.has(category) ? 'cost-units' : null;
  const code = str(raw?.Code) ?? (d as { code?: string | null }).code ?? undefined;
  if (!kind || !d.id || !code) return null;
  const status = (d.status ?? 'ACTIVE').toUpperCase();
  return {
    kind,
    record: {
      id: d.id,
      code,
      name: d.name ?? code,
      active: status === 'ACTIVE',
      endDate: str(raw?.EndDate) ?? null,
      updatedDate: d.updatedDate ?? null,
    },
  };
}
