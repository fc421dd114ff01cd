import type { BenchResult } from './lib';
export async function runExportBench(_o: Record<string, unknown>): Promise<BenchResult[]> {
  throw new Error('not written yet');
}
