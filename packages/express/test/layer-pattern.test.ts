/** Reading a mount's pattern back from what each Express version keeps on the layer. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { ExpressLayer } from '../src/internal-types.js';
import { expressFourPattern, layerPattern, matchedPattern } from '../src/layer-pattern.js';
import { pieceText } from '../src/route-node.js';

// Express 4's own path-to-regexp (0.1.x), as its Layer calls it for `use()` paths.
const require = createRequire(import.meta.url);
const v4PathToRegexp = require(
  require.resolve('path-to-regexp', { paths: [require.resolve('express4')] }),
) as (path: unknown, keys: { name: string | number }[], options: object) => RegExp;

function v4(path: string | RegExp | string[]): string {
  const keys: { name: string | number }[] = [];
  const re = v4PathToRegexp(path, keys, { end: false, strict: false, sensitive: false });
  return pieceText(expressFourPattern(re, keys));
}

describe('expressFourPattern', () => {
  it.each([
    ['/api', '/api'],
    ['/api/', '/api'],
    ['/:tenant', '/:tenant'],
    ['/api/:v/x', '/api/:v/x'],
    ['/a/:b?', '/a/:b?'],
    ['/f/*', '/f/*'],
    ['/a.:ext', '/a.:ext'],
    ['/u-:id', '/u-:id'],
    ['/a/:id(\\d+)', '/a/:id'],
    ['/a/(x|y)', '/a/(?:x|y)'],
  ])('%s → %s', (path, template) => {
    expect(v4(path)).toBe(template);
  });

  it('takes the first path of an array and the source of a RegExp', () => {
    expect(v4(['/m1/:a', '/m2'])).toBe('/m1/:a');
    expect(v4(/^\/re(\d+)/i)).toBe('/re(\\d+)');
  });
});

describe('layerPattern', () => {
  it('uses rawPath (router >= 2.3)', () => {
    expect(layerPattern({ handle: null, rawPath: '/a/:b', path: undefined } as ExpressLayer)).toBe('/a/:b');
  });

  it('uses the pattern router 2.0–2.2 keeps in `path` until the first match', () => {
    expect(layerPattern({ handle: null, path: '/t/:tenant', params: undefined } as ExpressLayer)).toBe(
      '/t/:tenant',
    );
    expect(layerPattern({ handle: null, path: '/t/acme', params: { tenant: 'acme' } } as ExpressLayer)).toBe(
      undefined,
    );
  });

  it('rebuilds a pattern from the matched path and params (bounded per layer)', () => {
    const layer = {
      handle: null,
      path: '/t/acme/x/a%20b',
      params: { tenant: 'acme', id: 'a b' },
    } as ExpressLayer;
    expect(matchedPattern(layer)).toBe('/t/:tenant/x/:id');
    const splat = { handle: null, path: '/files/a/b', params: { rest: ['a', 'b'] } } as ExpressLayer;
    expect(matchedPattern(splat)).toBe('/files/*rest');
    const many = { handle: null, path: '', params: {} } as ExpressLayer;
    for (let i = 0; i < 100; i++) {
      many.path = `/lit${i}`;
      matchedPattern(many);
    }
    expect(matchedPattern(many)).toBe('/*');
  });
});
