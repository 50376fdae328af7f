#!/usr/bin/env bash
# Build the debug kernel the VM selftests also run on (KASAN, KFENCE,
# lockdep, PROVE_RCU, kmemleak, ...): Debian's own linux-source-<series>,
# allnoconfig + scripts/debug-kernel.config, everything the VM needs built in.
# Cached per machine by the hash of that config, the source package version,
# the compiler and this script: only the first run pays for the build.
#
# Usage: scripts/debug-kernel.sh [--dir]
#   Prints the cache directory, which holds
#     build/          the kbuild output tree (KDIR for make M=...)
#     root/           boot/vmlinuz-<KV> and lib/modules/<KV>/ (what the VM boots)
#     kernelrelease   <KV>, e.g. 6.12.117-lbipam-debug
#     build-seconds   how long it all took (extraction, config, build)
#     build-time      the make's wall and CPU time
#   --dir   print the directory only, build nothing (exit 1 if not built)
# Environment:
#   LBIPAM_CACHE         cache root (default /var/cache/lbipam)
#   LBIPAM_DEBUG_SERIES  Debian source package series (default 6.12; 6.1 works)
#   LBIPAM_JOBS          make -j (default 2; the build runs under nice -n 10)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { echo "debug-kernel: $*" >&2; }

only_dir=0
case ${1:-} in
--dir) only_dir=1 ;;
"") ;;
*)
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac

series=${LBIPAM_DEBUG_SERIES:-6.12}
cache=${LBIPAM_CACHE:-/var/cache/lbipam}/debug-kernel
frag=$here/debug-kernel.config
tarball=/usr/src/linux-source-$series.tar.xz
jobs=${LBIPAM_JOBS:-2}

srcver=$(dpkg-query -W -f='${Version}' "linux-source-$series" 2>/dev/null || true)
if [[ -z "$srcver" || ! -f "$tarball" ]]; then
	log "linux-source-$series is not installed (run scripts/deps.sh)"
	exit 1
fi
# What the object files depend on besides the configuration.
tree_id="linux-source-$series $srcver, $(gcc --version | head -n 1)"
key=$({
	cat "$frag" "${BASH_SOURCE[0]}"
	echo "$tree_id"
} | sha256sum | cut -c1-16)
dir=$cache/$series-$key

if [[ -f "$dir/.done" ]]; then
	echo "$dir"
	exit 0
fi
if ((only_dir)); then
	log "not built yet: $dir (run scripts/debug-kernel.sh)"
	exit 1
fi

mkdir -p "$cache"
# Two runs at once (make -j, another checkout): one builds, the other waits.
exec 9>"$cache/.lock-$series-$key"
flock 9
if [[ -f "$dir/.done" ]]; then
	echo "$dir"
	exit 0
fi

for tool in gcc make bc bison flex xz; do
	command -v "$tool" >/dev/null || { log "$tool missing (run scripts/deps.sh)"; exit 1; }
done

rm -rf "$dir"
start=$SECONDS
# An older build of the same source tree with the same compiler (another
# configuration, or an interrupted build) is reused: kbuild then recompiles
# only what the configuration change touches.
prev=""
for d in "$cache/$series"-*; do
	[[ -d "$d/src" && "$(cat "$d/tree-id" 2>/dev/null)" == "$tree_id" ]] || continue
	# Not one another run is building right now.
	exec 8>"$cache/.lock-${d##*/}"
	if flock -n 8; then
		prev=$d
		exec 8>&-
		break
	fi
	exec 8>&-
done
if [[ -n "$prev" ]]; then
	log "reusing the tree of ${prev##*/}"
	mv "$prev" "$dir"
	rm -rf "$dir/root" "$dir/.done"
else
	mkdir -p "$dir"
	tar -xJf "$tarball" -C "$dir"
	mv "$dir/linux-source-$series" "$dir/src"
	echo "$tree_id" >"$dir/tree-id"
fi
log "building linux-source-$series $srcver with $(basename "$frag") into $dir (log: $dir/build.log)"

kmake() { make -C "$dir/src" O="$dir/build" "$@"; }
{
	kmake allnoconfig KCONFIG_ALLCONFIG="$frag"
	kmake olddefconfig
} >"$dir/build.log" 2>&1 || { tail -n 40 "$dir/build.log" >&2; exit 1; }

# Kconfig drops what a dependency rules out, silently: every line of the
# fragment must be in the result.
missing=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$dir/build/.config" || missing+=("$line")
		;;
	"# CONFIG_"*" is not set")
		opt=${line#"# "}
		opt=${opt%% *}
		if grep -q "^$opt=" "$dir/build/.config"; then missing+=("$line"); fi
		;;
	esac
done <"$frag"
if ((${#missing[@]})); then
	log "these options did not survive olddefconfig (a dependency is missing):"
	printf '  %s\n' "${missing[@]}" >&2
	exit 1
fi

# Under nice: other work on the machine goes first. The time it took and
# the CPU time it used (what it would take on idle cores) go to build-time.
TIMEFORMAT='wall %R s, CPU %U s user + %S s sys'
if ! { time nice -n 10 make -C "$dir/src" O="$dir/build" -j"$jobs" \
	bzImage modules >>"$dir/build.log" 2>&1; } 2>"$dir/build-time"; then
	grep -E 'error|Error' "$dir/build.log" | tail -n 20 >&2 || true
	tail -n 20 "$dir/build.log" >&2
	log "build failed"
	exit 1
fi
kv=$(kmake -s kernelrelease)
kmake -s modules_install INSTALL_MOD_PATH="$dir/root" >>"$dir/build.log" 2>&1
# The VM binds lib/modules/<KV>/kernel and vm-run.sh copies the index files
# even when everything is built in and some of them would be missing.
mkdir -p "$dir/root/lib/modules/$kv/kernel" "$dir/root/boot"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[[ -f "$dir/root/lib/modules/$kv/$f" ]] || : >"$dir/root/lib/modules/$kv/$f"
done
cp "$dir/build/arch/x86/boot/bzImage" "$dir/root/boot/vmlinuz-$kv"
echo "$kv" >"$dir/kernelrelease"
echo $((SECONDS - start)) >"$dir/build-seconds"
touch "$dir/.done"
log "built $kv in $((SECONDS - start)) s (make: $(cat "$dir/build-time"))"

# One debug kernel per series is enough: forget builds of older keys.
for old in "$cache/$series"-*; do
	[[ "$old" == "$dir" || ! -d "$old" ]] && continue
	exec 8>"$cache/.lock-${old##*/}"
	if flock -n 8; then
		rm -rf "$old"
		rm -f "$cache/.lock-${old##*/}"
	fi
	exec 8>&-
done
echo "$dir"
