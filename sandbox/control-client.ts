/**
 * Typed client for the sandbox control API (`/_sandbox/...`) plus a helper that drives the hosted
 * connect flow end to end. For tests, demo scripts and local development only.
 */
import { SANDBOX_DEV_DEFAULTS } from './config';
import type { FaultSpec } from './faults';
import type { LoggedRequest } from './context';
import type { MasterInput } from './master-records';
import type { MasterKind } from './state';
import type { GenerateOptions, SandboxTargetSystem } from './types';

export class SandboxControlError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxControlError';
  }
}

export interface ConnectResult {
  accountKey: string;
  companyId: string;
  /** The full redirect URL (callbackUrl + accountKey, companyId and optionally signature). */
  redirectUrl: string;
}

export interface DivisionSummary {
  code: string;
  name: string;
  counts: Record<string, number>;
}

export interface StoredFault extends FaultSpec {
  id: string;
  remaining: number;
}

/** A stored journal entry as the control API lists it. */
export type StoredEntry = Record<string, unknown> & {
  id: string;
  number: string;
  journalCode: string;
  description: string | null;
  postedDescription: string;
  journalLineItems: Array<Record<string, unknown> & { description: string | null; debitCreditIndicator: string; totalGrossAmount: number }>;
  attachments: unknown[];
  /** ISO time before which Maesn's GETs do not see it (commitDelayMs), or null. */
  visibleAfter: string | null;
  /** ISO time before which Maesn's list does not show it (visibilityLagMs), or null. */
  listedAfter: string | null;
};

