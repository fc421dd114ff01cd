/**
 * File persistence for sandbox state. Each logical document is one JSON file under `dataDir`;
 * writes are debounced, serialised and atomic (temp file + rename), so a crash leaves either the
 * old or the new version. Only documents marked dirty are rewritten, so posting a journal entry in
 * an administration with 100k suppliers does not re-serialise the suppliers.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export class JsonFileStore {
  private readonly dirty = new Map<string, () => unknown>();
  private timer: NodeJS.Timeout | null = null;
  private firstDirtyAt = 0;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly debounceMs = 100,
    private readonly maxDelayMs = 1000,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Reads a document synchronously (start-up only); undefined when absent. */
  read<T>(rel: string): T | undefined {
    const file = path.join(this.dir, rel);
    if (!fs.existsSync(file)) return undefined;
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  }

  exists(rel: string): boolean {
    return fs.existsSync(path.join(this.dir, rel));
  }

  /** Schedules `rel` to be written with whatever `produce()` returns at flush time. */
  markDirty(rel: string, produce: () => unknown): void {
    if (this.closed) return;
    if (this.dirty.size === 0) this.firstDirtyAt = Date.now();
    this.dirty.set(rel, produce);
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.debounceMs, this.firstDirtyAt + this.maxDelayMs - Date.now()));
    this.timer = setTimeout(() => void this.flush(), wait);
    this.timer.unref();
  }

  /** Removes a document (and any pending write of it). */
  remove(rel: string): void {
    this.dirty.delete(rel);
    this.chain = this.chain.then(() => fs.promises.rm(path.join(this.dir, rel), { force: true, recursive: true }));
  }

  /** Writes every dirty document now; resolves once they are on disk. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = [...this.dirty.entries()];
    this.dirty.clear();
    const run = async (): Promise<void> => {
      for (const [rel, produce] of batch) {
        try {
          await this.writeAtomic(rel, JSON.stringify(produce()));
        } catch (err) {
          this.logger.error({ err, file: rel }, 'sandbox state write failed');
        }
      }
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private async writeAtomic(rel: string, content: string): Promise<void> {
    const file = path.join(this.dir, rel);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await fs.promises.writeFile(tmp, content, 'utf8');
    await fs.promises.rename(tmp, file);
  }
}
