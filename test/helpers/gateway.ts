import 'reflect-metadata';
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { World } from '../../src/world/world.ts';
import { seedDemoWorld } from '../../src/world/seed-demo.ts';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server.ts';
import { xmlSignerOf, signPreCommand } from '../../src/client.ts';
import { buildRequest, parseDuisResponse, signDuis, type BuildRequestInput, type DuisResponse } from '../../service-requests/index.ts';
import type { DeviceRecord } from '../../db/index.ts';
import { postgresDemoWorld } from './postgres.ts';
import { defaultStore, type StoreKind } from './stores.ts';

// A real world file, a real server on 127.0.0.1 and real signatures, shared by the gateway tests.

export const REFERENCE_TIME = new Date('2026-11-01T00:00:00Z');
/** Seeded worlds by premises count: test files share a worker process, and may ask for different sizes. */
const templates = new Map<number, { dir: string; file: string }>();

/**
 * Seeds one demo world of each size per test process; each test server gets its own copy of it: a
 * SQLite file, or a PostgreSQL database URL (the store DCC_SIM_TEST_STORE names unless one is given).
 */
export function demoWorldFile(premises = 150, store: StoreKind = defaultStore()): string {
  if (store === 'postgres') return postgresDemoWorld(premises);
  let template = templates.get(premises);
  if (!template) {
    const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-gw-'));
    const file = path.join(dir, 'template.db');
    const w = World.open(file, { create: true });
    seedDemoWorld(w, { premises, seed: 'gateway-tests', referenceTime: REFERENCE_TIME });
    w.store.db.pragma('wal_checkpoint(TRUNCATE)');
    w.close();
    template = { dir, file };
    templates.set(premises, template);
  }
  const copy = path.join(template.dir, `world-${process.pid}-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(template.file, copy);
  return copy;
}

export interface Harness {
  server: RunningServer;
  world: World;
  file: string;
  post(endpoint: 'serviceS' | 'serviceT' | 'serviceD', xml: string): Promise<Answer>;
  signAs(eui: string, unsignedXml: string): string;
  build(input: BuildRequestInput): string;
  nextCounter(): bigint;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  code: string;
  reason: string | null;
  xml: string;
  response: DuisResponse;
}

export async function startHarness(o: Partial<ServerOptions> & { file?: string; store?: StoreKind } = {}): Promise<Harness> {
  const { store, ...options } = o;
  const file = options.file ?? demoWorldFile(150, store);
  const server = await startServer({ db: file, port: 0, host: '127.0.0.1', logger: false, ...options });
  let counter = 1000n;
  return {
    server,
    world: server.world,
    file,
    async post(endpoint, xml) {
      const res = await fetch(`${server.url}/api/v1/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: xml });
      const text = await res.text();
      return {
        status: res.status,
        code: res.headers.get('x-dcc-sim-response-code') ?? '',
        reason: res.headers.get('x-dcc-sim-reason'),
        xml: text,
        response: parseDuisResponse(text),
      };
    },
    signAs(eui, unsignedXml) {
      return signDuis(unsignedXml, xmlSignerOf(server.world, eui));
    },
    build(input) {
      return buildRequest(input);
    },
    nextCounter() {
      counter += 1n;
      return counter;
    },
    async close() {
      await server.close();
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    },
  };
}

/** Finds a device in the world matching a predicate over the device and its cells' holders. */
export function findDevice(world: World, type: DeviceRecord['type'], pred: (d: DeviceRecord, holders: Record<string, string | null>) => boolean): DeviceRecord {
  const { devices } = world.store.listDevices({ type, limit: 100_000 });
  for (const d of devices) {
    const s = world.store.getDeviceSecurity(d.eui);
    const holders: Record<string, string | null> = {};
    for (const [cell, id] of Object.entries(s?.cells ?? {})) holders[cell] = world.certificate(id as number).subjectEui;
    if (pred(d, holders)) return d;
  }
  throw new Error(`no ${type} in the test world matches`);
}

export function cellHolder(world: World, eui: string, cell: string): string | null {
  const id = (world.store.getDeviceSecurity(eui)?.cells as Record<string, number | undefined>)[cell];
  return id === undefined ? null : world.certificate(id).subjectEui;
}

export { signPreCommand };
