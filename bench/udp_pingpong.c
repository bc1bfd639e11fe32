/* SPDX-License-Identifier: MIT */
/*
 * udp_pingpong.c - the kernel's round trip, the reference for pbgen ping.
 *
 * bench/run.sh runs the two ends in two network namespaces joined by a veth
 * pair (addresses from TEST-NET-1, 192.0.2.0/24, that exist only inside
 * those namespaces), one end per CPU:
 *
 *   udp_pingpong server -a 192.0.2.1 [-p PORT] [--busy] [--cpu N] [-d SECS]
 *       echo every datagram back to its sender, until SIGTERM or SECS
 *   udp_pingpong client -a 192.0.2.1 [-p PORT] [-n COUNT] [-s FRAME] [-r RATE]
 *                       [--busy] [--cpu N] [--warmup N]
 *       send one datagram at a time, wait for its echo, time the round trip;
 *       with -r, start one round trip every 1/RATE s (like pbgen ping -r)
 *
 * -s is the Ethernet frame size the datagram makes on the veth (14 + 20 + 8
 * header bytes + payload), so "-s 64" compares with pbgen's 64-byte frames.
 * --busy spins on non-blocking recv() (the kernel's busy-polling
 * counterpart of pbgen --busy-poll); without it both ends block in recv(),
 * the kernel's ordinary (and adaptive pbgen's) case.
 *
 * The client prints one JSON line shaped like pbgen ping's summary:
 *   {"mode":"udp_ping",...,"rtt_us":{"n":..,"min":..,"median":..,"p99":..,"max":..,"mean":..}}
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define UP_HDRS	    42u /* Ethernet 14 + IPv4 20 + UDP 8 */
#define UP_MIN_SIZE (UP_HDRS + 16u)
#define UP_MAX_SIZE 1514u
#define UP_TIMEOUT  1000000000ull /* a reply later than 1 s is lost */

struct up_opts {
	bool server, busy;
	const char *addr;
	unsigned port, size;
	unsigned long count, warmup;
	double secs, rate;
	int cpu;
};

/*
 * Receive one datagram into @buf: spinning on MSG_DONTWAIT when @busy, else
 * blocking (with the socket's 100 ms SO_RCVTIMEO, so signals and deadlines
 * are noticed). Returns its length, 0 on a timeout/signal, -1 on an error.
 */
static ssize_t up_recv(int fd, void *buf, size_t len, struct sockaddr_in *from, bool busy)
{
	socklen_t fl = sizeof(*from);
	ssize_t n;

	n = recvfrom(fd, buf, len, busy ? MSG_DONTWAIT : 0, (struct sockaddr *)from,
		     from ? &fl : NULL);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return -1;
}

static int run_server(int fd, const struct up_opts *o)
{
	uint8_t buf[2048];
	uint64_t end = o->secs > 0 ? bench_now_ns() + (uint64_t)(o->secs * 1e9) : UINT64_MAX;
	unsigned long echoed = 0;
	unsigned polls = 0;

	while (!bench_stopped()) {
		struct sockaddr_in from;
		ssize_t n = up_recv(fd, buf, sizeof(buf), &from, o->busy);

		if (n < 0) {
			perror("udp_pingpong: recv");
			return 1;
		}
		if (n > 0) {
			if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, sizeof(from)) <
			    0) {
				perror("udp_pingpong: send");
				return 1;
			}
			echoed++;
		}
		if ((n == 0 || !(++polls & 1023)) && bench_now_ns() >= end)
			break;
	}
	fprintf(stderr, "udp_pingpong: server echoed %lu datagrams\n", echoed);
	return 0;
}

/* Nearest-rank percentile of sorted samples, in µs (as pbgen computes it). */
static double pct_us(const uint64_t *v, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100;

	return (double)v[rank ? rank - 1 : 0] / 1e3;
}

/* One round trip; its time in ns, or 0 when the reply never came. */
static uint64_t ping_once(int fd, uint8_t *buf, size_t len, uint64_t seq, bool busy)
{
	uint8_t in[2048];
	uint64_t t0 = bench_now_ns(), t;

	memcpy(buf, &seq, sizeof(seq));
	memcpy(buf + 8, &t0, sizeof(t0));
	if (send(fd, buf, len, 0) < 0) {
		perror("udp_pingpong: send");
		return 0;
	}
	for (;;) {
		ssize_t n = up_recv(fd, in, sizeof(in), NULL, busy);
		uint64_t got;

		t = bench_now_ns();
		if (n >= 16) {
			memcpy(&got, in, sizeof(got));
			if (got == seq)
				return t - t0 ? t - t0 : 1;
			continue; /* a late reply to an earlier ping */
		}
		if (n < 0 || bench_stopped() || t - t0 > UP_TIMEOUT)
			return 0;
	}
}

