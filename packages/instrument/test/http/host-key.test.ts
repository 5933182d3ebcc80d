import { describe, expect, it } from 'vitest';
import { errorCode } from '../../src/http/error-code.js';
import { HostTable, hostSegment, OTHER_HOST_KEY } from '../../src/http/host-key.js';

describe('host keys', () => {
  it('dots and colons become _, the port is kept, IPv6 brackets dropped, lower case', () => {
    expect(hostSegment('api.example.com')).toBe('api_example_com');
    expect(hostSegment('127.0.0.1:8080')).toBe('127_0_0_1_8080');
    expect(hostSegment('[::1]:3000')).toBe('__1_3000');
    expect(hostSegment('my-host')).toBe('my-host');
    expect(hostSegment('a|b#c\nd')).toBe('a_b_c_d');
    expect(hostSegment('x'.repeat(500))).toHaveLength(100);
  });

  it('100 distinct hosts with the default-like cap of 50: 50 by name, the rest __other__', () => {
    const table = new HostTable(50, undefined, (key) => ({ key }));
    const keys = new Set<string>();
    for (let i = 0; i < 100; i++) keys.add(table.get(`host${i}.example.com:${8000 + i}`).key);
    expect(keys.size).toBe(51);
    expect(keys.has(OTHER_HOST_KEY)).toBe(true);
    expect(table.size).toBe(50);
    // hosts seen before the cap keep their name; case does not make a new host
    expect(table.get('HOST1.example.com:8001').key).toBe('host1_example_com_8001');
  });

  it('an allow-list: names match with or without the port, RegExps against host[:port]', () => {
    const table = new HostTable(
      50,
      { names: new Set(['api.example.com']), patterns: [/\.internal(:\d+)?$/] },
      (key) => ({
        key,
      }),
    );
    expect(table.get('api.example.com').key).toBe('api_example_com');
    expect(table.get('api.example.com:8443').key).toBe('api_example_com_8443');
    expect(table.get('db.internal:5432').key).toBe('db_internal_5432');
    expect(table.get('evil.example.com').key).toBe(OTHER_HOST_KEY);
    expect(table.get('').key).toBe(OTHER_HOST_KEY);
  });
});

describe('error codes', () => {
  it('maps node, undici and DOM errors to a bounded set', () => {
    const e = (code: string) => Object.assign(new Error('x'), { code });
    expect(errorCode(e('ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(errorCode(e('UND_ERR_SOCKET'))).toBe('ECONNRESET');
    expect(errorCode(e('UND_ERR_HEADERS_TIMEOUT'))).toBe('ETIMEDOUT');
    expect(errorCode(e('EAI_AGAIN'))).toBe('ENOTFOUND');
    expect(errorCode(e('DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe('TLS');
    expect(errorCode(e('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe('TLS');
    expect(errorCode(new DOMException('gone', 'AbortError'))).toBe('ABORTED');
    expect(errorCode(new DOMException('slow', 'TimeoutError'))).toBe('ETIMEDOUT');
    expect(errorCode(new TypeError('fetch failed', { cause: e('ECONNRESET') }))).toBe('ECONNRESET');
    expect(errorCode(e('EWHATEVER'))).toBe('OTHER');
    expect(errorCode('a string')).toBe('OTHER');
    expect(errorCode(null)).toBe('OTHER');
  });
});
