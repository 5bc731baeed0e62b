/**
 * Models as Keras JSON, both ways: a Sequential as { class_name: 'Sequential', config:
 * { name, layers } }, a functional model as { class_name: 'Model', config: { name, layers
 * (each with inbound_nodes), input_layers, output_layers } }. Reads the Keras 2 node lists
 * (`[["x", 0, 0, {"value": ["y", 0, 0]}]]`, as TensorFlow.js writes them) and the Keras 3
 * form ({ args, kwargs } with __keras_tensor__ entries), `Model` and `Functional`, shared
 * layers and nested models.
 */
import { InputLayer } from '../layers/input-layer';
import type { ApplyArgs, Layer } from '../layers/layer';
import { Node, SymbolicTensor } from '../layers/symbolic';
import { LayersModel } from '../models/functional';
import { Sequential } from '../models/sequential';
import { convertTsToPythonic, deserializeLayer, serializeLayer, setModelCodec, toCamelCase, type Config } from './serialization';

type Raw = Record<string, unknown>;
type CustomObjects = Record<string, (c: Config) => Layer>;

// ---- saving --------------------------------------------------------------------------------

/**
 * Keras 2 and TensorFlow.js count a nested model's own construction as its node 0, so its
 * applications in an outer model are numbered from 1 in their files (Keras 3's are from 0).
 */
function nodeOffset(layer: Layer): number {
  return layer instanceof LayersModel ? 1 : 0;
}

/** [layer name, node index within the graph, tensor index] of a symbolic tensor. */
function historyOf(t: SymbolicTensor, nodesOf: Map<Layer, Node[]>): [string, number, number] {
  const idx = (nodesOf.get(t.sourceLayer) ?? []).indexOf(t.node);
  if (idx < 0) throw new Error(`save: tensor ${t.name} comes from a node outside the model`);
  return [t.sourceLayer.name, idx + nodeOffset(t.sourceLayer), t.tensorIndex];
}

/** A node as Keras 2 lists it: one [layer, node, tensor, kwargs] entry per input tensor. */
function nodeEntries(node: Node, nodesOf: Map<Layer, Node[]>): unknown[] {
  const kwargs: Raw = {};
  for (const [k, v] of Object.entries(node.plainKwargs)) kwargs[keyToSnake(k)] = convertTsToPythonic(v);
  for (const [key, ts, list] of node.keywordTensors) {
    const h = ts.map((t) => historyOf(t, nodesOf));
    kwargs[keyToSnake(key)] = list ? h : h[0];
  }
  return node.inputs.map((t, i) => [...historyOf(t, nodesOf), i === 0 ? kwargs : {}]);
}

