/* SPDX-License-Identifier: MIT */
/*
 * ring_rig.h - one test rig for both virtqueue layouts. A driver (split_driver
 * or packed_driver) lays out its ring in a memfd mapping; the device
 * (split_device or packed_device) attaches through a guest memory table that
 * maps the same file again, with GPA == UVA == the driver's address, as
 * vhost-user does it. So every byte the device reads went through
 * translation.
 *
 * A scenario is written once against struct ring_ops and registered with
 * RING_TESTS(), which runs it over the split ring and over the packed ring:
 * cmocka hands the ops in as the test's state. Tests about what only one
 * layout has (split's next links, packed's wrap counters) reach into r->vq
 * or r->pq directly and live in that layout's own files.
 */
#ifndef PB_TEST_RING_RIG_H
#define PB_TEST_RING_RIG_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <patchbay/patchbay.h>

#include "mem/guest_mem.h"
#include "ring/packed_device.h"
#include "ring/packed_driver.h"
#include "ring/split_device.h"
#include "ring/split_driver.h"

#define RIG_SCRATCH (64 * 1024) /* after the buffers: indirect tables, loose buffers */
#define G(p)	    ((uint64_t)(uintptr_t)(p))
/* The slot stride whose buffers hold at least @buf bytes. */
#define RIG_STRIDE(buf) PB_ALIGN_UP((uint32_t)(buf) + PB_VQ_BUF_PAD, 64u)

enum ring_kind { RING_SPLIT, RING_PACKED };

struct ring_ops;

struct rig {
	const struct ring_ops *ops;
	int fd;
	size_t size;
	uint8_t *map;	  /* the driver's mapping; GPA == this address */
	uint8_t *bufs;	  /* num slots of stride bytes */
	uint8_t *scratch; /* RIG_SCRATCH bytes, page aligned */
	uint16_t num;
	uint32_t buf_size; /* what a buffer holds (the driver's, after its padding) */
	bool event_idx, indirect;
	int kickfd, callfd;
	/* Where the hand-written driver of rig_offer() puts its next chain:
	 * the packed ring's next slot and its wrap counter. */
	uint16_t hand_slot;
	bool hand_wrap;
	struct pb_vq_chain chain;
	struct pb_guest_mem mem;
	union {
		struct {
			struct pb_vq_drv drv;
			struct pb_vq_dev dev;
		} vq; /* RING_SPLIT */
		struct {
			struct pb_pq_drv drv;
			struct pb_pq_dev dev;
		} pq; /* RING_PACKED */
	};
};

/* What a notification word says, in terms both layouts share: nothing
 * (OFF), every time (ON, flags mode), or at a position counted from the
 * ring's start (EVENT_IDX: split's 16-bit index; packed's slot and wrap
 * counter, good for the first laps). */
#define RIG_EV_OFF (-1)
#define RIG_EV_ON  (-2)

/* One descriptor of a chain or an indirect table: VRING_DESC_F_WRITE or
 * VRING_DESC_F_INDIRECT in flags; links (NEXT) are the rig's business. */
struct rig_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};

