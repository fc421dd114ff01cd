/**
 * Mappings and exports: the platform submits approved reports, admins fix mappings, ops retry
 * or cancel.
 */
import { z } from 'zod';
import { centsToDecimalString, expenseReportSchema, exportStatuses, mappingsSchema, type ExpenseReport } from '../../domain';
import { acceptExport, saveMappings, signalExport } from '../../services';
import type { ExportDoc } from '../../store';
import { cancelSignal, mappingFixedSignal, retrySignal, type ExportSignal } from '../../workflows/definitions';
import { HttpError, notFound } from '../errors';
import { addRoute, errors, type Api } from '../route';
import { pageSchema, requireTenant as requireTenantIn, tenantParams, type RouteDeps } from './shared';

const reportParams = tenantParams.extend({ reportId: z.string().min(1).max(128).regex(/^\S+$/, 'no whitespace') });

const missingSchema = z.object({ expenseId: z.string().nullable(), field: z.string(), value: z.string(), reason: z.string(), message: z.string().optional() });
const lineSchema = z.object({
  position: z.number(),
  side: z.enum(['DEBIT', 'CREDIT']),
  expenseId: z.string().nullable(),
  accountCode: z.string(),
  description: z.string(),
  netAmount: z.string(),
  taxAmount: z.string(),
  grossAmount: z.string(),
  vatCode: z.string().nullable(),
  costCenter: z.string().nullable(),
  costUnit: z.string().nullable(),
  supplier: z.string().nullable(),
});
const exportStatusSchema = z
  .object({
    exportId: z.string(),
    tenantId: z.string(),
    reportId: z.string(),
    status: z.enum(exportStatuses),
    division: z.string().nullable(),
    missing: z.array(missingSchema),
    lines: z.array(lineSchema),
    exactEntryId: z.string().nullable(),
    exactEntryNumber: z.string().nullable(),
    postedAt: z.string().nullable(),
    error: z.object({ message: z.string(), line: z.number().nullable().optional(), code: z.string().nullable().optional() }).nullable(),
    workflowId: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ExportStatus' });

function present(doc: ExportDoc): z.infer<typeof exportStatusSchema> {
  const lines =
    doc.entry?.lines.map((l) => ({
      position: l.position,
      side: l.side,
      expenseId: l.expenseId,
      accountCode: l.account.code,
      description: l.description,
      netAmount: centsToDecimalString(l.netCents),
      taxAmount: centsToDecimalString(l.taxCents),
      grossAmount: centsToDecimalString(l.grossCents),
      vatCode: l.vatCode?.code ?? null,
      costCenter: l.dimensions.find((d) => d.categoryName === 'CostCenter')?.code ?? null,
      costUnit: l.dimensions.find((d) => d.categoryName === 'CostUnit')?.code ?? null,
      supplier: l.supplier?.code ?? null,
    })) ?? [];
  return {
    exportId: doc._id,
    tenantId: doc.tenantId,
    reportId: doc.reportId,
    status: doc.status,
    division: doc.division,
    missing: doc.missing,
    lines,
    exactEntryId: doc.exactEntryId,
    exactEntryNumber: doc.exactEntryNumber,
    postedAt: doc.postedAt?.toISOString() ?? null,
    error: doc.error,
    workflowId: doc.workflowId,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

export function exportRoutes(deps: RouteDeps, api: Api): void {
  const { stores } = deps;

  const requireTenant = (tenantId: string) => requireTenantIn(stores, tenantId);

  async function requireExport(tenantId: string, reportId: string) {
    await requireTenant(tenantId);
    const doc = await stores.exports.get(tenantId, reportId);
    if (!doc) throw notFound(`export of report ${reportId}`);
    return doc;
  }

  /** Signals the export's workflow; 409 when it has ended. */
  async function signal(tenantId: string, reportId: string, def: ExportSignal) {
    const doc = await requireExport(tenantId, reportId);
    await signalExport(deps, doc, def);
    return { exportId: doc._id, status: doc.status, signal: def.name };
  }

  // --- mappings -------------------------------------------------------------------------------

  addRoute(api, {
    method: 'get',
    path: '/api/tenants/:tenantId/mappings',
    access: 'tenant',
    summary: "The tenant's mappings (null until first saved)",
    tags: ['mappings'],
    params: tenantParams,
    responses: { 200: { description: 'mappings', schema: z.object({ mappings: mappingsSchema.nullable(), version: z.number(), updatedAt: z.string().nullable() }) }, ...errors(404) },
    handler: async ({ params }) => {
      await requireTenant(params.tenantId);
      const m = await stores.mappings.get(params.tenantId);
      return { mappings: m?.mappings ?? null, version: m?.version ?? 0, updatedAt: m?.updatedAt.toISOString() ?? null };
    },
  });

  addRoute(api, {
    method: 'put',
    path: '/api/tenants/:tenantId/mappings',
    access: 'tenant',
    summary: 'Replace the mappings; reports every invalid reference and wakes exports waiting for mappings',
    tags: ['mappings'],
    params: tenantParams,
    body: mappingsSchema,
    responses: {
      200: {
        description: 'saved (also when references are invalid: they are listed)',
        schema: z.object({
          version: z.number(),
          valid: z.boolean(),
          issues: z.array(z.object({ path: z.string(), value: z.string(), reason: z.string(), message: z.string() })),
          signalledExports: z.number(),
        }),
      },
      ...errors(400, 404),
    },
    handler: async ({ params, body }) => {
      await requireTenant(params.tenantId);
      const { version, issues, signalledExports } = await saveMappings(deps, params.tenantId, body);
      return { version, valid: issues.length === 0, issues: issues.map((i) => ({ path: i.path, value: i.value, reason: i.reason, message: i.message })), signalledExports };
    },
  });

  // --- exports --------------------------------------------------------------------------------

  addRoute(api, {
    method: 'post',
    path: '/api/tenants/:tenantId/expense-reports/:reportId/export',
    access: 'platform',
    summary: 'Export an approved expense report (idempotent: the same report returns the same export)',
    tags: ['exports'],
    params: reportParams,
    body: expenseReportSchema,
    // Receipts come inline (base64): a larger limit, and more time to store them, than other routes.
    bodyLimitBytes: deps.config.exports.maxReportBytes,
    temporalDeadlineMs: 30_000,
    responses: {
      202: { description: 'accepted', schema: z.object({ exportId: z.string(), status: z.enum(exportStatuses) }) },
      ...errors(400, 404, 409, 413),
    },
    handler: async ({ params, body }, _req, res) => {
      const report = body as ExpenseReport;
      if (report.reportId !== params.reportId) {
        throw new HttpError(400, 'invalid_request', 'body.reportId must equal the reportId in the path', [{ path: 'body.reportId', message: `expected ${params.reportId}` }]);
      }
      const { doc } = await acceptExport(deps, params.tenantId, report);
      res.status(202).json({ exportId: doc._id, status: doc.status });
    },
  });

  addRoute(api, {
    method: 'get',
    path: '/api/tenants/:tenantId/expense-reports/:reportId/export',
    access: 'tenant',
    summary: 'Status of an export: missing mappings, the booking as built, the Exact entry',
    tags: ['exports'],
    params: reportParams,
    responses: { 200: { description: 'the export', schema: exportStatusSchema }, ...errors(404) },
    handler: async ({ params }) => present(await requireExport(params.tenantId, params.reportId)),
  });

  const signalResponse = { 202: { description: 'signal sent', schema: z.object({ exportId: z.string(), status: z.string(), signal: z.string() }) }, ...errors(404, 409) };
  for (const [path, signalName, summary] of [
    ['mapping-fixed', mappingFixedSignal, 'Tell the export that mappings were fixed (validates again)'],
    ['retry', retrySignal, 'Retry a rejected export after a fix made in Exact Online'],
    ['cancel', cancelSignal, 'Cancel an export that has not been posted'],
  ] as const) {
    addRoute(api, {
      method: 'post',
      path: `/api/tenants/:tenantId/expense-reports/:reportId/export/${path}`,
      access: 'tenant',
      summary,
      tags: ['exports'],
      params: reportParams,
      responses: signalResponse,
      handler: async ({ params }, _req, res) => {
        res.status(202).json(await signal(params.tenantId, params.reportId, signalName));
      },
    });
  }

  addRoute(api, {
    method: 'get',
    path: '/api/tenants/:tenantId/exports',
    access: 'tenant',
    summary: "The tenant's exports, newest first",
    tags: ['exports'],
    params: tenantParams,
    query: z.strictObject({
      status: z.enum(exportStatuses).optional(),
      page: pageSchema,
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    responses: {
      200: {
        description: 'a page of exports',
        schema: z.object({
          items: z.array(
            z.object({ exportId: z.string(), reportId: z.string(), status: z.enum(exportStatuses), exactEntryNumber: z.string().nullable(), problem: z.string().nullable(), updatedAt: z.string() }),
          ),
          total: z.number(),
          page: z.number(),
          limit: z.number(),
        }),
      },
      ...errors(400, 404),
    },
    handler: async ({ params, query }) => {
      await requireTenant(params.tenantId);
      const [docs, total] = await Promise.all([stores.exports.list(params.tenantId, query), stores.exports.count(params.tenantId, query.status)]);
      return {
        items: docs.map((d) => ({
          exportId: d._id,
          reportId: d.reportId,
          status: d.status,
          exactEntryNumber: d.exactEntryNumber,
          // What an admin has to act on: Exact's rejection, or the first missing mapping.
          problem: d.error?.message ?? (d.missing.length ? `${d.missing.length} missing: ${d.missing[0].message ?? `${d.missing[0].field} ${d.missing[0].value}`}` : null),
          updatedAt: d.updatedAt.toISOString(),
        })),
        total,
        page: query.page,
        limit: query.limit,
      };
    },
  });
}
