/**
 * No secret anywhere it could be read later: the real worker and API processes (NODE_ENV=production,
 * debug logging) connect a tenant, sync, export a report and serve the codec endpoint; then every
 * secret value — Maesn API key, account key, signing secret, encryption keys, platform key,
 * Temporal API key; raw, base64, base64url and hex — is searched in both processes' logs, in every
 * MongoDB document and in every Temporal history and schedule of the run: zero hits. Report content
 * (employee name, amounts, descriptions) is unreadable in the raw histories, yet there once decoded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { BSON } from 'mongodb';
import pino from 'pino';
import { SandboxControl, startSandbox, type RunningSandbox } from '@exact-export/maesn-sandbox';
import { DEMO_DIVISION, demoMappings, mixedReport } from '../fixtures/demo-data';
import { ROOT, freePort, httpOk } from '../../scripts/stack';
import { loadConfig, type ProductConfig } from '../../src/config';
import { createStores } from '../../src/store';
import { PayloadEncryptionCodec, isEncrypted, productDataConverter } from '../../src/temporal';
import { authorizeInSandbox, openCallback } from '../helpers/onboarding';
import { eventually } from '../helpers/product';
import { testDb, testStack, uniqueId } from '../helpers/stack';

const secret = (prefix: string) => `${prefix}-${randomBytes(18).toString('hex')}`;
const SECRETS = {
  maesnApiKey: secret('maesn-key'),
  signingSecret: secret('signing'),
  platformKey: secret('platform'),
  temporalApiKey: secret('tcld'),
  currentKey: randomBytes(32).toString('base64'),
  oldKey: randomBytes(32).toString('base64'),
};

const tenantId = uniqueId('sec');
const reportId = uniqueId('R');
let sandbox: RunningSandbox;
let sandboxDir: string;
let mongo: Awaited<ReturnType<typeof testDb>>;
let config: ProductConfig;
let env: Record<string, string>;
let apiUrl: string;
let opsUrl: string;
const procs: { name: string; child: ChildProcess; out: string[]; exit: Promise<number | null> }[] = [];

function start(name: string, file: string) {
  const out: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, file)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => out.push(String(d)));
  child.stderr!.on('data', (d) => out.push(String(d)));
  const p = { name, child, out, exit: new Promise<number | null>((r) => child.once('exit', (code) => r(code))) };
  procs.push(p);
  return p;
}

async function call(method: string, p: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${apiUrl}${p}`, {
    method,
    headers: { authorization: `Bearer ${SECRETS.platformKey}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

before(async () => {
  sandboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-secrets-'));
  sandbox = await startSandbox({
    port: 0,
    dataDir: sandboxDir,
    apiKey: SECRETS.maesnApiKey,
    signingSecret: SECRETS.signingSecret,
    rateLimit: { perMinute: 100_000, perDay: 10_000_000 },
    logger: pino({ level: 'silent' }),
  });
  mongo = await testDb('secrets');
  const [apiPort, opsPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  apiUrl = `http://127.0.0.1:${apiPort}`;
  opsUrl = `http://127.0.0.1:${opsPort}`;
  env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'debug',
    LOG_PRETTY: 'false',
    TEMPORAL_ADDRESS: testStack().temporalAddress,
    TEMPORAL_TASK_QUEUE: uniqueId('tq-secrets'),
    // Sent on every Temporal call (the dev server ignores it); plaintext here only because the dev server has no TLS.
    TEMPORAL_API_KEY: SECRETS.temporalApiKey,
    TEMPORAL_TLS: 'false',
    MONGODB_URI: testStack().mongoUri,
    MONGODB_DB: mongo.db.databaseName,
    MAESN_BASE_URL: sandbox.url,
    MAESN_API_KEY: SECRETS.maesnApiKey,
    MAESN_SIGNING_SECRET: SECRETS.signingSecret,
    ENCRYPTION_KEYS: `k2:${SECRETS.currentKey},k1:${SECRETS.oldKey}`,
    PLATFORM_API_KEY: SECRETS.platformKey,
    API_PORT: String(apiPort),
    PUBLIC_BASE_URL: apiUrl,
    OPS_PORT: String(opsPort),
    WORKER_METRICS_PORT: String(metricsPort),
  };
  config = loadConfig(env);
  const worker = start('worker', 'src/worker.ts');
  const api = start('api', 'src/api/main.ts');
  await eventually(() => httpOk(`http://127.0.0.1:${metricsPort}/metrics`), `worker up: ${worker.out.join('')}`, 90_000);
  await eventually(() => httpOk(`${apiUrl}/readyz`), `API ready: ${api.out.join('')}`, 60_000);
});

after(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await sandbox?.close();
  await mongo?.dispose();
  fs.rmSync(sandboxDir, { recursive: true, force: true });
});

/** Every form a value could be written in. */
function forms(value: string | Buffer): string[] {
  const b = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  const out = [b.toString('base64'), b.toString('base64url'), b.toString('hex')];
  if (!Buffer.isBuffer(value)) out.push(value);
  // A base64 value is also searched without its padding (as it may appear inside a longer base64 text).
  return [...new Set(out.flatMap((f) => [f, f.replace(/=+$/, '')]))].filter((f) => f.length >= 16);
}

