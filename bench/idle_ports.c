/* SPDX-License-Identifier: MIT */
/*
 * idle_ports.c - one process serving N vhost ports the way a patchbay worker
 * does, so that bench/run.sh can measure what idle ports cost.
 *
 *   idle_ports [-n N] [-d SECS] [--cpu C] [--busy-poll] PREFIX
 *
 * opens the ports "vhost:PREFIX<i>.sock" (i = 0..N-1, servers) and runs the
 * adaptive loop of the public API (<patchbay/port.h>):
 *
 *   poll every port's rx ring while any of them has frames; after IDLE_NS
 *   without a frame, arm notifications on each port with
 *   pb_port_prepare_sleep(PB_WAIT_RX) (a port that answers 1 has work: poll
 *   again), sleep in epoll_wait() on all the pb_port_fd()s at once, and call
 *   pb_port_dispatch() on each port that woke (which turns its notifications
 *   off again: it is polled from then on).
 *
 * Frames that arrive are received and dropped (the sequence number is read,
 * as every receiver in the benchmark does). It prints "up K/N" on stderr
 * whenever the number of connected ports changes, and one JSON line on
 * stdout at the end: ports, how many were up, frames, sleeps, epoll
 * wake-ups and its own CPU time.
 * bench/run.sh measures the CPU itself from /proc/PID/stat over a window.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <patchbay/patchbay.h>

#include "bench.h"

#define IP_MAX_PORTS 1024
#define IP_IDLE_NS   50000ull /* poll this long without frames before sleeping */
#define IP_BURST     32u
#define IP_SEQ_OFF   22u /* pbgen's sequence number: after the Ethernet header + 8 */

struct ip_opts {
	unsigned ports;
	double secs;
	int cpu;
	bool busy;
	bool virtio; /* open frontends (virtio:) instead of backends */
	const char *prefix;
};

struct ip_state {
	struct pb_port **port;
	unsigned n, up;
	int ep;
	uint64_t frames, wakeups, sleeps;
};

/* Receive what every port has; returns the number of frames. */
static unsigned poll_all(struct ip_state *s)
{
	struct pb_frame f[IP_BURST];
	unsigned total = 0;

	for (unsigned i = 0; i < s->n; i++) {
		unsigned k = pb_port_rx_burst(s->port[i], f, IP_BURST);

		for (unsigned j = 0; j < k; j++) {
			uint64_t seq = 0;

			if (f[j].len >= IP_SEQ_OFF + sizeof(seq))
				memcpy(&seq, (const uint8_t *)f[j].data + IP_SEQ_OFF, sizeof(seq));
			/* Touch every frame, as every receiver in the benchmark does;
			 * the empty asm keeps the load from being optimised away. */
			__asm__ volatile("" : : "r"(seq));
		}
		total += k;
	}
	s->frames += total;
	return total;
}

/*
 * Arm every port and sleep until one of them (or the deadline) wakes us, then
 * dispatch the ports that woke. Returns without sleeping when a port already
 * has frames.
 */
static void sleep_all(struct ip_state *s, uint64_t now, uint64_t end)
{
	struct epoll_event ev[64];
	uint64_t left = end > now ? end - now : 0;
	int ms = left > 1000000000ull ? 1000 : (int)((left + 999999) / 1000000);
	int k;

	for (unsigned i = 0; i < s->n; i++) {
		if (pb_port_prepare_sleep(s->port[i], PB_WAIT_RX) == 1)
			return; /* frames are there: poll */
	}
	s->sleeps++;
	k = epoll_wait(s->ep, ev, 64, ms);
	for (int i = 0; i < k; i++) {
		s->wakeups++;
		pb_port_dispatch(s->port[ev[i].data.u32]);
	}
}

/*
 * Print "up K/N" on stderr when the number of ports that are up changed, so
 * that bench/run.sh knows when every frontend is connected. Cheap enough for
 * the idle path; the busy path calls it once in 1024 polls.
 */
static void report_up(struct ip_state *s)
{
	unsigned up = 0;

	for (unsigned i = 0; i < s->n; i++)
		up += pb_port_is_up(s->port[i]);
	if (up != s->up) {
		s->up = up;
		fprintf(stderr, "up %u/%u\n", up, s->n);
	}
}

