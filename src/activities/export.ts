/**
 * Export activities: validate and build the entry (domain), record statuses, and post at most once
 * (export-posting.ts). Inputs name one export revision (`ExportRef`); runs started before revisions
 * existed send none, which is revision 1.
 */
import { ApplicationFailure } from '@temporalio/activity';
import {
  DEFAULT_TENANT_SETTINGS,
  DomainError,
  MoneyError,
  buildJournalEntry,
  checkEntryInvariants,
  isMappingFixable,
  mayRebuildEntry,
  validateReport,
  type ExportRef,
  type ExportStatus,
  type ReportCore,
} from '../domain';
import { isOutcomeOpen, type ExportDoc, type MissingMapping } from '../store';
import { FailureType } from '../workflows/failures';
import type { ActivityDeps } from './common';
import { loadLookup } from './export-entry';
import { createPostingActivities } from './export-posting';

export { toMaesnJournalEntry } from './export-entry';
export type { LookupResult, MarkPostedResult, Posted } from './export-posting';

/** An activity input naming an export: revision 1 when absent (runs started before revisions). */
type RefInput = Omit<ExportRef, 'revision'> & { revision?: number };
const refOf = (i: RefInput): ExportRef => ({ tenantId: i.tenantId, reportId: i.reportId, revision: i.revision ?? 1 });

export interface PrepareResult {
  /** Problems a mapping (or a fix in Exact's master data) can solve; 0 when the entry is built. */
  missing: number;
  alreadyPosted?: { exactEntryId: string; exactEntryNumber: string };
  /** The report's content cannot be booked, whatever the mappings: why. */
  unfixable?: string;
  /** An earlier POST's outcome is open: it must be resolved before anything else. */
  outcomeOpen?: boolean;
}

export interface PostingStateResult {
  status: ExportStatus;
  exactEntryId: string | null;
  exactEntryNumber: string | null;
  postedVia: 'created' | 'adopted' | 'marked' | null;
  outcomeOpen: boolean;
  /** Epoch ms of the last POST sent, or null. */
  lastAttemptAt: number | null;
  unknownOutcomes: number;
}

const toMissing = (issues: { expenseId: string | null; field: string; value: string; reason: string; message: string }[]): MissingMapping[] =>
  issues.map((x) => ({ expenseId: x.expenseId, field: x.field, value: x.value, reason: x.reason, message: x.message }));

