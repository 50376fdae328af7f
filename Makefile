# SPDX-License-Identifier: GPL-2.0
# Top-level build. Kbuild builds the module; this file drives it, the
# userspace programs, the checks and installation.

# The version, defined once in VERSION (Kbuild and dkms.conf read it too).
VERSION := $(shell cat VERSION)
# KV: a kernel series (6.1, 6.12) means its newest installed Debian headers;
# unset, 6.1 (scripts/kver.sh). A full release is taken as it is. KV=debug
# is the debug kernel (scripts/debug-kernel.sh), built on first use.
override KV := $(shell scripts/kver.sh $(KV) 2>/dev/null || echo $(KV))
ifeq ($(KV),debug)
DEBUG_KERNEL := debug-kernel
# Deferred: the directory exists once the debug-kernel target has run.
KDIR ?= $(shell scripts/debug-kernel.sh --dir)/build
else
KDIR ?= /lib/modules/$(KV)/build
endif
PREFIX ?= /usr/local
DESTDIR ?=

CC ?= gcc
CFLAGS ?= -O2 -g
PKGS := libnl-genl-3.0 jansson
LB_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -D_FORTIFY_SOURCE=2 \
	-Iuapi -Iuserspace -DLBIPAM_VERSION='"$(VERSION)"' \
	$(shell pkg-config --cflags $(PKGS))
LB_LIBS := $(shell pkg-config --libs $(PKGS))
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

B := build
LIB_SRCS := userspace/lib/lb_addr.c userspace/lib/lb_names.c \
	userspace/lib/lb_mem.c userspace/lib/lb_nl.c userspace/lib/lb_nl_svc.c \
	userspace/lib/lb_nl_l2.c
