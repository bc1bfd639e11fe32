/* SPDX-License-Identifier: MIT */
/*
 * test_split_ring.c - the split virtqueue, both ends in one process over one
 * memfd: the driver (split_driver) lays out the ring in its mapping, the
 * device (split_device) attaches through a guest memory table that maps the
 * same file again, with GPA == UVA == the driver's address, as vhost-user
 * does it. So every byte the device reads went through translation.
 *
 * Covered: TX and RX round trips, chains (direct, indirect, mixed), index
 * wrap-around past 65536, EVENT_IDX and flag-based notification decisions
 * with real eventfds (a step-by-step model and two threads that really
 * sleep), and hostile rings written by hand: every check the device and the
 * driver make on peer data must fire, and none may hang or touch memory
 * outside the table.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <patchbay/patchbay.h>

#include "mem/guest_mem.h"
#include "ring/split_device.h"
#include "ring/split_driver.h"

#define SCRATCH (64 * 1024) /* after the buffers: indirect tables, loose buffers */
#define G(p)	((uint64_t)(uintptr_t)(p))

/* ---- log capture: the device says why it broke the ring ---- */

static char last_log[512];

__attribute__((format(printf, 2, 0))) static void log_hook(enum pb_log_level level, const char *fmt,
							   va_list ap)
{
	(void)level;
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
}

/* ---- undefined behaviour fails the test, even where UBSan recovers ---- */

/* The UBSan runtime calls this weak hook on every report (it is meant for
 * a debugger's breakpoint); without UBSan it is never called. */
void __ubsan_on_report(void);
static unsigned ubsan_reports, ubsan_seen;

void __ubsan_on_report(void)
{
	ubsan_reports++;
}

/* ---- the rig: one memfd, a driver on it, a device attached to it ---- */

struct rig {
	int fd;
	size_t size;
	uint8_t *map;	  /* the driver's mapping; GPA == this address */
	uint8_t *bufs;	  /* num slots of stride bytes */
	uint8_t *scratch; /* SCRATCH bytes, page aligned */
	uint16_t num;
	uint32_t buf_size; /* what a buffer holds (the driver's, after its padding) */
	int kickfd, callfd;
	struct pb_vq_drv drv;
	struct pb_vq_dev dev;
	struct pb_vq_chain chain;
	struct pb_guest_mem mem;
};

/* Rigs still open when a test fails (cmocka longjmps out), freed by the
 * teardown so a failure under ASan reports the failure, not a leak. */
static struct rig *live[8];

/* Record @r in a free slot (was NULL), or forget it (was r). */
static void track(struct rig *r, struct rig *was)
{
	for (size_t i = 0; i < PB_ARRAY_SIZE(live); i++) {
		if (live[i] == was) {
			live[i] = was ? NULL : r;
			return;
		}
	}
	fail_msg("too many rigs open");
}

static struct rig *rig_new(uint16_t num, uint32_t stride, bool rx, bool event_idx, bool indirect)
{
	struct rig *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	track(r, NULL);
	size_t ring = pb_vq_drv_ring_size(num);
	size_t bufs = PB_ALIGN_UP((size_t)num * stride, (size_t)4096);

	r->num = num;
	r->size = ring + bufs + SCRATCH;
	r->kickfd = r->callfd = -1;
	r->fd = memfd_create("test_split_ring", MFD_CLOEXEC);
	assert_true(r->fd >= 0);
	assert_int_equal(ftruncate(r->fd, (off_t)r->size), 0);
	r->map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	assert_true(r->map != MAP_FAILED);
	r->bufs = r->map + ring;
	r->scratch = r->bufs + bufs;
	assert_int_equal(pb_vq_drv_init(&r->drv, r->map, r->bufs, num, stride, rx, event_idx), 0);
	r->buf_size = r->drv.buf_size;
	assert_true(r->buf_size > 0 && r->buf_size < stride);

	pb_guest_mem_init(&r->mem);
	assert_int_equal(pb_guest_mem_add(&r->mem, r->fd, G(r->map), r->size, G(r->map), 0), 0);
	r->dev.callfd = -1;
	assert_int_equal(pb_vq_dev_attach(&r->dev, &r->mem, num, G(r->drv.desc), G(r->drv.avail),
					  G(r->drv.used), 0, event_idx, indirect),
			 0);
	assert_true(pb_vq_dev_attached(&r->dev));
	return r;
}

static void rig_eventfds(struct rig *r)
{
	r->kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(r->kickfd >= 0 && r->callfd >= 0);
	r->drv.kickfd = r->kickfd;
	r->dev.callfd = r->callfd;
}

static void rig_free(struct rig *r)
{
	track(r, r);
	pb_vq_drv_fini(&r->drv);
	pb_guest_mem_clear(&r->mem);
	munmap(r->map, r->size);
	close(r->fd);
	if (r->kickfd >= 0)
		close(r->kickfd);
	if (r->callfd >= 0)
		close(r->callfd);
	free(r);
}

/* Where the device sees the driver's byte @p. */
static uint8_t *dev_view(struct rig *r, const void *p)
{
	return r->mem.regions[pb_guest_mem_find_gpa(&r->mem, G(p))].host + (G(p) - G(r->map));
}

/* Eventfd counter, drained (0 if not signalled). */
static uint64_t fd_count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

static uint8_t pat(unsigned seed, unsigned i)
{
	return (uint8_t)(seed * 37 + i * 11 + (i >> 8) + 3);
}

static void fill(uint8_t *p, unsigned len, unsigned seed)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = pat(seed, i);
}

static void check_fill(const uint8_t *p, unsigned len, unsigned seed)
{
	for (unsigned i = 0; i < len; i++)
		if (p[i] != pat(seed, i))
			fail_msg("byte %u of buffer %u: 0x%02x, want 0x%02x", i, seed, p[i],
				 pat(seed, i));
}

/* ---- hostile driver: write the shared ring by hand ---- */

static void put_desc(struct rig *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	r->drv.desc[i] =
	    (struct vring_desc){.addr = addr, .len = len, .flags = flags, .next = next};
}

static void put_ind(struct vring_desc *t, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	t[i] = (struct vring_desc){.addr = addr, .len = len, .flags = flags, .next = next};
}

static uint8_t *buf(struct rig *r, uint16_t id)
{
	return pb_vq_drv_buf(&r->drv, id);
}

