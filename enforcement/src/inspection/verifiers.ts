// Post-match verifiers: a literal alone is sometimes too loose (`' or` occurs in prose, `union` in
// sentences). When the automaton finds such a literal, a verifier looks at the few bytes around it and
// confirms the attack shape. They run only on a hit, so a clean payload never pays for them.
// A verifier gets the (decoded) buffer, the literal's start and end (exclusive) and the buffer length.

export type Verifier = (buf: Uint8Array, start: number, end: number, len: number) => boolean;

const WORD = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  WORD[b] =
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f ? 1 : 0;
}

export function isWordByte(b: number | undefined): boolean {
  return b !== undefined && WORD[b] === 1;
}

const isSpace = (b: number | undefined): boolean =>
  b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
const lower = (b: number): number => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b);

/** Skip whitespace and SQL inline comments forward (`/**\/` is a classic space substitute). */
function skipSqlGap(buf: Uint8Array, i: number, len: number): number {
  for (;;) {
    while (i < len && isSpace(buf[i])) i++;
    if (i + 1 < len && buf[i] === 0x2f && buf[i + 1] === 0x2a) {
      let j = i + 2;
      while (j + 1 < len && !(buf[j] === 0x2a && buf[j + 1] === 0x2f)) j++;
      if (j + 1 >= len) return len;
      i = j + 2;
      continue;
    }
    return i;
  }
}

/** Skip whitespace and SQL inline comments backward from `i` (exclusive); returns the index before them. */
function skipSqlGapBack(buf: Uint8Array, i: number): number {
  let j = i - 1;
  for (;;) {
    while (j >= 0 && isSpace(buf[j])) j--;
    if (j >= 1 && buf[j] === 0x2f && buf[j - 1] === 0x2a) {
      let k = j - 2;
      while (k >= 1 && !(buf[k] === 0x2a && buf[k - 1] === 0x2f)) k--;
      if (k < 1) return -1;
      j = k - 2;
      continue;
    }
    return j;
  }
}

/** Does `buf` at `i` hold `word` (ASCII, case-insensitive) followed by a non-word byte? */
function wordAt(buf: Uint8Array, i: number, len: number, word: string): boolean {
  if (i + word.length > len) return false;
  for (let k = 0; k < word.length; k++) if (lower(buf[i + k]!) !== word.charCodeAt(k)) return false;
  return !isWordByte(buf[i + word.length]);
}

function readWord(buf: Uint8Array, i: number, len: number, max = 32): string {
  let s = '';
  while (i < len && s.length < max && isWordByte(buf[i])) s += String.fromCharCode(lower(buf[i++]!));
  return s;
}

/** An SQL operand: a quoted string (closing quote optional at the end: the application adds it) or a word. */
function readOperand(
  buf: Uint8Array,
  i: number,
  len: number,
): { text: string; next: number; quoted: boolean } | undefined {
  const q = buf[i];
  if (q === 0x27 || q === 0x22) {
    let j = i + 1;
    let text = '';
    while (j < len && buf[j] !== q && text.length < 64) text += String.fromCharCode(lower(buf[j++]!));
    if (buf[j] === q) return { text, next: j + 1, quoted: true };
    // Unclosed: the application's query supplies the closing quote; the value is its leading word.
    const word = /^[a-z0-9_.]*/.exec(text)![0];
    return { text: word, next: i + 1 + word.length, quoted: true };
  }
  let j = i;
  let text = '';
  while (j < len && text.length < 64 && (isWordByte(buf[j]) || buf[j] === 0x2e))
    text += String.fromCharCode(lower(buf[j++]!));
  return text.length === 0 ? undefined : { text, next: j, quoted: false };
}

