/**
 * Reading an optimizer config — TensorFlow.js' getConfig (camelCase), or Keras' (snake_case,
 * `beta_1`, `clipnorm`, schedules as { class_name, config }) — for the classes' fromConfig.
 */
import type { LearningRate, OptimizerOptions } from './optimizer';
import { scheduleFromConfig } from './schedules';

export interface ParsedConfig {
  /** The config with camelCase keys. */
  c: Record<string, unknown>;
  /** The first of `keys` holding a number. */
  n(...keys: string[]): number | undefined;
  /** The learning rate (a number or a schedule), if given. */
  lr: LearningRate | undefined;
  /** Keras 3's clipNorm / clipValue / globalClipNorm / weightDecay, when set (null is unset). */
  options: OptimizerOptions;
}

const camel = (k: string) => k.replace(/_+(\w)/g, (_m, x: string) => x.toUpperCase());

export function parseOptimizerConfig(config: Record<string, unknown> | undefined): ParsedConfig {
  const c: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config ?? {})) c[camel(k)] = v;
  const n = (...keys: string[]) => {
    for (const k of keys) if (typeof c[k] === 'number') return c[k] as number;
    return undefined;
  };
  const rawLr = c.learningRate ?? c.lr;
  const lr = rawLr && typeof rawLr === 'object' ? scheduleFromConfig(rawLr as Record<string, never>) : n('learningRate', 'lr');
  const options: OptimizerOptions = {};
  const pairs: [keyof OptimizerOptions, string[]][] = [
    ['clipNorm', ['clipnorm', 'clipNorm']], ['clipValue', ['clipvalue', 'clipValue']],
    ['globalClipNorm', ['globalClipnorm', 'globalClipNorm']], ['weightDecay', ['weightDecay']],
  ];
  for (const [key, names] of pairs) {
    const v = n(...names);
    if (v !== undefined) options[key] = v;
  }
  return { c, n, lr, options };
}

/** fromConfig(config), or TensorFlow.js' fromConfig(cls, config). */
export function configArg(a: unknown, b: unknown): Record<string, unknown> {
  const config = typeof a === 'function' ? b : a;
  if (!config || typeof config !== 'object') throw new Error(`fromConfig: expected a config object, got ${String(config)}`);
  return config as Record<string, unknown>;
}