/* Make @head available (driver's job, done by hand). */
static void offer(struct rig *r, uint16_t head)
{
	uint16_t idx = r->drv.avail->idx;

	r->drv.avail->ring[idx & r->drv.mask] = head;
	__atomic_store_n(&r->drv.avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

static int pop(struct rig *r)
{
	pb_vq_dev_avail(&r->dev);
	return pb_vq_dev_pop(&r->dev, &r->chain);
}

static void expect_broken(struct rig *r, int rc, const char *why)
{
	if (rc != PB_VQ_POP_BROKEN)
		fail_msg("pop returned %d, want BROKEN (%s)", rc, why);
	assert_true(r->dev.broken);
	assert_false(pb_vq_dev_attached(&r->dev));
	if (!strstr(last_log, why))
		fail_msg("log \"%s\" does not say \"%s\"", last_log, why);
}

/* A hostile case in a fresh ring: @setup writes descriptors and offers. */
static void hostile(bool indirect, void (*setup)(struct rig *), const char *why)
{
	struct rig *r = rig_new(8, 256, false, true, indirect);

	last_log[0] = 0;
	setup(r);
	expect_broken(r, pop(r), why);
	rig_free(r);
}

/* ================= attach ================= */

static void test_attach_errors(void **state)
{
	struct rig *r = rig_new(8, 256, false, true, true);
	struct pb_vq_dev *d = &r->dev;
	uint64_t desc = G(r->drv.desc), avail = G(r->drv.avail), used = G(r->drv.used);
	const uint16_t bad_num[] = {0, 3, 6, 100, 65535};

	(void)state;
	for (size_t i = 0; i < PB_ARRAY_SIZE(bad_num); i++)
		assert_int_equal(
		    pb_vq_dev_attach(d, &r->mem, bad_num[i], desc, avail, used, 0, true, true),
		    -EINVAL);
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, desc + 8, avail, used, 0, true, true),
			 -EINVAL);
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, desc, avail + 1, used, 0, true, true),
			 -EINVAL);
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, desc, avail, used + 2, 0, true, true),
			 -EINVAL);
	/* Areas outside guest memory, or running off its end. */
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, 0x1000, avail, used, 0, true, true),
			 -EFAULT);
	assert_int_equal(
	    pb_vq_dev_attach(d, &r->mem, 8, desc, G(r->map) + r->size - 8, used, 0, true, true),
	    -EFAULT);
	assert_int_equal(
	    pb_vq_dev_attach(d, &r->mem, 8, desc, avail, G(r->map) + r->size - 32, 0, true, true),
	    -EFAULT);
	/* A GPA is not a UVA: translate the ring addresses as UVAs only. */
	struct pb_guest_mem *m2 = calloc(1, sizeof(*m2));
	assert_non_null(m2);
	pb_guest_mem_init(m2);
	assert_int_equal(pb_guest_mem_add(m2, r->fd, G(r->map), r->size, 0x10000000, 0), 0);
	assert_int_equal(pb_vq_dev_attach(d, m2, 8, desc, avail, used, 0, true, true), -EFAULT);
	pb_guest_mem_clear(m2);
	/* Aligned UVAs that land on misaligned host bytes (the region's UVA is
	 * not congruent with its file offset): the index atomics need natural
	 * alignment, so refused. */
	uint64_t ring_off = G(r->drv.desc) - G(r->map);
	assert_int_equal(pb_guest_mem_add(m2, r->fd, 0x10000, r->size - 8, 0x7000000, 8), 0);
	assert_int_equal(pb_vq_dev_attach(d, m2, 8, 0x7000000 + ring_off,
					  0x7000000 + ring_off + 4096, 0x7000000 + ring_off + 8192,
					  0, true, true),
			 -EINVAL);
	pb_guest_mem_clear(m2);
	free(m2);
	/* Failures leave the queue as it was. */
	assert_ptr_equal(d->desc, dev_view(r, r->drv.desc));
	assert_true(pb_vq_dev_attached(d));

	/* callfd survives attach; detach keeps last_avail (GET_VRING_BASE). */
	d->callfd = 42;
	d->last_avail = 5;
	pb_vq_dev_detach(d);
	assert_false(pb_vq_dev_attached(d));
	assert_int_equal(d->last_avail, 5);
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, desc, avail, used, 3, true, true), 0);
	assert_int_equal(d->callfd, 42);
	assert_int_equal(d->last_avail, 3);
	assert_int_equal(d->used_idx, 3);
	d->callfd = -1;
	/* Attaching also resets a broken queue. */
	d->broken = true;
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, desc, avail, used, 0, true, true), 0);
	assert_true(pb_vq_dev_attached(d));
	rig_free(r);
}

/* ================= round trips ================= */

static void test_tx_roundtrip(void **state)
{
	struct rig *r = rig_new(8, 512, false, false, false);
	unsigned seed = 0;

	(void)state;
	for (unsigned round = 1; round <= 8; round++) {
		uint16_t ids[8];
		uint32_t lens[8];
		for (unsigned k = 0; k < round; k++) {
			ids[k] = (uint16_t)((k * 5 + round) & 7); /* any order */
			lens[k] =
			    (k + round) % 4 == 0 ? 0 : 1 + (k * 97 + round * 31) % r->buf_size;
			fill(buf(r, ids[k]), lens[k], seed + k);
			pb_vq_drv_post(&r->drv, ids[k], lens[k]);
		}
		/* Nothing visible before publish. */
		assert_int_equal(pb_vq_dev_avail(&r->dev), 0);
		assert_false(pb_vq_drv_publish(&r->drv)); /* no kick fd */
		assert_int_equal(pb_vq_dev_avail(&r->dev), round);
		for (unsigned k = 0; k < round; k++) {
			struct pb_vq_chain *c = &r->chain;
			assert_int_equal(pb_vq_dev_pop(&r->dev, c), PB_VQ_POP_OK);
			assert_int_equal(c->head, ids[k]);
			assert_int_equal(c->nseg, lens[k] ? 1 : 0);
			assert_int_equal(c->nout, c->nseg);
			assert_int_equal(c->out_len, lens[k]);
			assert_int_equal(c->in_len, 0);
			if (lens[k]) {
				assert_ptr_equal(c->seg[0].base, dev_view(r, buf(r, ids[k])));
				assert_int_equal(c->seg[0].len, lens[k]);
				check_fill(c->seg[0].base, lens[k], seed + k);
			}
		}
		assert_int_equal(pb_vq_dev_pop(&r->dev, &r->chain), PB_VQ_POP_EMPTY);
		/* Complete out of order; invisible until flush. */
		for (unsigned k = round; k-- > 0;)
			pb_vq_dev_push(&r->dev, ids[k], 0);
		assert_int_equal(pb_vq_drv_used(&r->drv), 0);
		assert_false(pb_vq_dev_flush(&r->dev)); /* no call fd */
		assert_false(pb_vq_dev_flush(&r->dev)); /* nothing new */
		assert_int_equal(pb_vq_drv_used(&r->drv), round);
		for (unsigned k = round; k-- > 0;) {
			uint16_t id = 0;
			uint32_t len = 0;
			assert_true(pb_vq_drv_take(&r->drv, &id, &len));
			assert_int_equal(id, ids[k]);
			assert_int_equal(len, 0);
		}
		assert_int_equal(pb_vq_drv_used(&r->drv), 0);
		seed += round;
	}
	assert_false(r->drv.broken);
	assert_true(pb_vq_dev_attached(&r->dev));
	rig_free(r);
}

static void test_rx_roundtrip(void **state)
{
	struct rig *r = rig_new(8, 512, true, false, false);

	(void)state;
	/* RX: every buffer was posted at init. */
	assert_int_equal(pb_vq_dev_avail(&r->dev), 8);
	for (unsigned k = 0; k < 8; k++) {
		struct pb_vq_chain *c = &r->chain;
		assert_int_equal(pb_vq_dev_pop(&r->dev, c), PB_VQ_POP_OK);
		assert_int_equal(c->head, k);
		assert_int_equal(c->nseg, 1);
		assert_int_equal(c->nout, 0);
		assert_int_equal(c->out_len, 0);
		assert_int_equal(c->in_len, r->buf_size);
		assert_ptr_equal(c->seg[0].base, dev_view(r, buf(r, (uint16_t)k)));
		unsigned len = 1 + k * 61;
		fill(c->seg[0].base, len, 100 + k);
		pb_vq_dev_push(&r->dev, c->head, len);
	}
	pb_vq_dev_flush(&r->dev);
	assert_int_equal(pb_vq_drv_used(&r->drv), 8);
	for (unsigned k = 0; k < 8; k++) {
		uint16_t id = 0;
		uint32_t len = 0;
		assert_true(pb_vq_drv_take(&r->drv, &id, &len));
		assert_int_equal(id, k);
		assert_int_equal(len, 1 + k * 61);
		check_fill(buf(r, id), len, 100 + k);
		if (k % 2)
			pb_vq_drv_post(&r->drv, id, r->buf_size);
	}
	pb_vq_drv_publish(&r->drv);
	assert_int_equal(pb_vq_dev_avail(&r->dev), 4);
	for (unsigned k = 1; k < 8; k += 2) {
		assert_int_equal(pb_vq_dev_pop(&r->dev, &r->chain), PB_VQ_POP_OK);
		assert_int_equal(r->chain.head, k);
	}
	assert_false(r->drv.broken);
	rig_free(r);
}

