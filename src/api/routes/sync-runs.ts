/** Sync history: the tenant's last master-data sync runs (kept across disconnects), with progress while one runs. */
import { z } from 'zod';
import { addRoute, errors, type Api } from '../route';
import { requireTenant, tenantParams, type RouteDeps } from './shared';

const countsSchema = z.record(z.string(), z.object({ fetched: z.number(), upserted: z.number(), unchanged: z.number().optional(), deactivated: z.number(), pages: z.number() }));

const syncRunSchema = z
  .object({
    runId: z.string(),
    mode: z.enum(['full', 'incremental']),
    trigger: z.string(),
    status: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    counts: countsSchema.describe('per master-data kind; while the run goes on, what it has read so far'),
    errors: z.array(z.object({ kind: z.string().optional(), message: z.string() })),
  })
  .meta({ id: 'SyncRun' });

export function syncRunRoutes(deps: RouteDeps, api: Api): void {
  const { stores } = deps;
  addRoute(api, {
    method: 'get',
    path: '/api/tenants/:tenantId/sync-runs',
    access: 'tenant',
    summary: "The tenant's last sync runs, newest first: mode, trigger, duration, counts per kind and errors (a running one with its progress)",
    tags: ['exact connection'],
    params: tenantParams,
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
    responses: { 200: { description: 'sync runs', schema: z.object({ items: z.array(syncRunSchema) }) }, ...errors(400, 404) },
    handler: async ({ params, query }) => {
      await requireTenant(stores, params.tenantId);
      const runs = await stores.syncRuns.history(params.tenantId, query.limit);
      const items = await Promise.all(
        runs.map(async (r) => ({
          runId: r._id,
          mode: r.mode,
          trigger: r.trigger,
          status: r.status,
          startedAt: r.startedAt.toISOString(),
          finishedAt: r.finishedAt?.toISOString() ?? null,
          durationMs: r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null,
          counts: r.status === 'running' ? await stores.syncRuns.progress(r._id) : (r.counts ?? {}),
          errors: (r.errors ?? []).map((e) => ({ ...(e.kind ? { kind: e.kind } : {}), message: e.message })),
        })),
      );
      return { items };
    },
  });
}
