import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which IP addresses the system refuses to fetch from by default, and why. Parsing and the special-purpose
 * ranges come from ipaddr.js (RFC 6890 registries); this file only decides which of its ranges are refused,
 * unwraps IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, IPv4-compatible) and names the rule.
 */

export type AddressRule =
  | 'metadata'
  | 'loopback'
  | 'private'
  | 'uniqueLocal'
  | 'linkLocal'
  | 'siteLocal'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'carrierGradeNat'
  | 'reserved'
  | 'tunnel'
  | 'invalid';

/** What each refused class is called in error messages. */
export const RULE_DESCRIPTIONS: Record<AddressRule, string> = {
  metadata: 'a cloud metadata address',
  loopback: 'a loopback address (127.0.0.0/8, ::1)',
  private: 'a private address (RFC 1918)',
  uniqueLocal: 'a unique-local address (fc00::/7)',
  linkLocal: 'a link-local address (169.254.0.0/16, fe80::/10)',
  siteLocal: 'a site-local address (fec0::/10)',
  multicast: 'a multicast address (224.0.0.0/4, ff00::/8)',
  unspecified: 'an unspecified address (0.0.0.0/8, ::)',
  broadcast: 'the broadcast address',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10, RFC 6598)',
  reserved: 'a reserved or special-purpose address (RFC 6890)',
  tunnel: 'a Teredo tunnel address (2001::/32)',
  invalid: 'not a valid IP address',
};

/**
 * Cloud instance-metadata endpoints: AWS (IPv4, IPv6 and the ECS task endpoint), GCP and Azure
 * (169.254.169.254), Alibaba (100.100.100.200) and Oracle (192.0.0.192). Each also falls in a refused
 * range; the rule is named apart because an allow list entry for the range does not allow these.
 */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254',
  '169.254.170.2',
  'fd00:ec2::254',
  '100.100.100.200',
  '192.0.0.192',
]);

/** Host names of metadata services, refused by name before any lookup. */
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** ipaddr.js range -> refusal rule (a range not listed, e.g. `unicast`, is allowed). */
const REFUSED_RANGES: Record<string, AddressRule> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'linkLocal',
  loopback: 'loopback',
  carrierGradeNat: 'carrierGradeNat',
  private: 'private',
  reserved: 'reserved',
  as112: 'reserved',
  amt: 'reserved',
  uniqueLocal: 'uniqueLocal',
  deprecatedSiteLocal: 'siteLocal',
  discard: 'reserved',
  benchmarking: 'reserved',
  as112v6: 'reserved',
  deprecatedOrchid: 'reserved',
  orchid2: 'reserved',
  droneRemoteIdProtocolEntityTags: 'reserved',
  segmentRouting: 'reserved',
  teredo: 'tunnel',
};

export interface AddressVerdict {
  /** The address as given (an IPv6 zone id dropped). */
  address: string;
  rule: AddressRule;
  /** e.g. "a private address (RFC 1918)". */
  description: string;
  /** For an IPv6 form carrying an IPv4 address: that IPv4 address (the one classified). */
  embedded?: string;
}

/** The address without brackets or an IPv6 zone id (`[fe80::1%eth0]` -> `fe80::1`). */
export function bareAddress(ip: string): string {
  return ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
}

/** True when `host` (a URL's hostname, brackets allowed) is an IP literal in canonical form. */
export function isIpLiteral(host: string): boolean {
  return isIP(bareAddress(host)) !== 0;
}

/** True for a host name of a cloud metadata service (`metadata.google.internal`, ...). */
export function isMetadataHost(host: string): boolean {
  return METADATA_HOSTS.has(host.toLowerCase().replace(/\.$/, ''));
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped, SIIT, NAT64 /96, 6to4, IPv4-compatible), if any. */
function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = v6.parts;
  const low = () => new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]);
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145') return low();
  if (range === 'rfc6052' && p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0) return low();
  if (range === '6to4') return new ipaddr.IPv4([p[1]! >> 8, p[1]! & 0xff, p[2]! >> 8, p[2]! & 0xff]);
  // IPv4-compatible (::a.b.c.d, deprecated by RFC 4291): the first 96 bits zero, not :: or ::1.
  if (p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1)) return low();
  return null;
}

