/**
 * The C ABI of ferrite-wasm, mirrored from crates/ferrite-wasm/src/lib.rs.
 * Every pointer is a byte offset into the module's linear memory (u32); sizes are element
 * counts; booleans are 0/1; enum arguments use the op codes below. A test checks that this
 * interface and the module's exports agree, name for name and arity for arity.
 */

export interface FerriteExports {
  memory: WebAssembly.Memory;

  /** 16-byte aligned, zero-filled block of `bytes`; 0 when memory cannot grow. */
  ferrite_alloc(bytes: number): number;
  /** As ferrite_alloc, contents unspecified (for outputs a kernel overwrites). */
  ferrite_alloc_uninit(bytes: number): number;
  ferrite_free(ptr: number, bytes: number): void;

  ferrite_fill_f32(out: number, value: number, n: number): void;
  ferrite_fill_i32(out: number, value: number, n: number): void;
  /** Strides and shape are i32 arrays of length `rank` in memory; offsets are folded into src/dst. */
  ferrite_strided_copy(src: number, srcStrides: number, dst: number, dstStrides: number, shape: number, rank: number): void;
  ferrite_cast_f32_i32(x: number, out: number, n: number): void;
  ferrite_cast_i32_f32(x: number, out: number, n: number): void;

  /** Strides in elements; transA/transB 0|1. See Backend.matmul. */
  ferrite_matmul(
    a: number, strideA: number, b: number, strideB: number, c: number, strideC: number,
    batch: number, m: number, n: number, k: number,
    transA: number, transB: number, alpha: number, beta: number,
  ): void;
  /** op: BINARY_OPS index; strides/shape: i32 arrays of length rank. */
  ferrite_binary(op: number, a: number, aStrides: number, b: number, bStrides: number, out: number, shape: number, rank: number): void;
  /** op: UNARY_OPS index. */
  ferrite_unary(op: number, x: number, out: number, n: number, alpha: number): void;
  /** op: UNARY_GRAD_OPS index. */
  ferrite_unary_grad(op: number, xy: number, dy: number, dx: number, n: number, alpha: number): void;
  ferrite_affine(x: number, out: number, n: number, scale: number, shift: number): void;
  ferrite_clip(x: number, out: number, n: number, lo: number, hi: number): void;
  ferrite_where(cond: number, a: number, b: number, out: number, n: number): void;
  /** act: BIAS_ACTIVATIONS index; bias and pre 0 for none. */
  ferrite_bias_act(act: number, x: number, bias: number, out: number, pre: number, rows: number, cols: number, alpha: number): void;
  /** act: BIAS_ACTIVATIONS index; dBias 0 for none. */
  ferrite_bias_act_grad(act: number, xy: number, dy: number, dx: number, dBias: number, rows: number, cols: number, alpha: number): void;

  /** op: REDUCE_OPS index. */
  ferrite_reduce(op: number, x: number, out: number, outer: number, axis: number, inner: number): void;
  /** op: ARG_REDUCE_OPS index; out is i32. */
  ferrite_arg_reduce(op: number, x: number, out: number, outer: number, axis: number, inner: number): void;

  ferrite_softmax(x: number, out: number, rows: number, cols: number): void;
  ferrite_log_softmax(x: number, out: number, rows: number, cols: number): void;
  ferrite_softmax_grad(y: number, dy: number, dx: number, rows: number, cols: number): void;
  ferrite_log_softmax_grad(y: number, dy: number, dx: number, rows: number, cols: number): void;

  /** Returns -1, or the position of the first index outside [0, axisLen). */
  ferrite_gather(x: number, idx: number, out: number, outer: number, axisLen: number, inner: number, numIdx: number): number;
  ferrite_scatter_add(dy: number, idx: number, dx: number, outer: number, axisLen: number, inner: number, numIdx: number): void;
  ferrite_one_hot(idx: number, out: number, n: number, depth: number, onValue: number, offValue: number): void;

