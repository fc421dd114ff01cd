/**
 * Exports of expense reports and their receipts. One document per export *revision*: the first
 * export of a report is revision 1; after `cancel`, a correction (the same report ID with new
 * content) is the next revision. The current revision of a report is its highest one; older
 * revisions stay as they were.
 *
 * Receipts are stored here, outside Temporal history; workflows carry only references. Receipt
 * keys include the report's content hash, so a conflicting resubmission can never overwrite the
 * receipts of the export that already exists.
 *
 * Posting bookkeeping is what makes "at most once" hold whatever fails: a lease (in the
 * LeaseStore, key `posting:<export document id>`) so two attempts never POST together, and an
 * open-outcome mark (`posting`) set *before* every POST and cleared only by a definite answer to
 * that POST or by a lookup that found nothing at least the settle period after it (see
 * src/activities/export-posting.ts). Documents written before the lease moved to the LeaseStore
 * may still carry `posting.leaseUntil`: it means nothing any more.
 */
import { Binary, type Collection, type Db, type Filter, type UpdateFilter } from 'mongodb';
import { exportEventOf, exportStatuses, type ExpenseReportRef, type ExportRef, type ExportStatus, type JournalEntry, type NewEvent } from '../domain';
import type { Lease, LeaseStore } from './claims';
import { BUSY_PAUSES_MS, BUSY_PAUSES_RECORDING_MS, escapeRegex, isDuplicateKeyError, lastInSequence, retryWhileBusy } from './mongo';
import type { WebhookStore } from './webhooks';

export interface MissingMapping {
  expenseId: string | null;
  field: string;
  value: string;
  reason: string;
  message?: string;
}

/** One step of posting, kept on the export for people (what was sent when, what lookups found). */
export interface PostingLogEntry {
  at: Date;
  kind: 'post' | 'lookup' | 'review';
  /** post: sent, created, rejected, not_created, unknown; lookup: found, not_found, conflict; review: … */
  result: string;
  detail?: string;
}

export interface PostingState {
  /** The first POST (lookups search entries modified since shortly before it). */
  firstAttemptAt?: Date | null;
  /** The last POST sent: the settle period counts from here. */
  lastAttemptAt?: Date | null;
  /** POSTs sent. */
  attempts?: number;
  /** A POST's outcome is not known: no POST may go out until a lookup resolved it. */
  outcomeOpen?: boolean;
  /** POSTs whose outcome was never answered (counted from sending; a definite answer takes it back). */
  unknownOutcomes?: number;
  /** Entry and division frozen since (the first POST). */
  frozenAt?: Date | null;
  log?: PostingLogEntry[];
  /** Documents written before revisions existed: the open-outcome mark. */
  outcomeUnknown?: boolean;
}

