/**
 * The functional graph's pieces: a SymbolicTensor is a placeholder with a shape (batch and
 * other unknown dimensions null) made by `fe.input` or by applying a layer to symbolic
 * tensors; a Node is one such application — the layer, the tensors it read (positional and
 * by keyword), and the tensors it gave. A layer applied twice (a shared layer) has two nodes
 * and one set of weights.
 */
import type { DType } from '../tensor';
import type { Layer, SymbolicShape } from './layer';

let nextId = 1;

export class SymbolicTensor {
  readonly id = nextId++;
  readonly shape: SymbolicShape;
  readonly dtype: DType;
  readonly name: string;
  /** The node that produced this tensor. */
  readonly node: Node;
  /** Its position among the node's outputs. */
  readonly tensorIndex: number;

  constructor(dtype: DType, shape: SymbolicShape, node: Node, tensorIndex: number, name: string) {
    this.dtype = dtype;
    this.shape = [...shape];
    this.node = node;
    this.tensorIndex = tensorIndex;
    this.name = name;
  }

  /** The layer that produced this tensor (TensorFlow.js' name). */
  get sourceLayer(): Layer {
    return this.node.layer;
  }

  /** Which application of the source layer produced it. */
  get nodeIndex(): number {
    return this.node.layer.inboundNodes.indexOf(this.node);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Alias of tensorIndex, as TensorFlow.js. */
  get outputTensorIndex(): number {
    return this.tensorIndex;
  }

  toString(): string {
    return `SymbolicTensor ${this.name} [${this.shape.map((d) => d ?? 'null').join(', ')}] ${this.dtype}`;
  }
}

let nextNodeId = 1;

export class Node {
  readonly id = nextNodeId++;
  readonly layer: Layer;
  /** Positional inputs, flattened. */
  readonly inputs: SymbolicTensor[];
  /** Whether the layer was called with a list of tensors rather than one. */
  readonly inputIsList: boolean;
  /** Keyword arguments: symbolic tensors (or lists of them) and plain values. */
  readonly kwargs: Record<string, unknown>;
  outputs: SymbolicTensor[] = [];
  outputIsList = false;

  constructor(layer: Layer, inputs: SymbolicTensor[], inputIsList: boolean, kwargs: Record<string, unknown>) {
    this.layer = layer;
    this.inputs = inputs;
    this.inputIsList = inputIsList;
    this.kwargs = kwargs;
  }

  /** The symbolic tensors passed by keyword, as [key, tensors] in key order. */
  get keywordTensors(): [string, SymbolicTensor[], boolean][] {
    const out: [string, SymbolicTensor[], boolean][] = [];
    for (const [k, v] of Object.entries(this.kwargs)) {
      if (v instanceof SymbolicTensor) out.push([k, [v], false]);
      else if (Array.isArray(v) && v.length > 0 && v.every((t) => t instanceof SymbolicTensor)) out.push([k, v as SymbolicTensor[], true]);
    }
    return out;
  }

  /** Every symbolic tensor this node reads: positional ones, then keyword ones. */
  get allInputs(): SymbolicTensor[] {
    return [...this.inputs, ...this.keywordTensors.flatMap(([, ts]) => ts)];
  }

  /** Keyword arguments that are not tensors (plain values kept for the call). */
  get plainKwargs(): Record<string, unknown> {
    const tensorKeys = new Set(this.keywordTensors.map(([k]) => k));
    return Object.fromEntries(Object.entries(this.kwargs).filter(([k]) => !tensorKeys.has(k)));
  }
}

/** Whether `v` is a symbolic tensor or a non-empty list of them. */
export function isSymbolic(v: unknown): v is SymbolicTensor | SymbolicTensor[] {
  if (v instanceof SymbolicTensor) return true;
  return Array.isArray(v) && v.length > 0 && v.some((t) => t instanceof SymbolicTensor);
}
