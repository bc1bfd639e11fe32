/* SPDX-License-Identifier: MIT */
/*
 * packed_device.h - the device side of a packed virtqueue (virtio 1.1+
 * §2.8), as a vhost-user backend runs it over the peer's memory. Shaped
 * like split_device.h so a port can drive either with one branch per burst:
 * the same struct pb_vq_chain and PB_VQ_POP_* results, the same
 * avail / pop / push / flush / set_notify cycle.
 *
 * Security model: the ring lives in memory the peer (the driver) can write
 * at any moment, and in a packed ring both sides write the same
 * descriptors. Every descriptor field is read exactly once into a local and
 * validated before use: a chain is bounded by the descriptors the device
 * does not already hold (at most num: no loops), every descriptor of a
 * chain must be marked available with the right wrap counter (a descriptor
 * whose flags flip back after we saw them available breaks the queue),
 * indirect tables only when negotiated, alone in the ring (not in a NEXT
 * chain), a non-zero multiple of 16 bytes, at most 32768 entries, inside
 * guest memory, never nested; readable buffers before writable ones (in an
 * indirect table a writable entry followed by a readable one is read as
 * readable instead: a DPDK quirk, see packed_device.c); buffer
 * ids < num and not already in flight; every buffer translated with its full
 * length through pb_guest_mem_gpa_to_host(). Any violation sets the sticky
 * `broken` flag: the queue stops and the owner drops the link. Nothing
 * aborts, nothing reads or writes outside the declared regions.
 *
 * Buffer ids and push. A chain's id is in its LAST descriptor (§2.8.6), and
 * the used descriptor written for it makes both sides skip as many ring
 * slots as the chain took. pop() returns the id in chain.head and records
 * the chain's descriptor count in a side array indexed by id (inflight[],
 * num entries, allocated by attach), so push(vq, chain.head, len) is all a
 * caller needs, as with a split ring; an id is in flight from its pop to its
 * push, and a driver that makes the same id available twice breaks the ring.
 *
 * Batching. push() writes the used descriptor's id and len, and the flags of
 * every used descriptor of a batch but the first; the first one's flags are
 * written by flush(), with release ordering, so the driver (which polls only
 * its next slot) sees the whole batch at once or none of it, exactly as the
 * spec asks of a driver making a chain available (§2.8.21).
 *
 * Hot path inline here, set-up in packed_device.c.
 */
#ifndef PB_PACKED_DEVICE_H
#define PB_PACKED_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/guest_mem.h"
#include "ring/packed_ring.h"
#include "ring/split_device.h" /* struct pb_vq_chain, PB_VQ_POP_* */
#include "util/compiler.h"

struct pb_pq_dev {
	/* Set by pb_pq_dev_attach(); read-mostly. */
	struct vring_packed_desc *desc;
	uint32_t *driver_event; /* driver-written: when to call it (event word) */
	uint32_t *device_event; /* ours: when to kick us (event word) */
	const struct pb_guest_mem *mem;
	uint16_t num;
	bool event_idx;
	bool indirect;
	int callfd; /* eventfd to signal the driver; -1: none (it polls) */

	/* Device-private state; never read back from shared memory. */
	uint16_t last_avail;	/* next ring slot to consume ... */
	bool avail_wrap;	/* ... and the wrap counter it is available under */
	uint16_t avail_ahead;	/* slots from last_avail seen available by pb_pq_dev_avail() */
	uint16_t inflight_desc; /* slots popped and not yet pushed */
	uint16_t used_idx;	/* next slot for a used descriptor ... */
	bool used_wrap;		/* ... and its wrap counter */
	uint16_t used_pub;	/* used_idx as of the last flush ... */
	bool used_pub_wrap;	/* ... and its wrap counter */
	uint16_t pending;	/* used descriptors pushed since the last flush */
	uint16_t first_pos;	/* the batch's first used slot, its flags deferred ... */
	uint16_t first_flags;	/* ... to flush */
	uint16_t *inflight;	/* [id]: slots the chain of buffer id took; 0: not in flight */
	bool broken;
	bool notify_on; /* kicks enabled (we are about to sleep) */
	unsigned mem_hint;
	uint64_t calls;	    /* eventfd signals sent */
	uint64_t relabeled; /* indirect tables with writable entries read as readable */
};

