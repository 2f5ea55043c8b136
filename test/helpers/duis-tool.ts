// The DCC's signing tool (@smartdcc/duis-sign-wrap, a Java jar) kept running: the npm wrapper starts
// a JVM per call (~1 s each, tens of calls in some files); here one JVM per test process runs the
// tool's own Sign/Validate code (duis-tool/DuisToolServer.java) for every call. Same options, results
// and error messages as the wrapper's signDuis/validateDuis. Without a javac, the wrapper is used.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signDuis as wrapperSign, validateDuis as wrapperValidate } from '@smartdcc/duis-sign-wrap';

const JAR = join(dirname(createRequire(import.meta.url).resolve('@smartdcc/duis-sign-wrap')), 'tool.jar');
const SOURCE = fileURLToPath(new URL('./duis-tool/DuisToolServer.java', import.meta.url));
const MAIN_CLASS = 'DuisToolServer';
// These flags roughly halve the JVM's start-up (no C2 compiler, serial GC), most of what the calls
// cost; used unless the caller chose its own. Given to the JVM only: test files share a process.
const JAVA_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto';
const javaEnv = (): NodeJS.ProcessEnv => ({ ...process.env, JAVA_TOOL_OPTIONS: process.env.JAVA_TOOL_OPTIONS ?? JAVA_OPTIONS });

/** The wrapper's messages for the tool's exit codes (tests match e.g. /validation failed/). */
function toolError(code: number | null, stderr: string): Error {
  const what: Record<number, string> = { 1: 'generic environment error', 2: 'generic application error', 3: 'missing credentials', 10: 'validation failed' };
  return new Error(`${(code !== null && what[code]) || 'unknown exit code'}\n${stderr}`);
}

let compiled: string | null | undefined;

/** The server class compiled once per machine (keyed by its source and the jar), or null without a javac. */
function classDir(): string | null {
  if (compiled !== undefined) return compiled;
  const key = createHash('sha256').update(readFileSync(SOURCE)).update(readFileSync(JAR)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `dcc-sim-duis-tool-${key}`);
  if (!existsSync(join(dir, `${MAIN_CLASS}.class`))) {
    // Built aside and renamed: two test workers may compile at once, the first rename wins.
    const build = mkdtempSync(`${dir}-build-`);
    const r = spawnSync('javac', ['-cp', JAR, '-d', build, SOURCE], { encoding: 'utf8' });
    if (r.status !== 0) {
      rmSync(build, { recursive: true, force: true });
      return (compiled = null);
    }
    try {
      renameSync(build, dir);
    } catch {
      rmSync(build, { recursive: true, force: true });
    }
  }
  return (compiled = dir);
}

interface Pending { resolve(out: string): void; reject(e: Error): void }

/** One running JVM; calls are answered in order, one at a time. */
class ToolProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private received = Buffer.alloc(0);
  private stderr = '';
  private readonly pending: Pending[] = [];
  exited = false;

  constructor(classes: string) {
    this.child = spawn('java', ['-cp', `${classes}${process.platform === 'win32' ? ';' : ':'}${JAR}`, MAIN_CLASS], { env: javaEnv() });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => { this.stderr = (this.stderr + chunk.toString('utf8')).slice(-8192); });
    this.child.stdin.on('error', () => { /* EPIPE if the JVM died: reported by 'close' */ });
    this.child.on('error', (e) => this.fail(e));
    this.child.on('close', (code) => this.fail(toolError(code, this.stderr)));
    this.idle();
  }

  call(mode: 'sign' | 'validate', xml: string | Buffer, preserveCounter: boolean): Promise<string> {
    const doc = Buffer.isBuffer(xml) ? xml : Buffer.from(xml, 'utf8');
    const modeBytes = Buffer.from(mode, 'utf8');
    const header = Buffer.alloc(2 + modeBytes.length + 1 + 4);
    header.writeUInt16BE(modeBytes.length, 0);
    modeBytes.copy(header, 2);
    header.writeUInt8(preserveCounter ? 1 : 0, 2 + modeBytes.length);
    header.writeInt32BE(doc.length, 3 + modeBytes.length);
    return new Promise<string>((resolve, reject) => {
      if (this.exited) return reject(toolError(null, this.stderr));
      this.pending.push({ resolve, reject });
      this.stderr = '';
      this.busy();
      this.child.stdin.write(Buffer.concat([header, doc]));
    });
  }

  private receive(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    for (;;) {
      const r = this.received;
      if (r.length < 8) return;
      const outLength = r.readInt32BE(4);
      if (r.length < 12 + outLength) return;
      const errLength = r.readInt32BE(8 + outLength);
      const end = 12 + outLength + errLength;
      if (r.length < end) return;
      const code = r.readInt32BE(0);
      const out = r.subarray(8, 8 + outLength).toString('utf8');
      const err = r.subarray(12 + outLength, end).toString('utf8');
      this.received = r.subarray(end);
      const p = this.pending.shift();
      if (this.pending.length === 0) this.idle();
      if (!p) continue;
      if (code === 0) p.resolve(out);
      else p.reject(toolError(code, err));
    }
  }

  private fail(e: Error): void {
    this.exited = true;
    for (const p of this.pending.splice(0)) p.reject(e);
  }

  // The JVM must not keep a finished test process alive, but must while a call is awaited.
  private idle(): void {
    this.child.unref();
    for (const pipe of this.pipes()) pipe.unref();
  }

  private busy(): void {
    this.child.ref();
    for (const pipe of this.pipes()) pipe.ref();
  }

  /** The child's stdio: sockets at run time, typed as plain streams. */
  private pipes(): Socket[] {
    return [this.child.stdin, this.child.stdout, this.child.stderr] as unknown as Socket[];
  }
}

let tool: ToolProcess | undefined;

/** The wrapper spawns java with this process's environment, synchronously: the flags for that moment only. */
function withJavaOptions<T>(call: () => T): T {
  const before = process.env.JAVA_TOOL_OPTIONS;
  process.env.JAVA_TOOL_OPTIONS = javaEnv().JAVA_TOOL_OPTIONS;
  try {
    return call();
  } finally {
    if (before === undefined) delete process.env.JAVA_TOOL_OPTIONS;
    else process.env.JAVA_TOOL_OPTIONS = before;
  }
}

function running(): ToolProcess | null {
  if (tool && !tool.exited) return tool;
  const classes = classDir();
  if (classes === null) return null;
  return (tool = new ToolProcess(classes));
}

/** As duis-sign-wrap's signDuis: the tool picks the key by the RequestID's originator. */
export function signDuis(options: { xml: string | Buffer; preserveCounter?: boolean }): Promise<string> {
  const t = running();
  return t ? t.call('sign', options.xml, options.preserveCounter ?? false) : withJavaOptions(() => wrapperSign(options));
}

/** As duis-sign-wrap's validateDuis: resolves if the tool accepts, rejects with its complaint. */
export function validateDuis(options: { xml: string | Buffer }): Promise<string> {
  const t = running();
  return t ? t.call('validate', options.xml, false) : withJavaOptions(() => wrapperValidate(options));
}
