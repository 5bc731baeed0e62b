/** Messages between the benchmark page and its worker. */
import type { Result } from '../../lib/common';

export interface CaseMessage {
  workload: string;
  library: string;
  build: string;
  quick: boolean;
}

export type FromBenchWorker =
  | { type: 'log'; text: string }
  | { type: 'result'; result: Result }
  | { type: 'done' };
