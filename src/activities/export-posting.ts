/**
 * Posting an export's entry at most once, whatever fails (the I/O half; the rules are in
 * src/domain/export-posting.ts, the waiting in the workflow):
 *
 * - `postJournalEntry` sends exactly one POST per attempt, under the export's posting lease (one
 *   holder per attempt; still held right before sending), and only while no earlier POST's outcome
 *   is open. Right before sending, the export is marked: outcome open, counted as
 *   unknown, entry and division frozen. A definite answer takes that back (201 → posted; 400 →
 *   rejected; 401, 429, refused before sending → nothing created, the retry policy may try again).
 *   Anything else (timeout, reset, 5xx, a 2xx we cannot read, a crash) leaves the outcome open and
 *   ends the attempt with an outcome-unknown failure, which is never retried.
 * - `lookupPostedEntry` runs no earlier than the settle period after the last POST: it pages through
 *   every journal entry modified since shortly before the first POST and compares them with the
 *   frozen entry. Found → posted (adopted). Nothing found → that POST created nothing: the outcome
 *   is closed and the next POST may go.
 * - `markPostedEntry`: a person found the entry; it is verified through Maesn when possible.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { divisionDecision, entryFingerprint, judgeLookup, type ExportRef, type FoundEntry } from '../domain';
import {
  MaesnInvalidRequestError,
  MaesnNotFoundError,
  MaesnRateLimitedError,
  MaesnTransientError,
  MaesnUnauthorizedError,
  type JournalEntry as MaesnJournalEntry,
  type MaesnConnection,
} from '../maesn';
import { isOutcomeOpen, type ExportDoc, type Lease } from '../store';
import { FailureType } from '../workflows/failures';
import { EXPORT_BOOKING_HORIZON_MS, type GovernorStats } from './call-governor';
import { connectionFor, toActivityFailure, type ActivityDeps } from './common';
import { receiptFiles, toMaesnJournalEntry } from './export-entry';

/** How far before the first POST the lookup starts (clock skew between us and Exact). */
export const LOOKUP_MARGIN_MS = 10 * 60_000;

export interface Posted {
  exactEntryId: string;
  exactEntryNumber: string;
  postedVia: 'created' | 'adopted' | 'marked';
}

export type LookupResult =
  | ({ result: 'found' } & Posted)
  /** Nothing carries the reference: an open outcome is now closed (nothing was created). */
  | { result: 'not_found'; unknownOutcomes: number }
  /** The settle period has not passed since the last POST (or a POST is in flight): wait, then look again. */
  | { result: 'too_early'; waitMs: number }
  /** A person must look: entries that carry the reference but differ, or another division. */
  | { result: 'conflict'; reason: string };

export type MarkPostedResult = { result: 'posted'; verified: boolean; exactEntryId: string; exactEntryNumber: string } | { result: 'not_found'; message: string };

/** An ApplicationFailure telling the workflow that a POST's outcome is open. */
function outcomeUnknown(doc: Pick<ExportDoc, 'posting'>, why: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `the outcome of posting is unknown (${why}); the entry is looked up after the settle period`,
    type: FailureType.outcomeUnknown,
    nonRetryable: true,
    details: [{ lastAttemptAt: doc.posting?.lastAttemptAt?.getTime() ?? null }],
  });
}

/** Heartbeats every few seconds while `fn` runs (so a cancel reaches the attempt and a dead worker's attempt times out). */
async function withHeartbeat<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), 2_000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/** What the lookup compares, from a Maesn journal entry. */
function toFound(e: MaesnJournalEntry): FoundEntry {
  return {
    id: e.id ?? null,
    number: e.number ?? null,
    journalCode: e.journalCode ?? null,
    lines: (e.journalLineItems ?? []).map((l) => ({ description: l.description ?? null, side: l.debitCreditIndicator ?? null, grossAmount: l.totalGrossAmount ?? null })),
  };
}

/** Durations of an attempt's steps, in ms, for its log line (where a slow post spends its time). */
function stopwatch() {
  let last = Date.now();
  const laps: Record<string, number> = {};
  return {
    laps,
    lap(name: string) {
      const now = Date.now();
      laps[name] = (laps[name] ?? 0) + now - last;
      last = now;
    },
  };
}
type Stopwatch = ReturnType<typeof stopwatch>;

