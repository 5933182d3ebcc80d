/**
 * What a collector can send, by name relative to its prefix, so a threshold (or a CLI flag) on a name
 * that never arrives is refused with the closest known name instead of waiting for an alert that cannot
 * fire. A `*` stands for one name segment (a mount, a device, an interface, a GC kind).
 */

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/** The candidate nearest to `word` (case-insensitive), if near enough to be a typo of it. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // a typo, a missing word or a wrong segment: not a different name altogether
  return bestDistance <= Math.max(2, Math.ceil(word.length / 3)) ? best : undefined;
}

/** Whether `name` is one the catalogue's patterns describe (`*`: exactly one non-empty segment). */
function matches(name: string, pattern: string): boolean {
  const n = name.split('.');
  const p = pattern.split('.');
  if (n.length !== p.length) return false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '*' ? n[i] === '' : p[i] !== n[i]) return false;
  }
  return true;
}

/** A pattern with its `*` segments filled from `name` where the segment counts agree, for suggestions. */
function instantiate(pattern: string, name: string, placeholder: string): string {
  const n = name.split('.');
  const p = pattern.split('.');
  return p
    .map((s, i) => (s !== '*' ? s : n.length === p.length && n[i] !== '' ? n[i] : placeholder))
    .join('.');
}

/**
 * The message for a threshold name the catalogue does not know, or undefined when it knows it.
 * `placeholders` names each pattern's `*` in messages (`<mount>`).
 */
export function unknownName(
  name: string,
  catalogue: readonly string[],
  placeholder = (_pattern: string) => '<name>',
): string | undefined {
  if (catalogue.some((p) => matches(name, p))) return undefined;
  const near = closest(
    name,
    catalogue.map((p) => instantiate(p, name, placeholder(p))),
  );
  return near === undefined
    ? `no metric '${name}' is sent by this collector (docs/metrics.md lists them)`
    : `no metric '${name}' is sent by this collector; did you mean '${near}'?`;
}
