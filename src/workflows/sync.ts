/**
 * syncMasterData: pulls every master-data resource of one tenant from Maesn into MongoDB.
 * One activity per resource, in parallel; each streams pages and heartbeats its cursor, so only
 * counts travel through history. Started by onboarding (child), by the tenant's schedule and by
 * "sync now".
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { SyncActivities } from '../activities/sync';
import { searchAttributes } from './definitions';

export const syncResources = ['accounts', 'journals', 'taxRates', 'suppliers', 'dimensions'] as const;
export type SyncResource = (typeof syncResources)[number];

export interface SyncMasterDataInput {
  tenantId: string;
  /** `auto`: full when no full sync ran within `fullSyncEvery`, else incremental from the last success. */
  mode?: 'auto' | 'full' | 'incremental';
  trigger?: 'onboarding' | 'schedule' | 'manual';
  /** How often `auto` does a full sync (which also marks vanished records inactive). */
  fullSyncEvery?: Duration;
  /** Maesn page size: 5, 10, 20, 50 or 100. */
  pageSize?: 5 | 10 | 20 | 50 | 100;
  /** Heartbeat timeout of the per-resource activities (a crashed worker is noticed after this). */
  heartbeatTimeout?: Duration;
}

export interface SyncMasterDataResult {
  status: 'succeeded' | 'needs_reauthorization';
  runId: string;
  mode: 'full' | 'incremental';
  counts: Record<string, { fetched: number; upserted: number; deactivated: number; pages: number }>;
  mappingHealthOk?: boolean;
}

const control = proxyActivities<SyncActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

export async function syncMasterData(input: SyncMasterDataInput): Promise<SyncMasterDataResult> {
  const { tenantId } = input;
  // The workflow ID is the business key (sync:<tenant>:<trigger>…); the run ID names this run's records.
  const runId = workflowInfo().runId;
  upsertSearchAttributes([{ key: searchAttributes.tenantId, value: tenantId }]);

  const plan = await control.planSync({ tenantId, requested: input.mode ?? 'auto', fullSyncEvery: input.fullSyncEvery ?? '24h' });
  await control.startSyncRun({ runId, tenantId, mode: plan.mode, since: plan.since, trigger: input.trigger ?? 'manual' });

  const pull = proxyActivities<SyncActivities>({
    // A large administration (100k suppliers) takes a while at Exact's 60 calls a minute.
    startToCloseTimeout: '6 hours',
    heartbeatTimeout: input.heartbeatTimeout ?? '30s',
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      maximumAttempts: 20,
      nonRetryableErrorTypes: ['MaesnUnauthorizedError', 'MaesnInvalidRequestError', 'MaesnNotFoundError', 'MaesnResponseFormatError', 'NotConnected'],
    },
  });
  const results = await Promise.allSettled(
    syncResources.map((resource) =>
      pull.syncResource({ tenantId, runId, resource, mode: plan.mode, since: plan.since, pageSize: input.pageSize ?? 100 }),
    ),
  );

  const counts: SyncMasterDataResult['counts'] = {};
  const errors: { kind?: string; message: string }[] = [];
  let unauthorized: string | undefined;
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') Object.assign(counts, r.value);
    else {
      const cause = r.reason instanceof ActivityFailure ? r.reason.cause : r.reason;
      const message = cause instanceof Error ? cause.message : String(cause);
      if (cause instanceof ApplicationFailure && (cause.type === 'MaesnUnauthorizedError' || cause.type === 'NotConnected')) unauthorized = message;
      errors.push({ kind: syncResources[i], message });
    }
  });

  if (unauthorized !== undefined) {
    await control.finishSyncRun({ runId, tenantId, mode: plan.mode, status: 'needs_reauthorization', counts, errors });
    await control.markNeedsReauthorization({ tenantId, message: unauthorized });
    return { status: 'needs_reauthorization', runId, mode: plan.mode, counts };
  }
  if (errors.length) {
    await control.finishSyncRun({ runId, tenantId, mode: plan.mode, status: 'failed', counts, errors, trigger: input.trigger });
    throw ApplicationFailure.nonRetryable(
      `sync of ${errors.map((e) => e.kind).join(', ')} failed: ${errors.map((e) => e.message).join('; ')}`,
      'SyncFailed',
    );
  }
  // Health first: a finished run always comes with up-to-date mapping health.
  const health = await control.checkMappingHealth({ tenantId });
  await control.finishSyncRun({ runId, tenantId, mode: plan.mode, status: 'succeeded', counts, errors, trigger: input.trigger });
  return { status: 'succeeded', runId, mode: plan.mode, counts, mappingHealthOk: health.ok };
}
