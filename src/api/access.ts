/**
 * Who may call what. Every route declares one access rule where it is declared (`addRoute`):
 *
 *  - `public`: anyone (health, readiness, the admin page shell, the connect callback, which
 *    carries its own signature and browser binding, and the one-time link exchange);
 *  - `platform`: the platform key only (`Authorization: Bearer <PLATFORM_API_KEY>`);
 *  - `tenant`: the platform key, or an admin session of the tenant in the path;
 *  - `authenticated`: any credential (the platform key or an admin session).
 *
 * An admin session reaches exactly one tenant: another tenant's resources answer 404, as if they
 * did not exist. Writes made with the session cookie must send JSON and a same-origin `Origin`
 * (a cross-site form post or fetch is refused). Failed authentication attempts are counted per
 * client; past the limit every attempt of that client answers 429 until the window ends.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { rateLimit, ipKeyGenerator, type RateLimitRequestHandler } from 'express-rate-limit';
import { msToNumber } from '@temporalio/common/lib/time';
import type { ProductConfig } from '../config';
import { HttpError, notFound } from './errors';
import { TokenService, isVerified } from './tokens';

export const accessRules = ['public', 'platform', 'tenant', 'authenticated'] as const;
export type AccessRule = (typeof accessRules)[number];

export type Principal =
  | { kind: 'platform' }
  | { kind: 'session'; tenantId: string; sessionId: string; expiresAt: Date };

/** The session cookie (HttpOnly, SameSite=Strict, Secure outside development). */
export const SESSION_COOKIE = 'exact_export_session';
/** Binds a pending Exact authorization to the browser that started it (SameSite=Lax: it must survive Maesn's redirect). */
export const CONNECT_COOKIE = 'exact_export_connect';
export const CALLBACK_PATH = '/api/exact/callback';

/** OpenAPI security schemes, and the requirement of each rule. */
export const securitySchemes = {
  platformKey: { type: 'http', scheme: 'bearer', description: 'The platform key (`PLATFORM_API_KEY`).' },
  adminSession: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'An admin session of one tenant, from `POST /api/admin-session` (one-time link exchange).' },
} as const;

export const securityOf: Record<AccessRule, Record<string, string[]>[]> = {
  public: [],
  platform: [{ platformKey: [] }],
  tenant: [{ platformKey: [] }, { adminSession: [] }],
  authenticated: [{ platformKey: [] }, { adminSession: [] }],
};

