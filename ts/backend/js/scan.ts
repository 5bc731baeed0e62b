/** Cumulative sums and products along an axis for the js backend (see Backend.cumulative). */
import type { ScanOp, Storage } from '../backend';
import { f32View } from './views';

export function cumulative(
  op: ScanOp, x: Storage, out: Storage, outer: number, axis: number, inner: number, exclusive: boolean, reverse: boolean,
): void {
  const n = outer * axis * inner;
  const xs = f32View(x, n, 'cumulative x');
  const os = f32View(out, n, 'cumulative out');
  const identity = op === 'sum' ? 0 : 1;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = identity;
      for (let t = 0; t < axis; t++) {
        const j = reverse ? axis - 1 - t : t;
        const at = (o * axis + j) * inner + i;
        // float32 rounding at every step, as the wasm kernel
        if (exclusive) {
          os[at] = acc;
          acc = Math.fround(op === 'sum' ? acc + xs[at] : acc * xs[at]);
        } else {
          acc = Math.fround(op === 'sum' ? acc + xs[at] : acc * xs[at]);
          os[at] = acc;
        }
      }
    }
  }
}
