/**
 * IAM's wildcard matching (`*` any run of characters, `/` and empty included; `?` one character),
 * without regular expressions: a policy comes from an authorizer, and a pattern
 * such as `*a*a*a*a*b` must not cost exponential backtracking. Greedy two-pointer scan that
 * retries from the last `*` on a mismatch, O(pattern × text) at worst.
 */
export function wildcardMatch(patternText: string, subject: string): boolean {
  // by code points, so that `?` is one character even outside the basic multilingual plane.
  const pattern = Array.from(patternText);
  const text = Array.from(subject);
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === text[t]))) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = t;
      p += 1;
    } else if (star !== -1) {
      // let the last `*` swallow one more character and try again from there.
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}
