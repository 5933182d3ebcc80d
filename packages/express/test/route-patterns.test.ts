/**
 * Route templates Express 4 and 5 express differently: RegExp and array paths, RegExp and array mounts,
 * sub-apps, optional and wildcard segments, router.route(), param callbacks, routes added late,
 * fall-through, HEAD.
 */
import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import type { ExpressModule } from './helpers/app.js';
import { harness } from './helpers/harness.js';

const versions: [string, ExpressModule, 4 | 5][] = [
  ['Express 5', express5, 5],
  ['Express 4', express4 as ExpressModule, 4],
];

const send = (_req: unknown, res: { send(b: string): void }) => res.send('ok');

describe.each(versions)('%s: route templates', (_name, express, major) => {
  it('keys RegExp routes by their source and array paths by their first path', async () => {
    await using h = await harness(express, (app) => {
      app.get(/^\/re(\d+)$/, send);
      app.get(['/first/:id', '/second/:id'], send);
    });
    await h.fetch('/re12');
    await h.fetch('/re7');
    await h.fetch('/first/1');
    await h.fetch('/second/2');
    await h.settle(4);
    expect(h.keys()).toEqual(['first._id GET', 're_d GET']);
  });

  it('keys RegExp and array mounts the same way', async () => {
    await using h = await harness(express, (app) => {
      const r = express.Router();
      r.get('/x/:id', send);
      app.use(/^\/rx/, r);
      const s = express.Router();
      s.get('/y', send);
      app.use(['/m1', '/m2'], s);
    });
    await h.fetch('/rx/x/1');
    await h.fetch('/m1/y');
    await h.fetch('/m2/y');
    await h.settle(3);
    expect(h.keys()).toEqual(['m1.y GET', 'rx.x._id GET']);
  });

  it('keeps mount parameters, a route at / inside a mount, router.route() and app.all()', async () => {
    await using h = await harness(express, (app) => {
      const org = express.Router({ mergeParams: true });
      org.get('/', send);
      org.route('/things/:id').get(send).post(send);
      app.use('/orgs/:org/teams/:team', org);
      app.all('/any/:x', send);
    });
    await h.fetch('/orgs/acme/teams/red');
    await h.fetch('/orgs/acme/teams/blue/');
    await h.fetch('/orgs/a/teams/b/things/3');
    await h.fetch('/orgs/a/teams/b/things/3', { method: 'POST' });
    await h.fetch('/any/1', { method: 'PUT' });
    await h.settle(5);
    expect(h.keys()).toEqual([
      'any._x PUT',
      'orgs._org.teams._team GET',
      'orgs._org.teams._team.things._id GET',
      'orgs._org.teams._team.things._id POST',
    ]);
  });

  it('keys optional and wildcard segments by their template', async () => {
    await using h = await harness(express, (app) => {
      if (major === 5) {
        app.get('/files/*path', send);
        app.get('/opt{/:id}', send);
      } else {
        app.get('/files/*', send);
        app.get('/opt/:id?', send);
      }
    });
    await h.fetch('/files/a/b/c.txt');
    await h.fetch('/files/d');
    await h.fetch('/opt');
    await h.fetch('/opt/9');
    await h.settle(4);
    expect(h.keys()).toEqual(
      major === 5 ? ['files._path GET', 'opt._id GET'] : ['files._ GET', 'opt._id GET'],
    );
  });

  it('follows a sub-app; its nested routers from its second request on', async () => {
    await using h = await harness(express, (app) => {
      const admin = express();
      admin.get('/users/:id', send);
      const v2 = express.Router();
      v2.get('/x', send);
      admin.use('/v2', v2);
      app.use('/admin', admin);
    });
    await h.fetch('/admin/v2/x');
    await h.fetch('/admin/v2/x');
    await h.fetch('/admin/users/1');
    await h.settle(3);
    const timers = h.stats.metrics.filter((m) => m.type === 'ms' && m.name.startsWith('http.view.admin'));
    expect(timers.map((m) => m.name)).toEqual([
      'http.view.admin.x.GET', // the first request into a sub-app: its routers were not hooked yet
      'http.view.admin.v2.x.GET',
      'http.view.admin.users._id.GET',
    ]);
  });

  it('a route that passes the request on does not keep it; a later route does', async () => {
    await using h = await harness(express, (app) => {
      app.get('/maybe/:id', (_req, _res, next) => next());
      app.all('/guarded/:id', (_req, _res, next) => next());
      app.get('/guarded/:id', send);
    });
    expect((await h.fetch('/maybe/1')).status).toBe(404);
    expect((await h.fetch('/guarded/2')).status).toBe(200);
    await h.settle(2);
    expect(h.keys()).toEqual(['__unmatched__ GET', 'guarded._id GET']);
  });

  it('a middleware inside a router that answers without a route is unmatched', async () => {
    await using h = await harness(express, (app) => {
      const api = express.Router();
      api.use((_req, res) => {
        res.status(401).send('no');
      });
      api.get('/secret', send);
      app.use('/api', api);
    });
    await h.fetch('/api/secret');
    await h.settle(1);
    expect(h.keys()).toEqual(['__unmatched__ GET']);
    expect(h.names()).toContain('response.401');
  });

  it('runs param callbacks and keeps the template', async () => {
    const seen: string[] = [];
    await using h = await harness(express, (app) => {
      const r = express.Router();
      r.param('id', (_req, _res, next, id) => {
        seen.push(String(id));
        setImmediate(next);
      });
      r.get('/p/:id', send);
      app.use('/r', r);
    });
    await h.fetch('/r/p/5');
    await h.settle(1);
    expect(seen).toEqual(['5']);
    expect(h.keys()).toEqual(['r.p._id GET']);
  });

  it('routes and routers added after the first request are keyed too', async () => {
    await using h = await harness(express, (app) => {
      app.get('/early', send);
    });
    await h.fetch('/early');
    const late = express.Router();
    late.get('/:id', send);
    h.app.use('/late', late);
    late.get('/x/y', send);
    await h.fetch('/late/1');
    await h.fetch('/late/x/y');
    await h.settle(3);
    expect(h.keys()).toEqual(['early GET', 'late._id GET', 'late.x.y GET']);
  });

  it('keys HEAD separately and skips OPTIONS by default', async () => {
    await using h = await harness(express, (app) => {
      app.get('/h', send);
    });
    await h.fetch('/h', { method: 'HEAD' });
    await h.fetch('/h', { method: 'OPTIONS' });
    await h.fetch('/h');
    await h.settle(2);
    expect(h.keys()).toEqual(['h GET', 'h HEAD']);
  });

  it('leaves layers as Express built them (handles, names, listRoutes)', async () => {
    const r = express.Router();
    r.get('/x', send);
    await using h = await harness(express, (app) => {
      app.use('/r', r);
    });
    const stack = r.stack as { handle: unknown; name: string }[];
    const before = stack.map((l) => [l.handle, l.name]);
    await h.fetch('/r/x');
    await h.settle(1);
    expect(stack.map((l) => [l.handle, l.name])).toEqual(before);
    const list = (r as unknown as { listRoutes?: () => { path: unknown }[] }).listRoutes;
    if (list !== undefined) expect(list.call(r).map((x) => x.path)).toEqual(['/x']);
  });
});
