/**
 * Small TensorFlow.js top-level helpers: fe.nextFrame, fe.print, fe.version,
 * fe.disposeVariables.
 */
import { ENGINE } from './engine';
import type { Tensor } from './tensor';

/** Resolves at the next animation frame in a browser, on the next turn of the event loop elsewhere. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => resolve());
    else if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

/** Prints a tensor (as tf.print(x, verbose)); verbose adds dtype, rank and shape. */
export function print(x: Tensor, verbose = false): void {
  if (verbose) console.log(`Tensor\n  dtype: ${x.dtype}\n  rank: ${x.rank}\n  shape: [${x.shape.join(', ')}]\n  values:`);
  x.print();
}

/** The package's version (keep in step with package.json; a test checks it). */
export const version: { 'ferrite-ml': string } = { 'ferrite-ml': '0.1.0' };

/** Disposes every live variable (as tf.disposeVariables). */
export function disposeVariables(): void {
  for (const v of ENGINE.liveVariables()) v.dispose();
}
