/**
 * A webhook receiver in the test process, as the platform would run one: every request is kept
 * with its headers and raw body, and its signature is checked with the `standardwebhooks` library
 * (the secret the test registered). `respond` decides the status code of each request.
 */
import { Webhook } from 'standardwebhooks';
import { listen } from './http';

export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The parsed body when the signature verified; null when it did not. */
  verified: any;
  /** The status code the receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Only the requests answered with 2xx. */
  accepted(): ReceivedWebhook[];
  setSecret(secret: string): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(opts: { secret?: string; respond?: (req: { id: string; body: string }) => number | Promise<number> } = {}): Promise<WebhookReceiver> {
  let secret = opts.secret;
  const received: ReceivedWebhook[] = [];
  const server = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = { 'webhook-id': String(req.headers['webhook-id'] ?? ''), 'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''), 'webhook-signature': String(req.headers['webhook-signature'] ?? '') };
      let verified: unknown = null;
      try {
        verified = secret ? new Webhook(secret).verify(body, headers) : null;
      } catch {
        verified = null;
      }
      const status = opts.respond ? await opts.respond({ id: headers['webhook-id'], body }) : 204;
      received.push({ id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body, verified, status });
      res.statusCode = status;
      res.end();
    });
  });
  return {
    url: `${server.url}/hooks`,
    received,
    accepted: () => received.filter((r) => r.status >= 200 && r.status < 300),
    setSecret(s) {
      secret = s;
    },
    close: () => server.close(),
  };
}
