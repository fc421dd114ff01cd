// Run by the MongoDB image once, on the first start of an empty data volume (as the root user):
// the service's own user, allowed to read and write its database and nothing else.
const dbName = process.env.MONGO_APP_DB;
db.getSiblingDB(dbName).createUser({
  user: process.env.MONGO_APP_USERNAME,
  pwd: process.env.MONGO_APP_PASSWORD,
  roles: [{ role: 'readWrite', db: dbName }],
});