static int run(struct ip_state *s, const struct ip_opts *o)
{
	uint64_t start = bench_now_ns(), idle_since = 0, now = start;
	uint64_t end = o->secs > 0 ? start + (uint64_t)(o->secs * 1e9) : UINT64_MAX;
	unsigned polls = 0;

	for (unsigned i = 0; i < s->n; i++)
		pb_port_dispatch(s->port[i]);
	report_up(s);
	while (!bench_stopped() && now < end) {
		if (poll_all(s)) {
			idle_since = 0;
			/* Busy: dispatch control work about once in 1024 polls. */
			if (!(++polls & 1023)) {
				for (unsigned i = 0; i < s->n; i++)
					pb_port_dispatch(s->port[i]);
				report_up(s);
				now = bench_now_ns();
			}
			continue;
		}
		now = bench_now_ns();
		if (o->busy) {
			if (!(++polls & 1023)) {
				for (unsigned i = 0; i < s->n; i++)
					pb_port_dispatch(s->port[i]);
				report_up(s);
			}
			continue;
		}
		if (!idle_since) {
			idle_since = now;
			continue;
		}
		if (now - idle_since < IP_IDLE_NS)
			continue;
		sleep_all(s, now, end);
		report_up(s);
		idle_since = 0;
		now = bench_now_ns();
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: idle_ports [-n N] [-d SECS] [--cpu C] [--busy-poll] PREFIX\n"
		"  serves vhost ports PREFIX0.sock .. PREFIX<N-1>.sock\n"
		"  -n N         ports, 1..%u (16)\n"
		"  -d SECS      stop after SECS (0 = at SIGTERM/SIGINT)\n"
		"  --cpu C      pin to CPU C\n"
		"  --busy-poll  never sleep\n"
		"  --virtio     be the frontends (virtio:) of someone else's vhost ports\n",
		IP_MAX_PORTS);
}

static int parse(int argc, char **argv, struct ip_opts *o)
{
	const struct bench_opt opts[] = {
	    {NULL, 'n', BENCH_UINT, &o->ports},	   {NULL, 'd', BENCH_DOUBLE, &o->secs},
	    {"cpu", 0, BENCH_INT, &o->cpu},	   {"busy-poll", 0, BENCH_FLAG, &o->busy},
	    {"virtio", 0, BENCH_FLAG, &o->virtio}, {NULL, 0, BENCH_END, NULL},
	};
	int rc;

	*o = (struct ip_opts){.ports = 16, .cpu = -1};
	rc = bench_getopt(argc, argv, opts);
	if (rc > 0) {
		usage(stdout);
		exit(0);
	}
	if (rc < 0 || argc - optind != 1 || !o->ports || o->ports > IP_MAX_PORTS ||
	    !(o->secs >= 0)) {
		usage(stderr);
		return -1;
	}
	o->prefix = argv[optind];
	return 0;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct ip_state s = {0};
	struct ip_opts o;
	unsigned up = 0;
	uint64_t t0;
	int rc = 1;

	if (parse(argc, argv, &o))
		return 2;
	if (bench_pin("idle_ports", o.cpu))
		return 1;
	bench_catch_stop();
	s.port = calloc(o.ports, sizeof(*s.port));
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!s.port || s.ep < 0) {
		perror("idle_ports");
		return 1;
	}
	for (s.n = 0; s.n < o.ports; s.n++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = s.n};
		char spec[4096], err[128];

		snprintf(spec, sizeof(spec), "%s:%s%u.sock", o.virtio ? "virtio" : "vhost",
			 o.prefix, s.n);
		s.port[s.n] = pb_port_open(spec);
		if (!s.port[s.n]) {
			fprintf(stderr, "idle_ports: %s: %s\n", spec,
				pb_strerror(errno, err, sizeof(err)));
			goto out;
		}
		if (epoll_ctl(s.ep, EPOLL_CTL_ADD, pb_port_fd(s.port[s.n]), &ev)) {
			perror("idle_ports: epoll_ctl");
			s.n++;
			goto out;
		}
	}
	t0 = bench_now_ns();
	rc = run(&s, &o);
	for (unsigned i = 0; i < s.n; i++)
		up += pb_port_is_up(s.port[i]);
	printf("{\"mode\":\"idle_ports\",\"ports\":%u,\"up\":%u,\"frames\":%llu,\"sleeps\":%llu,"
	       "\"wakeups\":%llu,\"duration_s\":%.3f,\"cpu_s\":%.3f}\n",
	       s.n, up, (unsigned long long)s.frames, (unsigned long long)s.sleeps,
	       (unsigned long long)s.wakeups, (double)(bench_now_ns() - t0) / 1e9, cpu_s());
out:
	for (unsigned i = 0; i < s.n; i++)
		pb_port_close(s.port[i]);
	close(s.ep);
	free(s.port);
	return rc;
}
