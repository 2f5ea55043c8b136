/** 4.8.3 Read Export Profile Data: the half-hourly active and reactive export profile of the period. The ESME's command is ECS22a; another device type's comes from gsme-reads.ts. */
import { gets, lastDay, readLogBody, readService } from './esme-reads.ts';

export const readExportProfileData = readService({
  variant: '4.8.3',
  displayName: 'Read Export Profile Data',
  body: readLogBody('ReadExportProfileData', false),
  sender: 'supplierOrNetworkOperator',
  esme: (b, at) => ({ useCase: 'ECS22a', messageCode: 0x0036, payload: gets(at, [{ log: '0-0:99.1.1.255', from: b.start, to: b.end }]) }),
  example: { name: 'read-export-profile', body: () => ({ kind: 'ReadExportProfileData' as const, ...lastDay() }) },
});
