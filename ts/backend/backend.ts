/**
 * The Backend interface: the kernels every backend provides. Nothing here knows about
 * tensors, layers or autograd; kernels see flat storages, element counts and shapes.
 *
 * Conventions
 * - A Storage holds `size` 4-byte elements (float32 or int32; the caller knows which).
 * - Kernels write into an `out` storage the caller allocated (never aliasing an input unless
 *   the kernel says "in place"). Offsets and sizes are in elements, not bytes.
 * - Shapes/strides arrays have rank ≤ MAX_RANK; a stride of 0 repeats (broadcasts) that axis.
 * - Reductions and softmax view the input as [outer, axis, inner] (row-major).
 */

import type { Conv2dGeometry, Pool2dGeometry } from './conv-geometry';
import type { RnnBackwardArgs, RnnConfig, RnnForwardArgs } from './rnn-types';
import type { SpectrogramGeometry } from './audio-geometry';
import type { AttentionBackwardArgs, AttentionConfig, AttentionForwardArgs } from './attention-types';
import type { Conv3dGeometry, CropGeometry, DepthwiseGeometry, Pool3dGeometry, ResizeGeometry } from './spatial-geometry';

export const MAX_RANK = 8;

/** An opaque block of `size` elements owned by one backend. */
export interface Storage {
  readonly size: number;
}

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'squaredDifference'
  // comparisons produce 1.0 / 0.0
  | 'equal' | 'notEqual' | 'greater' | 'greaterEqual' | 'less' | 'lessEqual'
  // atan2(a, b); a mod b with the sign of b (tf.mod); floor(a / b) (tf.floorDiv)
  | 'atan2' | 'mod' | 'floorDiv';

export type UnaryOp =
  | 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'square' | 'reciprocal'
  | 'relu' | 'sigmoid' | 'tanh' | 'softplus' | 'sign' | 'floor' | 'ceil' | 'round'
  | 'step' // x > 0 ? 1 : 0
  | 'log1p' | 'elu' | 'selu' | 'gelu' | 'relu6' | 'leakyRelu' // leakyRelu uses `alpha`
  | 'sin' | 'cos' | 'tan' | 'asin' | 'acos' | 'atan' | 'sinh' | 'cosh' | 'asinh' | 'acosh' | 'atanh'
  | 'expm1' | 'erf';

/**
 * Gradients of unary ops, dx = dy · f'(…). `relu`, `leakyRelu`, `elu`, `selu`, `gelu`,
 * `softplus`, `relu6` take the op's input x; `sigmoid` and `tanh` take its output y.
 */
export type UnaryGradOp = 'relu' | 'sigmoid' | 'tanh' | 'leakyRelu' | 'elu' | 'selu' | 'gelu' | 'softplus' | 'relu6';

/**
 * Activations of the fused bias + activation kernels (a Dense layer's output). Their gradient
 * reads the output y for 'linear', 'relu', 'sigmoid', 'tanh', the pre-activation x + bias
 * for the others (see `biasActGradNeedsPre`).
 */
export type BiasActivation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'softplus' | 'elu' | 'selu' | 'gelu';

/** Whether biasActGrad reads the pre-activation (true) or the output y (false). */
export function biasActGradNeedsPre(act: BiasActivation): boolean {
  return !(act === 'linear' || act === 'relu' || act === 'sigmoid' || act === 'tanh');
}

export type ReduceOp = 'sum' | 'max' | 'min' | 'prod';
export type ScanOp = 'sum' | 'prod';
export type ArgReduceOp = 'argMax' | 'argMin';

export interface Backend {
  /** 'wasm' or 'js'. */
  readonly name: 'wasm' | 'js';
  /** Which build runs: 'relaxed' | 'simd' for wasm, 'js' for js. */
  readonly build: string;

  // ---- memory -------------------------------------------------------------------------
  /** A new storage of `size` elements, zero-filled. Throws a clear Error when out of memory. */
  alloc(size: number): Storage;
  /**
   * A new storage of `size` elements whose contents are unspecified: for outputs a kernel
   * overwrites completely (zero-filling them would be a wasted pass over memory).
   */
  allocUninit(size: number): Storage;
  free(s: Storage): void;
  /** Copies `data` into `s` starting at element `offset` (default 0). */
  write(s: Storage, data: Float32Array | Int32Array, offset?: number): void;
  /** A copy of the storage as float32 (offset/length in elements; default: all). */
  readF32(s: Storage, offset?: number, length?: number): Float32Array;
  /** A copy of the storage as int32. */
  readI32(s: Storage, offset?: number, length?: number): Int32Array;
  /** Bytes the backend holds from the system (wasm: memory.buffer.byteLength). */
  heapBytes(): number;

