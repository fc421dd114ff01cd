import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxControl, startSandbox, type RunningSandbox } from '@exact-export/maesn-sandbox';

const API_KEY = 'sandbox-md-test-key';
const SECRET = 'sandbox-md-test-secret';
const DIV = '123456';

type Envelope<T> = { meta: { pagination?: { total: number; perPage: number; currentPage: number; totalPages: number } } | null; data: T; errors: unknown; rawData: unknown };
type Rec = Record<string, unknown> & { id: string };

let sb: RunningSandbox;
let ctl: SandboxControl;
let dataDir: string;
let key: string;

async function get<T = Rec[]>(p: string): Promise<{ status: number; body: Envelope<T> }> {
  const res = await fetch(`${sb.url}${p}`, { headers: { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': key } });
  return { status: res.status, body: (await res.json()) as Envelope<T> };
}

async function all(p: string): Promise<Rec[]> {
  const out: Rec[] = [];
  for (let page = 1; ; page++) {
    const sep = p.includes('?') ? '&' : '?';
    const r = await get(`${p}${sep}limit=100&page=${page}`);
    assert.equal(r.status, 200);
    out.push(...r.body.data);
    if (page >= (r.body.meta?.pagination?.totalPages ?? 0)) return out;
  }
}

const start = () => startSandbox({ port: 0, dataDir, apiKey: API_KEY, signingSecret: SECRET, rateLimit: { perMinute: 100_000, perDay: 1_000_000 } });

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-md-'));
  sb = await start();
  ctl = new SandboxControl(sb.url, API_KEY);
  key = (await ctl.createConnection(DIV)).accountKey;
});

after(async () => {
  await sb.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('pagination and query validation', () => {
  test('pages are 1-based with Maesn pagination meta and an envelope with null errors/rawData', async () => {
    const p1 = await get('/accounting/accounts?limit=10&page=1');
    assert.equal(p1.status, 200);
    const pg = p1.body.meta?.pagination;
    assert.ok(pg);
    assert.equal(pg.perPage, 10);
    assert.equal(pg.currentPage, 1);
    assert.equal(pg.totalPages, Math.ceil(pg.total / 10));
    assert.equal(p1.body.data.length, 10);
    assert.equal(p1.body.errors, null);
    assert.equal(p1.body.rawData, null);
    const p2 = await get('/accounting/accounts?limit=10&page=2');
    assert.notEqual(p2.body.data[0].id, p1.body.data[0].id);
    const everything = await all('/accounting/accounts');
    assert.equal(everything.length, pg.total);
    assert.equal(new Set(everything.map((a) => a.id)).size, pg.total);
    const beyond = await get(`/accounting/accounts?limit=100&page=${pg.totalPages + 1}`);
    assert.deepEqual(beyond.body.data, []);
  });

  test('limit outside {5,10,20,50,100} → 400 on every list endpoint', async () => {
    for (const p of ['accounts', 'journals', 'taxRates', 'suppliers', 'dimensions', 'journalEntries']) {
      const r = await get(`/accounting/${p}?limit=7`);
      assert.equal(r.status, 400, p);
      assert.equal((r.body.errors as { validationErrors: { field: string }[] }).validationErrors[0].field, 'limit');
    }
    assert.equal((await get('/accounting/accounts?page=0')).status, 400);
    assert.equal((await get('/accounting/accounts?lastModifiedAt=yesterday')).status, 400);
  });
});

describe('master data content', () => {
  test('accounts carry class/type/status for P&L, balance sheet and creditor classification', async () => {
    const accounts = await all('/accounting/accounts');
    const by = new Map(accounts.map((a) => [a.code as string, a]));
    assert.equal(by.get('4500')?.class, 'EXPENSE');
    assert.equal(by.get('1600')?.type, 'ACCOUNTS_PAYABLE');
    assert.equal(by.get('1600')?.class, 'LIABILITY');
    assert.equal(by.get('1610')?.type, 'EMPLOYEES_PAYABLE');
    assert.equal(by.get('1400')?.type, 'VAT');
    assert.equal(by.get('1400')?.class, 'ASSET');
    assert.equal(by.get('1500')?.class, 'LIABILITY');
    assert.equal(by.get('4590')?.status, 'ARCHIVED', 'blocked account visible as ARCHIVED');
    assert.equal(by.get('4500')?.status, 'ACTIVE');
    assert.match(by.get('4500')?.id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  test('tax rates carry percentage, type and usage; blocked ones show via isActive=false and rawData', async () => {
    const rates = await all('/accounting/taxRates');
    const by = new Map(rates.map((r) => [r.code as string, r]));
    assert.deepEqual([by.get('5')?.percentage, by.get('5')?.type, by.get('5')?.usage], [21, 'EXCLUSIVE', 'BILL']);
    assert.equal(by.get('1')?.usage, 'INVOICE');
    assert.equal(by.get('7')?.type, 'ZERO_TAX');
    assert.equal(by.get('8')?.type, 'NO_TAX');
    const inactive = await get('/accounting/taxRates?isActive=false');
    assert.deepEqual(inactive.body.data.map((r) => r.code), ['12']);
    const raw = await get('/accounting/taxRates?limit=100&rawData=true');
    const raw12 = (raw.body.rawData as { d: { results: { Code: string; IsBlocked: boolean }[] } }).d.results.find((r) => r.Code === '12');
    assert.equal(raw12?.IsBlocked, true);
  });

  test('dimensions: cost centres and cost units by categoryName, inactive ones flagged', async () => {
    const dims = await all('/accounting/dimensions');
    const cats = new Set(dims.map((d) => d.categoryName));
    assert.deepEqual([...cats].sort(), ['CostCenter', 'CostUnit']);
    assert.ok(dims.some((d) => d.categoryName === 'CostCenter' && d.status === 'INACTIVE'));
    assert.ok(dims.some((d) => d.categoryName === 'CostUnit' && d.status === 'ACTIVE'));
  });

  test('suppliers carry number and employees appear as contact persons', async () => {
    const sup = await all('/accounting/suppliers');
    const jan = sup.find((s) => s.number === '9001');
    assert.equal(jan?.contactType, 'CONTACT_PERSON');
    assert.equal(jan?.role, 'SUPPLIER');
    const filtered = await get('/accounting/suppliers?number=2001');
    assert.equal(filtered.body.data.length, 1);
    const raw = await get('/accounting/suppliers?number=2012&rawData=true');
    assert.equal((raw.body.rawData as { d: { results: { Blocked: boolean }[] } }).d.results[0].Blocked, true);
  });

  test('single account / tax rate / supplier by id; unknown id → 404', async () => {
    const first = (await get('/accounting/taxRates?limit=5')).body.data[0];
    const one = await get<Rec>(`/accounting/taxRates/${first.id}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.data.code, first.code);
    for (const p of ['accounts', 'taxRates', 'suppliers']) assert.equal((await get(`/accounting/${p}/00000000-0000-0000-0000-000000000000`)).status, 404);
  });

  test('journals expose code and type', async () => {
    const j = await all('/accounting/journals');
    const by = new Map(j.map((x) => [x.code as string, x]));
    assert.equal(by.get('90')?.type, 'General journal');
    assert.equal(by.get('60')?.type, 'Purchase');
    assert.equal(by.get('20')?.type, 'Bank');
  });
});

describe('lastModifiedAt and control-API master data changes', () => {
  test('changes, blocks and creates show up after lastModifiedAt; deletes remove', async () => {
    const cutoff = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual((await get(`/accounting/accounts?lastModifiedAt=${encodeURIComponent(cutoff)}`)).body.data, []);
    await ctl.updateRecord(DIV, 'accounts', '4300', { description: 'Kantoorartikelen' });
    await ctl.blockTaxRate(DIV, '6');
    await ctl.createRecord(DIV, 'suppliers', { code: '9100', name: 'Nieuw, Medewerker', isEmployee: true, firstName: 'Medewerker', lastName: 'Nieuw' });
    await ctl.createRecord(DIV, 'costCenters', { code: '800', description: 'Innovatie' });

    const acc = await get(`/accounting/accounts?lastModifiedAt=${encodeURIComponent(cutoff)}`);
    assert.deepEqual(acc.body.data.map((a) => [a.code, a.name]), [['4300', 'Kantoorartikelen']]);
    const tax = await get(`/accounting/taxRates?lastModifiedAt=${encodeURIComponent(cutoff)}&isActive=false`);
    assert.deepEqual(tax.body.data.map((t) => t.code), ['6']);
    const sup = await get(`/accounting/suppliers?lastModifiedAt=${encodeURIComponent(cutoff)}`);
    assert.deepEqual(sup.body.data.map((s) => s.number), ['9100']);
    const dims = await get(`/accounting/dimensions?lastModifiedAt=${encodeURIComponent(cutoff)}`);
    assert.deepEqual(dims.body.data.map((d) => d.name), ['Innovatie']);

    await ctl.deleteRecord(DIV, 'suppliers', '9100');
    assert.equal((await get('/accounting/suppliers?number=9100')).body.data.length, 0);
    await ctl.unblockTaxRate(DIV, '6');
  });

  test('state persists across restart with the same dataDir', async () => {
    await ctl.createRecord(DIV, 'accounts', { code: '4560', description: 'Congreskosten', type: 121 });
    await ctl.closePeriod(DIV, '2031-01');
    await sb.close();
    sb = await start();
    ctl = new SandboxControl(sb.url, API_KEY);
    const accounts = await all('/accounting/accounts');
    assert.ok(accounts.some((a) => a.code === '4560' && a.name === 'Congreskosten'));
    assert.ok(accounts.some((a) => a.code === '4300' && a.name === 'Kantoorartikelen'));
    assert.equal((await get('/accounting/journals?limit=5')).status, 200, 'account key survives restart');
  });

  test('reset restores the seed for a division', async () => {
    await ctl.resetDivision(DIV);
    const accounts = await all('/accounting/accounts');
    assert.ok(!accounts.some((a) => a.code === '4560'));
    assert.ok(accounts.some((a) => a.code === '4300' && a.name === 'Kantoorbenodigdheden'));
  });
});

describe('large administrations', () => {
  test('a generated division with 20k suppliers pages, filters and persists', async () => {
    await ctl.createDivision({ code: '777777', name: 'Groot Bedrijf B.V.', generate: { suppliers: 20_000, accounts: 1_000, seed: 3 } });
    const big = (await ctl.createConnection('777777')).accountKey;
    const h = { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': big };
    const last = await fetch(`${sb.url}/accounting/suppliers?limit=100&page=200`, { headers: h });
    const lb = (await last.json()) as Envelope<Rec[]>;
    assert.equal(lb.meta?.pagination?.total, 20_000);
    assert.equal(lb.data.length, 100);
    const cutoff = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await ctl.updateRecord('777777', 'suppliers', '10042', { name: 'Gewijzigd B.V.' });
    const changed = await fetch(`${sb.url}/accounting/suppliers?limit=100&lastModifiedAt=${encodeURIComponent(cutoff)}`, { headers: h });
    assert.deepEqual(((await changed.json()) as Envelope<Rec[]>).data.map((s) => s.companyName), ['Gewijzigd B.V.']);
    await sb.close();
    sb = await start();
    ctl = new SandboxControl(sb.url, API_KEY);
    const again = await fetch(`${sb.url}/accounting/suppliers?number=10042`, { headers: h });
    assert.equal(((await again.json()) as Envelope<Rec[]>).data[0].companyName, 'Gewijzigd B.V.');
    const accounts = await fetch(`${sb.url}/accounting/accounts?limit=5`, { headers: h });
    assert.equal(((await accounts.json()) as Envelope<Rec[]>).meta?.pagination?.total, 1_000);
  });
});
