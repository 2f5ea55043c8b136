/**
 * 3.2 Restrict Access For Change Of Tenancy: data from before the restriction date is withheld from the new
 * tenant; on the ESME itself (ECS12), for gas on the GPF, which holds the consumer-facing copy (GCS09).
 */
import { deviceCommandService } from './device-command.ts';
import { bodies, esmeRestrictTenancy, gpfRestrictTenancy } from './display-commands.ts';

export const restrictAccessForChangeOfTenancy = deviceCommandService({
  variant: '3.2',
  displayName: 'Restrict Access For Change Of Tenancy',
  body: bodies.restrictTenancy,
  sender: 'supplier',
  command(b, type, { counter, now }) {
    if (type === 'ESME') return { useCase: 'ECS12', messageCode: 0x0022, payload: esmeRestrictTenancy(counter, b.restrictionDateTime) };
    if (type === 'GPF') return { useCase: 'GCS09', messageCode: 0x0072, payload: gpfRestrictTenancy(now, b.restrictionDateTime) };
    return `access is restricted on an ESME or a GPF, not a ${type}`;
  },
  example: { name: 'restrict-tenancy', body: () => ({ kind: 'RestrictAccessForChangeOfTenancy' as const, restrictionDateTime: new Date() }) },
  describe: (b) => [{ label: 'RestrictionDateTime', value: b.restrictionDateTime.toISOString() }],
});
