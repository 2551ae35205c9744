#!/usr/bin/env bash
# The pulumi-lvs test lab: six qemu VMs (client, dir1, dir2, rs1..rs3) running Debian's
# kernel — which has IPVS, unlike this machine's — with systemd, OpenSSH, ipvsadm and
# keepalived, on two lab-only bridges (front: everyone; back: directors + real servers).
#
#   lab.sh up | down | status | stop HOST | start HOST | ssh HOST [CMD...] | watch HOST
#
# Speed: booting six systemd VMs under software emulation on two cores takes minutes, so
# the lab boots ONE generic "golden" VM once, snapshots it (RAM and disk), and starts every
# host as a restored copy of that snapshot, then gives each its identity over SSH.
# The golden snapshot is cached, so a warm `up` never boots a kernel.
#
# Confinement: management SSH reaches each VM only through qemu's user-mode network
# forwarded on 127.0.0.1 (restrict=on: the VMs cannot reach out through it). The bridges
# carry VM-to-VM traffic only and have no address on this machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/topology.sh"
cache=${LVS_LAB_CACHE:-/var/cache/pulumi-lvs-lab}
run="$cache/run"
inventory=${LVS_LAB_INVENTORY:-$here/inventory.json}
ssh_base_port=${LVS_LAB_SSH_BASE_PORT:-2200}
golden_port=$((ssh_base_port + 90))
vm_memory=448                     # part of the snapshot: every VM must match the golden one
boot_timeout=${LVS_LAB_BOOT_TIMEOUT:-400}
snapshot=lab-ready
# One management MAC for every VM (each has its own private user-mode network). qemu's
# user-mode network remembers the MAC it saw in the golden snapshot and never forgets it,
# so a clone whose NIC came back from a reboot with another MAC would be unreachable.
mgmt_mac=52:54:00:77:ff:ff
# Nested KVM hangs at boot on these machines, so software emulation is the default.
accel=$([ "${LVS_LAB_KVM:-0}" = 1 ] && echo kvm || echo tcg)
# How this lab's reboot watchers (`lab.sh watch HOST`) show in the process list.
watcher_pattern="bash $here/lab.sh watch "

