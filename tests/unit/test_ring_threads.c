/* SPDX-License-Identifier: MIT */
/*
 * test_ring_threads.c - a driver and a device on two threads that really
 * sleep on their eventfds, over both ring kinds (ring_rig.h): a lost
 * wake-up shows as a 5 s timeout, a reordered or torn frame as an error.
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>

#include "ring_rig.h"

struct duo {
	struct rig *r;
	unsigned total;
	_Atomic bool stop;
	_Atomic unsigned errors;
	_Atomic unsigned timeouts;
	unsigned dev_sleeps, drv_sleeps;
};

/* Wait for @fd; false after 5 s (a lost wake-up). */
static bool wait_fd(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, 5000) != 1)
		return false;
	rig_fd_count(fd);
	return true;
}

static void *device_thread(void *arg)
{
	struct duo *u = arg;
	struct rig *r = u->r;
	const struct ring_ops *o = r->ops;
	struct pb_vq_chain c;
	unsigned seq = 0;

	while (seq < u->total && !u->stop) {
		uint16_t n = o->dev_avail(r);
		if (o->dev_broken(r)) {
			u->errors++;
			return NULL;
		}
		while (n--) {
			if (o->dev_pop(r, &c) != PB_VQ_POP_OK || c.nseg != 1 || c.out_len < 4) {
				u->errors++;
				return NULL;
			}
			uint32_t got;
			memcpy(&got, c.seg[0].base, 4);
			if (got != seq)
				u->errors++;
			seq++;
			o->dev_push(r, c.head, 0);
		}
		o->dev_flush(r);
		if (seq < u->total && !o->dev_set_notify(r, true)) {
			u->dev_sleeps++;
			if (!wait_fd(r->kickfd))
				u->timeouts++;
		}
		o->dev_set_notify(r, false);
	}
	return NULL;
}

static void run_threads(const struct ring_ops *o, bool event_idx)
{
	struct duo u = {.r = rig_new(o, 64, 128, false, event_idx, false), .total = 300000};
	struct rig *r = u.r;
	unsigned sent = 0, done = 0;
	uint16_t free_ids[64], nfree = 0;
	pthread_t t;

	rig_eventfds(r);
	for (uint16_t i = 0; i < 64; i++)
		free_ids[nfree++] = i;
	assert_int_equal(pthread_create(&t, NULL, device_thread, &u), 0);
	while (done < u.total && !u.errors && u.timeouts < 3) {
		uint16_t id = 0;
		uint32_t len = 0;
		for (uint16_t n = o->drv_used(r); n; n--) {
			if (!o->drv_take(r, &id, &len)) {
				u.errors++;
				break;
			}
			free_ids[nfree++] = id;
			done++;
		}
		unsigned burst = nfree < 16 ? nfree : 16;
		while (burst-- && sent < u.total) {
			id = free_ids[--nfree];
			memcpy(rig_buf(r, id), &sent, 4);
			o->drv_post(r, id, 4 + sent % 60);
			sent++;
		}
		o->drv_publish(r);
		/* Sleep when out of buffers, or everything is sent. */
		if ((nfree == 0 || sent == u.total) && done < u.total &&
		    !o->drv_set_notify(r, true)) {
			u.drv_sleeps++;
			if (!wait_fd(r->callfd))
				u.timeouts++;
		}
		o->drv_set_notify(r, false);
	}
	if (u.timeouts >= 3 || u.errors) {
		/* Unstick the device so it can be joined. */
		u.stop = true;
		eventfd_write(r->kickfd, 1);
	}
	pthread_join(t, NULL);
	if (u.timeouts)
		fail_msg("%u lost wake-ups (sleeps: device %u, driver %u)", u.timeouts,
			 u.dev_sleeps, u.drv_sleeps);
	assert_int_equal(u.errors, 0);
	assert_int_equal(done, u.total);
	assert_false(o->drv_broken(r));
	assert_true(o->dev_attached(r));
	rig_free(r);
}

static void test_threads_event_idx(void **state)
{
	run_threads(rig_ops(state), true);
}

static void test_threads_flags(void **state)
{
	run_threads(rig_ops(state), false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RING_TESTS(test_threads_event_idx),
	    RING_TESTS(test_threads_flags),
	};

	return RIG_RUN(tests);
}
