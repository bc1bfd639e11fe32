/* SPDX-License-Identifier: MIT */
/*
 * split_device.h - the device side of a split virtqueue (virtio 1.x §2.7),
 * as a vhost-user backend runs it over the peer's memory.
 *
 * Security model: the ring lives in memory the peer (the driver) can write
 * at any moment. Every index, descriptor and length is read exactly once into
 * a local and validated before use: avail->idx may run at most num entries
 * ahead, heads and next fields must be < num, a chain may not be longer than
 * the table it lives in (no loops), indirect tables must be whole
 * descriptors, not nested, not combined with NEXT, and every buffer must lie
 * inside one declared memory region. Any violation sets the sticky `broken`
 * flag: the queue stops and the owner drops the link. Nothing aborts.
 *
 * Hot path inline here, set-up in split_device.c.
 */
#ifndef PB_SPLIT_DEVICE_H
#define PB_SPLIT_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mem/guest_mem.h"
#include "ring/virtio_ring.h"
#include "util/compiler.h"

/* Longest chain we gather. Longer (legal) chains are returned with len 0 and
 * counted as dropped; chains longer than the table are loops and break. */
#define PB_VQ_MAX_SEGS 64

struct pb_vq_seg {
	uint8_t *base;
	uint32_t len;
};

/* One descriptor chain, translated. Device-readable ("out") segments come
 * first, then device-writable ("in") ones (§2.7.4.2 requires that order). */
struct pb_vq_chain {
	uint16_t head;
	uint16_t nseg;
	uint16_t nout;
	uint32_t out_len; /* sum of readable segment lengths */
	uint32_t in_len;  /* sum of writable segment lengths */
	struct pb_vq_seg seg[PB_VQ_MAX_SEGS];
};

enum pb_vq_pop_result {
	PB_VQ_POP_OK = 1,
	PB_VQ_POP_EMPTY = 0,
	PB_VQ_POP_TOO_LONG = 2, /* head consumed: push it with len 0 and drop */
	PB_VQ_POP_BROKEN = -1,
};

struct pb_vq_dev {
	/* Set by pb_vq_dev_attach(); read-mostly. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t *used_event;  /* driver-written, after avail->ring[num] */
	uint16_t *avail_event; /* device-written, after used->ring[num] */
	const struct pb_guest_mem *mem;
	uint16_t num;
	uint16_t mask;
	bool event_idx;
	bool indirect;
	int callfd; /* eventfd to signal the driver; -1: none (it polls) */

	/* Device-private state; never read back from shared memory. */
	uint16_t last_avail;  /* next avail entry to consume */
	uint16_t avail_cache; /* avail->idx as last read (validated) */
	uint16_t used_idx;    /* next used slot; published on flush */
	uint16_t used_pub;    /* used->idx as we last published it */
	bool broken;
	bool notify_on; /* kicks enabled (we are about to sleep) */
	unsigned mem_hint;
	uint64_t calls; /* eventfd signals sent */
};

/*
 * Bind the queue to the peer's ring at the given frontend user addresses.
 * The three areas are translated once, here, with their full sizes; base is
 * the first avail index to consume (SET_VRING_BASE). Returns 0, -EINVAL (num
 * not a power of two <= 32768, misaligned address) or -EFAULT (an area is not
 * inside one region). callfd is left as it was.
 */
int pb_vq_dev_attach(struct pb_vq_dev *vq, const struct pb_guest_mem *mem, uint16_t num,
		     uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva, uint16_t base,
		     bool event_idx, bool indirect);

/* Forget the ring (memory is going away). Keeps last_avail for GET_VRING_BASE. */
void pb_vq_dev_detach(struct pb_vq_dev *vq);

/* Stop the queue for good: the peer broke the ring. Logs once. */
void pb_vq_dev_break(struct pb_vq_dev *vq, const char *why, unsigned value);

static inline bool pb_vq_dev_attached(const struct pb_vq_dev *vq)
{
	return vq->desc != NULL && !vq->broken;
}

/*
 * How many chains the driver has made available. Reads avail->idx once
 * (acquire: pairs with the driver's release store of avail->idx, so the
 * ring entries and descriptors it wrote before are visible to us).
 * A driver claiming more than num entries breaks the queue.
 */
