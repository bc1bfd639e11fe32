/* SPDX-License-Identifier: MIT */
/*
 * port_null.c - "null:ID": a sink that takes every frame, and with size=N a
 * source of N-byte frames (rate=PPS, 0 for as fast as it is asked,
 * count=N to stop after N). For tests and benchmarks of the panel itself.
 *
 * A paced source keeps a timerfd armed for its next frame, so a worker can
 * sleep between frames instead of spinning on the clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ports/pacer.h"
#include "core/port.h"
#include "ports/registry.h"

struct null_port {
	uint32_t size;	/* 0: a sink only */
	uint64_t count; /* frames to make, 0: no end */
	uint64_t made;	/* frames made so far */
	struct pbd_pacer pace;
	uint8_t *frame;
	struct pb_port_stats st;
};

static const char *const null_keys[] = {"size", "rate", "count", NULL};

static struct null_port *np(const struct pbd_port *p)
{
	return p->priv;
}

static int null_open(struct pbd_port *p, const struct pbd_opts *o, char *err, size_t errlen)
{
	uint64_t size, rate, count;
	int r;

	if ((r = pbd_opt_uint(o, "size", 0, 0, 9018, &size, err, errlen)) < 0 ||
	    (r = pbd_opt_uint(o, "rate", 0, 0, 100000000, &rate, err, errlen)) < 0 ||
	    (r = pbd_opt_uint(o, "count", 0, 0, UINT64_MAX, &count, err, errlen)) < 0)
		return r;
	if (size && size < 60) {
		snprintf(err, errlen, "option size=%llu: a frame is 60..9018 bytes (0: sink only)",
			 (unsigned long long)size);
		return -EINVAL;
	}
	struct null_port *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->size = (uint32_t)size;
	n->count = count;
	if ((r = pbd_pacer_init(&n->pace, size ? rate : 0)) < 0) {
		free(n);
		return r;
	}
	if (size) {
		n->frame = calloc(1, size);
		if (!n->frame) {
			pbd_pacer_fini(&n->pace);
			free(n);
			return -ENOMEM;
		}
		/* Broadcast from a locally administered address, a private type. */
		memset(n->frame, 0xff, 6);
		memcpy(n->frame + 6, "\x02\x70\x62\x00\x00\x00", 6);
		n->frame[12] = 0x88;
		n->frame[13] = 0xb5;
	}
	p->priv = n;
	return 0;
}

static void null_close(struct pbd_port *p)
{
	struct null_port *n = np(p);

	pbd_pacer_fini(&n->pace);
	free(n->frame);
	free(n);
}

static int null_fd(const struct pbd_port *p)
{
	return np(p)->pace.timerfd;
}

static void null_dispatch(struct pbd_port *p)
{
	pbd_pacer_drain(&np(p)->pace);
}

static bool null_is_up(const struct pbd_port *p)
{
	(void)p;
	return true;
}

/* Frames due by now under the rate and the count, at most @max. */
static unsigned due(struct null_port *n, unsigned max)
{
	uint64_t left = n->count ? n->count - n->made : max;

	return pbd_pacer_due(&n->pace, left < max ? (unsigned)left : max);
}

static unsigned null_rx(struct pbd_port *p, struct pb_frame *f, unsigned max)
{
	struct null_port *n = np(p);

	if (!n->size)
		return 0;
	unsigned k = due(n, max);
	for (unsigned i = 0; i < k; i++) {
		f[i].data = n->frame;
		f[i].len = n->size;
	}
	n->made += k;
	pbd_pacer_made(&n->pace, k);
	n->st.rx_frames += k;
	n->st.rx_bytes += (uint64_t)k * n->size;
	return k;
}

static unsigned null_tx(struct pbd_port *p, const struct pb_frame *f, unsigned k)
{
	struct null_port *n = np(p);

	for (unsigned i = 0; i < k; i++)
		n->st.tx_bytes += f[i].len;
	n->st.tx_frames += k;
	return k;
}

static int null_prepare_sleep(struct pbd_port *p)
{
	struct null_port *n = np(p);

	if (!n->size || (n->count && n->made >= n->count))
		return 0;
	return pbd_pacer_arm(&n->pace); /* unpaced: always something to send */
}

static void null_stats(const struct pbd_port *p, struct pb_port_stats *st)
{
	*st = np(p)->st;
	st->connects = 1;
}

static void null_describe(const struct pbd_port *p, json_t *obj)
{
	const struct null_port *n = np(p);

	json_object_set_new(obj, "mode", json_string(n->size ? "source" : "sink"));
	if (n->size) {
		json_object_set_new(obj, "size", json_integer(n->size));
		json_object_set_new(obj, "rate", json_integer((json_int_t)n->pace.rate));
		json_object_set_new(obj, "count", json_integer((json_int_t)n->count));
	}
}

const struct pbd_port_type pbd_port_null = {
    .name = "null",
    .summary = "sink; with size=N a source of N-byte frames (rate=, count=)",
    .keys = null_keys,
    .source = true,
    .open = null_open,
    .close = null_close,
    .fd = null_fd,
    .dispatch = null_dispatch,
    .is_up = null_is_up,
    .rx = null_rx,
    .tx = null_tx,
    .prepare_sleep = null_prepare_sleep,
    .stats = null_stats,
    .describe = null_describe,
};
