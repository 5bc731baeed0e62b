/**
 * Optimizers in model.json's training config and their state in the weights manifest, as
 * TensorFlow.js writes them (group 'optimizer'): 'iter' (int32 scalar), then one block per
 * kind of slot over all trainable variables in order — Adam '<w>/m' then '<w>/v'; Momentum
 * '<w>/momentum'; RMSProp '<w>/rms', '<w>/momentum' (and '<w>/mg' when centered); Adagrad
 * '<w>/accumulator'; Adadelta '<w>/accum_grad', '<w>/accum_var'; Adamax '<w>/m', '<w>/v'
 * (TensorFlow.js' own names; its Adamax cannot save state, ferrite's can).
 *
 * ferrite's SGD velocity is Keras' v = m·v − lr·g; TensorFlow.js' Momentum accumulation is
 * a = m·a + g, so a = −v / lr. RMSProp's state is the same in both.
 */
import type { Storage } from '../backend/backend';
import { ENGINE } from '../engine';
import type { Optimizer } from '../optimizers/optimizer';
import { Adadelta, Adagrad, Adamax } from '../optimizers/adaptive';
import { Adam, AdamW, RMSprop, SGD } from '../optimizers/optimizers';
import { TorchOptimizer } from '../optimizers/torch';
import type { Variable } from '../tensor';
import type { NamedArray } from './weights';

/** The learning rate as a number, or a schedule as { class_name, config }. */
function learningRateConfig(opt: Optimizer): unknown {
  const sched = opt.learningRateSchedule;
  return sched ? { class_name: sched.className, config: sched.getConfig() } : opt.learningRate;
}

/** Keras 3's options, present only when set (TensorFlow.js ignores them). */
function kerasOptions(opt: Optimizer): Record<string, number> {
  const out: Record<string, number> = {};
  if (opt.clipNorm !== null) out.clipnorm = opt.clipNorm;
  if (opt.clipValue !== null) out.clipvalue = opt.clipValue;
  if (opt.globalClipNorm !== null) out.globalClipnorm = opt.globalClipNorm;
  if (opt.weightDecay !== null && !(opt instanceof AdamW)) out.weightDecay = opt.weightDecay;
  return out;
}

/** { class_name, config } as TensorFlow.js' training config (camelCase config keys). */
export function optimizerToConfig(opt: Optimizer): { class_name: string; config: Record<string, unknown> } {
  if (opt instanceof TorchOptimizer) {
    throw new Error(
      `save: fe.optim.${opt.className.toLowerCase()} (PyTorch form) cannot be saved in a model's training config; ` +
        'compile with a fe.train optimizer (TensorFlow.js / Keras form) to save its state',
    );
  }
  const learningRate = learningRateConfig(opt);
  const extra = kerasOptions(opt);
  const of = (class_name: string, config: Record<string, unknown>) => ({ class_name, config: { learningRate, ...config, ...extra } });
  const ams = opt instanceof Adam && opt.amsgrad ? { amsgrad: true } : {};
  if (opt instanceof AdamW) return of('AdamW', { weightDecay: opt.weightDecay, beta1: opt.beta1, beta2: opt.beta2, epsilon: opt.epsilon, ...ams });
  if (opt instanceof Adam) return of('Adam', { beta1: opt.beta1, beta2: opt.beta2, epsilon: opt.epsilon, ...ams });
  if (opt instanceof SGD) return opt.momentum > 0 ? of('Momentum', { momentum: opt.momentum, useNesterov: opt.nesterov }) : of('SGD', {});
  if (opt instanceof RMSprop) return of('RMSProp', { decay: opt.rho, momentum: opt.momentum, epsilon: opt.epsilon, centered: opt.centered });
  if (opt instanceof Adagrad) return of('Adagrad', { initialAccumulatorValue: opt.initialAccumulatorValue, epsilon: opt.epsilon });
  if (opt instanceof Adadelta) return of('Adadelta', { rho: opt.rho, epsilon: opt.epsilon });
  if (opt instanceof Adamax) return of('Adamax', { beta1: opt.beta1, beta2: opt.beta2, epsilon: opt.epsilon, decay: opt.decay });
  throw new Error(`save: cannot save the state of optimizer ${opt.className} (ferrite saves SGD, Momentum, Adam, AdamW, RMSProp, Adagrad, Adadelta, Adamax)`);
}

/** An optimizer from TensorFlow.js' (camelCase) or Keras' (snake_case) optimizer config. */
export function optimizerFromConfig(spec: { class_name?: string; className?: string; config?: Record<string, unknown> }): Optimizer {
  const cls = String(spec?.class_name ?? spec?.className ?? '');
  const config = spec?.config ?? {};
  switch (cls.toLowerCase()) {
    case 'adam': return Adam.fromConfig(config);
    case 'adamw': return AdamW.fromConfig(config);
    case 'sgd':
    case 'momentum': return SGD.fromConfig(config);
    case 'rmsprop': return RMSprop.fromConfig(config);
    case 'adagrad': return Adagrad.fromConfig(config);
    case 'adadelta': return Adadelta.fromConfig(config);
    case 'adamax': return Adamax.fromConfig(config);
    default:
      throw new Error(
        `model.json: unknown optimizer class '${cls}' in the training config (ferrite loads SGD, Momentum, Adam, AdamW, RMSProp, Adagrad, Adadelta, Adamax)`,
      );
  }
}

