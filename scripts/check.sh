#!/usr/bin/env bash
# Every check and test of the project, host and VM, as one TAP-counted run.
# Ends with "N passed, N failed[, N skipped]" and exits non-zero on any
# failure. A step that is not TAP itself counts as one test.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 1
log=build/check
rm -rf "$log"
mkdir -p "$log"

passed=0 failed=0 skipped=0
failures=()

# step NAME COMMAND...: pass or fail on the exit status alone.
step() {
	local name=$1 start=$SECONDS
	shift
	if "$@" >"$log/$name.log" 2>&1; then
		passed=$((passed + 1))
		echo "ok - $name ($((SECONDS - start)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "not ok - $name ($((SECONDS - start)) s)"
		tail -n 40 "$log/$name.log" | sed 's/^/#   /'
	fi
}

# tap NAME COMMAND...: counts the top-level TAP results COMMAND prints; a
# non-zero exit with no failing result is a failure of its own.
tap() {
	local name=$1 rc p f s start=$SECONDS
	shift
	"$@" >"$log/$name.log" 2>&1
	rc=$?
	sed 's/^/  /' "$log/$name.log"
	p=$(grep -Ec '^ok [0-9]+' "$log/$name.log")
	s=$(grep -Ec '^ok [0-9]+.*# *SKIP' "$log/$name.log")
	f=$(grep -Ec '^not ok [0-9]+' "$log/$name.log")
	p=$((p - s))
	if ((rc != 0 && f == 0)); then
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	((f)) && failures+=("$name")
	echo "$name: $p passed, $f failed, $s skipped (exit $rc, $((SECONDS - start)) s)"
}

kv=$(scripts/kver.sh) || exit 1
echo "# kernel headers: $kv"

step build-module-W1 make -s module-check
step build-userspace make -s userspace
step checkpatch-strict make -s style
step shellcheck shellcheck -x scripts/*.sh selftests/*.sh bench/*.sh .ci/run \
	userspace/tests/*.sh userspace/daemon/tests/*.sh
tap unit-tests make -s unit-tests
tap lbctl-cli userspace/tests/test_cli.sh
tap engine make -s engine-check
tap daemon make -s daemon-check
step install-destdir scripts/install-check.sh
step dkms scripts/dkms-check.sh
tap vm-selftests make -s vm-test
tap kind-node scripts/kind-node.sh

echo
if ((failed)); then
	echo "# failed: ${failures[*]} (logs in $log/)"
fi
if ((skipped)); then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
((failed == 0))
