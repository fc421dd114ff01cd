/**
 * Exports of expense reports (one per tenant + report) and their receipts.
 *
 * Receipts are stored here, outside Temporal history; workflows carry only references. Receipt
 * keys include the report's content hash, so a conflicting resubmission can never overwrite the
 * receipts of the export that already exists.
 */
import { Binary, type Collection, type Db } from 'mongodb';
import { exportEventOf, exportOrderingKey, type ExpenseReportRef, type ExportStatus, type JournalEntry, type NewEvent } from '../domain';
import { isDuplicateKeyError } from './mongo';
import type { WebhookStore } from './webhooks';

export interface MissingMapping {
  expenseId: string | null;
  field: string;
  value: string;
  reason: string;
  message?: string;
}

export interface ExportDoc {
  _id: string; // `${tenantId}:${reportId}`
  tenantId: string;
  reportId: string;
  contentHash: string;
  /** The report without receipt contents (receipts by reference). */
  report: ExpenseReportRef;
  status: ExportStatus;
  workflowId: string;
  /** The Exact division pinned when the export was accepted. */
  division: string | null;
  missing: MissingMapping[];
  /** The booking as built (domain entry), once validation passed. */
  entry: JournalEntry | null;
  exactEntryId: string | null;
  exactEntryNumber: string | null;
  postedAt: Date | null;
  /** When retention deleted the receipts (RECEIPT_RETENTION after posting or cancelling). */
  receiptsDeletedAt?: Date | null;
  /** How the entry was found: posted by us, or adopted by the duplicate lookup. */
  postedVia?: 'created' | 'adopted' | null;
  error: { message: string; line?: number | null; code?: string | null } | null;
  /** Posting bookkeeping (see postJournalEntry): first attempt time, unknown-outcome flag, lease. */
  posting?: { firstAttemptAt?: Date; outcomeUnknown?: boolean; leaseUntil?: Date | null; attempts?: number };
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

export const exportId = (tenantId: string, reportId: string) => `${tenantId}:${reportId}`;

export class ExportStore {
  readonly col: Collection<ExportDoc>;
  readonly receipts: Collection<ReceiptDoc>;

  /** `events`: where a change of status is announced (see `writeStatus`). */
  constructor(
    db: Db,
    private readonly events?: WebhookStore,
  ) {
    this.col = db.collection<ExportDoc>('exports');
    this.receipts = db.collection<ReceiptDoc>('receipts');
  }

