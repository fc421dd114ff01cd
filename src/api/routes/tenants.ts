/**
 * Tenants and their Exact Online connection: create, connect (hosted auth), callback, status,
 * sync now, disconnect, and the synced master data.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { mappingFieldFit, masterDataKinds, tenantSettingsSchema } from '../../domain';
import { connectTenant, decideDivisionChange, disconnectTenant, nextResyncAt, startManualSync } from '../../services';
import { connectionStateOf, connectionStates } from '../../store';
import { authorizedSignal, workflowIds } from '../../workflows/definitions';
import { CONNECT_COOKIE, cookieOf } from '../access';
import { verifyQuerySignature } from '../callback-signature';
import { HttpError, notFound } from '../errors';
import { addRoute, errors, type Api } from '../route';
import { isVerified } from '../tokens';
import { pageSchema, requireTenant as requireTenantIn, tenantIdSchema, tenantParams, type RouteDeps } from './shared';

const tenantSchema = z
  .object({ tenantId: z.string(), name: z.string(), createdAt: z.string() })
  .meta({ id: 'Tenant' });

const countsSchema = z.record(z.string(), z.object({ fetched: z.number(), upserted: z.number(), unchanged: z.number().optional(), dbMs: z.number().optional(), deactivated: z.number(), pages: z.number() }));

const budgetWindowSchema = z.object({ limit: z.number(), used: z.number(), remaining: z.number(), resetsAt: z.string() });

const connectionStatusSchema = z
  .object({
    state: z.enum(connectionStates),
    division: z.string().nullable(),
    divisionName: z.string().nullable(),
    targetSystem: z.string().nullable(),
    authorizationUrl: z.string().nullable(),
    lastSync: z
      .object({
        runId: z.string(),
        mode: z.enum(['full', 'incremental']),
        status: z.string(),
        trigger: z.string(),
        startedAt: z.string(),
        finishedAt: z.string().nullable(),
        counts: countsSchema,
      })
      .nullable(),
    nextSyncAt: z.string().nullable(),
    mappingHealth: z
      .object({
        ok: z.boolean(),
        checkedAt: z.string(),
        issues: z.array(z.object({ kind: z.string(), code: z.string(), usedIn: z.string(), reason: z.string() })),
      })
      .nullable(),
    divisionChange: z
      .object({ from: z.string(), to: z.string(), toName: z.string().nullable(), requestedAt: z.string() })
      .nullable()
      .describe('set while a switch to another division waits for an admin (confirm or reject)'),
    callBudget: z
      .object({
        minute: budgetWindowSchema,
        day: budgetWindowSchema,
        blockedUntil: z.string().nullable(),
        exportsWaiting: z.boolean(),
      })
      .nullable()
      .meta({ description: "The division's Exact call budget: calls left this minute and today, a Retry-After pause, exports queued for later minutes" }),
    error: z.string().nullable(),
  })
  .meta({ id: 'ExactConnectionStatus' });

export function tenantRoutes(deps: RouteDeps, api: Api): void {
  const { stores, temporal, config, access } = deps;

  const requireTenant = (tenantId: string) => requireTenantIn(stores, tenantId);

  addRoute(api, {
    method: 'post',
    path: '/api/tenants',
    access: 'platform',
    summary: 'Create a tenant (idempotent for the same name)',
    tags: ['tenants'],
    body: z.strictObject({ tenantId: tenantIdSchema, name: z.string().trim().min(1).max(200) }),
    responses: { 201: { description: 'created', schema: tenantSchema }, 200: { description: 'already exists', schema: tenantSchema }, ...errors(400, 409) },
    handler: async ({ body }, _req, res) => {
      const r = await stores.tenants.create(body.tenantId, body.name);
      if (r.conflict) throw new HttpError(409, 'conflict', `tenant ${body.tenantId} exists with another name`, [{ path: 'body.name', message: 'differs from the existing tenant' }]);
      res.status(r.created ? 201 : 200).json({ tenantId: r.tenant._id, name: r.tenant.name, createdAt: r.tenant.createdAt.toISOString() });
    },
  });

  addRoute(api, {
    method: 'get',
    path: '/api/tenants/:tenantId',
    access: 'tenant',
    summary: 'Get a tenant',
    tags: ['tenants'],
    params: tenantParams,
    responses: { 200: { description: 'the tenant', schema: tenantSchema }, ...errors(404) },
    handler: async ({ params }) => {
      const t = await requireTenant(params.tenantId);
      return { tenantId: t._id, name: t.name, createdAt: t.createdAt.toISOString() };
    },
  });

  const settingsResponse = tenantSettingsSchema.meta({ id: 'TenantSettings' });

  addRoute(api, {
    method: 'get',
    path: '/api/tenants/:tenantId/settings',
    access: 'tenant',
    summary: "The tenant's booking settings: time zone, which date an entry is booked on, what a closed period does",
    tags: ['tenants'],
    params: tenantParams,
    responses: { 200: { description: 'the settings (defaults where none were saved)', schema: settingsResponse }, ...errors(404) },
    handler: async ({ params }) => {
      const settings = await stores.tenants.getSettings(params.tenantId);
      if (!settings) throw notFound(`tenant ${params.tenantId}`);
      return settings;
    },
  });

  addRoute(api, {
    method: 'put',
    path: '/api/tenants/:tenantId/settings',
    access: 'tenant',
    summary: 'Replace the booking settings (omitted fields take their defaults); used for exports validated from now on',
    tags: ['tenants'],
    params: tenantParams,
    body: tenantSettingsSchema,
    responses: { 200: { description: 'saved', schema: settingsResponse }, ...errors(400, 404) },
    handler: async ({ params, body }) => {
      if (!(await stores.tenants.putSettings(params.tenantId, body))) throw notFound(`tenant ${params.tenantId}`);
      return body;
    },
  });

  addRoute(api, {
    method: 'post',
    path: '/api/tenants/:tenantId/exact/connect',
    access: 'tenant',
    summary:
      'Start connecting Exact Online; returns the hosted authorization link (idempotent while one is pending). ' +
      'The response sets a cookie that binds the authorization to this browser: the callback is refused without it.',
    tags: ['exact connection'],
    params: tenantParams,
    // The link comes from the onboarding workflow (a worker calls Maesn): more than the usual deadline.
    temporalDeadlineMs: 20_000,
    responses: {
      200: { description: 'the link to send the admin to', schema: z.object({ authorizationUrl: z.string(), workflowId: z.string() }) },
      ...errors(404, 409, 502),
    },
    handler: async ({ params }, _req, res) => {
      await requireTenant(params.tenantId);
      const r = await connectTenant(deps, params.tenantId);
      await bindAuthorizationToBrowser(params.tenantId, r.authorizationUrl, res);
      return r;
    },
  });

  addRoute(api, {
    method: 'get',
    path: '/api/exact/callback',
    access: 'public',
    summary:
      'Where Maesn sends the admin back after authorizing: verifies the signature and that this browser started the ' +
      'authorization (connect cookie), then resumes onboarding',
    tags: ['exact connection'],
    query: z.strictObject({
      tenantId: tenantIdSchema,
      state: z.string().min(1).max(200),
      accountKey: z.string().min(1).max(2000),
      companyId: z.string().min(1).max(200),
      signature: z.string().min(1).max(200),
      format: z.literal('json').optional(),
    }),
    responses: {
      302: { description: 'redirect to the admin page' },
      200: { description: 'when JSON is asked for', schema: z.object({ tenantId: z.string(), division: z.string(), status: z.literal('authorized') }) },
      ...errors(400, 403, 404, 409),
    },
    handler: async ({ query }, req, res) => {
      const params = new URL(req.originalUrl, 'http://callback').searchParams;
      if (!verifyQuerySignature(params, config.maesn.signingSecret)) {
        throw new HttpError(400, 'invalid_signature', 'the callback signature does not match its parameters', [{ path: 'query.signature', message: 'invalid' }]);
      }
      await requireTenant(query.tenantId);
      const conn = await stores.tenants.getConnection(query.tenantId);
      if (!conn?.pendingAuthorization || conn.pendingAuthorization.state !== query.state) {
        throw new HttpError(409, 'stale_callback', 'no authorization with this state is pending for the tenant; connect again', [{ path: 'query.state', message: 'not pending' }]);
      }
      await requireBrowserBinding(query.tenantId, query.state, req, res);
      const credentialId = await stores.tenants.storePendingCredential(query.tenantId, query.state, query.companyId, query.accountKey);
      if (credentialId === null) {
        throw new HttpError(409, 'callback_used', 'this authorization was completed already (the link was opened twice); see the admin page', [{ path: 'query.state', message: 'already used' }]);
      }
      try {
        await temporal.workflow.getHandle(workflowIds.onboarding(query.tenantId)).signal(authorizedSignal, { state: query.state, credentialId });
      } catch (err) {
        await stores.tenants.deletePendingCredential(query.tenantId, credentialId);
        if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'stale_callback', 'the onboarding this link belongs to has ended; connect again');
        throw err;
      }
      access.clearConnectCookie(res);
      if (wantsJson(req)) return { tenantId: query.tenantId, division: query.companyId, status: 'authorized' as const };
      res.redirect(302, `/admin?tenant=${encodeURIComponent(query.tenantId)}&connected=1`);
    },
  });

  addRoute(api, {
    method: 'get',
    path: '/api/tenants/:tenantId/exact',
    access: 'tenant',
    summary: "Connection state, last sync, next scheduled sync, mapping health, a division change waiting for confirmation and the division's call budget",
    tags: ['exact connection'],
    params: tenantParams,
    responses: { 200: { description: 'status', schema: connectionStatusSchema }, ...errors(404) },
    handler: async ({ params }) => {
      await requireTenant(params.tenantId);
      const [conn, last] = await Promise.all([stores.tenants.getConnection(params.tenantId), stores.syncRuns.latest(params.tenantId)]);
      const nextSyncAt = conn?.state === 'connected' || conn?.state === 'syncing' ? ((await nextResyncAt(temporal, params.tenantId))?.toISOString() ?? null) : null;
      const change = conn?.divisionChange;
      const budget = conn?.division ? await stores.callBudget.view(conn.division) : null;
      const iso = (ms: number) => new Date(ms).toISOString();
      return {
        state: connectionStateOf(conn),
        division: conn?.division ?? null,
        divisionName: conn?.divisionName ?? null,
        targetSystem: conn?.targetSystem ?? null,
        authorizationUrl: conn?.state === 'awaiting_authorization' ? (conn.pendingAuthorization?.authorizationUrl ?? null) : null,
        lastSync: last
          ? {
              runId: last._id,
              mode: last.mode,
              status: last.status,
              trigger: last.trigger,
              startedAt: last.startedAt.toISOString(),
              finishedAt: last.finishedAt?.toISOString() ?? null,
              counts: last.counts,
            }
          : null,
        nextSyncAt,
        mappingHealth: conn?.mappingHealth ? { ...conn.mappingHealth, checkedAt: conn.mappingHealth.checkedAt.toISOString() } : null,
        divisionChange: change ? { from: change.previousDivision, to: change.division, toName: change.divisionName, requestedAt: change.requestedAt.toISOString() } : null,
        callBudget: budget
          ? {
              minute: { ...budget.minute, resetsAt: iso(budget.minute.resetsAt) },
              day: { ...budget.day, resetsAt: iso(budget.day.resetsAt) },
              blockedUntil: budget.blockedUntil === null ? null : iso(budget.blockedUntil),
              exportsWaiting: budget.exportsWaiting,
            }
          : null,
        error: conn?.error?.message ?? null,
      } satisfies z.infer<typeof connectionStatusSchema>;
    },
  });

  addRoute(api, {
    method: 'post',
    path: '/api/tenants/:tenantId/exact/sync',
    access: 'tenant',
    summary: 'Sync now (joins a manual sync that is already running)',
    tags: ['exact connection'],
    params: tenantParams,
    body: z.strictObject({ mode: z.enum(['auto', 'full', 'incremental']).default('auto') }),
    responses: { 202: { description: 'started', schema: z.object({ workflowId: z.string(), runId: z.string() }) }, ...errors(400, 404, 409) },
    handler: async ({ params, body }, _req, res) => {
      await requireTenant(params.tenantId);
      const conn = await stores.tenants.getConnection(params.tenantId);
      if (!conn?.accountKey || (conn.state !== 'connected' && conn.state !== 'syncing' && conn.state !== 'error')) {
        throw new HttpError(409, 'not_connected', `the tenant's connection is ${conn?.state ?? 'disconnected'}; connect it first`);
      }
      res.status(202).json(await startManualSync(deps, params.tenantId, body.mode));
    },
  });

  addRoute(api, {
    method: 'delete',
    path: '/api/tenants/:tenantId/exact',
    access: 'tenant',
    summary: 'Disconnect: deletes the resync schedule and the stored account key and stops running syncs; sync history stays',
    tags: ['exact connection'],
    params: tenantParams,
    responses: { 200: { description: 'disconnected', schema: z.object({ state: z.literal('disconnected'), stoppedSyncs: z.number() }) }, ...errors(404) },
    handler: async ({ params }) => {
      await requireTenant(params.tenantId);
      const { stoppedSyncs } = await disconnectTenant(deps, params.tenantId);
      return { state: 'disconnected' as const, stoppedSyncs };
    },
  });

  const decisionResponse = z.object({ decision: z.enum(['confirm', 'reject']), division: z.string(), previousDivision: z.string() });
  addRoute(api, {
    method: 'post',
    path: '/api/tenants/:tenantId/exact/division-change/confirm',
    access: 'tenant',
    summary: 'Confirm switching the tenant to the division it was reconnected to; exports wait until then',
    tags: ['exact connection'],
    params: tenantParams,
    body: z.strictObject({ division: z.string().min(1).max(200).describe('the division shown to the admin (`divisionChange.to`)') }),
    responses: { 202: { description: 'confirmed; the initial sync of the new division follows', schema: decisionResponse }, ...errors(400, 404, 409) },
    handler: async ({ params, body }, _req, res) => {
      await requireTenant(params.tenantId);
      res.status(202).json({ decision: 'confirm', ...(await decideDivisionChange(deps, params.tenantId, 'confirm', body.division)) });
    },
  });

  addRoute(api, {
    method: 'post',
    path: '/api/tenants/:tenantId/exact/division-change/reject',
    access: 'tenant',
    summary: 'Reject switching the tenant to another division: the new credential is discarded, the previous connection stays',
    tags: ['exact connection'],
    params: tenantParams,
    body: z.strictObject({ division: z.string().min(1).max(200).optional() }),
    responses: { 202: { description: 'rejected', schema: decisionResponse }, ...errors(400, 404, 409) },
    handler: async ({ params, body }, _req, res) => {
      await requireTenant(params.tenantId);
      res.status(202).json({ decision: 'reject', ...(await decideDivisionChange(deps, params.tenantId, 'reject', body.division)) });
    },
  });

  addRoute(api, {
    method: 'get',
    path: '/api/tenants/:tenantId/master-data/:kind',
    access: 'tenant',
    summary: 'Synced master data of one kind, paginated; search on code and name; `fit` keeps what fits a mapping field (for pickers)',
    tags: ['master data'],
    params: tenantParams.extend({ kind: z.enum(masterDataKinds) }),
    query: z.strictObject({
      page: pageSchema,
      limit: z.coerce.number().int().min(1).max(500).default(50),
      search: z.string().trim().min(1).max(100).optional(),
      active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
      fit: z
        .string()
        .min(1)
        .max(300)
        .optional()
        .describe('a mapping field (`categories.travel.glAccount`, `vatRates.21`, `creditAccount`, …): only active records that fit it (cost accounts for categories, purchase VAT codes of that rate, …)'),
    }),
    responses: {
      200: {
        description: 'a page of records',
        schema: z.object({ items: z.array(z.record(z.string(), z.unknown())), page: z.number(), limit: z.number(), total: z.number(), totalPages: z.number() }),
      },
      ...errors(400, 404),
    },
    handler: async ({ params, query }) => {
      await requireTenant(params.tenantId);
      const fit = query.fit === undefined ? undefined : mappingFieldFit(query.fit);
      if (fit === null || (fit && fit.kind !== params.kind)) {
        throw new HttpError(400, 'invalid_request', `query.fit: ${query.fit} is not a mapping field that holds ${params.kind}`, [{ path: 'query.fit', message: `not a field of ${params.kind}` }]);
      }
      const { items, total } = await stores.masterData.list(params.kind, params.tenantId, {
        ...query,
        ...(fit ? { active: true, accountKinds: fit.accountKinds, vatRate: fit.vatRate } : {}),
      });
      return {
        items: items.map(({ tenantId: _t, lastSeenRunId: _r, nameNorm: _n, vatNumberNorm: _v, contentHash: _h, ...rest }) => rest),
        page: query.page,
        limit: query.limit,
        total,
        totalPages: Math.ceil(total / query.limit),
      };
    },
  });

  /**
   * The connect response carries a cookie with the authorization's `state`, signed: only the
   * browser (or client) that started the connect can complete it at the callback.
   */
  async function bindAuthorizationToBrowser(tenantId: string, authorizationUrl: string, res: Response): Promise<void> {
    const pending = (await stores.tenants.getConnection(tenantId))?.pendingAuthorization;
    if (!pending || pending.authorizationUrl !== authorizationUrl) return;
    const ttlMs = msToNumber(config.onboarding.authorizationTimeout as never);
    const t = await access.tokens.sign('connect', tenantId, ttlMs, { state: pending.state });
    access.setConnectCookie(res, t.token, t.expiresAt);
  }

  /** The callback must come from the browser that started this authorization; otherwise nothing from it is kept. */
  async function requireBrowserBinding(tenantId: string, state: string, req: Request, res: Response): Promise<void> {
    await access.assertNotBlocked(req, res);
    const cookie = cookieOf(req, CONNECT_COOKIE);
    const binding = cookie ? await access.tokens.verify('connect', cookie) : null;
    if (isVerified(binding) && binding.tenantId === tenantId && binding.state === state) return;
    const discarded = await stores.tenants.deletePendingCredentials(tenantId, state);
    deps.logger.warn({ tenantId, discarded, cookie: cookie ? 'mismatch' : 'absent' }, 'connect callback refused: not from the browser that started the authorization');
    await access.countFailure(req, res);
    throw new HttpError(403, 'foreign_browser', 'this authorization was started in another browser (or its link expired); start connecting again from the admin page', [
      { path: 'query.state', message: 'not started by this browser' },
    ]);
  }
}

function wantsJson(req: Request): boolean {
  return (req.headers.accept ?? '').includes('application/json') || req.query.format === 'json';
}
