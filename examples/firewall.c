/* SPDX-License-Identifier: MIT */
/*
 * firewall.c - a two-port IPv4 5-tuple firewall on libpatchbay: frames pass
 * from one port to the other unless the rule file (fw_rules.h) denies them.
 *
 *   example_firewall --rules FILE SPEC0 SPEC1
 *   example_firewall --rules FILE --check     only parse the file
 *   pbrun --port vhost --port vhost -v /etc/fw.rules:/fw.rules -- \
 *       example_firewall --rules /fw.rules virtio:{port0} virtio:{port1}
 *
 * The rules apply to both directions. A rule file with an error is refused
 * with its line number before any port is opened. On exit (Ctrl-C,
 * SIGTERM) it prints what it passed and dropped, and each rule's hits.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_rules.h"
#include "fwd.h"

#define MAX_RULES_FILE (1 << 20)

static volatile int stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned filter(void *ctx, int in, struct pb_frame *f, unsigned n)
{
	unsigned kept = 0;

	(void)in;
	for (unsigned i = 0; i < n; i++)
		if (fw_rules_allow(ctx, f[i].data, f[i].len))
			f[kept++] = f[i];
	return kept;
}

static struct fw_rules *load(const char *path)
{
	static char text[MAX_RULES_FILE + 1];
	struct fw_rules *rs = calloc(1, sizeof(*rs));
	FILE *f = fopen(path, "r");
	char err[256];
	size_t n;

	if (!f || !rs) {
		fprintf(stderr, "firewall: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (n > MAX_RULES_FILE) {
		fprintf(stderr, "firewall: %s: larger than 1 MiB\n", path);
		return NULL;
	}
	if (fw_rules_parse(rs, text, n, err, sizeof(err)) < 0) {
		fprintf(stderr, "firewall: %s: %s\n", path, err);
		return NULL;
	}
	return rs;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s --rules FILE SPEC0 SPEC1\n       %s --rules FILE --check\n",
		argv0, argv0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"rules", required_argument, NULL, 'r'},
					     {"check", no_argument, NULL, 'c'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll() returns */
	const char *rules_path = NULL;
	bool check = false;
	struct fw_rules *rs;
	struct fwd fw = {.hook = filter};
	char err[128];
	int c;

	while ((c = getopt_long(argc, argv, "r:ch", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rules_path = optarg;
			break;
		case 'c':
			check = true;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (!rules_path || (check ? argc != optind : argc - optind != 2)) {
		usage(argv[0]);
		return 2;
	}
	if (!(rs = load(rules_path)))
		return 1;
	if (check) {
		printf("firewall: %s: %u rules, default %s\n", rules_path, rs->n,
		       rs->default_allow ? "allow" : "deny");
		return 0;
	}
	fw.ctx = rs;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int i = 0; i < 2; i++) {
		fw.port[i] = pb_port_open(argv[optind + i]);
		if (!fw.port[i]) {
			fprintf(stderr, "firewall: cannot open %s: %s\n", argv[optind + i],
				pb_strerror(errno, err, sizeof(err)));
			return 1;
		}
	}
	printf("firewall: %u rules from %s, default %s\n", rs->n, rules_path,
	       rs->default_allow ? "allow" : "deny");
	fflush(stdout);
	fwd_run(&fw, &stop);
	for (int i = 0; i < 2; i++)
		printf("firewall: port%d -> port%d: %llu passed, %llu denied, %llu dropped\n", i,
		       1 - i, (unsigned long long)fw.stats[i].forwarded,
		       (unsigned long long)fw.stats[i].filtered,
		       (unsigned long long)fw.stats[i].dropped);
	for (unsigned i = 0; i < rs->n; i++)
		printf("firewall: rule at line %u (%s): %llu hits\n", rs->rule[i].line,
		       rs->rule[i].allow ? "allow" : "deny", (unsigned long long)rs->rule[i].hits);
	pb_port_close(fw.port[0]);
	pb_port_close(fw.port[1]);
	free(rs);
	return 0;
}
