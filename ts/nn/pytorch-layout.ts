/**
 * State dicts in PyTorch's weight layouts, for weights that cross to or from PyTorch (for
 * example as safetensors files): Linear [out, in], Conv1d [out, in/groups, k], Conv2d
 * [out, in/groups, kh, kw], ConvTranspose2d [in, out/groups, kh, kw]; ferrite keeps the Keras
 * layouts. The model says which module each name belongs to. Embedding, batch norm and layer
 * norm are the same in both. Recurrent modules have other gate orders and biases in PyTorch:
 * their weights are refused rather than silently mislaid.
 */
import { transpose } from '../ops/shape';
import type { Tensor } from '../tensor';
import { Conv1d, Conv2d, ConvTranspose2d } from './conv';
import { Linear } from './linear';
import type { Module, StateDict } from './module';
import { GRU, LSTM, RNN } from './recurrent';

/** The axis permutation from PyTorch's layout to ferrite's for a module's weight (null: none). */
function toFerritePerm(m: Module): number[] | null {
  if (m instanceof Linear) return [1, 0];
  if (m instanceof Conv1d) return [2, 1, 0];
  if (m instanceof Conv2d || m instanceof ConvTranspose2d) return [2, 3, 1, 0];
  return null;
}

function inverse(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

function convert(who: string, model: Module, dict: StateDict, direction: 'toFerrite' | 'toPyTorch'): StateDict {
  const perms = new Map<string, number[]>();
  for (const [path, m] of model.namedModules()) {
    const prefix = path ? `${path}.` : '';
    if (m instanceof GRU || m instanceof LSTM || m instanceof RNN) {
      const names = Object.keys(dict).filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('.'));
      if (names.length) {
        throw new Error(`${who}: '${path}' is a ${m.moduleName()}, whose PyTorch weights (other gate order, two biases) have no conversion here: ${names.map((k) => `'${k}'`).join(', ')}`);
      }
      continue;
    }
    const perm = toFerritePerm(m);
    if (perm) perms.set(`${prefix}weight`, direction === 'toFerrite' ? perm : inverse(perm));
  }
  const out: StateDict = {};
  for (const [k, t] of Object.entries(dict)) {
    const perm = perms.get(k);
    if (perm && t.rank !== perm.length) {
      throw new Error(`${who}: '${k}' should have rank ${perm.length}, got shape [${t.shape.join(', ')}]`);
    }
    out[k] = perm ? transpose(t, perm) : (t as Tensor);
  }
  return out;
}

/**
 * A state dict in PyTorch's layouts (e.g. loaded from a safetensors file saved by PyTorch) as
 * ferrite's, for model.loadStateDict. Converted weights are new tensors; the rest are the
 * given ones.
 */
export function fromPyTorchLayout(model: Module, dict: StateDict): StateDict {
  return convert('fromPyTorchLayout', model, dict, 'toFerrite');
}

/** The inverse: model.stateDict() in PyTorch's layouts, for torch's load_state_dict. */
export function toPyTorchLayout(model: Module, dict: StateDict): StateDict {
  return convert('toPyTorchLayout', model, dict, 'toPyTorch');
}
