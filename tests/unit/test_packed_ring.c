/* SPDX-License-Identifier: MIT */
/*
 * test_packed_ring.c - the packed virtqueue, both ends in one process over
 * one memfd: the driver (packed_driver) lays out the ring in its mapping,
 * the device (packed_device) attaches through a guest memory table that
 * maps the same file again, with GPA == UVA == the driver's address, as
 * vhost-user does it. So every byte the device reads went through
 * translation.
 *
 * Covered: TX and RX round trips, batches invisible until published,
 * wrap-around many times over (wrap counters flip, ring sizes that are not
 * powers of two), chains (direct, across the end of the ring, exactly num
 * long, longer than PB_VQ_MAX_SEGS), indirect tables, giving chains back,
 * GET_VRING_BASE values with the wrap bits, EVENT_IDX and flag-only
 * notification decisions with real eventfds (a step-by-step model and two
 * threads that really sleep), and hostile rings written by hand on both
 * sides: every check on peer data must fire, none may hang or touch memory
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
#include "ring/packed_device.h"
#include "ring/packed_driver.h"

#define SCRATCH (64 * 1024) /* after the buffers: indirect tables, loose buffers */
#define G(p)	((uint64_t)(uintptr_t)(p))
#define F_AVAIL VRING_PACKED_DESC_F_AVAIL
#define F_USED	VRING_PACKED_DESC_F_USED
#define F_NEXT	VRING_DESC_F_NEXT
#define F_WRITE VRING_DESC_F_WRITE
#define F_IND	VRING_DESC_F_INDIRECT
#define BASE0	0x8000u /* a fresh ring: slot 0, wrap counter 1 */

/* ---- log capture: the device says why it broke the ring ---- */

static char last_log[512];

__attribute__((format(printf, 2, 0))) static void log_hook(enum pb_log_level level, const char *fmt,
							   va_list ap)
{
	(void)level;
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
}

/* ---- undefined behaviour fails the test, even where UBSan recovers ---- */

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
	uint8_t *bufs;	  /* num * stride */
	uint8_t *scratch; /* SCRATCH bytes, page aligned */
	uint16_t num;
	uint32_t stride;
	uint32_t buf_size;
	int kickfd, callfd;
	struct pb_pq_drv drv;
	struct pb_pq_dev dev;
	struct pb_vq_chain chain;
	struct pb_guest_mem mem;
};

static struct rig *live[8];

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

/* @buf_size bytes of buffer per id (the slot is PB_VQ_BUF_PAD more). */
static struct rig *rig_new(uint16_t num, uint32_t buf_size, bool rx, bool event_idx, bool indirect)
{
	struct rig *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	track(r, NULL);
	size_t ring = pb_pq_drv_ring_size(num);
	uint32_t stride = PB_ALIGN_UP(buf_size + PB_VQ_BUF_PAD, 64u);
	size_t bufs = PB_ALIGN_UP((size_t)num * stride, (size_t)4096);

	r->num = num;
	r->stride = stride;
	r->size = ring + bufs + SCRATCH;
	r->kickfd = r->callfd = -1;
	r->fd = memfd_create("test_packed_ring", MFD_CLOEXEC);
	assert_true(r->fd >= 0);
	assert_int_equal(ftruncate(r->fd, (off_t)r->size), 0);
	r->map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	assert_true(r->map != MAP_FAILED);
	r->bufs = r->map + ring;
	r->scratch = r->bufs + bufs;
	assert_int_equal(pb_pq_drv_init(&r->drv, r->map, r->bufs, num, stride, rx, event_idx), 0);
	r->buf_size = r->drv.buf_size;
	assert_true(r->buf_size >= buf_size);

	pb_guest_mem_init(&r->mem);
	assert_int_equal(pb_guest_mem_add(&r->mem, r->fd, G(r->map), r->size, G(r->map), 0), 0);
	r->dev.callfd = -1;
	assert_int_equal(pb_pq_dev_attach(&r->dev, &r->mem, num, G(pb_pq_drv_desc_area(&r->drv)),
					  G(pb_pq_drv_driver_area(&r->drv)),
					  G(pb_pq_drv_device_area(&r->drv)),
					  pb_pq_drv_base(&r->drv), event_idx, indirect),
			 0);
	assert_true(pb_pq_dev_attached(&r->dev));
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
	pb_pq_dev_detach(&r->dev);
	pb_pq_drv_fini(&r->drv);
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

static uint8_t *buf(struct rig *r, uint16_t id)
{
	return pb_pq_drv_buf(&r->drv, id);
}

static uint32_t dev_event(struct rig *r)
{
	return *r->drv.device_event;
}

static uint32_t drv_event(struct rig *r)
{
	return *r->drv.driver_event;
}

/* ---- a hand-written driver: descriptors straight into the ring ---- */

/* Available under wrap counter @wrap: AVAIL = wrap, USED = !wrap. */
static uint16_t avail_bits(bool wrap)
{
	return wrap ? F_AVAIL : F_USED;
}

/* Write slot @slot whole, flags last (release), as made available. */
static void put(struct rig *r, uint16_t slot, uint64_t addr, uint32_t len, uint16_t id,
		uint16_t flags, bool wrap)
{
	struct vring_packed_desc *d = &r->drv.desc[slot];

	d->addr = addr;
	d->len = len;
	d->id = id;
	__atomic_store_n(&d->flags, (uint16_t)(flags | avail_bits(wrap)), __ATOMIC_RELEASE);
}

static void put_ind(struct vring_packed_desc *t, uint16_t i, uint64_t addr, uint32_t len,
		    uint16_t flags)
{
	t[i] = (struct vring_packed_desc){.addr = addr, .len = len, .id = 0xbeef, .flags = flags};
}

static int pop(struct rig *r)
{
	pb_pq_dev_avail(&r->dev);
	return pb_pq_dev_pop(&r->dev, &r->chain);
}

static void expect_broken(struct rig *r, int rc, const char *why)
{
	if (rc != PB_VQ_POP_BROKEN)
		fail_msg("pop returned %d, want BROKEN (%s)", rc, why);
	assert_true(r->dev.broken);
	assert_false(pb_pq_dev_attached(&r->dev));
	if (!strstr(last_log, why))
		fail_msg("log \"%s\" does not say \"%s\"", last_log, why);
	/* Sticky: the queue stays stopped. */
	assert_int_equal(pb_pq_dev_pop(&r->dev, &r->chain), PB_VQ_POP_BROKEN);
}

/* A hostile case in a fresh 8-slot TX ring: @setup writes descriptors. */
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
	struct pb_pq_dev *d = &r->dev;
	uint64_t desc = G(r->drv.desc), drv = G(r->drv.driver_event), dev = G(r->drv.device_event);

	(void)state;
	pb_pq_dev_detach(d);
	assert_false(pb_pq_dev_attached(d));
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 0, desc, drv, dev, BASE0, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 65535, desc, drv, dev, BASE0, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc + 8, drv, dev, BASE0, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv + 2, dev, BASE0, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv, dev + 1, BASE0, true, true),
			 -EINVAL);
	/* A base whose position lies outside the ring, in either half. */
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv, dev, 0x8008, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv, dev, 0x7fff, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv, dev, 0x80098000u, true, true),
			 -EINVAL);
	/* Areas outside guest memory, or running off its end. */
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, 0x1000, drv, dev, BASE0, true, true),
			 -EFAULT);
	assert_int_equal(
	    pb_pq_dev_attach(d, &r->mem, 8, G(r->map) + r->size - 64, drv, dev, BASE0, true, true),
	    -EFAULT);
	assert_int_equal(
	    pb_pq_dev_attach(d, &r->mem, 8, desc, G(r->map) + r->size, dev, BASE0, true, true),
	    -EFAULT);
	assert_int_equal(
	    pb_pq_dev_attach(d, &r->mem, 8, desc, drv, G(r->map) - 4, BASE0, true, true), -EFAULT);
	/* A GPA is not a UVA: ring addresses are translated as UVAs only. */
	struct pb_guest_mem *m2 = calloc(1, sizeof(*m2));
	assert_non_null(m2);
	pb_guest_mem_init(m2);
	assert_int_equal(pb_guest_mem_add(m2, r->fd, G(r->map), r->size, 0x10000000, 0), 0);
	assert_int_equal(pb_pq_dev_attach(d, m2, 8, desc, drv, dev, BASE0, true, true), -EFAULT);
	pb_guest_mem_clear(m2);
	free(m2);
	assert_false(pb_pq_dev_attached(d));
	/* Packed rings need not be a power of two in size. */
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 6, desc, drv, dev, 0x0005, false, false), 0);
	assert_int_equal(d->last_avail, 5);
	assert_false(d->avail_wrap);
	assert_int_equal(d->used_idx, 5); /* no used half: same as avail */
	assert_false(d->used_wrap);
	/* callfd and calls survive attach; so does nothing else. */
	d->callfd = 42;
	d->calls = 7;
	d->broken = true;
	pb_pq_dev_detach(d);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv, dev, 0x80058003u, true, true),
			 0);
	assert_int_equal(d->callfd, 42);
	assert_int_equal(d->calls, 7);
	assert_true(pb_pq_dev_attached(d));
	assert_int_equal(d->last_avail, 3);
	assert_true(d->avail_wrap);
	assert_int_equal(d->used_idx, 5);
	assert_true(d->used_wrap);
	assert_int_equal(pb_pq_dev_base(d), 0x80058003u);
	assert_int_equal(pb_pq_dev_last_avail(d), 0x8003);
	/* Attached with kicks off. */
	assert_int_equal(dev_event(r), pb_packed_event_word(0, VRING_PACKED_EVENT_F_DISABLE));
	d->callfd = -1;
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
			lens[k] = (k + round) % 4 == 0 ? 0 : 1 + (k * 97 + round * 31) % 512;
			fill(buf(r, ids[k]), lens[k], seed + k);
			pb_pq_drv_post(&r->drv, ids[k], lens[k]);
		}
		/* Nothing visible before publish: the first flags wait. */
		assert_int_equal(pb_pq_dev_avail(&r->dev), 0);
		assert_int_equal(pb_pq_dev_pop(&r->dev, &r->chain), PB_VQ_POP_EMPTY);
		assert_false(pb_pq_drv_publish(&r->drv)); /* no kick fd */
		assert_int_equal(pb_pq_dev_avail(&r->dev), round);
		for (unsigned k = 0; k < round; k++) {
			struct pb_vq_chain *c = &r->chain;
			assert_int_equal(pb_pq_dev_pop(&r->dev, c), PB_VQ_POP_OK);
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
		assert_int_equal(pb_pq_dev_pop(&r->dev, &r->chain), PB_VQ_POP_EMPTY);
		/* Complete out of order; invisible until flush. */
		for (unsigned k = round; k-- > 0;)
			pb_pq_dev_push(&r->dev, ids[k], 0);
		assert_int_equal(pb_pq_drv_used(&r->drv), 0);
		assert_false(pb_pq_dev_flush(&r->dev)); /* no call fd */
		assert_false(pb_pq_dev_flush(&r->dev)); /* nothing new */
		assert_int_equal(pb_pq_drv_used(&r->drv), round);
		for (unsigned k = round; k-- > 0;) {
			uint16_t id = 0;
			uint32_t len = 99;
			assert_true(pb_pq_drv_take(&r->drv, &id, &len));
			assert_int_equal(id, ids[k]);
			assert_int_equal(len, 0);
		}
		assert_int_equal(pb_pq_drv_used(&r->drv), 0);
		seed += round;
	}
	assert_false(r->drv.broken);
	assert_true(pb_pq_dev_attached(&r->dev));
	rig_free(r);
}

