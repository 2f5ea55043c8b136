/**
 * The codec table: which use case's decoder reads a payload, by message code and CRA flag. Adding a use
 * case: a UseCaseCodec in its own file (like cs02b.ts) and one line in CODECS.
 */
import type { Cra } from './apdu.ts';
import { CS02A_CODEC } from './cs02a.ts';
import { CS02B_CODEC } from './cs02b.ts';
import { CS02C_CODEC } from './cs02c.ts';
import { CS02D_CODEC } from './cs02d.ts';
import { CS02E_CODEC } from './cs02e.ts';
import { CS02F_CODEC } from './cs02f.ts';
import { CS02G_CODEC } from './cs02g.ts';
import { CS06_CODEC, CS08_CODEC } from './firmware.ts';
import { DEVICE_LOG_CODEC, GPF_LOG_RESTORE_CODEC, JOIN_CODEC, SET_TIME_CODEC, UNJOIN_CODEC } from './han.ts';
import type { GbcsBody } from './message.ts';
import type { PayloadDecoder, UseCaseCodec } from './use-case-codec.ts';

export const CODECS: readonly UseCaseCodec<GbcsBody>[] = [
  CS02A_CODEC, CS02B_CODEC, CS02C_CODEC, CS02D_CODEC, CS02E_CODEC, CS02F_CODEC, CS02G_CODEC,
  JOIN_CODEC, UNJOIN_CODEC, DEVICE_LOG_CODEC, SET_TIME_CODEC, GPF_LOG_RESTORE_CODEC, CS06_CODEC, CS08_CODEC,
];

interface CodecIndex {
  commands: ReadonlyMap<number, UseCaseCodec<GbcsBody>>;
  alerts: ReadonlyMap<number, UseCaseCodec<GbcsBody>>;
}

/** Throws when two codecs (or a command and an alert) claim one message code: a payload would have two readings. */
export function indexCodecs(codecs: readonly UseCaseCodec<GbcsBody>[]): CodecIndex {
  const commands = new Map<number, UseCaseCodec<GbcsBody>>();
  const alerts = new Map<number, UseCaseCodec<GbcsBody>>();
  const claimedBy = new Map<number, string>();
  const claim = (into: Map<number, UseCaseCodec<GbcsBody>>, codec: UseCaseCodec<GbcsBody>, code: number) => {
    const other = claimedBy.get(code);
    if (other) throw new Error(`message code 0x${code.toString(16).padStart(4, '0')} is claimed by both ${other} and ${codec.name}`);
    claimedBy.set(code, codec.name);
    into.set(code, codec);
  };
  for (const codec of codecs) {
    for (const code of codec.messageCodes) claim(commands, codec, code);
    for (const code of codec.alertMessageCodes ?? []) claim(alerts, codec, code);
  }
  return { commands, alerts };
}

const INDEX = indexCodecs(CODECS);

/** The codec that reads this message code in this direction; undefined: the payload is left undecoded. */
export function codecFor(messageCode: number, cra: Cra): UseCaseCodec<GbcsBody> | undefined {
  return cra === 'alert' ? INDEX.alerts.get(messageCode) : INDEX.commands.get(messageCode);
}

export function payloadDecoderFor(messageCode: number, cra: Cra): PayloadDecoder<GbcsBody> | undefined {
  const codec = codecFor(messageCode, cra);
  return cra === 'command' ? codec?.decodeCommand : cra === 'response' ? codec?.decodeResponse : codec?.decodeAlert;
}
