// Several commands in one SSH round trip. Under emulation (and over a jump host) each
// round trip costs far more than the commands themselves, and a change of a Director or
// of a RealServerArpConfig is ten or so small commands.
//
// The script is a constant; the commands reach it as positional parameters, each one
// prefixed with its argument count: `2 sysctl -p 3 rm -f /x`. So an argument is only ever
// an argument, whatever it holds, exactly as if each command were sent on its own.

/** What the script prints on stderr when a step fails, for the executor to find which. */
export const STEP_FAILED_MARKER = "@@pulumi-lvs step";

/** RUN_COMMANDS_FROM_STDIN's exit status when its list was cut short (it then changed nothing). */
export const REPLY_CUT_SHORT_EXIT = 97;

/**
 * Shell (POSIX sh and bash) both batch scripts use when step $1 exits with $2: marks it on
 * stderr, then stops (policy stop) or carries on and exits with the last failure.
 */
const STEP_FAILED_FUNCTION = `status=0
step_failed() {
  echo "${STEP_FAILED_MARKER} $1 exit $2" >&2
  if [ "$policy" = stop ]; then exit "$2"; fi
  status=$2
}`;

const BATCH_SCRIPT = `policy=$1
shift
# Run the first $1 arguments after it as one command. POSIX sh has a single array ("$@"),
# so the wanted arguments are rotated to the end of a function's own copy of it.
run_first() {
  count=$1
  shift
  index=0
  for arg do
    shift
    if [ "$index" -lt "$count" ]; then set -- "$@" "$arg"; fi
    index=$((index + 1))
  done
  "$@"
}
step=0
${STEP_FAILED_FUNCTION}
while [ "$#" -gt 0 ]; do
  n=$1
  shift
  step=$((step + 1))
  run_first "$n" "$@"
  rc=$?
  shift "$n"
  if [ "$rc" -ne 0 ]; then step_failed "$step" "$rc"; fi
done
exit "$status"`;

/**
 * One argv that runs every command in order. `stop` (the default) stops at the first
 * failure, so later steps never run on a half-applied host; `continue` runs every step
 * (for best-effort cleanup) and exits with the last failure.
 */
export function batchArgv(commands: readonly (readonly string[])[], policy: "stop" | "continue" = "stop"): string[] {
  const argv = ["sh", "-c", BATCH_SCRIPT, "pulumi-lvs-batch", policy];
  for (const command of commands) {
    if (command.length === 0) throw new Error("batchArgv: a command needs at least its program name");
    argv.push(String(command.length), ...command);
  }
  return argv;
}

/**
 * Commands as a script reads them from stdin (bash, `read -r -d ''`): NUL-separated fields,
 * the number of commands, then per command its argument count and its arguments, then
 * `end`. The final field lets the script tell a whole list from one cut short, so that a
 * dropped connection never runs part of it. Arguments cannot hold NUL (argv cannot either).
 */
export function commandsOnStdin(commands: readonly (readonly string[])[]): string {
  const fields: string[] = [String(commands.length)];
  for (const command of commands) {
    if (command.length === 0) throw new Error("commandsOnStdin: a command needs at least its program name");
    for (const arg of command) if (arg.includes("\0")) throw new Error(`a command's argument cannot hold NUL: ${JSON.stringify(arg)}`);
    fields.push(String(command.length), ...command);
  }
  fields.push("end");
  return fields.map((f) => `${f}\0`).join("");
}

/**
 * Bash that reads commandsOnStdin's list (waiting at most $reply_wait seconds for each
 * field) and then runs it as BATCH_SCRIPT does, with $policy. Nothing runs until the whole
 * list has arrived: a list cut short exits with REPLY_CUT_SHORT_EXIT having changed nothing.
 */
export const RUN_COMMANDS_FROM_STDIN = `incomplete() { echo "the list of changes was cut short ($1); nothing was changed" >&2; exit ${REPLY_CUT_SHORT_EXIT}; }
field=
next_field() { IFS= read -r -d '' -t "$reply_wait" field || incomplete "$1"; }
next_number() { next_field "$1"; [[ $field =~ ^[0-9]+$ ]] || incomplete "$1"; }
next_number "no command count"
commands=$field
counts=()
tokens=()
for ((c = 0; c < commands; c++)); do
  next_number "no argument count"
  counts+=("$field")
  for ((i = 0; i < counts[c]; i++)); do next_field "an argument"; tokens+=("$field"); done
done
next_field "no end"
[ "$field" = end ] || incomplete "no end"
offset=0
${STEP_FAILED_FUNCTION}
for ((c = 0; c < commands; c++)); do
  n=\${counts[c]}
  "\${tokens[@]:offset:n}"
  rc=$?
  offset=$((offset + n))
  if [ "$rc" -ne 0 ]; then step_failed "$((c + 1))" "$rc"; fi
done
exit "$status"`;

/** The failed steps (1-based) and their exit codes, from the batch's stderr. */
export function failedSteps(stderr: string): { step: number; exitCode: number }[] {
  const pattern = new RegExp(`^${STEP_FAILED_MARKER} (\\d+) exit (\\d+)$`, "gm");
  return [...stderr.matchAll(pattern)].map((m) => ({ step: Number(m[1]), exitCode: Number(m[2]) }));
}

/** stderr without the step markers: what the commands themselves said. */
export function commandsStderr(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => !line.startsWith(STEP_FAILED_MARKER))
    .join("\n")
    .trim();
}
