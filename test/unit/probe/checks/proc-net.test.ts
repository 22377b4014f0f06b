import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeProcAddress,
  parseProcNetTcp,
  rowsWithPort,
  tcpStateName,
  uniqueRows,
} from '../../../../src/probe/checks/proc-net.js';

// As a little-endian Linux prints them (each 32-bit word in host byte order).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 0000000000000000 100 0 0 10 0
   1: 0100007F:D2F0 0100007F:05F1 01 00000000:00000000 02:000A7D1F 00000000  1000        0 23456 2 0000000000000000 20 4 30 10 -1
   2: 0500000A:D2F2 0600000A:05F1 06 00000000:00000000 03:00000F5A 00000000     0        0 0 3 0000000000000000
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 34567 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:D2F1 0000000000000000FFFF00000500000A:05F1 02 00000000:00000000 01:00000064 00000002  1000        0 45678 1 0000000000000000 100 0 0 10 0
   2: 00000000000000000000000001000000:9C40 00000000000000000000000001000000:05F1 08 00000000:00000000 00:00000000 00000000  1000        0 56789 1 0000000000000000 100 0 0 10 0
   3: B80D0120000000000000000001000000:0050 B80D0120000000000000000002000000:C350 01 00000000:00000000 00:00000000 00000000  1000        0 67890 1 0000000000000000 100 0 0 10 0
`;

describe('/proc/net/tcp{,6} parsing (no ss)', () => {
  test('IPv4 rows: hex address words, ports, state names, inodes', () => {
    assert.deepEqual(parseProcNetTcp(TCP, true), [
      {
        localAddress: '127.0.0.1',
        localPort: 3306,
        remoteAddress: '0.0.0.0',
        remotePort: 0,
        state: 'LISTEN',
        inode: 12345,
      },
      {
        localAddress: '127.0.0.1',
        localPort: 54000,
        remoteAddress: '127.0.0.1',
        remotePort: 1521,
        state: 'ESTABLISHED',
        inode: 23456,
      },
      {
        localAddress: '10.0.0.5',
        localPort: 54002,
        remoteAddress: '10.0.0.6',
        remotePort: 1521,
        state: 'TIME_WAIT',
        inode: 0,
      },
    ]);
  });

  test('IPv6 rows: IPv4-mapped addresses come out as IPv4; others in RFC 5952 form', () => {
    const rows = parseProcNetTcp(TCP6, true);
    assert.deepEqual(
      rows.map((r) => [r.localAddress, r.localPort, r.remoteAddress, r.remotePort, r.state, r.inode]),
      [
        ['::', 8080, '::', 0, 'LISTEN', 34567],
        ['127.0.0.1', 54001, '10.0.0.5', 1521, 'SYN_SENT', 45678],
        ['::1', 40000, '::1', 1521, 'CLOSE_WAIT', 56789],
        ['2001:db8::1', 80, '2001:db8::2', 50000, 'ESTABLISHED', 67890],
      ],
    );
  });

  test('a big-endian host prints the words the other way round', () => {
    assert.equal(decodeProcAddress('7F000001', false), '127.0.0.1');
    assert.equal(decodeProcAddress('00000000000000000000FFFF7F000001', false), '127.0.0.1');
  });

  test('every state code of include/net/tcp_states.h has its name', () => {
    const names = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '0A', '0B', '0C'].map(tcpStateName);
    assert.deepEqual(names, [
      'ESTABLISHED',
      'SYN_SENT',
      'SYN_RECV',
      'FIN_WAIT1',
      'FIN_WAIT2',
      'TIME_WAIT',
      'CLOSE',
      'CLOSE_WAIT',
      'LAST_ACK',
      'LISTEN',
      'CLOSING',
      'NEW_SYN_RECV',
    ]);
  });

  test('rowsWithPort picks the rows with that local or remote port without parsing the others', () => {
    const all = [...parseProcNetTcp(TCP, true), ...parseProcNetTcp(TCP6, true)];
    const picked = [...rowsWithPort(TCP, [1521], true), ...rowsWithPort(TCP6, [1521], true)];
    assert.deepEqual(
      picked,
      all.filter((r) => r.remotePort === 1521 || r.localPort === 1521),
    );
    assert.deepEqual(
      rowsWithPort(TCP, [3306, 54000], true).map((r) => r.inode),
      [12345, 23456],
    );
    assert.deepEqual(rowsWithPort(TCP, [9], true), []);
    // Never a timer or queue field (8 hex digits after the colon).
    assert.deepEqual(rowsWithPort(TCP, [0x0a7d], true), []);
  });

  test('short or malformed lines are skipped, not misread', () => {
    assert.deepEqual(parseProcNetTcp('header\n\n   0: garbage\n', true), []);
  });
});

describe('/proc/net/tcp reads that change under the reader', () => {
  test('a socket the kernel printed twice (the table changed between pages) counts once', () => {
    const lines = TCP.split('\n');
    const twice = [...lines.slice(0, 3), lines[2], ...lines.slice(3)].join('\n');
    const rows = parseProcNetTcp(twice);
    assert.equal(rows.length, 4, 'the parser keeps what the kernel printed');
    assert.deepEqual(uniqueRows(rows), parseProcNetTcp(TCP));
  });
});
