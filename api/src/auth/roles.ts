// The four roles. A route names the roles that may call it (routes/table.ts); nothing else grants access.
export const ROLES = ['analyst', 'responder', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Everyone who may read incidents, events, identities, bans and coverage. */
export const READERS: readonly Role[] = ['analyst', 'responder', 'auditor', 'admin'];
/** Incident triage: acknowledge, assign, resolve, comment. */
export const TRIAGE: readonly Role[] = ['analyst', 'responder'];
/** Bans, unbans and quarantine release: changes enforcement nodes act on. */
export const RESPONDERS: readonly Role[] = ['responder'];
/** Compliance reports. */
export const AUDITORS: readonly Role[] = ['auditor', 'admin'];
/** Tokens and configuration. */
export const ADMINS: readonly Role[] = ['admin'];
