/**
 * Activities: the I/O side of the workflows (Maesn calls, MongoDB reads and writes).
 * `createActivities` wires them to their dependencies; the worker registers the result.
 */
import type { Db } from 'mongodb';
import type { ProductConfig } from '../config';
import type { Logger } from '../logger';

export interface ActivityDeps {
  config: ProductConfig;
  logger: Logger;
  db: Db;
}

export function createActivities(_deps: ActivityDeps) {
  return {};
}

export type Activities = ReturnType<typeof createActivities>;