/** One kind of per-variable state, in TensorFlow.js order, and how it maps to ferrite's slots. */
interface SlotKind {
  suffix: string;
  /** The saved values from ferrite's slots (null slots: never stepped). */
  read(slots: Storage[] | null, v: Variable): Float32Array;
  /** Writes the saved values into ferrite's slots (absent slot: ignored). */
  write(values: Float32Array, slots: Storage[]): void;
}

function kindsOf(opt: Optimizer): SlotKind[] {
  const b = () => ENGINE.get();
  const plain = (suffix: string, slot: () => number | null, init = 0): SlotKind => ({
    suffix,
    read: (slots, v) => {
      const i = slot();
      return slots && i !== null ? b().readF32(slots[i]) : new Float32Array(v.size).fill(init);
    },
    write: (values, slots) => {
      const i = slot();
      if (i !== null) b().write(slots[i], values);
    },
  });
  if (opt instanceof Adam) return [plain('m', () => 0), plain('v', () => 1), ...(opt.amsgrad ? [plain('vhat', () => 2)] : [])];
  if (opt instanceof SGD) {
    if (opt.momentum === 0) return [];
    // The rate of the next update (read when converting: after loading, `iterations` is
    // restored first, so a schedule gives the same rate on both sides). A zero rate (a warm-up
    // from 0) cannot scale; the velocity is then stored unscaled, which loading undoes.
    const scale = () => opt.learningRate || 1;
    return [{
      suffix: 'momentum',
      read: (slots, v) => {
        const out = slots ? b().readF32(slots[0]) : new Float32Array(v.size);
        const lr = scale();
        for (let i = 0; i < out.length; i++) out[i] = -out[i] / lr;
        return out;
      },
      write: (values, slots) => {
        const v = new Float32Array(values.length);
        const lr = scale();
        for (let i = 0; i < v.length; i++) v[i] = -values[i] * lr;
        b().write(slots[0], v);
      },
    }];
  }
  if (opt instanceof Adagrad) return [plain('accumulator', () => 0, opt.initialAccumulatorValue)];
  if (opt instanceof Adadelta) return [plain('accum_grad', () => 0), plain('accum_var', () => 1)];
  if (opt instanceof Adamax) return [plain('m', () => 0), plain('v', () => 1)];
  if (opt instanceof RMSprop) {
    const mom = opt.momentum > 0 ? (opt.centered ? 2 : 1) : null;
    const kinds = [plain('rms', () => 0), plain('momentum', () => mom)];
    if (opt.centered) kinds.push(plain('mg', () => 1));
    return kinds;
  }
  throw new Error(`save: cannot save the state of optimizer ${opt.className}`);
}

/** The optimizer's state for `vars` (named `names`), TensorFlow.js order. */
export function optimizerWeights(opt: Optimizer, vars: Variable[], names: string[]): NamedArray[] {
  const out: NamedArray[] = [{ name: 'iter', shape: [], dtype: 'int32', values: Int32Array.of(opt.iterations) }];
  const state = opt.stateMap;
  if (!vars.some((v) => state.has(v.id))) return out;
  for (const k of kindsOf(opt)) {
    vars.forEach((v, i) => {
      out.push({ name: `${names[i]}/${k.suffix}`, shape: [...v.shape], dtype: 'float32', values: k.read(state.get(v.id) ?? null, v) });
    });
  }
  return out;
}

/**
 * Restores the optimizer's state for `vars` from saved arrays (TensorFlow.js order). Checks
 * every count and shape before it changes anything.
 */
export function setOptimizerWeights(opt: Optimizer, vars: Variable[], saved: NamedArray[]): void {
  if (saved.length === 0) return;
  const [iter, ...rest] = saved;
  if (iter.values.length !== 1) throw new Error(`model.json: the optimizer's first weight '${iter.name}' must be the iteration count (a scalar)`);
  const kinds = kindsOf(opt);
  if (rest.length !== 0 && rest.length !== kinds.length * vars.length) {
    throw new Error(
      `model.json: ${opt.className} state has ${rest.length} tensors; expected ${kinds.length * vars.length} ` +
        `(${kinds.map((k) => k.suffix).join(', ') || 'none'} for each of ${vars.length} trainable weights)`,
    );
  }
  rest.forEach((a, j) => {
    const v = vars[j % vars.length];
    if (a.shape.length !== v.shape.length || a.shape.some((d, i) => d !== v.shape[i])) {
      throw new Error(`model.json: optimizer weight '${a.name}' has shape [${a.shape.join(', ')}], but ${v.name} has [${v.shape.join(', ')}]`);
    }
  });
  const b = ENGINE.get();
  const state = opt.stateMap;
  for (const slots of state.values()) slots.forEach((s) => b.free(s));
  state.clear();
  opt.iterations = Number(iter.values[0]);
  if (rest.length === 0) return;
  const n = opt.stateSlotCount();
  for (const v of vars) state.set(v.id, Array.from({ length: n }, () => b.alloc(v.size)));
  kinds.forEach((k, ki) => {
    vars.forEach((v, vi) => {
      const a = rest[ki * vars.length + vi];
      k.write(a.values instanceof Float32Array ? a.values : Float32Array.from(a.values), state.get(v.id)!);
    });
  });
}