static void test_rx_roundtrip(void **state)
{
	struct rig *r = rig_new(8, 512, true, false, false);

	(void)state;
	/* RX: every buffer was posted at init. */
	assert_int_equal(pb_pq_dev_avail(&r->dev), 8);
	for (unsigned k = 0; k < 8; k++) {
		struct pb_vq_chain *c = &r->chain;
		assert_int_equal(pb_pq_dev_pop(&r->dev, c), PB_VQ_POP_OK);
		assert_int_equal(c->head, k);
		assert_int_equal(c->nseg, 1);
		assert_int_equal(c->nout, 0);
		assert_int_equal(c->out_len, 0);
		assert_int_equal(c->in_len, r->buf_size);
		assert_ptr_equal(c->seg[0].base, dev_view(r, buf(r, (uint16_t)k)));
		unsigned len = 1 + k * 73;
		fill(c->seg[0].base, len, 100 + k);
		pb_pq_dev_push(&r->dev, c->head, len);
	}
	assert_int_equal(pb_pq_dev_avail(&r->dev), 0); /* every slot is the device's */
	/* The batch's first used descriptor waits for flush (slot 0 still
	 * reads as available); the rest are written already, with WRITE set
	 * (the device wrote into them). */
	assert_int_equal(r->drv.desc[0].flags, F_AVAIL | F_WRITE);
	assert_int_equal(r->drv.desc[1].flags, F_AVAIL | F_USED | F_WRITE);
	assert_int_equal(pb_pq_drv_used(&r->drv), 0);
	pb_pq_dev_flush(&r->dev);
	assert_int_equal(pb_pq_drv_used(&r->drv), 8);
	for (unsigned k = 0; k < 8; k++) {
		uint16_t id = 0;
		uint32_t len = 0;
		assert_true(pb_pq_drv_take(&r->drv, &id, &len));
		assert_int_equal(id, k);
		assert_int_equal(len, 1 + k * 73);
		check_fill(buf(r, id), len, 100 + k);
		if (k % 2)
			pb_pq_drv_post(&r->drv, id, r->buf_size);
	}
	/* A whole lap: every wrap counter has flipped to 0. */
	assert_false(r->drv.used_wrap);
	assert_false(r->dev.used_wrap);
	assert_false(r->dev.avail_wrap);
	pb_pq_drv_publish(&r->drv);
	assert_int_equal(pb_pq_dev_avail(&r->dev), 4);
	for (unsigned k = 1; k < 8; k += 2) {
		assert_int_equal(pb_pq_dev_pop(&r->dev, &r->chain), PB_VQ_POP_OK);
		assert_int_equal(r->chain.head, k);
		pb_pq_dev_push(&r->dev, r->chain.head, 0);
	}
	pb_pq_dev_flush(&r->dev);
	/* A used descriptor without WRITE carries no length (§2.8.5). */
	assert_int_equal(pb_pq_drv_used(&r->drv), 4);
	for (unsigned k = 1; k < 8; k += 2) {
		uint16_t id = 0;
		uint32_t len = 5;
		assert_true(pb_pq_drv_take(&r->drv, &id, &len));
		assert_int_equal(id, k);
		assert_int_equal(len, 0);
	}
	assert_false(r->drv.broken);
	rig_free(r);
}

/*
 * Many laps of a small ring, each side posting and completing in random
 * batches: the wrap counters flip once per lap on both sides, and every
 * frame arrives, in order, intact. Ring sizes that are not powers of two
 * included.
 */
static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

static void run_laps(uint16_t num, bool rx, unsigned total, uint64_t seed)
{
	struct rig *r = rig_new(num, 128, rx, false, false);
	struct pb_pq_drv *v = &r->drv;
	struct pb_pq_dev *d = &r->dev;
	uint16_t free_ids[64];
	unsigned nfree = 0, sent = 0, done = 0, dev_seq = 0;
	unsigned avail_flips = 0, used_flips = 0, drv_used_flips = 0;
	bool aw = d->avail_wrap, uw = d->used_wrap, duw = v->used_wrap;

	assert_true(num <= 64);
	if (!rx)
		for (uint16_t i = 0; i < num; i++)
			free_ids[nfree++] = i;
	while (done < total) {
		/* driver: take what is used, post a random batch */
		uint16_t id = 0;
		uint32_t len = 0;
		for (uint16_t n = pb_pq_drv_used(v); n; n--) {
			assert_true(pb_pq_drv_take(v, &id, &len));
			if (rx) {
				uint32_t seq;
				assert_true(len >= 4);
				memcpy(&seq, buf(r, id), 4);
				assert_int_equal(seq, done);
				check_fill(buf(r, id) + 4, len - 4, seq);
			}
			done++;
			free_ids[nfree++] = id;
		}
		unsigned want = nfree ? 1 + rnd(&seed) % nfree : 0;
		for (unsigned k = 0; k < want && (rx || sent < total); k++) {
			id = free_ids[--nfree];
			if (rx) {
				pb_pq_drv_post(v, id, r->buf_size);
			} else {
				uint32_t l = 4 + rnd(&seed) % (r->buf_size - 3);
				memcpy(buf(r, id), &sent, 4);
				fill(buf(r, id) + 4, l - 4, sent);
				pb_pq_drv_post(v, id, l);
				sent++;
			}
		}
		pb_pq_drv_publish(v);
		/* device: consume a random part, flush */
		uint16_t n = pb_pq_dev_avail(d);
		unsigned take = n ? 1 + rnd(&seed) % n : 0;
		for (unsigned k = 0; k < take; k++) {
			struct pb_vq_chain *c = &r->chain;
			assert_int_equal(pb_pq_dev_pop(d, c), PB_VQ_POP_OK);
			if (rx) {
				uint32_t l = 4 + rnd(&seed) % (r->buf_size - 3);
				memcpy(c->seg[0].base, &dev_seq, 4);
				fill(c->seg[0].base + 4, l - 4, dev_seq);
				pb_pq_dev_push(d, c->head, l);
			} else {
				uint32_t seq;
				memcpy(&seq, c->seg[0].base, 4);
				assert_int_equal(seq, dev_seq);
				check_fill(c->seg[0].base + 4, c->out_len - 4, seq);
				pb_pq_dev_push(d, c->head, 0);
			}
			dev_seq++;
			if (rnd(&seed) % 3 == 0)
				pb_pq_dev_flush(d);
		}
		pb_pq_dev_flush(d);
		avail_flips += d->avail_wrap != aw;
		used_flips += d->used_wrap != uw;
		drv_used_flips += v->used_wrap != duw;
		aw = d->avail_wrap;
		uw = d->used_wrap;
		duw = v->used_wrap;
	}
	/* One flip per lap (a side may flip at most once per step: a step
	 * moves fewer than num slots). */
	assert_true(avail_flips >= total / num - 2);
	assert_true(used_flips >= total / num - 2);
	assert_true(drv_used_flips >= total / num - 2);
	assert_false(v->broken);
	assert_true(pb_pq_dev_attached(d));
	rig_free(r);
}

