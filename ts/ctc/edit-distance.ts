/** Levenshtein distance and the error rates built on it (character, token, word). */

/** The fewest insertions, deletions and substitutions that turn `hyp` into `ref`. */
export function editDistance<T>(ref: ArrayLike<T>, hyp: ArrayLike<T>): number {
  const n = ref.length;
  const m = hyp.length;
  let prev = new Int32Array(m + 1);
  let cur = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const sub = prev[j - 1] + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[m];
}

/**
 * Σ editDistance(ref, hyp) / Σ |ref| over a corpus: the character error rate for strings, the
 * token (digit, word) error rate for sequences of ids or words. 0 when every reference is
 * empty and every hypothesis too.
 */
export function errorRate<T>(refs: ArrayLike<ArrayLike<T>>, hyps: ArrayLike<ArrayLike<T>>): number {
  if (refs.length !== hyps.length) {
    throw new Error(`errorRate: ${refs.length} references but ${hyps.length} hypotheses`);
  }
  let edits = 0;
  let len = 0;
  for (let i = 0; i < refs.length; i++) {
    edits += editDistance(refs[i], hyps[i]);
    len += refs[i].length;
  }
  if (len === 0) return edits === 0 ? 0 : Infinity;
  return edits / len;
}