struct ring_ops {
	const char *name;
	enum ring_kind kind;
	size_t (*ring_size)(uint16_t num);
	int (*drv_init)(struct rig *r, uint32_t stride, bool rx);
	void (*drv_fini)(struct rig *r);
	uint8_t *(*drv_buf)(struct rig *r, uint16_t id);
	void (*drv_post)(struct rig *r, uint16_t id, uint32_t len);
	bool (*drv_publish)(struct rig *r);
	uint16_t (*drv_used)(struct rig *r);
	bool (*drv_take)(struct rig *r, uint16_t *id, uint32_t *len);
	bool (*drv_set_notify)(struct rig *r, bool on);
	bool (*drv_broken)(const struct rig *r);
	uint64_t (*drv_kicks)(const struct rig *r);
	/* used elements taken so far, counted from the start */
	uint32_t (*drv_used_pos)(const struct rig *r);
	/* Attach where the driver stands (a fresh ring, or one stopped with
	 * every buffer given back), through @mem. */
	int (*dev_attach)(struct rig *r, const struct pb_guest_mem *mem);
	void (*dev_detach)(struct rig *r);
	bool (*dev_attached)(const struct rig *r);
	uint16_t (*dev_avail)(struct rig *r);
	int (*dev_pop)(struct rig *r, struct pb_vq_chain *c);
	void (*dev_push)(struct rig *r, uint16_t id, uint32_t len);
	bool (*dev_flush)(struct rig *r);
	bool (*dev_set_notify)(struct rig *r, bool on);
	bool (*dev_broken)(const struct rig *r);
	uint64_t (*dev_calls)(const struct rig *r);
	/* used elements pushed so far, counted from the start */
	uint32_t (*dev_used_pos)(const struct rig *r);
	/* The notification words, read (asserting one of RIG_EV_*) and
	 * written by hand as a hostile or odd peer would. */
	void (*expect_kick_event)(struct rig *r, long want);
	void (*expect_call_event)(struct rig *r, long want);
	void (*set_kick_event)(struct rig *r, uint32_t pos);
	void (*set_call_event)(struct rig *r, uint32_t pos);
	/* A hand-written driver and device (see rig_offer, rig_table). */
	void (*offer)(struct rig *r, uint16_t id, const struct rig_desc *d, unsigned n);
	uint32_t (*table)(void *at, const struct rig_desc *d, unsigned n);
	void (*put_used)(struct rig *r, uint16_t nth, uint16_t id, uint32_t len);
};

extern const struct ring_ops ring_split, ring_packed;

/* The log line the device wrote when it broke the ring. */
extern char rig_last_log[512];

struct rig *rig_new(const struct ring_ops *ops, uint16_t num, uint32_t stride, bool rx,
		    bool event_idx, bool indirect);
void rig_eventfds(struct rig *r);
void rig_free(struct rig *r);

/* Where the device sees the driver's byte @p. */
uint8_t *rig_dev_view(struct rig *r, const void *p);
/* Eventfd counter, drained (0 if not signalled). */
uint64_t rig_fd_count(int fd);
/* A byte pattern that tells buffers apart. */
void rig_fill(uint8_t *p, unsigned len, unsigned seed);
void rig_check_fill(const uint8_t *p, unsigned len, unsigned seed);
uint32_t rig_rnd(uint64_t *s);

static inline uint8_t *rig_buf(struct rig *r, uint16_t id)
{
	return r->ops->drv_buf(r, id);
}

/* Make one chain available as buffer @id, written by hand: split puts it in
 * descriptors id, id + 1, ... linked by next; packed in the next slots with
 * the id in the last and the first flags written last. */
static inline void rig_offer(struct rig *r, uint16_t id, const struct rig_desc *d, unsigned n)
{
	r->ops->offer(r, id, d, n);
}

/* Write an indirect table at @at in the layout's format; its length in bytes. */
static inline uint32_t rig_table(struct rig *r, void *at, const struct rig_desc *d, unsigned n)
{
	return r->ops->table(at, d, n);
}

/* Avail then pop, as the device's loop does. */
int rig_pop(struct rig *r);
/* The pop broke the ring, which says so with @why, and stays broken. */
void rig_expect_broken(struct rig *r, int rc, const char *why);
/* A hostile case in a fresh 8-slot TX ring with EVENT_IDX: @setup writes
 * descriptors and offers them; the next pop must break the ring. */
void rig_hostile(const struct ring_ops *ops, bool indirect, void (*setup)(struct rig *),
		 const char *why);

/* Frees the rigs a failed test left open, fails on a UBSan report. */
int rig_teardown(void **state);

/* A test's ring kind, from its cmocka state. */
static inline const struct ring_ops *rig_ops(void **state)
{
	return *state;
}

/* Register @f for both ring kinds, named "f split" and "f packed". */
#define RING_TEST_ONE(f, ops)                                                                      \
	{                                                                                          \
#f " " #ops, f, NULL, rig_teardown, (void *)&ring_##ops,                           \
	}
#define RING_TESTS(f) RING_TEST_ONE(f, split), RING_TEST_ONE(f, packed)

/* Run @tests with the device's log captured into rig_last_log. */
int rig_run(const char *group, const struct CMUnitTest *tests, size_t n);
#define RIG_RUN(tests) rig_run(__FILE__, tests, sizeof(tests) / sizeof((tests)[0]))

#endif
