# SPDX-License-Identifier: GPL-2.0
# lbipamd: included from the top-level Makefile, which defines LB_CFLAGS,
# LB_LIBS, LIB_SRCS, SAN, CC and CFLAGS, and includes engine.mk first.
# Paths are relative to the top.
#
#   make userspace/lbipamd   the daemon
#   make daemon-check        host tests (ASan/UBSan, TAP)

LBIPAMD_DIR := userspace/daemon
LBIPAMD_SRCS := $(LBIPAMD_DIR)/main.c $(LBIPAMD_DIR)/log.c \
	$(LBIPAMD_DIR)/server.c $(LBIPAMD_DIR)/api.c \
	$(LBIPAMD_DIR)/views.c $(LBIPAMD_DIR)/kset.c \
	$(LBIPAMD_DIR)/kernel.c $(LBIPAMD_DIR)/desired.c $(LBIPAMD_DIR)/l2.c $(LBIPAMD_DIR)/l2want.c \
	$(LBIPAMD_DIR)/links.c $(LBIPAMD_DIR)/config.c \
	$(LBIPAMD_DIR)/config_set.c $(LBIPAMD_DIR)/config_file.c \
	$(LBIPAMD_DIR)/metrics.c $(LBIPAMD_DIR)/promtext.c \
	$(LBIPAMD_DIR)/httpd.c $(LBIPAMD_DIR)/cluster.c \
	$(LBIPAMD_DIR)/cluster_leader.c $(LBIPAMD_DIR)/cluster_watch.c \
	$(LBIPAMD_DIR)/cluster_forward.c $(LBIPAMD_DIR)/cluster_announce.c \
	userspace/engine/etcd.c userspace/engine/store_etcd.c \
	userspace/engine/store_etcd_snap.c userspace/engine/store_etcd_cache.c \
	userspace/engine/store_etcd_journal.c
LBIPAMD_SRCS += $(LBIPAMD_DIR)/events.c
LBIPAMD_SRCS += $(LBIPAMD_DIR)/bgp.c $(LBIPAMD_DIR)/bgp_render.c \
	$(LBIPAMD_DIR)/bgp_view.c $(LBIPAMD_DIR)/bird.c
# Everything but main.c, for the tests.
LBIPAMD_LIB_SRCS := $(filter-out $(LBIPAMD_DIR)/main.c,$(LBIPAMD_SRCS))
LBIPAMD_HDRS := $(wildcard $(LBIPAMD_DIR)/*.h) \
	userspace/engine/lb_engine.h userspace/engine/lb_bgp.h \
	userspace/engine/store_etcd.h

LBIPAMD_PKGS := libnl-genl-3.0 jansson yaml-0.1 sqlite3 libsystemd \
	libmicrohttpd libcurl libcrypto
LBIPAMD_CFLAGS := $(LB_CFLAGS) $(shell pkg-config --cflags $(LBIPAMD_PKGS))
LBIPAMD_LIBS := $(shell pkg-config --libs $(LBIPAMD_PKGS)) $(LB_LIBS) -lm \
	-lpthread

# LBENGINE_LIB and LBENGINE_SAN_LIB come from userspace/engine/engine.mk.
.PHONY: daemon-check cluster-check

userspace/lbipamd: $(LBIPAMD_SRCS) $(LIB_SRCS) $(HDRS) $(LBIPAMD_HDRS) \
		$(LBENGINE_LIB)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LBIPAMD_CFLAGS) $(LDFLAGS) -o $@ \
		$(LBIPAMD_SRCS) $(LIB_SRCS) $(LBENGINE_LIB) $(LBIPAMD_LIBS)

# Host tests: the daemon's parts under ASan/UBSan, plus the daemon itself
# driven over its socket (cli.sh), its configuration (config.sh), its
# /metrics scraped by promtool and a prometheus server (metrics.sh) and
# BGP through a node and a router BIRD on loopback (bgp.sh, test_bird);
# the kernel part is checked in the VM selftests.
LBIPAMD_TESTS := $(patsubst $(LBIPAMD_DIR)/tests/%.c,%,\
	$(wildcard $(LBIPAMD_DIR)/tests/test_*.c))
LBIPAMD_TEST_BINS := $(LBIPAMD_TESTS:%=$(B)/daemon-tests/%)
# lbctl with the daemon verbs, for tests/cli.sh.
LBIPAMD_TEST_LBCTL ?= $(LBCTL)

$(B)/daemon-tests/%: $(LBIPAMD_DIR)/tests/%.c $(LBIPAMD_LIB_SRCS) \
		$(LIB_SRCS) $(HDRS) $(LBIPAMD_HDRS) $(LBENGINE_SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(LBIPAMD_CFLAGS) -o $@ $< $(LBIPAMD_LIB_SRCS) \
		$(LIB_SRCS) $(LBENGINE_SAN_LIB) $(LBIPAMD_LIBS)

# The socket-level test runs the real binaries (built with sanitizers
# into $(B)/daemon-tests so the installed ones are not replaced).
$(B)/daemon-tests/lbipamd: $(LBIPAMD_SRCS) $(LIB_SRCS) $(HDRS) \
		$(LBIPAMD_HDRS) $(LBENGINE_SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(LBIPAMD_CFLAGS) -o $@ $(LBIPAMD_SRCS) \
		$(LIB_SRCS) $(LBENGINE_SAN_LIB) $(LBIPAMD_LIBS)

daemon-check: $(LBIPAMD_TEST_BINS) $(B)/daemon-tests/lbipamd $(LBCTL)
	@rc=0; for t in $(LBIPAMD_TEST_BINS); do \
		ASAN_OPTIONS=detect_leaks=1 $$t || rc=1; done; \
	for s in cli.sh config.sh metrics.sh bgp.sh; do \
		LBIPAMD=$(B)/daemon-tests/lbipamd \
		LBCTL=$(LBIPAMD_TEST_LBCTL) $(LBIPAMD_DIR)/tests/$$s || rc=1; \
	done; \
	exit $$rc

# Cluster mode against a real etcd the test starts on loopback (1 and 3
# members), several sanitized daemons on the host; then large commits
# through the journal, and a leader killed in the middle of one.
cluster-check: $(B)/daemon-tests/lbipamd $(LBCTL)
	@rc=0; for s in cluster.sh cluster_journal.sh; do \
		LBIPAMD=$(B)/daemon-tests/lbipamd \
		LBCTL=$(LBIPAMD_TEST_LBCTL) $(LBIPAMD_DIR)/tests/$$s || rc=1; \
	done; \
	exit $$rc
