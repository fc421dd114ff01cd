/**
 * The rules of posting at most once (src/domain/export-reference.ts, export-posting.ts) and which
 * report problems a mapping can fix (mapping-check.ts).
 */
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_PLAIN_REFERENCE_LENGTH,
  compareCandidate,
  describeLine,
  divisionDecision,
  exportReference,
  hasExportReference,
  isExportReference,
  isMappingFixable,
  judgeLookup,
  mayRebuildEntry,
  type EntryFingerprint,
  type FoundEntry,
} from '../../src/domain';

const sha256Hex = (t: string) => createHash('sha256').update(t, 'utf8').digest('hex');

describe('export reference', () => {
  test('EXP-<reportId> for a first revision with a short ID (a UUID fits)', () => {
    assert.equal(exportReference({ tenantId: 'acme', reportId: 'R-2025-0042', revision: 1 }, sha256Hex), 'EXP-R-2025-0042');
    const uuid = '123e4567-e89b-12d3-a456-426614174000';
    assert.equal(exportReference({ tenantId: 'acme', reportId: uuid, revision: 1 }, sha256Hex), `EXP-${uuid}`);
    assert.equal(`EXP-${uuid}`.length, MAX_PLAIN_REFERENCE_LENGTH);
  });

  test('a long ID, a correction revision or an ID starting with # get a short hashed reference', () => {
    const long = exportReference({ tenantId: 'acme', reportId: 'R'.repeat(100), revision: 1 }, sha256Hex);
    assert.match(long, /^EXP-#[0-9A-F]{20}$/);
    const rev2 = exportReference({ tenantId: 'acme', reportId: 'R-1', revision: 2 }, sha256Hex);
    assert.match(rev2, /^EXP-#[0-9A-F]{20}$/);
    assert.notEqual(rev2, exportReference({ tenantId: 'acme', reportId: 'R-1', revision: 3 }, sha256Hex));
    assert.match(exportReference({ tenantId: 'acme', reportId: '#ABC', revision: 1 }, sha256Hex), /^EXP-#[0-9A-F]{20}$/);
    // Deterministic, and different per tenant.
    assert.equal(long, exportReference({ tenantId: 'acme', reportId: 'R'.repeat(100), revision: 1 }, sha256Hex));
    assert.notEqual(long, exportReference({ tenantId: 'other', reportId: 'R'.repeat(100), revision: 1 }, sha256Hex));
  });

  test('the hash input is unambiguous: tenant "a:b" + report "c" ≠ tenant "a" + report "b:c"', () => {
    const a = exportReference({ tenantId: 'a:b', reportId: 'c'.repeat(60), revision: 1 }, sha256Hex);
    const b = exportReference({ tenantId: 'a', reportId: `b:${'c'.repeat(58)}`, revision: 1 }, sha256Hex);
    assert.notEqual(a, b);
  });

  test('property: any report ID gives a reference that fits, is a token, and survives on every line description', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 128 }).filter((s) => /^\S+$/.test(s)), fc.integer({ min: 1, max: 9 }), fc.string({ maxLength: 200 }), (reportId, revision, text) => {
        const ref = exportReference({ tenantId: 't', reportId, revision }, sha256Hex);
        assert.ok(isExportReference(ref), ref);
        const line = describeLine(ref, text);
        assert.ok(line.length <= MAX_DESCRIPTION_LENGTH, `${line.length}`);
        assert.ok(line === ref || line.startsWith(`${ref} `), line);
        assert.ok(hasExportReference(line, ref));
      }),
    );
  });

  test('no two revisions of 5,000 long report IDs share a reference', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) seen.add(exportReference({ tenantId: 't', reportId: `report-${'x'.repeat(50)}-${i}`, revision: 1 + (i % 3) }, sha256Hex));
    assert.equal(seen.size, 5_000);
  });
});

