/* SPDX-License-Identifier: MIT */
/*
 * options.h - patchbayd's command line (options.c).
 */
#ifndef PBD_OPTIONS_H
#define PBD_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <patchbay/patchbay.h>

struct options {
	char run_dir[256];
	const char *config;
	const char *pidfile;
	const char *group;
	const char *http;	/* --http SPEC */
	const char *http_token; /* --http-token FILE */
	unsigned workers;
	int cpus[256];
	unsigned ncpus;
	bool daemon;
	bool syslog;
	enum pb_log_level level;
	uint64_t idle_us;
};

void pbd_options_usage(FILE *f);
/* Parse argv into @o (defaults applied): 0, or an exit status (2: a usage
 * error, printed). --help and --version print and exit. */
int pbd_options_parse(int argc, char **argv, struct options *o);
/* Make the paths in @o absolute: 0, or 2 (printed). */
int pbd_options_resolve(struct options *o);

#endif /* PBD_OPTIONS_H */
