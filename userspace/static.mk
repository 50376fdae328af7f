# SPDX-License-Identifier: GPL-2.0
# lbctl and lbipamd for a machine without our libraries (a kind node): included
# from the top-level Makefile, after daemon.mk.
#
#   make static    build/static/lbctl and build/static/lbipamd
#
# libnl-3, libnl-genl-3, jansson, libyaml, SQLite and libmicrohttpd are
# linked in from Debian's .a files; glibc, libsystemd (which kind's node
# image has, as systemd is its init), GnuTLS (which libmicrohttpd.a
# refers to, and the node image has for apt), and lbipamd's libcurl and
# libcrypto (cluster mode; the image has curl, hence libcurl4 and libssl3)
# stay shared. The selftests' install tree carries
# these two programs.
STATIC_LIBS := -Wl,-Bstatic -lnl-genl-3 -lnl-3 -ljansson -Wl,-Bdynamic \
	-lpthread -lm
STATIC_LBCTL_LIBS := -Wl,-Bstatic -lyaml -Wl,-Bdynamic $(STATIC_LIBS)
STATIC_LBIPAMD_LIBS := -Wl,-Bstatic -lyaml -lsqlite3 -lmicrohttpd -Wl,-Bdynamic \
	-lgnutls -lsystemd -lcurl -lcrypto $(STATIC_LIBS) -ldl

.PHONY: static
static: $(B)/static/lbctl $(B)/static/lbipamd

$(B)/static/lbctl: $(LBCTL_SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LB_CFLAGS) -o $@ $(LBCTL_SRCS) $(STATIC_LBCTL_LIBS)

$(B)/static/lbipamd: $(LBIPAMD_SRCS) $(LIB_SRCS) $(HDRS) $(LBIPAMD_HDRS) \
		$(LBENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LBIPAMD_CFLAGS) -o $@ $(LBIPAMD_SRCS) $(LIB_SRCS) \
		$(LBENGINE_LIB) $(STATIC_LBIPAMD_LIBS)
