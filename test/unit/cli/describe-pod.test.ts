process.env.TZ = 'UTC'; // describe prints local time (Go's metav1.Time is local); pin it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../../src/api/types.js';
import { describePod } from '../../../src/cli/printers/describe-pod.js';
import { describeEventAge } from '../../../src/cli/printers/events-table.js';
import { rfc1123z } from '../../../src/cli/printers/time.js';
import { container, event, iso, NOW, type Writable } from './fixtures.js';

function crashLoopingPod(): Writable<Pod> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'uid-web',
      creationTimestamp: '2024-06-04T09:59:00Z',
      labels: { app: 'web', tier: 'front' },
    },
    spec: {
      nodeName: 'box',
      containers: [
        container('app', {
          image: 'node:20-alpine',
          command: ['node', 'server.mjs'],
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          livenessProbe: {
            httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
            initialDelaySeconds: 3,
            timeoutSeconds: 1,
            periodSeconds: 3,
            successThreshold: 1,
            failureThreshold: 3,
          },
        }),
      ],
    },
    status: {
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: '127.77.0.2',
      podIPs: [{ ip: '127.77.0.2' }],
      startTime: '2024-06-04T09:59:00Z',
      qosClass: 'BestEffort',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'False' },
        { type: 'ContainersReady', status: 'False' },
        { type: 'PodScheduled', status: 'True' },
      ],
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 4,
          image: 'node:20-alpine',
          imageID: '',
          containerID: 'podvisor://0a1b2c',
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app' },
          },
          lastState: {
            terminated: {
              exitCode: 137,
              reason: 'Error',
              startedAt: '2024-06-04T10:00:00Z',
              finishedAt: '2024-06-04T10:00:31Z',
            },
          },
        },
      ],
    },
  };
}

