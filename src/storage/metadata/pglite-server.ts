import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/**
 * Who holds the one PGlite connection. Postgres sessions keep state between messages — the unnamed
 * prepared statement and portal of the extended query protocol (Parse, Bind, Describe, Execute, Sync),
 * and an open transaction — so a holder keeps the connection from its first message until it is back at
 * "ready for query" outside a transaction (after a Sync or a simple Query). Re-entrant for its holder.
 */
export class SessionLock {
  private holder: string | null = null;
  private waiters: { id: string; resolve: () => void }[] = [];

  /** Resolves when `id` holds the connection (at once when it already does). */
  acquire(id: string): Promise<void> {
    if (this.holder === null || this.holder === id) {
      this.holder = id;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push({ id, resolve }));
  }

  /** Gives the connection to the next waiter; a no-op unless `id` holds it. */
  release(id: string): void {
    if (this.holder !== id) return;
    const next = this.waiters.shift();
    this.holder = next ? next.id : null;
    next?.resolve();
  }

  /** Drops `id`'s waits (a closed connection). */
  forget(id: string): void {
    this.waiters = this.waiters.filter((w) => w.id !== id);
  }

  holds(id: string): boolean {
    return this.holder === id;
  }
}

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/**
 * Serves one PGlite instance to other processes over the Postgres wire protocol (a Unix socket or
 * loopback TCP), sharing `lock` with the owner's in-process queries.
 *
 * Written here rather than taken from `@electric-sql/pglite-socket`: its multiplexer (0.2.x) queues each
 * protocol message on its own, so with two clients, or a client and the owner, one client's Bind can land
 * between another's Parse and Execute ("unnamed prepared statement does not exist", parameters of the
 * wrong query) — measured by the API fuzz benchmark. Here a session holds the connection from its first
 * message to its next ready-for-query point outside a transaction (SessionLock), so sequences and
 * transactions stay whole. SSL is declined ('N'); cancel requests are ignored; a client that disconnects
 * inside a transaction has it rolled back.
 */
export class PGliteWireServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private next = 0;

  constructor(
    private readonly db: PGlite,
    private readonly lock: SessionLock,
  ) {}

  /** Listens on a Unix socket path or host:port (port 0: any free one); resolves with the bound port for TCP. */
  async listen(at: { path: string } | { host: string; port: number }): Promise<number | undefined> {
    const server = createServer((socket) => this.attach(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if ('path' in at) server.listen(at.path, resolve);
      else server.listen(at.port, at.host, resolve);
    });
    const addr = server.address();
    return addr && typeof addr === 'object' ? addr.port : undefined;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private attach(socket: Socket): void {
    const id = `socket-${++this.next}`;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let started = false;
    // Messages are handled one after another, in order, per connection.
    let chain: Promise<void> = Promise.resolve();
    const done = async () => {
      this.sockets.delete(socket);
      this.lock.forget(id);
      await chain.catch(() => {});
      if (this.lock.holds(id)) {
        if (this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => {});
        this.lock.release(id);
      }
    };
    socket.on('close', () => void done());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const len = buffer.readInt32BE(0);
          const code = buffer.readInt32BE(4);
          if (buffer.length < len) return;
          const msg = buffer.subarray(0, len);
          buffer = buffer.subarray(len);
          if (code === SSL_REQUEST) {
            socket.write('N');
            continue;
          }
          if (code === CANCEL_REQUEST) continue;
          if (code !== PROTOCOL_3) {
            socket.destroy();
            return;
          }
          started = true;
          chain = chain.then(() => this.run(id, socket, msg, true));
          continue;
        }
        if (buffer.length < 5) return;
        const len = 1 + buffer.readInt32BE(1);
        if (buffer.length < len) return;
        const msg = buffer.subarray(0, len);
        buffer = buffer.subarray(len);
        const type = String.fromCharCode(msg[0] as number);
        if (type === 'X') {
          socket.end();
          return;
        }
        // Sync and a simple Query end a sequence: the connection may pass on afterwards.
        chain = chain.then(() => this.run(id, socket, msg, type === 'S' || type === 'Q'));
      }
    });
  }

  private async run(id: string, socket: Socket, msg: Uint8Array, endsSequence: boolean): Promise<void> {
    await this.lock.acquire(id);
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(new Uint8Array(msg), {
          onRawData: (out: Uint8Array) => {
            if (out.length > 0 && socket.writable) socket.write(Buffer.from(out));
          },
        }),
      );
    } catch {
      socket.destroy();
    } finally {
      if (endsSequence && !this.db.isInTransaction()) this.lock.release(id);
    }
  }
}