/* Wait until @until: spinning when @busy, else sleeping. */
static void pace(uint64_t until, bool busy)
{
	struct timespec ts = {.tv_sec = (time_t)(until / 1000000000ull),
			      .tv_nsec = (long)(until % 1000000000ull)};

	if (until <= bench_now_ns())
		return;
	if (busy) {
		while (bench_now_ns() < until && !bench_stopped())
			;
		return;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int run_client(int fd, const struct up_opts *o)
{
	size_t len = o->size - UP_HDRS;
	uint8_t buf[2048];
	uint64_t *ns = calloc(o->count ? o->count : 1, sizeof(*ns)), sum = 0;
	unsigned long n = 0, lost = 0;

	if (!ns) {
		perror("udp_pingpong");
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	/* The server may still be starting: wait up to 5 s for a first echo. */
	for (uint64_t end = bench_now_ns() + 5000000000ull;
	     !ping_once(fd, buf, len, UINT64_MAX, o->busy);) {
		if (bench_stopped() || bench_now_ns() > end) {
			fprintf(stderr, "udp_pingpong: no echo from %s:%u\n", o->addr, o->port);
			free(ns);
			return 1;
		}
		usleep(10000);
	}
	uint64_t next = bench_now_ns(), gap = o->rate > 0 ? (uint64_t)(1e9 / o->rate) : 0;

	for (unsigned long i = 0; i < o->warmup + o->count && !bench_stopped(); i++) {
		uint64_t t;

		if (gap) {
			pace(next, o->busy);
			next += gap;
		}
		t = ping_once(fd, buf, len, i, o->busy);

		if (i < o->warmup)
			continue;
		if (t)
			ns[n++] = t;
		else
			lost++;
	}
	printf("{\"mode\":\"udp_ping\",\"size\":%u,\"busy\":%s,\"lost\":%lu,\"rtt_us\":{\"n\":%lu",
	       o->size, o->busy ? "true" : "false", lost, n);
	if (n) {
		qsort(ns, n, sizeof(*ns), bench_cmp_u64);
		for (unsigned long i = 0; i < n; i++)
			sum += ns[i];
		printf(",\"min\":%.2f,\"median\":%.2f,\"p99\":%.2f,\"max\":%.2f,\"mean\":%.2f",
		       (double)ns[0] / 1e3, pct_us(ns, n, 50), pct_us(ns, n, 99),
		       (double)ns[n - 1] / 1e3, (double)sum / (double)n / 1e3);
	}
	printf("}}\n");
	free(ns);
	return n && !lost ? 0 : 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: udp_pingpong server -a ADDR [-p PORT] [--busy] [--cpu N] [-d SECS]\n"
		"       udp_pingpong client -a ADDR [-p PORT] [-n COUNT] [-s FRAME] [-r RATE]\n"
		"                           [--busy] [--cpu N] [--warmup N]\n"
		"  -a ADDR      server address (IPv4)\n"
		"  -p PORT      UDP port (7777)\n"
		"  -n COUNT     client: timed round trips (20000)\n"
		"  -s FRAME     client: Ethernet frame size of a datagram, %u..%u (64)\n"
		"  -r RATE      client: round trips per second, 0 = back to back (0)\n"
		"  -d SECS      server: stop after SECS (0 = at SIGTERM)\n"
		"  --busy       spin on non-blocking recv instead of blocking\n"
		"  --cpu N      pin to CPU N\n"
		"  --warmup N   client: untimed round trips first (1000)\n",
		UP_MIN_SIZE, UP_MAX_SIZE);
}

static int parse(int argc, char **argv, struct up_opts *o)
{
	const struct bench_opt opts[] = {
	    {NULL, 'a', BENCH_STR, &o->addr},	    {NULL, 'p', BENCH_UINT, &o->port},
	    {NULL, 'n', BENCH_ULONG, &o->count},    {NULL, 's', BENCH_UINT, &o->size},
	    {NULL, 'r', BENCH_DOUBLE, &o->rate},    {NULL, 'd', BENCH_DOUBLE, &o->secs},
	    {"busy", 0, BENCH_FLAG, &o->busy},	    {"cpu", 0, BENCH_INT, &o->cpu},
	    {"warmup", 0, BENCH_ULONG, &o->warmup}, {NULL, 0, BENCH_END, NULL},
	};
	int rc;

	*o = (struct up_opts){.port = 7777, .size = 64, .count = 20000, .warmup = 1000, .cpu = -1};
	rc = bench_getopt(argc, argv, opts);
	if (rc > 0) {
		usage(stdout);
		exit(0);
	}
	if (rc < 0 || argc - optind != 1 || !o->addr || !o->port || o->port > 65535 ||
	    o->size < UP_MIN_SIZE || o->size > UP_MAX_SIZE || !o->count || !(o->rate >= 0)) {
		usage(stderr);
		return -1;
	}
	if (!strcmp(argv[optind], "server"))
		o->server = true;
	else if (strcmp(argv[optind], "client")) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct timeval tv = {.tv_usec = 100000};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct up_opts o;
	int fd;

	if (parse(argc, argv, &o))
		return 2;
	sa.sin_port = htons((uint16_t)o.port);
	if (inet_pton(AF_INET, o.addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "udp_pingpong: bad address '%s'\n", o.addr);
		return 2;
	}
	bench_catch_stop();
	if (bench_pin("udp_pingpong", o.cpu))
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("udp_pingpong: socket");
		return 1;
	}
	if (o.server ? bind(fd, (struct sockaddr *)&sa, sizeof(sa))
		     : connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "udp_pingpong: %s %s:%u: %s\n", o.server ? "bind" : "connect",
			o.addr, o.port, strerror(errno));
		return 1;
	}
	return o.server ? run_server(fd, &o) : run_client(fd, &o);
}
