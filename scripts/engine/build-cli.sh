#!/usr/bin/env bash
# Builds the real Pulumi CLI from its Go module and caches it outside the repository,
# keyed by version (like the lab image). Prints the bin directory on stdout.
#
#   bash scripts/engine/build-cli.sh          # build when missing, then print the bin dir
#
# `go install github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@vX` refuses pkg/go.mod's replace
# directives, so we build from a scratch main module that requires pkg/v3 and sdk/v3 at the
# same version (a dependency's replaces are ignored). CGO is off, as in Pulumi's releases,
# and the version is stamped the way their goreleaser does.
#
# The Node.js language host (module sdk/nodejs/cmd/pulumi-language-nodejs/v3) has no
# version tags; the Go module proxy these machines reach refuses every pseudo-version of it
# we could name (403 "This module version is not available"), so this script does not
# build it: scripts/engine/pulumi.js runs programs with the SDK's own in-process language
# runtime instead (README, "The Pulumi engine").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"

cache=${LVS_ENGINE_CACHE:-/var/cache/pulumi-lvs-engine}
out="$cache/pulumi-$PULUMI_VERSION"
bin="$out/bin"
log() { echo "[engine] $*" >&2; }

if [ ! -x "$bin/pulumi" ]; then
  # One build at a time: the background build of `npm test` and a `pulumi` run that needs
  # the CLI meanwhile share the work directory (the second one's `rm -rf` once broke the
  # first's `go build`). The second waits, then finds the CLI built.
  mkdir -p "$cache"
  exec 9>"$cache/build.lock"
  flock 9
fi
if [ ! -x "$bin/pulumi" ]; then
  command -v go >/dev/null || { log "go is not on PATH (expected /usr/local/go/bin/go)"; exit 1; }
  work="$cache/build-$PULUMI_VERSION.tmp"
  rm -rf "$work"
  mkdir -p "$work"
  # Go's module and build caches live beside the CLI, so a rebuild after a version bump
  # reuses what did not change, and nothing lands under $HOME or in the repository.
  export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS=-mod=mod CGO_ENABLED=0
  start=$(date +%s)
  log "building pulumi $PULUMI_VERSION from the Go module proxy (cold: several minutes; cached in $out)"
  (
    cd "$work"
    cat >go.mod <<MOD
module pulumi-lvs.local/engine

go 1.26

require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)
MOD
    cat >tools.go <<'SRC'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
SRC
    go mod tidy >&2
    mkdir -p bin
    go build -trimpath -o bin/pulumi \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
  )
  mkdir -p "$bin"
  mv "$work/bin/pulumi" "$bin/pulumi.tmp" && mv "$bin/pulumi.tmp" "$bin/pulumi"
  rm -rf "$work"
  log "built in $(( $(date +%s) - start )) s: $("$bin/pulumi" version)"
fi

echo "$bin"
