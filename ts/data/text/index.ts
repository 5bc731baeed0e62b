export {
  Tokenizer,
  textToWordSequence,
  DEFAULT_FILTERS,
} from './tokenizer';
export type {
  TokenizerOptions,
  TokenizerConfig,
  TokenizerJSON,
  TextToWordSequenceOptions,
  TextInput,
  MatrixMode,
} from './tokenizer';
