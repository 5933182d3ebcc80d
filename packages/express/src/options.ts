import { type ResolvedAdapterOptions, resolveAdapterOptions } from '@statskit/instrument';
import type { Request } from 'express';
import type { KeyFunction, StatsdMiddlewareOptions } from './types.js';

export type ResolvedMiddlewareOptions = ResolvedAdapterOptions<Request, KeyFunction>;

/** The path Express was asked for, without the query string (mount points do not strip it here). */
function pathOf(req: Request): string {
  const url = req.originalUrl ?? req.url ?? '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Validate the Express options (the recorder validates the rest). Throws InvalidOptionError. */
export function resolveMiddlewareOptions(options: StatsdMiddlewareOptions): ResolvedMiddlewareOptions {
  return resolveAdapterOptions(options, { what: 'statsdMiddleware', pathOf });
}
