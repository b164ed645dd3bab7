import type { Command } from 'commander';
import type { ApiKeyInfo, ApiKeyStore, CreatedApiKey } from '../../server/auth/index.js';
import { table } from '../format.js';
import { withMetadata } from '../shared.js';

const say = (m: string) => process.stdout.write(`${m}\n`);

/** Longest grace period, as `ApiKeyStore.rotate` allows it (30 days); repeated here so --help loads no store code. */
const MAX_GRACE = 30 * 24 * 3600;

/** The line printed with a new key: it exists nowhere else. */
export const SHOWN_ONCE_NOTE =
  'This key is shown only once and will not be shown again: store it now (only its sha256 hash is kept).';

/** Opens the API keys of the configured metadata store, runs `fn`, and closes the store. */
async function withKeys<T>(program: Command, fn: (keys: ApiKeyStore) => Promise<T>): Promise<T> {
  const { ApiKeyStore } = await import('../../server/auth/keys.js');
  return withMetadata(program, (meta) => fn(new ApiKeyStore(meta)));
}

const when = (d: Date | null) => (d ? `${d.toISOString().slice(0, 19).replace('T', ' ')}Z` : '-');
/** A revocation time; one still to come (a rotation's grace period) says so. */
const revokedWhen = (d: Date | null) => (d && d.getTime() > Date.now() ? `from ${when(d)}` : when(d));

function printCreated(k: CreatedApiKey, json: boolean): void {
  if (json) {
    say(JSON.stringify({ ...k, note: SHOWN_ONCE_NOTE }, null, 2));
    return;
  }
  say(`created API key ${k.id} "${k.name}" (prefix ${k.prefix}, scopes ${k.scopes.join(', ')})`);
  say('');
  say(`  ${k.key}`);
  say('');
  say(SHOWN_ONCE_NOTE);
  say('Send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.');
}

function printList(keys: ApiKeyInfo[]): void {
  if (keys.length === 0) {
    say('no API keys yet: create one with `reviewlens keys create --name NAME --scopes analyze,search`');
    return;
  }
  const rows = keys.map((k) => [
    String(k.id),
    k.name,
    k.prefix,
    k.scopes.join(','),
    when(k.createdAt),
    when(k.lastUsedAt),
    revokedWhen(k.revokedAt),
  ]);
  for (const line of table([['id', 'name', 'prefix', 'scopes', 'created', 'last used', 'revoked'], ...rows])) {
    say(line);
  }
}

/** `reviewlens keys create|list|revoke|rotate`: API keys for the HTTP API (stored hashed; a key is shown once). */
export function registerKeysCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description('API keys for the HTTP API: create (shown once, stored hashed), list, revoke, rotate');

  keys
    .command('create')
    .description('create an API key; it is printed once and never again')
    .requiredOption('-n, --name <name>', 'who or what uses the key (e.g. "checkout-service")')
    .requiredOption('-s, --scopes <list>', 'comma-separated: analyze, search, label, admin (admin implies all)')
    .option('--json', 'print JSON')
    .action(async (o: { name: string; scopes: string; json?: boolean }) => {
      const created = await withKeys(program, (k) => k.create({ name: o.name, scopes: o.scopes }));
      printCreated(created, o.json === true);
    });

  keys
    .command('list')
    .description('list API keys (never the keys themselves): id, name, prefix, scopes, created, last used, revoked')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await withKeys(program, (k) => k.list());
      if (o.json) say(JSON.stringify(list, null, 2));
      else printList(list);
    });

  keys
    .command('revoke')
    .description('revoke an API key; running servers refuse it within 30 s (at once on the server that revoked it)')
    .argument('<id|prefix>', 'the id or prefix that `keys list` shows')
    .action(async (ref: string) => {
      const { key, alreadyRevoked } = await withKeys(program, (k) => k.revoke(ref));
      say(
        alreadyRevoked
          ? `API key ${key.id} "${key.name}" (${key.prefix}) was already revoked at ${when(key.revokedAt)}`
          : `revoked API key ${key.id} "${key.name}" (${key.prefix})`,
      );
    });

  keys
    .command('rotate')
    .description(
      'replace an API key: a new key with the same name and scopes (printed once), and the old one revoked, ' +
        'at once or after --grace-seconds so that clients can switch over',
    )
    .argument('<id|prefix>', 'the id or prefix that `keys list` shows')
    .option('-g, --grace-seconds <n>', `keep the old key working this many seconds (0-${MAX_GRACE})`, '0')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { graceSeconds: string; json?: boolean }) => {
      const grace = Number(o.graceSeconds);
      const { created, old } = await withKeys(program, (k) => k.rotate(ref, { graceSeconds: grace }));
      const until =
        old.revokedAt && old.revokedAt.getTime() > Date.now()
          ? `keeps working until ${when(old.revokedAt)} (grace period of ${grace} s)`
          : 'is revoked';
      if (o.json) {
        say(JSON.stringify({ ...created, note: SHOWN_ONCE_NOTE, old }, null, 2));
        return;
      }
      say(`rotated API key ${old.id} "${old.name}" (${old.prefix}): the old key ${until}`);
      printCreated(created, false);
      say('Running servers refuse the old key at most 30 s after it is revoked (they cache verified keys that long).');
    });
}