/* A ring taken over mid-life (SET_VRING_BASE) just before avail->idx wraps. */
static void test_attach_base_wrap(void **state)
{
	struct rig *r = rig_new(8, 128, false, false, false);
	const uint16_t base = 65532;

	(void)state;
	pb_vq_dev_detach(&r->dev);
	r->drv.avail->idx = base;
	r->drv.used->idx = base;
	for (uint16_t k = 0; k < 7; k++) {
		put_desc(r, k, G(buf(r, k)), 10 + k, 0, 0);
		offer(r, k);
	}
	assert_int_equal(r->drv.avail->idx, (uint16_t)(base + 7));
	assert_int_equal(pb_vq_dev_attach(&r->dev, &r->mem, 8, G(r->drv.desc), G(r->drv.avail),
					  G(r->drv.used), base, false, false),
			 0);
	assert_int_equal(pb_vq_dev_avail(&r->dev), 7);
	for (uint16_t k = 0; k < 7; k++) {
		assert_int_equal(pb_vq_dev_pop(&r->dev, &r->chain), PB_VQ_POP_OK);
		assert_int_equal(r->chain.head, k);
		assert_int_equal(r->chain.out_len, 10 + k);
		pb_vq_dev_push(&r->dev, k, k);
	}
	assert_int_equal(pb_vq_dev_pop(&r->dev, &r->chain), PB_VQ_POP_EMPTY);
	pb_vq_dev_flush(&r->dev);
	assert_int_equal(r->drv.used->idx, (uint16_t)(base + 7));
	for (uint16_t k = 0; k < 7; k++) {
		assert_int_equal(r->drv.used->ring[(uint16_t)(base + k) & 7].id, k);
		assert_int_equal(r->drv.used->ring[(uint16_t)(base + k) & 7].len, k);
	}
	assert_int_equal(r->dev.last_avail, (uint16_t)(base + 7));
	rig_free(r);
}

/* ================= chains ================= */

static void test_chain_direct(void **state)
{
	struct rig *r = rig_new(8, 256, false, false, false);
	struct pb_vq_chain *c = &r->chain;

	(void)state;
	/* 5 -> 2 -> 7 -> 1: two readable, then two writable; one zero-length
	 * descriptor in the middle is skipped. */
	put_desc(r, 5, G(buf(r, 5)), 10, VRING_DESC_F_NEXT, 2);
	put_desc(r, 2, G(buf(r, 2)) + 6, 20, VRING_DESC_F_NEXT, 3);
	put_desc(r, 3, 0xdead0000, 0, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 7);
	put_desc(r, 7, G(buf(r, 7)), 30, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	put_desc(r, 1, G(buf(r, 1)), 200, VRING_DESC_F_WRITE, 4);
	offer(r, 5);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 5);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(c->nout, 2);
	assert_int_equal(c->out_len, 30);
	assert_int_equal(c->in_len, 230);
	assert_ptr_equal(c->seg[0].base, dev_view(r, buf(r, 5)));
	assert_ptr_equal(c->seg[1].base, dev_view(r, buf(r, 2) + 6));
	assert_ptr_equal(c->seg[2].base, dev_view(r, buf(r, 7)));
	assert_ptr_equal(c->seg[3].base, dev_view(r, buf(r, 1)));
	assert_int_equal(c->seg[1].len, 20);
	assert_int_equal(c->seg[3].len, 200);

	/* Exactly num descriptors long: the longest chain that is not a loop. */
	for (uint16_t i = 0; i < 8; i++)
		put_desc(r, i, G(buf(r, i)), 8, i < 7 ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	offer(r, 0);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 8);
	assert_int_equal(c->out_len, 64);
	/* A chain made of nothing but empty descriptors. */
	put_desc(r, 6, 0, 0, 0, 0);
	offer(r, 6);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 0);
	assert_true(pb_vq_dev_attached(&r->dev));
	rig_free(r);
}

/* Chains longer than PB_VQ_MAX_SEGS are legal: the head is consumed and
 * reported TOO_LONG, the queue keeps going. */
static void test_chain_too_long(void **state)
{
	struct rig *r = rig_new(256, 64, false, false, true);
	struct pb_vq_chain *c = &r->chain;

	(void)state;
	/* Exactly PB_VQ_MAX_SEGS: fine. */
	for (uint16_t i = 0; i < PB_VQ_MAX_SEGS; i++)
		put_desc(r, i, G(buf(r, i)), 4, i < PB_VQ_MAX_SEGS - 1 ? VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	offer(r, 0);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, PB_VQ_MAX_SEGS);
	assert_int_equal(c->nout, PB_VQ_MAX_SEGS);

	/* 100 readable descriptors, then 100 writable ones. */
	for (unsigned w = 0; w < 2; w++) {
		uint16_t first = (uint16_t)(w * 100);
		for (uint16_t i = first; i < first + 100; i++)
			put_desc(r, i, G(buf(r, i)), 4,
				 (i < first + 99 ? VRING_DESC_F_NEXT : 0) |
				     (w ? VRING_DESC_F_WRITE : 0),
				 (uint16_t)(i + 1));
		offer(r, first);
		assert_int_equal(pop(r), PB_VQ_POP_TOO_LONG);
		assert_int_equal(c->head, first);
		assert_false(r->dev.broken);
		pb_vq_dev_push(&r->dev, c->head, 0);
	}
	/* 100 descriptors in an indirect table. */
	struct vring_desc *t = (struct vring_desc *)r->scratch;
	for (uint16_t i = 0; i < 100; i++)
		put_ind(t, i, G(buf(r, i)), 4, i < 99 ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	put_desc(r, 250, G(t), 100 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 250);
	assert_int_equal(pop(r), PB_VQ_POP_TOO_LONG);
	assert_int_equal(c->head, 250);
	assert_false(r->dev.broken);

	/* The queue still works. */
	put_desc(r, 240, G(buf(r, 240)), 33, 0, 0);
	offer(r, 240);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 240);
	assert_int_equal(c->nseg, 1);
	assert_int_equal(c->out_len, 33);
	assert_true(pb_vq_dev_attached(&r->dev));
	rig_free(r);
}

/* A TOO_LONG chain still describes seg[] truthfully: nseg and nout count
 * segments that are in the array (a caller that loops over the readable
 * segments of a dropped chain, e.g. to log or count it, must not run past
 * seg[PB_VQ_MAX_SEGS - 1]), and out_len/in_len add up what is there. */
static void test_chain_too_long_counts(void **state)
{
	struct rig *r = rig_new(256, 64, false, false, true);
	struct pb_vq_chain *c = &r->chain;

	(void)state;
	for (unsigned w = 0; w < 2; w++) {
		uint16_t first = (uint16_t)(w * 100);
		for (uint16_t i = first; i < first + 100; i++)
			put_desc(r, i, G(buf(r, i)), 4,
				 (i < first + 99 ? VRING_DESC_F_NEXT : 0) |
				     (w ? VRING_DESC_F_WRITE : 0),
				 (uint16_t)(i + 1));
		offer(r, first);
		assert_int_equal(pop(r), PB_VQ_POP_TOO_LONG);
		assert_true(c->nseg <= PB_VQ_MAX_SEGS);
		if (c->nout > c->nseg)
			fail_msg("TOO_LONG chain: nout %u > nseg %u (seg[] has %u)", c->nout,
				 c->nseg, PB_VQ_MAX_SEGS);
		uint32_t out = 0, in = 0;
		for (unsigned k = 0; k < c->nseg; k++)
			*(k < c->nout ? &out : &in) += c->seg[k].len;
		assert_int_equal(c->out_len, out);
		assert_int_equal(c->in_len, in);
	}
	rig_free(r);
}

