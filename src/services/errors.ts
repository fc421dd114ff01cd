/**
 * What a service refuses, independent of HTTP: the API turns `kind` into a status code
 * (not_found 404, conflict 409, too_large 413, invalid 400, unavailable 502).
 */
export type ServiceErrorKind = 'invalid' | 'not_found' | 'conflict' | 'too_large' | 'unavailable';

export interface ServiceFieldError {
  path: string;
  message: string;
}

export class ServiceError extends Error {
  constructor(
    readonly kind: ServiceErrorKind,
    /** Machine-readable code, e.g. `receipt_too_large`. */
    readonly code: string,
    message: string,
    readonly fields?: ServiceFieldError[],
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export const notFound = (what: string) => new ServiceError('not_found', 'not_found', `${what} not found`);
