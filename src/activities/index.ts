/**
 * Activities: the I/O side of the workflows (Maesn calls, MongoDB reads and writes).
 * `createActivities` wires them to their dependencies; the worker registers the result.
 */
import type { ActivityDeps } from './common';
import { createExportActivities } from './export';
import { createOnboardingActivities } from './onboarding';
import { createRetentionActivities } from './retention';
import { createSyncActivities } from './sync';

export type { ActivityDeps } from './common';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSyncActivities(deps),
    ...createOnboardingActivities(deps),
    ...createExportActivities(deps),
    ...createRetentionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
