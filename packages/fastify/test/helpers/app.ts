/**
 * Builds a real Fastify app (4 or 5) from the shared scenario table and serves it on loopback, port 0.
 * A scenario's mounts become nested plugins registered with `prefix`.
 */
import { tagRequest } from '@statskit/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type Behavior,
  contextWork,
  type ScenarioHooks,
  type ScenarioRoute,
  statusError,
} from '../../../instrument/test/shared-scenarios.js';

/** What the tests use of `fastify` (v5) and `fastify4` alike. */
export type FastifyFactory = (options?: { logger?: boolean }) => FastifyInstance;

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;

export function handlerFor(behavior: Behavior, hooks: ScenarioHooks): Handler {
  switch (behavior.kind) {
    case 'ok':
      return (_request, reply) => {
        reply.code(behavior.status ?? 200).send('ok');
      };
    case 'throw':
      return () => {
        throw new Error('scenario: thrown');
      };
    case 'next-error':
      // Fastify's way of passing an error on: reply.send(err).
      return (_request, reply) => {
        reply.send(new Error('scenario: passed on'));
      };
    case 'reject':
      return async () => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        throw new Error('scenario: rejected');
      };
    case 'error-status':
      return () => {
        throw statusError(behavior.status);
      };
    case 'wait':
      return (_request, reply) => {
        hooks.waiting();
        return reply; // answered later (never): the client goes away first
      };
    case 'context':
      return async () => {
        await contextWork(behavior.add);
        return 'ok';
      };
    case 'tag':
      return (request, reply) => {
        tagRequest(request, behavior.tags);
        reply.send('ok');
      };
  }
}

interface MountNode {
  readonly children: Map<string, MountNode>;
  readonly routes: ScenarioRoute[];
}

function register(instance: FastifyInstance, node: MountNode, hooks: ScenarioHooks): void {
  for (const r of node.routes) {
    instance.route({
      method: r.method,
      url: r.path,
      handler: handlerFor(r.behavior, hooks),
      ...(r.stats === undefined ? {} : { config: { stats: r.stats } }),
    });
  }
  for (const [prefix, child] of node.children) {
    instance.register(
      async (sub) => {
        register(sub, child, hooks);
      },
      { prefix },
    );
  }
}

/** An app with the plugin registered first, then the routes, one nested plugin per mount. */
export async function buildApp(
  fastify: FastifyFactory,
  setup: (app: FastifyInstance) => PromiseLike<unknown> | undefined,
  routes: readonly ScenarioRoute[],
  hooks: ScenarioHooks,
): Promise<FastifyInstance> {
  const app = fastify({ logger: false });
  await setup(app);
  const root: MountNode = { children: new Map(), routes: [] };
  for (const r of routes) {
    let node = root;
    for (const mount of r.mounts) {
      let child = node.children.get(mount);
      if (child === undefined) {
        child = { children: new Map(), routes: [] };
        node.children.set(mount, child);
      }
      node = child;
    }
    node.routes.push(r);
  }
  register(app, root, hooks);
  return app;
}

export interface Served extends AsyncDisposable {
  readonly url: string;
  close(): Promise<void>;
}

/** Listen on 127.0.0.1:0; `close()` drops open connections (e.g. a handler still waiting). */
export async function serve(app: FastifyInstance): Promise<Served> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const close = async (): Promise<void> => {
    app.server.closeAllConnections();
    await app.close();
  };
  return { url: `http://127.0.0.1:${port}`, close, [Symbol.asyncDispose]: close };
}