/** The posting lease's holder: this attempt of this activity (each attempt its own, so a retry never inherits a lease). */
function postingHolder(): string {
  const info = Context.current().info;
  return `${info.activityId}:${info.attempt}:${info.workflowExecution?.runId ?? 'standalone'}`;
}

export function createPostingActivities(deps: ActivityDeps) {
  const { stores, logger, config } = deps;

  async function requireDoc(ref: ExportRef): Promise<ExportDoc> {
    const doc = await stores.exports.getRevision(ref);
    if (!doc) throw ApplicationFailure.nonRetryable(`export ${ref.tenantId}/${ref.reportId} (revision ${ref.revision}) not found`, FailureType.exportNotFound);
    return doc;
  }

  const posted = (doc: ExportDoc): Posted => ({ exactEntryId: doc.exactEntryId ?? '', exactEntryNumber: doc.exactEntryNumber ?? '', postedVia: doc.postedVia ?? 'created' });

  /** Sends the one POST of this attempt; the export document says what happened before this returns or throws. */
  async function sendPost(ref: ExportRef, doc: ExportDoc, lease: Lease, conn: MaesnConnection, division: string, attemptStarted: number, t: Stopwatch, governor: GovernorStats): Promise<Posted> {
    const entry = doc.entry!;
    const files = await receiptFiles(stores, doc, entry);
    t.lap('receipts');
    const ctx = Context.current();
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('cancelled before the POST was sent');
    // Never start a POST that could still be running when this attempt's time is up.
    if (Date.now() - attemptStarted + config.maesn.timeoutMs + 5_000 > ctx.info.startToCloseTimeoutMs) {
      throw ApplicationFailure.retryable('not enough time left in this attempt to post safely', FailureType.postDeferred);
    }
    // Marked sent once the call budget lets the POST go, right before it is sent (nothing is marked
    // while it waits for its minute). Fencing first: an attempt that stalled past its lease (which
    // another attempt may have taken over since) sends nothing.
    let marked = false;
    const markSent = async () => {
      t.lap('budget');
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('cancelled before the POST was sent');
      if (!(await stores.exports.holdsPostingLease(lease))) throw ApplicationFailure.retryable('this attempt lost the posting lease before sending', FailureType.postInProgress);
      const now = new Date();
      const began = await stores.exports.beginPost(ref, { frozenAt: doc.posting?.frozenAt ?? now, firstAttemptAt: doc.posting?.firstAttemptAt ?? now, division });
      if (!began) throw ApplicationFailure.retryable('the export changed while this attempt prepared its POST', FailureType.postInProgress);
      marked = true;
      t.lap('begin');
    };

    let created: Awaited<ReturnType<MaesnConnection['createJournalEntry']>>;
    try {
      // Not aborted on cancel: once sent, the answer is what tells whether an entry exists.
      created = await conn.createJournalEntry(toMaesnJournalEntry(entry), { files, beforeSend: markSent });
    } catch (err) {
      // Not marked sent: nothing was sent (the call budget had no call in time, the wait was
      // stopped, the lease was lost) and nothing is open; the retry policy decides.
      if (!marked) throw err;
      if (err instanceof MaesnInvalidRequestError) {
        const first = err.fieldErrors?.[0];
        const error = { message: err.targetMessage ?? err.message, line: first?.line ?? null, code: FailureType.businessRejection };
        await stores.exports.recordRejected(ref, error, { answeredPost: true });
        throw ApplicationFailure.create({ message: error.message, type: FailureType.businessRejection, nonRetryable: true, details: [{ line: error.line, fields: err.fieldErrors ?? [] }] });
      }
      const definite =
        err instanceof MaesnUnauthorizedError || err instanceof MaesnRateLimitedError || err instanceof MaesnNotFoundError || (err instanceof MaesnTransientError && !err.outcomeUnknown);
      if (definite) {
        await stores.exports.recordNotCreated(ref, (err as Error).message);
        throw toActivityFailure(err);
      }
      const why = err instanceof Error ? err.message : String(err);
      const ended = await stores.exports.recordUnknown(ref, why);
      logger.warn({ ...ref, err: why }, 'the outcome of a journal-entry POST is unknown');
      throw outcomeUnknown({ posting: { lastAttemptAt: ended } }, why);
    }
    const id = created.data.id;
    if (!id) {
      const ended = await stores.exports.recordUnknown(ref, 'answered 201 without an entry id');
      throw outcomeUnknown({ posting: { lastAttemptAt: ended } }, 'answered without an entry id');
    }
    const number = created.data.number ?? '';
    t.lap('post');
    await stores.exports.recordPosted(ref, { id, number, via: 'created' }, undefined, doc);
    t.lap('record');
    const ms = { ...t.laps, budgetBooking: governor.bookingMs, budgetWait: governor.waitMs };
    logger.info({ ...ref, exactEntryId: id, exactEntryNumber: number, division, ms }, 'journal entry posted');
    return { exactEntryId: id, exactEntryNumber: number, postedVia: 'created' };
  }

  return {
    /** One POST at most: lease, open-outcome check, division check, POST. */
    async postJournalEntry(input: ExportRef): Promise<Posted> {
      const ref: ExportRef = { tenantId: input.tenantId, reportId: input.reportId, revision: input.revision ?? 1 };
      const attemptStarted = Date.now();
      const t = stopwatch();
      return withHeartbeat(async () => {
        // The lease outlives the POST: another attempt (Temporal may start one while a dead or
        // partitioned worker still runs this one) cannot POST before this POST has ended. It also
        // covers the wait for the booked minute, which comes before the lease is checked and the
        // POST marked sent (an export books at most EXPORT_BOOKING_HORIZON_MS ahead).
        const taken = await stores.exports.acquirePostingLease(ref, postingHolder(), EXPORT_BOOKING_HORIZON_MS + config.maesn.timeoutMs + 30_000);
        if (!taken.acquired) throw ApplicationFailure.retryable('another attempt is posting this export', FailureType.postInProgress);
        const { lease, doc } = taken;
        t.lap('lease');
        let done = false;
        try {
          if (!doc) throw ApplicationFailure.nonRetryable(`export ${ref.tenantId}/${ref.reportId} (revision ${ref.revision}) not found`, FailureType.exportNotFound);
          if (doc.exactEntryId) return posted(doc);
          if (isOutcomeOpen(doc)) throw outcomeUnknown(doc, 'an earlier POST was not answered');
          if (!doc.entry) throw ApplicationFailure.nonRetryable('the export has no built entry', FailureType.notPrepared);
          // A switch of division that waits for an admin's confirmation makes the export wait.
          const { conn, division, governorStats } = await connectionFor(deps, ref.tenantId, { forPosting: true });
          t.lap('connection');
          const d = divisionDecision(doc.division, division, false);
          if (d.kind !== 'proceed') {
            const error = { message: d.message, code: FailureType.divisionChanged };
            await stores.exports.recordRejected(ref, error, { answeredPost: false });
            throw ApplicationFailure.nonRetryable(error.message, FailureType.divisionChanged);
          }
          const result = await sendPost(ref, doc, lease, conn, d.division, attemptStarted, t, governorStats);
          done = true;
          return result;
        } catch (err) {
          throw toActivityFailure(err);
        } finally {
          // Given back once the answer (or its absence) is recorded, so the next attempt or the
          // lookup can go ahead. Not given back (a crash, the database down): it expires. Once
          // posted nothing waits for it (nothing is sent or looked up again): it just expires.
          if (!done) await stores.exports.releasePostingLease(lease).catch((err) => logger.warn({ ...ref, err: err instanceof Error ? err.message : String(err) }, 'could not give the posting lease back; it expires'));
        }
      });
    },

    /**
     * Looks for the entry an earlier POST may have created. `settlePeriodMs`: no conclusion before
     * that long after the last POST. `resetUnknownOutcomes`: a person asked to try again.
     */
    async lookupPostedEntry(input: ExportRef & { settlePeriodMs: number; resetUnknownOutcomes?: boolean }): Promise<LookupResult> {
      const ref: ExportRef = { tenantId: input.tenantId, reportId: input.reportId, revision: input.revision ?? 1 };
      return withHeartbeat(async () => {
        if (input.resetUnknownOutcomes) await stores.exports.resetUnknownOutcomes(ref);
        const doc = await requireDoc(ref);
        if (doc.exactEntryId) return { result: 'found', ...posted(doc) };
        const open = isOutcomeOpen(doc);
        const unknownOutcomes = doc.posting?.unknownOutcomes ?? 0;
        const last = doc.posting?.lastAttemptAt?.getTime();
        if (!doc.entry || last === undefined) {
          if (open) return { result: 'conflict', reason: 'a POST may have been sent, but the export has no entry to compare with' };
          return { result: 'not_found', unknownOutcomes };
        }
        const settleLeft = last + input.settlePeriodMs - Date.now();
        if (settleLeft > 0) return { result: 'too_early', waitMs: settleLeft };

        const { conn, division } = await connectionFor(deps, ref.tenantId, { forPosting: true });
        const d = divisionDecision(doc.division, division, open);
        if (d.kind === 'changed_while_open') {
          await stores.exports.logPosting(ref, 'lookup', 'conflict', d.message);
          return { result: 'conflict', reason: d.message };
        }
        // Closed and another division: nothing to resolve; the POST will be refused with the reason.
        if (d.kind === 'changed') return { result: 'not_found', unknownOutcomes };

        const firstAt = doc.posting?.firstAttemptAt?.getTime() ?? last;
        const candidates: FoundEntry[] = [];
        const ctx = Context.current();
        for await (const page of conn.listAll('journalEntries', { limit: 100, lastModifiedAt: new Date(firstAt - LOOKUP_MARGIN_MS), signal: ctx.cancellationSignal })) {
          candidates.push(...page.items.map(toFound));
          ctx.heartbeat({ page: page.page });
        }
        const verdict = judgeLookup(entryFingerprint(doc.entry), candidates);
        const detail = `${candidates.length} entries modified since ${new Date(firstAt - LOOKUP_MARGIN_MS).toISOString()} read`;
        if (verdict.kind === 'found') {
          await stores.exports.recordPosted(ref, { id: verdict.id, number: verdict.number, via: 'adopted' }, `${verdict.id} (${detail})`);
          logger.warn({ ...ref, exactEntryId: verdict.id }, 'adopted the entry an earlier POST created');
          return { result: 'found', exactEntryId: verdict.id, exactEntryNumber: verdict.number, postedVia: 'adopted' };
        }
        if (verdict.kind === 'conflict') {
          await stores.exports.logPosting(ref, 'lookup', 'conflict', `${verdict.reason}: ${verdict.ids.join(', ')}`);
          return { result: 'conflict', reason: `${verdict.reason} (${verdict.ids.join(', ')})` };
        }
        if (!open) {
          await stores.exports.logPosting(ref, 'lookup', 'not_found', detail);
          return { result: 'not_found', unknownOutcomes };
        }
        // "Nothing was created" only once no attempt can still be sending (lease) and no POST went out since.
        if (!(await stores.exports.resolveNothingPosted(ref, new Date(last), detail))) {
          const leaseLeft = ((await stores.exports.postingLeaseHolder(ref))?.expiresAt.getTime() ?? 0) - Date.now();
          return { result: 'too_early', waitMs: Math.max(leaseLeft, 1_000) };
        }
        return { result: 'not_found', unknownOutcomes };
      });
    },

    /** A person found the entry: verified through Maesn when the connection allows it, then adopted. */
    async markPostedEntry(input: ExportRef & { exactEntryId: string }): Promise<MarkPostedResult> {
      const ref: ExportRef = { tenantId: input.tenantId, reportId: input.reportId, revision: input.revision ?? 1 };
      const doc = await requireDoc(ref);
      if (doc.exactEntryId) return { result: 'posted', verified: true, exactEntryId: doc.exactEntryId, exactEntryNumber: doc.exactEntryNumber ?? '' };
      let number = '';
      let verified = false;
      try {
        const { conn, division } = await connectionFor(deps, ref.tenantId);
        if (doc.division === null || doc.division === division) {
          const e = await conn.getJournalEntry(input.exactEntryId, { signal: Context.current().cancellationSignal });
          number = e.number ?? '';
          verified = true;
        }
      } catch (err) {
        if (err instanceof MaesnNotFoundError) return { result: 'not_found', message: `entry ${input.exactEntryId} was not found in Exact` };
        // Not verifiable now (no connection, another division, Maesn down): the person's word counts.
        if (!(err instanceof ApplicationFailure || err instanceof MaesnUnauthorizedError || err instanceof MaesnTransientError || err instanceof MaesnRateLimitedError)) throw toActivityFailure(err);
      }
      await stores.exports.recordPosted(ref, { id: input.exactEntryId, number, via: 'marked' }, `${input.exactEntryId}${verified ? ' (verified in Exact)' : ' (not verifiable now)'}`);
      logger.warn({ ...ref, exactEntryId: input.exactEntryId, verified }, 'a person marked the export as posted');
      return { result: 'posted', verified, exactEntryId: input.exactEntryId, exactEntryNumber: number };
    },
  };
}
