// SPDX-License-Identifier: GPL-2.0
/*
 * lbipamd: the LB-IPAM allocator daemon. Its allocation engine lives in
 * userspace/engine; this entry point only identifies itself until the
 * daemon issue wires the engine to the kernel.
 */

#include <stdio.h>
#include <string.h>

#ifndef LBIPAM_VERSION
#define LBIPAM_VERSION "unknown"
#endif

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--version") ||
			  !strcmp(argv[1], "-V"))) {
		printf("lbipamd %s\n", LBIPAM_VERSION);
		return 0;
	}
	fprintf(stderr, "lbipamd %s: the daemon is not implemented yet; only --version works\n",
		LBIPAM_VERSION);
	return 1;
}
