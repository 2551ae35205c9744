// Writing and removing whole files on a host, as argv for exec/run.
//
// A file is written to a temporary name in its own directory and renamed over the target,
// so a reader (systemd-sysctl at boot, a reboot in the middle of `pulumi up`) sees the old
// file or the new one, never half of one. The temporary file is synced before the rename
// for the same reason.
//
// The script is a constant. The path, mode and content reach it as positional parameters,
// so nothing is ever interpolated into shell text, whatever the content holds.

const FILE_MODE = /^[0-7]{3,4}$/;

const WRITE_FILE_SCRIPT = `set -eu
path=$1 mode=$2
mkdir -p -- "$(dirname -- "$path")"
tmp=$(mktemp -- "$path.pulumi-lvs-tmp.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
if [ "$#" -ge 3 ]; then printf '%s' "$3" >"$tmp"; else cat >"$tmp"; fi
chmod -- "$mode" "$tmp"
sync -- "$tmp" 2>/dev/null || true
mv -f -- "$tmp" "$path"
trap - EXIT`;

function requireAbsolute(path: string): void {
  if (!path.startsWith("/") || path.split("/").includes("..")) {
    throw new Error(`remote file path must be absolute and free of "..", got "${path}"`);
  }
}

/**
 * The argv that atomically replaces `path` with `content` and gives it `mode` (octal,
 * e.g. "0644"). Without `content`, the content is read from the command's stdin (pass it
 * as ExecOptions.stdin); with it, the command needs no stdin, so it can run inside a batch
 * of other commands in one round trip. Parent directories are created as needed.
 */
export function writeRemoteFileArgv(path: string, mode: string, content?: string): string[] {
  requireAbsolute(path);
  if (!FILE_MODE.test(mode)) throw new Error(`remote file mode must be octal like "0644", got "${mode}"`);
  const argv = ["sh", "-c", WRITE_FILE_SCRIPT, "pulumi-lvs-write-file", path, mode];
  return content === undefined ? argv : [...argv, content];
}

/** The argv that removes these files; a file that is already gone is not an error. */
export function removeRemoteFilesArgv(paths: readonly string[]): string[] {
  if (paths.length === 0) throw new Error("removeRemoteFilesArgv needs at least one path");
  paths.forEach(requireAbsolute);
  return ["rm", "-f", "--", ...paths];
}
