/* SPDX-License-Identifier: MIT */
/*
 * check.h - CHECK(cond) for the fuzz harnesses: a property the code under
 * test must keep, whatever the input. Not assert(): it must hold whatever
 * NDEBUG says, and a failure aborts, which libFuzzer reports as a crash
 * with the input that caused it.
 */
#ifndef PB_FUZZ_CHECK_H
#define PB_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
