/**
 * Writing one sync run's pages of one master-data kind: only what changed is written.
 *
 * Every stored record carries `contentHash` (SHA-256 of its canonical JSON, as converted by the
 * kinds registry). A *digest* of each tenant's kind keeps `id → hash` (and whether a full sync
 * found the record gone) in a few bucket documents (`md_digests`), so a sync compares a page with
 * what is stored without reading the records: unchanged records are skipped, new ones inserted,
 * changed ones replaced. A full sync remembers the IDs it saw (in memory, and per page in
 * `sync_seen` so a resumed attempt knows them too) and deactivates the digest's IDs it did not
 * see — the set difference, without touching the records that are still there.
 *
 * Why a digest: the embedded FerretDB evaluates filters other than a lone `_id` by reading the
 * whole collection, so looking up a page's stored hashes in a 100,000-record collection would cost
 * a collection scan per page; reading 64 digest buckets once costs almost nothing. The digest is a
 * cache of the records' own `contentHash`: it is written after the records, and when it is behind
 * (a crash between the two) the records are compared by their stored hash instead.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { canonicalJson, type MasterDataKind, type MasterDataRecord } from '../domain';
import { duplicateKeyIndexes, isDuplicateKeyError, upsertRetrying } from './mongo';

/** Buckets per tenant and kind: 100,000 records make 64 documents of ~1,600 entries. */
const BUCKETS = 64;
/** Replaces per bulk write: FerretDB stops answering a bulk write of 100 matched upserts. */
const WRITE_BATCH = 50;
/** Digest buckets are written after this many pages (and at the end): a resumed attempt compares at most these pages' records by their stored hash. */
const DIGEST_FLUSH_PAGES = 100;
const HASH_LENGTH = 16;

export interface StoredRecordFields {
  _id: string;
  tenantId: string;
  contentHash: string;
  syncedAt: Date;
  /** The run that last wrote the record. */
  lastSeenRunId: string;
  removedFromSourceAt: Date | null;
}

interface DigestDoc {
  _id: string;
  tenantId: string;
  kind: string;
  /** `<hash:16><state:1><id>`; state `+` present in Exact, `!` gone (deactivated by a full sync). */
  e: string[];
}

interface SeenDoc {
  _id: string;
  runId: string;
  kind: string;
  ids: string[];
}

interface DigestEntry {
  hash: string;
  gone: boolean;
}

export interface PageWriteResult {
  /** Inserted or replaced. */
  written: number;
  unchanged: number;
}

export const recordKey = (tenantId: string, id: string) => `${tenantId}:${id}`;

/** Hash of a record's content (the converted record; not when or by which run it was stored). */
export function contentHashOf(record: MasterDataRecord): string {
  return createHash('sha256').update(canonicalJson(record)).digest('base64url').slice(0, HASH_LENGTH);
}

function bucketOf(id: string): number {
  // FNV-1a: stable across processes and versions.
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % BUCKETS;
}

/** The collections a sync writer uses (owned by MasterDataStore). */
export interface SyncCollections {
  records: Collection<MasterDataRecord & StoredRecordFields>;
  digests: Collection<DigestDoc>;
  seen: Collection<SeenDoc>;
  versions: Collection<VersionDoc>;
}

/** One per tenant: changes whenever its master data does (processes cache lookups per version). */
export interface VersionDoc {
  _id: string; // tenantId
  v: string;
  at: Date;
}

/** Every write of a tenant's master data ends with this: cached lookups of every process are dropped. */
export async function touchMasterData(versions: Collection<VersionDoc>, tenantId: string): Promise<void> {
  // Concurrent first writes (the sync's resources run in parallel) race to insert on FerretDB: the loser writes again.
  await upsertRetrying(() => versions.replaceOne({ _id: tenantId }, { v: randomUUID(), at: new Date() }, { upsert: true }));
}

export function syncCollections(db: Db, recordCollection: string): SyncCollections {
  return {
    records: db.collection<MasterDataRecord & StoredRecordFields>(recordCollection),
    digests: db.collection<DigestDoc>('md_digests'),
    seen: db.collection<SeenDoc>('sync_seen'),
    versions: db.collection<VersionDoc>('md_versions'),
  };
}

/** Writes one run's pages of one kind for one tenant; `close` ends it. */
export class MasterDataSyncWriter {
  private readonly buckets = new Map<number, Map<string, DigestEntry>>();
  private readonly dirty = new Set<number>();
  private readonly seenIds = new Set<string>();
  private pagesSinceFlush = 0;

  constructor(
    private readonly cols: SyncCollections,
    private readonly kind: MasterDataKind,
    private readonly tenantId: string,
    private readonly runId: string,
    /** A full sync reads every record, so it loads the whole digest and tracks what it saw. */
    private readonly full: boolean,
  ) {}

  private digestId(bucket: number): string {
    return `${this.tenantId}|${this.kind}|${bucket}`;
  }

  /** Loads the digest (all of it for a full sync) and, when resuming a full sync, the IDs already seen. */
  async open(): Promise<void> {
    if (!this.full) return;
    const docs = await this.cols.digests.find({ tenantId: this.tenantId, kind: this.kind }).toArray();
    for (let b = 0; b < BUCKETS; b++) this.buckets.set(b, new Map());
    for (const d of docs) this.fillBucket(Number(d._id.slice(d._id.lastIndexOf('|') + 1)), d);
    for (const s of await this.cols.seen.find({ runId: this.runId, kind: this.kind }).toArray()) for (const id of s.ids) this.seenIds.add(id);
  }

