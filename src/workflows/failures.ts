/**
 * The one home of failure handling: the failure types activities throw and workflows branch on,
 * the retry presets of every `proxyActivities`, and the helper that finds the failure inside
 * Temporal's wrappers.
 *
 * Workflow-safe (imports only @temporalio/common); activities and the API import it too.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/common';

/**
 * Failure types (`ApplicationFailure.type`). The Maesn ones keep the client's error class names,
 * which is what ops see in the Temporal UI.
 */
export const FailureType = {
  /** Maesn/Exact refused the request as invalid (a business rejection when posting). */
  maesnInvalidRequest: 'MaesnInvalidRequestError',
  /** The account key no longer works: the tenant must reconnect. */
  maesnUnauthorized: 'MaesnUnauthorizedError',
  maesnNotFound: 'MaesnNotFoundError',
  /** 429: retried after Retry-After. */
  maesnRateLimited: 'MaesnRateLimitedError',
  /** 5xx, timeout, reset: retried (a write's outcome may be unknown). */
  maesnTransient: 'MaesnTransientError',
  /** Maesn answered something we cannot read. */
  maesnInvalidResponse: 'MaesnResponseFormatError',
  /** The tenant has no working Exact connection. */
  notConnected: 'NotConnected',
  /** Exact rejected the entry (closed period, blocked account, …); the export shows why. */
  businessRejection: 'BusinessRejection',
  /** The tenant is connected to another division than the export was accepted for. */
  divisionChanged: 'DivisionChanged',
  /** The tenant reconnected to another division and an admin has not confirmed it yet: nothing is posted meanwhile. */
  divisionChangePending: 'DivisionChangePending',
  exportNotFound: 'ExportNotFound',
  /** Posting was attempted before the entry was built. */
  notPrepared: 'NotPrepared',
  /** Another attempt holds the posting lease (retried). */
  postInProgress: 'PostInProgress',
  /**
   * A POST's outcome is unknown (timeout, reset, 5xx after sending, a 2xx we cannot read), or an
   * earlier one's still is: the workflow waits the settle period and looks the entry up. Never retried.
   */
  outcomeUnknown: 'OutcomeUnknown',
  /** Posting cannot go on without a person (e.g. another division while an outcome is open). */
  needsReview: 'NeedsReview',
  /** Not enough time left in the attempt to post safely (retried). */
  postDeferred: 'PostDeferred',
  divisionNotAccessible: 'DivisionNotAccessible',
  credentialNotFound: 'CredentialNotFound',
  notAwaitingAuthorization: 'NotAwaitingAuthorization',
  onboardingFailed: 'OnboardingFailed',
  syncFailed: 'SyncFailed',
  /** A webhook endpoint did not answer 2xx (retried with backoff for three days). */
  webhookDeliveryFailed: 'WebhookDeliveryFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** The connection must be renewed before anything else can work. */
export const REAUTHORIZATION_FAILURES: readonly string[] = [FailureType.maesnUnauthorized, FailureType.notConnected];

/** An export waits for the connection (reconnect, or an admin's confirmation of a division change). */
export const CONNECTION_WAIT_FAILURES: readonly string[] = [...REAUTHORIZATION_FAILURES, FailureType.divisionChangePending];

/** Exact (or our own guard) refused the entry: a person fixes something, then retries. */
export const REJECTION_FAILURES: readonly string[] = [FailureType.businessRejection, FailureType.maesnInvalidRequest, FailureType.divisionChanged];

/** Nothing automatic can go on: a person looks (the export stops in `needs_review`). */
export const REVIEW_FAILURES: readonly string[] = [FailureType.needsReview, FailureType.maesnInvalidResponse, FailureType.maesnNotFound];

/** Failures that retrying the same call cannot fix. */
const MAESN_PERMANENT: readonly string[] = [FailureType.maesnInvalidRequest, FailureType.maesnUnauthorized, FailureType.maesnNotFound];

/** Retry policies, by what the activity does. */
export const retryPolicies = {
  /** Maesn reads during onboarding, and MongoDB work there: quick retries, then give up. */
  bookkeeping: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 20,
    nonRetryableErrorTypes: [...MAESN_PERMANENT, FailureType.divisionNotAccessible, FailureType.credentialNotFound, FailureType.exportNotFound],
  },
  /**
   * MongoDB reads and writes of an export: retried without a cap at a bounded interval, so a
   * database outage only delays the export, however long it lasts.
   */
  store: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: [FailureType.exportNotFound],
  },
  /**
   * The journal-entry POST, one per attempt: a definite "nothing created" (429 with Retry-After
   * honoured, a connection refused before sending, our own lease and time guards) is retried;
   * business errors stop; an unknown outcome goes back to the workflow, which waits and looks.
   */
  posting: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: [...MAESN_PERMANENT, ...REJECTION_FAILURES, FailureType.notConnected, FailureType.notPrepared, FailureType.divisionChangePending, FailureType.outcomeUnknown, FailureType.needsReview, FailureType.maesnInvalidResponse, FailureType.exportNotFound],
  },
  /** Looking for an entry an earlier POST created (reads only): retried without a cap at a bounded interval. */
  lookup: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    nonRetryableErrorTypes: [...MAESN_PERMANENT, FailureType.maesnInvalidResponse, FailureType.notConnected, FailureType.divisionChangePending, FailureType.needsReview, FailureType.exportNotFound],
  },
  /** Streaming master data from Maesn. */
  masterDataPull: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 20,
    nonRetryableErrorTypes: [...MAESN_PERMANENT, FailureType.maesnInvalidResponse, FailureType.notConnected],
  },
  /**
   * Webhooks to the platform: from 5 s doubling to an hour between attempts; the activity's
   * schedule-to-close timeout (three days) ends the retries.
   */
  webhookDelivery: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '1 hour',
  },
} as const satisfies Record<string, RetryPolicy>;

