/**
 * Start failures, worded like the runtime's own (`exec: "x": executable file not found in $PATH`)
 * without the containerd/runc wrapping, and always naming the OS error. The kubelet shows them as
 * waiting.reason RunContainerError with this message (spec §4.4).
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

const OS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOEXEC: 'exec format error',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  E2BIG: 'argument list too long',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ETXTBSY: 'text file busy',
  ENOMEM: 'cannot allocate memory',
  EAGAIN: 'resource temporarily unavailable',
  EMFILE: 'too many open files',
};

function osText(code: string | undefined): string {
  return (code && OS_ERRORS[code]) ?? (code ? code.toLowerCase() : 'unknown error');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The message for a working directory the process cannot chdir into, or undefined when fine. */
export async function workingDirProblem(dir: string): Promise<string | undefined> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) return `chdir ${dir}: not a directory`;
    await access(dir, constants.X_OK);
    return undefined;
  } catch (err) {
    return `chdir ${dir}: ${osText((err as NodeJS.ErrnoException).code)}`;
  }
}

/**
 * The message for a failed exec of `file`. ENOENT is told apart: not on $PATH, no such path,
 * or (the file exists) a missing script interpreter.
 */
export async function execProblem(
  file: string,
  code: string | undefined,
  env: Record<string, string>,
  cwd: string,
): Promise<string> {
  if (code !== 'ENOENT') return `exec: "${file}": ${osText(code)}`;
  if (!file.includes('/')) {
    const dirs = (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).filter(Boolean);
    for (const dir of dirs) {
      if (await exists(join(resolve(cwd, dir), file))) {
        return `exec: "${file}": no such file or directory (its interpreter may be missing)`;
      }
    }
    return `exec: "${file}": executable file not found in $PATH`;
  }
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  if (await exists(path))
    return `exec: "${file}": no such file or directory (its interpreter may be missing)`;
  return `exec: "${file}": stat ${file}: no such file or directory`;
}
