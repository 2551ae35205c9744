#!/usr/bin/env bash
# The lab stack (Pulumi.yaml's program with Pulumi.lab.yaml's config) on the running lab,
# through the real Pulumi CLI (scripts/engine/pulumi.js: built from its Go module, local
# file backend in .pulumi-state/backend, offline):
#   bash scripts/lab-stack.sh up        pulumi up, then 12 requests to the VIP from the lab client
#   bash scripts/lab-stack.sh preview   pulumi preview --refresh --expect-no-changes --diff (the GitOps check)
#   bash scripts/lab-stack.sh refresh   pulumi refresh
#   bash scripts/lab-stack.sh destroy   pulumi destroy: every host back as it was
#   bash scripts/lab-stack.sh check     only the 12 requests
set -euo pipefail
cd "$(dirname "$0")/.."
op="${1:-up}"
case "$op" in up|destroy|preview|refresh|check) ;; *) echo "usage: $0 up|preview|refresh|destroy|check" >&2; exit 2 ;; esac

pulumi() { node scripts/engine/pulumi.js "$@"; }

if [ "$op" != check ]; then
  # The provider process loads pulumi-lvs/provider/registry from dist/ by package name, as
  # in a user's project; here the package is this checkout.
  npx tsc -p tsconfig.json
  [ -e node_modules/pulumi-lvs ] || ln -s .. node_modules/pulumi-lvs
  pulumi stack select lab --create --non-interactive
fi
case "$op" in
  up) pulumi up --yes --non-interactive --skip-preview -s lab ;;
  preview) pulumi preview --refresh --expect-no-changes --diff --non-interactive -s lab ;;
  refresh) pulumi refresh --yes --non-interactive --skip-preview -s lab ;;
  destroy) pulumi destroy --yes --non-interactive --skip-preview -s lab ;;
esac
if [ "$op" = up ] || [ "$op" = check ]; then
  # What to expect comes from the stack itself: its VIP output and its real servers' names.
  vip=$(pulumi stack output vip -s lab)
  mapfile -t names < <(pulumi config get lvs:realServers -s lab | node -e 'for (const r of JSON.parse(require("fs").readFileSync(0, "utf8"))) console.log(r.name)')
  node scripts/check-vip.js "$vip" 12 "${names[@]}"
fi
