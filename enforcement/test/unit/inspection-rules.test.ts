import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor } from '@sentinel/infra';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_RULES_FILE,
  InspectionEngine,
  inspectionConfig,
  parseRuleText,
  RuleFileError,
} from '../../src/inspection/index.ts';
import type { SessionFacts } from '../../src/inspection/index.ts';

const rule = (id: string, literal: string, extra = ''): string => `  - id: ${id}
    name: ${id}
    severity: medium
    action: flag
    technique: T1190
    pattern: ${JSON.stringify(literal)}
${extra}`;
const file = (...rules: string[]): string => `version: 1\nrules:\n${rules.join('')}`;

function refusal(text: string): RuleFileError {
  try {
    parseRuleText('rules.yaml', text);
  } catch (err) {
    if (err instanceof RuleFileError) return err;
    throw err;
  }
  throw new Error('the rule file was accepted');
}

describe('rule file validation', () => {
  it('the shipped rule file parses', () => {
    const set = parseRuleText('default', readFileSync(DEFAULT_RULES_FILE, 'utf8'));
    expect(set.rules.length).toBeGreaterThanOrEqual(12);
  });

  it('names the rule and the field for a bad severity', () => {
    const err = refusal(file(rule('ok.one', 'aaa'), rule('bad.two', 'bbb').replace('medium', 'extreme')));
    expect(err.ruleId).toBe('bad.two');
    expect(err.ruleIndex).toBe(1);
    expect(err.message).toMatch(/rule "bad\.two" \(rules\[1\]\):.*severity/);
  });

  it('names the rule for an unknown verifier, a bad topic filter, an unknown technique, a duplicate id', () => {
    expect(
      refusal(file(rule('x.v', 'a').replace('pattern: "a"', 'pattern: { literal: "a", verify: nope }')))
        .message,
    ).toMatch(/"x\.v".*unknown verifier "nope"/);
    expect(refusal(file(rule('x.t', 'a', '    topics: ["a/#/b"]\n'))).message).toMatch(
      /"x\.t".*topics\.0: is not a valid MQTT topic filter/,
    );
    expect(refusal(file(rule('x.m', 'a').replace('T1190', 'T9999'))).message).toMatch(/"x\.m".*technique/);
    expect(refusal(file(rule('x.d', 'a'), rule('x.d', 'b'))).message).toMatch(
      /"x\.d" \(rules\[1\]\): duplicate id \(also rules\[0\]\)/,
    );
  });

  it('refuses a file that is not YAML or has no rules list', () => {
    expect(refusal('rules: [').message).toMatch(/not valid YAML/);
    expect(refusal('version: 1').message).toMatch(/`rules:` list/);
  });

  it('applies per-rule topic filters', () => {
    const set = parseRuleText('t', file(rule('only.cmd', 'reboot-now', '    topics: ["plant/+/cmd/#"]\n')));
    const engine = new InspectionEngine({ config: inspectionConfig({ watchRules: false }), rules: set });
    expect(engine.scanPayload(Buffer.from('reboot-now'), 'plant/a/cmd/x')).toHaveLength(1);
    expect(engine.scanPayload(Buffer.from('reboot-now'), 'plant/a/telemetry')).toHaveLength(0);
  });

  it('honours anchors and hex literals', () => {
    const set = parseRuleText(
      't',
      file(
        rule('a.start', 'x').replace('pattern: "x"', 'pattern: { literal: "GET ", anchor: start }'),
        rule('a.hex', 'x').replace('pattern: "x"', 'pattern: { hex: "de ad be ef" }'),
      ),
    );
    const engine = new InspectionEngine({ config: inspectionConfig({ watchRules: false }), rules: set });
    expect(engine.scanPayload(Buffer.from('GET /'), 't').map((h) => h.rule.id)).toEqual(['a.start']);
    expect(engine.scanPayload(Buffer.from(' GET /'), 't')).toHaveLength(0);
    expect(engine.scanPayload(Buffer.from([1, 0xde, 0xad, 0xbe, 0xef]), 't').map((h) => h.rule.id)).toEqual([
      'a.hex',
    ]);
  });
});

describe('rule file reload', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  function setup(text: string) {
    const { dir, cleanup } = tempDir('sentinel-rules-');
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, text);
    const refused: RuleFileError[] = [];
    const engine = new InspectionEngine({
      config: inspectionConfig({ rulesFile: path, reloadDebounceMs: 30 }),
      onRulesRefused: (e) => refused.push(e),
    });
    engine.start();
    cleanups.push(() => engine.close(), cleanup);
    return { engine, path, dir, refused };
  }
  const session: SessionFacts = { sessionId: 's', clientId: 'c', ip: '127.0.0.1', protocolVersion: 4 };
  const publish = (engine: InspectionEngine, text: string) =>
    engine.publish(
      session,
      { topic: 't', payload: Buffer.from(text), qos: 0, retain: false, dup: false },
      Date.now(),
    );

  it('a changed good file swaps the rules without restarting the engine', async () => {
    const { engine, path } = setup(file(rule('first.rule', 'alpha-marker')));
    expect(publish(engine, 'x alpha-marker').findings[0]?.rule.id).toBe('first.rule');
    writeFileSync(path, file(rule('second.rule', 'beta-marker')));
    await waitFor('the new rules', () => engine.rules.rules[0]?.id === 'second.rule', { timeoutMs: 5000 });
    expect(publish(engine, 'x alpha-marker').action).toBe('allow');
    expect(publish(engine, 'x beta-marker').findings[0]?.rule.id).toBe('second.rule');
  });

  it('a file replaced by rename (as editors save) is picked up', async () => {
    const { engine, path, dir } = setup(file(rule('first.rule', 'alpha-marker')));
    writeFileSync(join(dir, 'tmp.yaml'), file(rule('renamed.rule', 'gamma-marker')));
    renameSync(join(dir, 'tmp.yaml'), path);
    await waitFor('the renamed rules', () => engine.rules.rules[0]?.id === 'renamed.rule', {
      timeoutMs: 5000,
    });
  });

  it('a bad file is refused, names the bad rule, and the old rules stay active', async () => {
    const { engine, path, refused } = setup(file(rule('first.rule', 'alpha-marker')));
    writeFileSync(
      path,
      file(
        rule('good.rule', 'beta-marker'),
        rule('broken.rule', 'x').replace('action: flag', 'action: explode'),
      ),
    );
    await waitFor('the refusal', () => refused.length > 0, { timeoutMs: 5000 });
    expect(refused[0]).toBeInstanceOf(RuleFileError);
    expect(refused[0]?.ruleId).toBe('broken.rule');
    expect(refused[0]?.message).toMatch(/broken\.rule.*action/);
    expect(engine.rules.rules.map((r) => r.id)).toEqual(['first.rule']);
    expect(publish(engine, 'alpha-marker').findings[0]?.rule.id).toBe('first.rule');
  });

  it('reloadRules reports the outcome', async () => {
    const { engine, path } = setup(file(rule('first.rule', 'alpha-marker')));
    engine.close();
    writeFileSync(path, 'rules: 7');
    const bad = await engine.reloadRules();
    expect(bad.ok).toBe(false);
    writeFileSync(path, file(rule('third.rule', 'delta-marker')));
    const good = await engine.reloadRules();
    expect(good.ok && good.rules.rules[0]?.id).toBe('third.rule');
  });
});