log() { printf '[lab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

ensure_host_packages() {
  local missing=() pkg
  for pkg in qemu-system-x86 qemu-utils debootstrap openssh-client e2fsprogs kmod iproute2 openssl; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

image_dir() { echo "$cache/image-$(cat "$here/build-image.sh" "$here"/guest/* | sha256sum | cut -c1-12)"; }
golden_dir() {
  # Only what shapes the snapshot: the image, the VM's devices, the seed format, the key.
  echo "$cache/golden-$( (basename "$(image_dir)"; declare -f qemu_start write_seed; echo "$vm_memory"; cat "$cache/keys/id_ed25519.pub") | sha256sum | cut -c1-12)"
}

ensure_image() {
  local dir
  dir=$(image_dir)
  [ -f "$dir/base.img" ] && return 0
  log "building the guest image (cached afterwards in $dir)"
  find "$cache" -maxdepth 1 \( -name 'image-*' -o -name 'golden-*' \) -exec rm -rf {} + 2>/dev/null || true
  bash "$here/build-image.sh" "$dir"
}

ensure_keys() {
  mkdir -p "$cache/keys"
  chmod 700 "$cache/keys"
  [ -f "$cache/keys/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C lab -f "$cache/keys/id_ed25519"
  [ -f "$cache/keys/wrong_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C wrong -f "$cache/keys/wrong_ed25519"
}

net_up() {
  local br
  for br in "$LAB_FRONT_BRIDGE" "$LAB_BACK_BRIDGE"; do
    ip link show "$br" >/dev/null 2>&1 || ip link add "$br" type bridge
    # No address and no IPv6 on this machine's side: the bridge is a switch, not a host.
    echo 1 >"/proc/sys/net/ipv6/conf/$br/disable_ipv6"
    ip link set "$br" up
  done
}

make_tap() { # make_tap TAP [BRIDGE]
  ip link show "$1" >/dev/null 2>&1 || ip tuntap add dev "$1" mode tap
  echo 1 >"/proc/sys/net/ipv6/conf/$1/disable_ipv6"
  if [ -n "${2:-}" ]; then ip link set "$1" master "$2"; fi
  ip link set "$1" up
}

mac_for() { printf '52:54:00:77:%s:%s' "$1" "$2"; }

# write_seed DIR NAME OCTET BACK WEB — the files lab-seed applies inside the VM.
write_seed() {
  local seed=$1 name=$2 octet=$3 back=$4 web=$5 row
  rm -rf "$seed"; mkdir -p "$seed"
  echo "$name" >"$seed/hostname"
  [ "$web" = yes ] && touch "$seed/web"
  cat "$cache/keys/id_ed25519.pub" >"$seed/authorized_keys"
  ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$seed/ssh_host_ed25519_key"
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$seed/machine-id"; echo >>"$seed/machine-id"
  {
    printf '127.0.0.1 localhost\n127.0.1.1 %s\n::1 localhost ip6-localhost ip6-loopback\n' "$name"
    for row in "${LAB_HOSTS[@]}"; do
      set -- $row
      printf '%s.%s %s\n' "$LAB_FRONT4" "$4" "$1"
    done
  } >"$seed/hosts"
  {
    printf 'auto lo\niface lo inet loopback\n\n'
    printf '# management: qemu user-mode network, reached from the lab host on 127.0.0.1\n'
    printf 'auto eth0\niface eth0 inet static\n  address 10.0.2.15/24\n'
    if [ -n "$octet" ]; then
      printf '\nauto eth1\niface eth1 inet static\n  address %s.%s/24\n  hwaddress ether %s\n' \
        "$LAB_FRONT4" "$octet" "$(mac_for 00 "$octet")"
      printf 'iface eth1 inet6 static\n  address %s:%s/64\n  dad-attempts 0\n  accept_ra 0\n' "$LAB_FRONT6" "$octet"
    fi
    if [ "$back" = yes ]; then
      printf '\nauto eth2\niface eth2 inet static\n  address %s.%s/24\n  hwaddress ether %s\n' \
        "$LAB_BACK4" "$octet" "$(mac_for 01 "$octet")"
      printf 'iface eth2 inet6 static\n  address %s:%s/64\n  dad-attempts 0\n  accept_ra 0\n' "$LAB_BACK6" "$octet"
    fi
  } >"$seed/interfaces"
}

# qemu_start NAME DIR PORT OCTET MODE — MODE: golden (first boot), restore (from the
# golden snapshot) or boot (an existing disk, e.g. after a power-off).
# Every VM has the same devices in the same slots: a snapshot only restores onto the
# machine it was taken from.
qemu_start() {
  local name=$1 dir=$2 port=$3 octet=$4 mode=$5 img golden extra=()
  img=$(image_dir); golden=$(golden_dir)
  [ "$mode" = restore ] && extra+=(-loadvm "$snapshot")
  : >"$dir/console.log"
  qemu-system-x86_64 -name "lvslab-$name" -machine pc,accel="$accel" -cpu max -smp 1 -m "$vm_memory" \
    -nodefaults -no-user-config -display none -daemonize \
    -pidfile "$dir/qemu.pid" -serial "file:$dir/console.log" \
    -monitor "unix:$dir/monitor.sock,server,nowait" \
    -kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet mitigations=off random.trust_cpu=on" \
    -drive "file=$dir/disk.qcow2,if=none,id=root,format=qcow2,cache=unsafe,discard=unmap" \
    -device virtio-blk-pci,drive=root,addr=0x2 \
    -device virtio-rng-pci,addr=0x6 \
    -fw_cfg "name=opt/lvslab/seed,file=$golden/seed.tar" \
    -netdev "user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22" \
    -device "virtio-net-pci,netdev=mgmt,mac=$mgmt_mac,addr=0x3" \
    -netdev "tap,id=front,ifname=lvsf-$name,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=front,mac=$(mac_for 00 "${octet:-99}"),addr=0x4" \
    -netdev "tap,id=back,ifname=lvsb-$name,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=back,mac=$(mac_for 01 "${octet:-99}"),addr=0x5" \
    "${extra[@]}"
}

vm_running() { [ -f "$1/qemu.pid" ] && kill -0 "$(cat "$1/qemu.pid")" 2>/dev/null; }

# quit_vm DIR — a clean qemu exit (its disk flushed), waiting up to 10 s for it.
quit_vm() {
  node "$here/monitor.js" "$1/monitor.sock" quit >/dev/null 2>&1 || true
  for _ in $(seq 50); do vm_running "$1" || break; sleep 0.2; done
}

# vm_ssh KNOWN_HOSTS PORT [CMD...] — host keys are always checked, here as in the provider.
vm_ssh() {
  local known=$1 port=$2; shift 2
  ssh -q -i "$cache/keys/id_ed25519" -p "$port" -o BatchMode=yes -o ConnectTimeout=5 \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$known" root@127.0.0.1 "$@"
}

wait_for_boot() { # wait_for_boot NAME DIR KNOWN_HOSTS PORT — until systemd has finished booting
  local name=$1 dir=$2 known=$3 port=$4 deadline=$((SECONDS + boot_timeout)) state
  while :; do
    state=$(vm_ssh "$known" "$port" systemctl is-system-running --wait 2>/dev/null) || true
    case "$state" in
      running) return 0 ;;
      degraded) log "$name is up but degraded: $(vm_ssh "$known" "$port" systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')"; return 0 ;;
    esac
    vm_running "$dir" || die "$name's qemu exited; see $dir/console.log"
    [ $SECONDS -lt $deadline ] || die "$name did not boot within ${boot_timeout}s; see $dir/console.log"
    sleep 2
  done
}

ensure_golden() {
  local dir
  dir=$(golden_dir)
  [ -f "$dir/ready" ] && return 0
  log "booting the golden VM once and snapshotting it (cached afterwards in $dir)"
  rm -rf "$dir"; mkdir -p "$dir"
  find "$cache" -maxdepth 1 -name 'golden-*' ! -path "$dir" -exec rm -rf {} + 2>/dev/null || true
  write_seed "$dir/seed" golden "" no no
  tar -C "$dir/seed" -cf "$dir/seed.tar" .
  printf '[127.0.0.1]:%s %s\n' "$golden_port" "$(cut -d' ' -f1,2 "$dir/seed/ssh_host_ed25519_key.pub")" >"$dir/known_hosts"
  qemu-img create -q -f qcow2 -F raw -b "$(image_dir)/base.img" "$dir/disk.qcow2"
  make_tap lvsf-golden; make_tap lvsb-golden
  qemu_start golden "$dir" "$golden_port" "" golden
  wait_for_boot golden "$dir" "$dir/known_hosts" "$golden_port"
  vm_ssh "$dir/known_hosts" "$golden_port" sync
  node "$here/monitor.js" "$dir/monitor.sock" "savevm $snapshot" >/dev/null
  quit_vm "$dir"
  ip link del lvsf-golden; ip link del lvsb-golden
  touch "$dir/ready"
}

# The golden snapshot's sshd still has the golden host key until lab-personalise runs.
golden_known_hosts_for() { # PORT
  printf '[127.0.0.1]:%s %s\n' "$1" "$(cut -d' ' -f1,2 "$(golden_dir)/seed/ssh_host_ed25519_key.pub")"
}

start_host() { # start_host MODE NAME ROLE PORT-OFFSET OCTET BACK WEB
  local mode=$1 name=$2 port=$((ssh_base_port + $4)) octet=$5 back=$6 web=$7
  local dir="$run/$name"
  vm_running "$dir" && return 0
  mkdir -p "$dir"
  echo "$port" >"$dir/ssh-port"
  make_tap "lvsf-$name" "$LAB_FRONT_BRIDGE"
  if [ "$back" = yes ]; then make_tap "lvsb-$name" "$LAB_BACK_BRIDGE"; else make_tap "lvsb-$name"; fi
  if [ "$mode" = restore ]; then
    write_seed "$dir/seed" "$name" "$octet" "$back" "$web"
    cp --sparse=always "$(golden_dir)/disk.qcow2" "$dir/disk.qcow2"
  fi
  qemu_start "$name" "$dir" "$port" "$octet" "$mode"
  [ "${LAB_IN_WATCHER:-0}" = 1 ] || start_reboot_watcher "$name"
}

# A guest's own reboot (`systemctl reboot`) restarts it in a fresh qemu from its own disk.
# Why: a VM restored from the golden snapshot reboots in place very slowly under emulation
# (its kernel took 70 to 175 s to reach init, with soft-lockup and RCU-stall warnings, where
# a fresh qemu boots the same kernel in about 10 s; measured 2026-12-05, cause not found),
# and a reboot test once ran past its 240 s wait. The guest still goes through a whole real
# reboot: systemd's shutdown, the kernel's restart, then firmware, kernel and systemd boot.
# The watcher sees the kernel's "reboot: Restarting system" on the serial console, quits
# that qemu cleanly (its disk flushed) and boots the host's disk in a new one. It ends
# when the host is powered off (`stop`, a guest poweroff) or the lab goes down.
start_reboot_watcher() { # start_reboot_watcher NAME
  setsid -f bash "$here/lab.sh" watch "$1" </dev/null >>"$run/$1/watch.log" 2>&1
}

watch_reboots() { # watch_reboots (HOST set) — the loop behind start_reboot_watcher
  local dir="$run/$HOST" row
  row=$(host_row)
  while sleep 0.5; do
    vm_running "$dir" || return 0
    grep -q 'reboot: Restarting system' "$dir/console.log" 2>/dev/null || continue
    log "$HOST is rebooting: restarting it in a fresh qemu"
    quit_vm "$dir"
    if vm_running "$dir"; then kill -9 "$(cat "$dir/qemu.pid")" 2>/dev/null || true; fi
    [ -d "$dir" ] || return 0
    LAB_IN_WATCHER=1 start_host boot $row
  done
}

personalise_host() { # personalise_host NAME ROLE PORT-OFFSET ...
  local name=$1 port=$((ssh_base_port + $3)) dir="$run/$1" deadline=$((SECONDS + 120))
  golden_known_hosts_for "$port" >"$dir/golden_known_hosts"
  until tar -C "$dir/seed" -cf - . | vm_ssh "$dir/golden_known_hosts" "$port" lab-personalise "$(date +%s)" 2>"$dir/personalise.err"; do
    vm_running "$dir" || die "$name's qemu exited; see $dir/console.log"
    [ $SECONDS -lt $deadline ] || die "could not personalise $name: $(cat "$dir/personalise.err")"
    sleep 1
  done
  vm_ssh "$run/known_hosts" "$port" true || die "$name does not answer with its own host key"
}

write_known_hosts() {
  local row
  : >"$run/known_hosts"
  for row in "${LAB_HOSTS[@]}"; do
    set -- $row
    [ -f "$run/$1/seed/ssh_host_ed25519_key.pub" ] || continue
    printf '[127.0.0.1]:%s %s\n' $((ssh_base_port + $3)) "$(cut -d' ' -f1,2 "$run/$1/seed/ssh_host_ed25519_key.pub")" >>"$run/known_hosts"
  done
}

for_each_host() { local row; for row in "${LAB_HOSTS[@]}"; do "$@" $row; done; }

in_parallel() { # in_parallel FUNCTION — run FUNCTION ROW... for every host at once
  local row pids=() pid status=0
  for row in "${LAB_HOSTS[@]}"; do "$1" $row & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  return $status
}

cmd_up() {
  local started=$SECONDS
  [ "$(id -u)" = 0 ] || die "the lab needs root (bridges, taps, debootstrap)"
  if [ -f "$inventory" ] && cmd_status >/dev/null 2>&1; then log "lab already up"; return 0; fi
  cmd_down 2>/dev/null
  ensure_host_packages
  ensure_keys
  ensure_image
  ensure_golden
  mkdir -p "$run"
  net_up
  for_each_host start_host restore
  write_known_hosts
  log "VMs restored from the golden snapshot ($accel); giving each its identity"
  in_parallel personalise_host
  node "$here/write-inventory.js" "$run" "$cache/keys" "$inventory" "$here/topology.sh"
  log "lab up in $((SECONDS - started))s; inventory: $inventory"
}

cmd_down() {
  local pidfile
  pkill -f "$watcher_pattern" 2>/dev/null || true
  for pidfile in "$run"/*/qemu.pid "$cache"/golden-*/qemu.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  for _ in $(seq 50); do pgrep -f 'qemu-system-x86_64 -name lvslab-' >/dev/null || break; sleep 0.2; done
  pkill -9 -f 'qemu-system-x86_64 -name lvslab-' 2>/dev/null || true
  local link
  for link in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(lvsf-|lvsb-|lvsfront0$|lvsback0$)' || true); do
    ip link del "$link" 2>/dev/null || true
  done
  rm -rf "$run" "$inventory"
  log "lab down"
}

cmd_status() {
  local row up=0 total=0 dir
  for row in "${LAB_HOSTS[@]}"; do
    set -- $row
    total=$((total + 1)); dir="$run/$1"
    if ! vm_running "$dir"; then
      printf '%-7s %-11s down\n' "$1" "$2"
    elif vm_ssh "$run/known_hosts" "$(cat "$dir/ssh-port")" true 2>/dev/null; then
      printf '%-7s %-11s up    ssh root@127.0.0.1 -p %s\n' "$1" "$2" "$(cat "$dir/ssh-port")"; up=$((up + 1))
    else
      printf '%-7s %-11s running, ssh not answering\n' "$1" "$2"
    fi
  done
  [ -f "$inventory" ] && echo "inventory: $inventory"
  [ "$up" = "$total" ]
}

# Teardown must leave nothing behind: no qemu, no lab interface, no namespace, no mount.
cmd_check_clean() {
  local leftovers=()
  pgrep -f 'qemu-system-x86_64 -name lvslab-' >/dev/null && leftovers+=("qemu processes: $(pgrep -f 'qemu-system-x86_64 -name lvslab-' | tr '\n' ' ')")
  pgrep -f "$watcher_pattern" >/dev/null && leftovers+=("reboot watchers: $(pgrep -f "$watcher_pattern" | tr '\n' ' ')")
  local links
  links=$(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(lvsf-|lvsb-|lvsfront0$|lvsback0$)' | tr '\n' ' ' || true)
  [ -n "$links" ] && leftovers+=("interfaces: $links")
  local namespaces
  namespaces=$(ip netns list 2>/dev/null | grep -E '^lvs' | tr '\n' ' ' || true)
  [ -n "$namespaces" ] && leftovers+=("network namespaces: $namespaces")
  grep -q " $cache" /proc/mounts && leftovers+=("mounts: $(grep " $cache" /proc/mounts | awk '{print $2}' | tr '\n' ' ')")
  [ -e "$run" ] && leftovers+=("run directory: $run")
  [ -e "$inventory" ] && leftovers+=("inventory: $inventory")
  if [ ${#leftovers[@]} -gt 0 ]; then
    printf 'lab teardown left things behind:\n' >&2
    printf '  %s\n' "${leftovers[@]}" >&2
    return 1
  fi
  echo "lab teardown is clean: no qemu process, lab interface, namespace, mount or run state"
}

host_row() { # host_row NAME
  local row
  for row in "${LAB_HOSTS[@]}"; do
    set -- $row
    if [ "$1" = "$HOST" ]; then echo "$row"; return 0; fi
  done
  die "no lab host named '$HOST'"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  check-clean) cmd_check_clean ;;
  start)
    # Power on after `stop`: a normal boot of the host's own disk.
    HOST=${2:?host}; row=$(host_row)
    start_host boot $row
    wait_for_boot "$HOST" "$run/$HOST" "$run/known_hosts" "$(cat "$run/$HOST/ssh-port")" ;;
  stop)
    # A hard power-off, as when a director dies: no clean shutdown, no VRRP goodbye.
    HOST=${2:?host}; host_row >/dev/null
    pkill -f "$watcher_pattern$HOST\$" 2>/dev/null || true
    if [ -f "$run/$HOST/qemu.pid" ]; then kill -9 "$(cat "$run/$HOST/qemu.pid")" 2>/dev/null || true; fi
    rm -f "$run/$HOST/qemu.pid" ;;
  link)
    # A cable pulled (down) or put back (up): qemu's set_link on the VM's front or back
    # NIC. The guest sees its carrier go; the host stays up, with all its state.
    HOST=${2:?host}; host_row >/dev/null
    case "${3:-}:${4:-}" in front:down|back:down) state=off ;; front:up|back:up) state=on ;; *) die "usage: $0 link HOST front|back up|down" ;; esac
    node "$here/monitor.js" "$run/$HOST/monitor.sock" "set_link $3 $state" ;;
  watch) HOST=${2:?host}; watch_reboots ;;
  ssh) HOST=${2:?host}; host_row >/dev/null; shift 2; vm_ssh "$run/known_hosts" "$(cat "$run/$HOST/ssh-port")" "$@" ;;
  *) echo "usage: $0 up|down|status|start HOST|stop HOST|link HOST front|back up|down|ssh HOST [CMD...]|watch HOST" >&2; exit 2 ;;
esac
