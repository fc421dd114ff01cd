import { randomUUID } from 'node:crypto';

/** A unique, short suffix for database names, task queues and workflow IDs. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
