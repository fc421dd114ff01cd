/**
 * Benchmark: the Temporal payload codec (src/temporal/codec.ts), which every payload of every
 * workflow passes through on the worker and the clients. Encode + decode of one payload of
 * 200 B (a typical workflow input: IDs), 4 KiB and 64 KiB (a large built journal entry).
 */
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { KeyRing } from '../src/crypto';
import { PayloadEncryptionCodec } from '../src/temporal';
import { distribution, fmtNum, fmtUs, type BenchResult } from './lib';

export const PAYLOAD_SIZES = [200, 4 * 1024, 64 * 1024] as const;

export async function runCodecBench(opts: { budgetMs: number }): Promise<BenchResult[]> {
  const codec = new PayloadEncryptionCodec(new KeyRing([{ id: 'bench', key: randomBytes(32) }]));
  const results: BenchResult[] = [];
  for (const size of PAYLOAD_SIZES) {
    const payload = defaultPayloadConverter.toPayload({ text: 'x'.repeat(size - 12) });
    // Warm-up (the JIT settles), then samples of 50 round trips each.
    const w0 = performance.now();
    while (performance.now() - w0 < Math.min(500, opts.budgetMs / 2)) await codec.decode(await codec.encode([payload]));
    const perOp: number[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < opts.budgetMs || perOp.length < 5) {
      const s0 = performance.now();
      for (let i = 0; i < 50; i++) await codec.decode(await codec.encode([payload]));
      perOp.push(((performance.now() - s0) * 1000) / 50);
    }
    const d = distribution(perOp);
    const mibPerSec = (size / 2 ** 20) / (d.median / 1e6);
    results.push({
      group: 'codec',
      name: `encode + decode, ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`} payload`,
      summary: { median: fmtUs(d.median), p95: fmtUs(d.p95), throughput: `${fmtNum(1e6 / d.median)} round trips/s`, note: `${fmtNum(mibPerSec)} MiB/s` },
      metrics: { payloadBytes: size, perRoundTripUs: d, mibPerSec },
    });
  }
  return results;
}
