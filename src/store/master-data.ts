/**
 * Synced Exact master data: one collection per kind, unique on (tenantId, id), looked up by
 * (tenantId, code), and suppliers also by VAT number and name, through lookup keys
 * (master-data-keys.ts) once a full sync has written them. A record that disappeared from Exact
 * is marked inactive by a full sync, never deleted; all of a tenant's records go only when its
 * connection moves to another administration (`forgetTenant`). Syncs write through `syncWriter`
 * (only what changed).
 */
import type { Collection, Db, Filter } from 'mongodb';
import { MASTER_DATA_KINDS, isVatCodeUsableForPurchases, masterDataKinds, vatPercentageMatches, type GlAccountKind, type MasterDataKind, type MasterDataRecord, type VatCode } from '../domain';
import { MasterDataKeys } from './master-data-keys';
import { MasterDataSyncWriter, recordKey, syncCollections, touchMasterData, type SyncCollections, type VersionDoc } from './master-data-sync';
import { deleteInChunks, escapeRegex } from './mongo';

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
  /** GL accounts of these kinds only (`kind` of the record). */
  accountKinds?: readonly GlAccountKind[];
  /** VAT codes usable on purchases whose percentage matches this rate key ("21", "exempt"). */
  vatRate?: string;
}


/** Lookups of one tenant's master data as of one version (see `MasterDataStore.reader`). */
export interface MasterDataReader {
  findByCodes(kind: MasterDataKind, codes: string[]): Promise<StoredMasterDataRecord[]>;
  all(kind: MasterDataKind): Promise<StoredMasterDataRecord[]>;
  findSupplierCandidates(match: { vatNumbersNorm: string[]; namesNorm: string[] }): Promise<StoredMasterDataRecord[]>;
}

/** Cached lookups per process: tenants, and answers per tenant, beyond which the cache starts over. */
const CACHED_TENANTS = 500;
const CACHED_ANSWERS = 5_000;

export class MasterDataStore {
  private readonly cols: Record<MasterDataKind, Collection<StoredMasterDataRecord>>;
  private readonly syncCols: Record<MasterDataKind, SyncCollections>;
  private readonly versions: Collection<VersionDoc>;
  private readonly keys: MasterDataKeys;
  /** Tenant kinds whose lookup keys are complete (stays so: see master-data-keys.ts). */
  private readonly keyed = new Set<string>();
  /** Per tenant: the version the answers are of, and the answers (records per kind and code, per query). */
  private readonly cache = new Map<string, { v: string | null; answers: Map<string, Promise<StoredMasterDataRecord[]>> }>();

  constructor(db: Db) {
    this.cols = Object.fromEntries(masterDataKinds.map((k) => [k, db.collection<StoredMasterDataRecord>(MASTER_DATA_KINDS[k].collection)])) as never;
    this.syncCols = Object.fromEntries(masterDataKinds.map((k) => [k, syncCollections(db, MASTER_DATA_KINDS[k].collection)])) as never;
    this.versions = this.syncCols[masterDataKinds[0]].versions;
    this.keys = new MasterDataKeys(db);
  }

  /** Whether lookups of the tenant's kind can go by key (else they read the collection). */
  private async hasKeys(tenantId: string, kind: MasterDataKind): Promise<boolean> {
    const k = `${tenantId}|${kind}`;
    if (this.keyed.has(k)) return true;
    if (!(await this.keys.complete(tenantId, kind))) return false;
    this.keyed.add(k);
    return true;
  }

  /** Records by ID, each read by `_id`. */
  private async byIds(kind: MasterDataKind, tenantId: string, ids: string[]): Promise<StoredMasterDataRecord[]> {
    const docs = await Promise.all(ids.map((id) => this.cols[kind].findOne({ _id: recordKey(tenantId, id) }, { projection: { _id: 0 } })));
    return docs.flatMap((d) => (d ? [d] : []));
  }

