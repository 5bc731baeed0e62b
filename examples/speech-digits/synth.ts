/**
 * Spoken digit strings synthesized with espeak-ng: the utterance list (seeded), the voices of
 * the training and held-out sets, and the parallel synthesis into a cache of WAV files that
 * later runs reuse.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../ts/ops/random';

export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** espeak-ng accents (its English languages) and voice variants. */
export const ACCENTS = ['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-029', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd'];
/** Variants heard in training, and the ones kept for the test set only. */
export const TRAIN_VARIANTS = ['m1', 'm2', 'm3', 'm4', 'm6', 'f1', 'f2', 'f4'];
export const TEST_VARIANTS = ['m5', 'm7', 'f3'];

export interface Utterance {
  /** File name in the cache (without directory). */
  file: string;
  digits: number[];
  text: string;
  voice: string;
  /** Words per minute (espeak-ng -s), pitch 0–99 (-p), gap between words in 10 ms units (-g). */
  speed: number;
  pitch: number;
  gap: number;
}

export interface SynthesisPlan {
  seed: number;
  train: Utterance[];
  test: Utterance[];
}

function makeUtterance(rng: () => number, name: string, variants: string[]): Utterance {
  const pick = <T>(xs: T[]) => xs[Math.floor(rng() * xs.length)];
  const n = 1 + Math.floor(rng() * 5);
  const digits = Array.from({ length: n }, () => Math.floor(rng() * 10));
  // "oh" for zero, as people read phone numbers.
  const text = digits.map((d) => (d === 0 && rng() < 0.35 ? 'oh' : DIGIT_WORDS[d])).join(' ');
  return {
    file: `${name}.wav`,
    digits,
    text,
    voice: `${pick(ACCENTS)}+${pick(variants)}`,
    speed: 130 + Math.floor(rng() * 91),
    pitch: 20 + Math.floor(rng() * 61),
    gap: Math.floor(rng() * 8),
  };
}

/** The utterances of both sets: random digit strings, voices, speeds, pitches, word gaps. */
export function planDataset(seed: number, trainCount: number, testCount: number): SynthesisPlan {
  const rng = mulberry32(seed);
  const train = Array.from({ length: trainCount }, (_, i) => makeUtterance(rng, `train-${i}`, TRAIN_VARIANTS));
  const test = Array.from({ length: testCount }, (_, i) => makeUtterance(rng, `test-${i}`, TEST_VARIANTS));
  return { seed, train, test };
}

/**
 * Makes sure espeak-ng can run: installs Debian's package when missing and running as root,
 * otherwise stops with how to install it.
 */
export function ensureEspeak(): string {
  const probe = () => spawnSync('espeak-ng', ['--version'], { encoding: 'utf8' });
  let r = probe();
  if (r.status === 0) return r.stdout.trim();
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !existsSync('/usr/bin/apt-get')) {
    throw new Error(
      'speech-digits: espeak-ng is not installed. Install it with `sudo apt-get install -y espeak-ng` '
      + '(Debian/Ubuntu; other systems: the espeak-ng package of your distribution), then rerun.',
    );
  }
  console.log('espeak-ng is missing: installing it with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let inst = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'espeak-ng'], { stdio: 'inherit', env });
  if (inst.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    inst = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'espeak-ng'], { stdio: 'inherit', env });
  }
  r = probe();
  if (inst.status !== 0 || r.status !== 0) throw new Error('speech-digits: `apt-get install -y espeak-ng` failed; install espeak-ng and rerun');
  return r.stdout.trim();
}

function speak(u: Utterance, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tmp = `${path}.tmp.wav`;
    const args = ['-v', u.voice, '-s', String(u.speed), '-p', String(u.pitch), '-g', String(u.gap), '-w', tmp, u.text];
    const p = spawn('espeak-ng', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0 || !existsSync(tmp)) reject(new Error(`espeak-ng ${args.join(' ')} failed (${code}): ${err.trim()}`));
      else {
        renameSync(tmp, path);
        resolve();
      }
    });
  });
}

/**
 * Synthesizes every utterance of the plan not yet in `dir` (a directory per plan: its name
 * hashes the plan and espeak-ng's version), running several espeak-ng processes at once.
 * Returns the directory.
 */
export async function synthesize(plan: SynthesisPlan, cacheRoot: string, version: string, log = console.log): Promise<string> {
  const all = [...plan.train, ...plan.test];
  const key = createHash('sha256').update(JSON.stringify({ version, all })).digest('hex').slice(0, 16);
  const dir = join(cacheRoot, `seed${plan.seed}-${plan.train.length}-${plan.test.length}-${key}`);
  const done = join(dir, 'complete.json');
  if (existsSync(done) && JSON.parse(readFileSync(done, 'utf8')).count === all.length) return dir;
  mkdirSync(dir, { recursive: true });
  const todo = all.filter((u) => !existsSync(join(dir, u.file)));
  const workers = Math.max(2, Math.min(8, cpus().length * 2));
  log(`synthesizing ${todo.length} utterances with ${workers} espeak-ng processes into ${dir}`);
  const t0 = performance.now();
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < todo.length) {
      const u = todo[next++];
      await speak(u, join(dir, u.file));
      if (++finished % 500 === 0) log(`  ${finished}/${todo.length}`);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  writeFileSync(done, JSON.stringify({ count: all.length, version }));
  log(`synthesis: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}
