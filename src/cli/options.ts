import { Option } from 'commander';
import { World, WorldError } from '../world/index.ts';

// What every command group shares: the --db and --json options, printing a result as text or JSON,
// opening the world for the length of a command, and checking whole-number arguments.

export const jsonOption = () => new Option('--json', 'machine-readable JSON output');
export const dbOption = () => new Option('--db <file>', 'world database (SQLite)').makeOptionMandatory();

export function out(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, jsonReplacer, 2) + '\n' : text() + '\n');
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}

export function withWorld<T>(file: string, fn: (w: World) => T): T {
  const world = World.open(file);
  try {
    return fn(world);
  } finally {
    world.close();
  }
}

export function countArgument(name: string, text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n)) {
    throw new WorldError('bad-argument', `${name} must be a whole number, got '${text}'`);
  }
  return n;
}
