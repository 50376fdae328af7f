#!/usr/bin/env bash
# Prepare what the test VM boots: build/vm/<KV>/ with
#   root/        the kernel: the unpacked linux-image-<KV> package, or a
#                symlink to the debug kernel's root (boot/vmlinuz-<KV>,
#                lib/modules/<KV> with a fresh modules.dep)
#   initramfs.cpio  a tiny busybox initramfs that loads what virtio + 9p
#                need (the closure of virtio_pci, 9pnet_virtio and 9p in the
#                image's own modules.dep; nothing where they are built in),
#                mounts the host root over 9p and switch_roots into it
#   vmlinuz      symlink to the kernel
#   kver         <KV>
# Usage: scripts/vm-image.sh [KERNEL]
#   KERNEL  a Debian release or series (scripts/kver.sh; default: its
#           default, 6.1), or
#           "debug" for the debug kernel (scripts/debug-kernel.sh, built on
#           first use)
# Prints the directory on stdout. Cached: does nothing if already built for
# that kernel by this version of the script.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
log() { echo "vm-image: $*" >&2; }

kernel=${1:-}
debug_dir=""
if [[ "$kernel" == debug ]]; then
	debug_dir=$("$here/debug-kernel.sh")
	kv=$(cat "$debug_dir/kernelrelease")
elif [[ -n "$kernel" ]]; then
	kv=$("$here/kver.sh" "$kernel")
else
	kv=$("$here/kver.sh")
fi
out="$top/build/vm/$kv"
# Rebuild whenever this script (and so the initramfs init below) or the
# debug kernel changes.
stamp_want="$kv $debug_dir $(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"

# "make clean" runs kbuild's clean over the whole checkout, which deletes
# every *.ko and modules.order below it, ours here included: check that the
# modules are still there, not only the stamp. (The debug kernel lives
# outside the checkout and has everything built in.)
is_ready() {
	[[ -f "$out/.stamp" && "$(cat "$out/.stamp")" == "$stamp_want" &&
		-f "$out/root/lib/modules/$kv/modules.order" ]] || return 1
	[[ -n "$debug_dir" ]] ||
		find "$out/root/lib/modules/$kv" -name '*.ko*' -print -quit | grep -q .
}
if is_ready; then
	echo "$out"
	exit 0
fi

# Several VMs may start at once (make -j, other engineers): one builds,
# the others wait for it and then find it ready.
mkdir -p "$top/build/vm"
exec 9>"$top/build/vm/.lock-$kv"
flock 9
if is_ready; then
	echo "$out"
	exit 0
fi


for tool in apt-get dpkg-deb depmod cpio flock xz; do
	command -v "$tool" >/dev/null || { log "$tool missing (run scripts/deps.sh)"; exit 1; }
done
busybox=/bin/busybox
if [[ ! -x "$busybox" ]] || ! "$busybox" --list | grep -qx switch_root; then
	log "need busybox-static (run scripts/deps.sh)"
	exit 1
fi
# A dynamically linked busybox would need its libraries in the initramfs.
if file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked'; then
	log "$busybox is not static (install busybox-static)"
	exit 1
fi

mkdir -p "$out"
rm -f "$out/.stamp"

# 1. Kernel image package of exactly the headers' version. The plain name
# is the signed build; -unsigned is the same kernel and modules, either boots
# with qemu -kernel. Downloaded, never installed (no hooks, host untouched).
if [[ -n "$debug_dir" ]]; then
	rm -rf "$out/root"
	ln -sfn "$debug_dir/root" "$out/root"
