/**
 * A functional model's graph: which nodes lie between its inputs and outputs, in which order
 * they run, the layers in Keras' order (by depth from the outputs, then by first visit — as
 * TensorFlow.js, so weights line up with a model it built), and running it on tensors with
 * masks carried along the edges.
 */
import { InputLayer } from '../layers/input-layer';
import type { Layer, Mask, SymbolicShape } from '../layers/layer';
import { Node, SymbolicTensor } from '../layers/symbolic';
import { fmt } from '../ops/util';
import type { Tensor } from '../tensor';

export interface Graph {
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  /** Every node between inputs and outputs, inputs' nodes included, in an order that runs. */
  nodes: Node[];
  /** The layers, Keras' order (inputs first). */
  layers: Layer[];
  /** For each layer, its nodes that belong to this graph, in the layer's own order. */
  nodesOf: Map<Layer, Node[]>;
  /** How many nodes read each symbolic tensor (by id). */
  consumers: Map<number, number>;
}

const shapeText = (s: SymbolicShape) => fmt(s.map((d) => d ?? 'null') as unknown as number[]);

/** Checks and analyses the graph from `inputs` to `outputs` of the model `name`. */
export function buildGraph(name: string, inputs: SymbolicTensor[], outputs: SymbolicTensor[]): Graph {
  if (inputs.length === 0) throw new Error(`${name}: a model needs at least one input`);
  if (outputs.length === 0) throw new Error(`${name}: a model needs at least one output`);
  for (const [i, t] of inputs.entries()) {
    if (!(t instanceof SymbolicTensor)) throw new Error(`${name}: input ${i} is not a symbolic tensor (make inputs with fe.input)`);
    if (!(t.sourceLayer instanceof InputLayer)) {
      throw new Error(`${name}: input ${i} is the output of layer '${t.sourceLayer.name}' (${t.sourceLayer.className}); model inputs must come from fe.input()`);
    }
    if (inputs.indexOf(t) !== i) throw new Error(`${name}: input '${t.sourceLayer.name}' is given twice`);
  }
  for (const [i, t] of outputs.entries()) {
    if (!(t instanceof SymbolicTensor)) throw new Error(`${name}: output ${i} is not a symbolic tensor (apply layers to fe.input() tensors)`);
  }

  // Depth-first from the outputs: nodes in finishing order, layers in first-visit order.
  const finished: Node[] = [];
  const done = new Set<Node>();
  const active = new Set<Node>();
  const visitIndex = new Map<Layer, number>();
  const inputSet = new Set(inputs);
  const usedInputs = new Set<SymbolicTensor>();
  const visit = (t: SymbolicTensor, path: string) => {
    const node = t.node;
    if (node.layer instanceof InputLayer) {
      if (!inputSet.has(t)) {
        throw new Error(
          `${name}: output ${path} depends on input '${node.layer.name}' ${shapeText(t.shape)}, which is not among the model's inputs ` +
            `(${inputs.map((x) => `'${x.sourceLayer.name}'`).join(', ')}): the graph is disconnected`,
        );
      }
      usedInputs.add(t);
    }
    if (done.has(node)) return;
    if (active.has(node)) throw new Error(`${name}: layer '${node.layer.name}' is part of a cycle`);
    if (!visitIndex.has(node.layer)) visitIndex.set(node.layer, visitIndex.size);
    active.add(node);
    for (const x of node.allInputs) visit(x, path);
    active.delete(node);
    done.add(node);
    finished.push(node);
  };
  outputs.forEach((t, i) => visit(t, `${i} ('${t.sourceLayer.name}')`));
  for (const t of inputs) {
    if (!usedInputs.has(t)) throw new Error(`${name}: input '${t.sourceLayer.name}' is not used to compute any output`);
  }

  // Depths: outputs' nodes 0, each node one more than the deepest node reading it; a shared
  // layer takes its deepest node's depth.
  const nodeDepth = new Map<Node, number>();
  const layerDepth = new Map<Layer, number>();
  for (const node of [...finished].reverse()) {
    const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(node.layer) ?? 0);
    layerDepth.set(node.layer, depth);
    nodeDepth.set(node, depth);
    for (const x of node.allInputs) nodeDepth.set(x.node, Math.max(depth + 1, nodeDepth.get(x.node) ?? 0));
  }
  const layers = [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || visitIndex.get(a)! - visitIndex.get(b)!);

  const names = new Map<string, Layer>();
  for (const l of layers) {
    const other = names.get(l.name);
    if (other && other !== l) throw new Error(`${name}: the name '${l.name}' is used by two layers (${other.className} and ${l.className}); layer names must be unique in a model`);
    names.set(l.name, l);
  }

  const consumers = new Map<number, number>();
  for (const node of finished) for (const x of node.allInputs) consumers.set(x.id, (consumers.get(x.id) ?? 0) + 1);
  const nodesOf = new Map<Layer, Node[]>();
  for (const l of layers) nodesOf.set(l, l.inboundNodes.filter((n) => done.has(n)));
  return { inputs, outputs, nodes: finished, layers, nodesOf, consumers };
}