static void test_laps(void **state)
{
	(void)state;
	run_laps(4, false, 20000, 11);
	run_laps(4, true, 20000, 12);
	run_laps(5, false, 20000, 13);
	run_laps(6, true, 20000, 14);
	run_laps(64, false, 70000, 15);
}

/* TX ids come back round in FIFO order, whatever the ring size. */
static void test_free_fifo(void **state)
{
	struct rig *r = rig_new(5, 64, false, false, false);
	struct pb_pq_drv *v = &r->drv;

	(void)state;
	assert_int_equal(v->free.count, 5);
	for (uint16_t i = 0; i < 3; i++)
		assert_int_equal(pb_id_fifo_get(&v->free), i);
	pb_id_fifo_put(&v->free, 1);
	pb_id_fifo_put(&v->free, 0);
	assert_int_equal(v->free.count, 4);
	const uint16_t want[] = {3, 4, 1, 0};
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pb_id_fifo_get(&v->free), want[i]);
	assert_int_equal(v->free.count, 0);
	for (uint16_t i = 0; i < 5; i++)
		pb_id_fifo_put(&v->free, (uint16_t)(4 - i));
	for (uint16_t i = 0; i < 5; i++)
		assert_int_equal(pb_id_fifo_get(&v->free), 4 - i);
	/* A reset starts over in order; an RX ring has none free. */
	pb_pq_drv_reset(v, false);
	assert_int_equal(pb_id_fifo_get(&v->free), 0);
	rig_free(r);
}

/* ================= GET_VRING_BASE ================= */

static void test_vring_base(void **state)
{
	struct rig *r = rig_new(8, 64, false, false, false);
	struct pb_pq_dev *d = &r->dev;
	uint16_t id;
	uint32_t len;

	(void)state;
	assert_int_equal(pb_pq_drv_base(&r->drv), BASE0);
	assert_int_equal(pb_pq_dev_last_avail(d), BASE0);
	assert_int_equal(pb_pq_dev_base(d), 0x80008000u);
	/* 11 through: one lap and 3 slots. */
	for (uint16_t k = 0; k < 11; k++) {
		pb_pq_drv_post(&r->drv, (uint16_t)(k % 8), 10);
		pb_pq_drv_publish(&r->drv);
		assert_int_equal(pop(r), PB_VQ_POP_OK);
		pb_pq_dev_push(d, r->chain.head, 0);
		pb_pq_dev_flush(d);
		assert_true(pb_pq_drv_take(&r->drv, &id, &len));
	}
	assert_int_equal(pb_pq_dev_last_avail(d), 3); /* slot 3, wrap 0 */
	assert_int_equal(pb_pq_dev_base(d), 0x00030003u);
	/* Two more made available, one popped and not pushed: the halves differ. */
	pb_pq_drv_post(&r->drv, 0, 10);
	pb_pq_drv_post(&r->drv, 1, 10);
	pb_pq_drv_publish(&r->drv);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(pb_pq_dev_base(d), 0x00030004u);
	pb_pq_dev_push(d, r->chain.head, 0);
	/* Detach (memory going away) publishes what was pushed and keeps
	 * the positions; re-attaching from the base continues. */
	pb_pq_dev_detach(d);
	assert_int_equal(pb_pq_drv_used(&r->drv), 1);
	uint32_t base = pb_pq_dev_base(d);
	assert_int_equal(base, 0x00040004u);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, G(r->drv.desc), G(r->drv.driver_event),
					  G(r->drv.device_event), base, false, false),
			 0);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(r->chain.head, 1);
	pb_pq_dev_push(d, 1, 0);
	pb_pq_dev_flush(d);
	assert_int_equal(pb_pq_drv_used(&r->drv), 2);
	/* Past a second lap the wrap bit is back. */
	for (uint16_t k = 0; k < 2; k++)
		assert_true(pb_pq_drv_take(&r->drv, &id, &len));
	for (uint16_t k = 0; k < 4; k++) {
		pb_pq_drv_post(&r->drv, k, 10);
		pb_pq_drv_publish(&r->drv);
		assert_int_equal(pop(r), PB_VQ_POP_OK);
		pb_pq_dev_push(d, r->chain.head, 0);
		pb_pq_dev_flush(d);
		assert_true(pb_pq_drv_take(&r->drv, &id, &len));
	}
	assert_int_equal(pb_pq_dev_base(d), 0x80018001u);
	assert_false(r->drv.broken);
	rig_free(r);
}

/* ================= chains ================= */

static void test_chain_direct(void **state)
{
	struct rig *r = rig_new(8, 256, false, false, false);
	struct pb_vq_chain *c = &r->chain;
	struct pb_pq_dev *d = &r->dev;

	(void)state;
	/* Slots 0-4: two readable, an empty one (skipped), two writable;
	 * the id (6) is in the last descriptor only. First flags last. */
	put(r, 1, G(buf(r, 2)) + 6, 20, 0x1111, F_NEXT, true);
	put(r, 2, 0xdead0000, 0, 0x2222, F_NEXT | F_WRITE, true);
	put(r, 3, G(buf(r, 7)), 30, 0x3333, F_NEXT | F_WRITE, true);
	put(r, 4, G(buf(r, 1)), 256, 6, F_WRITE, true);
	assert_int_equal(pop(r), PB_VQ_POP_EMPTY); /* the first is not there yet */
	put(r, 0, G(buf(r, 5)), 10, 0x4444, F_NEXT, true);
	assert_int_equal(pb_pq_dev_avail(d), 5);
	assert_int_equal(pb_pq_dev_pop(d, c), PB_VQ_POP_OK);
	assert_int_equal(c->head, 6);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(c->nout, 2);
	assert_int_equal(c->out_len, 30);
	assert_int_equal(c->in_len, 286);
	assert_ptr_equal(c->seg[0].base, dev_view(r, buf(r, 5)));
	assert_ptr_equal(c->seg[1].base, dev_view(r, buf(r, 2) + 6));
	assert_ptr_equal(c->seg[2].base, dev_view(r, buf(r, 7)));
	assert_ptr_equal(c->seg[3].base, dev_view(r, buf(r, 1)));
	assert_int_equal(d->last_avail, 5);
	assert_int_equal(d->inflight_desc, 5);
	assert_int_equal(pb_pq_dev_avail(d), 0);

	/* One used descriptor for the chain, in its first slot; the next
	 * one 5 slots on. */
	pb_pq_dev_push(d, 6, 100);
	pb_pq_dev_flush(d);
	assert_int_equal(r->drv.desc[0].id, 6);
	assert_int_equal(r->drv.desc[0].len, 100);
	assert_int_equal(r->drv.desc[0].flags, F_AVAIL | F_USED | F_WRITE);
	assert_int_equal(d->used_idx, 5);
	assert_int_equal(d->inflight_desc, 0);

	/* Slots 5, 6, 7, 0: a chain across the end of the ring (the wrap
	 * counter flips inside it). */
	put(r, 6, G(buf(r, 1)), 8, 0, F_NEXT, true);
	put(r, 7, G(buf(r, 2)), 8, 0, F_NEXT, true);
	put(r, 0, G(buf(r, 3)), 8, 3, 0, false);
	put(r, 5, G(buf(r, 0)), 8, 0, F_NEXT, true);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 3);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(d->last_avail, 1);
	assert_false(d->avail_wrap);
	pb_pq_dev_push(d, 3, 0);
	pb_pq_dev_flush(d);
	assert_int_equal(r->drv.desc[5].id, 3);
	assert_int_equal(r->drv.desc[5].flags, F_AVAIL | F_USED);
	assert_int_equal(d->used_idx, 1);
	assert_false(d->used_wrap);

	/* Exactly num descriptors long: the longest legal chain. */
	for (uint16_t i = 1; i < 8; i++)
		put(r, i, G(buf(r, i)), 8, 2, F_NEXT, false);
	put(r, 0, G(buf(r, 0)), 8, 2, 0, true);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 8);
	assert_int_equal(c->out_len, 64);
	assert_int_equal(d->inflight_desc, 8);
	assert_int_equal(pb_pq_dev_avail(d), 0);
	assert_int_equal(pb_pq_dev_pop(d, c), PB_VQ_POP_EMPTY);
	pb_pq_dev_push(d, 2, 0);
	pb_pq_dev_flush(d);
	/* A chain of nothing but empty descriptors. */
	assert_int_equal(d->last_avail, 1);
	assert_true(d->avail_wrap);
	put(r, 2, 0, 0, 4, F_NEXT, true);
	put(r, 3, 0, 0, 4, 0, true);
	put(r, 1, 0, 0, 4, F_NEXT, true);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 0);
	assert_int_equal(c->head, 4);
	assert_true(pb_pq_dev_attached(d));
	rig_free(r);
}

/* Chains longer than PB_VQ_MAX_SEGS are legal: walked to the end (where
 * the id is), reported TOO_LONG, pushed with len 0; the queue goes on. */
