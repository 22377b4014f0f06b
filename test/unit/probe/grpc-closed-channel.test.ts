/**
 * A gRPC probe's channel stays closed (spec §3.4: one channel per probe, closed at the verdict).
 * grpc-js 1.14 brings a closed channel back to life when a resolver result or a subchannel state
 * change arrives after close(): it connects and backs off forever, and on a starved CI machine the
 * hostile gRPC test saw most of 1,000 channels kept that way. These tests drive those late
 * arrivals by hand through grpc-js's internals (the white box is the point: the race itself needs
 * a starved machine), first on a plain closed channel, to show the bug is still there, then on
 * one the probe has quiesced.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Client, credentials } from '@grpc/grpc-js';
import { quiesceClosedChannel } from '../../../src/probe/grpc-client.js';

const HOST = '127.0.7.42';

interface ResolvingLoadBalancer {
  backoffTimeout: { isRunning(): boolean };
  updateResolution(): void;
  handleResolverResult(endpoints: unknown, attributes: object, serviceConfig: null, note: string): boolean;
  destroy(): void;
}
interface InternalChannel {
  subchannelPool: { pool: Record<string, unknown[]> };
  resolvingLoadBalancer: ResolvingLoadBalancer;
}

function internals(client: Client): InternalChannel {
  return (client.getChannel() as unknown as { internalChannel: InternalChannel }).internalChannel;
}

function subchannels(channel: InternalChannel): number {
  return Object.values(channel.subchannelPool.pool).reduce((n, list) => n + list.length, 0);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A closed channel as the probe makes it, and what a late resolver result would carry. */
async function closedChannel(): Promise<{ client: Client; channel: InternalChannel; endpoints: unknown }> {
  const port = await closedPort();
  const client = new Client(`${HOST}:${port}`, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  client.close();
  const endpoints = { ok: true, value: [{ addresses: [{ host: HOST, port }] }] };
  return { client, channel: internals(client), endpoints };
}

describe('gRPC probe channels stay closed (spec §3.4)', () => {
  test('grpc-js alone: a late re-resolution arms a backoff timer and a late result creates a subchannel on a closed channel', async () => {
    const { client, channel, endpoints } = await closedChannel();
    try {
      channel.resolvingLoadBalancer.updateResolution();
      assert.equal(channel.resolvingLoadBalancer.backoffTimeout.isRunning(), true);
      channel.resolvingLoadBalancer.handleResolverResult(endpoints, {}, null, '');
      assert.ok(subchannels(channel) > 0, 'the closed channel took the addresses and connects again');
    } finally {
      quiesceClosedChannel(client);
      channel.resolvingLoadBalancer.destroy();
    }
  });

  test('quiesced by the probe: late re-resolutions and resolver results do nothing', async () => {
    const { client, channel, endpoints } = await closedChannel();
    assert.equal(quiesceClosedChannel(client), true, "grpc-js's internals are where the probe expects them");
    channel.resolvingLoadBalancer.updateResolution();
    assert.equal(channel.resolvingLoadBalancer.backoffTimeout.isRunning(), false);
    assert.equal(channel.resolvingLoadBalancer.handleResolverResult(endpoints, {}, null, ''), false);
    assert.equal(subchannels(channel), 0);
  });
});
