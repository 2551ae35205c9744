# Sourced by the scripts that need both the Pulumi CLI and the lab (scripts/main.sh,
# test/run-all.sh): on a cold machine the CLI's Go build (~14 min, CPU) and the lab's image
# build (~10 min, mostly downloads and dpkg) overlap instead of adding up.
#   start_cli_build   # before the lab comes up
#   wait_cli_build    # before the first use of the CLI; fails the script if the build failed
start_cli_build() {
  cli_build_log=$(mktemp)
  bash scripts/engine/build-cli.sh >/dev/null 2>"$cli_build_log" &
  cli_build_pid=$!
}
wait_cli_build() {
  local status=0
  wait "$cli_build_pid" || status=$?
  # Its log either way: on a cold machine it says how long the build took.
  cat "$cli_build_log" >&2
  rm -f "$cli_build_log"
  [ "$status" -eq 0 ] || { echo "building the Pulumi CLI failed (exit $status): its log is above" >&2; return "$status"; }
}
