/**
 * fe.ctc: connectionist temporal classification beyond the loss (fe.losses.ctc): decoders,
 * Keras-style targets and loss, and error rates.
 */
export { greedyDecode, beamSearchDecode } from './decode';
export type { BeamSearchOptions, BeamSearchResult, DecodeOptions, GreedyDecodeOptions, GreedyResult } from './decode';
export { editDistance, errorRate } from './edit-distance';
export { ctcLossFn as lossFn, packTargets, LABEL_PAD } from './loss';
export type { CtcInputs, CtcKerasLossOptions } from './loss';
export { ctcLoss } from '../ops/ctc';
export type { CtcLossOptions, CtcReduction } from '../ops/ctc';
