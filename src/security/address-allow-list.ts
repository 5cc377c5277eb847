// allow=CIDR,CIDR,...: the peer addresses a bound socket admits, as ZAP reports them
// (the peer's IP address, without port).

import { BlockList, isIPv4, isIPv6 } from 'node:net'

export class AddressAllowList {
  readonly cidrs: readonly string[]
  readonly #list = new BlockList()

  private constructor(cidrs: readonly string[]) {
    this.cidrs = cidrs
    for (const cidr of cidrs) {
      const [address, bits] = cidr.split('/') as [string, string | undefined]
      const family = isIPv4(address) ? 'ipv4' : 'ipv6'
      const prefix = bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits)
      this.#list.addSubnet(address, prefix, family)
    }
  }

  /** Parses "10.0.0.0/8,192.0.2.7,fd00::/8"; returns the problems instead when any entry is not a CIDR. */
  static parse(text: string): AddressAllowList | string[] {
    const cidrs = text.split(',').map((entry) => entry.trim())
    const problems = cidrs.map(checkCidr).filter((problem) => problem !== undefined)
    return problems.length > 0 ? problems : new AddressAllowList(cidrs)
  }

  allows(address: string): boolean {
    if (isIPv4(address)) return this.#list.check(address, 'ipv4')
    // An IPv4 peer on a dual-stack socket shows as ::ffff:192.0.2.7.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
    if (mapped !== null) return this.#list.check(mapped[1]!, 'ipv4')
    return isIPv6(address) && this.#list.check(address, 'ipv6')
  }
}

function checkCidr(cidr: string): string | undefined {
  const match = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(cidr)
  const address = match?.[1]
  if (match === null || address === undefined || (!isIPv4(address) && !isIPv6(address))) {
    return `allow: "${cidr}" is not an IP address or CIDR block (such as 10.0.0.0/8 or fd00::/8)`
  }
  const max = isIPv4(address) ? 32 : 128
  if (match[2] !== undefined && Number(match[2]) > max) return `allow: "${cidr}" has a prefix longer than ${max} bits`
  return undefined
}
