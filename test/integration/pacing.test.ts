/**
 * Pacing on the real stack: two worker processes share one division's call budget. The sandbox
 * enforces Exact's per-minute limit scaled down (10 a minute) and counts every call itself; a
 * burst of reports approved at once is posted within the limit, minute by minute, with
 * (almost) no 429 — the workers learn the limit from the headers and book the minutes in MongoDB
 * — and every report is posted exactly once, by both processes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DEMO_DIVISION, demoMappings, simpleReport } from '../fixtures/demo-data';
import { freePort } from '../../scripts/stack';
import { connectTenant } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { testStack, uniqueId } from '../helpers/stack';
import { entriesWith } from '../helpers/exports';

const PER_MINUTE = 10;
const REPORTS = 15;
const ROOT = path.resolve(__dirname, '../..');

let p: Product;
const workers: { child: ChildProcess; output: string[]; exited: Promise<void> }[] = [];
const tenantId = uniqueId('pace');

async function startWorker(): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    TEMPORAL_ADDRESS: testStack().temporalAddress,
    TEMPORAL_TASK_QUEUE: p.taskQueue,
    MONGODB_URI: testStack().mongoUri,
    MONGODB_DB: p.db.databaseName,
    MAESN_BASE_URL: p.sandboxUrl,
    MAESN_API_KEY: p.config.maesn.apiKey,
    MAESN_SIGNING_SECRET: p.config.maesn.signingSecret,
    MAESN_TIMEOUT_MS: '10000',
    PUBLIC_BASE_URL: p.apiUrl,
    WORKER_METRICS_PORT: String(await freePort()),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/worker.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let buf = '';
  const collect = (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    output.push(...parts);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  workers.push({ child, output, exited });
  await eventually(async () => output.some((l) => l.includes('worker started')), 'a worker process to start', 120_000);
}

before(async () => {
  p = await startProduct({ noWorker: true, rateLimit: { perMinute: PER_MINUTE, perDay: 100_000 } });
  await Promise.all([startWorker(), startWorker()]);
  await connectTenant(p, tenantId, DEMO_DIVISION);
  const put = await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings());
  assert.equal(put.status, 200, JSON.stringify(put.body));
});

after(async () => {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 15_000))])));
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await p?.close();
});

test(`${REPORTS} reports approved at once, two workers, ${PER_MINUTE} calls a minute: paced, no 429, each posted once`, { timeout: 600_000 }, async () => {
  const reportIds = Array.from({ length: REPORTS }, (_, i) => uniqueId(`P${i}`));
  await Promise.all(
    reportIds.map(async (r) => {
      const res = await p.call('POST', `/api/tenants/${tenantId}/expense-reports/${r}/export`, simpleReport(r, { amount: `${10 + reportIds.indexOf(r)}.00` }));
      assert.equal(res.status, 202, JSON.stringify(res.body));
    }),
  );
  await eventually(
    async () => {
      const res = await p.call('GET', `/api/tenants/${tenantId}/exports?status=posted&limit=100`);
      return (res.body?.total ?? 0) >= REPORTS;
    },
    'every report to be posted',
    480_000,
  );

  // Everything from the sandbox's own log.
  const calls = await p.sandbox.listRequests({ division: DEMO_DIVISION });
  const refused = calls.filter((c) => c.status === 429);
  assert.ok(refused.length <= 1, `at most one 429 (while the limit was being learned); got ${refused.length}: ${refused.map((c) => `${c.at} ${c.operation}`).join(', ')}`);
  const perMinute = new Map<string, number>();
  for (const c of calls.filter((x) => x.status !== 429)) perMinute.set(c.at.slice(0, 16), (perMinute.get(c.at.slice(0, 16)) ?? 0) + 1);
  for (const [minute, n] of perMinute) assert.ok(n <= PER_MINUTE, `${n} calls answered in ${minute}`);

  const posts = calls.filter((c) => c.operation === 'createJournalEntry');
  assert.equal(posts.filter((c) => c.status === 201).length, REPORTS, 'one successful POST per report');
  for (const r of reportIds) assert.equal((await entriesWith(p, DEMO_DIVISION, `EXP-${r}`)).length, 1, `report ${r} posted once`);

  // Both processes posted: the budget was shared, not merely one worker's.
  const postedBy = workers.map((w) => w.output.filter((l) => l.includes('journal entry posted')).length);
  assert.equal(postedBy.reduce((a, b) => a + b, 0), REPORTS);
  assert.ok(postedBy.every((n) => n > 0), `both workers posted (${postedBy.join(' + ')})`);

  // The budget is visible to admins.
  const status = await p.call('GET', `/api/tenants/${tenantId}/exact`);
  assert.equal(status.body.callBudget.minute.limit, PER_MINUTE, 'the limit was learned from the headers');
  // The day's count starts again at 00:00 UTC: it holds at least the POSTs answered since then
  // (all REPORTS of them, unless the run crossed midnight).
  const today = new Date().toISOString().slice(0, 10);
  const postedToday = posts.filter((c) => c.status === 201 && c.at.startsWith(today)).length;
  assert.ok(postedToday === REPORTS || posts.some((c) => !c.at.startsWith(today)), `posted today: ${postedToday}`);
  assert.ok(status.body.callBudget.day.used >= postedToday, `day used ${status.body.callBudget.day.used}, posted today ${postedToday}`);
});