static void test_chain_too_long(void **state)
{
	struct rig *r = rig_new(512, 64, false, false, true);
	struct pb_vq_chain *c = &r->chain;
	struct pb_pq_dev *d = &r->dev;

	(void)state;
	/* Exactly PB_VQ_MAX_SEGS: fine. */
	for (uint16_t i = 1; i < PB_VQ_MAX_SEGS; i++)
		put(r, i, G(buf(r, i)), 4, 77, i < PB_VQ_MAX_SEGS - 1 ? F_NEXT : 0, true);
	put(r, 0, G(buf(r, 0)), 4, 0, F_NEXT, true);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 77);
	assert_int_equal(c->nseg, PB_VQ_MAX_SEGS);
	pb_pq_dev_push(d, 77, 0);

	/* 100 readable descriptors, then 100 writable ones. */
	uint16_t slot = PB_VQ_MAX_SEGS;
	for (unsigned w = 0; w < 2; w++) {
		uint16_t first = slot;
		for (uint16_t i = 1; i < 100; i++)
			put(r, (uint16_t)(first + i), G(buf(r, i)), 4, (uint16_t)(10 + w),
			    (i < 99 ? F_NEXT : 0) | (w ? F_WRITE : 0), true);
		put(r, first, G(buf(r, 0)), 4, 0, F_NEXT | (w ? F_WRITE : 0), true);
		assert_int_equal(pop(r), PB_VQ_POP_TOO_LONG);
		assert_int_equal(c->head, 10 + w);
		assert_int_equal(c->nseg, PB_VQ_MAX_SEGS);
		assert_false(d->broken);
		assert_int_equal(d->last_avail, first + 100);
		pb_pq_dev_push(d, c->head, 0);
		slot = (uint16_t)(first + 100);
	}
	assert_int_equal(d->used_idx, slot);
	/* 100 descriptors in an indirect table: one slot. */
	struct vring_packed_desc *t = (struct vring_packed_desc *)r->scratch;
	for (uint16_t i = 0; i < 100; i++)
		put_ind(t, i, G(buf(r, i)), 4, 0);
	put(r, slot, G(t), 100 * sizeof(*t), 12, F_IND, true);
	assert_int_equal(pop(r), PB_VQ_POP_TOO_LONG);
	assert_int_equal(c->head, 12);
	assert_int_equal(d->inflight[12], 1);
	pb_pq_dev_push(d, 12, 0);
	pb_pq_dev_flush(d);
	assert_int_equal(d->used_idx, slot + 1);
	assert_false(d->broken);
	rig_free(r);
}

static void test_indirect_ok(void **state)
{
	struct rig *r = rig_new(8, 256, false, true, true);
	struct pb_vq_chain *c = &r->chain;
	struct pb_vq_chain c2;
	struct pb_pq_dev *d = &r->dev;

	(void)state;
	/* A table of packed descriptors: every entry is part of the buffer,
	 * in order; NEXT and ids there are ignored, only WRITE counts. */
	struct vring_packed_desc *t = (struct vring_packed_desc *)(r->scratch + 256);
	put_ind(t, 0, G(buf(r, 0)), 12, 0);
	put_ind(t, 1, G(buf(r, 1)), 100, F_NEXT);
	put_ind(t, 2, G(buf(r, 2)), 0, F_WRITE); /* empty: skipped */
	put_ind(t, 3, G(buf(r, 3)), 200, F_WRITE | F_NEXT);
	put_ind(t, 4, G(buf(r, 4)), 256, F_WRITE);
	put(r, 0, G(t), 5 * sizeof(*t), 5, F_IND | F_WRITE /* ignored */, true);
	/* A plain one behind it. */
	put(r, 1, G(buf(r, 6)), 33, 6, 0, true);
	assert_int_equal(pb_pq_dev_avail(d), 2);
	assert_int_equal(pb_pq_dev_pop(d, c), PB_VQ_POP_OK);
	assert_int_equal(c->head, 5);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(c->nout, 2);
	assert_int_equal(c->out_len, 112);
	assert_int_equal(c->in_len, 456);
	assert_ptr_equal(c->seg[3].base, dev_view(r, buf(r, 4)));
	assert_int_equal(d->last_avail, 1);
	assert_int_equal(pb_pq_dev_pop(d, &c2), PB_VQ_POP_OK);
	assert_int_equal(c2.head, 6);
	assert_int_equal(c2.out_len, 33);
	/* Done out of order: the used descriptors go in completion order. */
	pb_pq_dev_push(d, 6, 0);
	pb_pq_dev_push(d, 5, 456);
	pb_pq_dev_flush(d);
	assert_int_equal(r->drv.desc[0].id, 6);
	assert_int_equal(r->drv.desc[1].id, 5);
	assert_int_equal(r->drv.desc[1].len, 456);

	/* A misaligned table (the spec sets no alignment for it). */
	uint8_t *mis = r->scratch + 1024 + 3;
	struct vring_packed_desc e = {.addr = G(buf(r, 7)), .len = 17, .flags = 0};
	memcpy(mis, &e, sizeof(e));
	put(r, 2, G(mis), sizeof(e), 1, F_IND, true);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 1);
	assert_int_equal(c->out_len, 17);
	assert_true(pb_pq_dev_attached(d));
	rig_free(r);
}

/*
 * DPDK 22.11's virtio-user, packed ring, two-segment TX mbufs with
 * indirect descriptors, as seen on the wire: the header entry still says
 * WRITE, the data entries say NEXT and AVAIL. Read as all readable; a
 * writable entry stays writable only if nothing readable follows it.
 */
static void test_indirect_dpdk_header(void **state)
{
	struct rig *r = rig_new(8, 2048, false, false, true);
	struct pb_vq_chain *c = &r->chain;
	struct pb_pq_dev *d = &r->dev;
	struct vring_packed_desc *t = (struct vring_packed_desc *)r->scratch;

	(void)state;
	put_ind(t, 0, G(buf(r, 0)), 12, F_WRITE);
	put_ind(t, 1, G(buf(r, 0)) + 12, 1000, F_NEXT | F_AVAIL);
	put_ind(t, 2, G(buf(r, 1)), 500, F_AVAIL);
	put(r, 0, G(t), 48, 0, F_IND | F_AVAIL, true);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 3);
	assert_int_equal(c->nout, 3);
	assert_int_equal(c->out_len, 1512);
	assert_int_equal(c->in_len, 0);
	assert_ptr_equal(c->seg[0].base, dev_view(r, buf(r, 0)));
	assert_int_equal(d->relabeled, 1);
	pb_pq_dev_push(d, 0, 0);

	/* R W R W: the first three read, the last one written. */
	put_ind(t, 0, G(buf(r, 0)), 10, 0);
	put_ind(t, 1, G(buf(r, 1)), 20, F_WRITE);
	put_ind(t, 2, G(buf(r, 2)), 30, 0);
	put_ind(t, 3, G(buf(r, 3)), 40, F_WRITE);
	put(r, 1, G(t), 64, 1, F_IND, true);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(c->nout, 3);
	assert_int_equal(c->out_len, 60);
	assert_int_equal(c->in_len, 40);
	assert_int_equal(d->relabeled, 2);

	/* In the ring itself the order is still the law. */
	put(r, 3, G(buf(r, 1)), 8, 2, 0, true);
	put(r, 2, G(buf(r, 0)), 8, 2, F_NEXT | F_WRITE, true);
	last_log[0] = 0;
	expect_broken(r, pop(r), "readable after writable descriptor");
	rig_free(r);
}

/* A port that pops chains for one frame and then finds too few gives them
 * back, most recent first; they come out again the same. */
static void test_unpop(void **state)
{
	struct rig *r = rig_new(8, 256, true, false, false);
	struct pb_pq_dev *d = &r->dev;
	struct pb_vq_chain c[3];

	(void)state;
	/* RX ring, all 8 posted. Pop 3, give back 2. */
	assert_int_equal(pb_pq_dev_avail(d), 8);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pb_pq_dev_pop(d, &c[i]), PB_VQ_POP_OK);
	pb_pq_dev_unpop(d, c[2].head);
	pb_pq_dev_unpop(d, c[1].head);
	pb_pq_dev_unpop(d, 7); /* not in flight: ignored */
	assert_int_equal(d->last_avail, 1);
	assert_int_equal(d->inflight_desc, 1);
	assert_int_equal(pb_pq_dev_avail(d), 7);
	assert_int_equal(pb_pq_dev_pop(d, &c[1]), PB_VQ_POP_OK);
	assert_int_equal(c[1].head, 1);
	pb_pq_dev_push(d, c[0].head, 10);
	pb_pq_dev_push(d, c[1].head, 10);
	/* Back across the end of the ring. */
	for (int i = 2; i < 8; i++)
		assert_int_equal(pb_pq_dev_pop(d, &c[0]), PB_VQ_POP_OK);
	pb_pq_dev_flush(d);
	uint16_t id;
	uint32_t len;
	assert_int_equal(pb_pq_drv_used(&r->drv), 2);
	assert_true(pb_pq_drv_take(&r->drv, &id, &len));
	assert_true(pb_pq_drv_take(&r->drv, &id, &len));
	pb_pq_drv_post(&r->drv, 0, r->buf_size);
	pb_pq_drv_post(&r->drv, 1, r->buf_size);
	pb_pq_drv_publish(&r->drv);
	assert_int_equal(pb_pq_dev_avail(d), 2);
	assert_int_equal(pb_pq_dev_pop(d, &c[1]), PB_VQ_POP_OK);
	assert_int_equal(c[1].head, 0);
	assert_false(d->avail_wrap);
	assert_int_equal(d->last_avail, 1);
	pb_pq_dev_unpop(d, c[1].head);
	assert_false(d->avail_wrap);
	assert_int_equal(d->last_avail, 0);
	pb_pq_dev_unpop(d, 7); /* the last chain of the ring, popped before */
	assert_int_equal(d->last_avail, 7);
	assert_true(d->avail_wrap);
	assert_int_equal(pb_pq_dev_avail(d), 3);
	assert_int_equal(pb_pq_dev_pop(d, &c[1]), PB_VQ_POP_OK);
	assert_int_equal(c[1].head, 7);
	assert_int_equal(pb_pq_dev_pop(d, &c[1]), PB_VQ_POP_OK);
	assert_int_equal(c[1].head, 0);
	assert_false(d->broken);
	rig_free(r);
}

