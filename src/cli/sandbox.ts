import type { Command } from 'commander';
import { WorldError } from '../world/index.ts';
import type { SandboxInfo } from '../sandboxes/index.ts';
import { jsonOption, out } from './options.ts';
import { table } from './output.ts';

// `sandbox new|list|reset|drop`: training sandboxes of the world a running dcc-sim serves, through
// its JSON API (POST /api/sandboxes ...; the admin token from DCC_SIM_ADMIN_TOKEN when it needs one).

/** What the server answers for a sandbox (its JSON API). */
export type SandboxAnswer = SandboxInfo;

const urlOption = (c: Command) => c.option('--url <url>', 'the running dcc-sim (`dcc-sim serve`) whose world the sandboxes copy', 'http://127.0.0.1:8079');

/** A call to the server's sandbox API; a refusal is a WorldError with the server's sentence. */
export async function sandboxApi<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const base = url.replace(/\/$/, '');
  const token = process.env.DCC_SIM_ADMIN_TOKEN;
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (err) {
    throw new WorldError('no-server', `no dcc-sim answers at ${base} (${(err as Error).message}); start one with \`dcc-sim serve --db FILE\` or give --url`);
  }
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as T & { error?: string }) : (null as T);
  if (!res.ok) throw new WorldError('sandbox', `the DCC at ${base} refused: ${(parsed as { error?: string } | null)?.error ?? `HTTP ${res.status}`}`);
  return parsed;
}

const describe = (s: SandboxAnswer, url: string) =>
  [`sandbox ${s.id} (${s.name})`, `  DUIS:  ${url.replace(/\/$/, '')}${s.baseUrl}/api/v1/serviceS|T|D`, `  API:   ${url.replace(/\/$/, '')}${s.baseUrl}/api/...`, `  clock: ${s.clock}`, `  file:  ${s.file}`].join('\n');

export function registerSandbox(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description("training sandboxes: private copies of a running dcc-sim's world, each with its own clock, served under /sandboxes/ID/");

  urlOption(sandbox.command('new').description('copy the served world into a new sandbox and print where to reach it'))
    .option('--name <name>', 'what it is for (shown in the console), e.g. "trainee 3"')
    .addOption(jsonOption())
    .action(async (o: { url: string; name?: string; json?: boolean }) => {
      const s = await sandboxApi<SandboxAnswer>(o.url, 'POST', '/api/sandboxes', o.name !== undefined ? { name: o.name } : {});
      out(o.json, s, () => describe(s, o.url));
    });

  urlOption(sandbox.command('list').description('the sandboxes of the served world'))
    .addOption(jsonOption())
    .action(async (o: { url: string; json?: boolean }) => {
      const list = await sandboxApi<SandboxAnswer[]>(o.url, 'GET', '/api/sandboxes');
      out(o.json, list, () => (list.length ? table([['ID', 'NAME', 'CREATED', 'CLOCK', 'BASE URL'], ...list.map((s) => [s.id, s.name, s.createdAt, s.clock, s.baseUrl])]) : 'no sandboxes'));
    });

  urlOption(sandbox.command('reset').argument('<id>', 'the sandbox (`dcc-sim sandbox list` names them)').description('put a sandbox back as it was made: devices, request log, mailboxes and clock'))
    .addOption(jsonOption())
    .action(async (id: string, o: { url: string; json?: boolean }) => {
      const s = await sandboxApi<SandboxAnswer>(o.url, 'POST', `/api/sandboxes/${encodeURIComponent(id)}/reset`, {});
      out(o.json, s, () => `reset: ${describe(s, o.url)}`);
    });

  urlOption(sandbox.command('drop').argument('<id>', 'the sandbox (`dcc-sim sandbox list` names them)').description('remove a sandbox and its files'))
    .addOption(jsonOption())
    .action(async (id: string, o: { url: string; json?: boolean }) => {
      await sandboxApi(o.url, 'DELETE', `/api/sandboxes/${encodeURIComponent(id)}`);
      out(o.json, { dropped: id }, () => `dropped sandbox ${id}`);
    });
}
