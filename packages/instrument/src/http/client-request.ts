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

/**
 * One followed request. The listeners below are shared functions that find it through `this`
 * (`req`, or `res.req`): nothing is allocated per call but this record, no closure and no `once`
 * wrapper (ending twice is harmless: the call records once). A profile of a keep-alive loop had the
 * five per-call closures and `once` wrappers as the largest part of the instrumentation's own cost.
 */
class RequestCall {
  readonly call: HttpCall;
  watching = false;

  constructor(call: HttpCall) {
    this.call = call;
  }
}

type ClientResponse = IncomingMessage & { req?: ClientRequest };

/** `Host` header (what the server sees, port included when not the default), else `req.host`. */
function hostOf(req: ClientRequest): string {
  const header = req.getHeader('host');
  if (typeof header === 'string' && header !== '') return header;
  return typeof req.host === 'string' ? req.host : '';
}

function callOf(res: ClientResponse): HttpCall | undefined {
  const req = res.req;
  return req === undefined ? undefined : followed.get(req)?.call;
}

function onResponseEnd(this: ClientResponse): void {
  callOf(this)?.ok(this.statusCode ?? 0);
}

function onResponseError(this: ClientResponse, err: unknown): void {
  callOf(this)?.fail(err);
}

function onResponseClose(this: ClientResponse): void {
  const call = callOf(this);
  if (call === undefined || call.done) return;
  if (this.complete) call.ok(this.statusCode ?? 0);
  else call.fail(this.errored ?? ABORTED);
}

function onRequestError(this: ClientRequest, err: unknown): void {
  followed.get(this)?.call.fail(err);
}

function onRequestClose(this: ClientRequest): void {
  const state = followed.get(this);
  if (state === undefined || state.call.done) return;
  // `req.res` is set by node:http as soon as the response headers are parsed (not in @types/node)
  const res = (this as ClientRequest & { res?: IncomingMessage | null }).res;
  if (res === null || res === undefined) state.call.fail(ABORTED);
  else if (res.complete) state.call.ok(res.statusCode ?? 0);
  // closed before the body ended (a mid-body reset): the response's error or close follows
  else watchResponse(state, res);
}

/** Follow `res` to its end (once per request). */
function watchResponse(state: RequestCall, res: IncomingMessage): void {
  if (state.watching || state.call.done) return;
  state.watching = true;
  res.on('end', onResponseEnd);
  res.on(errorMonitor, onResponseError);
  res.on('close', onResponseClose);
}

/** Start following `req`, unless something already does. Returns whether this call started it. */
export function followRequest(stats: HttpClientStats, req: ClientRequest): boolean {
  if (followed.has(req)) return false;
  followed.set(req, new RequestCall(stats.begin(hostOf(req), req.method)));
  req.on(errorMonitor, onRequestError);
  req.on('close', onRequestClose);
  return true;
}

/** Whether `req` is followed (by any instrumentation). */
export function isFollowed(req: ClientRequest): boolean {
  return followed.has(req);
}
