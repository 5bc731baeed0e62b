export { Tokenizer, textToWordSequence, DEFAULT_FILTERS } from './text/index';
export type {
  TokenizerOptions,
  TokenizerConfig,
  TokenizerJSON,
  TextToWordSequenceOptions,
  TextInput,
  MatrixMode,
} from './text/index';
export { padSequences } from './sequence';
export type { PadSequencesOptions, PadSequencesDtype, PadTruncPosition } from './sequence';
export { toCategorical } from './utils';
