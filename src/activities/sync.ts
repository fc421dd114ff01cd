/**
 * Master-data sync activities. `syncResource` streams one Maesn resource page by page into
 * MongoDB (bulk upserts), heartbeating its page cursor; after a crash the retry resumes at the
 * page after the last heartbeat. Only counts are returned to the workflow.
 */
import { Context } from '@temporalio/activity';
import { msToNumber } from '@temporalio/common/lib/time';
import { createMasterDataLookup, validateMappings, type MappingIssue, type MasterData, type Mappings, type Supplier } from '../domain';
import type { ListResource, PageLimit } from '../maesn';
import type { KindCounts, MasterDataKind, MasterDataRecord, MappingHealthIssue, StoredMasterDataRecord, SyncMode, SyncRunDoc, SyncRunStatus } from '../store';
import { connectionFor, maesnCall, type ActivityDeps } from './common';
import { dimensionRecord, glAccountRecord, journalRecord, supplierRecord, vatCodeRecord } from './master-data-mapping';

type SyncResource = 'accounts' | 'journals' | 'taxRates' | 'suppliers' | 'dimensions';

const kindsOf: Record<SyncResource, MasterDataKind[]> = {
  accounts: ['gl-accounts'],
  journals: ['journals'],
  taxRates: ['vat-codes'],
  suppliers: ['suppliers'],
  dimensions: ['cost-centers', 'cost-units'],
};

function toRecord(resource: SyncResource, item: unknown, raw: Record<string, unknown> | undefined): { kind: MasterDataKind; record: MasterDataRecord } | null {
  switch (resource) {
    case 'accounts': {
      const r = glAccountRecord(item as never, raw);
      return r && { kind: 'gl-accounts', record: r };
    }
    case 'journals': {
      const r = journalRecord(item as never, raw);
      return r && { kind: 'journals', record: r };
    }
    case 'taxRates': {
      const r = vatCodeRecord(item as never, raw);
      return r && { kind: 'vat-codes', record: r };
    }
    case 'suppliers': {
      const r = supplierRecord(item as never, raw);
      return r && { kind: 'suppliers', record: r };
    }
    case 'dimensions':
      return dimensionRecord(item as never, raw);
  }
}

const emptyCounts = (): KindCounts => ({ fetched: 0, upserted: 0, deactivated: 0, pages: 0 });

export interface SyncHeartbeat {
  nextPage: number;
  counts: Record<string, KindCounts>;
}

