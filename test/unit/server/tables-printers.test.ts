import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Event, KubeObject, Pod } from '../../../src/api/types.js';
import {
  defaultTablePrinter,
  eventTablePrinter,
  podTablePrinter,
  tableRequest,
  tableWatchEncoder,
  toTable,
  type Table,
  type TableRequest,
} from '../../../src/server/tables/index.js';
import { ApiError } from '../../../src/server/status.js';

const SAMPLES = '/work/shared/spec/kubectl-samples';
const KUBECTL_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const NOW = Date.UTC(2026, 10, 21, 6, 0, 0);
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const none = new URLSearchParams();

function req(includeObject: TableRequest['includeObject'] = 'Metadata'): TableRequest {
  return {
    apiVersion: 'meta.k8s.io/v1',
    contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    includeObject,
  };
}

function pod(name: string, status: Pod['status'], extra: Partial<Pod['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion: '41',
      creationTimestamp: ago(76),
      labels: { app: name },
      ...extra,
    },
    spec: { nodeName: 'vm', containers: [{ name: 'app' }] },
    status,
  } as KubeObject;
}

const running = pod('web', {
  phase: 'Running',
  podIP: '10.88.0.4',
  podIPs: [{ ip: '10.88.0.4' }],
  conditions: [{ type: 'Ready', status: 'True' }],
  containerStatuses: [
    {
      name: 'app',
      image: '',
      imageID: '',
      ready: true,
      restartCount: 0,
      state: { running: { startedAt: ago(70) } },
    },
  ],
});

const crashing = pod('crash', {
  phase: 'Running',
  containerStatuses: [
    {
      name: 'app',
      image: '',
      imageID: '',
      ready: false,
      restartCount: 5,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(32) } },
    },
  ],
});

const completed = pod('job', {
  phase: 'Succeeded',
  containerStatuses: [
    {
      name: 'app',
      image: '',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(10) } },
    },
  ],
});

const terminating = pod('bye', (running as KubeObject & Pod).status, {
  deletionTimestamp: ago(-30),
  deletionGracePeriodSeconds: 30,
});

describe('pod Table printer (printers.go printPod, spec §6.3)', () => {
  test('§6.3 column set: the sample Table names, types, formats and wide priorities', () => {
    const sample = JSON.parse(readFileSync(`${SAMPLES}/pods-table.json`, 'utf8')) as Table;
    const shape = (t: Pick<Table, 'columnDefinitions'>): unknown =>
      t.columnDefinitions?.map((c) => [c.name, c.type, c.format, c.priority]);
    assert.deepEqual(shape({ columnDefinitions: [...podTablePrinter.columns] }), shape(sample));
    for (const c of podTablePrinter.columns) assert.ok(c.description.length > 10, c.name);
  });

  test('§6.3 Running pod: 1/1 Running 0 76s, wide IP and node, <none> for the rest', () => {
    assert.deepEqual(podTablePrinter.row(running, NOW), {
      cells: ['web', '1/1', 'Running', '0', '76s', '10.88.0.4', 'vm', '<none>', '<none>'],
    });
  });

  test('§6.3 CrashLoopBackOff: 0/1, RESTARTS "5 (32s ago)" from lastState.finishedAt', () => {
    const row = podTablePrinter.row(crashing, NOW);
    assert.deepEqual(row.cells.slice(0, 5), ['crash', '0/1', 'CrashLoopBackOff', '5 (32s ago)', '76s']);
    assert.equal(row.cells[5], '<none>', 'no pod IP yet');
  });

  test('§6.3 Completed pod: STATUS Completed and the Completed/Succeeded row condition', () => {
    const row = podTablePrinter.row(completed, NOW);
    assert.deepEqual(row.cells.slice(0, 4), ['job', '0/1', 'Completed', '0']);
    assert.deepEqual(row.conditions, [
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ]);
  });

  test('§6.3 a deleted, still running pod shows Terminating', () => {
    const row = podTablePrinter.row(terminating, NOW);
    assert.equal(row.cells[2], 'Terminating');
  });

  test('§6.3 readiness gates: true conditions over gates', () => {
    const gated = structuredClone(running) as KubeObject & Pod;
    gated.spec!.readinessGates = [{ conditionType: 'a' }, { conditionType: 'b' }];
    gated.status!.conditions = [
      { type: 'a', status: 'True' },
      { type: 'b', status: 'False' },
    ];
    assert.equal(podTablePrinter.row(gated, NOW).cells[8], '1/2');
  });
});

