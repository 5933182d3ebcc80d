import { encodeRouteKey, encodeSegment, ROOT_ROUTE_KEY } from '@statskit/instrument';
import { describe, expect, it } from 'vitest';

describe('encodeRouteKey', () => {
  it.each([
    ['/users/:id', 'users._id'],
    ['/api/v1/users/:id', 'api.v1.users._id'],
    ['/', 'root'],
    ['', 'root'],
    ['/users/', 'users'],
    ['/users//:id//', 'users._id'],
    ['/users/:id?', 'users._id'],
    ['/files/*path', 'files._path'],
    ['/files/{*path}', 'files._path'],
    ['/users{/:id}', 'users._id'],
    ['/*', '_'],
    ['*', '_'],
    ['/a.json', 'a_json'],
    ['/users/:id.:format', 'users._id_format'],
    ['/caf\u00e9/:x', 'caf._x'],
    ['/_internal/:_id', '_internal._id'],
    ['/__unmatched__', '_unmatched'],
    ['/a b/c|d:e@f#g', 'a_b.c_d_e_f_g'],
    ['/ab?cd', 'ab_cd'],
  ])('%s → %s', (template, key) => {
    expect(encodeRouteKey(template)).toBe(key);
  });

  it('keys RegExp routes by their source', () => {
    expect(encodeRouteKey(/^\/files\/(.*)$/)).toBe('files._');
    expect(encodeRouteKey(/^\/re(\d+)$/i)).toBe('re_d');
    expect(encodeRouteKey(/.*fly$/)).toBe('_fly');
  });

  it('only ever writes [A-Za-z0-9_-] segments joined by dots, at most 200 characters', () => {
    const alphabet = '/:*{}?.()[]|\\^$+ -_aZ09\u00e9\ud83d\ude00\n\r#@,=;~%';
    for (let n = 0; n < 5000; n++) {
      let s = '';
      const len = Math.floor(Math.random() * 300);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
      const key = encodeRouteKey(s);
      expect(key).toMatch(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/);
      expect(key.length).toBeLessThanOrEqual(200);
    }
  });

  it('is stable', () => {
    expect(encodeRouteKey('/users/:id')).toBe(encodeRouteKey('/users/:id'));
    expect(ROOT_ROUTE_KEY).toBe('root');
  });
});

describe('encodeSegment', () => {
  it.each([
    ['db', 'db'],
    ['http.client', 'http_client'],
    ['a/b', 'a_b'],
    ['', ''],
    ['!!', '_'],
  ])('%s → %s', (kind, seg) => {
    expect(encodeSegment(kind)).toBe(seg);
  });
});
