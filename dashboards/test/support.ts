// Shared by the dashboard tests: every query of every panel, the rules' expressions, and the metric
// names the repository's code defines (read from the sources, so a renamed metric fails the tests).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DASHBOARD_FILES, loadDashboard, packagePath, queryPanels } from '../src/index.ts';

export interface PanelQuery {
  dashboard: string;
  panel: string;
  expr: string;
}

export function panelQueries(): PanelQuery[] {
  return DASHBOARD_FILES.flatMap((file) => {
    const d = loadDashboard(file);
    return queryPanels(d).flatMap((p) =>
      (p.targets ?? []).map((t) => ({ dashboard: d.uid, panel: p.title, expr: t.expr })),
    );
  });
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

export function ruleExpressions(): { alert: string; expr: string }[] {
  const doc = parse(readFileSync(packagePath('prometheus/alerts.yml'), 'utf8')) as RuleFile;
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ alert: r.alert ?? r.record ?? '?', expr: r.expr })));
}

const PACKAGES = ['ingest', 'enforcement', 'analytics', 'siem-export', 'api', 'dashboards', 'infra'];

function sources(dir: string): string[] {
  let out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') out = out.concat(sources(p));
    else if (e.isFile() && e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Metric names defined by `name: '...'` in the packages' src folders, plus what Prometheus adds itself. */
export function definedMetricNames(): Set<string> {
  const names = new Set<string>(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
  const root = packagePath('..');
  for (const pkg of PACKAGES) {
    let files: string[] = [];
    try {
      files = sources(join(root, pkg, 'src'));
    } catch {
      continue;
    }
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bname:\s*['"]([a-zA-Z_:][\w:]*)['"]/g)) {
        names.add(m[1] as string);
      }
    }
  }
  return names;
}