  /**
   * THE place where an export's status is recorded: every write that sets `status` goes through
   * here, and a change of status that the platform hears about (see `exportEventOf` in the
   * domain) is recorded as an event and handed to delivery. Writing the same status again
   * announces nothing, but hands on events an earlier attempt could not dispatch.
   */
  private async writeStatus(tenantId: string, reportId: string, set: Record<string, unknown> & { status: ExportStatus }): Promise<void> {
    const before = await this.col.findOneAndUpdate({ _id: exportId(tenantId, reportId) }, { $set: set }, { returnDocument: 'before' });
    if (!before || !this.events) return;
    const after = { ...before, ...set } as ExportDoc;
    const event = before.status !== set.status ? exportEvent(after) : null;
    if (event) await this.events.record(event);
    else await this.events.dispatch(exportOrderingKey(tenantId, reportId));
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ tenantId: 1, status: 1, updatedAt: -1 });
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
      await this.receipts.bulkWrite(
        receipts.map((r) => ({
          updateOne: {
            filter: { _id: receiptKey(tenantId, reportId, contentHash, r.receiptId) },
            update: {
              $setOnInsert: {
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
              },
            },
            upsert: true,
          },
        })),
        { ordered: false },
      );
    } catch (err) {
      // Two submissions of the same report racing: the other one inserted the same receipts.
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  async getReceipts(tenantId: string, reportId: string, contentHash: string): Promise<ReceiptDoc[]> {
    return this.receipts.find({ tenantId, reportId, contentHash }).toArray();
  }

  async deleteReceipts(tenantId: string, reportId: string, contentHash: string): Promise<void> {
    await this.receipts.deleteMany({ tenantId, reportId, contentHash });
  }

  /** Inserts the export; returns the existing one instead when the report was submitted before. */
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

  get(tenantId: string, reportId: string): Promise<ExportDoc | null> {
    return this.col.findOne({ _id: exportId(tenantId, reportId) });
  }

  async update(tenantId: string, reportId: string, set: Partial<Omit<ExportDoc, '_id'>> & Record<string, unknown>): Promise<void> {
    if (set.status !== undefined) return this.writeStatus(tenantId, reportId, { ...set, status: set.status, updatedAt: new Date() });
    await this.col.updateOne({ _id: exportId(tenantId, reportId) }, { $set: { ...set, updatedAt: new Date() } });
  }

  /**
   * Takes the posting lease (so two attempts of one export never call Maesn at the same time).
   * Returns the document as it was before, or null when another attempt holds the lease.
   */
  async acquirePostingLease(tenantId: string, reportId: string, leaseMs: number): Promise<ExportDoc | null> {
    const now = new Date();
    return this.col.findOneAndUpdate(
      {
        _id: exportId(tenantId, reportId),
        $or: [{ 'posting.leaseUntil': { $exists: false } }, { 'posting.leaseUntil': null }, { 'posting.leaseUntil': { $lt: now } }],
      },
      { $set: { 'posting.leaseUntil': new Date(now.getTime() + leaseMs), updatedAt: now }, $inc: { 'posting.attempts': 1 } },
      { returnDocument: 'before' },
    );
  }

  /** Gives the posting lease back (so the next attempt can go ahead). */
  async releasePostingLease(tenantId: string, reportId: string): Promise<void> {
    await this.col.updateOne({ _id: exportId(tenantId, reportId) }, { $set: { 'posting.leaseUntil': null, updatedAt: new Date() } });
  }

  /** From now on the outcome of posting is unknown until a definite answer (remembers the first attempt). */
  async markOutcomeUnknown(tenantId: string, reportId: string, firstAttemptAt: Date): Promise<void> {
    await this.col.updateOne({ _id: exportId(tenantId, reportId) }, { $set: { 'posting.firstAttemptAt': firstAttemptAt, 'posting.outcomeUnknown': true, updatedAt: new Date() } });
  }

  /** Maesn answered definitely that nothing was created (401, 429): releases the lease and clears the unknown outcome. */
  async markNothingPosted(tenantId: string, reportId: string): Promise<void> {
    await this.col.updateOne({ _id: exportId(tenantId, reportId) }, { $set: { 'posting.leaseUntil': null, 'posting.outcomeUnknown': false, updatedAt: new Date() } });
  }

  /** Records the Exact entry (posted by us or adopted) and releases the lease. */
  async recordPosted(tenantId: string, reportId: string, entry: { id: string; number: string; via: 'created' | 'adopted' }): Promise<void> {
    const now = new Date();
    await this.writeStatus(tenantId, reportId, {
      exactEntryId: entry.id,
      exactEntryNumber: entry.number,
      postedAt: now,
      postedVia: entry.via,
      status: 'posted',
      error: null,
      'posting.outcomeUnknown': false,
      'posting.leaseUntil': null,
      updatedAt: now,
    });
  }

  /**
   * Exact (or a guard of ours) refused the entry; the export shows why and the lease is released.
   * `nothingPosted`: the refusal answered our POST, so no entry exists (clears an unknown outcome).
   */
  async recordRejected(tenantId: string, reportId: string, error: NonNullable<ExportDoc['error']>, opts: { nothingPosted: boolean }): Promise<void> {
    await this.writeStatus(tenantId, reportId, { status: 'rejected', error, 'posting.leaseUntil': null, ...(opts.nothingPosted ? { 'posting.outcomeUnknown': false } : {}), updatedAt: new Date() });
  }

  list(tenantId: string, filter: { status?: ExportStatus; page: number; limit: number }): Promise<ExportDoc[]> {
    return this.col
      .find({ tenantId, ...(filter.status ? { status: filter.status } : {}) }, { projection: { entry: 0 } })
      .sort({ updatedAt: -1 })
      .skip((filter.page - 1) * filter.limit)
      .limit(filter.limit)
      .toArray();
  }

  count(tenantId: string, status?: ExportStatus): Promise<number> {
    return this.col.countDocuments({ tenantId, ...(status ? { status } : {}) });
  }

  async workflowIdsWithStatus(tenantId: string, statuses: ExportStatus[]): Promise<string[]> {
    const docs = await this.col.find({ tenantId, status: { $in: statuses } }, { projection: { workflowId: 1 } }).toArray();
    return docs.map((d) => d.workflowId);
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