  // ---- data movement ------------------------------------------------------------------
  /** out[0..n) = value (float32 bits; for int32 storages pass `asInt`). */
  fill(out: Storage, value: number, n: number, asInt?: boolean): void;
  /**
   * N-d strided copy of 4-byte elements, rank ≤ MAX_RANK:
   * dst[dstOffset + Σ i_d·dstStrides[d]] = src[srcOffset + Σ i_d·srcStrides[d]]
   * for every index i of `shape`. Serves transpose, slice, concat, tile, broadcastTo, pad.
   */
  stridedCopy(
    src: Storage, srcOffset: number, srcStrides: ArrayLike<number>,
    dst: Storage, dstOffset: number, dstStrides: ArrayLike<number>,
    shape: ArrayLike<number>,
  ): void;
  /** float32 → int32 (truncation toward zero, as tf.cast) and int32 → float32. */
  castF32ToI32(x: Storage, out: Storage, n: number): void;
  castI32ToF32(x: Storage, out: Storage, n: number): void;

  // ---- arithmetic ---------------------------------------------------------------------
  /**
   * Batched sgemm: for each b < batch,
   *   C_b = alpha · op(A_b) · op(B_b) + beta · C_b,
   * op(A_b) is m×k (A_b stored k×m when transA), op(B_b) is k×n (stored n×k when transB),
   * C_b is m×n, all row-major and contiguous. A_b = a[aOffset + b·strideA], likewise B, C.
   * A stride of 0 reuses one matrix for the whole batch. beta = 0 ignores C's contents.
   */
  matmul(
    a: Storage, aOffset: number, strideA: number,
    b: Storage, bOffset: number, strideB: number,
    c: Storage, cOffset: number, strideC: number,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, alpha: number, beta: number,
  ): void;
  /**
   * out[i] = op(a[…], b[…]) over `shape` (rank ≤ MAX_RANK, out contiguous), with input
   * strides (0 = broadcast). Float32.
   */
  binary(
    op: BinaryOp,
    a: Storage, aStrides: ArrayLike<number>,
    b: Storage, bStrides: ArrayLike<number>,
    out: Storage, shape: ArrayLike<number>,
  ): void;
  /** out[i] = op(x[i]) for i < n. `alpha` parameterises leakyRelu (slope) and elu. */
  unary(op: UnaryOp, x: Storage, out: Storage, n: number, alpha?: number): void;
  /** dx[i] = dy[i] · op'(…) with xOrY as documented on UnaryGradOp. */
  unaryGrad(op: UnaryGradOp, xOrY: Storage, dy: Storage, dx: Storage, n: number, alpha?: number): void;
  /** out[i] = x[i] · scale + shift (float32). */
  affine(x: Storage, out: Storage, n: number, scale: number, shift: number): void;
  /** out[i] = min(max(x[i], lo), hi). */
  clip(x: Storage, out: Storage, n: number, lo: number, hi: number): void;
  /** out[i] = cond[i] != 0 ? a[i] : b[i] (all contiguous, n elements). */
  where(cond: Storage, a: Storage, b: Storage, out: Storage, n: number): void;
  /**
   * out[r, c] = act(x[r, c] + bias[c]) over [rows, cols] in one pass (bias null: act(x));
   * `pre` (unless null) receives x + bias. `alpha` is elu's α (default 1). No aliasing.
   */
  biasAct(act: BiasActivation, x: Storage, bias: Storage | null, out: Storage, pre: Storage | null, rows: number, cols: number, alpha?: number): void;
  /**
   * dx = dy · act'(…) over [rows, cols], with xOrY the output y or the pre-activation (see
   * BiasActivation); dBias (unless null) = Σ over rows of dx, in the same pass. Kinks as
   * unaryGrad (relu'(0) = 0, relu6' = 1 on (0, 6]).
   */
  biasActGrad(act: BiasActivation, xOrY: Storage, dy: Storage, dx: Storage, dBias: Storage | null, rows: number, cols: number, alpha?: number): void;