/* ================= hostile drivers ================= */

static void set_id_out_of_range(struct rig *r)
{
	put(r, 0, G(buf(r, 0)), 8, 8, 0, true);
}

static void set_id_twice(struct rig *r)
{
	put(r, 0, G(buf(r, 0)), 8, 3, 0, true);
	put(r, 1, G(buf(r, 1)), 8, 3, 0, true);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
}

static void set_chain_loop(struct rig *r)
{
	/* Every slot says NEXT: the walk must end at num. */
	for (uint16_t i = 1; i < 8; i++)
		put(r, i, G(buf(r, i)), 8, 0, F_NEXT, true);
	put(r, 0, G(buf(r, 0)), 8, 0, F_NEXT, true);
}

static void set_chain_over_held(struct rig *r)
{
	/* 3 slots held by the device, then a chain of 6: it would run into
	 * the slots the device holds. */
	for (uint16_t i = 0; i < 3; i++)
		put(r, i, G(buf(r, i)), 8, i, 0, true);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pop(r), PB_VQ_POP_OK);
	for (uint16_t i = 3; i < 8; i++)
		put(r, i, G(buf(r, i)), 8, 5, F_NEXT, true);
	put(r, 0, G(buf(r, 0)), 8, 5, 0, false); /* looks right under the next lap */
}

static void set_chain_hole(struct rig *r)
{
	/* The second descriptor of the chain is not available. */
	r->drv.desc[1] = (struct vring_packed_desc){G(buf(r, 1)), 8, 1, 0};
	put(r, 0, G(buf(r, 0)), 8, 0, F_NEXT, true);
}

static void set_chain_wrong_wrap(struct rig *r)
{
	/* The second descriptor has the other lap's flags. */
	put(r, 1, G(buf(r, 1)), 8, 1, 0, false);
	put(r, 0, G(buf(r, 0)), 8, 0, F_NEXT, true);
}

static void test_hostile_chains(void **state)
{
	(void)state;
	hostile(false, set_id_out_of_range, "buffer id out of range");
	hostile(false, set_id_twice, "buffer id already in flight");
	hostile(false, set_chain_loop, "descriptor chain longer than the ring");
	hostile(false, set_chain_over_held, "descriptor chain longer than the ring");
	hostile(false, set_chain_hole, "chain continues into a slot that is not available");
	hostile(false, set_chain_wrong_wrap, "chain continues into a slot that is not available");
}

static void set_buf_outside(struct rig *r)
{
	put(r, 0, 0x1000, 8, 0, 0, true);
}

static void set_buf_past_end(struct rig *r)
{
	put(r, 0, G(r->map) + r->size - 8, 9, 0, 0, true);
}

static void set_buf_huge(struct rig *r)
{
	put(r, 0, G(r->map), UINT32_MAX, 0, F_WRITE, true);
}

static void set_buf_wraps_address_space(struct rig *r)
{
	put(r, 0, UINT64_MAX - 3, 8, 0, 0, true);
}

static void set_read_after_write(struct rig *r)
{
	put(r, 1, G(buf(r, 1)), 8, 0, 0, true);
	put(r, 0, G(buf(r, 0)), 8, 0, F_NEXT | F_WRITE, true);
}

static void test_hostile_buffers(void **state)
{
	(void)state;
	hostile(false, set_buf_outside, "buffer outside guest memory");
	hostile(false, set_buf_past_end, "buffer outside guest memory");
	hostile(false, set_buf_huge, "buffer outside guest memory");
	hostile(false, set_buf_wraps_address_space, "buffer outside guest memory");
	hostile(false, set_read_after_write, "readable after writable descriptor");
}

static void set_ind_not_negotiated(struct rig *r)
{
	put_ind((struct vring_packed_desc *)r->scratch, 0, G(buf(r, 0)), 8, 0);
	put(r, 0, G(r->scratch), 16, 0, F_IND, true);
}

static void set_ind_with_next(struct rig *r)
{
	put_ind((struct vring_packed_desc *)r->scratch, 0, G(buf(r, 0)), 8, 0);
	put(r, 1, G(buf(r, 1)), 8, 0, 0, true);
	put(r, 0, G(r->scratch), 16, 0, F_IND | F_NEXT, true);
}

static void set_ind_in_chain(struct rig *r)
{
	put_ind((struct vring_packed_desc *)r->scratch, 0, G(buf(r, 0)), 8, 0);
	put(r, 1, G(r->scratch), 16, 0, F_IND, true);
	put(r, 0, G(buf(r, 0)), 8, 0, F_NEXT, true);
}

static void set_ind_len(struct rig *r, uint32_t len)
{
	put(r, 0, G(r->scratch), len, 0, F_IND, true);
}

static void set_ind_len0(struct rig *r)
{
	set_ind_len(r, 0);
}

static void set_ind_len17(struct rig *r)
{
	set_ind_len(r, 17);
}

static void set_ind_len_huge(struct rig *r)
{
	set_ind_len(r, 16u * (PB_VRING_MAX_SIZE + 1));
}

static void set_ind_outside(struct rig *r)
{
	put(r, 0, 0x1000, 32, 0, F_IND, true);
}

static void set_ind_past_end(struct rig *r)
{
	put(r, 0, G(r->map) + r->size - 16, 32, 0, F_IND, true);
}

static void set_ind_nested(struct rig *r)
{
	struct vring_packed_desc *t = (struct vring_packed_desc *)r->scratch;
	put_ind(t, 0, G(buf(r, 0)), 8, 0);
	put_ind(t, 1, G(t), 32, F_IND);
	put(r, 0, G(t), 32, 0, F_IND, true);
}

static void set_ind_bad_buffer(struct rig *r)
{
	struct vring_packed_desc *t = (struct vring_packed_desc *)r->scratch;
	put_ind(t, 0, G(buf(r, 0)), 8, 0);
	put_ind(t, 1, 0x2000, 8, 0);
	put(r, 0, G(t), 32, 0, F_IND, true);
}

static void test_hostile_indirect(void **state)
{
	(void)state;
	hostile(false, set_ind_not_negotiated, "indirect descriptor not negotiated");
	hostile(true, set_ind_with_next, "indirect descriptor in a chain");
	hostile(true, set_ind_in_chain, "indirect descriptor in a chain");
	hostile(true, set_ind_len0, "bad indirect table length");
	hostile(true, set_ind_len17, "bad indirect table length");
	hostile(true, set_ind_len_huge, "bad indirect table length");
	hostile(true, set_ind_outside, "indirect table outside guest memory");
	hostile(true, set_ind_past_end, "indirect table outside guest memory");
	hostile(true, set_ind_nested, "nested indirect table");
	hostile(true, set_ind_bad_buffer, "buffer outside guest memory");
}

/* Flags that change under us: available when counted, then taken back;
 * and descriptors that were never made available properly. */
static void test_hostile_flags(void **state)
{
	struct rig *r = rig_new(8, 64, false, true, false);
	struct pb_pq_dev *d = &r->dev;

	(void)state;
	/* Zeroed ring, and flags that are not "available" under wrap 1:
	 * nothing there, and that is no fault. */
	assert_int_equal(pop(r), PB_VQ_POP_EMPTY);
	r->drv.desc[0] = (struct vring_packed_desc){G(buf(r, 0)), 8, 0, F_AVAIL | F_USED};
	assert_int_equal(pop(r), PB_VQ_POP_EMPTY);
	r->drv.desc[0].flags = F_USED;
	assert_int_equal(pop(r), PB_VQ_POP_EMPTY);
	assert_false(d->broken);

	/* Counted as available, then flipped back before the pop. */
	put(r, 0, G(buf(r, 0)), 8, 0, 0, true);
	put(r, 1, G(buf(r, 1)), 8, 1, 0, true);
	assert_int_equal(pb_pq_dev_avail(d), 2);
	r->drv.desc[0].flags = 0;
	last_log[0] = 0;
	expect_broken(r, pb_pq_dev_pop(d, &r->chain), "available descriptor taken back");
	rig_free(r);

	/* The same after a first pop: the second slot flips. */
	r = rig_new(8, 64, false, true, false);
	d = &r->dev;
	put(r, 0, G(buf(r, 0)), 8, 0, 0, true);
	put(r, 1, G(buf(r, 1)), 8, 1, 0, true);
	assert_int_equal(pb_pq_dev_avail(d), 2);
	assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	r->drv.desc[1].flags = F_AVAIL | F_USED;
	last_log[0] = 0;
	expect_broken(r, pb_pq_dev_pop(d, &r->chain), "available descriptor taken back");
	/* A broken queue is still pushed to harmlessly, and detached. */
	pb_pq_dev_push(d, 0, 0);
	rig_free(r);

	/* A writable buffer over the ring itself (found by the fuzzer): the
	 * device writes a frame into it, which rewrites the next slot under
	 * the walk. Nothing outside guest memory is touched; the ring breaks. */
	r = rig_new(8, 64, false, true, false);
	d = &r->dev;
	put(r, 1, G(buf(r, 1)), 8, 1, 0, true);
	put(r, 0, G(&r->drv.desc[1]), sizeof(r->drv.desc[1]), 0, F_WRITE, true);
	assert_int_equal(pb_pq_dev_avail(d), 2);
	assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	assert_ptr_equal(r->chain.seg[0].base, dev_view(r, &r->drv.desc[1]));
	memset(r->chain.seg[0].base, 0, r->chain.seg[0].len);
	pb_pq_dev_push(d, r->chain.head, 16);
	last_log[0] = 0;
	expect_broken(r, pb_pq_dev_pop(d, &r->chain), "available descriptor taken back");
	rig_free(r);

	/* A full ring the device holds: even if the driver rewrites a held
	 * slot to look available, nothing more is counted or popped. */
	r = rig_new(4, 64, true, true, false);
	d = &r->dev;
	assert_int_equal(pb_pq_dev_avail(d), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	put(r, 0, G(buf(r, 0)), 8, 0, F_WRITE, false);
	assert_int_equal(pb_pq_dev_avail(d), 0);
	assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_EMPTY);
	assert_false(pb_pq_dev_set_notify(d, true));
	assert_false(d->broken);
	rig_free(r);
}