export function createSyncActivities(deps: ActivityDeps) {
  const { stores, logger } = deps;

  async function markNeedsReauthorization({ tenantId, message }: { tenantId: string; message: string }): Promise<void> {
    await stores.tenants.setConnection(tenantId, { state: 'needs_reauthorization', error: { message, at: new Date() } });
    // No point in hourly failures until the admin reconnects; onboarding unpauses it.
    try {
      await deps.temporal.schedule.getHandle(resyncScheduleId(tenantId)).pause('Maesn connection needs reauthorization');
    } catch (err) {
      logger.debug({ err, tenantId }, 'no resync schedule to pause');
    }
    logger.warn({ tenantId }, 'connection needs reauthorization');
  }

  return {
    markNeedsReauthorization,

    /** Decides full or incremental, and from when. */
    async planSync({ tenantId, requested, fullSyncEvery }: { tenantId: string; requested: 'auto' | 'full' | 'incremental'; fullSyncEvery: string }): Promise<{ mode: SyncMode; since: string | null }> {
      const lastFull = await stores.syncRuns.latestSucceeded(tenantId, 'full');
      const last = await stores.syncRuns.latestSucceeded(tenantId);
      let mode: SyncMode;
      if (requested === 'full' || !lastFull || !last) mode = 'full';
      else if (requested === 'incremental') mode = 'incremental';
      else mode = Date.now() - lastFull.startedAt.getTime() >= msToNumber(fullSyncEvery as never) ? 'full' : 'incremental';
      // From the start of the last successful run: changes made while it ran are read again, not missed.
      return { mode, since: mode === 'incremental' && last ? last.startedAt.toISOString() : null };
    },

    async startSyncRun(run: { runId: string; tenantId: string; mode: SyncMode; since: string | null; trigger: string }): Promise<void> {
      await stores.syncRuns.start({ _id: run.runId, tenantId: run.tenantId, mode: run.mode, since: run.since, trigger: run.trigger, startedAt: new Date() });
      const conn = await stores.tenants.getConnection(run.tenantId);
      if (conn?.state === 'connected') await stores.tenants.setConnection(run.tenantId, { state: 'syncing' });
    },

    async syncResource(input: { tenantId: string; runId: string; resource: SyncResource; mode: SyncMode; since: string | null; pageSize: PageLimit }): Promise<Record<string, KindCounts>> {
      const ctx = Context.current();
      // Resume from whichever is further: the last heartbeat or the checkpoint written after each page.
      const fromHeartbeat = ctx.info.heartbeatDetails as SyncHeartbeat | undefined;
      const checkpoint = await stores.syncRuns.getCheckpoint(input.runId, input.resource);
      const resumed: SyncHeartbeat | undefined =
        checkpoint && checkpoint.nextPage > (fromHeartbeat?.nextPage ?? 0) ? { nextPage: checkpoint.nextPage, counts: checkpoint.counts } : fromHeartbeat;
      const counts: Record<string, KindCounts> = resumed?.counts ?? Object.fromEntries(kindsOf[input.resource].map((k) => [k, emptyCounts()]));
      const startPage = resumed?.nextPage ?? 1;
      if (resumed) ctx.log.info('resuming sync from heartbeat', { resource: input.resource, page: startPage });
      const { conn } = await connectionFor(deps, input.tenantId);

      await maesnCall(async () => {
        const pages = conn.listAll(input.resource as ListResource, {
          limit: input.pageSize,
          startPage,
          rawData: true,
          signal: ctx.cancellationSignal,
          ...(input.mode === 'incremental' && input.since ? { lastModifiedAt: input.since } : {}),
        });
        for await (const page of pages) {
          const byKind = new Map<MasterDataKind, MasterDataRecord[]>();
          page.items.forEach((item, i) => {
            const raw = page.raw?.[i];
            const r = toRecord(input.resource, item, raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined);
            if (!r) return;
            const list = byKind.get(r.kind) ?? [];
            list.push(r.record);
            byKind.set(r.kind, list);
          });
          for (const kind of kindsOf[input.resource]) {
            const records = byKind.get(kind) ?? [];
            const c = (counts[kind] ??= emptyCounts());
            c.fetched += records.length;
            c.upserted += await stores.masterData.upsertPage(kind, input.tenantId, input.runId, records);
            c.pages += 1;
          }
          await stores.syncRuns.saveCheckpoint(input.runId, input.resource, page.page + 1, counts);
          ctx.heartbeat({ nextPage: page.page + 1, counts } satisfies SyncHeartbeat);
        }
      });

      if (input.mode === 'full') {
        for (const kind of kindsOf[input.resource]) {
          counts[kind].deactivated = await stores.masterData.markUnseenInactive(kind, input.tenantId, input.runId);
        }
      }
      return counts;
    },

    async finishSyncRun(input: { runId: string; tenantId: string; mode: SyncMode; status: SyncRunStatus; counts: Record<string, KindCounts>; errors: SyncRunDoc['errors']; trigger?: string }): Promise<void> {
      await stores.syncRuns.finish(input.runId, input.status, input.counts, input.errors);
      await stores.syncRuns.dropCheckpoints(input.runId);
      if (input.status === 'succeeded') {
        const conn = await stores.tenants.getConnection(input.tenantId);
        const set: Record<string, unknown> = {};
        if (input.mode === 'full') set.lastFullSyncAt = new Date();
        // During onboarding the workflow itself says `connected`, once the schedule exists too.
        if (conn?.state === 'syncing' && !conn.pendingAuthorization && input.trigger !== 'onboarding') Object.assign(set, { state: 'connected', error: null });
        if (Object.keys(set).length) await stores.tenants.setConnection(input.tenantId, set);
      } else if (input.status === 'failed') {
        await stores.tenants.setConnection(input.tenantId, {
          state: 'error',
          error: { message: `sync failed: ${input.errors.map((e) => `${e.kind}: ${e.message}`).join('; ')}`, at: new Date() },
        });
      }
    },

    /** Checks every mapped code against the synced master data and stores the result on the tenant. */
    async checkMappingHealth({ tenantId }: { tenantId: string }): Promise<{ ok: boolean; issues: number }> {
      const m = await stores.mappings.get(tenantId);
      if (!m) {
        await stores.tenants.setConnection(tenantId, { mappingHealth: { checkedAt: new Date(), ok: true, issues: [] } });
        return { ok: true, issues: 0 };
      }
      const issues = await assessMappings(deps, tenantId, m.mappings);
      if (issues.length) logger.warn({ tenantId, issues: issues.length }, 'mapped master data is no longer usable');
      return { ok: issues.length === 0, issues: issues.length };
    },
  };
}