  // ---- reductions ---------------------------------------------------------------------
  /** x viewed as [outer, axis, inner] → out [outer, inner]. */
  reduce(op: ReduceOp, x: Storage, out: Storage, outer: number, axis: number, inner: number): void;
  /** Index (int32) of the max/min along axis; first one on ties. */
  argReduce(op: ArgReduceOp, x: Storage, out: Storage, outer: number, axis: number, inner: number): void;
  /**
   * Cumulative sum/product of x viewed as [outer, axis, inner] along the axis, in order
   * (reverse: from the end; exclusive: each element left out of its own result). No aliasing.
   */
  cumulative(op: ScanOp, x: Storage, out: Storage, outer: number, axis: number, inner: number, exclusive: boolean, reverse: boolean): void;

  // ---- activations over the last axis -------------------------------------------------
  /** Row-wise softmax over [rows, cols] (max-subtracted). */
  softmax(x: Storage, out: Storage, rows: number, cols: number): void;
  logSoftmax(x: Storage, out: Storage, rows: number, cols: number): void;
  /** dx = y ⊙ (dy − Σ_row dy ⊙ y), for y = softmax(x). */
  softmaxGrad(y: Storage, dy: Storage, dx: Storage, rows: number, cols: number): void;
  /** dx = dy − softmax(x) · Σ_row dy, given y = logSoftmax(x). */
  logSoftmaxGrad(y: Storage, dy: Storage, dx: Storage, rows: number, cols: number): void;

  // ---- indexing -----------------------------------------------------------------------
  /**
   * out[o, j, i] = x[o, idx[j], i] for x viewed as [outer, axisLen, inner], idx int32 of
   * length numIdx. Returns -1 when all indices are in [0, axisLen), else the position j of
   * the first bad index (and leaves out unspecified).
   */
  gather(x: Storage, idx: Storage, out: Storage, outer: number, axisLen: number, inner: number, numIdx: number): number;
  /** dx[o, idx[j], i] += dy[o, j, i] (indices already validated). dx is not cleared. */
  scatterAdd(dy: Storage, idx: Storage, dx: Storage, outer: number, axisLen: number, inner: number, numIdx: number): void;
  /** out[j, c] = idx[j] == c ? onValue : offValue, out [n, depth]; idx int32. */
  oneHot(idx: Storage, out: Storage, n: number, depth: number, onValue: number, offValue: number): void;

  // ---- fused losses -------------------------------------------------------------------
  /**
   * Sigmoid + binary cross-entropy on logits, per element, numerically stable:
   * loss[i] = max(x,0) − x·z + log(1 + exp(−|x|)); grad[i] = sigmoid(x) − z.
   */
  sigmoidCrossEntropy(logits: Storage, labels: Storage, loss: Storage, grad: Storage, n: number): void;
  /**
   * Softmax + categorical cross-entropy on logits [rows, cols] with dense (one-hot or soft)
   * float labels: loss[r] = −Σ_c z·log softmax(x); grad = softmax(x)·Σ_c z − z.
   */
  softmaxCrossEntropy(logits: Storage, labels: Storage, loss: Storage, grad: Storage, rows: number, cols: number): void;
  /**
   * As softmaxCrossEntropy with int32 class labels [rows]. Returns -1, or the row of the first
   * label outside [0, cols).
   */
  sparseSoftmaxCrossEntropy(logits: Storage, labels: Storage, loss: Storage, grad: Storage, rows: number, cols: number): number;

  // ---- fused optimizer updates (in place on param and state) --------------------------
  /**
   * Adam (Keras form): m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
   * p −= lrT · m / (√v + ε), with lrT = lr·√(1−β2^t)/(1−β1^t) computed by the caller.
   */
  adam(p: Storage, g: Storage, m: Storage, v: Storage, n: number, lrT: number, beta1: number, beta2: number, eps: number): void;
  /**
   * SGD with optional momentum (velocity null when momentum = 0), Keras form:
   * v = momentum·v − lr·g; p += nesterov ? momentum·v − lr·g : v.
   */
  sgd(p: Storage, g: Storage, velocity: Storage | null, n: number, lr: number, momentum: number, nesterov: boolean): void;
  /**
   * RMSprop (Keras form): ms = ρ·ms + (1−ρ)·g²; (centered: mg = ρ·mg + (1−ρ)·g, denom = ms − mg²)
   * step = lr·g/√(denom + ε) (ε inside the root, as Keras and TF.js; denom clamped at 0); with momentum: mom = momentum·mom + step, p −= mom; else p −= step.
   * mg null unless centered; mom null unless momentum > 0.
   */
  rmsprop(p: Storage, g: Storage, ms: Storage, mg: Storage | null, mom: Storage | null, n: number, lr: number, rho: number, momentum: number, eps: number): void;

