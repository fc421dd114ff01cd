/**
 * Writing one sync run's pages of one master-data kind: only what changed is written.
 *
 * Every stored record carries `contentHash` (SHA-256 of its canonical JSON, as converted by the
 * kinds registry). A *digest* of each tenant's kind keeps `id → hash` (and whether a full sync
 * found the record gone) in a few bucket documents (`md_digests`), so a sync compares a page with
 * what is stored without reading the records: unchanged records are skipped, new ones inserted,
 * changed ones replaced. A full sync remembers the IDs it saw (a bit of each digest entry in
 * memory, and per page in `sync_seen` so a resumed attempt knows them too) and deactivates the
 * digest's IDs it did not see — the set difference, without touching the records that are still
 * there.
 *
 * Why a digest: the embedded FerretDB evaluates filters other than a lone `_id` by reading the
 * whole collection, so looking up a page's stored hashes in a 100,000-record collection would cost
 * a collection scan per page; reading 64 digest buckets once costs almost nothing. The digest is a
 * cache of the records' own `contentHash`: it is written after the records, and when it is behind
 * (a crash between the two) the records are compared by their stored hash instead.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Binary, type Collection, type Db } from 'mongodb';
import { canonicalJson, type MasterDataKind, type MasterDataRecord } from '../domain';
import type { MasterDataKeys } from './master-data-keys';
import { bulkWriteInChunks, duplicateKeyIndexes, isDuplicateKeyError, upsertRetrying } from './mongo';

/** Buckets per tenant and kind: 100,000 records make 64 documents of ~1,600 entries. */
const BUCKETS = 64;
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

/**
 * A digest bucket as stored. `ids[i]` has the content hash `hashes[12·i … 12·i+12)` (the bytes of
 * the record's `contentHash`); `gone` lists the indexes a full sync found gone from Exact.
 * Buckets written before this layout hold `e` instead: `<hash:16><state:1><id>` per record, state
 * `+` present, `!` gone; they are read as well and written anew in this layout.
 */
interface DigestDoc {
  _id: string;
  tenantId: string;
  kind: string;
  ids?: string[];
  hashes?: Binary;
  gone?: number[];
  e?: string[];
}

interface SeenDoc {
  _id: string;
  runId: string;
  kind: string;
  ids: string[];
}

/** Bytes of a content hash: its 16 base64url characters are 12 bytes. */
const HASH_BYTES = 12;
const GONE = 1;
/** Seen by this full sync (in memory only). */
const SEEN = 2;

/**
 * One digest bucket in memory, compact because a full sync of 100,000 records holds all of them:
 * per record its ID (the map's key, slot in insertion order), 12 hash bytes and a state byte.
 * Whether this run saw the record is a bit of the state, not a second set of IDs.
 */
class DigestBucket {
  readonly slots = new Map<string, number>();
  private hashes: Buffer;
  private state: Uint8Array;

  constructor(capacity = 64) {
    this.hashes = Buffer.alloc(capacity * HASH_BYTES);
    this.state = new Uint8Array(capacity);
  }

  static fromDoc(doc: DigestDoc | null): DigestBucket {
    const b = new DigestBucket(Math.max(64, doc?.ids?.length ?? doc?.e?.length ?? 0));
    if (doc?.ids && doc.hashes) {
      const bytes = doc.hashes.buffer.subarray(0, doc.hashes.length());
      doc.ids.forEach((id, i) => b.put(id, bytes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), 0));
      for (const i of doc.gone ?? []) if (i < b.slots.size) b.state[i] |= GONE;
    }
    for (const e of doc?.e ?? []) b.put(e.slice(HASH_LENGTH + 1), hashBytes(e.slice(0, HASH_LENGTH)), e[HASH_LENGTH] === '!' ? GONE : 0);
    return b;
  }

  /** Compares `hash` with the stored one: absent, same (and present in Exact), or changed / gone. */
  compare(id: string, hash: Uint8Array): 'absent' | 'same' | 'changed' {
    const slot = this.slots.get(id);
    if (slot === undefined) return 'absent';
    const o = slot * HASH_BYTES;
    return this.state[slot] & GONE || Buffer.compare(this.hashes.subarray(o, o + HASH_BYTES), hash) !== 0 ? 'changed' : 'same';
  }

  /** Records a hash and whether the record is gone; keeps whether this run saw it. */
  put(id: string, hash: Uint8Array, flags: number): void {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot === this.state.length) this.grow();
      this.slots.set(id, slot);
    }
    this.hashes.set(hash, slot * HASH_BYTES);
    this.state[slot] = (this.state[slot] & SEEN) | flags;
  }

  markSeen(id: string): void {
    const slot = this.slots.get(id);
    if (slot !== undefined) this.state[slot] |= SEEN;
  }

  /** Records present in Exact as far as the digest knows that this run did not see. */
  *unseen(): Generator<{ id: string; hash: Uint8Array }> {
    for (const [id, slot] of this.slots) {
      if (this.state[slot] & (GONE | SEEN)) continue;
      yield { id, hash: this.hashes.subarray(slot * HASH_BYTES, (slot + 1) * HASH_BYTES) };
    }
  }

  toDoc(): Pick<DigestDoc, 'ids' | 'hashes' | 'gone'> {
    const gone: number[] = [];
    for (let i = 0; i < this.slots.size; i++) if (this.state[i] & GONE) gone.push(i);
    return { ids: [...this.slots.keys()], hashes: new Binary(this.hashes.subarray(0, this.slots.size * HASH_BYTES)), gone };
  }

  private grow(): void {
    const hashes = Buffer.alloc(this.hashes.length * 2);
    this.hashes.copy(hashes);
    const state = new Uint8Array(this.state.length * 2);
    state.set(this.state);
    this.hashes = hashes;
    this.state = state;
  }
}

