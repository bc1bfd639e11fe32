/* SPDX-License-Identifier: MIT */
/*
 * run.c - what the loops of every mode share: the clock, waiting for the
 * peer, the millisecond housekeeping and the adaptive sleep.
 *
 * The sleep pattern is the one libpatchbay is built for: poll the rings while
 * there is work; after PBGEN_IDLE_NS without any, arm notifications with
 * pb_port_prepare_sleep(), sleep in poll(2) on pb_port_fd(), and call
 * pb_port_dispatch() after waking, which turns notifications off again.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

#include "pbgen.h"

#define PBGEN_IDLE_NS	50000ull     /* poll this long before sleeping */
#define PBGEN_HOUSE_NS	1000000ull   /* housekeeping period */
#define PBGEN_MAXNAP_NS 50000000ull  /* longest sleep: keeps the 1 s lines on time */
#define PBGEN_SETTLE_NS 200000000ull /* how long a leaving peer gets to hang up */

volatile sig_atomic_t pbgen_stop;

/* Nanoseconds of CLOCK_MONOTONIC; a vDSO call, read once per burst. */
uint64_t pbgen_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * PBGEN_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Sleep on the port fd for at most @ns; true if it became readable. */
static bool nap(struct pbgen_run *r, uint64_t ns)
{
	struct pollfd p = {.fd = pb_port_fd(r->port), .events = POLLIN};
	struct timespec ts = {
	    .tv_sec = (time_t)(ns / PBGEN_NS_PER_S),
	    .tv_nsec = (long)(ns % PBGEN_NS_PER_S),
	};

	/* EINTR (a signal) returns early, which is what stopping needs. */
	return ppoll(&p, 1, &ts, NULL) > 0;
}

/*
 * Wait up to opts.wait seconds for the peer to connect and set up its queues.
 * Returns 0 once up, -ETIMEDOUT, or -EINTR on a signal.
 */
int pbgen_wait_up(struct pbgen_run *r)
{
	uint64_t now = pbgen_now();
	uint64_t end = now + (uint64_t)(r->o->wait * PBGEN_NS_PER_S);

	for (;;) {
		int rc = pb_port_dispatch(r->port);

		if (rc < 0) {
			char buf[128];

			fprintf(stderr, "pbgen: port: %s\n", pb_strerror(rc, buf, sizeof(buf)));
			return rc;
		}
		if (pb_port_is_up(r->port)) {
			pb_port_get_info(r->port, &r->info);
			return 0;
		}
		if (pbgen_stop)
			return -EINTR;
		now = pbgen_now();
		if (now >= end)
			return -ETIMEDOUT;
		nap(r, end - now < 100000000 ? end - now : 100000000);
	}
}

/*
 * About once a millisecond: let the port do its control work, notice the peer
 * leaving, a signal or the end of the run, and print the per-second line.
 * Busy loops get their dispatch calls from here (the port fd is not polled
 * while busy), so a control message waits at most a millisecond.
 */
void pbgen_housekeeping(struct pbgen_run *r, uint64_t now)
{
	r->next_house = now + PBGEN_HOUSE_NS;
	pb_port_dispatch(r->port);
	if (!pb_port_is_up(r->port) && !r->done) {
		r->peer_gone = true;
		if (!r->o->persist) {
			r->done = true;
			r->end_reason = "peer went away";
		}
		r->down = true;
	} else if (r->down && pb_port_is_up(r->port)) {
		/* A new peer: its sequence numbers start again at 0. */
		r->down = false;
		pbgen_seq_reset(&r->seq);
	}
	if (pbgen_stop && !r->done) {
		r->done = true;
		r->end_reason = "signal";
	}
	if (now >= r->deadline && !r->done) {
		r->done = true;
		r->end_reason = "duration";
	}
	if (!r->o->quiet && now >= r->tick.next_ns)
		pbgen_report_tick(r, now);
}

/* How long the loop may sleep from @now: until the next line or the end. */
static uint64_t nap_limit(struct pbgen_run *r, uint64_t now)
{
	uint64_t lim = PBGEN_MAXNAP_NS;

	if (!r->o->quiet && r->tick.next_ns > now && r->tick.next_ns - now < lim)
		lim = r->tick.next_ns - now;
	if (r->deadline > now && r->deadline - now < lim)
		lim = r->deadline - now;
	return lim;
}

/*
 * Called by a loop when an iteration found no work (@what: the PB_WAIT_*
 * it was waiting for). Polls on for PBGEN_IDLE_NS, then sleeps until the
 * peer notifies, a control event arrives or the nap limit passes.
 * A loop that did work resets r->idle_since to 0.
 */
void pbgen_idle(struct pbgen_run *r, uint64_t now, unsigned what)
{
	int rc;

	if (!r->idle_since) {
		r->idle_since = now;
		return;
	}
	if (r->o->busy_poll || now - r->idle_since < PBGEN_IDLE_NS)
		return;

	rc = pb_port_prepare_sleep(r->port, what);
	if (rc != 1)
		nap(r, nap_limit(r, now)); /* armed (0), or down: wait for the fd */
	/* Turns notifications off again: the loop polls after this. */
	pb_port_dispatch(r->port);
	r->idle_since = 0;
	r->next_house = 0; /* refresh the clock-driven checks right away */
}

/*
 * Rate limiting: wait until @until. Short waits spin (a sleep would overshoot
 * them); longer ones sleep on the port fd, so control events still get
 * served, unless --busy-poll.
 */
void pbgen_sleep_until(struct pbgen_run *r, uint64_t now, uint64_t until)
{
	uint64_t lim;

	if (r->o->busy_poll || until <= now || until - now < PBGEN_IDLE_NS)
		return;
	lim = nap_limit(r, now);
	if (nap(r, until - now < lim ? until - now : lim))
		pb_port_dispatch(r->port);
}

/*
 * Before closing a port whose peer is leaving: a peer that stops its rings
 * first (a frontend closing sends GET_VRING_BASE) still expects replies until
 * it hangs up. Serve it for up to PBGEN_SETTLE_NS, until the session ends
 * (connects == disconnects), so it sees an orderly close rather than a
 * reset connection.
 */
void pbgen_settle(struct pbgen_run *r)
{
	uint64_t end = pbgen_now() + PBGEN_SETTLE_NS;

	while (!pbgen_stop) {
		struct pb_port_stats s;
		uint64_t now;

		pb_port_dispatch(r->port);
		pb_port_get_stats(r->port, &s);
		now = pbgen_now();
		if (s.connects <= s.disconnects || now >= end)
			return;
		nap(r, end - now);
	}
}

/* Account @n received frames: verify each, track sequence numbers. */
void pbgen_count_rx(struct pbgen_run *r, const struct pb_frame *f, unsigned n, uint64_t now)
{
	if (!r->first_rx)
		r->first_rx = now;
	r->last_rx = now;
	r->c.frames_rx += n;
	for (unsigned i = 0; i < n; i++) {
		uint64_t seq;

		r->c.bytes_rx += f[i].len;
		switch (pbgen_check_frame(&r->check, &f[i], &seq)) {
		case PBGEN_OK:
			r->c.frames_own++;
			pbgen_seq_see(&r->seq, seq);
			break;
		case PBGEN_BAD:
			/* Ours as far as its header says: it counts towards -n,
			 * so a damaged stream ends the run (with status 1)
			 * instead of waiting for frames that will not come. */
			r->c.frames_own++;
			r->c.corrupted++;
			break;
		case PBGEN_FOREIGN:
			r->c.foreign++;
			break;
		}
	}
}
