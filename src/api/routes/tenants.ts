/**
 * Tenants and their Exact Online connection: create, connect (hosted auth), callback, status,
 * sync now, disconnect, and the synced master data.
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { masterDataKinds, tenantSettingsSchema } from '../../domain';
import { connectTenant, disconnectTenant, nextResyncAt, startManualSync } from '../../services';
import { connectionStates } from '../../store';
import { authorizedSignal, workflowIds } from '../../workflows/definitions';
import { verifyQuerySignature } from '../callback-signature';
import { HttpError, notFound } from '../errors';
import { addRoute, errors } from '../route';
import { requireTenant as requireTenantIn, tenantIdSchema, tenantParams, type RouteDeps } from './shared';

const tenantSchema = z
  .object({ tenantId: z.string(), name: z.string(), createdAt: z.string() })
  .meta({ id: 'Tenant' });

const countsSchema = z.record(z.string(), z.object({ fetched: z.number(), upserted: z.number(), deactivated: z.number(), pages: z.number() }));

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
    error: z.string().nullable(),
  })
  .meta({ id: 'ExactConnectionStatus' });

export function tenantRoutes(deps: RouteDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  const { stores, temporal, config } = deps;

  const requireTenant = (tenantId: string) => requireTenantIn(stores, tenantId);

  addRoute(router, registry, {
    method: 'post',
    path: '/api/tenants',
    summary: 'Create a tenant (idempotent for the same name)',
    tags: ['tenants'],
    body: z.object({ tenantId: tenantIdSchema, name: z.string().trim().min(1).max(200) }),
    responses: { 201: { description: 'created', schema: tenantSchema }, 200: { description: 'already exists', schema: tenantSchema }, ...errors(400, 409) },
    handler: async ({ body }, _req, res) => {
      const r = await stores.tenants.create(body.tenantId, body.name);
      if (r.conflict) throw new HttpError(409, 'conflict', `tenant ${body.tenantId} exists with another name`, [{ path: 'body.name', message: 'differs from the existing tenant' }]);
      res.status(r.created ? 201 : 200).json({ tenantId: r.tenant._id, name: r.tenant.name, createdAt: r.tenant.createdAt.toISOString() });
    },
  });

  addRoute(router, registry, {
    method: 'get',
    path: '/api/tenants/:tenantId',
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

  addRoute(router, registry, {
    method: 'get',
    path: '/api/tenants/:tenantId/settings',
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

  addRoute(router, registry, {
    method: 'put',
    path: '/api/tenants/:tenantId/settings',
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

  addRoute(router, registry, {
    method: 'post',
    path: '/api/tenants/:tenantId/exact/connect',
    summary: 'Start connecting Exact Online; returns the hosted authorization link (idempotent while one is pending)',
    tags: ['exact connection'],
    params: tenantParams,
    responses: {
      200: { description: 'the link to send the admin to', schema: z.object({ authorizationUrl: z.string(), workflowId: z.string() }) },
      ...errors(404, 409, 502),
    },
    handler: async ({ params }) => {
      await requireTenant(params.tenantId);
      return connectTenant(deps, params.tenantId);
    },
  });

  addRoute(router, registry, {
    method: 'get',
    path: '/api/exact/callback',
    summary: 'Where Maesn sends the admin back after authorizing: verifies the signature, then resumes onboarding',
    tags: ['exact connection'],
    query: z.object({
      tenantId: tenantIdSchema,
      state: z.string().min(1),
      accountKey: z.string().min(1),
      companyId: z.string().min(1),
      signature: z.string().min(1),
    }),
    responses: {
      302: { description: 'redirect to the admin page' },
      200: { description: 'when JSON is asked for', schema: z.object({ tenantId: z.string(), division: z.string(), status: z.literal('authorized') }) },
      ...errors(400, 404, 409),
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
      const credentialId = await stores.tenants.storePendingCredential(query.tenantId, query.state, query.companyId, query.accountKey);
      try {
        await temporal.workflow.getHandle(workflowIds.onboarding(query.tenantId)).signal(authorizedSignal, { state: query.state, credentialId });
      } catch (err) {
        await stores.tenants.deletePendingCredentials(query.tenantId);
        if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'stale_callback', 'the onboarding this link belongs to has ended; connect again');
        throw err;
      }
      if (wantsJson(req)) return { tenantId: query.tenantId, division: query.companyId, status: 'authorized' as const };
      res.redirect(302, `/admin?tenant=${encodeURIComponent(query.tenantId)}&connected=1`);
    },
  });

  addRoute(router, registry, {
    method: 'get',
    path: '/api/tenants/:tenantId/exact',
    summary: 'Connection state, last sync, next scheduled sync and mapping health',
    tags: ['exact connection'],
    params: tenantParams,
    responses: { 200: { description: 'status', schema: connectionStatusSchema }, ...errors(404) },
    handler: async ({ params }) => {
      await requireTenant(params.tenantId);
      const [conn, last] = await Promise.all([stores.tenants.getConnection(params.tenantId), stores.syncRuns.latest(params.tenantId)]);
      const nextSyncAt = conn?.state === 'connected' || conn?.state === 'syncing' ? ((await nextResyncAt(temporal, params.tenantId))?.toISOString() ?? null) : null;
      return {
        state: conn?.state ?? 'disconnected',
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
        error: conn?.error?.message ?? null,
      } satisfies z.infer<typeof connectionStatusSchema>;
    },
  });

  addRoute(router, registry, {
    method: 'post',
    path: '/api/tenants/:tenantId/exact/sync',
    summary: 'Sync now (joins a manual sync that is already running)',
    tags: ['exact connection'],
    params: tenantParams,
    body: z.object({ mode: z.enum(['auto', 'full', 'incremental']).default('auto') }),
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

  addRoute(router, registry, {
    method: 'delete',
    path: '/api/tenants/:tenantId/exact',
    summary: 'Disconnect: deletes the resync schedule and the stored account key; sync history stays',
    tags: ['exact connection'],
    params: tenantParams,
    responses: { 200: { description: 'disconnected', schema: z.object({ state: z.literal('disconnected') }) }, ...errors(404) },
    handler: async ({ params }) => {
      await requireTenant(params.tenantId);
      await disconnectTenant(deps, params.tenantId);
      return { state: 'disconnected' as const };
    },
  });

  addRoute(router, registry, {
    method: 'get',
    path: '/api/tenants/:tenantId/master-data/:kind',
    summary: 'Synced master data of one kind, paginated; search on code and name',
    tags: ['master data'],
    params: tenantParams.extend({ kind: z.enum(masterDataKinds) }),
    query: z.object({
      page: z.coerce.number().int().min(1).default(1),
      limit: z.coerce.number().int().min(1).max(500).default(50),
      search: z.string().trim().min(1).max(100).optional(),
      active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
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
      const { items, total } = await stores.masterData.list(params.kind, params.tenantId, query);
      return {
        items: items.map(({ tenantId: _t, lastSeenRunId: _r, nameNorm: _n, vatNumberNorm: _v, ...rest }) => rest),
        page: query.page,
        limit: query.limit,
        total,
        totalPages: Math.ceil(total / query.limit),
      };
    },
  });

  return router;
}

function wantsJson(req: Request): boolean {
  return (req.headers.accept ?? '').includes('application/json') || req.query.format === 'json';
}