export interface RunOptions {
  training: boolean;
  /** Masks given for the inputs. */
  inputMasks?: (Tensor | null)[];
  /** Nodes to run as logits (a Dense whose sigmoid/softmax a fused loss applies). */
  logits?: Set<Node>;
}

/** Runs the graph on tensors for its inputs (in order); gives the outputs and their masks. */
export function runGraph(graph: Graph, inputs: Tensor[], opts: RunOptions): { outputs: Tensor[]; masks: (Tensor | null)[] } {
  const values = new Map<number, Tensor>();
  const masks = new Map<number, Tensor | null>();
  graph.inputs.forEach((t, i) => {
    values.set(t.id, inputs[i]);
    masks.set(t.id, opts.inputMasks?.[i] ?? null);
  });
  const value = (t: SymbolicTensor): Tensor => {
    const v = values.get(t.id);
    if (!v) throw new Error(`graph: no value for ${t.name} (an input of layer '${t.sourceLayer.name}' was not computed)`);
    return v;
  };
  for (const node of graph.nodes) {
    if (node.layer instanceof InputLayer) continue;
    const args = node.inputs.map(value);
    const inMasks = node.inputs.map((t) => masks.get(t.id) ?? null);
    const kwargs: Record<string, unknown> = { ...node.plainKwargs };
    for (const [key, ts, list] of node.keywordTensors) kwargs[key] = list ? ts.map(value) : value(ts[0]);
    // As Keras 3: a tensor given by keyword brings its mask as `<keyword>Mask` (MultiHeadAttention's valueMask).
    for (const [key, ts, list] of node.keywordTensors) {
      const m = ts.map((t) => masks.get(t.id) ?? null);
      if (m.some((x) => x) && kwargs[`${key}Mask`] === undefined) kwargs[`${key}Mask`] = list ? m : m[0];
    }
    const training = typeof node.kwargs.training === 'boolean' ? node.kwargs.training : opts.training;
    const propagated: Mask = node.inputIsList ? (inMasks.some((m) => m) ? inMasks : null) : inMasks[0];
    const mask = (kwargs.mask as Mask | undefined) ?? propagated;
    const x = node.inputIsList ? args : args[0];
    let outs: Tensor[];
    let outMasks: (Tensor | null)[];
    const fused = opts.logits?.has(node) ? (node.layer as unknown as { callLogits(x: Tensor): Tensor }) : null;
    if (fused) {
      outs = [fused.callLogits(x as Tensor)];
      const m = node.layer.computeMask(x, mask);
      outMasks = [Array.isArray(m) ? (m[0] ?? null) : m];
    } else {
      const r = node.layer.invoke(x, { ...kwargs, training, mask });
      outs = Array.isArray(r.outputs) ? r.outputs : [r.outputs];
      outMasks = Array.isArray(r.mask) ? r.mask : outs.map((_, i) => (i === 0 ? (r.mask as Tensor | null) : null));
    }
    if (outs.length !== node.outputs.length) {
      throw new Error(`${node.layer.name} (${node.layer.className}): gave ${outs.length} outputs, but its computeOutputShape described ${node.outputs.length}`);
    }
    node.outputs.forEach((t, i) => {
      values.set(t.id, outs[i]);
      masks.set(t.id, outMasks[i] ?? null);
    });
  }
  return { outputs: graph.outputs.map(value), masks: graph.outputs.map((t) => masks.get(t.id) ?? null) };
}

/** Output shapes for input shapes, through every node's computeOutputShape (a model used as a layer). */
export function inferShapes(graph: Graph, inputShapes: SymbolicShape[]): SymbolicShape[] {
  const shapes = new Map<number, SymbolicShape>();
  graph.inputs.forEach((t, i) => shapes.set(t.id, inputShapes[i]));
  for (const node of graph.nodes) {
    if (node.layer instanceof InputLayer) continue;
    const ins = node.inputs.map((t) => shapes.get(t.id)!);
    const out = node.layer.computeOutputShape(node.inputIsList ? ins : ins[0]);
    const list = (node.outputIsList ? out : [out]) as SymbolicShape[];
    node.outputs.forEach((t, i) => shapes.set(t.id, list[i]));
  }
  return graph.outputs.map((t) => shapes.get(t.id)!);
}