function hashBytes(contentHash: string): Buffer {
  return Buffer.from(contentHash, 'base64url');
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
  private readonly buckets = new Map<number, DigestBucket>();
  private readonly dirty = new Set<number>();
  private pagesSinceFlush = 0;

  constructor(
    private readonly cols: SyncCollections,
    private readonly kind: MasterDataKind,
    private readonly tenantId: string,
    private readonly runId: string,
    /** A full sync reads every record, so it loads the whole digest and tracks what it saw. */
    private readonly full: boolean,
    /** Lookup keys: written before the records they name. */
    private readonly keys: MasterDataKeys,
  ) {}

  private digestId(bucket: number): string {
    return `${this.tenantId}|${this.kind}|${bucket}`;
  }

  /**
   * For a full sync: adds the lookup keys of records stored before keys existed (once per tenant
   * and kind), loads the whole digest and, when resuming, what an earlier attempt saw.
   */
  async open(): Promise<void> {
    if (!this.full) return;
    // Records stored before lookup keys existed get theirs (once per tenant and kind).
    await this.keys.backfill(this.tenantId, this.kind, this.cols.records);
    const docs = await this.cols.digests.find({ tenantId: this.tenantId, kind: this.kind }).toArray();
    for (const d of docs) this.load(Number(d._id.slice(d._id.lastIndexOf('|') + 1)), d);
    for (let b = 0; b < BUCKETS; b++) if (!this.buckets.has(b)) this.buckets.set(b, new DigestBucket());
    // Seen by an earlier attempt and not in the digest (inserted after its last flush): never deactivated, so nothing to mark.
    for (const s of await this.cols.seen.find({ runId: this.runId, kind: this.kind }).toArray()) for (const id of s.ids) this.buckets.get(bucketOf(id))?.markSeen(id);
  }

  /** An incremental sync reads the buckets of the records it gets, and only those. */
  private async bucket(bucket: number): Promise<DigestBucket> {
    return this.buckets.get(bucket) ?? this.load(bucket, await this.cols.digests.findOne({ _id: this.digestId(bucket) }));
  }

  private load(bucket: number, doc: DigestDoc | null): DigestBucket {
    const b = DigestBucket.fromDoc(doc);
    this.buckets.set(bucket, b);
    if (doc?.e) this.dirty.add(bucket); // written anew in the compact layout
    return b;
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
      const bucket = await this.bucket(bucketOf(r.id));
      const known = bucket.compare(r.id, hashBytes(hash));
      if (known === 'absent') toInsert.push(doc(r, hash));
      else if (known === 'changed') toReplace.push(doc(r, hash));
      else unchanged++;
    }
    // Keys first: a stored record always has its keys (a crash in between leaves a key the reader drops).
    await this.keys.write(this.tenantId, this.kind, [...toInsert, ...toReplace]);
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
    await bulkWriteInChunks(this.cols.records, toReplace.map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })));
    for (const d of [...toInsert, ...toReplace]) this.remember(d.id, hashBytes(d.contentHash), 0);
    if (this.full) for (const r of records) this.buckets.get(bucketOf(r.id))?.markSeen(r.id);
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

  private remember(id: string, hash: Uint8Array, flags: number): void {
    const b = bucketOf(id);
    const bucket = this.buckets.get(b);
    if (!bucket) return; // not loaded: cannot be (bucket() loaded it for this page)
    bucket.put(id, hash, flags);
    this.dirty.add(b);
  }

  private async flushDigest(): Promise<void> {
    this.pagesSinceFlush = 0;
    for (const b of this.dirty) {
      const bucket = this.buckets.get(b) ?? new DigestBucket();
      await this.cols.digests.replaceOne({ _id: this.digestId(b) }, { tenantId: this.tenantId, kind: this.kind, ...bucket.toDoc() }, { upsert: true });
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
      for (const bucket of this.buckets.values()) {
        for (const { id, hash } of [...bucket.unseen()]) {
          await this.cols.records.updateOne({ _id: recordKey(this.tenantId, id) }, { $set: { active: false, removedFromSourceAt: now } });
          this.remember(id, hash, GONE);
          deactivated++;
        }
      }
    }
    if (deactivated) await touchMasterData(this.cols.versions, this.tenantId);
    await this.flushDigest();
    return deactivated;
  }
}
