import { type ResolvedAdapterOptions, resolveAdapterOptions } from '@statskit/instrument';
import type { FastifyRequest } from 'fastify';
import type { KeyFunction, StatskitFastifyOptions } from './types.js';

export type ResolvedPluginOptions = ResolvedAdapterOptions<FastifyRequest, KeyFunction>;

function pathOf(request: FastifyRequest): string {
  const url = request.url;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Validate the plugin options (the recorder validates the rest). Throws InvalidOptionError. */
export function resolvePluginOptions(options: StatskitFastifyOptions): ResolvedPluginOptions {
  return resolveAdapterOptions(options, { what: 'statskit plugin', pathOf });
}
