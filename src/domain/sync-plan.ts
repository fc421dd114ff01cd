/**
 * Which kind of master-data sync to run, given what syncs cost in Exact calls and what is left of
 * the division's day (the call budget, see call-budget.ts).
 *
 * Call costs: a full sync reads every page of every resource (one call per page of 100 records,
 * at least one per resource); an incremental sync reads only records changed since the last
 * successful run (at least one call per resource, one more per 100 changes). So a full sync of an
 * administration with 100,000 suppliers and 5,000 GL accounts costs about 1,055 of the day's
 * 5,000 calls, an incremental one usually 5.
 *
 * Full syncs (the only way to notice records deleted in Exact) therefore come at least
 * `fullSyncEvery` apart, and further apart when they are expensive: scheduled full syncs may use
 * at most `fullSyncDayShare` of the day's calls on average (a 1,055-call full sync with 5,000
 * calls a day and a 20 % share: every 1.06 days). A scheduled run also steps down when the day is
 * running out: a full sync that would leave less than the scheduled syncs' reserve becomes
 * incremental, and a run that cannot even afford that is skipped. An admin's "sync now" and the
 * onboarding sync run as asked (the call governor still paces them).
 *
 * Pure and deterministic (times are passed in).
 */
import { DAY_MS, DEFAULT_CALL_BUDGET_POLICY, type CallBudgetPolicy } from './call-budget';
import { kindsOfResource, syncResources } from './master-data-kinds';

/** The Maesn resources a sync reads: each costs at least one call. */
export const MIN_CALLS_PER_RESOURCE = 1;

/** What started a sync: onboarding, the schedule, a person, or a Maesn change event. */
export type SyncTrigger = 'onboarding' | 'schedule' | 'manual' | 'webhook';

export interface SyncPlanInput {
  requested: 'auto' | 'full' | 'incremental';
  trigger: SyncTrigger;
  now: number;
  /** Configured minimum interval of full syncs (ms). */
  fullSyncEveryMs: number;
  /** The last successful full sync: when it started and how many calls it made (pages read). */
  lastFull: { startedAt: number; calls: number } | null;
  /** The last successful sync of any kind. */
  lastSuccessAt: number | null;
  /** How many Maesn resources a sync reads. */
  resources: number;
  /** The division's day: its limit and what is used. */
  day: { limit: number; used: number };
  /** Share of the day's calls scheduled full syncs may use on average. */
  fullSyncDayShare?: number;
  policy?: CallBudgetPolicy;
}

export interface SyncPlan {
  mode: 'full' | 'incremental' | 'skip';
  /** Why, in words for the run's record and the logs. */
  reason: string;
  /** The interval of full syncs the cost and budget allow (ms). */
  fullSyncIntervalMs: number;
  /** Estimated calls of the run. */
  estimatedCalls: number;
}

export const DEFAULT_FULL_SYNC_DAY_SHARE = 0.2;

/** Calls a full sync will make: what the last one made, or one per resource when none ran yet. */
export function fullSyncCalls(input: Pick<SyncPlanInput, 'lastFull' | 'resources'>): number {
  return Math.max(input.lastFull?.calls ?? 0, input.resources * MIN_CALLS_PER_RESOURCE);
}

export function planSyncMode(input: SyncPlanInput): SyncPlan {
  const policy = input.policy ?? DEFAULT_CALL_BUDGET_POLICY;
  const share = input.fullSyncDayShare ?? DEFAULT_FULL_SYNC_DAY_SHARE;
  const fullCalls = fullSyncCalls(input);
  const incrementalCalls = input.resources * MIN_CALLS_PER_RESOURCE;
  const intervalMs = Math.max(input.fullSyncEveryMs, Math.ceil((fullCalls / Math.max(1, input.day.limit * share)) * DAY_MS));
  const plan = (mode: SyncPlan['mode'], reason: string): SyncPlan => ({ mode, reason, fullSyncIntervalMs: intervalMs, estimatedCalls: mode === 'full' ? fullCalls : mode === 'incremental' ? incrementalCalls : 0 });

  if (!input.lastFull || input.lastSuccessAt === null) return plan('full', 'no full sync yet');
  if (input.requested === 'full') return plan('full', 'asked for');
  if (input.requested === 'incremental') return plan('incremental', 'asked for');

  const due = input.now - input.lastFull.startedAt >= intervalMs;
  if (input.trigger !== 'schedule') return plan(due ? 'full' : 'incremental', due ? 'full sync due' : 'full sync not due');

  // A scheduled run keeps the day's reserve for exports and "sync now".
  const floor = Math.ceil(input.day.limit * policy.dayReserve.scheduled);
  const left = input.day.limit - input.day.used;
  if (due && left - fullCalls >= floor) return plan('full', 'full sync due');
  if (left - incrementalCalls >= floor) return plan('incremental', due ? `full sync due but the day has ${left} calls left (needs ${fullCalls} + ${floor} reserved)` : 'full sync not due');
  return plan('skip', `the day has ${left} of ${input.day.limit} calls left; ${floor} are reserved for exports and sync now`);
}

/** Calls a finished run made: each resource's pages (kinds read from one resource share its pages). */
export function callsOfRun(counts: Record<string, { pages: number }>): number {
  return syncResources.reduce((sum, r) => sum + Math.max(0, ...kindsOfResource(r).map((k) => counts[k]?.pages ?? 0)), 0);
}
