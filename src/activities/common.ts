/** Shared plumbing of the activities: dependencies, the tenant's Maesn connection, error mapping. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ProductConfig } from '../config';
import type { Logger } from '../logger';
import { MaesnError, MaesnRateLimitedError, classifyMaesnError, type MaesnClient, type MaesnConnection, type MaesnErrorKind } from '../maesn';
import type { Stores } from '../store';
import { FailureType } from '../workflows/failures';
import { callGovernor, type GovernorOptions, type GovernorStats } from './call-governor';

export interface ActivityDeps {
  config: ProductConfig;
  logger: Logger;
  stores: Stores;
  maesn: MaesnClient;
  /** For schedules (resync) and signals. */
  temporal: Client;
}

/**
 * The tenant's Maesn connection (account key unsealed from MongoDB; it never enters history).
 * `forPosting`: refused while a switch to another division waits for an admin's confirmation
 * (the export waits; reading master data with the current key goes on).
 * Its calls go through the division's call governor at `priority` (default: export, the highest;
 * syncs say which kind they are).
 */
export async function connectionFor(
  deps: ActivityDeps,
  tenantId: string,
  opts: { forPosting?: boolean } & Partial<GovernorOptions> = {},
): Promise<{ conn: MaesnConnection; division: string; keyId: string; governorStats: GovernorStats }> {
  const cred = await deps.stores.tenants.revealAccountKey(tenantId);
  if (!cred) throw ApplicationFailure.nonRetryable(`tenant ${tenantId} has no Exact Online connection`, FailureType.notConnected);
  if (opts.forPosting && cred.divisionChangePending) {
    throw ApplicationFailure.nonRetryable(`tenant ${tenantId} reconnected to another division; an admin must confirm the change before anything is posted`, FailureType.divisionChangePending);
  }
  const governor = callGovernor(deps, { priority: opts.priority ?? 'export', heartbeat: opts.heartbeat });
  return { conn: deps.maesn.forConnection({ accountKey: cred.accountKey, companyId: cred.division }, { governor }), division: cred.division, keyId: cred.keyId, governorStats: governor.stats };
}

/** Stops a long-running activity once the key it started with is gone (disconnect) or replaced (reconnect). */
export async function assertSameAccountKey(deps: ActivityDeps, tenantId: string, keyId: string): Promise<void> {
  if ((await deps.stores.tenants.accountKeyId(tenantId)) !== keyId) {
    throw ApplicationFailure.nonRetryable(`tenant ${tenantId} was disconnected or reconnected during the sync; stopped`, FailureType.notConnected);
  }
}

/** The failure type of each kind of Maesn error. */
const failureTypeOf: Record<MaesnErrorKind, FailureType> = {
  invalid_request: FailureType.maesnInvalidRequest,
  unauthorized: FailureType.maesnUnauthorized,
  not_found: FailureType.maesnNotFound,
  rate_limited: FailureType.maesnRateLimited,
  transient: FailureType.maesnTransient,
  invalid_response: FailureType.maesnInvalidResponse,
};

/**
 * Maesn errors → ApplicationFailure typed by `FailureType`, so workflow retry policies can name
 * them. Business errors are non-retryable; 429 carries Retry-After as the next retry delay.
 */
export function toActivityFailure(err: unknown): unknown {
  if (!(err instanceof MaesnError)) return err;
  const c = classifyMaesnError(err);
  return ApplicationFailure.create({
    message: c.message,
    type: failureTypeOf[err.kind],
    nonRetryable: !c.retryable,
    nextRetryDelay: err instanceof MaesnRateLimitedError ? err.retryAfterMs : undefined,
    details: [{ kind: c.kind, status: c.status ?? null, outcomeUnknown: c.outcomeUnknown, reauthorizationRequired: c.reauthorizationRequired }],
  });
}

/** Runs `fn`, converting Maesn errors for Temporal. */
export async function maesnCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
