/**
 * Master-data sync activities. `syncResource` streams one Maesn resource page by page into
 * MongoDB (bulk upserts), heartbeating its page cursor; after a crash the retry resumes at the
 * page after the last heartbeat. Only counts are returned to the workflow.
 */
import { Context } from '@temporalio/activity';
import { msToNumber } from '@temporalio/common/lib/time';
import {
  callsOfRun,
  kindDefinition,
  kindsOfResource,
  planSyncMode,
  syncResources,
  type CallPriority,
  type FinancialPeriodSource,
  type MasterDataKind,
  type MasterDataRecord,
  type RawRecord,
  type SyncTrigger,
} from '../domain';
import { exactFinancialPeriodSchema, exactJournalStatusSchema, type ListResource, type MaesnConnection, type PageLimit } from '../maesn';
import { assessMappings, pauseResync, wakeExports } from '../services';
import { mappingFixedSignal } from '../workflows/definitions';
import type { KindCounts, SyncMode, SyncRunDoc, SyncRunStatus } from '../store';
import { assertSameAccountKey, connectionFor, maesnCall, type ActivityDeps } from './common';
import { SyncWriterLease } from './sync-writer-lease';

// Every resource of the kinds registry is a Maesn list resource (checked by test/unit/master-data-kinds.test.ts).
const asListResource = (resource: string) => resource as ListResource;

/** A Maesn item (+ Exact's raw record) as the record of the first kind of `resource` that takes it. */
function toRecord(resource: string, item: unknown, raw: RawRecord): { kind: MasterDataKind; record: MasterDataRecord } | null {
  for (const kind of kindsOfResource(resource)) {
    const record = kindDefinition(kind).toRecord(item, raw);
    if (record) return { kind, record };
  }
  return null;
}

/** True when the resource's kinds are read through passThrough rather than a Maesn list resource. */
const isPassThroughResource = (resource: string) => kindsOfResource(resource).some((k) => kindDefinition(k).passThrough);

/**
 * Exact's FinancialPeriods, each with the journals JournalStatusList says it is closed for (only
 * closed rows are asked for). The registry names the two endpoints; this is how they combine.
 */
async function readPassThroughKind(conn: MaesnConnection, kind: MasterDataKind, signal: AbortSignal): Promise<FinancialPeriodSource[]> {
  const [periodsPath, statusPath] = kindDefinition(kind).passThrough ?? [];
  if (kind !== 'financial-periods' || !periodsPath || !statusPath) throw new Error(`no passThrough reader for ${kind}`);
  const periods = await conn.passThroughList(periodsPath, exactFinancialPeriodSchema, { signal });
  const closed = await conn.passThroughList(statusPath, exactJournalStatusSchema, { signal, query: { $filter: 'Status eq 1' } });
  const closedBy = new Map<string, string[]>();
  for (const c of closed) {
    if (c.Status !== 1) continue;
    const key = `${c.Year}/${c.Period}`;
    closedBy.set(key, [...(closedBy.get(key) ?? []), c.Journal.trim()]);
  }
  return periods.map((p) => ({ FinYear: p.FinYear, FinPeriod: p.FinPeriod, StartDate: p.StartDate, EndDate: p.EndDate, Modified: p.Modified ?? null, closedJournals: closedBy.get(`${p.FinYear}/${p.FinPeriod}`) ?? [] }));
}


/** An admin waits for onboarding and "sync now"; scheduled runs can wait for the exports. */
export function syncPriority(trigger: SyncTrigger | undefined): CallPriority {
  return trigger === 'schedule' ? 'scheduled' : 'sync-now';
}

const emptyCounts = (): KindCounts => ({ fetched: 0, upserted: 0, unchanged: 0, deactivated: 0, pages: 0 });

export interface SyncHeartbeat {
  nextPage: number;
  counts: Record<string, KindCounts>;
}

