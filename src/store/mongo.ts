import { MongoClient, type Db } from 'mongodb';

export interface Mongo {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

/**
 * Creates a MongoDB client without connecting: the driver connects on first use, so a
 * process can start (and report "not ready") while the database is still coming up.
 */
export function createMongo(uri: string, dbName: string): Mongo {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    appName: 'exact-expense-export',
  });
  return { client, db: client.db(dbName), close: () => client.close() };
}

/** Round trip to the server; rejects when it cannot be reached. */
export async function pingMongo(db: Db): Promise<void> {
  await db.command({ ping: 1 });
}
