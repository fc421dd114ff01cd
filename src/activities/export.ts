/**
 * Export activities: validate and build (domain), post at most once, record the Exact entry.
 *
 * At-most-once posting, whatever fails:
 *  - a lease on the export document keeps two attempts from calling Maesn at the same time;
 *  - before the POST the export is flagged `outcomeUnknown`; only a definite answer clears it
 *    (success, a 4xx business rejection, 401, 429 — none of which created an entry);
 *  - an attempt that finds the flag set first looks in Exact for an entry carrying this report's
 *    reference (journal entries modified since just before the first attempt) and adopts it.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  buildJournalEntry,
  centsToDecimalString,
  createMasterDataLookup,
  hasExportReference,
  normalizeName,
  normalizeVatNumber,
  planAttachments,
  reportCodes,
  toMasterData,
  validateReport,
  type ExportStatus,
  type JournalEntry,
  type Mappings,
  type ReportCore,
  type ReportRef,
} from '../domain';
import {
  MaesnInvalidRequestError,
  MaesnRateLimitedError,
  MaesnUnauthorizedError,
  type JournalEntryCreateInput,
  type JournalEntryFile,
  type MaesnConnection,
} from '../maesn';
import { loadMasterDataFor } from '../services';
import { connectionStateOf, type ExportDoc, type MissingMapping } from '../store';
import { FailureType } from '../workflows/failures';
import { connectionFor, toActivityFailure, type ActivityDeps } from './common';

/** How far before the first attempt the duplicate lookup starts (clock skew between us and Exact). */
const LOOKUP_MARGIN_MS = 10 * 60_000;

type PostedVia = 'created' | 'adopted';
interface Posted {
  exactEntryId: string;
  exactEntryNumber: string;
  postedVia: PostedVia;
}

export function toMaesnJournalEntry(entry: JournalEntry): JournalEntryCreateInput {
  return {
    journalCode: entry.journalCode,
    transactionDate: entry.transactionDate,
    accountingPeriodId: entry.accountingPeriodId,
    currency: entry.currency,
    description: entry.description,
    journalLineItems: entry.lines.map((l) => ({
      accountId: l.account.id,
      accountCode: l.account.code,
      debitCreditIndicator: l.side,
      description: l.description,
      currency: entry.currency,
      totalNetAmount: centsToDecimalString(l.netCents),
      totalTaxAmount: centsToDecimalString(l.taxCents),
      totalGrossAmount: centsToDecimalString(l.grossCents),
      ...(l.vatCode ? { taxRate: { code: l.vatCode.code, taxRatePercentage: l.vatCode.rate === 'exempt' ? '0' : l.vatCode.rate } } : {}),
      ...(l.dimensions.length ? { dimensions: l.dimensions.map((d) => ({ categoryName: d.categoryName, code: d.code })) } : {}),
      ...(l.supplier ? { supplierId: l.supplier.id } : {}),
    })),
  };
}

