import { errorMonitor } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { HttpCall, HttpClientStats } from './call-stats.js';

/**
 * Internal: follows one node:http `ClientRequest` to its end, for the diagnostics-channel subscriber and
 * the Agents. Only listeners that change nothing for the app are added: `errorMonitor` (an error with no
 * app listener still throws), `close` and `end` (neither starts the body flowing). No `response`
 * listener: one would stop Node from discarding a response the app ignores.
 *
 * The call ends at the first of: the response's `end` (body read to its end: `ok(status)`), an error on
 * the request or the response, or `close` without a complete response (`ABORTED`).
 */

/** Requests already followed, by whichever instrumentation saw them first (so none is counted twice). */
const followed = new WeakMap<ClientRequest, RequestCall>();

const ABORTED = Object.freeze({ code: 'ABORT_ERR' });

class RequestCall {
  readonly call: HttpCall;
  watching = false;

  constructor(call: HttpCall) {
    this.call = call;
  }
}

/** `Host` header (what the server sees, port included when not the default), else `req.host`. */
function hostOf(req: ClientRequest): string {
  const header = req.getHeader('host');
  if (typeof header === 'string' && header !== '') return header;
  return typeof req.host === 'string' ? req.host : '';
}

/** Follow `res` to its end (once per request). */
function watchResponse(state: RequestCall, res: IncomingMessage): void {
  if (state.watching || state.call.done) return;
  state.watching = true;
  const { call } = state;
  res.once('end', () => call.ok(res.statusCode ?? 0));
  res.on(errorMonitor, (err: unknown) => call.fail(err));
  res.once('close', () => {
    if (call.done) return;
    if (res.complete) call.ok(res.statusCode ?? 0);
    else call.fail(res.errored ?? ABORTED);
  });
}

/** Start following `req`, unless something already does. Returns whether this call started it. */
export function followRequest(stats: HttpClientStats, req: ClientRequest): boolean {
  if (followed.has(req)) return false;
  const state = new RequestCall(stats.begin(hostOf(req), req.method));
  followed.set(req, state);
  req.on(errorMonitor, (err: unknown) => state.call.fail(err));
  req.once('close', () => {
    if (state.call.done) return;
    // `req.res` is set by node:http as soon as the response headers are parsed (not in @types/node)
    const res = (req as ClientRequest & { res?: IncomingMessage | null }).res;
    if (res === null || res === undefined) state.call.fail(ABORTED);
    else if (res.complete) state.call.ok(res.statusCode ?? 0);
    // closed before the body ended (a mid-body reset): the response's error or close follows
    else watchResponse(state, res);
  });
  return true;
}

/** The response of a followed request has arrived (from `http.client.response.finish`). */
export function responseArrived(req: ClientRequest, res: IncomingMessage): void {
  const state = followed.get(req);
  if (state !== undefined) watchResponse(state, res);
}

/** Whether `req` is followed (by any instrumentation). */
export function isFollowed(req: ClientRequest): boolean {
  return followed.has(req);
}