/** Activity options, by what the activity does. */
export const activityProfiles = {
  bookkeeping: { startToCloseTimeout: '1 minute', retry: retryPolicies.bookkeeping },
  store: { startToCloseTimeout: '1 minute', retry: retryPolicies.store },
  /**
   * One POST at most per attempt. Heartbeats let a cancel reach an attempt and let a dead worker's
   * attempt time out quickly; the workflow waits for a cancelled attempt to finish.
   */
  posting: { startToCloseTimeout: '3 minutes', heartbeatTimeout: '20s', retry: retryPolicies.posting, cancellationType: 'WAIT_CANCELLATION_COMPLETED' },
  /** Pages through every journal entry modified since the first POST; progress is heartbeated. */
  lookup: { startToCloseTimeout: '30 minutes', heartbeatTimeout: '30s', retry: retryPolicies.lookup },
  /** A large administration (100k suppliers) takes a while at Exact's 60 calls a minute; progress is heartbeated. */
  masterDataPull: { startToCloseTimeout: '6 hours', heartbeatTimeout: '30s', retry: retryPolicies.masterDataPull },
  /** One HTTP POST per attempt, retried for three days (at least once, then it is logged as given up). */
  webhookDelivery: { startToCloseTimeout: '30s', scheduleToCloseTimeout: '3 days', retry: retryPolicies.webhookDelivery },
} as const satisfies Record<string, ActivityOptions>;

export interface FailureInfo {
  /** The `ApplicationFailure` type, when there is one. */
  type?: string;
  message: string;
  details?: unknown[];
}

/** The failure inside Temporal's activity and child-workflow wrappers. */
export function failureOf(err: unknown): FailureInfo {
  let e = err;
  while (e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) e = e.cause;
  if (e instanceof ApplicationFailure) return { type: e.type ?? undefined, message: e.message, details: e.details ?? undefined };
  return { message: e instanceof Error ? e.message : String(e) };
}

/** True when `err` is (or wraps) a failure of one of `types`. */
export function isFailure(err: unknown, types: readonly string[]): boolean {
  const t = failureOf(err).type;
  return t !== undefined && types.includes(t);
}
