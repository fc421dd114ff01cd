/**
 * The sandbox HTTP server: Maesn's routes (envelope, auth headers, paging, lastModifiedAt,
 * companyId) over an Exact-like administration, the hosted connect page, per-division rate
 * limits, fault injection and the sandbox-only control API.
 */
import { createHash } from 'node:crypto';
import { RequestLog, checkApiKey, hashKey, header, q, type SandboxContext } from './context';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import pino, { type Logger } from 'pino';
import { registerControlRoutes } from './control';
import { FaultRegistry, type Fault, type OperationId } from './faults';
import { loginPage, messagePage, type HostedSession } from './hosted';
import { errorBody, forbidden, itemEnvelope, listEnvelope, notFound, SandboxHttpError, unauthorized, badRequest } from './http-errors';
import { MonotonicClock, newAccountKey, newSessionId, randomGuid } from './ids';
import { createJournalEntry, flattenFilesPos, type IncomingFile } from './journal-entries';
import {
  accountDto,
  accountRaw,
  dimensionDto,
  dimensionRaw,
  journalDto,
  journalEntryDto,
  journalEntryRaw,
  journalRaw,
  supplierDto,
  supplierRaw,
  taxRateDto,
  taxRateRaw,
} from './mapping';
import { RateLimiter } from './rate-limit';
import { signCallbackParams, SIGNATURE_PARAM } from './signature';
import { SandboxState, type DivisionState } from './state';
import { TARGET_SYSTEMS, type Connection, type DimensionValue, type SandboxTargetSystem, type StoredJournalEntry } from './types';

export interface SandboxOptions {
  /** 0 = any free port. Default 0. */
  port?: number;
  host?: string;
  dataDir: string;
  apiKey: string;
  signingSecret: string;
  /** Base URL the hosted login page is reachable at; default `http://<host>:<port>`. */
  publicUrl?: string;
  rateLimit?: { perMinute: number; perDay: number };
  logger?: Logger;
  /** Seed the demo divisions when dataDir holds no state. Default true. */
  seed?: boolean;
  /** Clock override (tests). */
  now?: () => number;
}

export interface RunningSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
}

const ALLOWED_LIMITS = new Set(['5', '10', '20', '50', '100']);
const DEFAULT_LIMIT = 100;
const SESSION_TTL_MS = 60 * 60 * 1000;

interface CallLocals {
  connection: Connection;
  division: DivisionState;
  operation: OperationId;
}

interface ListQuery {
  page: number;
  limit: number;
  lastModifiedAt: number | null;
  rawData: boolean;
}

function parseListQuery(req: Request): ListQuery {
  const limitRaw = q(req, 'limit');
  if (limitRaw !== undefined && !ALLOWED_LIMITS.has(limitRaw)) {
    throw badRequest('limit must be one of 5, 10, 20, 50, 100', [{ code: 'INVALID', message: `Invalid: limit '${limitRaw}' (allowed: 5, 10, 20, 50, 100)`, field: 'limit' }]);
  }
  const pageRaw = q(req, 'page');
  if (pageRaw !== undefined && !/^[1-9]\d{0,8}$/.test(pageRaw)) {
    throw badRequest('page must be a positive integer', [{ code: 'INVALID', message: `Invalid: page '${pageRaw}'`, field: 'page' }]);
  }
  const lmRaw = q(req, 'lastModifiedAt');
  let lastModifiedAt: number | null = null;
  if (lmRaw !== undefined && lmRaw !== '') {
    const t = /^\d{4}-\d{2}-\d{2}/.test(lmRaw) ? Date.parse(lmRaw) : NaN;
    if (Number.isNaN(t)) throw badRequest('lastModifiedAt must be an ISO 8601 timestamp', [{ code: 'INVALID', message: `Invalid: lastModifiedAt '${lmRaw}'`, field: 'lastModifiedAt' }]);
    lastModifiedAt = t;
  }
  return { page: pageRaw ? Number(pageRaw) : 1, limit: limitRaw ? Number(limitRaw) : DEFAULT_LIMIT, lastModifiedAt, rawData: q(req, 'rawData') === 'true' };
}

function boolFilter(req: Request, name: string): boolean | undefined {
  const v = q(req, name);
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw badRequest(`${name} must be true or false`, [{ code: 'INVALID', message: `Invalid: ${name} '${v}'`, field: name }]);
}

