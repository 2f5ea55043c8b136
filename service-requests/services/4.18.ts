/** 4.18 Read Meter Balance: the prepayment meter balance. The ESME's command is ECS82; another device type's comes from gsme-reads.ts. */
import { executionOnlyBody, gets, readService } from './esme-reads.ts';

export const readMeterBalance = readService({
  variant: '4.18',
  displayName: 'Read Meter Balance',
  body: executionOnlyBody('ReadMeterBalance'),
  sender: 'supplier',
  esme: (_b, at) => ({ useCase: 'ECS82', messageCode: 0x0069, payload: gets(at, [[112, '0-0:19.10.0.255', 2]]) }),
  example: { name: 'read-meter-balance', body: () => ({ kind: 'ReadMeterBalance' as const }) },
});
