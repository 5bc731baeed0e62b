/**
 * InputLayer and fe.input(): the entry points of a functional graph. `fe.input({ shape })`
 * makes an InputLayer and returns its symbolic output, of shape [null, ...shape].
 */
import type { DType, Tensor } from '../tensor';
import { fmt } from '../ops/util';
import { Layer, SymbolicShape, uniqueName } from './layer';
import { Node, SymbolicTensor } from './symbolic';

export interface InputArgs {
  /** One sample's shape (no batch axis); null for any length. */
  shape?: (number | null)[];
  /** The full shape with the batch axis. */
  batchShape?: (number | null)[];
  batchSize?: number;
  /** Default 'float32'. */
  dtype?: DType;
  name?: string;
  sparse?: boolean;
}

export interface InputLayerArgs {
  inputShape?: (number | null)[];
  batchInputShape?: (number | null)[];
  batchSize?: number;
  dtype?: DType;
  name?: string;
  sparse?: boolean;
}

function checkShape(who: string, shape: (number | null)[]): void {
  if (!Array.isArray(shape) || !shape.every((d) => d === null || (Number.isInteger(d) && d >= 0))) {
    throw new Error(`${who}: shape must be a list of non-negative integers or null, got ${JSON.stringify(shape)}`);
  }
}

export class InputLayer extends Layer {
  static override readonly className = 'InputLayer';
  readonly sparse: boolean;

  constructor(args: InputLayerArgs = {}) {
    super({ name: args.name ?? uniqueName('input_layer') });
    const who = `${this.name} (InputLayer)`;
    if (args.inputShape && args.batchInputShape) throw new Error(`${who}: give inputShape or batchInputShape, not both`);
    const batch = args.batchInputShape ?? (args.inputShape ? [args.batchSize ?? null, ...args.inputShape] : null);
    if (!batch) throw new Error(`${who}: needs a shape (fe.input({ shape: [...] }) or batchShape)`);
    checkShape(who, batch);
    if (args.sparse) throw new Error(`${who}: sparse inputs are not supported`);
    if (args.dtype !== undefined && !['float32', 'int32', 'bool'].includes(args.dtype)) {
      throw new Error(`${who}: dtype must be 'float32' or 'int32', got '${args.dtype}'`);
    }
    this.batchInputShape = [...batch];
    this.dtype = args.dtype ?? 'float32';
    this.sparse = false;
    this.built = true;
    const node = new Node(this, [], false, {});
    node.outputs = [new SymbolicTensor(this.dtype, batch, node, 0, this.name)];
    this.inboundNodes.push(node);
  }

  /** The symbolic tensor this layer feeds into the graph. */
  override get output(): SymbolicTensor {
    return this.inboundNodes[0].outputs[0];
  }

  call(x: Tensor): Tensor {
    return x;
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    return s;
  }

  override getConfig() {
    return { batchInputShape: this.batchInputShape, dtype: this.dtype, sparse: this.sparse, name: this.name };
  }
}

/** fe.input({ shape, batchShape, dtype, name }): a symbolic tensor that starts a functional model. */
export function input(args: InputArgs): SymbolicTensor {
  if (!args || typeof args !== 'object') throw new Error('input: expected { shape } or { batchShape }');
  if (args.shape && args.batchShape) throw new Error(`input: give shape or batchShape, not both (got ${fmt((args.shape as number[]))} and ${fmt(args.batchShape as number[])})`);
  if (!args.shape && !args.batchShape) throw new Error('input: needs shape (one sample, without the batch axis) or batchShape');
  return new InputLayer({
    inputShape: args.shape,
    batchInputShape: args.batchShape,
    batchSize: args.batchSize,
    dtype: args.dtype,
    name: args.name,
    sparse: args.sparse,
  }).output;
}