  ferrite_sigmoid_cross_entropy(logits: number, labels: number, loss: number, grad: number, n: number): void;
  ferrite_softmax_cross_entropy(logits: number, labels: number, loss: number, grad: number, rows: number, cols: number): void;
  /** Returns -1, or the first row whose label is outside [0, cols). */
  ferrite_sparse_softmax_cross_entropy(logits: number, labels: number, loss: number, grad: number, rows: number, cols: number): number;

  ferrite_adam(p: number, g: number, m: number, v: number, n: number, lrT: number, beta1: number, beta2: number, eps: number): void;
  /** velocity 0 when momentum = 0; nesterov 0|1. */
  ferrite_sgd(p: number, g: number, velocity: number, n: number, lr: number, momentum: number, nesterov: number): void;
  /** mg 0 unless centered; mom 0 unless momentum > 0. */
  ferrite_rmsprop(p: number, g: number, ms: number, mg: number, mom: number, n: number, lr: number, rho: number, momentum: number, eps: number): void;
  // More optimizers (crates/ferrite-wasm/src/optimizers.rs): Keras / TF.js forms, then PyTorch forms.
  ferrite_adagrad(p: number, g: number, acc: number, n: number, lr: number, eps: number): void;
  ferrite_adadelta(p: number, g: number, accG: number, accD: number, n: number, lr: number, rho: number, eps: number): void;
  ferrite_adamax(p: number, g: number, m: number, u: number, n: number, lrT: number, beta1: number, beta2: number, eps: number): void;
  /** buf 0 when momentum = 0; nesterov, first 0|1. */
  ferrite_sgd_torch(p: number, g: number, buf: number, n: number, lr: number, momentum: number, dampening: number, nesterov: number, weightDecay: number, first: number): void;
  /** vMax 0 unless amsgrad. */
  ferrite_adam_torch(p: number, g: number, m: number, v: number, vMax: number, n: number, stepSize: number, beta1: number, beta2: number, eps: number, bc2Sqrt: number, l2: number, keep: number): void;
  ferrite_adagrad_torch(p: number, g: number, sum: number, n: number, clr: number, eps: number, weightDecay: number): void;
  /** gAvg 0 unless centered; buf 0 unless momentum > 0. */
  ferrite_rmsprop_torch(p: number, g: number, sq: number, gAvg: number, buf: number, n: number, lr: number, alpha: number, eps: number, weightDecay: number, momentum: number): void;

  // Recurrent layers (crates/ferrite-wasm/src/rnn.rs): cell 0 LSTM, 1 GRU resetAfter, 2 GRU,
  // 3 SimpleRNN; flags bit 0 batch-major, bit 1 returnSequences, bit 2 goBackwards; act/ract:
  // RNN_ACTIVATIONS codes (ts/backend/rnn-types.ts); optional pointers 0.
  /** Forward workspace (which 0) or backward scratch (which 1) length in elements. */
  ferrite_rnn_workspace_len(cell: number, steps: number, batch: number, units: number, which: number): number;
  ferrite_rnn_forward(
    cell: number, x: number, kernel: number, recurrent: number, bias: number, h0: number, c0: number,
    mask: number, rmask: number, y: number, hN: number, cN: number, ws: number,
    steps: number, batch: number, input: number, units: number, flags: number, act: number, ract: number,
  ): void;
  ferrite_rnn_backward(
    cell: number, x: number, kernel: number, recurrent: number, bias: number, mask: number, rmask: number,
    ws: number, dy: number, dhN: number, dcN: number,
    dx: number, dKernel: number, dRecurrent: number, dBias: number, dh0: number, dc0: number, bws: number,
    steps: number, batch: number, input: number, units: number, flags: number, act: number, ract: number,
  ): void;

