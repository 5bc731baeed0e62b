/** Shape and layout ops: reshape, cast, transpose, slice, concat, stack, tile, pad, … */
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { DType, emptyTensor, sizeOf, Tensor, zeroTensor } from '../tensor';
import { toTensor, TensorOrNumber } from './convert';
import { collapseAxes, fmt, normalizeAxis, shapesEqual, stridesOf } from './util';

/** Copies `shape`-many elements between strided layouts (axes collapsed first). */
export function stridedCopy(
  src: Tensor, srcOffset: number, srcStrides: number[],
  dst: Tensor, dstOffset: number, dstStrides: number[],
  shape: number[],
): void {
  if (sizeOf(shape) === 0) return;
  const c = collapseAxes(shape, srcStrides, dstStrides);
  ENGINE.get().stridedCopy(src.storage, srcOffset, c.strides[0], dst.storage, dstOffset, c.strides[1], c.shape);
}

/** A copy of x (same dtype), without gradient. */
function copyRaw(x: Tensor, shape: readonly number[] = x.shape, dtype: DType = x.dtype): Tensor {
  const out = emptyTensor(shape, dtype);
  if (x.size) stridedCopy(x, 0, [1], out, 0, [1], [x.size]);
  return out;
}

export function clone(input: TensorOrNumber): Tensor {
  const x = toTensor('clone', input);
  const out = copyRaw(x);
  return record(out, 'clone', [x], (dy) => [copyRaw(dy)]);
}

/**
 * Casts between float32, int32 (float → int truncates toward zero) and bool (x ≠ 0; bool →
 * numbers gives 0/1), as tf.cast. No gradient.
 */
export function castTo(x: Tensor, dtype: DType): Tensor {
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new Error(`cast: unsupported dtype '${String(dtype)}' (expected 'float32', 'int32' or 'bool')`);
  }
  if (x.dtype === dtype) return copyRaw(x);
  // bool and int32 share the int32 storage of 0/1 values.
  if (x.dtype === 'bool' && dtype === 'int32') return copyRaw(x, x.shape, 'int32');
  const out = emptyTensor(x.shape, dtype);
  if (!x.size) return out;
  const b = ENGINE.get();
  if (dtype === 'float32') {
    b.castI32ToF32(x.storage, out.storage, x.size);
  } else if (dtype === 'int32') {
    b.castF32ToI32(x.storage, out.storage, x.size);
  } else {
    // → bool: (float x) ≠ 0, as 0/1 floats, then to int32 bits. Every non-zero int32 is a
    // non-zero float, so int32 goes through float32 exactly for this purpose.
    const f = x.dtype === 'float32' ? x : emptyTensor(x.shape);
    if (f !== x) b.castI32ToF32(x.storage, f.storage, x.size);
    const zero = b.alloc(1);
    const ne = emptyTensor(x.shape);
    b.binary('notEqual', f.storage, [1], zero, [0], ne.storage, [x.size]);
    b.castF32ToI32(ne.storage, out.storage, x.size);
    b.free(zero);
    ne.dispose();
    if (f !== x) f.dispose();
  }
  return out;
}

export function cast(input: TensorOrNumber, dtype: DType): Tensor {
  const x = toTensor('cast', input);
  const out = castTo(x, dtype);
  if (dtype === 'float32' && x.dtype === 'float32') return record(out, 'cast', [x], (dy) => [copyRaw(dy)]);
  return out;
}

/** Resolves one −1 in a target shape, checking the element count. */
export function inferReshape(op: string, from: readonly number[], to: readonly number[]): number[] {
  const total = sizeOf(from);
  const shape = [...to];
  const neg = shape.indexOf(-1);
  if (neg !== shape.lastIndexOf(-1)) throw new Error(`${op}: at most one dimension may be -1, got ${fmt(to)}`);
  if (neg >= 0) {
    const rest = sizeOf(shape.filter((_, i) => i !== neg));
    if (rest === 0 || total % rest !== 0) {
      throw new Error(`${op}: cannot reshape ${fmt(from)} (${total} elements) to ${fmt(to)}`);
    }
    shape[neg] = total / rest;
  }
  if (shape.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(shape) !== total) {
    throw new Error(`${op}: cannot reshape ${fmt(from)} (${total} elements) to ${fmt(to)}`);
  }
  return shape;
}

export function reshape(input: TensorOrNumber, shape: readonly number[]): Tensor {
  const x = toTensor('reshape', input);
  const target = inferReshape('reshape', x.shape, shape);
  const out = copyRaw(x, target);
  return record(out, 'reshape', [x], (dy) => [copyRaw(dy, x.shape)]);
}

export function flatten(input: TensorOrNumber): Tensor {
  const x = toTensor('flatten', input);
  return reshape(x, [x.size]);
}

