/**
 * Synced Exact master data: one collection per kind, unique on (tenantId, id), looked up by
 * (tenantId, code). A record that disappeared from Exact is marked inactive by a full sync, never
 * deleted; all of a tenant's records go only when its connection moves to another administration
 * (`forgetTenant`). Syncs write through `syncWriter` (only what changed).
 */
import type { Collection, Db, Filter } from 'mongodb';
import { MASTER_DATA_KINDS, masterDataKinds, type MasterDataKind, type MasterDataRecord } from '../domain';
import { MasterDataSyncWriter, syncCollections, type SyncCollections } from './master-data-sync';

export interface StoredMasterDataRecord extends MasterDataRecord {
  /** `<tenantId>:<id>` */
  _id?: string;
  tenantId: string;
  /** Hash of the record's content: a sync writes the record only when it changes. */
  contentHash?: string;
  syncedAt: Date;
  /** The run that last wrote the record. */
  lastSeenRunId: string;
  /** Set when a full sync no longer found the record in Exact. */
  removedFromSourceAt?: Date | null;
}

export interface ListQuery {
  page: number;
  limit: number;
  search?: string;
  active?: boolean;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class MasterDataStore {
  private readonly cols: Record<MasterDataKind, Collection<StoredMasterDataRecord>>;
  private readonly syncCols: Record<MasterDataKind, SyncCollections>;

  constructor(db: Db) {
    this.cols = Object.fromEntries(masterDataKinds.map((k) => [k, db.collection<StoredMasterDataRecord>(MASTER_DATA_KINDS[k].collection)])) as never;
    this.syncCols = Object.fromEntries(masterDataKinds.map((k) => [k, syncCollections(db, MASTER_DATA_KINDS[k].collection)])) as never;
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
    }
    const { digests, seen } = this.syncCols[masterDataKinds[0]];
    await digests.createIndex({ tenantId: 1, kind: 1 }, { name: 'tenant_kind' });
    await seen.createIndex({ runId: 1, kind: 1 }, { name: 'run_kind' });
    await this.cols.suppliers.createIndex({ tenantId: 1, vatNumberNorm: 1 }, { name: 'tenant_vat' });
    await this.cols.suppliers.createIndex({ tenantId: 1, nameNorm: 1 }, { name: 'tenant_name' });
  }

  /** A writer for one sync run's pages of `kind` (see master-data-sync.ts); `open()` it first. */
  syncWriter(kind: MasterDataKind, tenantId: string, runId: string, opts: { full: boolean }): MasterDataSyncWriter {
    return new MasterDataSyncWriter(this.syncCols[kind], kind, tenantId, runId, opts.full);
  }

  /**
   * Drops every record and sync digest of the tenant: its connection moved to another Exact
   * administration (a confirmed division change), whose records have other IDs; the next sync
   * fills them in. Returns how many records went.
   */
  async forgetTenant(tenantId: string): Promise<number> {
    let removed = 0;
    for (const kind of masterDataKinds) removed += (await this.cols[kind].deleteMany({ tenantId })).deletedCount;
    await this.syncCols[masterDataKinds[0]].digests.deleteMany({ tenantId });
    return removed;
  }

  /** The IDs a run's full syncs saw are kept only while the run goes on. */
  async dropSeen(runId: string): Promise<void> {
    await this.syncCols[masterDataKinds[0]].seen.deleteMany({ runId });
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
