/** 4.8.2 Read Reactive Import Profile Data: the half-hourly reactive import profile of the period. The ESME's command is ECS22c; another device type's comes from gsme-reads.ts. */
import { gets, lastDay, readLogBody, readService } from './esme-reads.ts';

export const readReactiveImportProfileData = readService({
  variant: '4.8.2',
  displayName: 'Read Reactive Import Profile Data',
  body: readLogBody('ReadReactiveImportProfileData', false),
  sender: 'supplierOrNetworkOperator',
  esme: (b, at) => ({ useCase: 'ECS22c', messageCode: 0x0038, payload: gets(at, [{ log: '0-0:99.1.2.255', from: b.start, to: b.end }]) }),
  example: { name: 'read-reactive-profile', body: () => ({ kind: 'ReadReactiveImportProfileData' as const, ...lastDay() }) },
});
