/**
 * 4.1.4 Read Instantaneous Import Block Counters: a gas meter's block registers (GCS13b), read from the GSME
 * itself or from its mirror on the GPF. No ESME use case: an ESME's blocks are read with 4.1.3.
 */
import { deviceCommandService, emptyBody } from './device-command.ts';
import { gsmeReadCommand, gsmeReadRefusal } from './gsme-reads.ts';

export const readInstantaneousImportBlockCounters = deviceCommandService({
  variant: '4.1.4',
  displayName: 'Read Instantaneous Import Block Counters',
  body: emptyBody('ReadInstantaneousImportBlockCounters'),
  sender: 'supplier',
  command(body, type, at) {
    return gsmeReadCommand('4.1.4', body, type, at) ?? gsmeReadRefusal('4.1.4', type) ?? `4.1.4 is read from a GSME or a GPF, not a ${type}`;
  },
  example: { name: 'read-block-counters', body: () => ({ kind: 'ReadInstantaneousImportBlockCounters' as const }) },
});
