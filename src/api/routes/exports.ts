/**
 * Mappings and exports: the platform submits approved reports, admins fix mappings, ops retry
 * or cancel.
 */
import { z } from 'zod';
import {
  VAT_TREATMENTS,
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
import { acceptExport, markExportPosted, reverseExport, saveMappings, signalExport } from '../../services';
import { isOutcomeOpen, retryWhileBusy, revisionOf, type ExportDoc } from '../../store';
import { cancelSignal, mappingFixedSignal, markPostedSignal, retrySignal, type ExportSignal } from '../../workflows/definitions';
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
  vatTreatment: z.enum(VAT_TREATMENTS).nullable().describe('deductible, non_deductible (gross with the no-VAT code) or reverse_charge; null on the employee line'),
  costCenter: z.string().nullable(),
  costUnit: z.string().nullable(),
  supplier: z.string().nullable(),
});
const postingSchema = z
  .object({
    attempts: z.number().describe('POSTs sent'),
    firstAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    outcomeOpen: z.boolean().describe("a POST's outcome is not known yet: it is looked up after the settle period, nothing is posted before"),
    unknownOutcomes: z.number().describe('POSTs that got no answer (since the last retry from needs_review)'),
    frozenAt: z.string().nullable().describe('the entry and the division are frozen since the first POST'),
    log: z.array(z.object({ at: z.string(), kind: z.enum(['post', 'lookup', 'review']), result: z.string(), detail: z.string().nullable() })),
  })
  .meta({ id: 'ExportPosting' });

