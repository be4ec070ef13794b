// What each role may do, mirroring the api's route table (api/src/auth/roles.ts). The api enforces it;
// the console only hides or disables what would be refused, and says why.
import type { Role } from '../api/types.ts';

export const CAPABILITIES = {
  /** acknowledge, assign, resolve, comment */
  triage: ['analyst', 'responder'],
  /** create and lift bans */
  ban: ['responder'],
  /** release or discard quarantined messages */
  quarantine: ['responder'],
  /** build and download compliance reports */
  reports: ['auditor', 'admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Capability = keyof typeof CAPABILITIES;

export function can(role: Role | undefined, what: Capability): boolean {
  return role !== undefined && (CAPABILITIES[what] as readonly Role[]).includes(role);
}

/** The tooltip on a control the role may not use. */
export function whyNot(what: Capability): string {
  const roles = CAPABILITIES[what].join(' or ');
  return `Needs the ${roles} role`;
}
