/* SPDX-License-Identifier: MIT */
/*
 * l2fwd.c - forward every frame from one port to the other, both ways: the
 * middle box of a service chain, on libpatchbay alone.
 *
 *   example_l2fwd [--dst-mac0 MAC] [--dst-mac1 MAC] SPEC0 SPEC1
 *   pbrun --port vhost --port vhost -- example_l2fwd virtio:{port0} virtio:{port1}
 *
 * --dst-macN rewrites the frames leaving by port N: that destination MAC,
 * and port N's own MAC as the source (as DPDK's l2fwd does). Frames are
 * held while the far side is full (backpressure) and dropped only after
 * 100 ms. It sleeps when idle. Ctrl-C or SIGTERM prints the counts.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fwd.h"

struct rewrite {
	bool on[2]; /* by output port */
	uint8_t dst[2][6];
	struct pb_port *port[2];
};

static volatile int stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Frames leaving by port @out get its MAC as the source (read once per
 * burst: it is the device's, and may change when the peer reconnects). */
static unsigned rewrite_macs(void *ctx, int in, struct pb_frame *f, unsigned n)
{
	struct rewrite *rw = ctx;
	int out = 1 - in;
	struct pb_port_info info;

	if (!rw->on[out])
		return n;
	pb_port_get_info(rw->port[out], &info);
	for (unsigned i = 0; i < n; i++) {
		if (f[i].len < 14)
			continue;
		memcpy(f[i].data, rw->dst[out], 6);
		memcpy((uint8_t *)f[i].data + 6, info.mac, 6);
	}
	return n;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--dst-mac0 MAC] [--dst-mac1 MAC] SPEC0 SPEC1\n", argv0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"dst-mac0", required_argument, NULL, '0'},
					     {"dst-mac1", required_argument, NULL, '1'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll() returns */
	struct rewrite rw = {0};
	struct fwd fw = {.hook = rewrite_macs, .ctx = &rw};
	char err[128];
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int port = c - '0';

		if (c == 'h') {
			usage(argv[0]);
			return 0;
		}
		if ((c != '0' && c != '1') || fwd_parse_mac(optarg, rw.dst[port]) < 0) {
			if (c == '0' || c == '1')
				fprintf(stderr,
					"l2fwd: --dst-mac%d %s: expected xx:xx:xx:xx:xx:xx\n", port,
					optarg);
			usage(argv[0]);
			return 2;
		}
		rw.on[port] = fw.copy = true;
	}
	if (argc - optind != 2) {
		usage(argv[0]);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int i = 0; i < 2; i++) {
		fw.port[i] = rw.port[i] = pb_port_open(argv[optind + i]);
		if (!fw.port[i]) {
			fprintf(stderr, "l2fwd: cannot open %s: %s\n", argv[optind + i],
				pb_strerror(errno, err, sizeof(err)));
			return 1;
		}
	}
	printf("l2fwd: forwarding %s <-> %s\n", argv[optind], argv[optind + 1]);
	fflush(stdout);
	fwd_run(&fw, &stop);
	for (int i = 0; i < 2; i++)
		printf("l2fwd: port%d -> port%d: %llu frames forwarded, %llu dropped\n", i, 1 - i,
		       (unsigned long long)fw.stats[i].forwarded,
		       (unsigned long long)fw.stats[i].dropped);
	pb_port_close(fw.port[0]);
	pb_port_close(fw.port[1]);
	return 0;
}
