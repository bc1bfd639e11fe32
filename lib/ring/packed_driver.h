/* SPDX-License-Identifier: MIT */
/*
 * packed_driver.h - the driver side of a packed virtqueue (virtio 1.1+
 * §2.8), as the frontend ("virtio-user") runs it in its own memory. Shaped
 * like split_driver.h, so a port can drive either with one branch per burst.
 *
 * Each buffer id owns one fixed buffer in slot id (bufs + id * stride, the
 * buffer PB_VQ_BUF_PAD bytes in, as with split rings), for its whole life.
 * Buffers are never chained, so every buffer takes exactly one descriptor
 * and a used descriptor always advances the ring by one. Ring slots and
 * buffer ids are independent: a buffer goes into whichever slot comes next.
 *
 * GPA == our virtual address (see split_driver.h), so descriptors hold
 * plain pointers.
 *
 * Batching. post() writes a descriptor whole except, for the first
 * descriptor of a batch, its flags; publish() writes those last with
 * release ordering, so the device (which polls only its next slot) sees
 * the whole batch at once or none of it (§2.8.21.1).
 *
 * Security model: used descriptors are written by the backend, which may
 * be hostile. pb_pq_drv_used() counts at most the buffers the device holds,
 * take() rejects an id out of range or not currently posted, and a length
 * beyond the buffer; a used length is read only when the device set WRITE
 * (§2.8.5: it is reserved otherwise). A violation sets `broken` (the port
 * then drops the link). We never follow an address the device wrote.
 */
#ifndef PB_PACKED_DRIVER_H
#define PB_PACKED_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/id_fifo.h"
#include "ring/packed_ring.h"
#include "ring/split_driver.h" /* PB_VQ_BUF_PAD: the same buffer slots */
#include "util/compiler.h"

struct pb_pq_drv {
	struct vring_packed_desc *desc;
	uint32_t *driver_event; /* ours: when the device should call us (event word) */
	uint32_t *device_event; /* the device's: when it wants a kick (event word) */
	uint8_t *bufs;
	uint32_t stride;   /* bytes per buffer slot */
	uint32_t buf_size; /* bytes a buffer holds: stride - PB_VQ_BUF_PAD */
	uint16_t num;
	bool device_writes; /* an RX queue: buffers are VRING_DESC_F_WRITE */
	bool event_idx;
	int kickfd; /* eventfd to kick the device; -1: none */

	/* Driver-private state; never read back from shared memory. */
	uint16_t avail_idx;   /* next slot to fill ... */
	bool avail_wrap;      /* ... and our wrap counter there */
	uint16_t kicked_idx;  /* avail_idx at the last publish ... */
	bool kicked_wrap;     /* ... and its wrap counter */
	uint16_t last_used;   /* next slot to read a used descriptor from ... */
	bool used_wrap;	      /* ... and the wrap counter it is used under */
	uint16_t used_ahead;  /* slots from last_used seen used by pb_pq_drv_used() */
	uint16_t inflight;    /* buffers posted and not yet taken */
	uint16_t pending;     /* buffers posted since the last publish */
	uint16_t first_pos;   /* the batch's first slot, its flags deferred ... */
	uint16_t first_flags; /* ... to publish */
	bool broken;
	uint64_t kicks;
	struct pb_id_fifo free; /* TX ids not posted, in FIFO order */
	uint8_t *posted;	/* posted[id]: 1 while the device owns it */
};

/* Bytes of shared memory the ring areas need: descriptor ring, driver
 * area, device area, each on its own page. */
size_t pb_pq_drv_ring_size(uint16_t num);

/*
 * Lay out a ring in @ring_mem (pb_pq_drv_ring_size(num) bytes, page
 * aligned) with num buffer slots of @stride bytes at @bufs (each holds
 * stride - PB_VQ_BUF_PAD bytes; stride > PB_VQ_BUF_PAD, a multiple of 64).
 * For an RX queue (device_writes) every buffer is posted at once; a TX
 * queue starts with all free. Returns 0, -EINVAL (num not 2..32768, bad
 * stride), -ENOMEM.
 */
int pb_pq_drv_init(struct pb_pq_drv *vq, void *ring_mem, uint8_t *bufs, uint16_t num,
		   uint32_t stride, bool device_writes, bool event_idx);

/* Back to the state after init (ring memory rewritten): used after the peer
 * went away and before a new one is given the ring. event_idx may change. */
void pb_pq_drv_reset(struct pb_pq_drv *vq, bool event_idx);

void pb_pq_drv_fini(struct pb_pq_drv *vq);

static inline uint8_t *pb_pq_drv_buf(const struct pb_pq_drv *vq, uint16_t id)
{
	return vq->bufs + (size_t)id * vq->stride + PB_VQ_BUF_PAD;
}

/* SET_VRING_ADDR: desc_user_addr, avail_user_addr, used_user_addr. */
static inline void *pb_pq_drv_desc_area(const struct pb_pq_drv *vq)
{
	return vq->desc;
}

static inline void *pb_pq_drv_driver_area(const struct pb_pq_drv *vq)
{
	return vq->driver_event;
}

static inline void *pb_pq_drv_device_area(const struct pb_pq_drv *vq)
{
	return vq->device_event;
}

/* SET_VRING_BASE: the slot the device is to consume first, | its wrap << 15
 * (0x8000 after a reset: slot 0, wrap counter 1). */