/*
 * Bind the queue to the peer's ring at the given frontend user addresses
 * (SET_VRING_ADDR: desc, avail = driver area, used = device area), each
 * translated once, here, with its full size. @base is the vhost-user vring
 * base of a packed ring: bits 0-14 the next slot to consume, bit 15 the
 * driver's wrap counter there; bits 16-30 and 31 the next used slot and
 * the device's wrap counter. When bits 16-31 are all 0 (DPDK sends only the
 * low half; QEMU sends both) the used position is the avail position: with
 * the ring stopped, every buffer taken was returned. A fresh ring's base is
 * 0x8000 (slot 0, wrap counter 1).
 * @vq must be zeroed or detached before (attach frees its side array).
 * Returns 0, -EINVAL (num 0 or > 32768, misaligned area, a position >= num),
 * -EFAULT (an area is not inside one region) or -ENOMEM. callfd and the
 * statistics (calls, relabeled) are left as they were.
 */
int pb_pq_dev_attach(struct pb_pq_dev *vq, const struct pb_guest_mem *mem, uint16_t num,
		     uint64_t desc_uva, uint64_t driver_uva, uint64_t device_uva, uint32_t base,
		     bool event_idx, bool indirect);

/*
 * Forget the ring (memory is going away). Used descriptors pushed and not
 * yet flushed are published first (without a call), unless the ring is
 * broken. Keeps the positions for GET_VRING_BASE (pb_pq_dev_base()).
 */
void pb_pq_dev_detach(struct pb_pq_dev *vq);

/* Stop the queue for good: the peer broke the ring. Logs once. */
void pb_pq_dev_break(struct pb_pq_dev *vq, const char *why, unsigned value);

static inline bool pb_pq_dev_attached(const struct pb_pq_dev *vq)
{
	return vq->desc != NULL && !vq->broken;
}

/* GET_VRING_BASE, low half: next slot to consume | driver wrap << 15. */
static inline uint16_t pb_pq_dev_last_avail(const struct pb_pq_dev *vq)
{
	return pb_packed_off_wrap(vq->last_avail, vq->avail_wrap);
}

/* GET_VRING_BASE, the whole value: the low half above, and the next used
 * slot | device wrap << 15 in bits 16-31 (what QEMU reads back). */
static inline uint32_t pb_pq_dev_base(const struct pb_pq_dev *vq)
{
	uint32_t used = pb_packed_off_wrap(vq->used_idx, vq->used_wrap);

	return pb_pq_dev_last_avail(vq) | used << 16;
}

/*
 * How many ring DESCRIPTORS (slots) the driver has made available, counted
 * from the next one to consume: an upper bound on the chains pop() will
 * return (a chain takes one slot or more), and 0 when there is no work.
 * Pop until PB_VQ_POP_EMPTY rather than exactly this many. Slots already
 * counted are not looked at again (the count is kept in avail_ahead), so a
 * call costs one flag load plus one per newly available slot. Each flag load
 * is an acquire: it pairs with the driver's release store of the flags that
 * made the slot (or the batch it heads) available in pb_pq_drv_publish(), so
 * the descriptors and buffers written before are visible to pop().
 */
static inline uint16_t pb_pq_dev_avail(struct pb_pq_dev *vq)
{
	uint16_t n = vq->avail_ahead;
	/* Slots the device holds are not the driver's to offer again. */
	uint16_t limit = (uint16_t)(vq->num - vq->inflight_desc);
	uint32_t pos = (uint32_t)vq->last_avail + n;
	bool wrap = vq->avail_wrap;

	if (pos >= vq->num) {
		pos -= vq->num;
		wrap = !wrap;
	}
	while (n < limit) {
		/* Acquire: pairs with the driver's release of these flags. */
		uint16_t f = pb_load_acquire(&vq->desc[pos].flags);
		if (!pb_packed_desc_is_avail(f, wrap))
			break;
		n++;
		if (++pos == vq->num) {
			pos = 0;
			wrap = !wrap;
		}
	}
	vq->avail_ahead = n;
	return n;
}

