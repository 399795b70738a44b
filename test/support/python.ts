/**
 * Debian's Python 3 (`/usr/bin/python3`, where python3-owslib and python3-qgis install) for the client tests.
 * A pyenv or virtualenv python on PATH would not see those packages, so the path is fixed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's interpreter. */
export const systemPython = '/usr/bin/python3';

/** True when the system Python imports `module` (e.g. "owslib", "qgis.core"). */
export function hasPythonModule(module: string): boolean {
  try {
    execFileSync(systemPython, ['-c', `import ${module}`], {
      stdio: 'pipe',
      env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' },
    });
    return true;
  } catch {
    return false;
  }
}

/** Runs a script with the system Python; returns stdout (stderr is kept in the error when it fails). */
export async function runPython(code: string, timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> {
  return run(systemPython, ['-c', code], {
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, QT_QPA_PLATFORM: 'offscreen', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
}

/** The last stdout line that is a JSON object: what a test script reports. */
export function lastJson<T>(stdout: string): T {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON result in:\n${stdout.slice(-2000)}`);
  return JSON.parse(line) as T;
}

/** Headless QGIS around a script; the script prints one JSON line; QGIS's own teardown is skipped (it may crash). */
export function inQgis(body: string): string {
  return [
    'import json, os, sys',
    'from qgis.core import QgsApplication',
    'app = QgsApplication([], False)',
    'app.initQgis()',
    body,
    'sys.stdout.flush()',
    'os._exit(0)',
  ].join('\n');
}
