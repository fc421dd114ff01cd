import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxControl, startSandbox, type RunningSandbox } from '@exact-export/maesn-sandbox';

const API_KEY = 'sandbox-je-test-key';
const DIV = '123456';
const YEAR = new Date().getUTCFullYear();
const PERIOD = `${YEAR}-03`;

type Issue = { code: string; message: string; field?: string; line?: number };
type Body = { meta: unknown; data: Record<string, any> | null; errors: { statusCode: number; code: string; message: string; validationErrors: Issue[] } | null; rawData: unknown };

let sb: RunningSandbox;
let ctl: SandboxControl;
let dataDir: string;
let key: string;
const acc = new Map<string, string>();

function headers(): Record<string, string> {
  return { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': key };
}

/** A valid expense claim on the memorial journal: hotel with 9 % VAT + travel, credited to claims payable. */
function entry(over: Record<string, unknown> = {}, lines?: Record<string, unknown>[]): Record<string, unknown> {
  return {
    accountingPeriodId: PERIOD,
    description: 'Declaratie EXP-42 J. Jansen',
    journalCode: '90',
    transactionDate: `${PERIOD}-15`,
    currency: 'EUR',
    journalLineItems: lines ?? [
      { accountId: acc.get('4530'), debitCreditIndicator: 'DEBIT', description: 'Hotel', totalNetAmount: 100, totalTaxAmount: 9, totalGrossAmount: 109, taxRate: { code: '6' }, dimensions: [{ categoryName: 'CostCenter', code: '200' }, { categoryName: 'CostUnit', code: 'KD01' }] },
      { accountId: acc.get('4510'), debitCreditIndicator: 'DEBIT', description: 'Trein', totalNetAmount: 20.5, totalTaxAmount: 0, totalGrossAmount: 20.5 },
      { accountId: acc.get('1610'), debitCreditIndicator: 'CREDIT', description: 'J. Jansen', totalGrossAmount: 129.5, supplierId: '9001' },
    ],
    ...over,
  };
}

async function post(je: unknown, files: { name: string; pos?: string }[] = [], extraPos?: string[]): Promise<{ status: number; body: Body }> {
  const fd = new FormData();
  fd.append('journal_entry', typeof je === 'string' ? je : JSON.stringify(je));
  for (const f of files) fd.append('files', new Blob([Buffer.from(`%PDF-1.4 ${f.name}`)], { type: 'application/pdf' }), f.name);
  for (const f of files) if (f.pos !== undefined) fd.append('filesPos', f.pos);
  for (const p of extraPos ?? []) fd.append('filesPos', p);
  const res = await fetch(`${sb.url}/accounting/journalEntries`, { method: 'POST', headers: headers(), body: fd });
  return { status: res.status, body: (await res.json()) as Body };
}

type RejectOpts = { line?: number; match?: RegExp; files?: { name: string; pos?: string }[] };

async function rejectedIssue(je: unknown, code: string, opts: RejectOpts = {}): Promise<Issue> {
  const r = await post(je, opts.files);
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body.data, null);
  assert.equal(r.body.errors?.statusCode, 400);
  const issue = r.body.errors?.validationErrors.find((i) => i.code === code);
  assert.ok(issue, `expected ${code} in ${JSON.stringify(r.body.errors?.validationErrors)}`);
  if (opts.line !== undefined) assert.equal(issue.line, opts.line);
  if (opts.match) assert.match(issue.message, opts.match);
  return issue;
}

async function rejected(je: unknown, code: string, opts: RejectOpts = {}): Promise<void> {
  await rejectedIssue(je, code, opts);
}

function line(i: number, patch: Record<string, unknown>): Record<string, unknown>[] {
  const lines = (entry().journalLineItems as Record<string, unknown>[]).map((l) => ({ ...l }));
  lines[i] = { ...lines[i], ...patch };
  return lines;
}

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-je-'));
  sb = await startSandbox({ port: 0, dataDir, apiKey: API_KEY, signingSecret: 'sandbox-je-secret', rateLimit: { perMinute: 100_000, perDay: 1_000_000 } });
  ctl = new SandboxControl(sb.url, API_KEY);
  key = (await ctl.createConnection(DIV)).accountKey;
  const res = await fetch(`${sb.url}/accounting/accounts?limit=100`, { headers: headers() });
  for (const a of ((await res.json()) as { data: { code: string; id: string }[] }).data) acc.set(a.code, a.id);
});

