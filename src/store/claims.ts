/**
 * Exclusive steps ("exactly once", "one holder at a time") on every database this product runs on.
 *
 * The embedded FerretDB 1.x applies updates as read, change, write back by `_id`: a conditional
 * update (`{ state: 'free' } → 'taken'`) can succeed for several callers at once, and an upsert of a
 * new `_id` can fail with a duplicate key error (test/integration/database-atomicity.test.ts). The
 * one exclusive write is inserting a document whose `_id` is taken: exactly one inserter wins. So
 * every exclusive step in the stores is an insert of an `_id` that names the step:
 *
 *  - `claimOnce`: the step happens once, ever (a link used, a callback accepted, a credential
 *    adopted). The document stays as the proof; `holder` tells the losers who has it.
 *  - `LeaseStore`: one holder at a time, with expiry. Each taking of a key inserts the key's next
 *    *generation* (`<key>#<gen>`); the newest generation is the lease. Taking over an expired
 *    lease or giving one back inserts the next generation too, so two callers that both saw the
 *    lease free race for the same `_id` and one loses. Renewing a held lease inserts the next
 *    generation as well (same holder, later expiry), so a renewal and a takeover cannot both
 *    win. Nothing is ever updated or deleted (a delete by `_id` and version is a read and a
 *    delete on FerretDB), so generations have no gaps and every read is by `_id`.
 */
import type { Collection, Db, OptionalUnlessRequiredId } from 'mongodb';
import { isDuplicateKeyError, lastInSequence } from './mongo';

export type ClaimResult<T> = { won: true; doc: T } | { won: false; holder: T | null };

/**
 * Inserts `doc`: won when its `_id` was free, else lost, with the document that holds the `_id`
 * (null if it was deleted in between).
 */
export async function claimOnce<T extends { _id: string }>(col: Collection<T>, doc: T): Promise<ClaimResult<T>> {
  try {
    await col.insertOne(doc as OptionalUnlessRequiredId<T>);
    return { won: true, doc };
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const holder = (await col.findOne({ _id: doc._id } as never)) as T | null;
    return { won: false, holder };
  }
}

interface LeaseDoc {
  _id: string; // `${key}#${gen}`
  key: string;
  gen: number;
  /** null: given back. */
  holder: string | null;
  expiresAt: Date;
  at: Date;
}

/** A lease held: `gen` orders the holders of one key (a fencing token: higher is later). */
export interface Lease {
  key: string;
  gen: number;
  holder: string;
  expiresAt: Date;
}

export type LeaseResult = { acquired: true; lease: Lease } | { acquired: false; holder: string | null; expiresAt: Date | null };

const MAX_ROUNDS = 8;

export class LeaseStore {
  private readonly col: Collection<LeaseDoc>;
  private readonly known = new Map<string, number>();

  constructor(
    db: Db,
    collection = 'leases',
    private readonly clock: () => number = Date.now,
  ) {
    this.col = db.collection<LeaseDoc>(collection);
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ key: 1, gen: -1 }, { name: 'key_gen' });
  }

  /**
   * Takes the lease on `key` for `ttlMs` unless someone holds it unexpired. Not acquired: who holds
   * it and until when. A holder name taken by one caller at a time only (an attempt) cannot take a
   * lease twice; with `takeOverOwn`, a caller with the unexpired holder's own name takes a new
   * generation, fencing the older one out (a later attempt of the same work after a crash).
   */
  async acquire(key: string, holder: string, ttlMs: number, opts: { takeOverOwn?: boolean } = {}): Promise<LeaseResult> {
    let current: LeaseDoc | null = null;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      current = await this.newest(key);
      const now = this.clock();
      const held = current && current.holder !== null && current.expiresAt.getTime() > now;
      if (held && !(opts.takeOverOwn && current!.holder === holder)) return { acquired: false, holder: current!.holder, expiresAt: current!.expiresAt };
      const gen = (current?.gen ?? 0) + 1;
      const doc: LeaseDoc = { _id: docId(key, gen), key, gen, holder, expiresAt: new Date(now + ttlMs), at: new Date(now) };
      if (!(await claimOnce(this.col, doc)).won) continue; // another caller took this generation: look again
      this.remember(key, gen);
      return { acquired: true, lease: { key, gen, holder, expiresAt: doc.expiresAt } };
    }
    return { acquired: false, holder: current?.holder ?? null, expiresAt: current?.expiresAt ?? null };
  }

  /** True while `lease` is the key's newest generation and has not expired. */
  async holds(lease: Lease): Promise<boolean> {
    if (lease.expiresAt.getTime() <= this.clock()) return false;
    // Generations follow one another without gaps: none after this one means it is the newest.
    return !(await this.col.findOne({ _id: docId(lease.key, lease.gen + 1) }, { projection: { _id: 1 } }));
  }

  /**
   * Extends a lease still held to `ttlMs` from now: the next generation, same holder. Null when it
   * was lost meanwhile (expired, taken over or given back): the caller must stop.
   */
  async renew(lease: Lease, ttlMs: number): Promise<Lease | null> {
    const now = this.clock();
    if (lease.expiresAt.getTime() <= now) return null;
    const gen = lease.gen + 1;
    const doc: LeaseDoc = { _id: docId(lease.key, gen), key: lease.key, gen, holder: lease.holder, expiresAt: new Date(now + ttlMs), at: new Date(now) };
    if (!(await claimOnce(this.col, doc)).won) return null;
    this.remember(lease.key, gen);
    return { key: lease.key, gen, holder: lease.holder, expiresAt: doc.expiresAt };
  }

  /** Who holds `key` now (the newest generation, unless given back or expired), or null when it is free. */
  async current(key: string): Promise<Lease | null> {
    const newest = await this.newest(key);
    if (!newest || newest.holder === null || newest.expiresAt.getTime() <= this.clock()) return null;
    return { key, gen: newest.gen, holder: newest.holder, expiresAt: newest.expiresAt };
  }

  /**
   * Gives the lease back, so the next caller need not wait for its expiry. A no-op when it was
   * taken over meanwhile (expired): the next generation is someone else's.
   */
  async release(lease: Lease): Promise<void> {
    const now = this.clock();
    const r = await claimOnce(this.col, { _id: docId(lease.key, lease.gen + 1), key: lease.key, gen: lease.gen + 1, holder: null, expiresAt: new Date(now), at: new Date(now) });
    if (r.won) this.remember(lease.key, lease.gen + 1);
  }

  /** The key's newest generation, read by `_id` from the newest one this process knows (generations have no gaps). */
  private async newest(key: string): Promise<LeaseDoc | null> {
    const found = await lastInSequence((gen) => this.col.findOne({ _id: docId(key, gen) }), this.known.get(key) ?? 0);
    if (found) this.remember(key, found.n);
    return found?.doc ?? null;
  }

  /** The newest generation this process has seen of a key (where the next search starts); bounded. */
  private remember(key: string, gen: number): void {
    if (this.known.size >= 10_000 && !this.known.has(key)) this.known.clear();
    if (gen > (this.known.get(key) ?? 0)) this.known.set(key, gen);
  }
}

function docId(key: string, gen: number): string {
  return `${key}#${gen}`;
}
