import { describe, expect, it } from 'vitest';
import {
  SyslogFramer,
  SyslogMapper,
  makeEvent,
  parseSyslog,
  syslogNode,
  validateDecisionEvent,
} from '@sentinel/ingest';
import type { DecisionEventV1, FramingError } from '@sentinel/ingest';

function frame(max: number) {
  const frames: string[] = [];
  const errors: [FramingError, boolean][] = [];
  const f = new SyslogFramer(max, {
    frame: (b) => frames.push(b.toString('latin1')),
    error: (k, fatal) => errors.push([k, fatal]),
  });
  return { f, frames, errors };
}

/** Deterministic PRNG so a failing fuzz case can be reproduced from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const octet = (m: string): string => `${Buffer.byteLength(m)} ${m}`;

describe('syslog message parsing', () => {
  it('RFC 5424: timestamp, host, app, procid, msgid, structured data skipped, BOM removed', () => {
    const m = parseSyslog(
      '<38>1 2026-11-21T23:00:01.123Z broker-1 mosquitto 812 - [meta x="a\\]b"][o k="v"] \uFEFFNew connection\n',
    );
    expect(m).toEqual({
      pri: 38,
      format: 'rfc5424',
      ts: Date.parse('2026-11-21T23:00:01.123Z'),
      hostname: 'broker-1',
      appName: 'mosquitto',
      procId: '812',
      msg: 'New connection',
    });
  });

  it('RFC 5424 with nil fields and no message', () => {
    expect(parseSyslog('<13>1 - - - - - -')).toEqual({ pri: 13, format: 'rfc5424', msg: '' });
  });

  it('RFC 3164 as rsyslog forwards it: host, tag and pid', () => {
    expect(parseSyslog('<30>Nov 21 23:00:01 gw-7 mosquitto[812]: Client dev-1 disconnected.')).toEqual({
      pri: 30,
      format: 'rfc3164',
      hostname: 'gw-7',
      appName: 'mosquitto',
      procId: '812',
      msg: 'Client dev-1 disconnected.',
    });
  });

  it('RFC 3164 without a host (a local sender) keeps the tag', () => {
    const m = parseSyslog('<30>Nov  1 03:04:05 mosquitto: Client a disconnected.');
    expect(m).toMatchObject({ appName: 'mosquitto', msg: 'Client a disconnected.' });
    expect(m.hostname).toBeUndefined();
  });

  it('a line without PRI or with a PRI over 191 is all message', () => {
    expect(parseSyslog('hello world')).toEqual({ format: 'bare', msg: 'hello world' });
    expect(parseSyslog('<999>x')).toEqual({ format: 'bare', msg: '<999>x' });
  });
});

describe('syslog TCP framing (RFC 6587)', () => {
  it('reads octet-counted and newline-framed messages mixed on one stream', () => {
    const { f, frames, errors } = frame(1024);
    f.push(
      Buffer.from(
        `${octet('<13>1 - h a - - - one\nwith newline')}<13>two\n${octet('<13>three')}<13>four\r\n`,
      ),
    );
    expect(frames).toEqual(['<13>1 - h a - - - one\nwith newline', '<13>two', '<13>three', '<13>four\r']);
    expect(errors).toEqual([]);
  });

  it('gives the same frames whatever the chunk boundaries', () => {
    const stream = Buffer.from(`${octet('<13>alpha beta')}<14>gamma\n${octet('<15>ä ö ü')}<16>delta\n`);
    const whole = frame(1024);
    whole.f.push(stream);
    for (let cut = 1; cut < stream.length; cut++) {
      const { f, frames } = frame(1024);
      f.push(stream.subarray(0, cut));
      f.push(stream.subarray(cut));
      expect(frames).toEqual(whole.frames);
    }
    const bytewise = frame(1024);
    for (const b of stream) bytewise.f.push(Buffer.from([b]));
    expect(bytewise.frames).toEqual(whole.frames);
  });

  it('an octet count above the limit closes the stream (it cannot be resynchronised)', () => {
    const { f, frames, errors } = frame(100);
    f.push(Buffer.from('101 ' + 'x'.repeat(101) + '<13>after\n'));
    expect(errors).toEqual([['oversized_frame', true]]);
    expect(frames).toEqual([]);
    expect(f.buffered).toBe(0);
  });

  it('an oversized line is skipped up to its line feed and the next one is read', () => {
    const { f, frames, errors } = frame(100);
    f.push(Buffer.from('<13>' + 'y'.repeat(150)));
    expect(f.buffered).toBe(0);
    f.push(Buffer.from('y'.repeat(500) + '\n<13>next\n'));
    expect(errors).toEqual([['oversized_line', false]]);
    expect(frames).toEqual(['<13>next']);
  });

  it('a bare line starting with digits (a Mosquitto log file line) is newline-framed', () => {
    const { f, frames } = frame(1024);
    f.push(Buffer.from('1795302431: Client a disconnected.\n12 <13>twelve b'));
    expect(frames).toEqual(['1795302431: Client a disconnected.', '<13>twelve b']);
  });

  it('a last line without its line feed is delivered at the end of the stream', () => {
    const { f, frames } = frame(1024);
    f.push(Buffer.from('<13>tail'));
    f.end();
    expect(frames).toEqual(['<13>tail']);
  });
});

describe('syslog intake fuzzing', () => {
  const lines = [
    '<30>1 2026-11-21T23:00:00Z b1 mosquitto - - - New connection from 10.1.2.3:40000 on port 1883.',
    "<30>Nov 21 23:00:00 b1 mosquitto[1]: New client connected from 10.1.2.3:40000 as dev (p2, c1, k60, u'alice').",
    '<30>Nov 21 23:00:00 b1 mosquitto[1]: Client <unknown> disconnected, not authorised.',
    `<14>1 2026-11-21T23:00:00Z b1 app - - - ${JSON.stringify(makeEvent({ node: 'n', reason: 'rate.per_ip', subject: { ip: '10.0.0.1' } }))}`,
  ];

  it('random bytes never throw and never grow a buffer past the limit', () => {
    const next = rng(42);
    const mapper = new SyslogMapper();
    for (let round = 0; round < 300; round++) {
      const { f } = frame(512);
      for (let c = 0; c < 20; c++) {
        const chunk = Buffer.alloc(Math.floor(next() * 300));
        for (let i = 0; i < chunk.length; i++) chunk[i] = Math.floor(next() * 256);
        // Skew towards the bytes framing cares about.
        if (next() < 0.3) chunk[Math.floor(next() * chunk.length)] = 0x0a;
        if (next() < 0.3) chunk.write(`${Math.floor(next() * 600)} `, 0);
        f.push(chunk);
        expect(f.buffered).toBeLessThanOrEqual(512 + 8 + 300);
        mapper.map(chunk, '127.0.0.1');
      }
    }
  });

  it('mutated valid frames never throw, and whatever is accepted is a valid, prefixed event', () => {
    const next = rng(7);
    const mapper = new SyslogMapper();
    let accepted = 0;
    for (let round = 0; round < 3000; round++) {
      const base = Buffer.from(lines[round % lines.length] as string);
      const mutated = Buffer.from(base);
      const edits = 1 + Math.floor(next() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * mutated.length);
        const op = next();
        if (op < 0.5) mutated[at] = Math.floor(next() * 256);
        else if (op < 0.75) mutated[at] = ' <>[]":{}0\n'.charCodeAt(Math.floor(next() * 11));
        else mutated.copyWithin(at, Math.floor(next() * mutated.length));
      }
      const cut = mutated.subarray(0, Math.floor(next() * (mutated.length + 1)));
      const r = mapper.map(cut, '192.0.2.9');
      if (r.outcome === 'accepted') {
        accepted++;
        expect(validateDecisionEvent(r.event).ok).toBe(true);
        expect(r.event.node.startsWith('syslog:')).toBe(true);
      }
      const { f } = frame(256);
      f.push(Buffer.from(octet(cut.toString('latin1')), 'latin1'));
      f.push(cut);
      f.end();
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('syslog mapping', () => {
  const at = Date.parse('2026-11-21T23:00:00Z');
  const msg5424 = (text: string, host = 'broker-1') =>
    `<30>1 2026-11-21T23:00:00Z ${host} mosquitto 1 - - ${text}`;
  const map = (m: SyslogMapper, text: string): DecisionEventV1 => {
    const r = m.map(msg5424(text), '127.0.0.1');
    if (r.outcome !== 'accepted') throw new Error(`not mapped: ${text} → ${r.outcome}`);
    return r.event;
  };

  it('a refused CONNECT joins Mosquitto’s CONNACK line to the "not authorised" line', () => {
    const m = new SyslogMapper(() => at + 1000);
    const opened = map(m, 'New connection from 203.0.113.7:51000 on port 1883.');
    expect(opened).toMatchObject({
      node: 'syslog:broker-1',
      ts: at,
      kind: 'intake',
      reason: 'intake.connection_opened',
      decision: 'allow',
      subject: { ip: '203.0.113.7', port: 51000 },
      rule: { id: 'mosquitto.new_connection', values: { listenerPort: 1883 } },
    });
    expect(m.map(msg5424('Sending CONNACK to 203.0.113.7 (0, 5)'), '127.0.0.1').outcome).toBe('ignored');
    expect(map(m, 'Client <unknown> disconnected, not authorised.')).toMatchObject({
      kind: 'auth',
      reason: 'auth.bad_credentials',
      decision: 'deny',
      subject: { ip: '203.0.113.7', port: 51000 },
      rule: {
        id: 'mosquitto.not_authorised',
        technique: 'T1110',
        values: { connackCode: 5, source: 'mosquitto' },
      },
    });
  });

  it('"not authorised" without debug logging maps without an address', () => {
    const e = map(new SyslogMapper(), 'Client <unknown> disconnected, not authorised.');
    expect(e.reason).toBe('auth.bad_credentials');
    expect(e.subject).toEqual({});
  });

  it('a connected client carries id, user and protocol; its disconnect carries the address it came from', () => {
    const m = new SyslogMapper();
    expect(
      map(m, "New client connected from 10.0.0.5:40001 as meter 7 (x) (p5, c0, k30, u'op's')."),
    ).toMatchObject({
      reason: 'connect.accepted',
      subject: { ip: '10.0.0.5', port: 40001, clientId: 'meter 7 (x)', username: "op's", protocolVersion: 5 },
      rule: { values: { keepalive: 30, cleanSession: false } },
    });
    expect(map(m, 'Client meter 7 (x) disconnected.')).toMatchObject({
      kind: 'disconnect',
      reason: 'disconnect.client',
      subject: { clientId: 'meter 7 (x)', ip: '10.0.0.5', port: 40001, username: "op's" },
    });
  });

  it.each([
    ['Client dev-2 closed its connection.', 'disconnect.socket_closed'],
    ['Socket error on client dev-2, disconnecting.', 'disconnect.socket_error'],
    ['Client dev-2 has exceeded timeout, disconnecting.', 'protocol.keepalive_timeout'],
    ['Client dev-2 disconnected due to protocol error.', 'protocol.malformed'],
    ['Client dev-2 already connected, closing old connection.', 'disconnect.session_taken_over'],
    ['1795302431: Client dev-2 disconnected.', 'disconnect.client'],
    ['Client dev-2 disconnected: Connection reset by peer.', 'disconnect.socket_error'],
    ['Client dev-2 disconnected due to oversize packet.', 'protocol.packet_too_large'],
    ['Client dev-2 disconnected due to oversize payload.', 'protocol.packet_too_large'],
    [
      'Client dev-2 disconnected due to using not allowed feature (QoS too high, retain not supported, or bad AUTH method).',
      'protocol.malformed',
    ],
    ['Client dev-2 been disconnected by administrative action.', 'disconnect.administrative'],
  ])('Mosquitto line %j maps to %s', (line, reason) => {
    const e = map(new SyslogMapper(), line);
    expect(e.reason).toBe(reason);
    expect(e.subject.clientId).toBe('dev-2');
  });

  it('a socket error of Mosquitto 2.0.12+ keeps the system error text', () => {
    const e = map(new SyslogMapper(() => at), 'Client dev-5 disconnected: Connection reset by peer.');
    expect(e.rule?.values).toMatchObject({ error: 'Connection reset by peer', source: 'mosquitto' });
  });

  it('a denied PUBLISH carries topic, QoS, retain and size', () => {
    const e = map(
      new SyslogMapper(),
      "Denied PUBLISH from dev-3 (d0, q1, r1, m4, 'plant/valve/set', ... (12 bytes))",
    );
    expect(e).toMatchObject({
      reason: 'acl.publish_denied',
      mqtt: {
        packetType: 'publish',
        topic: 'plant/valve/set',
        qos: 1,
        retain: true,
        dup: false,
        payloadSize: 12,
      },
    });
  });

  it('Mosquitto chatter is ignored and unknown lines are unmapped', () => {
    const m = new SyslogMapper();
    expect(
      m.map(msg5424("Received PUBLISH from dev-2 (d0, q0, r0, m0, 'a', ... (1 bytes))"), 'x').outcome,
    ).toBe('ignored');
    expect(m.map(msg5424('mosquitto version 2.0.11 running'), 'x').outcome).toBe('ignored');
    expect(m.map(msg5424('kernel: eth0 link up'), 'x').outcome).toBe('unmapped');
    expect(m.map('', 'x').outcome).toBe('unmapped');
  });

  it('the header time is used when within a day of ours, else the time of arrival', () => {
    const late = new SyslogMapper(() => at + 23 * 3600_000);
    expect(map(late, 'Client a disconnected.').ts).toBe(at);
    const skewed = new SyslogMapper(() => at + 25 * 3600_000);
    expect(map(skewed, 'Client a disconnected.').ts).toBe(at + 25 * 3600_000);
  });

  it('the node is the header host behind a prefix no Sentinel node name can carry, else the sender address', () => {
    const m = new SyslogMapper(() => 5);
    const line = 'Client a disconnected.';
    expect(
      (m.map(`<30>Nov 21 23:00:00 edge-1 mosquitto: ${line}`, '10.9.9.9') as { event: DecisionEventV1 }).event
        .node,
    ).toBe('syslog:edge-1');
    const bare = m.map(line, '10.9.9.9') as { event: DecisionEventV1 };
    expect(bare.event).toMatchObject({ node: 'syslog:10.9.9.9', ts: 5 });
    expect(syslogNode('evil host/../x')).toBe('syslog:evil_host_.._x');
  });

  it('an RFC 5424 MSG holding a DecisionEventV1 is validated and its node prefixed', () => {
    const m = new SyslogMapper();
    const ev = makeEvent({ node: 'edge-9', reason: 'inspect.sqli', subject: { ip: '10.0.0.8' } });
    const ok = m.map(`<14>1 2026-11-21T23:00:00Z gw-2 sentinel - - - ${JSON.stringify(ev)}`, '127.0.0.1');
    expect(ok).toMatchObject({
      outcome: 'accepted',
      mapper: 'json',
      event: { ...ev, node: 'syslog:gw-2/edge-9' },
    });
    const bad = m.map(
      `<14>1 - gw-2 sentinel - - - ${JSON.stringify({ ...ev, severity: 'high' })}`,
      '127.0.0.1',
    );
    expect(bad).toEqual({ outcome: 'invalid', problem: 'severity must be an integer, got "high"' });
    expect(m.map('<14>1 - gw-2 sentinel - - - {"v":1', '127.0.0.1').outcome).toBe('invalid');
  });

  it('control characters in a line do not reach the event message', () => {
    const e = map(new SyslogMapper(() => at), 'Client evil\u001b[31m\ttab disconnected.');
    expect(e.message).toBe('mosquitto: Client evil [31m tab disconnected.');
    expect(e.subject.clientId).toBe('evil\u001b[31m\ttab');
  });

  it('a client id longer than the contract allows is refused as invalid, not published', () => {
    const r = new SyslogMapper().map(msg5424(`Client ${'x'.repeat(2000)} disconnected.`), '127.0.0.1');
    expect(r.outcome).toBe('invalid');
  });
});
