/**
 * What a GBCS use case looks like to the codec: its message codes and how to decode (and, through the
 * Annotate callback, annotate) each kind of payload it has. The table of them is codecs.ts.
 */
import type { Annotate } from './ber.ts';

/** `base` is the payload's offset in the whole message, for annotations. Throws GbcsError. */
export type PayloadDecoder<B> = (payload: Buffer, ann?: Annotate, base?: number) => B;

export interface UseCaseCodec<B extends { kind: string } = { kind: string }> {
  /** The GBCS use case, e.g. 'CS02b'. */
  readonly name: string;
  /** Message codes of the use case's commands and their responses. */
  readonly messageCodes: readonly number[];
  /** Message codes of the alerts the use case raises (GBCS numbers them apart from the commands). */
  readonly alertMessageCodes?: readonly number[];
  /** Each decoder annotates the fields it reads when given an Annotate, which is how annotateGbcs sees them. */
  readonly decodeCommand?: PayloadDecoder<B>;
  readonly decodeResponse?: PayloadDecoder<B>;
  readonly decodeAlert?: PayloadDecoder<B>;
}
