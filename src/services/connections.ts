/**
 * A tenant's Exact connection on the Temporal side: starting onboarding (connect), the resync
 * schedule (create/update, pause, next run, delete), "sync now", and disconnecting.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { createHash } from 'node:crypto';
import { authorizationUrlUpdate, divisionDecisionSignal, retrySignal, scheduleIds, searchAttributes, workflowIds, type DivisionDecision } from '../workflows/definitions';
import { FailureType, failureOf } from '../workflows/failures';
import { onboardTenant, type OnboardTenantInput } from '../workflows/onboarding';
import { syncMasterData, type SyncMasterDataInput } from '../workflows/sync';
import type { ServiceDeps } from './deps';
import { ServiceError } from './errors';
import { wakeExports } from './exports';

/** Starts (or joins) the tenant's onboarding and returns the hosted authorization link. */
export async function connectTenant(deps: ServiceDeps, tenantId: string): Promise<{ authorizationUrl: string; workflowId: string }> {
  const { config, temporal } = deps;
  const workflowId = workflowIds.onboarding(tenantId);
  const input: OnboardTenantInput = {
    tenantId,
    authorizationTimeout: config.onboarding.authorizationTimeout as never,
    resyncInterval: config.onboarding.resyncInterval as never,
    fullSyncEvery: config.onboarding.fullSyncEvery as never,
  };
  const start = new WithStartWorkflowOperation(onboardTenant, {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: searchAttributes.tenantId, value: tenantId },
      { key: searchAttributes.onboardingStatus, value: 'creating_link' },
    ],
  });
  try {
    const r = await temporal.workflow.executeUpdateWithStart(authorizationUrlUpdate, { startWorkflowOperation: start });
    return { authorizationUrl: r.authorizationUrl, workflowId };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && failureOf(err.cause).type === FailureType.notAwaitingAuthorization) {
      throw new ServiceError('conflict', 'onboarding_in_progress', `${failureOf(err.cause).message}; wait for it to finish`);
    }
    throw err;
  }
}

/**
 * Where in each interval a tenant's resync runs (ms, whole seconds): a point fixed by its ID. An
 * interval schedule without an offset fires at whole multiples of the interval since the epoch, so
 * every tenant's hourly sync would start on the hour, together. Spread this way, their syncs (and
 * the load they put on the worker, the database and Maesn) are spread over the hour, and one
 * tenant's syncs stay exactly one interval apart.
 */
export function resyncOffsetMs(tenantId: string, interval: Duration): number {
  const seconds = Math.max(1, Math.floor(msToNumber(interval) / 1000));
  return (createHash('sha256').update(tenantId).digest().readUInt32BE(0) % seconds) * 1000;
}

/** Creates the tenant's resync schedule, or updates and unpauses the existing one. */
export async function upsertResyncSchedule(temporal: Client, taskQueue: string, tenantId: string, opts: { interval: Duration; fullSyncEvery: Duration }): Promise<{ scheduleId: string }> {
  const scheduleId = scheduleIds.resync(tenantId);
  const input: SyncMasterDataInput = { tenantId, mode: 'auto', trigger: 'schedule', fullSyncEvery: opts.fullSyncEvery };
  const action = { type: 'startWorkflow' as const, workflowType: syncMasterData, workflowId: workflowIds.scheduledSync(tenantId), taskQueue, args: [input] as [SyncMasterDataInput] };
  const spec = { intervals: [{ every: opts.interval, offset: resyncOffsetMs(tenantId, opts.interval) }] };
  try {
    await temporal.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      memo: { tenantId },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // One update that also unpauses: a separate unpause could be overtaken by the update
    // carrying the old paused state.
    await temporal.schedule.getHandle(scheduleId).update((prev) => ({
      ...prev,
      spec,
      action,
      state: { ...prev.state, paused: false, note: 'connection restored' },
    }));
  }
  return { scheduleId };
}

