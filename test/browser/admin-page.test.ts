/**
 * The admin page in a real browser (Debian's Chromium through playwright-core) against the running
 * product: sign in with a one-time link, connect through the sandbox's hosted page, wait for the
 * sync, fix the mapping an export waits for by searching the account, see it posted with its lines;
 * retry a rejected export from its detail; an export in needs_review (three POSTs unanswered) listed
 * first, its reason, what to check in Exact and the posting log, then retried once from its detail;
 * Dutch dates and amounts; axe-core on every view; a phone.
 * Screenshots of each view: .test-runs/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { DEMO_DIVISION, demoMappings, simpleReport } from '../fixtures/demo-data';
import { adminContext, checkView, launchBrowser, signIn, type AdminBrowser } from '../helpers/browser';
import { entriesWith, postCount } from '../helpers/exports';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';

let p: Product;
let browser: Browser;
const T = uniqueId('adm');
const year = new Date().getUTCFullYear();
const contexts: AdminBrowser[] = [];

before(async () => {
  // A short settle period: an unanswered POST is looked up after 2 s (needs_review after three).
  [p, browser] = await Promise.all([startProduct({ env: { EXPORT_SETTLE_PERIOD: '2s', EXPORT_MAX_UNKNOWN: '3' } }), launchBrowser()]);
  assert.equal((await p.call('POST', '/api/tenants', { tenantId: T, name: 'Demo Advies B.V.' })).status, 201);
});
after(async () => {
  await browser?.close();
  await p?.close();
});


async function open(opts: Parameters<typeof adminContext>[1] = {}): Promise<Page> {
  const c = await adminContext(browser, opts);
  contexts.push(c);
  await signIn(p, c.page, T);
  return c.page;
}

const exportStatus = async (reportId: string) => (await p.call('GET', `/api/tenants/${T}/expense-reports/${reportId}/export`)).body?.status;
const waitForExport = (reportId: string, status: string) => eventually(async () => (await exportStatus(reportId)) === status, `export ${reportId} ${status}`, 90_000);

describe('the admin page', () => {
  let page: Page;
  const waiting = uniqueId('R');

  test('signs in with a one-time link and connects through the hosted page; the first sync shows', { timeout: 180_000 }, async () => {
    page = await open();
    await page.getByRole('heading', { name: 'Exact Online connection' }).waitFor();
    await page.getByText('Not connected', { exact: true }).waitFor();
    await checkView(page, 'connection-disconnected');

    await page.getByRole('button', { name: 'Connect to Exact Online' }).click();
    await page.waitForURL((u) => u.toString().startsWith(p.sandboxUrl));
    await page.locator(`input[name=division][value="${DEMO_DIVISION}"]`).check();
    await page.getByRole('button', { name: 'Inloggen en toestaan' }).click();
    await page.waitForURL((u) => u.pathname === '/admin');
    await page.getByText('Exact Online is connected.').waitFor();
    await page.getByText('Succeeded', { exact: true }).waitFor({ timeout: 120_000 });
    await page.getByText('Connected', { exact: true }).waitFor();
    await page.getByText(`Demo Advies B.V. · ${DEMO_DIVISION}`).waitFor();
    await page.getByText(/^[\d,]+ of [\d,]+ left today · [\d,]+ of [\d,]+ this minute/).waitFor();
    assert.equal(await page.getByRole('row', { name: /GL account/ }).count() >= 1, true, 'counts per kind of the last sync');
    await checkView(page, 'connection');
  });

  test('an export waits for a mapping; the editor finds the account by name and saving wakes it; it is posted with its lines', { timeout: 180_000 }, async () => {
    const { parking: _parking, ...categories } = demoMappings().categories!;
    // A saved mapping with a code that is not in Exact: the editor shows it next to its field.
    const put = await p.call('PUT', `/api/tenants/${T}/mappings`, { ...demoMappings(), categories: { ...categories, gifts: { glAccount: '9999' } } });
    assert.equal(put.status, 200);
    assert.equal((await p.call('POST', `/api/tenants/${T}/expense-reports/${waiting}/export`, simpleReport(waiting, { category: 'parking' }))).status, 202);
    await waitForExport(waiting, 'waiting_for_mappings');

    await page.getByRole('link', { name: 'Exports' }).click();
    const row = page.getByRole('row', { name: new RegExp(waiting) });
    await row.getByText('Waiting for mappings').waitFor();
    await page.getByRole('button', { name: /Waiting for mappings 1/ }).waitFor();
    await checkView(page, 'exports');

    await page.getByRole('link', { name: waiting }).click();
    await page.getByText('category parking has no GL account mapping').waitFor();
    await checkView(page, 'export-waiting');
    await page.getByRole('link', { name: 'Fix in the mappings' }).click();

    // The field that fixes it: a row for category parking, its picker focused.
    const picker = page.getByRole('combobox', { name: 'GL account for category parking' });
    await picker.waitFor();
    assert.equal(await picker.evaluate((el) => el === (el as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement), true, 'the field is focused');
    await page.getByText('GL account 9999 (category gifts) does not exist in Exact').waitFor();
    await picker.pressSequentially('Parkeer');
    // Only the account that fits and matches (the list first showed the cost accounts to browse).
    const options = page.getByRole('listbox', { name: 'GL account for category parking' }).getByRole('option');
    await eventually(async () => (await options.count()) === 1, 'the search narrows the list', 10_000);
    await options.filter({ hasText: /4230\s*Parkeerkosten/ }).waitFor();
    await picker.press('ArrowDown');
    await picker.press('Enter');
    assert.equal(await picker.inputValue(), '4230');
    await page.getByText('Unsaved changes').waitFor();
    await checkView(page, 'mappings');

    await page.getByRole('button', { name: 'Save mappings' }).click();
    await page.getByText('Saved (version 2). 1 reference cannot be used (shown next to its field). 1 waiting export was woken.').waitFor();
    await page.getByText('GL account 9999 (category gifts) does not exist in Exact').waitFor();
    assert.equal(await page.getByRole('combobox', { name: 'GL account for category gifts' }).getAttribute('aria-invalid'), 'true');
    await waitForExport(waiting, 'posted');

    await page.getByRole('link', { name: 'Exports' }).click();
    await page.getByRole('link', { name: waiting }).click();
    await page.getByText('Posted', { exact: true }).first().waitFor();
    const done = (await p.call('GET', `/api/tenants/${T}/expense-reports/${waiting}/export`)).body;
    await page.getByRole('definition').filter({ hasText: new RegExp(`^${done.exactEntryNumber}$`) }).waitFor();
    await page.getByRole('heading', { name: 'Booking lines as posted' }).waitFor();
    const lines = page.locator('table.lines tbody tr');
    assert.equal(await lines.count(), 2);
    assert.match((await lines.nth(0).innerText()).replace(/\s+/g, ' '), /4230 Parkeerkosten .*€10\.00 .*€2\.10 .*€12\.10 .*parkeren\.pdf/);
    assert.match((await lines.nth(1).innerText()).replace(/\s+/g, ' '), /Credit 1610 Te betalen declaraties .*€12\.10/);
    assert.match(await page.getByRole('link', { name: 'Open in the Temporal UI' }).getAttribute('href') ?? '', new RegExp(`/workflows/export%3A${T}%3A${waiting}$`));
    await checkView(page, 'export-posted');

    await page.getByRole('link', { name: 'Sync history' }).click();
    await page.getByRole('row', { name: /First sync/ }).waitFor();
    await checkView(page, 'history');
  });

  test('a rejected export is retried from its detail view', { timeout: 180_000 }, async () => {
    const reportId = uniqueId('P');
    await p.sandbox.closePeriod(DEMO_DIVISION, `${year}-10`);
    await p.call('POST', `/api/tenants/${T}/expense-reports/${reportId}/export`, simpleReport(reportId, { approvedAt: `${year}-10-15T12:00:00Z` }));
    await waitForExport(reportId, 'rejected');

    await page.goto(`${p.apiUrl}/admin#/exports/${reportId}`);
    await page.getByRole('heading', { name: 'Exact Online refused the entry' }).waitFor();
    await checkView(page, 'export-rejected');
    await p.sandbox.reopenPeriod(DEMO_DIVISION, `${year}-10`);
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('The export tries again.').waitFor();
    await page.getByRole('heading', { name: 'Booking lines as posted' }).waitFor({ timeout: 60_000 });
    assert.equal(await exportStatus(reportId), 'posted');
  });

  test('needs_review: listed first, its detail says what to check in Exact and shows the posting log; retry from the detail posts it once', { timeout: 180_000 }, async () => {
    const reportId = uniqueId('NR');
    const later = uniqueId('NL');
    await p.sandbox.clearRequests();
    // Three POSTs answered 503: nothing is created, but the export cannot know that.
    await p.sandbox.failNext('createJournalEntry', 503, 3);
    assert.equal((await p.call('POST', `/api/tenants/${T}/expense-reports/${reportId}/export`, simpleReport(reportId))).status, 202);
    await waitForExport(reportId, 'needs_review');
    // A newer export that needs nothing: the one that needs a person still comes first.
    assert.equal((await p.call('POST', `/api/tenants/${T}/expense-reports/${later}/export`, simpleReport(later))).status, 202);
    await waitForExport(later, 'posted');

    await page.goto(`${p.apiUrl}/admin#/exports`);
    await page.getByRole('button', { name: /Needs review 1/ }).waitFor();
    await page.getByRole('link', { name: /1 export needs action/ }).waitFor();
    const rows = page.locator('table.data tbody tr');
    await rows.first().getByRole('link', { name: reportId }).waitFor();
    await rows.first().getByText('Needs review').waitFor();
    assert.match(await rows.nth(1).innerText(), new RegExp(later));
    await checkView(page, 'exports-needs-review');

    await rows.first().getByRole('link', { name: reportId }).click();
    const review = page.getByRole('region', { name: 'Check in Exact Online first' });
    await review.waitFor();
    await review.getByText(/sent to Exact Online 3 times without an answer/).waitFor();
    await review.getByText(/3 POST\(s\) got no answer/).waitFor();
    await review.getByRole('listitem').filter({ hasText: 'search the general journal entries for the reference' }).getByText(`EXP-${reportId}`, { exact: true }).waitFor();
    await page.getByRole('definition').filter({ hasText: new RegExp(`^EXP-${reportId}$`) }).waitFor();
    const log = page.locator('table.posting-log tbody tr th');
    assert.deepEqual(await log.allInnerTexts(), [
      ...Array(3).fill(['Sent to Exact Online', 'No answer from Exact Online', 'Search: not in Exact']).flat(),
      'Stopped: needs a person',
    ]);
    await page.getByRole('heading', { name: 'Posting: 3 attempts' }).waitFor();
    await checkView(page, 'export-needs-review');

    // Mark posted checks the entry ID before anything is sent.
    const entryId = page.getByLabel('Exact entry ID');
    await page.getByRole('button', { name: 'Mark posted' }).click();
    await page.getByText('Enter the ID of the entry you found in Exact.').waitFor();
    assert.equal(await entryId.getAttribute('aria-invalid'), 'true');
    await entryId.fill('abc def');
    await page.getByRole('button', { name: 'Mark posted' }).click();
    await page.getByText('An entry ID is one word of at most 128 characters, without spaces.').waitFor();
    assert.equal(await exportStatus(reportId), 'needs_review');

    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('The export tries again.').waitFor();
    await page.getByRole('heading', { name: 'Booking lines as posted' }).waitFor({ timeout: 60_000 });
    await page.getByRole('definition').filter({ hasText: 'Posted by this export' }).waitFor();
    await page.getByRole('heading', { name: 'Posting: 4 attempts' }).waitFor();
    await page.getByRole('rowheader', { name: 'A person chose retry' }).waitFor();
    await page.getByRole('rowheader', { name: 'Booked by Exact Online' }).waitFor();
    assert.equal(await review.count(), 0);
    assert.equal(await exportStatus(reportId), 'posted');
    assert.equal((await entriesWith(p, DEMO_DIVISION, `EXP-${reportId}`)).length, 1, 'booked once');
    assert.equal(await postCount(p), 5, 'three unanswered POSTs, the retry, and the newer export');
    await checkView(page, 'export-retried-posted');
  });

  test('in Dutch: Dutch words, dates and amounts (browser language, then the switch)', { timeout: 120_000 }, async () => {
    const reportId = uniqueId('NL');
    await p.call('POST', `/api/tenants/${T}/expense-reports/${reportId}/export`, simpleReport(reportId, { amount: '1234.56', approvedAt: `${year}-11-30T23:06:00Z` }));
    await waitForExport(reportId, 'posted');
    const nl = await open({ locale: 'nl-NL' });
    await nl.getByRole('heading', { name: 'Koppeling met Exact Online' }).waitFor();
    await checkView(nl, 'nl-connection');
    await nl.getByRole('link', { name: 'Exports' }).click();
    const row = nl.getByRole('row', { name: new RegExp(reportId) });
    await row.getByText('Geboekt').waitFor();
    assert.equal(await row.locator('td.num').innerText(), '€\u00a01.234,56');
    await checkView(nl, 'nl-exports');
    await nl.getByRole('link', { name: reportId }).click();
    // 23:06 UTC on 30 November is 00:06 on 1 December in Amsterdam.
    await nl.getByRole('definition').filter({ hasText: `01-12-${year} 00:06` }).waitFor();
    await nl.getByRole('heading', { name: 'Boekingsregels zoals geboekt' }).waitFor();
    assert.match((await nl.locator('table.lines tbody tr').first().innerText()).replace(/\s+/g, ' '), /€ 1\.020,30 .*€ 214,26 .*€ 1\.234,56/);
    await checkView(nl, 'nl-export-detail');

    await nl.getByLabel('Taal').selectOption('en');
    await nl.getByRole('heading', { name: 'Booking lines as posted' }).waitFor();
    await nl.getByRole('definition').filter({ hasText: `01/12/${year} 00:06` }).waitFor();
    await nl.reload();
    await nl.getByRole('heading', { name: `Report ${reportId}` }).waitFor({ timeout: 20_000 });
  });

  test('on a phone: every view fits the screen', { timeout: 120_000 }, async () => {
    const phone = await open({ viewport: { width: 390, height: 844 } });
    for (const [name, heading] of [['connection', 'Exact Online connection'], ['exports', 'Exports'], ['mappings', 'Mappings'], ['history', 'Sync history']] as const) {
      await phone.goto(`${p.apiUrl}/admin#/${name}`);
      await phone.getByRole('heading', { name: heading, exact: true }).waitFor();
      await checkView(phone, `phone-${name}`);
      const overflow = await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      const wide = overflow ? await phone.evaluate(`[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.scroll, .tabs')).slice(0, 5).map((e) => e.tagName + '.' + e.className).join(', ')`) : '';
      assert.equal(overflow, 0, `${name}: no sideways scrolling (${wide})`);
    }
  });
});

// Last: every page opened above, with the CSP on.
test('no page had a CSP violation or a script error', () => {
  assert.ok(contexts.length >= 3);
  assert.deepEqual(contexts.flatMap((c) => c.problems), []);
});
