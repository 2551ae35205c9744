#!/usr/bin/env bash
# The lab stack (Pulumi.yaml's program with Pulumi.lab.yaml's config) on the running lab:
#   bash scripts/lab-stack.sh up        deploy (then 12 requests to the VIP from the lab client)
#   bash scripts/lab-stack.sh destroy   remove everything it deployed
# With a Pulumi CLI on PATH: `pulumi up/destroy -s lab` on a local backend under
# .pulumi-state/backend (gitignored). Without one (this project's CI machines): the same
# program through the engine-path program runner, state in .pulumi-state/lab.json.
set -euo pipefail
cd "$(dirname "$0")/.."
op="${1:-up}"
case "$op" in up|destroy|preview|refresh) ;; *) echo "usage: $0 up|destroy|preview|refresh" >&2; exit 2 ;; esac

# The provider host loads pulumi-lvs from dist/: build it first.
npx tsc -p tsconfig.json

if command -v pulumi >/dev/null 2>&1; then
  # The serialised providers load `pulumi-lvs/provider/registry` by package name in the
  # engine's provider process, as in a user's project; here the package is this checkout.
  [ -e node_modules/pulumi-lvs ] || ln -s .. node_modules/pulumi-lvs
  mkdir -p .pulumi-state/backend
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
  pulumi login "file://$PWD/.pulumi-state/backend" >/dev/null
  pulumi stack select lab --create --non-interactive
  case "$op" in
    up) pulumi up --yes --non-interactive -s lab
        node test/support/engine/register-ts.js scripts/deploy-lab.ts check ;;
    destroy) pulumi destroy --yes --non-interactive -s lab ;;
    preview) pulumi preview --non-interactive -s lab ;;
    refresh) pulumi refresh --yes --non-interactive -s lab ;;
  esac
else
  node test/support/engine/register-ts.js scripts/deploy-lab.ts "$op"
fi