/** Pauses the resync schedule (no point in failing every hour until the admin reconnects). False when there is none. */
export async function pauseResync(temporal: Client, tenantId: string, note: string): Promise<boolean> {
  try {
    await temporal.schedule.getHandle(scheduleIds.resync(tenantId)).pause(note);
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

/** When the resync schedule runs next (null when paused or absent). */
export async function nextResyncAt(temporal: Client, tenantId: string): Promise<Date | null> {
  try {
    const d = await temporal.schedule.getHandle(scheduleIds.resync(tenantId)).describe();
    const next = d.info.nextActionTimes[0];
    return next && !d.state.paused ? next : null;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

/** "Sync now": starts a manual sync, or joins the one that runs. */
export async function startManualSync(deps: ServiceDeps, tenantId: string, mode: 'auto' | 'full' | 'incremental'): Promise<{ workflowId: string; runId: string }> {
  const input: SyncMasterDataInput = { tenantId, mode, trigger: 'manual', fullSyncEvery: deps.config.onboarding.fullSyncEvery as never };
  const handle = await deps.temporal.workflow.start(syncMasterData, {
    workflowId: workflowIds.manualSync(tenantId),
    taskQueue: deps.config.temporal.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: searchAttributes.tenantId, value: tenantId }],
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
}

/**
 * Disconnect: ends a pending onboarding, deletes the schedule, stops running syncs, and deletes
 * the account key (and a division change waiting for confirmation); sync history stays. Exports
 * that wait find no key afterwards and wait for a reconnect.
 */
export async function disconnectTenant(deps: ServiceDeps, tenantId: string): Promise<{ stoppedSyncs: number }> {
  const { temporal, stores } = deps;
  await terminateIfRunning(temporal, workflowIds.onboarding(tenantId), 'tenant disconnected');
  try {
    await temporal.schedule.getHandle(scheduleIds.resync(tenantId)).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  // The key goes first: a sync activity that starts from now on finds none.
  await stores.tenants.setConnection(tenantId, { state: 'disconnected', pendingAuthorization: null, divisionChange: null, error: null }, ['accountKey']);
  await stores.tenants.deletePendingCredentials(tenantId);
  // Maesn's change events for this tenant no longer verify (the subscriptions at Maesn expire).
  await stores.maesnSubscriptions.deleteAllOf(tenantId);
  const stoppedSyncs = await stopRunningSyncs(temporal, tenantId);
  deps.logger.info({ tenantId, stoppedSyncs }, 'tenant disconnected from Exact Online');
  return { stoppedSyncs };
}

async function terminateIfRunning(temporal: Client, workflowId: string, reason: string): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(workflowId).terminate(reason);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** Terminates the tenant's running syncs (manual, scheduled); their activities are cancelled at the next heartbeat. */
async function stopRunningSyncs(temporal: Client, tenantId: string): Promise<number> {
  const ids = new Set<string>();
  // Tenant IDs are letters, digits, `_ . -` (checked at the API), so they are safe inside the query.
  const query = `${searchAttributes.tenantId.name} = '${tenantId}' AND WorkflowType = '${syncMasterData.name}' AND ExecutionStatus = 'Running'`;
  for await (const wf of temporal.workflow.list({ query })) ids.add(wf.workflowId);
  // Visibility lags a little behind: the manual sync's ID is known without it.
  ids.add(workflowIds.manualSync(tenantId));
  const results = await Promise.all([...ids].map((id) => terminateIfRunning(temporal, id, 'tenant disconnected')));
  return results.filter(Boolean).length;
}

/**
 * An admin's answer to a switch of division (reconnect to another division than the tenant had):
 * `confirm` names the division the admin saw, so a confirmation never applies to another change.
 */
export async function decideDivisionChange(deps: ServiceDeps, tenantId: string, decision: DivisionDecision['decision'], division?: string): Promise<{ division: string; previousDivision: string }> {
  const change = (await deps.stores.tenants.getConnection(tenantId))?.divisionChange;
  if (!change) throw new ServiceError('conflict', 'no_division_change', 'no change of division is waiting for confirmation');
  if (division !== undefined && division !== change.division) {
    throw new ServiceError('conflict', 'division_mismatch', `the change waiting for confirmation is to division ${change.division}, not ${division}`, [{ path: 'body.division', message: `expected ${change.division}` }]);
  }
  try {
    await deps.temporal.workflow.getHandle(workflowIds.onboarding(tenantId)).signal(divisionDecisionSignal, { decision, division: change.division });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    // The reconnect ended without the decision: a rejection can still drop the waiting credential.
    if (decision === 'confirm') throw new ServiceError('conflict', 'onboarding_ended', 'the reconnect this change belongs to has ended; connect again');
    await deps.stores.tenants.setConnection(tenantId, { divisionChange: null });
    await wakeExports(deps, tenantId, ['waiting_for_reauthorization'], retrySignal);
  }
  deps.logger.info({ tenantId, decision, from: change.previousDivision, to: change.division }, 'division change decided');
  return { division: change.division, previousDivision: change.previousDivision };
}
