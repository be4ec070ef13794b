// A report for one standard, range and scope: evidence from the store, each requirement evaluated.
import type { Store } from '@sentinel/analytics';
import { ValidationError } from '../errors.ts';
import { canonicalJson, sha256Hex } from './canonical.ts';
import { collectEvidence } from './evidence.ts';
import { evaluate } from './evaluate.ts';
import { EU_CRA } from './standards/eu-cra.ts';
import { IEC_62443_4_2 } from './standards/iec62443-4-2.ts';
import { NIST_800_53 } from './standards/nist-800-53.ts';
import type { ConfigFacts, Report, RequirementStatus, Standard } from './types.ts';

export const STANDARDS = {
  'iec62443-4-2': IEC_62443_4_2,
  'nist-800-82r3': NIST_800_53,
  'eu-cra': EU_CRA,
} as const satisfies Record<string, Standard>;
export type StandardId = keyof typeof STANDARDS;
export const STANDARD_IDS = Object.keys(STANDARDS) as StandardId[];

export interface BuildOptions {
  store: Store;
  standard: StandardId;
  from: number;
  to: number;
  scope?: { scope: string; value: string };
  facts: ConfigFacts;
  sampleSize: number;
  maxRangeDays: number;
  now: number;
}

export async function buildReport(o: BuildOptions): Promise<Report> {
  if (o.to <= o.from) throw new ValidationError([{ field: 'body.to', reason: 'must be after from' }]);
  if (o.to - o.from > o.maxRangeDays * 86_400_000) {
    throw new ValidationError([
      { field: 'body.to', reason: `the range may span at most ${o.maxRangeDays} days` },
    ]);
  }
  const std = STANDARDS[o.standard];
  const evidence = await collectEvidence(o.store, {
    from: o.from,
    to: o.to,
    sampleSize: o.sampleSize,
    ...(o.scope ? { scope: o.scope } : {}),
  });
  const requirements = std.requirements.map((r) => evaluate(r, o.facts, evidence, o.sampleSize));
  const summary: Record<RequirementStatus, number> = { met: 0, partly_met: 0, not_met: 0, not_applicable: 0 };
  for (const r of requirements) summary[r.status] += 1;
  return {
    kind: 'sentinel.compliance-report',
    version: 1,
    standard: { id: std.id, name: std.name, version: std.version },
    generatedAt: o.now,
    range: { from: o.from, to: o.to },
    scope: o.scope ?? null,
    facts: o.facts,
    summary,
    requirements,
    evidence,
    evidenceDigest: sha256Hex(canonicalJson(evidence)),
  };
}
