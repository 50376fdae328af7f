#!/usr/bin/env bash
# Boot the test VM (Debian's own kernel <KV>, host root read-only over 9p)
# and run one command in it as root, in the caller's current directory.
#
# Usage: scripts/vm-run.sh [--kernel KERNEL] [--timeout SECS]
#                          [--module PATH.ko]... [--disk FILE [--snapshot]]
#                          [--keep] -- COMMAND [ARGS...]
#
# KERNEL: a Debian kernel series (6.1, the default (scripts/kver.sh), or
# 6.12: the newest installed headers' release), a release
# (6.12.117+deb12-amd64), or "debug"
# for the debug kernel (scripts/debug-kernel.sh: KASAN, lockdep, kmemleak...,
# built on first use). A --module must be built for that kernel.
# --disk: a raw disk image, the guest's /dev/vda (virtio_blk); the guest's
# writes go to FILE, or with --snapshot to a scratch copy qemu drops at exit.
#
# Output of COMMAND streams to stdout live (via the serial console). The exit
# status comes back through a writable 9p share, never from the console:
#   N    COMMAND's exit status, if the kernel log stayed clean
#   1    COMMAND passed but the kernel reported a problem: WARNING/BUG/
#        Oops, KASAN, lockdep, RCU, soft lockup, hung task, or (debug kernel)
#        a kmemleak report from lbipam (printed)
#   124  timed out (--timeout, default 600 s)
#   130  interrupted (SIGINT/SIGTERM to vm-run.sh; the VM is killed)
#   125  the VM never reported a status (kernel panic, crash, init failure;
#        the kernel's report from the console is printed)
#   2    usage error
# Environment:
#   LBIPAM_VM_ACCEL  auto (default) | kvm | tcg. auto = KVM if /dev/kvm opens
#                    r/w and kvm_intel/kvm_amd is loaded, else TCG
#   LBIPAM_VM_MEM    guest memory (default 2G)
#   LBIPAM_VM_APPEND guest kernel command line added to the harness's
#                    (default mitigations=off)
#   LBIPAM_VM_TCG_THREAD  single (default) | multi: under TCG, one host
#                    thread runs both vCPUs in turn. Measured on the same
#                    workload (a loaded 2-core host): qemu used 43 s of CPU
#                    with single against 70-74 s with multi (one thread per
#                    vCPU, which spends the difference keeping them in step),
#                    for about the same wall time; CI runs several VMs at once,
#                    so CPU is what it is short of. The guest stays SMP.
#   LBIPAM_VM_SHARE  writable share, mounted at the same path in the VM
#                    (default: git top of the current directory, else this repo)
#   LBIPAM_VM_KEEP=1 keep build/vm/run.* (always kept on failure)
#   LBIPAM_VM_DMESG_IGNORE  ERE of dmesg lines to not count as kernel errors
#   CI, LBIPAM_*     passed through into the VM, plus LBIPAM_IN_VM=1
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)

usage() {
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
	exit 2
}
say() { echo "vm-run: $*" >&2; }

timeout_s=600
keep=${LBIPAM_VM_KEEP:-0}
kernel=""
modules=()
disk="" snapshot=""
while (($#)); do
	case $1 in
	--kernel)
		[[ $# -ge 2 && -n "$2" ]] || usage
		kernel=$2
		shift 2
		;;
	--kernel=*)
		kernel=${1#*=}
		[[ -n "$kernel" ]] || usage
		shift
		;;
	--timeout)
		[[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || usage
		timeout_s=$2
		shift 2
		;;
	--timeout=*)
		timeout_s=${1#*=}
		[[ "$timeout_s" =~ ^[0-9]+$ ]] || usage
		shift
		;;
	--module)
		[[ $# -ge 2 ]] || usage
		modules+=("$2")
		shift 2
		;;
	--module=*)
		modules+=("${1#*=}")
		shift
		;;
	--disk)
		[[ $# -ge 2 && -n "$2" ]] || usage
		disk=$2
		shift 2
		;;
	--snapshot)
		snapshot=,snapshot=on
		shift
		;;
	--keep)
		keep=1
		shift
		;;
	--)
		shift
		break
		;;
	-h | --help) usage ;;
	*) usage ;;
	esac