after(async () => {
  await sb.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('creating journal entries', () => {
  test('valid entry with files → 201 with id, entry number, lines and file names; retrievable', async () => {
    const r = await post(entry(), [{ name: 'hotel.pdf', pos: '1' }, { name: 'trein.pdf', pos: '2' }]);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const d = r.body.data as Record<string, any>;
    assert.match(d.id, /^[0-9a-f-]{36}$/);
    assert.match(d.number, new RegExp(`^${String(YEAR).slice(2)}90\\d{4}$`));
    assert.deepEqual(d.files, ['hotel.pdf', 'trein.pdf']);
    assert.equal(d.journalLineItems.length, 3);
    assert.equal(d.journalLineItems[0].taxRate.code, '6');
    assert.deepEqual(d.journalLineItems[0].dimensions.map((x: { categoryName: string; code: string }) => `${x.categoryName}:${x.code}`), ['CostCenter:200', 'CostUnit:KD01']);
    const sup = await fetch(`${sb.url}/accounting/suppliers?number=9001`, { headers: headers() });
    assert.equal(d.journalLineItems[2].supplierId, ((await sup.json()) as { data: { id: string }[] }).data[0].id, 'supplier code resolved to its id');
    assert.equal(r.body.errors, null);

    const one = await fetch(`${sb.url}/accounting/journalEntries/${d.id}`, { headers: headers() });
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as Body).data?.number, d.number);
    const stored = await ctl.listJournalEntries(DIV);
    const mine = stored.find((e) => e.id === d.id) as unknown as { attachments: { name: string; linePosition: number }[] };
    assert.deepEqual(mine.attachments.map((a) => [a.name, a.linePosition]), [['hotel.pdf', 1], ['trein.pdf', 2]]);
  });

  test('a general journal entry has no entry-level description (as in Exact), its lines keep theirs; a purchase entry keeps it', async () => {
    const general = await post(entry());
    assert.equal(general.status, 201, JSON.stringify(general.body));
    const g = general.body.data as Record<string, any>;
    assert.equal(g.description, null);
    assert.deepEqual(g.journalLineItems.map((l: { description: string }) => l.description), ['Hotel', 'Trein', 'J. Jansen']);
    const listed = await fetch(`${sb.url}/accounting/journalEntries?limit=100`, { headers: headers() });
    const mine = ((await listed.json()) as { data: Record<string, any>[] }).data.find((e) => e.id === g.id);
    assert.equal(mine?.description, null);
    const purchase = await post(entry({ journalCode: '60' }));
    assert.equal(purchase.status, 201, JSON.stringify(purchase.body));
    assert.equal((purchase.body.data as Record<string, any>).description, 'Declaratie EXP-42 J. Jansen');
  });

  test('filesPos as a JSON array string is accepted', async () => {
    const r = await post(entry(), [{ name: 'a.pdf' }, { name: 'b.pdf' }], ['[1,3]']);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });

  test('replayed POST creates a duplicate (no idempotency)', async () => {
    const je = entry({ description: 'Replay test' });
    const a = await post(je);
    const b = await post(je);
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.notEqual(a.body.data?.id, b.body.data?.id);
    assert.notEqual(a.body.data?.number, b.body.data?.number);
    assert.equal((await ctl.listJournalEntries(DIV)).filter((e) => e.postedDescription === 'Replay test').length, 2);
  });

  test('list with lastModifiedAt and pagination; unknown id → 404 Maesn-style', async () => {
    const cutoff = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const created = await post(entry({ description: 'After cutoff' }));
    const res = await fetch(`${sb.url}/accounting/journalEntries?limit=5&lastModifiedAt=${encodeURIComponent(cutoff)}`, { headers: headers() });
    const body = (await res.json()) as { data: { id: string }[]; meta: { pagination: { total: number } } };
    assert.deepEqual(body.data.map((e) => e.id), [created.body.data?.id]);
    assert.equal(body.meta.pagination.total, 1);
    const missing = await fetch(`${sb.url}/accounting/journalEntries/00000000-0000-0000-0000-000000000000`, { headers: headers() });
    assert.equal(missing.status, 404);
    const mb = (await missing.json()) as Body;
    assert.equal(mb.errors?.code, 'NOT_FOUND');
    assert.equal(mb.data, null);
  });

  test('attachments can be added afterwards', async () => {
    const created = await post(entry({ description: 'Attach later' }));
    const fd = new FormData();
    fd.append('file', new Blob([Buffer.from('receipt')], { type: 'image/png' }), 'bon.png');
    const res = await fetch(`${sb.url}/accounting/journalEntries/${created.body.data?.id}/Attachments`, { method: 'POST', headers: headers(), body: fd });
    assert.equal(res.status, 201);
    const b = (await res.json()) as Body;
    assert.deepEqual(b.data?.files, ['bon.png']);
    assert.notEqual(b.data?.updatedDate, created.body.data?.updatedDate);
  });
});

