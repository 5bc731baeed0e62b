/** The workload registry: add later workloads here (id, title, which library/build pairs, module). */
import type { Emitted } from '../lib/common';
import { ALTERNATING_CASES, CASES } from '../lib/common';
import type { Lib } from '../lib/libs';

export interface Ctx {
  quick: boolean;
  lib: Lib;
  emit(r: Emitted): void;
  log(msg: string): void;
}

export interface WorkloadModule {
  run(ctx: Ctx): Promise<void>;
}

export interface WorkloadEntry {
  id: string;
  title: string;
  cases: readonly { library: string; build: string }[];
  load(): Promise<WorkloadModule>;
}

export const WORKLOADS: WorkloadEntry[] = [
  { id: 'W1', title: 'sgemm', cases: [...CASES, ...ALTERNATING_CASES], load: () => import('./w1-sgemm') },
  { id: 'W2', title: 'text classifier', cases: CASES, load: () => import('./w2-text') },
  { id: 'EW', title: 'element-wise and reductions', cases: CASES, load: () => import('./elementwise') },
  { id: 'W3', title: 'LSTM sequence classifier', cases: [...CASES, ...ALTERNATING_CASES], load: () => import('./w3-lstm') },
  { id: 'W4', title: 'CNN', cases: [...CASES, ...ALTERNATING_CASES], load: () => import('./w4-cnn') },
  { id: 'W5', title: 'GRU tagger', cases: [...CASES, ...ALTERNATING_CASES], load: () => import('./w5-gru') },
  { id: 'W6', title: 'op level', cases: CASES, load: () => import('./w6-ops') },
  { id: 'W6L', title: 'op level: LSTM cell', cases: CASES, load: () => import('./w6-lstm-cell') },
  { id: 'W7', title: 'Transformer encoder classifier', cases: CASES, load: () => import('./w7-transformer') },
  { id: 'SP', title: 'op level: convolution, pooling, resampling', cases: CASES, load: () => import('./spatial') },
  { id: 'CTC', title: 'CTC loss + gradient', cases: CASES.filter((c) => c.library === 'ferrite'), load: () => import('./ctc') },
  {
    id: 'TH', title: 'worker pool: dispatch cost and the ceiling of scaling',
    cases: CASES.filter((c) => c.library === 'ferrite' && c.build.endsWith('-threads-N')),
    load: () => import('./threads'),
  },
];

export function findWorkload(id: string): WorkloadEntry | undefined {
  const key = id.toLowerCase();
  return WORKLOADS.find((w) => w.id.toLowerCase() === key || key.startsWith(`${w.id.toLowerCase()}-`));
}
