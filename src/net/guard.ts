import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import type { Socket } from 'node:net';
import { RefusedAddressError } from '../core/errors.js';
import {
  type AddressVerdict,
  AllowList,
  bareAddress,
  classifyAddress,
  isIpLiteral,
  isMetadataHost,
} from './address.js';

/**
 * The SSRF guard: decides whether a host and the addresses it resolves to may be connected to, and gives
 * sockets a `lookup` that refuses at connect time. The check is on the address the socket actually
 * connects to (the lookup's answer is what the socket uses), so a host that resolves to a public address
 * for a pre-flight check and to a private one a moment later (DNS rebinding) is still refused.
 *
 * Why own code rather than a library: `request-filtering-agent` (the maintained one) only plugs into
 * node:http agents, allows IPs but not host names or CIDRs, and its errors do not name the rule;
 * `@atproto-labs/fetch-node` needs Node 22; `ssrf-req-filter` is an older http.Agent of the same kind.
 * The lookup filter below is small, works for node:http/https, got and undici alike, and uses ipaddr.js
 * for every range.
 */

/** Resolves a host name to all its addresses (the DNS; injectable so tests can stub it). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** Node's `lookup` option for net/tls/http (the shape `dns.lookup` has). */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

export interface GuardOptions {
  /** Exceptions: host names, `*.domain`, IPs, CIDRs (`ingest.allowHosts`). */
  allow?: readonly string[] | AllowList | undefined;
  /** The DNS; default `dns.lookup` with `all: true`. */
  resolve?: Resolver | undefined;
  /** How a user allows a refused address, appended to every refusal. */
  hint?: string | undefined;
}

export const ALLOW_HINT = 'allow it with REVIEWLENS_INGEST_ALLOW_HOSTS (ingest.allowHosts)';

const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

export class AddressGuard {
  readonly allow: AllowList;
  private readonly resolver: Resolver;
  private readonly hint: string;

  constructor(opts: GuardOptions = {}) {
    this.allow = opts.allow instanceof AllowList ? opts.allow : new AllowList(opts.allow ?? []);
    this.resolver = opts.resolve ?? systemResolver;
    this.hint = opts.hint ?? ALLOW_HINT;
  }

  private refuse(host: string, v: AddressVerdict): never {
    const what = v.embedded ? `${v.address} (IPv4 ${v.embedded})` : v.address;
    const subject = host === v.address ? `${what} is` : `${host} resolves to ${what},`;
    throw new RefusedAddressError(`refused: ${subject} ${v.description}; ${this.hint}`, {
      rule: v.rule,
      address: v.address,
    });
  }

  /**
   * Checks one address `host` resolved to (or an IP literal, with `host` the literal). Throws
   * RefusedAddressError naming the rule; returns when the address is public or allowed.
   */
  checkAddress(host: string, address: string): void {
    if (this.allow.allowsAddress(address)) return;
    const v = classifyAddress(address);
    if (!v) return;
    // An allowed host name may resolve anywhere but to a metadata endpoint (that takes an address entry).
    if (v.rule !== 'metadata' && !isIpLiteral(host) && this.allow.allowsHost(host)) return;
    this.refuse(host, v);
  }

  /**
   * Checks what can be checked of a URL's host without DNS: an IP literal (sockets skip the lookup for
   * those, so it must be checked here) and metadata host names. Throws RefusedAddressError.
   */
  checkHost(hostname: string): void {
    const host = bareAddress(hostname);
    if (isIpLiteral(host)) {
      this.checkAddress(host, host);
      return;
    }
    if (isMetadataHost(host) && !this.allow.allowsHost(host)) {
      throw new RefusedAddressError(`refused: ${host} is a cloud metadata host; ${this.hint}`, {
        rule: 'metadata',
        address: host,
      });
    }
  }

  /**
   * Resolves `hostname` and checks every address; refuses when any is refused (a mixed answer is how
   * rebinding attacks hide a private address behind a public one). `family` 4 or 6 keeps only that family.
   */
  async resolveChecked(hostname: string, family?: number): Promise<LookupAddress[]> {
    const host = bareAddress(hostname);
    this.checkHost(host);
    if (isIpLiteral(host)) return [{ address: host, family: host.includes(':') ? 6 : 4 }];
    const all = await this.resolver(host);
    const list = family === 4 || family === 6 ? all.filter((a) => a.family === family) : all;
    if (list.length === 0) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });
    }
    for (const a of list) this.checkAddress(host, a.address);
    return list;
  }

  /**
   * A pre-flight check of a URL (resolves its host now): lets a crawler fail fast with a clear message
   * before handing the URL to a browser. Not a substitute for the connect-time check (`lookup`).
   */
  async preflight(url: string | URL): Promise<void> {
    await this.resolveChecked(new URL(url).hostname);
  }

  /** The `lookup` option for sockets: resolves through the guard, so a refused address is never connected to. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const opts: LookupOptions = typeof options === 'object' && options ? options : { family: options as number };
    this.resolveChecked(hostname, typeof opts.family === 'number' ? opts.family : undefined).then(
      (list) => {
        const first = list[0] as LookupAddress;
        if (opts.all) callback(null, list);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, opts.all ? [] : '', undefined),
    );
  };

  /**
   * Checks the address a socket did connect to (a second line behind `lookup`: it holds even for a
   * socket made without the guard's lookup). Destroys the socket with RefusedAddressError when refused.
   */
  checkSocket(host: string, socket: Socket): void {
    const verify = () => {
      const remote = socket.remoteAddress;
      if (!remote) return;
      try {
        this.checkAddress(bareAddress(host), remote);
      } catch (e) {
        socket.destroy(e as Error);
      }
    };
    if (socket.connecting) socket.once('connect', verify);
    else verify();
  }
}