done
(($#)) || usage

for m in "${modules[@]}"; do
	[[ -f "$m" ]] || { say "module $m not found"; exit 2; }
done
[[ -z "$disk" || -f "$disk" ]] || { say "disk $disk not found"; exit 2; }
[[ -z "$snapshot" || -n "$disk" ]] || { say "--snapshot needs a --disk"; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { say "qemu-system-x86_64 missing (run scripts/deps.sh)"; exit 2; }

img=$("$here/vm-image.sh" "$kernel")
kv=$(cat "$img/kver")
# A module built for another kernel would fail to load in the VM with a
# message that hides the cause: say it here.
for m in "${modules[@]}"; do
	vm=$(modinfo -F vermagic "$m" 2>/dev/null | cut -d' ' -f1)
	if [[ "$vm" != "$kv" ]]; then
		say "$m is built for ${vm:-an unknown kernel}, the VM boots $kv (make module KV=${kernel:-$kv})"
		exit 2
	fi
done

# The share the VM can write to, at the same absolute path. Physical paths
# (pwd -P) so that the cwd lies inside it as the VM sees it.
if [[ -n "${LBIPAM_VM_SHARE:-}" ]]; then
	share=$LBIPAM_VM_SHARE
else
	share=$(git -C "$PWD" rev-parse --show-toplevel 2>/dev/null) || share=$top
fi
share=$(cd "$share" && pwd -P)
cwd=$(pwd -P)
if [[ "$share" == / ]]; then
	say "LBIPAM_VM_SHARE=/ is not supported (the host root is already shared read-only)"
	exit 2
fi
# In the VM /tmp, /run and /var/tmp are fresh tmpfs: a cwd there is only
# visible if it lies inside the share.
if [[ "$cwd/" != "$share/"* ]]; then
	case $cwd/ in
	/tmp/* | /run/* | /var/tmp/* | /var/run/* | /dev/* | /proc/* | /sys/*)
		say "current directory $cwd is not visible in the VM (outside $share); set LBIPAM_VM_SHARE"
		exit 2
		;;
	esac
fi

# Per-run results share. In the repo's build/, never /tmp (could be anywhere).
mkdir -p "$top/build/vm"
# Failed runs are kept for inspection; forget them after a day.
find "$top/build/vm" -mindepth 1 -maxdepth 1 -name 'run.*' -mmin +1440 \
	-exec rm -rf {} + 2>/dev/null || true
run=$(mktemp -d "$top/build/vm/run.XXXXXX")
cp "$here/vm-init.sh" "$run/vm-init.sh"
printf '%s\n' "$share" >"$run/share"
printf '%s\n' "$cwd" >"$run/cwd"
printf '%s\0' "$@" >"$run/cmd"
# Modules under test go to updates/. The index (modules.dep, .alias, ...)
# is built here with depmod over a tree whose kernel/ is a symlink to the
# image's: the same result as depmod -a in the VM, in 1 s instead of ~70 s.
if ((${#modules[@]})); then
	idx=$run/modidx
	stage=$run/depmod
	mkdir -p "$stage/lib/modules" "$idx/updates"
	for m in "${modules[@]}"; do cp "$m" "$idx/updates/"; done
	ln -s "$idx" "$stage/lib/modules/$kv"
	ln -s "$img/root/lib/modules/$kv/kernel" "$idx/kernel"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		cp "$img/root/lib/modules/$kv/$f" "$idx/"
	done
	depmod -b "$stage" "$kv"
	rm -f "$idx/kernel"
	rm -rf "$stage"
fi
{
	while IFS= read -r name; do
		if [[ "$name" == CI || "$name" == LBIPAM_* ]]; then
			printf 'export %s=%q\n' "$name" "${!name}"
		fi
	done < <(compgen -e)
} >"$run/env"

# Accelerator: KVM only when /dev/kvm really opens read-write and is backed
# by hardware virtualisation (kvm_intel/kvm_amd). Some sandboxes offer a
# /dev/kvm from kvm_pvm, which runs only PVM-enabled guest kernels: Debian's
# kernel hangs there right after the boot loader, so that counts as no KVM.
kvm_usable() {
	[[ -c /dev/kvm ]] && (exec 3<>/dev/kvm) 2>/dev/null || return 1
	[[ -d /sys/module/kvm_intel || -d /sys/module/kvm_amd ]]
}
accel=${LBIPAM_VM_ACCEL:-auto}
if [[ "$accel" == auto ]]; then
	accel=tcg
	if kvm_usable; then accel=kvm; fi
fi
case $accel in
kvm) accel_args=(-accel kvm -cpu host) ;;
tcg) accel_args=(-accel "tcg,thread=${LBIPAM_VM_TCG_THREAD:-single}" -cpu max) ;;
*) say "LBIPAM_VM_ACCEL must be auto, kvm or tcg"; exit 2 ;;
esac

# qboot instead of SeaBIOS when available: boots -kernel directly, faster,
# and prints no escape sequences onto the console.
bios_args=()
if [[ -f /usr/share/qemu/qboot.rom ]]; then bios_args=(-bios qboot.rom); fi

# qemu option values escape a comma by doubling it.
qpath() { printf '%s' "${1//,/,,}"; }
virtfs() { # tag path ro|rw
	local ro=""
	[[ $3 == ro ]] && ro=",readonly=on"
	printf -- '-virtfs\0local,path=%s,mount_tag=%s,security_model=none,multidevs=remap%s\0' \
		"$(qpath "$2")" "$1" "$ro"
}
mapfile -d '' -t fs_args < <(
	virtfs hostroot / ro
	virtfs kroot "$img/root" ro
	virtfs results "$run" rw
	virtfs repo "$share" rw
)
# cache=unsafe: qemu ignores the guest's flushes; what the guest wrote is
# in FILE once qemu has exited, which is all a test VM's disk needs.
if [[ -n "$disk" ]]; then
	fs_args+=(-drive "file=$(qpath "$disk"),format=raw,if=virtio,cache=unsafe$snapshot")
fi

# Any kernel warning or oops panics the guest, and a panic ends qemu
# (-no-reboot): no status file then. loglevel=5 shows warnings on the console.
append="console=ttyS0 loglevel=5 panic=-1 oops=panic panic_on_warn=1"
append+=" rdinit=/init tsc=reliable edd=off"
# The debug kernel's soft-lockup detector: 120 s (2 x watchdog_thresh), not
# 20, since KASAN under emulation is that slow (see debug-kernel.config).
# acpi=noirq: virtio uses MSI-X, and routing INTx through ACPI's AML costs
# the debug kernel 90 s a boot (debug-kernel.config).
if [[ "$kernel" == debug ]]; then append+=" watchdog_thresh=60 acpi=noirq"; fi
# The guest is a throwaway test machine: its Spectre mitigations (retpolines,
# barriers) cost about 4% of the emulated CPU (farm-bench, dp_stats +
# dp_affinity, 3 pairs: cpu A/B 0.963) and change nothing the tests see.
append+=" ${LBIPAM_VM_APPEND-mitigations=off}"

qemu=(qemu-system-x86_64 "${accel_args[@]}"
	-m "${LBIPAM_VM_MEM:-2G}" -smp 2
	-nographic -monitor none -no-reboot -nic none "${bios_args[@]}"
	-chardev "stdio,id=con,signal=on,logfile=$(qpath "$run/console.log")"
	-serial chardev:con
	-kernel "$img/vmlinuz" -initrd "$img/initramfs.cpio" -append "$append"
	"${fs_args[@]}")

say "booting $kv ($accel), share $share, timeout ${timeout_s}s"
start=$SECONDS
# timeout runs qemu in its own process group, so forward ^C / SIGTERM.
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null &
qpid=$!
interrupted=""
trap 'interrupted=1; kill -TERM "$qpid" 2>/dev/null || true' INT TERM
qrc=0
while :; do
	wait "$qpid" && qrc=0 || qrc=$?
	# wait returns >128 when a trapped signal interrupted it; the child may
	# still be running then.
	kill -0 "$qpid" 2>/dev/null || break
done
trap - INT TERM
elapsed=$((SECONDS - start))

finish() {
	local rc=$1
	if ((rc != 0)); then
		say "exit $rc; run files kept in $run"
	elif [[ "$keep" == 1 ]]; then
		say "run files kept in $run"
	else
		rm -rf "$run"
	fi
	exit "$rc"
}

if [[ -n "$interrupted" ]]; then
	say "interrupted; VM stopped"
	finish 130
fi
if ((qrc == 124)); then
	say "TIMEOUT: the VM ran longer than ${timeout_s}s and was killed"
	finish 124
fi
if [[ ! -f "$run/status" ]]; then
	say "FAILED: the VM never reported an exit status (kernel panic/oops, crash or init failure; qemu exit $qrc, ${elapsed}s); console log: $run/console.log"
	# The report that stopped it (panic_on_warn turns every warning, KASAN
	# report and oops into a panic), from its first line to the panic.
	if grep -qE 'Kernel panic|WARNING:|BUG:|BUG at|Oops' "$run/console.log"; then
		say "the kernel's report:"
		tr -d '\r' <"$run/console.log" |
			sed -n '/WARNING:\|BUG:\|BUG at\|Oops\|general protection\|Kernel panic/,$p' |
			head -n 200
	fi
	finish 125
fi
rc=$(cat "$run/status")
[[ "$rc" =~ ^[0-9]+$ ]] || { say "bad status file: $rc"; finish 125; }

taint=$(cat "$run/tainted" 2>/dev/null || echo '?')
flags=""
if [[ "$taint" =~ ^[0-9]+$ ]]; then
	letters=PFSRMBUDAWCIOELKXT
	for ((i = 0; i < ${#letters}; i++)); do
		if (((taint >> i) & 1)); then flags+=${letters:i:1}; fi
	done
fi
say "kernel tainted=$taint${flags:+ ($flags)}; command exit $rc; ${elapsed}s"
if [[ -n "${flags//[OE]/}" ]]; then
	say "note: taint flags other than O/E: ${flags//[OE]/}"
fi

# Kernel log check: any warning, oops, refcount report, memory-safety
# (KASAN, KFENCE), lockdep, RCU, sleep-in-atomic, lockup or hung-task report
# fails the run. Most say WARNING: or BUG:; lockups and stalls say INFO:.
pat='WARNING:|BUG:|BUG at|Call Trace|refcount_t|general protection|Oops|INFO: task .* blocked|detected stalls|self-detected stall|ODEBUG:'
hits=$(grep -E "$pat" "$run/dmesg" || true)
if [[ -n "${LBIPAM_VM_DMESG_IGNORE:-}" && -n "$hits" ]]; then
	hits=$(grep -Ev "$LBIPAM_VM_DMESG_IGNORE" <<<"$hits" || true)
fi
if [[ -n "$hits" ]]; then
	say "FAILED: kernel log has errors:"
	grep -E -B 2 -A 40 "$pat" "$run/dmesg" | head -n 400 || true
	((rc != 0)) || rc=1
fi
# kmemleak (debug kernel): a leak from lbipam fails; one the rest of the
# kernel reports is printed but is not ours. lbipam is the debug kernel's
# only module, so an allocation backtrace through module space is lbipam's
# even when it was unloaded since (the frame then prints as a bare address).
if [[ -s "$run/kmemleak" ]]; then
	ours=$(awk -v RS='unreferenced object' 'NR > 1 &&
		/\[lbipam\]|0xffffffff[c-f][0-9a-f]+/ { printf "unreferenced object%s", $0 }' \
		"$run/kmemleak")
	if [[ -n "$ours" ]]; then
		say "FAILED: kmemleak: lbipam leaked memory:"
		printf '%s\n' "$ours" | head -n 400
		((rc != 0)) || rc=1
	else
		say "note: kmemleak reports $(grep -c '^unreferenced object' "$run/kmemleak") object(s), none from lbipam:"
		head -n 60 "$run/kmemleak"
	fi
fi
finish "$rc"