elif [[ -L "$out/root" || ! -f "$out/root/boot/vmlinuz-$kv" ||
	! -f "$out/root/lib/modules/$kv/modules.order" ]]; then
	dl="$out/dl"
	rm -rf "$dl" "$out/root"
	mkdir -p "$dl"
	got=""
	for pkg in "linux-image-$kv" "linux-image-$kv-unsigned"; do
		# apt-get download wants a writable cwd and drops the .deb there.
		if (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
			got=$pkg
			break
		fi
	done
	if [[ -z "$got" ]]; then
		# Stale package lists are the usual cause: refresh once and retry.
		apt-get update -q >&2 || true
		(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "linux-image-$kv" >&2) ||
			{ log "cannot download linux-image-$kv (mirror moved on? apt-get update && apt-get install linux-headers-amd64 brings a newer matching pair)"; exit 1; }
	fi
	deb=$(find "$dl" -maxdepth 1 -name 'linux-image-*.deb' | head -n1)
	log "unpacking $(basename "$deb")"
	dpkg-deb -x "$deb" "$out/root.new"
	mv "$out/root.new" "$out/root"
	rm -rf "$dl"
fi
[[ -f "$out/root/boot/vmlinuz-$kv" ]] || { log "no vmlinuz-$kv in package"; exit 1; }
moddir="$out/root/lib/modules/$kv"
depmod -b "$out/root" "$kv"
ln -sfn "root/boot/vmlinuz-$kv" "$out/vmlinuz"

# 2. Modules the initramfs needs to reach the 9p root, dependencies first,
# resolved from modules.dep (format "path.ko: dep1.ko dep2.ko ...";
# 6.12's are path.ko.xz). Each kernel has its own set: 6.1 needs netfs and
# fscache as modules, 6.12 has virtio_pci built in and no fscache module.
modname() { # path -> module name, in $mn (no subshell: 4000 lines)
	mn=${1##*/}
	mn=${mn%%.ko*}
	mn=${mn//-/_}
}
declare -A dep_of=() path_of=() seen=()
while IFS= read -r line; do
	mod=${line%%:*}
	modname "$mod"
	name=$mn
	path_of[$name]=$mod
	dep_of[$name]=${line#*:}
done <"$moddir/modules.dep"
declare -A builtin=()
if [[ -f "$moddir/modules.builtin" ]]; then
	while IFS= read -r line; do
		modname "$line"
		builtin[$mn]=1
	done <"$moddir/modules.builtin"
fi
order=()
visit() {
	local name=$1 d
	[[ -n "${seen[$name]:-}" ]] && return 0
	seen[$name]=1
	if [[ -z "${path_of[$name]:-}" ]]; then
		# Built into the kernel: nothing to load.
		[[ -n "${builtin[$name]:-}" ]] && return 0
		log "module $name not found"
		exit 1
	fi
	for d in ${dep_of[$name]}; do
		modname "$d"
		visit "$mn"
	done
	order+=("$name")
}
for m in virtio_pci 9pnet_virtio 9p; do visit "$m"; done
log "initramfs modules for $kv: ${order[*]:-none (built in)}"

# 3. The initramfs itself.
ird="$out/initramfs.d"
rm -rf "$ird"
mkdir -p "$ird"/{bin,dev,proc,sys,newroot,modules}
cp "$busybox" "$ird/bin/busybox"
for app in sh mount umount mkdir insmod switch_root cat sleep echo ls; do
	ln -s busybox "$ird/bin/$app"
done
: >"$ird/modules/order"
# busybox insmod takes plain ELF: compressed modules are unpacked here.
for name in "${order[@]}"; do
	case ${path_of[$name]} in
	*.ko.xz) xz -dc "$moddir/${path_of[$name]}" >"$ird/modules/$name.ko" ;;
	*.ko.zst) zstd -qdc "$moddir/${path_of[$name]}" >"$ird/modules/$name.ko" ;;
	*.ko.gz) gzip -dc "$moddir/${path_of[$name]}" >"$ird/modules/$name.ko" ;;
	*) cp "$moddir/${path_of[$name]}" "$ird/modules/$name.ko" ;;
	esac
	echo "$name" >>"$ird/modules/order"
done
echo "$kv" >"$ird/kver"

# The initramfs /init: just enough to get into the host root. Everything
# else (tmpfs mounts, the repo share, modules, the test command) is done by
# scripts/vm-init.sh after switch_root, which vm-run.sh hands over through
# the per-run results share.
cat >"$ird/init" <<'INIT'
#!/bin/sh
# Initramfs init (generated by scripts/vm-image.sh).
PATH=/bin
export PATH
fail() {
	echo "vm-initramfs: $*" >/dev/console
	# No status file gets written, so the host reports the failure.
	echo o >/proc/sysrq-trigger
	sleep 30
}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
	insmod "/modules/$m.ko" || fail "insmod $m failed"
done </modules/order

o9p="trans=virtio,version=9p2000.L,msize=512000"
# Host root, read-only; cache=loose is safe because it is never written and
# makes exec/stat over 9p much cheaper (matters a lot under TCG).
mount -t 9p -o "ro,$o9p,cache=loose" hostroot /newroot || fail "cannot mount host root"
# Writable /run first: the run's shares are mounted under it.
mount -t tmpfs -o mode=0755,size=64m tmpfs /newroot/run || fail "tmpfs /run"
mkdir -p /newroot/run/lbipam/results /newroot/run/lbipam/kroot
mount -t 9p -o "$o9p" results /newroot/run/lbipam/results || fail "cannot mount results share"
mount -t 9p -o "ro,$o9p,cache=loose" kroot /newroot/run/lbipam/kroot || fail "cannot mount kernel share"
[ -f /newroot/run/lbipam/results/vm-init.sh ] || fail "no vm-init.sh in results share"
mount --move /dev /newroot/dev
mount --move /sys /newroot/sys
mount --move /proc /newroot/proc
exec switch_root /newroot /bin/bash /run/lbipam/results/vm-init.sh
INIT
chmod 755 "$ird/init"

(cd "$ird" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) >"$out/initramfs.cpio.new"
mv "$out/initramfs.cpio.new" "$out/initramfs.cpio"
rm -rf "$ird"

echo "$kv" >"$out/kver"
echo "$stamp_want" >"$out/.stamp"
log "ready: $out"
echo "$out"
