/**
 * File persistence for sandbox state. Each logical document is one JSON file under `dataDir`;
 * writes are debounced, serialised and atomic (temp file + rename), so a crash leaves either the
 * old or the new version. Only documents marked dirty are rewritten, so posting a journal entry in
 * an administration with 100k suppliers does not re-serialise the suppliers.
 *
 * Collections that only grow (journal entries) are append-only logs instead: one JSON line per
 * change, appended in the same debounced flush, so a post costs one line however many entries
 * exist. A line cut short by a crash is skipped when reading.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

/** Marks a dirty document that is a whole log (written as JSON lines). */
const LOG_CONTENT = Symbol('log content');
const LOG_TEXT = Symbol('log text');

export class JsonFileStore {
  private readonly dirty = new Map<string, () => unknown>();
  private readonly appends = new Map<string, string[]>();
  private readonly logRewrites = new Set<string>();
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

  /** Reads an append-only log: one parsed value per complete line (a torn last line is skipped). */
  readLines<T>(rel: string): T[] | undefined {
    const file = path.join(this.dir, rel);
    if (!fs.existsSync(file)) return undefined;
    const out: T[] = [];
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        this.logger.warn({ file: rel }, 'sandbox log: skipped an incomplete line');
      }
    }
    return out;
  }

  /** Appends one JSON line to the log `rel` at the next flush. */
  append(rel: string, value: unknown): void {
    if (this.closed) return;
    const lines = this.appends.get(rel) ?? [];
    lines.push(JSON.stringify(value));
    this.appends.set(rel, lines);
    this.schedule();
  }

  /** Schedules `rel` to be written with whatever `produce()` returns at flush time. */
  markDirty(rel: string, produce: () => unknown): void {
    if (this.closed) return;
    this.logRewrites.delete(rel);
    this.dirty.set(rel, produce);
    this.schedule();
  }

  /**
   * Rewrites the log `rel` with `produce()`'s values (one line each) at the next flush, replacing
   * whatever was appended before (a reset, or compaction).
   */
  rewriteLog(rel: string, produce: () => unknown[]): void {
    if (this.closed) return;
    this.appends.delete(rel);
    this.logRewrites.add(rel);
    this.dirty.set(rel, () => ({ [LOG_CONTENT]: produce() }));
    this.schedule();
  }

  private schedule(): void {
    if (!this.timer) this.firstDirtyAt = Date.now();
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.debounceMs, this.firstDirtyAt + this.maxDelayMs - Date.now()));
    this.timer = setTimeout(() => void this.flush(), wait);
    this.timer.unref();
  }

  /** Removes a document (and any pending write of it). */
  remove(rel: string): void {
    this.dirty.delete(rel);
    this.appends.delete(rel);
    this.logRewrites.delete(rel);
    this.chain = this.chain.then(() => fs.promises.rm(path.join(this.dir, rel), { force: true, recursive: true }));
  }

  /** Writes every dirty document now; resolves once they are on disk. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // A log's rewrite is taken now: lines appended after this flush are written after it.
    const batch = [...this.dirty.entries()].map(([rel, produce]): [string, () => unknown] => {
      if (!this.logRewrites.has(rel)) return [rel, produce];
      const text = ((produce() as Record<symbol, unknown[]>)[LOG_CONTENT] ?? []).map((v) => `${JSON.stringify(v)}\n`).join('');
      return [rel, () => ({ [LOG_TEXT]: text })];
    });
    this.dirty.clear();
    this.logRewrites.clear();
    // A log rewritten in this flush already holds what was appended since (produced now).
    const appends = [...this.appends.entries()].filter(([rel]) => !this.dirtyHas(batch, rel));
    this.appends.clear();
    const run = async (): Promise<void> => {
      for (const [rel, produce] of batch) {
        try {
          const value = produce();
          const logText = value && typeof value === 'object' && LOG_TEXT in value ? (value as Record<symbol, string>)[LOG_TEXT] : null;
          await this.writeAtomic(rel, logText ?? JSON.stringify(value));
        } catch (err) {
          this.logger.error({ err, file: rel }, 'sandbox state write failed');
        }
      }
      for (const [rel, lines] of appends) {
        try {
          const file = path.join(this.dir, rel);
          await fs.promises.mkdir(path.dirname(file), { recursive: true });
          await fs.promises.appendFile(file, lines.map((l) => `${l}\n`).join(''), 'utf8');
        } catch (err) {
          this.logger.error({ err, file: rel }, 'sandbox log append failed');
        }
      }
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  private dirtyHas(batch: [string, () => unknown][], rel: string): boolean {
    return batch.some(([r]) => r === rel);
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
