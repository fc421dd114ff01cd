/**
 * Fault injection for the sandbox control API: fail the next N calls of an operation (Maesn
 * operationIds such as `getAccounts`, `createJournalEntry`) with an HTTP status, a timeout (the
 * response is held, then the socket is dropped), a connection reset, or a 2xx whose body no
 * client can read (`malformed`).
 *
 * createJournalEntry only, as Exact behaves when it commits after the caller gave up:
 * - `commitFirst`: the entry is stored first, then the fault answers (the answer is lost);
 * - `commitDelayMs` (with commitFirst): the stored entry stays invisible to every GET (list and by
 *   id) for that long, as when Exact commits seconds after our timeout;
 * - `visibilityLagMs` (with commitFirst): the entry is missing from list results for that long
 *   (GET by id finds it); with mode `pass` the call itself answers normally (201).
 */
import { z } from 'zod';
import { randomGuid } from './ids';

export const OPERATIONS = [
  'check',
  'systemLoginUrl',
  'getCompanies',
  'getAccounts',
  'getAccount',
  'getJournals',
  'getTaxRates',
  'getTaxRate',
  'getSuppliers',
  'getSupplier',
  'getDimensions',
  'getJournalEntries',
  'getJournalEntry',
  'createJournalEntry',
  'createJournalEntryAttachments',
  'createPassThroughRequest',
  'createWebhook',
  'getWebhooks',
  'deleteWebhook',
] as const;
export type OperationId = (typeof OPERATIONS)[number];

export const faultSpecSchema = z.object({
  operation: z.enum(OPERATIONS),
  /** How many consecutive calls fail (default 1). */
  count: z.number().int().min(1).max(10_000).default(1),
  mode: z.enum(['status', 'timeout', 'reset', 'malformed', 'pass']),
  /** For mode=status. */
  status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504), z.literal(429)]).optional(),
  /** For status 429: Retry-After seconds (default 1). */
  retryAfterSeconds: z.number().int().min(0).max(86_400).optional(),
  /** For mode=timeout: how long to hold the request before dropping the socket (default 35 s). */
  holdMs: z.number().int().min(0).max(600_000).optional(),
  /** Store the journal entry, then fail (createJournalEntry only). */
  commitFirst: z.boolean().default(false),
  /** With commitFirst: the entry is invisible to every GET for this long after it was stored. */
  commitDelayMs: z.number().int().min(0).max(3_600_000).optional(),
  /** With commitFirst: the entry is missing from list results for this long after it was stored. */
  visibilityLagMs: z.number().int().min(0).max(3_600_000).optional(),
  /** Only calls for this division (companyId); default: any. */
  division: z.string().optional(),
});
export type FaultSpec = z.input<typeof faultSpecSchema>;
export type Fault = z.output<typeof faultSpecSchema> & { id: string; remaining: number };

export class FaultRegistry {
  private faults: Fault[] = [];

  add(spec: FaultSpec): Fault {
    const parsed = faultSpecSchema.parse(spec);
    if (parsed.mode === 'status' && parsed.status === undefined) throw new Error('status is required for mode=status');
    if (parsed.commitFirst && parsed.operation !== 'createJournalEntry') throw new Error('commitFirst is only supported for createJournalEntry');
    if ((parsed.commitDelayMs !== undefined || parsed.visibilityLagMs !== undefined) && !parsed.commitFirst) {
      throw new Error('commitDelayMs and visibilityLagMs need commitFirst (they shape the entry the call stores)');
    }
    if (parsed.mode === 'pass' && !parsed.commitFirst) throw new Error('mode pass needs commitFirst (it answers normally after storing the entry)');
    const f: Fault = { ...parsed, id: randomGuid(), remaining: parsed.count };
    this.faults.push(f);
    return f;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(): void {
    this.faults = [];
  }

  /** Consumes one matching fault (pre- or post-commit) for this call, if any. */
  take(operation: OperationId, division: string | null, commitFirst: boolean): Fault | undefined {
    const i = this.faults.findIndex(
      (f) => f.operation === operation && f.commitFirst === commitFirst && (f.division === undefined || f.division === division) && f.remaining > 0,
    );
    if (i < 0) return undefined;
    const f = this.faults[i];
    f.remaining--;
    if (f.remaining <= 0) this.faults.splice(i, 1);
    return { ...f };
  }
}
