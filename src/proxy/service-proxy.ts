import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../api/types.js';
import { UNCLAIMED, type AddressClaims } from '../runtime/address-claims.js';
import type { ObjectStore, Watch } from '../store/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { backendKey, backendsFromSlices, BackendPicker, type Backend } from './backends.js';
import { ProxyStats } from './stats.js';

/**
 * podvisor's kube-proxy: for every Service, a TCP listener per port on `<clusterIP>:<port>` (and
 * `127.0.0.1:<nodePort>` for NodePort/LoadBalancer) that sends each new connection to a Ready
 * endpoint. It only reads the store (Services and EndpointSlices, by watch): a pod leaves the
 * rotation when the endpoints controller marks it not ready, and a terminating pod gets no new
 * connections while the ones it has finish. With no Ready endpoint a connection is reset at once,
 * as kube-proxy's REJECT rule does.
 */

type StoredService = Service & KubeObject;
type StoredSlice = EndpointSlice & KubeObject;

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** How long after a failed bind the proxy tries again. */
const REBIND_MS = 5000;

export interface ProxyOptions {
  store: ObjectStore;
  clock: Clock;
  /** Where node ports listen (default 127.0.0.1). */
  nodePortHost?: string;
  /** Told about listeners that could not bind (privileged port, address in use). */
  onError?: (err: Error) => void;
  /**
   * Machine-wide claims on cluster IPs (shared with pod IPs): a cluster IP another podvisor node
   * on this machine holds is not served here (its clients would reach either node's service).
   */
  claims?: AddressClaims;
}

/** One service port: the listener(s) that feed it share a picker. */
interface PortState {
  service: string;
  portName: string;
  picker: BackendPicker;
}

interface Listener {
  address: string;
  server: Server;
  target: PortState;
  listening: Promise<void>;
}

export interface ServiceProxy {
  readonly stats: ProxyStats;
  /** Resolves once every listener known now is bound (or has failed and been reported). */
  settled(): Promise<void>;
  /** The `host:port` addresses listened on, for tests and the dashboard. */
  addresses(): string[];
  stop(): Promise<void>;
}

export function startProxy(opts: ProxyOptions): ServiceProxy {
  return new ServiceProxyImpl(opts);
}

class ServiceProxyImpl implements ServiceProxy {
  readonly stats = new ProxyStats();
  private readonly store: ObjectStore;
  private readonly clock: Clock;
  private readonly nodePortHost: string;
  private readonly onError: (err: Error) => void;
  private readonly claims: AddressClaims;
  /** Cluster IPs this proxy holds a claim on, released once no service port wants them. */
  private readonly claimed = new Set<string>();
  private readonly services = new Map<string, StoredService>();
  /** service key → slice name → slice. */
  private readonly slices = new Map<string, Map<string, StoredSlice>>();
  /** `service/portName` → state. */
  private readonly ports = new Map<string, PortState>();
  private readonly listeners = new Map<string, Listener>();
  private readonly watches: Watch[];
  private stopped = false;
  /** Addresses whose bind failure was reported (reported once, retried quietly). */
  private readonly reported = new Set<string>();
  private rebind: Timer | undefined;

  constructor(opts: ProxyOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.nodePortHost = opts.nodePortHost ?? '127.0.0.1';
    this.onError = opts.onError ?? (() => {});
    this.claims = opts.claims ?? UNCLAIMED;
    this.watches = [
      this.store.watch<StoredService>('services', {}, (ev) => {
        const key = keyOf(ev.object);
        if (ev.type === 'DELETED') this.services.delete(key);
        else if (ev.type !== 'BOOKMARK') this.services.set(key, ev.object);
        this.reconcileListeners();
        this.refreshBackends(key);
      }),
      this.store.watch<StoredSlice>('endpointslices', {}, (ev) => {
        const svc = ev.object.metadata.labels?.[SERVICE_NAME_LABEL];
        if (!svc || ev.type === 'BOOKMARK') return;
        const key = `${ev.object.metadata.namespace ?? 'default'}/${svc}`;
        let byName = this.slices.get(key);
        if (!byName) this.slices.set(key, (byName = new Map()));
        if (ev.type === 'DELETED') byName.delete(ev.object.metadata.name);
        else byName.set(ev.object.metadata.name, ev.object);
        this.refreshBackends(key);
      }),
    ];
  }

  addresses(): string[] {
    return [...this.listeners.keys()].sort();
  }

  async settled(): Promise<void> {
    await Promise.all([...this.listeners.values()].map((l) => l.listening));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.rebind?.cancel();
    for (const w of this.watches) w.stop();
    const closing = [...this.listeners.values()].map((l) => closeServer(l.server));
    this.listeners.clear();
    await Promise.all(closing);
    for (const ip of this.claimed) this.claims.release(ip);
    this.claimed.clear();
  }

