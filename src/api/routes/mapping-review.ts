/** The saved mappings reviewed for an editor: the record each code names, every problem, what waiting exports need. */
import { z } from 'zod';
import { mappingsSchema, masterDataKinds } from '../../domain';
import { reviewMappings } from '../../services';
import { addRoute, errors, type Api } from '../route';
import { requireTenant, tenantParams, type RouteDeps } from './shared';

const reviewSchema = z
  .object({
    mappings: mappingsSchema.nullable(),
    version: z.number(),
    updatedAt: z.string().nullable(),
    issues: z.array(z.object({ path: z.string(), value: z.string(), reason: z.string(), message: z.string() })).describe('every invalid reference of the saved mappings'),
    references: z
      .array(
        z.object({
          path: z.string().describe('the mapping field, e.g. `categories.travel.glAccount`'),
          kind: z.enum(masterDataKinds),
          code: z.string(),
          record: z
            .object({ code: z.string(), name: z.string(), active: z.boolean(), blocked: z.boolean(), vanished: z.boolean().describe('a full sync no longer found it in Exact') })
            .nullable()
            .describe('null: the code is not in the synced master data'),
        }),
      )
      .describe('every field that holds an Exact code'),
    needed: z
      .array(z.object({ path: z.string(), reportIds: z.array(z.string()), messages: z.array(z.string()) }))
      .describe('fields that exports waiting for mappings need (not mapped yet, or naming an unusable code)'),
  })
  .meta({ id: 'MappingReview' });

export function mappingReviewRoutes(deps: RouteDeps, api: Api): void {
  addRoute(api, {
    method: 'get',
    path: '/api/tenants/:tenantId/mappings/review',
    access: 'tenant',
    summary: 'The saved mappings with the synced record each code names (blocked, vanished, unknown), every invalid reference, and the fields waiting exports need',
    tags: ['mappings'],
    params: tenantParams,
    responses: { 200: { description: 'the review', schema: reviewSchema }, ...errors(404) },
    handler: async ({ params }) => {
      await requireTenant(deps.stores, params.tenantId);
      const r = await reviewMappings(deps.stores, params.tenantId);
      return {
        ...r,
        updatedAt: r.updatedAt?.toISOString() ?? null,
        issues: r.issues.map((i) => ({ path: i.path, value: i.value, reason: i.reason, message: i.message })),
      } satisfies z.infer<typeof reviewSchema>;
    },
  });
}