export const exportStatusSchema = z
  .object({
    exportId: z.string(),
    tenantId: z.string(),
    reportId: z.string(),
    revision: z.number().describe('1 for the first export of the report; a correction after cancel is the next'),
    reference: z.string().describe('the reference every line of the Exact entry starts with'),
    transactionDate: z.string().nullable().describe('the booking date (YYYY-MM-DD, tenant time zone), once the entry is built'),
    accountingPeriodId: z.string().nullable().describe("Exact's financial year and period, YYYY-PP"),
    originalDate: z.string().nullable().describe('the booking date a closed period moved the entry away from (policy next_open)'),
    status: z.enum(exportStatuses),
    division: z.string().nullable(),
    missing: z.array(missingSchema),
    lines: z.array(lineSchema),
    exactEntryId: z.string().nullable(),
    exactEntryNumber: z.string().nullable(),
    postedAt: z.string().nullable(),
    postedVia: z.enum(['created', 'adopted', 'marked']).nullable().describe('posted by this export, adopted by the lookup, or marked by a person'),
    error: z.object({ message: z.string(), line: z.number().nullable().optional(), code: z.string().nullable().optional() }).nullable(),
    review: z.object({ reason: z.string(), at: z.string() }).nullable().describe('why the export needs a person (status needs_review)'),
    posting: postingSchema,
    reverses: z.number().nullable().describe('a reversal: the revision whose entry this one mirrors'),
    reversedBy: z.number().nullable().describe('the reversal revision that reversed this one'),
    revisions: z
      .array(z.object({ revision: z.number(), status: z.enum(exportStatuses), reverses: z.number().nullable(), exactEntryNumber: z.string().nullable(), reference: z.string() }))
      .describe('every revision of the report, oldest first, with its Exact entry number'),
    workflowId: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ExportStatus' });

const referenceOf = (doc: ExportDoc) => doc.reference ?? doc.entry?.reference ?? `EXP-${doc.reportId}`;

/** The export as the API shows it; `revisions`: every revision of the report (for the list of them). */
export function present(doc: ExportDoc, revisions: ExportDoc[]): z.infer<typeof exportStatusSchema> {
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
      vatTreatment: l.vatTreatment ?? (l.vatCode ? 'deductible' : null),
      costCenter: l.dimensions.find((d) => d.categoryName === 'CostCenter')?.code ?? null,
      costUnit: l.dimensions.find((d) => d.categoryName === 'CostUnit')?.code ?? null,
      supplier: l.supplier?.code ?? null,
    })) ?? [];
  const p = doc.posting ?? {};
  const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
  return {
    exportId: doc._id,
    tenantId: doc.tenantId,
    reportId: doc.reportId,
    revision: revisionOf(doc),
    reference: referenceOf(doc),
    transactionDate: doc.entry?.transactionDate ?? null,
    accountingPeriodId: doc.entry?.accountingPeriodId ?? null,
    originalDate: doc.entry?.originalDate ?? null,
    status: doc.status,
    division: doc.division,
    missing: doc.missing,
    lines,
    exactEntryId: doc.exactEntryId,
    exactEntryNumber: doc.exactEntryNumber,
    postedAt: doc.postedAt?.toISOString() ?? null,
    postedVia: doc.postedVia ?? null,
    error: doc.error,
    review: doc.review ? { reason: doc.review.reason, at: doc.review.at.toISOString() } : null,
    posting: {
      attempts: p.attempts ?? 0,
      firstAttemptAt: iso(p.firstAttemptAt),
      lastAttemptAt: iso(p.lastAttemptAt),
      outcomeOpen: isOutcomeOpen(doc),
      unknownOutcomes: p.unknownOutcomes ?? 0,
      frozenAt: iso(p.frozenAt),
      log: (p.log ?? []).map((l) => ({ at: l.at.toISOString(), kind: l.kind, result: l.result, detail: l.detail ?? null })),
    },
    reverses: doc.reverses ?? null,
    reversedBy: doc.reversedBy ?? null,
    revisions: revisions.map((r) => ({ revision: revisionOf(r), status: r.status, reverses: r.reverses ?? null, exactEntryNumber: r.exactEntryNumber, reference: referenceOf(r) })),
    workflowId: doc.workflowId,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

export function exportRoutes(deps: RouteDeps, api: Api): void {
  const { stores } = deps;

  const requireTenant = (tenantId: string) => requireTenantIn(stores, tenantId);

  /** The report's current export revision, or the one asked for. */
  async function requireExport(tenantId: string, reportId: string, revision?: number) {
    await requireTenant(tenantId);
    const doc = await stores.exports.get(tenantId, reportId, revision);
    if (!doc) throw notFound(revision === undefined ? `export of report ${reportId}` : `revision ${revision} of the export of report ${reportId}`);
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
      // Accepting is idempotent as a whole: a busy embedded database is waited out briefly here
      // rather than answered with 503 (a burst of approvals meets the worker's writes).
      const { doc } = await retryWhileBusy(() => acceptExport(deps, params.tenantId, report));
      res.status(202).json({ exportId: doc._id, status: doc.status });
    },
  });

  addRoute(api, {
    method: 'get',
    path: '/api/tenants/:tenantId/expense-reports/:reportId/export',
    access: 'tenant',
    summary: 'Status of an export (the current revision, or `revision`): missing mappings, the booking as built, posting attempts and lookups, the Exact entry',
    tags: ['exports'],
    params: reportParams,
    query: z.object({ revision: z.coerce.number().int().min(1).optional() }),
    responses: { 200: { description: 'the export', schema: exportStatusSchema }, ...errors(400, 404) },
    handler: async ({ params, query }) => {
      const doc = await requireExport(params.tenantId, params.reportId, query.revision);
      return present(doc, await stores.exports.listRevisions(params.tenantId, params.reportId));
    },
  });

  addRoute(api, {
    method: 'post',
    path: '/api/tenants/:tenantId/expense-reports/:reportId/export/reverse',
    access: 'tenant',
    summary:
      'Reverse a posted export: the mirror entry (same lines, sides swapped, text naming the original entry number) is posted as the next revision, ' +
      'exactly once like any export; both revisions end `reversed`, and the report can then be exported again with new content',
    tags: ['exports'],
    params: reportParams,
    responses: { 202: { description: 'the reversal revision', schema: z.object({ exportId: z.string(), revision: z.number(), reverses: z.number(), status: z.enum(exportStatuses) }) }, ...errors(404, 409) },
    handler: async ({ params }, _req, res) => {
      const doc = await reverseExport(deps, params.tenantId, params.reportId);
      res.status(202).json({ exportId: doc._id, revision: revisionOf(doc), reverses: doc.reverses ?? 0, status: doc.status });
    },
  });

  const signalResponse = { 202: { description: 'signal sent', schema: z.object({ exportId: z.string(), status: z.string(), signal: z.string() }) }, ...errors(404, 409) };
  for (const [path, signalName, summary] of [
    ['mapping-fixed', mappingFixedSignal, 'Tell the export that mappings were fixed (validates again)'],
    ['retry', retrySignal, 'Retry a rejected export after a fix made in Exact Online; from needs_review: look the entry up once more, then post'],
    ['cancel', cancelSignal, 'Cancel an export that has not been posted (while an outcome is open the entry is looked up first: an entry that exists wins); afterwards the report can be exported again with new content'],
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
    method: 'post',
    path: '/api/tenants/:tenantId/expense-reports/:reportId/export/mark-posted',
    access: 'tenant',
    summary: 'A person found the entry in Exact: the export adopts it (verified through Maesn when the connection allows) and ends posted',
    tags: ['exports'],
    params: reportParams,
    body: z.object({ exactEntryId: z.string().trim().min(1).max(128).regex(/^\S+$/, 'no whitespace').describe('the Exact entry (Maesn journal entry id)') }),
    responses: { ...signalResponse, ...errors(400) },
    handler: async ({ params, body }, _req, res) => {
      const doc = await requireExport(params.tenantId, params.reportId);
      await markExportPosted(deps, doc, body.exactEntryId);
      res.status(202).json({ exportId: doc._id, status: doc.status, signal: markPostedSignal.name });
    },
  });

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
              revision: z.number().describe('1 for the first export of the report; a correction after cancel is the next'),
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
            revision: revisionOf(d),
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
