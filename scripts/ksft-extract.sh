#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract the kselftest framework (lib.mk, runner.sh, kselftest*.h) and
# checkpatch from Debian's linux-source-6.1 tarball.
#
#   scripts/ksft-extract.sh OUTDIR
#
# OUTDIR receives tools/testing/selftests/{lib.mk,kselftest.h,
# kselftest_harness.h,kselftest/,run_kselftest.sh} flattened, so that OUTDIR/lib.mk and
# OUTDIR/kselftest/runner.sh exist (lib.mk finds runner.sh relative to its
# own directory). checkpatch.pl and the two data files it reads go to
# OUTDIR/../checkpatch/. Nothing lands in the git tree unless OUTDIR is in it.
#
# Idempotent: a complete earlier extraction is left alone, because the
# tarball is ~140 MB of xz and walking it costs several seconds.

set -eu

usage() {
	echo "usage: $0 OUTDIR" >&2
	exit 1
}

[ $# -eq 1 ] || usage
outdir=$1
srctar=${LINUX_SOURCE_TAR:-/usr/src/linux-source-6.1.tar.xz}
# Top-level directory inside Debian's tarball.
top=linux-source-6.1

ckdir=$(dirname "$outdir")/checkpatch

ksft_files="lib.mk kselftest.h kselftest_harness.h kselftest/runner.sh kselftest/prefix.pl
	run_kselftest.sh"
ck_files="checkpatch.pl spelling.txt const_structs.checkpatch"

complete() {
	local f
	for f in $ksft_files; do
		[ -e "$outdir/$f" ] || return 1
	done
	for f in $ck_files; do
		[ -e "$ckdir/$f" ] || return 1
	done
}

if complete; then
	exit 0
fi

if [ ! -r "$srctar" ]; then
	echo "$0: $srctar not found; install linux-source-6.1 (apt-get install linux-source-6.1)" >&2
	exit 1
fi

# Extract into a scratch directory next to OUTDIR and move into place only
# when everything is there, so an interrupted run never leaves a half-filled
# OUTDIR that the idempotency check above would accept.
parent=$(dirname "$outdir")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.ksft-extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Name only the members we need: --wildcards lets tar stop matching early
# instead of writing out the whole kernel tree.
tar -xJf "$srctar" -C "$tmp" --wildcards \
	"$top/tools/testing/selftests/lib.mk" \
	"$top/tools/testing/selftests/kselftest.h" \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/tools/testing/selftests/kselftest/*" \
	"$top/tools/testing/selftests/run_kselftest.sh" \
	"$top/scripts/checkpatch.pl" \
	"$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch"

src=$tmp/$top
for f in $ksft_files; do
	if [ ! -e "$src/tools/testing/selftests/$f" ]; then
		echo "$0: $f missing from $srctar" >&2
		exit 1
	fi
done

rm -rf "$outdir" "$ckdir"
mkdir -p "$ckdir"
mv "$src/tools/testing/selftests" "$outdir"
for f in $ck_files; do
	mv "$src/scripts/$f" "$ckdir/$f"
done
