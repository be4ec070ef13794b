import { describe, expect, it } from 'vitest';
import {
  BridgeRuleError,
  compileRule,
  compileRules,
  filtersOverlap,
  findLoops,
  mapTopic,
  matchFilter,
  outputFilter,
} from '../../src/bridge/index.ts';
import type { MappingRule } from '../../src/bridge/index.ts';

const alerts: MappingRule = { direction: 'out', from: 'clients/+/alerts', to: 'customer/acme/alerts/{1}' };

describe('bridge topic mapping', () => {
  it('maps a single-level capture into the customer topic', () => {
    const rules = compileRules([alerts]);
    expect(mapTopic(rules, 'out', 'clients/meter-7/alerts')?.topic).toBe('customer/acme/alerts/meter-7');
  });

  it('maps only rules of the asked direction', () => {
    const rules = compileRules([alerts]);
    expect(mapTopic(rules, 'in', 'clients/meter-7/alerts')).toBeUndefined();
  });

  it('maps the customer side back to the internal side', () => {
    const rules = compileRules([
      { direction: 'in', from: 'customer/acme/commands/+/+', to: 'clients/{1}/cmd/{2}' },
    ]);
    expect(mapTopic(rules, 'in', 'customer/acme/commands/m1/reboot')?.topic).toBe('clients/m1/cmd/reboot');
  });

  it('lets several captures be reordered and embedded in a level', () => {
    const rules = compileRules([{ direction: 'out', from: 'site/+/dev/+', to: 'x/{2}-at-{1}' }]);
    expect(mapTopic(rules, 'out', 'site/berlin/dev/d9')?.topic).toBe('x/d9-at-berlin');
  });

  it('carries a multi-level capture, and drops its level when it matched nothing', () => {
    const rules = compileRules([{ direction: 'out', from: 'telemetry/#', to: 'customer/t/{1}' }]);
    expect(mapTopic(rules, 'out', 'telemetry/a/b/c')?.topic).toBe('customer/t/a/b/c');
    expect(mapTopic(rules, 'out', 'telemetry')?.topic).toBe('customer/t');
  });

  it('uses the first matching rule', () => {
    const rules = compileRules([{ direction: 'out', from: 'clients/vip/alerts', to: 'vip' }, alerts]);
    expect(mapTopic(rules, 'out', 'clients/vip/alerts')?.topic).toBe('vip');
    expect(mapTopic(rules, 'out', 'clients/other/alerts')?.topic).toBe('customer/acme/alerts/other');
  });

  it('does not match $ topics with a leading wildcard [MQTT-4.7.2-1]', () => {
    expect(matchFilter(['#'], '$SYS/broker/load')).toBeUndefined();
    expect(matchFilter(['+', 'x'], '$SYS/x')).toBeUndefined();
    expect(matchFilter(['$SYS', '#'], '$SYS/x')).toEqual(['x']);
  });

  it('matches filters level by level', () => {
    expect(matchFilter(['a', '+'], 'a/b')).toEqual(['b']);
    expect(matchFilter(['a', '+'], 'a/b/c')).toBeUndefined();
    expect(matchFilter(['a', '+'], 'a')).toBeUndefined();
    expect(matchFilter(['a', '+', 'c'], 'a//c')).toEqual(['']);
    expect(matchFilter(['a', 'b'], 'a/c')).toBeUndefined();
  });

  it.each([
    [{ direction: 'out', from: '', to: 'x' }, 'the filter is empty'],
    [{ direction: 'out', from: 'a/#/b', to: 'x' }, '`#` must be a whole level and the last one'],
    [{ direction: 'out', from: 'a/b#', to: 'x' }, '`#` must be a whole level'],
    [{ direction: 'out', from: 'a/b+', to: 'x' }, '`+` must be a whole level'],
    [{ direction: 'out', from: 'a/+', to: 'x/{2}' }, 'placeholder {2} but the filter has 1 wildcard'],
    [{ direction: 'out', from: 'a', to: 'x/{1}' }, 'placeholder {1} but the filter has 0 wildcards'],
    [{ direction: 'out', from: 'a/+', to: 'x/+' }, 'may not contain `+`'],
    [{ direction: 'out', from: 'a/+', to: '' }, 'the destination topic is empty'],
    [{ direction: 'out', from: 'a/+', to: '$SYS/{1}' }, 'may not start with `$`'],
    [{ direction: 'out', from: 'a/+', to: 'x/{a}' }, 'is not part of a `{n}` placeholder'],
    [{ direction: 'out', from: 'a/#', to: 'x/pre{1}' }, 'stands for `#` and must be a whole level'],
    [{ direction: 'out', from: 'a\u0000', to: 'x' }, 'U+0000'],
  ] as [MappingRule, string][])('rejects %j naming the rule: %s', (rule, problem) => {
    let err: unknown;
    try {
      compileRules([alerts, rule]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BridgeRuleError);
    expect((err as Error).message).toContain(`rule 1 (out ${rule.from} -> ${rule.to})`);
    expect((err as Error).message).toContain(problem);
  });

  it('knows when two filters can match the same topic', () => {
    const o = (a: string, b: string): boolean => filtersOverlap(a.split('/'), b.split('/'));
    expect(o('a/+', 'a/b')).toBe(true);
    expect(o('a/#', 'a')).toBe(true);
    expect(o('a/b', 'a/c')).toBe(false);
    expect(o('a/+/c', 'a/b')).toBe(false);
    expect(o('+/x', 'y/+')).toBe(true);
  });

  it('describes what a rule can produce as a filter', () => {
    expect(outputFilter(compileRule(alerts, 0))).toEqual(['customer', 'acme', 'alerts', '+']);
    expect(outputFilter(compileRule({ direction: 'in', from: 'a/#', to: 'b/{1}/c' }, 0))).toEqual(['b', '#']);
  });

  it('finds a rule pair that would send messages back where they came from', () => {
    const rules = compileRules([
      { direction: 'out', from: 'shared/#', to: 'customer/shared/{1}' },
      { direction: 'in', from: 'customer/shared/+', to: 'shared/{1}' },
      { direction: 'in', from: 'customer/cmd/+', to: 'clients/{1}/cmd' },
    ]);
    const loops = findLoops(rules).map((l) => [l.closesAt, l.out.index, l.in.index]);
    expect(loops).toEqual([
      ['core', 0, 1],
      ['origin', 0, 1],
    ]);
  });

  it('never produces a topic with wildcards from random topics (fuzz)', () => {
    const rules = compileRules([
      alerts,
      { direction: 'out', from: 'a/+/#', to: 'z/{2}/{1}' },
      { direction: 'out', from: '#', to: 'all/{1}' },
    ]);
    const alphabet = ['a', 'b', '/', 'clients', 'alerts', '$', 'x'];
    for (let i = 0; i < 5000; i++) {
      let t = '';
      const n = 1 + Math.floor(Math.random() * 12);
      for (let k = 0; k < n; k++) t += alphabet[Math.floor(Math.random() * alphabet.length)];
      const m = mapTopic(rules, 'out', t);
      if (m) {
        expect(m.topic).not.toMatch(/[+#]/);
        expect(m.topic.length).toBeGreaterThan(0);
      } else {
        expect(t.startsWith('$')).toBe(true);
      }
    }
  });
});
