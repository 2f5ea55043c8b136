import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/index.ts';
import { expectOk, openReadonly, REPO, runCliAsync, scratchDir } from '../helpers/world-cli.ts';
import { spawnServer, type ChildServer } from '../resilience/kit.ts';

// The command line as a person meets it (issue 18 item 7): every command, argument and option says
// what it is; enumerated options name their values; a listing piped into `head` ends quietly; `serve`
// logs requests only when asked (one JSON line each), names the console in its banner and says to
// give --port when the port is taken.

const scratch = scratchDir('dcc-sim-cli-polish-');
const worldFile = join(scratch.dir, 'world.db');

beforeAll(async () => {
  // 300 premises: a device listing of some 80 KB, more than a pipe holds, so `head` closes it mid-write
  expectOk(await runCliAsync(['seed', '--db', worldFile, '--premises', '300', '--seed', 'polish', '--at', '2026-11-01T00:00:00Z']));
}, 120_000);

afterAll(() => scratch.cleanup());

describe('help', () => {
  it('every command, argument and option has a description', () => {
    const missing: string[] = [];
    const walk = (cmd: Command, path: string) => {
      if (!cmd.description()) missing.push(`command '${path}'`);
      for (const a of cmd.registeredArguments) if (!a.description) missing.push(`argument <${a.name()}> of '${path}'`);
      for (const o of cmd.options) if (!o.description) missing.push(`option ${o.flags} of '${path}'`);
      for (const sub of cmd.commands) walk(sub, `${path} ${sub.name()}`);
    };
    const program = buildProgram();
    walk(program, 'dcc-sim');
    expect(missing).toEqual([]);
    // and the walk saw the whole program, not an empty one
    expect(program.commands.map((c) => c.name())).toEqual(expect.arrayContaining(['seed', 'devices', 'serve', 'send', 'report', 'inbox']));
  });

  it('an enumerated option refuses a value it does not have, naming the ones it has', async () => {
    const [kind, inbox] = await Promise.all([
      runCliAsync(['certs', 'list', '--kind', 'Bogus', '--db', worldFile]),
      runCliAsync(['inbox', '--as', '90-B3-D5-1F-30-00-00-02', '--kind', 'Bogus', '--db', worldFile]),
    ]);
    expect(kind.code).not.toBe(0);
    expect(kind.stderr).toMatch(/'Bogus' is invalid\. Allowed choices are root, issuing-ca, device-ca, organisation, xml-signing, device/);
    expect(inbox.code).not.toBe(0);
    expect(inbox.stderr).toMatch(/'Bogus' is invalid\. Allowed choices are response, device-alert, dcc-alert/);
    expect(kind.stdout + inbox.stdout).toBe('');
  });
});

describe('devices list --dcc-controlled', () => {
  it("lists exactly the devices whose supplier DS cell holds the Access Control Broker's certificate", async () => {
    const r = JSON.parse(expectOk(await runCliAsync(['devices', 'list', '--dcc-controlled', '--limit', '100000', '--json', '--db', worldFile])).stdout) as { total: number; devices: { eui: string; status: string }[] };
    const db = openReadonly(worldFile);
    let truth: string[];
    try {
      truth = (
        db.prepare(
          `SELECT d.eui FROM devices d JOIN device_security x ON x.device_eui = d.eui JOIN certificates c ON c.id = x.supplier_ds
             JOIN parties p ON p.eui = c.subject_eui WHERE p.name = 'DCC (Access Control Broker)' ORDER BY d.eui`,
        ).all() as { eui: string }[]
      ).map((x) => x.eui);
    } finally {
      db.close();
    }
    expect(truth.length).toBeGreaterThan(0);
    expect(r.devices.map((d) => d.eui)).toEqual(truth);
    expect(r.total).toBe(truth.length);
  });
});

