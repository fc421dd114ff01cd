/** What the route modules share: their dependencies, the tenant ID rule, the tenant lookup. */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { ProductConfig } from '../../config';
import type { Logger } from '../../logger';
import type { Stores, Tenant } from '../../store';
import type { AccessControl } from '../access';
import { notFound } from '../errors';

export interface RouteDeps {
  config: ProductConfig;
  logger: Logger;
  stores: Stores;
  temporal: Client;
  access: AccessControl;
}

/** Page numbers are bounded: a huge `page` would make the database skip millions of rows. */
export const MAX_PAGE = 10_000;
export const pageSchema = z.coerce.number().int().min(1).max(MAX_PAGE).default(1);

export const tenantIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (1-64 characters, starting with a letter or digit)');

export const tenantParams = z.object({ tenantId: tenantIdSchema });

/** The tenant, or a 404. */
export async function requireTenant(stores: Stores, tenantId: string): Promise<Tenant> {
  const t = await stores.tenants.get(tenantId);
  if (!t) throw notFound(`tenant ${tenantId}`);
  return t;
}
