/**
 * The use cases the emulators run, found by GBCS message code. Adding a use case: one file under
 * use-cases/ exporting a UseCase, and one line in USE_CASES (its codec goes in gbcs/codecs.ts likewise).
 */
import { hex4 } from './security.ts';
import type { UseCase } from './use-case.ts';
import { CS02A } from './use-cases/cs02a.ts';
import { CS02B } from './use-cases/cs02b.ts';
import { CS02C } from './use-cases/cs02c.ts';
import { CS02D } from './use-cases/cs02d.ts';
import { CS02E } from './use-cases/cs02e.ts';
import { CS02F } from './use-cases/cs02f.ts';
import { CS02G } from './use-cases/cs02g.ts';
import { FAMILIES } from './families/index.ts';

/** In the order the refusal of an unknown message code lists them. */
export const USE_CASES: readonly UseCase[] = [CS02A, CS02B, CS02C, CS02D, CS02E, CS02F, CS02G, ...FAMILIES.flatMap((f) => f.useCases)];

/** Throws when two use cases claim one message code: the device could not know which one to run. */
export function indexByMessageCode(useCases: readonly UseCase[]): ReadonlyMap<number, UseCase> {
  const byCode = new Map<number, UseCase>();
  for (const useCase of useCases) {
    for (const code of useCase.messageCodes) {
      const other = byCode.get(code);
      if (other) throw new Error(`message code ${hex4(code)} is claimed by both ${other.name} and ${useCase.name}`);
      byCode.set(code, useCase);
    }
  }
  return byCode;
}

const BY_MESSAGE_CODE = indexByMessageCode(USE_CASES);

export function useCaseFor(messageCode: number): UseCase | undefined {
  return BY_MESSAGE_CODE.get(messageCode);
}

/** Why a command with no use case is refused. */
export function notEmulatedReason(messageCode: number): string {
  return `message code ${hex4(messageCode)} is not emulated: none of the ${USE_CASES.length} use cases the emulators run answers it`;
}
