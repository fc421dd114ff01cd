/**
 * Journal entries: list (fiscalYear) and one by id, `POST /accounting/journalEntries` (multipart:
 * `journal_entry` JSON, `files`, `filesPos`; Exact's rules in ../journal-entries.ts; no
 * idempotency, as in Exact) and `POST …/{id}/Attachments`.
 *
 * An entry stored by a `commitFirst` fault with `commitDelayMs` is invisible to both GETs until
 * the delay has passed; with `visibilityLagMs` it is missing from list results for that long.
 */
import { createHash } from 'node:crypto';
// `Express.Multer.File` is the global namespace that multer's types extend, so the app type is renamed.
import type { Express as App } from 'express';
import multer from 'multer';
import { q } from '../context';
import { itemEnvelope, notFound, SandboxHttpError } from '../http-errors';
import { randomGuid } from '../ids';
import { flattenFilesPos, type IncomingFile } from '../entry-input';
import { createJournalEntry } from '../journal-entries';
import { listResponse } from '../listing';
import { divisionEntryDto, journalEntryRaw } from '../mapping';
import type { RouteDeps } from '../pipeline';
import type { StoredJournalEntry } from '../types';

const toIncoming = (f: Express.Multer.File): IncomingFile => ({
  name: f.originalname,
  contentType: f.mimetype,
  size: f.size,
  sha256: createHash('sha256').update(f.buffer).digest('hex'),
});

export function registerJournalEntryRoutes(app: App, { ctx, pipeline }: RouteDeps): void {
  const { clock, logger } = ctx;
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: 38 * 1024 * 1024, files: 100, fields: 500, fieldSize: 10 * 1024 * 1024 },
  });

  const visible = (e: StoredJournalEntry, now: string): boolean => !e.visibleAfter || e.visibleAfter <= now;
  const listed = (e: StoredJournalEntry, now: string): boolean => visible(e, now) && (!e.listedAfter || e.listedAfter <= now);

  app.get('/accounting/journalEntries', ...pipeline.api('getJournalEntries', (req, res, { division }) => {
    const fy = q(req, 'fiscalYear');
    const now = clock.wall().toISOString();
    const items = division.entries.filter((e) => listed(e, now) && (!fy || e.accountingPeriodId.startsWith(`${fy}-`)));
    listResponse(req, res, items, (e) => divisionEntryDto(division, e), journalEntryRaw);
  }));

  app.get('/accounting/journalEntries/:journalEntryId', ...pipeline.api('getJournalEntry', (req, res, { division }) => {
    const e = division.entriesById.get(String(req.params.journalEntryId));
    const jc = q(req, 'journalCode');
    if (!e || !visible(e, clock.wall().toISOString()) || (jc && e.journalCode !== jc)) throw notFound(`Journal entry ${String(req.params.journalEntryId)} not found`);
    res.status(200).json(itemEnvelope(divisionEntryDto(division, e), q(req, 'rawData') === 'true' ? { d: journalEntryRaw(e) } : null));
  }));

  app.post('/accounting/journalEntries', ...pipeline.api('createJournalEntry', (req, res, call) => {
    const files = (Array.isArray(req.files) ? req.files : []) as Express.Multer.File[];
    const body = (req.body ?? {}) as Record<string, unknown>;
    let jeRaw: unknown = body.journal_entry;
    const jeFile = files.find((f) => f.fieldname === 'journal_entry');
    if (jeRaw === undefined && jeFile) jeRaw = jeFile.buffer.toString('utf8');
    if (Array.isArray(jeRaw)) jeRaw = jeRaw[0];
    if (typeof jeRaw !== 'string' || jeRaw.trim() === '') {
      throw new SandboxHttpError(400, 'VALIDATION_FAILED', 'Mandatory: journal_entry (multipart part with the entry as JSON)', [
        { code: 'MANDATORY', message: 'Mandatory: journal_entry', field: 'journal_entry' },
      ]);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(jeRaw);
    } catch {
      throw new SandboxHttpError(400, 'VALIDATION_FAILED', 'journal_entry is not valid JSON', [{ code: 'INVALID', message: 'Invalid: journal_entry is not valid JSON', field: 'journal_entry' }]);
    }
    const uploads = files.filter((f) => f.fieldname === 'files' || f.fieldname === 'files[]');
    const filesPos = flattenFilesPos(body.filesPos ?? body['filesPos[]']);
    const nowIso = clock.iso();
    const entry = createJournalEntry(call.division, { journalEntry: parsed, files: uploads.map(toIncoming), filesPos }, nowIso, clock.wall());
    logger.info({ division: call.division.info.code, entryNumber: entry.entryNumber, journal: entry.journalCode }, 'sandbox journal entry created');
    const answer = (): void => void res.status(201).json(itemEnvelope(divisionEntryDto(call.division, entry)));
    const f = ctx.faults.take('createJournalEntry', call.division.info.code, true);
    if (!f) return answer();
    const at = (ms: number | undefined) => (ms ? new Date(clock.wall().getTime() + ms).toISOString() : undefined);
    entry.visibleAfter = at(f.commitDelayMs);
    entry.listedAfter = at(f.visibilityLagMs);
    if (entry.visibleAfter || entry.listedAfter) call.division.persistEntry(entry);
    return pipeline.applyFault(f, req, res, answer);
  }, { body: upload.any() }));

  app.post('/accounting/journalEntries/:journalEntryId/Attachments', ...pipeline.api('createJournalEntryAttachments', (req, res, { division }) => {
    const e = division.entriesById.get(String(req.params.journalEntryId));
    if (!e) throw notFound(`Journal entry ${String(req.params.journalEntryId)} not found`);
    const files = ((Array.isArray(req.files) ? req.files : []) as Express.Multer.File[]).filter((f) => f.fieldname === 'file' || f.fieldname === 'files');
    if (files.length === 0) {
      throw new SandboxHttpError(400, 'VALIDATION_FAILED', 'Mandatory: file', [{ code: 'MANDATORY', message: 'Mandatory: file (multipart part)', field: 'file' }]);
    }
    const nowIso = clock.iso();
    for (const f of files) e.files.push({ id: randomGuid(), ...toIncoming(f), linePosition: null, createdDate: nowIso });
    e.documentId ??= randomGuid();
    e.updatedDate = nowIso;
    division.persistEntry(e);
    res.status(201).json(itemEnvelope(divisionEntryDto(division, e)));
  }, { body: upload.any() }));
}
