import { MongoClient, MongoError, type AnyBulkWriteOperation, type Collection, type Db, type Document, type Filter } from 'mongodb';

export interface Mongo {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

/** What `createMongo` tells its caller about a client it had to reconnect. */
export interface MongoRecovery {
  /** The server whose check never ended. */
  address: string;
  /** How long that check had been running (ms). */
  stuckMs: number;
  /** Why an attempt to connect again failed (it tries again); absent once the client is connected. */
  error?: Error;
}

export interface MongoOptions {
  serverSelectionTimeoutMS?: number;
  socketTimeoutMS?: number;
  connectTimeoutMS?: number;
  heartbeatFrequencyMS?: number;
  /** Emit the driver's command events (tests count round trips with them). */
  monitorCommands?: boolean;
  /** A server check running longer than this means the client's monitor is stuck (ms). */
  stuckCheckMs?: number;
  /** Told when the client reconnects after a stuck check (for the log). */
  onRecovery?: (r: MongoRecovery) => void;
}

/**
 * Creates a MongoDB client without connecting: the driver connects on first use, so a
 * process can start (and report "not ready") while the database is still coming up.
 *
 * The client is watched for a stuck server check (see `watchServerChecks`): the driver (7.9) can
 * send a check on a connection whose socket the server closed a moment before, and then waits for
 * ever; no later check runs, and every operation fails server selection although the database is
 * back. A stuck check makes the client close and connect again; the `db` handles stay valid.
 */
export function createMongo(uri: string, dbName: string, opts: MongoOptions = {}): Mongo {
  const { stuckCheckMs, onRecovery, ...clientOptions } = opts;
  const options = { serverSelectionTimeoutMS: 5_000, connectTimeoutMS: 5_000, heartbeatFrequencyMS: 10_000, ...clientOptions };
  const client = new MongoClient(uri, { appName: 'exact-expense-export', ...options });
  let closing = false;
  let recovering = false;
  const recover = async (address: string, stuckMs: number) => {
    if (recovering || closing) return;
    recovering = true;
    try {
      await client.close().catch(() => undefined);
      // Until connect succeeds, operations fail ("not connected"), as they did while stuck.
      for (let pause = 500; !closing; pause = Math.min(pause * 2, 10_000)) {
        try {
          await client.connect();
          onRecovery?.({ address, stuckMs });
          return;
        } catch (err) {
          onRecovery?.({ address, stuckMs, error: err as Error });
          await new Promise((r) => setTimeout(r, pause).unref());
        }
      }
    } finally {
      recovering = false;
    }
  };
  const stopWatching = watchServerChecks(client, {
    // A check is bounded by connectTimeoutMS (plus heartbeatFrequencyMS when the server streams
    // its state): twice that is stuck.
    stuckAfterMs: stuckCheckMs ?? 2 * (options.connectTimeoutMS + options.heartbeatFrequencyMS),
    onStuck: (address, ms) => void recover(address, ms),
  });
  return {
    client,
    db: client.db(dbName),
    close: async () => {
      closing = true;
      stopWatching();
      await client.close();
    },
  };
}

/** `onRecovery` for a pino-style logger: one warning per attempt, without the URI. */
export function logMongoRecovery(log: { warn(detail: object, msg: string): void }): (r: MongoRecovery) => void {
  return ({ address, stuckMs, error }) =>
    error
      ? log.warn({ address, stuckMs, err: { message: error.message } }, 'MongoDB client reconnecting after a stuck server check')
      : log.warn({ address, stuckMs }, 'MongoDB client reconnected after a stuck server check');
}

/**
 * Calls `onStuck` once for a server check (heartbeat) that has neither succeeded nor failed after
 * `stuckAfterMs`. Uses the client's public monitoring events only. Returns a function that stops
 * watching.
 */
export function watchServerChecks(
  client: Pick<MongoClient, 'on' | 'off'>,
  o: { stuckAfterMs: number; checkEveryMs?: number; onStuck: (address: string, stuckMs: number) => void },
): () => void {
  const running = new Map<string, number>();
  const started = (e: { connectionId: string }) => void running.set(e.connectionId, Date.now());
  const ended = (e: { connectionId: string }) => void running.delete(e.connectionId);
  client.on('serverHeartbeatStarted', started);
  client.on('serverHeartbeatSucceeded', ended);
  client.on('serverHeartbeatFailed', ended);
  const timer = setInterval(() => {
    const now = Date.now();
    for (const [address, since] of running) {
      if (now - since < o.stuckAfterMs) continue;
      running.delete(address);
      o.onStuck(address, now - since);
    }
  }, o.checkEveryMs ?? Math.min(5_000, o.stuckAfterMs)).unref();
  return () => {
    clearInterval(timer);
    client.off('serverHeartbeatStarted', started);
    client.off('serverHeartbeatSucceeded', ended);
    client.off('serverHeartbeatFailed', ended);
  };
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

/** Pauses between the attempts of `retryWhileBusy` (ms): a request someone waits for (about 1 s in all). */
export const BUSY_PAUSES_MS: readonly number[] = [50, 200, 800];
/**
 * Pauses for the export's own status and answer writes (about 8 s in all): the answer to a POST
 * that is lost to a busy database costs a settle period and a lookup before the export is posted.
 */
export const BUSY_PAUSES_RECORDING_MS: readonly number[] = [100, 250, 500, 1_000, 2_000, 4_000];

/**
 * Runs `work` again, with the given pauses, while the database is busy (a busy write did not
 * happen); only for work that is idempotent as a whole (running it twice leaves what running it
 * once leaves).
 */
export async function retryWhileBusy<R>(work: () => Promise<R>, pausesMs: readonly number[] = BUSY_PAUSES_MS): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isDatabaseBusy(err) || attempt >= pausesMs.length) throw err;
      await new Promise((r) => setTimeout(r, pausesMs[attempt]! * (0.5 + Math.random())));
    }
  }
}