function modifiedAfter<T extends { updatedDate: string }>(items: T[], lm: number | null): T[] {
  if (lm === null) return items;
  // updatedDate is always a normalised ISO UTC string, so string order is time order.
  const iso = new Date(lm).toISOString();
  return items.filter((i) => i.updatedDate > iso);
}

function page<T>(items: T[], lq: ListQuery): { slice: T[]; pagination: { total: number; perPage: number; currentPage: number; totalPages: number } } {
  const start = (lq.page - 1) * lq.limit;
  return {
    slice: items.slice(start, start + lq.limit),
    pagination: { total: items.length, perPage: lq.limit, currentPage: lq.page, totalPages: Math.ceil(items.length / lq.limit) },
  };
}

export async function startSandbox(opts: SandboxOptions): Promise<RunningSandbox> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const clock = new MonotonicClock(opts.now ?? Date.now);
  const defaults = { rateLimit: opts.rateLimit ?? { perMinute: 60, perDay: 5000 } };
  const state = new SandboxState(opts.dataDir, logger, clock, defaults, { seed: opts.seed ?? true, rateLimitOverride: opts.rateLimit !== undefined });
  const limiter = new RateLimiter(state.settings.rateLimit);
  const faults = new FaultRegistry();
  const ctx: SandboxContext = { requests: new RequestLog(), state, limiter, faults, clock, logger, apiKeyHash: hashKey(opts.apiKey), toIso: () => clock.iso() };
  const sessions = new Map<string, HostedSession>();
  const heldTimers = new Set<NodeJS.Timeout>();
  let publicUrl = opts.publicUrl?.replace(/\/+$/, '') ?? '';

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'extended');

  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      logger.debug({ method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6 }, 'sandbox request');
    });
    next();
  });

  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: 38 * 1024 * 1024, files: 100, fields: 500, fieldSize: 10 * 1024 * 1024 },
  });

  // ---- fault application -----------------------------------------------------------------------
  function applyFault(f: Fault, req: Request, res: Response): void {
    logger.info({ operation: f.operation, mode: f.mode, status: f.status, commitFirst: f.commitFirst }, 'sandbox fault injected');
    if (f.mode === 'reset') {
      const s = req.socket as unknown as { resetAndDestroy?: () => void; destroy: () => void };
      if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
      else s.destroy();
      return;
    }
    if (f.mode === 'timeout') {
      const t = setTimeout(() => {
        heldTimers.delete(t);
        req.socket.destroy();
      }, f.holdMs ?? 35_000);
      heldTimers.add(t);
      req.socket.once('close', () => {
        clearTimeout(t);
        heldTimers.delete(t);
      });
      return;
    }
    const status = f.status ?? 500;
    if (status === 429) res.setHeader('Retry-After', String(f.retryAfterSeconds ?? 1));
    const messages: Record<number, [string, string]> = {
      429: ['RATE_LIMITED', 'Too many requests to the target system; retry later'],
      500: ['INTERNAL_ERROR', 'Unexpected error in the target system; the outcome of the request is unknown'],
      502: ['BAD_GATEWAY', 'The target system returned an invalid response'],
      503: ['SERVICE_UNAVAILABLE', 'The target system is temporarily unavailable'],
      504: ['GATEWAY_TIMEOUT', 'The target system did not respond in time'],
    };
    const [code, message] = messages[status] ?? ['INTERNAL_ERROR', 'Internal error'];
    sendError(res, new SandboxHttpError(status, code, message), null);
  }

  function sendError(res: Response, err: SandboxHttpError, target: string | null): void {
    for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    res.status(err.status).json(errorBody(err, target));
  }

  // ---- pipeline for authenticated data operations ----------------------------------------------
  type Handler = (req: Request, res: Response, call: CallLocals) => void | Promise<void>;

  function api(operation: OperationId, handler: Handler, opts2: { body?: RequestHandler } = {}): RequestHandler[] {
    const auth: RequestHandler = (req, res, next) => {
      checkApiKey(ctx, req);
      const key = header(req, 'x-account-key');
      if (!key) throw unauthorized('Missing X-ACCOUNT-KEY header');
      const conn = state.findConnection(key);
      if (!conn) throw unauthorized('Unknown account key; the end user must connect again');
      if (conn.revokedDate) throw unauthorized('Account key revoked; the end user must connect again');
      res.locals.target = conn.targetSystem;
      const companyId = q(req, 'companyId');
      const divCode = companyId && companyId !== '' ? companyId : conn.division;
      if (divCode !== conn.division) throw forbidden(`No access to division ${divCode} for this account key (NoDivisionAccess)`);
      const division = state.divisions.get(divCode);
      if (!division) throw forbidden(`Division ${divCode} is not available (DivisionBlocked)`);
      res.locals.call = { connection: conn, division, operation } satisfies CallLocals;
      ctx.requests.push({
        at: clock.iso(),
        operation,
        division: divCode,
        method: req.method,
        path: req.path,
        query: Object.fromEntries(Object.entries(req.query as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
      });
      // rate limit
      const d = limiter.take(divCode, clock.wall().getTime());
      for (const [k, v] of Object.entries(d.headers)) res.setHeader(k, v);
      if (!d.allowed) {
        throw new SandboxHttpError(429, 'RATE_LIMITED', `Rate limit exceeded for division ${divCode}`, [], null, { 'Retry-After': String(d.retryAfterSeconds ?? 60) });
      }
      next();
    };
    const fault: RequestHandler = (req, res, next) => {
      const call = res.locals.call as CallLocals;
      const f = faults.take(operation, call.division.info.code, false);
      if (f) return applyFault(f, req, res);
      next();
    };
    const run: RequestHandler = async (req, res) => {
      await handler(req, res, res.locals.call as CallLocals);
    };
    return opts2.body ? [auth, opts2.body, fault, run] : [auth, fault, run];
  }

  function listResponse<T extends { updatedDate: string }>(req: Request, res: Response, items: T[], dto: (t: T) => unknown, raw: (t: T) => unknown): void {
    const lq = parseListQuery(req);
    const filtered = modifiedAfter(items, lq.lastModifiedAt);
    const { slice, pagination } = page(filtered, lq);
    res.status(200).json(listEnvelope(slice.map(dto), pagination, lq.rawData ? { d: { results: slice.map(raw) } } : null));
  }

  // ---- routes --------------------------------------------------------------------------------
  app.get('/health', (req, res) => {
    const f = faults.take('check', null, false);
    if (f) return applyFault(f, req, res);
    res.status(200).json({ status: 'ok' });
  });

  app.get('/auth/companies', ...api('getCompanies', (_req, res, call) => {
    const d = call.division;
    res.status(200).json({
      meta: { warnings: [] },
      data: [{ id: d.info.code, name: d.info.name, environmentId: null, client_number: null, consultant_number: null, subscription: null }],
      errors: null,
      rawData: null,
    });
  }));

  app.get('/auth/:target', (req, res) => {
    const target = req.params.target;
    checkApiKey(ctx, req);
    if (!(TARGET_SYSTEMS as readonly string[]).includes(target)) {
      throw new SandboxHttpError(405, 'UNSUPPORTED_TARGET_SYSTEM', `Target system '${target}' is not supported by this sandbox (supported: ${TARGET_SYSTEMS.join(', ')})`);
    }
    const f = faults.take('systemLoginUrl', null, false);
    if (f) return applyFault(f, req, res);
    const callbackUrl = q(req, 'callbackUrl');
    const cancel = q(req, 'cancelCallbackUrl');
    const validUrl = (u: string): boolean => {
      try {
        const p = new URL(u);
        return p.protocol === 'http:' || p.protocol === 'https:';
      } catch {
        return false;
      }
    };
    if (!callbackUrl || !validUrl(callbackUrl)) {
      throw badRequest('callbackUrl must be an absolute http(s) URL', [{ code: 'INVALID', message: 'Invalid: callbackUrl', field: 'callbackUrl' }]);
    }
    if (cancel !== undefined && !validUrl(cancel)) {
      throw badRequest('cancelCallbackUrl must be an absolute http(s) URL', [{ code: 'INVALID', message: 'Invalid: cancelCallbackUrl', field: 'cancelCallbackUrl' }]);
    }
    const now = Date.now();
    for (const [id, s] of sessions) if (s.expiresAt < now) sessions.delete(id);
    const session: HostedSession = {
      id: newSessionId(),
      targetSystem: target,
      callbackUrl,
      cancelCallbackUrl: cancel ?? null,
      includeSignature: q(req, 'include_signature') === 'true',
      preselectedDivision: q(req, 'companyId') ?? null,
      expiresAt: now + SESSION_TTL_MS,
    };
    sessions.set(session.id, session);
    res.status(200).type('text/html').send(`${publicUrl}/hosted/${encodeURIComponent(target)}/login?session=${encodeURIComponent(session.id)}`);
  });

  const hostedSession = (req: Request, res: Response): HostedSession | null => {
    const id = q(req, 'session') ?? (typeof req.body?.session === 'string' ? (req.body.session as string) : undefined);
    const s = id ? sessions.get(id) : undefined;
    if (!s || s.expiresAt < Date.now() || s.targetSystem !== req.params.target) {
      res.status(400).type('text/html').send(messagePage('Sessie ongeldig', 'Deze inlogsessie is verlopen, al gebruikt of onbekend. Vraag een nieuwe koppellink aan.'));
      return null;
    }
    return s;
  };

  app.get('/hosted/:target/login', (req, res) => {
    const s = hostedSession(req, res);
    if (!s) return;
    res.status(200).type('text/html').send(loginPage(s, [...state.divisions.values()].map((d) => d.info)));
  });

  app.post('/hosted/:target/login', express.urlencoded({ extended: false, limit: '64kb' }), (req, res) => {
    const s = hostedSession(req, res);
    if (!s) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.action === 'cancel') {
      sessions.delete(s.id);
      if (s.cancelCallbackUrl) return res.redirect(302, s.cancelCallbackUrl);
      return res.status(200).type('text/html').send(messagePage('Geannuleerd', 'De koppeling is geannuleerd.'));
    }
    const division = typeof body.division === 'string' ? body.division : undefined;
    if (!division || !state.divisions.has(division)) {
      return res
        .status(400)
        .type('text/html')
        .send(loginPage(s, [...state.divisions.values()].map((d) => d.info), division ? `Onbekende administratie: ${division}` : 'Kies een administratie.'));
    }
    sessions.delete(s.id);
    const accountKey = newAccountKey();
    state.addConnection(accountKey, { targetSystem: s.targetSystem as SandboxTargetSystem, division, createdDate: clock.iso(), revokedDate: null });
    logger.info({ division, targetSystem: s.targetSystem }, 'sandbox connection created');
    const target = new URL(s.callbackUrl);
    target.searchParams.delete(SIGNATURE_PARAM);
    target.searchParams.set('accountKey', accountKey);
    target.searchParams.set('companyId', division);
    if (s.includeSignature) {
      const params: Record<string, string> = {};
      for (const [k, v] of target.searchParams) params[k] = v;
      target.searchParams.set(SIGNATURE_PARAM, signCallbackParams(params, opts.signingSecret));
    }
    res.redirect(302, target.toString());
  });

  app.get('/accounting/accounts', ...api('getAccounts', (req, res, { division }) => {
    const active = boolFilter(req, 'isActive');
    const dci = q(req, 'debitCreditIndicator');
    const cls = q(req, 'classFilter')?.toUpperCase();
    const types = q(req, 'types')?.split(',').map((t) => t.trim().toUpperCase()).filter(Boolean);
    let items = division.accounts.list();
    if (active !== undefined || dci || cls || types?.length) {
      items = items.filter((a) => {
        const dto = accountDto(a, 0);
        if (active !== undefined && (dto.status === 'ACTIVE') !== active) return false;
        if (dci && dto.debitCreditIndicator !== dci) return false;
        if (cls && dto.class !== cls) return false;
        if (types?.length && !types.includes(dto.type)) return false;
        return true;
      });
    }
    listResponse(req, res, items, (a) => accountDto(a, division.ledger.balances[a.id] ?? 0), accountRaw);
  }));

  const single = <T>(req: Request, res: Response, rec: T | undefined, what: string, dto: (t: T) => unknown, raw: (t: T) => unknown): void => {
    if (!rec) throw notFound(`${what} not found`);
    res.status(200).json(itemEnvelope(dto(rec), q(req, 'rawData') === 'true' ? { d: raw(rec) } : null));
  };

  app.get('/accounting/accounts/:accountId', ...api('getAccount', (req, res, { division }) => {
    single(req, res, division.accounts.getById(String(req.params.accountId)), 'Account', (a) => accountDto(a, division.ledger.balances[a.id] ?? 0), accountRaw);
  }));

  app.get('/accounting/taxRates/:taxRateId', ...api('getTaxRate', (req, res, { division }) => {
    single(req, res, division.taxRates.getById(String(req.params.taxRateId)), 'Tax rate', taxRateDto, taxRateRaw);
  }));

  app.get('/accounting/suppliers/:contactId', ...api('getSupplier', (req, res, { division }) => {
    single(req, res, division.suppliers.getById(String(req.params.contactId)), 'Supplier', supplierDto, supplierRaw);
  }));

  app.get('/accounting/journals', ...api('getJournals', (req, res, { division }) => {
    listResponse(req, res, division.journals.list(), journalDto, journalRaw);
  }));

  app.get('/accounting/taxRates', ...api('getTaxRates', (req, res, { division }) => {
    const active = boolFilter(req, 'isActive');
    const items = active === undefined ? division.taxRates.list() : division.taxRates.list().filter((v) => !v.isBlocked === active);
    listResponse(req, res, items, taxRateDto, taxRateRaw);
  }));

  app.get('/accounting/suppliers', ...api('getSuppliers', (req, res, { division }) => {
    const name = q(req, 'name')?.toLowerCase();
    const number = q(req, 'number');
    const email = q(req, 'email')?.toLowerCase();
    let items = division.suppliers.list();
    if (name || number || email) {
      items = items.filter(
        (s) => (!name || s.name.toLowerCase().includes(name)) && (!number || s.code === number.trim()) && (!email || (s.email ?? '').toLowerCase() === email),
      );
    }
    listResponse(req, res, items, supplierDto, supplierRaw);
  }));

  app.get('/accounting/dimensions', ...api('getDimensions', (req, res, { division }) => {
    const now = clock.wall();
    type Tagged = { kind: 'costCenter' | 'costUnit'; v: DimensionValue; updatedDate: string };
    const items: Tagged[] = [
      ...division.costCenters.list().map((v) => ({ kind: 'costCenter' as const, v, updatedDate: v.updatedDate })),
      ...division.costUnits.list().map((v) => ({ kind: 'costUnit' as const, v, updatedDate: v.updatedDate })),
    ];
    listResponse(req, res, items, (t) => dimensionDto(t.kind, t.v, now), (t) => dimensionRaw(t.kind, t.v));
  }));

  const entryDto = (division: DivisionState, e: StoredJournalEntry) =>
    journalEntryDto(e, {
      vat: (c) => division.taxRates.getByCode(c),
      costCenter: (c) => division.costCenters.getByCode(c),
      costUnit: (c) => division.costUnits.getByCode(c),
    });

  app.get('/accounting/journalEntries', ...api('getJournalEntries', (req, res, { division }) => {
    const fy = q(req, 'fiscalYear');
    const items = fy ? division.entries.filter((e) => e.accountingPeriodId.startsWith(`${fy}-`)) : division.entries;
    listResponse(req, res, items, (e) => entryDto(division, e), journalEntryRaw);
  }));

  app.get('/accounting/journalEntries/:journalEntryId', ...api('getJournalEntry', (req, res, { division }) => {
    const e = division.entriesById.get(String(req.params.journalEntryId));
    const jc = q(req, 'journalCode');
    if (!e || (jc && e.journalCode !== jc)) throw notFound(`Journal entry ${String(req.params.journalEntryId)} not found`);
    res.status(200).json(itemEnvelope(entryDto(division, e), q(req, 'rawData') === 'true' ? { d: journalEntryRaw(e) } : null));
  }));

  const toIncoming = (f: Express.Multer.File): IncomingFile => ({
    name: f.originalname,
    contentType: f.mimetype,
    size: f.size,
    sha256: createHash('sha256').update(f.buffer).digest('hex'),
  });

  app.post('/accounting/journalEntries', ...api('createJournalEntry', (req, res, call) => {
    const files = (Array.isArray(req.files) ? req.files : []) as Express.Multer.File[];
    const body = (req.body ?? {}) as Record<string, unknown>;
    let jeRaw: unknown = body.journal_entry;
    const jeFile = files.find((f) => f.fieldname === 'journal_entry');
    if (jeRaw === undefined && jeFile) jeRaw = jeFile.buffer.toString('utf8');
    if (Array.isArray(jeRaw)) jeRaw = jeRaw[0];
    if (typeof jeRaw !== 'string' || jeRaw.trim() === '') {
      throw new SandboxHttpError(400, 'VALIDATION_FAILED', 'Mandatory: journal_entry (multipart part with the entry as JSON)', [
        { code: 'MANDATORY', message: 'Mandatory: journal_entry', field: 'journal_entry' },
      ]);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(jeRaw);
    } catch {
      throw new SandboxHttpError(400, 'VALIDATION_FAILED', 'journal_entry is not valid JSON', [{ code: 'INVALID', message: 'Invalid: journal_entry is not valid JSON', field: 'journal_entry' }]);
    }
    const uploads = files.filter((f) => f.fieldname === 'files' || f.fieldname === 'files[]');
    const filesPos = flattenFilesPos(body.filesPos ?? body['filesPos[]']);
    const nowIso = clock.iso();
    const entry = createJournalEntry(call.division, { journalEntry: parsed, files: uploads.map(toIncoming), filesPos }, nowIso, clock.wall());
    logger.info({ division: call.division.info.code, entryNumber: entry.entryNumber, journal: entry.journalCode }, 'sandbox journal entry created');
    const f = faults.take('createJournalEntry', call.division.info.code, true);
    if (f) return applyFault(f, req, res);
    res.status(201).json(itemEnvelope(entryDto(call.division, entry)));
  }, { body: upload.any() }));

  app.post('/accounting/journalEntries/:journalEntryId/Attachments', ...api('createJournalEntryAttachments', (req, res, { division }) => {
    const e = division.entriesById.get(String(req.params.journalEntryId));
    if (!e) throw notFound(`Journal entry ${String(req.params.journalEntryId)} not found`);
    const files = ((Array.isArray(req.files) ? req.files : []) as Express.Multer.File[]).filter((f) => f.fieldname === 'file' || f.fieldname === 'files');
    if (files.length === 0) {
      throw new SandboxHttpError(400, 'VALIDATION_FAILED', 'Mandatory: file', [{ code: 'MANDATORY', message: 'Mandatory: file (multipart part)', field: 'file' }]);
    }
    const nowIso = clock.iso();
    for (const f of files) e.files.push({ id: randomGuid(), ...toIncoming(f), linePosition: null, createdDate: nowIso });
    e.documentId ??= randomGuid();
    e.updatedDate = nowIso;
    division.persistEntries();
    res.status(201).json(itemEnvelope(entryDto(division, e)));
  }, { body: upload.any() }));

  registerControlRoutes(app, ctx, { entryDto, createConnection: (division, targetSystem) => {
    const accountKey = newAccountKey();
    state.addConnection(accountKey, { targetSystem, division, createdDate: clock.iso(), revokedDate: null });
    return accountKey;
  } });

  app.use((req, res) => {
    sendError(res, notFound(`Endpoint ${req.method} ${req.path} is not supported for this target system`), null);
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    void _next;
    if (res.headersSent) return;
    const target = (res.locals.target as string | undefined) ?? null;
    if (err instanceof SandboxHttpError) return sendError(res, err, target);
    if (err instanceof multer.MulterError) return sendError(res, badRequest(`Invalid multipart body: ${err.message}`, [{ code: 'INVALID', message: err.message, field: err.field }]), target);
    const e = err as { type?: string; status?: number; message?: string };
    if (e && (e.type === 'entity.parse.failed' || e.status === 400)) return sendError(res, badRequest(`Invalid request body: ${e.message ?? ''}`), target);
    if (e && e.status === 413) return sendError(res, new SandboxHttpError(413, 'PAYLOAD_TOO_LARGE', 'Request body too large'), target);
    logger.error({ err, path: req.path }, 'sandbox internal error');
    sendError(res, new SandboxHttpError(500, 'INTERNAL_ERROR', 'Internal sandbox error'), target);
  });

  const host = opts.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, host, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `http://${urlHost}:${port}`;
  if (!publicUrl) publicUrl = url;

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    close(): Promise<void> {
      closing ??= (async () => {
        for (const t of heldTimers) clearTimeout(t);
        heldTimers.clear();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await state.close();
      })();
      return closing;
    },
  };
}