export function createExportActivities(deps: ActivityDeps) {
  const { stores, logger } = deps;

  async function requireDoc(ref: ExportRef): Promise<ExportDoc> {
    const doc = await stores.exports.getRevision(ref);
    if (!doc) throw ApplicationFailure.nonRetryable(`export ${ref.tenantId}/${ref.reportId} (revision ${ref.revision}) not found`, FailureType.exportNotFound);
    return doc;
  }

  return {
    ...createPostingActivities(deps),

    /** Records the status the workflow is in; `needs_review` with the reason a person reads. */
    async setExportStatus(input: RefInput & { status: ExportStatus; error: { message: string; line?: number | null; code?: string | null } | null }): Promise<void> {
      const ref = refOf(input);
      if (input.status === 'needs_review') await stores.exports.recordNeedsReview(ref, input.error?.message ?? 'a person must look at this export');
      else await stores.exports.update(ref, { status: input.status, error: input.error, ...(input.status === 'posted' ? {} : { review: null }) });
    },

    /**
     * Validates the report against mappings and master data and builds the entry. An entry that is
     * frozen (a POST was sent) is kept as it is, unless the last answer was a definite rejection.
     * Records the outcome's status with it: `posting` (ready), `rejected` (unfixable); missing
     * mappings are recorded with the problems, and the workflow's waiting phase records its status.
     */
    async prepareExport(input: RefInput): Promise<PrepareResult> {
      const ref = refOf(input);
      const doc = await requireDoc(ref);
      if (doc.exactEntryId) return { missing: 0, alreadyPosted: { exactEntryId: doc.exactEntryId, exactEntryNumber: doc.exactEntryNumber ?? '' } };
      const outcomeOpen = isOutcomeOpen(doc);
      if (outcomeOpen) return { missing: 0, outcomeOpen };
      const ready = async (): Promise<PrepareResult> => {
        await stores.exports.update(ref, { status: 'posting', error: null, review: null });
        return { missing: 0 };
      };
      const unbookable = async (reason: string, missing: MissingMapping[]): Promise<PrepareResult> => {
        await stores.exports.update(ref, { status: 'rejected', error: { message: reason }, review: null, missing, entry: null });
        return { missing: missing.length, unfixable: reason };
      };
      // A reversal posts the mirror built when it was asked for: never rebuilt from the report.
      if (doc.reverses !== undefined) {
        if (doc.entry) return ready();
        await stores.exports.update(ref, { status: 'rejected', error: { message: 'the reversal has no entry to post' }, review: null });
        return { missing: 0, unfixable: 'the reversal has no entry to post' };
      }
      const frozen = !!doc.posting?.frozenAt;
      if (doc.entry && !mayRebuildEntry({ frozen, status: doc.status, outcomeOpen })) return ready();

      const m = await stores.mappings.get(ref.tenantId);
      if (!m) {
        const missing: MissingMapping[] = [{ expenseId: null, field: 'mappings', value: '', reason: 'not_mapped', message: 'the tenant has no mappings yet' }];
        await stores.exports.update(ref, { missing, entry: null });
        return { missing: missing.length };
      }
      // The stored report carries receipt references; validation and building need only the core.
      const report = doc.report as unknown as ReportCore;
      const lookup = await loadLookup(stores, ref.tenantId, m.mappings, report);
      const settings = (await stores.tenants.getSettings(ref.tenantId)) ?? DEFAULT_TENANT_SETTINGS;
      const v = validateReport(report, m.mappings, lookup, settings);
      const unfixable = v.missing.filter((i) => !isMappingFixable(i));
      if (unfixable.length > 0) {
        return unbookable(`the report cannot be booked: ${unfixable.map((i) => `${i.expenseId ?? 'report'} ${i.field} ${i.value}: ${i.message}`).join('; ')}`, toMissing(v.missing));
      }
      if (!v.ok) {
        await stores.exports.update(ref, { missing: toMissing(v.missing), entry: null });
        return { missing: v.missing.length };
      }
      try {
        const entry = buildJournalEntry(report, m.mappings, lookup, doc.reference ?? undefined, settings);
        const broken = checkEntryInvariants(entry);
        if (broken.length) throw new DomainError(`the entry breaks its invariants: ${broken.join('; ')}`);
        // A rebuild after a definite rejection: the new entry is frozen again at its first POST.
        await stores.exports.update(ref, { status: 'posting', error: null, review: null, missing: [], entry, ...(frozen ? { 'posting.frozenAt': null } : {}) });
        return { missing: 0 };
      } catch (err) {
        if (!(err instanceof DomainError || err instanceof MoneyError)) throw err;
        logger.warn({ ...ref, err: err.message }, 'the entry cannot be built');
        return unbookable(`the entry cannot be built: ${err.message}`, []);
      }
    },

    async remindMissingMappings(input: RefInput & { reminders: number }): Promise<void> {
      const doc = await stores.exports.getRevision(refOf(input));
      logger.warn({ ...refOf(input), reminders: input.reminders, missing: doc?.missing ?? [] }, 'export is waiting for mappings');
    },

    async connectionState({ tenantId }: { tenantId: string }): Promise<{ state: string }> {
      const c = await stores.tenants.getConnection(tenantId);
      return { state: c?.state ?? 'disconnected' };
    },

    /** What the export document says about posting (after a cancelled attempt, after continue-as-new). */
    async postingState(input: RefInput): Promise<PostingStateResult> {
      const doc = await requireDoc(refOf(input));
      return {
        status: doc.status,
        exactEntryId: doc.exactEntryId,
        exactEntryNumber: doc.exactEntryNumber,
        postedVia: doc.postedVia ?? null,
        outcomeOpen: isOutcomeOpen(doc),
        lastAttemptAt: doc.posting?.lastAttemptAt?.getTime() ?? null,
        unknownOutcomes: doc.posting?.unknownOutcomes ?? 0,
      };
    },
  };
}

export type ExportActivities = ReturnType<typeof createExportActivities>;
