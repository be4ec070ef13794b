// The MITRE ATT&CK catalog Sentinel tags with, in one file. Enterprise techniques are T1xxx, ICS
// techniques T08xx. Detection rules, reason codes and reports refer to these ids only.

export interface Technique {
  id: string;
  name: string;
  tactic: string;
  matrix: 'enterprise' | 'ics';
}

const t = (id: string, name: string, tactic: string, matrix: Technique['matrix']): Technique => ({
  id,
  name,
  tactic,
  matrix,
});

export const MITRE_TECHNIQUES = {
  T1110: t('T1110', 'Brute Force', 'Credential Access', 'enterprise'),
  'T1110.001': t('T1110.001', 'Brute Force: Password Guessing', 'Credential Access', 'enterprise'),
  'T1110.003': t('T1110.003', 'Brute Force: Password Spraying', 'Credential Access', 'enterprise'),
  'T1110.004': t('T1110.004', 'Brute Force: Credential Stuffing', 'Credential Access', 'enterprise'),
  T1498: t('T1498', 'Network Denial of Service', 'Impact', 'enterprise'),
  T1499: t('T1499', 'Endpoint Denial of Service', 'Impact', 'enterprise'),
  T0814: t('T0814', 'Denial of Service', 'Inhibit Response Function', 'ics'),
  T0855: t('T0855', 'Unauthorized Command Message', 'Impair Process Control', 'ics'),
  T0856: t('T0856', 'Spoof Reporting Message', 'Evasion', 'ics'),
  T0846: t('T0846', 'Remote System Discovery', 'Discovery', 'ics'),
  T0861: t('T0861', 'Point & Tag Identification', 'Collection', 'ics'),
  T1190: t('T1190', 'Exploit Public-Facing Application', 'Initial Access', 'enterprise'),
  T0859: t('T0859', 'Valid Accounts', 'Persistence', 'ics'),
  T1078: t('T1078', 'Valid Accounts', 'Defense Evasion', 'enterprise'),
  T0830: t('T0830', 'Adversary-in-the-Middle', 'Collection', 'ics'),
  T1027: t('T1027', 'Obfuscated Files or Information', 'Defense Evasion', 'enterprise'),
  T1036: t('T1036', 'Masquerading', 'Defense Evasion', 'enterprise'),
} as const satisfies Record<string, Technique>;

export type TechniqueId = keyof typeof MITRE_TECHNIQUES;

export function technique(id: string): Technique | undefined {
  return Object.prototype.hasOwnProperty.call(MITRE_TECHNIQUES, id)
    ? MITRE_TECHNIQUES[id as TechniqueId]
    : undefined;
}

/** The public page of a technique, for consoles and reports. */
export function techniqueUrl(id: string): string {
  const [base, sub] = id.split('.');
  const path = sub ? `${base}/${sub}` : base;
  return `https://attack.mitre.org/techniques/${path}/`;
}
