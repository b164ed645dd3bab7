import { createServer, type Server, Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL, Redis) that a test controls, to make that
 * server "go away" without stopping it for the other tests: `kill()` closes every connection and the
 * listener (the server is gone: connections are reset, new ones refused), `start()` again listens on the
 * same port (the server is back), `silence()` keeps connections open but drops every byte (a hung server).
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private silent = false;
  /** The port it listens on (chosen by the first `start()`, kept by the next ones). */
  port = 0;
  /** Connections accepted so far. */
  accepted = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens (again) and forwards each connection to the target. */
  async start(): Promise<void> {
    this.silent = false;
    const server = createServer((client) => {
      this.accepted++;
      const upstream = new Socket().connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => this.sockets.delete(s));
      }
      client.on('data', (d) => {
        if (!this.silent) upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (!this.silent) client.write(d);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Keeps the connections open but forwards nothing more (a server that hangs). */
  silence(): void {
    this.silent = true;
  }

  /** Resets every connection and stops listening (a server that went away). */
  async kill(): Promise<void> {
    for (const s of this.sockets) {
      try {
        s.resetAndDestroy();
      } catch {
        s.destroy();
      }
    }
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((r) => server.close(r));
  }

  /** `url` with its host and port replaced by this proxy's. */
  url(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }
}
