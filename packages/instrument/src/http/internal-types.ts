/**
 * Internal: the parts of undici's dispatcher API the interceptor touches, typed structurally so the
 * package never imports undici at run time (it is an optional peer).
 */

/** What undici 7 calls a `DispatchController`: opaque here, passed through. */
export type Controller = object;

/** The handler API of undici 7 (`onRequestStart` … `onResponseError`). */
export interface ModernHandler {
  onRequestStart?(controller: Controller, context: unknown): void;
  onRequestUpgrade?(controller: Controller, statusCode: number, headers: unknown, socket: unknown): void;
  onResponseStart?(
    controller: Controller,
    statusCode: number,
    headers: unknown,
    statusMessage?: string,
  ): void;
  onResponseData?(controller: Controller, chunk: unknown): void;
  onResponseEnd?(controller: Controller, trailers: unknown): void;
  onResponseError?(controller: Controller, error: unknown): void;
}

/** The handler API of undici 6 (still accepted by undici 7, deprecated there). */
export interface LegacyHandler {
  onConnect?(abort: (err?: Error) => void, context?: unknown): void;
  onError?(err: Error): void;
  onUpgrade?(statusCode: number, headers: unknown, socket: unknown): void;
  onResponseStarted?(): void;
  onHeaders?(statusCode: number, headers: unknown, resume: () => void, statusText: string): boolean;
  onData?(chunk: unknown): boolean;
  onComplete?(trailers: unknown): void;
  onBodySent?(chunkSize: number, totalBytesSent: number): void;
  onRequestSent?(): void;
}
