/**
 * needs_review and corrections, end to end: after EXPORT_MAX_UNKNOWN unanswered POSTs an export
 * stops and waits for a person (retry, mark-posted, cancel); after cancel the report can be exported
 * again with new content as the next revision, the old one kept.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_DIVISION, demoMappings, simpleReport } from '../fixtures/demo-data';
import { searchAttributes } from '../../src/workflows/definitions';
import { entriesWith, exportPath, postCount, submit, waitForExport } from '../helpers/exports';
import { connectTenant, switchDivision } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';

let p: Product;
const tenantId = uniqueId('nr');

before(async () => {
  p = await startProduct({ env: { MAESN_TIMEOUT_MS: '3000', EXPORT_SETTLE_PERIOD: '2s', EXPORT_MAX_UNKNOWN: '3', EXPORT_REAUTH_CHECK_INTERVAL: '1s' } });
  await connectTenant(p, tenantId, DEMO_DIVISION);
  assert.equal((await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings())).body.valid, true);
});
after(async () => {
  await p?.close();
});

async function fresh(): Promise<void> {
  await p.sandbox.clearFaults();
  await p.sandbox.clearRequests();
}

/** Three POSTs in a row answered 503 (nothing created, but nobody can know that). */
async function toNeedsReview(reportId: string): Promise<any> {
  await p.sandbox.failNext('createJournalEntry', 503, 3);
  await submit(p, tenantId, simpleReport(reportId));
  return waitForExport(p, tenantId, reportId, 'needs_review', 60_000);
}

describe('needs_review', () => {
  test('three unanswered POSTs, each looked up in vain → needs_review with what is known; no fourth POST on its own; retry → looks, then posts once', async () => {
    await fresh();
    const reportId = uniqueId('NR');
    const review = await toNeedsReview(reportId);
    assert.match(review.review.reason, /3 POST\(s\) got no answer/);
    assert.equal(review.posting.attempts, 3);
    assert.equal(review.posting.unknownOutcomes, 3);
    assert.equal(review.posting.outcomeOpen, false);
    assert.deepEqual(
      review.posting.log.map((l: any) => `${l.kind}:${l.result}`),
      ['post:sent', 'post:unknown', 'lookup:not_found', 'post:sent', 'post:unknown', 'lookup:not_found', 'post:sent', 'post:unknown', 'lookup:not_found', 'review:needs_review'],
    );
    // Each lookup waited the settle period after its POST.
    const calls = await p.sandbox.listRequests();
    const posts = calls.filter((c) => c.operation === 'createJournalEntry').map((c) => Date.parse(c.at));
    const lookups = calls.filter((c) => c.operation === 'getJournalEntries').map((c) => Date.parse(c.at));
    posts.forEach((t, i) =>
      assert.ok(
        lookups.some((l) => l - t >= 2_000 && (posts[i + 1] === undefined || l < posts[i + 1])),
        `a lookup ≥ 2 s after POST ${i + 1}, before the next (POSTs at ${posts.join(', ')}; lookups at ${lookups.join(', ')})`,
      ),
    );
    const listed = await p.call('GET', `/api/tenants/${tenantId}/exports?status=needs_review`);
    assert.ok(listed.body.items.some((i: any) => i.reportId === reportId));
    const sa = (await p.temporal.workflow.getHandle(review.workflowId).describe()).typedSearchAttributes;
    assert.equal(sa.get(searchAttributes.exportStatus), 'needs_review');

    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(await postCount(p), 3, 'never posts on its own again');
    assert.equal((await entriesWith(p, DEMO_DIVISION, `EXP-${reportId}`)).length, 0);

    assert.equal((await p.call('POST', `${exportPath(tenantId, reportId)}/retry`)).status, 202);
    const done = await waitForExport(p, tenantId, reportId, 'posted');
    assert.equal(await postCount(p), 4);
    assert.equal((await entriesWith(p, DEMO_DIVISION, `EXP-${reportId}`)).length, 1);
    assert.equal(done.review, null);
  });

  test('mark-posted adopts the entry a person found (verified through Maesn); an id Exact does not know keeps it in needs_review', async () => {
    await fresh();
    const reportId = uniqueId('MP');
    // Two 503s, then a POST that commits but whose answer is lost and which the list does not show for 2 minutes.
    await p.sandbox.failNext('createJournalEntry', 503, 2);
    await p.sandbox.commitThenFail({ status: 502 }, 1, { visibilityLagMs: 120_000 });
    await submit(p, tenantId, simpleReport(reportId));
    await waitForExport(p, tenantId, reportId, 'needs_review', 60_000);
    const [entry, ...more] = await entriesWith(p, DEMO_DIVISION, `EXP-${reportId}`);
    assert.equal(more.length, 0, 'zero or one entry, never two');

    const bad = await p.call('POST', `${exportPath(tenantId, reportId)}/mark-posted`, { exactEntryId: '00000000-0000-0000-0000-000000000000' });
    assert.equal(bad.status, 202);
    await eventually(async () => /not found in Exact/.test((await p.call('GET', exportPath(tenantId, reportId))).body.error?.message ?? ''), 'the unknown id to be refused');
    assert.equal((await p.call('GET', exportPath(tenantId, reportId))).body.status, 'needs_review');

    assert.equal((await p.call('POST', `${exportPath(tenantId, reportId)}/mark-posted`, {})).status, 400);
    assert.equal((await p.call('POST', `${exportPath(tenantId, reportId)}/mark-posted`, { exactEntryId: entry.id })).status, 202);
    const done = await waitForExport(p, tenantId, reportId, 'posted');
    assert.equal(done.exactEntryId, entry.id);
    assert.equal(done.exactEntryNumber, entry.number);
    assert.equal(done.postedVia, 'marked');
    assert.equal((await p.call('POST', `${exportPath(tenantId, reportId)}/mark-posted`, { exactEntryId: entry.id })).status, 409);
    assert.equal(await postCount(p), 3);
  });
});

