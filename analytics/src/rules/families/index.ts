import type { Families } from './family.ts';
import { distinctFamily } from './distinct.ts';
import { leakyBucketFamily } from './leaky-bucket.ts';
import { thresholdFamily } from './threshold.ts';

export const FAMILIES: Families = {
  threshold: thresholdFamily,
  distinct: distinctFamily,
  leaky_bucket: leakyBucketFamily,
};
