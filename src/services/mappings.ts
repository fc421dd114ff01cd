/**
 * Mappings against the synced master data: loading what a mappings document (or a report) refers
 * to, assessing it (mapping health), and saving a new version, which wakes the exports waiting
 * for mappings. Used by the API (PUT mappings) and by activities (sync, export).
 */
import {
  createMasterDataLookup,
  DEFAULT_TENANT_SETTINGS,
  localDate,
  kindDefinition,
  kindOfMappingPath,
  mappedCodesByKind,
  mappingEntries,
  mappingFieldOfIssue,
  masterDataKinds,
  normalizeCode,
  toMasterData,
  validateMappings,
  type CodesByKind,
  type MappingIssue,
  type Mappings,
  type MasterData,
  type MasterDataKind,
} from '../domain';
import type { MappingHealthIssue, MasterDataReader, Stores, StoredMasterDataRecord } from '../store';
import { mappingFixedSignal } from '../workflows/definitions';
import type { ServiceDeps } from './deps';
import { wakeExports } from './exports';

/** The master data a mappings document (plus `extra` codes) refers to, loaded by code. */
export async function loadMasterDataFor(
  stores: Pick<Stores, 'masterData'>,
  tenantId: string,
  mappings: Mappings,
  extra: CodesByKind = {},
  /** A reader the caller holds already (one version read per validation). */
  reader?: MasterDataReader,
): Promise<MasterData> {
  const codes = mappedCodesByKind(mappings, extra);
  const md = reader ?? (await stores.masterData.reader(tenantId));
  // Small tables the export reads whole (financial periods) are loaded whole.
  const loaded = await Promise.all(
    masterDataKinds.map((k) => (kindDefinition(k).loadAll ? md.all(k).then((rs) => rs.filter((r) => r.active)) : md.findByCodes(k, codes[k]))),
  );
  return toMasterData(Object.fromEntries(masterDataKinds.map((k, i) => [k, loaded[i]])));
}

/** Mapping problems as mapping-health issues: which master-data kind, which code, where it is used. */
export function toHealthIssues(issues: { path: string; value: string; message: string }[]): MappingHealthIssue[] {
  return issues.map((i) => ({ kind: kindOfMappingPath(i.path) ?? 'other', code: i.value, usedIn: i.path, reason: i.message }));
}

/**
 * Checks every reference of `mappings` against the synced master data, records the result as the
 * tenant's mapping health (when it has a connection), and returns the problems.
 */
export async function assessMappings(stores: Pick<Stores, 'masterData' | 'tenants' | 'webhooks'>, tenantId: string, mappings: Mappings): Promise<MappingIssue[]> {
  // VAT percentages as they are today in the tenant's time zone (each report is checked again on its own booking date).
  const settings = (await stores.tenants.getSettings(tenantId)) ?? DEFAULT_TENANT_SETTINGS;
  const today = localDate(new Date().toISOString(), settings.timeZone);
  const issues = validateMappings(mappings, createMasterDataLookup(await loadMasterDataFor(stores, tenantId, mappings)), today);
  const conn = await stores.tenants.getConnection(tenantId);
  if (conn) {
    const health = { checkedAt: new Date(), ok: issues.length === 0, issues: toHealthIssues(issues) };
    await stores.tenants.setConnection(tenantId, { mappingHealth: health });
    // Announced when it changed (first check: only when something is wrong).
    if (healthKey(conn.mappingHealth ?? { ok: true, issues: [] }) !== healthKey(health)) {
      await stores.webhooks.record({ type: 'mapping.health_changed', tenantId, objectId: tenantId, data: { ok: health.ok, issues: health.issues } });
    }
  }
  return issues;
}

/** What makes two mapping-health results the same: ok and the set of issues (not when they were checked). */
function healthKey(h: { ok: boolean; issues: MappingHealthIssue[] }): string {
  return JSON.stringify([h.ok, h.issues.map((i) => [i.kind, i.code, i.usedIn, i.reason]).sort()]);
}

