/**
 * Typed client for the subset of Maesn's unified accounting API this product uses
 * (Exact Online through Maesn). See src/maesn/index.ts for the public surface.
 */
import { z } from 'zod';
import type { TargetSystem } from '../config';
import { MaesnInvalidRequestError, MaesnResponseFormatError } from './errors';
import {
  companySchema,
  envelopeSchema,
  exactODataListSchema,
  hostedLinkSchema,
  journalEntryCreateInputSchema,
  journalEntrySchema,
  listResources,
  toJournalEntryWire,
  webhookSchema,
  type Company,
  type Envelope,
  type JournalEntry,
  type JournalEntryCreateInput,
  type ListItemTypes,
  type ListResource,
  type MaesnWebhook,
} from './schemas';
import { Transport, type CallGovernor, type CallSpec, type MaesnLogger, type MultipartPart, type RetryOptions } from './transport';

export const PAGE_LIMITS = [5, 10, 20, 50, 100] as const;
export type PageLimit = (typeof PAGE_LIMITS)[number];

export interface MaesnClientOptions {
  /** e.g. https://api.maesn.dev or the local sandbox URL. A path prefix is kept. */
  baseUrl: string;
  /** Tenant API key (X-API-KEY). Never logged. */
  apiKey: string;
  /** Target system used for the hosted connect link (default exact-nl). */
  targetSystem?: TargetSystem;
  /** Timeout per HTTP call, including reading the body (default 30 000, as MAESN_TIMEOUT_MS). */
  timeoutMs?: number;
  retry?: RetryOptions;
  logger?: MaesnLogger;
  /** Pool size per origin (default 10). */
  connections?: number;
  keepAliveTimeoutMs?: number;
}

