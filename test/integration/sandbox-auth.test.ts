import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxControl, startSandbox, verifyCallbackSignature, type RunningSandbox } from '@exact-export/maesn-sandbox';

const API_KEY = 'sandbox-auth-test-key';
const SECRET = 'sandbox-auth-test-secret';

let sb: RunningSandbox;
let ctl: SandboxControl;
let dataDir: string;

async function loginUrl(query: Record<string, string>, target = 'exact-nl'): Promise<Response> {
  return fetch(`${sb.url}/auth/${target}?${new URLSearchParams(query).toString()}`, { headers: { 'X-API-KEY': API_KEY } });
}

async function postForm(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

function data(h: Record<string, string>) {
  return fetch(`${sb.url}/accounting/journals?limit=5`, { headers: h });
}

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-auth-'));
  sb = await startSandbox({ port: 0, dataDir, apiKey: API_KEY, signingSecret: SECRET, rateLimit: { perMinute: 10_000, perDay: 100_000 } });
  ctl = new SandboxControl(sb.url, API_KEY);
});

after(async () => {
  await sb.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('hosted connect flow', () => {
  test('GET /auth/{target} returns the hosted login URL as text', async () => {
    const res = await loginUrl({ callbackUrl: 'https://app.example/cb' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const url = new URL(await res.text());
    assert.equal(url.origin, sb.url);
    assert.equal(url.pathname, '/hosted/exact-nl/login');
    assert.ok((url.searchParams.get('session') ?? '').length >= 16);
  });

  test('hosted page is an HTML form listing the divisions with a division field', async () => {
    const url = await (await loginUrl({ callbackUrl: 'https://app.example/cb', cancelCallbackUrl: 'https://app.example/cancel' })).text();
    const res = await fetch(url);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<form method="post"/);
    assert.match(html, /name="division" value="123456"/);
    assert.match(html, /name="division" value="234567"/);
    assert.match(html, /type="submit"/);
    assert.match(html, /value="cancel"/);
    // Submit the form the way a browser would: its own action URL, the pre-checked division.
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1].replace(/&amp;/g, '&') as string;
    const checked = /name="division" value="(\d+)" checked/.exec(html)?.[1] as string;
    const res2 = await postForm(new URL(action, sb.url).toString(), { username: 'demo', password: 'x', division: checked, action: 'login' });
    assert.equal(res2.status, 302);
    assert.equal(new URL(res2.headers.get('location') as string).searchParams.get('companyId'), checked);
  });

  test('plain form POST creates a connection and redirects with a valid signature', async () => {
    const url = await (await loginUrl({ callbackUrl: 'https://app.example/cb?state=s-1', include_signature: 'true' })).text();
    const res = await postForm(url, { division: '234567' });
    assert.equal(res.status, 302);
    const loc = new URL(res.headers.get('location') as string);
    assert.equal(loc.origin + loc.pathname, 'https://app.example/cb');
    assert.equal(loc.searchParams.get('state'), 's-1');
    assert.equal(loc.searchParams.get('companyId'), '234567');
    const key = loc.searchParams.get('accountKey') as string;
    assert.ok(key.length >= 32);
    assert.match(loc.searchParams.get('signature') ?? '', /^[0-9a-f]{64}$/);
    assert.equal(verifyCallbackSignature(loc, SECRET), true);
    assert.equal(verifyCallbackSignature(loc, 'wrong-secret'), false);

    const companies = await fetch(`${sb.url}/auth/companies`, { headers: { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': key } });
    assert.equal(companies.status, 200);
    const body = (await companies.json()) as { data: { id: string; name: string }[]; errors: unknown };
    assert.deepEqual(body.data.map((c) => c.id), ['234567']);
    assert.equal(body.errors, null);
  });

  test('without include_signature no signature is appended', async () => {
    const r = await ctl.connect({ division: '123456', callbackUrl: 'https://app.example/cb' });
    assert.equal(new URL(r.redirectUrl).searchParams.has('signature'), false);
    assert.equal(r.companyId, '123456');
  });

  test('a session is single use; an unknown division is rejected', async () => {
    const url = await (await loginUrl({ callbackUrl: 'https://app.example/cb' })).text();
    const bad = await postForm(url, { division: '999999' });
    assert.equal(bad.status, 400);
    const ok = await postForm(url, { division: '123456' });
    assert.equal(ok.status, 302);
    const again = await postForm(url, { division: '123456' });
    assert.equal(again.status, 400);
  });

  test('cancel redirects to cancelCallbackUrl without creating a connection', async () => {
    const url = await (await loginUrl({ callbackUrl: 'https://app.example/cb', cancelCallbackUrl: 'https://app.example/cancelled' })).text();
    const res = await postForm(url, { action: 'cancel' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), 'https://app.example/cancelled');
  });

  test('unknown target system → 405, missing callbackUrl → 400, missing API key → 401', async () => {
    const r1 = await loginUrl({ callbackUrl: 'https://app.example/cb' }, 'xero');
    assert.equal(r1.status, 405);
    assert.equal(((await r1.json()) as { errors: { code: string } }).errors.code, 'UNSUPPORTED_TARGET_SYSTEM');
    for (const t of ['exact-be', 'exact-de', 'exact-gb']) assert.equal((await loginUrl({ callbackUrl: 'https://a/cb' }, t)).status, 200);
    assert.equal((await loginUrl({})).status, 400);
    assert.equal((await fetch(`${sb.url}/auth/exact-nl?callbackUrl=https://a/cb`)).status, 401);
  });
});

describe('API authentication', () => {
  test('health needs no auth', async () => {
    assert.equal((await fetch(`${sb.url}/health`)).status, 200);
  });

  test('missing or wrong X-API-KEY → 401 with a Maesn-style error body', async () => {
    const { accountKey } = await ctl.createConnection('123456');
    const r1 = await data({ 'X-ACCOUNT-KEY': accountKey });
    assert.equal(r1.status, 401);
    const b = (await r1.json()) as Record<string, unknown>;
    assert.equal(b.data, null);
    assert.equal(b.rawData, null);
    assert.equal((b.errors as { statusCode: number }).statusCode, 401);
    assert.equal((await data({ 'X-API-KEY': 'nope', 'X-ACCOUNT-KEY': accountKey })).status, 401);
  });

  test('missing or unknown X-ACCOUNT-KEY → 401', async () => {
    assert.equal((await data({ 'X-API-KEY': API_KEY })).status, 401);
    assert.equal((await data({ 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': 'not-a-key' })).status, 401);
  });

  test('revoked account key → 401', async () => {
    const { accountKey } = await ctl.createConnection('123456');
    assert.equal((await data({ 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': accountKey })).status, 200);
    assert.deepEqual(await ctl.revokeAccountKey(accountKey), { revoked: true });
    assert.equal((await data({ 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': accountKey })).status, 401);
  });

  test('companyId of a division the key is not connected to → 403; own division or none → 200', async () => {
    const { accountKey } = await ctl.createConnection('123456');
    const h = { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': accountKey };
    assert.equal((await fetch(`${sb.url}/accounting/accounts?companyId=234567`, { headers: h })).status, 403);
    assert.equal((await fetch(`${sb.url}/accounting/accounts?companyId=123456`, { headers: h })).status, 200);
    assert.equal((await fetch(`${sb.url}/accounting/accounts`, { headers: h })).status, 200);
  });

  test('control API requires the API key', async () => {
    assert.equal((await fetch(`${sb.url}/_sandbox/divisions`)).status, 401);
    assert.equal((await fetch(`${sb.url}/_sandbox/divisions`, { headers: { 'X-API-KEY': API_KEY } })).status, 200);
  });
});