/* Buffers that straddle two regions are refused, each region alone works. */
static void test_buffer_across_regions(void **state)
{
	struct rig *r = rig_new(8, 256, false, false, false);
	struct pb_pq_dev *d = &r->dev;
	size_t half = r->size / 2 & ~(size_t)4095;

	(void)state;
	pb_pq_dev_detach(d);
	pb_guest_mem_clear(&r->mem);
	assert_int_equal(pb_guest_mem_add(&r->mem, r->fd, G(r->map), half, G(r->map), 0), 0);
	assert_int_equal(pb_guest_mem_add(&r->mem, r->fd, G(r->map) + half, r->size - half,
					  G(r->map) + half, half),
			 0);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, G(r->drv.desc), G(r->drv.driver_event),
					  G(r->drv.device_event), BASE0, false, false),
			 0);
	put(r, 0, G(r->map) + half - 8, 8, 0, 0, true);
	put(r, 1, G(r->map) + half, 8, 1, 0, true);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	put(r, 2, G(r->map) + half - 8, 9, 2, 0, true);
	last_log[0] = 0;
	expect_broken(r, pop(r), "buffer outside guest memory");
	rig_free(r);
}

/* ================= hostile devices ================= */

static void used_desc(struct rig *r, uint16_t slot, uint16_t id, uint32_t len, uint16_t flags,
		      bool wrap)
{
	struct vring_packed_desc *d = &r->drv.desc[slot];

	d->id = id;
	d->len = len;
	__atomic_store_n(&d->flags, (uint16_t)(flags | (wrap ? F_AVAIL | F_USED : 0)),
			 __ATOMIC_RELEASE);
}

static void test_driver_hostile_used(void **state)
{
	struct rig *r;
	uint16_t id = 0;
	uint32_t len = 0;

	(void)state;
	/* An id out of range. */
	r = rig_new(8, 64, true, false, false);
	used_desc(r, 0, 8, 10, F_WRITE, true);
	assert_int_equal(pb_pq_drv_used(&r->drv), 1);
	assert_false(pb_pq_drv_take(&r->drv, &id, &len));
	assert_true(r->drv.broken);
	rig_free(r);

	/* An id that is not posted (TX: nothing is, until posted). */
	r = rig_new(8, 64, false, false, false);
	pb_pq_drv_post(&r->drv, 2, 10);
	pb_pq_drv_publish(&r->drv);
	used_desc(r, 0, 3, 0, 0, true);
	assert_int_equal(pb_pq_drv_used(&r->drv), 1);
	assert_false(pb_pq_drv_take(&r->drv, &id, &len));
	assert_true(r->drv.broken);
	rig_free(r);

	/* The same id used twice. */
	r = rig_new(8, 64, true, false, false);
	used_desc(r, 1, 4, 10, F_WRITE, true);
	used_desc(r, 0, 4, 10, F_WRITE, true);
	assert_int_equal(pb_pq_drv_used(&r->drv), 2);
	assert_true(pb_pq_drv_take(&r->drv, &id, &len));
	assert_int_equal(id, 4);
	assert_false(pb_pq_drv_take(&r->drv, &id, &len));
	assert_true(r->drv.broken);
	rig_free(r);

	/* A length beyond the buffer. */
	r = rig_new(8, 64, true, false, false);
	used_desc(r, 0, 0, r->buf_size + 1, F_WRITE, true);
	assert_false(pb_pq_drv_take(&r->drv, &id, &len));
	assert_true(r->drv.broken);
	rig_free(r);
	/* ... unless WRITE is clear: then the length is reserved, ignored. */
	r = rig_new(8, 64, false, false, false);
	pb_pq_drv_post(&r->drv, 0, 10);
	pb_pq_drv_publish(&r->drv);
	used_desc(r, 0, 0, 0xffffffff, 0, true);
	assert_true(pb_pq_drv_take(&r->drv, &id, &len));
	assert_int_equal(len, 0);
	assert_false(r->drv.broken);
	rig_free(r);

	/* More used than in flight: counted only up to what it holds. */
	r = rig_new(8, 64, false, false, false);
	for (uint16_t i = 0; i < 3; i++)
		pb_pq_drv_post(&r->drv, i, 10);
	pb_pq_drv_publish(&r->drv);
	for (uint16_t i = 0; i < 8; i++)
		used_desc(r, i, i, 0, 0, true);
	assert_int_equal(pb_pq_drv_used(&r->drv), 3);
	for (int i = 0; i < 3; i++)
		assert_true(pb_pq_drv_take(&r->drv, &id, &len));
	assert_false(pb_pq_drv_take(&r->drv, &id, &len)); /* holds nothing */
	assert_false(r->drv.broken);
	/* Posted, not published: the device cannot have used it. */
	pb_pq_drv_post(&r->drv, 5, 10);
	assert_int_equal(pb_pq_drv_used(&r->drv), 0);
	assert_false(pb_pq_drv_take(&r->drv, &id, &len));
	assert_false(r->drv.broken);
	rig_free(r);

	/* Used flags that flip back after being counted. */
	r = rig_new(8, 64, true, false, false);
	used_desc(r, 0, 0, 10, F_WRITE, true);
	assert_int_equal(pb_pq_drv_used(&r->drv), 1);
	r->drv.desc[0].flags = F_AVAIL;
	assert_false(pb_pq_drv_take(&r->drv, &id, &len));
	assert_true(r->drv.broken);
	rig_free(r);

	/* Flags of the wrong lap are not used; no fault, nothing taken. */
	r = rig_new(8, 64, true, false, false);
	used_desc(r, 0, 0, 10, F_WRITE, false);
	assert_int_equal(pb_pq_drv_used(&r->drv), 0);
	assert_false(pb_pq_drv_take(&r->drv, &id, &len));
	assert_false(r->drv.broken);
	rig_free(r);
}

/* ================= notifications ================= */

static uint32_t desc_word(uint16_t pos, bool wrap)
{
	return pb_packed_event_word(pb_packed_off_wrap(pos, wrap), VRING_PACKED_EVENT_F_DESC);
}

