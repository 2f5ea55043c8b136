/**
 * What a family of use cases is made of, and the two common use-case shapes: a DLMS ACCESS use case (ESME,
 * CHF) answered from the COSEM object table, and a GBZ use case (GSME, GPF) answered from the ZCL table. Both
 * tables are every family's behaviours together (index.ts).
 */
import { encodeAccessResponse, type DlmsData } from '../../gbcs/dlms.ts';
import { encodeGbz, type ZclValue } from '../../gbcs/gbz.ts';
import { appUseCase, type AppUseCaseSpec, type CommandContext } from '../app-use-case.ts';
import { runAccess, type CosemObject } from '../cosem.ts';
import { RejectionAlert, reject } from '../security.ts';
import type { UseCase } from '../use-case.ts';
import { runGbz, type ZclAttribute, type ZclCommand } from '../zcl-engine.ts';
import { cosemObjects, zclBehaviours } from './index.ts';

export interface UseCaseFamily {
  name: string;
  useCases: readonly UseCase[];
  cosem?: readonly CosemObject[];
  zclAttributes?: readonly ZclAttribute[];
  zclCommands?: readonly ZclCommand[];
  /** what a meter holds from the factory: read when no behaviour computes the attribute and no command set it */
  dlmsDefaults?: readonly DlmsDefault[];
  zclDefaults?: readonly ZclDefault[];
}

export interface DlmsDefault {
  classId: number;
  /** 12 hex digits, upper case */
  obis: string;
  attribute: number;
  value: DlmsData | ((ctx: CommandContext) => DlmsData);
}

export interface ZclDefault {
  clusterId: number;
  id: number;
  value: ZclValue | ((ctx: CommandContext) => ZclValue);
}

type ShapeSpec = Omit<AppUseCaseSpec, 'run'> & {
  /** what the use case does before or instead of the table (e.g. defer a future-dated command); return a payload to answer with it */
  before?(ctx: CommandContext): Buffer | void;
};

/** A use case whose command is one DLMS ACCESS request, carried out on the COSEM object table. */
export function dlmsUseCase(spec: ShapeSpec): UseCase {
  return appUseCase({
    ...spec,
    run(ctx) {
      if (ctx.body.kind !== 'dlms-request') reject(RejectionAlert.integrityCheckFailed, `${spec.name} carries a ${ctx.body.kind} payload, not a DLMS ACCESS request`);
      const early = spec.before?.(ctx);
      if (early) return early;
      return encodeAccessResponse(runAccess(ctx.body.request, ctx, cosemObjects()));
    },
  });
}

/** A use case whose command is a GBZ payload, carried out on the ZCL table. */
export function gbzUseCase(spec: ShapeSpec): UseCase {
  return appUseCase({
    ...spec,
    run(ctx) {
      if (ctx.body.kind !== 'gbz') reject(RejectionAlert.integrityCheckFailed, `${spec.name} carries a ${ctx.body.kind} payload, not GBZ`);
      const early = spec.before?.(ctx);
      if (early) return early;
      return encodeGbz(runGbz(ctx.body.gbz, ctx, zclBehaviours()));
    },
  });
}
