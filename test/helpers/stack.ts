/**
 * What a test needs to reach the stack that `make test` (scripts/test.ts) started.
 * Run tests through `make test` / `npm test`; running a file alone needs the same variables.
 */
import { MongoClient, type Db } from 'mongodb';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { uniqueId } from './ids';
import { createMongo, type MongoOptions } from '../../src/store';

// One Runtime per test process (each test file runs in its own process): warnings and errors only.
try {
  Runtime.install({ logger: new DefaultLogger('WARN'), workerHeartbeatInterval: 0 });
} catch {
  /* already installed by another helper in this process */
}

export interface TestStack {
  temporalAddress: string;
  mongoUri: string;
  maesnBaseUrl?: string;
  maesnApiKey: string;
  signingSecret: string;
}

export function testStack(): TestStack {
  const { TEMPORAL_ADDRESS, MONGODB_URI } = process.env;
  if (!TEMPORAL_ADDRESS || !MONGODB_URI) {
    throw new Error('TEMPORAL_ADDRESS and MONGODB_URI are not set: run integration tests with `make test` (or `npm test -- <file>`)');
  }
  return {
    temporalAddress: TEMPORAL_ADDRESS,
    mongoUri: MONGODB_URI,
    maesnBaseUrl: process.env.MAESN_BASE_URL,
    maesnApiKey: process.env.MAESN_API_KEY ?? '',
    signingSecret: process.env.MAESN_SIGNING_SECRET ?? '',
  };
}

export { uniqueId } from './ids';

/** A fresh database on the test MongoDB (or on `uri`); dropped by `dispose`. */
export async function testDb(prefix = 'test', uri = testStack().mongoUri, opts: MongoOptions = {}): Promise<{ client: MongoClient; db: Db; dispose(): Promise<void> }> {
  // The product's client (its options and its watch over stuck server checks), on a database of its own.
  const mongo = createMongo(uri, uniqueId(prefix).replace(/-/g, '_'), { serverSelectionTimeoutMS: 10_000, ...opts });
  await mongo.client.connect();
  const { client, db } = mongo;
  return {
    client,
    db,
    async dispose() {
      await db.dropDatabase().catch(() => undefined);
      await mongo.close();
    },
  };
}