export class SandboxControl {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string = SANDBOX_DEV_DEFAULTS.apiKey,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}/_sandbox${path}`, {
      method,
      headers: { 'X-API-KEY': this.apiKey, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const msg = (json as { errors?: { message?: string } } | null)?.errors?.message ?? res.statusText;
      throw new SandboxControlError(res.status, json, `sandbox control ${method} ${path} failed: ${res.status} ${msg}`);
    }
    return (json as { data: T }).data;
  }

  // --- divisions ---
  listDivisions(): Promise<DivisionSummary[]> {
    return this.call('GET', '/divisions');
  }
  createDivision(input: { code: string; name: string; generate?: Omit<GenerateOptions, 'division'>; empty?: boolean }): Promise<{ code: string; name: string }> {
    return this.call('POST', '/divisions', input);
  }
  resetDivision(division: string): Promise<{ code: string; reset: true }> {
    return this.call('POST', `/divisions/${encodeURIComponent(division)}/reset`);
  }
  /**
   * Every stored journal entry of the division, also those a fault keeps invisible to Maesn's GETs
   * (Maesn DTO shape, whose header `description` is null on general journals, plus `attachments`
   * metadata and `postedDescription`, the header description as it was posted).
   */
  listJournalEntries(division: string): Promise<StoredEntry[]> {
    return this.call('GET', `/divisions/${encodeURIComponent(division)}/journalEntries`);
  }

  // --- master data ---
  createRecord<K extends MasterKind>(division: string, kind: K, input: MasterInput<K>): Promise<Record<string, unknown> & { id: string }> {
    return this.call('POST', `/divisions/${encodeURIComponent(division)}/${kind}`, input);
  }
  updateRecord<K extends MasterKind>(division: string, kind: K, ref: string, patch: Partial<MasterInput<K>>): Promise<Record<string, unknown> & { id: string }> {
    return this.call('PATCH', `/divisions/${encodeURIComponent(division)}/${kind}/${encodeURIComponent(ref)}`, patch);
  }
  deleteRecord(division: string, kind: MasterKind, ref: string): Promise<{ id: string; deleted: true }> {
    return this.call('DELETE', `/divisions/${encodeURIComponent(division)}/${kind}/${encodeURIComponent(ref)}`);
  }
  /** Blocks a record: GL account / VAT code / journal `isBlocked`, supplier `blocked`, dimension `endDate` = yesterday. */
  block(division: string, kind: MasterKind, ref: string): Promise<Record<string, unknown>> {
    return this.call('POST', `/divisions/${encodeURIComponent(division)}/${kind}/${encodeURIComponent(ref)}/block`);
  }
  unblock(division: string, kind: MasterKind, ref: string): Promise<Record<string, unknown>> {
    return this.call('POST', `/divisions/${encodeURIComponent(division)}/${kind}/${encodeURIComponent(ref)}/unblock`);
  }
  blockAccount(division: string, ref: string): Promise<Record<string, unknown>> {
    return this.block(division, 'accounts', ref);
  }
  unblockAccount(division: string, ref: string): Promise<Record<string, unknown>> {
    return this.unblock(division, 'accounts', ref);
  }
  blockTaxRate(division: string, ref: string): Promise<Record<string, unknown>> {
    return this.block(division, 'taxRates', ref);
  }
  unblockTaxRate(division: string, ref: string): Promise<Record<string, unknown>> {
    return this.unblock(division, 'taxRates', ref);
  }

  // --- periods ---
  closePeriod(division: string, period: string): Promise<{ period: string; status: 'closed' }> {
    return this.call('POST', `/divisions/${encodeURIComponent(division)}/periods/${encodeURIComponent(period)}/close`);
  }
  reopenPeriod(division: string, period: string): Promise<{ period: string; status: 'open' }> {
    return this.call('POST', `/divisions/${encodeURIComponent(division)}/periods/${encodeURIComponent(period)}/reopen`);
  }

  // --- connections ---
  /** Creates a connection directly (skips the hosted page). */
  createConnection(division: string, targetSystem: SandboxTargetSystem = 'exact-nl'): Promise<{ accountKey: string; division: string; targetSystem: string }> {
    return this.call('POST', '/connections', { division, targetSystem });
  }
  revokeAccountKey(accountKey: string): Promise<{ revoked: boolean }> {
    return this.call('POST', '/connections/revoke', { accountKey });
  }

  /**
   * Runs the real connect flow over HTTP: GET /auth/{target} → POST the hosted form with the
   * division → read the 302 Location. Returns the account key from the redirect.
   */
  async connect(opts: { division: string; targetSystem?: SandboxTargetSystem; callbackUrl?: string; includeSignature?: boolean }): Promise<ConnectResult> {
    const target = opts.targetSystem ?? 'exact-nl';
    const qs = new URLSearchParams({ callbackUrl: opts.callbackUrl ?? 'http://localhost/callback' });
    if (opts.includeSignature) qs.set('include_signature', 'true');
    const r1 = await fetch(`${this.base}/auth/${target}?${qs.toString()}`, { headers: { 'X-API-KEY': this.apiKey } });
    const loginUrl = await r1.text();
    if (r1.status !== 200) throw new SandboxControlError(r1.status, loginUrl, `GET /auth/${target} failed: ${r1.status}`);
    const r2 = await fetch(loginUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ division: opts.division }).toString(),
      redirect: 'manual',
    });
    const location = r2.headers.get('location');
    await r2.body?.cancel();
    if (r2.status !== 302 || !location) throw new SandboxControlError(r2.status, null, `hosted login failed: ${r2.status}`);
    const u = new URL(location);
    return { accountKey: u.searchParams.get('accountKey') ?? '', companyId: u.searchParams.get('companyId') ?? '', redirectUrl: location };
  }

  // --- faults ---
  addFault(spec: FaultSpec): Promise<StoredFault> {
    return this.call('POST', '/faults', spec);
  }
  /** Fails the next `count` calls of `operation` with an HTTP status. */
  failNext(operation: FaultSpec['operation'], status: 500 | 502 | 503 | 504 | 429, count = 1, extra: Partial<FaultSpec> = {}): Promise<StoredFault> {
    return this.addFault({ operation, mode: 'status', status, count, ...extra });
  }
  /** Holds the next `count` calls for `holdMs`, then drops the connection without a response. */
  timeoutNext(operation: FaultSpec['operation'], holdMs: number, count = 1, extra: Partial<FaultSpec> = {}): Promise<StoredFault> {
    return this.addFault({ operation, mode: 'timeout', holdMs, count, ...extra });
  }
  /** Resets (destroys) the connection of the next `count` calls. */
  resetNext(operation: FaultSpec['operation'], count = 1, extra: Partial<FaultSpec> = {}): Promise<StoredFault> {
    return this.addFault({ operation, mode: 'reset', count, ...extra });
  }
  /**
   * createJournalEntry: store the entry, then lose the response (5xx, timeout, reset, or a 201 no
   * client can read). `commitDelayMs`: the entry stays invisible to GETs that long (Exact committing
   * after the caller's timeout); `visibilityLagMs`: missing from list results that long.
   */
  commitThenFail(
    mode: { status: 500 | 502 | 503 | 504 } | { timeoutMs: number } | 'reset' | 'malformed',
    count = 1,
    extra: { commitDelayMs?: number; visibilityLagMs?: number } = {},
  ): Promise<StoredFault> {
    const base = { operation: 'createJournalEntry' as const, commitFirst: true, count, ...extra };
    if (mode === 'reset' || mode === 'malformed') return this.addFault({ ...base, mode });
    if ('status' in mode) return this.addFault({ ...base, mode: 'status', status: mode.status });
    return this.addFault({ ...base, mode: 'timeout', holdMs: mode.timeoutMs });
  }
  /** createJournalEntry answers normally (201), but the entry is missing from list results for `visibilityLagMs`. */
  lagListing(visibilityLagMs: number, count = 1): Promise<StoredFault> {
    return this.addFault({ operation: 'createJournalEntry', mode: 'pass', commitFirst: true, visibilityLagMs, count });
  }
  /** Answers the next `count` calls of `operation` with a 2xx whose body no client can read. */
  malformedNext(operation: FaultSpec['operation'], count = 1): Promise<StoredFault> {
    return this.addFault({ operation, mode: 'malformed', count });
  }
  /**
   * Every Maesn call the sandbox received (oldest first), optionally of one operation/division:
   * with its HTTP status (null when a timeout or reset fault sent none) and the fault that answered it.
   */
  listRequests(filter: { operation?: string; division?: string } = {}): Promise<LoggedRequest[]> {
    const qs = new URLSearchParams(Object.entries(filter).filter(([, v]) => v) as [string, string][]).toString();
    return this.call('GET', `/requests${qs ? `?${qs}` : ''}`);
  }
  clearRequests(): Promise<{ cleared: true }> {
    return this.call('DELETE', '/requests');
  }
  listFaults(): Promise<StoredFault[]> {
    return this.call('GET', '/faults');
  }
  clearFaults(): Promise<{ cleared: true }> {
    return this.call('DELETE', '/faults');
  }

  // --- rate limits ---
  setRateLimits(limits: { perMinute: number; perDay: number }): Promise<{ perMinute: number; perDay: number }> {
    return this.call('PUT', '/rate-limits', limits);
  }
  /** The limits and what each division used of its current minute and day (the sandbox's own count). */
  getRateLimits(): Promise<{ perMinute: number; perDay: number; divisions: { division: string; minute: { used: number; resetAt: number }; day: { used: number; resetAt: number } }[] }> {
    return this.call('GET', '/rate-limits');
  }
  resetRateLimitCounters(division?: string): Promise<{ reset: true }> {
    return this.call('POST', '/rate-limits/reset', division === undefined ? {} : { division });
  }
}
