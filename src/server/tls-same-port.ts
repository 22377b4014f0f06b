import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket } from 'node:tls';

/** A TLS record starts with content type 22 (handshake); no HTTP request line does. */
const TLS_HANDSHAKE = 0x16;

/**
 * Serves HTTPS and plain HTTP on the HTTP server's one port: each connection's first byte says
 * which. kubectl sends its bearer token only over TLS (client-go clientcmd), while podvisor's own
 * CLI and scripts keep using http:// on loopback. TLS connections are decrypted and handed to the
 * same HTTP server, so routes, upgrades (port-forward), closeAllConnections() and close() cover
 * both.
 */
export function acceptTlsOnSamePort(server: HttpServer, tls: { key: string; cert: string }): void {
  const httpListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const toHttp = (socket: Socket | TLSSocket): void => {
    for (const listener of httpListeners) listener.call(server, socket);
  };
  const secureContext = createSecureContext({ key: tls.key, cert: tls.cert });
  server.on('connection', (socket: Socket) => {
    socket.once('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      if (first[0] !== TLS_HANDSHAKE) {
        toHttp(socket);
        socket.resume();
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