describe('cancel and corrections', () => {
  test('cancel from needs_review looks once more, then cancels; the report is exported again with new content as revision 2, revision 1 kept', async () => {
    await fresh();
    const reportId = uniqueId('CR');
    const first = await toNeedsReview(reportId);
    assert.equal((await p.call('POST', `${exportPath(tenantId, reportId)}/cancel`)).status, 202);
    await waitForExport(p, tenantId, reportId, 'cancelled');
    assert.equal(await postCount(p), 3);

    // The same content again is the same (cancelled) export; new content is a correction.
    const same = await p.call('POST', exportPath(tenantId, reportId), simpleReport(reportId));
    assert.equal(same.status, 202);
    assert.equal(same.body.status, 'cancelled');
    const corrected = simpleReport(reportId, { amount: '15.00' });
    const accepted = await submit(p, tenantId, corrected);
    assert.equal(accepted.exportId, `${tenantId}@r2:${reportId}`);
    const done = await waitForExport(p, tenantId, reportId, 'posted');
    assert.equal(done.revision, 2);
    assert.match(done.reference, /^EXP-#[0-9A-F]{20}$/);
    assert.equal(done.workflowId, `export-r2:${tenantId}:${reportId}`);
    assert.notEqual(done.workflowId, first.workflowId);
    const entries = await entriesWith(p, DEMO_DIVISION, done.reference);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].journalLineItems[0].totalGrossAmount, 15);

    const old = await p.call('GET', `${exportPath(tenantId, reportId)}?revision=1`);
    assert.equal(old.body.status, 'cancelled');
    assert.equal(old.body.revision, 1);
    assert.equal((await p.call('GET', `${exportPath(tenantId, reportId)}?revision=3`)).status, 404);
    // Both runs are found by the report's ID.
    const runs = [];
    for await (const w of p.temporal.workflow.list({ query: `ReportId = '${reportId}'` })) runs.push(w.workflowId);
    assert.deepEqual(runs.sort(), [first.workflowId, done.workflowId].sort());
    // A posted export takes no correction (until reversal exists).
    assert.equal((await p.call('POST', exportPath(tenantId, reportId), simpleReport(reportId, { amount: '16.00' }))).status, 409);
  });

  test('a switch of division confirmed while an export waits (nothing posted yet): it moves to the new division and posts there once', async () => {
    await fresh();
    const t = uniqueId('nrdiv');
    await connectTenant(p, t, DEMO_DIVISION);
    await p.call('PUT', `/api/tenants/${t}/mappings`, demoMappings());
    const reportId = uniqueId('DV');
    await submit(p, t, simpleReport(reportId, { category: 'not-yet-mapped' }));
    await waitForExport(p, t, reportId, 'waiting_for_mappings');
    await switchDivision(p, t, '234567');
    const m = demoMappings();
    m.categories = { ...m.categories, 'not-yet-mapped': { glAccount: '4230' } };
    await p.call('PUT', `/api/tenants/${t}/mappings`, m);
    const done = await waitForExport(p, t, reportId, ['rejected', 'posted', 'needs_review']);
    assert.equal(done.status, 'posted', JSON.stringify(done.error));
    assert.equal(done.division, '234567');
    assert.equal(await postCount(p), 1);
    assert.equal((await entriesWith(p, '234567', `EXP-${reportId}`)).length, 1);
    assert.equal((await entriesWith(p, DEMO_DIVISION, `EXP-${reportId}`)).length, 0);
  });
});
