/**
 * The page: starts the training worker, draws its progress live with uPlot, and asks it for
 * predictions on typed text. No model code runs here, so the page stays responsive.
 * Query parameters: ?build=auto|relaxed|simd|js &threads=auto|N &epochs=N &batch=N.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { BuildChoice, FromWorker, ThreadsChoice, ToWorker } from './protocol';

const params = new URLSearchParams(location.search);
const build = (['auto', 'relaxed', 'simd', 'js'].includes(params.get('build') ?? '') ? params.get('build') : 'auto') as BuildChoice;
const threads: ThreadsChoice = params.get('threads') === null || params.get('threads') === 'auto'
  ? 'auto' : clampInt(params.get('threads'), 1, 1, 64);
const epochs = clampInt(params.get('epochs'), 15, 1, 200);
const batchSize = clampInt(params.get('batch'), 32, 1, 1024);

function clampInt(s: string | null, fallback: number, lo: number, hi: number): number {
  const n = Number(s);
  return s !== null && Number.isInteger(n) ? Math.min(hi, Math.max(lo, n)) : fallback;
}

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector(sel) as T;
const status = $('#status');
const show = (id: string, text: string) => { $(`#${id}`).textContent = text; };
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');

// ---- charts -------------------------------------------------------------------------------
// One x axis (epochs, fractional per batch); epoch means and validation values sit at the
// last batch of each epoch, the gaps between them spanned.
const xs: number[] = [];
const batchLoss: (number | null)[] = [], epochLoss: (number | null)[] = [], valLoss: (number | null)[] = [];
const batchAcc: (number | null)[] = [], epochAcc: (number | null)[] = [], valAcc: (number | null)[] = [];

function chart(el: HTMLElement, label: string, range: uPlot.Range.MinMax | undefined): uPlot {
  const epochPoints = { show: true, size: 6 };
  return new uPlot({
    width: chartWidth(), height: 260,
    scales: { x: { time: false, range: [0, epochs] }, y: range ? { range } : {} },
    axes: [{ label: 'epoch' }, { label, size: 56 }],
    legend: { live: false },
    cursor: { show: false },
    series: [
      {},
      { label: 'batch', stroke: 'rgba(80,120,200,0.35)', width: 1, points: { show: false } },
      { label: 'training (epoch mean)', stroke: '#2a5bd7', width: 2, spanGaps: true, points: epochPoints },
      { label: 'validation', stroke: '#e4572e', width: 2, spanGaps: true, points: epochPoints },
    ],
  }, [[], [], [], []], el);
}

function chartWidth(): number {
  const fig = document.querySelector('.charts figure') as HTMLElement;
  return Math.max(280, Math.floor(fig.clientWidth - 8));
}

const lossChart = chart($('#loss-chart'), 'binary cross-entropy', undefined);
const accChart = chart($('#acc-chart'), 'accuracy', [0.4, 1]);
addEventListener('resize', () => {
  for (const c of [lossChart, accChart]) c.setSize({ width: chartWidth(), height: 260 });
});

let dirty = false;
function redraw(): void {
  dirty = false;
  lossChart.setData([xs, batchLoss, epochLoss, valLoss] as uPlot.AlignedData);
  accChart.setData([xs, batchAcc, epochAcc, valAcc] as uPlot.AlignedData);
}
function scheduleRedraw(): void {
  if (!dirty) {
    dirty = true;
    requestAnimationFrame(redraw);
  }
}

// ---- the worker ---------------------------------------------------------------------------
const worker = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker) => worker.postMessage(m);
let nTest = 0;

function fail(message: string): void {
  status.dataset.state = 'error';
  show('message', message);
  console.error(`ferrite demo: ${message}`);
}

worker.onerror = (e) => fail(`the worker failed: ${e.message || 'could not start it'}`);
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'backend':
      show('backend', m.backend);
      show('build', m.build);
      show('threads', String(m.threads));
      status.dataset.backend = m.backend;
      status.dataset.build = m.build;
      status.dataset.threads = String(m.threads);
      status.dataset.isolated = String(crossOriginIsolated);
      show('message', 'loading and tokenizing the emails…');
      break;
    case 'data':
      nTest = m.nTest;
      show('data-info', `${fmtInt(m.nTrain)} training, ${fmtInt(m.nValidation)} validation and ${fmtInt(m.nTest)} test emails from the SpamAssassin corpus`);
      show('message', `tokenized in ${fmtInt(m.ms)} ms (${fmtInt(m.vocabulary)} distinct words, the 1,000 most frequent kept); training…`);
      status.dataset.state = 'training';
      break;
    case 'batch':
      xs.push(m.epoch + (m.batch + 1) / m.steps);
      batchLoss.push(m.loss);
      batchAcc.push(m.acc);
      epochLoss.push(null); epochAcc.push(null); valLoss.push(null); valAcc.push(null);
      show('epoch', `${m.epoch + 1} / ${epochs}`);
      scheduleRedraw();
      break;
    case 'epoch': {
      const i = xs.length - 1;
      epochLoss[i] = m.loss; epochAcc[i] = m.acc; valLoss[i] = m.valLoss; valAcc[i] = m.valAcc;
      show('speed', fmtInt(m.samplesPerSec));
      show('val-acc', pct(m.valAcc));
      scheduleRedraw();
      break;
    }
    case 'done':
      show('speed', fmtInt(m.samplesPerSec));
      show('test-acc', pct(m.testAcc));
      show('message', `trained ${epochs} epochs in ${m.seconds.toFixed(2)} s (${fmtInt(m.samplesPerSec)} samples/s while training); test loss ${m.testLoss.toFixed(4)} on ${fmtInt(nTest)} held-out emails.`);
      status.dataset.testAcc = String(m.testAcc);
      status.dataset.samplesPerSec = String(m.samplesPerSec);
      status.dataset.weightsDigest = m.weightsDigest;
      status.dataset.state = 'done';
      predictNow();
      break;
    case 'prediction':
      if (m.id === lastAsked) showPrediction(m.spam, m.tokens);
      break;
    case 'error':
      fail(m.message);
      break;
  }
};

send({ type: 'train', dataUrl: new URL('data/spam.json', document.baseURI).href, build, threads, epochs, batchSize });

// ---- predictions --------------------------------------------------------------------------
const EXAMPLES: Record<string, string> = {
  spam: `Dear friend, you have been selected to receive a FREE offer! Click here now to claim your
cash prize. This is a limited time offer: order today and save 50% on our amazing product.
Guaranteed results or your money back. No credit card needed. To be removed from our mailing
list, reply with REMOVE in the subject. Act now, this offer expires soon!`,
  ham: `Hi Tom, thanks for the patch. I tried it on my machine last night and the build works now,
but one of the tests still fails with the old version of the library. Could you have a look at
the log I attached? I think the problem is in the configuration file. Let's talk about it at the
meeting on Thursday. Cheers, Dave`,
};

const textArea = $<HTMLTextAreaElement>('#text');
const prediction = $('#prediction');
let lastAsked = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

function predictNow(): void {
  if (status.dataset.state !== 'done') return;
  const text = textArea.value;
  if (!text.trim()) {
    prediction.dataset.ready = 'false';
    show('verdict', 'type something');
    return;
  }
  prediction.dataset.ready = 'pending';
  send({ type: 'predict', id: ++lastAsked, text });
}

function showPrediction(spam: number, tokens: number): void {
  ($('#prediction .fill') as HTMLElement).style.width = `${(100 * spam).toFixed(1)}%`;
  prediction.dataset.ready = 'true';
  prediction.dataset.spam = String(spam);
  prediction.classList.toggle('is-spam', spam >= 0.5);
  show('verdict', `${spam >= 0.5 ? 'spam' : 'not spam'}: P(spam) = ${spam.toFixed(3)} (${tokens} tokens)`);
}

textArea.addEventListener('input', () => {
  if (status.dataset.state === 'done') prediction.dataset.ready = 'pending';
  clearTimeout(timer);
  timer = setTimeout(predictNow, 120);
});
for (const b of document.querySelectorAll<HTMLButtonElement>('[data-example]')) {
  b.addEventListener('click', () => {
    textArea.value = EXAMPLES[b.dataset.example!];
    predictNow();
  });
}
textArea.value = EXAMPLES.spam;

// ---- options ------------------------------------------------------------------------------
const form = $<HTMLFormElement>('#options');
(form.elements.namedItem('build') as HTMLSelectElement).value = build;
(form.elements.namedItem('threads') as HTMLInputElement).value = String(threads);
(form.elements.namedItem('epochs') as HTMLInputElement).value = String(epochs);
form.addEventListener('submit', (e) => {
  e.preventDefault();
  const q = new URLSearchParams(location.search);
  q.set('build', (form.elements.namedItem('build') as HTMLSelectElement).value);
  q.set('threads', (form.elements.namedItem('threads') as HTMLInputElement).value.trim() || 'auto');
  q.set('epochs', (form.elements.namedItem('epochs') as HTMLInputElement).value);
  location.search = q.toString();
});