describe('§6.2 kubectl describe pod', () => {
  test('§6.2 container block: Waiting + CrashLoopBackOff, Last State Terminated 137, Restart Count 4, Liveness line', () => {
    const out = describePod(crashLoopingPod(), [], NOW);
    const expected =
      '    State:          Waiting\n' +
      '      Reason:       CrashLoopBackOff\n' +
      '    Last State:     Terminated\n' +
      '      Reason:       Error\n' +
      '      Exit Code:    137\n' +
      '      Started:      Tue, 04 Jun 2024 10:00:00 +0000\n' +
      '      Finished:     Tue, 04 Jun 2024 10:00:31 +0000\n' +
      '    Ready:          False\n' +
      '    Restart Count:  4\n' +
      '    Liveness:       http-get http://:8080/healthz delay=3s timeout=1s period=3s #success=1 #failure=3\n';
    assert.ok(out.includes(expected), out);
    assert.ok(!out.includes('back-off 40s'), 'the waiting message is not shown (§6.2)');
  });

  test('§6.2 the whole page: header fields, Containers, Conditions, Volumes, QoS, Events <none>', () => {
    const out = describePod(crashLoopingPod(), [], NOW);
    assert.equal(
      out,
      [
        'Name:             web',
        'Namespace:        default',
        'Priority:         0',
        'Service Account:  default',
        'Node:             box/127.0.0.1',
        'Start Time:       Tue, 04 Jun 2024 09:59:00 +0000',
        'Labels:           app=web',
        '                  tier=front',
        'Annotations:      <none>',
        'Status:           Running',
        'IP:               127.77.0.2',
        'IPs:',
        '  IP:  127.77.0.2',
        'Containers:',
        '  app:',
        // `Command:` has no tab, so it ends this column block (Go tabwriter): a narrower column.
        '    Container ID:  podvisor://0a1b2c',
        '    Image:         node:20-alpine',
        '    Image ID:      ',
        '    Port:          8080/TCP',
        '    Host Port:     0/TCP',
        '    Command:',
        '      node',
        '      server.mjs',
        '    State:          Waiting',
        '      Reason:       CrashLoopBackOff',
        '    Last State:     Terminated',
        '      Reason:       Error',
        '      Exit Code:    137',
        '      Started:      Tue, 04 Jun 2024 10:00:00 +0000',
        '      Finished:     Tue, 04 Jun 2024 10:00:31 +0000',
        '    Ready:          False',
        '    Restart Count:  4',
        '    Liveness:       http-get http://:8080/healthz delay=3s timeout=1s period=3s #success=1 #failure=3',
        '    Environment:    <none>',
        '    Mounts:         <none>',
        'Conditions:',
        '  Type              Status',
        '  Initialized       True ',
        '  Ready             False ',
        '  ContainersReady   False ',
        '  PodScheduled      True ',
        'Volumes:            <none>',
        'QoS Class:          BestEffort',
        'Node-Selectors:     <none>',
        'Tolerations:        <none>',
        'Events:             <none>',
        '',
      ].join('\n'),
    );
  });

  test('§5 describe Events table: sorted, Age `31s (x3 over 41s)`, From = source.component, message trimmed', () => {
    const events = [
      event('Unhealthy', ' Liveness probe failed: HTTP probe failed with statuscode: 500 \n', {
        type: 'Warning',
        count: 3,
        firstTimestamp: iso(41),
        lastTimestamp: iso(31),
      }),
      event('Scheduled', 'Successfully assigned default/web to box', {
        source: { component: 'default-scheduler' },
      }),
    ];
    const out = describePod(crashLoopingPod(), events, NOW);
    assert.ok(
      out.endsWith(
        'Events:\n' +
          '  Type     Reason     Age                From               Message\n' +
          '  ----     ------     ----               ----               -------\n' +
          '  Normal   Scheduled  60s                default-scheduler  Successfully assigned default/web to box\n' +
          '  Warning  Unhealthy  31s (x3 over 41s)  kubelet            Liveness probe failed: HTTP probe failed with statuscode: 500\n',
      ),
      out,
    );
    // kubectl flushes before the table: the lines above keep the Conditions block's width.
    assert.ok(out.includes('Tolerations:        <none>\nEvents:\n'), out);
  });

  test('§5 event Age: a single event shows the age of its first occurrence; series use lastObservedTime', () => {
    assert.equal(
      describeEventAge(event('Started', 'Started container app', { firstTimestamp: iso(76) }), NOW),
      '76s',
    );
    const series = event('BackOff', 'Back-off', {
      eventTime: iso(600),
      series: { count: 7, lastObservedTime: iso(12) },
    });
    assert.equal(describeEventAge(series, NOW), '12s (x7 over 10m)');
  });

  test('§6.2 Terminated state shows Message and Signal only when set; dates are RFC1123Z', () => {
    const p = crashLoopingPod();
    p.status!.containerStatuses![0]!.state = {
      terminated: {
        exitCode: 143,
        reason: 'Error',
        message: 'bye',
        signal: 15,
        startedAt: iso(20),
        finishedAt: iso(10),
      },
    };
    const out = describePod(p, undefined, NOW);
    assert.ok(
      out.includes('      Message:      bye\n      Exit Code:    143\n      Signal:       15\n'),
      out,
    );
    assert.ok(!out.includes('Events:'), 'no Events section when they could not be listed');
    assert.equal(rfc1123z('2006-01-02T15:04:05Z'), 'Mon, 02 Jan 2006 15:04:05 +0000');
  });

  test('§6.2 Environment lists values and resolved downward-API fields; Terminating shows its grace period', () => {
    const p = crashLoopingPod();
    p.spec!.containers[0]!.env = [
      { name: 'MODE', value: 'fast' },
      { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
    ];
    p.metadata = { ...p.metadata, deletionTimestamp: iso(5), deletionGracePeriodSeconds: 30 };
    const out = describePod(p, [], NOW);
    assert.ok(
      out.includes(
        '    Environment:\n      MODE:    fast\n      POD_IP:  127.77.0.2 (v1:status.podIP)\n    Mounts:    <none>\n',
      ),
      out,
    );
    assert.ok(
      out.includes('Status:                    Terminating (lasts 5s)\nTermination Grace Period:  30s\n'),
      out,
    );
  });
});
