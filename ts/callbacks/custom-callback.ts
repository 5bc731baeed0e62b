/**
 * tf.CustomCallback: a callback made from an object of hook functions (TensorFlow.js' names
 * onTrainBegin … onYield). fit takes plain hook objects too; this class is for programs that
 * construct it, and its hooks see `this.model`.
 */
import { Callback, type CallbackHooks, type Logs } from '../callbacks';

export interface CustomCallbackArgs extends CallbackHooks {
  /** Called when fit lets the event loop run (TensorFlow.js' onYield). */
  onYield?(epoch: number, batch: number, logs?: Logs): void | Promise<void>;
}

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd', 'onYield'] as const;

export class CustomCallback extends Callback implements CallbackHooks {
  onTrainBegin?: CallbackHooks['onTrainBegin'];
  onTrainEnd?: CallbackHooks['onTrainEnd'];
  onEpochBegin?: CallbackHooks['onEpochBegin'];
  onEpochEnd?: CallbackHooks['onEpochEnd'];
  onBatchBegin?: CallbackHooks['onBatchBegin'];
  onBatchEnd?: CallbackHooks['onBatchEnd'];
  onYield?: CustomCallbackArgs['onYield'];

  constructor(args: CustomCallbackArgs) {
    super();
    if (!args || typeof args !== 'object') throw new Error('CustomCallback: expected an object of hooks ({ onEpochEnd, … })');
    for (const [k, v] of Object.entries(args)) {
      if (!(HOOKS as readonly string[]).includes(k)) throw new Error(`CustomCallback: unknown hook '${k}' (expected ${HOOKS.join(', ')})`);
      if (typeof v !== 'function') throw new Error(`CustomCallback: ${k} must be a function`);
      (this as Record<string, unknown>)[k] = (v as (...a: unknown[]) => unknown).bind(this);
    }
  }
}
