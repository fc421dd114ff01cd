/**
 * Connecting: `GET /auth/{target}` hands out the hosted login URL, the hosted page (Exact's login
 * and division choice) creates the connection and redirects to the callback with `accountKey`,
 * `companyId` and, when asked for, `signature`; `GET /auth/companies` names the connected division.
 */
import express, { type Express, type Request, type Response } from 'express';
import { checkApiKey, createConnection, q } from '../context';
import { loginPage, messagePage, type HostedSession } from '../hosted';
import { badRequest, SandboxHttpError } from '../http-errors';
import { newSessionId } from '../ids';
import type { RouteDeps } from '../pipeline';
import { signCallbackParams, SIGNATURE_PARAM } from '../signature';
import { TARGET_SYSTEMS, type SandboxTargetSystem } from '../types';

const SESSION_TTL_MS = 60 * 60 * 1000;

export interface AuthRouteOptions {
  signingSecret: string;
  /** Base URL of the hosted login page (known once the server listens). */
  publicUrl(): string;
}

function isHttpUrl(u: string): boolean {
  try {
    const p = new URL(u);
    return p.protocol === 'http:' || p.protocol === 'https:';
  } catch {
    return false;
  }
}

export function registerAuthRoutes(app: Express, { ctx, pipeline }: RouteDeps, opts: AuthRouteOptions): void {
  const { state, logger } = ctx;
  const sessions = new Map<string, HostedSession>();

  app.get('/auth/companies', ...pipeline.api('getCompanies', (_req, res, call) => {
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
    if (pipeline.faulted('systemLoginUrl', req, res)) return;
    const callbackUrl = q(req, 'callbackUrl');
    const cancel = q(req, 'cancelCallbackUrl');
    if (!callbackUrl || !isHttpUrl(callbackUrl)) {
      throw badRequest('callbackUrl must be an absolute http(s) URL', [{ code: 'INVALID', message: 'Invalid: callbackUrl', field: 'callbackUrl' }]);
    }
    if (cancel !== undefined && !isHttpUrl(cancel)) {
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
    res.status(200).type('text/html').send(`${opts.publicUrl()}/hosted/${encodeURIComponent(target)}/login?session=${encodeURIComponent(session.id)}`);
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
    const accountKey = createConnection(ctx, division, s.targetSystem as SandboxTargetSystem);
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
}
