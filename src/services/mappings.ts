/**
 * Mappings against the synced master data: loading what a mappings document (or a report) refers
 * to, assessing it (mapping health), and saving a new version, which wakes the exports waiting
 * for mappings. Used by the API (PUT mappings) and by activities (sync, export).
 */
import {
  createMasterDataLookup,
  kindOfMappingPath,
  mappedCodesByKind,
  masterDataKinds,
  toMasterData,
  validateMappings,
  type CodesByKind,
  type MappingIssue,
  type Mappings,
  type MasterData,
} from '../domain';
import type { MappingHealthIssue, Stores } from '../store';
import { mappingFixedSignal } from '../workflows/definitions';
import type { ServiceDeps } from './deps';
import { wakeExports } from './exports';

/** The master data a mappings document (plus `extra` codes) refers to, loaded by code. */
export async function loadMasterDataFor(stores: Pick<Stores, 'masterData'>, tenantId: string, mappings: Mappings, extra: CodesByKind = {}): Promise<MasterData> {
  const codes = mappedCodesByKind(mappings, extra);
  const loaded = await Promise.all(masterDataKinds.map((k) => stores.masterData.findByCodes(k, tenantId, codes[k])));
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
  const issues = validateMappings(mappings, createMasterDataLookup(await loadMasterDataFor(stores, tenantId, mappings)));
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
