/**
 * The ops listener (OPS_HOST:OPS_PORT, off unless OPS_PORT is set): what operators' tools reach
 * on a private address rather than through the API's credentials. Today the codec endpoint for
 * the Temporal UI, which calls it from the operator's browser without a bearer token (see
 * ./codec). Anything that reaches this listener can decrypt payloads: bind it to loopback (the
 * default) or a private network only.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { PayloadCodec } from '@temporalio/common';
import type { ProductConfig } from '../config';
import type { Logger } from '../logger';
import { opsCodecRouter } from './codec';
import { errorHandler, notFoundHandler } from './errors';

export interface OpsDeps {
  config: ProductConfig;
  logger: Logger;
  codec: PayloadCodec;
}

export function createOpsApp(deps: OpsDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    pinoHttp({
      logger: deps.logger.child({ listener: 'ops' }),
      genReqId: () => randomUUID(),
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: String(req.url), origin: req.headers?.origin }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(opsCodecRouter({ codec: deps.codec, allowedOrigins: deps.config.codec.corsOrigins }));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
