/**
 * onboardTenant (ID `onboarding:<tenantId>`): hosted-auth link → wait for the `authorized` signal
 * → check the connection → initial sync (child) → resync schedule. Also the reauthorization flow:
 * connecting again runs the same workflow and resumes the schedule.
 *
 * The signal carries a reference to the credential the API stored (encrypted) on the callback,
 * never the account key itself: no secret enters workflow history.
 *
 * A reconnect that chose another division than the tenant had waits for an admin to confirm the
 * switch (`divisionDecision`); until then nothing is posted, and a rejection (or no answer within
 * the authorization timeout) keeps the previous connection.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  executeChild,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { OnboardingActivities } from '../activities/onboarding';
import {
  authorizationUrlUpdate,
  authorizedSignal,
  divisionDecisionSignal,
  onboardingStatusQuery,
  searchAttributes,
  workflowIds,
  type DivisionDecision,
  type OnboardingStatus,
  type OnboardingStep,
} from './definitions';
import { FailureType, activityProfiles, failureOf } from './failures';
import { syncMasterData } from './sync';

export interface OnboardTenantInput {
  tenantId: string;
  /** How long the hosted-auth link waits for the admin (default 1 hour). */
  authorizationTimeout?: Duration;
  /** Interval of the scheduled resync (default 1 hour). */
  resyncInterval?: Duration;
  /** How often a scheduled sync is a full one (default 24 hours). */
  fullSyncEvery?: Duration;
  pageSize?: 5 | 10 | 20 | 50 | 100;
}

const acts = proxyActivities<OnboardingActivities>(activityProfiles.bookkeeping);

const TERMINAL: OnboardingStep[] = ['connected', 'needs_reauthorization', 'expired', 'division_change_rejected', 'failed'];

export async function onboardTenant(input: OnboardTenantInput): Promise<OnboardingStatus> {
  const { tenantId } = input;
  const status: OnboardingStatus = { tenantId, step: 'creating_link' };
  const state = uuid4();
  let credentialId: string | undefined;
  const decisions: DivisionDecision[] = [];

  const setStep = (step: OnboardingStep) => {
    status.step = step;
    upsertSearchAttributes([
      { key: searchAttributes.tenantId, value: tenantId },
      { key: searchAttributes.onboardingStatus, value: step },
    ]);
  };

  setHandler(onboardingStatusQuery, () => status);
  setHandler(authorizedSignal, (s) => {
    // A callback of an older link (other state) or a second callback is ignored.
    if (s.state === state && credentialId === undefined) credentialId = s.credentialId;
  });
  // Kept until the division is known: a decision may arrive while the credential is being checked.
  setHandler(divisionDecisionSignal, (d) => void decisions.push(d));
  setHandler(
    authorizationUrlUpdate,
    async () => {
      await condition(() => status.authorizationUrl !== undefined || TERMINAL.includes(status.step));
      if (status.step !== 'awaiting_authorization' || !status.authorizationUrl) {
        throw ApplicationFailure.nonRetryable(`onboarding is ${status.step}, no authorization is pending`, FailureType.notAwaitingAuthorization);
      }
      return { authorizationUrl: status.authorizationUrl };
    },
  );

  setStep('creating_link');
  try {
    const link = await acts.createAuthorizationLink({ tenantId, state, workflowId: workflowInfo().workflowId });
    status.authorizationUrl = link.authorizationUrl;
    setStep('awaiting_authorization');

    const authorized = await condition(() => credentialId !== undefined, input.authorizationTimeout ?? '1 hour');
    if (!authorized) {
      await acts.expireAuthorization({ tenantId, state });
      status.error = 'the authorization link expired before the admin finished; connect again';
      setStep('expired');
      return await finish(status);
    }

    setStep('verifying');
    const conn = await acts.activateConnection({ tenantId, credentialId: credentialId! });
    status.division = conn.division;
    if (conn.previousDivision !== undefined) {
      status.previousDivision = conn.previousDivision;
      setStep('awaiting_division_confirmation');
      const decisionFor = () => decisions.find((d) => d.division === conn.division);
      await condition(() => decisionFor() !== undefined, input.authorizationTimeout ?? '1 hour');
      const decision = decisionFor()?.decision;
      if (decision !== 'confirm') {
        status.error =
          decision === 'reject'
            ? `an admin rejected switching from division ${conn.previousDivision} to ${conn.division}`
            : `nobody confirmed switching from division ${conn.previousDivision} to ${conn.division} in time`;
        await acts.discardDivisionChange({ tenantId, message: status.error });
        setStep('division_change_rejected');
        return await finish(status);
      }
      await acts.applyDivisionChange({ tenantId, division: conn.division });
    }

    setStep('syncing');
    // Another administration: its master data is read whole (nothing of the previous one is kept).
    const mode = conn.previousDivision !== undefined ? 'full' : 'auto';
    const sync = await executeChild(syncMasterData, {
      workflowId: workflowIds.onboardingSync(tenantId, workflowInfo().runId),
      args: [{ tenantId, mode, trigger: 'onboarding', fullSyncEvery: input.fullSyncEvery, pageSize: input.pageSize }],
    });
    status.sync = sync;
    if (sync.status === 'needs_reauthorization') {
      status.error = 'Maesn refused the new connection during the initial sync';
      setStep('needs_reauthorization');
      return await finish(status);
    }

    setStep('scheduling');
    await acts.ensureResyncSchedule({ tenantId, interval: input.resyncInterval ?? '1 hour', fullSyncEvery: input.fullSyncEvery ?? '24 hours' });
    await acts.markConnected({ tenantId });
    setStep('connected');
    return await finish(status);
  } catch (err) {
    const d = failureOf(err);
    status.error = d.message;
    if (d.type === FailureType.maesnUnauthorized) {
      await acts.markNeedsReauthorization({ tenantId, message: d.message });
      setStep('needs_reauthorization');
    } else {
      await acts.markError({ tenantId, message: d.message });
      setStep('failed');
      await finish(status);
      // Fail the run so ops see it in the Temporal UI; the tenant shows state `error`.
      throw ApplicationFailure.nonRetryable(`onboarding of ${tenantId} failed: ${d.message}`, FailureType.onboardingFailed);
    }
    return await finish(status);
  }
}

async function finish(status: OnboardingStatus): Promise<OnboardingStatus> {
  await condition(allHandlersFinished);
  return status;
}