  /** The addresses each service port should listen on, from the services known now. */
  private wantedListeners(): Map<string, PortState> {
    const wanted = new Map<string, PortState>();
    const livePorts = new Set<string>();
    for (const [key, svc] of this.services) {
      const spec = svc.spec ?? {};
      const clusterIP = spec.clusterIP;
      if (spec.type === 'ExternalName') continue;
      const timeout =
        spec.sessionAffinity === 'ClientIP'
          ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) * 1000
          : undefined;
      for (const port of spec.ports ?? []) {
        if ((port.protocol ?? 'TCP') !== 'TCP') continue;
        const portKey = `${key}/${port.name ?? ''}`;
        livePorts.add(portKey);
        let state = this.ports.get(portKey);
        if (!state) {
          state = { service: key, portName: port.name ?? '', picker: new BackendPicker(this.clock) };
          this.ports.set(portKey, state);
        }
        state.picker.setAffinity(timeout !== undefined ? { timeoutMs: timeout } : {});
        if (clusterIP && clusterIP !== 'None') wanted.set(`${clusterIP}:${port.port}`, state);
        if (port.nodePort) wanted.set(`${this.nodePortHost}:${port.nodePort}`, state);
      }
    }
    for (const k of [...this.ports.keys()]) if (!livePorts.has(k)) this.ports.delete(k);
    return wanted;
  }

  /** Starts, stops and re-targets listeners as Services change. */
  private reconcileListeners(): void {
    if (this.stopped) return;
    const wanted = this.wantedListeners();
    for (const [address, l] of this.listeners) {
      const target = wanted.get(address);
      if (!target) {
        // Open connections keep going; only new ones stop being accepted.
        this.listeners.delete(address);
        void closeServer(l.server);
      } else l.target = target;
    }
    const wantedIPs = new Set<string>();
    for (const [address, target] of wanted) {
      const host = address.slice(0, address.lastIndexOf(':'));
      if (host !== this.nodePortHost) {
        wantedIPs.add(host);
        if (!this.claimClusterIP(host, address, target)) continue;
      }
      if (!this.listeners.has(address)) this.listen(address, target);
    }
    for (const ip of this.claimed) {
      if (wantedIPs.has(ip)) continue;
      this.claimed.delete(ip);
      this.claims.release(ip);
    }
  }

  /** False (reported once, retried with the binds) while another node on this machine holds `ip`. */
  private claimClusterIP(ip: string, address: string, target: PortState): boolean {
    if (this.claimed.has(ip)) return true;
    if (this.claims.claim(ip)) {
      this.claimed.add(ip);
      this.reported.delete(address);
      return true;
    }
    if (!this.reported.has(address)) {
      this.reported.add(address);
      this.onError(
        new Error(
          `service ${target.service}: cannot listen on ${address}: cluster IP ${ip} is held by another podvisor node on this machine (it was given out while this node was down); delete and re-create the service to get a free one`,
        ),
      );
    }
    this.retryLater();
    return false;
  }

  /** Another try at binds and claims that failed: an address may come free. */
  private retryLater(): void {
    this.rebind ??= this.clock.setTimer(REBIND_MS, () => {
      this.rebind = undefined;
      this.reconcileListeners();
    });
  }

  private listen(address: string, target: PortState): void {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon);
    const port = Number(address.slice(colon + 1));
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    const listener: Listener = { address, server, target, listening: Promise.resolve() };
    server.on('connection', (socket) => this.accept(listener.target, socket));
    listener.listening = new Promise<void>((resolve) => {
      server.once('listening', () => resolve());
      server.once('error', (err: NodeJS.ErrnoException) => {
        this.listeners.delete(address);
        if (!this.reported.has(address)) {
          this.reported.add(address);
          this.onError(
            new Error(`service ${target.service}: cannot listen on ${address}: ${err.code ?? err.message}`),
          );
        }
        // The address may come free (another program lets go of a node port): try again later.
        this.retryLater();
        resolve();
      });
      server.once('listening', () => this.reported.delete(address));
    });
    server.listen({ host, port, exclusive: true });
    this.listeners.set(address, listener);
  }

  private refreshBackends(serviceKey: string): void {
    const slices = [...(this.slices.get(serviceKey)?.values() ?? [])];
    for (const state of this.ports.values()) {
      if (state.service === serviceKey) state.picker.setBackends(backendsFromSlices(slices, state.portName));
    }
  }

  private accept(target: PortState, client: Socket, tried = new Set<string>()): void {
    const clientIP = client.remoteAddress ?? '';
    const backend = target.picker.pick(clientIP, tried);
    if (!backend) {
      this.stats.rejected(target.service, target.portName);
      client.resetAndDestroy();
      return;
    }
    this.forward(target, client, backend, tried);
  }

  /** Pipes both ways with backpressure; each side's FIN is passed on (half-close). */
  private forward(target: PortState, client: Socket, backend: Backend, tried: Set<string>): void {
    const key = backendKey(backend);
    const upstream = connect({ host: backend.ip, port: backend.port, allowHalfOpen: true });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      this.stats.opened(target.service, key);
      upstream.once('close', () => this.stats.closed(target.service, key));
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      if (!connected) {
        // A backend that refuses (its process just died) costs the client nothing if another is Ready.
        tried.add(key);
        if (!client.destroyed) this.accept(target, client, tried);
        return;
      }
      client.destroy();
    });
    client.on('error', () => upstream.destroy());
    // A client gone before the backend answered leaves nothing open behind it.
    client.once('close', () => (connected ? upstream.destroySoon() : upstream.destroy()));
    upstream.once('close', () => {
      if (connected) client.destroySoon();
    });
  }
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
