/**
 * One export as a person looks at it: the report (expenses, receipts), the booking lines as built
 * or posted with the names of their accounts and the receipts attached to each, VAT and totals,
 * the error with its line, the missing mappings with the field that fixes each, what can be done,
 * and the run in the Temporal UI.
 */
import { z } from 'zod';
import {
  centsToDecimalString,
  computeExpenseAmounts,
  exportActions,
  exportActionsFor,
  mappingFieldOfIssue,
  normalizeCode,
  reportTotalCents,
  summarizeEntry,
  type ExpenseRef,
  type MasterDataKind,
} from '../../domain';
import { revisionOf } from '../../store';
import { notFound } from '../errors';
import { addRoute, errors, type Api } from '../route';
import { exportStatusSchema, present, reportParams } from './exports';
import { requireTenant, type RouteDeps } from './shared';

const receiptSchema = z.object({ receiptId: z.string(), fileName: z.string(), contentType: z.string(), size: z.number() });

const detailSchema = exportStatusSchema
  .extend({
    lines: z.array(
      exportStatusSchema.shape.lines.element.extend({
        accountName: z.string().nullable(),
        supplierName: z.string().nullable(),
        receipts: z.array(receiptSchema).describe('attached to this line in Exact'),
      }),
    ),
    missing: z.array(exportStatusSchema.shape.missing.element.extend({ mappingField: z.string().nullable().describe('the mapping field that fixes it (null: no mapping can)') })),
    report: z.object({
      employee: z.object({ id: z.string(), name: z.string(), email: z.string() }),
      approvedAt: z.string(),
      currency: z.string(),
      description: z.string(),
      expenses: z.array(
        z.object({
          id: z.string(),
          type: z.enum(['receipt', 'mileage']),
          date: z.string(),
          description: z.string(),
          category: z.string(),
          amount: z.string().nullable().describe('gross, in the report currency'),
          originalAmount: z.string().nullable().describe('as on the receipt, in `originalCurrency`'),
          originalCurrency: z.string().nullable(),
          vatRate: z.string().nullable(),
          costCenter: z.string().nullable(),
          costUnit: z.string().nullable(),
          merchant: z.string().nullable(),
          receipts: z.array(receiptSchema),
        }),
      ),
    }),
    totals: z
      .object({ net: z.string().nullable(), tax: z.string().nullable(), gross: z.string().nullable(), currency: z.string() })
      .describe('of the entry as built; before that only the gross total of the report'),
    vat: z.array(z.object({ code: z.string(), rate: z.string(), net: z.string(), tax: z.string(), gross: z.string() })).describe('per VAT code'),
    actions: z.array(z.enum(exportActions)).describe('what a person can do now (none for an older revision)'),
    currentRevision: z.number().describe('the highest revision of the report (actions apply to it)'),
    receiptsDeletedAt: z.string().nullable().describe('retention deleted the receipt files (their names stay)'),
    temporalUrl: z.string().describe('the run in the Temporal UI'),
  })
  .meta({ id: 'ExportDetail' });

const maybeCents = (f: () => number) => {
  try {
    return centsToDecimalString(f());
  } catch {
    return null;
  }
};

