process.env.TZ = 'UTC'; // describe prints local time (Go's metav1.Time is local); pin it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { NodeAnnotation } from '../../../src/api/podvisor-annotations.js';
import type { Pod } from '../../../src/api/types.js';
import { describeNode } from '../../../src/cli/printers/describe-node.js';
import { event, NOW } from './fixtures.js';

const AT = '2024-06-04T10:00:00Z';

function node(annotations: Record<string, string>): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'box',
      creationTimestamp: AT,
      labels: { 'kubernetes.io/hostname': 'box', 'node-role.kubernetes.io/edge': '' },
      annotations,
    },
    spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          lastHeartbeatTime: AT,
          lastTransitionTime: AT,
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
        },
      ],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      capacity: { pods: '110', cpu: '2' },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '6.1.0',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'podvisor://0.1.0',
        kubeletVersion: 'v1.33.0',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

function pod(name: string, phase: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', creationTimestamp: AT },
    spec: { nodeName: 'box', containers: [] },
    status: { phase },
  } as Pod;
}

describe('describe node (kubectl describeNode layout)', () => {
  test('the sections kubectl prints, with the process containment podvisor adds', () => {
    const text = describeNode(
      node({
        [NodeAnnotation.processContainment]: 'cgroup',
        [NodeAnnotation.processContainmentReason]:
          'a cgroup v2 per container, under /sys/fs/cgroup/podvisor-1',
      }),
      [pod('web', 'Running'), pod('done', 'Succeeded')],
      [event('NodeReady', 'Node box status is now: NodeReady', { type: 'Normal' })],
      NOW,
    );
    const lines = text.split('\n');
    assert.equal(lines[0], 'Name:               box');
    assert.equal(lines[1], 'Roles:              edge');
    assert.ok(lines.includes('Annotations:        podvisor.io/process-containment: cgroup'), text);
    assert.ok(lines.includes('Taints:             node.kubernetes.io/unreachable:NoSchedule'), text);
    assert.ok(lines.includes('Unschedulable:      false'), text);
    assert.match(
      text,
      /^Conditions:\n {2}Type +Status +LastHeartbeatTime +LastTransitionTime +Reason +Message\n/m,
    );
    assert.match(
      text,
      /^ {2}Ready +True +Tue, 04 Jun 2024 10:00:00 \+0000 +Tue, 04 Jun 2024 10:00:00 \+0000 +KubeletReady/m,
    );
    assert.match(text, /^Capacity:\n {2}cpu: +2\n {2}pods: +110\n/m);
    assert.match(text, /^ {2}Container Runtime Version: +podvisor:\/\/0\.1\.0$/m);
    assert.match(
      text,
      /^Process Containment: +cgroup \(a cgroup v2 per container, under \/sys\/fs\/cgroup\/podvisor-1\)$/m,
    );
    // Terminated pods are left out, as kubectl's "Non-terminated Pods" does.
    assert.match(
      text,
      /^Non-terminated Pods: +\(1 in total\)\n {2}Namespace +Name +Age\n {2}-+ +-+ +-+\n {2}default +web +/m,
    );
    assert.match(text, /^Events:\n {2}Type +Reason +Age +From +Message\n/m);
    assert.match(text, /Normal +NodeReady .*Node box status is now: NodeReady/);
  });

  test('a node without the annotation (not a podvisor kubelet) says <unknown>; no events: <none>', () => {
    const text = describeNode(node({}), [], [], NOW);
    assert.match(text, /^Process Containment: +<unknown>$/m);
    assert.match(text, /^Non-terminated Pods: +\(0 in total\)$/m);
    assert.match(text, /^Events: +<none>$/m);
  });
});