/** One end user's connection: account key (X-ACCOUNT-KEY) and the Exact division (companyId). */
export interface ConnectionScope {
  accountKey: string;
  companyId: string;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface ListParams extends CallOptions {
  /** 1-based page (default 1). */
  page?: number;
  /** Page size; Maesn accepts only 5, 10, 20, 50, 100 (default 100). */
  limit?: PageLimit;
  /** Only records modified after this instant. */
  lastModifiedAt?: string | Date;
  /** Ask Maesn to include the target system's unprocessed payload (`rawData=true`). */
  rawData?: boolean;
}

export interface ListAllParams extends CallOptions {
  limit?: PageLimit;
  lastModifiedAt?: string | Date;
  rawData?: boolean;
  /** Page to resume from (default 1) — pass the last checkpointed page + 1. */
  startPage?: number;
}

export interface Page<T> {
  /** The page number that was requested (1-based). */
  page: number;
  limit: PageLimit;
  /** From meta.pagination; null when the target system does not paginate. */
  totalPages: number | null;
  total: number | null;
  items: T[];
  /** Whether another page should be requested. */
  hasMore: boolean;
  warnings: string[];
  /** Top-level `rawData` as sent (only when requested with `rawData: true`; shape depends on the target system). */
  rawData: unknown;
  /**
   * The raw upstream record for each item, index-aligned with `items`, when `rawData` holds a list
   * of the same length (a bare array, OData `{ d: { results } }` / `{ d: [] }`, or `{ results }`);
   * otherwise null.
   */
  raw: unknown[] | null;
}

/** Finds the per-record list inside a target system's raw payload, if it lines up with `count` items. */
function rawItems(rawData: unknown, count: number): unknown[] | null {
  let list: unknown = rawData;
  if (list && typeof list === 'object' && !Array.isArray(list)) {
    const o = list as Record<string, unknown>;
    const d = o.d;
    if (Array.isArray(d)) list = d;
    else if (d && typeof d === 'object' && Array.isArray((d as Record<string, unknown>).results)) list = (d as Record<string, unknown>).results;
    else if (Array.isArray(o.results)) list = o.results;
    else if (Array.isArray(o.value)) list = o.value;
  }
  return Array.isArray(list) && list.length === count ? list : null;
}

export interface HostedLinkParams extends CallOptions {
  callbackUrl: string;
  cancelCallbackUrl?: string;
  /** Ask Maesn to sign the redirect (default true). */
  includeSignature?: boolean;
  targetSystem?: TargetSystem;
  companyId?: string;
}

/** A receipt to attach. `linePosition` is the 1-based journal line the file belongs to (Exact `filesPos`). */
export interface JournalEntryFile {
  fileName: string;
  data: Uint8Array;
  contentType?: string;
  linePosition: number;
}

export interface AttachmentFile {
  fileName: string;
  data: Uint8Array;
  contentType?: string;
}

export interface WriteResult<T> {
  data: T;
  warnings: string[];
  status: number;
}

function toIso(v: string | Date | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v instanceof Date ? v.toISOString() : v;
}

function zodIssues(err: z.ZodError): string[] {
  return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

function checkLimit(limit: number): PageLimit {
  if (!(PAGE_LIMITS as readonly number[]).includes(limit)) {
    throw new RangeError(`limit must be one of ${PAGE_LIMITS.join(', ')}`);
  }
  return limit as PageLimit;
}

function checkPage(page: number): number {
  if (!Number.isSafeInteger(page) || page < 1) throw new RangeError('page must be an integer >= 1');
  return page;
}

export class MaesnClient {
  readonly targetSystem: TargetSystem;
  /** @internal */
  readonly transport: Transport;
  private readonly apiKey: string;
  private readonly logger: MaesnLogger | undefined;

  constructor(opts: MaesnClientOptions) {
    if (!opts.apiKey) throw new TypeError('MaesnClient: apiKey is required');
    this.apiKey = opts.apiKey;
    this.targetSystem = opts.targetSystem ?? 'exact-nl';
    this.logger = opts.logger;
    this.transport = new Transport({
      baseUrl: opts.baseUrl,
      timeoutMs: opts.timeoutMs ?? 30_000,
      retry: opts.retry,
      logger: opts.logger,
      secrets: () => [this.apiKey],
      connections: opts.connections,
      keepAliveTimeoutMs: opts.keepAliveTimeoutMs,
    });
  }

  /** Builds a client from the product config section (`loadConfig().maesn`). */
  static fromConfig(
    cfg: { baseUrl: string; apiKey: string; targetSystem: TargetSystem; timeoutMs: number },
    extra: Omit<Partial<MaesnClientOptions>, 'baseUrl' | 'apiKey'> = {},
  ): MaesnClient {
    return new MaesnClient({ baseUrl: cfg.baseUrl, apiKey: cfg.apiKey, targetSystem: cfg.targetSystem, timeoutMs: cfg.timeoutMs, ...extra });
  }

  /** Keeps the key out of `console.log(client)` / util.inspect output. */
  toJSON(): Record<string, unknown> {
    return { targetSystem: this.targetSystem };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `MaesnClient { targetSystem: '${this.targetSystem}' }`;
  }

  /** Releases pooled connections. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  /**
   * API scoped to one connection (account key + division). With a `governor`, every call of the
   * connection waits for the division's budget first and reports the rate-limit headers back.
   */
  forConnection(scope: ConnectionScope, opts: { governor?: CallGovernor } = {}): MaesnConnection {
    if (!scope.accountKey) throw new TypeError('accountKey is required');
    if (!scope.companyId) throw new TypeError('companyId is required');
    return new MaesnConnection(this, scope, opts.governor);
  }

  /** @internal */
  baseHeaders(accountKey?: string): Record<string, string> {
    return accountKey ? { 'X-API-KEY': this.apiKey, 'X-ACCOUNT-KEY': accountKey } : { 'X-API-KEY': this.apiKey };
  }

  /** @internal */
  warn(operation: string, warnings: string[]): void {
    if (warnings.length) this.logger?.warn({ operation, warnings }, 'maesn returned warnings');
  }

  /**
   * `GET /auth/{TARGET_SYSTEM}`: the hosted connect link to show to the end user. Maesn sends
   * it as a bare string (text/html); a JSON-quoted string or `{url}` / `{data}` is tolerated.
   */
  async getHostedAuthLink(params: HostedLinkParams): Promise<string> {
    const target = params.targetSystem ?? this.targetSystem;
    const operation = 'getHostedAuthLink';
    const res = await this.transport.call({
      operation,
      method: 'GET',
      path: `/auth/${encodeURIComponent(target)}`,
      pathTemplate: '/auth/{TARGET_SYSTEM}',
      query: {
        callbackUrl: params.callbackUrl,
        cancelCallbackUrl: params.cancelCallbackUrl,
        companyId: params.companyId,
        include_signature: params.includeSignature ?? true,
      },
      headers: this.baseHeaders(),
      accept: 'text/html, application/json;q=0.9, text/plain;q=0.8',
      signal: params.signal,
    });
    let value: unknown = res.text.trim();
    const t = value as string;
    if (t.startsWith('"') || t.startsWith('{')) {
      try {
        value = JSON.parse(t);
      } catch {
        /* leave as text */
      }
    }
    if (value && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      value = typeof o.url === 'string' ? o.url : typeof o.data === 'string' ? o.data : value;
    }
    const parsed = hostedLinkSchema.safeParse(value);
    if (!parsed.success) {
      throw new MaesnResponseFormatError({ operation, status: res.status, issues: ['expected a URL string'], writeAccepted: false });
    }
    return parsed.data;
  }

  /** `GET /auth/companies`: the divisions reachable with an account key (no companyId needed). */
  async listCompanies(accountKey: string, opts: CallOptions & { governor?: { division: string; governor: CallGovernor } } = {}): Promise<Company[]> {
    const operation = 'listCompanies';
    const res = await this.transport.call({
      operation,
      method: 'GET',
      path: '/auth/companies',
      pathTemplate: '/auth/companies',
      headers: this.baseHeaders(accountKey),
      secrets: [accountKey],
      signal: opts.signal,
      governor: opts.governor,
    });
    const env = parseEnvelope(operation, res.status, res.text, false);
    this.warn(operation, env.meta?.warnings ?? []);
    return parseArray(operation, res.status, env.data, companySchema);
  }
}

function parseEnvelope(operation: string, status: number, text: string, isWrite: boolean): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MaesnResponseFormatError({ operation, status, issues: ['body is not JSON'], writeAccepted: isWrite });
  }
  const r = envelopeSchema.safeParse(json);
  if (!r.success) throw new MaesnResponseFormatError({ operation, status, issues: zodIssues(r.error), writeAccepted: isWrite });
  return r.data;
}

