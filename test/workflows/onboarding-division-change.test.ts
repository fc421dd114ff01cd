/**
 * onboardTenant when a reconnect chose another division than the tenant had, under skipped time
 * with stubbed activities: it waits for the admin's decision; confirm → the new credential is
 * applied, synced and scheduled; reject, or no answer within the authorization timeout → the new
 * credential is discarded and nothing else runs. A decision about another division is ignored.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Workflow } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { eventually, startTimeSkipping, stubActivities, type TimeSkipping, type WorkerScope } from '../helpers/time-skipping';
import { uniqueId } from '../helpers/ids';
import { onboardTenant } from '../../src/workflows/onboarding';
import { authorizedSignal, divisionDecisionSignal, onboardingStatusQuery, workflowIds } from '../../src/workflows/definitions';

let ts: TimeSkipping;
before(async () => {
  ts = await startTimeSkipping();
});
after(async () => {
  await ts?.stop();
});

const OLD = '123456';
const NEW = '234567';

function stubs() {
  return stubActivities({
    createAuthorizationLink: async () => ({ authorizationUrl: 'http://127.0.0.1:4010/auth/hosted?session=abc' }),
    expireAuthorization: async () => undefined,
    activateConnection: async () => ({ division: NEW, divisionName: 'Andere B.V.', previousDivision: OLD }),
    applyDivisionChange: async () => undefined,
    discardDivisionChange: async () => undefined,
    planSync: async () => ({ mode: 'full' as const, since: null, reason: 'first sync' }),
    startSyncRun: async () => undefined,
    syncResource: async ({ resource }) => ({ [resource]: { fetched: 1, upserted: 1, deactivated: 0, pages: 1 } }),
    checkMappingHealth: async () => ({ ok: true, issues: 0 }),
    finishSyncRun: async () => undefined,
    ensureResyncSchedule: async ({ tenantId }) => ({ scheduleId: `resync:${tenantId}` }),
    markConnected: async () => ({ resumedExports: 0 }),
    markNeedsReauthorization: async () => undefined,
    markError: async () => undefined,
  });
}

/** Starts onboarding, authorizes it, and waits until it asks for the admin's decision. */
async function awaitingDecision(w: WorkerScope, s: ReturnType<typeof stubs>): Promise<{ handle: WorkflowHandle<Workflow>; tenantId: string }> {
  const tenantId = uniqueId('tenant');
  const handle = await w.start(onboardTenant, { workflowId: workflowIds.onboarding(tenantId), args: [{ tenantId }] });
  await eventually('awaiting authorization', async () => ((await handle.query(onboardingStatusQuery)).step === 'awaiting_authorization' ? true : undefined));
  const [{ state }] = s.inputsOf('createAuthorizationLink');
  await handle.signal(authorizedSignal, { state, credentialId: 'cred-1' });
  await eventually('awaiting the decision', async () => ((await handle.query(onboardingStatusQuery)).step === 'awaiting_division_confirmation' ? true : undefined));
  return { handle, tenantId };
}

test('confirmed: the new division is applied, then synced, scheduled and connected', async () => {
  const s = stubs();
  await ts.withWorker(s, async (w) => {
    const { handle, tenantId } = await awaitingDecision(w, s);
    const status = await handle.query(onboardingStatusQuery);
    assert.deepEqual([status.previousDivision, status.division], [OLD, NEW]);
    assert.equal(s.inputsOf('planSync').length, 0, 'nothing is synced before the decision');

    await handle.signal(divisionDecisionSignal, { decision: 'confirm', division: '999999' }); // about another change: ignored
    await handle.signal(divisionDecisionSignal, { decision: 'confirm', division: NEW });
    const result = await handle.result();
    assert.equal(result.step, 'connected');
    assert.deepEqual(s.inputsOf('applyDivisionChange'), [{ tenantId, division: NEW }]);
    assert.equal(s.inputsOf('discardDivisionChange').length, 0);
    const order = s.names().filter((n) => n !== 'syncResource');
    assert.deepEqual(order, ['createAuthorizationLink', 'activateConnection', 'applyDivisionChange', 'planSync', 'startSyncRun', 'checkMappingHealth', 'finishSyncRun', 'ensureResyncSchedule', 'markConnected']);
  });
});

test('rejected: the new credential is discarded; no sync, no schedule', async () => {
  const s = stubs();
  await ts.withWorker(s, async (w) => {
    const { handle, tenantId } = await awaitingDecision(w, s);
    await handle.signal(divisionDecisionSignal, { decision: 'reject', division: NEW });
    const result = await handle.result();
    assert.equal(result.step, 'division_change_rejected');
    assert.match(result.error ?? '', /rejected switching from division 123456 to 234567/);
    assert.deepEqual(s.inputsOf('discardDivisionChange'), [{ tenantId, message: result.error }]);
    assert.deepEqual(s.names(), ['createAuthorizationLink', 'activateConnection', 'discardDivisionChange']);
  });
});

test('nobody decides: after the authorization timeout the change is discarded', async () => {
  const s = stubs();
  await ts.withWorker(s, async (w) => {
    const { handle } = await awaitingDecision(w, s);
    const result = await handle.result();
    assert.equal(result.step, 'division_change_rejected');
    assert.match(result.error ?? '', /nobody confirmed/);
    assert.deepEqual(s.names(), ['createAuthorizationLink', 'activateConnection', 'discardDivisionChange']);
  });
});
