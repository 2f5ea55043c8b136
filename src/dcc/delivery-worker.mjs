// Entry of the outbox's posting thread (delivery-thread.ts): POSTs asynchronous responses to the parties'
// receivers, so that the HTTP client's work (sockets, headers, the receiver's answer) is not the serving
// thread's. It only posts and says how each went: which rows are due, retries and marking rows delivered
// stay with the outbox on the main thread, the world's single writer.
// Plain JavaScript: it needs node:http and nothing of the project's TypeScript.
import { parentPort } from 'node:worker_threads';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

// Keep-alive agents per outbox (each served world has its own), closed when that outbox stops. No socket
// limit per host: the outbox's own per-party limit bounds them.
const agents = new Map();
const agentsOf = (owner) => {
  let a = agents.get(owner);
  if (!a) agents.set(owner, (a = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) }));
  return a;
};
const attempts = new Map(); // n → AbortController

// Results go back once per turn of this thread's event loop, in one message.
let results = [];
let flushing = false;
const report = (result) => {
  results.push(result);
  if (flushing) return;
  flushing = true;
  setImmediate(() => {
    flushing = false;
    parentPort.postMessage({ kind: 'done', results });
    results = [];
  });
};

function post(m) {
  const attempt = new AbortController();
  attempts.set(m.n, attempt);
  const finish = (status, error) => {
    if (!attempts.delete(m.n)) return; // cancelled: the outbox has given up on it already
    report(error === undefined ? [m.n, status] : [m.n, 0, error]);
  };
  let target;
  try {
    target = new URL(m.url);
  } catch {
    return finish(0, `'${m.url}' is not a URL`);
  }
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') return finish(0, `'${m.url}' is not an http or https URL`);
  const payload = Buffer.from(m.body, 'utf8');
  const req = (secure ? httpsRequest : httpRequest)(
    target,
    { method: 'POST', agent: secure ? agentsOf(m.owner).https : agentsOf(m.owner).http, headers: { ...m.headers, 'content-length': String(payload.length) }, signal: attempt.signal },
    (res) => {
      res.on('error', (e) => finish(0, e.message));
      res.on('end', () => finish(res.statusCode ?? 0));
      res.on('close', () => {
        if (!res.complete) finish(0, 'the answer was cut off');
      });
      res.resume(); // the answer's body is not needed
    },
  );
  req.on('error', (e) => finish(0, e.message));
  req.end(payload);
}

// The main thread sends its messages in batches, one per task of its own (delivery-thread.ts), in order.
parentPort.on('message', (batch) => {
  for (const m of batch.messages) handle(m);
});

function handle(m) {
  if (m.kind === 'post') post(m);
  else if (m.kind === 'cancel') {
    const a = attempts.get(m.n);
    attempts.delete(m.n);
    a?.abort();
  } else if (m.kind === 'close') {
    const a = agents.get(m.owner);
    agents.delete(m.owner);
    a?.http.destroy();
    a?.https.destroy();
  }
}
