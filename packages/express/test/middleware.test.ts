/** statsdMiddleware's options and contract, on Express 4 and 5. */
import { InvalidOptionError, StatsClient } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/express';
import { currentRequest } from '@statskit/instrument';
import type { Request } from 'express';
import express5 from 'express';
import express4 from 'express4';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { ExpressModule } from './helpers/app.js';
import { harness } from './helpers/harness.js';

const versions: [string, ExpressModule][] = [
  ['Express 5', express5],
  ['Express 4', express4 as ExpressModule],
];

describe('statsdMiddleware: construction', () => {
  it('returns a named middleware with the client and recorder', async () => {
    const stats = createTestClient();
    const mw = statsdMiddleware({ client: stats });
    expect(mw.name).toBe('statsdMiddleware');
    expect(mw.length).toBe(3);
    expect(mw.client).toBe(stats);
    expect(mw.recorder.mode).toBe('names');
    await mw.close();
    expect(stats.closed).toBe(false); // not ours to close
  });

  it('creates and owns a client from client options', async () => {
    const mw = statsdMiddleware({ client: { host: '127.0.0.1', port: 9, prefix: 'app' } });
    expect(mw.client).toBeInstanceOf(StatsClient);
    await mw.close();
    expect(mw.client.closed).toBe(true);
  });

  it.each([
    [{ client: 'udp://x' }],
    [{ skipMethods: 'GET' }],
    [{ exclude: 'health' }],
    [{ exclude: ['healthz'] }],
    [{ key: 'x' }],
    [{ context: 'yes' }],
    [{ mode: 'tags', client: { tagFormat: 'none' } }],
    [{ statusGrouping: 'none' }],
    [{ metrics: { nope: true } }],
  ])('rejects %j', (bad) => {
    expect(() => statsdMiddleware(bad as never)).toThrow(InvalidOptionError);
  });

  it('declares req.stats on Express requests', () => {
    expectTypeOf<Request['stats']>().toEqualTypeOf<StatsClient>();
  });
});

