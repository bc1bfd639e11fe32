/* SPDX-License-Identifier: MIT */
/*
 * fwd.c - see fwd.h. One direction's state:
 *
 *   frames[0..n): the last burst from the input port; [sent..n) still to go.
 *
 * Frames from pb_port_rx_burst() point into the ring and are valid only
 * until the next rx_burst, dispatch or prepare_sleep on their port, so a
 * burst that must wait (the other side is full) is first copied into the
 * direction's own buffer ("parked"); then either port may be serviced.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwd.h"

#define IDLE_SPINS 2000 /* empty polls before sleeping: a few microseconds */

struct dir {
	struct pb_port *in, *out;
	struct pb_frame frames[FWD_BURST];
	unsigned n, sent;
	bool parked;	     /* frames[] point into own[] */
	uint64_t held_since; /* ns; 0 if nothing waits */
	uint8_t *own;	     /* FWD_BURST * FWD_MAX_FRAME */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void park(struct dir *d)
{
	if (d->parked)
		return;
	for (unsigned i = d->sent; i < d->n; i++) {
		uint8_t *slot = d->own + (size_t)i * FWD_MAX_FRAME;
		uint32_t len = d->frames[i].len < FWD_MAX_FRAME ? d->frames[i].len : FWD_MAX_FRAME;

		memcpy(slot, d->frames[i].data, len);
		d->frames[i].data = slot;
		d->frames[i].len = len;
	}
	d->parked = true;
}

/* Take a new burst from the input, through the hook. */
static unsigned receive(struct fwd *fw, int i, struct dir *d)
{
	unsigned n = pb_port_rx_burst(d->in, d->frames, FWD_BURST);

	d->n = n;
	d->sent = 0;
	d->parked = false;
	if (fw->copy && n)
		park(d);
	if (fw->hook && n) {
		d->n = fw->hook(fw->ctx, i, d->frames, n);
		fw->stats[i].filtered += n - d->n;
	}
	return n;
}

/* Send what waits; count and drop it once it has waited too long. The
 * clock is read only while something waits. */
static unsigned transmit(struct fwd *fw, int i, struct dir *d)
{
	unsigned k = 0;

	if (d->sent == d->n)
		return 0;
	if (pb_port_is_up(d->out))
		k = pb_port_tx_burst(d->out, d->frames + d->sent, d->n - d->sent);
	d->sent += k;
	fw->stats[i].forwarded += k;
	if (d->sent == d->n) {
		d->held_since = 0;
		return k;
	}
	uint64_t now = now_ns();
	if (!d->held_since) {
		d->held_since = now;
	} else if (now - d->held_since > FWD_HOLD_MS * 1000000ull) {
		fw->stats[i].dropped += d->n - d->sent;
		d->sent = d->n;
		d->held_since = 0;
	}
	return k;
}

static void dispatch_all(struct dir d[2])
{
	/* Dispatch invalidates a port's received frames: park them first. */
	for (int i = 0; i < 2; i++)
		if (d[i].sent < d[i].n)
			park(&d[i]);
	for (int i = 0; i < 2; i++)
		pb_port_dispatch(d[i].in);
}

/* Arm notifications for what each port must wake us for; 1 if work came in
 * meanwhile. */
static int prepare_sleep(struct dir d[2])
{
	int busy = 0;

	for (int p = 0; p < 2; p++) {
		unsigned what = 0;

		what |= d[p].sent == d[p].n ? PB_WAIT_RX : 0;	     /* p is d[p].in */
		what |= d[1 - p].sent < d[1 - p].n ? PB_WAIT_TX : 0; /* p is d[1-p].out */
		if (pb_port_prepare_sleep(d[p].in, what) == 1)
			busy = 1;
	}
	return busy;
}

int fwd_run(struct fwd *fw, volatile int *stop)
{
	struct dir d[2] = {{.in = fw->port[0], .out = fw->port[1]},
			   {.in = fw->port[1], .out = fw->port[0]}};
	unsigned idle = 0, busy = 0;

	for (int i = 0; i < 2; i++)
		if (!(d[i].own = malloc((size_t)FWD_BURST * FWD_MAX_FRAME)))
			return -ENOMEM;
	while (!*stop) {
		unsigned work = 0;

		for (int i = 0; i < 2; i++) {
			if (d[i].sent == d[i].n)
				work += receive(fw, i, &d[i]);
			work += transmit(fw, i, &d[i]);
		}
		if (work) {
			idle = 0;
			if (++busy % 1024 == 0)
				dispatch_all(d);
			continue;
		}
		if (++idle < IDLE_SPINS)
			continue;
		idle = 0;
		for (int i = 0; i < 2; i++)
			if (d[i].sent < d[i].n)
				park(&d[i]);
		if (!prepare_sleep(d)) {
			struct pollfd p[2] = {{.fd = pb_port_fd(fw->port[0]), .events = POLLIN},
					      {.fd = pb_port_fd(fw->port[1]), .events = POLLIN}};
			bool holding = d[0].sent < d[0].n || d[1].sent < d[1].n;

			poll(p, 2, holding ? 10 : 1000);
		}
		dispatch_all(d);
	}
	free(d[0].own);
	free(d[1].own);
	return 0;
}

int fwd_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}