/**
 * The last document of a gap-free numbered sequence read by `_id` (lease generations, export
 * revisions): the embedded FerretDB reads a filter other than a lone `_id` by scanning the whole
 * collection, so instead of a sorted query this reads numbers by `_id`. From `known` (a number
 * known to exist, 0 for none) it gallops forward to the first missing number and searches back
 * between the two: one or two reads when `known` is recent, O(log n) otherwise. Numbers start at 1
 * and are never deleted; null when there is none.
 */
export async function lastInSequence<T>(get: (n: number) => Promise<T | null>, known = 0): Promise<{ n: number; doc: T } | null> {
  let lo = known;
  let found: T | null = lo > 0 ? await get(lo) : null;
  if (lo > 0 && !found) lo = 0; // not there after all (removed by hand): from the start
  let hi = 0;
  for (let step = 1; ; step *= 2) {
    const d = await get(lo + step);
    if (!d) {
      hi = lo + step;
      break;
    }
    lo += step;
    found = d;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const d = await get(mid);
    if (d) {
      lo = mid;
      found = d;
    } else hi = mid;
  }
  return found ? { n: lo, doc: found } : null;
}

/** Documents removed per delete of `deleteInChunks`: well under SQLite's 32,766 variables per statement. */
const DELETE_CHUNK = 10_000;

/**
 * Deletes every document matching `filter`, at most `chunk` per command. The embedded FerretDB
 * deletes the documents a filter matched with one SQLite statement naming each of them, which
 * fails past 32,766 ("too many SQL variables"): forgetting a tenant of 100,000 suppliers did. Each
 * round deletes the matching documents up to the `chunk`-th smallest `_id` (a range, which FerretDB
 * evaluates cheaply; a list of IDs would be compared with every document). Returns how many went.
 */
export async function deleteInChunks<T extends Document>(col: Collection<T>, filter: Filter<T>, chunk = DELETE_CHUNK): Promise<number> {
  let deleted = 0;
  for (;;) {
    const [last] = await col.find(filter, { projection: { _id: 1 } }).sort({ _id: 1 }).skip(chunk - 1).limit(1).toArray();
    if (!last) return deleted + (await col.deleteMany(filter)).deletedCount;
    deleted += (await col.deleteMany({ $and: [filter, { _id: { $lte: last._id } }] } as Filter<T>)).deletedCount;
  }
}

/** Writes per bulk command when they match stored documents: FerretDB stopped answering a bulk of 100 matched upserts. */
const MATCHED_WRITES_PER_BULK = 50;

/** `ops` as unordered bulk writes of at most MATCHED_WRITES_PER_BULK each, one after another. */
export async function bulkWriteInChunks<T extends Document>(col: Collection<T>, ops: AnyBulkWriteOperation<T>[]): Promise<void> {
  for (let i = 0; i < ops.length; i += MATCHED_WRITES_PER_BULK) await col.bulkWrite(ops.slice(i, i + MATCHED_WRITES_PER_BULK), { ordered: false });
}
