/** The training callbacks of ts/callbacks/*: fe.callbacks' factories (ts/index.ts spreads this record). */
import { CSVLogger, type CSVLoggerArgs } from './csv-logger';
import { LearningRateScheduler, ReduceLROnPlateau, type ReduceLROnPlateauArgs } from './learning-rate';
import { TerminateOnNaN } from './terminate-on-nan';

export { CSVLogger, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN };
export type { CSVLoggerArgs, ReduceLROnPlateauArgs };

export const trainingCallbacks = {
  reduceLROnPlateau: (args?: ReduceLROnPlateauArgs) => new ReduceLROnPlateau(args),
  terminateOnNaN: () => new TerminateOnNaN(),
  /** csvLogger('log.csv', ',', false), csvLogger({ filename, separator, append }), or csvLogger() in memory. */
  csvLogger: (filename?: string | CSVLoggerArgs | null, separator?: string, append?: boolean) =>
    new CSVLogger(filename !== null && typeof filename === 'object' ? filename : { filename, separator, append }),
  learningRateScheduler: (schedule: (epoch: number, lr: number) => number, verbose: 0 | 1 = 0) => new LearningRateScheduler(schedule, verbose),
};
