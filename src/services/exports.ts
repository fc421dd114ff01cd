/**
 * Exports of approved reports: accepting a submission (idempotently), starting its workflow,
 * signalling it, and waking the exports of a tenant that wait for something that was fixed.
 *
 * Revisions: the same report submitted again is the same export. Different content is a conflict
 * while the current revision is active or posted; after `cancel` (or a posted export's reversal,
 * `reverseExport`) it becomes the next revision (a correction), with a run of its own. Older
 * revisions stay as they were.
 */
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  base64DecodedSize,
  canonicalJson,
  defaultReceiptId,
  exportReference,
  finalExportStatuses,
  markPostedExportStatuses,
  toReportRef,
  type ExpenseReport,
  type ExpenseReportRef,
  type ExportStatus,
  type IssueReason,
  mayExportAgain,
  reverseJournalEntry,
} from '../domain';
import { exportDocId, revisionOf, type ExportDoc } from '../store';
import { markPostedSignal, searchAttributes, workflowIds, type ExportSignal } from '../workflows/definitions';
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

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const conflict = (doc: ExportDoc) =>
  new ServiceError(
    'conflict',
    'conflict',
    doc.status === 'posted'
      ? `report ${doc.reportId} was already exported with different content (posted as ${doc.exactEntryNumber ?? doc.exactEntryId})`
      : `report ${doc.reportId} was already submitted with different content and its export is ${doc.status}; cancel it (or reverse it once posted) first to export a correction`,
    undefined,
    { exportId: doc._id, status: doc.status, revision: revisionOf(doc) },
  );

