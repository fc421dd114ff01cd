import type { Client } from '@temporalio/client';
import type { ProductConfig } from '../config';
import type { Logger } from '../logger';
import type { Stores } from '../store';

/** What services need: configuration, logging, the stores and a Temporal client. */
export interface ServiceDeps {
  config: ProductConfig;
  logger: Logger;
  stores: Stores;
  temporal: Client;
}