const FAILURE_WINDOW_MS = 15 * 60_000;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class AccessControl {
  readonly tokens: TokenService;
  readonly sessionTtlMs: number;
  readonly linkTtlMs: number;
  private readonly keyDigests: Buffer[];
  private readonly limiter: RateLimitRequestHandler;
  private readonly publicOrigin: string;

  constructor(private readonly config: ProductConfig) {
    const a = config.access;
    this.tokens = new TokenService(a.platformKeys);
    this.keyDigests = a.platformKeys.map(sha256);
    this.sessionTtlMs = msToNumber(a.sessionTtl as never);
    this.linkTtlMs = msToNumber(a.linkTtl as never);
    this.publicOrigin = new URL(config.api.publicBaseUrl).origin;
    this.limiter = rateLimit({
      windowMs: FAILURE_WINDOW_MS,
      limit: a.authFailureLimit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => this.clientKey(req),
      handler: (_req, res, next) => {
        next(this.tooManyAttempts(res, new Date(Date.now() + FAILURE_WINDOW_MS)));
      },
    });
  }

  get secureCookies(): boolean {
    return this.config.access.secureTransport;
  }

  /** True when `presented` is one of the platform keys (constant time, whatever the lengths). */
  isPlatformKey(presented: string): boolean {
    const digest = sha256(presented);
    let match = false;
    for (const k of this.keyDigests) match = timingSafeEqual(digest, k) || match;
    return match;
  }

  /**
   * Checks the request against `rule`; returns who is calling (null on public routes without a
   * credential). Throws 401, 403, 404 (another tenant), 415 or 429.
   */
  async authorize(rule: AccessRule, req: Request, res: Response): Promise<Principal | null> {
    if (rule === 'public') return null;
    await this.assertNotBlocked(req, res);
    const principal = await this.authenticate(req, res);
    if (principal.kind === 'session') {
      const tenantId = req.params.tenantId;
      // Another tenant's resources do not exist for this session.
      if (tenantId !== undefined && tenantId !== principal.tenantId) throw notFound(`tenant ${tenantId}`);
      if (rule === 'platform') throw new HttpError(403, 'platform_key_required', 'this route needs the platform key; an admin session cannot use it');
      if (WRITE_METHODS.has(req.method)) this.assertBrowserWrite(req);
    }
    return principal;
  }

  /** The caller's credential, or a 401 (a wrong one is counted as a failed attempt). */
  private async authenticate(req: Request, res: Response): Promise<Principal> {
    const header = req.get('authorization');
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (m && this.isPlatformKey(m[1])) return { kind: 'platform' };
      await this.countFailure(req, res);
      throw this.unauthorized('the platform key is not valid');
    }
    const cookie = cookieOf(req, SESSION_COOKIE);
    if (cookie !== undefined) {
      const v = await this.tokens.verify('admin-session', cookie);
      if (isVerified(v)) return { kind: 'session', tenantId: v.tenantId, sessionId: v.id, expiresAt: v.expiresAt };
      this.clearSessionCookie(res);
      if (v && 'expired' in v) throw this.unauthorized('the admin session has expired; open the admin page from the platform again', 'session_expired');
      await this.countFailure(req, res);
      throw this.unauthorized('the admin session is not valid');
    }
    throw this.unauthorized('authentication required: the platform key (Authorization: Bearer …) or an admin session');
  }

  /** Cookie-authenticated writes: JSON only, from this origin only (no cross-site forms or fetches). */
  private assertBrowserWrite(req: Request): void {
    if (!req.is('application/json')) {
      throw new HttpError(415, 'json_required', 'writes with an admin session must send a JSON body (Content-Type: application/json)');
    }
    if (!this.isSameOrigin(req)) throw new HttpError(403, 'foreign_origin', 'the request does not come from this site (Origin)');
  }

  /** `Origin` is this service's public origin or the host the request was sent to. */
  isSameOrigin(req: Request, requirePresent = true): boolean {
    const origin = req.get('origin');
    if (origin === undefined) return !requirePresent;
    return origin === this.publicOrigin || origin === `${req.protocol}://${req.get('host')}`;
  }

  /** 429 when the client has used up its failed attempts. */
  async assertNotBlocked(req: Request, res: Response): Promise<void> {
    const info = await this.limiter.getKey(this.clientKey(req));
    if (info && info.totalHits >= this.config.access.authFailureLimit) throw this.tooManyAttempts(res, info.resetTime);
  }

  /** Counts a failed authentication attempt of this client; throws 429 past the limit. */
  countFailure(req: Request, res: Response): Promise<void> {
    return new Promise((resolve, reject) => {
      void this.limiter(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
    });
  }

  setSessionCookie(res: Response, token: string, expiresAt: Date): void {
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, secure: this.secureCookies, sameSite: 'strict', path: '/', expires: expiresAt });
  }

  clearSessionCookie(res: Response): void {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, secure: this.secureCookies, sameSite: 'strict', path: '/' });
  }

  setConnectCookie(res: Response, token: string, expiresAt: Date): void {
    res.cookie(CONNECT_COOKIE, token, { httpOnly: true, secure: this.secureCookies, sameSite: 'lax', path: CALLBACK_PATH, expires: expiresAt });
  }

  clearConnectCookie(res: Response): void {
    res.clearCookie(CONNECT_COOKIE, { httpOnly: true, secure: this.secureCookies, sameSite: 'lax', path: CALLBACK_PATH });
  }

  private clientKey(req: Request): string {
    return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
  }

  private unauthorized(message: string, code = 'unauthorized'): HttpError {
    return new HttpError(401, code, message, undefined, undefined, { 'WWW-Authenticate': 'Bearer realm="exact-expense-export"' });
  }

  private tooManyAttempts(res: Response, resetTime: Date | undefined): HttpError {
    const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + FAILURE_WINDOW_MS) - Date.now()) / 1000));
    res.setHeader('Retry-After', String(seconds));
    return new HttpError(429, 'too_many_failed_attempts', `too many failed authentication attempts from this client; try again in ${seconds} s`);
  }
}

export function cookieOf(req: Request, name: string): string | undefined {
  const v = (req.cookies as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