static void test_indirect_ok(void **state)
{
	struct rig *r = rig_new(8, 256, false, true, true);
	struct pb_vq_chain *c = &r->chain;
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	(void)state;
	/* Table order 0 -> 2 -> 1: next is followed inside the table. */
	put_ind(t, 0, G(buf(r, 1)), 10, VRING_DESC_F_NEXT, 2);
	put_ind(t, 2, G(buf(r, 2)), 20, VRING_DESC_F_NEXT, 1);
	put_ind(t, 1, G(buf(r, 3)), 30, VRING_DESC_F_WRITE, 0);
	put_desc(r, 4, G(t), 3 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 4);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 4);
	assert_int_equal(c->nseg, 3);
	assert_int_equal(c->nout, 2);
	assert_int_equal(c->out_len, 30);
	assert_int_equal(c->in_len, 30);
	assert_ptr_equal(c->seg[0].base, dev_view(r, buf(r, 1)));
	assert_ptr_equal(c->seg[1].base, dev_view(r, buf(r, 2)));
	assert_ptr_equal(c->seg[2].base, dev_view(r, buf(r, 3)));

	/* §2.7.5.3.2: the WRITE flag of the descriptor naming the table is
	 * ignored. */
	put_desc(r, 5, G(t), 3 * sizeof(*t), VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	offer(r, 5);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 3);
	assert_int_equal(c->nout, 2);

	/* §2.7.5.3.2: direct descriptors followed by one indirect one. */
	put_desc(r, 0, G(buf(r, 0)), 7, VRING_DESC_F_NEXT, 6);
	put_desc(r, 6, G(t), 3 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(c->nout, 3);
	assert_int_equal(c->out_len, 37);
	assert_ptr_equal(c->seg[0].base, dev_view(r, buf(r, 0)));

	/* The longest loop-free chain in a table is the table. */
	struct vring_desc *t2 = t + 16;
	for (uint16_t i = 0; i < 16; i++)
		put_ind(t2, i, G(buf(r, 7)) + i, 1, i < 15 ? VRING_DESC_F_NEXT : 0,
			(uint16_t)(i + 1));
	put_desc(r, 7, G(t2), 16 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 7);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 16);
	assert_true(pb_vq_dev_attached(&r->dev));
	rig_free(r);
}

/* The spec puts no alignment on an indirect table ("anywhere in memory"):
 * one at an odd address is legal and must be read correctly (and, under
 * UBSan, without misaligned loads). */
static void test_indirect_unaligned(void **state)
{
	struct rig *r = rig_new(8, 256, false, true, true);
	struct pb_vq_chain *c = &r->chain;
	const size_t skew[] = {8, 4, 1};

	(void)state;
	for (size_t k = 0; k < PB_ARRAY_SIZE(skew); k++) {
		uint8_t *at = r->scratch + 256 * (k + 1) + skew[k];
		struct vring_desc t[2] = {
		    {.addr = G(buf(r, 1)), .len = 10, .flags = VRING_DESC_F_NEXT, .next = 1},
		    {.addr = G(buf(r, 2)), .len = 20, .flags = VRING_DESC_F_WRITE, .next = 0},
		};
		memcpy(at, t, sizeof(t));
		put_desc(r, (uint16_t)k, G(at), sizeof(t), VRING_DESC_F_INDIRECT, 0);
		offer(r, (uint16_t)k);
		assert_int_equal(pop(r), PB_VQ_POP_OK);
		assert_int_equal(c->nseg, 2);
		assert_int_equal(c->nout, 1);
		assert_int_equal(c->out_len, 10);
		assert_int_equal(c->in_len, 20);
		assert_ptr_equal(c->seg[1].base, dev_view(r, buf(r, 2)));
	}
	rig_free(r);
}

/* ================= hostile driver: device must break, not hang ========= */

static void test_avail_idx_too_far(void **state)
{
	struct rig *r = rig_new(8, 256, false, true, true);

	(void)state;
	/* Exactly num ahead is a full ring: fine. */
	for (uint16_t i = 0; i < 8; i++)
		offer(r, i);
	assert_int_equal(pb_vq_dev_avail(&r->dev), 8);
	for (uint16_t i = 0; i < 8; i++)
		assert_int_equal(pb_vq_dev_pop(&r->dev, &r->chain), PB_VQ_POP_OK);
	assert_true(pb_vq_dev_attached(&r->dev));
	/* num + 1 ahead: broken (and said so), nothing popped. */
	last_log[0] = 0;
	r->drv.avail->idx = (uint16_t)(8 + 9);
	assert_int_equal(pb_vq_dev_avail(&r->dev), 0);
	assert_true(r->dev.broken);
	assert_non_null(strstr(last_log, "avail"));
	assert_int_equal(pb_vq_dev_pop(&r->dev, &r->chain), PB_VQ_POP_BROKEN);
	assert_int_equal(r->dev.last_avail, 8);
	rig_free(r);

	/* Going backwards looks like 65535 ahead. */
	r = rig_new(8, 256, false, true, true);
	offer(r, 0);
	assert_int_equal(pb_vq_dev_avail(&r->dev), 1);
	assert_int_equal(pb_vq_dev_pop(&r->dev, &r->chain), PB_VQ_POP_OK);
	r->drv.avail->idx = 0;
	assert_int_equal(pb_vq_dev_avail(&r->dev), 0);
	assert_true(r->dev.broken);
	rig_free(r);
}

static void setup_head_num(struct rig *r)
{
	offer(r, 8);
}

static void setup_head_ffff(struct rig *r)
{
	offer(r, 0xffff);
}

static void setup_next_oob(struct rig *r)
{
	put_desc(r, 0, G(buf(r, 0)), 16, VRING_DESC_F_NEXT, 8);
	offer(r, 0);
}

static void setup_loop2(struct rig *r)
{
	put_desc(r, 0, G(buf(r, 0)), 16, VRING_DESC_F_NEXT, 1);
	put_desc(r, 1, G(buf(r, 1)), 16, VRING_DESC_F_NEXT, 0);
	offer(r, 0);
}

static void setup_loop_self(struct rig *r)
{
	put_desc(r, 3, G(buf(r, 3)), 16, VRING_DESC_F_NEXT, 3);
	offer(r, 3);
}

/* A loop of empty descriptors: no translation on the way to slow it down. */
static void setup_loop_empty(struct rig *r)
{
	put_desc(r, 2, 0, 0, VRING_DESC_F_NEXT, 5);
	put_desc(r, 5, 0, 0, VRING_DESC_F_NEXT, 2);
	offer(r, 2);
}

/* A rho: a tail into a cycle that does not include the head. */
static void setup_loop_rho(struct rig *r)
{
	put_desc(r, 0, G(buf(r, 0)), 1, VRING_DESC_F_NEXT, 1);
	put_desc(r, 1, G(buf(r, 1)), 1, VRING_DESC_F_NEXT, 2);
	put_desc(r, 2, G(buf(r, 2)), 1, VRING_DESC_F_NEXT, 3);
	put_desc(r, 3, G(buf(r, 3)), 1, VRING_DESC_F_NEXT, 1);
	offer(r, 0);
}

