/**
 * onboardTenant's branches under skipped time, with stubbed activities: the hosted-auth link
 * expiring after an hour, a late but valid authorization (an older link's callback ignored), Maesn
 * refusing the new connection, a failed activation. The initial sync runs as the real child
 * workflow (syncMasterData) on stubbed activities too.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure, type Workflow } from '@temporalio/common';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { eventually, startTimeSkipping, stubActivities, type TimeSkipping, type WorkerScope } from '../helpers/time-skipping';
import { uniqueId } from '../helpers/ids';
// The workflow under test, its signal, query and update, and the failure types its activities
// raise: the only place this file names them.
import { onboardTenant } from '../../src/workflows/onboarding';
import { authorizationUrlUpdate, authorizedSignal, divisionDecisionSignal, onboardingStatusQuery, searchAttributes, workflowIds } from '../../src/workflows/definitions';
import { FailureType } from '../../src/workflows/failures';
import { syncResources } from '../../src/domain';
const UNAUTHORIZED = FailureType.maesnUnauthorized;
const DIVISION_NOT_ACCESSIBLE = FailureType.divisionNotAccessible;
const ONBOARDING_FAILED = 'OnboardingFailed';

let ts: TimeSkipping;
before(async () => {
  ts = await startTimeSkipping();
});
after(async () => {
  await ts?.stop();
});

const LINK = 'http://127.0.0.1:4010/auth/hosted?session=abc';
const HOUR = 3_600_000;

/** Stubs for a tenant that authorizes, verifies and syncs without trouble; `overrides` change steps. */
function onboardingStubs(overrides: Parameters<typeof stubActivities>[0] = {}) {
  return stubActivities({
    createAuthorizationLink: async () => ({ authorizationUrl: LINK }),
    expireAuthorization: async () => undefined,
    activateConnection: async () => ({ division: '123456', divisionName: 'Demo Advies B.V.' }),
    planSync: async () => ({ mode: 'full' as const, since: null, reason: 'first sync' }),
    startSyncRun: async () => undefined,
    syncResource: async ({ resource }) => ({ [resource]: { fetched: 2, upserted: 2, deactivated: 0, pages: 1 } }),
    checkMappingHealth: async () => ({ ok: true, issues: 0 }),
    finishSyncRun: async () => undefined,
    ensureResyncSchedule: async ({ tenantId }) => ({ scheduleId: `resync:${tenantId}` }),
    markConnected: async () => ({ resumedExports: 0 }),
    markNeedsReauthorization: async () => undefined,
    markError: async () => undefined,
    ...overrides,
  });
}

async function startOnboarding(w: WorkerScope) {
  const tenantId = uniqueId('tenant');
  const handle = await w.start(onboardTenant, { workflowId: workflowIds.onboarding(tenantId), args: [{ tenantId }] });
  return { handle, tenantId };
}

/** Waits (real time) until the link is out and the authorization timer runs. */
async function awaitingAuthorization(handle: WorkflowHandle<Workflow>): Promise<void> {
  await eventually('awaiting authorization', async () => ((await handle.query(onboardingStatusQuery)).step === 'awaiting_authorization' ? true : undefined));
  await eventually('authorization timer started', async () => {
    const history = await handle.fetchHistory();
    return (history.events ?? []).some((e) => e.timerStartedEventAttributes) ? true : undefined;
  });
}

test('nobody authorizes: after an hour the link expires and is withdrawn, nothing else runs', async () => {
  const stubs = onboardingStubs();
  await ts.withWorker(stubs, async (w) => {
    const { handle, tenantId } = await startOnboarding(w);
    await awaitingAuthorization(handle);
    assert.deepEqual(await handle.executeUpdate(authorizationUrlUpdate), { authorizationUrl: LINK });

    const result = await handle.result();
    // The run's own start and close times on the server's clock (which jumps on after the result).
    const { startTime, closeTime } = await handle.describe();
    const ran = (closeTime?.getTime() ?? NaN) - startTime.getTime();
    assert.ok(Math.abs(ran - HOUR) < 60_000, `expired after an hour on the server, not after ${ran} ms`);
    assert.equal(result.step, 'expired');
    assert.match(result.error ?? '', /expired/);
    assert.deepEqual(stubs.names(), ['createAuthorizationLink', 'expireAuthorization']);
    const [link] = stubs.inputsOf('createAuthorizationLink');
    assert.equal(link.workflowId, workflowIds.onboarding(tenantId));
    assert.deepEqual(stubs.inputsOf('expireAuthorization'), [{ tenantId, state: link.state }]);
    assert.equal((await handle.describe()).typedSearchAttributes.get(searchAttributes.onboardingStatus), 'expired');
  });
});

