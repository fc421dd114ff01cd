/**
 * The codec endpoint, so the Temporal UI and the `temporal` CLI can show encrypted payloads:
 * `POST /codec/decode` and `POST /codec/encode` with `{payloads: [{metadata: {k: base64}, data: base64}]}`
 * (Temporal's remote codec protocol; the UI appends /decode and /encode to its codec endpoint).
 *
 * Who may call it is the caller's decision (`authorize`):
 * - on the API's listener: the platform key, `Authorization: Bearer <PLATFORM_API_KEY>` (what
 *   `temporal … --codec-auth 'Bearer …'` sends);
 * - on the ops listener (OPS_HOST/OPS_PORT): everyone who can reach it, since the Temporal UI's
 *   browser requests carry no bearer token unless the UI has its own single sign-on
 *   (its "pass access token" setting) — keep that listener on loopback or a private network.
 * Either way a browser request must come from an allowed origin (CODEC_CORS_ORIGINS, the Temporal
 * UI): CORS answers only those, and a request with any other `Origin` is refused, so no web page
 * can use an operator's browser (or DNS rebinding) to decrypt.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { UnknownKeyError, DecryptionError } from '../crypto';
import { HttpError, parseOr400 } from './errors';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const payloadsBody = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), base64).optional(),
        data: base64.optional(),
      }),
    )
    .max(10_000),
});

type JsonPayload = z.infer<typeof payloadsBody>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/** Compares a bearer token with the accepted keys in constant time. */
export function bearerMatches(req: Request, keys: readonly string[]): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const given = digest(m[1]);
  // Every key is compared, so the time does not tell which (or whether one) matched.
  return keys.map((k) => timingSafeEqual(digest(k), given)).reduce((a, b) => a || b, false);
}

export interface CodecRouterOptions {
  codec: PayloadCodec;
  /** Browser origins allowed to call it (the Temporal UI). */
  allowedOrigins: readonly string[];
  /** True when the request may use the codec. */
  authorize: (req: Request) => boolean;
}

export function codecRouter(opts: CodecRouterOptions): Router {
  const router = Router();
  const allowed = new Set(opts.allowedOrigins);

  router.use('/codec', (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed.has(origin)) {
      next(new HttpError(403, 'origin_not_allowed', 'this origin may not use the codec endpoint (CODEC_CORS_ORIGINS)'));
      return;
    }
    if (origin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST');
      res.setHeader('Access-Control-Allow-Headers', 'content-type, x-namespace, authorization, authorization-extras');
      res.setHeader('Access-Control-Max-Age', '600');
      // Chrome's private network access preflight (a public UI calling a codec on a private address).
      if (req.headers['access-control-request-private-network'] === 'true') res.setHeader('Access-Control-Allow-Private-Network', 'true');
      res.status(204).end();
      return;
    }
    if (!opts.authorize(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      next(new HttpError(401, 'unauthorized', 'the codec endpoint needs a credential'));
      return;
    }
    next();
  });

  const handle = (op: 'encode' | 'decode') => async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (!req.is('application/json')) throw new HttpError(415, 'unsupported_media_type', 'send application/json');
      const body = parseOr400(payloadsBody, req.body ?? {}, 'body');
      const payloads = await opts.codec[op](body.payloads.map(fromJson));
      res.json({ payloads: payloads.map(toJson) });
    } catch (err) {
      next(err instanceof UnknownKeyError || err instanceof DecryptionError ? new HttpError(400, 'cannot_decrypt', err.message) : err);
    }
  };
  // Payload lists can be large (a history page): their own body limit.
  router.post('/codec/decode', express.json({ limit: '8mb' }), handle('decode'));
  router.post('/codec/encode', express.json({ limit: '8mb' }), handle('encode'));
  return router;
}
