/** Object identifiers used by SMKI certificates. */
export const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  commonName: '2.5.4.3',
  organizationalUnit: '2.5.4.11',
  x500UniqueIdentifier: '2.5.4.45',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  anyPolicy: '2.5.29.32.0',
  hardwareModuleName: '1.3.6.1.5.5.7.8.4',
  /** hwType of GB smart-metering devices (smki.md §5). */
  smartMeterHwType: '1.2.826.0.1.8641679.1.2.2.1',
} as const;

/** Policy OID of every ZAZ1 (test environment) Org/CA certificate. */
export const SMKI_TEST_POLICY_OID = '1.2.826.0.1.8641679.1.2.1.4';

/** Short attribute names as openssl prints them in RFC 2253 form. */
export const ATTRIBUTE_NAMES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.9', 'STREET'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.5', 'serialNumber'],
  ['2.5.4.45', 'x500UniqueIdentifier'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['1.2.840.113549.1.9.1', 'emailAddress'],
]);

export const KEY_USAGE_BIT_NAMES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
