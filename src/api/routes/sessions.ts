/**
 * Admin sessions: the platform mints a one-time admin page link for one tenant; the page
 * exchanges it for a session cookie (HttpOnly, SameSite=Strict, Secure outside development)
 * that reaches that tenant only.
 */
import { z } from 'zod';
import { isVerified } from '../tokens';
import { HttpError, notFound } from '../errors';
import { addRoute, errors, type Api } from '../route';
import { requireTenant, tenantParams, type RouteDeps } from './shared';

const sessionSchema = z
  .object({
    kind: z.enum(['platform', 'session']),
    tenantId: z.string().nullable().describe('the one tenant an admin session reaches (null for the platform key)'),
    expiresAt: z.string().nullable(),
  })
  .meta({ id: 'AdminSession' });

export function sessionRoutes(deps: RouteDeps, api: Api): void {
  const { stores, config, access } = deps;

  addRoute(api, {
    method: 'post',
    path: '/api/tenants/:tenantId/admin-sessions',
    access: 'platform',
    summary: 'Mint a one-time admin page link for the tenant (short-lived); the page exchanges it for a session cookie',
    tags: ['admin sessions'],
    params: tenantParams,
    responses: {
      201: {
        description: 'the link to open the admin page with (once, before `expiresAt`)',
        schema: z.object({ tenantId: z.string(), token: z.string(), adminUrl: z.string(), expiresAt: z.string() }),
      },
      ...errors(404),
    },
    handler: async ({ params }, _req, res) => {
      await requireTenant(stores, params.tenantId);
      const link = await access.tokens.sign('admin-link', params.tenantId, access.linkTtlMs);
      // In the fragment: browsers never send it to a server, so it stays out of access logs and Referer.
      const adminUrl = `${config.api.publicBaseUrl.replace(/\/+$/, '')}/admin#token=${link.token}`;
      res.status(201).json({ tenantId: params.tenantId, token: link.token, adminUrl, expiresAt: link.expiresAt.toISOString() });
    },
  });

  addRoute(api, {
    method: 'post',
    path: '/api/admin-session',
    access: 'public',
    summary: 'Exchange a one-time admin link token for a session cookie (each link works once)',
    tags: ['admin sessions'],
    body: z.strictObject({ token: z.string().min(1).max(4096) }),
    responses: {
      200: { description: 'signed in; the session cookie is set', schema: sessionSchema },
      ...errors(400, 401, 403, 404, 429),
    },
    handler: async ({ body }, req, res) => {
      await access.assertNotBlocked(req, res);
      // A page of another site must not sign a browser in (login CSRF); JSON alone already needs CORS.
      if (!access.isSameOrigin(req, false)) throw new HttpError(403, 'foreign_origin', 'the request does not come from this site (Origin)');
      const link = await access.tokens.verify('admin-link', body.token);
      if (!isVerified(link)) {
        await access.countFailure(req, res);
        throw new HttpError(401, 'invalid_link', 'the admin link is not valid or has expired; open the admin page from the platform again', [{ path: 'body.token', message: 'invalid or expired' }]);
      }
      if (!(await stores.adminLinks.consume(link.id, link.expiresAt))) {
        await access.countFailure(req, res);
        throw new HttpError(401, 'link_used', 'this admin link was used already; open the admin page from the platform again', [{ path: 'body.token', message: 'already used' }]);
      }
      if (!(await stores.tenants.get(link.tenantId))) throw notFound(`tenant ${link.tenantId}`);
      const session = await access.tokens.sign('admin-session', link.tenantId, access.sessionTtlMs);
      access.setSessionCookie(res, session.token, session.expiresAt);
      deps.logger.info({ tenantId: link.tenantId }, 'admin session started');
      return { kind: 'session' as const, tenantId: link.tenantId, expiresAt: session.expiresAt.toISOString() };
    },
  });

  addRoute(api, {
    method: 'get',
    path: '/api/admin-session',
    access: 'authenticated',
    summary: 'Who is calling: an admin session (its tenant) or the platform key',
    tags: ['admin sessions'],
    responses: { 200: { description: 'the caller', schema: sessionSchema } },
    handler: ({ principal }) =>
      principal?.kind === 'session'
        ? { kind: 'session' as const, tenantId: principal.tenantId, expiresAt: principal.expiresAt.toISOString() }
        : { kind: 'platform' as const, tenantId: null, expiresAt: null },
  });

  addRoute(api, {
    method: 'delete',
    path: '/api/admin-session',
    access: 'authenticated',
    summary: 'Sign out: removes the session cookie',
    tags: ['admin sessions'],
    responses: { 200: { description: 'signed out', schema: z.object({ signedOut: z.boolean() }) } },
    handler: (_input, _req, res) => {
      access.clearSessionCookie(res);
      return { signedOut: true };
    },
  });
}