/** After `' or` (the literal ends at "or"): an always-true comparison like `'1'='1`, `1=1`, `''='`, `true`. */
const sqlTautology: Verifier = (buf, _start, end, len) => {
  if (isWordByte(buf[end])) {
    return false;
  }
  let i = skipSqlGap(buf, end, len);
  const a = readOperand(buf, i, len);
  if (!a) return false;
  i = skipSqlGap(buf, a.next, len);
  if (!a.quoted && (a.text === 'true' || a.text === 'not')) return true;
  if (buf[i] === 0x3d) {
    i++;
    if (buf[i] === 0x3d) i++;
  } else if (wordAt(buf, i, len, 'like')) {
    i += 4;
  } else {
    return false;
  }
  i = skipSqlGap(buf, i, len);
  const b = readOperand(buf, i, len) ?? (i >= len ? { text: '', next: i, quoted: true } : undefined);
  if (!b) return false;
  return a.text === b.text;
};

/** After `union`: optional ALL / DISTINCT, then SELECT, separated by spaces, comments or a parenthesis. */
const sqlUnionSelect: Verifier = (buf, _start, end, len) => {
  let i = skipSqlGap(buf, end, len);
  const gapped = i > end;
  if (wordAt(buf, i, len, 'all')) i = skipSqlGap(buf, i + 3, len);
  else if (wordAt(buf, i, len, 'distinct')) i = skipSqlGap(buf, i + 8, len);
  if (buf[i] === 0x28) i = skipSqlGap(buf, i + 1, len);
  else if (!gapped) return false;
  return wordAt(buf, i, len, 'select');
};

/** What a stacked statement keyword must be followed by to be SQL rather than prose. */
const STACKED_FOLLOWERS: Record<string, (buf: Uint8Array, i: number, len: number) => boolean> = {
  drop: (b, i, l) =>
    ['table', 'database', 'schema', 'view', 'user', 'procedure'].some((w) => wordAt(b, i, l, w)),
  delete: (b, i, l) => wordAt(b, i, l, 'from'),
  insert: (b, i, l) => wordAt(b, i, l, 'into'),
  truncate: (b, i, l) => wordAt(b, i, l, 'table'),
  alter: (b, i, l) => ['table', 'user', 'database'].some((w) => wordAt(b, i, l, w)),
  update: (b, i, l) => {
    const name = readWord(b, i, l, 64);
    return name.length > 0 && wordAt(b, skipSqlGap(b, i + name.length, l), l, 'set');
  },
  exec: (b, i, l) => b[i] === 0x28 || ['xp_', 'sp_', 'master'].some((p) => readWord(b, i, l).startsWith(p)),
  execute: (b, i, l) =>
    b[i] === 0x28 || ['xp_', 'sp_', 'master', 'immediate'].some((p) => readWord(b, i, l).startsWith(p)),
  shutdown: (b, i, l) => i >= l || b[i] === 0x3b || b[i] === 0x2d || b[i] === 0x23,
  waitfor: (b, i, l) => wordAt(b, i, l, 'delay') || wordAt(b, i, l, 'time'),
  select: (b, i, l) => {
    for (let j = i; j < Math.min(l, i + 128); j++)
      if (wordAt(b, j, l, 'from') && !isWordByte(b[j - 1])) return true;
    return false;
  },
};

/** `; DROP TABLE …`: a statement keyword right after a `;` (spaces and comments between allowed). */
const sqlStacked: Verifier = (buf, start, end, len) => {
  const before = skipSqlGapBack(buf, start);
  if (before < 0 || buf[before] !== 0x3b) return false;
  let word = '';
  for (let k = start; k < end; k++) word += String.fromCharCode(lower(buf[k]!));
  const follower = STACKED_FOLLOWERS[word];
  if (!follower) return false;
  const i = skipSqlGap(buf, end, len);
  return (word === 'shutdown' || i > end || buf[i] === 0x28) && follower(buf, i, len);
};

/** `admin'--`: a closing quote after a value, then a comment that runs to the end of the value. */
const sqlCommentTail: Verifier = (buf, start, end, len) => {
  if (!isWordByte(buf[start - 1])) return false;
  let rest = 0;
  for (let i = end; i < len; i++) {
    const b = buf[i]!;
    if (b === 0x22 || b === 0x0a || b === 0x0d) break;
    if (!isSpace(b) && b !== 0x2d && ++rest > 2) return false;
  }
  return true;
};

