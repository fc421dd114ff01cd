/**
 * Activities: the I/O side of the workflows (Maesn calls, MongoDB reads and writes).
 * `createActivities` wires them to their dependencies; the worker registers the result.
 */
import { markAttemptStart } from './call-governor';
import type { ActivityDeps } from './common';
import { createExportActivities } from './export';
import { createMaesnWebhookActivities } from './maesn-webhooks';
import { createOnboardingActivities } from './onboarding';
import { createRetentionActivities } from './retention';
import { createSyncActivities } from './sync';
import { createWebhookActivities } from './webhooks';

export type { ActivityDeps } from './common';

export function createActivities(deps: ActivityDeps) {
  return timed({
    ...createSyncActivities(deps),
    ...createOnboardingActivities(deps),
    ...createExportActivities(deps),
    ...createRetentionActivities(deps),
    ...createWebhookActivities(deps),
    ...createMaesnWebhookActivities(deps),
  });
}

/** Every activity notes when its attempt started (the call governor keeps waits within the attempt). */
function timed<T extends Record<string, (...args: never[]) => Promise<unknown>>>(acts: T): T {
  return Object.fromEntries(
    Object.entries(acts).map(([name, fn]) => [
      name,
      (...args: never[]) => {
        markAttemptStart();
        return fn(...args);
      },
    ]),
  ) as T;
}

export type Activities = ReturnType<typeof createActivities>;
