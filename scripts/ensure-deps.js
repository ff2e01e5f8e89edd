// Installs dependencies on a fresh clone (or after package-lock.json changed),
// so `npm start`, `npm test` and `npm run bench` work as the first command.
const { existsSync, lstatSync, statSync } = require('node:fs');
const { execSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const modules = join(root, 'node_modules');
const marker = join(modules, '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs;
if (stale && existsSync(modules) && lstatSync(modules).isSymbolicLink()) {
  // A git worktree sharing another checkout's node_modules: `npm ci` would empty
  // that checkout's node_modules through the link, under whoever is using it.
  console.log('braid: node_modules is a symbolic link (a shared install); not reinstalling. Run `npm ci` where it points if the lock file changed.');
} else if (stale) {
  console.log('braid: installing dependencies (npm ci)…');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