/** Shell commands an injected chain or substitution typically runs. */
const SHELL_COMMANDS = new Set([
  'cat',
  'rm',
  'wget',
  'curl',
  'nc',
  'ncat',
  'netcat',
  'bash',
  'sh',
  'zsh',
  'dash',
  'chmod',
  'chown',
  'python',
  'python3',
  'perl',
  'php',
  'ruby',
  'id',
  'whoami',
  'uname',
  'ls',
  'ping',
  'nslookup',
  'reboot',
  'shutdown',
  'kill',
  'killall',
  'echo',
  'busybox',
  'tftp',
  'telnet',
  'mkfifo',
  'sleep',
  'passwd',
  'ifconfig',
  'netstat',
  'ps',
  'env',
  'printenv',
  'uptime',
  'hostname',
  'base64',
  'dd',
  'mount',
  'crontab',
  'useradd',
  'su',
  'sudo',
]);

/** Bytes that may start the argument of an injected command (digits not: `; ping 20ms` is prose). */
const isShellArgStart = (b: number | undefined): boolean =>
  b !== undefined &&
  (b === 0x2f ||
    b === 0x2e ||
    b === 0x2d ||
    b === 0x7e ||
    b === 0x24 ||
    b === 0x60 ||
    b === 0x27 ||
    b === 0x22 ||
    b === 0x3c ||
    b === 0x3e ||
    b === 0x7c ||
    b === 0x3b ||
    b === 0x26);
const isShellSeparator = (b: number | undefined): boolean =>
  b === 0x3b || b === 0x7c || b === 0x26 || b === 0x0a;

/** `; cat /etc/passwd`, `&& rm -rf /`, `| sh`: a command word right after a shell separator, with a shell-looking argument or none. */
const shellChain: Verifier = (buf, start, end, len) => {
  let j = start - 1;
  while (j >= 0 && (buf[j] === 0x20 || buf[j] === 0x09)) j--;
  if (!isShellSeparator(buf[j])) return false;
  if (end >= len) return true;
  const next = buf[end];
  if (isShellSeparator(next) || next === 0x60 || next === 0x29 || next === 0x22 || next === 0x27) return true;
  if (next !== 0x20 && next !== 0x09) return false;
  let i = end;
  while (i < len && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  return (
    i >= len ||
    isShellArgStart(buf[i]) ||
    wordAt(buf, i, len, 'http') ||
    wordAt(buf, i, len, 'https') ||
    SHELL_COMMANDS.has(readWord(buf, i, len))
  );
};

/** `$(…)`: a command substitution whose first word is a shell command. */
const shellSubstitution: Verifier = (buf, _start, end, len) => {
  let i = end;
  while (i < len && isSpace(buf[i])) i++;
  const word = buf[i] === 0x2f ? 'path' : readWord(buf, i, len);
  if (word !== 'path' && !SHELL_COMMANDS.has(word)) return false;
  for (let j = i; j < Math.min(len, i + 256); j++) if (buf[j] === 0x29) return true;
  return false;
};

/** `` `id` ``: a backtick pair around a shell command. */
const backtickCommand: Verifier = (buf, _start, end, len) => {
  let i = end;
  while (i < len && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  const word = buf[i] === 0x2f ? 'path' : readWord(buf, i, len);
  if (word !== 'path' && !SHELL_COMMANDS.has(word)) return false;
  for (let j = i; j < Math.min(len, i + 256); j++) if (buf[j] === 0x60) return true;
  return false;
};

/** `onerror=`: an HTML event-handler attribute (optional spaces before `=`). */
const attrAssign: Verifier = (buf, _start, end, len) => {
  let i = end;
  while (i < len && isSpace(buf[i])) i++;
  return buf[i] === 0x3d;
};

/** The verifiers a rule file may name. */
export const VERIFIERS: Readonly<Record<string, Verifier>> = Object.freeze({
  sql_tautology: sqlTautology,
  sql_union_select: sqlUnionSelect,
  sql_stacked: sqlStacked,
  sql_comment_tail: sqlCommentTail,
  shell_chain: shellChain,
  shell_substitution: shellSubstitution,
  backtick_command: backtickCommand,
  attr_assign: attrAssign,
});