  // ---- more fused optimizer updates (in place on param and state) ---------------------
  /** Adagrad (Keras / TF.js form): acc += g²; p −= lr·g/√(acc + ε) (ε inside the root). */
  adagrad(p: Storage, g: Storage, acc: Storage, n: number, lr: number, eps: number): void;
  /**
   * Adadelta (Keras form, Zeiler 2012): accG = ρ·accG + (1−ρ)·g²;
   * d = √(accD + ε)/√(accG + ε)·g with the updated accG; accD = ρ·accD + (1−ρ)·d²; p −= lr·d.
   */
  adadelta(p: Storage, g: Storage, accG: Storage, accD: Storage, n: number, lr: number, rho: number, eps: number): void;
  /**
   * Adamax (Keras / TF.js form): m = β1·m + (1−β1)·g; u = max(β2·u, |g|);
   * p −= lrT·m/(u + ε), with lrT = lr/(1−β1^t) computed by the caller.
   */
  adamax(p: Storage, g: Storage, m: Storage, u: Storage, n: number, lrT: number, beta1: number, beta2: number, eps: number): void;
  /**
   * torch.optim.SGD: d = g + wd·p; with buf (null when momentum = 0): buf = d when `first`,
   * else momentum·buf + (1 − dampening)·d, then d = nesterov ? d + momentum·buf : buf; p −= lr·d.
   */
  sgdTorch(p: Storage, g: Storage, buf: Storage | null, n: number, lr: number, momentum: number, dampening: number, nesterov: boolean, weightDecay: number, first: boolean): void;
  /**
   * torch.optim.Adam / AdamW: p *= keep (AdamW 1 − lr·wd, else 1); d = g + l2·p (Adam's
   * weightDecay, else 0); m = β1·m + (1−β1)·d; v = β2·v + (1−β2)·d²; vMax (amsgrad, else null)
   * = max(vMax, v) replaces v below; p −= stepSize·m/(√v/bc2Sqrt + ε), with
   * stepSize = lr/(1−β1^t) and bc2Sqrt = √(1−β2^t) from the caller.
   */
  adamTorch(p: Storage, g: Storage, m: Storage, v: Storage, vMax: Storage | null, n: number, stepSize: number, beta1: number, beta2: number, eps: number, bc2Sqrt: number, l2: number, keep: number): void;
  /** torch.optim.Adagrad: d = g + wd·p; sum += d²; p −= clr·d/(√sum + ε) (ε outside the root). */
  adagradTorch(p: Storage, g: Storage, sum: Storage, n: number, clr: number, eps: number, weightDecay: number): void;
  /**
   * torch.optim.RMSprop: d = g + wd·p; sq = α·sq + (1−α)·d²; centered (gAvg, else null):
   * gAvg = α·gAvg + (1−α)·d, avg = √max(sq − gAvg², 0) + ε, else avg = √sq + ε; with buf
   * (momentum > 0, else null): buf = momentum·buf + d/avg, p −= lr·buf; else p −= lr·d/avg.
   */
  rmspropTorch(p: Storage, g: Storage, sq: Storage, gAvg: Storage | null, buf: Storage | null, n: number, lr: number, alpha: number, eps: number, weightDecay: number, momentum: number): void;

  // ---- recurrent layers, a whole sequence per call (semantics in rnn-types.ts) --------
  /** Elements of the forward workspace and of the backward scratch for this configuration. */
  rnnWorkspaceSize(cfg: RnnConfig): { forward: number; backward: number };
  /** y, hN (and cN) for the whole sequence; fills the workspace backward reads. */
  rnnForward(cfg: RnnConfig, a: RnnForwardArgs): void;
  /** Backpropagation through time: dx, dKernel, dRecurrentKernel, dBias, dh0, dc0. */
  rnnBackward(cfg: RnnConfig, a: RnnBackwardArgs): void;

