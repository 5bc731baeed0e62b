/**
 * One CTC training step (PyTorch style: zeroGrad, forward, fe.losses.ctc, backward, step) and
 * scoring by digit error rate with greedy and beam-search decoding.
 */
import * as fe from 'ferrite-ml';
import { mulberry32 } from '../../ts/ops/random';
import { batchesOf, disposeBatch, makeBatch, type Batch } from './batches';
import { BLANK, type Example } from './dataset';
import type { DigitRecognizer } from './model';

export function trainStep(model: DigitRecognizer, optimizer: fe.Optimizer, batch: Batch): number {
  return fe.tidy(() => {
    model.train();
    optimizer.zeroGrad();
    const logits = model.forward(batch.x, batch.mask);
    const loss = fe.losses.ctc(
      { logits, labels: batch.labels, inputLengths: batch.inputLengths, labelLengths: batch.labelLengths },
      { blank: BLANK },
    );
    loss.backward();
    optimizer.step();
    return loss.item();
  });
}

export interface Decoded {
  example: Example;
  greedy: number[];
  beam: number[];
}

export interface Scores {
  /** Digit error rates: Σ edit distance / Σ reference digits. */
  greedy: number;
  beam: number;
  decoded: Decoded[];
}

/** Decodes every example greedily and (beamWidth > 0) with a prefix beam search. */
export function score(model: DigitRecognizer, examples: Example[], beamWidth: number, batchSize = 64): Scores {
  model.eval();
  const decoded: Decoded[] = [];
  for (const group of batchesOf(examples, batchSize, mulberry32(0))) {
    const batch = makeBatch(group);
    fe.tidy(() => {
      const logits = fe.noGrad(() => model.forward(batch.x, batch.mask));
      const opts = { inputLengths: batch.inputLengths, blank: BLANK };
      const greedy = fe.ctc.greedyDecode(logits, opts).sequences;
      const beam = beamWidth > 0 ? fe.ctc.beamSearchDecode(logits, { ...opts, beamWidth }).paths.map((p) => p[0]) : greedy;
      group.forEach((example, i) => decoded.push({ example, greedy: greedy[i], beam: beam[i] }));
    });
    disposeBatch(batch);
  }
  const refs = decoded.map((d) => d.example.label);
  return {
    greedy: fe.ctc.errorRate(refs, decoded.map((d) => d.greedy)),
    beam: fe.ctc.errorRate(refs, decoded.map((d) => d.beam)),
    decoded,
  };
}
