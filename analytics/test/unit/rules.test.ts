import { readFileSync } from 'node:fs';
import { MITRE_TECHNIQUES } from '@sentinel/ingest';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_FILE, RuleFileError, loadRules, parseRules } from '@sentinel/analytics';

const base = {
  id: 'x.rule',
  title: 'X',
  match: { reasons: ['auth.bad_credentials'] },
  groupBy: 'ip',
  type: 'threshold',
  window: 60,
  threshold: 3,
  technique: 'T1110',
  tactic: 'Credential Access',
  severity: 5,
  remediation: 'do something',
};

function yamlOf(rules: unknown[]): string {
  return JSON.stringify({ rules });
}

describe('detection rule files', () => {
  it('the shipped defaults load and cover every required scenario with its MITRE technique', () => {
    const rules = loadRules();
    const byId = new Map(rules.map((r) => [r.id, r]));
    const expected: Record<string, string> = {
      'auth.brute_force': 'T1110',
      'auth.password_spraying': 'T1110.003',
      'auth.credential_stuffing': 'T1110.004',
      'dos.connect_flood': 'T0814',
      'dos.connect_flood_confirmed': 'T0814',
      'discovery.wildcard_subscribe': 'T0846',
      'collection.topic_enumeration': 'T0861',
      'exploit.injection_payload': 'T1190',
      'anomaly.oversized_payload': 'T1499',
      'anomaly.high_entropy_payload': 'T1027',
      'identity.stolen_client_id': 'T0859',
      'identity.cloned_certificate': 'T1078',
      'command.replay': 'T0855',
      'evasion.penalty_evasion': 'T1036',
    };
    for (const [id, technique] of Object.entries(expected)) expect(byId.get(id)?.technique).toBe(technique);
    expect(byId.get('auth.brute_force')).toMatchObject({
      window: 60,
      threshold: 5,
      groupBy: 'ip',
      type: 'threshold',
    });
    expect(byId.get('dos.connect_flood')?.related).toContain('T1499');
    for (const r of rules) {
      expect(r.tactic).toBe(MITRE_TECHNIQUES[r.technique as keyof typeof MITRE_TECHNIQUES].tactic);
      expect(r.remediation.length).toBeGreaterThan(20);
    }
    expect(readFileSync(DEFAULT_RULES_FILE, 'utf8')).toContain('rules:');
  });

  it.each([
    [{ technique: 'T9999' }, /rule x\.rule: technique is not in the MITRE catalog/],
    [{ tactic: 'Impact' }, /rule x\.rule: tactic must be "Credential Access"/],
    [{ match: { reasons: ['auth.nope'] } }, /rule x\.rule: match\.reasons\.0 is not a known reason code/],
    [{ type: 'distinct' }, /rule x\.rule: distinct is required for type distinct/],
    [{ type: 'leaky_bucket' }, /capacity and leakPerS are required/],
    [{ requires: ['auth.ok'] }, /auth\.ok must also be in match\.reasons/],
    [{ countReasons: ['auth.ok'] }, /rule x\.rule: countReasons auth\.ok must also be in match\.reasons/],
    [{ groupBy: 'topic' }, /rule x\.rule: groupBy/],
    [{ window: 0 }, /rule x\.rule: window/],
    [{ extra: 1 }, /rule x\.rule: .*extra/],
  ])('a bad rule %j is refused with the rule id and the key', (patch, message) => {
    expect(() => parseRules(yamlOf([{ ...base, ...patch }]), 'test.yaml')).toThrow(message);
  });

  it('two rules with one id are refused', () => {
    expect(() => parseRules(yamlOf([base, base]))).toThrow(/x\.rule appears twice/);
  });

  it('random and mutated rule files fail only with RuleFileError', () => {
    const good = readFileSync(DEFAULT_RULES_FILE, 'utf8');
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 80; i++) {
      const chars = good.split('');
      for (let j = 0; j < 1 + rand(8); j++) {
        const at = rand(chars.length);
        const op = rand(3);
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, String.fromCharCode(rand(128)));
        else chars[at] = ':[]{}-#\n '.charAt(rand(10));
      }
      try {
        parseRules(chars.join(''), 'fuzz');
      } catch (err) {
        expect(err).toBeInstanceOf(RuleFileError);
      }
    }
  }, 30_000); // YAML + schema per mutation: keep headroom on a loaded machine
});
