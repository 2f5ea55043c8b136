/**
 * Something that may be given up on: a delivery attempt (its timeout, or the outbox stopping), a request whose client
 * went away. Not an AbortController: node 20's AbortSignal, made once per request or delivery, was promoted by every
 * young collection (bench/young-survivors.ts). An AbortSignal of it is made only when asked for, by what takes one
 * (node:http, for a post made on the main thread).
 */
export class Cancellation {
  aborted = false;
  reason: Error | undefined;
  private listeners: (() => void)[] | undefined;
  private controller: AbortController | undefined;

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const f of listeners ?? []) f();
  }

  /** Calls `f` once if it is given up on; returns the way to stop listening. */
  onAbort(f: () => void): () => void {
    (this.listeners ??= []).push(f);
    return () => {
      const at = this.listeners?.indexOf(f) ?? -1;
      if (at >= 0) this.listeners!.splice(at, 1);
    };
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}
