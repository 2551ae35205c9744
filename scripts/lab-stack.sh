#!/usr/bin/env bash
# The lab stack (Pulumi.yaml's program with Pulumi.lab.yaml's config) on the running lab,
# through the real Pulumi CLI (scripts/engine/pulumi.js: built from its Go module, local
# file backend in .pulumi-state/backend, offline):
#   bash scripts/lab-stack.sh up        pulumi up --refresh, then 12 requests to the VIP from the lab client
#   bash scripts/lab-stack.sh preview   pulumi preview --refresh --expect-no-changes --diff (the GitOps check)
#   bash scripts/lab-stack.sh refresh   pulumi refresh
#   bash scripts/lab-stack.sh destroy   pulumi destroy: every host back as it was
#   bash scripts/lab-stack.sh check     only the 12 requests
#   bash scripts/lab-stack.sh deployed  prints yes when the stack holds resources on this lab
set -euo pipefail
cd "$(dirname "$0")/.."
op="${1:-up}"
case "$op" in up|destroy|preview|refresh|check|deployed) ;; *) echo "usage: $0 up|preview|refresh|destroy|check|deployed" >&2; exit 2 ;; esac

pulumi() { node scripts/engine/pulumi.js "$@"; }

# Pulumi.yaml keeps stack files in .pulumi-state/stacks (stackConfigDir): the stack's config
# is the committed Pulumi.lab.yaml, plus the encryption salt Pulumi recorded there for this
# machine's passphrase (never committed: it is bound to the passphrase, which is this machine's).
stack_file=.pulumi-state/stacks/Pulumi.lab.yaml
mkdir -p .pulumi-state/stacks
salt=$(grep '^encryptionsalt:' "$stack_file" 2>/dev/null || true)
{ cat Pulumi.lab.yaml; [ -z "$salt" ] || echo "$salt"; } >"$stack_file.tmp"
mv "$stack_file.tmp" "$stack_file"

inventory=test/lab/inventory.json
[ -f "$inventory" ] || { echo "the lab is not up: npm run lab:up" >&2; exit 1; }

# Every `lab up` boots new VMs with new host keys: a stack deployed on an earlier lab
# describes machines that no longer exist (and its pinned host keys would rightly be
# refused). The lab's identity is the hash of its host keys; a stack from another lab is
# forgotten, with a note, instead of being refreshed against strangers.
marker=.pulumi-state/lab-stack.lab-id
lab_id=$(node -e 'const i = require(process.argv[1]); console.log(require("crypto").createHash("sha256").update(JSON.stringify(Object.values(i.hosts ?? i).map((h) => h.hostKey))).digest("hex"))' "$PWD/$inventory")
stack_exists() { pulumi stack ls --json 2>/dev/null | node -e 'process.exit(JSON.parse(require("fs").readFileSync(0, "utf8")).some((s) => s.name === "lab") ? 0 : 1)'; }
if [ -f "$marker" ] && [ "$(cat "$marker")" != "$lab_id" ] && stack_exists; then
  echo "the lab stack was deployed on an earlier lab (its VMs are gone): forgetting its state" >&2
  pulumi stack rm --force --yes --preserve-config lab >/dev/null
fi

if [ "$op" = deployed ]; then
  count=$(pulumi stack ls --json | node -e 'const s = JSON.parse(require("fs").readFileSync(0, "utf8")).find((s) => s.name === "lab"); console.log(s?.resourceCount ?? 0)')
  [ "$count" -gt 1 ] && echo yes || echo no
  exit 0
fi
if [ "$op" != check ]; then
  # The provider process loads pulumi-lvs/provider/registry from dist/ by package name.
  npx tsc -p tsconfig.json
  [ -e node_modules/pulumi-lvs ] || ln -s .. node_modules/pulumi-lvs
  pulumi stack select lab --create --non-interactive
  echo "$lab_id" >"$marker"
fi
case "$op" in
  up) pulumi up --refresh --yes --non-interactive --skip-preview -s lab ;;
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
