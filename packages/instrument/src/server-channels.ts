import dc from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Where a request ends, for every framework adapter, without a listener per request: node:http's
 * server channels (Node ≥ 20.19 has both). `http.server.request.start` is published when node:http
 * emits `request`; `http.server.response.finish` when the response has been handed to the socket in
 * full. A request that never finishes (the client went away, a connection timeout, `res.destroy()`)
 * is seen by one `close` listener per *socket*, added the first time the socket carries a measured
 * request (a keep-alive socket carries many). With pipelining only the latest request of a socket is
 * watched for a close; earlier unfinished ones are not reported.
 *
 * Subscribed once per process while anything uses it, unsubscribed when the last user releases it.
 */

const START = 'http.server.request.start';
const FINISH = 'http.server.response.finish';

interface ChannelMessage {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly server: Server;
}

/** Who finishes a tracked request: called once, when the response finished or its socket closed. */
export interface RequestOwner<S> {
  /** The request's response finished, or its socket closed first (then `res.writableFinished` is false). */
  finished(state: S, req: IncomingMessage, res: ServerResponse): void;
}

/** What is tracked per request: the owner that finishes it, and whether it has been. */
export interface TrackedRequest {
  /** Who finishes the request. */
  readonly owner: RequestOwner<never>;
  /** True once finished: a request is finished once. */
  done: boolean;
  /** Set (when the field exists) once the finish channel reported the response sent in full. */
  responded?: boolean;
}

/**
 * Request → state: a property on `req` under a symbol shared by every copy of this package (ESM and
 * CJS). Not a WeakMap: a profile of a Fastify hello-world had the garbage collector's ephemeron work
 * for a WeakMap entry per request at ~3 µs/req, more than everything else statskit does; a property
 * costs a hidden-class transition, a fraction of that.
 */
const kState = Symbol.for('statskit.instrument.requestState');
/** On a socket: the response it carries now (for `close`), and whether the listener is on. */
const kInflight = Symbol.for('statskit.instrument.inflight');
/**
 * On a socket, with {@link useStartChannel}: the request it carried last and `performance.now()` when
 * node:http emitted that request. On the socket, not the request: a number stored on the request made
 * each request's object slow to reshape when Express swapped its prototype (~6 µs/request in a Node 24
 * profile); the socket takes the property once per connection, and a plain store per request.
 */
const kStartReq = Symbol.for('statskit.instrument.startRequest');
const kStartAt = Symbol.for('statskit.instrument.startAt');
type WithState = { [kState]?: TrackedRequest | null };
type StartedSocket = { [kStartReq]?: object | null; [kStartAt]?: number };
type WatchedSocket = Socket & { [kInflight]?: ServerResponse | null };

const states = {
  get(req: object): TrackedRequest | undefined {
    return (req as WithState)[kState] ?? undefined;
  },
  set(req: object, state: TrackedRequest): void {
    (req as WithState)[kState] = state;
  },
};

function end(state: TrackedRequest, req: IncomingMessage, res: ServerResponse): void {
  state.done = true;
  try {
    (state.owner as RequestOwner<TrackedRequest>).finished(state, req, res);
  } catch {
    // never throw into node:http
  }
}

function onFinish(message: unknown): void {
  const { request, response } = message as ChannelMessage;
  const state = states.get(request);
  if (state === undefined || state.done) {
    const socket = request.socket as StartedSocket | null;
    if (socket !== null && socket[kStartReq] === request) socket[kStartReq] = null;
    return;
  }
  const socket = request.socket as (WatchedSocket & StartedSocket) | null;
  if (socket !== null) {
    if (socket[kInflight] === response) socket[kInflight] = null;
    // A finished request is not kept alive by its socket until the next one (the garbage collector
    // would have to promote every request of a keep-alive connection).
    if (socket[kStartReq] === request) socket[kStartReq] = null;
  }
  if (state.responded === false) state.responded = true;
  end(state, request, response);
}

/** The socket closed: the response it carried, if unfinished, ends now (a timed 499). */
function onSocketClose(this: WatchedSocket): void {
  const res = this[kInflight];
  if (res === undefined || res === null) return;
  this[kInflight] = null;
  const req = res.req;
  const state = req === undefined ? undefined : states.get(req);
  if (state !== undefined && !state.done) end(state, req, res);
}

/**
 * A process-wide subscription of `listener` to `channel`, made by the first hold and dropped with the
 * last: the function returned takes a hold and returns its (idempotent) release.
 */
function sharedSubscription(channel: string, listener: (message: unknown) => void): () => () => void {
  let users = 0;
  return () => {
    if (users++ === 0) dc.subscribe(channel, listener);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--users === 0) dc.unsubscribe(channel, listener);
    };
  };
}