  // Convolution and pooling (crates/ferrite-wasm/src/conv.rs): geom points to the i32 values of
  // conv2dGeometryValues / pool2dGeometryValues (ts/backend/conv-geometry.ts). They return 0,
  // −1 for an invalid geometry, −2 when a scratch buffer cannot be allocated.
  /** bias 0: none; relu 0|1. */
  ferrite_conv2d(x: number, filter: number, bias: number, out: number, geom: number, relu: number): number;
  ferrite_conv2d_backprop_input(dy: number, filter: number, dx: number, geom: number): number;
  ferrite_conv2d_backprop_filter(x: number, dy: number, dFilter: number, geom: number): number;
  ferrite_max_pool2d(x: number, out: number, geom: number): number;
  ferrite_max_pool2d_grad(x: number, dy: number, dx: number, geom: number): number;
  ferrite_avg_pool2d(x: number, out: number, geom: number): number;
  ferrite_avg_pool2d_grad(dy: number, dx: number, geom: number): number;

  // CTC loss (crates/ferrite-wasm/src/ctc.rs): returns −1, the first invalid sample, −2 out of
  // memory, −3 blank ≥ classes.
  ferrite_ctc_loss(
    logits: number, labels: number, inputLengths: number, labelLengths: number, loss: number, grad: number,
    batch: number, time: number, classes: number, maxLabel: number, blank: number, zeroInfinity: number,
  ): number;

  // Audio preprocessing (crates/ferrite-wasm/src/audio.rs): 0, −1 bad arguments, −2 out of memory.
  ferrite_hann_window(out: number, n: number, periodic: number): void;
  ferrite_rfft(x: number, out: number, rows: number, n: number): number;
  /** geom: the i32 values of spectrogramGeometryValues (ts/backend/audio-geometry.ts); window 0: none. */
  ferrite_spectrogram(signal: number, window: number, out: number, geom: number): number;
  ferrite_mel_weight_matrix(out: number, bins: number, mels: number, sampleRate: number, lowerHz: number, upperHz: number): number;
  ferrite_dct(x: number, out: number, rows: number, n: number, k: number): number;
  ferrite_resample(x: number, n: number, out: number, inRate: number, outRate: number): number;

  // Fused attention and layer normalization (crates/ferrite-wasm/src/attention.rs). geom: the 10
  // i32 of attentionGeometryValues (ts/backend/wasm/attention.ts); masks, probs/lse, out, dOut,
  // dProbs 0 for none. They return 0, −1 bad arguments, −2 out of memory, −3 dProbs without probs.
  ferrite_attention_forward(
    geom: number, scale: number, dropout: number, q: number, k: number, v: number,
    queryMask: number, kvMask: number, attnMask: number, out: number, probs: number, lse: number,
  ): number;
  ferrite_attention_backward(
    geom: number, scale: number, dropout: number, q: number, k: number, v: number,
    queryMask: number, kvMask: number, attnMask: number, out: number, probs: number, lse: number,
    dOut: number, dProbs: number, dq: number, dk: number, dv: number,
  ): number;
  /** gamma, beta 0: none; rms 0|1. */
  ferrite_layer_norm(x: number, gamma: number, beta: number, out: number, mean: number, rstd: number, rows: number, cols: number, epsilon: number, rms: number): void;
  /** gamma, dx, dgamma, dbeta 0: none; rms 0|1. */
  ferrite_layer_norm_grad(x: number, gamma: number, dy: number, mean: number, rstd: number, dx: number, dgamma: number, dbeta: number, rows: number, cols: number, rms: number): void;