  // ---- convolution and pooling (NHWC, filters [kh, kw, in, out]; see conv-geometry.ts) --
  /** out = conv2d(x, filter) (+ bias[outChannels] unless null) (then max(·, 0) when relu). */
  conv2d(x: Storage, filter: Storage, bias: Storage | null, out: Storage, g: Conv2dGeometry, relu: boolean): void;
  /** dx = the gradient of conv2d w.r.t. x for the output gradient dy (overwritten). */
  conv2dBackpropInput(dy: Storage, filter: Storage, dx: Storage, g: Conv2dGeometry): void;
  /** dFilter = the gradient of conv2d w.r.t. the filter (overwritten). */
  conv2dBackpropFilter(x: Storage, dy: Storage, dFilter: Storage, g: Conv2dGeometry): void;
  /** out = the maximum of each window; padding never wins (−∞ for an all-padding window). */
  maxPool2d(x: Storage, out: Storage, g: Pool2dGeometry): void;
  /** dx (overwritten): each dy goes to the first maximum (row-major) of its window of x. */
  maxPool2dGrad(x: Storage, dy: Storage, dx: Storage, g: Pool2dGeometry): void;
  /** out = the mean of each window's real elements (padding not counted, as TensorFlow). */
  avgPool2d(x: Storage, out: Storage, g: Pool2dGeometry): void;
  /** dx (overwritten) = the gradient of avgPool2d. */
  avgPool2dGrad(dy: Storage, dx: Storage, g: Pool2dGeometry): void;

  // ---- 3-D and depthwise convolution, 3-D pooling, resampling (see spatial-geometry.ts) ---
  /** out = conv3d(x, filter) (+ bias[outChannels] unless null) (then max(·, 0) when relu). */
  conv3d(x: Storage, filter: Storage, bias: Storage | null, out: Storage, g: Conv3dGeometry, relu: boolean): void;
  /** dx = the gradient of conv3d w.r.t. x (overwritten); also a transposed 3-D convolution. */
  conv3dBackpropInput(dy: Storage, filter: Storage, dx: Storage, g: Conv3dGeometry): void;
  /** dFilter = the gradient of conv3d w.r.t. the filter (overwritten). */
  conv3dBackpropFilter(x: Storage, dy: Storage, dFilter: Storage, g: Conv3dGeometry): void;
  /** out = depthwiseConv2d(x, filter) (+ bias[inChannels·multiplier]) (then max(·, 0) when relu). */
  depthwiseConv2d(x: Storage, filter: Storage, bias: Storage | null, out: Storage, g: DepthwiseGeometry, relu: boolean): void;
  depthwiseConv2dBackpropInput(dy: Storage, filter: Storage, dx: Storage, g: DepthwiseGeometry): void;
  depthwiseConv2dBackpropFilter(x: Storage, dy: Storage, dFilter: Storage, g: DepthwiseGeometry): void;
  /** As maxPool2d, maxPool2dGrad, avgPool2d, avgPool2dGrad, over depth, height and width. */
  maxPool3d(x: Storage, out: Storage, g: Pool3dGeometry): void;
  maxPool3dGrad(x: Storage, dy: Storage, dx: Storage, g: Pool3dGeometry): void;
  avgPool3d(x: Storage, out: Storage, g: Pool3dGeometry): void;
  avgPool3dGrad(dy: Storage, dx: Storage, g: Pool3dGeometry): void;
  /** Resize as TensorFlow.js (alignCorners, halfPixelCenters); gradients overwrite dx. */
  resizeBilinear(x: Storage, out: Storage, g: ResizeGeometry): void;
  resizeBilinearGrad(dy: Storage, dx: Storage, g: ResizeGeometry): void;
  resizeNearest(x: Storage, out: Storage, g: ResizeGeometry): void;
  resizeNearestGrad(dy: Storage, dx: Storage, g: ResizeGeometry): void;
  /**
   * out = crops of image at boxes (float32 [numBoxes, 4]: y1, x1, y2, x2) from images boxInd
   * (int32), resized; extrapolation outside the image. Returns -1, or the first box whose
   * index is outside [0, batch) (nothing written).
   */
  cropAndResize(image: Storage, boxes: Storage, boxInd: Storage, out: Storage, g: CropGeometry, extrapolation: number): number;
  /** dImage (overwritten) = the gradient of cropAndResize w.r.t. the image; returns as cropAndResize. */
  cropAndResizeGradImage(dy: Storage, boxes: Storage, boxInd: Storage, dImage: Storage, g: CropGeometry): number;

