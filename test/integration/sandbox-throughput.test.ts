/**
 * The sandbox must never be the bottleneck and must be a fair witness of pacing:
 * - journal entries go to an append-only log (one line per post), not a rewrite of every entry;
 *   they survive a restart, attachments added later included, and an older sandbox's single
 *   entry file is taken over;
 * - the request log shows what each call was answered with (429s included), and the rate limit's
 *   own count is readable.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxControl, startSandbox, type RunningSandbox } from '@exact-export/maesn-sandbox';

const API_KEY = 'sandbox-throughput-key';
const DIV = '123456';
const YEAR = new Date().getUTCFullYear();

let dataDir: string;
let sb: RunningSandbox;
let ctl: SandboxControl;
let key: string;
const acc = new Map<string, string>();

const start = (rateLimit = { perMinute: 100_000, perDay: 1_000_000 }) =>
  startSandbox({ port: 0, dataDir, apiKey: API_KEY, signingSecret: 'sandbox-throughput-secret', rateLimit });
const headers = () => ({ 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': key });
const logFile = () => path.join(dataDir, 'divisions', DIV, 'journalEntries.jsonl');

async function post(description: string): Promise<{ status: number; id?: string }> {
  const fd = new FormData();
  fd.append(
    'journal_entry',
    JSON.stringify({
      accountingPeriodId: `${YEAR}-03`,
      description,
      journalCode: '90',
      transactionDate: `${YEAR}-03-15`,
      journalLineItems: [
        { accountId: acc.get('4510'), debitCreditIndicator: 'DEBIT', description: 'Trein', totalNetAmount: 20.5, totalTaxAmount: 0, totalGrossAmount: 20.5 },
        { accountId: acc.get('1610'), debitCreditIndicator: 'CREDIT', description: 'J. Jansen', totalGrossAmount: 20.5, supplierId: '9001' },
      ],
    }),
  );
  fd.append('files', new Blob([Buffer.alloc(50_000, 1)], { type: 'application/pdf' }), 'bon.pdf');
  fd.append('filesPos', '1');
  const res = await fetch(`${sb.url}/accounting/journalEntries`, { method: 'POST', headers: headers(), body: fd });
  const body = (await res.json()) as { data: { id: string } | null };
  return { status: res.status, id: body.data?.id };
}

const lines = () => fs.readFileSync(logFile(), 'utf8').split('\n').filter(Boolean);

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-tp-'));
  sb = await start();
  ctl = new SandboxControl(sb.url, API_KEY);
  key = (await ctl.createConnection(DIV)).accountKey;
  // A new division writes its whole entry log once, at the store's next flush (debounced, at most
  // 1 s): a rewrite still pending when the test posts would take the posts in, one line per entry.
  // Counting lines per post needs that first write done.
  await new Promise((r) => setTimeout(r, 1_500));
  const res = await fetch(`${sb.url}/accounting/accounts?limit=100`, { headers: headers() });
  for (const a of ((await res.json()) as { data: { code: string; id: string }[] }).data) acc.set(a.code, a.id);
});

after(async () => {
  await sb.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('journal entries are appended to a log, one line per post, and survive a restart', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await post(`Declaratie EXP-log-${i}`);
    assert.equal(r.status, 201);
    ids.push(r.id!);
  }
  // An attachment added later is one more line for that entry.
  const fd = new FormData();
  fd.append('file', new Blob([Buffer.from('%PDF later')], { type: 'application/pdf' }), 'later.pdf');
  assert.equal((await fetch(`${sb.url}/accounting/journalEntries/${ids[0]}/Attachments`, { method: 'POST', headers: headers(), body: fd })).status, 201);
  await sb.close();
  assert.equal(lines().length, 6, 'five posts and one attachment: six lines');
  assert.ok(!fs.existsSync(path.join(dataDir, 'divisions', DIV, 'journalEntries.json')), 'no whole-file copy of the entries');

  const before = fs.statSync(logFile()).size;
  sb = await start();
  ctl = new SandboxControl(sb.url, API_KEY);
  const stored = (await ctl.listJournalEntries(DIV)) as unknown as { id: string; description: string; attachments: { name: string }[] }[];
  assert.deepEqual(stored.map((e) => e.id), ids, 'every entry, once, in posting order');
  assert.deepEqual(stored[0].attachments.map((a) => a.name), ['bon.pdf', 'later.pdf']);
  assert.equal((await post('Declaratie EXP-log-after-restart')).status, 201);
  await sb.close();
  const grown = fs.statSync(logFile()).size - before;
  assert.ok(grown > 0 && grown < before / 3, `a post appends about one entry's line (${grown} bytes after ${before})`);
  sb = await start();
  ctl = new SandboxControl(sb.url, API_KEY);
  assert.equal((await ctl.listJournalEntries(DIV)).length, 6);
});

test("an older sandbox's entry file is taken over into the log", async () => {
  await sb.close();
  const dir = path.join(dataDir, 'divisions', DIV);
  const entries = fs.readFileSync(logFile(), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string });
  const unique = [...new Map(entries.map((e) => [e.id, e])).values()];
  fs.rmSync(logFile());
  fs.writeFileSync(path.join(dir, 'journalEntries.json'), JSON.stringify(unique));
  sb = await start();
  ctl = new SandboxControl(sb.url, API_KEY);
  assert.equal((await post('Declaratie EXP-after-upgrade')).status, 201);
  await sb.close();
  assert.ok(!fs.existsSync(path.join(dir, 'journalEntries.json')), 'the old file is gone');
  sb = await start();
  ctl = new SandboxControl(sb.url, API_KEY);
  assert.equal((await ctl.listJournalEntries(DIV)).length, unique.length + 1, 'old entries and the new one');
});

test('the request log shows each answer, 429s included, and the limit counts what it answered', async () => {
  await ctl.setRateLimits({ perMinute: 3, perDay: 1_000 });
  await ctl.resetRateLimitCounters(DIV);
  await ctl.clearRequests();
  const statuses: number[] = [];
  // Seven calls: wherever a minute boundary falls among them, one minute gets more than 3.
  for (let i = 0; i < 7; i++) statuses.push((await fetch(`${sb.url}/accounting/journals?limit=5`, { headers: headers() })).status);
  const log = await ctl.listRequests({ division: DIV });
  // Within one calendar minute: 3 answered, then 429s.
  assert.deepEqual(log.map((r) => r.status), statuses);
  assert.ok(statuses.filter((s) => s === 429).length >= 1, `some calls were refused: ${statuses}`);
  const limits = await ctl.getRateLimits();
  assert.equal(limits.perMinute, 3);
  const mine = limits.divisions.find((d) => d.division === DIV);
  // The day counts what was answered since 00:00 UTC (all of it, unless the calls straddled midnight).
  const today = new Date().toISOString().slice(0, 10);
  const answeredToday = log.filter((r) => r.status === 200 && r.at.startsWith(today)).length;
  assert.ok(mine && mine.minute.used <= 3 && mine.day.used === answeredToday, JSON.stringify(mine));
  await ctl.setRateLimits({ perMinute: 100_000, perDay: 1_000_000 });
});
