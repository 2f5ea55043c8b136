import { Worker } from 'node:worker_threads';
import type { Cancellation } from './cancellation.ts';
import { ReleasingMap } from './releasing.ts';

// The outbox's HTTP posts, made on a thread of their own (delivery-worker.mjs). Under the read load the
// HTTP client was about a fifth of the serving thread's outbox work per delivery (bench/measurements.md):
// posting here, the main thread only hands over the body and takes the status back, in one message
// per turn for all the posts that finished (and the posts go to it in one message per task). One thread per process, shared by the served worlds'
// outboxes (each keeps its own keep-alive sockets there), started with the first outbox (not at its first
// post, which would then wait for the thread to start).
//
// If the thread cannot start or dies, the posts it held are made again on the main thread, and so are
// all later ones: a delivery is never lost or failed for the thread's sake.

const WORKER_ENTRY = new URL('./delivery-worker.mjs', import.meta.url);

export type Post = (url: string, body: string, headers: Record<string, string>, attempt: Cancellation) => Promise<{ status: number }>;

interface Waiting {
  args: Parameters<Post>;
  inThread: Post;
  resolve: (r: { status: number }) => void;
  reject: (e: Error) => void;
  stopListening: () => void;
}

class DeliveryThread {
  private worker?: Worker;
  private gone = false;
  private next = 1;
  private readonly waiting = new ReleasingMap<number, Waiting>();
  // Messages for the thread go in one postMessage per task (a run of the outbox starts all its due posts in
  // one): each message woke the thread, a context switch on a loaded machine, and postMessage was ~7% of the
  // serving thread's handover time (bench/measurements.md, issue 20). Queued in order, so a cancel never
  // overtakes its post.
  private outgoing: object[] = [];

  private send(m: object): void {
    this.outgoing.push(m);
    if (this.outgoing.length === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const messages = this.outgoing;
    this.outgoing = [];
    // gone meanwhile: lost() has taken the posts waiting back to the main thread
    if (messages.length) this.worker?.postMessage({ kind: 'batch', messages });
  }

  /** Posts on the thread; `inThread` is how the same post is made on the main thread if the thread is gone. */
  post(owner: number, inThread: Post, ...args: Parameters<Post>): Promise<{ status: number }> {
    const [url, body, headers, attempt] = args;
    const worker = this.gone ? undefined : this.start();
    if (!worker) return inThread(...args);
    if (attempt.aborted) return Promise.reject(attempt.reason ?? new Error('aborted'));
    const n = this.next++;
    return new Promise((resolve, reject) => {
      // Abandoned (its timeout, or the outbox stopping): answered at once, as an abandoned request on
      // the main thread is; the thread drops the request and its late result is ignored.
      const onAbort = () => {
        if (!this.waiting.delete(n)) return;
        this.send({ kind: 'cancel', n });
        reject(attempt.reason ?? new Error('aborted'));
      };
      this.waiting.set(n, { args, inThread, resolve, reject, stopListening: attempt.onAbort(onAbort) });
      this.send({ kind: 'post', n, owner, url, body, headers });
    });
  }

  /** Starts the thread, if it is not running (or gone). */
  warm(): void {
    if (!this.gone) this.start();
  }

  /** An outbox stopped: its keep-alive sockets are closed. */
  close(owner: number): void {
    if (this.worker) this.send({ kind: 'close', owner });
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    try {
      const worker = new Worker(WORKER_ENTRY);
      worker.on('message', (m: { kind: 'done'; results: [number, number, string?][] }) => {
        for (const [n, status, error] of m.results) {
          const w = this.waiting.get(n);
          if (!w) continue; // abandoned meanwhile
          this.waiting.delete(n);
          w.stopListening();
          if (error === undefined) w.resolve({ status });
          else w.reject(new Error(error));
        }
      });
      worker.on('error', () => this.lost());
      worker.on('exit', () => this.lost());
      // after the listeners (a 'message' listener refs the port again): the outbox's own timers keep a
      // process alive while a post is waiting, the thread must not keep it alive after
      worker.unref();
      this.worker = worker;
      return worker;
    } catch {
      this.gone = true;
      return undefined;
    }
  }

  private lost(): void {
    if (this.gone) return;
    this.gone = true;
    this.worker = undefined;
    this.outgoing = [];
    const held = this.waiting.values();
    this.waiting.clear();
    for (const w of held) {
      w.stopListening();
      w.inThread(...w.args).then(w.resolve, w.reject);
    }
  }
}

const shared = new DeliveryThread();
let owners = 0;

/** A handle on the shared posting thread for one outbox. */
export function deliveryThread(): { start: () => void; post: (inThread: Post, ...args: Parameters<Post>) => Promise<{ status: number }>; close: () => void } {
  const owner = ++owners;
  return { start: () => shared.warm(), post: (inThread, ...args) => shared.post(owner, inThread, ...args), close: () => shared.close(owner) };
}
