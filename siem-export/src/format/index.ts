// The formatter registry: one entry per FormatKind, so adding a kind without its formatter fails to compile.
import { formatCef } from './cef.ts';
import { formatJson } from './json.ts';
import { formatLeef } from './leef.ts';
import { formatOcsf } from './ocsf.ts';
import { formatRfc3164 } from './rfc3164.ts';
import { formatRfc5424 } from './rfc5424.ts';
import type { FormatKind, Formatter } from './types.ts';

export const formatters: Record<FormatKind, Formatter> = {
  cef: formatCef,
  leef: formatLeef,
  rfc5424: formatRfc5424,
  rfc3164: formatRfc3164,
  json: formatJson,
  ocsf: formatOcsf,
};