export interface ExportDoc {
  /** exportDocId(tenantId, reportId, revision) */
  _id: string;
  tenantId: string;
  reportId: string;
  /** 1, 2, …; documents written before revisions existed have none (revision 1). */
  revision?: number;
  /** The reference every line carries (older documents: none, `EXP-<reportId>`). */
  reference?: string;
  contentHash: string;
  /** The report without receipt contents (receipts by reference). */
  report: ExpenseReportRef;
  status: ExportStatus;
  workflowId: string;
  /** The Exact division: the tenant's at acceptance, pinned at the first POST when unknown then. */
  division: string | null;
  missing: MissingMapping[];
  /** A reversal: the revision whose entry this one mirrors (its entry is built when the reversal is asked for). */
  reverses?: number;
  /** The reversal revision that reversed this one. */
  reversedBy?: number;
  /** The booking as built (domain entry), once validation passed; frozen at the first POST. */
  entry: JournalEntry | null;
  exactEntryId: string | null;
  exactEntryNumber: string | null;
  postedAt: Date | null;
  /** When retention deleted the receipts (RECEIPT_RETENTION after posting or cancelling). */
  receiptsDeletedAt?: Date | null;
  /** How the entry was found: posted by us, adopted by the lookup, or marked by a person. */
  postedVia?: 'created' | 'adopted' | 'marked' | null;
  error: { message: string; line?: number | null; code?: string | null } | null;
  posting?: PostingState;
  /** Why the export needs a person (status needs_review). */
  review?: { reason: string; at: Date } | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ReceiptDoc {
  _id: string;
  tenantId: string;
  reportId: string;
  contentHash: string;
  receiptId: string;
  expenseId: string;
  fileName: string;
  contentType: string;
  size: number;
  data: Binary;
  createdAt: Date;
}

/**
 * The document ID of an export revision: `<tenant>:<report>` for revision 1 (as before revisions
 * existed), `<tenant>@r<n>:<report>` after. Tenant IDs never contain `@` or `:`, so no two
 * revisions of any reports share an ID.
 */
export const exportDocId = (tenantId: string, reportId: string, revision = 1) => (revision === 1 ? `${tenantId}:${reportId}` : `${tenantId}@r${revision}:${reportId}`);

export const revisionOf = (doc: Pick<ExportDoc, 'revision'>): number => doc.revision ?? 1;
export const refOf = (doc: Pick<ExportDoc, 'tenantId' | 'reportId' | 'revision'>): ExportRef => ({ tenantId: doc.tenantId, reportId: doc.reportId, revision: revisionOf(doc) });
export const isOutcomeOpen = (doc: Pick<ExportDoc, 'posting'>): boolean => !!(doc.posting?.outcomeOpen || doc.posting?.outcomeUnknown);

const docId = (ref: ExportRef) => exportDocId(ref.tenantId, ref.reportId, ref.revision);
/** The key of an export revision's posting lease in the LeaseStore. */
export const postingLeaseKey = (ref: ExportRef) => `posting:${docId(ref)}`;

/** The posting lease taken, with the export as it is now; or who holds the lease. */
export type PostingLeaseResult = { acquired: true; lease: Lease; doc: ExportDoc | null } | { acquired: false; holder: string | null; expiresAt: Date | null };
const logEntry = (kind: PostingLogEntry['kind'], result: string, detail?: string): PostingLogEntry => ({ at: new Date(), kind, result, ...(detail ? { detail } : {}) });

export class ExportStore {
  readonly col: Collection<ExportDoc>;
  readonly receipts: Collection<ReceiptDoc>;

  /** `leases`: the posting lease; `events`: where a change of status is announced (see `writeStatus`). */
  constructor(
    db: Db,
    private readonly leases: LeaseStore,
    private readonly events?: WebhookStore,
  ) {
    this.col = db.collection<ExportDoc>('exports');
    this.receipts = db.collection<ReceiptDoc>('receipts');
  }

