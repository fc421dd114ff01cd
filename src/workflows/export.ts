/**
 * exportExpenseReport (ID `export:<tenant>:<report>`, corrections `export-r<n>:…`): validate the
 * report against mappings and master data, wait for `mappingFixed` while anything is missing, post
 * one journal entry with the receipts at most once whatever fails, record the Exact entry.
 *
 * The story, phase by phase:
 * - validate: build the entry; missing mappings → wait for them; content no mapping can fix → rejected.
 * - post: one POST per activity attempt. 429 and "not sent" are retried by the activity; a business
 *   rejection waits in `rejected` for `retry` (a fix made in Exact) or `mappingFixed`; a revoked
 *   connection waits in `waiting_for_reauthorization`.
 * - resolve: a POST went unanswered (timeout, reset, 5xx, a 2xx we cannot read, a crash). Wait the
 *   settle period after it (a durable timer), then look the entry up: found → posted; nothing →
 *   post again, unless that was the `maxUnknownOutcomes`th unanswered POST → `needs_review`.
 * - needs_review: never posts on its own again. `retry` (look once more, then post), `markPosted`
 *   (adopt the entry a person found), `cancel`.
 * - cancel: interrupts a POST being retried; while an outcome is open the entry is looked up
 *   first, and an entry that exists wins (posted).
 *
 * Every wait that can last continues as new when the history grows, carrying the phase and what
 * the status shows (a markPosted answer stays shown).
 * Nothing here fails the run except a missing export document; ops can send every signal from the
 * Temporal UI (`markPosted` takes `{"exactEntryId": "…"}`).
 */
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  metricMeter,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ApplicationFailure, type Duration } from '@temporalio/common';
import type { ExportActivities } from '../activities/export';
import type { ExportRef, ExportStatus } from '../domain';
import { cancelSignal, exportStateQuery, mappingFixedSignal, markPostedSignal, retrySignal, searchAttributes, type ExportState } from './definitions';
import { CONNECTION_WAIT_FAILURES, FailureType, REJECTION_FAILURES, REVIEW_FAILURES, activityProfiles, failureOf } from './failures';

export { cancelSignal, exportStateQuery, mappingFixedSignal, markPostedSignal, retrySignal };

/** Where a run stands; what continue-as-new carries into the next run. */
export type ExportPhase = 'validate' | 'resolve' | 'waiting_for_mappings' | 'waiting_for_reauthorization' | 'rejected' | 'needs_review';

export interface ExportResume {
  phase: ExportPhase;
  reminders: number;
  run: number;
  cancelRequested: boolean;
  /** Why the export waits (the rejection, the review reason, the connection error). */
  reason?: string;
  /** What the status showed when the run continued as new (the reason, or the answer to a markPosted). */
  shown?: string;
}

export interface ExportExpenseReportInput {
  tenantId: string;
  reportId: string;
  /** The export revision (1 when absent). */
  revision?: number;
  /** How often a reminder (log + metric) fires while mappings are missing (default 24 hours). */
  reminderInterval?: Duration;
  /** How often to look at the connection again while waiting for reauthorization (default 1 minute). */
  reauthorizationCheckInterval?: Duration;
  /** No lookup concludes "nothing was posted" earlier than this after the last POST (default 10 minutes). */
  settlePeriodMs?: number;
  /** After this many unanswered POSTs whose lookups found nothing, the export stops in needs_review (default 3). */
  maxUnknownOutcomes?: number;
  /** A waiting run continues as new beyond this many history events (default 2,000; or when Temporal suggests it). */
  historyLimit?: number;
  /** Set by continue-as-new. */
  resume?: ExportResume;
}

export interface ExportResult {
  status: 'posted' | 'cancelled';
  exactEntryId?: string;
  exactEntryNumber?: string;
  postedVia?: 'created' | 'adopted' | 'marked';
}

