/**
 * The one error type of the GBCS codec. `code` is a stable machine-readable id
 * ('bad-frame', 'bad-ber', 'bad-payload', 'bad-key', ...); `message` says exactly what is wrong and where.
 */
export class GbcsError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'GbcsError';
    this.code = code;
  }
}