test('authorized after 59 minutes (an older link ignored): verified, synced by the child, scheduled, connected', async () => {
  const stubs = onboardingStubs();
  await ts.withWorker(stubs, async (w) => {
    const { handle, tenantId } = await startOnboarding(w);
    await awaitingAuthorization(handle);
    await ts.env.sleep('59 minutes');
    assert.equal((await handle.query(onboardingStatusQuery)).step, 'awaiting_authorization');

    const [{ state }] = stubs.inputsOf('createAuthorizationLink');
    await handle.signal(authorizedSignal, { state: 'state-of-an-older-link', credentialId: 'cred-old' });
    await handle.signal(authorizedSignal, { state, credentialId: 'cred-new' });
    const result = await handle.result();

    assert.equal(result.step, 'connected');
    assert.equal(result.division, '123456');
    assert.equal(result.sync?.status, 'succeeded');
    assert.deepEqual(Object.keys(result.sync?.counts ?? {}).sort(), [...syncResources].sort());
    assert.deepEqual(stubs.inputsOf('activateConnection'), [{ tenantId, credentialId: 'cred-new' }]);
    assert.equal(stubs.inputsOf('syncResource').length, syncResources.length);
    assert.deepEqual(stubs.inputsOf('ensureResyncSchedule'), [{ tenantId, interval: '1 hour', fullSyncEvery: '24 hours' }]);
    assert.deepEqual(stubs.inputsOf('markConnected'), [{ tenantId }]);
    assert.equal(stubs.inputsOf('expireAuthorization').length, 0);
    const order = stubs.names().filter((n) => n !== 'syncResource');
    assert.deepEqual(order, ['createAuthorizationLink', 'activateConnection', 'planSync', 'startSyncRun', 'checkMappingHealth', 'finishSyncRun', 'ensureResyncSchedule', 'markConnected']);
  });
});

test('Maesn refuses the new connection: needs reauthorization, no sync, no schedule', async () => {
  const stubs = onboardingStubs({
    activateConnection: async () => {
      throw ApplicationFailure.nonRetryable('401 from Maesn', UNAUTHORIZED);
    },
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle, tenantId } = await startOnboarding(w);
    await awaitingAuthorization(handle);
    const [{ state }] = stubs.inputsOf('createAuthorizationLink');
    await handle.signal(authorizedSignal, { state, credentialId: 'cred-1' });
    const result = await handle.result();
    assert.equal(result.step, 'needs_reauthorization');
    assert.equal(result.error, '401 from Maesn');
    assert.deepEqual(stubs.inputsOf('markNeedsReauthorization'), [{ tenantId, message: '401 from Maesn' }]);
    assert.deepEqual(stubs.names(), ['createAuthorizationLink', 'activateConnection', 'markNeedsReauthorization']);
  });
});

test('the initial sync is refused: the child reports it and onboarding ends in needs reauthorization', async () => {
  const stubs = onboardingStubs({
    syncResource: async () => {
      throw ApplicationFailure.nonRetryable('401 from Maesn', UNAUTHORIZED);
    },
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle, tenantId } = await startOnboarding(w);
    await awaitingAuthorization(handle);
    const [{ state }] = stubs.inputsOf('createAuthorizationLink');
    await handle.signal(authorizedSignal, { state, credentialId: 'cred-1' });
    const result = await handle.result();
    assert.equal(result.step, 'needs_reauthorization');
    assert.equal(result.sync?.status, 'needs_reauthorization');
    assert.equal(stubs.inputsOf('finishSyncRun')[0]?.status, 'needs_reauthorization');
    assert.deepEqual(stubs.inputsOf('markNeedsReauthorization'), [{ tenantId, message: '401 from Maesn' }]);
    assert.equal(stubs.inputsOf('ensureResyncSchedule').length, 0);
    assert.equal(stubs.inputsOf('markConnected').length, 0);
  });
});

test('a division the connection cannot reach: the tenant is marked in error and the run fails', async () => {
  const stubs = onboardingStubs({
    activateConnection: async () => {
      throw ApplicationFailure.nonRetryable('the connection has no access to division 999', DIVISION_NOT_ACCESSIBLE);
    },
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle, tenantId } = await startOnboarding(w);
    await awaitingAuthorization(handle);
    const [{ state }] = stubs.inputsOf('createAuthorizationLink');
    await handle.signal(authorizedSignal, { state, credentialId: 'cred-1' });
    const err = await handle.result().then(
      () => assert.fail('the run should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, ONBOARDING_FAILED);
    assert.deepEqual(stubs.inputsOf('markError'), [{ tenantId, message: 'the connection has no access to division 999' }]);
    assert.equal((await handle.query(onboardingStatusQuery)).step, 'failed');
  });
});

test('reconnected to another division and confirmed: the change is applied, then the new administration is synced in full', async () => {
  const stubs = onboardingStubs({
    activateConnection: async () => ({ division: '234567', divisionName: 'Demo Holding B.V.', previousDivision: '123456' }),
    applyDivisionChange: async () => undefined,
    planSync: async ({ requested }) => ({ mode: requested === 'full' ? ('full' as const) : ('incremental' as const), since: null, reason: `requested ${requested}` }),
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle, tenantId } = await startOnboarding(w);
    await awaitingAuthorization(handle);
    const [{ state }] = stubs.inputsOf('createAuthorizationLink');
    await handle.signal(authorizedSignal, { state, credentialId: 'cred-2' });
    await eventually('awaiting the confirmation', async () => ((await handle.query(onboardingStatusQuery)).step === 'awaiting_division_confirmation' ? true : undefined));
    await handle.signal(divisionDecisionSignal, { decision: 'confirm', division: '234567' });
    const result = await handle.result();
    assert.equal(result.step, 'connected');
    assert.deepEqual(stubs.inputsOf('applyDivisionChange'), [{ tenantId, division: '234567' }]);
    assert.deepEqual(stubs.inputsOf('planSync').map((i) => i.requested), ['full'], 'a full sync, whatever the previous division synced last');
    const order = stubs.names();
    assert.ok(order.indexOf('applyDivisionChange') < order.indexOf('planSync'), order.join(', '));
  });
});