static void test_event_idx_kick(void **state)
{
	struct rig *r = rig_new(16, 64, false, true, true);
	struct pb_pq_dev *d = &r->dev;

	(void)state;
	rig_eventfds(r);
	/* Attached with kicks off: the driver must not kick. */
	assert_int_equal(dev_event(r), pb_packed_event_word(0, VRING_PACKED_EVENT_F_DISABLE));
	pb_pq_drv_post(&r->drv, 0, 1);
	assert_false(pb_pq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 0);

	/* Asking for kicks with a chain already there: "don't sleep". */
	assert_true(pb_pq_dev_set_notify(d, true));
	assert_int_equal(dev_event(r), desc_word(0, true));
	pb_pq_dev_set_notify(d, false);
	assert_int_equal(pb_pq_dev_avail(d), 1);
	assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_pq_dev_push(d, r->chain.head, 0);
	/* The driver has calls off. */
	assert_false(pb_pq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 0);

	/* Drained: ask, nothing there, sleep; the next publish kicks once. */
	assert_false(pb_pq_dev_set_notify(d, true));
	assert_int_equal(dev_event(r), desc_word(1, true));
	pb_pq_drv_post(&r->drv, 1, 1);
	assert_true(pb_pq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 1);
	/* It asked once, so only once. */
	pb_pq_drv_post(&r->drv, 2, 1);
	assert_false(pb_pq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 0);
	assert_int_equal(r->drv.kicks, 1);

	/* A batch published at once is one kick. */
	assert_int_equal(pb_pq_dev_avail(d), 2);
	while (pb_pq_dev_pop(d, &r->chain) == PB_VQ_POP_OK)
		pb_pq_dev_push(d, r->chain.head, 0);
	pb_pq_dev_flush(d);
	assert_false(pb_pq_dev_set_notify(d, true));
	for (uint16_t i = 3; i < 8; i++)
		pb_pq_drv_post(&r->drv, i, 1);
	assert_true(pb_pq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 1);
	assert_int_equal(r->drv.kicks, 2);
	/* Asking while chains wait: "don't sleep", and no kick needed. */
	assert_true(pb_pq_dev_set_notify(d, true));
	/* Kicks off again: nothing. */
	pb_pq_dev_set_notify(d, false);
	pb_pq_drv_post(&r->drv, 8, 1);
	assert_false(pb_pq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 0);

	/* Across the end of the ring: an event in the next lap. */
	assert_int_equal(pb_pq_dev_avail(d), 6);
	while (pb_pq_dev_pop(d, &r->chain) == PB_VQ_POP_OK)
		pb_pq_dev_push(d, r->chain.head, 0);
	pb_pq_dev_flush(d);
	for (uint16_t i = 9; i < 13; i++)
		pb_pq_drv_post(&r->drv, i, 1);
	pb_pq_drv_publish(&r->drv);
	assert_int_equal(pb_pq_dev_avail(d), 4);
	while (pb_pq_dev_pop(d, &r->chain) == PB_VQ_POP_OK)
		pb_pq_dev_push(d, r->chain.head, 0);
	pb_pq_dev_flush(d);
	assert_int_equal(d->last_avail, 13);
	uint16_t id;
	uint32_t len;
	while (pb_pq_drv_used(&r->drv))
		assert_true(pb_pq_drv_take(&r->drv, &id, &len));
	/* A device event further on, in the next lap: slot 1, wrap 0. */
	pb_store_once(d->device_event, desc_word(1, false));
	for (uint16_t i = 13; i < 16; i++)
		pb_pq_drv_post(&r->drv, i, 1);
	assert_false(pb_pq_drv_publish(&r->drv)); /* 13..15: not yet */
	pb_pq_drv_post(&r->drv, 0, 1);
	assert_false(pb_pq_drv_publish(&r->drv)); /* slot 0 */
	pb_pq_drv_post(&r->drv, 1, 1);
	assert_true(pb_pq_drv_publish(&r->drv)); /* slot 1 of the next lap */
	/* The same slot in the wrong lap (wrap 1) is 16 slots away. */
	pb_store_once(d->device_event, desc_word(2, true));
	pb_pq_drv_post(&r->drv, 2, 1);
	assert_false(pb_pq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 1);
	assert_false(r->drv.broken);
	rig_free(r);
}

static void test_event_idx_call(void **state)
{
	struct rig *r = rig_new(16, 64, false, true, true);
	struct pb_pq_dev *d = &r->dev;
	uint16_t id = 0;
	uint32_t len = 0;

	(void)state;
	rig_eventfds(r);
	for (uint16_t i = 0; i < 12; i++)
		pb_pq_drv_post(&r->drv, i, 1);
	pb_pq_drv_publish(&r->drv);
	assert_int_equal(pb_pq_dev_avail(d), 12);

	/* Calls off after init. */
	assert_int_equal(drv_event(r), pb_packed_event_word(0, VRING_PACKED_EVENT_F_DISABLE));
	assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_pq_dev_push(d, r->chain.head, 0);
	assert_false(pb_pq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 0);

	/* The driver asks while a used descriptor waits: "don't sleep". */
	assert_true(pb_pq_drv_set_notify(&r->drv, true));
	assert_true(pb_pq_drv_take(&r->drv, &id, &len));
	/* Now asks with nothing there: the next flush calls, once. */
	assert_false(pb_pq_drv_set_notify(&r->drv, true));
	assert_int_equal(drv_event(r), desc_word(1, true));
	assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_pq_dev_push(d, r->chain.head, 0);
	assert_true(pb_pq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 1);
	assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_pq_dev_push(d, r->chain.head, 0);
	assert_false(pb_pq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 0);
	assert_int_equal(d->calls, 1);
	while (pb_pq_drv_used(&r->drv))
		assert_true(pb_pq_drv_take(&r->drv, &id, &len));

	/* A driver that wants a call only after 3 more. */
	pb_store_once(r->drv.driver_event, desc_word((uint16_t)(r->drv.last_used + 2), true));
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
		pb_pq_dev_push(d, r->chain.head, 0);
		assert_int_equal(pb_pq_dev_flush(d), k == 2);
	}
	assert_int_equal(fd_count(r->callfd), 1);
	/* And the same crossed by one flush of several. */
	pb_store_once(r->drv.driver_event, desc_word((uint16_t)(d->used_idx + 1), true));
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
		pb_pq_dev_push(d, r->chain.head, 0);
	}
	assert_true(pb_pq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 1);
	assert_int_equal(d->calls, 3);

	/* Calls off: nothing. */
	pb_pq_drv_set_notify(&r->drv, false);
	assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_pq_dev_push(d, r->chain.head, 0);
	assert_false(pb_pq_dev_flush(d));
	assert_int_equal(fd_count(r->callfd), 0);
	rig_free(r);
}

/* A chain takes several slots and gets one used descriptor: an event on
 * any slot it covers is crossed. */
static void test_event_idx_chain(void **state)
{
	struct rig *r = rig_new(16, 64, false, true, false);
	struct pb_pq_dev *d = &r->dev;

	(void)state;
	rig_eventfds(r);
	put(r, 1, G(buf(r, 1)), 8, 5, F_NEXT, true);
	put(r, 2, G(buf(r, 2)), 8, 5, 0, true);
	put(r, 0, G(buf(r, 0)), 8, 0, F_NEXT, true);
	put(r, 3, G(buf(r, 3)), 8, 6, 0, true);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(r->chain.head, 5);
	assert_int_equal(pop(r), PB_VQ_POP_OK);
	assert_int_equal(r->chain.head, 6);
	/* The driver waits for slot 1, inside the chain. */
	pb_store_once(r->drv.driver_event, desc_word(1, true));
	pb_pq_dev_push(d, 5, 0);
	assert_true(pb_pq_dev_flush(d));
	assert_int_equal(r->drv.desc[0].id, 5);
	assert_int_equal(d->used_idx, 3);
	/* Then for slot 3: the next used descriptor. */
	pb_store_once(r->drv.driver_event, desc_word(3, true));
	pb_pq_dev_push(d, 6, 0);
	assert_true(pb_pq_dev_flush(d));
	assert_int_equal(r->drv.desc[3].id, 6);
	assert_int_equal(fd_count(r->callfd), 2);
	/* A push of an id not in flight is our bug: the queue stops. */
	last_log[0] = 0;
	pb_pq_dev_push(d, 6, 0);
	assert_true(d->broken);
	assert_non_null(strstr(last_log, "not in flight"));
	rig_free(r);
}

/* Without EVENT_IDX: ENABLE / DISABLE, every time. A DESC word is read as
 * ENABLE then (it is only valid with EVENT_IDX). */
static void test_flags_suppression(void **state)
{
	struct rig *r = rig_new(16, 64, false, false, false);
	struct pb_pq_dev *d = &r->dev;
	uint16_t id = 0;
	uint32_t len = 0;

	(void)state;
	rig_eventfds(r);
	assert_int_equal(dev_event(r), pb_packed_event_word(0, VRING_PACKED_EVENT_F_DISABLE));
	assert_int_equal(drv_event(r), pb_packed_event_word(0, VRING_PACKED_EVENT_F_DISABLE));
	pb_pq_drv_post(&r->drv, 0, 1);
	assert_false(pb_pq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 0);

	assert_true(pb_pq_dev_set_notify(d, true)); /* one waiting */
	assert_int_equal(dev_event(r), pb_packed_event_word(0, VRING_PACKED_EVENT_F_ENABLE));
	pb_pq_drv_post(&r->drv, 1, 1);
	assert_true(pb_pq_drv_publish(&r->drv));
	pb_pq_drv_post(&r->drv, 2, 1);
	assert_true(pb_pq_drv_publish(&r->drv));  /* still asked: again */
	assert_false(pb_pq_drv_publish(&r->drv)); /* nothing new: no kick */
	assert_int_equal(fd_count(r->kickfd), 2);
	/* A DESC word far away: ENABLE without EVENT_IDX. */
	pb_store_once(d->device_event, desc_word(9, false));
	pb_pq_drv_post(&r->drv, 3, 1);
	assert_true(pb_pq_drv_publish(&r->drv));
	/* The reserved value 3: notify rather than stall. */
	pb_store_once(d->device_event, pb_packed_event_word(0, 3));
	pb_pq_drv_post(&r->drv, 4, 1);
	assert_true(pb_pq_drv_publish(&r->drv));
	pb_pq_dev_set_notify(d, false);
	pb_pq_drv_post(&r->drv, 5, 1);
	assert_false(pb_pq_drv_publish(&r->drv));
	assert_int_equal(fd_count(r->kickfd), 2);
	assert_int_equal(r->drv.kicks, 4);

	assert_int_equal(pb_pq_dev_avail(d), 6);
	for (unsigned k = 0; k < 6; k++) {
		assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
		pb_pq_dev_push(d, r->chain.head, 0);
		if (k == 0) {
			assert_false(pb_pq_dev_flush(d));		  /* calls off */
			assert_true(pb_pq_drv_set_notify(&r->drv, true)); /* one waiting */
			assert_int_equal(drv_event(r),
					 pb_packed_event_word(0, VRING_PACKED_EVENT_F_ENABLE));
		} else if (k < 5) {
			assert_true(pb_pq_dev_flush(d));
		} else {
			pb_pq_drv_set_notify(&r->drv, false);
			assert_false(pb_pq_dev_flush(d));
		}
	}
	assert_int_equal(fd_count(r->callfd), 4);
	assert_int_equal(d->calls, 4);
	while (pb_pq_drv_used(&r->drv))
		assert_true(pb_pq_drv_take(&r->drv, &id, &len));
	assert_false(pb_pq_drv_set_notify(&r->drv, true)); /* nothing waiting */
	assert_false(r->drv.broken);
	rig_free(r);
}

