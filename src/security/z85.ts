// Z85 (ZeroMQ RFC 32), the text form of CURVE keys in certificates and socket options:
// 32 key bytes are 40 characters. ZAP hands the handler a client's key as 32 raw bytes,
// and certificates hold text, so both directions are needed.

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#'
const DECODE = new Map([...ALPHABET].map((c, i) => [c, i]))

/** The length of a CURVE key in Z85. */
export const Z85_KEY_LENGTH = 40

export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) throw new RangeError('Z85 encodes multiples of 4 bytes')
  let text = ''
  for (let i = 0; i < data.length; i += 4) {
    let value = ((data[i]! << 24) >>> 0) + (data[i + 1]! << 16) + (data[i + 2]! << 8) + data[i + 3]!
    const chunk: string[] = []
    for (let j = 0; j < 5; j++) {
      chunk.unshift(ALPHABET[value % 85]!)
      value = Math.floor(value / 85)
    }
    text += chunk.join('')
  }
  return text
}

/** The bytes of a Z85 text, or undefined when it is not Z85. */
export function z85Decode(text: string): Buffer | undefined {
  if (text.length % 5 !== 0) return undefined
  const out = Buffer.alloc((text.length / 5) * 4)
  for (let i = 0; i < text.length; i += 5) {
    let value = 0
    for (let j = 0; j < 5; j++) {
      const digit = DECODE.get(text[i + j]!)
      if (digit === undefined) return undefined
      value = value * 85 + digit
    }
    if (value > 0xffffffff) return undefined
    out.writeUInt32BE(value, (i / 5) * 4)
  }
  return out
}

/** Whether `text` is a CURVE key in Z85: 40 characters that decode to 32 bytes. */
export function isZ85Key(text: string): boolean {
  return text.length === Z85_KEY_LENGTH && z85Decode(text) !== undefined
}
