/**
 * The embedded data directory has one owner: the server that opened it writes `run/owner.json` (created exclusively,
 * with its pid and the directory of its database socket) and removes it when it stops. A second process finds the
 * file, and either stops with a message naming the running server or, for the command-line tools, connects to that
 * server's socket instead of opening the files. A file left by a process that no longer runs is stale and replaced.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Who holds a data directory. */
export interface DataDirOwner {
  pid: number;
  /** The owner's command (its script), for the message a second process gets. */
  command: string;
  /** Directory of the unix socket `.s.PGSQL.5432` the owner serves its database on (pg `host`). */
  socketDir: string;
  /** ISO time the owner started. */
  startedAt: string;
}

/** A second process tried to open a data directory that a running server holds. */
export class DataDirectoryInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: DataDirOwner,
  ) {
    super(
      `the data directory ${dataDir} is in use by a running server (pid ${owner.pid}, ${owner.command}, ` +
        `started ${owner.startedAt}); stop it first, or set DATA_DIR to another directory`,
    );
  }
}

/** The directory inside a data directory for the owner file and the database socket (mode 0700: local user only). */
export function runDirOf(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'run');
}

function ownerFile(dataDir: string): string {
  return path.join(runDirOf(dataDir), 'owner.json');
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

/** The live owner of a data directory, or null when none (no file, or one left by a process that has gone). */
export function findOwner(dataDir: string): DataDirOwner | null {
  let owner: DataDirOwner;
  try {
    owner = JSON.parse(fs.readFileSync(ownerFile(dataDir), 'utf8')) as DataDirOwner;
  } catch {
    return null; // absent, or half-written by an owner that died while writing it
  }
  return Number.isInteger(owner.pid) && isRunning(owner.pid) ? owner : null;
}

/**
 * Takes the data directory for this process; returns the function that gives it back.
 * Throws DataDirectoryInUseError when another running process holds it.
 */
export function lockDataDir(dataDir: string, socketDir: string): () => void {
  fs.mkdirSync(runDirOf(dataDir), { recursive: true, mode: 0o700 });
  const file = ownerFile(dataDir);
  const command = path.relative(process.cwd(), process.argv[1] ?? '') || process.title;
  const mine: DataDirOwner = { pid: process.pid, command, socketDir, startedAt: new Date().toISOString() };
  const release = () => {
    if (findOwner(dataDir)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(mine), { flag: 'wx', mode: 0o600 });
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = findOwner(dataDir);
    if (owner) throw new DataDirectoryInUseError(dataDir, owner);
    fs.rmSync(file, { force: true }); // stale: the process that wrote it has gone
  }
  throw new Error(`cannot take the data directory ${dataDir}: ${file} keeps coming back`);
}
