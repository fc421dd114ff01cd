import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { canonicalCallbackString, signCallbackParams, verifyCallbackSignature } from '@exact-export/maesn-sandbox';
import { verifyQuerySignature } from '../../src/api/callback-signature';

const SECRET = 'unit-test-signing-secret';

describe('sandbox callback signature', () => {
  test('canonical string sorts keys, percent-encodes keys and values and skips signature', () => {
    const s = canonicalCallbackString({ state: 'a b&c', accountKey: 'K/1+', companyId: '123456', signature: 'ignored' });
    assert.equal(s, 'accountKey=K%2F1%2B&companyId=123456&state=a%20b%26c');
  });

  test('signature is lowercase hex HMAC-SHA256 of the canonical string', () => {
    const params = { companyId: '123456', accountKey: 'abc' };
    const expected = createHmac('sha256', SECRET).update('accountKey=abc&companyId=123456').digest('hex');
    assert.equal(signCallbackParams(params, SECRET), expected);
    assert.match(expected, /^[0-9a-f]{64}$/);
  });

  test('verify accepts a correctly signed URL regardless of parameter order', () => {
    const params = { accountKey: 'k', companyId: '1', state: 'xyz' };
    const sig = signCallbackParams(params, SECRET);
    const url = new URL(`https://app.example/cb?state=xyz&signature=${sig}&companyId=1&accountKey=k`);
    assert.equal(verifyCallbackSignature(url, SECRET), true);
  });

  test('verify rejects tampering, a wrong secret, missing or duplicated parameters', () => {
    const sig = signCallbackParams({ accountKey: 'k', companyId: '1' }, SECRET);
    assert.equal(verifyCallbackSignature(new URL(`https://a/cb?accountKey=k&companyId=2&signature=${sig}`), SECRET), false);
    assert.equal(verifyCallbackSignature(new URL(`https://a/cb?accountKey=k&companyId=1&signature=${sig}`), 'other-secret'), false);
    assert.equal(verifyCallbackSignature(new URL('https://a/cb?accountKey=k&companyId=1'), SECRET), false);
    assert.equal(verifyCallbackSignature(new URL(`https://a/cb?accountKey=k&companyId=1&signature=${sig}&signature=${sig}`), SECRET), false);
    assert.equal(verifyCallbackSignature(new URL(`https://a/cb?accountKey=k&accountKey=k&companyId=1&signature=${sig}`), SECRET), false);
    assert.equal(verifyCallbackSignature(new URL(`https://a/cb?accountKey=k&companyId=1&extra=1&signature=${sig}`), SECRET), false);
  });

  // The service does not import the sandbox: it has its own verifier of the same scheme.
  test('contract: what the sandbox signs, the service verifies, and tampering fails on both sides', () => {
    const params = { state: 'a b&c/é', accountKey: 'K/1+=', companyId: '123456', tenant: 'acme' };
    const url = new URL('https://app.example/api/exact/callback');
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    url.searchParams.set('signature', signCallbackParams(params, SECRET));
    assert.equal(verifyQuerySignature(url.searchParams, SECRET), true);
    assert.equal(verifyQuerySignature(url.searchParams, 'other-secret'), false);
    const tampered = new URL(url);
    tampered.searchParams.set('companyId', '234567');
    assert.equal(verifyQuerySignature(tampered.searchParams, SECRET), false);
    assert.equal(verifyCallbackSignature(tampered, SECRET), false);
  });
});
