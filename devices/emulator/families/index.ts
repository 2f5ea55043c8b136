/**
 * The use-case families the emulators run beyond CS02: one file each (its use cases and the COSEM and ZCL
 * behaviours they act on), one line here. The emulator registry lists their use cases by message code.
 */
import { cosemTable, type CosemTable } from '../cosem.ts';
import { zclTable, type ZclTable } from '../zcl-engine.ts';
import type { UseCaseFamily } from './kit.ts';
import { SUPPLY } from './supply.ts';
import { TARIFFS } from './tariffs.ts';
import { PREPAYMENT } from './prepayment.ts';
import { AUXILIARY_LOADS } from './auxiliary-loads.ts';
import { ESME_READS } from './esme-reads.ts';

export const FAMILIES: readonly UseCaseFamily[] = [
  SUPPLY,
  TARIFFS,
  PREPAYMENT,
  AUXILIARY_LOADS,
  ESME_READS,
];

let cosem: CosemTable | undefined;
let zcl: ZclTable | undefined;

/** Every family's COSEM behaviours (built on first use: families import this module). */
export function cosemObjects(): CosemTable {
  return (cosem ??= cosemTable(FAMILIES.flatMap((f) => f.cosem ?? [])));
}

export function zclBehaviours(): ZclTable {
  return (zcl ??= zclTable(FAMILIES.flatMap((f) => f.zclAttributes ?? []), FAMILIES.flatMap((f) => f.zclCommands ?? [])));
}
