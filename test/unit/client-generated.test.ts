/**
 * The platform's typed client (client/) is generated from the API's OpenAPI document: regenerating
 * it must give exactly the committed client/schema.ts (run `npm run generate:client` after
 * changing a route), and the types must describe the routes (a compile-time check below).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { CLIENT_SCHEMA_PATH, generateClientSchema } from '../../scripts/generate-client';
import type { paths, WebhookEvent } from '../../client';

test('client/schema.ts is what openapi-typescript generates from the current document', async () => {
  const fresh = await generateClientSchema();
  const committed = fs.readFileSync(CLIENT_SCHEMA_PATH, 'utf8');
  if (fresh !== committed) {
    const a = committed.split('\n');
    const b = fresh.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    assert.fail(`client/schema.ts is out of date (first difference at line ${line + 1}: ${JSON.stringify(a[line])} vs ${JSON.stringify(b[line])}); run npm run generate:client`);
  }
  assert.match(committed, /"\/api\/webhook-endpoints\/\{endpointId\}\/deliveries"/);
});

test('the generated types name the routes, their inputs and the webhook body', () => {
  type Put = paths['/api/webhook-endpoints/{endpointId}']['put'];
  const body: Put['requestBody']['content']['application/json'] = { url: 'https://platform.example/hooks', events: ['export.posted'] };
  const event: Pick<WebhookEvent, 'type'> = { type: 'export.rejected' };
  // @ts-expect-error an event type that does not exist is refused by the compiler
  const wrong: Pick<WebhookEvent, 'type'> = { type: 'export.exploded' };
  assert.deepEqual([body.events, event.type, wrong.type], [['export.posted'], 'export.rejected', 'export.exploded']);
});
