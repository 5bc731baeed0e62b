/**
 * The markdown tables of a benchmark run (bench/run.ts in Node, bench/browser/run.ts in
 * Chromium): one table per workload, a column per library/build, ratios to the best ferrite
 * wasm build, ferrite ÷ TF.js columns, and the speedup of the threaded builds on every core
 * over one thread.
 */
import { THREAD_PAIRS, type Result } from './common';

export interface ReportInfo {
  title: string;
  /** Bullet lines under the title (machine, versions, load, command). */
  header: string[];
  /** Workloads in table order, with their library/build columns. */
  workloads: readonly { id: string; title: string; cases: readonly { library: string; build: string }[] }[];
}

export function report(results: Result[], info: ReportInfo): string {
  const lines: string[] = [`# ${info.title}`, '', ...info.header, ''];
  for (const w of info.workloads) {
    const rows = results.filter((r) => r.workload === w.id);
    if (!rows.length) continue;
    const cols = w.cases.filter((c) => rows.some((r) => r.library === c.library && r.build === c.build));
    const key = (c: { library: string; build: string }) => `${c.library} ${c.build}`;
    const colName = (c: { library: string; build: string }) => {
      if (c.library === 'tfjs') return `TF.js ${c.build}`;
      const n = rows.find((r) => r.library === c.library && r.build === c.build)?.threads ?? 1;
      return /-N$/.test(c.build) ? `ferrite ${c.build.replace(/-N$/, '')} (${n} threads)` : `ferrite ${c.build}`;
    };
    // Threads' speedup within one build: the N-thread case over the 1-thread case.
    const pairs = THREAD_PAIRS.filter(([, one, all]) =>
      rows.some((r) => r.build === one) && rows.some((r) => r.build === all));
    const metrics = [...new Set(rows.filter((r) => r.metric !== '*').map((r) => r.metric))];
    const tfCols = cols.filter((c) => c.library === 'tfjs');
    const feWasm = cols.filter((c) => c.library === 'ferrite' && c.build.startsWith('wasm'));
    const footnotes: string[] = [];
    const mark = (text: string) => {
      let i = footnotes.indexOf(text);
      if (i < 0) i = footnotes.push(text) - 1;
      return `[${i + 1}]`;
    };

    lines.push(`## ${w.id} ${w.title}`, '');
    const header = [
      'metric', ...cols.map(colName), ...(feWasm.length ? tfCols.map((c) => `ferrite wasm ÷ ${colName(c)}`) : []),
      ...pairs.map(([name]) => `${name}: N ÷ 1 thread`),
    ];
    lines.push(`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i ? '---:' : '---')).join('|')}|`);
    for (const metric of metrics) {
      const get = (c: { library: string; build: string }) =>
        rows.find((r) => r.library === c.library && r.build === c.build && r.metric === metric);
      const sample = rows.find((r) => r.metric === metric)!;
      const better = sample.better;
      const wasmVals = feWasm.map(get).filter((r): r is Result => !!r && r.value !== null).map((r) => r.value!);
      const best = !better || !wasmVals.length ? null : better === 'higher' ? Math.max(...wasmVals) : Math.min(...wasmVals);
      const cells = cols.map((c) => {
        const r = get(c);
        const whole = rows.find((x) => x.library === c.library && x.build === c.build && x.metric === '*');
        if (!r) return whole ? `fails ${mark(`${key(c)}: ${whole.error}`)}` : '';
        if (r.value === null) {
          if (r.error) return `fails ${mark(`${key(c)}: ${r.error}`)}`;
          return `— ${r.note ? mark(`${key(c)}: ${r.note}`) : ''}`.trim();
        }
        let s = fmt(r.value);
        if (best !== null && best > 0) s += ` (${(r.value / best).toFixed(2)}×)`;
        if (r.note) s += ` ${mark(`${key(c)}: ${r.note}`)}`;
        return s;
      });
      const speedups = feWasm.length
        ? tfCols.map((c) => {
            const r = get(c);
            if (best === null || !r || r.value === null || r.value <= 0) return r?.error || (!r && rows.some((x) => x.library === c.library && x.build === c.build && x.metric === '*')) ? 'TF.js fails' : '';
            return `${fmt(better === 'higher' ? best / r.value : r.value / best)}×`;
          })
        : [];
      const threadSpeedups = pairs.map(([, one, all]) => {
        const a = rows.find((r) => r.build === one && r.metric === metric)?.value;
        const b = rows.find((r) => r.build === all && r.metric === metric)?.value;
        if (!better || sample.unit === 'MB' || a == null || b == null || a <= 0 || b <= 0) return '';
        return `${(better === 'higher' ? b / a : a / b).toFixed(2)}×`;
      });
      const unit = sample.unit ? ` (${sample.unit})` : '';
      lines.push(`| ${metric}${unit} | ${[...cells, ...speedups, ...threadSpeedups].join(' | ')} |`);
    }
    // Cases that crashed, timed out or could not start.
    if (rows.some((r) => r.metric === '*')) {
      const cells = cols.map((c) => {
        const whole = rows.find((x) => x.library === c.library && x.build === c.build && x.metric === '*');
        return whole ? `fails ${mark(`${key(c)}: ${whole.error}`)}` : 'ok';
      });
      lines.push(`| whole case | ${[...cells, ...(feWasm.length ? tfCols.map(() => '') : []), ...pairs.map(() => '')].join(' | ')} |`);
    }
    lines.push('');
    if (footnotes.length) {
      footnotes.forEach((f, i) => lines.push(`${i + 1}. ${f.replace(/\|/g, '\\|')}`));
      lines.push('');
    }
  }
  lines.push(
    'Cells: value (value ÷ the best ferrite wasm build for that row; rows without a better-direction show no ratio).',
    '"ferrite wasm ÷ TF.js": how many times better the best ferrite wasm build is (throughput: ferrite ÷ TF.js; time and memory: TF.js ÷ ferrite).',
    '"N ÷ 1 thread": the speedup of a threaded build on every core over the same build on one thread (throughput ratio, or time ratio inverted).',
    '',
  );
  return lines.join('\n');
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}