describe('report post-commissioning for one supplier', () => {
  it("prints the supplier's own report: what it answers for, overdue devices and those still due, soonest first", async () => {
    const at = '2026-11-03T12:00:00Z'; // two days after the seed: some devices are still in their window
    const whole = JSON.parse(expectOk(await runCliAsync(['report', 'post-commissioning', '--db', worldFile, '--at', at, '--format', 'json', '--limit', '0'])).stdout) as {
      bySupplier: { eui: string; name: string; nonCompliant: number; pending: number }[];
    };
    const supplier = [...whole.bySupplier].sort((a, b) => b.pending - a.pending || b.nonCompliant - a.nonCompliant)[0]!;
    expect(supplier.pending).toBeGreaterThan(0);
    const text = expectOk(await runCliAsync(['report', 'post-commissioning', '--db', worldFile, '--at', at, '--supplier', supplier.eui, '--limit', '1000'])).stdout;
    expect(text).toMatch(new RegExp(`^Post-commissioning report for supplier ${supplier.name.replace(/[()]/g, '\\$&')} \\(${supplier.eui}\\)`));
    expect(text).toContain("The supplier places the registered network operator's certificates in their network operator cells within 7 days of commissioning");
    expect(text).toContain(`OVERDUE: non-compliant after day 7 (${supplier.nonCompliant})`);
    expect(text).toContain(`DUE: not compliant yet, still within the window, soonest first (${supplier.pending})`);
    const section = (title: string) => text.split(title)[1]!.split('\n\n')[0]!.split('\n').slice(2);
    const due = section('\nDUE: ').map((l) => l.split(/\s+/));
    expect(due).toHaveLength(supplier.pending);
    const dates = due.map((cols) => cols[0]!);
    expect(dates).toEqual([...dates].sort());
    for (const d of dates) expect(d >= '2026-11-03').toBe(true);
    expect(section('\nOVERDUE: ')).toHaveLength(supplier.nonCompliant);
  });
});

describe('output into a pipe that closes early', () => {
  it('`dcc-sim devices list | head -1` prints the header and ends quietly: no EPIPE, exit 0', async () => {
    const child = spawn('bash', ['-c', `node bin/dcc-sim.mjs devices list --db "${worldFile}" --limit 100000 | head -1; echo "dcc-sim exit \${PIPESTATUS[0]}" >&2`], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await new Promise((r) => child.on('close', r));
    expect(stdout).toMatch(/^EUI\s+TYPE\s+STATUS/);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|Error/);
    expect(stderr.trim()).toBe('dcc-sim exit 0');
  }, 60_000);
});

describe('serve', () => {
  let server: ChildServer | undefined;
  afterAll(async () => server?.kill());

  const jsonLines = (text: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; url?: string; method?: string; statusCode?: number; ms?: number });

  it('logs no request by default and names the console URL in its banner; a second one on its port is refused with the hint to give --port', async () => {
    server = await spawnServer(worldFile, { log: 'events', extra: ['--workers', '0'] });
    for (const p of ['/api/clock', '/api/services', '/api/console/world']) expect((await fetch(`${server.url}${p}`)).status).toBe(200);
    const second = await runCliAsync(['serve', '--db', worldFile, '--port', String(server.port), '--no-smki', '--quiet', '--workers', '0']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/EADDRINUSE.*give --port PORT/);
    await server.kill('SIGTERM');
    expect(server.stderr()).toContain(`dcc-sim console on ${server.url}/`);
    const lines = jsonLines(server.stdout());
    expect(lines.length, 'the server still logs its own events').toBeGreaterThan(0);
    expect(lines.filter((l) => l.url !== undefined || /request/i.test(l.msg ?? ''))).toEqual([]);
  }, 60_000);

  it('with --log-requests writes exactly one JSON line per request answered', async () => {
    server = await spawnServer(worldFile, { quiet: false, extra: ['--workers', '0'] });
    const paths = ['/api/clock', '/api/services', '/api/console/world', '/api/no-such-route'];
    for (const p of paths) await (await fetch(`${server.url}${p}`)).text();
    await server.kill('SIGTERM');
    // (less the readiness probes on /api/health)
    const logged = jsonLines(server.stdout()).filter((l) => l.msg === 'request' && l.url !== '/api/health');
    expect(logged.map((l) => [l.method, l.url, l.statusCode])).toEqual([
      ['GET', '/api/clock', 200],
      ['GET', '/api/services', 200],
      ['GET', '/api/console/world', 200],
      ['GET', '/api/no-such-route', 404],
    ]);
    for (const l of logged) expect(l.ms).toBeTypeOf('number');
    // and no other line about a request (Fastify's own 'incoming request' / 'request completed')
    expect(jsonLines(server.stdout()).filter((l) => l.url !== undefined && l.msg !== 'request')).toEqual([]);
  }, 60_000);
});