  /**
   * THE place where an export's status is recorded: every write that sets `status` goes through
   * here, and a change of status that the platform hears about (see `exportEventOf` in the
   * domain) is recorded as an event and handed to delivery. Writing the same status again
   * announces nothing (events an earlier attempt could not hand on go with the export's next
   * event, or the hourly sweep).
   */
  private async writeStatus(
    ref: ExportRef,
    set: Record<string, unknown> & { status: ExportStatus },
    opts: { filter?: Filter<ExportDoc>; inc?: Record<string, number>; push?: Record<string, unknown>; announce?: boolean; busyPauses?: readonly number[] } = {},
  ): Promise<boolean> {
    const update = { $set: set, ...(opts.inc ? { $inc: opts.inc } : {}), ...(opts.push ? { $push: opts.push } : {}) } as UpdateFilter<ExportDoc>;
    // A busy embedded database wrote nothing: the write (and the event after it) is tried again.
    const pauses = opts.busyPauses ?? BUSY_PAUSES_RECORDING_MS;
    const before = await retryWhileBusy(() => this.col.findOneAndUpdate({ ...opts.filter, _id: docId(ref) }, update, { returnDocument: 'before' }), pauses);
    if (!before) return false;
    if (!this.events) return true;
    const after = { ...before, ...set } as ExportDoc;
    const event = opts.announce !== false && before.status !== set.status ? exportEvent(after) : null;
    const events = this.events;
    if (event) await retryWhileBusy(() => events.record(event), pauses);
    return true;
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ tenantId: 1, status: 1, updatedAt: -1 });
    await this.col.createIndex({ tenantId: 1, reportId: 1, revision: -1 });
    await this.receipts.createIndex({ tenantId: 1, reportId: 1, contentHash: 1 });
    await this.col.createIndex({ status: 1, postedAt: 1 });
  }

  /** Stores the receipts of one submission (idempotent per content hash). */
  async putReceipts(
    tenantId: string,
    reportId: string,
    contentHash: string,
    receipts: { receiptId: string; expenseId: string; fileName: string; contentType: string; data: Buffer }[],
  ): Promise<void> {
    if (receipts.length === 0) return;
    const now = new Date();
    try {
      // Inserted, not upserted: a key names the content (its submission's hash), so a receipt that
      // is there already is the same one. One insert, without a read first (FerretDB's upsert reads).
      await this.receipts.insertMany(
        receipts.map((r) => ({
          _id: receiptKey(tenantId, reportId, contentHash, r.receiptId),
          tenantId,
          reportId,
          contentHash,
          receiptId: r.receiptId,
          expenseId: r.expenseId,
          fileName: r.fileName,
          contentType: r.contentType,
          size: r.data.length,
          data: new Binary(r.data),
          createdAt: now,
        })),
        { ordered: false },
      );
    } catch (err) {
      // Submitted before (a repeat, or two submissions racing): those receipts are stored already.
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  /**
   * The stored receipts among `receiptIds` of one submission, each read by its `_id`: the embedded
   * FerretDB (SQLite) answers only a filter on `_id` alone without reading the whole collection,
   * receipt contents included.
   */
  async getReceipts(tenantId: string, reportId: string, contentHash: string, receiptIds: string[]): Promise<ReceiptDoc[]> {
    const found = await Promise.all([...new Set(receiptIds)].map((id) => this.receipts.findOne({ _id: receiptKey(tenantId, reportId, contentHash, id) })));
    return found.filter((r): r is ReceiptDoc => r !== null);
  }

  async deleteReceipts(tenantId: string, reportId: string, contentHash: string): Promise<void> {
    await this.receipts.deleteMany({ tenantId, reportId, contentHash });
  }

  /** Inserts the export revision; returns the existing one instead when it was inserted before. */
  async insertOrGet(doc: ExportDoc): Promise<{ doc: ExportDoc; created: boolean }> {
    try {
      await this.col.insertOne(doc);
      return { doc, created: true };
    } catch (err) {
      if (isDuplicateKeyError(err)) {
        const existing = await this.col.findOne({ _id: doc._id });
        if (existing) return { doc: existing, created: false };
      }
      throw err;
    }
  }

  /** The report's current (highest) revision, or the given one. */
  async get(tenantId: string, reportId: string, revision?: number): Promise<ExportDoc | null> {
    if (revision !== undefined) return this.col.findOne({ _id: exportDocId(tenantId, reportId, revision) });
    // Revisions are numbered from 1 without gaps and never deleted: read by `_id` (no collection scan).
    return (await lastInSequence((n) => this.col.findOne({ _id: exportDocId(tenantId, reportId, n) })))?.doc ?? null;
  }

  getRevision(ref: ExportRef): Promise<ExportDoc | null> {
    return this.col.findOne({ _id: docId(ref) });
  }

  /** Every revision of a report, oldest first. */
  listRevisions(tenantId: string, reportId: string): Promise<ExportDoc[]> {
    return this.col.find({ tenantId, reportId }, { projection: { entry: 0 } }).sort({ revision: 1 }).toArray();
  }

  async update(ref: ExportRef, set: Partial<Omit<ExportDoc, '_id'>> & Record<string, unknown>): Promise<void> {
    if (set.status !== undefined) {
      await this.writeStatus(ref, { ...set, status: set.status, updatedAt: new Date() });
      return;
    }
    await this.col.updateOne({ _id: docId(ref) }, { $set: { ...set, updatedAt: new Date() } });
  }

  // --- posting ----------------------------------------------------------------------------------

  /**
   * Takes the posting lease (so two attempts of one export never call Maesn at the same time) for
   * `holder`, one name per attempt. Acquired: the lease and the export as read after taking it
   * (null when there is none). Not acquired: who holds it and until when.
   */
  async acquirePostingLease(ref: ExportRef, holder: string, leaseMs: number): Promise<PostingLeaseResult> {
    const r = await this.leases.acquire(postingLeaseKey(ref), holder, leaseMs);
    if (!r.acquired) return r;
    return { acquired: true, lease: r.lease, doc: await this.getRevision(ref) };
  }

  /** True while `lease` is still the export's posting lease (not expired, not taken over): checked right before a POST. */
  holdsPostingLease(lease: Lease): Promise<boolean> {
    return this.leases.holds(lease);
  }

  /** Who holds the export's posting lease now (null: nobody, or it expired). */
  postingLeaseHolder(ref: ExportRef): Promise<Lease | null> {
    return this.leases.current(postingLeaseKey(ref));
  }

  /**
   * An admin confirmed a switch of division: exports of the tenant pinned to the previous division
   * that cannot have created an entry there (never POSTed, or only definitely rejected) move to the
   * new one. Runs while the change is still pending, when no POST may start. Returns how many moved.
   */
  async repinDivision(tenantId: string, from: string, to: string): Promise<number> {
    const r = await this.col.updateMany(
      {
        tenantId,
        division: from,
        exactEntryId: null,
        status: { $nin: ['posted', 'cancelled', 'reversed'] },
        'posting.outcomeOpen': { $ne: true },
        'posting.outcomeUnknown': { $ne: true },
        $or: [{ 'posting.frozenAt': null }, { status: 'rejected' }],
      },
      { $set: { division: to, updatedAt: new Date() } },
    );
    return r.modifiedCount;
  }

  /**
   * Gives the posting lease back (so the next attempt, or the lookup, can go ahead). Does nothing
   * when it was taken over meanwhile: a late release never frees a newer attempt's lease.
   */
  async releasePostingLease(lease: Lease): Promise<void> {
    await this.leases.release(lease);
  }

  /**
   * Right before a POST (the caller holds the lease): the outcome is open from here, counted as
   * unknown until a definite answer takes it back; entry and division are frozen. Refused (false)
   * when an outcome is already open or the export is posted.
   */
  async beginPost(ref: ExportRef, frozen: { frozenAt: Date; firstAttemptAt: Date; division: string }): Promise<boolean> {
    const now = new Date();
    return this.writeStatus(
      ref,
      {
        'posting.outcomeOpen': true,
        'posting.lastAttemptAt': now,
        'posting.firstAttemptAt': frozen.firstAttemptAt,
        'posting.frozenAt': frozen.frozenAt,
        division: frozen.division,
        status: 'posting',
        updatedAt: now,
      },
      {
        filter: { exactEntryId: null, 'posting.outcomeOpen': { $ne: true }, 'posting.outcomeUnknown': { $ne: true } },
        inc: { 'posting.attempts': 1, 'posting.unknownOutcomes': 1 },
        push: { 'posting.log': logEntry('post', 'sent') },
        // Right before the POST, inside the attempt's safety margin: only briefly.
        busyPauses: BUSY_PAUSES_MS,
      },
    );
  }

  /** The POST was answered definitely and nothing was created (429, 401, connection refused). */
  async recordNotCreated(ref: ExportRef, detail: string): Promise<void> {
    await retryWhileBusy(
      () =>
        this.col.updateOne(
          { _id: docId(ref) },
          {
            $set: { 'posting.outcomeOpen': false, updatedAt: new Date() },
            $inc: { 'posting.unknownOutcomes': -1 },
            $push: { 'posting.log': logEntry('post', 'not_created', detail) },
          },
        ),
      BUSY_PAUSES_RECORDING_MS,
    );
  }

  /** The POST got no usable answer: the outcome stays open (and counted). */
  async recordUnknown(ref: ExportRef, detail: string): Promise<Date> {
    // The settle period counts from here, when the POST ended unanswered: it may have waited for
    // the call budget before it was sent, and Exact may commit until the connection gave up.
    const now = new Date();
    await retryWhileBusy(
      () => this.col.updateOne({ _id: docId(ref) }, { $set: { 'posting.lastAttemptAt': now, updatedAt: now }, $push: { 'posting.log': logEntry('post', 'unknown', detail) } }),
      BUSY_PAUSES_RECORDING_MS,
    );
    return now;
  }

  /**
   * Records the Exact entry. `via: 'created'`: a 201 to our POST (so that POST's outcome was not
   * unknown after all); otherwise found by a lookup or named by a person.
   */
  async recordPosted(
    ref: ExportRef,
    entry: { id: string; number: string; via: 'created' | 'adopted' | 'marked' },
    detail?: string,
    /** The export as the caller read it (saves reading whether it is a reversal again). */
    known?: Pick<ExportDoc, 'reverses'>,
  ): Promise<void> {
    const now = new Date();
    // A reversal: the original is marked first, so an original shown `reversed` always has its mirror in Exact
    // (this runs only once the mirror exists); a crash in between is repaired by the repeat (both idempotent).
    const reverses = known ? known.reverses : (await this.col.findOne({ _id: docId(ref) }, { projection: { reverses: 1 } }))?.reverses;
    if (reverses !== undefined) {
      // Announced once, by the reversal's own revision below (its entry is the mirror in Exact).
      await this.writeStatus({ ...ref, revision: reverses }, { status: 'reversed', reversedBy: ref.revision, updatedAt: now }, { announce: false });
    }
    await this.writeStatus(
      ref,
      {
        exactEntryId: entry.id,
        exactEntryNumber: entry.number,
        postedAt: now,
        postedVia: entry.via,
        status: reverses !== undefined ? 'reversed' : 'posted',
        error: null,
        review: null,
        'posting.outcomeOpen': false,
        'posting.outcomeUnknown': false,
        updatedAt: now,
      },
      {
        ...(entry.via === 'created' ? { inc: { 'posting.unknownOutcomes': -1 } } : {}),
        push: { 'posting.log': logEntry(entry.via === 'created' ? 'post' : entry.via === 'adopted' ? 'lookup' : 'review', entry.via === 'created' ? 'created' : 'found', detail ?? entry.id) },
      },
    );
  }

  /**
   * Exact (or a guard of ours) refused the entry; the export shows why.
   * `answeredPost`: the refusal answered our POST, so no entry exists and its outcome is closed.
   */
  async recordRejected(ref: ExportRef, error: NonNullable<ExportDoc['error']>, opts: { answeredPost: boolean }): Promise<void> {
    await this.writeStatus(
      ref,
      { status: 'rejected', error, ...(opts.answeredPost ? { 'posting.outcomeOpen': false } : {}), updatedAt: new Date() },
      {
        ...(opts.answeredPost ? { inc: { 'posting.unknownOutcomes': -1 } } : {}),
        push: { 'posting.log': logEntry('post', opts.answeredPost ? 'rejected' : 'refused', error.message) },
      },
    );
  }

  /**
   * A lookup at least the settle period after the last POST found nothing: that POST created
   * nothing, the outcome is closed. Only when no attempt holds the posting lease unexpired (one
   * could be about to send) and no POST went out since `lastAttemptAt`; returns whether it was
   * applied.
   */
  async resolveNothingPosted(ref: ExportRef, lastAttemptAt: Date, detail: string): Promise<boolean> {
    if (await this.postingLeaseHolder(ref)) return false;
    const now = new Date();
    const r = await this.col.updateOne(
      { _id: docId(ref), exactEntryId: null, 'posting.lastAttemptAt': lastAttemptAt },
      {
        $set: { 'posting.outcomeOpen': false, 'posting.outcomeUnknown': false, updatedAt: now },
        $push: { 'posting.log': logEntry('lookup', 'not_found', detail) },
      },
    );
    return r.modifiedCount === 1;
  }

  /** Notes a lookup's result that changes nothing (a conflict, too early, …). */
  async logPosting(ref: ExportRef, kind: PostingLogEntry['kind'], result: string, detail?: string): Promise<void> {
    await this.col.updateOne({ _id: docId(ref) }, { $push: { 'posting.log': logEntry(kind, result, detail) }, $set: { updatedAt: new Date() } });
  }

  /** needs_review: what a person must look at. */
  async recordNeedsReview(ref: ExportRef, reason: string): Promise<void> {
    const now = new Date();
    await this.writeStatus(
      ref,
      { status: 'needs_review', review: { reason, at: now }, error: { message: reason, code: 'needs_review' }, updatedAt: now },
      { push: { 'posting.log': logEntry('review', 'needs_review', reason) } },
    );
  }

  /** A person asked to try again: the count of unknown outcomes starts over. */
  async resetUnknownOutcomes(ref: ExportRef): Promise<void> {
    await this.col.updateOne({ _id: docId(ref) }, { $set: { 'posting.unknownOutcomes': 0, review: null, updatedAt: new Date() }, $push: { 'posting.log': logEntry('review', 'retry') } });
  }

  // --- lists --------------------------------------------------------------------------------------

  /**
   * A page of the tenant's exports for a person: optionally one status and a search on the report
   * ID or the employee (ID, name or e-mail, case-insensitive); with `first`, exports in those
   * statuses come before the others (each part newest first).
   */
  async search(tenantId: string, q: { status?: ExportStatus; search?: string; first?: readonly ExportStatus[]; page: number; limit: number }): Promise<{ items: ExportDoc[]; total: number }> {
    const base = this.searchFilter(tenantId, q.search);
    const filter: Filter<ExportDoc> = q.status ? { ...base, status: q.status } : base;
    const skip = (q.page - 1) * q.limit;
    const page = (f: Filter<ExportDoc>, from: number, n: number) =>
      n <= 0 ? Promise.resolve([]) : this.col.find(f, { projection: { entry: 0, 'posting.log': 0 } }).sort({ updatedAt: -1, _id: 1 }).skip(from).limit(n).toArray();
    if (!q.first?.length || q.status) {
      const [items, total] = await Promise.all([page(filter, skip, q.limit), this.col.countDocuments(filter)]);
      return { items, total };
    }
    const head: Filter<ExportDoc> = { ...base, status: { $in: [...q.first] } };
    const tail: Filter<ExportDoc> = { ...base, status: { $nin: [...q.first] } };
    const [headCount, tailCount] = await Promise.all([this.col.countDocuments(head), this.col.countDocuments(tail)]);
    const fromHead = await page(head, skip, Math.min(q.limit, headCount - skip));
    const fromTail = await page(tail, Math.max(0, skip - headCount), q.limit - fromHead.length);
    return { items: [...fromHead, ...fromTail], total: headCount + tailCount };
  }

  /** How many of the tenant's exports (matching `search`, see `search`) are in each status. */
  async countByStatus(tenantId: string, search?: string): Promise<Record<ExportStatus, number>> {
    const groups = await this.col.aggregate<{ _id: ExportStatus; n: number }>([{ $match: this.searchFilter(tenantId, search) }, { $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    const counts = Object.fromEntries(exportStatuses.map((st) => [st, 0])) as Record<ExportStatus, number>;
    for (const g of groups) if (g._id in counts) counts[g._id] = g.n;
    return counts;
  }

  private searchFilter(tenantId: string, search: string | undefined): Filter<ExportDoc> {
    if (!search) return { tenantId };
    const rx = { $regex: escapeRegex(search), $options: 'i' };
    return { tenantId, $or: [{ reportId: rx }, { 'report.employee.id': rx }, { 'report.employee.name': rx }, { 'report.employee.email': rx }] };
  }

  count(tenantId: string, status?: ExportStatus): Promise<number> {
    return this.col.countDocuments({ tenantId, ...(status ? { status } : {}) });
  }

  /** Workflow IDs of the tenant's exports in one of `statuses`; with `missingReason`, only those missing something for that reason. */
  async workflowIdsWithStatus(tenantId: string, statuses: ExportStatus[], opts: { missingReason?: string } = {}): Promise<string[]> {
    const docs = await this.col.find({ tenantId, status: { $in: statuses } }, { projection: { workflowId: 1, missing: 1 } }).toArray();
    // Filtered here rather than by a query into the array of documents: the same on FerretDB and MongoDB.
    return docs.filter((d) => !opts.missingReason || (d.missing ?? []).some((m) => m.reason === opts.missingReason)).map((d) => d.workflowId);
  }

  /**
   * Retention: deletes the receipts of exports posted (or cancelled) before `cutoff`, in batches,
   * and marks each export. Returns how many exports and receipts it cleared. Safe to run any
   * number of times, anywhere (no TTL index: FerretDB does not implement them).
   */
  async deleteExpiredReceipts(cutoff: Date, batchSize = 200): Promise<{ exports: number; receipts: number }> {
    const total = { exports: 0, receipts: 0 };
    const due = {
      receiptsDeletedAt: { $exists: false },
      $or: [
        { status: 'posted' as const, postedAt: { $lt: cutoff } },
        { status: 'cancelled' as const, updatedAt: { $lt: cutoff } },
        { status: 'reversed' as const, postedAt: { $lt: cutoff } },
      ],
    };
    for (;;) {
      const batch = await this.col.find(due, { projection: { _id: 1, tenantId: 1, reportId: 1 } }).limit(batchSize).toArray();
      for (const e of batch) {
        // Every submission's receipts of the report (a conflicting resubmission stored its own).
        const r = await this.receipts.deleteMany({ tenantId: e.tenantId, reportId: e.reportId });
        await this.col.updateOne({ _id: e._id }, { $set: { receiptsDeletedAt: new Date() } });
        total.exports++;
        total.receipts += r.deletedCount;
      }
      if (batch.length < batchSize) return total;
    }
  }
}

/** The event an export in its current status announces (null: its status announces none). */
function exportEvent(doc: ExportDoc): NewEvent | null {
  const type = exportEventOf(doc.status);
  const base = { tenantId: doc.tenantId, objectId: doc.reportId };
  switch (type) {
    case 'export.posted':
      return { ...base, type, data: { exactEntryId: doc.exactEntryId ?? '', exactEntryNumber: doc.exactEntryNumber ?? '' } };
    case 'export.rejected':
      return { ...base, type, data: { message: doc.error?.message ?? '', line: doc.error?.line ?? null, code: doc.error?.code ?? null } };
    case 'export.waiting_for_mappings':
      return { ...base, type, data: { missing: doc.missing.map((m) => ({ expenseId: m.expenseId, field: m.field, value: m.value, reason: m.reason, ...(m.message !== undefined ? { message: m.message } : {}) })) } };
    case 'export.needs_review':
    case 'export.reversed':
      return { ...base, type, data: { message: doc.error?.message ?? null } };
    default:
      return null;
  }
}

export function receiptKey(tenantId: string, reportId: string, contentHash: string, receiptId: string): string {
  return `${tenantId}:${reportId}:${contentHash.slice(0, 16)}:${receiptId}`;
}