  // ---- CTC loss (crates/ferrite-core/src/ctc.rs; js: ts/backend/js/ctc.ts) ---------------
  /**
   * CTC loss and its gradient w.r.t. the logits in one call, in log space. logits float32
   * [batch, time, classes] (before softmax); labels int32 [batch, maxLabel] (padded);
   * inputLengths, labelLengths int32 [batch]. loss [batch] = −log p(label | logits) (+inf for
   * an impossible sample, or 0 with zeroInfinity); grad [batch, time, classes] = d loss[b] /
   * d logits, 0 past each input length and for impossible samples. Returns -1, or the first
   * sample whose lengths or labels are out of range (a label equal to blank included). Throws
   * when blank is outside [0, classes).
   */
  ctcLoss(
    logits: Storage, labels: Storage, inputLengths: Storage, labelLengths: Storage, loss: Storage, grad: Storage,
    batch: number, time: number, classes: number, maxLabel: number, blank: number, zeroInfinity: boolean,
  ): number;

  // ---- audio preprocessing (crates/ferrite-core/src/audio; see audio-geometry.ts) -------
  /** out [n] = the Hann window, 0.5 − 0.5·cos(2πi/N), N = n (periodic) or n − 1. */
  hannWindow(out: Storage, n: number, periodic: boolean): void;
  /** out [rows, n/2 + 1, 2] = (re, im) of the real FFT of each row of x [rows, n]; any n ≥ 0. */
  rfft(x: Storage, out: Storage, rows: number, n: number): void;
  /** out [batch, frames, fftLength/2 + 1] = |rfft(window ⊙ frame)|^power; window null: none. */
  spectrogram(signal: Storage, window: Storage | null, out: Storage, g: SpectrogramGeometry): void;
  /** out [bins, mels] = tf.signal.linear_to_mel_weight_matrix (HTK mel scale, no DC weight). */
  melWeightMatrix(out: Storage, numSpectrogramBins: number, numMelBins: number, sampleRate: number, lowerHz: number, upperHz: number): void;
  /** out [rows, k] = √(2/n)·Σ_j x[j]·cos(πq(2j + 1)/2n), q < k ≤ n (the MFCC DCT-II of TensorFlow). */
  dct(x: Storage, out: Storage, rows: number, n: number, k: number): void;
  /** out [resampledLength(n, inRate, outRate)] = x [n] band-limited resampled (integer rates in Hz). */
  resample(x: Storage, n: number, out: Storage, inRate: number, outRate: number): void;

  // ---- fused attention and layer normalization (ts/backend/attention-types.ts) -----------
  /** out and probs or lse (see AttentionForwardArgs); throws naming bad arguments. */
  attentionForward(cfg: AttentionConfig, a: AttentionForwardArgs): void;
  /** dq, dk, dv (overwritten) from dOut and/or dProbs. */
  attentionBackward(cfg: AttentionConfig, a: AttentionBackwardArgs): void;
  /**
   * Layer normalization of each row of x [rows, cols]: out = (x − μ)·r·γ + β, or with `rms`
   * (Keras' rms_scaling) out = x·r·γ, r = 1/√(σ² + ε); γ, β null for none. mean and rstd
   * [rows] receive μ and r for layerNormGrad.
   */
  layerNorm(x: Storage, gamma: Storage | null, beta: Storage | null, out: Storage, mean: Storage, rstd: Storage, rows: number, cols: number, epsilon: number, rms: boolean): void;
  /** dx, dγ, dβ (overwritten; null: not wanted) of layerNorm for the output gradient dy. */
  layerNormGrad(x: Storage, gamma: Storage | null, dy: Storage, mean: Storage, rstd: Storage, dx: Storage | null, dgamma: Storage | null, dbeta: Storage | null, rows: number, cols: number, rms: boolean): void;
}
