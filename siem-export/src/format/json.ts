// JSON: the event contract exactly as it is on the stream, one object per line. JSON.stringify escapes
// every control character and line break, so a record never spans two lines.
import type { Formatter } from './types.ts';

export const formatJson: Formatter = (rec) => JSON.stringify(rec.value);