const store = proxyActivities<ExportActivities>(activityProfiles.store);
const post = proxyActivities<ExportActivities>(activityProfiles.posting);
const lookup = proxyActivities<ExportActivities>(activityProfiles.lookup);

export async function exportExpenseReport(input: ExportExpenseReportInput): Promise<ExportResult> {
  const ref: ExportRef = { tenantId: input.tenantId, reportId: input.reportId, revision: input.revision ?? 1 };
  const settlePeriodMs = input.settlePeriodMs ?? 10 * 60_000;
  const maxUnknown = input.maxUnknownOutcomes ?? 3;
  const resume = input.resume;
  const state: ExportState = { status: 'validating', revision: ref.revision, missing: 0, reminders: resume?.reminders ?? 0, run: (resume?.run ?? 0) + 1 };
  const reminders = metricMeter.createCounter('export_mapping_reminders', 'count', 'Reminders sent for exports waiting for mappings');

  let wake = 0; // bumped by mappingFixed / retry
  let seen = 0; // the wake count the current step has taken into account
  let cancelled = resume?.cancelRequested ?? false;
  let marked: string | null = null; // an entry a person named (markPosted)
  let postScope: CancellationScope | undefined;
  setHandler(exportStateQuery, () => ({ ...state, cancelRequested: cancelled || undefined }));
  setHandler(mappingFixedSignal, () => void wake++);
  setHandler(retrySignal, () => void wake++);
  setHandler(cancelSignal, () => {
    cancelled = true;
    postScope?.cancel();
  });
  setHandler(markPostedSignal, (arg) => {
    const id = typeof arg?.exactEntryId === 'string' ? arg.exactEntryId.trim() : '';
    if (id) marked = id;
    else log.warn('markPosted without an exactEntryId ignored', { ...ref });
  });

  let reason = resume?.reason ?? '';
  // The resumed waiting phase shows what the previous run showed, not the bare reason again.
  let carried = resume?.shown;
  const shownOr = (why?: string) => {
    const m = carried ?? why;
    carried = undefined;
    return m;
  };
  const setStatus = async (status: ExportStatus, why?: string, record = true) => {
    state.status = status;
    state.error = why;
    upsertSearchAttributes([
      { key: searchAttributes.tenantId, value: ref.tenantId },
      { key: searchAttributes.reportId, value: ref.reportId },
      { key: searchAttributes.exportStatus, value: status },
    ]);
    if (record) await store.setExportStatus({ ...ref, status, error: why ? { message: why } : null });
  };

  const posted = async (r: { exactEntryId: string; exactEntryNumber: string; postedVia?: ExportResult['postedVia'] }): Promise<ExportResult> => {
    state.exactEntryId = r.exactEntryId;
    state.outcomeOpen = false;
    await setStatus('posted', undefined, false); // the activity that created or found the entry recorded it
    await condition(allHandlersFinished);
    return { status: 'posted', exactEntryId: r.exactEntryId, exactEntryNumber: r.exactEntryNumber, postedVia: r.postedVia };
  };
  const postedPerState = (st: { exactEntryId: string | null; exactEntryNumber: string | null; postedVia: ExportResult['postedVia'] | null }) =>
    posted({ exactEntryId: st.exactEntryId ?? '', exactEntryNumber: st.exactEntryNumber ?? '', postedVia: st.postedVia ?? undefined });

  /** Waits in `phase` until `pending()` (false on timeout); continues as new first when the history is long. */
  const waitIn = async (phase: ExportPhase, pending: () => boolean, timeout?: Duration): Promise<boolean> => {
    const info = workflowInfo();
    if (!pending() && (info.continueAsNewSuggested || info.historyLength > (input.historyLimit ?? 2_000))) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof exportExpenseReport>({ ...input, resume: { phase, reminders: state.reminders, run: state.run, cancelRequested: cancelled, reason, shown: state.error } });
    }
    return condition(pending, timeout as never);
  };

  /** A person named the entry (markPosted): adopted, verified through Maesn when possible. */
  const adoptMarked = async (): Promise<ExportResult | null> => {
    const id = marked as string;
    marked = null;
    const m = await store.markPostedEntry({ ...ref, exactEntryId: id });
    if (m.result === 'posted') return posted({ exactEntryId: m.exactEntryId, exactEntryNumber: m.exactEntryNumber, postedVia: 'marked' });
    await setStatus(state.status, `${m.message}${reason ? ` (${reason})` : ''}`);
    return null;
  };

  /** Cancel: at once when nothing can have been posted; otherwise look first (an entry that exists wins). */
  const cancel = async (): Promise<ExportResult | ExportPhase> => {
    const st = await store.postingState(ref);
    if (st.exactEntryId) return postedPerState(st);
    if (st.outcomeOpen) return 'resolve';
    await setStatus('cancelled');
    await condition(allHandlersFinished);
    return { status: 'cancelled' };
  };

  /** Where a failed activity leads: every failure type has a path; only a missing export fails the run. */
  const afterFailure = async (err: unknown): Promise<ExportPhase> => {
    const f = failureOf(err);
    reason = f.message;
    if (f.type === FailureType.exportNotFound) throw ApplicationFailure.nonRetryable(f.message, FailureType.exportNotFound);
    if (f.type === FailureType.outcomeUnknown) return 'resolve';
    // Reauthorization, or a division change an admin has not confirmed yet.
    if (f.type && CONNECTION_WAIT_FAILURES.includes(f.type)) return 'waiting_for_reauthorization';
    if (f.type && REJECTION_FAILURES.includes(f.type)) return 'rejected';
    if (f.type && REVIEW_FAILURES.includes(f.type)) return 'needs_review';
    // Anything else (a bug, an answer nobody expected): never guess whether an entry exists.
    if ((await store.postingState(ref)).outcomeOpen) return 'resolve';
    reason = `posting stopped unexpectedly: ${f.message}`;
    return 'needs_review';
  };

  /** resolve: look even when no outcome is open (a person asked), starting the count of unanswered POSTs over. */
  let forcedLookup: { reset: boolean } | null = null;

  const phases: Record<ExportPhase, () => Promise<ExportResult | ExportPhase>> = {
    async validate() {
      if (cancelled) return cancel();
      // A new export is stored, and its run started, as `validating`: only a validation again records it.
      if (state.run > 1 || state.status !== 'validating') await setStatus('validating');
      seen = wake;
      const v = await store.prepareExport(ref);
      if (v.alreadyPosted) return posted(v.alreadyPosted);
      if (v.outcomeOpen) return 'resolve';
      state.missing = v.missing;
      if (v.unfixable) {
        reason = v.unfixable;
        await setStatus('rejected', reason, false); // recorded by prepareExport
        return 'rejected';
      }
      if (v.missing > 0) return 'waiting_for_mappings';
      if (cancelled) return cancel();
      await setStatus('posting', undefined, false); // recorded by prepareExport with the entry
      seen = wake;
      try {
        postScope = new CancellationScope();
        return await posted(await postScope.run(() => post.postJournalEntry(ref)));
      } catch (err) {
        if (isCancellation(err)) return cancel();
        const to = await afterFailure(err);
        if (to === 'rejected') await setStatus('rejected', reason, false); // the activity recorded Exact's message and line
        return cancelled && to !== 'resolve' ? cancel() : to;
      } finally {
        postScope = undefined;
      }
    },

    async resolve() {
      state.outcomeOpen = true;
      if (state.status !== 'posting') await setStatus('posting');
      const st = await store.postingState(ref);
      if (st.exactEntryId) return postedPerState(st);
      if (!st.outcomeOpen && !forcedLookup) {
        state.outcomeOpen = false;
        return cancelled ? cancel() : 'validate';
      }
      // A durable timer: the settle period counts from the last POST, not from now.
      const wait = st.lastAttemptAt === null ? 0 : st.lastAttemptAt + settlePeriodMs - Date.now();
      if (wait > 0) await sleep(wait);
      let r;
      try {
        r = await lookup.lookupPostedEntry({ ...ref, settlePeriodMs, resetUnknownOutcomes: forcedLookup?.reset ?? false });
      } catch (err) {
        return afterFailure(err);
      }
      forcedLookup = null;
      if (r.result === 'found') return posted(r);
      if (r.result === 'too_early') {
        await sleep(Math.max(r.waitMs, 1_000));
        return 'resolve';
      }
      state.outcomeOpen = false;
      if (cancelled) {
        // Nothing found (or a person cancels despite a conflict): the cancel takes effect.
        await setStatus('cancelled', r.result === 'conflict' ? r.reason : undefined);
        await condition(allHandlersFinished);
        return { status: 'cancelled' };
      }
      if (r.result === 'conflict') {
        reason = r.reason;
        return 'needs_review';
      }
      if (r.unknownOutcomes >= maxUnknown) {
        reason = `${r.unknownOutcomes} POST(s) got no answer and no lookup found the entry in Exact: check Exact, then retry, mark it posted or cancel`;
        return 'needs_review';
      }
      return 'validate';
    },

    async waiting_for_mappings() {
      await setStatus('waiting_for_mappings', shownOr());
      const pending = () => wake !== seen || cancelled || marked !== null;
      for (;;) {
        const woke = await waitIn('waiting_for_mappings', pending, input.reminderInterval ?? '24 hours');
        if (cancelled) return cancel();
        if (marked !== null) {
          const done = await adoptMarked();
          if (done) return done;
          continue;
        }
        if (woke) return 'validate';
        state.reminders++;
        reminders.add(1, { tenant: ref.tenantId });
        log.warn('export still waiting for mappings', { ...ref, missing: state.missing, reminders: state.reminders });
        await store.remindMissingMappings({ ...ref, reminders: state.reminders });
      }
    },

    async waiting_for_reauthorization() {
      await setStatus('waiting_for_reauthorization', shownOr(reason));
      // A cancel while an outcome is open needs the connection back to look first.
      state.outcomeOpen = (await store.postingState(ref)).outcomeOpen;
      const pending = () => wake !== seen || marked !== null || (cancelled && !state.outcomeOpen);
      for (;;) {
        // Wake on `retry` (sent when the tenant reconnects) or look at the connection now and then.
        await waitIn('waiting_for_reauthorization', pending, input.reauthorizationCheckInterval ?? '1 minute');
        seen = wake;
        if (cancelled && !state.outcomeOpen) return cancel();
        if (marked !== null) {
          const done = await adoptMarked();
          if (done) return done;
        }
        if ((await store.connectionState({ tenantId: ref.tenantId })).state === 'connected') return 'validate';
      }
    },

    async rejected() {
      state.status = 'rejected';
      state.error = shownOr(reason);
      const pending = () => wake !== seen || cancelled || marked !== null;
      for (;;) {
        await waitIn('rejected', pending);
        if (cancelled) return cancel();
        if (marked !== null) {
          const done = await adoptMarked();
          if (done) return done;
          continue;
        }
        return 'validate';
      }
    },

    async needs_review() {
      state.reviewReason = reason;
      await setStatus('needs_review', shownOr(reason));
      seen = wake; // a retry sent before the export stopped here does not count as a person's decision
      const pending = () => wake !== seen || cancelled || marked !== null;
      for (;;) {
        await waitIn('needs_review', pending);
        if (marked !== null) {
          const done = await adoptMarked();
          if (done) return done;
          continue;
        }
        // retry: look once more, then post; cancel: look once more, then cancel.
        forcedLookup = { reset: !cancelled };
        seen = wake;
        return 'resolve';
      }
    },
  };

  let phase: ExportPhase = resume?.phase ?? 'validate';
  for (;;) {
    const next = await phases[phase]();
    if (typeof next !== 'string') return next;
    phase = next;
  }
}