/* The arithmetic on its own, against a brute-force count. */
static void test_need_event(void **state)
{
	(void)state;
	for (uint16_t num = 1; num <= 9; num++) {
		uint32_t span = 2u * num;
		for (uint32_t old = 0; old < span; old++) {
			for (uint32_t n = 0; n <= num; n++) {
				uint32_t now = (old + n) % span;
				for (uint32_t ev = 0; ev < span; ev++) {
					uint16_t pos = (uint16_t)(ev % num);
					bool wrap = ev < num;
					uint32_t word = desc_word(pos, wrap);
					bool in = false;
					for (uint32_t k = 0; k < n; k++)
						in |= (old + k) % span == ev;
					assert_int_equal(
					    pb_packed_need_event(word, true, old, now, num), in);
					/* Hostile offsets: any answer, no fault. */
					(void)pb_packed_need_event(0xffff0000u | word, true, old,
								   now, num);
					(void)pb_packed_need_event(desc_word(0x7fff, wrap), true,
								   old, now, num);
				}
			}
		}
	}
}

/* ================= a step-by-step model, many laps ================= */

/*
 * As in test_split_ring.c: driver and device take turns, each sleeping at
 * random after asking for a notification. With EVENT_IDX exactly the first
 * publish/flush after the other side went to sleep notifies; with flags,
 * every one while it sleeps does; an awake side is never notified; both
 * asleep with nothing signalled is a lost wake-up. Payloads carry a
 * sequence number, checked byte for byte, over thousands of laps.
 */
static void run_model(uint16_t num, bool rx, bool event_idx, unsigned total, uint64_t seed)
{
	struct rig *r = rig_new(num, 256, rx, event_idx, false);
	struct pb_pq_drv *v = &r->drv;
	struct pb_pq_dev *d = &r->dev;
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
				assert_true(n <= 1);
			calls_read += n;
			if (n) {
				drv_asleep = false;
				pb_pq_drv_set_notify(v, false);
			}
		}
		if (!drv_asleep) {
			uint16_t id = 0;
			uint32_t len = 0;
			for (uint16_t n = pb_pq_drv_used(v); n; n--) {
				assert_true(pb_pq_drv_take(v, &id, &len));
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
					pb_pq_drv_post(v, id, r->buf_size);
				} else {
					uint32_t l = 4 + rnd(&seed) % (r->buf_size - 3);
					memcpy(buf(r, id), &sent, 4);
					fill(buf(r, id) + 4, l - 4, sent);
					sent_len[id] = l;
					pb_pq_drv_post(v, id, l);
					sent++;
				}
				posted++;
			}
			bool expect = want && dev_asleep && (event_idx ? !dev_kicked : true);
			bool kicked = pb_pq_drv_publish(v);
			if (kicked != expect)
				fail_msg("step %u: publish kicked %d, model says %d (dev %s)", step,
					 kicked, expect, dev_asleep ? "asleep" : "awake");
			kicks += kicked;
			if (kicked)
				dev_kicked = true;
			if (posted && (nfree == 0 || rnd(&seed) % 2)) {
				if (pb_pq_drv_set_notify(v, true)) {
					assert_true(pb_pq_drv_used(v) > 0);
					pb_pq_drv_set_notify(v, false);
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
				assert_true(n <= 1);
			kicks_read += n;
			if (n) {
				dev_asleep = false;
				pb_pq_dev_set_notify(d, false);
			}
		}
		if (!dev_asleep) {
			uint16_t n = pb_pq_dev_avail(d);
			assert_false(d->broken);
			while (n--) {
				struct pb_vq_chain *c = &r->chain;
				assert_int_equal(pb_pq_dev_pop(d, c), PB_VQ_POP_OK);
				assert_int_equal(c->nseg, 1);
				if (rx) {
					assert_int_equal(c->in_len, r->buf_size);
					uint32_t l = 4 + rnd(&seed) % (r->buf_size - 3);
					memcpy(c->seg[0].base, &dev_seq, 4);
					fill(c->seg[0].base + 4, l - 4, dev_seq);
					pb_pq_dev_push(d, c->head, l);
				} else {
					uint32_t seq;
					assert_int_equal(c->out_len, sent_len[c->head]);
					memcpy(&seq, c->seg[0].base, 4);
					assert_int_equal(seq, dev_seq);
					check_fill(c->seg[0].base + 4, c->out_len - 4, seq);
					pb_pq_dev_push(d, c->head, 0);
				}
				dev_seq++;
				if (rnd(&seed) % 4 == 0 || n == 0) {
					bool expect =
					    drv_asleep && (event_idx ? !drv_called : true);
					bool called = pb_pq_dev_flush(d);
					if (called != expect)
						fail_msg("step %u: flush called %d, model says %d",
							 step, called, expect);
					calls += called;
					if (called)
						drv_called = true;
				}
			}
			assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_EMPTY);
			if (rnd(&seed) % 2) {
				if (pb_pq_dev_set_notify(d, true)) {
					assert_true(pb_pq_dev_avail(d) > 0);
					pb_pq_dev_set_notify(d, false);
				} else {
					dev_asleep = true;
					dev_kicked = false;
				}
			}
		}
		if (dev_asleep && drv_asleep && !dev_kicked && !drv_called)
			fail_msg("step %u: both asleep, no notification pending", step);
	}
	assert_int_equal(v->kicks, kicks);
	assert_int_equal(d->calls, calls);
	assert_int_equal(kicks_read + fd_count(r->kickfd), kicks);
	assert_int_equal(calls_read + fd_count(r->callfd), calls);
	assert_true(kicks > 100 && calls > 100);
	assert_false(v->broken);
	assert_true(pb_pq_dev_attached(d));
	assert_true(done / num > 1000); /* laps */
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
	run_model(6, true, true, 70000, 3);
}

static void test_model_rx_flags(void **state)
{
	(void)state;
	run_model(4, true, false, 70000, 4);
}

static void test_model_odd_sizes(void **state)
{
	(void)state;
	run_model(3, false, true, 20000, 5);
	run_model(7, true, true, 20000, 6);
	run_model(5, false, false, 20000, 7);
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
	struct pb_pq_dev *d = &r->dev;
	struct pb_vq_chain c;
	unsigned seq = 0;

	while (seq < u->total && !u->stop) {
		uint16_t n = pb_pq_dev_avail(d);
		if (d->broken) {
			u->errors++;
			return NULL;
		}
		while (n--) {
			if (pb_pq_dev_pop(d, &c) != PB_VQ_POP_OK || c.nseg != 1 || c.out_len < 4) {
				u->errors++;
				return NULL;
			}
			uint32_t got;
			memcpy(&got, c.seg[0].base, 4);
			if (got != seq)
				u->errors++;
			seq++;
			pb_pq_dev_push(d, c.head, 0);
		}
		pb_pq_dev_flush(d);
		if (seq < u->total && !pb_pq_dev_set_notify(d, true)) {
			u->dev_sleeps++;
			if (!wait_fd(r->kickfd))
				u->timeouts++;
		}
		pb_pq_dev_set_notify(d, false);
	}
	return NULL;
}

static void run_threads(bool event_idx)
{
	struct duo u = {.r = rig_new(64, 64, false, event_idx, false), .total = 300000};
	struct rig *r = u.r;
	struct pb_pq_drv *v = &r->drv;
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
		for (uint16_t n = pb_pq_drv_used(v); n; n--) {
			if (!pb_pq_drv_take(v, &id, &len)) {
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
			pb_pq_drv_post(v, id, 4 + sent % 60);
			sent++;
		}
		pb_pq_drv_publish(v);
		if ((nfree == 0 || sent == u.total) && done < u.total &&
		    !pb_pq_drv_set_notify(v, true)) {
			u.drv_sleeps++;
			if (!wait_fd(r->callfd))
				u.timeouts++;
		}
		pb_pq_drv_set_notify(v, false);
	}
	if (u.timeouts >= 3 || u.errors) {
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
	assert_true(pb_pq_dev_attached(&r->dev));
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
	    T(test_laps),
	    T(test_free_fifo),
	    T(test_vring_base),
	    T(test_chain_direct),
	    T(test_chain_too_long),
	    T(test_indirect_ok),
	    T(test_indirect_dpdk_header),
	    T(test_unpop),
	    T(test_hostile_chains),
	    T(test_hostile_buffers),
	    T(test_hostile_indirect),
	    T(test_hostile_flags),
	    T(test_buffer_across_regions),
	    T(test_driver_hostile_used),
	    T(test_event_idx_kick),
	    T(test_event_idx_call),
	    T(test_event_idx_chain),
	    T(test_flags_suppression),
	    T(test_need_event),
	    T(test_model_tx_event_idx),
	    T(test_model_tx_flags),
	    T(test_model_rx_event_idx),
	    T(test_model_rx_flags),
	    T(test_model_odd_sizes),
	    T(test_threads_event_idx),
	    T(test_threads_flags),
	};

	pb_set_log(log_hook, PB_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
