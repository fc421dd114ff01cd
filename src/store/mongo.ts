import { MongoClient, MongoError, type Db } from 'mongodb';

export interface Mongo {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

/**
 * Creates a MongoDB client without connecting: the driver connects on first use, so a
 * process can start (and report "not ready") while the database is still coming up.
 */
export function createMongo(uri: string, dbName: string, opts: { serverSelectionTimeoutMS?: number; socketTimeoutMS?: number } = {}): Mongo {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    appName: 'exact-expense-export',
    ...opts,
  });
  return { client, db: client.db(dbName), close: () => client.close() };
}

/** Round trip to the server; rejects when it cannot be reached. */
export async function pingMongo(db: Db): Promise<void> {
  await db.command({ ping: 1 });
}

const DUPLICATE_KEY = 11000;

type WriteErrors = { code?: number; writeErrors?: { code: number; index: number }[] | { code: number; index: number } };

/**
 * Indexes of the documents a (bulk) write rejected because their key exists already; null when
 * the error is not a write error, or anything else failed too.
 */
export function duplicateKeyIndexes(err: unknown): number[] | null {
  const e = err as WriteErrors;
  const list = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
  if (list.length === 0 || !list.every((w) => w.code === DUPLICATE_KEY)) return null;
  return list.map((w) => w.index);
}

/** True when a write failed only because its documents' keys exist already. */
export function isDuplicateKeyError(err: unknown): boolean {
  const e = err as WriteErrors;
  return e.writeErrors ? duplicateKeyIndexes(err) !== null : e.code === DUPLICATE_KEY;
}

/** `s` as a literal inside a regular expression (user searches). */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Runs an upsert again when it failed because another caller inserted the document first: on
 * FerretDB an upsert reads, finds nothing and inserts, so concurrent upserts of a new `_id` fail
 * all but one (MongoDB retries such an upsert itself). The second run updates the document.
 */
export async function upsertRetrying<R>(write: () => Promise<R>): Promise<R> {
  try {
    return await write();
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    return write();
  }
}

const SQLITE_BUSY = /\bSQLITE_BUSY\b|database is locked/;

/**
 * True when the embedded FerretDB's SQLite refused a write because another writer held the lock
 * (longer than its busy timeout, or in a way SQLite does not wait for): a passing condition, and
 * the same write can be sent again.
 */
export function isDatabaseBusy(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof MongoError && depth < 3; e = e.cause, depth++) {
    if (SQLITE_BUSY.test(e.message)) return true;
  }
  return false;
}

/** Pauses between the attempts of `retryWhileBusy` (ms). */
const BUSY_PAUSES_MS = [50, 200, 800];

/**
 * Runs `work` again, a few times with a short pause, while the database is busy; only for work
 * that is idempotent as a whole (running it twice leaves what running it once leaves).
 */
export async function retryWhileBusy<R>(work: () => Promise<R>): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isDatabaseBusy(err) || attempt >= BUSY_PAUSES_MS.length) throw err;
      await new Promise((r) => setTimeout(r, BUSY_PAUSES_MS[attempt]! * (0.5 + Math.random())));
    }
  }
}
