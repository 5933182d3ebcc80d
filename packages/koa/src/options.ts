import { type ResolvedAdapterOptions, resolveAdapterOptions } from '@statskit/instrument';
import type { Context } from 'koa';
import type { KeyFunction, StatsdMiddlewareOptions } from './types.js';

export type ResolvedMiddlewareOptions = ResolvedAdapterOptions<Context, KeyFunction>;

function pathOf(ctx: Context): string {
  const url = ctx.url;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Validate the Koa options (the recorder validates the rest). Throws InvalidOptionError. */
export function resolveMiddlewareOptions(options: StatsdMiddlewareOptions): ResolvedMiddlewareOptions {
  return resolveAdapterOptions(options, { what: 'statsdMiddleware', pathOf });
}
