import { KeyOverride } from '@statskit/instrument';
import { afterEach, describe, expect, it, vi } from 'vitest';

describe('KeyOverride (the adapters’ `key` option)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('uses a returned string, else the default route key', () => {
    const k = new KeyOverride();
    expect(k.apply('/users/:id', (a: string, b: number) => `${a}.${b}`, 'x', 1)).toBe('x.1');
    expect(k.apply('/users/:id', () => undefined)).toBe('/users/:id');
    expect(k.apply(undefined, () => 42)).toBeUndefined();
  });

  it('a throwing function falls back to the default key and warns once per adapter', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const k = new KeyOverride();
    const boom = (): string => {
      throw new Error('boom');
    };
    expect(k.apply('/a', boom)).toBe('/a');
    expect(k.apply('/b', boom)).toBe('/b');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/`key` function threw \(Error: boom\)/);
    new KeyOverride().apply('/c', boom);
    expect(warn).toHaveBeenCalledTimes(2);
  });
});