function parseArray<S extends z.ZodType>(operation: string, status: number, data: unknown, schema: S): z.output<S>[] {
  if (data === null || data === undefined) return [];
  const r = z.array(schema).safeParse(Array.isArray(data) ? data : [data]);
  if (!r.success) throw new MaesnResponseFormatError({ operation, status, issues: zodIssues(r.error).map((i) => `data.${i}`), writeAccepted: false });
  return r.data;
}

/** Single-object endpoints: the spec says object, docs show a one-element array; accept both. */
function parseSingle<S extends z.ZodType>(operation: string, status: number, data: unknown, schema: S, isWrite: boolean): z.output<S> {
  let value = data;
  if (Array.isArray(value)) {
    if (value.length !== 1) {
      throw new MaesnResponseFormatError({ operation, status, issues: [`data: expected one object, got an array of ${value.length}`], writeAccepted: isWrite });
    }
    value = value[0];
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new MaesnResponseFormatError({ operation, status, issues: zodIssues(r.error).map((i) => `data.${i}`), writeAccepted: isWrite });
  return r.data;
}

/** Calls scoped to one connection. Obtain with `client.forConnection({ accountKey, companyId })`. */
export class MaesnConnection {
  readonly companyId: string;
  private readonly accountKey: string;

  constructor(
    private readonly client: MaesnClient,
    scope: ConnectionScope,
    private readonly governor?: CallGovernor,
  ) {
    this.companyId = scope.companyId;
    this.accountKey = scope.accountKey;
  }

  toJSON(): Record<string, unknown> {
    return { companyId: this.companyId };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `MaesnConnection { companyId: '${this.companyId}' }`;
  }

  private call(spec: Omit<CallSpec, 'headers' | 'secrets'>) {
    return this.client.transport.call({
      ...spec,
      headers: this.client.baseHeaders(this.accountKey),
      secrets: [this.accountKey],
      ...(this.governor ? { governor: { division: this.companyId, governor: this.governor } } : {}),
    });
  }

  listCompanies(opts: CallOptions = {}): Promise<Company[]> {
    return this.client.listCompanies(this.accountKey, { ...opts, ...(this.governor ? { governor: { division: this.companyId, governor: this.governor } } : {}) });
  }

  /** Fetches one page of a list resource. */
  async listPage<R extends ListResource>(resource: R, params: ListParams = {}): Promise<Page<ListItemTypes[R]>> {
    const def = listResources[resource];
    if (!def) throw new TypeError(`unknown resource ${String(resource)}`);
    const page = checkPage(params.page ?? 1);
    const limit = checkLimit(params.limit ?? 100);
    const operation = `list.${resource}`;
    const res = await this.call({
      operation,
      method: 'GET',
      path: def.path,
      pathTemplate: def.path,
      query: { companyId: this.companyId, page, limit, lastModifiedAt: toIso(params.lastModifiedAt), rawData: params.rawData ? true : undefined },
      signal: params.signal,
    });
    const env = parseEnvelope(operation, res.status, res.text, false);
    const warnings = env.meta?.warnings ?? [];
    this.client.warn(operation, warnings);
    const items = parseArray(operation, res.status, env.data, def.schema as unknown as z.ZodType<ListItemTypes[R]>);
    const p = env.meta?.pagination ?? null;
    const hasMore = p ? page < p.totalPages && items.length > 0 : items.length >= limit;
    const rawData = params.rawData ? (env.rawData ?? null) : null;
    return {
      page,
      limit,
      totalPages: p?.totalPages ?? null,
      total: p?.total ?? null,
      items,
      hasMore,
      warnings,
      rawData,
      raw: params.rawData ? rawItems(rawData, items.length) : null,
    };
  }

  /**
   * Streams a list resource page by page. The next page is requested only when the consumer
   * asks for it, and nothing is kept from earlier pages, so memory stays flat however many
   * pages there are. Checkpoint `page.page` to resume later with `startPage: page + 1`.
   */
  async *listAll<R extends ListResource>(resource: R, params: ListAllParams = {}): AsyncGenerator<Page<ListItemTypes[R]>, void, undefined> {
    let page = checkPage(params.startPage ?? 1);
    const limit = checkLimit(params.limit ?? 100);
    let previousFirstId: string | null | undefined;
    for (;;) {
      const result = await this.listPage(resource, { page, limit, lastModifiedAt: params.lastModifiedAt, rawData: params.rawData, signal: params.signal });
      // A target system that ignores paging returns the same first record for every page.
      const firstId = (result.items[0] as { id?: string | null } | undefined)?.id;
      const repeating = result.totalPages === null && page > 1 && firstId != null && firstId === previousFirstId;
      if (repeating) return;
      previousFirstId = firstId;
      if (result.items.length === 0 && page > (params.startPage ?? 1)) return;
      yield result;
      if (!result.hasMore) return;
      page += 1;
    }
  }

  listAccounts(params?: ListParams) {
    return this.listPage('accounts', params);
  }
  listJournals(params?: ListParams) {
    return this.listPage('journals', params);
  }
  listTaxRates(params?: ListParams) {
    return this.listPage('taxRates', params);
  }
  listSuppliers(params?: ListParams) {
    return this.listPage('suppliers', params);
  }
  /** Cost centers and cost units (Exact) come back as dimensions with a `categoryName`. */
  listDimensions(params?: ListParams) {
    return this.listPage('dimensions', params);
  }
  listJournalEntries(params?: ListParams) {
    return this.listPage('journalEntries', params);
  }

  /**
   * Reads an Exact list endpoint Maesn has no unified resource for, through
   * `POST /accounting/passThrough` (GET upstream), following Exact's `__next` links up to
   * `maxPages`. Rows are checked against `schema`; a read, so nothing is created whatever fails.
   */
  async passThroughList<S extends z.ZodType>(path: string, schema: S, opts: CallOptions & { query?: Record<string, string>; maxPages?: number } = {}): Promise<z.output<S>[]> {
    const operation = `passThrough.${path}`;
    const rows: z.output<S>[] = [];
    let query: Record<string, string> = { ...(opts.query ?? {}) };
    for (let page = 0; page < (opts.maxPages ?? 50); page++) {
      const res = await this.call({
        operation,
        method: 'POST',
        path: '/accounting/passThrough',
        pathTemplate: '/accounting/passThrough',
        query: { companyId: this.companyId },
        json: { path, method: 'GET', query },
        readOnly: true,
        signal: opts.signal,
      });
      const env = parseEnvelope(operation, res.status, res.text, false);
      this.client.warn(operation, env.meta?.warnings ?? []);
      const list = exactODataListSchema.safeParse(env.data);
      if (!list.success) throw new MaesnResponseFormatError({ operation, status: res.status, issues: list.error.issues.map((i) => `data.${i.path.join('.')}: ${i.message}`), writeAccepted: false });
      const d = list.data.d;
      rows.push(...parseArray(operation, res.status, Array.isArray(d) ? d : d.results, schema));
      const next = Array.isArray(d) ? null : d.__next;
      const skip = next ? new URL(next, 'http://exact.invalid').searchParams.get('$skiptoken') : null;
      if (!skip) return rows;
      query = { ...query, $skiptoken: skip };
    }
    return rows;
  }

  /** `GET /accounting/journalEntries/{id}`. */
  async getJournalEntry(id: string, opts: CallOptions & { journalCode?: string } = {}): Promise<JournalEntry> {
    if (!id) throw new TypeError('id is required');
    const operation = 'getJournalEntry';
    const res = await this.call({
      operation,
      method: 'GET',
      path: `/accounting/journalEntries/${encodeURIComponent(id)}`,
      pathTemplate: '/accounting/journalEntries/{journalEntryId}',
      query: { companyId: this.companyId, journalCode: opts.journalCode },
      signal: opts.signal,
    });
    const env = parseEnvelope(operation, res.status, res.text, false);
    this.client.warn(operation, env.meta?.warnings ?? []);
    return parseSingle(operation, res.status, env.data, journalEntrySchema, false);
  }

  /**
   * `POST /accounting/journalEntries` as multipart: `journal_entry` (JSON text), one `files` part
   * per receipt and, for each, a `filesPos` part with the 1-based line it belongs to.
   * Sent exactly once — never retried by the client (Maesn has no idempotency key).
   */
  async createJournalEntry(
    input: JournalEntryCreateInput,
    /** `beforeSend`: see CallSpec (runs after the call budget's wait, right before the POST). */
    opts: CallOptions & { files?: JournalEntryFile[]; beforeSend?: () => Promise<void> } = {},
  ): Promise<WriteResult<JournalEntry>> {
    const operation = 'createJournalEntry';
    const parsed = journalEntryCreateInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new MaesnInvalidRequestError({
        operation,
        targetMessage: 'input does not match the journal entry create DTO',
        fieldErrors: parsed.error.issues.map((i) => {
          const field = i.path.join('.');
          const m = /^journalLineItems\.(\d+)/.exec(field);
          return { field, ...(m ? { line: Number(m[1]) + 1 } : {}), message: i.message };
        }),
      });
    }
    const files = opts.files ?? [];
    const lines = parsed.data.journalLineItems.length;
    for (const f of files) {
      if (!Number.isInteger(f.linePosition) || f.linePosition < 1 || f.linePosition > lines) {
        throw new MaesnInvalidRequestError({
          operation,
          targetMessage: `file ${f.fileName}: linePosition must be between 1 and ${lines}`,
          fieldErrors: [{ field: 'filesPos', message: 'out of range' }],
        });
      }
    }
    const parts: MultipartPart[] = [{ name: 'journal_entry', value: JSON.stringify(toJournalEntryWire(parsed.data)) }];
    for (const f of files) parts.push({ name: 'files', value: { data: f.data, fileName: f.fileName, contentType: f.contentType } });
    for (const f of files) parts.push({ name: 'filesPos', value: String(f.linePosition) });

    const res = await this.call({
      operation,
      method: 'POST',
      path: '/accounting/journalEntries',
      pathTemplate: '/accounting/journalEntries',
      query: { companyId: this.companyId },
      multipart: parts,
      signal: opts.signal,
      beforeSend: opts.beforeSend,
    });
    const env = parseEnvelope(operation, res.status, res.text, true);
    const warnings = env.meta?.warnings ?? [];
    this.client.warn(operation, warnings);
    return { data: parseSingle(operation, res.status, env.data, journalEntrySchema, true), warnings, status: res.status };
  }

  /**
   * `POST /webhooks`: subscribes `callbackUrl` to `eventType` changes of `resource` (e.g. ACCOUNT,
   * CONTACT) in this connection's division. Not retried. The answer carries the subscription's
   * signing secret (scrubbed from any error text).
   */
  async createWebhook(input: { callbackUrl: string; resource: string; eventType?: string }, opts: CallOptions = {}): Promise<MaesnWebhook> {
    const operation = 'createWebhook';
    const res = await this.call({
      operation,
      method: 'POST',
      path: '/webhooks',
      pathTemplate: '/webhooks',
      query: { companyId: this.companyId },
      json: { callbackUrl: input.callbackUrl, resource: input.resource, ...(input.eventType ? { eventType: input.eventType } : {}) },
      signal: opts.signal,
    });
    const env = parseEnvelope(operation, res.status, res.text, true);
    return parseSingle(operation, res.status, env.data, webhookSchema, true);
  }

  /** `DELETE /webhooks/{webhookId}`. */
  async deleteWebhook(id: string, opts: CallOptions = {}): Promise<void> {
    if (!id) throw new TypeError('id is required');
    const operation = 'deleteWebhook';
    await this.call({ operation, method: 'DELETE', path: `/webhooks/${encodeURIComponent(id)}`, pathTemplate: '/webhooks/{webhookId}', query: { companyId: this.companyId }, signal: opts.signal });
  }

  /**
   * `POST /accounting/journalEntries/{id}/Attachments` (multipart part `file`). The spec declares
   * no `companyId` on this operation, so none is sent. Not retried.
   */
  async addJournalEntryAttachment(journalEntryId: string, file: AttachmentFile, opts: CallOptions = {}): Promise<WriteResult<JournalEntry | null>> {
    if (!journalEntryId) throw new TypeError('journalEntryId is required');
    const operation = 'addJournalEntryAttachment';
    const res = await this.call({
      operation,
      method: 'POST',
      path: `/accounting/journalEntries/${encodeURIComponent(journalEntryId)}/Attachments`,
      pathTemplate: '/accounting/journalEntries/{journalEntryId}/Attachments',
      multipart: [{ name: 'file', value: { data: file.data, fileName: file.fileName, contentType: file.contentType } }],
      signal: opts.signal,
    });
    const env = parseEnvelope(operation, res.status, res.text, true);
    const warnings = env.meta?.warnings ?? [];
    this.client.warn(operation, warnings);
    const data = env.data === null || env.data === undefined ? null : parseSingle(operation, res.status, env.data, journalEntrySchema, true);
    return { data, warnings, status: res.status };
  }
}
