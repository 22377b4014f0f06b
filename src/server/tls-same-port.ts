import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';

/** A TLS record starts with content type 22 (handshake); no HTTP request line does. */
const TLS_HANDSHAKE = 0x16;

/**
 * Serves HTTPS and plain HTTP on the HTTP server's one port: each connection's first byte says
 * which. kubectl sends its bearer token only over TLS (client-go clientcmd), while podvisor's own
 * CLI and scripts keep using http:// on loopback. TLS connections are decrypted and handed to the
 * same HTTP server, so routes, upgrades (port-forward), closeAllConnections() and close() cover
 * both. The certificate and key come from the state directory (src/cli/serving-cert.ts) and are
 * only held in memory here.
 */
export function acceptTlsOnSamePort(
  server: HttpServer,
  tls: { key: string; cert: string },
  firstByteTimeoutMs = 30_000,
): void {
  const httpListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const toHttp = (socket: Socket | TLSSocket): void => {
    for (const listener of httpListeners) listener.call(server, socket);
  };
  // Made on the first TLS connection, not at start-up: an OpenSSL context costs ~1 MiB of RSS
  // (issue 6 S3) that a node nobody points kubectl at never needs. The key and certificate were
  // checked against each other when loaded (src/cli/serving-cert.ts).
  let secureContext: SecureContext | undefined;
  server.on('connection', (socket: Socket) => {
    socket.once('error', () => socket.destroy());
    // Until its first byte a connection is not the HTTP server's, whose header timeout would end
    // it: one that never speaks is ended here instead, or idle connections could pile up.
    const silent = (): void => {
      socket.destroy();
    };
    socket.setTimeout(firstByteTimeoutMs);
    socket.once('timeout', silent);
    socket.once('data', (first: Buffer) => {
      socket.setTimeout(0);
      socket.off('timeout', silent);
      socket.pause();
      socket.unshift(first);
      if (first[0] !== TLS_HANDSHAKE) {
        toHttp(socket);
        socket.resume();
        return;
      }
      try {
        secureContext ??= createSecureContext({ key: tls.key, cert: tls.cert });
      } catch (err) {
        console.error(
          `podvisor: cannot serve HTTPS with the state directory's tls/serving.crt and tls/serving.key (${(err as Error).message}); delete both files and restart podvisor to make new ones`,
        );
        socket.destroy();
        return;
      }
      // The first bytes were read in JavaScript: TLS must read through the stream (not the
      // socket's handle) to see them again.
      const secure = new TLSSocket(Duplex.from({ readable: socket, writable: socket }), {
        isServer: true,
        secureContext,
        ALPNProtocols: ['http/1.1'],
      });
      // A failed handshake (a client that does not trust the certificate) ends that connection only.
      secure.on('error', () => {
        secure.destroy();
        socket.destroy();
      });
      secure.on('close', () => socket.destroy());
      toHttp(secure);
    });
  });
}
