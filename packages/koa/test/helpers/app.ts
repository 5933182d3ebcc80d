/**
 * Builds a real Koa app (2 or 3) with @koa/router from the shared scenario table and serves it on
 * loopback, port 0. A scenario's mounts become nested routers (`router.use(prefix, child.routes())`).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { routeStats, tagRequest } from '@statskit/koa';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import {
  type Behavior,
  contextWork,
  type ScenarioHooks,
  type ScenarioRoute,
  statusError,
} from '../../../instrument/test/shared-scenarios.js';

/** What the tests use of `koa` (v3) and `koa2` alike. */
export type KoaClass = new () => Koa;

export function handlerFor(behavior: Behavior, hooks: ScenarioHooks): Middleware {
  switch (behavior.kind) {
    case 'ok':
      return (ctx) => {
        ctx.status = behavior.status ?? 200;
        if (ctx.status !== 204) ctx.body = 'ok';
      };
    case 'throw':
      return () => {
        throw new Error('scenario: thrown');
      };
    case 'next-error':
      // Koa's way of passing an error on: ctx.throw().
      return (ctx) => {
        ctx.throw(500, 'scenario: passed on');
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
      return async (ctx) => {
        hooks.waiting();
        await new Promise<void>((resolve) => ctx.res.once('close', resolve));
      };
    case 'context':
      return async (ctx) => {
        await contextWork(behavior.add);
        ctx.body = 'ok';
      };
    case 'tag':
      return (ctx) => {
        tagRequest(ctx, behavior.tags);
        ctx.body = 'ok';
      };
  }
}

interface MountNode {
  readonly children: Map<string, MountNode>;
  readonly routes: ScenarioRoute[];
}

function buildRouter(node: MountNode, hooks: ScenarioHooks): Router {
  const router = new Router();
  for (const r of node.routes) {
    const method = r.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    const handler = handlerFor(r.behavior, hooks);
    if (r.stats === undefined) router[method](r.path, handler);
    else router[method](r.path, routeStats(r.stats), handler);
  }
  for (const [prefix, child] of node.children) {
    const sub = buildRouter(child, hooks);
    router.use(prefix, sub.routes(), sub.allowedMethods());
  }
  return router;
}

/** An app with `middleware` first, then one root router with nested routers per mount chain. */
export function buildApp(
  KoaApp: KoaClass,
  middleware: Middleware,
  routes: readonly ScenarioRoute[],
  hooks: ScenarioHooks,
): Koa {
  const app = new KoaApp();
  app.silent = true; // Koa's default error handler logs to stderr otherwise
  app.use(middleware);
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
  const router = buildRouter(root, hooks);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

export interface Served extends AsyncDisposable {
  readonly url: string;
  close(): Promise<void>;
}

/** Listen on 127.0.0.1:0; `close()` drops open connections (e.g. a handler still waiting). */
export async function serve(app: Koa): Promise<Served> {
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url: `http://127.0.0.1:${port}`, close, [Symbol.asyncDispose]: close };
}
