import { commandReads, wrapContingencyKey, type CommandInputs, type MirroredDevice, type DeviceCredentials, type DeviceSecurityState, type DeviceType } from '../../devices/index.ts';
import type { CellColumnName } from '../../db/index.ts';
import type { Eui, ScalarKey } from '../../pki/index.ts';
import { World, WorldError, type DeviceKeys } from '../world/index.ts';

// Moves an emulated device's security state between the world file and the emulator's plain
// objects. The emulator is pure; persistence is here, inside the caller's transaction.

export interface LoadedDevice {
  state: DeviceSecurityState;
  credentials: DeviceCredentials;
  /** the repository id of each cell's certificate as loaded (saveDevice reuses them for unchanged cells) */
  cellIds: Partial<Record<CellColumnName, number>>;
  /** the application state as loaded (JSON text), to write it only when a command changed it */
  appJson?: string;
}

const wrapped = new WeakMap<World, Map<number, Buffer>>();

/** What every device made with that generation holds: the same bytes, so wrapped once per world. */
function wrappedContingencyKey(world: World, generation: number): Buffer {
  let byGeneration = wrapped.get(world);
  if (!byGeneration) wrapped.set(world, (byGeneration = new Map()));
  let w = byGeneration.get(generation);
  if (!w) {
    const k = world.rootContingencyKey(generation);
    byGeneration.set(generation, (w = wrapContingencyKey(k.symmetricKey, k.publicKey)));
  }
  return w;
}

export function loadDevice(world: World, eui: string): LoadedDevice {
  // the record and its details (an ESME's variant) in one read
  const found = world.inventory.deviceWithDetails(eui);
  if (!found) throw new WorldError('unknown-device', `no device with EUI ${eui}`);
  const device = found.device;
  const security = world.store.getDeviceSecurity(eui);
  if (!security) throw new WorldError('unknown-device', `device ${eui} has no trust-anchor cells`);
  const cells: DeviceSecurityState['cells'] = {};
  for (const [cell, id] of Object.entries(security.cells) as [CellColumnName, number][]) cells[cell] = world.certificateDer(id);
  const state: DeviceSecurityState = {
    eui,
    type: device.type as DeviceType,
    cells,
    seqNumbers: { ...security.seqNumbers },
    topUpSeqNumber: security.topUpSeqNumber,
    alertCounter: security.alertCounter,
    pending: world.store.pendingCommands(eui).map((p) => ({
      counter: p.counter,
      originator: p.originator,
      executeAt: new Date(p.executeAt),
      command: p.command,
    })),
  };
  if (security.keyGenerations && Object.keys(security.keyGenerations).length > 0) state.keyGenerations = { ...security.keyGenerations };
  // The device holds the root's contingency public key only wrapped; the world keeps which generation, not the bytes.
  const contingency = security.contingencyKeyGeneration ?? 1;
  if (contingency > 0) {
    state.rootContingencyKey = wrappedContingencyKey(world, contingency);
  }
  // what the device is made as (twin element, polyphase): the inventory's record of it is the world's truth
  const esmeVariant = state.type === 'ESME' ? found.details.esmeVariant : undefined;
  if (esmeVariant) state.esmeVariant = esmeVariant;
  const appJson = world.store.getDeviceAppState(eui);
  if (appJson !== undefined) state.app = JSON.parse(appJson);
  const keys = world.deviceKeys(eui);
  return {
    state,
    credentials: new WorldDeviceCredentials(world, eui, keys),
    cellIds: { ...security.cells },
    ...(appJson !== undefined ? { appJson } : {}),
  };
}

/**
 * What the command's use case reads beyond its device (commandReads), loaded read only: a GPF's gas read, the GSME it
 * mirrors (loadMirroredGsme). Any other command to any other device loads nothing, and a command to an ESME is not
 * even decoded for it. A GPF with no paired GSME gets nothing either, and answers from its own EUI's model
 * (gsme-reads.ts).
 */
export function loadCommandInputs(world: World, device: LoadedDevice, message: Buffer): CommandInputs {
  if (device.state.type !== 'GPF' || !commandReads(device.state, message).mirroredGsme) return {};
  const mirroredGsme = loadMirroredGsme(world, device.state.eui);
  return mirroredGsme ? { mirroredGsme } : {};
}

/**
 * The GSME a GPF mirrors, read only: the inventory's (InventoryStore.pairedGsme) with its application state as
 * stored; undefined when the GPF has none. What a GPF's gas read loads, and the console's meter panel of a GPF.
 */
export function loadMirroredGsme(world: World, gpfEui: string): MirroredDevice | undefined {
  const eui = world.store.inventory.pairedGsme(gpfEui);
  if (eui === undefined) return undefined;
  return { eui, app: storedAppState(world, eui) ?? {} };
}

