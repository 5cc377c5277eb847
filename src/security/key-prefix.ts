// What logs, errors and metrics may say about a key: never a key, only the first
// characters of a public one, enough for an operator to find the certificate file.

export const KEY_PREFIX_LENGTH = 8

export function keyPrefix(publicKey: string): string {
  return publicKey.slice(0, KEY_PREFIX_LENGTH)
}
