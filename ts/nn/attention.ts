/**
 * PyTorch-style attention modules on the fused attention kernel:
 *
 *   const mha = fe.nn.multiheadAttention(64, 4, { dropout: 0.1, batchFirst: true });
 *   const [out, weights] = mha.forward(query, key, value, { keyPaddingMask, attnMask, isCausal });
 *   const layer = fe.nn.transformerEncoderLayer(64, 4, { dimFeedforward: 128 });
 *   const y = layer.forward(src, { srcKeyPaddingMask });
 *
 * Semantics are PyTorch's (nn.MultiheadAttention, nn.TransformerEncoderLayer): sequences are
 * [length, batch, features] unless batchFirst; keyPaddingMask [batch, s] and attnMask [t, s]
 * or [batch·heads, t, s] mark with a nonzero int32 (PyTorch's True) the positions NOT
 * attended, and as float32 are added to the scores (0 or −Infinity only). One difference: a
 * query whose every key is masked attends uniformly (the kernel adds −1e9, as Keras), where
 * PyTorch gives NaN.
 *
 * Weights keep ferrite's [in, out] layout of Linear (PyTorch's transposed): inProjWeight is
 * [embedDim, 3·embedDim] with q, k, v in that order, outProjWeight [embedDim, embedDim]. They are
 * initialised as PyTorch does: Xavier-uniform in-projection, PyTorch's Linear default for the
 * output projection, zero biases.
 */
import { attention } from '../ops/attention';
import * as ops from '../ops/index';
import { layerNorm } from '../ops/layer-norm';
import { projection } from '../ops/projection';
import { fmt } from '../ops/util';
import { Tensor, type Variable } from '../tensor';
import { Module } from './module';

function param(values: Tensor, name: string): Variable {
  const v = ops.variable(values, true, name);
  values.dispose();
  return v;
}

const uniformParam = (shape: number[], bound: number, name: string) => param(ops.randomUniform(shape, -bound, bound), name);
const constParam = (shape: number[], value: number, name: string) => param(ops.fill(shape, value), name);

