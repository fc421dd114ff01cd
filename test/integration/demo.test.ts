/**
 * `npm run demo` end to end: runDemo against the product started in-process (own worker, own
 * sandbox), checked against what the sandbox actually holds.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_DIVISION } from '../fixtures/demo-data';
import { runDemo, temporalRunUrl, type DemoResult } from '../../scripts/demo';
import { startProduct, type Product } from '../helpers/product';

let p: Product;

before(async () => {
  p = await startProduct();
});
after(async () => {
  await p?.close();
});

test('the demo connects a tenant, exports three reports (one after a mapping fix) and links every run', async () => {
  const lines: string[] = [];
  const result: DemoResult = await runDemo({ apiUrl: p.apiUrl, platformKey: p.platformKey, temporalUiUrl: 'http://localhost:8233', log: (l) => lines.push(l) });
  const output = lines.join('\n');

  assert.match(result.tenantId, /^demo-\d{8}-\d{6}(-\d+)?$/);
  // The platform side listens for signed webhooks instead of polling (typed client, standardwebhooks).
  assert.match(output, /webhook connection\.connected/i);
  for (const r of result.reports) assert.match(output, new RegExp(`webhook export\\.posted for ${r.reportId}`));
  assert.match(output, /webhook export\.waiting_for_mappings for /);
  const endpoint = await p.call('GET', `/api/webhook-endpoints/demo-${result.tenantId}`);
  assert.equal(endpoint.body.enabled, false, 'the demo switches its endpoint off at the end');
  assert.equal(result.reports.length, 3);
  for (const r of result.reports) {
    assert.ok(r.exactEntryNumber, `entry number of ${r.reportId}`);
    assert.ok(r.exactEntryId, `entry id of ${r.reportId}`);
  }
  assert.equal(new Set(result.reports.map((r) => r.reportId)).size, 3);

  // Exactly one entry per report in the sandbox's administration, and nothing else.
  // (General journal entries have no header description in Exact; the sandbox keeps the one posted.)
  const entries = await p.sandbox.listJournalEntries(DEMO_DIVISION);
  const demoEntries = entries.filter((e) => result.reports.some((r) => e.postedDescription.includes(`EXP-${r.reportId}`)));
  assert.equal(demoEntries.length, 3, JSON.stringify(entries.map((e) => e.postedDescription)));
  for (const r of result.reports) {
    const mine = entries.filter((e) => e.postedDescription.split(/\s+/).includes(`EXP-${r.reportId}`));
    assert.equal(mine.length, 1, `one entry for ${r.reportId}`);
    assert.equal(mine[0].id, r.exactEntryId);
    assert.equal(String(mine[0].number), r.exactEntryNumber);
  }
  // The coworking report was booked on the account added in step 5.
  const coworking = await p.call('GET', `/api/tenants/${result.tenantId}/expense-reports/${result.reports[2].reportId}/export`);
  assert.equal(coworking.body.lines[0].accountCode, '4100');

  // The tenant is connected to the demo division.
  const status = await p.call('GET', `/api/tenants/${result.tenantId}/exact`);
  assert.equal(status.body.state, 'connected');
  assert.equal(status.body.division, DEMO_DIVISION);

  // Output: the link an admin would open, the missing mapping, the wait, and every run link.
  assert.match(output, /authorization link/);
  // The admin part ran with a session from a one-time link, not with the platform key.
  assert.match(output, /one-time admin link/);
  assert.match(output, /session cookie for tenant/);
  assert.match(output, /signature and browser verified/);
  assert.match(output, new RegExp(`${p.apiUrl.replace(/[.]/g, '\\.')}/admin#token=`), 'a ready admin page link at the end');
  assert.match(output, /open this link in a browser/);
  assert.match(output, /Every reference exists .*: valid/);
  assert.match(output, new RegExp(`${result.reports[2].reportId}: waiting_for_mappings`));
  assert.match(output, /expense x1: category "coworking" → not_mapped/);
  // The business lunch at a restaurant: booked gross with the no-VAT code, no deductible VAT.
  assert.match(output, /DEBIT\s+4430\s+54\.50\s+0\.00\s+54\.50\s+0\s+EXP-\S+ e2 Lunch met klant\s+\(VAT not deductible/);
  for (const r of result.reports) {
    const wf = `export:${result.tenantId}:${r.reportId}`;
    assert.equal(r.runUrl, temporalRunUrl('http://localhost:8233', 'default', wf));
    assert.equal(r.runUrl, `http://localhost:8233/namespaces/default/workflows/${encodeURIComponent(wf)}`);
    assert.ok(output.includes(r.runUrl), `run URL of ${r.reportId} printed`);
    assert.ok(output.includes(`entry ${r.exactEntryNumber}`), `entry number of ${r.reportId} printed`);
  }
  assert.match(output, /Done: 3 reports exported/);
});

test('the demo fails with a clear message when the API is not reachable', async () => {
  await assert.rejects(
    runDemo({ apiUrl: 'http://127.0.0.1:1', platformKey: p.platformKey, temporalUiUrl: 'http://localhost:8233', log: () => undefined, timeoutMs: 1000 }),
    (err: Error) => err.name === 'DemoError' && /could not reach the API at http:\/\/127\.0\.0\.1:1/.test(err.message),
  );
});
