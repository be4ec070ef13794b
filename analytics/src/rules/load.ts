// Reads the detection rules YAML: parse, validate, and refuse duplicate ids, naming the rule and the key.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { RuleFileError } from '../errors.ts';
import { ruleFileSchema } from './types.ts';
import type { DetectionRule } from './types.ts';

export const DEFAULT_RULES_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'rules',
  'detections.yaml',
);

export function parseRules(text: string, source = 'rules'): DetectionRule[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new RuleFileError(`${source}: not valid YAML: ${(err as Error).message}`, { source });
  }
  const res = ruleFileSchema.safeParse(doc);
  if (!res.success) {
    const input = doc as { rules?: { id?: unknown }[] };
    const problems = res.error.issues.map((i) => {
      const idx = i.path[1];
      const id = typeof idx === 'number' ? input.rules?.[idx]?.id : undefined;
      const where = id ? `rule ${String(id)}: ${i.path.slice(2).join('.')}` : i.path.join('.');
      return `${where} ${i.message}`;
    });
    throw new RuleFileError(`${source}: ${problems.join('; ')}`, { source, problems });
  }
  const seen = new Set<string>();
  for (const r of res.data.rules) {
    if (seen.has(r.id))
      throw new RuleFileError(`${source}: rule id ${r.id} appears twice`, { source, rule: r.id });
    seen.add(r.id);
  }
  return res.data.rules;
}

export function loadRules(file: string = DEFAULT_RULES_FILE): DetectionRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RuleFileError(`cannot read rules file ${file}: ${(err as Error).message}`, { file });
  }
  return parseRules(text, file);
}
