/**
 * The one error type of the pki room. `code` is a stable, machine-readable reason id
 * (e.g. 'bad-eui', 'not-a-certificate', 'bad-keystore'); `message` says what exactly is wrong.
 */
export class PkiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'PkiError';
    this.code = code;
  }
}
