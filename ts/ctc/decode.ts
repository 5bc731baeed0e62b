/**
 * CTC decoders over logits [batch, time, classes] (or log-probabilities, which are their own
 * log-softmax). They run on the host: decoding is sequential, branchy work over a few
 * thousand numbers per utterance.
 */
import { noGrad } from '../autograd';
import { Tensor } from '../tensor';
import { fmt } from '../ops/util';
import * as ops from '../ops/index';

export interface DecodeOptions {
  /** Frames to decode per sample (default: all); int32 tensor or numbers [batch]. */
  inputLengths?: Tensor | ArrayLike<number>;
  /** The blank class (default 0). */
  blank?: number;
}

export interface GreedyDecodeOptions extends DecodeOptions {
  /** Merge repeated classes before removing blanks (default true, as CTC defines). */
  mergeRepeated?: boolean;
}

export interface BeamSearchOptions extends DecodeOptions {
  /** Prefixes kept per frame (default 16). */
  beamWidth?: number;
  /** Best labelings returned per sample (default 1, at most beamWidth). */
  topPaths?: number;
}

export interface GreedyResult {
  /** The decoded label sequence of each sample. */
  sequences: number[][];
  /** The log-probability of each sample's best path (Σ_t max_c log softmax). */
  logProbs: number[];
}

export interface BeamSearchResult {
  /** paths[b][k]: the k-th best labeling of sample b. */
  paths: number[][][];
  /** logProbs[b][k]: its log-probability, summed over every alignment that gives it. */
  logProbs: number[][];
}

interface Frames {
  batch: number;
  time: number;
  classes: number;
  /** log-softmax of the logits, [batch, time, classes] */
  lp: Float32Array;
  lengths: Int32Array;
  blank: number;
}

function frames(op: string, logits: Tensor, o: DecodeOptions): Frames {
  if (!(logits instanceof Tensor) || logits.rank !== 3) {
    throw new Error(`${op}: logits must have shape [batch, time, classes], got ${logits instanceof Tensor ? fmt(logits.shape) : typeof logits}`);
  }
  const [batch, time, classes] = logits.shape;
  const blank = o.blank ?? 0;
  if (!(Number.isInteger(blank) && blank >= 0 && blank < classes)) {
    throw new Error(`${op}: blank ${blank} is outside [0, ${classes})`);
  }
  const lp = noGrad(() => {
    const t = ops.logSoftmax(logits);
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return v;
  });
  let lengths: Int32Array;
  if (o.inputLengths === undefined) lengths = new Int32Array(batch).fill(time);
  else {
    const src = o.inputLengths instanceof Tensor ? o.inputLengths.dataSync() : o.inputLengths;
    lengths = Int32Array.from(src as ArrayLike<number>);
    if (lengths.length !== batch) throw new Error(`${op}: inputLengths must have ${batch} entries, got ${lengths.length}`);
    const bad = lengths.findIndex((v) => v < 0 || v > time);
    if (bad >= 0) throw new Error(`${op}: inputLengths[${bad}] = ${lengths[bad]} is outside [0, ${time}]`);
  }
  return { batch, time, classes, lp, lengths, blank };
}

/** Best path decoding: the most likely class per frame, repeats merged, blanks removed. */
export function greedyDecode(logits: Tensor, options: GreedyDecodeOptions = {}): GreedyResult {
  const f = frames('greedyDecode', logits, options);
  const merge = options.mergeRepeated ?? true;
  const sequences: number[][] = [];
  const logProbs: number[] = [];
  for (let b = 0; b < f.batch; b++) {
    const seq: number[] = [];
    let score = 0;
    let prev = -1;
    for (let t = 0; t < f.lengths[b]; t++) {
      const o = (b * f.time + t) * f.classes;
      let best = 0;
      for (let c = 1; c < f.classes; c++) if (f.lp[o + c] > f.lp[o + best]) best = c;
      score += f.lp[o + best];
      if (best !== f.blank && !(merge && best === prev)) seq.push(best);
      prev = best;
    }
    sequences.push(seq);
    logProbs.push(score);
  }
  return { sequences, logProbs };
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

interface Beam {
  prefix: number[];
  /** log P(prefix, path ends in blank), log P(prefix, path ends in its last label) */
  pb: number;
  pnb: number;
}

const total = (x: Beam) => logAddExp(x.pb, x.pnb);

/**
 * CTC prefix beam search: keeps the `beamWidth` most likely label prefixes per frame, each
 * scored by the total probability of every alignment that yields it (blank-ending and
 * label-ending paths tracked apart, so "a a" and "a" are told apart as CTC defines).
 */
export function beamSearchDecode(logits: Tensor, options: BeamSearchOptions = {}): BeamSearchResult {
  const f = frames('beamSearchDecode', logits, options);
  const beamWidth = options.beamWidth ?? 16;
  const topPaths = options.topPaths ?? 1;
  if (!(Number.isInteger(beamWidth) && beamWidth >= 1)) throw new Error(`beamSearchDecode: beamWidth must be a positive integer, got ${beamWidth}`);
  if (!(Number.isInteger(topPaths) && topPaths >= 1 && topPaths <= beamWidth)) {
    throw new Error(`beamSearchDecode: topPaths must be an integer in [1, beamWidth = ${beamWidth}], got ${topPaths}`);
  }
  const paths: number[][][] = [];
  const logProbs: number[][] = [];
  for (let b = 0; b < f.batch; b++) {
    let beams: Beam[] = [{ prefix: [], pb: 0, pnb: -Infinity }];
    for (let t = 0; t < f.lengths[b]; t++) {
      const o = (b * f.time + t) * f.classes;
      const next = new Map<string, Beam>();
      const get = (prefix: number[]): Beam => {
        const key = prefix.join(',');
        let e = next.get(key);
        if (!e) {
          e = { prefix, pb: -Infinity, pnb: -Infinity };
          next.set(key, e);
        }
        return e;
      };
      for (const beam of beams) {
        const all = total(beam);
        const stay = get(beam.prefix);
        stay.pb = logAddExp(stay.pb, all + f.lp[o + f.blank]);
        const last = beam.prefix.length ? beam.prefix[beam.prefix.length - 1] : -1;
        for (let c = 0; c < f.classes; c++) {
          if (c === f.blank) continue;
          const p = f.lp[o + c];
          const ext = get([...beam.prefix, c]);
          if (c === last) {
            // A repeat extends the prefix only across a blank; otherwise it merges.
            ext.pnb = logAddExp(ext.pnb, beam.pb + p);
            stay.pnb = logAddExp(stay.pnb, beam.pnb + p);
          } else {
            ext.pnb = logAddExp(ext.pnb, all + p);
          }
        }
      }
      beams = [...next.values()].sort((x, y) => total(y) - total(x)).slice(0, beamWidth);
    }
    const best = beams.slice(0, topPaths);
    paths.push(best.map((x) => x.prefix));
    logProbs.push(best.map(total));
  }
  return { paths, logProbs };
}
