/**
 * The codec endpoint: on the API it refuses without the platform key and decodes with it (the
 * `temporal` CLI shows a workflow's decrypted input through it); on the ops listener it answers
 * the Temporal UI's origin without a credential and refuses every other origin. Payloads of a key
 * the ring lacks fail clearly; malformed requests are 4xx naming the problem.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { defaultPayloadConverter } from '@temporalio/common';
import { toolPath } from '../../scripts/stack';
import { createApp } from '../../src/api/app';
import { createOpsApp } from '../../src/api/ops';
import { KeyRing } from '../../src/crypto';
import { PayloadEncryptionCodec } from '../../src/temporal';
import { listen } from '../helpers/http';
import { startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';

const PLATFORM_KEY = `pk-${randomBytes(16).toString('hex')}`;
const UI_ORIGIN = 'http://localhost:8233';
let p: Product;
let ops: Awaited<ReturnType<typeof listen>>;

before(async () => {
  p = await startProduct({ noWorker: true, env: { PLATFORM_API_KEY: `old-key-0123456789abcdef0123456789abcdef,${PLATFORM_KEY}`, ENCRYPTION_KEYS: `k2:${randomBytes(32).toString('base64')}` } });
  ops = await listen(createOpsApp({ config: p.config, logger: pino({ level: 'silent' }), codec: new PayloadEncryptionCodec(p.config.keyRing) }));
});
after(async () => {
  await ops?.close();
  await p?.close();
});

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');
const jsonPayload = (value: unknown) => {
  const pl = defaultPayloadConverter.toPayload(value);
  return { metadata: { encoding: b64(pl.metadata!.encoding!) }, data: b64(pl.data!) };
};

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json().catch(() => null)) as any };
}

describe('on the API listener: the platform key', () => {
  const auth = { authorization: `Bearer ${PLATFORM_KEY}` };

  test('refused without a credential or with a wrong one', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-the-key-000000000' }, { authorization: PLATFORM_KEY }, { authorization: `Basic ${b64(`x:${PLATFORM_KEY}`)}` }];
    for (const headers of attempts) {
      const r = await post(`${p.apiUrl}/codec/decode`, { payloads: [] }, headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(r.body.error.code, 'unauthorized');
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer\b/);
    }
  });

  test('round trip with the key (either of the configured ones): encode hides, decode restores', async () => {
    const value = { employee: 'Sanne de Vries', amount: '121.00' };
    const enc = await post(`${p.apiUrl}/codec/encode`, { payloads: [jsonPayload(value)] }, auth);
    assert.equal(enc.status, 200, JSON.stringify(enc.body));
    const [encrypted] = enc.body.payloads;
    assert.equal(Buffer.from(encrypted.metadata.encoding, 'base64').toString(), 'binary/encrypted');
    assert.equal(Buffer.from(encrypted.metadata['encryption-key-id'], 'base64').toString(), 'k2');
    assert.ok(!Buffer.from(encrypted.data, 'base64').toString('latin1').includes('Sanne'));
    const dec = await post(`${p.apiUrl}/codec/decode`, enc.body, { authorization: 'Bearer old-key-0123456789abcdef0123456789abcdef' });
    assert.equal(dec.status, 200);
    assert.deepEqual(JSON.parse(Buffer.from(dec.body.payloads[0].data, 'base64').toString()), value);
  });

  test('a payload of a key the ring lacks: 400 naming the key ID', async () => {
    const [foreign] = await new PayloadEncryptionCodec(new KeyRing([{ id: 'k0', key: randomBytes(32) }])).encode([defaultPayloadConverter.toPayload('x')]);
    const r = await post(`${p.apiUrl}/codec/decode`, { payloads: [{ metadata: { encoding: b64(foreign.metadata!.encoding!), 'encryption-key-id': b64('k0') }, data: b64(foreign.data!) }] }, auth);
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'cannot_decrypt');
    assert.match(r.body.error.message, /key ID "k0", which ENCRYPTION_KEYS does not contain/);
  });

  test('malformed requests are 4xx naming the problem', async () => {
    const notJson = await fetch(`${p.apiUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: 'x' });
    assert.equal(notJson.status, 415);
    const bad = await post(`${p.apiUrl}/codec/decode`, { payloads: [{ data: 'not base64!' }] }, auth);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.fields.map((f: any) => f.path), ['body.payloads.0.data']);
    assert.equal((await post(`${p.apiUrl}/codec/decode`, '{', auth)).status, 400);
  });

  test('a key that is no longer configured gets nothing', async () => {
    const config = { ...p.config, access: { ...p.config.access, platformKeys: [`rotated-${randomBytes(16).toString('hex')}`] } };
    const app = await listen(createApp({ config, logger: pino({ level: 'silent' }), db: p.db, temporal: { client: p.temporal, connection: p.temporal.connection as never }, stores: p.stores }));
    try {
      assert.equal((await post(`${app.url}/codec/decode`, { payloads: [] }, { authorization: 'Bearer ' })).status, 401);
      assert.equal((await post(`${app.url}/codec/decode`, { payloads: [] }, auth)).status, 401);
    } finally {
      await app.close();
    }
  });

  test('the temporal CLI shows a workflow decrypted through it (--codec-auth)', async () => {
    const workflowId = uniqueId('codec-cli');
    const handle = await p.temporal.workflow.start('codecProbe', { taskQueue: uniqueId('nobody'), workflowId, args: [{ employee: 'Jan Jansen', amount: '54.50' }] });
    try {
      const show = (extra: string[]) =>
        new Promise<string>((resolve, reject) =>
          execFile(toolPath('temporal'), ['workflow', 'show', '--address', p.config.temporal.address, '--workflow-id', workflowId, '--output', 'json', '--codec-endpoint', `${p.apiUrl}/codec`, ...extra], (err, stdout, stderr) =>
            err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
          ),
        );
      const shown = JSON.parse(await show(['--codec-auth', `Bearer ${PLATFORM_KEY}`]));
      const [input] = shown.events[0].workflowExecutionStartedEventAttributes.input.payloads;
      assert.equal(Buffer.from(input.metadata.encoding, 'base64').toString(), 'json/plain', 'decoded by the endpoint');
      assert.deepEqual(JSON.parse(Buffer.from(input.data, 'base64').toString()), { employee: 'Jan Jansen', amount: '54.50' });
      await assert.rejects(show([]), /401|Unauthorized|codec/i, 'without the key the CLI cannot decode');
    } finally {
      await handle.terminate();
    }
  });
});

describe('on the ops listener: the Temporal UI', () => {
  test('answers the UI origin without a credential, with CORS', async () => {
    const preflight = await fetch(`${ops.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace', 'access-control-request-private-network': 'true' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(preflight.headers.get('access-control-allow-private-network'), 'true');
    const enc = await post(`${ops.url}/codec/encode`, { payloads: [jsonPayload('hello')] }, { origin: UI_ORIGIN, 'x-namespace': 'default' });
    assert.equal(enc.status, 200);
    assert.equal(enc.headers.get('access-control-allow-origin'), UI_ORIGIN);
    const dec = await post(`${ops.url}/codec/decode`, enc.body, { origin: UI_ORIGIN });
    assert.equal(Buffer.from(dec.body.payloads[0].data, 'base64').toString(), '"hello"');
  });

  test('refuses any other origin, before and after the preflight', async () => {
    const preflight = await fetch(`${ops.url}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const r = await post(`${ops.url}/codec/decode`, { payloads: [] }, { origin: 'https://evil.example' });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'origin_not_allowed');
  });

  test('serves nothing but the codec and a health check', async () => {
    assert.equal((await fetch(`${ops.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${ops.url}/api/tenants`)).status, 404);
  });
});