describe.each(versions)('%s: statsdMiddleware', (_name, express) => {
  it('sizes: streamed bodies are counted as written; a chunked upload reports no request size', async () => {
    await using h = await harness(
      express,
      (app) => {
        app.post('/stream', (req, res) => {
          req.resume();
          req.on('end', () => {
            res.write('héllo'); // 6 bytes
            res.write(Buffer.alloc(10));
            res.end('!', 'utf8');
          });
        });
        app.head('/stream', (_req, res) => {
          res.set('content-length', '17').end();
        });
      },
      { sizes: true },
    );
    const upload = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('chunked body'));
        c.close();
      },
    });
    const res = await h.fetch('/stream', { method: 'POST', body: upload, duplex: 'half' } as RequestInit);
    expect(res.text_).toBe(`héllo${'\0'.repeat(10)}!`);
    await h.fetch('/stream', { method: 'HEAD' });
    await h.settle(2);
    const values = (name: string) => h.stats.metrics.filter((m) => m.name === name).map((m) => m.value);
    expect(values('http.view.stream.response.bytes')).toEqual([17, 0]);
    expect(values('http.view.stream.request.bytes')).toEqual([0]); // the HEAD; the chunked POST: unknown
  });

  it('gives handlers req.stats (measured, skipped and excluded requests), still assignable', async () => {
    const seen: unknown[] = [];
    await using h = await harness(
      express,
      (app) => {
        app.all('/s', (req, res) => {
          seen.push(req.stats);
          req.stats.incr('custom');
          res.send('ok');
        });
        app.get('/assign', (req, res) => {
          const other = createTestClient();
          req.stats = other;
          res.send(String(req.stats === other));
        });
      },
      { exclude: ['/s/excluded'] },
    );
    await h.fetch('/s');
    await h.fetch('/s', { method: 'OPTIONS' });
    expect((await h.fetch('/assign')).text_).toBe('true');
    await h.settle(2);
    expect(seen).toHaveLength(2);
    for (const s of seen) expect(s).toBeInstanceOf(StatsClient);
    expect(h.stats.metrics.filter((m) => m.name === 'custom')).toHaveLength(2);
  });

  it('exclude takes paths, /prefix/*, RegExps or a predicate; matched before routing', async () => {
    const routes = (app: express5.Express): void => {
      app.use((_req, res) => {
        res.send('ok');
      });
    };
    await using a = await harness(express, routes as never, {
      exclude: ['/healthz', '/internal/*', /^\/metrics/],
    });
    for (const p of [
      '/healthz',
      '/healthz/',
      '/healthz?x=1',
      '/internal',
      '/internal/a/b',
      '/metrics.json',
      '/kept',
    ]) {
      await a.fetch(p);
    }
    await a.fetch('/sentinel');
    await a.settle(2);
    expect(a.stats.metrics.filter((m) => m.name === 'http.request')).toHaveLength(2);
    await using b = await harness(express, routes as never, {
      exclude: (req) => req.headers['user-agent'] === 'kube-probe',
    });
    await b.fetch('/a', { headers: { 'user-agent': 'kube-probe' } });
    await b.fetch('/a');
    await b.fetch('/sentinel');
    await b.settle(2);
  });

  it('skipMethods replaces the default', async () => {
    await using h = await harness(
      express,
      (app) => {
        app.all('/x', (_req, res) => {
          res.send('ok');
        });
      },
      { skipMethods: ['HEAD'] },
    );
    await h.fetch('/x', { method: 'HEAD' });
    await h.fetch('/x', { method: 'OPTIONS' });
    await h.settle(1);
    expect(h.keys()).toEqual(['x OPTIONS']);
  });

  it('a custom key gets the matched template; a throwing one falls back (one warning)', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      await using h = await harness(
        express,
        (app) => {
          app.get('/v/:version/items/:id', (_req, res) => {
            res.send('ok');
          });
        },
        {
          key: (req, _res, route) => {
            if (req.query['boom'] !== undefined) throw new Error('boom');
            return route === undefined ? undefined : route.replace('/v/:version', '');
          },
        },
      );
      await h.fetch('/v/2/items/1');
      await h.fetch('/nope');
      await h.fetch('/v/3/items/1?boom');
      await h.fetch('/v/3/items/2?boom');
      await h.settle(4);
      expect(h.keys()).toEqual(['__unmatched__ GET', 'items._id GET', 'v._version.items._id GET']);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });

  it('passes prefix, tags, routeTags and statusGrouping to the recorder', async () => {
    await using h = await harness(
      express,
      (app) => {
        app.get('/a', (_req, res) => {
          res.status(201).send('ok');
        });
      },
      {
        prefix: 'web',
        tags: { svc: 'shop' },
        routeTags: (r) => (r.key === 'a' ? { team: 'x' } : undefined),
        statusGrouping: 'code',
        metrics: { aggregate: false },
      },
    );
    await h.fetch('/a');
    await vi.waitFor(() => expect(h.stats.metrics.length).toBeGreaterThan(0));
    h.middleware.recorder.flush();
    expect(h.stats.lines).toEqual([
      'web.view.a.GET:' + h.stats.metrics[0]?.value + '|ms|#svc:shop,team:x',
      'web.view.a.response.201:1|c|#svc:shop,team:x',
    ]);
  });

  it('context: requests run in a request context; true switches it on, false keeps it off', async () => {
    const handler = async (_req: unknown, res: { json(v: unknown): void }): Promise<void> => {
      await new Promise<void>((resolve) => setTimeout(resolve, 2));
      const ctx = currentRequest();
      ctx?.add('db', 3);
      res.json({ ctx: ctx !== undefined });
    };
    await using on = await harness(express, (app) => app.get('/c', handler as never), { context: true });
    await using off = await harness(express, (app) => app.get('/c', handler as never), { context: false });
    const [a, b] = await Promise.all([on.fetch('/c'), on.fetch('/c')]);
    expect([a.text_, b.text_]).toEqual(['{"ctx":true}', '{"ctx":true}']);
    expect((await off.fetch('/c')).text_).toBe('{"ctx":false}');
    await on.settle(2);
    expect(on.stats.metrics.filter((m) => m.name === 'http.view.c.db.count').map((m) => m.value)).toEqual([
      1, 1,
    ]);
  });

  it('each request of concurrent ones gets its own context totals', async () => {
    await using h = await harness(
      express,
      (app) => {
        app.get('/q/:n', async (req, res) => {
          const n = Number(req.params['n']);
          for (let i = 0; i < n; i++) {
            await new Promise<void>((resolve) => setTimeout(resolve, 1));
            currentRequest()?.add('db', 1);
          }
          res.send('ok');
        });
      },
      { context: true },
    );
    await Promise.all([1, 2, 3, 4, 5].map((n) => h.fetch(`/q/${n}`)));
    await h.settle(5);
    const counts = h.stats.metrics.filter((m) => m.name === 'http.view.q._n.db.count').map((m) => m.value);
    expect(counts.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('an error after the headers were sent keeps the status sent', async () => {
    await using h = await harness(express, (app) => {
      app.get('/partial', (_req, res, next) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part');
        setImmediate(() => next(new Error('late')));
      });
    });
    await h.fetch('/partial').catch(() => undefined);
    await h.settle(1);
    const names = h.names();
    expect(names).toContain('view.partial.response.200');
    expect(names).toContain('errors');
  });
});
