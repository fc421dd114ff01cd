/**
 * Synced Exact master data: one collection per kind, unique on (tenantId, id), looked up by
 * (tenantId, code). Records are never deleted: a record that disappeared from Exact is marked
 * inactive by a full sync (`markUnseenInactive`).
 */
import type { Collection, Db, Filter } from 'mongodb';
import { MASTER_DATA_KINDS, isVatCodeUsableForPurchases, masterDataKinds, vatPercentageMatches, type GlAccountKind, type MasterDataKind, type MasterDataRecord, type VatCode } from '../domain';
import { duplicateKeyIndexes, escapeRegex } from './mongo';

export interface StoredMasterDataRecord extends MasterDataRecord {
  /** `<tenantId>:<id>` */
  _id?: string;
  tenantId: string;
  syncedAt: Date;
  lastSeenRunId: string;
  /** Set when a full sync no longer found the record in Exact. */
  removedFromSourceAt?: Date | null;
}

export interface ListQuery {
  page: number;
  limit: number;
  search?: string;
  active?: boolean;
  /** GL accounts of these kinds only (`kind` of the record). */
  accountKinds?: readonly GlAccountKind[];
  /** VAT codes usable on purchases whose percentage matches this rate key ("21", "exempt"). */
  vatRate?: string;
}

/** Replaces per bulk write: FerretDB stops answering at 100 matched upserts in one call. */
const WRITE_BATCH = 50;

export const recordKey = (tenantId: string, id: string) => `${tenantId}:${id}`;

export class MasterDataStore {
  private readonly cols: Record<MasterDataKind, Collection<StoredMasterDataRecord>>;

  constructor(db: Db) {
    this.cols = Object.fromEntries(masterDataKinds.map((k) => [k, db.collection<StoredMasterDataRecord>(MASTER_DATA_KINDS[k].collection)])) as never;
  }

  /** Suppliers whose normalised VAT number or name is one of the given (merchant matching). */
  findSupplierCandidates(tenantId: string, match: { vatNumbersNorm: string[]; namesNorm: string[] }, limit = 500): Promise<StoredMasterDataRecord[]> {
    return this.cols.suppliers
      .find({ tenantId, $or: [{ vatNumberNorm: { $in: match.vatNumbersNorm } }, { nameNorm: { $in: match.namesNorm } }] }, { projection: { _id: 0 } })
      .limit(limit)
      .toArray();
  }

  async ensureIndexes(): Promise<void> {
    for (const kind of masterDataKinds) {
      const col = this.cols[kind];
      await col.createIndex({ tenantId: 1, id: 1 }, { unique: true, name: 'tenant_id_unique' });
      await col.createIndex({ tenantId: 1, code: 1 }, { name: 'tenant_code' });
      await col.createIndex({ tenantId: 1, lastSeenRunId: 1 }, { name: 'tenant_run' });
    }
    await this.cols.suppliers.createIndex({ tenantId: 1, vatNumberNorm: 1 }, { name: 'tenant_vat' });
    await this.cols.suppliers.createIndex({ tenantId: 1, nameNorm: 1 }, { name: 'tenant_name' });
  }

  /**
   * Upserts one page of records; idempotent, so a repeated page after a crash changes nothing.
   *
   * Documents are keyed `_id = <tenantId>:<id>`. The page is first inserted as a whole (new
   * records, the common case of a first sync); records that already exist fail with a duplicate
   * key and are then replaced by `_id`, in small batches. Plain upserts filtered on
   * (tenantId, id) are what MongoDB is good at, but FerretDB (the embedded dev/test database)
   * scans the collection for each of them and stops answering a bulk write of 100 matched
   * upserts; bulk inserts and writes by `_id` hold up much better there.
   */
  async upsertPage(kind: MasterDataKind, tenantId: string, runId: string, records: MasterDataRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const col = this.cols[kind];
    const now = new Date();
    const docs = records.map((r) => ({ ...r, _id: recordKey(tenantId, r.id), tenantId, syncedAt: now, lastSeenRunId: runId, removedFromSourceAt: null }));
    let existing: typeof docs = [];
    try {
      await col.insertMany(docs, { ordered: false });
    } catch (err) {
      const failed = duplicateKeyIndexes(err);
      if (!failed) throw err;
      existing = failed.map((i) => docs[i]);
    }
    for (let i = 0; i < existing.length; i += WRITE_BATCH) {
      await col.bulkWrite(
        existing.slice(i, i + WRITE_BATCH).map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })),
        { ordered: false },
      );
    }
    return docs.length;
  }

  /**
   * After a complete full sync: records of the tenant not seen in `runId` disappeared from Exact.
   * They stay (for history and mapping health) but become inactive. Returns how many changed.
   */
  async markUnseenInactive(kind: MasterDataKind, tenantId: string, runId: string): Promise<number> {
    const res = await this.cols[kind].updateMany(
      { tenantId, lastSeenRunId: { $ne: runId }, active: true },
      { $set: { active: false, removedFromSourceAt: new Date() } },
    );
    return res.modifiedCount;
  }

  async count(kind: MasterDataKind, tenantId: string, filter: { active?: boolean } = {}): Promise<number> {
    const q: Filter<StoredMasterDataRecord> = { tenantId };
    if (filter.active !== undefined) q.active = filter.active;
    return this.cols[kind].countDocuments(q);
  }

  async list(kind: MasterDataKind, tenantId: string, q: ListQuery): Promise<{ items: StoredMasterDataRecord[]; total: number }> {
    const filter: Filter<StoredMasterDataRecord> = { tenantId };
    if (q.active !== undefined) filter.active = q.active;
    if (q.search) {
      const rx = { $regex: escapeRegex(q.search), $options: 'i' };
      filter.$or = [{ code: rx }, { name: rx }];
    }
    if (q.accountKinds) filter.kind = { $in: [...q.accountKinds] };
    if (q.vatRate !== undefined) {
      // A division has a few dozen VAT codes: the domain's own rules decide which fit, in memory.
      const rate = q.vatRate;
      const all = await this.cols[kind].find(filter, { projection: { _id: 0 } }).sort({ code: 1, id: 1 }).toArray();
      const fitting = all.filter((r) => {
        const v = r as unknown as VatCode;
        return isVatCodeUsableForPurchases(v) && vatPercentageMatches(v, rate);
      });
      return { items: fitting.slice((q.page - 1) * q.limit, q.page * q.limit), total: fitting.length };
    }
    const [items, total] = await Promise.all([
      this.cols[kind]
        .find(filter, { projection: { _id: 0 } })
        .sort({ code: 1, id: 1 })
        .skip((q.page - 1) * q.limit)
        .limit(q.limit)
        .toArray(),
      this.cols[kind].countDocuments(filter),
    ]);
    return { items, total };
  }

  findByCodes(kind: MasterDataKind, tenantId: string, codes: string[]): Promise<StoredMasterDataRecord[]> {
    return this.cols[kind].find({ tenantId, code: { $in: codes } }, { projection: { _id: 0 } }).toArray();
  }

  all(kind: MasterDataKind, tenantId: string): Promise<StoredMasterDataRecord[]> {
    return this.cols[kind].find({ tenantId }, { projection: { _id: 0 } }).toArray();
  }
}
