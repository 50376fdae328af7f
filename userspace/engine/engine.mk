# SPDX-License-Identifier: GPL-2.0
# lbengine: included from the top-level Makefile, which defines B, CC,
# CFLAGS and SAN. Paths are relative to the top; outputs go to $(B)/engine.
#
#   make engine              $(B)/engine/liblbengine.a
#   make engine-check        ASan/UBSan test programs (TAP), fuzz corpus replay
#   make engine-fuzz         libFuzzer run of the YAML loader (clang)
#   make engine-bench        100k-service allocation and restart timing
#   make engine-ldlibs       the link flags a user of the library needs

LBENGINE_DIR := userspace/engine
LBENGINE_B := $(B)/engine
LBENGINE_PKGS := yaml-0.1 sqlite3
LBENGINE_PKG_LIBS := $(shell pkg-config --libs $(LBENGINE_PKGS))
LBENGINE_WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
LBENGINE_CFLAGS := -std=gnu11 $(LBENGINE_WARN) -D_GNU_SOURCE -Iuapi \
	-I$(LBENGINE_DIR) $(shell pkg-config --cflags $(LBENGINE_PKGS))

# The engine's own files, then the parts of lib/ it uses; the library
# carries both so that it links on its own.
LBENGINE_SRCS := $(addprefix $(LBENGINE_DIR)/, util.c addr.c selector.c \
	pool.c service.c sharing.c holding.c conflict.c alloc.c satisfy.c yaml_node.c \
	selector_parse.c \
	yaml_load.c yaml_pool.c yaml_service.c yaml_eps.c store_sqlite.c persist.c \
	engine.c query.c log.c endpoints.c kview.c yaml_json.c apply.c counts.c \
	yaml_selector.c yaml_l2.c l2policy.c l2announce.c nodeipam.c \
	yaml_bgp.c bgpobj.c bgp.c \
	status.c events.c) \
	userspace/lib/lb_names.c userspace/lib/lb_addr.c userspace/lib/lb_mem.c
LBENGINE_HDRS := $(wildcard $(LBENGINE_DIR)/*.h) userspace/lib/lb_names.h \
	userspace/lib/lb_addr.h userspace/lib/lb_mem.h
LBENGINE_OBJS := $(LBENGINE_SRCS:userspace/%.c=$(LBENGINE_B)/obj/%.o)
LBENGINE_SAN_OBJS := $(LBENGINE_SRCS:userspace/%.c=$(LBENGINE_B)/san/%.o)
LBENGINE_LIB := $(LBENGINE_B)/liblbengine.a
LBENGINE_SAN_LIB := $(LBENGINE_B)/liblbengine-san.a

LBENGINE_TESTS := $(patsubst $(LBENGINE_DIR)/tests/%.c,%,\
	$(wildcard $(LBENGINE_DIR)/tests/test_*.c))
LBENGINE_TEST_BINS := $(LBENGINE_TESTS:%=$(LBENGINE_B)/tests/%)
LBENGINE_TEST_COMMON := $(LBENGINE_DIR)/tests/helpers.c
LBENGINE_TEST_HDRS := $(wildcard $(LBENGINE_DIR)/tests/*.h)

.PHONY: engine engine-check engine-fuzz engine-bench engine-ldlibs

engine: $(LBENGINE_LIB)

$(LBENGINE_B)/obj/%.o: userspace/%.c $(LBENGINE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LBENGINE_CFLAGS) -c -o $@ $<

$(LBENGINE_B)/san/%.o: userspace/%.c $(LBENGINE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LBENGINE_CFLAGS) $(SAN) -O1 -c -o $@ $<

$(LBENGINE_LIB): $(LBENGINE_OBJS)
	$(AR) rcs $@ $^

$(LBENGINE_SAN_LIB): $(LBENGINE_SAN_OBJS)
	$(AR) rcs $@ $^

$(LBENGINE_B)/tests/%: $(LBENGINE_DIR)/tests/%.c $(LBENGINE_TEST_COMMON) \
		$(LBENGINE_TEST_HDRS) $(LBENGINE_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LBENGINE_CFLAGS) $(SAN) -O1 -o $@ $< \
		$(LBENGINE_TEST_COMMON) $(LBENGINE_SAN_LIB) $(LBENGINE_PKG_LIBS)

$(LBENGINE_B)/tests/fuzz_corpus: $(LBENGINE_DIR)/fuzz/fuzz_yaml.c \
		$(LBENGINE_DIR)/fuzz/corpus_main.c $(LBENGINE_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LBENGINE_CFLAGS) $(SAN) -O1 -o $@ \
		$(LBENGINE_DIR)/fuzz/fuzz_yaml.c $(LBENGINE_DIR)/fuzz/corpus_main.c \
		$(LBENGINE_SAN_LIB) $(LBENGINE_PKG_LIBS)

engine-check: $(LBENGINE_TEST_BINS) $(LBENGINE_B)/tests/fuzz_corpus
	@fail=0; \
	for t in $(LBENGINE_TEST_BINS); do \
		echo "# $$t"; \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
			$$t || fail=1; \
	done; \
	echo "# fuzz corpus"; \
	$(LBENGINE_B)/tests/fuzz_corpus $(LBENGINE_DIR)/fuzz/corpus/* || fail=1; \
	if [ $$fail -ne 0 ]; then echo "# FAILED"; exit 1; fi; \
	echo "# all tests passed"

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60

$(LBENGINE_B)/fuzz/fuzz_yaml: $(LBENGINE_DIR)/fuzz/fuzz_yaml.c \
		$(LBENGINE_SRCS) $(LBENGINE_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 $(LBENGINE_CFLAGS) -Wno-error \
		-fsanitize=fuzzer,address,undefined -o $@ \
		$(LBENGINE_DIR)/fuzz/fuzz_yaml.c $(LBENGINE_SRCS) \
		$(LBENGINE_PKG_LIBS)

engine-fuzz: $(LBENGINE_B)/fuzz/fuzz_yaml
	@command -v $(FUZZ_CC) >/dev/null || \
		{ echo "fuzz needs clang with libFuzzer" >&2; exit 1; }
	@mkdir -p $(LBENGINE_B)/fuzz/corpus
	$(LBENGINE_B)/fuzz/fuzz_yaml -max_total_time=$(FUZZ_SECONDS) \
		-max_len=8192 -artifact_prefix=$(LBENGINE_B)/fuzz/ \
		$(LBENGINE_B)/fuzz/corpus $(LBENGINE_DIR)/fuzz/corpus

$(LBENGINE_B)/bench: $(LBENGINE_DIR)/tests/bench.c $(LBENGINE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LBENGINE_CFLAGS) -o $@ $< $(LBENGINE_LIB) \
		$(LBENGINE_PKG_LIBS)

engine-bench: $(LBENGINE_B)/bench
	$(LBENGINE_B)/bench

engine-ldlibs:
	@echo $(LBENGINE_PKG_LIBS)