# lbctl: userspace/lbctl/ holds its sources and, once built, the program.
LBCTL := userspace/lbctl/lbctl
LBCTL_SRCS := $(wildcard userspace/lbctl/*.c) $(LIB_SRCS)
LBCTL_LIBS := $(LB_LIBS) $(shell pkg-config --libs yaml-0.1)
HDRS := $(wildcard userspace/lbctl/*.h userspace/lib/*.h) uapi/linux/lbipam.h
UNIT_TESTS := $(B)/tests/test_addr $(B)/tests/test_names $(B)/tests/test_mem

.PHONY: all module userspace clean install install-userspace dkms-install deb \
	check test bench \
	style module-check unit-tests kselftest vm-test daemon-check cluster-check \
	bench-apply bench-ref bench-l2 bench-cluster bench-bgp debug-kernel vm-module

all: module userspace

module: $(DEBUG_KERNEL)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The kernel with KASAN, lockdep, kmemleak & co. for the VM (KV=debug).
# Cached under /var/cache/lbipam/: only the first build takes long.
debug-kernel:
	scripts/debug-kernel.sh

# What CI holds the module to: W=1 and no warning at all.
module-check: $(DEBUG_KERNEL)
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 \
		KCFLAGS=-Werror modules

userspace: $(LBCTL) userspace/lbipamd

$(LBCTL): $(LBCTL_SRCS) $(HDRS)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LB_CFLAGS) $(LDFLAGS) -o $@ $(LBCTL_SRCS) \
		$(LBCTL_LIBS)

# The engine (build/engine/liblbengine.a, engine-check), then
# userspace/lbipamd and daemon-check, which link it. After "all:" so that
# it stays the default goal.
include userspace/engine/engine.mk
include userspace/daemon/daemon.mk
include userspace/static.mk

# Host unit tests run under ASan and UBSan.
$(B)/tests/test_%: userspace/tests/test_%.c $(LIB_SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(LB_CFLAGS) -o $@ $< $(LIB_SRCS) $(LB_LIBS)

# lbctl's printers, without its main().
LBCTL_PRINT_SRCS := userspace/lbctl/kernel_print.c userspace/lbctl/output.c
UNIT_TESTS += $(B)/tests/test_lbctl_print
$(B)/tests/test_lbctl_print: userspace/tests/test_lbctl_print.c \
		$(LBCTL_PRINT_SRCS) $(LIB_SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(LB_CFLAGS) -Iuserspace/lbctl -o $@ $< \
		$(LBCTL_PRINT_SRCS) $(LIB_SRCS) $(LB_LIBS)

unit-tests: $(UNIT_TESTS)
	@rc=0; for t in $(UNIT_TESTS); do $$t || rc=1; done; exit $$rc

$(B)/kselftest/lib.mk:
	scripts/ksft-extract.sh $(B)/kselftest

# The framework, and the selftests' helpers built here: the VM sees this
# tree read-only and has no compiler.
kselftest: $(B)/kselftest/lib.mk
	$(MAKE) -C selftests

CHECKPATCH_IGNORE := FILE_PATH_CHANGES
style: $(B)/kselftest/lib.mk
	perl $(B)/checkpatch/checkpatch.pl --no-tree --strict --terse -f \
		--ignore $(CHECKPATCH_IGNORE) kmod/*.c kmod/*.h uapi/linux/*.h

# The module for the VM, built in a directory of its own per kernel
# (build/kmod/<KV>/, a copy of the sources) so that the suites of several
# kernels can run at once.
KMOD_SRCS := Kbuild VERSION $(wildcard kmod/*.c kmod/*.h) uapi/linux/lbipam.h
VM_MODDIR = $(B)/kmod/$(KV)
vm-module: $(DEBUG_KERNEL)
	@for f in $(KMOD_SRCS); do \
		cmp -s $$f $(VM_MODDIR)/$$f || install -D -m 0644 $$f $(VM_MODDIR)/$$f; \
	done
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(VM_MODDIR) modules

# The selftests in the qemu VM (the host cannot load modules), on the
# kernel KV (6.1, 6.12, debug); T="dp_maglev.sh e2e_seed.sh" runs only those.
# It fails when a test fails: 6.1's kselftest runner exits 0 whatever its
# tests said, so the TAP is read for a "not ok".
VM_TIMEOUT ?= 4200
vm-test: vm-module userspace kselftest
	@for t in $(T); do \
		[ -f selftests/$$t ] || { echo "vm-test: no selftest selftests/$$t" >&2; exit 2; }; \
	done
	LBIPAM_REQUIRE_MODULE=1 LBIPAM_LBCTL=$(CURDIR)/$(LBCTL) \
		scripts/vm-run.sh --kernel $(KV) --timeout $(VM_TIMEOUT) \
		--module $(CURDIR)/$(VM_MODDIR)/lbipam.ko \
		-- bash -c 'set -o pipefail; \
		make -s -C selftests run_tests $(if $(T),TEST_PROGS="$(T)") | \
		tee /tmp/vm-test.tap && ! grep -q "^not ok" /tmp/vm-test.tap'

check:
	scripts/check.sh

test:
	scripts/test.sh

# Not part of check: ratios against iptables, nftables and IPVS in one VM
# run, and the engine at 100k services; writes bench/RESULTS.md (on
# KV=6.12: bench/<KV>/RESULTS.md).
bench: vm-module userspace kselftest
	LBIPAM_BENCH_KERNEL=$(KV) \
		LBIPAM_BENCH_MODULE=$(CURDIR)/$(VM_MODDIR)/lbipam.ko scripts/bench.sh

# Only issue 11's part (bench/ref-planes.sh): lbipam paired with the least
# nftables DNAT (one map) and with no translation at all, at 1/1k/10k
# services, and the Maglev build time at 1k/16k/65k backends; rewrites that
# section of bench/RESULTS.md. LBIPAM_BENCH_PERF=1 adds perf profiles.
bench-ref: vm-module userspace kselftest
	LBIPAM_BENCH_KERNEL=$(KV) \
		LBIPAM_BENCH_MODULE=$(CURDIR)/$(VM_MODDIR)/lbipam.ko \
		scripts/bench.sh ref

# Only the L2 figures (bench/l2-rate.sh): ARP and NS answers per second,
# module against kernel, and policy apply to first answer through lbipamd.
bench-l2: vm-module userspace
	@mkdir -p build/bench/out
	gcc -O2 -Wall -Wextra -Werror -o build/bench/lb_l2probe \
		selftests/lb_l2probe.c
	scripts/vm-run.sh --kernel $(KV) --timeout 1200 \
		--module $(CURDIR)/$(VM_MODDIR)/lbipam.ko -- \
		$(CURDIR)/bench/l2-rate.sh $(CURDIR)/build/bench/out \
		$(CURDIR)/$(LBCTL) $(CURDIR)/build/bench/lb_l2probe \
		$(CURDIR)/userspace/lbipamd

# Only the one-Service apply latency (issue 10), in the VM.
bench-apply: vm-module userspace
	scripts/vm-run.sh --kernel $(KV) --timeout 3000 \
		--module $(CURDIR)/$(VM_MODDIR)/lbipam.ko -- \
		$(CURDIR)/bench/apply-latency.sh $(CURDIR)/build/bench/apply \
		$(CURDIR)/userspace/lbipamd $(CURDIR)/$(LBCTL)

# Cluster mode on the host (bench/cluster.sh, a real etcd on loopback):
# allocations/s, follower catch-up, apply-to-every-node p50/p99, failover
# at 1k/10k/30k; bench/CLUSTER.md and RESULTS.md's Cluster mode section.
bench-cluster: userspace
	bench/cluster.sh

# BGP through BIRD on the host (bench/bgp.sh; no module on this path): apply
# to route on a router BIRD, p50/p99 over 100 Services, and 10k routes after
# the session comes up; bench/RESULTS.md's BGP section.
bench-bgp: userspace
	bench/bgp.sh $(CURDIR)/build/bench/bgp $(CURDIR)/userspace/lbipamd \
		$(CURDIR)/$(LBCTL)

install: all install-userspace
	install -D -m 0644 lbipam.ko \
		$(DESTDIR)/lib/modules/$(KV)/updates/lbipam.ko
	if [ -z "$(DESTDIR)" ]; then depmod -a $(KV); fi

# The programs, man pages, the systemd unit (ExecStart follows PREFIX),
# lbctl's bash completion and the example bird.conf: what the lbipam
# Debian package holds.
install-userspace: userspace
	install -D -m 0755 $(LBCTL) $(DESTDIR)$(PREFIX)/sbin/lbctl
	install -D -m 0755 userspace/lbipamd $(DESTDIR)$(PREFIX)/sbin/lbipamd
	install -D -m 0644 man/lbctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/lbctl.8
	install -D -m 0644 man/lbipamd.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/lbipamd.8
	install -d $(DESTDIR)/lib/systemd/system
	sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|' systemd/lbipamd.service \
		>$(DESTDIR)/lib/systemd/system/lbipamd.service
	install -D -m 0644 userspace/lbctl/completion.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/lbctl
	install -D -m 0644 examples/bird.conf \
		$(DESTDIR)$(PREFIX)/share/doc/lbipam/examples/bird.conf

# The module's sources as DKMS wants them under /usr/src, and dkms.conf
# with the version filled in.
dkms-install:
	for f in $(KMOD_SRCS); do \
		install -D -m 0644 $$f $(DESTDIR)/usr/src/lbipam-$(VERSION)/$$f; \
	done
	sed 's/@VERSION@/$(VERSION)/' dkms.conf.in \
		>$(DESTDIR)/usr/src/lbipam-$(VERSION)/dkms.conf

# lbipam and lbipam-dkms as Debian packages, in build/deb/ (scripts/deb.sh:
# built with debhelper from a copy of the tree, then checked by lintian).
deb:
	scripts/deb.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f $(LBCTL) userspace/lbipamd
	rm -f selftests/lb_traffic selftests/lb_l2probe selftests/lbipam_uapi.py selftests/lbipam_uapi_check*
	rm -rf $(B)/tests $(B)/check $(B)/daemon $(B)/daemon-tests $(B)/engine $(B)/deb \
		$(B)/kmod
