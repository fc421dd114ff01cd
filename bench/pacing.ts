import type { BenchResult } from './lib';
export async function runPacingBench(_o: Record<string, unknown>): Promise<BenchResult[]> {
  throw new Error('not written yet');
}
