import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { canonicalCallbackString, signCallbackParams, verifyCallbackSignature } from '../../src/sandbox';

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
});
