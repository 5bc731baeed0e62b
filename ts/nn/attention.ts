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
 * or [batch·heads, t, s] mark with true (bool) or a nonzero int32 (PyTorch's True) the positions NOT
 * attended, and as float32 are added to the scores (0 or −Infinity only). One difference: a
 * query whose every key is masked attends uniformly (the kernel adds −1e9, as Keras), where
 * PyTorch gives NaN.
 *
 * State dict names are PyTorch's (in_proj_weight, in_proj_bias, out_proj.weight, …; self_attn.…,
 * linear1.…, norm1.… for the encoder layer); weights keep ferrite's [in, out] layout of Linear
 * (PyTorch's transposed: in_proj_weight is [embedDim, 3·embedDim], q, k, v side by side), and are
 * initialised as PyTorch initialises them.
 */
import { attention } from '../ops/attention';
import * as ops from '../ops/index';
import { projection } from '../ops/projection';
import { fmt } from '../ops/util';
import { Tensor, type Variable } from '../tensor';
import { checkOptions, positiveInt, probability } from './args';
import { Dropout } from './basic';
import { constantVariable, uniformParameter } from './init';
import { Linear } from './linear';
import { Module } from './module';
import { LayerNorm } from './normalization';

/**
 * A PyTorch mask (nonzero int32 = not attended; float32 = added: 0 or −∞) as a keep mask for
 * the kernel (float32, 1 keeps).
 */
function keepMask(who: string, what: string, m: Tensor): Tensor {
  if (m.dtype === 'float32') {
    const v = m.dataSync();
    for (let i = 0; i < v.length; i++) {
      if (v[i] !== 0 && v[i] !== -Infinity) {
        throw new Error(`${who}: a float32 ${what} is added to the scores; only 0 and -Infinity are supported, got ${v[i]} (use an int32 mask: nonzero = not attended)`);
      }
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
  /** [batch, s]: true (bool), nonzero (int32) or −∞ (float32) marks padding keys. */
  keyPaddingMask?: Tensor | null;
  /** Also return the attention weights (default true, as PyTorch). */
  needWeights?: boolean;
  /** [t, s] or [batch·heads, t, s]: true (bool), nonzero (int32) or −∞ (float32) marks pairs not attended. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true). */
  averageAttnWeights?: boolean;
  /** Mask keys after their query. */
  isCausal?: boolean;
}

/** nn.MultiheadAttention(embedDim, numHeads, options). */
export class MultiheadAttention extends Module {
  static readonly moduleName = 'MultiheadAttention';
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    const who = `MultiheadAttention(${embedDim}, ${numHeads})`;
    checkOptions(who, opts, ['dropout', 'bias', 'kdim', 'vdim', 'batchFirst', 'addBiasKv', 'addZeroAttn']);
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
    // Xavier uniform over PyTorch's [out, in] shapes, as its _reset_parameters.
    const xavier = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut));
    if (this.kdim === e && this.vdim === e) {
      this.registerParameter('in_proj_weight', uniformParameter([e, 3 * e], xavier(e, 3 * e), 'multihead_attention/in_proj_weight'));
    } else {
      this.registerParameter('q_proj_weight', uniformParameter([e, e], xavier(e, e), 'multihead_attention/q_proj_weight'));
      this.registerParameter('k_proj_weight', uniformParameter([this.kdim, e], xavier(this.kdim, e), 'multihead_attention/k_proj_weight'));
      this.registerParameter('v_proj_weight', uniformParameter([this.vdim, e], xavier(this.vdim, e), 'multihead_attention/v_proj_weight'));
    }
    const bias = opts.bias ?? true;
    if (bias) this.registerParameter('in_proj_bias', constantVariable([3 * e], 0, true, 'multihead_attention/in_proj_bias'));
    // PyTorch's out_proj: a Linear with its default weight, its bias set to zero.
    const out = new Linear(e, e, { bias });
    if (out.bias) {
      const zero = ops.zerosLike(out.bias);
      out.bias.assign(zero);
      zero.dispose();
    }
    this.registerModule('out_proj', out);
  }

  private param(name: string): Variable | null {
    return this.namedParameters('', false).find(([k]) => k === name)?.[1] ?? null;
  }

  /** [embedDim, 3·embedDim] when kdim = vdim = embedDim (PyTorch's in_proj_weight, transposed). */
  get inProjWeight(): Variable | null {
    return this.param('in_proj_weight');
  }
  get inProjBias(): Variable | null {
    return this.param('in_proj_bias');
  }
  /** Separate projections when kdim or vdim differ: [embedDim, embedDim], [kdim, embedDim], [vdim, embedDim]. */
  get qProjWeight(): Variable | null {
    return this.param('q_proj_weight');
  }
  get kProjWeight(): Variable | null {
    return this.param('k_proj_weight');
  }
  get vProjWeight(): Variable | null {
    return this.param('v_proj_weight');
  }
  get outProj(): Linear {
    return this.getSubmodule('out_proj') as Linear;
  }

  private get who(): string {
    return `MultiheadAttention(${this.embedDim}, ${this.numHeads})`;
  }

  /** The weight and bias of projection `which` (0 q, 1 k, 2 v). */
  private projectionOf(which: number): [Tensor, Tensor | null] {
    const e = this.embedDim;
    const packed = this.inProjWeight;
    const w = packed ? ops.slice(packed, [0, which * e], [e, e]) : [this.qProjWeight!, this.kProjWeight!, this.vProjWeight!][which];
    const bias = this.inProjBias;
    return [w, bias ? ops.slice(bias, [which * e], [e]) : null];
  }

  /** query [t, batch, embedDim], key [s, batch, kdim], value [s, batch, vdim] (batchFirst: batch first) → [output, weights | null]. */
  forward(query: Tensor, key: Tensor, value: Tensor, o: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const who = this.who;
    checkOptions(who, o, ['keyPaddingMask', 'needWeights', 'attnMask', 'averageAttnWeights', 'isCausal']);
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
    const r = attention(projection(q, wq, bq, 1, who), projection(k, wk, bk, 1, who), projection(v, wv, bv, 1, who), {
      name: who, heads: this.numHeads, keyMask, mask, isCausal: o.isCausal ?? false,
      dropout: this.training ? this.dropout : 0, returnScores: needWeights,
    });
    const y = this.outProj.forward(r.output);
    const out = this.batchFirst ? y : ops.transpose(y, [1, 0, 2]);
    if (!r.scores) return [out, null];
    return [out, (o.averageAttnWeights ?? true) ? ops.mean(r.scores, 1) : r.scores];
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, dropout=${this.dropout}, batchFirst=${this.batchFirst}`;
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

/** nn.TransformerEncoderLayer(dModel, nhead, options): self-attention and feed-forward blocks. */
export class TransformerEncoderLayer extends Module {
  static readonly moduleName = 'TransformerEncoderLayer';
  readonly dModel: number;
  readonly nhead: number;
  readonly activation: 'relu' | 'gelu';
  readonly normFirst: boolean;
  readonly batchFirst: boolean;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;

  constructor(dModel: number, nhead: number, opts: TransformerEncoderLayerOptions = {}) {
    super();
    const who = `TransformerEncoderLayer(${dModel}, ${nhead})`;
    checkOptions(who, opts, ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'bias']);
    this.dModel = positiveInt(who, 'dModel', dModel);
    this.nhead = positiveInt(who, 'nhead', nhead);
    const ff = positiveInt(who, 'dimFeedforward', opts.dimFeedforward ?? 2048);
    const p = probability(who, 'dropout', opts.dropout ?? 0.1);
    this.activation = opts.activation ?? 'relu';
    if (this.activation !== 'relu' && this.activation !== 'gelu') throw new Error(`${who}: activation must be 'relu' or 'gelu', got '${String(opts.activation)}'`);
    this.normFirst = opts.normFirst ?? false;
    this.batchFirst = opts.batchFirst ?? false;
    const bias = opts.bias ?? true;
    const eps = opts.layerNormEps ?? 1e-5;
    // PyTorch's registration order: self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2.
    this.registerModule('self_attn', new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: this.batchFirst }));
    this.linear1 = new Linear(dModel, ff, { bias });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(ff, dModel, { bias });
    this.norm1 = new LayerNorm(dModel, { eps, bias });
    this.norm2 = new LayerNorm(dModel, { eps, bias });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
  }

  get selfAttn(): MultiheadAttention {
    return this.getSubmodule('self_attn') as MultiheadAttention;
  }

  /** src [length, batch, dModel] (batchFirst: [batch, length, dModel]) → the same shape. */
  forward(src: Tensor, o: TransformerEncoderLayerForwardOptions = {}): Tensor {
    checkOptions(`TransformerEncoderLayer(${this.dModel}, ${this.nhead})`, o, ['srcMask', 'srcKeyPaddingMask', 'isCausal']);
    const sa = (x: Tensor) =>
      this.dropout1.forward(this.selfAttn.forward(x, x, x, { attnMask: o.srcMask, keyPaddingMask: o.srcKeyPaddingMask, isCausal: o.isCausal, needWeights: false })[0]);
    const act = this.activation === 'relu' ? ops.relu : ops.gelu;
    const ffn = (x: Tensor) => this.dropout2.forward(this.linear2.forward(this.dropout.forward(act(this.linear1.forward(x)))));
    let x = src;
    if (this.normFirst) {
      x = ops.add(x, sa(this.norm1.forward(x)));
      return ops.add(x, ffn(this.norm2.forward(x)));
    }
    x = this.norm1.forward(ops.add(x, sa(x)));
    return this.norm2.forward(ops.add(x, ffn(x)));
  }

  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}, activation=${this.activation}, normFirst=${this.normFirst}, batchFirst=${this.batchFirst}`;
  }
}
