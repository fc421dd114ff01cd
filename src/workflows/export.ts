/**
 * exportExpenseReport (ID `export:<tenantId>:<reportId>`): validate the report against mappings
 * and master data, wait for `mappingFixed` while anything is missing, post one journal entry with
 * the receipts (at most once, whatever fails), record the Exact entry.
 *
 * Business rejections (closed period, blocked account, …) leave the run open in status `rejected`
 * until `mappingFixed` or `retry` (a fix made in Exact) or `cancel`. A revoked connection waits in
 * `waiting_for_reauthorization` until the tenant reconnects. Ops can send the same signals from the
 * Temporal UI (no arguments needed).
 */
import { allHandlersFinished, condition, log, metricMeter, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { ExportActivities } from '../activities/export';
import type { ExportStatus } from '../domain';
import {
  cancelSignal,
  exportStateQuery,
  mappingFixedSignal,
  retrySignal,
  searchAttributes,
  type ExportState,
} from './definitions';
import { CONNECTION_WAIT_FAILURES, REJECTION_FAILURES, activityProfiles, failureOf } from './failures';

export interface ExportExpenseReportInput {
  tenantId: string;
  reportId: string;
  /** How often a reminder (log + metric) fires while mappings are missing (default 24 hours). */
  reminderInterval?: Duration;
  /** How often to look at the connection again while waiting for reauthorization (default 1 minute). */
  reauthorizationCheckInterval?: Duration;
}

export interface ExportResult {
  status: 'posted' | 'cancelled';
  exactEntryId?: string;
  exactEntryNumber?: string;
  postedVia?: 'created' | 'adopted';
}

const acts = proxyActivities<ExportActivities>(activityProfiles.bookkeeping);

/** Posting: one attempt at a time (lease), never blindly repeated (lookup before retry). */
const post = proxyActivities<ExportActivities>(activityProfiles.posting);

export async function exportExpenseReport(input: ExportExpenseReportInput): Promise<ExportResult> {
  const { tenantId, reportId } = input;
  const state: ExportState = { status: 'validating', missing: 0, reminders: 0 };
  let wake = 0; // bumped by mappingFixed / retry
  let cancelled = false;
  const reminders = metricMeter.createCounter('export_mapping_reminders', 'count', 'Reminders sent for exports waiting for mappings');

  setHandler(exportStateQuery, () => state);
  setHandler(mappingFixedSignal, () => void wake++);
  setHandler(retrySignal, () => void wake++);
  setHandler(cancelSignal, () => {
    cancelled = true;
  });

  const setStatus = async (status: ExportStatus, extra: { error?: { message: string; line?: number | null; code?: string | null } | null } = {}) => {
    state.status = status;
    state.error = extra.error?.message;
    upsertSearchAttributes([
      { key: searchAttributes.tenantId, value: tenantId },
      { key: searchAttributes.reportId, value: reportId },
      { key: searchAttributes.exportStatus, value: status },
    ]);
    await acts.setExportStatus({ tenantId, reportId, status, error: extra.error ?? null });
  };

  const cancel = async (): Promise<ExportResult> => {
    await setStatus('cancelled');
    await condition(allHandlersFinished);
    return { status: 'cancelled' };
  };

  /**
   * Waits for a wake-up signal (one after `since`, so a signal that arrived while validating or
   * posting is not missed) or cancel; `interval` makes it return periodically (false).
   */
  const waitForWake = async (since: number, interval?: Duration): Promise<boolean> =>
    condition(() => wake !== since || cancelled, interval as never);

  await setStatus('validating');
  for (;;) {
    if (cancelled) return cancel();

    // 1. Validate (collects every problem) and build the entry.
    const wakeBeforeValidation = wake;
    const v = await acts.prepareExport({ tenantId, reportId });
    if (v.alreadyPosted) {
      state.status = 'posted';
      state.exactEntryId = v.alreadyPosted.exactEntryId;
      await condition(allHandlersFinished);
      return { status: 'posted', ...v.alreadyPosted };
    }
    state.missing = v.missing;
    if (v.missing > 0) {
      await setStatus('waiting_for_mappings');
      // 2. Wait for "mapping fixed"; remind at the interval, never give up silently.
      while (!(await waitForWake(wakeBeforeValidation, input.reminderInterval ?? '24 hours'))) {
        state.reminders++;
        reminders.add(1, { tenant: tenantId });
        log.warn('export still waiting for mappings', { tenantId, reportId, missing: state.missing, reminders: state.reminders });
        await acts.remindMissingMappings({ tenantId, reportId, reminders: state.reminders });
      }
      if (cancelled) return cancel();
      await setStatus('validating');
      continue;
    }

    // 3./4. Post exactly once.
    await setStatus('posting');
    const wakeBeforePost = wake;
    try {
      const r = await post.postJournalEntry({ tenantId, reportId });
      state.status = 'posted';
      state.exactEntryId = r.exactEntryId;
      upsertSearchAttributes([{ key: searchAttributes.exportStatus, value: 'posted' }]);
      await condition(allHandlersFinished);
      return { status: 'posted', exactEntryId: r.exactEntryId, exactEntryNumber: r.exactEntryNumber, postedVia: r.postedVia };
    } catch (err) {
      const f = failureOf(err);
      // Reauthorization, or (access, issue 10) a division change an admin has not confirmed yet.
      if (f.type && CONNECTION_WAIT_FAILURES.includes(f.type)) {
        await setStatus('waiting_for_reauthorization', { error: { message: f.message } });
        // Wake on `retry` (sent when the tenant reconnects) or check the connection now and then.
        for (let since = wakeBeforePost; ; since = wake) {
          await waitForWake(since, input.reauthorizationCheckInterval ?? '1 minute');
          if (cancelled) return cancel();
          if ((await acts.connectionState({ tenantId })).state === 'connected') break;
        }
        await setStatus('validating');
        continue;
      }
      if (f.type && REJECTION_FAILURES.includes(f.type)) {
        // The activity stored the target system's message and line; wait for a fix.
        state.status = 'rejected';
        state.error = f.message;
        upsertSearchAttributes([{ key: searchAttributes.exportStatus, value: 'rejected' }]);
        await waitForWake(wakeBeforePost);
        if (cancelled) return cancel();
        await setStatus('validating');
        continue;
      }
      throw err;
    }
  }
}
