/**
 * Temporal connection options for secured clusters (Temporal Cloud, mTLS), end to end: a TLS
 * front that demands a client certificate (like Temporal Cloud's mTLS endpoints) sits before the
 * dev server. The product — API client and worker, both Temporal client libraries — connects
 * through it with TEMPORAL_TLS_* (and an API key), runs a workflow and its activity; without a
 * client certificate, or trusting the wrong CA, it cannot connect.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { Connection, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { temporalConnectionOptions } from '../../src/temporal';
import { startProduct } from '../helpers/product';
import { testStack, uniqueId } from '../helpers/stack';

const FIXTURES = path.resolve(__dirname, '../fixtures/tls');
const file = (name: string) => path.join(FIXTURES, name);

let front: tls.Server;
let address: string;
const clients: string[] = [];

before(async () => {
  const upstream = new URL(`tcp://${testStack().temporalAddress}`);
  front = tls.createServer(
    {
      key: fs.readFileSync(file('server.key')),
      cert: fs.readFileSync(file('server.pem')),
      ca: fs.readFileSync(file('ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      clients.push(String(socket.getPeerCertificate().subject?.CN));
      const up = net.connect(Number(upstream.port), upstream.hostname);
      socket.pipe(up).pipe(socket);
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
    },
  );
  front.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  address = `127.0.0.1:${(front.address() as net.AddressInfo).port}`;
});
after(async () => {
  await new Promise<void>((r) => front.close(() => r()));
});

const mtls = () => ({
  TEMPORAL_ADDRESS: address,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
  TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
  TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
  TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key'),
});

test('the product runs over mTLS with an API key: client and worker connect, a workflow and its activity run', { timeout: 120_000 }, async () => {
  const p = await startProduct({ env: { ...mtls(), TEMPORAL_API_KEY: 'tls-test-api-key' } });
  try {
    assert.ok(p.config.temporal.tls, 'TLS on');
    const err: any = await p.temporal.workflow
      .execute('exportExpenseReport', { taskQueue: p.taskQueue, workflowId: uniqueId('export:tls'), args: [{ tenantId: 't', reportId: 'missing' }] })
      .then(() => null, (e) => e);
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.match(String((err as any).cause?.cause?.message ?? (err as any).cause?.message), /not found/, 'the activity ran on the worker behind TLS');
    assert.ok(clients.length >= 2, 'the client and the worker connections went through the TLS front');
    assert.ok(clients.every((cn) => cn === 'exact-export worker'), `client certificates: ${clients.join(', ')}`);
  } finally {
    await p.close();
  }
});

test('certificates as PEM variables work the same', { timeout: 60_000 }, async () => {
  const config = loadConfig({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TLS_SERVER_CA_CERT_DATA: fs.readFileSync(file('ca.pem'), 'utf8'),
    TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
    TEMPORAL_TLS_CLIENT_CERT_DATA: fs.readFileSync(file('client.pem'), 'utf8'),
    TEMPORAL_TLS_CLIENT_KEY_DATA: fs.readFileSync(file('client.key'), 'utf8'),
  });
  const native = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  await native.close();
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  try {
    const health = await connection.healthService.check({});
    assert.equal(health.status, 1, 'SERVING');
  } finally {
    await connection.close();
  }
});

test('without a client certificate, or trusting another CA, there is no connection', { timeout: 60_000 }, async () => {
  const noCert = loadConfig({ TEMPORAL_ADDRESS: address, TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'), TEMPORAL_TLS_SERVER_NAME: 'temporal.test' });
  const wrongCa = loadConfig({ ...mtls(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('stranger.pem') });
  const plaintext = loadConfig({ TEMPORAL_ADDRESS: address });
  for (const [what, config] of [['no client certificate', noCert], ['another CA', wrongCa], ['no TLS', plaintext]] as const) {
    await assert.rejects(NativeConnection.connect(temporalConnectionOptions(config.temporal)), Error, `worker connection with ${what}`);
    await assert.rejects(Connection.connect({ ...temporalConnectionOptions(config.temporal), connectTimeout: 3_000 }), Error, `client connection with ${what}`);
  }
});