/** Saves a new version of the mappings, assesses it, and wakes the exports waiting for mappings. */
export async function saveMappings(deps: ServiceDeps, tenantId: string, mappings: Mappings): Promise<{ version: number; issues: MappingIssue[]; signalledExports: number }> {
  const { version } = await deps.stores.mappings.put(tenantId, mappings);
  const issues = await assessMappings(deps.stores, tenantId, mappings);
  const signalledExports = await wakeExports(deps, tenantId, ['waiting_for_mappings'], mappingFixedSignal);
  return { version, issues, signalledExports };
}

/** The state of a code a mapping refers to, as synced from Exact. */
export interface ReferencedRecord {
  code: string;
  name: string;
  active: boolean;
  blocked: boolean;
  /** A full sync no longer found it in Exact. */
  vanished: boolean;
}

export interface MappingReview {
  mappings: Mappings | null;
  version: number;
  updatedAt: Date | null;
  /** Every invalid reference of the saved mappings. */
  issues: MappingIssue[];
  /** Every field that holds a code, with the record it names (null: not in the synced master data). */
  references: { path: string; kind: MasterDataKind; code: string; record: ReferencedRecord | null }[];
  /** Fields that exports waiting for mappings need (missing, or naming an unusable code), with those reports. */
  needed: { path: string; reportIds: string[]; messages: string[] }[];
}

/** How many waiting exports the review looks at (the page shows what they need). */
const REVIEW_EXPORTS_LIMIT = 200;

/** The saved mappings as an editor needs them: each reference's record, every problem, and what waiting exports need. */
export async function reviewMappings(stores: Pick<Stores, 'masterData' | 'mappings' | 'exports'>, tenantId: string): Promise<MappingReview> {
  const [saved, waiting] = await Promise.all([
    stores.mappings.get(tenantId),
    stores.exports.search(tenantId, { status: 'waiting_for_mappings', page: 1, limit: REVIEW_EXPORTS_LIMIT }),
  ]);
  const mappings = saved?.mappings ?? null;
  const needed = new Map<string, { path: string; reportIds: string[]; messages: string[] }>();
  for (const doc of waiting.items) {
    for (const issue of doc.missing) {
      const path = mappingFieldOfIssue(issue, doc.report, mappings);
      if (!path) continue;
      const n = needed.get(path) ?? { path, reportIds: [], messages: [] };
      if (!n.reportIds.includes(doc.reportId)) n.reportIds.push(doc.reportId);
      const message = issue.message ?? `${issue.field} ${issue.value}`;
      if (!n.messages.includes(message)) n.messages.push(message);
      needed.set(path, n);
    }
  }
  if (!mappings) return { mappings: null, version: 0, updatedAt: null, issues: [], references: [], needed: [...needed.values()] };

  const codes = mappedCodesByKind(mappings);
  const loaded = await Promise.all(masterDataKinds.map((k) => stores.masterData.findByCodes(k, tenantId, codes[k])));
  const byKind = Object.fromEntries(masterDataKinds.map((k, i) => [k, loaded[i]])) as Record<MasterDataKind, StoredMasterDataRecord[]>;
  const issues = validateMappings(mappings, createMasterDataLookup(toMasterData(byKind)));
  const references = mappingEntries(mappings).flatMap(({ path, code }) => {
    const kind = kindOfMappingPath(path);
    if (!kind) return [];
    const r = byKind[kind].find((x) => normalizeCode(x.code) === normalizeCode(code));
    const record = r ? { code: r.code, name: r.name, active: r.active, blocked: r.blocked === true, vanished: !!r.removedFromSourceAt } : null;
    return [{ path, kind, code, record }];
  });
  return { mappings, version: saved!.version, updatedAt: saved!.updatedAt, issues, references, needed: [...needed.values()] };
}
