/**
 * fe.nn.functional (PyTorch's torch.nn.functional, usually imported as F): the modules'
 * computations as functions, for forward() methods written with F.relu, F.maxPool2d, ….
 */
import type { Tensor } from '../tensor';
import {
  bceLoss, bceWithLogitsLoss, crossEntropyLoss, CrossEntropyOptions, huberLoss, l1Loss, mseLoss, nllLoss, NllLossOptions,
  Reduction, smoothL1Loss,
} from './losses';

export { elu, gelu, leakyRelu, logSoftmax, relu, sigmoid, silu, softmax, tanh } from './activation';
export { dropout, flatten } from './basic';
export { linear } from './linear';
export { layerNorm } from './normalization';
export { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, maxPool2d } from './pooling';

export const crossEntropy = (input: Tensor, target: Tensor, opts?: CrossEntropyOptions): Tensor => crossEntropyLoss(opts)(input, target);
const nllLoss_ = (input: Tensor, target: Tensor, opts?: NllLossOptions): Tensor => nllLoss(opts)(input, target);
const mseLoss_ = (input: Tensor, target: Tensor, opts?: { reduction?: Reduction }): Tensor => mseLoss(opts)(input, target);
const l1Loss_ = (input: Tensor, target: Tensor, opts?: { reduction?: Reduction }): Tensor => l1Loss(opts)(input, target);
const smoothL1Loss_ = (input: Tensor, target: Tensor, opts?: { beta?: number; reduction?: Reduction }): Tensor => smoothL1Loss(opts)(input, target);
const huberLoss_ = (input: Tensor, target: Tensor, opts?: { delta?: number; reduction?: Reduction }): Tensor => huberLoss(opts)(input, target);
export const binaryCrossEntropy = (input: Tensor, target: Tensor, opts?: { weight?: Tensor | null; reduction?: Reduction }): Tensor =>
  bceLoss(opts)(input, target);
export const binaryCrossEntropyWithLogits = (
  input: Tensor, target: Tensor, opts?: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction },
): Tensor => bceWithLogitsLoss(opts)(input, target);

export { nllLoss_ as nllLoss, mseLoss_ as mseLoss, l1Loss_ as l1Loss, smoothL1Loss_ as smoothL1Loss, huberLoss_ as huberLoss };
