/**
 * Keras TerminateOnNaN: ends training at the first batch whose loss is NaN or infinite.
 *
 * Without it, fit throws at that batch (ferrite's default). With it, fit ends normally: the
 * batch's update is not applied (the weights stay as they were before it — Keras applies it and
 * keeps NaN weights), the callbacks see its logs (loss NaN), the epoch ends there and its
 * logs go to History as in Keras.
 */
import { Callback, type CallbackHooks, type Logs } from '../callbacks';

export class TerminateOnNaN extends Callback implements CallbackHooks {
  /** Read by the training loop: a non-finite loss ends training instead of failing it. */
  readonly stopsOnNonFiniteLoss = true;
  /** The batch at which training was ended, or null. */
  stoppedAtBatch: number | null = null;

  onTrainBegin(): void {
    this.stoppedAtBatch = null;
  }

  onBatchEnd(batch: number, logs: Logs = {}): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      console.log(`Batch ${batch}: Invalid loss, terminating training`);
      this.stoppedAtBatch = batch;
      if (this.model) this.model.stopTraining = true;
    }
  }
}
