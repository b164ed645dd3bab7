import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { RefusedAddressError } from '../../src/core/errors.js';
import { AddressGuard, AllowList, classifyAddress, type Resolver, SafeFetcher } from '../../src/net/index.js';

/** A real HTTP server counting the TCP connections it accepts. */
interface Counted {
  port: number;
  connections(): number;
  close(): Promise<void>;
}

const servers: Counted[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(host: string, handler: RequestListener = (_q, r) => r.end('hello')): Promise<Counted> {
  const server: Server = createServer(handler);
  let n = 0;
  server.on('connection', () => n++);
  await new Promise<void>((ok) => server.listen(0, host, ok));
  const s = {
    port: (server.address() as AddressInfo).port,
    connections: () => n,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
  servers.push(s);
  return s;
}

/** A DNS stub: host -> addresses (or a function of the lookup count), counting lookups. */
function stubDns(table: Record<string, string[] | ((call: number) => string[])>) {
  const calls: string[] = [];
  const resolve: Resolver = async (host) => {
    calls.push(host);
    const entry = table[host];
    const list = typeof entry === 'function' ? entry(calls.filter((h) => h === host).length) : entry;
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls };
}

/** Counts TCP client sockets the process creates while `fn` runs (node's `net.client.socket` channel). */
async function socketsDuring(fn: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const onSocket = () => n++;
  subscribe('net.client.socket', onSocket);
  try {
    await fn().catch(() => {});
  } finally {
    unsubscribe('net.client.socket', onSocket);
  }
  return n;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const refusal = (rule: string, message?: RegExp) =>
  expect.objectContaining({
    name: 'RefusedAddressError',
    code: 'address_refused',
    rule,
    ...(message ? { message: expect.stringMatching(message) } : {}),
  });

describe('classifyAddress: the refused address classes', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.3.4', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['169.254.10.1', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['224.0.0.251', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['192.0.2.10', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['fec0::1', 'siteLocal'],
    ['2001::1', 'tunnel'],
    // IPv6 forms that carry an IPv4 address are judged by it.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.5', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:100.64.0.1', 'carrierGradeNat'],
    ['64:ff9b::a00:5', 'private'],
    ['2002:a00:5::1', 'private'],
    ['::10.0.0.5', 'private'],
    ['not-an-ip', 'invalid'],
  ])('%s is refused as %s', (ip, rule) => {
    expect(classifyAddress(ip)?.rule).toBe(rule);
  });

  it.each(['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    '%s (public) is let through',
    (ip) => {
      expect(classifyAddress(ip)).toBeNull();
    },
  );
});

describe('AllowList', () => {
  it('matches host names, domain wildcards, addresses and CIDRs (IPv4-mapped forms too)', () => {
    const a = new AllowList(['intranet.example', '*.corp.example', '127.0.0.1', '10.0.0.0/8', '::1']);
    expect(a.allowsHost('INTRANET.example.')).toBe(true);
    expect(a.allowsHost('a.b.corp.example')).toBe(true);
    expect(a.allowsHost('corp.example.evil')).toBe(false);
    expect(a.allowsAddress('127.0.0.1')).toBe(true);
    expect(a.allowsAddress('::ffff:127.0.0.1')).toBe(true);
    expect(a.allowsAddress('10.200.0.1')).toBe(true);
    expect(a.allowsAddress('::1')).toBe(true);
    expect(a.allowsAddress('127.0.0.2')).toBe(false);
    expect(a.allowsAddress('192.168.0.1')).toBe(false);
  });
});

describe('SafeFetcher: loopback servers are refused without a connection', () => {
  it('127.0.0.1 by address, by name (localhost) and in other spellings; 0.0.0.0 reaches it too and is refused', async () => {
    const s = await serve('127.0.0.1');
    const f = new SafeFetcher();
    for (const url of [
      `http://127.0.0.1:${s.port}/`,
      `http://127.1:${s.port}/`,
      `http://2130706433:${s.port}/`,
      `http://0x7f000001:${s.port}/`,
    ]) {
      await expect(f.fetch(url)).rejects.toEqual(
        refusal('loopback', /^refused: 127\.0\.0\.1 is a loopback address .*REVIEWLENS_INGEST_ALLOW_HOSTS/),
      );
    }
    await expect(f.fetch(`http://[::ffff:127.0.0.1]:${s.port}/`)).rejects.toEqual(
      refusal('loopback', /^refused: ::ffff:7f00:1 \(IPv4 127\.0\.0\.1\) is a loopback address/),
    );
    await expect(f.fetch(`http://0.0.0.0:${s.port}/`)).rejects.toEqual(refusal('unspecified'));
    await expect(f.fetch(`http://localhost:${s.port}/`)).rejects.toEqual(
      refusal('loopback', /^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address/),
    );
    expect(s.connections()).toBe(0);
    // The same server, allowed: the refusals above were the guard's, not a dead server.
    const allowed = new SafeFetcher({ allow: ['127.0.0.1'] });
    const res = await allowed.fetch(`http://127.0.0.1:${s.port}/`);
    expect([res.status, res.body.toString(), res.address]).toEqual([200, 'hello', '127.0.0.1']);
    expect(s.connections()).toBe(1);
    allowed.close();
  });

  it('::1', async () => {
    const s = await serve('::1');
    await expect(new SafeFetcher().fetch(`http://[::1]:${s.port}/`)).rejects.toEqual(
      refusal('loopback', /^refused: ::1 is a loopback address/),
    );
    expect(s.connections()).toBe(0);
    const res = await new SafeFetcher({ allow: ['::1'] }).fetch(`http://[::1]:${s.port}/`);
    expect(res.status).toBe(200);
  });

  it('IP literals of every class are refused before a socket is made', async () => {
    const f = new SafeFetcher();
    const cases: Array<[string, string]> = [
      ['http://10.0.0.5/', 'private'],
      ['http://192.168.0.1/', 'private'],
      ['http://[fd12::1]/', 'uniqueLocal'],
      ['http://169.254.10.1/', 'linkLocal'],
      ['http://[fe80::1]/', 'linkLocal'],
      ['http://224.0.0.1/', 'multicast'],
      ['http://[ff02::1]/', 'multicast'],
      ['http://100.64.0.1/', 'carrierGradeNat'],
      ['http://169.254.169.254/latest/meta-data/', 'metadata'],
      ['http://[fd00:ec2::254]/', 'metadata'],
      ['http://[::ffff:a00:5]/', 'private'],
    ];
    for (const [url, rule] of cases) {
      let error: unknown;
      const sockets = await socketsDuring(() => f.fetch(url).catch((e) => (error = e)));
      expect(error, url).toEqual(refusal(rule));
      expect(sockets, url).toBe(0);
    }
    await expect(f.fetch('http://10.0.0.5/')).rejects.toThrow(
      'refused: 10.0.0.5 is a private address (RFC 1918); allow it with REVIEWLENS_INGEST_ALLOW_HOSTS',
    );
  });
});

describe('SafeFetcher: host names are checked on the address connected to (DNS stub)', () => {
  const classes: Array<[string, string, string]> = [
    ['private', '10.0.0.5', 'a private address (RFC 1918)'],
    ['private', '172.20.1.1', 'a private address (RFC 1918)'],
    ['private', '192.168.10.20', 'a private address (RFC 1918)'],
    ['uniqueLocal', 'fd00::5', 'a unique-local address (fc00::/7)'],
    ['linkLocal', '169.254.1.1', 'a link-local address'],
    ['linkLocal', 'fe80::5', 'a link-local address'],
    ['multicast', '239.1.1.1', 'a multicast address'],
    ['unspecified', '0.0.0.0', 'an unspecified address'],
    ['carrierGradeNat', '100.64.9.9', 'a carrier-grade NAT address'],
    ['metadata', '169.254.169.254', 'a cloud metadata address'],
    ['metadata', 'fd00:ec2::254', 'a cloud metadata address'],
    ['loopback', '::ffff:127.0.0.2', 'a loopback address'],
    ['private', '::ffff:10.0.0.5', 'a private address (RFC 1918)'],
  ];

  it.each(classes)('a host resolving to %s (%s) is refused, and no connection is made', async (rule, address, text) => {
    const s = await serve('127.0.0.1');
    // 127.0.0.1 is allowed and answers first: a guard that let the refused address slip, or checked only the
    // first answer, would connect to the server.
    const dns = stubDns({ 'shop.test': ['127.0.0.1', address] });
    const f = new SafeFetcher({ allow: ['127.0.0.1'], resolve: dns.resolve });
    await expect(f.fetch(`http://shop.test:${s.port}/`)).rejects.toEqual(
      refusal(rule, new RegExp(`^refused: shop\\.test resolves to ${esc(address)}.*, ${esc(text)}`)),
    );
    expect(dns.calls).toContain('shop.test');
    expect(s.connections()).toBe(0);
  });

  it('metadata host names are refused before any lookup', async () => {
    const dns = stubDns({});
    const f = new SafeFetcher({ resolve: dns.resolve });
    for (const host of ['metadata.google.internal', 'metadata.goog', 'METADATA.google.internal.']) {
      await expect(f.fetch(`http://${host}/computeMetadata/v1/`)).rejects.toEqual(refusal('metadata', /metadata host/));
    }
    expect(dns.calls).toEqual([]);
  });

  it('an allowed host name may resolve to a private address, but never to a metadata one', async () => {
    const s = await serve('127.0.0.1');
    const dns = stubDns({ 'intranet.test': ['127.0.0.1'], 'cloud.intranet.test': ['169.254.169.254'] });
    const f = new SafeFetcher({ allow: ['intranet.test', '*.intranet.test'], resolve: dns.resolve });
    expect((await f.fetch(`http://intranet.test:${s.port}/`)).status).toBe(200);
    await expect(f.fetch('http://cloud.intranet.test/')).rejects.toEqual(refusal('metadata'));
    f.close();
  });

  it('DNS rebinding: public at the pre-flight check, loopback at connect: refused at connect', async () => {
    const s = await serve('127.0.0.1');
    const dns = stubDns({ 'rebind.test': (n) => (n === 1 ? ['93.184.216.34'] : ['127.0.0.1']) });
    const f = new SafeFetcher({ resolve: dns.resolve });
    await f.preflight(`http://rebind.test:${s.port}/`); // passes: the first answer is public
    await expect(f.fetch(`http://rebind.test:${s.port}/`)).rejects.toEqual(
      refusal('loopback', /^refused: rebind\.test resolves to 127\.0\.0\.1/),
    );
    expect(dns.calls).toEqual(['rebind.test', 'rebind.test']);
    expect(s.connections()).toBe(0);
  });

  it('the connected socket is checked again (a socket made without the guard is destroyed)', async () => {
    const s = await serve('127.0.0.1');
    const guard = new AddressGuard();
    const socket = connect(s.port, '127.0.0.1');
    const closed = new Promise<Error | undefined>((ok) => socket.on('error', ok).on('close', () => ok(undefined)));
    guard.checkSocket('127.0.0.1', socket);
    expect(await closed).toBeInstanceOf(RefusedAddressError);
  });
});

describe('SafeFetcher: redirects, size and time', () => {
  it('checks every redirect hop: an allowed host redirecting to a refused one is refused, with no connection to it', async () => {
    const target = await serve('127.0.0.1');
    const shop = await serve('127.0.0.1', (req, res) => {
      const to: Record<string, string> = {
        '/to-literal': `http://127.0.0.1:${target.port}/secret`,
        '/to-name': `http://internal.test:${target.port}/secret`,
        '/to-metadata': 'http://169.254.169.254/latest/meta-data/',
        '/to-file': 'file:///etc/passwd',
        '/ok': '/final',
        '/loop': '/loop',
      };
      const location = to[req.url ?? ''];
      if (location) res.writeHead(302, { location }).end();
      else res.end(`page ${req.url}`);
    });
    const dns = stubDns({ 'shop.test': ['127.0.0.1'], 'internal.test': ['127.0.0.1'] });
    const f = new SafeFetcher({ allow: ['shop.test'], resolve: dns.resolve, maxRedirects: 3 });
    const base = `http://shop.test:${shop.port}`;
    await expect(f.fetch(`${base}/to-literal`)).rejects.toEqual(refusal('loopback', /127\.0\.0\.1 is a loopback/));
    await expect(f.fetch(`${base}/to-name`)).rejects.toEqual(refusal('loopback', /internal\.test resolves to/));
    await expect(f.fetch(`${base}/to-metadata`)).rejects.toEqual(refusal('metadata'));
    await expect(f.fetch(`${base}/to-file`)).rejects.toThrow(/redirected to a file: URL, which is not fetched/);
    await expect(f.fetch(`${base}/loop`)).rejects.toThrow(/more than 3 redirects/);
    expect(target.connections()).toBe(0);
    const ok = await f.fetch(`${base}/ok`);
    expect([ok.status, ok.url, ok.redirects, ok.body.toString()]).toEqual([
      200,
      `${base}/final`,
      [`${base}/final`],
      'page /final',
    ]);
    f.close();
  });

  it('caps the body: by Content-Length before reading, while reading, and after decompression (a gzip bomb)', async () => {
    const big = Buffer.alloc(300_000, 'a');
    const s = await serve('127.0.0.1', (req, res) => {
      if (req.url === '/declared') res.writeHead(200, { 'content-length': big.length }).end(big);
      else if (req.url === '/chunked') {
        res.write(big.subarray(0, 150_000));
        res.end(big.subarray(150_000));
      } else if (req.url === '/bomb') {
        res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(50_000_000)));
      } else res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.from('small, compressed')));
    });
    const f = new SafeFetcher({ allow: ['127.0.0.1'], maxBytes: 100_000 });
    const base = `http://127.0.0.1:${s.port}`;
    await expect(f.fetch(`${base}/declared`)).rejects.toMatchObject({
      code: 'payload_too_large',
      message: `${base}/declared: 300000 bytes, over the 100000-byte limit`,
    });
    await expect(f.fetch(`${base}/chunked`)).rejects.toMatchObject({
      code: 'payload_too_large',
      message: `${base}/chunked: over the 100000-byte limit`,
    });
    await expect(f.fetch(`${base}/bomb`)).rejects.toMatchObject({ code: 'payload_too_large' });
    const small = await f.fetch(`${base}/gz`);
    expect([small.body.toString(), small.headers['content-encoding']]).toEqual(['small, compressed', undefined]);
    f.close();
  });

  it('caps the time: a server that never answers, or stops mid-body, gives a clear timeout', async () => {
    const s = await serve('127.0.0.1', (req, res) => {
      if (req.url === '/stall-body') res.writeHead(200, { 'content-length': 1000 }).write('partial');
      // '/silent': never answers
    });
    const f = new SafeFetcher({ allow: ['127.0.0.1'], timeoutMs: 200 });
    for (const path of ['/silent', '/stall-body']) {
      await expect(f.fetch(`http://127.0.0.1:${s.port}${path}`)).rejects.toMatchObject({
        code: 'timeout',
        message: `http://127.0.0.1:${s.port}${path}: no answer in 200 ms (the time limit)`,
      });
    }
    f.close();
  });
});