describe('event Table printer (printers.go printEvent)', () => {
  const sample = JSON.parse(readFileSync(`${SAMPLES}/eventlist.json`, 'utf8')) as { items: Event[] };
  const event = sample.items[0] as Event & KubeObject;
  const sampleNow = Date.parse('2026-11-21T05:25:06Z');

  test('columns: LAST SEEN TYPE REASON OBJECT MESSAGE, wide SUBOBJECT SOURCE FIRST SEEN COUNT NAME', () => {
    assert.deepEqual(
      eventTablePrinter.columns.map((c) => [c.name, c.priority, c.format]),
      [
        ['Last Seen', 0, ''],
        ['Type', 0, ''],
        ['Reason', 0, ''],
        ['Object', 0, ''],
        ['Subobject', 1, ''],
        ['Source', 1, ''],
        ['Message', 0, ''],
        ['First Seen', 1, ''],
        ['Count', 1, ''],
        ['Name', 1, 'name'],
      ],
    );
  });

  test('cells of the sample event: pod/seed-pod, "component, host" source, integer count', () => {
    assert.deepEqual(eventTablePrinter.row(event, sampleNow).cells, [
      '40s',
      'Normal',
      'Scheduled',
      'pod/seed-pod',
      '',
      'fake-kubelet, node-1',
      'Successfully assigned default/seed-pod to node-1',
      '40s',
      1,
      'seed-pod.ee0fe2789d0fb99c',
    ]);
  });

  test('§5 repeated event: LAST SEEN from lastTimestamp, FIRST SEEN from firstTimestamp, count', () => {
    const repeated = {
      ...event,
      involvedObject: { ...event.involvedObject, fieldPath: 'spec.containers{app}' },
      firstTimestamp: '2026-11-21T05:20:06Z',
      lastTimestamp: '2026-11-21T05:24:55Z',
      count: 7,
      message: ' Liveness probe failed \n',
    } as Event & KubeObject;
    const cells = eventTablePrinter.row(repeated, sampleNow).cells;
    assert.deepEqual(
      [cells[0], cells[4], cells[6], cells[7], cells[8]],
      ['11s', 'spec.containers{app}', 'Liveness probe failed', '5m', 7],
    );
  });
});