function verdictOf(address: string, rule: AddressRule, embedded?: string): AddressVerdict {
  return { address, rule, description: RULE_DESCRIPTIONS[rule], ...(embedded ? { embedded } : {}) };
}

/**
 * Classifies one IP address. Returns null for an address the guard lets through (public unicast), else the
 * rule that refuses it: metadata, loopback, private (RFC 1918), unique-local (fc00::/7), link-local,
 * site-local, multicast, unspecified, broadcast, CGNAT (100.64/10), reserved/special-purpose, Teredo,
 * or invalid. IPv6 forms carrying an IPv4 address (::ffff:10.0.0.5, 64:ff9b::a00:5, 2002:a00:5::,
 * ::10.0.0.5) are judged by that IPv4 address.
 */
export function classifyAddress(ip: string): AddressVerdict | null {
  const address = bareAddress(ip);
  if (isIP(address) === 0) return verdictOf(address, 'invalid');
  const parsed = ipaddr.parse(address);
  if (METADATA_ADDRESSES.has(parsed.toString())) return verdictOf(address, 'metadata');
  if (parsed.kind() === 'ipv6') {
    const v4 = embeddedIPv4(parsed as ipaddr.IPv6);
    if (v4) {
      const inner = classifyAddress(v4.toString());
      return inner ? verdictOf(address, inner.rule, v4.toString()) : null;
    }
  }
  const rule = REFUSED_RANGES[parsed.range()];
  return rule ? verdictOf(address, rule) : null;
}

/** True when the address is a cloud metadata endpoint (directly or as an IPv6 form of one). */
export function isMetadataAddress(ip: string): boolean {
  return classifyAddress(ip)?.rule === 'metadata';
}

/**
 * The operator's exceptions (`ingest.allowHosts`): host names (`intranet.example`), domain wildcards
 * (`*.corp.example` or `.corp.example`: the subdomains), IP addresses and CIDRs (`10.0.0.0/8`, `::1`).
 * An allowed host name is fetched whatever it resolves to, except a metadata address, which only an
 * address or CIDR entry covering it allows.
 */
export class AllowList {
  private readonly hosts = new Set<string>();
  private readonly suffixes: string[] = [];
  private readonly ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];

  /** Throws an Error naming an entry that is not a host, wildcard, IP or CIDR. */
  constructor(readonly entries: readonly string[] = []) {
    for (const raw of entries) {
      const e = raw.trim().toLowerCase();
      if (!e) continue;
      if (e.includes('/')) {
        const [ip, bits] = e.split('/');
        this.ranges.push(ipaddr.parseCIDR(`${bareAddress(ip ?? '')}/${bits}`));
      } else if (isIpLiteral(e)) {
        const a = ipaddr.parse(bareAddress(e));
        this.ranges.push([a, a.kind() === 'ipv4' ? 32 : 128]);
      } else if (e.startsWith('*.') || e.startsWith('.')) {
        this.suffixes.push(e.slice(e.indexOf('.')).replace(/\.$/, ''));
      } else {
        this.hosts.add(e.replace(/\.$/, ''));
      }
    }
  }

  get empty(): boolean {
    return this.hosts.size + this.suffixes.length + this.ranges.length === 0;
  }

  /** True when the host name itself is allowed (not an IP literal; see allowsAddress). */
  allowsHost(host: string): boolean {
    const h = host.toLowerCase().replace(/\.$/, '');
    return this.hosts.has(h) || this.suffixes.some((s) => h.endsWith(s));
  }

  /** True when an address or CIDR entry covers the address (IPv4-mapped IPv6 forms match IPv4 entries). */
  allowsAddress(ip: string): boolean {
    const address = bareAddress(ip);
    if (isIP(address) === 0) return false;
    const parsed = ipaddr.process(address);
    return this.ranges.some(([net, bits]) => {
      if (parsed.kind() === net.kind()) return parsed.match(net, bits);
      // An IPv4 entry also covers the address's IPv4-mapped form and vice versa.
      if (parsed.kind() === 'ipv4' && net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress()) {
        return (parsed as ipaddr.IPv4).toIPv4MappedAddress().match(net, bits);
      }
      return false;
    });
  }
}