  // Ops added for TensorFlow.js parity (crates/ferrite-wasm/src/ops.rs).
  /** op: SCAN_OPS index; flags bit 0 exclusive, bit 1 reverse. */
  ferrite_cumulative(op: number, x: number, out: number, outer: number, axis: number, inner: number, flags: number): void;
  // 3-D and depthwise convolution, 3-D pooling, resampling (crates/ferrite-wasm/src/conv3d.rs,
  // depthwise.rs, pool3d.rs, resize.rs): geom points to the i32 values of the *GeometryValues
  // of ts/backend/spatial-geometry.ts. 0, −1 invalid geometry, −2 out of memory; the crop
  // kernels return b + 1 for a box b whose image index is out of range.
  ferrite_conv3d(x: number, filter: number, bias: number, out: number, geom: number, relu: number): number;
  ferrite_conv3d_backprop_input(dy: number, filter: number, dx: number, geom: number): number;
  ferrite_conv3d_backprop_filter(x: number, dy: number, dFilter: number, geom: number): number;
  ferrite_depthwise_conv2d(x: number, filter: number, bias: number, out: number, geom: number, relu: number): number;
  ferrite_depthwise_conv2d_backprop_input(dy: number, filter: number, dx: number, geom: number): number;
  ferrite_depthwise_conv2d_backprop_filter(x: number, dy: number, dFilter: number, geom: number): number;
  ferrite_max_pool3d(x: number, out: number, geom: number): number;
  ferrite_max_pool3d_grad(x: number, dy: number, dx: number, geom: number): number;
  ferrite_avg_pool3d(x: number, out: number, geom: number): number;
  ferrite_avg_pool3d_grad(dy: number, dx: number, geom: number): number;
  ferrite_resize_bilinear(x: number, out: number, geom: number): number;
  ferrite_resize_bilinear_grad(dy: number, dx: number, geom: number): number;
  ferrite_resize_nearest(x: number, out: number, geom: number): number;
  ferrite_resize_nearest_grad(dy: number, dx: number, geom: number): number;
  ferrite_crop_and_resize(image: number, boxes: number, boxInd: number, out: number, geom: number, extrapolation: number): number;
  ferrite_crop_and_resize_grad_image(dy: number, boxes: number, boxInd: number, dImage: number, geom: number): number;

  // The thread pool (crates/ferrite-wasm/src/threads.rs; ts/backend/wasm/threads/). Every build
  // has them; single-threaded builds report one thread and return at once.
  /**
   * Threads jobs may use (1 + parked helpers), helpers' spin count, whether the caller may
   * block while joining (0 on a browser's main thread); returns the count in effect.
   */
  ferrite_threads_set(threads: number, spin: number, callerWaits: number): number;
  ferrite_threads_get(): number;
  /** Jobs handed out to helper threads so far (0 in single-threaded builds). */
  ferrite_threads_jobs(): number;
  ferrite_threads_epoch(): number;
  /** A helper's loop, on its own instance; returns when the pool stops. */
  ferrite_worker_run(id: number, epoch: number): void;
  ferrite_threads_stop(): void;
  /** Address of the 256-byte area a failing helper writes its message into. */
  ferrite_threads_error_area(): number;
  ferrite_worker_failed(): void;
  /** After a trap on the caller: 1 when a helper had failed, else 0. */
  ferrite_threads_recover(): number;
  /** Pool diagnostics: task t writes the id of the thread that ran it to the int32 out[t]. */
  ferrite_threads_probe(tasks: number, spin: number, trapOn: number, out: number): void;
}

/** What the threaded builds export besides FerriteExports (their memory is imported). */
export interface ThreadedExports {
  __stack_pointer: WebAssembly.Global;
  __tls_size: WebAssembly.Global;
  __tls_align: WebAssembly.Global;
  __wasm_init_tls(tls: number): void;
}

/** Op codes: the position in each list is the code the Rust side matches on. */
export const BINARY_OPS = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'squaredDifference',
  'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual',
  'atan2', 'mod', 'floorDiv',
] as const;
export const UNARY_OPS = [
  'neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'reciprocal',
  'relu', 'sigmoid', 'tanh', 'softplus', 'sign', 'floor', 'ceil', 'round',
  'step', 'log1p', 'elu', 'selu', 'gelu', 'relu6', 'leakyRelu',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh', 'expm1', 'erf',
] as const;
export const UNARY_GRAD_OPS = ['relu', 'sigmoid', 'tanh', 'leakyRelu', 'elu', 'selu', 'gelu', 'softplus', 'relu6'] as const;
export const BIAS_ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softplus', 'elu', 'selu', 'gelu'] as const;
export const REDUCE_OPS = ['sum', 'max', 'min', 'prod'] as const;
export const ARG_REDUCE_OPS = ['argMax', 'argMin'] as const;
export const SCAN_OPS = ['sum', 'prod'] as const;

