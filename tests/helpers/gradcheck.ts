/**
 * Finite-difference gradient checking for ferrite ops.
 *
 * f maps input tensors to an output of any shape. The output is reduced to a scalar
 * L = Σ out·w with a fixed, seeded weighting w (so every output element matters and sign
 * errors show). The analytic gradient comes from L.backward(); the numeric one from central
 * differences of L, evaluated in float64 on the JS side from the float32 outputs.
 *
 * Inputs are float32: the perturbation is large (h ≈ 1e-2·max(1, |x|)) so float32 rounding
 * of the outputs stays far below the tolerance, and the divisor is the actual float32 step
 * (x+h and x−h rounded). Callers keep inputs away from kinks (relu at 0, abs at 0, max/min
 * ties) by more than h.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';

// ---- backends ---------------------------------------------------------------------------

export type BackendName = 'js' | 'wasm';

/** js always; wasm (simd build) when wasm/ferrite-ml-simd.wasm exists. */
export const backends: BackendName[] = existsSync(fileURLToPath(new URL('../../wasm/ferrite-ml-simd.wasm', import.meta.url)))
  ? ['js', 'wasm']
  : ['js'];

export async function useBackend(name: BackendName): Promise<void> {
  if (name === 'js') await fe.setBackend('js');
  else await fe.ready({ backend: 'wasm', build: 'simd' });
}

// ---- seeded inputs ----------------------------------------------------------------------

export type Rng = () => number;

/** mulberry32: a seeded PRNG giving floats in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One input of a gradient check: values (row-major) and a shape. */
export interface Input {
  shape: number[];
  values: Float32Array;
}

export function input(shape: number[], values: ArrayLike<number>): Input {
  const n = shape.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new Error(`input: shape [${shape.join(', ')}] needs ${n} values, got ${values.length}`);
  return { shape, values: Float32Array.from(values) };
}

/** Makes inputs from one seeded stream. */
export class Gen {
  private rng: Rng;
  constructor(seed: number) {
    this.rng = mulberry32(seed);
  }

  /** Uniform in [lo, hi). */
  uniform(shape: number[], lo = -1, hi = 1): Input {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * this.rng();
    return { shape, values: v };
  }

  /** |x| uniform in [lo, hi), random sign: keeps clear of a kink at 0. */
  awayFromZero(shape: number[], lo = 0.2, hi = 2): Input {
    const t = this.uniform(shape, lo, hi);
    for (let i = 0; i < t.values.length; i++) if (this.rng() < 0.5) t.values[i] = -t.values[i];
    return t;
  }

  /**
   * Distinct values at least `gap` apart (a shuffled grid with small jitter), centred on
   * `centre`: no ties for max/min, even after a perturbation of h < gap/2.
   */
  distinct(shape: number[], gap = 0.15, centre = 0): Input {
    const n = shape.reduce((a, b) => a * b, 1);
    const grid = Array.from({ length: n }, (_, i) => centre + (i - (n - 1) / 2) * gap);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.rng() * (i + 1));
      [grid[i], grid[j]] = [grid[j], grid[i]];
    }
    const v = Float32Array.from(grid, (x) => x + (this.rng() - 0.5) * gap * 0.2);
    return { shape, values: v };
  }

  /** Integers in [lo, hi], as float values. */
  ints(shape: number[], lo: number, hi: number): Input {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = lo + Math.floor(this.rng() * (hi - lo + 1));
    return { shape, values: v };
  }

  next(): number {
    return this.rng();
  }
}

// ---- the check --------------------------------------------------------------------------

export interface GradcheckOptions {
  /** Seed of the output weighting. */
  seed?: number;
  rtol?: number;
  atol?: number;
  /** Step as a function of the element value; default 1e-2·max(1, |x|). */
  step?: (x: number) => number;
  /** Indices of the inputs to differentiate (default: all). The others stay constants. */
  wrt?: number[];
  /** Accept a check whose numeric gradients are all zero (piecewise-constant ops). */
  allowZero?: boolean;
}

export interface Mismatch {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckResult {
  analytic: Float64Array[];
  numeric: Float64Array[];
  mismatches: Mismatch[];
  /** Inputs whose .grad stayed null after backward (counted as zeros). */
  missing: number[];
  outShape: number[];
}

function weights(n: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const m = 0.5 + rng(); // |w| in [0.5, 1.5)
    w[i] = rng() < 0.5 ? -m : m;
  }
  return w;
}

/** Σ out·w in float64 for the given float32 input values, without recording gradients. */
function weightedOutput(f: (xs: Tensor[]) => Tensor, inputs: Input[], vals: Float32Array[], w: Float32Array): number {
  return fe.tidy(() =>
    fe.noGrad(() => {
      const xs = inputs.map((inp, i) => fe.tensor(vals[i], inp.shape));
      const out = f(xs).dataSync();
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * w[i];
      return s;
    }),
  );
}