static inline uint16_t pb_pq_drv_base(const struct pb_pq_drv *vq)
{
	return pb_packed_off_wrap(vq->last_used, vq->used_wrap);
}

/*
 * Used descriptors ready, counted from the next one to take, among the
 * buffers the device holds. Slots already counted are not looked at again
 * (used_ahead), so a call costs one flag load plus one per newly used slot.
 * Each is an acquire: it pairs with the device's release store of the flags
 * that published the slot (or the batch it heads) in pb_pq_dev_flush(),
 * making the id, the length and the bytes it wrote visible.
 */
static inline uint16_t pb_pq_drv_used(struct pb_pq_drv *vq)
{
	uint16_t n = vq->used_ahead;
	/* Buffers posted but not yet published cannot have been used. */
	uint16_t limit = (uint16_t)(vq->inflight - vq->pending);
	uint32_t pos = (uint32_t)vq->last_used + n;
	bool wrap = vq->used_wrap;

	if (pos >= vq->num) {
		pos -= vq->num;
		wrap = !wrap;
	}
	while (n < limit) {
		/* Acquire: pairs with the device's release of these flags. */
		uint16_t f = pb_load_acquire(&vq->desc[pos].flags);
		if (!pb_packed_desc_is_used(f, wrap))
			break;
		n++;
		if (++pos == vq->num) {
			pos = 0;
			wrap = !wrap;
		}
	}
	vq->used_ahead = n;
	return n;
}

/*
 * Take the next used descriptor (one counted by pb_pq_drv_used()): its id
 * and length, validated. Returns false when there is none, and false with
 * `broken` set on a bad one (id out of range or not posted, length beyond
 * the buffer, a slot counted as used that no longer is).
 */
static inline bool pb_pq_drv_take(struct pb_pq_drv *vq, uint16_t *id, uint32_t *len)
{
	const struct vring_packed_desc *d = &vq->desc[vq->last_used];

	if (unlikely(vq->inflight == vq->pending))
		return false; /* the device holds nothing */
	/* Acquire: pairs with the device's release of these flags in
	 * pb_pq_dev_flush(); id and len are read after, once each. */
	uint16_t f = pb_load_acquire(&d->flags);
	if (unlikely(!pb_packed_desc_is_used(f, vq->used_wrap))) {
		if (vq->used_ahead)
			vq->broken = true; /* counted used, now not: flags flipped */
		return false;
	}
	uint16_t i = pb_load_once(&d->id);
	/* §2.8.5: the length is reserved without WRITE; ignore it then. */
	uint32_t l = (f & VRING_DESC_F_WRITE) ? pb_load_once(&d->len) : 0;

	if (unlikely(i >= vq->num || !vq->posted[i] || l > vq->buf_size)) {
		vq->broken = true;
		return false;
	}
	vq->posted[i] = 0;
	vq->inflight--;
	if (vq->used_ahead)
		vq->used_ahead--;
	if (++vq->last_used == vq->num) {
		vq->last_used = 0;
		vq->used_wrap = !vq->used_wrap;
	}
	*id = i;
	*len = l;
	return true;
}

/*
 * Post buffer @id (not posted now) with @len bytes (TX: bytes to send; RX:
 * room) in the next slot. Invisible to the device until pb_pq_drv_publish().
 * The next slot is free as long as fewer than num buffers are posted, which
 * holds while ids are posted once each.
 */
static inline void pb_pq_drv_post(struct pb_pq_drv *vq, uint16_t id, uint32_t len)
{
	struct vring_packed_desc *d = &vq->desc[vq->avail_idx];
	/* §2.8.1: AVAIL = our wrap counter, USED = its inverse. */
	uint16_t flags =
	    (uint16_t)((vq->device_writes ? VRING_DESC_F_WRITE : 0u) |
		       (vq->avail_wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED));

	pb_store_once(&d->addr, (uint64_t)(uintptr_t)pb_pq_drv_buf(vq, id));
	pb_store_once(&d->len, len);
	pb_store_once(&d->id, id);
	if (vq->pending++ == 0) {
		vq->first_pos = vq->avail_idx;
		vq->first_flags = flags;
	} else {
		/* Ordered by the release of the batch's first flags in
		 * publish: the device reads this slot only after that one. */
		pb_store_once(&d->flags, flags);
	}
	vq->posted[id] = 1;
	vq->inflight++;
	if (++vq->avail_idx == vq->num) {
		vq->avail_idx = 0;
		vq->avail_wrap = !vq->avail_wrap;
	}
}

/*
 * Make posted buffers visible and kick the device if its event suppression
 * area asks (ENABLE; DISABLE; DESC: when its off_wrap lies in the slots just
 * published, under EVENT_IDX). Returns true if it kicked.
 */
bool pb_pq_drv_publish(struct pb_pq_drv *vq);

/*
 * Ask for (on) or stop (off) interrupts (calls) before sleeping on the call
 * fd, through our event suppression area (on: DESC at our next used slot
 * under EVENT_IDX, else ENABLE; off: DISABLE). Returns true when used
 * descriptors are already there (do not sleep).
 */
bool pb_pq_drv_set_notify(struct pb_pq_drv *vq, bool on);

#endif /* PB_PACKED_DRIVER_H */
