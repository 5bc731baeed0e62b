/**
 * fe.nn.Module's registry (fields, registered names, arrays, Keras layers), train/eval over
 * the tree, stateDict / loadStateDict, and state dicts as safetensors bytes, files and JSON.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { backends, useBackend } from './helpers/gradcheck';
import { kerasToTorchConv } from './helpers/nn-reference';
import { expectClose, mulberry32, uniform } from './helpers/reference';

const vals = (t: Tensor) => Array.from(t.dataSync());
const F = fe.nn.functional;

/** A module with every kind of member the registry finds. */
class Net extends fe.nn.Module {
  conv1 = fe.nn.conv2d(3, 4, 3, { padding: 1 });
  bn = fe.nn.batchNorm2d(4);
  features = fe.nn.sequential(fe.nn.conv2d(4, 4, 3), fe.nn.relu(), fe.nn.dropout(0.5));
  blocks = [fe.nn.linear(4, 4), fe.nn.linear(4, 4)];
  head: fe.nn.Linear;
  scale = fe.variable(fe.ones([2]));
  step = fe.variable(fe.zeros([1]), false);
  notRegistered = fe.zeros([3]);
  label = 'net';

  constructor(classes = 2) {
    super();
    this.head = fe.nn.linear(4, classes);
  }

  forward(x: Tensor): Tensor {
    x = F.relu(this.bn.forward(this.conv1.forward(x)));
    x = this.features.forward(x) as Tensor;
    x = F.adaptiveAvgPool2d(x, 1).reshape([-1, 4]);
    for (const b of this.blocks) x = F.relu(b.forward(x));
    return fe.mul(this.head.forward(x), this.scale);
  }
}

// Each module's own parameters before its submodules' (the root's 'scale' first), as PyTorch.
const PARAMS = [
  'scale', 'conv1.weight', 'conv1.bias', 'bn.weight', 'bn.bias', 'features.0.weight', 'features.0.bias',
  'blocks.0.weight', 'blocks.0.bias', 'blocks.1.weight', 'blocks.1.bias', 'head.weight', 'head.bias',
];