/**
 * Every string and every byte string inside `value` (protobuf messages, BSON documents), bytes both
 * as they are and in base64: the text in which a secret would show, however it was stored.
 * (Not JSON.stringify: protobuf messages turn their bytes into base64 there, hiding what is inside.)
 */
function renderings(value: unknown): string {
  const parts: string[] = [];
  walk(value, (v) => {
    if (typeof v === 'string') parts.push(v);
    else {
      parts.push(Buffer.from(v).toString('latin1'), Buffer.from(v).toString('base64'));
    }
  });
  return parts.join('\n');
}

function walk(v: unknown, visit: (leaf: string | Uint8Array) => void, seen = new Set<object>()): void {
  if (typeof v === 'string' || v instanceof Uint8Array) return visit(v);
  if (!v || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if ((v as { _bsontype?: string })._bsontype === 'Binary') return visit((v as BSON.Binary).buffer);
  for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], visit, seen);
}

/**
 * The payloads (`{metadata, data: bytes}`) inside a history, except search attributes: those are
 * never encrypted (Temporal indexes them) and hold only IDs and statuses.
 */
function payloadsOf(v: unknown, out: Payload[] = [], seen = new Set<object>()): Payload[] {
  if (!v || typeof v !== 'object' || seen.has(v) || v instanceof Uint8Array) return out;
  seen.add(v);
  const o = v as Record<string, unknown>;
  if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') out.push(o as Payload);
  else for (const k of Object.keys(o)) if (k !== 'searchAttributes') payloadsOf(o[k], out, seen);
  return out;
}

/** Filled by the first test: the admin link token and the session token it was exchanged for. */
const sessionSecrets = { linkToken: '', sessionToken: '' };