  private fillBucket(bucket: number, doc: DigestDoc | null): Map<string, DigestEntry> {
    const m = new Map<string, DigestEntry>();
    for (const e of doc?.e ?? []) m.set(e.slice(HASH_LENGTH + 1), { hash: e.slice(0, HASH_LENGTH), gone: e[HASH_LENGTH] === '!' });
    this.buckets.set(bucket, m);
    return m;
  }

  /** An incremental sync reads the buckets of the records it gets, and only those. */
  private async bucket(bucket: number): Promise<Map<string, DigestEntry>> {
    return this.buckets.get(bucket) ?? this.fillBucket(bucket, await this.cols.digests.findOne({ _id: this.digestId(bucket) }));
  }

  /** Writes what changed in one page (`page` identifies it for a resumed attempt). */
  async writePage(page: number, records: MasterDataRecord[]): Promise<PageWriteResult> {
    const now = new Date();
    const toInsert: (MasterDataRecord & StoredRecordFields)[] = [];
    const toReplace: (MasterDataRecord & StoredRecordFields)[] = [];
    let unchanged = 0;
    const doc = (r: MasterDataRecord, contentHash: string) => ({ ...r, _id: recordKey(this.tenantId, r.id), tenantId: this.tenantId, contentHash, syncedAt: now, lastSeenRunId: this.runId, removedFromSourceAt: null });
    for (const r of records) {
      const hash = contentHashOf(r);
      const known = (await this.bucket(bucketOf(r.id))).get(r.id);
      if (this.full) this.seenIds.add(r.id);
      if (!known) toInsert.push(doc(r, hash));
      else if (known.hash !== hash || known.gone) toReplace.push(doc(r, hash));
      else unchanged++;
    }
    if (toInsert.length) {
      try {
        await this.cols.records.insertMany(toInsert, { ordered: false });
      } catch (err) {
        const failed = duplicateKeyIndexes(err);
        if (!failed) throw err;
        // Stored already but not in the digest (it was behind): compare with the record's own hash.
        const existing = failed.map((i) => toInsert[i]);
        const stored = new Map((await this.cols.records.find({ _id: { $in: existing.map((d) => d._id) } }, { projection: { contentHash: 1, removedFromSourceAt: 1 } }).toArray()).map((x) => [x._id, x]));
        for (const d of existing) {
          const s = stored.get(d._id);
          if (s?.contentHash === d.contentHash && !s.removedFromSourceAt) unchanged++;
          else toReplace.push(d);
        }
        const inserted = new Set(existing.map((d) => d._id));
        toInsert.splice(0, toInsert.length, ...toInsert.filter((d) => !inserted.has(d._id)));
      }
    }
    for (let i = 0; i < toReplace.length; i += WRITE_BATCH) {
      await this.cols.records.bulkWrite(
        toReplace.slice(i, i + WRITE_BATCH).map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })),
        { ordered: false },
      );
    }
    for (const d of [...toInsert, ...toReplace]) this.remember(d.id, { hash: d.contentHash, gone: false });
    if (this.full && records.length) {
      try {
        await this.cols.seen.insertOne({ _id: `${this.runId}|${this.kind}|${page}`, runId: this.runId, kind: this.kind, ids: records.map((r) => r.id) });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err; // the page was seen by an earlier attempt
      }
    }
    const written = toInsert.length + toReplace.length;
    if (written) await touchMasterData(this.cols.versions, this.tenantId);
    if (++this.pagesSinceFlush >= DIGEST_FLUSH_PAGES) await this.flushDigest();
    return { written, unchanged };
  }

  private remember(id: string, entry: DigestEntry): void {
    const b = bucketOf(id);
    const m = this.buckets.get(b);
    if (!m) return; // not loaded: cannot be (bucket() loaded it for this page)
    m.set(id, entry);
    this.dirty.add(b);
  }

  private async flushDigest(): Promise<void> {
    this.pagesSinceFlush = 0;
    for (const b of this.dirty) {
      const entries = [...(this.buckets.get(b) ?? new Map<string, DigestEntry>()).entries()].map(([id, e]) => `${e.hash}${e.gone ? '!' : '+'}${id}`);
      await this.cols.digests.replaceOne({ _id: this.digestId(b) }, { tenantId: this.tenantId, kind: this.kind, e: entries }, { upsert: true });
    }
    this.dirty.clear();
  }

  /**
   * Ends the run for this kind. After a complete full sync, records the run did not see are
   * deactivated (they stay, for history and mapping health). Returns how many were.
   */
  async close(opts: { deactivateUnseen: boolean }): Promise<number> {
    let deactivated = 0;
    if (opts.deactivateUnseen && this.full) {
      const now = new Date();
      for (const m of this.buckets.values()) {
        for (const [id, e] of m) {
          if (e.gone || this.seenIds.has(id)) continue;
          await this.cols.records.updateOne({ _id: recordKey(this.tenantId, id) }, { $set: { active: false, removedFromSourceAt: now } });
          this.remember(id, { hash: e.hash, gone: true });
          deactivated++;
        }
      }
    }
    if (deactivated) await touchMasterData(this.cols.versions, this.tenantId);
    await this.flushDigest();
    return deactivated;
  }
}
