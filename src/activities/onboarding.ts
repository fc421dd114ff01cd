/** Onboarding activities: hosted-auth link, connection check and storage, resync schedule. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Duration } from '@temporalio/common';
import { upsertResyncSchedule, wakeExports } from '../services';
import type { ConnectionState } from '../store';
import { retrySignal } from '../workflows/definitions';
import { FailureType } from '../workflows/failures';
import { callGovernor } from './call-governor';
import { maesnCall, type ActivityDeps } from './common';
import { createMaesnWebhookActivities } from './maesn-webhooks';
import { createSyncActivities } from './sync';

export function createOnboardingActivities(deps: ActivityDeps) {
  const { stores, config, logger } = deps;
  const sync = createSyncActivities(deps);
  const maesnWebhooks = createMaesnWebhookActivities(deps);

  return {
    markNeedsReauthorization: sync.markNeedsReauthorization,

    async createAuthorizationLink({ tenantId, state, workflowId }: { tenantId: string; state: string; workflowId: string }): Promise<{ authorizationUrl: string }> {
      const base = config.api.publicBaseUrl.replace(/\/$/, '');
      const callbackUrl = new URL(`${base}/api/exact/callback`);
      callbackUrl.searchParams.set('tenantId', tenantId);
      callbackUrl.searchParams.set('state', state);
      const cancelUrl = new URL(`${base}/admin`);
      cancelUrl.searchParams.set('tenant', tenantId);
      cancelUrl.searchParams.set('cancelled', '1');
      const authorizationUrl = await maesnCall(() =>
        deps.maesn.getHostedAuthLink({ callbackUrl: callbackUrl.toString(), cancelCallbackUrl: cancelUrl.toString(), includeSignature: true }),
      );
      const conn = await stores.tenants.getConnection(tenantId);
      await stores.tenants.setConnection(tenantId, {
        state: 'awaiting_authorization',
        targetSystem: config.maesn.targetSystem,
        pendingAuthorization: { state, authorizationUrl, startedAt: new Date(), workflowId },
        // Remembered so an abandoned reconnect leaves the tenant where it was.
        stateBeforeAuthorization: conn?.state === 'awaiting_authorization' ? conn.stateBeforeAuthorization : (conn?.state ?? 'disconnected'),
        error: null,
      });
      return { authorizationUrl };
    },

    /** The link expired unused: back to the state before it (a reconnect attempt changes nothing). */
    async expireAuthorization({ tenantId, state }: { tenantId: string; state: string }): Promise<void> {
      const conn = await stores.tenants.getConnection(tenantId);
      if (conn?.pendingAuthorization?.state !== state) return;
      await stores.tenants.setConnection(tenantId, {
        state: stateBefore(conn.stateBeforeAuthorization),
        pendingAuthorization: null,
        error: { message: 'the authorization link expired before it was used; connect again', at: new Date() },
      });
      await stores.tenants.deletePendingCredentials(tenantId);
    },

    /**
     * Adopts the credential from the callback after checking that it reaches the chosen division.
     * Another division than the tenant had is not adopted: it waits for an admin's confirmation
     * (`previousDivision` in the result), and the connection shows `division_change_pending`.
     */
    async activateConnection({ tenantId, credentialId }: { tenantId: string; credentialId: string }): Promise<{ division: string; divisionName: string | null; previousDivision?: string }> {
      // The run adopts it (its retries too); another run, or a second activation, gets nothing.
      const cred = await stores.tenants.adoptPendingCredential(tenantId, credentialId, adopterOf(Context.current().info));
      if (!cred) throw ApplicationFailure.nonRetryable('the credential from the callback is not stored (already used or removed)', FailureType.credentialNotFound);
      // The division chosen at the callback; its budget counts this call too.
      const governor = callGovernor(deps, { priority: 'sync-now' });
      const companies = await maesnCall(() => deps.maesn.forConnection({ accountKey: cred.accountKey, companyId: cred.division }, { governor }).listCompanies());
      const company = companies.find((c) => c.id === cred.division || String(c.client_number ?? '') === cred.division);
      if (!company) {
        throw ApplicationFailure.nonRetryable(`the connection has no access to division ${cred.division}`, FailureType.divisionNotAccessible);
      }
      const previous = await stores.tenants.getConnection(tenantId);
      if (previous?.division && previous.division !== cred.division) {
        logger.warn({ tenantId, from: previous.division, to: cred.division }, 'tenant reconnected to another division: waiting for an admin to confirm');
        await stores.tenants.setConnection(tenantId, {
          state: stateBefore(previous.stateBeforeAuthorization),
          divisionChange: {
            division: cred.division,
            divisionName: company.name ?? null,
            accountKey: stores.tenants.sealAccountKey(tenantId, cred.accountKey),
            previousDivision: previous.division,
            requestedAt: new Date(),
          },
          pendingAuthorization: null,
          error: null,
        });
        await stores.tenants.deletePendingCredentials(tenantId);
        await stores.webhooks.record({ type: 'connection.division_change_pending', tenantId, objectId: tenantId, data: { fromDivision: previous.division, toDivision: cred.division } });
        return { division: cred.division, divisionName: company.name ?? null, previousDivision: previous.division };
      }
      await stores.tenants.setConnection(tenantId, {
        state: 'syncing',
        division: cred.division,
        divisionName: company.name ?? null,
        accountKey: stores.tenants.sealAccountKey(tenantId, cred.accountKey),
        connectedAt: new Date(),
        ...(previous?.division === cred.division ? {} : { divisionSince: new Date() }),
        pendingAuthorization: null,
        error: null,
      });
      await stores.tenants.deletePendingCredentials(tenantId);
      return { division: cred.division, divisionName: company.name ?? null };
    },

    /** The admin confirmed the switch: the new division's credential becomes the connection's. */
    async applyDivisionChange({ tenantId, division }: { tenantId: string; division: string }): Promise<void> {
      const conn = await stores.tenants.getConnection(tenantId);
      const change = conn?.divisionChange;
      if (!change || change.division !== division) {
        throw ApplicationFailure.nonRetryable(`no change to division ${division} is pending (disconnected meanwhile?)`, FailureType.credentialNotFound);
      }
      // Reports accepted for the previous division that cannot be in its books go to the new one,
      // and the previous administration's master data goes (the new one's sync follows).
      const moved = await stores.exports.repinDivision(tenantId, change.previousDivision, change.division);
      const forgotten = await stores.masterData.forgetTenant(tenantId);
      await stores.tenants.setConnection(tenantId, {
        state: 'syncing',
        division: change.division,
        divisionName: change.divisionName,
        accountKey: change.accountKey,
        connectedAt: new Date(),
        divisionSince: new Date(),
        divisionChange: null,
        error: null,
      });
      logger.warn({ tenantId, from: change.previousDivision, to: change.division, exportsMoved: moved, masterDataRecordsDropped: forgotten }, 'division change confirmed by an admin');
    },

    /** Rejected or unanswered: the new credential is dropped; the previous connection stays; waiting exports look again. */
    async discardDivisionChange({ tenantId, message }: { tenantId: string; message: string }): Promise<void> {
      await stores.tenants.setConnection(tenantId, { divisionChange: null, error: { message, at: new Date() } });
      await wakeExports(deps, tenantId, ['waiting_for_reauthorization'], retrySignal);
    },

    /** Creates the tenant's resync schedule, or updates and unpauses the existing one. */
    async ensureResyncSchedule({ tenantId, interval, fullSyncEvery }: { tenantId: string; interval: Duration; fullSyncEvery: Duration }): Promise<{ scheduleId: string }> {
      return upsertResyncSchedule(deps.temporal, config.temporal.taskQueue, tenantId, { interval, fullSyncEvery });
    },

    /** The connection works: Maesn's change events are subscribed to, exports waiting for reauthorization are woken up. */
    async markConnected({ tenantId }: { tenantId: string }): Promise<{ resumedExports: number }> {
      await maesnWebhooks.subscribeMaesnWebhooks({ tenantId }).catch((err: Error) => logger.warn({ tenantId, err: { message: err.message } }, 'no Maesn webhook subscriptions; the scheduled sync reads the changes'));
      await stores.tenants.setConnection(tenantId, { state: 'connected', error: null });
      const conn = await stores.tenants.getConnection(tenantId);
      // Announced once per connecting run: a retry of this activity (waking the exports failed) announces nothing new.
      const { workflowExecution, activityId } = Context.current().info;
      await stores.webhooks.record(
        { type: 'connection.connected', tenantId, objectId: tenantId, data: { division: conn?.division ?? null, divisionName: conn?.divisionName ?? null } },
        new Date(),
        `connection.connected:${workflowExecution?.workflowId}:${workflowExecution?.runId}:${activityId}`,
      );
      const resumed = await wakeExports(deps, tenantId, ['waiting_for_reauthorization'], retrySignal);
      return { resumedExports: resumed };
    },

    async markError({ tenantId, message }: { tenantId: string; message: string }): Promise<void> {
      await stores.tenants.setConnection(tenantId, { state: 'error', pendingAuthorization: null, error: { message, at: new Date() } });
    },
  };
}

/** The state to return to when an authorization ends without a new connection. */
function stateBefore(previous: ConnectionState | undefined): ConnectionState {
  return previous === 'connected' || previous === 'needs_reauthorization' || previous === 'error' ? previous : 'disconnected';
}

export type OnboardingActivities = ReturnType<typeof createOnboardingActivities>;

/** Who adopts a credential: the onboarding run (all attempts of its activity are the same adopter). */
function adopterOf(info: { workflowExecution?: { runId: string }; activityId: string }): string {
  return info.workflowExecution ? `onboarding-run:${info.workflowExecution.runId}` : `activity:${info.activityId}`;
}
