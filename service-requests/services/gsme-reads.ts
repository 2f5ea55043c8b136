/**
 * The GSME's (and GPF's) GBCS for the section-4 reads, owned by the GSME reads: `gsmeReadCommand` gives the
 * command of a read variant on a gas device type, or undefined while that variant has none (the module then
 * answers E11 for the device type).
 */
import type { DeviceType } from '../../pki/index.ts';
import type { GbcsCommand } from './device-command.ts';

export function gsmeReadCommand(_variant: string, _body: unknown, _type: DeviceType, _at: { counter: bigint; now: Date }): GbcsCommand | undefined {
  return undefined;
}
