/**
 * What every authenticated Maesn call goes through before its handler runs: the API key, the
 * account key and its division (`companyId`), the request log, the per-division rate limit, and
 * an injected fault if one is armed for the operation. Also how a fault and an error are answered.
 */
import type { Request, RequestHandler, Response } from 'express';
import { checkApiKey, header, q, type LoggedRequest, type SandboxContext } from './context';
import type { Fault, OperationId } from './faults';
import { errorBody, forbidden, SandboxHttpError, unauthorized } from './http-errors';
import type { DivisionState } from './state';
import type { Connection } from './types';

/** The resolved caller of one authenticated Maesn call (in `res.locals.call`). */
export interface CallLocals {
  connection: Connection;
  division: DivisionState;
  operation: OperationId;
}

export type CallHandler = (req: Request, res: Response, call: CallLocals) => void | Promise<void>;

const FAULT_MESSAGES: Record<number, [string, string]> = {
  429: ['RATE_LIMITED', 'Too many requests to the target system; retry later'],
  500: ['INTERNAL_ERROR', 'Unexpected error in the target system; the outcome of the request is unknown'],
  502: ['BAD_GATEWAY', 'The target system returned an invalid response'],
  503: ['SERVICE_UNAVAILABLE', 'The target system is temporarily unavailable'],
  504: ['GATEWAY_TIMEOUT', 'The target system did not respond in time'],
};

export function sendError(res: Response, err: SandboxHttpError, target: string | null): void {
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.status(err.status).json(errorBody(err, target));
}

export class Pipeline {
  /** Requests held open by a `timeout` fault, released when the sandbox closes. */
  private readonly held = new Set<NodeJS.Timeout>();

  constructor(private readonly ctx: SandboxContext) {}

  /**
   * Answers the request the way the fault says: an error status, a held-then-dropped socket, a
   * reset, a 2xx no client can read, or (mode `pass`) the normal answer `normal` gives.
   */
  applyFault(f: Fault, req: Request, res: Response, normal?: () => void): void {
    this.ctx.logger.info({ operation: f.operation, mode: f.mode, status: f.status, commitFirst: f.commitFirst }, 'sandbox fault injected');
    const logged = res.locals.logged as LoggedRequest | undefined;
    if (logged) {
      logged.fault = f.mode;
      logged.committed = f.commitFirst;
    }
    if (f.mode === 'pass') {
      normal?.();
      return;
    }
    if (f.mode === 'malformed') {
      res.status(f.commitFirst ? 201 : 200).type('text/html').send('<html><body>Service temporarily degraded</body></html>');
      return;
    }
    if (f.mode === 'reset') {
      const s = req.socket as unknown as { resetAndDestroy?: () => void; destroy: () => void };
      if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
      else s.destroy();
      return;
    }
    if (f.mode === 'timeout') {
      const t = setTimeout(() => {
        this.held.delete(t);
        req.socket.destroy();
      }, f.holdMs ?? 35_000);
      this.held.add(t);
      req.socket.once('close', () => {
        clearTimeout(t);
        this.held.delete(t);
      });
      return;
    }
    const status = f.status ?? 500;
    if (status === 429) res.setHeader('Retry-After', String(f.retryAfterSeconds ?? 1));
    const [code, message] = FAULT_MESSAGES[status] ?? ['INTERNAL_ERROR', 'Internal error'];
    sendError(res, new SandboxHttpError(status, code, message), null);
  }

  /** Logs the call (status filled in when the answer is sent) and keeps the record in `res.locals.logged`. */
  private log(operation: OperationId, division: string | null, req: Request, res: Response): LoggedRequest {
    const entry: LoggedRequest = {
      at: this.ctx.clock.iso(),
      operation,
      division,
      method: req.method,
      path: req.path,
      query: Object.fromEntries(Object.entries(req.query as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
      status: null,
      fault: null,
      committed: false,
    };
    this.ctx.requests.push(entry);
    res.locals.logged = entry;
    res.once('finish', () => {
      entry.status = res.statusCode;
    });
    return entry;
  }

  /** For calls outside a division (health, login URL): applies an armed fault; true when it answered. */
  faulted(operation: OperationId, req: Request, res: Response): boolean {
    this.log(operation, null, req, res);
    const f = this.ctx.faults.take(operation, null, false);
    if (!f) return false;
    this.applyFault(f, req, res);
    return true;
  }

  /** The handler chain of an authenticated Maesn operation: auth, [body parser], fault, handler. */
  api(operation: OperationId, handler: CallHandler, opts: { body?: RequestHandler } = {}): RequestHandler[] {
    const ctx = this.ctx;
    const auth: RequestHandler = (req, res, next) => {
      const logged = this.log(operation, null, req, res);
      checkApiKey(ctx, req);
      const key = header(req, 'x-account-key');
      if (!key) throw unauthorized('Missing X-ACCOUNT-KEY header');
      const conn = ctx.state.findConnection(key);
      if (!conn) throw unauthorized('Unknown account key; the end user must connect again');
      if (conn.revokedDate) throw unauthorized('Account key revoked; the end user must connect again');
      res.locals.target = conn.targetSystem;
      const companyId = q(req, 'companyId');
      const divCode = companyId && companyId !== '' ? companyId : conn.division;
      if (divCode !== conn.division) throw forbidden(`No access to division ${divCode} for this account key (NoDivisionAccess)`);
      const division = ctx.state.divisions.get(divCode);
      if (!division) throw forbidden(`Division ${divCode} is not available (DivisionBlocked)`);
      res.locals.call = { connection: conn, division, operation } satisfies CallLocals;
      logged.division = divCode;
      const d = ctx.limiter.take(divCode, ctx.clock.wall().getTime());
      for (const [k, v] of Object.entries(d.headers)) res.setHeader(k, v);
      if (!d.allowed) {
        throw new SandboxHttpError(429, 'RATE_LIMITED', `Rate limit exceeded for division ${divCode}`, [], null, { 'Retry-After': String(d.retryAfterSeconds ?? 60) });
      }
      next();
    };
    const fault: RequestHandler = (req, res, next) => {
      const call = res.locals.call as CallLocals;
      const f = ctx.faults.take(operation, call.division.info.code, false);
      if (f) return this.applyFault(f, req, res);
      next();
    };
    const run: RequestHandler = async (req, res) => {
      await handler(req, res, res.locals.call as CallLocals);
    };
    return opts.body ? [auth, opts.body, fault, run] : [auth, fault, run];
  }

  /** Drops the requests a `timeout` fault still holds (on close). */
  releaseHeld(): void {
    for (const t of this.held) clearTimeout(t);
    this.held.clear();
  }
}

/** What every route module gets. */
export interface RouteDeps {
  ctx: SandboxContext;
  pipeline: Pipeline;
}
