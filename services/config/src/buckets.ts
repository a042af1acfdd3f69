import type { KvBucketDef, TypedKv } from '@boottorrent/contracts';
import { buckets } from '@boottorrent/contracts';

/** The typed handle openBucket() returns for a bucket definition. */
export type BucketOf<D> = D extends KvBucketDef<infer M> ? TypedKv<M> : never;

export type DesiredBucket = BucketOf<typeof buckets.desired>;
export type TorrentsBucket = BucketOf<typeof buckets.torrents>;
export type ArtifactsBucket = BucketOf<typeof buckets.artifacts>;
export type NodesBucket = BucketOf<typeof buckets.nodes>;
