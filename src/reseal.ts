/**
 * `npm run reseal` (production: `node dist/src/reseal.js`): re-seals every stored account key
 * with the current key of ENCRYPTION_KEYS (and in the current format, bound to its tenant).
 * Run it after putting a new key first in the ring; once it reports no failures, an old key is
 * no longer needed for account keys (Temporal histories may still need it, see the README).
 *
 * Idempotent: a second run re-seals nothing. Prints the counts as JSON; exits 1 when a stored
 * key could not be opened (its document ID and the reason are listed, never the key).
 */
import { loadConfig } from './config';
import { createMongo, createStores } from './store';

export async function reseal(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const mongo = createMongo(config.mongo.uri, config.mongo.db);
  try {
    const counts = await createStores(mongo.db, config).tenants.resealAll();
    return { currentKey: config.keyRing.currentId, ...counts };
  } finally {
    await mongo.close();
  }
}

if (require.main === module) {
  reseal()
    .then((result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      const failed = result.connections.failed.length + result.pendingCredentials.failed.length;
      process.exit(failed ? 1 : 0);
    })
    .catch((err) => {
      process.stderr.write(`reseal failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
