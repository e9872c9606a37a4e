// A small round-robin TCP proxy, as a load balancer in front of server replicas would be: each
// new connection goes to the next backend; a backend that refuses the connection (a killed
// replica) is skipped for that connection, the next one is tried. With one backend it is a
// plain forwarder (PostgreSQL from the namespaces). Bytes are piped, never parsed.
import net from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

export class TcpProxy {
  private server?: net.Server;
  private next = 0;
  private readonly sockets = new Set<net.Socket>();
  /** Connections handed to each backend, by `host:port`. */
  readonly connections = new Map<string, number>();
  /** Connections no backend took. */
  refused = 0;
  port = 0;

  constructor(
    private readonly backends: Backend[],
    private readonly listenHost: string,
  ) {}

  async listen(port = 0): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.listenHost, () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  get url(): string {
    return `http://${this.listenHost}:${this.port}`;
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    client.pause();
    client.on('error', () => undefined);
    const start = this.next++ % this.backends.length;
    const attempt = (tried: number) => {
      if (client.destroyed) return;
      if (tried >= this.backends.length) {
        this.refused++;
        client.destroy();
        return;
      }
      const b = this.backends[(start + tried) % this.backends.length]!;
      const upstream = net.connect(b.port, b.host);
      this.track(upstream);
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        const key = `${b.host}:${b.port}`;
        this.connections.set(key, (this.connections.get(key) ?? 0) + 1);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => {
        if (!connected) attempt(tried + 1);
      });
      // Either side going away ends the other: a killed replica resets its clients' connections.
      upstream.on('close', () => {
        if (connected) client.destroy();
      });
      client.on('close', () => upstream.destroy());
    };
    attempt(0);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
