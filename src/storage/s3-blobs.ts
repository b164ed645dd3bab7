import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { Config } from '../core/config.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { sha256 } from '../core/ids.js';
import { type BlobStore, LocalBlobStore } from './blobs.js';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket; a blob's key is `<prefix><id[0..2]>/<id>`. */
  prefix?: string;
  /** An S3-compatible server (MinIO, s3rver); empty: AWS. */
  endpoint?: string;
  region?: string;
  /** Empty: the AWS SDK's default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle?: boolean;
}

const ID_RE = /^[0-9a-f]{64}$/;

function checkId(id: string): void {
  if (!ID_RE.test(id)) throw new ValidationError(`not a blob id (64 hex characters): ${id.slice(0, 80)}`, 'id');
}

/** A missing object: S3 answers 404 (`NoSuchKey` on GET, `NotFound` on HEAD). */
function isMissing(e: unknown): boolean {
  return (
    e instanceof S3ServiceException &&
    (e.$metadata.httpStatusCode === 404 || e.name === 'NoSuchKey' || e.name === 'NotFound')
  );
}

/**
 * Scale-out adapter of the blob store: S3 or an S3-compatible server (MinIO), through the AWS SDK v3, so that
 * several API servers and workers share photos, raw pages and model artifacts. Content-addressed like the
 * local store (the id is the sha256 of the bytes, checked on write); an object appears whole or not at all
 * (S3's PUT), so no temporary key is needed.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(opts: S3BlobStoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
    this.client = new S3Client({
      region: opts.region || 'us-east-1',
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      forcePathStyle: opts.forcePathStyle ?? true,
      ...(opts.accessKeyId && opts.secretAccessKey
        ? { credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } }
        : {}),
    });
  }

  private keyOf(id: string): string {
    return `${this.prefix}${id.slice(0, 2)}/${id}`;
  }

  async put(bytes: Uint8Array): Promise<string> {
    const id = sha256(bytes);
    if (await this.has(id)) return id;
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.keyOf(id), Body: bytes, ContentLength: bytes.byteLength }),
    );
    return id;
  }

  async get(id: string): Promise<Buffer> {
    checkId(id);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(id) }));
      if (!out.Body) throw new NotFoundError(`blob ${id} not found`);
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (e) {
      if (isMissing(e)) throw new NotFoundError(`blob ${id} not found`);
      throw e;
    }
  }

  async has(id: string): Promise<boolean> {
    checkId(id);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(id) }));
      return true;
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }

  async delete(id: string): Promise<void> {
    checkId(id);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(id) }));
  }

  async status(): Promise<{ backend: string; ok: boolean; error?: string }> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return { backend: 's3', ok: true };
    } catch (e) {
      return { backend: 's3', ok: false, error: `bucket ${this.bucket}: ${(e as Error).message || (e as Error).name}` };
    }
  }

  /** Releases the SDK's sockets. */
  close(): void {
    this.client.destroy();
  }
}

/** The blob store the configuration names: `<dataDir>/blobs` on local disk (default), or S3 (`blobs.backend: s3`). */
export function openBlobStore(config: Pick<Config, 'dataDir' | 'blobs'>): BlobStore {
  const b = config.blobs;
  if (b?.backend === 's3') {
    return new S3BlobStore({
      bucket: b.s3.bucket,
      prefix: b.s3.prefix,
      endpoint: b.s3.endpoint,
      region: b.s3.region,
      accessKeyId: b.s3.accessKeyId,
      secretAccessKey: b.s3.secretAccessKey,
      forcePathStyle: b.s3.forcePathStyle,
    });
  }
  return new LocalBlobStore(join(config.dataDir, 'blobs'));
}