export function createSyncActivities(deps: ActivityDeps) {
  const { stores, logger } = deps;

  async function markNeedsReauthorization({ tenantId, message }: { tenantId: string; message: string }): Promise<void> {
    // Access (issue 10): a sync stopped by a disconnect leaves the tenant disconnected.
    const before = (await stores.tenants.getConnection(tenantId))?.state;
    if (before === 'disconnected') return;
    await stores.tenants.setConnection(tenantId, { state: 'needs_reauthorization', error: { message, at: new Date() } });
    if (before !== 'needs_reauthorization') await stores.webhooks.record({ type: 'connection.needs_reauthorization', tenantId, objectId: tenantId, data: { message } });
    // No point in hourly failures until the admin reconnects; onboarding unpauses it.
    if (!(await pauseResync(deps.temporal, tenantId, 'Maesn connection needs reauthorization'))) logger.debug({ tenantId }, 'no resync schedule to pause');
    logger.warn({ tenantId }, 'connection needs reauthorization');
  }

  /** Waits (heartbeating) until no other sync of the tenant writes the resource (sync-writer-lease.ts). */
  async function takeWriterLease(input: { tenantId: string; runId: string; resource: string }, heartbeat: () => void = () => Context.current().heartbeat()): Promise<SyncWriterLease> {
    const ctx = Context.current();
    let logged = false;
    return SyncWriterLease.take(stores.leases, input.tenantId, input.resource, input.runId, {
      onWait: (holder) => {
        heartbeat();
        if (!logged) ctx.log.info('another sync of this tenant is writing the resource: waiting for it', { resource: input.resource, holder });
        logged = true;
      },
      sleep: (ms) => ctx.sleep(ms),
    });
  }

  /**
   * A kind read through Maesn's passThrough (financial periods with their closed status per
   * journal): small tables, read whole on every run, so every run is a full one for them. Paced by
   * the division's governor at the run's priority like every other sync call; the POST that carries
   * the passThrough is a read (retried as one, never an unknown write outcome).
   */
  async function syncPassThrough(input: { tenantId: string; runId: string; resource: string; trigger?: SyncTrigger }): Promise<Record<string, KindCounts>> {
    const ctx = Context.current();
    const kind = kindsOfResource(input.resource)[0];
    const counts: KindCounts = emptyCounts();
    const { conn, keyId } = await connectionFor(deps, input.tenantId, { priority: syncPriority(input.trigger), heartbeat: () => ctx.heartbeat() });
    const items = await maesnCall(() => readPassThroughKind(conn, kind, ctx.cancellationSignal));
    // Access (issue 10): a disconnect while it read stops it before anything is written.
    await assertSameAccountKey(deps, input.tenantId, keyId);
    const records = items.flatMap((item) => kindDefinition(kind).toRecord(item, undefined) ?? []);
    const writer = stores.masterData.syncWriter(kind, input.tenantId, input.runId, { full: true });
    const lease = await takeWriterLease(input);
    const t0 = Date.now();
    let w: { written: number; unchanged: number };
    try {
      await writer.open();
      await lease.check();
      w = await writer.writePage(1, records);
      counts.deactivated = await writer.close({ deactivateUnseen: true });
    } finally {
      await lease.release();
    }
    // pages = the passThrough reads (one per endpoint at these sizes): what the run cost in calls (callsOfRun).
    const pages = kindDefinition(kind).passThrough?.length ?? 1;
    Object.assign(counts, { fetched: records.length, upserted: w.written, unchanged: w.unchanged, pages, dbMs: Date.now() - t0 });
    return { [kind]: counts };
  }

  return {
    markNeedsReauthorization,

    /** Decides full, incremental or (a scheduled run when the day's calls run low) skip, and from when. */
    async planSync({ tenantId, requested, fullSyncEvery, trigger }: { tenantId: string; requested: 'auto' | 'full' | 'incremental'; fullSyncEvery: string; trigger?: SyncTrigger }): Promise<{ mode: SyncMode | 'skip'; since: string | null; reason: string }> {
      const conn = await stores.tenants.getConnection(tenantId);
      // Runs of a previous division say nothing about this one: after a switch, the first sync is full.
      const lastFull = await stores.syncRuns.latestSucceeded(tenantId, 'full', conn?.divisionSince);
      const last = await stores.syncRuns.latestSucceeded(tenantId, undefined, conn?.divisionSince);
      const budget = conn?.division ? await stores.callBudget.view(conn.division) : null;
      const plan = planSyncMode({
        requested,
        trigger: trigger ?? 'manual',
        now: Date.now(),
        fullSyncEveryMs: msToNumber(fullSyncEvery as never),
        lastFull: lastFull ? { startedAt: lastFull.startedAt.getTime(), calls: callsOfRun(lastFull.counts) } : null,
        lastSuccessAt: last?.startedAt.getTime() ?? null,
        resources: syncResources.length,
        day: budget ? { limit: budget.day.limit, used: budget.day.used } : { limit: deps.config.callLimits.perDay, used: 0 },
      });
      if (plan.mode !== 'full') logger.info({ tenantId, mode: plan.mode, reason: plan.reason, fullSyncIntervalHours: Math.round(plan.fullSyncIntervalMs / 36e5) }, 'sync planned');
      // From the start of the last successful run: changes made while it ran are read again, not missed.
      return { mode: plan.mode, since: plan.mode === 'incremental' && last ? last.startedAt.toISOString() : null, reason: plan.reason };
    },

    async startSyncRun(run: { runId: string; tenantId: string; mode: SyncMode; since: string | null; trigger: string }): Promise<void> {
      await stores.syncRuns.start({ _id: run.runId, tenantId: run.tenantId, mode: run.mode, since: run.since, trigger: run.trigger, startedAt: new Date() });
      const conn = await stores.tenants.getConnection(run.tenantId);
      if (conn?.state === 'connected') await stores.tenants.setConnection(run.tenantId, { state: 'syncing' });
    },

    async syncResource(input: { tenantId: string; runId: string; resource: string; mode: SyncMode; since: string | null; pageSize: PageLimit; trigger?: SyncTrigger }): Promise<Record<string, KindCounts>> {
      if (isPassThroughResource(input.resource)) return syncPassThrough(input);
      const ctx = Context.current();
      // Resume from whichever is further: the last heartbeat or the checkpoint written after each page.
      const fromHeartbeat = ctx.info.heartbeatDetails as SyncHeartbeat | undefined;
      const checkpoint = await stores.syncRuns.getCheckpoint(input.runId, input.resource);
      const resumed: SyncHeartbeat | undefined =
        checkpoint && checkpoint.nextPage > (fromHeartbeat?.nextPage ?? 0) ? { nextPage: checkpoint.nextPage, counts: checkpoint.counts } : fromHeartbeat;
      const counts: Record<string, KindCounts> = resumed?.counts ?? Object.fromEntries(kindsOfResource(input.resource).map((k) => [k, emptyCounts()]));
      const startPage = resumed?.nextPage ?? 1;
      if (resumed) ctx.log.info('resuming sync from heartbeat', { resource: input.resource, page: startPage });
      // Waiting for the call budget heartbeats the cursor reached so far.
      let progress: SyncHeartbeat = { nextPage: startPage, counts };
      // One writer per tenant and resource: another sync of the tenant writing it is waited for.
      const lease = await takeWriterLease(input, () => ctx.heartbeat(progress));
      try {
        const { conn, keyId } = await connectionFor(deps, input.tenantId, { priority: syncPriority(input.trigger), heartbeat: () => ctx.heartbeat(progress) });

        const full = input.mode === 'full';
        const writers = new Map(kindsOfResource(input.resource).map((k) => [k, stores.masterData.syncWriter(k, input.tenantId, input.runId, { full })]));
        for (const [kind, w] of writers) {
          const t0 = Date.now();
          await w.open();
          counts[kind] ??= emptyCounts();
          counts[kind].dbMs = (counts[kind].dbMs ?? 0) + (Date.now() - t0);
        }

        await maesnCall(async () => {
          const pages = conn.listAll(asListResource(input.resource), {
            limit: input.pageSize,
            startPage,
            rawData: true,
            signal: ctx.cancellationSignal,
            ...(input.mode === 'incremental' && input.since ? { lastModifiedAt: input.since } : {}),
          });
          for await (const page of pages) {
            // Access (issue 10): a disconnect during the sync stops it before the next request with the old key.
            await assertSameAccountKey(deps, input.tenantId, keyId);
            await lease.check();
            const byKind = new Map<MasterDataKind, MasterDataRecord[]>();
            page.items.forEach((item, i) => {
              const raw = page.raw?.[i];
              const r = toRecord(input.resource, item, raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined);
              if (!r) return;
              const list = byKind.get(r.kind) ?? [];
              list.push(r.record);
              byKind.set(r.kind, list);
            });
            for (const kind of kindsOfResource(input.resource)) {
              const records = byKind.get(kind) ?? [];
              const c = (counts[kind] ??= emptyCounts());
              c.fetched += records.length;
              const t0 = Date.now();
              const w = await writers.get(kind)!.writePage(page.page, records);
              c.dbMs = (c.dbMs ?? 0) + (Date.now() - t0);
              c.upserted += w.written;
              c.unchanged = (c.unchanged ?? 0) + w.unchanged;
              c.pages += 1;
            }
            await stores.syncRuns.saveCheckpoint(input.runId, input.resource, page.page + 1, counts);
            progress = { nextPage: page.page + 1, counts };
            ctx.heartbeat(progress);
          }
        });

        // Every page was read: a full sync now knows what vanished from Exact.
        await lease.check();
        for (const [kind, w] of writers) {
          const t0 = Date.now();
          const deactivated = await w.close({ deactivateUnseen: full });
          counts[kind].dbMs = (counts[kind].dbMs ?? 0) + (Date.now() - t0);
          if (full) counts[kind].deactivated = deactivated;
        }
        return counts;
      } finally {
        await lease.release();
      }
    },

    async finishSyncRun(input: { runId: string; tenantId: string; mode: SyncMode; status: SyncRunStatus; counts: Record<string, KindCounts>; errors: SyncRunDoc['errors']; trigger?: string }): Promise<void> {
      await stores.syncRuns.finish(input.runId, input.status, input.counts, input.errors);
      await stores.syncRuns.dropCheckpoints(input.runId);
      await stores.masterData.dropSeen(input.runId);
      if (input.status === 'succeeded') {
        const conn = await stores.tenants.getConnection(input.tenantId);
        const set: Record<string, unknown> = {};
        if (input.mode === 'full') set.lastFullSyncAt = new Date();
        // During onboarding the workflow itself says `connected`, once the schedule exists too.
        if (conn?.state === 'syncing' && !conn.pendingAuthorization && input.trigger !== 'onboarding') Object.assign(set, { state: 'connected', error: null });
        if (Object.keys(set).length) await stores.tenants.setConnection(input.tenantId, set);
        // Exports that waited for the administration's financial periods validate again now that a sync brought them.
        if ((input.counts['financial-periods']?.fetched ?? 0) > 0) {
          const woken = await wakeExports(deps, input.tenantId, ['waiting_for_mappings'], mappingFixedSignal, { missingReason: 'periods_not_synced' });
          if (woken) logger.info({ tenantId: input.tenantId, exports: woken }, 'financial periods synced: waiting exports validate again');
        }
      } else if (input.status === 'failed') {
        await stores.tenants.setConnection(input.tenantId, {
          state: 'error',
          error: { message: `sync failed: ${input.errors.map((e) => `${e.kind}: ${e.message}`).join('; ')}`, at: new Date() },
        });
        await stores.webhooks.record({ type: 'sync.failed', tenantId: input.tenantId, objectId: input.runId, data: { errors: input.errors.map((e) => ({ ...(e.kind ? { kind: e.kind } : {}), message: e.message })) } });
      }
    },

    /** Checks every mapped code against the synced master data and stores the result on the tenant. */
    async checkMappingHealth({ tenantId }: { tenantId: string }): Promise<{ ok: boolean; issues: number }> {
      const m = await stores.mappings.get(tenantId);
      if (!m) {
        await stores.tenants.setConnection(tenantId, { mappingHealth: { checkedAt: new Date(), ok: true, issues: [] } });
        return { ok: true, issues: 0 };
      }
      const issues = await assessMappings(stores, tenantId, m.mappings);
      if (issues.length) logger.warn({ tenantId, issues: issues.length }, 'mapped master data is no longer usable');
      return { ok: issues.length === 0, issues: issues.length };
    },
  };
}

export type SyncActivities = ReturnType<typeof createSyncActivities>;