static void setup_readable_after_writable(struct rig *r)
{
	put_desc(r, 0, G(buf(r, 0)), 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	put_desc(r, 1, G(buf(r, 1)), 16, 0, 0);
	offer(r, 0);
}

static void setup_buf_outside(struct rig *r)
{
	put_desc(r, 0, 0x1000, 16, 0, 0);
	offer(r, 0);
}

static void setup_buf_cross_end(struct rig *r)
{
	put_desc(r, 0, G(r->map) + r->size - 8, 16, VRING_DESC_F_WRITE, 0);
	offer(r, 0);
}

static void setup_buf_wraps(struct rig *r)
{
	put_desc(r, 0, UINT64_MAX - 3, 16, 0, 0);
	offer(r, 0);
}

static void setup_buf_before_start(struct rig *r)
{
	put_desc(r, 0, G(r->map) - 8, 16, 0, 0);
	offer(r, 0);
}

/* A bad buffer after good ones in the chain. */
static void setup_buf_outside_late(struct rig *r)
{
	put_desc(r, 0, G(buf(r, 0)), 16, VRING_DESC_F_NEXT, 1);
	put_desc(r, 1, G(r->map) + r->size, 1, 0, 0);
	offer(r, 0);
}

static void setup_indirect(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(buf(r, 1)), 16, 0, 0);
	put_desc(r, 0, G(t), sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

static void setup_indirect_len(struct rig *r, uint32_t len)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	for (uint16_t i = 0; i < 4; i++)
		put_ind(t, i, G(buf(r, 1)), 16, 0, 0);
	put_desc(r, 0, G(t), len, VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

static void setup_ind_len0(struct rig *r)
{
	setup_indirect_len(r, 0);
}

static void setup_ind_len8(struct rig *r)
{
	setup_indirect_len(r, 8);
}

static void setup_ind_len17(struct rig *r)
{
	setup_indirect_len(r, 17);
}

static void setup_ind_len40(struct rig *r)
{
	setup_indirect_len(r, 40);
}

static void setup_ind_huge(struct rig *r)
{
	setup_indirect_len(r, (PB_VRING_MAX_SIZE + 1) * 16);
}

static void setup_ind_nested(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(buf(r, 1)), 16, VRING_DESC_F_NEXT, 1);
	put_ind(t, 1, G(t), 2 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	put_desc(r, 0, G(t), 2 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

static void setup_ind_next(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(buf(r, 1)), 16, 0, 0);
	put_desc(r, 0, G(t), sizeof(*t), VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	put_desc(r, 1, G(buf(r, 1)), 16, 0, 0);
	offer(r, 0);
}

static void setup_ind_outside(struct rig *r)
{
	put_desc(r, 0, 0x1000, 32, VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

static void setup_ind_cross_end(struct rig *r)
{
	put_desc(r, 0, G(r->map) + r->size - 16, 32, VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

static void setup_ind_loop(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(buf(r, 1)), 16, VRING_DESC_F_NEXT, 1);
	put_ind(t, 1, G(buf(r, 2)), 16, VRING_DESC_F_NEXT, 0);
	put_desc(r, 0, G(t), 2 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

/* next must be checked against the table's length, not the ring's. */
static void setup_ind_next_oob(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(buf(r, 1)), 16, VRING_DESC_F_NEXT, 2);
	put_ind(t, 1, G(buf(r, 2)), 16, 0, 0);
	put_ind(t, 2, G(buf(r, 3)), 16, 0, 0); /* present, but past len */
	put_desc(r, 0, G(t), 2 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

static void setup_ind_rw_order(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(buf(r, 1)), 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	put_ind(t, 1, G(buf(r, 2)), 16, 0, 0);
	put_desc(r, 0, G(t), 2 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

/* Writable direct descriptor, then an indirect table with a readable one. */
static void setup_ind_rw_order_mixed(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(buf(r, 1)), 16, 0, 0);
	put_desc(r, 0, G(buf(r, 0)), 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	put_desc(r, 1, G(t), sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

static void setup_ind_buf_outside(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(buf(r, 1)), 16, VRING_DESC_F_NEXT, 1);
	put_ind(t, 1, G(r->map) + r->size - 4, 8, VRING_DESC_F_WRITE, 0);
	put_desc(r, 0, G(t), 2 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

static void test_hostile_indices(void **state)
{
	(void)state;
	hostile(true, setup_head_num, "head out of range");
	hostile(true, setup_head_ffff, "head out of range");
	hostile(true, setup_next_oob, "next index out of range");
}

static void test_hostile_loops(void **state)
{
	(void)state;
	hostile(true, setup_loop2, "loops");
	hostile(true, setup_loop_self, "loops");
	hostile(true, setup_loop_empty, "loops");
	hostile(true, setup_loop_rho, "loops");
	hostile(true, setup_ind_loop, "loops");
}

static void test_hostile_buffers(void **state)
{
	(void)state;
	hostile(true, setup_readable_after_writable, "readable after writable");
	hostile(true, setup_buf_outside, "buffer outside");
	hostile(true, setup_buf_cross_end, "buffer outside");
	hostile(true, setup_buf_wraps, "buffer outside");
	hostile(true, setup_buf_before_start, "buffer outside");
	hostile(true, setup_buf_outside_late, "buffer outside");
}

static void test_hostile_indirect(void **state)
{
	(void)state;
	hostile(false, setup_indirect, "unexpected indirect");
	hostile(true, setup_ind_len0, "indirect table length");
	hostile(true, setup_ind_len8, "indirect table length");
	hostile(true, setup_ind_len17, "indirect table length");
	hostile(true, setup_ind_len40, "indirect table length");
	hostile(true, setup_ind_huge, "indirect table length");
	hostile(true, setup_ind_nested, "unexpected indirect");
	hostile(true, setup_ind_next, "NEXT");
	hostile(true, setup_ind_outside, "indirect table outside");
	hostile(true, setup_ind_cross_end, "indirect table outside");
	hostile(true, setup_ind_next_oob, "next index out of range");
	hostile(true, setup_ind_rw_order, "readable after writable");
	hostile(true, setup_ind_rw_order_mixed, "readable after writable");
	hostile(true, setup_ind_buf_outside, "buffer outside");
}

/* Two regions back to back in GPA space, from different files: a buffer
 * across the seam is not contiguous in our mappings and must be refused;
 * one wholly in the second region is read from the second file. */
static void test_buffer_across_regions(void **state)
{
	struct rig *r = rig_new(8, 256, false, true, true);
	struct pb_vq_chain *c = &r->chain;
	uint64_t end = G(r->map) + r->size;
	int fd2 = memfd_create("second", MFD_CLOEXEC);

	(void)state;
	assert_true(fd2 >= 0);
	assert_int_equal(ftruncate(fd2, 4096), 0);
	assert_int_equal(pwrite(fd2, "second region", 13, 0), 13);
	assert_int_equal(pb_guest_mem_add(&r->mem, fd2, end, 4096, end + (1ULL << 32), 0), 0);
	close(fd2);

	put_desc(r, 0, end, 13, 0, 0);
	offer(r, 0);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->seg[0].len, 13);
	assert_memory_equal(c->seg[0].base, "second region", 13);

	/* An indirect table in the second region, naming a buffer in the first. */
	struct vring_desc t = {.addr = G(buf(r, 3)), .len = 5, .flags = 0, .next = 0};
	uint8_t *second = r->mem.regions[1].host;
	assert_int_equal(r->mem.regions[1].gpa, end);
	memcpy(second + 64, &t, sizeof(t));
	put_desc(r, 1, end + 64, sizeof(t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 1);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_ptr_equal(c->seg[0].base, dev_view(r, buf(r, 3)));

	last_log[0] = 0;
	put_desc(r, 2, end - 8, 16, 0, 0);
	offer(r, 2);
	expect_broken(r, pop(r), "buffer outside");
	rig_free(r);

	/* The same for an indirect table across the seam. */
	r = rig_new(8, 256, false, true, true);
	end = G(r->map) + r->size;
	fd2 = memfd_create("second", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd2, 4096), 0);
	assert_int_equal(pb_guest_mem_add(&r->mem, fd2, end, 4096, end + (1ULL << 32), 0), 0);
	close(fd2);
	last_log[0] = 0;
	put_desc(r, 0, end - 16, 32, VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
	expect_broken(r, pop(r), "indirect table outside");
	rig_free(r);
}

/* ================= hostile device: driver must break ================= */

static void put_used(struct rig *r, uint16_t slot, uint32_t id, uint32_t len)
{
	r->drv.used->ring[slot & r->drv.mask] = (struct vring_used_elem){.id = id, .len = len};
}

static void test_driver_hostile_used(void **state)
{
	struct rig *r;
	uint16_t id = 0;
	uint32_t len = 0;

	(void)state;
	/* id >= num */
	r = rig_new(8, 256, false, true, true);
	pb_vq_drv_post(&r->drv, 0, 10);
	pb_vq_drv_publish(&r->drv);
	put_used(r, 0, 8, 0);
	r->drv.used->idx = 1;
	assert_int_equal(pb_vq_drv_used(&r->drv), 1);
	assert_false(pb_vq_drv_take(&r->drv, &id, &len));
	assert_true(r->drv.broken);
	assert_int_equal(r->drv.last_used, 0);
	rig_free(r);

	/* A huge id (le32 on the wire). */
	r = rig_new(8, 256, false, true, true);
	pb_vq_drv_post(&r->drv, 0, 10);
	pb_vq_drv_publish(&r->drv);
	put_used(r, 0, 0x10000, 0); /* truncates to 0, which is posted */
	r->drv.used->idx = 1;
	assert_false(pb_vq_drv_take(&r->drv, &id, &len));
	assert_true(r->drv.broken);
	rig_free(r);

	/* id not posted */
	r = rig_new(8, 256, false, true, true);
	pb_vq_drv_post(&r->drv, 0, 10);
	pb_vq_drv_publish(&r->drv);
	put_used(r, 0, 1, 0);
	r->drv.used->idx = 1;
	assert_false(pb_vq_drv_take(&r->drv, &id, &len));
	assert_true(r->drv.broken);
	rig_free(r);

	/* the same id returned twice */
	r = rig_new(8, 256, false, true, true);
	pb_vq_drv_post(&r->drv, 0, 10);
	pb_vq_drv_post(&r->drv, 1, 10);
	pb_vq_drv_publish(&r->drv);
	put_used(r, 0, 1, 0);
	put_used(r, 1, 1, 0);
	r->drv.used->idx = 2;
	assert_int_equal(pb_vq_drv_used(&r->drv), 2);
	assert_true(pb_vq_drv_take(&r->drv, &id, &len));
	assert_int_equal(id, 1);
	assert_false(pb_vq_drv_take(&r->drv, &id, &len));
	assert_true(r->drv.broken);
	rig_free(r);

	/* len > buf_size (RX: all posted); exactly buf_size is fine. */
	r = rig_new(8, 256, true, true, true);
	put_used(r, 0, 3, r->buf_size);
	put_used(r, 1, 4, r->buf_size + 1);
	r->drv.used->idx = 2;
	assert_int_equal(pb_vq_drv_used(&r->drv), 2);
	assert_true(pb_vq_drv_take(&r->drv, &id, &len));
	assert_int_equal(id, 3);
	assert_int_equal(len, r->buf_size);
	assert_false(r->drv.broken);
	assert_false(pb_vq_drv_take(&r->drv, &id, &len));
	assert_true(r->drv.broken);
	rig_free(r);

	/* len near 2^32 */
	r = rig_new(8, 256, true, true, true);
	put_used(r, 0, 3, UINT32_MAX);
	r->drv.used->idx = 1;
	assert_false(pb_vq_drv_take(&r->drv, &id, &len));
	assert_true(r->drv.broken);
	rig_free(r);

	/* used idx: num ahead is a full ring, num + 1 (or backwards) breaks. */
	r = rig_new(8, 256, true, true, true);
	r->drv.used->idx = 8;
	assert_int_equal(pb_vq_drv_used(&r->drv), 8);
	assert_false(r->drv.broken);
	r->drv.used->idx = 9;
	assert_int_equal(pb_vq_drv_used(&r->drv), 0);
	assert_true(r->drv.broken);
	rig_free(r);
	r = rig_new(8, 256, true, true, true);
	r->drv.used->idx = 0xffff;
	assert_int_equal(pb_vq_drv_used(&r->drv), 0);
	assert_true(r->drv.broken);
	rig_free(r);
}

/* ================= notifications ================= */

static void test_event_idx_kick(void **state)
{
	struct rig *r = rig_new(16, 64, false, true, true);
	struct pb_vq_dev *d = &r->dev;

	(void)state;
	rig_eventfds(r);
	/* Attached with kicks off: the driver must not kick. */
	assert_int_equal(*d->avail_event, (uint16_t)(0 - 1));
	pb_vq_drv_post(&r->drv, 0, 1);
	assert_false(pb_vq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 0);

	/* Asking for kicks with a chain already there: "don't sleep". */
	assert_true(pb_vq_dev_set_notify(d, true));
	assert_int_equal(*d->avail_event, 0);
	pb_vq_dev_set_notify(d, false);
	assert_int_equal(pb_vq_dev_avail(d), 1);
	assert_int_equal(pb_vq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_vq_dev_push(d, r->chain.head, 0);
	/* The driver has calls off (used_event = last_used - 1). */
	assert_false(pb_vq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 0);

	/* Drained: ask, nothing there, sleep; the next publish kicks once. */
	assert_false(pb_vq_dev_set_notify(d, true));
	assert_int_equal(*d->avail_event, 1);
	pb_vq_drv_post(&r->drv, 1, 1);
	assert_true(pb_vq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 1);
	/* It asked once, so only once. */
	pb_vq_drv_post(&r->drv, 2, 1);
	assert_false(pb_vq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 0);
	assert_int_equal(r->drv.kicks, 1);

	/* A batch published at once is one kick. */
	assert_int_equal(pb_vq_dev_avail(d), 2);
	while (pb_vq_dev_pop(d, &r->chain) == PB_VQ_POP_OK)
		pb_vq_dev_push(d, r->chain.head, 0);
	assert_false(pb_vq_dev_set_notify(d, true));
	for (uint16_t i = 3; i < 8; i++)
		pb_vq_drv_post(&r->drv, i, 1);
	assert_true(pb_vq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 1);
	assert_int_equal(r->drv.kicks, 2);
	/* Asking while chains wait: "don't sleep", and no kick needed. */
	assert_true(pb_vq_dev_set_notify(d, true));
	/* Kicks off again: nothing. */
	pb_vq_dev_set_notify(d, false);
	pb_vq_drv_post(&r->drv, 8, 1);
	assert_false(pb_vq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 0);
	assert_int_equal(r->drv.kicks, 2);
	rig_free(r);
}

static void test_event_idx_call(void **state)
{
	struct rig *r = rig_new(16, 64, false, true, true);
	struct pb_vq_dev *d = &r->dev;
	uint16_t id = 0;
	uint32_t len = 0;

	(void)state;
	rig_eventfds(r);
	for (uint16_t i = 0; i < 12; i++)
		pb_vq_drv_post(&r->drv, i, 1);
	pb_vq_drv_publish(&r->drv);
	assert_int_equal(pb_vq_dev_avail(d), 12);

	/* Calls off after init. */
	assert_int_equal(pb_vq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_vq_dev_push(d, r->chain.head, 0);
	assert_false(pb_vq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 0);

	/* The driver asks while a used element waits: "don't sleep". */
	assert_true(pb_vq_drv_set_notify(&r->drv, true));
	assert_true(pb_vq_drv_take(&r->drv, &id, &len));
	/* Now asks with nothing there: the next flush calls, once. */
	assert_false(pb_vq_drv_set_notify(&r->drv, true));
	assert_int_equal(*r->drv.used_event, 1);
	assert_int_equal(pb_vq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_vq_dev_push(d, r->chain.head, 0);
	assert_true(pb_vq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 1);
	assert_int_equal(pb_vq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_vq_dev_push(d, r->chain.head, 0);
	assert_false(pb_vq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 0);
	assert_int_equal(d->calls, 1);
	while (pb_vq_drv_used(&r->drv))
		assert_true(pb_vq_drv_take(&r->drv, &id, &len));

	/* A driver that wants a call only after 3 more (used_event ahead). */
	*r->drv.used_event = (uint16_t)(r->drv.last_used + 2);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(pb_vq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
		pb_vq_dev_push(d, r->chain.head, 0);
		assert_int_equal(pb_vq_dev_flush(d), k == 2);
	}
	assert_int_equal(fd_count(r->callfd), 1);
	/* And the same crossed by one flush of several. */
	*r->drv.used_event = (uint16_t)(d->used_idx + 1);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(pb_vq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
		pb_vq_dev_push(d, r->chain.head, 0);
	}
	assert_true(pb_vq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 1);
	assert_int_equal(d->calls, 3);

	/* Calls off: nothing. */
	pb_vq_drv_set_notify(&r->drv, false);
	assert_int_equal(pb_vq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_vq_dev_push(d, r->chain.head, 0);
	assert_false(pb_vq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 0);
	rig_free(r);
}

/* Under EVENT_IDX the flags are ignored both ways (§2.7.7.2, §2.7.10.2). */
static void test_event_idx_ignores_flags(void **state)
{
	struct rig *r = rig_new(16, 64, false, true, true);
	struct pb_vq_dev *d = &r->dev;

	(void)state;
	rig_eventfds(r);
	assert_int_equal(r->drv.used->flags, 0); /* device leaves flags at 0 */
	assert_int_equal(r->drv.avail->flags, 0);
	assert_false(pb_vq_dev_set_notify(d, true));
	assert_int_equal(r->drv.used->flags, 0);
	r->drv.used->flags = VRING_USED_F_NO_NOTIFY; /* a confused device */
	pb_vq_drv_post(&r->drv, 0, 1);
	assert_true(pb_vq_drv_publish(&r->drv));

	assert_false(pb_vq_drv_set_notify(&r->drv, true));
	assert_int_equal(r->drv.avail->flags, 0);
	r->drv.avail->flags = VRING_AVAIL_F_NO_INTERRUPT; /* a confused driver */
	assert_int_equal(pb_vq_dev_avail(d), 1);
	assert_int_equal(pb_vq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_vq_dev_push(d, r->chain.head, 0);
	assert_true(pb_vq_dev_flush(d));
	assert_int_equal(fd_count(r->kickfd), 1);
	assert_int_equal(fd_count(r->callfd), 1);
	rig_free(r);
}

/* Without EVENT_IDX: the NO_NOTIFY / NO_INTERRUPT flags, every time. */
static void test_flags_suppression(void **state)
{
	struct rig *r = rig_new(16, 64, false, false, false);
	struct pb_vq_dev *d = &r->dev;
	uint16_t id = 0;
	uint32_t len = 0;

	(void)state;
	rig_eventfds(r);
	assert_int_equal(r->drv.used->flags, VRING_USED_F_NO_NOTIFY);
	assert_int_equal(r->drv.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	pb_vq_drv_post(&r->drv, 0, 1);
	assert_false(pb_vq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 0);

	assert_true(pb_vq_dev_set_notify(d, true)); /* one waiting */
	assert_int_equal(r->drv.used->flags, 0);
	pb_vq_drv_post(&r->drv, 1, 1);
	assert_true(pb_vq_drv_publish(&r->drv));
	pb_vq_drv_post(&r->drv, 2, 1);
	assert_true(pb_vq_drv_publish(&r->drv));  /* still asked: again */
	assert_false(pb_vq_drv_publish(&r->drv)); /* nothing new: no kick */
	assert_int_equal(fd_count(r->kickfd), 2);
	assert_int_equal(r->drv.kicks, 2);
	/* The avail_event word is not looked at. */
	*r->drv.avail_event = 1000;
	pb_vq_drv_post(&r->drv, 3, 1);
	assert_true(pb_vq_drv_publish(&r->drv));
	pb_vq_dev_set_notify(d, false);
	assert_int_equal(r->drv.used->flags, VRING_USED_F_NO_NOTIFY);
	pb_vq_drv_post(&r->drv, 4, 1);
	assert_false(pb_vq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 1);

	assert_int_equal(pb_vq_dev_avail(d), 5);
	for (unsigned k = 0; k < 5; k++) {
		assert_int_equal(pb_vq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
		pb_vq_dev_push(d, r->chain.head, 0);
		if (k == 0) {
			assert_false(pb_vq_dev_flush(d));		  /* calls off */
			assert_true(pb_vq_drv_set_notify(&r->drv, true)); /* one waiting */
			assert_int_equal(r->drv.avail->flags, 0);
			*r->drv.used_event = 1000; /* ignored */
		} else if (k < 4) {
			assert_true(pb_vq_dev_flush(d));
		} else {
			pb_vq_drv_set_notify(&r->drv, false);
			assert_false(pb_vq_dev_flush(d));
		}
	}
	assert_int_equal(fd_count(r->callfd), 3);
	assert_int_equal(d->calls, 3);
	while (pb_vq_drv_used(&r->drv))
		assert_true(pb_vq_drv_take(&r->drv, &id, &len));
	assert_false(pb_vq_drv_set_notify(&r->drv, true)); /* nothing waiting */
	assert_false(r->drv.broken);
	rig_free(r);
}

/* ================= a step-by-step model, past 65536 ================= */

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

/*
 * Driver and device take turns, each sleeping at random (asking for a
 * notification first, as a real loop does). Each notification decision is
 * checked against the model: with EVENT_IDX exactly the first publish/flush
 * after the other side went to sleep notifies; with flags, every one while
 * it sleeps does; an awake side is never notified. A lost wake-up shows as
 * both sides asleep with no fd signalled. Payloads carry a sequence number
 * and are checked byte for byte; 70000 frames wrap every index.
 */
static void run_model(uint16_t num, bool rx, bool event_idx, unsigned total, uint64_t seed)
{
	struct rig *r = rig_new(num, 256, rx, event_idx, false);
	struct pb_vq_drv *v = &r->drv;
	struct pb_vq_dev *d = &r->dev;
	uint16_t *free_ids = calloc(num, sizeof(*free_ids));
	uint32_t *sent_len = calloc(num, sizeof(*sent_len));
	unsigned nfree = 0, posted = rx ? num : 0, sent = 0, done = 0, dev_seq = 0;
	bool dev_asleep = false, drv_asleep = false, dev_kicked = false, drv_called = false;
	uint64_t kicks = 0, calls = 0, kicks_read = 0, calls_read = 0;

	rig_eventfds(r);
	assert_non_null(free_ids);
	assert_non_null(sent_len);
	if (!rx)
		for (uint16_t i = 0; i < num; i++)
			free_ids[nfree++] = i;
	for (unsigned step = 0; done < total; step++) {
		if (step > 50 * total)
			fail_msg("no progress: %u of %u", done, total);
		/* ---- driver ---- */
		if (drv_asleep) {
			uint64_t n = fd_count(r->callfd);
			if (event_idx)
				assert_true(n <= 1); /* it asked once */
			calls_read += n;
			if (n) {
				drv_asleep = false;
				pb_vq_drv_set_notify(v, false);
			}
		}
		if (!drv_asleep) {
			uint16_t id = 0;
			uint32_t len = 0;
			for (uint16_t n = pb_vq_drv_used(v); n; n--) {
				assert_true(pb_vq_drv_take(v, &id, &len));
				posted--;
				if (rx) {
					assert_true(len >= 4);
					uint32_t seq;
					memcpy(&seq, buf(r, id), 4);
					assert_int_equal(seq, done);
					check_fill(buf(r, id) + 4, len - 4, seq);
				} else {
					assert_int_equal(len, 0);
				}
				done++;
				free_ids[nfree++] = id;
			}
			unsigned want = nfree ? 1 + rnd(&seed) % nfree : 0;
			if (!rx && want > total - sent)
				want = total - sent;
			for (unsigned k = 0; k < want; k++) {
				id = free_ids[--nfree];
				if (rx) {
					pb_vq_drv_post(v, id, r->buf_size);
				} else {
					uint32_t l = 4 + rnd(&seed) % (r->buf_size - 3);
					memcpy(buf(r, id), &sent, 4);
					fill(buf(r, id) + 4, l - 4, sent);
					sent_len[id] = l;
					pb_vq_drv_post(v, id, l);
					sent++;
				}
				posted++;
			}
			bool expect = dev_asleep && (event_idx ? !dev_kicked : want > 0);
			if (want == 0)
				expect = false;
			bool kicked = pb_vq_drv_publish(v);
			if (kicked != expect)
				fail_msg("step %u: publish kicked %d, model says %d (dev %s)", step,
					 kicked, expect, dev_asleep ? "asleep" : "awake");
			kicks += kicked;
			if (kicked)
				dev_kicked = true;
			/* Sleep now and then, if something is in flight. */
			if (posted && (nfree == 0 || rnd(&seed) % 2)) {
				if (pb_vq_drv_set_notify(v, true)) {
					assert_true(pb_load_acquire(&v->used->idx) != v->last_used);
					pb_vq_drv_set_notify(v, false);
				} else {
					drv_asleep = true;
					drv_called = false;
				}
			}
		}
		/* ---- device ---- */
		if (dev_asleep) {
			uint64_t n = fd_count(r->kickfd);
			if (event_idx)
				assert_true(n <= 1); /* it asked once */
			kicks_read += n;
			if (n) {
				dev_asleep = false;
				pb_vq_dev_set_notify(d, false);
			}
		}
		if (!dev_asleep) {
			uint16_t n = pb_vq_dev_avail(d);
			unsigned pushed = 0;
			assert_false(d->broken);
			while (n--) {
				struct pb_vq_chain *c = &r->chain;
				assert_int_equal(pb_vq_dev_pop(d, c), PB_VQ_POP_OK);
				assert_int_equal(c->nseg, 1);
				if (rx) {
					assert_int_equal(c->in_len, r->buf_size);
					uint32_t l = 4 + rnd(&seed) % (r->buf_size - 3);
					memcpy(c->seg[0].base, &dev_seq, 4);
					fill(c->seg[0].base + 4, l - 4, dev_seq);
					pb_vq_dev_push(d, c->head, l);
				} else {
					uint32_t seq;
					assert_int_equal(c->out_len, sent_len[c->head]);
					memcpy(&seq, c->seg[0].base, 4);
					assert_int_equal(seq, dev_seq);
					check_fill(c->seg[0].base + 4, c->out_len - 4, seq);
					pb_vq_dev_push(d, c->head, 0);
				}
				dev_seq++;
				pushed++;
				/* Flush in random batches. */
				if (rnd(&seed) % 4 == 0 || n == 0) {
					bool expect =
					    drv_asleep && (event_idx ? !drv_called : true);
					bool called = pb_vq_dev_flush(d);
					if (called != expect)
						fail_msg("step %u: flush called %d, model says %d",
							 step, called, expect);
					calls += called;
					if (called)
						drv_called = true;
				}
			}
			assert_int_equal(pb_vq_dev_pop(d, &r->chain), PB_VQ_POP_EMPTY);
			if (rnd(&seed) % 2) {
				if (pb_vq_dev_set_notify(d, true)) {
					assert_true(pb_load_acquire(&v->avail->idx) !=
						    d->last_avail);
					pb_vq_dev_set_notify(d, false);
				} else {
					dev_asleep = true;
					dev_kicked = false;
				}
			}
		}
		/* Both asleep with nobody notified: a lost wake-up. */
		if (dev_asleep && drv_asleep && !dev_kicked && !drv_called)
			fail_msg("step %u: both asleep, no notification pending", step);
	}
	assert_int_equal(v->kicks, kicks);
	assert_int_equal(d->calls, calls);
	/* The eventfds saw exactly the notifications the calls reported. */
	assert_int_equal(kicks_read + fd_count(r->kickfd), kicks);
	assert_int_equal(calls_read + fd_count(r->callfd), calls);
	assert_true(kicks > 100 && calls > 100);
	assert_false(v->broken);
	assert_true(pb_vq_dev_attached(d));
	/* Every index went round past 65536. */
	assert_true(done > 65536);
	free(free_ids);
	free(sent_len);
	rig_free(r);
}

static void test_model_tx_event_idx(void **state)
{
	(void)state;
	run_model(16, false, true, 70000, 1);
}

static void test_model_tx_flags(void **state)
{
	(void)state;
	run_model(8, false, false, 70000, 2);
}

static void test_model_rx_event_idx(void **state)
{
	(void)state;
	run_model(256, true, true, 70000, 3);
}

static void test_model_rx_flags(void **state)
{
	(void)state;
	run_model(4, true, false, 70000, 4);
}

/* ================= two threads that really sleep ================= */

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
	fd_count(fd);
	return true;
}

static void *device_thread(void *arg)
{
	struct duo *u = arg;
	struct rig *r = u->r;
	struct pb_vq_dev *d = &r->dev;
	struct pb_vq_chain c;
	unsigned seq = 0;

	while (seq < u->total && !u->stop) {
		uint16_t n = pb_vq_dev_avail(d);
		if (d->broken) {
			u->errors++;
			return NULL;
		}
		while (n--) {
			if (pb_vq_dev_pop(d, &c) != PB_VQ_POP_OK || c.nseg != 1 || c.out_len < 4) {
				u->errors++;
				return NULL;
			}
			uint32_t got;
			memcpy(&got, c.seg[0].base, 4);
			if (got != seq)
				u->errors++;
			seq++;
			pb_vq_dev_push(d, c.head, 0);
		}
		pb_vq_dev_flush(d);
		if (seq < u->total && !pb_vq_dev_set_notify(d, true)) {
			u->dev_sleeps++;
			if (!wait_fd(r->kickfd))
				u->timeouts++;
		}
		pb_vq_dev_set_notify(d, false);
	}
	return NULL;
}

static void run_threads(bool event_idx)
{
	struct duo u = {.r = rig_new(64, 128, false, event_idx, false), .total = 300000};
	struct rig *r = u.r;
	struct pb_vq_drv *v = &r->drv;
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
		for (uint16_t n = pb_vq_drv_used(v); n; n--) {
			if (!pb_vq_drv_take(v, &id, &len)) {
				u.errors++;
				break;
			}
			free_ids[nfree++] = id;
			done++;
		}
		unsigned burst = nfree < 16 ? nfree : 16;
		while (burst-- && sent < u.total) {
			id = free_ids[--nfree];
			memcpy(buf(r, id), &sent, 4);
			pb_vq_drv_post(v, id, 4 + sent % 60);
			sent++;
		}
		pb_vq_drv_publish(v);
		/* Sleep when out of buffers, or everything is sent. */
		if ((nfree == 0 || sent == u.total) && done < u.total &&
		    !pb_vq_drv_set_notify(v, true)) {
			u.drv_sleeps++;
			if (!wait_fd(r->callfd))
				u.timeouts++;
		}
		pb_vq_drv_set_notify(v, false);
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
	assert_false(v->broken);
	assert_true(pb_vq_dev_attached(&r->dev));
	rig_free(r);
}

static void test_threads_event_idx(void **state)
{
	(void)state;
	run_threads(true);
}

static void test_threads_flags(void **state)
{
	(void)state;
	run_threads(false);
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < PB_ARRAY_SIZE(live); i++)
		if (live[i])
			rig_free(live[i]);
	if (ubsan_reports != ubsan_seen) {
		print_error("UBSan reported %u problem(s) in this test\n",
			    ubsan_reports - ubsan_seen);
		ubsan_seen = ubsan_reports;
		return -1;
	}
	return 0;
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_attach_errors),
	    T(test_tx_roundtrip),
	    T(test_rx_roundtrip),
	    T(test_attach_base_wrap),
	    T(test_chain_direct),
	    T(test_chain_too_long),
	    T(test_indirect_ok),
	    T(test_avail_idx_too_far),
	    T(test_hostile_indices),
	    T(test_hostile_loops),
	    T(test_hostile_buffers),
	    T(test_hostile_indirect),
	    T(test_buffer_across_regions),
	    T(test_driver_hostile_used),
	    T(test_event_idx_kick),
	    T(test_event_idx_call),
	    T(test_event_idx_ignores_flags),
	    T(test_flags_suppression),
	    T(test_model_tx_event_idx),
	    T(test_model_tx_flags),
	    T(test_model_rx_event_idx),
	    T(test_model_rx_flags),
	    T(test_threads_event_idx),
	    T(test_threads_flags),
	    /* Regressions: TOO_LONG miscounted nout, and a misaligned indirect
	     * table was read with misaligned atomics (UBSan). */
	    T(test_chain_too_long_counts),
	    T(test_indirect_unaligned),
	};

	pb_set_log(log_hook, PB_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
