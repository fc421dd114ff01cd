/**
 * Maesn-style envelope and error body.
 *
 * Success: `{ meta, data, errors: null, rawData }`.
 * Error (the spec declares no error schema; `errors` is typed as an object in BaseResponseDto, so
 * it is an object here, never an array):
 * ```
 * { "meta": null, "data": null, "rawData": <upstream Exact error or null>,
 *   "errors": { "statusCode": 400, "code": "VALIDATION_FAILED", "message": "…",
 *               "targetSystem": "exact-nl" | null,
 *               "validationErrors": [ { "code": "BLOCKED", "message": "Blocked: …", "field": "journalLineItems[0].accountId", "line": 1 } ] } }
 * ```
 * `line` is 1-based (same numbering as `filesPos`); `field` is a path into the `journal_entry` JSON.
 */

export interface ValidationIssue {
  code: string;
  message: string;
  field?: string;
  line?: number;
}

export class SandboxHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly validationErrors: ValidationIssue[] = [],
    readonly rawData: unknown = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'SandboxHttpError';
  }
}

export function errorBody(err: SandboxHttpError, targetSystem: string | null): Record<string, unknown> {
  return {
    meta: null,
    data: null,
    errors: {
      statusCode: err.status,
      code: err.code,
      message: err.message,
      targetSystem,
      validationErrors: err.validationErrors,
    },
    rawData: err.rawData ?? null,
  };
}

export const badRequest = (message: string, issues: ValidationIssue[] = []): SandboxHttpError =>
  new SandboxHttpError(400, 'BAD_REQUEST', message, issues);
export const unauthorized = (message: string): SandboxHttpError => new SandboxHttpError(401, 'UNAUTHORIZED', message);
export const forbidden = (message: string): SandboxHttpError => new SandboxHttpError(403, 'FORBIDDEN', message);
export const notFound = (message: string): SandboxHttpError => new SandboxHttpError(404, 'NOT_FOUND', message);

export interface Pagination {
  total: number;
  perPage: number;
  currentPage: number;
  totalPages: number;
}

export function listEnvelope(data: unknown[], pagination: Pagination, rawData: unknown = null): Record<string, unknown> {
  return { meta: { warnings: [], pagination }, data, errors: null, rawData };
}

export function itemEnvelope(data: unknown, rawData: unknown = null): Record<string, unknown> {
  return { meta: { warnings: [] }, data, errors: null, rawData };
}