export function gradcheck(f: (xs: Tensor[]) => Tensor, inputs: Input[], opts: GradcheckOptions = {}): GradcheckResult {
  const rtol = opts.rtol ?? 2e-2;
  const atol = opts.atol ?? 2e-3;
  const step = opts.step ?? ((x: number) => 1e-2 * Math.max(1, Math.abs(x)));
  const wrt = opts.wrt ?? inputs.map((_, i) => i);

  // Analytic: leaves as variables, L = sum(out * w), backward.
  // Inputs outside `wrt` go in as variables too; their gradients are not compared.
  const vars = inputs.map((inp) => {
    const t = fe.tensor(inp.values, inp.shape);
    const v = fe.variable(t);
    t.dispose();
    return v;
  });
  let outShape: number[] = [];
  let w: Float32Array = new Float32Array(0);
  const analytic: Float64Array[] = [];
  const missing: number[] = [];
  try {
    fe.tidy(() => {
      const out = f(vars);
      outShape = [...out.shape];
      w = weights(out.size, opts.seed ?? 0x5eed);
      const loss = fe.sum(fe.mul(out, fe.tensor(w, out.shape)));
      loss.backward();
    });
    for (let i = 0; i < vars.length; i++) {
      const g = vars[i].grad;
      if (g === null) {
        missing.push(i);
        analytic.push(new Float64Array(inputs[i].values.length));
        continue;
      }
      if (g.shape.length !== inputs[i].shape.length || g.shape.some((d, k) => d !== inputs[i].shape[k])) {
        throw new Error(`gradcheck: grad of input ${i} has shape [${g.shape.join(', ')}], expected [${inputs[i].shape.join(', ')}]`);
      }
      analytic.push(Float64Array.from(g.dataSync()));
    }
  } finally {
    vars.forEach((v) => v.dispose());
  }

  // Numeric: central differences over each element of each input in `wrt`.
  const numeric: Float64Array[] = inputs.map((inp) => new Float64Array(inp.values.length));
  const vals = inputs.map((inp) => Float32Array.from(inp.values));
  for (const i of wrt) {
    for (let j = 0; j < vals[i].length; j++) {
      const x = inputs[i].values[j];
      const h = step(x);
      const xp = Math.fround(x + h);
      const xm = Math.fround(x - h);
      vals[i][j] = xp;
      const fp = weightedOutput(f, inputs, vals, w);
      vals[i][j] = xm;
      const fm = weightedOutput(f, inputs, vals, w);
      vals[i][j] = x;
      numeric[i][j] = (fp - fm) / (xp - xm);
    }
  }

  const mismatches: Mismatch[] = [];
  for (const i of wrt) {
    for (let j = 0; j < numeric[i].length; j++) {
      const a = analytic[i][j];
      const n = numeric[i][j];
      const tol = atol + rtol * Math.max(Math.abs(a), Math.abs(n));
      if (!(Math.abs(a - n) <= tol)) mismatches.push({ input: i, index: j, analytic: a, numeric: n });
    }
  }
  return { analytic, numeric, mismatches, missing, outShape };
}

/** Runs gradcheck and throws a readable error on any mismatch or missing gradient. */
export function expectGradcheck(
  f: (xs: Tensor[]) => Tensor,
  inputs: Input[],
  opts: GradcheckOptions = {},
): GradcheckResult {
  const r = gradcheck(f, inputs, opts);
  const wrt = opts.wrt ?? inputs.map((_, i) => i);
  const missing = r.missing.filter((i) => wrt.includes(i) && r.numeric[i].some((v) => Math.abs(v) > (opts.atol ?? 2e-3)));
  if (r.mismatches.length || missing.length) {
    const worst = [...r.mismatches]
      .sort((p, q) => Math.abs(q.analytic - q.numeric) - Math.abs(p.analytic - p.numeric))
      .slice(0, 6)
      .map((m) => `input ${m.input} [${m.index}]: analytic ${m.analytic.toPrecision(6)} numeric ${m.numeric.toPrecision(6)}`);
    const lines = [
      `gradcheck failed: ${r.mismatches.length} mismatching element(s)` +
        (missing.length ? `; no gradient reached input(s) ${missing.join(', ')}` : ''),
      ...worst,
    ];
    throw new Error(lines.join('\n  '));
  }
  // A check that passes only because everything is zero proves little.
  const anyNonZero = wrt.some((i) => r.numeric[i].some((v) => Math.abs(v) > 1e-6));
  if (!anyNonZero && !opts.allowZero) {
    throw new Error('gradcheck: every numeric gradient is zero; the inputs do not exercise the op');
  }
  return r;
}

/** expectGradcheck for ops whose gradient is zero everywhere (piecewise-constant ops). */
export function expectZeroGradcheck(f: (xs: Tensor[]) => Tensor, inputs: Input[], opts: GradcheckOptions = {}): GradcheckResult {
  const r = expectGradcheck(f, inputs, { ...opts, allowZero: true });
  for (const g of r.analytic) {
    for (let j = 0; j < g.length; j++) {
      if (g[j] !== 0) throw new Error(`expected a zero gradient, got ${g[j]} at [${j}]`);
    }
  }
  return r;
}
