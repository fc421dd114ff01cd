/**
 * syncMasterData: pulls every master-data resource of one tenant from Maesn into MongoDB.
 * One activity per resource, in parallel; each streams pages and heartbeats its cursor, so only
 * counts travel through history. Started by onboarding (child), by the tenant's schedule and by
 * "sync now".
 */
import { ApplicationFailure, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { SyncActivities } from '../activities/sync';
import type { SyncTrigger } from '../domain';
// From its own module, not the domain's index: the index brings the zod schemas into the workflow
// bundle, and every new workflow run evaluates the bundle's modules again (measured: about a
// third of the workflow thread's time in an export burst went to building zod schemas).
import { syncResources } from '../domain/master-data-kinds';
import { searchAttributes, type SyncMasterDataResult } from './definitions';
import { FailureType, REAUTHORIZATION_FAILURES, activityProfiles, failureOf } from './failures';

export type { SyncMasterDataResult } from './definitions';

export interface SyncMasterDataInput {
  tenantId: string;
  /** `auto`: full when no full sync ran within `fullSyncEvery`, else incremental from the last success. */
  mode?: 'auto' | 'full' | 'incremental';
  trigger?: SyncTrigger;
  /** Only these Maesn resources (a Maesn webhook said they changed); default: every one. */
  resources?: string[];
  /** How often `auto` does a full sync (which also marks vanished records inactive). */
  fullSyncEvery?: Duration;
  /** Maesn page size: 5, 10, 20, 50 or 100. */
  pageSize?: 5 | 10 | 20 | 50 | 100;
  /** Heartbeat timeout of the per-resource activities (a crashed worker is noticed after this). */
  heartbeatTimeout?: Duration;
}

const control = proxyActivities<SyncActivities>(activityProfiles.bookkeeping);

export async function syncMasterData(input: SyncMasterDataInput): Promise<SyncMasterDataResult> {
  const { tenantId } = input;
  // The workflow ID is the business key (sync:<tenant>:<trigger>…); the run ID names this run's records.
  const runId = workflowInfo().runId;
  upsertSearchAttributes([{ key: searchAttributes.tenantId, value: tenantId }]);

  const plan = await control.planSync({ tenantId, requested: input.mode ?? 'auto', fullSyncEvery: input.fullSyncEvery ?? '24h', trigger: input.trigger ?? 'manual' });
  if (plan.mode === 'skip') {
    // A scheduled run when the day's Exact calls run low: recorded, nothing read.
    await control.startSyncRun({ runId, tenantId, mode: 'incremental', since: null, trigger: input.trigger ?? 'manual' });
    await control.finishSyncRun({ runId, tenantId, mode: 'incremental', status: 'skipped', counts: {}, errors: [{ message: plan.reason }], trigger: input.trigger });
    return { status: 'skipped', runId, mode: 'incremental', counts: {} };
  }
  const mode = plan.mode;
  await control.startSyncRun({ runId, tenantId, mode, since: plan.since, trigger: input.trigger ?? 'manual' });

  const pull = proxyActivities<SyncActivities>({ ...activityProfiles.masterDataPull, heartbeatTimeout: input.heartbeatTimeout ?? activityProfiles.masterDataPull.heartbeatTimeout });
  const resources = input.resources?.length ? syncResources.filter((r) => input.resources!.includes(r)) : syncResources;
  const results = await Promise.allSettled(
    resources.map((resource) =>
      pull.syncResource({ tenantId, runId, resource, mode, since: plan.since, pageSize: input.pageSize ?? 100, trigger: input.trigger ?? 'manual' }),
    ),
  );

  const counts: SyncMasterDataResult['counts'] = {};
  const errors: { kind?: string; message: string }[] = [];
  let unauthorized: string | undefined;
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') Object.assign(counts, r.value);
    else {
      const f = failureOf(r.reason);
      if (f.type && REAUTHORIZATION_FAILURES.includes(f.type)) unauthorized = f.message;
      errors.push({ kind: resources[i], message: f.message });
    }
  });

  if (unauthorized !== undefined) {
    await control.finishSyncRun({ runId, tenantId, mode, status: 'needs_reauthorization', counts, errors });
    await control.markNeedsReauthorization({ tenantId, message: unauthorized });
    return { status: 'needs_reauthorization', runId, mode, counts };
  }
  if (errors.length) {
    await control.finishSyncRun({ runId, tenantId, mode, status: 'failed', counts, errors, trigger: input.trigger });
    throw ApplicationFailure.nonRetryable(
      `sync of ${errors.map((e) => e.kind).join(', ')} failed: ${errors.map((e) => e.message).join('; ')}`,
      FailureType.syncFailed,
    );
  }
  // Health first: a finished run always comes with up-to-date mapping health.
  const health = await control.checkMappingHealth({ tenantId });
  await control.finishSyncRun({ runId, tenantId, mode, status: 'succeeded', counts, errors, trigger: input.trigger });
  return { status: 'succeeded', runId, mode, counts, mappingHealthOk: health.ok };
}