describe('Exact rules on journal entries', () => {
  test('missing required header fields are each reported', async () => {
    const r = await post({ journalLineItems: entry().journalLineItems });
    assert.equal(r.status, 400);
    const fields = r.body.errors?.validationErrors.filter((i) => i.code === 'MANDATORY').map((i) => i.field).sort();
    assert.deepEqual(fields, ['accountingPeriodId', 'description', 'journalCode', 'transactionDate']);
  });

  test('missing journal_entry part or invalid JSON → 400', async () => {
    const fd = new FormData();
    fd.append('filesPos', '1');
    const res = await fetch(`${sb.url}/accounting/journalEntries`, { method: 'POST', headers: headers(), body: fd });
    assert.equal(res.status, 400);
    assert.equal((await post('{not json')).status, 400);
  });

  test('unknown journal', () => rejected(entry({ journalCode: '99' }), 'INVALID_REFERENCE', { match: /Journal '99'/ }));
  test('blocked journal', () => rejected(entry({ journalCode: '80' }), 'BLOCKED', { match: /Journal: 80/ }));
  test('unknown GL account', () => rejected(entry({}, line(1, { accountId: 'ffffffff-0000-0000-0000-000000000000' })), 'INVALID_REFERENCE', { line: 2, match: /G\/L account/ }));
  test('blocked GL account', () => rejected(entry({}, line(1, { accountId: acc.get('4590') })), 'BLOCKED', { line: 2, match: /Ledger account: 4590/ }));

  test('GL account blocked through the control API is rejected, unblocked accepted again', async () => {
    await ctl.blockAccount(DIV, '4510');
    await rejected(entry(), 'BLOCKED', { line: 2 });
    await ctl.unblockAccount(DIV, '4510');
    assert.equal((await post(entry())).status, 201);
  });

  test('unknown VAT code', () => rejected(entry({}, line(0, { taxRate: { code: '77' } })), 'INVALID_REFERENCE', { line: 1, match: /VAT code '77'/ }));
  test('blocked VAT code', () => rejected(entry({}, line(0, { taxRate: { code: '12' } })), 'BLOCKED', { line: 1, match: /VAT code: 12/ }));
  test('sales VAT code on the memorial journal', () => rejected(entry({}, line(0, { taxRate: { code: '2' } })), 'NOT_ALLOWED', { line: 1, match: /sales VAT code/ }));
  test('sales VAT code on the purchase journal', () => rejected(entry({ journalCode: '60' }, line(0, { taxRate: { code: '2' } })), 'NOT_ALLOWED', { line: 1 }));
  test('purchase VAT code on the sales journal', () => rejected(entry({ journalCode: '70' }), 'NOT_ALLOWED', { line: 1, match: /purchase VAT code/ }));
  test('any VAT code on a journal without VAT', () => rejected(entry({ journalCode: '95' }), 'NOT_ALLOWED', { line: 1, match: /does not allow VAT/ }));
  test('VAT amount without a VAT code', () => rejected(entry({}, line(0, { taxRate: undefined })), 'MANDATORY', { line: 1, match: /VAT code/ }));

  test('unknown cost centre', () => rejected(entry({}, line(0, { dimensions: [{ categoryName: 'CostCenter', code: 'X1' }] })), 'INVALID_REFERENCE', { line: 1, match: /Cost center 'X1'/ }));
  test('inactive cost centre', () => rejected(entry({}, line(0, { dimensions: [{ categoryName: 'CostCenter', code: '900' }] })), 'BLOCKED', { line: 1, match: /Cost center: 900/ }));
  test('unknown cost unit', () => rejected(entry({}, line(0, { dimensions: [{ categoryName: 'CostUnit', code: 'NOPE' }] })), 'INVALID_REFERENCE', { line: 1, match: /Cost unit/ }));
  test('inactive cost unit', () => rejected(entry({}, line(0, { dimensions: [{ categoryName: 'CostUnit', code: 'KD99' }] })), 'BLOCKED', { line: 1 }));
  test('unknown dimension category', () => rejected(entry({}, line(0, { dimensions: [{ categoryName: 'Project', code: '1' }] })), 'INVALID', { line: 1 }));

  test('amount with more than 2 decimals', () => rejected(entry({}, line(1, { totalNetAmount: 20.505, totalGrossAmount: 20.505 })), 'TOO_MANY_DECIMALS', { line: 2 }));
  test('net + tax ≠ gross', () => rejected(entry({}, line(0, { totalGrossAmount: 110 })), 'AMOUNT_MISMATCH', { line: 1 }));
  test('debits ≠ credits', () => rejected(entry({}, line(2, { totalGrossAmount: 129.49 })), 'UNBALANCED', { match: /out of balance.*0,01/ }));

  test('period outside the open years is missing', () => rejected(entry({ accountingPeriodId: `${YEAR + 5}-01`, transactionDate: `${YEAR + 5}-01-10` }), 'PERIOD_UNKNOWN'));
  test('last year is still open (December booked in January), the year before it is missing', async () => {
    assert.equal((await post(entry({ accountingPeriodId: `${YEAR - 1}-12`, transactionDate: `${YEAR - 1}-12-15` }))).status, 201);
    await rejected(entry({ accountingPeriodId: `${YEAR - 2}-12`, transactionDate: `${YEAR - 2}-12-15` }), 'PERIOD_UNKNOWN');
  });
  test('malformed accountingPeriodId', () => rejected(entry({ accountingPeriodId: '03/2025' }), 'INVALID', { match: /YYYY-MM/ }));

  test('closed period is rejected; reopened accepted', async () => {
    await ctl.closePeriod(DIV, PERIOD);
    const issue = await rejectedIssue(entry(), 'PERIOD_CLOSED');
    assert.match(issue.message, new RegExp(`${YEAR} - 03`));
    await ctl.reopenPeriod(DIV, PERIOD);
    assert.equal((await post(entry())).status, 201);
  });

  test('transaction date in a closed period is rejected', async () => {
    await ctl.closePeriod(DIV, `${YEAR}-04`);
    await rejected(entry({ transactionDate: `${YEAR}-04-02` }), 'PERIOD_CLOSED');
    await ctl.reopenPeriod(DIV, `${YEAR}-04`);
  });

  test('filesPos pointing at no line', () => rejected(entry(), 'FILE_POSITION', { files: [{ name: 'x.pdf', pos: '4' }] }));
  test('files without filesPos', () => rejected(entry(), 'MANDATORY', { files: [{ name: 'x.pdf' }], match: /filesPos/ }));

  test('blocked supplier on a line', () => rejected(entry({}, line(2, { supplierId: '2012' })), 'BLOCKED', { line: 3, match: /Account: 2012/ }));

  test('all violations are reported together and Exact raw error is in rawData', async () => {
    const r = await post(entry({ journalCode: '99' }, line(0, { totalNetAmount: 1.234 })));
    assert.equal(r.status, 400);
    assert.ok((r.body.errors?.validationErrors.length ?? 0) >= 2);
    const raw = r.body.rawData as { error: { message: { value: string } } };
    assert.match(raw.error.message.value, /Invalid reference: Journal/);
  });

  test('no entry is stored for rejected requests', async () => {
    const before = (await ctl.listJournalEntries(DIV)).length;
    await post(entry({ journalCode: '99' }));
    assert.equal((await ctl.listJournalEntries(DIV)).length, before);
  });
});
