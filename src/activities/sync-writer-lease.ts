/**
 * One writer per tenant and resource: the lease a sync activity holds while it writes a resource's
 * master data (records, digest, lookup keys).
 *
 * Why: two syncs of one tenant can run at once (a scheduled one, "sync now", one started by a Maesn
 * change event: each has its own workflow ID). On the embedded FerretDB an update is read, change,
 * write back, so two writers adding different records to one lookup key (a name two suppliers
 * share) could lose one of them (src/store/master-data-keys.ts). With the lease the second run waits,
 * heartbeating, until the first has written the resource, then reads and writes it itself.
 *
 * The holder is the sync run and resource, so a later attempt of the same activity (after a worker
 * died) takes the lease over at once instead of waiting for it to expire; the older attempt is
 * fenced out: it checks the lease before every page it writes and stops when it lost it.
 */
import type { Lease, LeaseStore } from '../store';

/** How long a lease lasts without renewal, and how often the holder renews it. */
export const SYNC_WRITER_LEASE = { ttlMs: 120_000, renewEveryMs: 30_000, pollMs: 2_000 } as const;

export const syncWriterLeaseKey = (tenantId: string, resource: string) => `sync-writer:${tenantId}:${resource}`;

export interface SyncWriterWait {
  /** Called on every poll while another run holds the lease (heartbeat there). */
  onWait: (holder: string | null) => void;
  /** Sleeps between polls; rejects when the activity is cancelled. */
  sleep: (ms: number) => Promise<void>;
}

export class SyncWriterLease {
  private lost = false;
  /** A renewal in flight: checks and the release wait for it (it moves the lease to a new generation). */
  private renewing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly leases: LeaseStore,
    private lease: Lease,
  ) {
    this.timer = setInterval(() => {
      this.renewing = this.renewing.then(() => this.renew());
    }, SYNC_WRITER_LEASE.renewEveryMs);
    this.timer.unref();
  }

  /** Waits until the lease on the tenant's resource is this run's. */
  static async take(leases: LeaseStore, tenantId: string, resource: string, runId: string, wait: SyncWriterWait): Promise<SyncWriterLease> {
    const key = syncWriterLeaseKey(tenantId, resource);
    const holder = `${runId}:${resource}`;
    for (;;) {
      const r = await leases.acquire(key, holder, SYNC_WRITER_LEASE.ttlMs, { takeOverOwn: true });
      if (r.acquired) return new SyncWriterLease(leases, r.lease);
      wait.onWait(r.holder);
      await wait.sleep(SYNC_WRITER_LEASE.pollMs);
    }
  }

  /** Throws unless this run still holds the lease: called right before each write. */
  async check(): Promise<void> {
    await this.renewing;
    if (this.lost || !(await this.leases.holds(this.lease))) {
      this.lost = true;
      throw new Error(`another run took over writing ${this.lease.key.replace(/^sync-writer:/, '')}: this attempt stops (the retry resumes from the checkpoint)`);
    }
  }

  /**
   * Gives the lease back. Never throws: it runs in a `finally`, where a database hiccup must not
   * replace the error the sync failed with; an unreleased lease expires within `ttlMs`.
   */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
    if (this.lost) return;
    try {
      await this.leases.release(this.lease);
    } catch {
      // expires by itself
    }
  }

  private async renew(): Promise<void> {
    if (this.lost) return;
    try {
      const next = await this.leases.renew(this.lease, SYNC_WRITER_LEASE.ttlMs);
      if (next) this.lease = next;
      else this.lost = true;
    } catch {
      // A database hiccup: the next tick tries again; the lease lasts four renewal periods.
    }
  }
}