/** Names of all functions above (memory excluded), with their arity. */
export const EXPORT_ARITY: Record<Exclude<keyof FerriteExports, 'memory'>, number> = {
  ferrite_alloc: 1,
  ferrite_alloc_uninit: 1,
  ferrite_free: 2,
  ferrite_fill_f32: 3,
  ferrite_fill_i32: 3,
  ferrite_strided_copy: 6,
  ferrite_cast_f32_i32: 3,
  ferrite_cast_i32_f32: 3,
  ferrite_matmul: 14,
  ferrite_binary: 8,
  ferrite_unary: 5,
  ferrite_unary_grad: 6,
  ferrite_affine: 5,
  ferrite_clip: 5,
  ferrite_where: 5,
  ferrite_bias_act: 8,
  ferrite_bias_act_grad: 8,
  ferrite_reduce: 6,
  ferrite_arg_reduce: 6,
  ferrite_softmax: 4,
  ferrite_log_softmax: 4,
  ferrite_softmax_grad: 5,
  ferrite_log_softmax_grad: 5,
  ferrite_gather: 7,
  ferrite_scatter_add: 7,
  ferrite_one_hot: 6,
  ferrite_sigmoid_cross_entropy: 5,
  ferrite_softmax_cross_entropy: 6,
  ferrite_sparse_softmax_cross_entropy: 6,
  ferrite_adam: 9,
  ferrite_sgd: 7,
  ferrite_rmsprop: 10,
  ferrite_adagrad: 6,
  ferrite_adadelta: 8,
  ferrite_adamax: 9,
  ferrite_sgd_torch: 10,
  ferrite_adam_torch: 13,
  ferrite_adagrad_torch: 7,
  ferrite_rmsprop_torch: 11,
  ferrite_rnn_workspace_len: 5,
  ferrite_rnn_forward: 20,
  ferrite_rnn_backward: 25,
  ferrite_conv2d: 6,
  ferrite_conv2d_backprop_input: 4,
  ferrite_conv2d_backprop_filter: 4,
  ferrite_max_pool2d: 3,
  ferrite_max_pool2d_grad: 4,
  ferrite_avg_pool2d: 3,
  ferrite_avg_pool2d_grad: 3,
  ferrite_ctc_loss: 12,
  ferrite_hann_window: 3,
  ferrite_rfft: 4,
  ferrite_spectrogram: 4,
  ferrite_mel_weight_matrix: 6,
  ferrite_dct: 5,
  ferrite_resample: 5,
  ferrite_attention_forward: 12,
  ferrite_attention_backward: 17,
  ferrite_layer_norm: 10,
  ferrite_layer_norm_grad: 11,

  ferrite_cumulative: 7,
  ferrite_conv3d: 6,
  ferrite_conv3d_backprop_input: 4,
  ferrite_conv3d_backprop_filter: 4,
  ferrite_depthwise_conv2d: 6,
  ferrite_depthwise_conv2d_backprop_input: 4,
  ferrite_depthwise_conv2d_backprop_filter: 4,
  ferrite_max_pool3d: 3,
  ferrite_max_pool3d_grad: 4,
  ferrite_avg_pool3d: 3,
  ferrite_avg_pool3d_grad: 3,
  ferrite_resize_bilinear: 3,
  ferrite_resize_bilinear_grad: 3,
  ferrite_resize_nearest: 3,
  ferrite_resize_nearest_grad: 3,
  ferrite_crop_and_resize: 6,
  ferrite_crop_and_resize_grad_image: 5,
  ferrite_threads_set: 3,
  ferrite_threads_get: 0,
  ferrite_threads_jobs: 0,
  ferrite_threads_epoch: 0,
  ferrite_worker_run: 2,
  ferrite_threads_stop: 0,
  ferrite_threads_error_area: 0,
  ferrite_worker_failed: 0,
  ferrite_threads_recover: 0,
  ferrite_threads_probe: 4,
};
