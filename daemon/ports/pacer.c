/* SPDX-License-Identifier: MIT */
/*
 * pacer.c - frames due at a rate (see pacer.h). The arithmetic is 128-bit:
 * elapsed nanoseconds times a rate of up to 10^8 overflows 64 bits after
 * three minutes.
 */
#include <errno.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "ports/pacer.h"
#include "core/port.h"

#define NS_PER_S 1000000000ull

int pbd_pacer_init(struct pbd_pacer *p, uint64_t rate)
{
	*p = (struct pbd_pacer){.rate = rate, .timerfd = -1};
	if (!rate)
		return 0;
	p->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	return p->timerfd < 0 ? -errno : 0;
}

void pbd_pacer_fini(struct pbd_pacer *p)
{
	if (p->timerfd >= 0)
		close(p->timerfd);
	p->timerfd = -1;
}

unsigned pbd_pacer_due(struct pbd_pacer *p, unsigned max)
{
	if (!p->rate || !max)
		return max;
	uint64_t t = pbd_now_ns();
	if (!p->start_ns)
		p->start_ns = t;
	/* The frame of index k is due at start + k / rate: frames 0..allowed-1. */
	uint64_t allowed =
	    (uint64_t)((unsigned __int128)(t - p->start_ns) * p->rate / NS_PER_S) + 1;
	if (allowed <= p->done)
		return 0;
	return allowed - p->done < max ? (unsigned)(allowed - p->done) : max;
}

void pbd_pacer_made(struct pbd_pacer *p, unsigned n)
{
	p->done += n;
}

int pbd_pacer_arm(struct pbd_pacer *p)
{
	if (!p->rate || !p->start_ns)
		return 1;
	uint64_t next = p->start_ns + (uint64_t)((unsigned __int128)p->done * NS_PER_S / p->rate);
	uint64_t t = pbd_now_ns();
	if (next <= t)
		return 1;
	struct itimerspec its = {.it_value = {.tv_sec = (time_t)((next - t) / NS_PER_S),
					      .tv_nsec = (long)((next - t) % NS_PER_S)}};
	timerfd_settime(p->timerfd, 0, &its, NULL);
	return 0;
}

void pbd_pacer_drain(struct pbd_pacer *p)
{
	uint64_t ticks;

	if (p->timerfd >= 0 && read(p->timerfd, &ticks, sizeof(ticks)) < 0) {
		/* not due yet: nothing to read */
	}
}
