/**
 * model.summary(): Keras' table of layers, output shapes and parameter counts; functional
 * models add the "Connected to" column (each input as layer[node][tensor]).
 */
import { InputLayer } from '../layers/input-layer';
import type { Layer, SymbolicShape } from '../layers/layer';
import type { Graph } from './graph';

interface SummaryModel {
  readonly name: string;
  countParams(): number;
  readonly trainableWeights: { size: number }[];
}

const shapeText = (s: SymbolicShape) => `[${s.map((d) => d ?? 'null').join(',')}]`;

export function printSummary(model: SummaryModel, graph: Graph, lineLength: number | undefined, printFn: (line: string) => void, connections: boolean): void {
  const rows: string[][] = [];
  for (const l of graph.layers) {
    if (!connections && l instanceof InputLayer) continue;
    const nodes = graph.nodesOf.get(l) ?? [];
    nodes.forEach((node, k) => {
      const outs = node.outputs.map((t) => shapeText(t.shape));
      const connected = node.allInputs.map((t) => {
        const idx = (graph.nodesOf.get(t.sourceLayer) ?? []).indexOf(t.node);
        return `${t.sourceLayer.name}[${idx}][${t.tensorIndex}]`;
      });
      const name = k === 0 ? `${l.name} (${l.className})` : '';
      const params = k === 0 ? String(l.countParams()) : '';
      const row = [name, outs.length === 1 ? outs[0] : outs.join(', '), params];
      if (connections) row.push(connected.join(', '));
      rows.push(row);
    });
  }
  const headers = ['Layer (type)', 'Output shape', 'Param #', ...(connections ? ['Connected to'] : [])];
  const widths = headers.map((h, i) => Math.max(h.length + 2, ...rows.map((r) => r[i].length + 2), [28, 20, 10, 20][i]));
  const total = Math.max(lineLength ?? 0, widths.reduce((a, b) => a + b, 0));
  const line = (c: string) => c.repeat(total);
  const fmtRow = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('');
  printFn(`Model: "${model.name}"`);
  printFn(line('_'));
  printFn(fmtRow(headers));
  printFn(line('='));
  rows.forEach((r, i) => {
    printFn(fmtRow(r));
    printFn(line(i === rows.length - 1 ? '=' : '_'));
  });
  const trainable = model.trainableWeights.reduce((n, v) => n + v.size, 0);
  printFn(`Total params: ${model.countParams()}`);
  printFn(`Trainable params: ${trainable}`);
  printFn(`Non-trainable params: ${model.countParams() - trainable}`);
  printFn(line('_'));
}

/** Layers of a graph except its inputs. */
export function bodyLayers(graph: Graph): Layer[] {
  return graph.layers.filter((l) => !(l instanceof InputLayer));
}
