import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../../src/server.ts';
import { World } from '../../src/world/world.ts';
import { demoWorldFile } from '../helpers/gateway.ts';
import { inventoryXml, pickDevice, signAs } from '../helpers/gateway-requests.ts';
import { spawnServer, type ChildServer } from './kit.ts';

// Mutual TLS on the DUIS listener: --tls-cert/--tls-key serve HTTPS; with --tls-ca a client must
// present a certificate that CA issued, or the handshake fails. Certificates are made with openssl
// in a temporary directory: a CA, the server's (SAN IP:127.0.0.1), a client of that CA, and a
// client of another CA.

let dir = '';
let file = '';
const pem = (name: string) => readFileSync(path.join(dir, name));
let inventory: () => string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=dcc-sim test ${name}`);
}

function makeLeaf(name: string, ca: string, ext: string): void {
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

interface Reply {
  status: number;
  code: string;
  body: string;
}

/** A request over HTTPS trusting the test CA, as a client with (or without) a certificate. */
function httpsPost(port: number, pathName: string, body: string | undefined, client?: 'client' | 'stranger'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: pathName,
        method: body === undefined ? 'GET' : 'POST',
        ca: pem('ca.crt'),
        ...(client ? { cert: pem(`${client}.crt`), key: pem(`${client}.key`) } : {}),
        headers: body === undefined ? {} : { 'content-type': 'application/xml' },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, code: String(res.headers['x-dcc-sim-response-code'] ?? ''), body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-tls-'));
  makeCa('ca');
  makeCa('other-ca');
  makeLeaf('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  makeLeaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  makeLeaf('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  file = demoWorldFile();
  const w = World.open(file);
  const esme = pickDevice(w, 'ESME', (d) => d.status === 'Commissioned');
  let counter = 1000n;
  // signing needs the world's keys; take what is needed and close it
  const xmls = Array.from({ length: 6 }, () => signAs(w, esme.supplier, inventoryXml(esme.supplier, esme.mpxn!, ++counter)));
  w.close();
  inventory = () => xmls.shift()!;
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
});

describe('mutual TLS on the DUIS listener', () => {
  let server: RunningServer;
  let port = 0;
  beforeAll(async () => {
    server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false, tls: { cert: pem('server.crt'), key: pem('server.key'), ca: pem('ca.crt') } });
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves HTTPS and answers a client holding a certificate from the CA', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await httpsPost(port, '/api/v1/serviceD', inventory(), 'client');
    expect(r.status).toBe(200);
    expect(r.code).toBe('I0');
    expect((await httpsPost(port, '/api/health', undefined, 'client')).status).toBe(200);
  });

  it('refuses a client without a certificate during the handshake', async () => {
    await expect(httpsPost(port, '/api/v1/serviceD', inventory())).rejects.toThrow(/certificate|socket hang up|ECONNRESET|alert/i);
  });

  it('refuses a client whose certificate another CA issued', async () => {
    await expect(httpsPost(port, '/api/v1/serviceD', inventory(), 'stranger')).rejects.toThrow(/certificate|unknown ca|socket hang up|ECONNRESET|alert/i);
  });

  it('does not speak plain HTTP on the TLS port', async () => {
    await expect(fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status)).rejects.toThrow();
  });
});

describe('dcc-sim serve --tls-cert --tls-key --tls-ca', () => {
  let child: ChildServer | undefined;
  afterAll(async () => {
    await child?.kill('SIGTERM');
  });

  it('wires the flags: HTTPS with client certificates required', async () => {
    child = await spawnServer(file, {
      extra: ['--tls-cert', path.join(dir, 'server.crt'), '--tls-key', path.join(dir, 'server.key'), '--tls-ca', path.join(dir, 'ca.crt')],
      quiet: true,
      ready: async (port) => (await httpsPost(port, '/api/health', undefined, 'client')).status === 200,
    });
    expect(child.stderr()).toMatch(/https:\/\/127\.0\.0\.1/);
    expect(child.stderr()).toMatch(/mutual TLS/);
    const ok = await httpsPost(child.port, '/api/v1/serviceD', inventory(), 'client');
    expect(ok.code).toBe('I0');
    await expect(httpsPost(child.port, '/api/v1/serviceD', inventory())).rejects.toThrow();
  }, 90_000);

  it('without --tls-ca: HTTPS, no client certificate needed', async () => {
    const s = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false, tls: { cert: pem('server.crt'), key: pem('server.key') } });
    try {
      const r = await httpsPost(Number(new URL(s.url).port), '/api/v1/serviceD', inventory());
      expect(r.status).toBe(200);
      expect(r.code).toBe('I0');
    } finally {
      await s.close();
    }
  });
});
