/* SPDX-License-Identifier: MIT */
/*
 * tester.c - a two-port traffic tester in one thread, the way a hardware
 * tester with two ports measures a switch (RFC 2544 layout): it owns the
 * frontends of both ports of the switch under test, sends a burst on A,
 * drains B, and repeats, so that on a 2-CPU machine the tester has one CPU
 * and the switch the other, and no receiver starves behind a sender.
 *
 *   tester [-s SIZE] [-d SECS] [-r PPS] [--cpu C] [-w SECS] [--macs N] A_SPEC B_SPEC
 *
 * With --macs N (for a learning bridge), B first sends one frame from each
 * of N MACs, so the switch learns them behind B, and A's frames then go to
 * those N MACs in turn: each frame is a lookup in a table of N entries.
 *
 * Frames carry a sequence number (bytes 14..21); B counts what arrives,
 * how many were out of order, and the delivered rate over the run (the
 * first second after both links are up is a warm-up, not counted). One
 * JSON line on stdout: sent, received, lost (sent - received after a
 * 200 ms drain), reordered, delivered_mpps, offered_mpps.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <patchbay/patchbay.h>

#include "bench.h"

#define BURST 32

static void usage(void)
{
	fprintf(stderr,
		"usage: tester [-s SIZE] [-d SECS] [-r PPS] [--cpu C] [-w SECS] [--macs N] A B\n");
	exit(2);
}

/* The i-th host behind B: 02:70:63:ii:ii:ii, written at @mac. */
static void host_mac(uint8_t *mac, unsigned i)
{
	mac[0] = 0x02;
	mac[1] = 0x70;
	mac[2] = 0x63;
	mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

/* One frame from each of @n hosts on B (to A's MAC), then a pause for the
 * switch to have learned them; what it floods to A is drained. */
static int learn_macs(struct pb_port *a, struct pb_port *b, uint8_t (*buf)[9018],
		      struct pb_frame *out, unsigned size, unsigned n)
{
	uint8_t saved[BURST][12];
	struct pb_frame in[BURST];

	for (int i = 0; i < BURST; i++) {
		memcpy(saved[i], buf[i], 12);
		memcpy(buf[i], buf[i] + 6, 6); /* to A's host */
	}
	for (unsigned h = 0; h < n;) {
		unsigned k = n - h < BURST ? n - h : BURST;
		for (unsigned i = 0; i < k; i++)
			host_mac(buf[i] + 6, h + i);
		unsigned s = pb_port_tx_burst(b, out, k);
		h += s;
		while (pb_port_rx_burst(a, in, BURST))
			;
		pb_port_dispatch(a);
		pb_port_dispatch(b);
	}
	for (int r = 0; r < 200; r++) { /* 200 ms */
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
		while (pb_port_rx_burst(a, in, BURST))
			;
	}
	for (int i = 0; i < BURST; i++) {
		memcpy(buf[i], saved[i], 12);
		out[i].len = size;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned size = 64;
	double secs = 5, wait_s = 10, rate = 0;
	int cpu = -1;
	unsigned macs = 0;
	const struct bench_opt opts[] = {
	    {"macs", 0, BENCH_UINT, &macs},	{NULL, 's', BENCH_UINT, &size},
	    {NULL, 'd', BENCH_DOUBLE, &secs},	{NULL, 'r', BENCH_DOUBLE, &rate},
	    {NULL, 'w', BENCH_DOUBLE, &wait_s}, {"cpu", 'c', BENCH_INT, &cpu},
	    {NULL, 0, BENCH_END, NULL},
	};

	if (bench_getopt(argc, argv, opts))
		usage(); /* -h too: the usage is short */
	if (argc - optind != 2 || size < 60 || size > 9018 || macs > 1u << 24)
		usage();
	/* Unpinned is still a measurement (of a noisier kind): go on. */
	(void)bench_pin("tester", cpu);
	struct pb_port *a = pb_port_open(argv[optind]), *b = pb_port_open(argv[optind + 1]);
	if (!a || !b) {
		perror("tester: open");
		return 1;
	}
	uint64_t deadline = bench_now_ns() + (uint64_t)(wait_s * 1e9);
	while (!(pb_port_is_up(a) && pb_port_is_up(b))) {
		pb_port_dispatch(a);
		pb_port_dispatch(b);
		if (bench_now_ns() > deadline) {
			fprintf(stderr, "tester: links not up within %.0f s\n", wait_s);
			return 1;
		}
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	static uint8_t buf[BURST][9018];
	struct pb_frame out[BURST], in[BURST];
	for (int i = 0; i < BURST; i++) {
		memset(buf[i], 0, sizeof(buf[i]));
		memcpy(buf[i], "\x02\x70\x62\x00\x00\x02\x02\x70\x62\x00\x00\x01\x88\xb5", 14);
		out[i].data = buf[i];
		out[i].len = size;
	}
	if (macs && learn_macs(a, b, buf, out, size, macs) < 0)
		return 1;
	uint64_t seq = 0, next_rx = 0, sent = 0, got = 0, reordered = 0, loops = 0;
	uint64_t got_at_start = 0, sent_at_start = 0;
	uint64_t t0 = bench_now_ns(), warm = t0 + 1000000000ull, t_start = 0;
	uint64_t end = warm + (uint64_t)(secs * 1e9), t_end = 0;
	for (uint64_t t = t0; t < end + 200000000ull; loops++) {
		if (t < end) {
			unsigned n = BURST;
			if (rate > 0) {
				uint64_t allowed = (uint64_t)((double)(t - t0) * rate / 1e9) + 1;
				n = allowed > sent
					? (unsigned)(allowed - sent < BURST ? allowed - sent
									    : BURST)
					: 0;
			}
			for (unsigned i = 0; i < n; i++) {
				memcpy(buf[i] + 14, &(uint64_t){seq + i}, 8);
				if (macs)
					host_mac(buf[i], (unsigned)((seq + i) % macs));
			}
			unsigned k = n ? pb_port_tx_burst(a, out, n) : 0;
			seq += k;
			sent += k;
		} else if (!t_end) {
			t_end = t;
		}
		unsigned m = pb_port_rx_burst(b, in, BURST);
		for (unsigned i = 0; i < m; i++) {
			uint64_t s;
			memcpy(&s, (const uint8_t *)in[i].data + 14, 8);
			if (s < next_rx)
				reordered++;
			else
				next_rx = s + 1;
		}
		got += m;
		if ((loops & 1023) == 0) {
			t = bench_now_ns();
			if (!t_start && t >= warm) {
				t_start = t;
				got_at_start = got;
				sent_at_start = sent;
			}
			pb_port_dispatch(a);
			pb_port_dispatch(b);
		}
	}
	if (!t_end)
		t_end = end;
	double span = (double)(t_end - t_start) / 1e9;
	printf("{\"size\":%u,\"sent\":%llu,\"received\":%llu,\"lost\":%lld,\"reordered\":%llu,"
	       "\"offered_mpps\":%.3f,\"delivered_mpps\":%.3f}\n",
	       size, (unsigned long long)sent, (unsigned long long)got, (long long)(sent - got),
	       (unsigned long long)reordered,
	       span > 0 ? (double)(sent - sent_at_start) / span / 1e6 : 0,
	       span > 0 ? (double)(got - got_at_start) / span / 1e6 : 0);
	pb_port_close(a);
	pb_port_close(b);
	return 0;
}
