/** An authorization link that is not used in time: onboarding ends as expired; a new connect starts over. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { authorizeInSandbox, openCallback, startConnect, waitForState } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';

let p: Product;
before(async () => {
  p = await startProduct({ env: { ONBOARDING_AUTHORIZATION_TIMEOUT: '2s' } });
});
after(async () => {
  await p?.close();
});

test('an unused link expires, the callback of the old link is refused, and connecting again works', async () => {
  const t = uniqueId('late');
  await p.call('POST', '/api/tenants', { tenantId: t, name: 'Late BV' });
  const first = await startConnect(p, t);
  const oldCallback = await authorizeInSandbox(first.authorizationUrl, '123456'); // the admin is too slow to come back

  const expired = await waitForState(p, t, 'disconnected', 30_000);
  assert.match(expired.error, /expired/);
  const run = await p.temporal.workflow.getHandle(`onboarding:${t}`).result();
  assert.equal((run as any).step, 'expired');
  const late = await openCallback(oldCallback, first.connectCookie);
  assert.equal(late.status, 409, 'the old link no longer counts');

  const second = await startConnect(p, t);
  assert.notEqual(second.authorizationUrl, first.authorizationUrl);
  const callback = await authorizeInSandbox(second.authorizationUrl, '123456');
  const ok = await openCallback(callback, second.connectCookie);
  assert.equal(ok.status, 200);
  await eventually(async () => ((await p.call('GET', `/api/tenants/${t}/exact`)).body.state === 'connected' ? true : null), 'connected', 60_000);
});