/** Safetensors bytes from a header and raw data (for files written elsewhere). */
function safetensors(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe.each(backends)('fe.nn.Module and state dicts on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const dir = mkdtempSync(join(tmpdir(), 'ferrite-nn-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds parameters, buffers and submodules in fields, arrays and registered names, in PyTorch\'s order', () => {
    const net = new Net();
    expect(net.namedParameters().map(([k]) => k)).toEqual(PARAMS);
    expect(net.parameters().length).toBe(PARAMS.length);
    expect(net.namedBuffers().map(([k]) => k)).toEqual(['step', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    expect(net.namedModules().map(([k]) => k)).toEqual(['', 'conv1', 'bn', 'features', 'features.0', 'features.1', 'features.2', 'blocks.0', 'blocks.1', 'head']);
    expect(net.namedChildren().map(([k]) => k)).toEqual(['conv1', 'bn', 'features', 'blocks.0', 'blocks.1', 'head']);
    expect(net.getSubmodule('features.2')).toBeInstanceOf(fe.nn.Dropout);
    expect(() => net.getSubmodule('features.7')).toThrow(/Sequential has no submodule '7' \(looking for 'features.7'\)/);
    // PyTorch's state_dict order: each module's parameters, then its buffers, then its children.
    expect(Object.keys(net.stateDict())).toEqual([
      'scale', 'step', 'conv1.weight', 'conv1.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked',
      'features.0.weight', 'features.0.bias', 'blocks.0.weight', 'blocks.0.bias', 'blocks.1.weight', 'blocks.1.bias', 'head.weight', 'head.bias',
    ]);
    const total = net.parameters().reduce((n, p) => n + p.size, 0);
    expect(net.countParams()).toBe(total);
    expect(String(net)).toContain('(features): Sequential(\n    (0): Conv2d(4, 4, kernelSize=[3, 3], stride=[1, 1])\n    (1): ReLU()\n    (2): Dropout(p=0.5)\n  )');
  });

  it('registerParameter / registerBuffer / registerModule, non-persistent buffers, shared modules, Keras layers in fields', () => {
    class Tied extends fe.nn.Module {
      enc = fe.nn.linear(3, 3);
      dec: fe.nn.Linear;
      dense = fe.layers.dense({ units: 2 });
      constructor() {
        super();
        this.dec = this.enc; // the same module twice
        this.dense.build([null, 3]);
        this.registerParameter('alpha', fe.variable(fe.scalar(0.5)));
        this.registerBuffer('mask', fe.ones([3]));
        this.registerBuffer('cache', fe.zeros([3]), false);
        this.registerModule('extra', fe.nn.tanh());
      }
      forward(x: Tensor) {
        return x;
      }
    }
    const t = new Tied();
    expect(t.namedParameters().map(([k]) => k)).toEqual(['alpha', 'dense.kernel', 'dense.bias', 'enc.weight', 'enc.bias']);
    expect(t.namedBuffers().map(([k]) => k)).toEqual(['mask', 'cache']);
    // A shared module appears under each of its names; a non-persistent buffer not at all.
    expect(Object.keys(t.stateDict())).toEqual(['alpha', 'dense.kernel', 'dense.bias', 'mask', 'enc.weight', 'enc.bias', 'dec.weight', 'dec.bias']);
    expect(t.children().length).toBe(2); // extra and enc (dec is the same module)
    // A module that refers back to itself is walked once.
    (t as unknown as { self: fe.nn.Module }).self = t;
    expect(t.namedModules().map(([k]) => k)).toEqual(['', 'extra', 'enc']);
    expect(Object.keys(t.stateDict()).length).toBe(8);
    const clash = new Tied();
    (clash as unknown as { alpha: fe.Variable }).alpha = fe.variable(fe.scalar(1));
    expect(() => clash.stateDict()).toThrow(/Tied: two different tensors are named 'alpha'/);
    expect(() => t.registerParameter('a.b', null)).toThrow(/a name must be a non-empty string without '.'/);
    expect(() => t.registerBuffer('x', [1, 2] as never)).toThrow(/Tied.registerBuffer\('x'\): expected a tensor or null/);
    expect(() => t.registerParameter('w', fe.zeros([2]) as never)).toThrow(/expected a Variable/);
  });

  it('Keras layers in fields get names that do not depend on how many layers were made before', () => {
    class Rec extends fe.nn.Module {
      rnn = fe.layers.bidirectional({ layer: fe.layers.lstm({ units: 2, returnSequences: true }) });
      out = fe.layers.dense({ units: 1 });
      constructor() {
        super();
        this.rnn.build([null, null, 3]);
        this.out.build([null, null, 4]);
      }
      forward(x: Tensor) {
        return this.out.apply(this.rnn.apply(x));
      }
    }
    const a = new Rec(), b = new Rec();
    const names = ['rnn.forward_lstm.kernel', 'rnn.forward_lstm.recurrent_kernel', 'rnn.forward_lstm.bias',
      'rnn.backward_lstm.kernel', 'rnn.backward_lstm.recurrent_kernel', 'rnn.backward_lstm.bias', 'out.kernel', 'out.bias'];
    expect(Object.keys(a.stateDict())).toEqual(names);
    expect(Object.keys(b.stateDict())).toEqual(names);
    b.loadStateDict(a.stateDict());
    const x = fe.tensor(uniform(mulberry32(1), 2 * 3 * 3), [2, 3, 3]);
    expect(vals(b.forward(x))).toEqual(vals(a.forward(x)));
  });

  it('train() / eval() reach every module: dropout and batch norm deep in the tree switch', () => {
    fe.setRandomSeed(3);
    const net = new Net();
    expect(net.modules().every((m) => m.training)).toBe(true);
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    const x = fe.tensor(uniform(mulberry32(1), 2 * 6 * 6 * 3), [2, 6, 6, 3]);
    // Deterministic in eval (dropout off, running statistics), and the statistics do not move.
    const a = vals(net.forward(x)), b = vals(net.forward(x));
    expect(a).toEqual(b);
    expect(vals(net.bn.runningMean!)).toEqual([0, 0, 0, 0]);
    net.train();
    expect(net.features.at(2).training).toBe(true);
    net.forward(x);
    expect(vals(net.bn.runningMean!).some((v) => v !== 0)).toBe(true);
    expect(net.bn.numBatchesTracked!.dataSync()[0]).toBe(1);
  });

  it('stateDict gives copies; loadStateDict reproduces a model exactly; strict and non-strict; nothing changes on failure', () => {
    fe.setRandomSeed(1);
    const a = new Net();
    a.train();
    a.forward(fe.tensor(uniform(mulberry32(2), 2 * 5 * 5 * 3), [2, 5, 5, 3])); // moves the running statistics
    a.eval();
    fe.setRandomSeed(2);
    const b = new Net().eval();
    const x = fe.tensor(uniform(mulberry32(4), 3 * 5 * 5 * 3), [3, 5, 5, 3]);
    expect(vals(b.forward(x))).not.toEqual(vals(a.forward(x)));
    const sd = a.stateDict();
    expect(b.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(vals(b.forward(x))).toEqual(vals(a.forward(x)));
    // Copies: changing or freeing them leaves the model alone.
    const before = vals(a.head.weight);
    fe.dispose(Object.values(sd));
    expect(vals(a.head.weight)).toEqual(before);

    const c = new Net();
    const snapshot = vals(c.conv1.weight);
    const partial = a.stateDict();
    partial['head.extra'] = fe.zeros([1]);
    delete partial['head.bias'];
    expect(() => c.loadStateDict(partial)).toThrow(/Net.loadStateDict: Missing key\(s\): 'head.bias'. Unexpected key\(s\): 'head.extra'./);
    expect(vals(c.conv1.weight)).toEqual(snapshot);
    expect(c.loadStateDict(partial, false)).toEqual({ missingKeys: ['head.bias'], unexpectedKeys: ['head.extra'] });
    expect(vals(c.conv1.weight)).toEqual(vals(a.conv1.weight));
    const wrong = a.stateDict();
    wrong['head.weight'] = fe.zeros([3, 2]);
    const d = new Net();
    const dBefore = vals(d.conv1.weight);
    expect(() => d.loadStateDict(wrong, false)).toThrow(/size mismatch for 'head.weight': the dict has shape \[3, 2\], the module's is \[4, 2\]/);
    expect(vals(d.conv1.weight)).toEqual(dBefore);
    // A Map works too, and int32 / float32 are converted to the module's dtype.
    const m = new Map(Object.entries(a.stateDict()));
    m.set('bn.num_batches_tracked', fe.scalar(7));
    d.loadStateDict(m);
    expect(d.bn.numBatchesTracked!.dtype).toBe('int32');
    expect(d.bn.numBatchesTracked!.dataSync()[0]).toBe(7);
  });

  it('safetensors bytes: the exact layout, a round trip, metadata', () => {
    const bytes = fe.nn.stateDictToBytes({ w: fe.tensor([1.5, -2], [1, 2]), n: fe.scalar(3, 'int32') }, { note: 'x' });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(view.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header).toEqual({
      __metadata__: { framework: 'ferrite-ml', layout: 'keras', note: 'x' },
      w: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] },
      n: { dtype: 'I32', shape: [], data_offsets: [8, 12] },
    });
    expect(bytes.length).toBe(8 + n + 12);
    expect(view.getFloat32(8 + n, true)).toBe(1.5);
    expect(view.getFloat32(8 + n + 4, true)).toBe(-2);
    expect(view.getInt32(8 + n + 8, true)).toBe(3);
    expect(fe.nn.stateDictMetadata(bytes)).toEqual({ framework: 'ferrite-ml', layout: 'keras', note: 'x' });
    const back = fe.nn.stateDictFromBytes(bytes);
    expect(Object.keys(back)).toEqual(['w', 'n']);
    expect([back.w.shape, back.w.dtype, vals(back.w)]).toEqual([[1, 2], 'float32', [1.5, -2]]);
    expect([back.n.shape, back.n.dtype, vals(back.n)]).toEqual([[], 'int32', [3]]);

    fe.setRandomSeed(5);
    const a = new Net();
    const b = new Net();
    b.loadStateDict(fe.nn.stateDictFromBytes(fe.nn.stateDictToBytes(a.stateDict())));
    const x = fe.tensor(uniform(mulberry32(8), 2 * 4 * 4 * 3), [2, 4, 4, 3]);
    a.eval();
    b.eval();
    expect(vals(b.forward(x))).toEqual(vals(a.forward(x)));
  });

  it('files (Node): fe.nn.save / fe.nn.load round trip, file:// paths, clear errors', async () => {
    fe.setRandomSeed(6);
    const a = new Net();
    const path = join(dir, 'net.safetensors');
    await fe.nn.save(a.stateDict(), path);
    expect(readFileSync(path).length).toBeGreaterThan(a.countParams() * 4);
    const b = new Net();
    b.loadStateDict(await fe.nn.load(`file://${path}`));
    for (const [k, v] of Object.entries(a.stateDict())) expect(vals(b.stateDict()[k]), k).toEqual(vals(v));
    await expect(fe.nn.load(join(dir, 'missing.safetensors'))).rejects.toThrow(/fe.nn.load: cannot read '.*missing.safetensors' \(ENOENT\)/);
  });

  it('JSON round trip (browser storage), exact for float32', () => {
    fe.setRandomSeed(7);
    const a = new Net();
    const text = JSON.stringify(fe.nn.stateDictToJSON(a.stateDict()));
    const b = new Net();
    b.loadStateDict(fe.nn.stateDictFromJSON(text));
    for (const [k, v] of Object.entries(a.stateDict())) expect(vals(b.stateDict()[k]), k).toEqual(vals(v));
    expect(() => fe.nn.stateDictFromJSON({ format: 'other' } as never)).toThrow(/expected \{ format: 'ferrite-state-dict', tensors \}/);
  });

  it('loads safetensors from elsewhere: F16, BF16, F64 → float32, I64 → int32; rejects bad files before making tensors', () => {
    const data = new Uint8Array(8 + 4 + 8 + 16);
    const v = new DataView(data.buffer);
    [0x3c00, 0xc000, 0x0001, 0x7bff].forEach((h, i) => v.setUint16(i * 2, h, true)); // 1, −2, 2⁻²⁴, 65504
    [0x3f80, 0xc020].forEach((h, i) => v.setUint16(8 + i * 2, h, true)); // 1, −2.5
    v.setFloat64(12, 0.1, true);
    v.setBigInt64(20, 7n, true);
    v.setBigInt64(28, -3n, true);
    const header = {
      __metadata__: { format: 'pt' },
      half: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
      brain: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
      dbl: { dtype: 'F64', shape: [1], data_offsets: [12, 20] },
      long: { dtype: 'I64', shape: [2], data_offsets: [20, 36] },
    };
    const sd = fe.nn.stateDictFromBytes(safetensors(header, data));
    expect(vals(sd.half)).toEqual([1, -2, 2 ** -24, 65504]);
    expect(vals(sd.brain)).toEqual([1, -2.5]);
    expect(vals(sd.dbl)).toEqual([Math.fround(0.1)]);
    expect([sd.long.dtype, vals(sd.long)]).toEqual(['int32', [7, -3]]);

    const count = fe.memory().numTensors;
    const bad = (h: object, d = data) => () => fe.nn.stateDictFromBytes(safetensors(h, d));
    expect(bad({ x: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } })).toThrow(/tensor 'x' has dtype "U8"; supported: F32, F64, F16, BF16, I32, I64/);
    expect(bad({ ok: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } })).toThrow(/tensor 'x' F32 \[3\] needs 12 bytes, its offsets span 8/);
    expect(bad({ x: { dtype: 'F32', shape: [20], data_offsets: [0, 80] } })).toThrow(/data offsets \[0,80\] outside the 36 data bytes/);
    expect(() => fe.nn.stateDictFromBytes(new Uint8Array([1, 2, 3]))).toThrow(/3 bytes is too short for a safetensors file/);
    const truncated = safetensors(header, data).subarray(0, 30);
    expect(() => fe.nn.stateDictFromBytes(truncated)).toThrow(/header length \d+ runs past the end of the 30 bytes/);
    const notJson = safetensors({}, data);
    notJson[8] = 0x7b + 1;
    expect(() => fe.nn.stateDictFromBytes(notJson)).toThrow(/the header is not valid JSON/);
    expect(fe.memory().numTensors).toBe(count);
  });

  it('fromPyTorchLayout / toPyTorchLayout convert Linear, Conv1d, Conv2d and ConvTranspose2d weights; recurrent weights are refused', () => {
    const model = fe.nn.sequential({
      conv: fe.nn.conv2d(3, 4, [3, 2], { groups: 1 }),
      up: fe.nn.convTranspose2d(4, 6, 2, { groups: 2 }),
      c1: fe.nn.conv1d(2, 5, 3),
      bn: fe.nn.batchNorm2d(6),
      fc: fe.nn.linear(6, 2),
    });
    const sd = model.stateDict();
    const pt = fe.nn.toPyTorchLayout(model, sd);
    expect(pt['conv.weight'].shape).toEqual([4, 3, 3, 2]);
    expect(vals(pt['conv.weight'])).toEqual(Array.from(kerasToTorchConv(vals(sd['conv.weight']), [3, 2, 3, 4])));
    expect(pt['up.weight'].shape).toEqual([4, 3, 2, 2]); // [in, out/groups, kh, kw]
    expect(vals(pt['up.weight'])).toEqual(Array.from(kerasToTorchConv(vals(sd['up.weight']), [2, 2, 3, 4])));
    expect(pt['c1.weight'].shape).toEqual([5, 2, 3]);
    expect(vals(pt['c1.weight'])).toEqual(Array.from(kerasToTorchConv(vals(sd['c1.weight']), [1, 3, 2, 5])));
    expect(vals(pt['fc.weight'])).toEqual(vals(fe.transpose(sd['fc.weight'])));
    expect(pt['bn.running_var']).toBe(sd['bn.running_var']);
    const back = fe.nn.fromPyTorchLayout(model, pt);
    for (const [k, v] of Object.entries(sd)) {
      expect(back[k].shape, k).toEqual(v.shape);
      expect(vals(back[k]), k).toEqual(vals(v));
    }
    expect(() => fe.nn.fromPyTorchLayout(model, { 'fc.weight': fe.zeros([2, 6, 1]) })).toThrow(/'fc.weight' should have rank 2, got shape \[2, 6, 1\]/);
    const rnn = fe.nn.sequential({ gru: fe.nn.gru(2, 3) });
    expect(() => fe.nn.fromPyTorchLayout(rnn, { 'gru.weight_ih_l0': fe.zeros([9, 2]) })).toThrow(/'gru' is a GRU, whose PyTorch weights .* have no conversion here: 'gru.weight_ih_l0'/);
  });

  it('a training step in fe.tidy leaks nothing (batch norm, dropout, conv, pooling, loss, backward, step)', () => {
    fe.setRandomSeed(9);
    const net = new Net();
    const opt = fe.optim.adam(net.parameters(), { lr: 1e-2 });
    const criterion = fe.nn.crossEntropyLoss();
    const x = fe.tensor(uniform(mulberry32(3), 4 * 6 * 6 * 3), [4, 6, 6, 3]);
    const y = fe.tensor([0, 1, 1, 0], [4], 'int32');
    const step = () => fe.tidy(() => {
      opt.zeroGrad();
      const loss = criterion(net.forward(x), y);
      loss.backward();
      opt.step();
      return loss.item();
    });
    const first = step();
    step();
    const count = fe.memory().numTensors;
    let last = 0;
    for (let i = 0; i < 30; i++) last = step();
    expect(fe.memory().numTensors).toBe(count);
    expect(last).toBeLessThan(first * 0.75); // it learns (dropout makes single steps noisy)
    const sdCount = fe.memory().numTensors;
    const sd = net.stateDict();
    fe.dispose(Object.values(sd));
    expect(fe.memory().numTensors).toBe(sdCount);
  });

  it('seed 002 §4.2\'s CNN as written in PyTorch: field modules, F.relu / F.maxPool2d, no dummy forward pass', () => {
    class CNNModel extends fe.nn.Module {
      conv1 = fe.nn.conv2d(3, 16, 3, { padding: 1 });
      conv2 = fe.nn.conv2d(16, 32, 3, { padding: 1 });
      conv3 = fe.nn.conv2d(32, 64, 3, { padding: 1 });
      fc1 = fe.nn.linear(64 * 7 * 7, 128);
      fc2: fe.nn.Linear;
      constructor(numClasses: number) {
        super();
        this.fc2 = fe.nn.linear(128, numClasses);
      }
      forward(x: Tensor): Tensor {
        x = F.relu(this.conv1.forward(x));
        x = F.maxPool2d(F.relu(this.conv2.forward(x)), 2);
        x = F.relu(this.conv3.forward(x));
        x = F.maxPool2d(F.relu(x), 2);
        x = x.reshape([-1, 64 * 7 * 7]);
        x = F.relu(this.fc1.forward(x));
        return this.fc2.forward(x);
      }
    }
    const model = new CNNModel(10);
    // Every weight exists before any forward pass, with PyTorch's count.
    expect(model.countParams()).toBe(3 * 16 * 9 + 16 + 16 * 32 * 9 + 32 + 32 * 64 * 9 + 64 + 3136 * 128 + 128 + 128 * 10 + 10);
    const out = model.forward(fe.zeros([2, 28, 28, 3]));
    expect(out.shape).toEqual([2, 10]);
  });
});
