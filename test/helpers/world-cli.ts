// Shared helpers for the world/CLI suites: run the real command line as a child process, make
// scratch directories, hash files, and dump a world file's tables for comparison.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

/** The repository root (the CLI runs with this as its working directory). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** `../shared` beside the repository: reference data (DUIS templates, RTDS vectors). */
export const SHARED = resolve(REPO, '..', 'shared');
export const KEYSTORE_JSON = join(REPO, 'node_modules', '@smartdcc', 'dccboxed-keystore', 'keystore.json');
/** A DUIS template whose CertificationPathCertificates carry the ZAZ1 Z1 issuing CA. */
export const ZAZ1_ISSUING_CA_TEMPLATE = join(SHARED, 'duis', 'CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** wall-clock milliseconds the process took */
  ms: number;
}

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // No debug stack traces, no colours: stderr should be exactly what a user sees.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
  delete env.DCC_SIM_DEBUG;
  return env;
}

/** Runs `node bin/dcc-sim.mjs ...args` in the repository root and waits for it (blocking). */
export function runCli(args: readonly string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'dcc-sim.mjs'), ...args], {
    cwd: REPO,
    env: cliEnv(options.env),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** The same, without blocking the test worker: lets independent CLI runs proceed in parallel. */
export function runCliAsync(args: readonly string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'dcc-sim.mjs'), ...args], {
      cwd: REPO,
      env: cliEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Throws with the CLI's output when it did not exit 0; returns the result otherwise. */
export function expectOk(r: CliResult, what = 'dcc-sim'): CliResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

/** A fresh scratch directory and a function that removes it. */
export function scratchDir(prefix = 'dcc-sim-world-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** sha256 of a world file and its WAL/SHM companions (absent ones as '-'), to prove nothing was written. */
export function worldFingerprint(file: string): string {
  return [file, `${file}-wal`, `${file}-shm`].map((f) => (existsSync(f) ? sha256File(f) : '-')).join(' ');
}

/** Files in a directory (names only), sorted: to check a failed command left nothing behind. */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

export type TableDump = Record<string, unknown[][]>;

/**
 * Every row of every table of a SQLite file, in a stable order (by all columns), BLOBs as Buffers.
 * `skip(table, row)` leaves out rows that legitimately differ between runs (wall-clock stamps).
 */
export function dumpTables(file: string, skip?: (table: string, row: unknown[]) => boolean): TableDump {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]
    ).map((t) => t.name);
    const out: TableDump = {};
    for (const t of tables) {
      const cols = (db.prepare(`PRAGMA table_info("${t}")`).all() as { name: string }[]).length;
      const order = Array.from({ length: cols }, (_, i) => String(i + 1)).join(', ');
      const rows = db.prepare(`SELECT * FROM "${t}" ORDER BY ${order}`).raw(true).all() as unknown[][];
      out[t] = skip ? rows.filter((r) => !skip(t, r)) : rows;
    }
    out['#user_version'] = [[db.pragma('user_version', { simple: true })]];
    return out;
  } finally {
    db.close();
  }
}

/** Opens a world file read-only for direct SQL checks. */
export function openReadonly(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true });
}

/** Splits a PEM bundle into its individual certificate PEMs, in order. */
export function splitPems(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

/** Runs a program, returning its exit code and output (for openssl). */
export function runTool(cmd: string, args: readonly string[], cwd?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
