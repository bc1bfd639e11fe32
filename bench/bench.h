/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what the benchmark's helper programs (copy_limit, idle_ports,
 * tester, udp_pingpong) share: the clock they time with, pinning to a CPU, a
 * stop flag raised by SIGINT/SIGTERM, and the sort order of their samples.
 *
 * Header-only, every function static inline: each program is a single .c
 * file that meson (and bench/run.sh's fallback cc line) builds on its own,
 * and these are too small to be worth a library to link.
 */
#ifndef PB_BENCH_H
#define PB_BENCH_H

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns: every rate and round trip of the benchmark. */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Pin the calling thread (and whatever it forks afterwards) to @cpu; a
 * negative @cpu leaves it where the scheduler puts it. Returns 0, or -1
 * after saying on stderr, as @prog, why the CPU was refused (it may be
 * offline or outside the cpuset the bench was started in).
 */
static inline int bench_pin(const char *prog, int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "%s: cannot pin to CPU %d: %s\n", prog, cpu, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The stop flag. It lives in a function so that a program that never asks
 * for it carries no unused static object; each program is one translation
 * unit, so there is exactly one flag per process.
 */
static inline volatile sig_atomic_t *bench_stop_flag(void)
{
	static volatile sig_atomic_t stop;

	return &stop;
}

/* True once SIGINT or SIGTERM arrived (after bench_catch_stop()). */
static inline bool bench_stopped(void)
{
	return *bench_stop_flag() != 0;
}

/* Only raises the flag: the loops poll it, so no work is cut mid-frame. */
static inline void bench_on_stop(int sig)
{
	(void)sig;
	*bench_stop_flag() = 1;
}

/*
 * SIGINT and SIGTERM raise the stop flag instead of killing the process, so
 * that it still prints its JSON summary: bench/run.sh stops the endless ends
 * (servers, idle ports) with SIGTERM and reads what they say.
 */
static inline void bench_catch_stop(void)
{
	struct sigaction act = {.sa_handler = bench_on_stop};

	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
}

/* qsort() order of uint64_t samples (ns), for medians and percentiles. */
static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The options of a program as a table, read by one getopt_long() loop
 * instead of a switch per program. Each entry is a long name (or NULL), a
 * short letter (or 0), how its argument is read and where it goes:
 *
 *   BENCH_UINT    unsigned, strtoul() of any base     BENCH_INT   int, atoi()
 *   BENCH_ULONG   unsigned long, the same             BENCH_FLAG  bool, set
 *   BENCH_DOUBLE  double, strtod()                    BENCH_STR   const char *
 *
 * The table ends with an entry whose kind is BENCH_END. Values are stored as
 * read: the program checks their ranges itself afterwards.
 */
enum bench_opt_kind {
	BENCH_END,
	BENCH_UINT,
	BENCH_ULONG,
	BENCH_INT,
	BENCH_DOUBLE,
	BENCH_FLAG,
	BENCH_STR
};

struct bench_opt {
	const char *name;
	int letter;
	enum bench_opt_kind kind;
	void *val;
};

#define BENCH_MAX_OPTS 32

/*
 * Parse argv by @opts, and -h/--help. Returns 0 (optind is at the first
 * operand), 1 for -h or --help, or -1 after getopt's message for an unknown
 * option or a missing argument (the caller prints its usage either way).
 */
static inline int bench_getopt(int argc, char **argv, const struct bench_opt *opts)
{
	struct option lo[BENCH_MAX_OPTS + 2];
	char letters[2 * BENCH_MAX_OPTS + 2], *l = letters;
	unsigned n, k = 0;
	int c;

	for (n = 0; opts[n].kind != BENCH_END && n < BENCH_MAX_OPTS; n++) {
		int has_arg = opts[n].kind == BENCH_FLAG ? no_argument : required_argument;

		/* A long-only option returns 256 + its index: never a letter. */
		if (opts[n].name)
			lo[k++] = (struct option){opts[n].name, has_arg, NULL,
						  opts[n].letter ? opts[n].letter : 256 + (int)n};
		if (opts[n].letter) {
			*l++ = (char)opts[n].letter;
			if (has_arg == required_argument)
				*l++ = ':';
		}
	}
	lo[k++] = (struct option){"help", no_argument, NULL, 'h'};
	lo[k] = (struct option){NULL, 0, NULL, 0};
	*l++ = 'h';
	*l = '\0';
	while ((c = getopt_long(argc, argv, letters, lo, NULL)) != -1) {
		const struct bench_opt *o = NULL;

		if (c == 'h')
			return 1;
		for (unsigned i = 0; i < n && !o; i++) {
			if (c == (opts[i].letter ? opts[i].letter : 256 + (int)i))
				o = &opts[i];
		}
		if (!o)
			return -1; /* '?': getopt said why */
		switch (o->kind) {
		case BENCH_UINT:
			*(unsigned *)o->val = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case BENCH_ULONG:
			*(unsigned long *)o->val = strtoul(optarg, NULL, 0);
			break;
		case BENCH_INT:
			*(int *)o->val = atoi(optarg);
			break;
		case BENCH_DOUBLE:
			*(double *)o->val = strtod(optarg, NULL);
			break;
		case BENCH_FLAG:
			*(bool *)o->val = true;
			break;
		case BENCH_STR:
			*(const char **)o->val = optarg;
			break;
		case BENCH_END:
			break;
		}
	}
	return 0;
}

#endif /* PB_BENCH_H */