/** A device's application state as stored (undefined: no command has changed it yet). */
export function storedAppState(world: World, eui: string): MirroredDevice['app'] | undefined {
  const json = world.store.getDeviceAppState(eui);
  return json === undefined ? undefined : JSON.parse(json);
}

function sameCells(a: Partial<Record<CellColumnName, number>>, b: Partial<Record<CellColumnName, number>>): boolean {
  const names = Object.keys(a) as CellColumnName[];
  return names.length === Object.keys(b).length && names.every((n) => a[n] === b[n]);
}

/** A certificate the device took as its own (CS02d) becomes its certificate in the SMKI repository. */
export function saveOwnCertificate(world: World, eui: string, own: { usage: 'DS' | 'KA'; certificate: Buffer }): number {
  world.deviceCertificates(eui); // the row exists from here on
  const id = world.registerCertificate(own.certificate, { label: `device ${eui} ${own.usage}` });
  world.store.setDeviceCredentialId(eui, own.usage, id);
  return id;
}

/**
 * Writes a device's new state; certificates new to the world are added to the SMKI repository.
 * Cells unchanged since `loaded` keep their ids (no hashing and lookup of every cell per command).
 */
export function saveDevice(world: World, state: DeviceSecurityState, loaded?: LoadedDevice): Partial<Record<CellColumnName, number>> {
  const cells: Partial<Record<CellColumnName, number>> = {};
  for (const [cell, der] of Object.entries(state.cells) as [CellColumnName, Buffer | undefined][]) {
    if (!der) continue;
    const before = loaded?.state.cells[cell];
    const id = loaded?.cellIds[cell];
    cells[cell] = id !== undefined && before !== undefined && (before === der || before.equals(der)) ? id : world.registerCertificate(der);
  }
  const before = loaded?.state.keyGenerations ?? {};
  const after = state.keyGenerations ?? {};
  const newKeys = before.DS !== after.DS || before.KA !== after.KA;
  // A contingency command the device carried out spent its key (0); otherwise it keeps the one it held.
  const spentContingency = !!loaded?.state.rootContingencyKey && !state.rootContingencyKey;
  if (loaded && !newKeys && !spentContingency && sameCells(cells, loaded.cellIds)) {
    // most commands (every read) change only sequence numbers and counters
    world.store.updateDeviceCounters({ deviceEui: state.eui, seqNumbers: state.seqNumbers as Record<number, bigint>, topUpSeqNumber: state.topUpSeqNumber, alertCounter: state.alertCounter });
  } else {
    world.store.updateDeviceSecurity({
      deviceEui: state.eui,
      cells,
      seqNumbers: state.seqNumbers as Record<number, bigint>,
      topUpSeqNumber: state.topUpSeqNumber,
      alertCounter: state.alertCounter,
      keyGenerations: after,
      ...(spentContingency ? { contingencyKeyGeneration: 0 } : {}),
    });
  }
  // A new key pair (CS02c) is the device's from now on: its signatures, its MAC, the DCC's MAC to it.
  if (newKeys) world.forgetDeviceKeys(state.eui);
  if (state.app) {
    const json = JSON.stringify(state.app);
    if (json !== loaded?.appJson) {
      world.store.putDeviceAppState(state.eui, json);
      if (loaded) loaded.appJson = json;
    }
  }
  // Most commands hold nothing and had nothing held: a delete of no rows was ~3% of a read (bench/reads.ts).
  if (state.pending.length > 0 || !loaded || loaded.state.pending.length > 0) {
    world.store.replacePendingCommands(
      state.eui,
      state.pending.map((p) => ({ counter: p.counter, originator: p.originator, executeAt: p.executeAt.toISOString(), command: p.command })),
    );
  }
  return cells;
}

/** A device's credentials from the world. A class, not a literal with a getter: see DerivedDeviceKeys in world.ts. */
class WorldDeviceCredentials implements DeviceCredentials {
  readonly kaKey: ScalarKey;

  constructor(
    private readonly world: World,
    private readonly eui: Eui,
    private readonly keys: DeviceKeys,
  ) {
    this.kaKey = keys.kaKey;
  }

  /** derived only when the device signs (World.deviceKeys) */
  get dsKey(): ScalarKey {
    return this.keys.dsKey;
  }

  /** A CS02c command makes the next generation from the world secret (World.deviceKey). */
  generateKey(usage: 'DS' | 'KA', generation: number): ScalarKey {
    return this.world.deviceKey(this.eui, usage, generation);
  }

  /** Read only by CS02e; issued by the device CA on first use (World.deviceCertificates). */
  ownCertificates(): { DS: Buffer; KA: Buffer } {
    const c = this.world.deviceCertificates(this.eui);
    return { DS: c.dsCertificate.der, KA: c.kaCertificate.der };
  }
}
