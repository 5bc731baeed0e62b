/** What fe.* exports from the optimizers (one line in ts/index.ts re-exports this file). */
export { train, optim, SGD, Adam, AdamW, RMSprop } from './optimizers';
export { Adagrad, Adadelta, Adamax } from './adaptive';
export type { AdagradArgs, AdadeltaArgs, AdamaxArgs } from './adaptive';
export { Optimizer } from './optimizer';
export type { LearningRate, OptimizerOptions } from './optimizer';
export {
  LearningRateSchedule, ExponentialDecay, InverseTimeDecay, PolynomialDecay, CosineDecay, PiecewiseConstantDecay,
} from './schedules';
export type { ExponentialDecayArgs, InverseTimeDecayArgs, PolynomialDecayArgs, CosineDecayArgs, PiecewiseConstantDecayArgs } from './schedules';
export { TorchOptimizer, TorchSGD, TorchAdam, TorchAdagrad, TorchRMSprop } from './torch';
export type { ParamGroup, SGDOptions, AdamOptions, AdagradOptions, RMSpropOptions } from './torch';
export type { OptimizerStateDict, ParamState } from './torch-state';
// The schedulers' classes are fe.optim.lrScheduler.StepLR, … (the Keras callback has the name ReduceLROnPlateau).
export { LRScheduler } from './lr-scheduler';
