/**
 * Mappings and exports: the platform submits approved reports, admins fix mappings, ops retry
 * or cancel.
 */
import { z } from 'zod';
import {
  actionExportStatuses,
  centsToDecimalString,
  expenseReportSchema,
  exportActions,
  exportActionsFor,
  exportStatuses,
  mappingsSchema,
  reportTotalCents,
  type ExpenseReport,
} from '../../domain';
import { acceptExport, saveMappings, signalExport } from '../../services';
import type { ExportDoc } from '../../store';
import { cancelSignal, mappingFixedSignal, retrySignal, type ExportSignal } from '../../workflows/definitions';
import { HttpError, notFound } from '../errors';
import { addRoute, errors, type Api } from '../route';
import { pageSchema, requireTenant as requireTenantIn, tenantParams, type RouteDeps } from './shared';

export const reportParams = tenantParams.extend({ reportId: z.string().min(1).max(128).regex(/^\S+$/, 'no whitespace') });

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
export const exportStatusSchema = z
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

export function present(doc: ExportDoc): z.infer<typeof exportStatusSchema> {
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
    summary: "The tenant's exports, newest first (or those that need a person first), with counts per status",
    tags: ['exports'],
    params: tenantParams,
    query: z.strictObject({
      status: z.enum(exportStatuses).optional(),
      search: z.string().trim().min(1).max(100).optional().describe('part of the report ID, or of the employee ID, name or e-mail (case-insensitive)'),
      sort: z.enum(['updated', 'action']).default('updated').describe('`action`: exports that wait for a person first (`waiting_for_mappings`, `rejected`, …), each part newest first'),
      page: pageSchema,
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    responses: {
      200: {
        description: 'a page of exports',
        schema: z.object({
          items: z.array(
            z.object({
              exportId: z.string(),
              reportId: z.string(),
              status: z.enum(exportStatuses),
              exactEntryNumber: z.string().nullable(),
              problem: z.string().nullable(),
              employee: z.object({ id: z.string(), name: z.string() }),
              description: z.string(),
              currency: z.string(),
              total: z.string().nullable().describe('the report total (decimal) in `currency`; null when an amount cannot be computed'),
              actions: z.array(z.enum(exportActions)).describe('what a person can do about it now'),
              approvedAt: z.string(),
              createdAt: z.string(),
              updatedAt: z.string(),
            }),
          ),
          counts: z.record(z.enum(exportStatuses), z.number()).describe('exports per status (matching `search`, whatever `status`)'),
          total: z.number(),
          page: z.number(),
          limit: z.number(),
        }),
      },
      ...errors(400, 404),
    },
    handler: async ({ params, query }) => {
      await requireTenant(params.tenantId);
      const [{ items: docs, total }, counts] = await Promise.all([
        stores.exports.search(params.tenantId, { ...query, first: query.sort === 'action' ? actionExportStatuses : undefined }),
        stores.exports.countByStatus(params.tenantId, query.search),
      ]);
      return {
        items: docs.map((d) => {
          const totalCents = reportTotalCents(d.report);
          return {
            exportId: d._id,
            reportId: d.reportId,
            status: d.status,
            exactEntryNumber: d.exactEntryNumber,
            // What an admin has to act on: Exact's rejection, or the first missing mapping.
            problem: d.error?.message ?? (d.missing.length ? `${d.missing.length} missing: ${d.missing[0].message ?? `${d.missing[0].field} ${d.missing[0].value}`}` : null),
            employee: { id: d.report.employee.id, name: d.report.employee.name },
            description: d.report.description,
            currency: d.report.currency,
            total: totalCents === null ? null : centsToDecimalString(totalCents),
            actions: [...exportActionsFor(d.status)],
            approvedAt: d.report.approvedAt,
            createdAt: d.createdAt.toISOString(),
            updatedAt: d.updatedAt.toISOString(),
          };
        }),
        counts,
        total,
        page: query.page,
        limit: query.limit,
      };
    },
  });
}