export function exportDetailRoutes(deps: RouteDeps, api: Api): void {
  const { stores, config } = deps;

  /** Names of the given codes of one kind, by normalised code. */
  async function names(kind: MasterDataKind, tenantId: string, codes: (string | null)[]): Promise<Map<string, string>> {
    const wanted = [...new Set(codes.filter((c): c is string => !!c))];
    if (!wanted.length) return new Map();
    return new Map((await stores.masterData.findByCodes(kind, tenantId, wanted)).map((r) => [normalizeCode(r.code), r.name]));
  }

  addRoute(api, {
    method: 'get',
    path: '/api/tenants/:tenantId/expense-reports/:reportId/export/detail',
    access: 'tenant',
    summary: 'An export in full for the admin page: report, lines with account names and receipts, VAT and totals, missing mappings with the field that fixes each, actions, Temporal UI link',
    tags: ['exports'],
    params: reportParams,
    query: z.object({ revision: z.coerce.number().int().min(1).optional() }),
    responses: { 200: { description: 'the export', schema: detailSchema }, ...errors(400, 404) },
    handler: async ({ params, query }) => {
      await requireTenant(stores, params.tenantId);
      const [doc, current] = await Promise.all([
        stores.exports.get(params.tenantId, params.reportId, query.revision),
        query.revision === undefined ? null : stores.exports.get(params.tenantId, params.reportId),
      ]);
      if (!doc) throw notFound(query.revision === undefined ? `export of report ${params.reportId}` : `revision ${query.revision} of the export of report ${params.reportId}`);
      const latest = current ?? doc;
      const [mappings, accountNames, supplierNames, revisions] = await Promise.all([
        stores.mappings.get(params.tenantId),
        names('gl-accounts', params.tenantId, doc.entry?.lines.map((l) => l.account.code) ?? []),
        names('suppliers', params.tenantId, doc.entry?.lines.map((l) => l.supplier?.code ?? null) ?? []),
        stores.exports.listRevisions(params.tenantId, params.reportId),
      ]);
      const base = present(doc, revisions);
      const report = doc.report;
      const receiptsOf = (expenseId: string | null) => {
        const e = report.expenses.find((x) => x.id === expenseId);
        return e?.type === 'receipt' ? e.receipts.map((r) => ({ ...r })) : [];
      };
      const summary = doc.entry ? summarizeEntry(doc.entry) : null;
      const reportTotal = reportTotalCents(report);
      return {
        ...base,
        lines: base.lines.map((l) => ({
          ...l,
          accountName: accountNames.get(normalizeCode(l.accountCode)) ?? null,
          supplierName: l.supplier ? (supplierNames.get(normalizeCode(l.supplier)) ?? null) : null,
          receipts: l.side === 'DEBIT' ? receiptsOf(l.expenseId) : [],
        })),
        missing: doc.missing.map((m) => ({ ...m, mappingField: mappingFieldOfIssue(m, report, mappings?.mappings ?? null) })),
        report: {
          employee: report.employee,
          approvedAt: report.approvedAt,
          currency: report.currency,
          description: report.description,
          expenses: report.expenses.map((e: ExpenseRef) => ({
            id: e.id,
            type: e.type,
            date: e.date,
            description: e.description,
            category: e.category,
            amount: maybeCents(() => computeExpenseAmounts(e, report.currency).grossCents),
            originalAmount: e.type === 'receipt' ? e.amount : null,
            originalCurrency: e.type === 'receipt' ? e.currency : null,
            vatRate: e.type === 'receipt' ? (e.vatRate ?? null) : null,
            costCenter: e.costCenter ?? null,
            costUnit: e.costUnit ?? null,
            merchant: e.type === 'receipt' ? (e.merchant?.name ?? null) : null,
            receipts: e.type === 'receipt' ? e.receipts.map((r) => ({ ...r })) : [],
          })),
        },
        totals: summary
          ? { net: centsToDecimalString(summary.debitNetCents), tax: centsToDecimalString(summary.debitTaxCents), gross: centsToDecimalString(summary.debitGrossCents), currency: report.currency }
          : { net: null, tax: null, gross: reportTotal === null ? null : centsToDecimalString(reportTotal), currency: report.currency },
        vat: (summary?.byVatCode ?? []).map((v) => ({ code: v.code, rate: v.rate, net: centsToDecimalString(v.netCents), tax: centsToDecimalString(v.taxCents), gross: centsToDecimalString(v.grossCents) })),
        // Actions reach the current revision only: an older one is looked at, not acted on.
        actions: doc._id === latest._id ? [...exportActionsFor(doc.status)] : [],
        currentRevision: revisionOf(latest),
        receiptsDeletedAt: doc.receiptsDeletedAt?.toISOString() ?? null,
        temporalUrl: `${config.temporal.uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(doc.workflowId)}`,
      } satisfies z.infer<typeof detailSchema>;
    },
  });
}
