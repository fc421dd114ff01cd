/** History of master-data sync runs: kept across disconnects, one document per run. */
import type { Collection, Db } from 'mongodb';

export type SyncMode = 'full' | 'incremental';
export type SyncRunStatus = 'running' | 'succeeded' | 'failed' | 'needs_reauthorization' | 'skipped';

export interface KindCounts {
  /** Records read from Maesn. */
  fetched: number;
  /** Records written (inserted, or replaced because they changed). */
  upserted: number;
  /** Records read that had not changed (not written). */
  unchanged?: number;
  /** Time spent in the database (comparing and writing), ms. */
  dbMs?: number;
  /** Records marked inactive because a full sync no longer found them. */
  deactivated: number;
  pages: number;
}

export interface SyncRunDoc {
  _id: string; // runId
  tenantId: string;
  mode: SyncMode;
  /** lastModifiedAt sent to Maesn (incremental runs). */
  since: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  status: SyncRunStatus;
  counts: Record<string, KindCounts>;
  errors: { kind?: string; message: string }[];
  trigger: string;
}

/** Where a resource's sync got to: written after every page, so a crash never re-reads a finished page. */
export interface SyncCheckpoint {
  _id: string; // `${runId}:${resource}`
  runId: string;
  nextPage: number;
  counts: Record<string, KindCounts>;
  updatedAt: Date;
}

export class SyncRunStore {
  readonly col: Collection<SyncRunDoc>;
  private readonly checkpoints: Collection<SyncCheckpoint>;
  constructor(db: Db) {
    this.col = db.collection<SyncRunDoc>('sync_runs');
    this.checkpoints = db.collection<SyncCheckpoint>('sync_checkpoints');
  }

  async saveCheckpoint(runId: string, resource: string, nextPage: number, counts: Record<string, KindCounts>): Promise<void> {
    await this.checkpoints.updateOne({ _id: `${runId}:${resource}` }, { $set: { runId, nextPage, counts, updatedAt: new Date() } }, { upsert: true });
  }

  getCheckpoint(runId: string, resource: string): Promise<SyncCheckpoint | null> {
    return this.checkpoints.findOne({ _id: `${runId}:${resource}` });
  }

  /** Checkpoints are only useful while their run is going on. */
  async dropCheckpoints(runId: string): Promise<void> {
    await this.checkpoints.deleteMany({ runId });
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ tenantId: 1, startedAt: -1 });
  }

  /** Records the start; repeated (activity retry) it keeps the first start. */
  async start(run: Pick<SyncRunDoc, '_id' | 'tenantId' | 'mode' | 'since' | 'trigger'> & { startedAt: Date }): Promise<void> {
    await this.col.updateOne(
      { _id: run._id },
      { $setOnInsert: { ...run, finishedAt: null, status: 'running', counts: {}, errors: [] } },
      { upsert: true },
    );
  }

  async finish(runId: string, status: SyncRunStatus, counts: Record<string, KindCounts>, errors: SyncRunDoc['errors']): Promise<void> {
    await this.col.updateOne({ _id: runId }, { $set: { status, counts, errors, finishedAt: new Date() } });
  }

  get(runId: string): Promise<SyncRunDoc | null> {
    return this.col.findOne({ _id: runId });
  }

  /** The tenant's last runs, newest first. */
  history(tenantId: string, limit: number): Promise<SyncRunDoc[]> {
    return this.col.find({ tenantId }).sort({ startedAt: -1 }).limit(limit).toArray();
  }

  /** What a running run has read so far: the counts of its checkpoints (one per resource), added up per kind. */
  async progress(runId: string): Promise<Record<string, KindCounts>> {
    const out: Record<string, KindCounts> = {};
    for (const cp of await this.checkpoints.find({ runId }).toArray()) {
      for (const [kind, c] of Object.entries(cp.counts ?? {})) {
        const o = (out[kind] ??= { fetched: 0, upserted: 0, deactivated: 0, pages: 0 });
        o.fetched += c.fetched;
        o.upserted += c.upserted;
        o.deactivated += c.deactivated;
        o.pages += c.pages;
      }
    }
    return out;
  }

  latest(tenantId: string): Promise<SyncRunDoc | null> {
    return this.col.find({ tenantId }).sort({ startedAt: -1 }).limit(1).next();
  }

  /**
   * The latest successful run that read every resource (runs started by a Maesn webhook read only
   * what changed); with `startedSince`, only runs that started then or later (the current division's).
   */
  latestSucceeded(tenantId: string, mode?: SyncMode, startedSince?: Date): Promise<SyncRunDoc | null> {
    return this.col
      .find({ tenantId, status: 'succeeded', trigger: { $ne: 'webhook' }, ...(mode ? { mode } : {}), ...(startedSince ? { startedAt: { $gte: startedSince } } : {}) })
      .sort({ startedAt: -1 })
      .limit(1)
      .next();
  }
}
