import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { redactPaths } from '../../src/logger';
import { redactUrl } from '../../src/api/app';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const log = pino({ redact: { paths: redactPaths, censor: '[redacted]' } }, stream);
  return { log, text: () => lines.join('') };
}

test('secrets are censored wherever the usual keys appear', () => {
  const { log, text } = capture();
  log.info({ apiKey: 'AK-1', accountKey: 'ACC-2', connection: { accountKey: 'ACC-3', division: '123' }, headers: { 'x-api-key': 'AK-4', 'x-account-key': 'ACC-5' } }, 'calling Maesn');
  log.info({ req: { headers: { 'x-api-key': 'AK-6' }, query: { accountKey: 'ACC-7', signature: 'SIG-8' } } }, 'request');
  const out = text();
  for (const secret of ['AK-1', 'ACC-2', 'ACC-3', 'AK-4', 'ACC-5', 'AK-6', 'ACC-7', 'SIG-8']) {
    assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
  }
  assert.match(out, /"division":"123"/, 'non-secret fields stay');
  assert.match(out, /\[redacted\]/);
});

test('URLs in request logs lose credential query values', () => {
  assert.equal(
    redactUrl('/api/exact/callback?tenant=t1&accountKey=abc123&companyId=42&signature=ff00'),
    '/api/exact/callback?tenant=t1&accountKey=[redacted]&companyId=42&signature=[redacted]',
  );
  assert.equal(redactUrl('/readyz'), '/readyz');
});
