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
  // Small tables the export reads whole (financial periods) are loaded whole.
  const loaded = await Promise.all(
    masterDataKinds.map((k) =>
      kindDefinition(k).loadAll ? stores.masterData.all(k, tenantId).then((rs) => rs.filter((r) => r.active)) : stores.masterData.findByCodes(k, tenantId, codes[k]),
    ),
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
export async function assessMappings(stores: Pick<Stores, 'masterData' | 'tenants'>, tenantId: string, mappings: Mappings): Promise<MappingIssue[]> {
  // VAT percentages as they are today in the tenant's time zone (each report is checked again on its own booking date).
  const settings = (await stores.tenants.getSettings(tenantId)) ?? DEFAULT_TENANT_SETTINGS;
  const today = localDate(new Date().toISOString(), settings.timeZone);
  const issues = validateMappings(mappings, createMasterDataLookup(await loadMasterDataFor(stores, tenantId, mappings)), today);
  if (await stores.tenants.getConnection(tenantId)) {
    await stores.tenants.setConnection(tenantId, { mappingHealth: { checkedAt: new Date(), ok: issues.length === 0, issues: toHealthIssues(issues) } });
  }
  return issues;
}

/** Saves a new version of the mappings, assesses it, and wakes the exports waiting for mappings. */
export async function saveMappings(deps: ServiceDeps, tenantId: string, mappings: Mappings): Promise<{ version: number; issues: MappingIssue[]; signalledExports: number }> {
  const { version } = await deps.stores.mappings.put(tenantId, mappings);
  const issues = await assessMappings(deps.stores, tenantId, mappings);
  const signalledExports = await wakeExports(deps, tenantId, ['waiting_for_mappings'], mappingFixedSignal);
  return { version, issues, signalledExports };
}