test('connect, sync and export through the real processes, with every secret in use', { timeout: 240_000 }, async () => {
  assert.equal((await call('POST', '/api/tenants', { tenantId, name: 'Secret B.V.' })).status, 201);
  const connect = await call('POST', `/api/tenants/${tenantId}/exact/connect`);
  assert.equal(connect.status, 200, JSON.stringify(connect.body));
  const callbackUrl = await authorizeInSandbox(connect.body.authorizationUrl, DEMO_DIVISION);
  // The callback must come from the client that started the connect (its connect cookie).
  const connectCookie = connect.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const cb = await openCallback(callbackUrl, connectCookie);
  assert.equal(cb.status, 200, await cb.text());
  const connected = await eventually(async () => {
    const s = await call('GET', `/api/tenants/${tenantId}/exact`);
    return s.body?.state === 'connected' && s.body.lastSync?.finishedAt ? s.body : null;
  }, 'connected after the first sync', 120_000);

  const sync = await call('POST', `/api/tenants/${tenantId}/exact/sync`, { mode: 'full' });
  assert.equal(sync.status, 202, JSON.stringify(sync.body));
  await eventually(async () => {
    const s = await call('GET', `/api/tenants/${tenantId}/exact`);
    return s.body?.lastSync?.runId !== connected.lastSync.runId && s.body?.lastSync?.finishedAt ? s.body : null;
  }, 'the manual sync', 120_000);

  assert.equal((await call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings())).status, 200);
  assert.equal((await call('POST', `/api/tenants/${tenantId}/expense-reports/${reportId}/export`, mixedReport(reportId))).status, 202);
  await eventually(async () => (await call('GET', `/api/tenants/${tenantId}/expense-reports/${reportId}/export`)).body?.status === 'posted', 'the export posted', 120_000);

  // The codec endpoint on both listeners (the platform key in a header, which must not be logged).
  const payloads = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"x"').toString('base64') }] };
  for (const [url, auth] of [[`${apiUrl}/codec/encode`, `Bearer ${SECRETS.platformKey}`], [`${opsUrl}/codec/encode`, undefined]] as const) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(payloads) });
    assert.equal(res.status, 200, url);
  }

  // An admin session: the one-time link token, exchanged for the session cookie, used once.
  const minted = await call('POST', `/api/tenants/${tenantId}/admin-sessions`);
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  sessionSecrets.linkToken = minted.body.token;
  const exchanged = await fetch(`${apiUrl}/api/admin-session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', origin: apiUrl },
    body: JSON.stringify({ token: minted.body.token }),
  });
  assert.equal(exchanged.status, 200, await exchanged.clone().text());
  const sessionCookie = exchanged.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('exact_export_session='));
  assert.ok(sessionCookie, 'the exchange sets the session cookie');
  sessionSecrets.sessionToken = sessionCookie.slice(sessionCookie.indexOf('=') + 1);
  const asAdmin = await fetch(`${apiUrl}/api/tenants/${tenantId}/exact`, { headers: { cookie: sessionCookie, accept: 'application/json' } });
  assert.equal(asAdmin.status, 200);

  // Stop both processes, so their logs are complete.
  for (const p of procs) p.child.kill('SIGTERM');
  for (const p of procs) assert.equal(await p.exit, 0, `${p.name}: ${p.out.join('').slice(-2000)}`);
});

test('no secret in the logs, the database or Temporal; report content unreadable in the histories', { timeout: 120_000 }, async () => {
  const stores = createStores(mongo.db, config);
  const accountKey = (await stores.tenants.revealAccountKey(tenantId))?.accountKey;
  assert.ok(accountKey && accountKey.length >= 16, 'the tenant has an account key');
  const secrets: Record<string, string[]> = {
    'Maesn API key': forms(SECRETS.maesnApiKey),
    'account key': forms(accountKey),
    'signing secret': forms(SECRETS.signingSecret),
    'platform key': forms(SECRETS.platformKey),
    'Temporal API key': forms(SECRETS.temporalApiKey),
    'current encryption key': forms(Buffer.from(SECRETS.currentKey, 'base64')),
    'old encryption key': forms(Buffer.from(SECRETS.oldKey, 'base64')),
    'admin link token': forms(sessionSecrets.linkToken),
    'admin session token': forms(sessionSecrets.sessionToken),
  };
  assert.ok(sessionSecrets.linkToken.length > 40 && sessionSecrets.sessionToken.length > 40, 'the session tokens were used');
  const hits = (where: string, text: string) =>
    Object.entries(secrets).flatMap(([name, fs]) => (fs.some((f) => text.includes(f)) ? [`${name} in ${where}`] : []));

  // 1. Logs: both processes logged at debug level, JSON lines.
  const found: string[] = [];
  for (const p of procs) {
    const log = p.out.join('');
    assert.ok(log.split('\n').filter((l) => l.startsWith('{"level":')).length >= 5, `${p.name} logged (JSON lines)`);
    found.push(...hits(`${p.name} log`, log));
  }
  assert.ok(procs.find((p) => p.name === 'api')!.out.join('').includes('/api/exact/callback?'), 'the callback request was logged (with its query masked)');
  assert.ok(procs.find((p) => p.name === 'worker')!.out.join('').includes('"msg":"worker started"'), 'the worker logged');

  // 2. MongoDB: every document of every collection.
  const collections = await mongo.db.listCollections().toArray();
  assert.ok(collections.length >= 8, 'the run wrote its collections');
  let documents = 0;
  for (const c of collections) {
    for (const doc of await mongo.db.collection(c.name).find({}).toArray()) {
      documents++;
      found.push(...hits(`MongoDB ${c.name}`, `${BSON.EJSON.stringify(doc, { relaxed: false })}\n${renderings(doc)}`));
    }
  }
  assert.ok(documents > 100, `master data, exports, receipts… (${documents} documents)`);

  // 3. Temporal: every history of the run's task queue, raw as the server stores it, and the schedules.
  const connection = await Connection.connect({ address: testStack().temporalAddress });
  try {
    const raw = new Client({ connection });
    const runs = [];
    for await (const w of raw.workflow.list({ query: `TaskQueue = "${env.TEMPORAL_TASK_QUEUE}"` })) runs.push(w);
    const types = new Set(runs.map((r) => r.type));
    for (const t of ['onboardTenant', 'syncMasterData', 'exportExpenseReport']) assert.ok(types.has(t), `a ${t} run`);
    const codec = new PayloadEncryptionCodec(config.keyRing);
    // What does travel through the histories (workflows carry references, not the report): the
    // division's name and the Exact entry. Readable once decoded, never in the raw history.
    const exp = await stores.exports.get(tenantId, reportId);
    const conn = await stores.tenants.getConnection(tenantId);
    const travelling = [exp!.exactEntryId!, exp!.exactEntryNumber!, conn!.divisionName!];
    assert.ok(travelling.every((t) => typeof t === 'string' && t.length >= 4), JSON.stringify(travelling));
    let decodedText = '';
    for (const run of runs) {
      const history = await raw.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      const text = renderings(history);
      found.push(...hits(`history ${run.workflowId}`, text));
      for (const readable of ['Sanne de Vries', '315.87', '121.00', 'Treinkaartje Utrecht-Maastricht', 'Klantbezoeken november', ...travelling]) {
        if (text.includes(readable)) found.push(`"${readable}" readable in history ${run.workflowId}`);
      }
      // Every payload is encrypted…
      const payloads = payloadsOf(history);
      for (const p of payloads) if (!isEncrypted(p)) found.push(`an unencrypted payload in ${run.workflowId}`);
      // …and the content is there, once decoded with the key ring.
      for (const p of await codec.decode(payloads)) decodedText += `${JSON.stringify(defaultPayloadConverter.fromPayload(p))}\n`;
    }
    for (const t of travelling) assert.ok(decodedText.includes(t), `${t} is in a history, encrypted`);

    // Schedules: their stored form (`raw`); describing them needs the key ring (the action's input is encrypted).
    const product = new Client({ connection, dataConverter: productDataConverter(config.keyRing) });
    await assert.rejects(raw.schedule.getHandle(`resync:${tenantId}`).describe(), /Unknown encoding: binary\/encrypted/);
    for (const id of [`resync:${tenantId}`, `retention:${env.TEMPORAL_TASK_QUEUE}`]) {
      const d = await product.schedule.getHandle(id).describe();
      found.push(...hits(`schedule ${id}`, renderings(d.raw)));
      for (const p of payloadsOf(d.raw)) if (!isEncrypted(p)) found.push(`an unencrypted payload in schedule ${id}`);
    }
  } finally {
    await connection.close();
  }
  assert.deepEqual(found, []);
});
