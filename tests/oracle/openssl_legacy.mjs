// openssl_legacy.mjs - imported first by every script that starts s3rver: s3rver's
// listings use DES, which OpenSSL 3 keeps in its legacy provider, so without the provider
// this re-runs the whole script (same arguments, same stdio) with --openssl-legacy-provider
// and exits with its status.
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';

try {
  createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
} catch (e) {
  if (process.execArgv.includes('--openssl-legacy-provider')) throw e;
  const r = spawnSync(process.execPath, ['--openssl-legacy-provider', ...process.execArgv,
    ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
