/** The data converter every Temporal client and the worker use: encrypted payloads and failure texts. */
import type { DataConverter } from '@temporalio/common';
import type { KeyRing } from '../crypto';
import { PayloadEncryptionCodec } from './codec';

/** Module of the failure converter (for the worker, the clients and the prebuilt workflow bundle). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export function productDataConverter(ring: KeyRing): DataConverter {
  return { payloadCodecs: [new PayloadEncryptionCodec(ring)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
