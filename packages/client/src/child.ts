import type { ChildOptions } from './client.js';
import { InvalidOptionError, type StatsError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { describe, read, readError, UNREADABLE } from './protocol/describe.js';
import { sanitize, TABLES } from './protocol/sanitize.js';
import { type ResolvedTags, resolveTags } from './protocol/tags.js';
import type { TagFormat } from './types.js';

/** The prefix, suffix, tags and sample rate of a client, each resolved once (constructor, `child()`). */
export interface ClientNames {
  readonly prefix: string;
  readonly suffix: string;
  readonly tags: ResolvedTags;
  readonly sampleRate: number;
}

/** The piece without leading and trailing dots: the seams get exactly one, added here. */
function trimDots(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 0x2e) a++;
  while (b > a && s.charCodeAt(b - 1) === 0x2e) b--;
  return s.slice(a, b);
}

function joinPrefix(parent: string, prefix: string, table: Uint8Array): string {
  const clean = trimDots(sanitize(prefix, table));
  return clean === '' ? parent : `${parent}${clean}.`;
}

function joinSuffix(parent: string, suffix: string, table: Uint8Array): string {
  const clean = trimDots(sanitize(suffix, table));
  return clean === '' ? parent : `${parent}.${clean}`;
}

function checkRate(rate: unknown, what: string): number {
  if (typeof rate !== 'number' || !(rate > 0 && rate <= 1)) {
    throw new InvalidOptionError(`statskit: ${what} must be a number in (0, 1], got ${describe(rate)}`);
  }
  return rate;
}

/**
 * The tags of an options object, resolved once. Any problem is an InvalidOptionError, even a value whose
 * toString throws (that error is the `cause`).
 */
function optionTags(tags: unknown, format: TagFormat, what: string, base?: ResolvedTags): ResolvedTags {
  const errors: StatsError[] = [];
  let resolved: ResolvedTags;
  try {
    resolved = resolveTags(tags, format, (e) => errors.push(e), base);
  } catch (err) {
    throw new InvalidOptionError(`statskit: ${what}: reading them threw (see cause)`, { cause: err });
  }
  const first = errors[0];
  if (first !== undefined) throw new InvalidOptionError(`statskit: ${what}: ${first.message}`);
  return resolved;
}

/** `options[key]` for child(): a getter or Proxy trap that throws is an invalid option. */
function childOption(options: object, key: string): unknown {
  const v = read(options, key);
  if (v === UNREADABLE) {
    throw new InvalidOptionError(`statskit: reading child option ${key} threw`, { cause: readError.cause });
  }
  return v;
}

/**
 * A child's names from its parent's and `child()`'s options: each option read once, guarded.
 * @throws {InvalidOptionError} on a bad option, an option whose getter throws, or tags that cannot be read.
 */
export function childNames(options: ChildOptions, format: TagFormat, parent: ClientNames): ClientNames {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('statskit: child options must be an object');
  }
  const table = TABLES[format].name;
  // each option read once, guarded: a throwing getter or a revoked Proxy is an InvalidOptionError
  const prefix = childOption(options, 'prefix');
  const suffix = childOption(options, 'suffix');
  const tagOption = childOption(options, 'tags');
  const sampleRate = childOption(options, 'sampleRate');
  if (prefix !== undefined && typeof prefix !== 'string') {
    throw new InvalidOptionError(`statskit: child prefix must be a string, got ${describe(prefix)}`);
  }
  if (suffix !== undefined && typeof suffix !== 'string') {
    throw new InvalidOptionError(`statskit: child suffix must be a string, got ${describe(suffix)}`);
  }
  const tags = optionTags(tagOption, format, 'child tags', parent.tags);
  return {
    prefix: joinPrefix(parent.prefix, prefix ?? '', table),
    suffix: joinSuffix(parent.suffix, suffix ?? '', table),
    tags,
    sampleRate: sampleRate === undefined ? parent.sampleRate : checkRate(sampleRate, 'child sampleRate'),
  };
}

/** A client's own names, from its resolved options. @throws {InvalidOptionError} on tags that cannot be read. */
export function rootNames(resolved: ResolvedOptions): ClientNames {
  const format = resolved.tagFormat;
  const table = TABLES[format].name;
  const envTags = resolved.envTags;
  return {
    prefix: joinPrefix('', resolved.prefix, table),
    suffix: joinSuffix('', resolved.suffix, table),
    tags: optionTags(
      resolved.tags,
      format,
      'tags',
      envTags === undefined ? undefined : optionTags(envTags, format, 'DD_* tags'),
    ),
    sampleRate: resolved.sampleRate,
  };
}