/*
 * Walk the next chain: consecutive descriptors joined by NEXT, or one
 * INDIRECT descriptor whose table (of packed-format descriptors, used in
 * order, §2.8.7) holds the buffer. On PB_VQ_POP_OK / PB_VQ_POP_TOO_LONG
 * chain->head is the buffer id, to give to pb_pq_dev_push(). Returns
 * PB_VQ_POP_EMPTY if the next slot is not available, PB_VQ_POP_BROKEN (and
 * sets broken) on a violation.
 */
int pb_pq_dev_pop(struct pb_pq_dev *vq, struct pb_vq_chain *chain);

/*
 * Give back the chain of buffer @id, popped and not pushed, as if it had
 * never been popped (it will be popped again). Chains are given back in
 * the reverse order of their pops, most recent first: what a port does when
 * a frame needs more chains than are there. Ignores an id not in flight.
 */
void pb_pq_dev_unpop(struct pb_pq_dev *vq, uint16_t id);

/*
 * Write the used descriptor for buffer @id (a chain.head from pop) with
 * @len bytes written into it, and skip the slots its chain took. Invisible
 * to the driver until pb_pq_dev_flush() (see "Batching" above). Pushing an
 * id that is not in flight is a bug of ours: the queue breaks. After a
 * detach it does nothing (the ring and what was in flight are gone).
 */
static inline void pb_pq_dev_push(struct pb_pq_dev *vq, uint16_t id, uint32_t len)
{
	if (unlikely(!vq->desc))
		return; /* detached: the chain went with the ring */
	if (unlikely(id >= vq->num || vq->inflight[id] == 0)) {
		pb_pq_dev_break(vq, "push of a buffer that is not in flight", id);
		return;
	}
	uint16_t n = vq->inflight[id];
	struct vring_packed_desc *d = &vq->desc[vq->used_idx];
	/* §2.8.4: a used descriptor has AVAIL == USED == our wrap counter;
	 * WRITE says whether we wrote into the buffer. */
	uint16_t flags =
	    (uint16_t)((vq->used_wrap ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0u) |
		       (len ? VRING_DESC_F_WRITE : 0u));

	vq->inflight[id] = 0;
	vq->inflight_desc = (uint16_t)(vq->inflight_desc - n);
	pb_store_once(&d->id, id);
	pb_store_once(&d->len, len);
	if (vq->pending++ == 0) {
		vq->first_pos = vq->used_idx;
		vq->first_flags = flags;
	} else {
		/* Ordered by the release of the batch's first flags in flush:
		 * the driver reads this slot only after that one. */
		pb_store_once(&d->flags, flags);
	}
	uint32_t u = (uint32_t)vq->used_idx + n;
	if (u >= vq->num) {
		u -= vq->num;
		vq->used_wrap = !vq->used_wrap;
	}
	vq->used_idx = (uint16_t)u;
}

/*
 * Publish pushed used descriptors and signal the driver if its event
 * suppression area asks (ENABLE; DISABLE; DESC: when its off_wrap lies in
 * the slots just used, under EVENT_IDX). Returns true if it signalled.
 */
bool pb_pq_dev_flush(struct pb_pq_dev *vq);

/*
 * Ask for (on) or stop (off) kicks before sleeping on the kick fd, through
 * our event suppression area (on: DESC at our next slot under EVENT_IDX,
 * else ENABLE; off: DISABLE). Returns true when, after asking, a descriptor
 * is already available (do not sleep).
 */
bool pb_pq_dev_set_notify(struct pb_pq_dev *vq, bool on);

#endif /* PB_PACKED_DEVICE_H */
