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
  categoryGlAccount,
  centsToDecimalString,
  createMasterDataLookup,
  employeeSupplier,
  exactCostCenter,
  exactCostUnit,
  findVatCodeMapping,
  hasExportReference,
  normalizeName,
  normalizeVatNumber,
  validateReport,
  type JournalEntry,
  type Mappings,
  type ReportCore,
} from '../domain';
import {
  MaesnInvalidRequestError,
  MaesnRateLimitedError,
  MaesnUnauthorizedError,
  type JournalEntryCreateInput,
  type JournalEntryFile,
  type MaesnConnection,
} from '../maesn';
import type { ExportStatus, MissingMapping } from '../store';
import { connectionFor, toActivityFailure, type ActivityDeps } from './common';
import { loadMasterDataFor, toDomainSupplier } from './sync';

/** How far before the first attempt the duplicate lookup starts (clock skew between us and Exact). */
const LOOKUP_MARGIN_MS = 10 * 60_000;

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

  async function loadLookup(tenantId: string, mappings: Mappings, report: ReportCore) {
    const extra = {
      'gl-accounts': report.expenses.map((e) => categoryGlAccount(mappings, e.category)).filter((x): x is string => !!x),
      'vat-codes': report.expenses
        .map((e) => (e.type === 'mileage' ? findVatCodeMapping(mappings, '0') : findVatCodeMapping(mappings, e.vatRate)))
        .filter((x): x is string => !!x),
      'cost-centers': report.expenses.flatMap((e) => (e.costCenter ? [exactCostCenter(mappings, e.costCenter)] : [])),
      'cost-units': report.expenses.flatMap((e) => (e.costUnit ? [exactCostUnit(mappings, e.costUnit)] : [])),
      suppliers: [employeeSupplier(mappings, report.employee.id)].filter((x): x is string => !!x),
    };
    const data = await loadMasterDataFor(deps, tenantId, mappings, extra);
    // Merchants are matched by VAT number, then by name: load the candidates for this report only.
    const merchants = report.expenses.flatMap((e) => (e.type === 'receipt' && e.merchant ? [e.merchant] : []));
    if (merchants.length) {
      const vat = merchants.map((m) => m.vatNumber).filter((v): v is string => !!v).map(normalizeVatNumber);
      const names = merchants.map((m) => normalizeName(m.name));
      const candidates = await stores.masterData
        .collection('suppliers')
        .find({ tenantId, $or: [{ vatNumberNorm: { $in: vat } }, { nameNorm: { $in: names } }] }, { projection: { _id: 0 } })
        .limit(500)
        .toArray();
      const known = new Set((data.suppliers ?? []).map((s) => s.id));
      data.suppliers = [
        ...(data.suppliers ?? []),
        ...candidates.filter((c) => !known.has(c.id)).map(toDomainSupplier),
      ];
    }
    return createMasterDataLookup(data);
  }

  return {
    async setExportStatus({ tenantId, reportId, status, error }: { tenantId: string; reportId: string; status: ExportStatus; error: { message: string; line?: number | null; code?: string | null } | null }): Promise<void> {
      await stores.exports.update(tenantId, reportId, { status, error });
    },

    /** Validates the report against mappings and master data; builds and stores the entry when complete. */
    async prepareExport({ tenantId, reportId }: { tenantId: string; reportId: string }): Promise<{ missing: number; alreadyPosted?: { exactEntryId: string; exactEntryNumber: string } }> {
      const doc = await stores.exports.get(tenantId, reportId);
      if (!doc) throw ApplicationFailure.nonRetryable(`export ${tenantId}/${reportId} not found`, 'ExportNotFound');
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
      const c = await stores.tenants.getConnection(tenantId);
      return { state: c?.state ?? 'disconnected' };
    },

    async postJournalEntry({ tenantId, reportId }: { tenantId: string; reportId: string }): Promise<{ exactEntryId: string; exactEntryNumber: string; postedVia: 'created' | 'adopted' }> {
      const ctx = Context.current();
      const attemptStarted = Date.now();
      const attemptBudgetMs = ctx.info.startToCloseTimeoutMs;
      // The lease outlives this attempt (Temporal may start the next one when the attempt times
      // out, while this process still runs it), so a second attempt cannot overlap a POST.
      const leaseMs = attemptBudgetMs + deps.config.maesn.timeoutMs + 30_000;
      const doc = await stores.exports.acquirePostingLease(tenantId, reportId, leaseMs);
      if (!doc) throw ApplicationFailure.retryable('another attempt is posting this export', 'PostInProgress');
      const release = (set: Record<string, unknown> = {}) => stores.exports.releasePostingLease(tenantId, reportId, set);

      try {
        if (doc.exactEntryId) {
          await release();
          return { exactEntryId: doc.exactEntryId, exactEntryNumber: doc.exactEntryNumber ?? '', postedVia: doc.postedVia ?? 'created' };
        }
        if (!doc.entry) throw ApplicationFailure.nonRetryable('the export has no built entry', 'NotPrepared');
        const { conn, division } = await connectionFor(deps, tenantId);
        if (doc.division && doc.division !== division) {
          const error = { message: `the tenant is now connected to division ${division}, but this export was accepted for division ${doc.division}`, code: 'DivisionChanged' };
          await release({ status: 'rejected', error });
          throw ApplicationFailure.nonRetryable(error.message, 'DivisionChanged');
        }
        const firstAttemptAt = doc.posting?.firstAttemptAt ?? new Date();

        // An earlier attempt may have created the entry: look before posting again.
        if (doc.posting?.outcomeUnknown) {
          const found = await findPostedEntry(conn, reportId, doc.entry.journalCode, new Date(firstAttemptAt.getTime() - LOOKUP_MARGIN_MS), ctx.cancellationSignal);
          if (found) {
            await release({ exactEntryId: found.id, exactEntryNumber: found.number, postedAt: new Date(), postedVia: 'adopted', status: 'posted', error: null, 'posting.outcomeUnknown': false });
            logger.warn({ tenantId, reportId, exactEntryId: found.id }, 'adopted the entry an earlier attempt created');
            return { exactEntryId: found.id, exactEntryNumber: found.number, postedVia: 'adopted' };
          }
        }

        const receipts = await stores.exports.getReceipts(tenantId, reportId, doc.contentHash);
        const files: JournalEntryFile[] = receipts
          .map((r) => ({ r, pos: doc.entry!.expenseLinePositions[r.expenseId] }))
          .filter((x) => x.pos !== undefined)
          .sort((a, b) => a.pos - b.pos || a.r.receiptId.localeCompare(b.r.receiptId))
          // A BSON Binary's buffer can be longer than its content.
          .map(({ r, pos }) => ({ fileName: r.fileName, contentType: r.contentType, data: r.data.buffer.subarray(0, r.data.position), linePosition: pos }));

        // Never start a POST that could still be running when this attempt's time is up.
        if (Date.now() - attemptStarted + deps.config.maesn.timeoutMs + 5_000 > attemptBudgetMs) {
          throw ApplicationFailure.retryable('not enough time left in this attempt to post safely', 'PostDeferred');
        }

        // From here the outcome is unknown until Maesn answers definitely.
        await stores.exports.update(tenantId, reportId, { 'posting.firstAttemptAt': firstAttemptAt, 'posting.outcomeUnknown': true } as never);
        try {
          const res = await conn.createJournalEntry(toMaesnJournalEntry(doc.entry), { files, signal: ctx.cancellationSignal });
          const id = res.data.id ?? '';
          const number = res.data.number ?? '';
          await release({ exactEntryId: id, exactEntryNumber: number, postedAt: new Date(), postedVia: 'created', status: 'posted', error: null, 'posting.outcomeUnknown': false });
          logger.info({ tenantId, reportId, exactEntryId: id, exactEntryNumber: number, division }, 'journal entry posted');
          return { exactEntryId: id, exactEntryNumber: number, postedVia: 'created' };
        } catch (err) {
          if (err instanceof MaesnInvalidRequestError) {
            const first = err.fieldErrors?.[0];
            const error = { message: err.targetMessage ?? err.message, line: first?.line ?? null, code: 'BusinessRejection' };
            await release({ status: 'rejected', error, 'posting.outcomeUnknown': false });
            throw ApplicationFailure.create({ message: error.message, type: 'BusinessRejection', nonRetryable: true, details: [{ line: error.line, fields: err.fieldErrors ?? [] }] });
          }
          if (err instanceof MaesnUnauthorizedError || err instanceof MaesnRateLimitedError) {
            // Refused before anything was created.
            await release({ 'posting.outcomeUnknown': false });
          } else {
            await release();
          }
          throw err;
        }
      } catch (err) {
        // Any other failure: give the lease back so the retry can go ahead.
        await release().catch(() => undefined);
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
