import { Worker } from 'node:worker_threads';

// `node --import tsx bench/wake-cost.ts`: what handing a message to another thread costs the sender, when that
// thread is asleep and when it is already awake. A request that crosses to a worker and back pays the first
// twice; on a virtual machine a sleeping thread is woken through the hypervisor (bench/measurements.md, "the
// read load at serve's default").

const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   parentPort.on('message', (m) => { if (m.reply) parentPort.postMessage(1); });`,
  { eval: true },
);
const body = 'x'.repeat(4000); // about a DUIS request
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
await sleep(300);

/** The sender's CPU and wall time per postMessage to a worker that has gone idle (it answers each before the next). */
async function toSleeping(gapMs: number, n: number): Promise<{ cpuUs: number; wallUs: number }> {
  let cpu = 0;
  let wall = 0;
  for (let i = 0; i < n; i++) {
    await sleep(gapMs); // long enough for the worker to block in its event loop
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    worker.postMessage({ body, reply: true });
    wall += performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1000;
    await new Promise((r) => worker.once('message', r));
  }
  return { cpuUs: (1000 * cpu) / n, wallUs: (1000 * wall) / n };
}

const rows: string[] = [];
for (const gap of [2, 0]) {
  const r = await toSleeping(gap, 500);
  rows.push(`| to a sleeping worker, ${gap} ms between | ${r.cpuUs.toFixed(1)} | ${r.wallUs.toFixed(1)} |`);
}
{
  const n = 5000;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) worker.postMessage({ body, reply: false }); // the worker is awake draining them
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  rows.push(`| back to back (the worker awake) | ${(((c.user + c.system) / 1000 / n) * 1000).toFixed(1)} | ${((wall / n) * 1000).toFixed(1)} |`);
}
await worker.terminate();
console.log('| postMessage of a 4 kB string | sender CPU µs | sender wall µs |\n|---|---|---|');
console.log(rows.join('\n'));