function positiveInt(who: string, what: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${who}: ${what} must be a positive integer, got ${v}`);
  return v;
}

function checkKeys(who: string, o: object, keys: string[]): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new Error(`${who}: unknown option '${k}' (expected ${keys.join(', ')})`);
  }
}

/**
 * A PyTorch mask (nonzero int32 = not attended; float32 = added: 0 or −∞) as a keep mask for
 * the kernel (float32, 1 keeps).
 */
function keepMask(who: string, what: string, m: Tensor): Tensor {
  if (m.dtype === 'int32') return ops.cast(ops.equal(m, 0), 'float32');
  const v = m.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== 0 && v[i] !== -Infinity) {
      throw new Error(`${who}: a float32 ${what} is added to the scores; only 0 and -Infinity are supported, got ${v[i]} (use an int32 mask: nonzero = not attended)`);
    }
  }
  return ops.cast(ops.equal(m, 0), 'float32');
}

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights while training (default 0). */
  dropout?: number;
  /** Biases of the projections (default true). */
  bias?: boolean;
  /** Key and value feature sizes (default embedDim). */
  kdim?: number;
  vdim?: number;
  /** Sequences are [batch, length, features] (default false: [length, batch, features]). */
  batchFirst?: boolean;
  /** PyTorch's options without an equivalent here; only false is accepted. */
  addBiasKv?: boolean;
  addZeroAttn?: boolean;
}

export interface MultiheadAttentionForwardOptions {
  /** [batch, s]: nonzero (int32) or −∞ (float32) marks padding keys. */
  keyPaddingMask?: Tensor | null;
  /** Also return the attention weights (default true, as PyTorch). */
  needWeights?: boolean;
  /** [t, s] or [batch·heads, t, s]: nonzero (int32) or −∞ (float32) marks pairs not attended. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true). */
  averageAttnWeights?: boolean;
  /** Mask keys after their query. */
  isCausal?: boolean;
}

/** nn.MultiheadAttention(embedDim, numHeads, options). */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  /** [embedDim, 3·embedDim] when kdim = vdim = embedDim (the q, k, v projections side by side). */
  inProjWeight: Variable | null = null;
  /** Separate projections when kdim or vdim differ: [embedDim, embedDim], [kdim, embedDim], [vdim, embedDim]. */
  qProjWeight: Variable | null = null;
  kProjWeight: Variable | null = null;
  vProjWeight: Variable | null = null;
  inProjBias: Variable | null;
  outProjWeight: Variable;
  outProjBias: Variable | null;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    const who = `MultiheadAttention(${embedDim}, ${numHeads})`;
    checkKeys(who, opts, ['dropout', 'bias', 'kdim', 'vdim', 'batchFirst', 'addBiasKv', 'addZeroAttn']);
    this.embedDim = positiveInt(who, 'embedDim', embedDim);
    this.numHeads = positiveInt(who, 'numHeads', numHeads);
    if (embedDim % numHeads !== 0) throw new Error(`${who}: embedDim must be divisible by numHeads`);
    this.headDim = embedDim / numHeads;
    this.kdim = positiveInt(who, 'kdim', opts.kdim ?? embedDim);
    this.vdim = positiveInt(who, 'vdim', opts.vdim ?? embedDim);
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`${who}: dropout must be in [0, 1), got ${opts.dropout}`);
    this.batchFirst = opts.batchFirst ?? false;
    if (opts.addBiasKv) throw new Error(`${who}: addBiasKv is not supported`);
    if (opts.addZeroAttn) throw new Error(`${who}: addZeroAttn is not supported`);
    const e = embedDim;
    // Xavier uniform over PyTorch's [out, in] shape, as its _reset_parameters.
    const xavier = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut));
    if (this.kdim === e && this.vdim === e) {
      this.inProjWeight = uniformParam([e, 3 * e], xavier(e, 3 * e), 'multihead_attention/in_proj_weight');
    } else {
      this.qProjWeight = uniformParam([e, e], xavier(e, e), 'multihead_attention/q_proj_weight');
      this.kProjWeight = uniformParam([this.kdim, e], xavier(this.kdim, e), 'multihead_attention/k_proj_weight');
      this.vProjWeight = uniformParam([this.vdim, e], xavier(this.vdim, e), 'multihead_attention/v_proj_weight');
    }
    const bias = opts.bias ?? true;
    this.inProjBias = bias ? constParam([3 * e], 0, 'multihead_attention/in_proj_bias') : null;
    // PyTorch's Linear default: U(±1/√in) (kaiming_uniform with a = √5).
    this.outProjWeight = uniformParam([e, e], 1 / Math.sqrt(e), 'multihead_attention/out_proj/weight');
    this.outProjBias = bias ? constParam([e], 0, 'multihead_attention/out_proj/bias') : null;
  }

  private get who(): string {
    return `MultiheadAttention(${this.embedDim}, ${this.numHeads})`;
  }

  /** The weight and bias of projection `which` (0 q, 1 k, 2 v). */
  private projectionOf(which: number): [Tensor, Tensor | null] {
    const e = this.embedDim;
    const w = this.inProjWeight
      ? ops.slice(this.inProjWeight, [0, which * e], [e, e])
      : [this.qProjWeight!, this.kProjWeight!, this.vProjWeight!][which];
    const b = this.inProjBias ? ops.slice(this.inProjBias, [which * e], [e]) : null;
    return [w, b];
  }

  /** query [t, batch, embedDim], key [s, batch, kdim], value [s, batch, vdim] (batchFirst: batch first) → [output, weights | null]. */
  forward(query: Tensor, key: Tensor, value: Tensor, o: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const who = this.who;
    checkKeys(who, o, ['keyPaddingMask', 'needWeights', 'attnMask', 'averageAttnWeights', 'isCausal']);
    const layout = this.batchFirst ? '[batch, length, features]' : '[length, batch, features]';
    const toBatchFirst = (t: Tensor, what: string, features: number) => {
      if (!(t instanceof Tensor) || t.rank !== 3 || t.shape[2] !== features) {
        throw new Error(`${who}: expected ${what} of shape ${layout} with ${features} features, got ${t instanceof Tensor ? fmt(t.shape) : typeof t}`);
      }
      return this.batchFirst ? t : ops.transpose(t, [1, 0, 2]);
    };
    const q = toBatchFirst(query, 'query', this.embedDim);
    const k = toBatchFirst(key, 'key', this.kdim);
    const v = toBatchFirst(value, 'value', this.vdim);
    const [n, t, s] = [q.shape[0], q.shape[1], k.shape[1]];
    if (k.shape[0] !== n || v.shape[0] !== n || v.shape[1] !== s) {
      throw new Error(`${who}: query, key and value must share the batch, and key and value the length; got ${fmt(query.shape)}, ${fmt(key.shape)}, ${fmt(value.shape)} (${layout})`);
    }
    let keyMask: Tensor | null = null;
    if (o.keyPaddingMask) {
      if (o.keyPaddingMask.rank !== 2 || o.keyPaddingMask.shape[0] !== n || o.keyPaddingMask.shape[1] !== s) {
        throw new Error(`${who}: expected keyPaddingMask of shape [${n}, ${s}], got ${fmt(o.keyPaddingMask.shape)}`);
      }
      keyMask = keepMask(who, 'keyPaddingMask', o.keyPaddingMask);
    }
    let mask: Tensor | null = null;
    if (o.attnMask) {
      const m = o.attnMask;
      const ok = (m.rank === 2 && m.shape[0] === t && m.shape[1] === s) || (m.rank === 3 && m.shape[0] === n * this.numHeads && m.shape[1] === t && m.shape[2] === s);
      if (!ok) throw new Error(`${who}: expected attnMask of shape [${t}, ${s}] or [${n * this.numHeads}, ${t}, ${s}], got ${fmt(m.shape)}`);
      const keep = keepMask(who, 'attnMask', m);
      mask = m.rank === 3 ? ops.reshape(keep, [n, this.numHeads, t, s]) : keep;
    }
    const needWeights = o.needWeights ?? true;
    const [wq, bq] = this.projectionOf(0), [wk, bk] = this.projectionOf(1), [wv, bv] = this.projectionOf(2);
    const rate = this.training ? this.dropout : 0;
    const r = attention(projection(q, wq, bq, 1, who), projection(k, wk, bk, 1, who), projection(v, wv, bv, 1, who), {
      name: who, heads: this.numHeads, keyMask, mask, isCausal: o.isCausal ?? false, dropout: rate, returnScores: needWeights,
    });
    const y = projection(r.output, this.outProjWeight, this.outProjBias, 1, who);
    const out = this.batchFirst ? y : ops.transpose(y, [1, 0, 2]);
    if (!r.scores) return [out, null];
    return [out, (o.averageAttnWeights ?? true) ? ops.mean(r.scores, 1) : r.scores];
  }
}

export interface TransformerEncoderLayerOptions {
  /** Default 2048. */
  dimFeedforward?: number;
  /** Default 0.1. */
  dropout?: number;
  /** 'relu' (default) or 'gelu'. */
  activation?: 'relu' | 'gelu';
  /** Default 1e-5. */
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Layer norm before each block (default false: after). */
  normFirst?: boolean;
  /** Biases of the linear layers and layer norms (default true). */
  bias?: boolean;
}

export interface TransformerEncoderLayerForwardOptions {
  /** As MultiheadAttention's attnMask. */
  srcMask?: Tensor | null;
  /** As MultiheadAttention's keyPaddingMask. */
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
}

/** A [in, out] linear layer's parameters, PyTorch-initialised (U(±1/√in)). */
class LinearParams extends Module {
  weight: Variable;
  bias: Variable | null;
  constructor(inF: number, outF: number, bias: boolean, name: string) {
    super();
    const bound = 1 / Math.sqrt(inF);
    this.weight = uniformParam([inF, outF], bound, `${name}/weight`);
    this.bias = bias ? uniformParam([outF], bound, `${name}/bias`) : null;
  }
  forward(x: Tensor): Tensor {
    return projection(x, this.weight, this.bias);
  }
}

/** A layer norm's weight (ones) and bias (zeros), on the fused kernel. */
class NormParams extends Module {
  weight: Variable;
  bias: Variable | null;
  constructor(dim: number, readonly eps: number, bias: boolean, name: string) {
    super();
    this.weight = constParam([dim], 1, `${name}/weight`);
    this.bias = bias ? constParam([dim], 0, `${name}/bias`) : null;
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, { epsilon: this.eps, name: 'LayerNorm' });
  }
}

/** nn.TransformerEncoderLayer(dModel, nhead, options): self-attention and feed-forward blocks. */
export class TransformerEncoderLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly dropout: number;
  readonly activation: 'relu' | 'gelu';
  readonly normFirst: boolean;
  readonly batchFirst: boolean;
  selfAttn: MultiheadAttention;
  linear1: LinearParams;
  linear2: LinearParams;
  norm1: NormParams;
  norm2: NormParams;

  constructor(dModel: number, nhead: number, opts: TransformerEncoderLayerOptions = {}) {
    super();
    const who = `TransformerEncoderLayer(${dModel}, ${nhead})`;
    checkKeys(who, opts, ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'bias']);
    this.dModel = dModel;
    this.nhead = nhead;
    const ff = positiveInt(who, 'dimFeedforward', opts.dimFeedforward ?? 2048);
    this.dropout = opts.dropout ?? 0.1;
    this.activation = opts.activation ?? 'relu';
    if (this.activation !== 'relu' && this.activation !== 'gelu') throw new Error(`${who}: activation must be 'relu' or 'gelu', got '${String(opts.activation)}'`);
    this.normFirst = opts.normFirst ?? false;
    this.batchFirst = opts.batchFirst ?? false;
    const bias = opts.bias ?? true;
    const eps = opts.layerNormEps ?? 1e-5;
    this.selfAttn = new MultiheadAttention(dModel, nhead, { dropout: this.dropout, bias, batchFirst: this.batchFirst });
    this.linear1 = new LinearParams(dModel, ff, bias, 'linear1');
    this.linear2 = new LinearParams(ff, dModel, bias, 'linear2');
    this.norm1 = new NormParams(dModel, eps, bias, 'norm1');
    this.norm2 = new NormParams(dModel, eps, bias, 'norm2');
  }

  private drop(x: Tensor): Tensor {
    return this.training && this.dropout > 0 ? ops.dropout(x, this.dropout) : x;
  }

  /** src [length, batch, dModel] (batchFirst: [batch, length, dModel]) → the same shape. */
  forward(src: Tensor, o: TransformerEncoderLayerForwardOptions = {}): Tensor {
    checkKeys(`TransformerEncoderLayer(${this.dModel}, ${this.nhead})`, o, ['srcMask', 'srcKeyPaddingMask', 'isCausal']);
    const sa = (x: Tensor) =>
      this.drop(this.selfAttn.forward(x, x, x, { attnMask: o.srcMask, keyPaddingMask: o.srcKeyPaddingMask, isCausal: o.isCausal, needWeights: false })[0]);
    const act = this.activation === 'relu' ? ops.relu : ops.gelu;
    const ffn = (x: Tensor) => this.drop(this.linear2.forward(this.drop(act(this.linear1.forward(x)))));
    let x = src;
    if (this.normFirst) {
      x = ops.add(x, sa(this.norm1.forward(x)));
      return ops.add(x, ffn(this.norm2.forward(x)));
    }
    x = this.norm1.forward(ops.add(x, sa(x)));
    return this.norm2.forward(ops.add(x, ffn(x)));
  }
}
