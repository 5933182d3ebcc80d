/**
 * Builds a real Express app (4 or 5) from the shared scenario table and serves it on loopback, port 0.
 */
import type { AddressInfo } from 'node:net';
import { routeStats, tagRequest } from '@statskit/express';
import type { Express, IRouter, NextFunction, Request, RequestHandler, Response, Router } from 'express';
import {
  type Behavior,
  contextWork,
  type ScenarioHooks,
  type ScenarioRoute,
  statusError,
} from '../../../instrument/test/shared-scenarios.js';

/** What the tests use of `express` (v5) and `express4` alike. */
export interface ExpressModule {
  (): Express;
  Router(options?: { mergeParams?: boolean }): Router;
}

export function handlerFor(behavior: Behavior, hooks: ScenarioHooks): RequestHandler {
  switch (behavior.kind) {
    case 'ok':
      return (_req: Request, res: Response) => {
        res.status(behavior.status ?? 200).send('ok');
      };
    case 'throw':
      return () => {
        throw new Error('scenario: thrown');
      };
    case 'next-error':
      return (_req: Request, _res: Response, next: NextFunction) => {
        next(new Error('scenario: passed on'));
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
      return () => {
        hooks.waiting();
      };
    case 'context':
      return async (_req: Request, res: Response) => {
        await contextWork(behavior.add);
        res.send('ok');
      };
    case 'tag':
      return (req: Request, res: Response) => {
        tagRequest(req, behavior.tags);
        res.send('ok');
      };
  }
}

/** An app with `middleware` first, then the routes, nested routers created per mount chain. */
export function buildApp(
  express: ExpressModule,
  middleware: RequestHandler,
  routes: readonly ScenarioRoute[],
  hooks: ScenarioHooks,
): Express {
  const app = express();
  app.set('env', 'test'); // Express's final handler logs errors outside 'test'
  app.use(middleware);
  const routers = new Map<string, Router>();
  for (const r of routes) {
    let parent: IRouter = app;
    let chain = '';
    for (const mount of r.mounts) {
      chain += `\0${mount}`;
      let router = routers.get(chain);
      if (router === undefined) {
        router = express.Router();
        parent.use(mount, router);
        routers.set(chain, router);
      }
      parent = router;
    }
    const method = r.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    const handler = handlerFor(r.behavior, hooks);
    if (r.stats === undefined) parent[method](r.path, handler);
    else parent[method](r.path, routeStats(r.stats), handler);
  }
  return app;
}

export interface Served extends AsyncDisposable {
  readonly url: string;
  close(): Promise<void>;
}

/** Listen on 127.0.0.1:0; `close()` drops open connections (e.g. a handler still waiting). */
export async function serve(app: Express): Promise<Served> {
  const server = app.listen(0, '127.0.0.1');
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