  /**
   * Lookups for one validation, answered from this process's cache while the tenant's master data
   * has not changed since (one read of its version by `_id`; every write of records changes it).
   * An export reads the same accounts, VAT codes and journals as the one before it; on the
   * embedded FerretDB each of those lookups would otherwise scan the kind's whole collection.
   * The records returned are shared: read them, never change them.
   */
  async reader(tenantId: string): Promise<MasterDataReader> {
    const v = (await this.versions.findOne({ _id: tenantId }))?.v ?? null;
    let c = this.cache.get(tenantId);
    if (!c || c.v !== v || c.answers.size > CACHED_ANSWERS) {
      if (!c && this.cache.size >= CACHED_TENANTS) this.cache.clear();
      c = { v, answers: new Map() };
      this.cache.set(tenantId, c);
    }
    const answers = c.answers;
    const cached = (key: string, load: () => Promise<StoredMasterDataRecord[]>) => {
      let p = answers.get(key);
      if (!p) {
        p = load();
        answers.set(key, p);
        p.catch(() => answers.delete(key));
      }
      return p;
    };
    return {
      findByCodes: async (kind, codes) => {
        const wanted = [...new Set(codes)];
        const missing = wanted.filter((code) => !answers.has(`${kind}|code|${code}`));
        if (missing.length) {
          const loaded = this.findByCodes(kind, tenantId, missing);
          for (const code of missing) cached(`${kind}|code|${code}`, () => loaded.then((rs) => rs.filter((r) => r.code === code)));
        }
        return (await Promise.all(wanted.map((code) => answers.get(`${kind}|code|${code}`)!))).flat();
      },
      all: (kind) => cached(`${kind}|all`, () => this.all(kind, tenantId)),
      findSupplierCandidates: (match) =>
        cached(`suppliers|candidates|${JSON.stringify([[...match.vatNumbersNorm].sort(), [...match.namesNorm].sort()])}`, () => this.findSupplierCandidates(tenantId, match)),
    };
  }

  /** Suppliers whose normalised VAT number or name is one of the given (merchant matching). */
  async findSupplierCandidates(tenantId: string, match: { vatNumbersNorm: string[]; namesNorm: string[] }, limit = 500): Promise<StoredMasterDataRecord[]> {
    if (await this.hasKeys(tenantId, 'suppliers')) {
      const [byVat, byName] = await Promise.all([this.keys.ids(tenantId, 'suppliers', 'vatNumberNorm', match.vatNumbersNorm), this.keys.ids(tenantId, 'suppliers', 'nameNorm', match.namesNorm)]);
      const vats = new Set(match.vatNumbersNorm);
      const names = new Set(match.namesNorm);
      const found = await this.byIds('suppliers', tenantId, [...new Set([...byVat, ...byName])]);
      return found.filter((r) => vats.has(r.vatNumberNorm as string) || names.has(r.nameNorm as string)).slice(0, limit);
    }
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
    await this.keys.ensureIndexes();
    const { digests, seen } = this.syncCols[masterDataKinds[0]];
    await digests.createIndex({ tenantId: 1, kind: 1 }, { name: 'tenant_kind' });
    await seen.createIndex({ runId: 1, kind: 1 }, { name: 'run_kind' });
    await this.cols.suppliers.createIndex({ tenantId: 1, vatNumberNorm: 1 }, { name: 'tenant_vat' });
    await this.cols.suppliers.createIndex({ tenantId: 1, nameNorm: 1 }, { name: 'tenant_name' });
  }

  /** A writer for one sync run's pages of `kind` (see master-data-sync.ts); `open()` it first. */
  syncWriter(kind: MasterDataKind, tenantId: string, runId: string, opts: { full: boolean }): MasterDataSyncWriter {
    return new MasterDataSyncWriter(this.syncCols[kind], kind, tenantId, runId, opts.full, this.keys);
  }

  /**
   * Drops every record and sync digest of the tenant: its connection moved to another Exact
   * administration (a confirmed division change), whose records have other IDs; the next sync
   * fills them in. Returns how many records went.
   */
  async forgetTenant(tenantId: string): Promise<number> {
    let removed = 0;
    for (const kind of masterDataKinds) removed += await deleteInChunks(this.cols[kind], { tenantId });
    await this.syncCols[masterDataKinds[0]].digests.deleteMany({ tenantId });
    await this.keys.forget(tenantId);
    await touchMasterData(this.versions, tenantId);
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

  async findByCodes(kind: MasterDataKind, tenantId: string, codes: string[]): Promise<StoredMasterDataRecord[]> {
    if (codes.length === 0) return [];
    if (await this.hasKeys(tenantId, kind)) {
      const wanted = new Set(codes);
      return (await this.byIds(kind, tenantId, await this.keys.ids(tenantId, kind, 'code', codes))).filter((r) => wanted.has(r.code));
    }
    return this.cols[kind].find({ tenantId, code: { $in: codes } }, { projection: { _id: 0 } }).toArray();
  }

  all(kind: MasterDataKind, tenantId: string): Promise<StoredMasterDataRecord[]> {
    return this.cols[kind].find({ tenantId }, { projection: { _id: 0 } }).toArray();
  }
}