describe('Table conversion (apiserver asTable)', () => {
  test('includeObject=Metadata (default): rows carry PartialObjectMetadata with the full metadata', () => {
    const t = toTable([running], podTablePrinter, req(), NOW, '1002');
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.metadata, { resourceVersion: '1002' });
    assert.deepEqual(t.rows[0]?.object, {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: running.metadata,
    });
  });

  test('includeObject=Object carries the whole object; None carries none', () => {
    assert.deepEqual(toTable([running], podTablePrinter, req('Object'), NOW, '1').rows[0]?.object, running);
    const bare = toTable([running], podTablePrinter, req('None'), NOW, '1').rows[0];
    assert.ok(bare && !('object' in bare));
  });

  test('the serialized shape matches the sample Table key for key', () => {
    const sample = JSON.parse(readFileSync(`${SAMPLES}/pods-table.json`, 'utf8')) as Table;
    const ours = JSON.parse(JSON.stringify(toTable([running], podTablePrinter, req(), NOW, '1002'))) as Table;
    assert.deepEqual(Object.keys(ours), Object.keys(sample));
    assert.deepEqual(Object.keys(ours.rows[0]!), Object.keys(sample.rows[0]!));
    assert.deepEqual(Object.keys(ours.columnDefinitions![0]!), Object.keys(sample.columnDefinitions![0]!));
    assert.equal(ours.rows[0]!.cells.length, sample.rows[0]!.cells.length);
  });

  test('default printer for kinds without one: Name and Created At (RFC 3339)', () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', creationTimestamp: '2026-11-21T05:00:00Z' },
    } as KubeObject;
    assert.deepEqual(
      defaultTablePrinter.columns.map((c) => [c.name, c.type, c.format]),
      [
        ['Name', 'string', 'name'],
        ['Created At', 'date', ''],
      ],
    );
    assert.deepEqual(defaultTablePrinter.row(cm, NOW).cells, ['cfg', '2026-11-21T05:00:00Z']);
  });

  test('watch: one-row Tables, columnDefinitions only on the first, Status passes through', () => {
    const encode = tableWatchEncoder(podTablePrinter, req(), () => NOW);
    const first = encode({ type: 'ADDED', object: running }) as { type: string; object: Table };
    const second = encode({
      type: 'MODIFIED',
      object: { ...crashing, metadata: { ...crashing.metadata, resourceVersion: '43' } },
    }) as { type: string; object: Table };
    assert.equal(first.type, 'ADDED');
    assert.equal(first.object.columnDefinitions?.length, 9);
    assert.equal(first.object.rows.length, 1);
    assert.deepEqual(first.object.metadata, { resourceVersion: '41' });
    assert.equal(second.object.columnDefinitions, null);
    assert.equal(second.object.rows[0]?.cells[3], '5 (32s ago)');
    assert.deepEqual(second.object.metadata, { resourceVersion: '43' });
    const sampleLines = readFileSync(`${SAMPLES}/watch-table-stream.ndjson`, 'utf8').trim().split('\n');
    const sampleSecond = JSON.parse(sampleLines[1]!) as { object: Table };
    assert.deepEqual(
      Object.keys(JSON.parse(JSON.stringify(second.object)) as object),
      Object.keys(sampleSecond.object),
    );
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: { name: '' },
      code: 410,
    } as unknown as KubeObject;
    assert.deepEqual(encode({ type: 'MODIFIED', object: status }).object, status);
  });
});

describe('Table negotiation (kubectl-surface §1.2)', () => {
  test("kubectl get's Accept header gets a meta.k8s.io/v1 Table, Metadata rows by default", () => {
    assert.deepEqual(tableRequest(KUBECTL_ACCEPT, none), {
      apiVersion: 'meta.k8s.io/v1',
      contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      includeObject: 'Metadata',
    });
  });

  test('plain JSON, protobuf-then-JSON, */* and no header stay plain', () => {
    for (const accept of [
      'application/json',
      'application/vnd.kubernetes.protobuf,application/json',
      '*/*',
      undefined,
    ])
      assert.equal(tableRequest(accept, none), undefined, String(accept));
  });

  test('v1beta1 only is answered in v1beta1; other as= kinds fall through to JSON', () => {
    assert.equal(
      tableRequest('application/json;as=Table;v=v1beta1;g=meta.k8s.io', none)?.apiVersion,
      'meta.k8s.io/v1beta1',
    );
    assert.equal(
      tableRequest('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json', none),
      undefined,
    );
  });

  test('includeObject: Object and None are honoured, anything else is a 400', () => {
    assert.equal(
      tableRequest(KUBECTL_ACCEPT, new URLSearchParams('includeObject=Object'))?.includeObject,
      'Object',
    );
    assert.equal(
      tableRequest(KUBECTL_ACCEPT, new URLSearchParams('includeObject=None'))?.includeObject,
      'None',
    );
    assert.throws(
      () => tableRequest(KUBECTL_ACCEPT, new URLSearchParams('includeObject=All')),
      (e: unknown) =>
        e instanceof ApiError && e.code === 400 && e.message === 'unrecognized includeObject value: "All"',
    );
  });
});
