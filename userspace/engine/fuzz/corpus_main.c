// SPDX-License-Identifier: GPL-2.0
/* Run the fuzz target over corpus files without libFuzzer (gcc, make check). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		size_t n = 0, cap = 0, got;

		if (!f) {
			printf("not ok %d - open %s\n", i, argv[i]);
			return 1;
		}
		do {
			if (n + 4096 > cap) {
				cap = cap ? cap * 2 : 8192;
				buf = realloc(buf, cap);
				if (!buf)
					abort();
			}
			got = fread(buf + n, 1, 4096, f);
			n += got;
		} while (got);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		free(buf);
		printf("ok %d - corpus %s\n", i, argv[i]);
	}
	printf("1..%d\n", argc - 1);
	return 0;
}
