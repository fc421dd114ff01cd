/** Everything the processes need to talk to Temporal: connection options, the codec and the data converter. */
export { temporalConnectionOptions, type TemporalConnectionOptions } from './connection';
export { ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadEncryptionCodec, isEncrypted } from './codec';
export { FAILURE_CONVERTER_PATH, productDataConverter } from './data-converter';