export const resyncScheduleId = (tenantId: string) => `resync:${tenantId}`;

/**
 * Checks every reference of `mappings` against the synced master data, records the result as the
 * tenant's mapping health (when it has a connection), and returns the problems.
 */
export async function assessMappings(deps: Pick<ActivityDeps, 'stores'>, tenantId: string, mappings: Mappings): Promise<MappingIssue[]> {
  const issues = validateMappings(mappings, createMasterDataLookup(await loadMasterDataFor(deps, tenantId, mappings)));
  if (await deps.stores.tenants.getConnection(tenantId)) {
    await deps.stores.tenants.setConnection(tenantId, { mappingHealth: { checkedAt: new Date(), ok: issues.length === 0, issues: toHealthIssues(issues) } });
  }
  return issues;
}

/** Mapping problems as mapping-health issues: which master-data kind, which code, where it is used. */
export function toHealthIssues(issues: { path: string; value: string; message: string }[]): MappingHealthIssue[] {
  return issues.map((i) => ({ kind: kindOfPath(i.path), code: i.value, usedIn: i.path, reason: i.message }));
}

function kindOfPath(path: string): string {
  if (path.startsWith('categories') || path === 'creditAccount') return 'gl-accounts';
  if (path.startsWith('vatRates')) return 'vat-codes';
  if (path.startsWith('costCenters')) return 'cost-centers';
  if (path.startsWith('costUnits')) return 'cost-units';
  if (path.startsWith('employees') || path.startsWith('merchants')) return 'suppliers';
  if (path === 'journalCode') return 'journals';
  return 'other';
}

/** The master data a mappings document (and optionally extra codes) refers to, loaded by code. */
export async function loadMasterDataFor(
  deps: Pick<ActivityDeps, 'stores'>,
  tenantId: string,
  mappings: Mappings,
  extra: Partial<Record<MasterDataKind, string[]>> = {},
): Promise<MasterData> {
  const md = deps.stores.masterData;
  const uniq = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x).map((x) => x.trim()))];
  const codes: Record<MasterDataKind, string[]> = {
    'gl-accounts': uniq([mappings.creditAccount, ...Object.values(mappings.categories ?? {}).map((c) => c.glAccount), ...(extra['gl-accounts'] ?? [])]),
    journals: uniq([mappings.journalCode, ...(extra.journals ?? [])]),
    'vat-codes': uniq([...Object.values(mappings.vatRates ?? {}), ...(extra['vat-codes'] ?? [])]),
    'cost-centers': uniq([...Object.values(mappings.costCenters ?? {}), ...(extra['cost-centers'] ?? [])]),
    'cost-units': uniq([...Object.values(mappings.costUnits ?? {}), ...(extra['cost-units'] ?? [])]),
    suppliers: uniq([
      ...Object.values(mappings.employees ?? {}).map((e) => e.supplier),
      ...Object.values(mappings.merchants ?? {}),
      ...(extra.suppliers ?? []),
    ]),
  };
  const load = (kind: MasterDataKind) => md.findByCodes(kind, tenantId, codes[kind]);
  const [glAccounts, journals, vatCodes, costCenters, costUnits, suppliers] = await Promise.all(
    (['gl-accounts', 'journals', 'vat-codes', 'cost-centers', 'cost-units', 'suppliers'] as const).map(load),
  );
  const plain = <T>(rs: StoredMasterDataRecord[]) => rs as unknown as T[];
  return {
    glAccounts: plain(glAccounts),
    journals: plain(journals),
    vatCodes: plain(vatCodes),
    costCenters: plain(costCenters),
    costUnits: plain(costUnits),
    suppliers: suppliers.map(toDomainSupplier),
  };
}

/** A stored supplier as the domain sees it (no VAT number is `undefined`, not null). */
export function toDomainSupplier(r: StoredMasterDataRecord): Supplier {
  return { ...(r as unknown as Supplier), vatNumber: (r.vatNumber as string | null | undefined) ?? undefined };
}

export type SyncActivities = ReturnType<typeof createSyncActivities>;