export function expandDims(input: TensorOrNumber, axis = 0): Tensor {
  const x = toTensor('expandDims', input);
  const a = normalizeAxis('expandDims', axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

export function squeeze(input: TensorOrNumber, axis?: number[]): Tensor {
  const x = toTensor('squeeze', input);
  const axes = axis?.map((a) => normalizeAxis('squeeze', a, x.rank));
  for (const a of axes ?? []) {
    if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${a} has size ${x.shape[a]}, expected 1 (shape ${fmt(x.shape)})`);
  }
  const shape = x.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  return reshape(x, shape);
}

function transposeRaw(x: Tensor, perm: number[]): Tensor {
  const outShape = perm.map((p) => x.shape[p]);
  const out = emptyTensor(outShape, x.dtype);
  const xs = stridesOf(x.shape);
  stridedCopy(x, 0, perm.map((p) => xs[p]), out, 0, stridesOf(outShape), outShape);
  return out;
}

/** Permutes axes (default: reverses them), as tf.transpose. */
export function transpose(input: TensorOrNumber, perm?: number[]): Tensor {
  const x = toTensor('transpose', input);
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || new Set(p.map((a) => normalizeAxis('transpose', a, x.rank))).size !== x.rank) {
    throw new Error(`transpose: perm [${p.join(', ')}] is not a permutation of the ${x.rank} axes of ${fmt(x.shape)}`);
  }
  const pn = p.map((a) => normalizeAxis('transpose', a, x.rank));
  const out = transposeRaw(x, pn);
  const inverse = new Array<number>(pn.length);
  pn.forEach((a, i) => (inverse[a] = i));
  return record(out, 'transpose', [x], (dy) => [transposeRaw(dy, inverse)]);
}

/** Copies a box of x into a new tensor (no gradient). */
function sliceRaw(x: Tensor, begin: number[], size: number[]): Tensor {
  const out = emptyTensor(size, x.dtype);
  const xs = stridesOf(x.shape);
  let offset = 0;
  for (let i = 0; i < x.rank; i++) offset += begin[i] * xs[i];
  stridedCopy(x, offset, xs, out, 0, stridesOf(size), size);
  return out;
}

/** tf.slice(x, begin, size): size −1 means "to the end". */
export function slice(input: TensorOrNumber, begin: number | number[], size?: number | number[]): Tensor {
  const x = toTensor('slice', input);
  const b = (Array.isArray(begin) ? begin : [begin]).slice();
  while (b.length < x.rank) b.push(0);
  const s = size === undefined ? [] : (Array.isArray(size) ? size : [size]).slice();
  while (s.length < x.rank) s.push(-1);
  const sz = s.map((d, i) => (d === -1 ? x.shape[i] - b[i] : d));
  for (let i = 0; i < x.rank; i++) {
    if (!(b[i] >= 0 && sz[i] >= 0 && b[i] + sz[i] <= x.shape[i])) {
      throw new Error(`slice: begin [${b.join(', ')}] size [${sz.join(', ')}] is outside ${fmt(x.shape)}`);
    }
  }
  const out = sliceRaw(x, b, sz);
  return record(out, 'slice', [x], (dy) => {
    const dx = zeroTensor(x.shape); // only the sliced region is written
    const xs = stridesOf(x.shape);
    let offset = 0;
    for (let i = 0; i < x.rank; i++) offset += b[i] * xs[i];
    stridedCopy(dy, 0, stridesOf(sz), dx, offset, xs, sz);
    return [dx];
  });
}

/** Joins tensors along an existing axis. */
export function concat(inputs: Tensor[], axis = 0): Tensor {
  if (!inputs.length) throw new Error('concat: expected at least one tensor');
  const first = inputs[0];
  const a = normalizeAxis('concat', axis, first.rank);
  for (const t of inputs) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i]) || t.dtype !== first.dtype) {
      throw new Error(
        `concat: all tensors need shape ${fmt(first.shape.map((d, i) => (i === a ? -1 : d)))} and dtype ${first.dtype} (axis ${a}), got ${fmt(t.shape)} ${t.dtype}`,
      );
    }
  }
  const outShape = [...first.shape];
  outShape[a] = inputs.reduce((s, t) => s + t.shape[a], 0);
  const out = emptyTensor(outShape, first.dtype);
  const os = stridesOf(outShape);
  const offsets: number[] = [];
  let at = 0;
  for (const t of inputs) {
    offsets.push(at);
    stridedCopy(t, 0, stridesOf(t.shape), out, at * os[a], os, t.shape);
    at += t.shape[a];
  }
  return record(out, 'concat', inputs, (dy) =>
    inputs.map((t, i) => {
      if (!t.requiresGrad) return null;
      const dx = emptyTensor(t.shape);
      stridedCopy(dy, offsets[i] * os[a], os, dx, 0, stridesOf(t.shape), t.shape);
      return dx;
    }),
  );
}

/** Stacks same-shaped tensors along a new axis. */
export function stack(inputs: Tensor[], axis = 0): Tensor {
  if (!inputs.length) throw new Error('stack: expected at least one tensor');
  const a = normalizeAxis('stack', axis, inputs[0].rank + 1);
  for (const t of inputs) {
    if (!shapesEqual(t.shape, inputs[0].shape)) {
      throw new Error(`stack: all tensors need shape ${fmt(inputs[0].shape)}, got ${fmt(t.shape)}`);
    }
  }
  const expanded = inputs.map((t) => expandDims(t, a));
  const out = concat(expanded, a);
  if (!out.gradFn) expanded.forEach((t) => t.dispose());
  return out;
}

/** Splits along an axis into equal parts (a count) or given sizes (one may be −1: the rest), as tf.split. */
export function split(input: Tensor, numOrSizes: number | number[], axis = 0): Tensor[] {
  const a = normalizeAxis('split', axis, input.rank);
  const n = input.shape[a];
  let sizes = Array.isArray(numOrSizes) ? numOrSizes.slice() : Array<number>(numOrSizes).fill(n / numOrSizes);
  if (sizes.filter((s) => s === -1).length === 1) {
    const rest = n - sizes.reduce((x, y) => (y === -1 ? x : x + y), 0);
    sizes = sizes.map((s) => (s === -1 ? rest : s));
  }
  if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((x, y) => x + y, 0) !== n) {
    throw new Error(`split: cannot split axis ${a} of size ${n} into [${sizes.join(', ')}]`);
  }
  let at = 0;
  return sizes.map((s) => {
    const begin = input.shape.map((_, i) => (i === a ? at : 0));
    const size = input.shape.map((d, i) => (i === a ? s : d));
    at += s;
    return slice(input, begin, size);
  });
}

/** Repeats x `reps[i]` times along axis i. */
export function tile(input: TensorOrNumber, reps: number[]): Tensor {
  const x = toTensor('tile', input);
  if (reps.length !== x.rank || reps.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new Error(`tile: reps [${reps.join(', ')}] must give a non-negative integer per axis of ${fmt(x.shape)}`);
  }
  // View out as [r0, d0, r1, d1, …]: x repeats with stride 0 on the r axes.
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = emptyTensor(outShape, x.dtype);
  const xs = stridesOf(x.shape);
  const viewShape: number[] = [], srcStrides: number[] = [];
  x.shape.forEach((d, i) => {
    viewShape.push(reps[i], d);
    srcStrides.push(0, xs[i]);
  });
  stridedCopy(x, 0, srcStrides, out, 0, stridesOf(viewShape), viewShape);
  return record(out, 'tile', [x], (dy) => {
    // Sum the repeats back: dy viewed as [r0, d0, r1, d1, …], reduced over the r axes.
    let g = reshapeRaw(dy, viewShape);
    for (let i = x.rank - 1; i >= 0; i--) {
      const next = sumAxisRaw(g, 2 * i);
      g.dispose();
      g = next;
    }
    const r = reshapeRaw(g, x.shape);
    g.dispose();
    return [r];
  });
}

function reshapeRaw(x: Tensor, shape: number[]): Tensor {
  return copyRaw(x, shape);
}

function sumAxisRaw(x: Tensor, axis: number): Tensor {
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const out = emptyTensor(x.shape.filter((_, i) => i !== axis));
  if (out.size) ENGINE.get().reduce('sum', x.storage, out.storage, outer, x.shape[axis], inner);
  return out;
}

/** Pads with a constant, as tf.pad(x, [[before, after], …], value). */
export function pad(input: TensorOrNumber, paddings: [number, number][], constantValue = 0): Tensor {
  const x = toTensor('pad', input);
  if (paddings.length !== x.rank || paddings.some(([b, a]) => !(b >= 0 && a >= 0))) {
    throw new Error(`pad: need one [before, after] pair of non-negative integers per axis of ${fmt(x.shape)}`);
  }
  const outShape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const out = constantValue === 0 ? zeroTensor(outShape, x.dtype) : emptyTensor(outShape, x.dtype);
  if (constantValue !== 0) ENGINE.get().fill(out.storage, constantValue, out.size, x.dtype === 'int32');
  const os = stridesOf(outShape);
  const offset = paddings.reduce((s, [b], i) => s + b * os[i], 0);
  stridedCopy(x, 0, stridesOf(x.shape), out, offset, os, x.shape);
  return record(out, 'pad', [x], (dy) => [sliceRaw(dy, paddings.map(([b]) => b), [...x.shape])]);
}
