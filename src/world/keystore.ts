import { writeDccBoxedKeystore, type KeystoreEntry, privateKeyFromPkcs8 } from '../../pki/index.ts';
import type { World } from './world.ts';

/**
 * The parties' organisation and XML-signing certificates with their private keys, in the DCC Boxed
 * keystore.json format, so DCC Boxed tooling (signing tool, Node-RED nodes) can act for a dcc-sim world's parties.
 */
export function exportKeystore(world: World): { json: string; entries: number } {
  const entries: KeystoreEntry[] = [];
  for (const party of world.store.listParties()) {
    for (const c of world.store.searchCertificates({ eui: party.eui, limit: 100 })) {
      if (c.kind !== 'organisation' && c.kind !== 'xml-signing') continue;
      if (c.keyUsage !== 'DS' && c.keyUsage !== 'KA') continue;
      const pkcs8 = world.store.getPrivateKey(c.id);
      entries.push({
        eui: party.eui,
        usage: c.keyUsage,
        serialDecimal: c.serialDecimal,
        certificate: c.der,
        privateKey: pkcs8 ? privateKeyFromPkcs8(pkcs8) : undefined,
        name: c.label ?? `${party.name} ${c.keyUsage}`,
        role: c.role ?? 0,
      });
    }
  }
  return { json: writeDccBoxedKeystore(entries), entries: entries.length };
}
