/* SPDX-License-Identifier: MIT */
/*
 * split_hand.h - a hand-written split driver for the tests of what only
 * the split layout has (test_split_*.c): descriptors, avail and used
 * entries written straight into the shared ring, as a hostile or odd
 * driver would, on the rig of ring_rig.h.
 */
#ifndef PB_TEST_SPLIT_HAND_H
#define PB_TEST_SPLIT_HAND_H

#include "ring_rig.h"

static inline struct rig *split_rig(uint16_t num, uint32_t stride, bool rx, bool event_idx,
				    bool indirect)
{
	return rig_new(&ring_split, num, stride, rx, event_idx, indirect);
}

static inline void put_desc(struct rig *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
			    uint16_t next)
{
	r->vq.drv.desc[i] =
	    (struct vring_desc){.addr = addr, .len = len, .flags = flags, .next = next};
}

static inline void put_ind(struct vring_desc *t, uint16_t i, uint64_t addr, uint32_t len,
			   uint16_t flags, uint16_t next)
{
	t[i] = (struct vring_desc){.addr = addr, .len = len, .flags = flags, .next = next};
}

/* Make @head available (driver's job, done by hand). */
static inline void offer(struct rig *r, uint16_t head)
{
	uint16_t idx = r->vq.drv.avail->idx;

	r->vq.drv.avail->ring[idx & r->vq.drv.mask] = head;
	__atomic_store_n(&r->vq.drv.avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

static inline void put_used(struct rig *r, uint16_t slot, uint32_t id, uint32_t len)
{
	r->vq.drv.used->ring[slot & r->vq.drv.mask] =
	    (struct vring_used_elem){.id = id, .len = len};
}

#endif
