#!/bin/bash
# In-VM init (PID 1 after switch_root into the read-only 9p host root).
# Started by the initramfs that scripts/vm-image.sh builds; scripts/vm-run.sh
# copies this file into the per-run results share, mounted at $R, together
# with the run description:
#   $R/share    absolute path of the writable repo share (mount tag "repo")
#   $R/cwd      directory to run the command in
#   $R/cmd      the command, NUL-separated argv
#   $R/env      bash "export NAME=value" lines (CI, LBIPAM_*)
#   $R/modidx/  (only with --module) updates/*.ko plus the modules.* index
#               files that vm-run.sh made with depmod on the host for the
#               image's modules + updates/ (depmod -a in the VM has to read
#               all 4000 modules over 9p: ~70 s under TCG, vs <1 s on the host)
# It writes back $R/dmesg, $R/tainted, $R/kmemleak (debug kernel) and, last,
# $R/status with the command's exit status, then powers the VM off.
set -euo pipefail

R=/run/lbipam/results
KROOT=/run/lbipam/kroot
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TERM=dumb LANG=C.UTF-8

poweroff_now() {
	sync || true
	echo o >/proc/sysrq-trigger
	# PID 1 must never exit (that panics); wait for the power-off.
	while :; do sleep 60; done
}

# Any failure of the set-up below: say so and power off without a status
# file, which the host reports as a harness failure.
on_exit() {
	local rc=$?
	echo "vm-init: set-up failed (exit $rc) at line ${BASH_LINENO[0]:-?}" >&2
	poweroff_now
}
trap on_exit EXIT

# Console output comes back to the host as-is: no CR added before LF, so
# TAP and other line-based output stays byte-clean.
stty -onlcr 2>/dev/null || true

# Kernel file systems. /dev, /proc, /sys were moved here by the initramfs.
# Optional ones only where the kernel offers the mount point.
mount_opt() {
	if [[ -d "$2" ]]; then mount -t "$1" "$1" "$2" 2>/dev/null || true; fi
}
mkdir -p /dev/pts /dev/shm
# A bare devtmpfs lacks what udev would add: the kselftest runner writes to
# /dev/stdout and bash's <(...) needs /dev/fd.
[[ -e /dev/fd ]] || ln -s /proc/self/fd /dev/fd
[[ -e /dev/stdin ]] || ln -s fd/0 /dev/stdin
[[ -e /dev/stdout ]] || ln -s fd/1 /dev/stdout
[[ -e /dev/stderr ]] || ln -s fd/2 /dev/stderr
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount_opt debugfs /sys/kernel/debug
mount_opt tracefs /sys/kernel/tracing
mount_opt cgroup2 /sys/fs/cgroup
mount_opt bpf /sys/fs/bpf

# Writable scratch on top of the read-only root. /run is already a tmpfs
# (the initramfs needed it for the shares); /var/run is a symlink to it.
mount -t tmpfs -o mode=1777 tmpfs /tmp
if [[ -d /var/tmp && ! -L /var/tmp ]]; then
	mount -t tmpfs -o mode=1777 tmpfs /var/tmp
fi
mkdir -p /run/netns /run/lock
hostname lbipam-vm

o9p=trans=virtio,version=9p2000.L,msize=512000
# The repo share, at the same absolute path as on the host. Mounted after
# the /tmp tmpfs so a checkout under /tmp is visible (and not hidden by it).
share=$(cat "$R/share")
mkdir -p "$share"
mount -t 9p -o "$o9p" repo "$share"

# Modules: /usr/lib/modules/<KV> becomes a tmpfs holding the index files and
# the unpacked package's kernel/ tree (bind-mounted from the kernel share,
# 400 MB, never copied), plus updates/ with the modules under test, so
# modprobe and the kernel's request_module autoload find them. Keeps the
# host's build/source symlinks (from linux-headers).
kv=$(uname -r)
mdir=/usr/lib/modules/$kv
src=$KROOT/lib/modules/$kv
[[ -d "$src/kernel" ]] || src=$KROOT/usr/lib/modules/$kv
if [[ ! -d "$mdir" ]]; then
	# A kernel the host has no directory for (the debug kernel, or no
	# headers installed): a tmpfs over the whole of /usr/lib/modules, which
	# the VM needs only for its own kernel.
	mount -t tmpfs -o mode=0755 tmpfs /usr/lib/modules
	mkdir -p "$mdir"
fi
keep=()
for l in build source; do
	if [[ -L "$mdir/$l" ]]; then keep+=("$l=$(readlink "$mdir/$l")"); fi
done
mount -t tmpfs -o mode=0755 tmpfs "$mdir"
idx=$src
[[ -d "$R/modidx" ]] && idx=$R/modidx
cp "$idx"/modules.* "$mdir"/
mkdir "$mdir/kernel" "$mdir/updates"
mount --bind "$src/kernel" "$mdir/kernel"
if [[ -d "$idx/updates" ]]; then
	cp -r "$idx/updates/." "$mdir/updates/"
fi
for kl in "${keep[@]}"; do
	ln -s "${kl#*=}" "$mdir/${kl%%=*}"
done

ip link set lo up

# Environment handed over by the host, then ours on top.
# shellcheck disable=SC1091
source "$R/env"
export LBIPAM_IN_VM=1

mapfile -d '' -t cmd <"$R/cmd"
cwd=$(cat "$R/cwd")
if ! cd "$cwd"; then
	echo "vm-init: $cwd is not visible in the VM (outside the shares, or under /tmp but outside the repo share)" >&2
	exit 1
fi

read -r up _ </proc/uptime
echo "### lbipam-vm: up ${up}s, running in $cwd: ${cmd[*]}" >&2

# The command runs as a child (PID 1 must survive it), stdin from
# /dev/null (no one types into CI), output on the console.
rc=0
"${cmd[@]}" </dev/null || rc=$?

# Report back. The status file goes last: its presence means "all done".
# kmemleak (debug kernel): an object counts as leaked once it is older than
# 5 s and unreferenced in a scan; the second scan, after a pause, drops what
# the first caught in flight.
if [[ -w /sys/kernel/debug/kmemleak ]]; then
	read -r t0 _ </proc/uptime
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	read -r t1 _ </proc/uptime
	echo "### lbipam-vm: kmemleak scans took $(awk "BEGIN { print $t1 - $t0 }")s" >&2
	cat /sys/kernel/debug/kmemleak >"$R/kmemleak" || true
fi
dmesg >"$R/dmesg" 2>&1 || true
taint=$(cat /proc/sys/kernel/tainted)
echo "$taint" >"$R/tainted"
echo "$rc" >"$R/status.new"
mv "$R/status.new" "$R/status"
trap - EXIT
poweroff_now