describe('lookup', () => {
  const fp: EntryFingerprint = { reference: 'EXP-R-1', journalCode: '90', lineCount: 3, debitCents: 13_310 };
  const line = (description: string | null, side: string, grossAmount: string) => ({ description, side, grossAmount });
  const ours = (over: Partial<FoundEntry> = {}): FoundEntry => ({
    id: 'e-1',
    number: '25900001',
    journalCode: '90',
    lines: [line('EXP-R-1 x1 Parkeren', 'DEBIT', '12.1'), line('EXP-R-1 x2 Hotel', 'DEBIT', '121.00'), line('EXP-R-1 Jan Jansen', 'CREDIT', '133.10')],
    ...over,
  });

  test('matches the reference in the lines (no header description), journal code trimmed, debit total and line count', () => {
    assert.deepEqual(compareCandidate(fp, ours()), { kind: 'match', differences: [] });
    assert.equal(compareCandidate(fp, ours({ journalCode: '  90 ' })).kind, 'match');
    // Lines Exact adds itself (VAT lines without our reference) do not count.
    assert.equal(compareCandidate(fp, ours({ lines: [...ours().lines, line('BTW 21%', 'DEBIT', '21.00')] })).kind, 'match');
  });

  test('an entry without the reference is not ours; EXP-R-10 is not EXP-R-1', () => {
    assert.equal(compareCandidate(fp, ours({ lines: ours().lines.map((l) => ({ ...l, description: l.description!.replace('EXP-R-1', 'EXP-R-10') })) })).kind, 'none');
  });

  test('carries the reference but differs (journal, line count, debit total) → mismatch, named', () => {
    assert.deepEqual(compareCandidate(fp, ours({ journalCode: '91' })).differences, ['journal 91 instead of 90']);
    assert.deepEqual(compareCandidate(fp, ours({ lines: ours().lines.slice(1) })).differences, ['2 line(s) instead of 3', 'debit total differs from 133.10']);
    assert.deepEqual(compareCandidate(fp, ours({ lines: [line('EXP-R-1 a', 'DEBIT', '12.11'), ...ours().lines.slice(1)] })).differences, ['debit total differs from 133.10']);
    assert.deepEqual(compareCandidate(fp, ours({ lines: [line('EXP-R-1 a', 'DEBIT', 'n/a'), ...ours().lines.slice(1)] })).differences, ['a debit line without a readable amount']);
  });

  test('verdicts: one match → found; none → not_found; two matches or a mismatch → conflict for a person', () => {
    const other: FoundEntry = { id: 'x', number: '1', journalCode: '90', lines: [line('EXP-R-2 Jan', 'DEBIT', '1.00')] };
    assert.deepEqual(judgeLookup(fp, [other, ours()]), { kind: 'found', id: 'e-1', number: '25900001' });
    assert.deepEqual(judgeLookup(fp, [other]), { kind: 'not_found' });
    assert.deepEqual(judgeLookup(fp, []), { kind: 'not_found' });
    const two = judgeLookup(fp, [ours(), ours({ id: 'e-2' })]);
    assert.equal(two.kind, 'conflict');
    assert.deepEqual(two.kind === 'conflict' && two.ids, ['e-1', 'e-2']);
    const differs = judgeLookup(fp, [ours({ journalCode: '91' })]);
    assert.equal(differs.kind, 'conflict');
    assert.match(differs.kind === 'conflict' ? differs.reason : '', /differs from this export: journal 91/);
  });
});

describe('division', () => {
  test('pinned at the first POST; the same division proceeds', () => {
    assert.deepEqual(divisionDecision(null, '123456', false), { kind: 'proceed', division: '123456', pin: true });
    assert.deepEqual(divisionDecision('123456', '123456', true), { kind: 'proceed', division: '123456', pin: false });
  });
  test('another division: rejected while nothing can be in Exact, needs a person while an outcome is open', () => {
    assert.equal(divisionDecision('123456', '234567', false).kind, 'changed');
    const open = divisionDecision('123456', '234567', true);
    assert.equal(open.kind, 'changed_while_open');
    assert.match(open.kind === 'changed_while_open' ? open.message : '', /234567.*123456/);
  });
});

describe('frozen content', () => {
  test('the entry is rebuilt only before the first POST, or after a definite rejection with no outcome open', () => {
    assert.equal(mayRebuildEntry({ frozen: false, status: 'validating', outcomeOpen: false }), true);
    assert.equal(mayRebuildEntry({ frozen: true, status: 'validating', outcomeOpen: false }), false);
    assert.equal(mayRebuildEntry({ frozen: true, status: 'waiting_for_reauthorization', outcomeOpen: false }), false);
    assert.equal(mayRebuildEntry({ frozen: true, status: 'rejected', outcomeOpen: false }), true);
    assert.equal(mayRebuildEntry({ frozen: true, status: 'rejected', outcomeOpen: true }), false);
  });
});

describe('what a mapping can fix', () => {
  test('missing or unusable references wait for a mapping; content problems do not', () => {
    for (const reason of ['not_mapped', 'unknown', 'inactive', 'blocked', 'vat_code_not_usable', 'vat_percentage_mismatch', 'wrong_account_kind']) {
      assert.equal(isMappingFixable({ reason }), true, reason);
    }
    for (const reason of ['zero_amount', 'amount_out_of_range', 'invalid_value', 'missing_exchange_rate', 'unexpected_exchange_rate', 'duplicate_expense_id']) {
      assert.equal(isMappingFixable({ reason }), false, reason);
    }
  });
});
