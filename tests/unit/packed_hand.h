/* SPDX-License-Identifier: MIT */
/*
 * packed_hand.h - a hand-written packed driver and device for the tests of
 * what only the packed layout has (test_packed_*.c): descriptors and used
 * descriptors written straight into the shared ring with the wrap bits a
 * hostile or odd peer would choose, on the rig of ring_rig.h.
 */
#ifndef PB_TEST_PACKED_HAND_H
#define PB_TEST_PACKED_HAND_H

#include "ring_rig.h"

#define F_AVAIL VRING_PACKED_DESC_F_AVAIL
#define F_USED	VRING_PACKED_DESC_F_USED
#define F_NEXT	VRING_DESC_F_NEXT
#define F_WRITE VRING_DESC_F_WRITE
#define F_IND	VRING_DESC_F_INDIRECT
#define BASE0	0x8000u /* a fresh ring: slot 0, wrap counter 1 */

/* @buf_size bytes of buffer per id (the slot is PB_VQ_BUF_PAD more). */
static inline struct rig *packed_rig(uint16_t num, uint32_t buf_size, bool rx, bool event_idx,
				     bool indirect)
{
	return rig_new(&ring_packed, num, RIG_STRIDE(buf_size), rx, event_idx, indirect);
}

static inline uint32_t dev_event(struct rig *r)
{
	return *r->pq.drv.device_event;
}

static inline uint32_t drv_event(struct rig *r)
{
	return *r->pq.drv.driver_event;
}

/* Available under wrap counter @wrap: AVAIL = wrap, USED = !wrap. */
static inline uint16_t avail_bits(bool wrap)
{
	return wrap ? F_AVAIL : F_USED;
}

/* Write slot @slot whole, flags last (release), as made available. */
static inline void put(struct rig *r, uint16_t slot, uint64_t addr, uint32_t len, uint16_t id,
		       uint16_t flags, bool wrap)
{
	struct vring_packed_desc *d = &r->pq.drv.desc[slot];

	d->addr = addr;
	d->len = len;
	d->id = id;
	__atomic_store_n(&d->flags, (uint16_t)(flags | avail_bits(wrap)), __ATOMIC_RELEASE);
}

static inline void put_ind(struct vring_packed_desc *t, uint16_t i, uint64_t addr, uint32_t len,
			   uint16_t flags)
{
	t[i] = (struct vring_packed_desc){.addr = addr, .len = len, .id = 0xbeef, .flags = flags};
}

static inline void used_desc(struct rig *r, uint16_t slot, uint16_t id, uint32_t len,
			     uint16_t flags, bool wrap)
{
	struct vring_packed_desc *d = &r->pq.drv.desc[slot];

	d->id = id;
	d->len = len;
	__atomic_store_n(&d->flags, (uint16_t)(flags | (wrap ? F_AVAIL | F_USED : 0)),
			 __ATOMIC_RELEASE);
}

static inline uint32_t desc_word(uint16_t pos, bool wrap)
{
	return pb_packed_event_word(pb_packed_off_wrap(pos, wrap), VRING_PACKED_EVENT_F_DESC);
}

#endif
