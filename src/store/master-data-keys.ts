/**
 * Lookup keys of synced master data: a record is found by its code (every kind) and a supplier
 * also by its normalised VAT number and name (merchant matching), through one small document per
 * value, `_id = <tenant>|<kind>|<field>|<value>` → the IDs of the records that have it.
 *
 * Why: the embedded FerretDB narrows a query only by `_id`, so `{tenantId, code: {$in: …}}` reads
 * the whole collection: 14–16 s for one code among 100,000 suppliers, 18–19 s for a merchant's
 * candidates (measured; README, "Lookups at scale"). Keys turn both into reads by `_id`. Real
 * MongoDB has the secondary indexes too (`MasterDataStore.ensureIndexes`); the keys serve both.
 *
 * Kept right by one rule: a sync writes a record's keys *before* the record, and records are never
 * deleted except with their keys (`forget`). So the keys name every stored record that has a value;
 * a key may also name a record whose value changed since, which the reader drops by checking the
 * record. A tenant's kind whose records were stored before keys existed has none until its next
 * full sync adds them (`backfill`, one read of the records); until then lookups read the collection.
 *
 * The cost is in writing: a new value is one more document in the page's insert, but a value that
 * stored records already have (a name many suppliers share, a record written again) is an update
 * of its key, one per record. The benchmark's generated administration repeats each supplier name
 * about 80 times, which made its initial sync of 100,000 suppliers about three times slower (README).
 *
 * One writer per tenant and kind: on FerretDB `$addToSet` is read, change, write back (MongoDB's is
 * atomic), so two writers adding different IDs to one key could lose one. Syncs hold a lease per
 * tenant and resource while they write (src/activities/sync-writer-lease.ts).
 */
import type { Collection, Db } from 'mongodb';
import type { MasterDataKind, MasterDataRecord } from '../domain';
import type { StoredRecordFields } from './master-data-sync';
import { bulkWriteInChunks, deleteInChunks, duplicateKeyIndexes } from './mongo';

/** The fields a record is looked up by, per kind (code for all; suppliers also for merchant matching). */
export const LOOKUP_FIELDS: Readonly<Partial<Record<MasterDataKind, readonly string[]>>> = { suppliers: ['code', 'vatNumberNorm', 'nameNorm'] };
export const lookupFieldsOf = (kind: MasterDataKind): readonly string[] => LOOKUP_FIELDS[kind] ?? ['code'];

interface KeyDoc {
  _id: string;
  tenantId: string;
  ids: string[];
}

export class MasterDataKeys {
  private readonly col: Collection<KeyDoc>;

  constructor(db: Db) {
    this.col = db.collection<KeyDoc>('md_keys');
  }

  private keyId(tenantId: string, kind: MasterDataKind, field: string, value: string): string {
    return `${tenantId}|${kind}|${field}|${value}`;
  }

  private completeId(tenantId: string, kind: MasterDataKind): string {
    return `${tenantId}|${kind}#complete`;
  }

  /** Writes the keys of `records` (before the records themselves are written). */
  async write(tenantId: string, kind: MasterDataKind, records: readonly Pick<MasterDataRecord, 'id'>[]): Promise<void> {
    const byKey = new Map<string, Set<string>>();
    for (const r of records) {
      for (const field of lookupFieldsOf(kind)) {
        const v = (r as Record<string, unknown>)[field];
        if (typeof v !== 'string' || v === '') continue;
        const id = this.keyId(tenantId, kind, field, v);
        const ids = byKey.get(id) ?? new Set<string>();
        ids.add(r.id);
        byKey.set(id, ids);
      }
    }
    if (!byKey.size) return;
    const docs = [...byKey].map(([_id, ids]) => ({ _id, tenantId, ids: [...ids] }));
    let existing: KeyDoc[] = [];
    try {
      await this.col.insertMany(docs, { ordered: false });
    } catch (err) {
      const failed = duplicateKeyIndexes(err);
      if (!failed) throw err;
      existing = failed.map((i) => docs[i]);
    }
    // A value other records have too, or a record written again: add the IDs the key lacks (by `_id`; nothing changes when it has them).
    await bulkWriteInChunks(this.col, existing.map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $addToSet: { ids: { $each: d.ids } } } } })));
  }

  /** Whether every stored record of the tenant's kind has its keys (else lookups read the collection). */
  async complete(tenantId: string, kind: MasterDataKind): Promise<boolean> {
    return (await this.col.findOne({ _id: this.completeId(tenantId, kind) }, { projection: { _id: 1 } })) !== null;
  }

  /** Adds the keys of records stored before keys existed (one read of them), once per tenant and kind. */
  async backfill(tenantId: string, kind: MasterDataKind, records: Collection<MasterDataRecord & StoredRecordFields>): Promise<number> {
    if (await this.complete(tenantId, kind)) return 0;
    const projection = Object.fromEntries([['_id', 0], ['id', 1], ...lookupFieldsOf(kind).map((f) => [f, 1])]);
    let n = 0;
    let batch: MasterDataRecord[] = [];
    for await (const r of records.find({ tenantId }, { projection })) {
      batch.push(r);
      if (batch.length === 500) {
        await this.write(tenantId, kind, batch);
        n += batch.length;
        batch = [];
      }
    }
    await this.write(tenantId, kind, batch);
    n += batch.length;
    await this.col.replaceOne({ _id: this.completeId(tenantId, kind) }, { tenantId, ids: [] }, { upsert: true });
    return n;
  }

  /** IDs of records whose `field` may be one of `values` (check the records: a key can be stale). */
  async ids(tenantId: string, kind: MasterDataKind, field: string, values: readonly string[]): Promise<string[]> {
    const docs = await Promise.all([...new Set(values)].filter(Boolean).map((v) => this.col.findOne({ _id: this.keyId(tenantId, kind, field, v) })));
    return [...new Set(docs.flatMap((d) => d?.ids ?? []))];
  }

  /** Drops the tenant's keys (its records went). */
  async forget(tenantId: string): Promise<void> {
    await deleteInChunks(this.col, { tenantId });
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ tenantId: 1 }, { name: 'tenant' });
  }
}
