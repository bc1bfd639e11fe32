/* SPDX-License-Identifier: MIT */
/*
 * options.c - patchbayd's command line: --help, each option checked with a
 * message naming it, and the paths made absolute (--daemon changes to /).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cmdtab.h"
#include "options.h"

void pbd_options_usage(FILE *f)
{
	char dir[256];

	pbctl_default_run_dir(dir, sizeof(dir));
	fprintf(
	    f,
	    "usage: patchbayd [options]\n"
	    "\n"
	    "The patchbay soft patch panel: vhost-user ports for containers and VMs,\n"
	    "tap, pcap and null ports, patches between them, driven by `patchbay`.\n"
	    "\n"
	    "  -r, --run-dir DIR    control and port sockets (default %s)\n"
	    "  -c, --config FILE    run the patchbay commands in FILE at start\n"
	    "  -w, --workers N      forwarding threads (default: one per CPU)\n"
	    "      --cpus LIST      pin workers to these CPUs, e.g. 0,2-3\n"
	    "      --idle-us N      poll this long with nothing to do, then sleep (default 200)\n"
	    "  -g, --group NAME     group that may use the sockets (mode 0660)\n"
	    "      --http SPEC      serve the REST API and /metrics on unix:PATH or\n"
	    "                       ADDR:PORT ([ADDR6]:PORT); off by default\n"
	    "      --http-token FILE  bearer token every HTTP request must carry\n"
	    "                       (the file: mode 0600); required for ADDR:PORT\n"
	    "  -d, --daemon         detach (logs go to syslog)\n"
	    "  -p, --pidfile FILE   write the daemon's pid here\n"
	    "      --syslog         log to syslog instead of stderr\n"
	    "  -v, --verbose        debug messages\n"
	    "  -q, --quiet          warnings and errors only\n"
	    "  -V, --version        print the version\n"
	    "  -h, --help           this text\n",
	    dir);
}

static int parse_cpus(const char *s, struct options *o)
{
	char *end;

	o->ncpus = 0;
	while (*s) {
		long a = strtol(s, &end, 10), b = a;
		if (end == s || a < 0 || a > 4095)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b > 4095)
				return -1;
		}
		for (long c = a; c <= b; c++) {
			if (o->ncpus == sizeof(o->cpus) / sizeof(o->cpus[0]))
				return -1;
			o->cpus[o->ncpus++] = (int)c;
		}
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return o->ncpus ? 0 : -1;
}

/* One option @c with its @arg: 0 taken, 2 a usage error (printed). */
static int parse_option(int c, char *arg, struct options *o)
{
	char *end;

	switch (c) {
	case 'r':
		if (strlen(arg) >= sizeof(o->run_dir) - 32) {
			fprintf(stderr, "patchbayd: --run-dir: path too long\n");
			return 2;
		}
		snprintf(o->run_dir, sizeof(o->run_dir), "%s", arg);
		return 0;
	case 'c':
		o->config = arg;
		return 0;
	case 'w': {
		long n = strtol(arg, &end, 10);
		if (*end || n < 1 || n > 64) {
			fprintf(stderr, "patchbayd: --workers %s: expected 1..64\n", arg);
			return 2;
		}
		o->workers = (unsigned)n;
		return 0;
	}
	case 'C':
		if (parse_cpus(arg, o) < 0) {
			fprintf(stderr, "patchbayd: --cpus %s: expected a list like 0,2-3\n", arg);
			return 2;
		}
		return 0;
	case 'I': {
		long n = strtol(arg, &end, 10);
		if (*end || n < 0 || n > 10000000) {
			fprintf(stderr, "patchbayd: --idle-us %s: expected 0..10000000\n", arg);
			return 2;
		}
		o->idle_us = (uint64_t)n;
		return 0;
	}
	case 'g':
		o->group = arg;
		return 0;
	case 'H':
		o->http = arg;
		return 0;
	case 'T':
		o->http_token = arg;
		return 0;
	case 'd':
		o->daemon = true;
		o->syslog = true;
		return 0;
	case 'p':
		o->pidfile = arg;
		return 0;
	case 'S':
		o->syslog = true;
		return 0;
	case 'v':
		o->level = PB_LOG_DEBUG;
		return 0;
	case 'q':
		o->level = PB_LOG_WARN;
		return 0;
	case 'V':
		printf("patchbayd %s (control protocol %d)\n", pb_version(), PBCTL_PROTOCOL);
		exit(0);
	case 'h':
		pbd_options_usage(stdout);
		exit(0);
	default:
		pbd_options_usage(stderr);
		return 2;
	}
}

int pbd_options_parse(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
	    {"run-dir", required_argument, NULL, 'r'},
	    {"config", required_argument, NULL, 'c'},
	    {"workers", required_argument, NULL, 'w'},
	    {"cpus", required_argument, NULL, 'C'},
	    {"idle-us", required_argument, NULL, 'I'},
	    {"group", required_argument, NULL, 'g'},
	    {"daemon", no_argument, NULL, 'd'},
	    {"pidfile", required_argument, NULL, 'p'},
	    {"syslog", no_argument, NULL, 'S'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {"http", required_argument, NULL, 'H'},
	    {"http-token", required_argument, NULL, 'T'},
	    {NULL, 0, NULL, 0},
	};
	int c, r;

	pbctl_default_run_dir(o->run_dir, sizeof(o->run_dir));
	o->level = PB_LOG_INFO;
	o->idle_us = 200;
	while ((c = getopt_long(argc, argv, "r:c:w:g:dp:vqVh", longs, NULL)) != -1)
		if ((r = parse_option(c, optarg, o)) != 0)
			return r;
	if (o->http_token && !o->http) {
		fprintf(stderr, "patchbayd: --http-token needs --http\n");
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "patchbayd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o->workers) {
		long n = o->ncpus ? (long)o->ncpus : sysconf(_SC_NPROCESSORS_ONLN);
		o->workers = n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
	}
	return 0;
}

/* Paths given relative to where patchbayd was started stay right after
 * --daemon changes to /. */
static const char *absolute(const char *path, char *buf, size_t len)
{
	char cwd[512];

	if (!path || path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return path;
	int n = snprintf(buf, len, "%s/%s", cwd, path);
	return n > 0 && (size_t)n < len ? buf : path;
}

int pbd_options_resolve(struct options *o)
{
	static char abs_run[512], abs_config[512], abs_pid[512], abs_http[520], abs_token[512];
	const char *run = absolute(o->run_dir, abs_run, sizeof(abs_run));

	if (strlen(run) >= sizeof(o->run_dir) - 32) {
		fprintf(stderr, "patchbayd: run directory %s: path too long\n", run);
		return 2;
	}
	memmove(o->run_dir, run, strlen(run) + 1);
	o->config = absolute(o->config, abs_config, sizeof(abs_config));
	o->pidfile = absolute(o->pidfile, abs_pid, sizeof(abs_pid));
	o->http_token = absolute(o->http_token, abs_token, sizeof(abs_token));
	if (o->http && !strncmp(o->http, "unix:", 5) && o->http[5] && o->http[5] != '/') {
		char rel[512];
		if (absolute(o->http + 5, rel, sizeof(rel)) == rel) {
			snprintf(abs_http, sizeof(abs_http), "unix:%s", rel);
			o->http = abs_http;
		}
	}
	return 0;
}