/** Keras' keyword names: attentionMask → attention_mask. */
function keyToSnake(k: string): string {
  return k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** A functional model's config (the TensorFlow.js layers format). */
function functionalConfig(model: LayersModel): Raw {
  const g = model.graphForSaving;
  const layers = g.layers.map((l) => {
    const spec = serializeLayer(l) as Raw;
    return { name: l.name, class_name: spec.class_name, config: spec.config, inbound_nodes: (g.nodesOf.get(l) ?? []).filter((n) => n.inputs.length).map((n) => nodeEntries(n, g.nodesOf)) };
  });
  return {
    name: model.name,
    layers,
    input_layers: g.inputs.map((t) => historyOf(t, g.nodesOf)),
    output_layers: g.outputs.map((t) => historyOf(t, g.nodesOf)),
  };
}

/** A Sequential's config: its layers, the first carrying the input shape. */
function sequentialConfig(model: Sequential): Raw {
  const layers = model.layers.map((l) => serializeLayer(l) as Raw);
  const first = layers[0]?.config as Raw | undefined;
  const input = model.built ? (model.inputShape as (number | null)[]) : null;
  if (first && first.batch_input_shape == null && input) {
    first.batch_input_shape = [...input];
    first.dtype = model.layers[0].dtype === 'int32' ? 'int32' : 'float32';
  }
  return { name: model.name, layers };
}

/** { class_name, config } of a model. */
export function serializeModel(model: LayersModel): { class_name: string; config: Raw } {
  if (model instanceof Sequential) return { class_name: 'Sequential', config: sequentialConfig(model) };
  return { class_name: 'Model', config: functionalConfig(model) };
}

// ---- loading -------------------------------------------------------------------------------

const fmtSpec = (v: unknown) => JSON.stringify(v)?.slice(0, 160);

/** A Keras 3 __keras_tensor__ entry's keras_history, or null. */
function kerasHistory(v: unknown): [string, number, number] | null {
  const c = (v as { config?: { keras_history?: unknown } } | null)?.config?.keras_history;
  if (Array.isArray(c) && c.length >= 3 && typeof c[0] === 'string') return [c[0], Number(c[1]), Number(c[2])];
  return null;
}

/** Whether v is a Keras 2 [name, node, tensor(, kwargs)] reference. */
function isRef(v: unknown): v is [string, number, number, Raw?] {
  return Array.isArray(v) && v.length >= 3 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number';
}

/** One node to create: positional references, keyword references, plain keyword values. */
interface NodeSpec {
  inputs: [string, number, number][];
  inputIsList: boolean;
  kwargs: Raw;
}

/** The nodes of a layer spec's inbound_nodes, in Keras 2 or Keras 3 form. */
function parseNodes(spec: Raw, where: string): NodeSpec[] {
  const nodes = spec.inbound_nodes;
  if (nodes === undefined || nodes === null) return [];
  if (!Array.isArray(nodes)) throw new Error(`${where}: inbound_nodes must be a list, got ${fmtSpec(nodes)}`);
  return nodes.map((n): NodeSpec => {
    if (Array.isArray(n)) {
      // Keras 2: [[name, node, tensor, kwargs], ...]; tensors in kwargs are references too.
      const refs = n.filter(isRef);
      if (refs.length !== n.length) throw new Error(`${where}: cannot read inbound node ${fmtSpec(n)}`);
      const kwargs: Raw = {};
      for (const r of refs) Object.assign(kwargs, r[3] ?? {});
      return { inputs: refs.map((r) => [r[0], r[1], r[2]]), inputIsList: refs.length > 1, kwargs };
    }
    // Keras 3: { args: [tensor | [tensors]], kwargs: {...} }.
    const o = n as { args?: unknown[]; kwargs?: Raw };
    const args = o.args ?? [];
    const first = args[0];
    let inputs: [string, number, number][];
    let inputIsList = false;
    if (Array.isArray(first)) {
      inputs = first.map((t) => {
        const h = kerasHistory(t);
        if (!h) throw new Error(`${where}: cannot read input ${fmtSpec(t)}`);
        return h;
      });
      inputIsList = true;
    } else {
      const h = kerasHistory(first);
      if (!h) throw new Error(`${where}: cannot read input ${fmtSpec(first)}`);
      inputs = [h];
    }
    const kwargs: Raw = {};
    for (const [k, v] of Object.entries(o.kwargs ?? {})) {
      const h = kerasHistory(v);
      if (h) kwargs[k] = h;
      else if (Array.isArray(v) && v.length && v.every((x) => kerasHistory(x))) kwargs[k] = v.map((x) => kerasHistory(x));
      else kwargs[k] = v;
    }
    // Extra positional arguments after the inputs (e.g. a recurrent layer's initial states).
    for (const extra of args.slice(1)) {
      const h = kerasHistory(extra);
      if (h) {
        inputs.push(h);
        inputIsList = true;
      }
    }
    return { inputs, inputIsList, kwargs };
  });
}

/** Keras 3 writes one input or output as [name, 0, 0] rather than [[name, 0, 0]]. */
function refList(v: unknown, where: string): [string, number, number][] {
  if (isRef(v)) return [[v[0], v[1], v[2]]];
  if (Array.isArray(v) && v.every(isRef)) return v.map((r) => [r[0], r[1], r[2]]);
  throw new Error(`${where}: expected a list of [layer, node, tensor], got ${fmtSpec(v)}`);
}

function functionalFromConfig(config: Raw, customObjects: CustomObjects, where: string): LayersModel {
  const name = typeof config.name === 'string' ? config.name : undefined;
  const specs = config.layers;
  if (!Array.isArray(specs)) throw new Error(`${where}: the model config has no layers list`);
  const layers = new Map<string, Layer>();
  const pending = new Map<string, NodeSpec[]>();
  // Keras 2 lists (TensorFlow.js' form) number a nested model's nodes from 1; Keras 3 from 0.
  const keras3 = (specs as Raw[]).some((s) => Array.isArray(s.inbound_nodes) && (s.inbound_nodes as unknown[]).some((n) => n && !Array.isArray(n)));
  const order: string[] = [];
  try {
    for (const s of specs as Raw[]) {
      const lname = String(s.name ?? (s.config as Raw | undefined)?.name);
      if (layers.has(lname)) throw new Error(`${where}: two layers are named '${lname}'`);
      const layer = deserializeLayer(s, customObjects, where);
      layers.set(lname, layer);
      order.push(lname);
      pending.set(lname, parseNodes(s, `${where}: layer '${lname}'`));
    }
    const tensorOf = (ref: [string, number, number], who: string): SymbolicTensor | null => {
      const l = layers.get(ref[0]);
      if (!l) throw new Error(`${where}: layer '${who}' reads from '${ref[0]}', which is not in the model`);
      const node = l.inboundNodes[ref[1] - (keras3 ? 0 : nodeOffset(l))];
      if (!node) return null;
      const t = node.outputs[ref[2]];
      if (!t) throw new Error(`${where}: layer '${who}' reads output ${ref[2]} of '${ref[0]}', which has ${node.outputs.length}`);
      return t;
    };
    // Create nodes as their inputs become available, each layer's in order.
    let progress = true;
    while (progress && [...pending.values()].some((n) => n.length)) {
      progress = false;
      for (const lname of order) {
        const queue = pending.get(lname)!;
        while (queue.length) {
          const spec = queue[0];
          const inputs = spec.inputs.map((r) => tensorOf(r, lname));
          if (inputs.some((t) => !t)) break;
          const kwargs: ApplyArgs = {};
          let ready = true;
          for (const [k, v] of Object.entries(spec.kwargs)) {
            const key = toCamelCase(k);
            if (isRef(v)) {
              const t = tensorOf([v[0], v[1], v[2]], lname);
              if (!t) ready = false;
              kwargs[key] = t;
            } else if (Array.isArray(v) && v.length && v.every(isRef)) {
              const ts = v.map((r) => tensorOf([r[0], r[1], r[2]], lname));
              if (ts.some((t) => !t)) ready = false;
              kwargs[key] = ts;
            } else if (v !== null && !(key === 'mask' && v === null)) {
              kwargs[key] = v;
            }
          }
          if (!ready) break;
          const layer = layers.get(lname)!;
          const ins = inputs as SymbolicTensor[];
          layer.apply(spec.inputIsList ? ins : ins[0], kwargs);
          queue.shift();
          progress = true;
        }
      }
    }
    const stuck = [...pending.entries()].filter(([, q]) => q.length).map(([n]) => n);
    if (stuck.length) throw new Error(`${where}: the inputs of layer(s) ${stuck.join(', ')} are never computed (the graph is disconnected)`);
    const ins = refList(config.input_layers, `${where}: input_layers`).map((r) => {
      const t = tensorOf(r, 'input_layers');
      if (!t) throw new Error(`${where}: input_layers names ${fmtSpec(r)}, which does not exist`);
      return t;
    });
    const outs = refList(config.output_layers, `${where}: output_layers`).map((r) => {
      const t = tensorOf(r, 'output_layers');
      if (!t) throw new Error(`${where}: output_layers names ${fmtSpec(r)}, which does not exist`);
      return t;
    });
    const model = new LayersModel({ inputs: ins, outputs: outs, name });
    // Layers the file lists but no output needs: not part of the model, freed now.
    const used = new Set(model.layers);
    for (const l of layers.values()) if (!used.has(l)) l.dispose();
    return model;
  } catch (e) {
    for (const l of layers.values()) if (!(l instanceof InputLayer)) l.dispose();
    throw e;
  }
}

function sequentialFromConfig(config: Raw | Raw[], customObjects: CustomObjects, where: string): Sequential {
  const specs = Array.isArray(config) ? config : config.layers;
  if (!Array.isArray(specs)) throw new Error(`${where}: the Sequential topology has no layers list`);
  const name = Array.isArray(config) ? undefined : (config.name as string | undefined);
  const layers: Layer[] = [];
  try {
    for (const s of specs as Raw[]) layers.push(deserializeLayer(s, customObjects, where));
    const m = new Sequential({ name });
    for (const l of layers) m.add(l);
    return m;
  } catch (e) {
    layers.forEach((l) => l.dispose());
    throw e;
  }
}

/** A model from { class_name, config } (snake_case, as in model.json). */
export function deserializeModel(className: string, config: unknown, customObjects: CustomObjects = {}, where = 'model.json'): LayersModel {
  if (className === 'Sequential') return sequentialFromConfig(config as Raw | Raw[], customObjects, where);
  if (className === 'Model' || className === 'Functional') return functionalFromConfig((config ?? {}) as Raw, customObjects, where);
  throw new Error(`${where}: the topology's class is '${className || '(none)'}'; ferrite loads Sequential and functional (Model / Functional) layers models`);
}

setModelCodec({
  classes: ['Sequential', 'Model', 'Functional'],
  serialize: (l) => serializeModel(l as LayersModel),
  deserialize: (cls, config, customObjects, where) => deserializeModel(cls, config, customObjects, where),
  isModel: (l) => l instanceof LayersModel,
});
