/**
 * fe.serialization, as TensorFlow.js': registerClass makes a custom layer class known to
 * saving and loading by its static `className`.
 */
import type { Layer } from '../layers/layer';
import { registerLayer, type Config } from './serialization';

/** A layer class with TensorFlow.js' static className (and optionally fromConfig). */
export interface SerializableLayerClass {
  className: string;
  new (config: never): Layer;
  fromConfig?: (cls: SerializableLayerClass, config: Config) => Layer;
}

/**
 * Registers a custom layer class: loading calls `cls.fromConfig(cls, config)` when it has one,
 * else `new cls(config)` with the camelCase config its getConfig() gave.
 */
export function registerClass(cls: SerializableLayerClass): void {
  if (typeof cls !== 'function' || typeof cls.className !== 'string' || cls.className === '') {
    throw new Error('serialization.registerClass: the class needs a static className (e.g. static className = \'MyLayer\')');
  }
  registerLayer(cls.className, {
    fromConfig: (config) => (typeof cls.fromConfig === 'function' ? cls.fromConfig(cls, config) : new cls(config as never)),
  });
}
