/**
 * How the worker, the API and the scripts reach Temporal: one function builds the connection
 * options (address, TLS or mTLS, API key) from the configuration, for the client's `Connection`
 * and the worker's `NativeConnection` alike. Temporal Cloud: TEMPORAL_ADDRESS=<ns>.<acct>.tmprl.cloud:7233
 * with TEMPORAL_API_KEY (TLS is implied), or with TEMPORAL_TLS_CLIENT_CERT_PATH/_KEY_PATH (mTLS).
 */
import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { PemSource, ProductConfig } from '../config';

export interface TemporalConnectionOptions {
  address: string;
  /** false: plaintext (the local dev server). */
  tls: TLSConfig | false;
  apiKey?: string;
}

function read(source: PemSource | undefined): Buffer | undefined {
  if (!source) return undefined;
  return 'path' in source ? fs.readFileSync(source.path) : Buffer.from(source.pem, 'utf8');
}

export function temporalConnectionOptions(t: ProductConfig['temporal']): TemporalConnectionOptions {
  let tls: TLSConfig | false = false;
  if (t.tls) {
    const crt = read(t.tls.clientCert);
    const key = read(t.tls.clientKey);
    tls = {
      ...(t.tls.serverName ? { serverNameOverride: t.tls.serverName } : {}),
      ...(t.tls.serverCa ? { serverRootCACertificate: read(t.tls.serverCa) } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    };
  }
  return { address: t.address, tls, ...(t.apiKey ? { apiKey: t.apiKey } : {}) };
}