function newExportDoc(tenantId: string, report: ExpenseReportRef, revision: number, contentHash: string, division: string | null): ExportDoc {
  const now = new Date();
  const reportId = report.reportId;
  return {
    _id: exportDocId(tenantId, reportId, revision),
    tenantId,
    reportId,
    revision,
    reference: exportReference({ tenantId, reportId, revision }, sha256Hex),
    contentHash,
    report,
    status: 'validating',
    workflowId: workflowIds.export(tenantId, reportId, revision),
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
 * export; different content for an active or posted export is a conflict, and after `cancel` it is
 * the next revision. Receipts are stored first (keyed by content hash, so they never overwrite
 * another submission's), then the export document, then the workflow is started (idempotently).
 */
export async function acceptExport(deps: ServiceDeps, tenantId: string, report: ExpenseReport): Promise<{ doc: ExportDoc; created: boolean }> {
  const { stores, config } = deps;
  const files = decodeReceipts(report, config.exports.maxReceiptBytes);
  if (!(await stores.tenants.get(tenantId))) throw notFound(`tenant ${tenantId}`);

  const contentHash = reportContentHash(report);
  const current = await stores.exports.get(tenantId, report.reportId);
  let result: { doc: ExportDoc; created: boolean };
  if (current && current.contentHash === contentHash) {
    result = { doc: current, created: false };
  } else {
    if (current && !mayExportAgain(current)) throw conflict(current);
    const revision = current ? revisionOf(current) + 1 : 1;
    await stores.exports.putReceipts(tenantId, report.reportId, contentHash, files);
    const division = (await stores.tenants.getConnection(tenantId))?.division ?? null;
    result = await stores.exports.insertOrGet(newExportDoc(tenantId, toReportRef(report), revision, contentHash, division));
    if (!result.created && result.doc.contentHash !== contentHash) {
      // Lost a race against a different submission of the same revision: drop our receipts.
      await stores.exports.deleteReceipts(tenantId, report.reportId, contentHash);
      throw conflict(result.doc);
    }
  }
  await startExportWorkflow(deps, result.doc);
  return result;
}

/**
 * Starts the export revision's workflow, or finds the one that runs (idempotent). A run that
 * ended abnormally (failed, terminated, timed out) can be started again, and carries on from what
 * the export document says; a completed export (posted or cancelled) is never run again.
 */
export async function startExportWorkflow(deps: ServiceDeps, doc: Pick<ExportDoc, 'tenantId' | 'reportId' | 'revision' | 'workflowId' | 'status'>): Promise<void> {
  const { config, temporal } = deps;
  if (finalExportStatuses.includes(doc.status)) return;
  const revision = revisionOf(doc);
  const input: ExportExpenseReportInput = {
    tenantId: doc.tenantId,
    reportId: doc.reportId,
    ...(revision === 1 ? {} : { revision }),
    reminderInterval: config.exports.reminderInterval as never,
    reauthorizationCheckInterval: config.exports.reauthorizationCheckInterval as never,
    settlePeriodMs: config.exports.settlePeriodMs,
    maxUnknownOutcomes: config.exports.maxUnknownOutcomes,
  };
  try {
    await temporal.workflow.start(exportExpenseReport, {
      workflowId: doc.workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [
        { key: searchAttributes.tenantId, value: doc.tenantId },
        { key: searchAttributes.reportId, value: doc.reportId },
        { key: searchAttributes.exportStatus, value: doc.status },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/**
 * Reverses a posted export: the mirror of its entry (sides swapped, text naming the original entry
 * number) becomes the next revision and is posted by that revision's run through the same
 * exactly-once path as any export. Asking again while the reversal runs returns it.
 */
export async function reverseExport(deps: ServiceDeps, tenantId: string, reportId: string): Promise<ExportDoc> {
  const { stores } = deps;
  if (!(await stores.tenants.get(tenantId))) throw notFound(`tenant ${tenantId}`);
  const current = await stores.exports.get(tenantId, reportId);
  if (!current) throw notFound(`export of report ${reportId}`);
  // A reversal that runs is returned; after a cancelled one the original is reversed anew.
  let target: ExportDoc | null = current;
  if (current.reverses !== undefined && current.status === 'cancelled') target = await stores.exports.get(tenantId, reportId, current.reverses);
  else if (current.reverses !== undefined && current.status !== 'reversed') {
    await startExportWorkflow(deps, current);
    return current;
  }
  if (!target || target.status !== 'posted' || !target.entry || !target.exactEntryNumber) {
    throw new ServiceError('conflict', 'not_posted', `the export is ${current.status}; only a posted export can be reversed`, undefined, { exportId: current._id, status: current.status, revision: revisionOf(current) });
  }
  const original = revisionOf(target);
  const revision = revisionOf(current) + 1;
  const reference = exportReference({ tenantId, reportId, revision }, sha256Hex);
  const doc: ExportDoc = {
    // The same report without its receipts: they are attached to the original entry only.
    ...newExportDoc(tenantId, { ...target.report, expenses: target.report.expenses.map((e) => (e.type === 'receipt' ? { ...e, receipts: [] } : e)) }, revision, target.contentHash, target.division),
    entry: reverseJournalEntry(target.entry, { reference, originalEntryNumber: target.exactEntryNumber }),
    reverses: original,
  };
  const result = await stores.exports.insertOrGet(doc);
  if (!result.created && result.doc.reverses !== original) throw conflict(result.doc);
  await startExportWorkflow(deps, result.doc);
  return result.doc;
}

/** Statuses in which a person may name the Exact entry of an export (mark-posted). */
export const MARK_POSTED_STATUSES: readonly ExportStatus[] = markPostedExportStatuses;

/** Sends a signal to an export's workflow; a finished export is a conflict. */
export async function signalExport(deps: ServiceDeps, doc: ExportDoc, signal: ExportSignal): Promise<void> {
  if (finalExportStatuses.includes(doc.status)) throw new ServiceError('conflict', 'export_finished', `the export is ${doc.status}`);
  await sendSignal(deps, doc, (h) => h.signal(signal));
}

/** A person found the export's entry in Exact: the workflow verifies it (when it can) and adopts it. */
export async function markExportPosted(deps: ServiceDeps, doc: ExportDoc, exactEntryId: string): Promise<void> {
  if (!MARK_POSTED_STATUSES.includes(doc.status)) {
    throw new ServiceError('conflict', 'not_waiting', `the export is ${doc.status}; an entry can be marked only while it waits (${MARK_POSTED_STATUSES.join(', ')})`);
  }
  await sendSignal(deps, doc, (h) => h.signal(markPostedSignal, { exactEntryId }));
}

async function sendSignal(deps: ServiceDeps, doc: ExportDoc, send: (h: ReturnType<Client['workflow']['getHandle']>) => Promise<void>): Promise<void> {
  try {
    await send(deps.temporal.workflow.getHandle(doc.workflowId));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new ServiceError('conflict', 'export_finished', 'the export run has ended');
    throw err;
  }
}

/** Signals every export of the tenant in one of `statuses`; returns how many got it (failures are logged). */
export async function wakeExports(
  deps: Pick<ServiceDeps, 'stores' | 'temporal' | 'logger'>,
  tenantId: string,
  statuses: ExportStatus[],
  signal: ExportSignal,
  opts: { missingReason?: IssueReason } = {},
): Promise<number> {
  const ids = await deps.stores.exports.workflowIdsWithStatus(tenantId, statuses, opts);
  const results = await Promise.allSettled(ids.map((id) => deps.temporal.workflow.getHandle(id).signal(signal)));
  results.forEach((r, i) => {
    if (r.status === 'rejected') deps.logger.warn({ err: r.reason, workflowId: ids[i], signal: signal.name }, 'could not signal export');
  });
  return results.filter((r) => r.status === 'fulfilled').length;
}
