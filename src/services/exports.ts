/**
 * Exports of approved reports: accepting a submission (idempotently), starting its workflow,
 * signalling it, and waking the exports of a tenant that wait for something that was fixed.
 */
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import {
  base64DecodedSize,
  canonicalJson,
  defaultReceiptId,
  finalExportStatuses,
  toReportRef,
  type ExpenseReport,
  type ExportStatus,
} from '../domain';
import { exportId, type ExportDoc } from '../store';
import { searchAttributes, workflowIds, type ExportSignal } from '../workflows/definitions';
import { exportExpenseReport, type ExportExpenseReportInput } from '../workflows/export';
import type { ServiceDeps } from './deps';
import { ServiceError, notFound } from './errors';

interface ReceiptFile {
  receiptId: string;
  expenseId: string;
  fileName: string;
  contentType: string;
  data: Buffer;
}

/** The receipts of a report, decoded; a receipt over the size limit is refused (naming it). */
export function decodeReceipts(report: ExpenseReport, maxReceiptBytes: number): ReceiptFile[] {
  const files: ReceiptFile[] = [];
  report.expenses.forEach((e, ei) => {
    if (e.type !== 'receipt') return;
    e.receipts.forEach((r, ri) => {
      const size = base64DecodedSize(r.contentBase64);
      if (size > maxReceiptBytes) {
        throw new ServiceError(
          'too_large',
          'receipt_too_large',
          `receipt ${r.fileName} is ${size} bytes; the limit is ${maxReceiptBytes} bytes`,
          [{ path: `body.expenses.${ei}.receipts.${ri}.contentBase64`, message: `larger than ${maxReceiptBytes} bytes` }],
          { limitBytes: maxReceiptBytes },
        );
      }
      files.push({ receiptId: defaultReceiptId(e.id, ri), expenseId: e.id, fileName: r.fileName, contentType: r.contentType, data: Buffer.from(r.contentBase64, 'base64') });
    });
  });
  return files;
}

/** The hash that tells a resubmission of the same report from a different one. */
export function reportContentHash(report: ExpenseReport): string {
  return createHash('sha256').update(canonicalJson(report)).digest('hex');
}

const conflict = (doc: ExportDoc) =>
  new ServiceError('conflict', 'conflict', `report ${doc.reportId} was already submitted with different content`, undefined, { exportId: doc._id, status: doc.status });

function newExportDoc(tenantId: string, report: ExpenseReport, contentHash: string, division: string | null): ExportDoc {
  const now = new Date();
  return {
    _id: exportId(tenantId, report.reportId),
    tenantId,
    reportId: report.reportId,
    contentHash,
    report: toReportRef(report),
    status: 'validating',
    workflowId: workflowIds.export(tenantId, report.reportId),
    division,
    missing: [],
    entry: null,
    exactEntryId: null,
    exactEntryNumber: null,
    postedAt: null,
    error: null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Accepts an approved report: the same report submitted again (even concurrently) is the same
 * export; different content for an existing report is a conflict. Receipts are stored first
 * (keyed by content hash, so they never overwrite another submission's), then the export
 * document, then the workflow is started (idempotently).
 */
export async function acceptExport(deps: ServiceDeps, tenantId: string, report: ExpenseReport): Promise<{ doc: ExportDoc; created: boolean }> {
  const { stores, config } = deps;
  const files = decodeReceipts(report, config.exports.maxReceiptBytes);
  if (!(await stores.tenants.get(tenantId))) throw notFound(`tenant ${tenantId}`);

  const contentHash = reportContentHash(report);
  const existing = await stores.exports.get(tenantId, report.reportId);
  if (existing && existing.contentHash !== contentHash) throw conflict(existing);

  let result: { doc: ExportDoc; created: boolean } = { doc: existing!, created: false };
  if (!existing) {
    await stores.exports.putReceipts(tenantId, report.reportId, contentHash, files);
    const division = (await stores.tenants.getConnection(tenantId))?.division ?? null;
    result = await stores.exports.insertOrGet(newExportDoc(tenantId, report, contentHash, division));
    if (!result.created && result.doc.contentHash !== contentHash) {
      // Lost a race against a different submission of the same report: drop our receipts.
      await stores.exports.deleteReceipts(tenantId, report.reportId, contentHash);
      throw conflict(result.doc);
    }
  }
  await startExportWorkflow(deps, tenantId, report.reportId);
  return result;
}

/** Starts the export's workflow, or finds the one that runs (idempotent). */
export async function startExportWorkflow(deps: ServiceDeps, tenantId: string, reportId: string): Promise<void> {
  const { config, temporal } = deps;
  const input: ExportExpenseReportInput = {
    tenantId,
    reportId,
    reminderInterval: config.exports.reminderInterval as never,
    reauthorizationCheckInterval: config.exports.reauthorizationCheckInterval as never,
  };
  try {
    await temporal.workflow.start(exportExpenseReport, {
      workflowId: workflowIds.export(tenantId, reportId),
      taskQueue: config.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A finished export (posted or cancelled) is never run again for the same report.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: searchAttributes.tenantId, value: tenantId },
        { key: searchAttributes.reportId, value: reportId },
        { key: searchAttributes.exportStatus, value: 'validating' },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** Sends a signal to an export's workflow; a finished export is a conflict. */
export async function signalExport(deps: ServiceDeps, doc: ExportDoc, signal: ExportSignal): Promise<void> {
  if (finalExportStatuses.includes(doc.status)) throw new ServiceError('conflict', 'export_finished', `the export is ${doc.status}`);
  try {
    await deps.temporal.workflow.getHandle(doc.workflowId).signal(signal);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new ServiceError('conflict', 'export_finished', 'the export run has ended');
    throw err;
  }
}

/** Signals every export of the tenant in one of `statuses`; returns how many got it (failures are logged). */
export async function wakeExports(deps: Pick<ServiceDeps, 'stores' | 'temporal' | 'logger'>, tenantId: string, statuses: ExportStatus[], signal: ExportSignal): Promise<number> {
  const ids = await deps.stores.exports.workflowIdsWithStatus(tenantId, statuses);
  const results = await Promise.allSettled(ids.map((id) => deps.temporal.workflow.getHandle(id).signal(signal)));
  results.forEach((r, i) => {
    if (r.status === 'rejected') deps.logger.warn({ err: r.reason, workflowId: ids[i], signal: signal.name }, 'could not signal export');
  });
  return results.filter((r) => r.status === 'fulfilled').length;
}