static inline uint16_t pb_vq_dev_avail(struct pb_vq_dev *vq)
{
	uint16_t idx = pb_load_acquire(&vq->avail->idx);
	uint16_t n = (uint16_t)(idx - vq->last_avail);

	if (unlikely(n > vq->num)) {
		pb_vq_dev_break(vq, "avail index too far ahead", n);
		return 0;
	}
	vq->avail_cache = idx;
	return n;
}

/* Read a descriptor once into a local: the driver may rewrite it while we
 * look, and only the copy is used. memcpy because an indirect table the
 * driver placed may be misaligned (the spec sets no alignment for it). */
static inline struct vring_desc pb_vq_read_desc(const struct vring_desc *d)
{
	struct vring_desc copy;

	memcpy(&copy, (const void *)d, sizeof(copy));
	__asm__ volatile("" ::: "memory"); /* no re-reading d below this */
	return copy;
}

/* The general walk of the chain at @head (chains, indirect tables, every
 * violation), starting from @first, the copy of desc[head] already read. */
int pb_vq_dev_walk(struct pb_vq_dev *vq, struct pb_vq_chain *chain, uint16_t head,
		   struct vring_desc first);

/*
 * Walk the next chain (one of those counted by pb_vq_dev_avail()).
 *
 * Inline for the shape virtio-net drivers post for nearly every buffer: one
 * direct descriptor, not chained, not empty, inside one region. Those are
 * all the checks such a chain needs (the walk's others are about links and
 * order between descriptors); anything else, including a buffer outside
 * guest memory, goes to pb_vq_dev_walk() with the same copy, which
 * applies every check and names the violation. Saves the call and the loop
 * on the data path.
 */
static inline int pb_vq_dev_pop(struct pb_vq_dev *vq, struct pb_vq_chain *c)
{
	if (unlikely(vq->broken))
		return PB_VQ_POP_BROKEN;
	if (vq->last_avail == vq->avail_cache)
		return PB_VQ_POP_EMPTY;

	uint16_t head = pb_load_once(&vq->avail->ring[vq->last_avail & vq->mask]);
	vq->last_avail++;
	if (unlikely(head >= vq->num)) {
		pb_vq_dev_break(vq, "avail head out of range", head);
		return PB_VQ_POP_BROKEN;
	}
	struct vring_desc d = pb_vq_read_desc(&vq->desc[head]);

	if (likely(!(d.flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) && d.len)) {
		uint8_t *p = pb_guest_mem_gpa_to_host(vq->mem, d.addr, d.len, &vq->mem_hint);

		if (likely(p)) {
			bool writable = d.flags & VRING_DESC_F_WRITE;

			c->head = head;
			c->nseg = 1;
			c->nout = writable ? 0 : 1;
			c->out_len = writable ? 0 : d.len;
			c->in_len = writable ? d.len : 0;
			c->seg[0].base = p;
			c->seg[0].len = d.len;
			return PB_VQ_POP_OK;
		}
	}
	return pb_vq_dev_walk(vq, c, head, d);
}

/*
 * Put a used element in the next slot; invisible until pb_vq_dev_flush().
 * Only the device writes the used ring, so an element that already holds
 * the value (steady in-order traffic of one size) is left alone rather than
 * taking the line from the driver's core for nothing.
 */
static inline void pb_vq_dev_push(struct pb_vq_dev *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx & vq->mask];

	if (pb_load_once(&e->id) != head || pb_load_once(&e->len) != len) {
		pb_store_once(&e->id, head);
		pb_store_once(&e->len, len);
	}
	vq->used_idx++;
}

/*
 * Publish pushed elements and signal the driver if it asked (used_event under
 * EVENT_IDX, else the NO_INTERRUPT flag). Returns true if it signalled.
 */
bool pb_vq_dev_flush(struct pb_vq_dev *vq);

/*
 * Ask for (on) or stop (off) kicks before sleeping on the kick fd. Returns
 * true when, after asking, chains are already available (do not sleep).
 */
bool pb_vq_dev_set_notify(struct pb_vq_dev *vq, bool on);

#endif /* PB_SPLIT_DEVICE_H */
