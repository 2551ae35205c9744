#!/usr/bin/env bash
# Builds the lab's guest image: a Debian 12 root with Debian's own kernel (IPVS as
# modules), systemd, OpenSSH, ipvsadm and keepalived; openssl and dnsmasq give the real
# servers a TLS and a DNS server for keepalived's SSL_GET and DNS_CHECK; haproxy is the L7
# tier of examples/lvs-haproxy (installed disabled: the example configures and starts it). The result is cached outside the
# repo under a hash of this script and the guest files, so a warm `lab:up` skips it.
#
# Output in $1: vmlinuz, initrd.img, base.img (ext4, used read-only as a qcow2 backing file).
set -euo pipefail

out=$1
here=$(cd "$(dirname "$0")" && pwd)
work="$out.building"
root="$work/root"
mirror=${LVS_LAB_MIRROR:-http://deb.debian.org/debian}

rm -rf "$work"
mkdir -p "$work"

packages=(
  systemd-sysv udev kmod ifupdown iproute2 openssh-server sudo
  ipvsadm keepalived
  linux-image-amd64 initramfs-tools
  busybox curl iputils-ping arping netcat-openbsd procps tcpdump iptables
  openssl dnsmasq-base haproxy
)
debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
  bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }

in_root() { chroot "$root" "$@"; }

# A small initramfs: the VMs only need virtio disks and ext4 to find their root.
printf 'virtio_pci\nvirtio_blk\next4\n' >"$root/etc/initramfs-tools/modules"
sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
kver=$(ls "$root/lib/modules")
# Drop driver families a VM never loads; it halves the image and the time to build it.
for d in gpu media sound infiniband net/wireless net/ethernet/mellanox staging usb/gadget \
         bluetooth iio isdn input/touchscreen hid scsi/qla2xxx scsi/lpfc; do
  rm -rf "$root/lib/modules/$kver/kernel/drivers/$d"
done
rm -rf "$root/lib/firmware" "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale"
in_root depmod "$kver"
in_root update-initramfs -u -k "$kver" >/dev/null

echo '/dev/vda / ext4 defaults,noatime 0 1' >"$root/etc/fstab"
: >"$root/etc/machine-id"                       # each VM makes its own on first boot
rm -f "$root"/etc/ssh/ssh_host_*                 # each VM gets its own from the seed
install -m 0644 "$here/guest/sshd-lab.conf" "$root/etc/ssh/sshd_config.d/lab.conf"
for tool in lab-seed lab-golden-seed lab-personalise; do
  install -m 0755 "$here/guest/$tool" "$root/usr/local/sbin/$tool"
done
install -m 0644 "$here/guest/lab-golden-seed.service" "$root/etc/systemd/system/"
install -m 0644 "$here/guest/lab-web.service" "$root/etc/systemd/system/"
in_root systemctl enable lab-golden-seed.service lab-web.service >/dev/null 2>&1
in_root systemctl disable haproxy.service >/dev/null 2>&1

# Users: `lab` has passwordless sudo; `labpw` has sudo that asks for a password, so the
# provider's "sudo needs a password" error can be proven on a real sudo.
in_root useradd -m -s /bin/bash lab
in_root useradd -m -s /bin/bash labpw
in_root usermod -p "$(openssl passwd -6 "$(head -c 24 /dev/urandom | base64)" 2>/dev/null || echo '*')" labpw
echo 'lab ALL=(ALL) NOPASSWD:ALL' >"$root/etc/sudoers.d/lab"
echo 'labpw ALL=(ALL) ALL' >"$root/etc/sudoers.d/labpw"
chmod 0440 "$root"/etc/sudoers.d/lab*
in_root passwd -l root >/dev/null

# Nothing on a lab VM should compete for the emulated CPU.
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
            e2scrub_reap.service fstrim.timer systemd-pstore.service getty@tty1.service \
            serial-getty@ttyS0.service getty-static.service man-db.timer; do
  in_root systemctl mask "$unit" >/dev/null 2>&1 || true
done
echo 'lab' >"$root/etc/hostname"
in_root apt-get clean

cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/initrd.img"
mkfs.ext4 -q -F -L labroot -d "$root" "$work/base.img" 3G
rm -rf "$root"
rm -rf "$out"
mv "$work" "$out"