/**
 * Whether another owner (a second middleware or plugin on the same request) already follows `req` and
 * has not finished it: then `req` is left to that owner, which must not lose its request.
 */
function heldByOther(req: object, state: TrackedRequest): boolean {
  const held = states.get(req);
  return held !== undefined && !held.done && held.owner !== state.owner;
}

/**
 * Follow `req` until its response finishes or its socket closes; then `state.owner.finished()` runs
 * once. Needs {@link useFinishChannel} to be held. Returns false, tracking nothing, when another owner
 * already follows `req` (the first one measures it).
 */
export function trackRequest(req: IncomingMessage, res: ServerResponse, state: TrackedRequest): boolean {
  if (heldByOther(req, state)) return false;
  states.set(req, state);
  const socket = req.socket as WatchedSocket | null;
  if (socket === null) return true;
  if (socket[kInflight] === undefined) socket.once('close', onSocketClose);
  socket[kInflight] = res;
  return true;
}

/** `res.on('finish' | 'close')` of {@link trackResponse}: the first one ends the request. */
function onResponseEnd(this: ServerResponse): void {
  const req = this.req;
  const state = req === undefined ? undefined : states.get(req);
  if (state !== undefined && !state.done) end(state, req, this);
}

/**
 * Follow a request that no server channel reports (Fastify's `inject()`, HTTP/2 compatibility
 * objects): listeners on its response, the one case that costs a listener per request.
 */
export function trackResponse(req: IncomingMessage, res: ServerResponse, state: TrackedRequest): boolean {
  if (heldByOther(req, state)) return false;
  states.set(req, state);
  res.on('finish', onResponseEnd);
  res.on('close', onResponseEnd);
  return true;
}

/** The state tracked for `req`, if any. */
export function trackedState<S extends TrackedRequest>(req: object): S | undefined {
  return states.get(req) as S | undefined;
}

const holdFinish = sharedSubscription(FINISH, onFinish);

/** Subscribe to the finish channel (once per process); the function returned releases it. */
export function useFinishChannel(): () => void {
  return holdFinish();
}

type StartListener = (req: IncomingMessage, res: ServerResponse) => void;
const starts = new Map<object, StartListener>();

function onStart(message: unknown): void {
  const m = message as ChannelMessage;
  const listener = starts.get(m.server);
  if (listener !== undefined) listener(m.request, m.response);
}

/**
 * `listener(req, res)` for every request `server` receives, from the start channel (subscribed once
 * per process). False when `server` already has a listener. Release with {@link offServerRequest}.
 */
export function onServerRequest(server: object, listener: StartListener): boolean {
  if (starts.has(server)) return false;
  if (starts.size === 0) dc.subscribe(START, onStart);
  starts.set(server, listener);
  return true;
}

/** Stop the listener of `server` (unsubscribing from the channel with the last one). */
export function offServerRequest(server: object, listener: StartListener): void {
  if (starts.get(server) !== listener) return;
  starts.delete(server);
  if (starts.size === 0) dc.unsubscribe(START, onStart);
}

/**
 * The start channel's listener of {@link useStartChannel}: the request's start time (on its socket), and
 * its state slot made while the request still has node:http's own shape. A property added later, after
 * a framework swapped the request's prototype (Express does), costs a slow hidden-class transition per
 * request on Node 20 (the largest statskit item in a profile of an Express hello-world); overwriting an
 * own property costs a store.
 */
function onAnyStart(message: unknown): void {
  const req = (message as ChannelMessage).request;
  (req as WithState)[kState] = null;
  const socket = req.socket as (Socket & StartedSocket) | null;
  if (socket === null) return;
  socket[kStartReq] = req;
  socket[kStartAt] = performance.now();
}

const holdStart = sharedSubscription(START, onAnyStart);

/**
 * Subscribe to `http.server.request.start` for every server (once per process while anything holds it):
 * every request gets its start time ({@link requestStart}) and its state slot when node:http emits it.
 * The function returned releases it.
 */
export function useStartChannel(): () => void {
  return holdStart();
}

/**
 * `performance.now()` when node:http emitted `req` (from {@link useStartChannel}), or undefined when no
 * start channel saw it (the channel is not held, `inject()`, HTTP/2 compatibility objects) or a later
 * request on its socket was emitted since (HTTP pipelining).
 */
export function requestStart(req: IncomingMessage): number | undefined {
  const socket = req.socket as (Socket & StartedSocket) | null | undefined;
  if (socket === null || socket === undefined || socket[kStartReq] !== req) return undefined;
  return socket[kStartAt];
}