export function createExportActivities(deps: ActivityDeps) {
  const { stores, logger } = deps;

  /** The master data this report and the mappings refer to, plus the suppliers its merchants may match. */
  async function loadLookup(tenantId: string, mappings: Mappings, report: ReportCore) {
    const data = await loadMasterDataFor(stores, tenantId, mappings, reportCodes(report, mappings));
    // Merchants are matched by VAT number, then by name: load the candidates for this report only.
    const merchants = report.expenses.flatMap((e) => (e.type === 'receipt' && e.merchant ? [e.merchant] : []));
    if (merchants.length) {
      const candidates = await stores.masterData.findSupplierCandidates(tenantId, {
        vatNumbersNorm: merchants.map((m) => m.vatNumber).filter((v): v is string => !!v).map(normalizeVatNumber),
        namesNorm: merchants.map((m) => normalizeName(m.name)),
      });
      const known = new Set((data.suppliers ?? []).map((s) => s.id));
      const more = toMasterData({ suppliers: candidates.filter((c) => !known.has(c.id)) }).suppliers ?? [];
      data.suppliers = [...(data.suppliers ?? []), ...more];
    }
    return createMasterDataLookup(data);
  }

  /** The receipts to attach, in line order, with the line each belongs to. */
  async function receiptFiles(doc: ExportDoc, entry: JournalEntry): Promise<JournalEntryFile[]> {
    const stored = new Map((await stores.exports.getReceipts(doc.tenantId, doc.reportId, doc.contentHash)).map((r) => [r.receiptId, r]));
    return planAttachments(entry, doc.report as ReportRef).flatMap((a) => {
      const r = stored.get(a.receiptId);
      // A BSON Binary's buffer can be longer than its content.
      return r ? [{ fileName: r.fileName, contentType: r.contentType, data: r.data.buffer.subarray(0, r.data.position), linePosition: a.linePosition }] : [];
    });
  }

  /** Posting is refused before any call: the tenant reconnected to another division. */
  async function refuseDivisionChange(doc: ExportDoc, division: string): Promise<never> {
    const error = { message: `the tenant is now connected to division ${division}, but this export was accepted for division ${doc.division}`, code: FailureType.divisionChanged };
    // Nothing was posted by this attempt, but an earlier attempt's unknown outcome stays unknown.
    await stores.exports.recordRejected(doc.tenantId, doc.reportId, error, { nothingPosted: false });
    throw ApplicationFailure.nonRetryable(error.message, FailureType.divisionChanged);
  }

  /** An earlier attempt may have created the entry: look before posting again. */
  async function adoptEarlierEntry(doc: ExportDoc, entry: JournalEntry, conn: MaesnConnection, firstAttemptAt: Date, signal: AbortSignal): Promise<Posted | null> {
    if (!doc.posting?.outcomeUnknown) return null;
    const found = await findPostedEntry(conn, doc.reportId, entry.journalCode, new Date(firstAttemptAt.getTime() - LOOKUP_MARGIN_MS), signal);
    if (!found) return null;
    await stores.exports.recordPosted(doc.tenantId, doc.reportId, { id: found.id, number: found.number, via: 'adopted' });
    logger.warn({ tenantId: doc.tenantId, reportId: doc.reportId, exactEntryId: found.id }, 'adopted the entry an earlier attempt created');
    return { exactEntryId: found.id, exactEntryNumber: found.number, postedVia: 'adopted' };
  }

  /** The POST itself; every answer is recorded before this returns or throws. */
  async function createEntry(doc: ExportDoc, entry: JournalEntry, conn: MaesnConnection, files: JournalEntryFile[], firstAttemptAt: Date, signal: AbortSignal): Promise<Posted> {
    const { tenantId, reportId } = doc;
    // From here the outcome is unknown until Maesn answers definitely.
    await stores.exports.markOutcomeUnknown(tenantId, reportId, firstAttemptAt);
    try {
      const res = await conn.createJournalEntry(toMaesnJournalEntry(entry), { files, signal });
      const posted = { id: res.data.id ?? '', number: res.data.number ?? '', via: 'created' as const };
      await stores.exports.recordPosted(tenantId, reportId, posted);
      logger.info({ tenantId, reportId, exactEntryId: posted.id, exactEntryNumber: posted.number, division: doc.division }, 'journal entry posted');
      return { exactEntryId: posted.id, exactEntryNumber: posted.number, postedVia: 'created' };
    } catch (err) {
      if (err instanceof MaesnInvalidRequestError) {
        const first = err.fieldErrors?.[0];
        const error = { message: err.targetMessage ?? err.message, line: first?.line ?? null, code: FailureType.businessRejection };
        await stores.exports.recordRejected(tenantId, reportId, error, { nothingPosted: true });
        throw ApplicationFailure.create({ message: error.message, type: FailureType.businessRejection, nonRetryable: true, details: [{ line: error.line, fields: err.fieldErrors ?? [] }] });
      }
      // Refused before anything was created.
      if (err instanceof MaesnUnauthorizedError || err instanceof MaesnRateLimitedError) await stores.exports.markNothingPosted(tenantId, reportId);
      throw err;
    }
  }

  return {
    async setExportStatus({ tenantId, reportId, status, error }: { tenantId: string; reportId: string; status: ExportStatus; error: { message: string; line?: number | null; code?: string | null } | null }): Promise<void> {
      await stores.exports.update(tenantId, reportId, { status, error });
    },

    /** Validates the report against mappings and master data; builds and stores the entry when complete. */
    async prepareExport({ tenantId, reportId }: { tenantId: string; reportId: string }): Promise<{ missing: number; alreadyPosted?: { exactEntryId: string; exactEntryNumber: string } }> {
      const doc = await stores.exports.get(tenantId, reportId);
      if (!doc) throw ApplicationFailure.nonRetryable(`export ${tenantId}/${reportId} not found`, FailureType.exportNotFound);
      if (doc.exactEntryId) return { missing: 0, alreadyPosted: { exactEntryId: doc.exactEntryId, exactEntryNumber: doc.exactEntryNumber ?? '' } };
      const m = await stores.mappings.get(tenantId);
      if (!m) {
        const missing: MissingMapping[] = [{ expenseId: null, field: 'mappings', value: '', reason: 'not_mapped', message: 'the tenant has no mappings yet' }];
        await stores.exports.update(tenantId, reportId, { missing, entry: null });
        return { missing: missing.length };
      }
      // The stored report carries receipt references; validation and building need only the core.
      const report = doc.report as unknown as ReportCore;
      const lookup = await loadLookup(tenantId, m.mappings, report);
      const v = validateReport(report, m.mappings, lookup);
      if (!v.ok) {
        const missing = v.missing.map((x) => ({ expenseId: x.expenseId, field: x.field, value: x.value, reason: x.reason, message: x.message }));
        await stores.exports.update(tenantId, reportId, { missing, entry: null });
        return { missing: missing.length };
      }
      const entry = buildJournalEntry(report, m.mappings, lookup);
      await stores.exports.update(tenantId, reportId, { missing: [], entry });
      return { missing: 0 };
    },

    async remindMissingMappings({ tenantId, reportId, reminders }: { tenantId: string; reportId: string; reminders: number }): Promise<void> {
      const doc = await stores.exports.get(tenantId, reportId);
      logger.warn({ tenantId, reportId, reminders, missing: doc?.missing ?? [] }, 'export is waiting for mappings');
    },

    async connectionState({ tenantId }: { tenantId: string }): Promise<{ state: string }> {
      // Access (issue 10): `division_change_pending` while a switch of division awaits confirmation.
      return { state: connectionStateOf(await stores.tenants.getConnection(tenantId)) };
    },

    /** Posts the built entry at most once: lease, division check, lookup of an earlier attempt's entry, POST. */
    async postJournalEntry({ tenantId, reportId }: { tenantId: string; reportId: string }): Promise<Posted> {
      const ctx = Context.current();
      const attemptStarted = Date.now();
      const attemptBudgetMs = ctx.info.startToCloseTimeoutMs;
      // The lease outlives this attempt (Temporal may start the next one when the attempt times
      // out, while this process still runs it), so a second attempt cannot overlap a POST.
      const leaseMs = attemptBudgetMs + deps.config.maesn.timeoutMs + 30_000;
      const doc = await stores.exports.acquirePostingLease(tenantId, reportId, leaseMs);
      if (!doc) throw ApplicationFailure.retryable('another attempt is posting this export', FailureType.postInProgress);

      try {
        if (doc.exactEntryId) {
          await stores.exports.releasePostingLease(tenantId, reportId);
          return { exactEntryId: doc.exactEntryId, exactEntryNumber: doc.exactEntryNumber ?? '', postedVia: doc.postedVia ?? 'created' };
        }
        const entry = doc.entry;
        if (!entry) throw ApplicationFailure.nonRetryable('the export has no built entry', FailureType.notPrepared);
        // Access (issue 10): a pending division change makes the export wait (connectionFor refuses it).
        const { conn, division } = await connectionFor(deps, tenantId, { forPosting: true });
        if (doc.division && doc.division !== division) await refuseDivisionChange(doc, division);
        const firstAttemptAt = doc.posting?.firstAttemptAt ?? new Date();

        const adopted = await adoptEarlierEntry(doc, entry, conn, firstAttemptAt, ctx.cancellationSignal);
        if (adopted) return adopted;

        const files = await receiptFiles(doc, entry);
        // Never start a POST that could still be running when this attempt's time is up.
        if (Date.now() - attemptStarted + deps.config.maesn.timeoutMs + 5_000 > attemptBudgetMs) {
          throw ApplicationFailure.retryable('not enough time left in this attempt to post safely', FailureType.postDeferred);
        }
        return await createEntry(doc, entry, conn, files, firstAttemptAt, ctx.cancellationSignal);
      } catch (err) {
        // Any other failure: give the lease back so the retry can go ahead.
        await stores.exports.releasePostingLease(tenantId, reportId).catch(() => undefined);
        throw toActivityFailure(err);
      }
    },
  };
}

/** Finds an entry carrying this report's reference among journal entries modified since `since`. */
async function findPostedEntry(conn: MaesnConnection, reportId: string, journalCode: string, since: Date, signal: AbortSignal): Promise<{ id: string; number: string } | null> {
  for await (const page of conn.listAll('journalEntries', { limit: 100, lastModifiedAt: since, signal })) {
    for (const e of page.items) {
      if (e.id && hasExportReference(e.description, reportId) && (!e.journalCode || e.journalCode === journalCode)) {
        return { id: e.id, number: e.number ?? '' };
      }
    }
  }
  return null;
}

export type ExportActivities = ReturnType<typeof createExportActivities>;
