/**
 * The codec endpoint, so the Temporal UI and the `temporal` CLI can show encrypted payloads:
 * `POST /codec/decode` and `POST /codec/encode` with `{payloads: [{metadata: {k: base64}, data: base64}]}`
 * (Temporal's remote codec protocol; the UI appends /decode and /encode to its codec endpoint).
 *
 * Who may call it:
 * - on the API's listener: the platform key (access rule `platform`), `Authorization: Bearer <PLATFORM_API_KEY>` (what
 *   `temporal … --codec-auth 'Bearer …'` sends);
 * - on the ops listener (OPS_HOST/OPS_PORT): everyone who can reach it, since the Temporal UI's
 *   browser requests carry no bearer token unless the UI has its own single sign-on
 *   (its "pass access token" setting) — keep that listener on loopback or a private network.
 * Either way a browser request must come from an allowed origin (CODEC_CORS_ORIGINS, the Temporal
 * UI): CORS answers only those, and a request with any other `Origin` is refused, so no web page
 * can use an operator's browser (or DNS rebinding) to decrypt.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { UnknownKeyError, DecryptionError } from '../crypto';
import { HttpError, parseOr400 } from './errors';
import { addRoute, errors, type Api } from './route';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const payloadsBody = z.strictObject({
  payloads: z
    .array(
      z.strictObject({
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

/** Runs the codec over a request body of Temporal's remote codec protocol. */
async function runCodec(codec: PayloadCodec, op: 'encode' | 'decode', body: z.infer<typeof payloadsBody>): Promise<{ payloads: JsonPayload[] }> {
  try {
    return { payloads: (await codec[op](body.payloads.map(fromJson))).map(toJson) };
  } catch (err) {
    throw err instanceof UnknownKeyError || err instanceof DecryptionError ? new HttpError(400, 'cannot_decrypt', err.message) : err;
  }
}

/** Payload lists can be large (a history page): their own body limit. */
const CODEC_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * CORS for the Temporal UI in front of `/codec`: only allowed origins are answered (and a request
 * with another `Origin` is refused); preflights end here.
 */
export function codecCors(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins);
  return (req: Request, res: Response, next: NextFunction) => {
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
    next();
  };
}

/** The codec endpoint on the API: declared routes for holders of the platform key. */
export function codecRoutes(api: Api, codec: PayloadCodec): void {
  for (const op of ['decode', 'encode'] as const) {
    addRoute(api, {
      method: 'post',
      path: `/codec/${op}`,
      access: 'platform',
      summary: `Temporal remote codec: ${op} payloads (for the Temporal UI and CLI)`,
      tags: ['operations'],
      body: payloadsBody,
      bodyLimitBytes: CODEC_BODY_LIMIT_BYTES,
      responses: { 200: { description: `the ${op}d payloads`, schema: payloadsBody }, ...errors(400) },
      handler: ({ body }) => runCodec(codec, op, body),
    });
  }
}

/**
 * The codec endpoint of the ops listener: no credential (the Temporal UI's browser sends none),
 * allowed origins only. Keep that listener on loopback or a private network.
 */
export function opsCodecRouter(opts: { codec: PayloadCodec; allowedOrigins: readonly string[] }): Router {
  const router = Router();
  router.use('/codec', codecCors(opts.allowedOrigins));
  const handle = (op: 'encode' | 'decode') => async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (!req.is('application/json')) throw new HttpError(415, 'unsupported_media_type', 'send application/json');
      res.json(await runCodec(opts.codec, op, parseOr400(payloadsBody, req.body ?? {}, 'body')));
    } catch (err) {
      next(err);
    }
  };
  router.post('/codec/decode', express.json({ limit: CODEC_BODY_LIMIT_BYTES }), handle('decode'));
  router.post('/codec/encode', express.json({ limit: CODEC_BODY_LIMIT_BYTES }), handle('encode'));
  return router;
}
