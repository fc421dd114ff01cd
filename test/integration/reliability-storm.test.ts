/**
 * RELIABILITY.md, "429 storms and 5xx bursts": 100 reports approved at once while Exact (the
 * sandbox) rate-limits, fails, and commits entries whose answers get lost. Every report ends with
 * exactly one entry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_DIVISION, demoMappings, simpleReport } from '../fixtures/demo-data';
import { scenario } from '../fixtures/reliability';
import { submit } from '../helpers/exports';
import { connectTenant } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { assertFigures, measure } from '../helpers/reliability';
import { uniqueId } from '../helpers/stack';

let p: Product;
const tenantId = uniqueId('storm');

before(async () => {
  // A single run may meet several 503s in a burst: allow more unanswered POSTs than production's 3.
  p = await startProduct({ env: { MAESN_TIMEOUT_MS: '3000', EXPORT_SETTLE_PERIOD: '2s', EXPORT_MAX_UNKNOWN: '10' } });
  await connectTenant(p, tenantId, DEMO_DIVISION);
  assert.equal((await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings())).body.valid, true);
});
after(async () => {
  await p?.close();
});

test('100 exports through 429 storms, 503 bursts and lost answers: 100 entries, no duplicate, no run left open', async () => {
  const { exports } = scenario('storm').figures;
  await p.sandbox.clearRequests();
  await p.sandbox.failNext('createJournalEntry', 429, 60, { retryAfterSeconds: 1 });
  await p.sandbox.failNext('createJournalEntry', 503, 30);
  await p.sandbox.commitThenFail({ status: 502 }, 10);
  await p.sandbox.commitThenFail({ timeoutMs: 3_500 }, 5, { commitDelayMs: 1_500 });
  await p.sandbox.failNext('getJournalEntries', 503, 10);
  await p.sandbox.failNext('getJournalEntries', 429, 10, { retryAfterSeconds: 1 });

  const reportIds = Array.from({ length: exports }, (_, i) => `ST-${String(i).padStart(3, '0')}-${uniqueId('r')}`);
  await Promise.all(reportIds.map((r, i) => submit(p, tenantId, simpleReport(r, { amount: `${10 + i}.${String(i % 100).padStart(2, '0')}` }))));

  await eventually(
    async () => (await p.call('GET', `/api/tenants/${tenantId}/exports?status=posted&limit=200`)).body.total === exports,
    `${exports} exports to be posted`,
    240_000,
  ).catch(() => undefined); // the figures below say what is missing
  assert.deepEqual(await p.sandbox.listFaults(), [], 'every armed fault was injected');
  await new Promise((r) => setTimeout(r, 2_000)); // a late commit would show up by now
  assertFigures('storm', await measure(p, tenantId, reportIds, DEMO_DIVISION));
});
