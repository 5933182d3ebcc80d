import { regexpTemplate } from '@statskit/instrument';
import type { LayerPath } from './internal-types.js';

/** Children kept per node; past it a child is built each time (only reachable by pathological apps). */
const MAX_CHILDREN = 1000;

/** The template text of one registered path: arrays by their first path, RegExps by their source. */
export function pieceText(piece: LayerPath): string {
  let p: LayerPath | undefined = piece;
  while (Array.isArray(p)) p = (p as readonly LayerPath[])[0];
  if (p === undefined) return '';
  let s = typeof p === 'string' ? p : p instanceof RegExp ? regexpTemplate(p) : String(p);
  if (s !== '' && s[0] !== '/') s = `/${s}`;
  let end = s.length;
  while (end > 0 && s[end - 1] === '/') end--;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * A node of the route-template trie: the mounts traversed so far (`/api` → `/api/v1`) and finally the
 * route. A request moves a pointer through nodes the first request built; nothing is concatenated per
 * request.
 */
export class RouteNode {
  /** The joined template, `/` for the root. */
  readonly template: string;
  readonly #joined: string;
  #children: Map<LayerPath, RouteNode> | undefined;

  constructor(joined: string) {
    this.#joined = joined;
    this.template = joined === '' ? '/' : joined;
  }

  /** The node for this node's template followed by `piece` (a registered path). */
  child(piece: LayerPath): RouteNode {
    let children = this.#children;
    const cached = children?.get(piece);
    if (cached !== undefined) return cached;
    const node = new RouteNode(this.#joined + pieceText(piece));
    if (children === undefined) {
      children = new Map();
      this.#children = children;
    }
    if (children.size < MAX_CHILDREN) children.set(piece, node);
    return node;
  }
}
