/** MongoDB storage: the one public entry of the store folder. */
export { createMongo, pingMongo, type Mongo } from './mongo';
