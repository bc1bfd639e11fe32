/* SPDX-License-Identifier: MIT */
/*
 * split_driver.h - the driver side of a split virtqueue (virtio 1.x §2.7),
 * as the frontend ("virtio-user") runs it in its own memory.
 *
 * Each descriptor i owns one fixed buffer in slot i (bufs + i * stride) for
 * its whole life: descriptors are never chained, so posting is writing a
 * length and an avail slot, and the buffer of a used element is found from
 * its id. The buffer starts PB_VQ_BUF_PAD bytes into its slot, so that the
 * frame behind the 12-byte virtio-net header starts on a cache line: the
 * peer pulls one line for a 64-byte frame, not two.
 *
 * GPA == our virtual address: the memory table we send maps each region at
 * the guest address equal to its address here, as DPDK's virtio-user does,
 * so descriptors hold plain pointers.
 *
 * Security model: the used ring is written by the backend, which may be
 * hostile. used->idx may run at most num ahead of what we have seen, a used
 * id must be < num and currently posted, and a used length must fit its
 * buffer; a violation sets `broken` (the port then drops the link).
 */
#ifndef PB_SPLIT_DRIVER_H
#define PB_SPLIT_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/id_fifo.h"
#include "ring/virtio_ring.h"
#include "util/compiler.h"

#define PB_VQ_BUF_PAD (PB_CACHE_LINE - 12)

struct pb_vq_drv {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t *used_event;  /* ours, after avail->ring[num] */
	uint16_t *avail_event; /* device's, after used->ring[num] */
	uint8_t *bufs;
	uint32_t stride;   /* bytes per buffer slot */
	uint32_t buf_size; /* bytes a buffer holds: stride - PB_VQ_BUF_PAD */
	uint16_t num;
	uint16_t mask;
	bool device_writes; /* an RX queue: buffers are VRING_DESC_F_WRITE */
	bool event_idx;
	int kickfd; /* eventfd to kick the device; -1: none */

	/* Driver-private state; never read back from shared memory. */
	uint16_t avail_idx;  /* next avail slot; published by release store */
	uint16_t kicked_idx; /* avail_idx when we last kicked (EVENT_IDX) */
	uint16_t last_used;  /* next used slot to read */
	bool broken;
	uint64_t kicks;
	struct pb_id_fifo free; /* TX ids not posted, in FIFO order */
	uint8_t *posted;	/* posted[id]: 1 while the device owns it */
};

/* Bytes of shared memory the ring areas need (desc, avail, used, each page aligned). */
size_t pb_vq_drv_ring_size(uint16_t num);

/*
 * Lay out a ring in @ring_mem (pb_vq_drv_ring_size(num) bytes, page aligned)
 * with num buffer slots of @stride bytes at @bufs (each holds
 * stride - PB_VQ_BUF_PAD bytes; stride > PB_VQ_BUF_PAD, a multiple of 64). For an RX queue
 * (device_writes) every buffer is posted at once; a TX queue starts with all
 * free. Returns 0, -EINVAL (num not a power of two 2..32768), -ENOMEM.
 */
int pb_vq_drv_init(struct pb_vq_drv *vq, void *ring_mem, uint8_t *bufs, uint16_t num,
		   uint32_t stride, bool device_writes, bool event_idx);

/* Back to the state after init (ring memory rewritten): used after the peer
 * went away and before a new one is given the ring. event_idx may change. */
void pb_vq_drv_reset(struct pb_vq_drv *vq, bool event_idx);

void pb_vq_drv_fini(struct pb_vq_drv *vq);

static inline uint8_t *pb_vq_drv_buf(const struct pb_vq_drv *vq, uint16_t id)
{
	return vq->bufs + (size_t)id * vq->stride + PB_VQ_BUF_PAD;
}

/*
 * Used elements ready: reads used->idx once (acquire: pairs with the
 * device's release store of used->idx, making the used elements and the
 * buffer contents it wrote visible). More than num outstanding breaks.
 */
static inline uint16_t pb_vq_drv_used(struct pb_vq_drv *vq)
{
	uint16_t idx = pb_load_acquire(&vq->used->idx);
	uint16_t n = (uint16_t)(idx - vq->last_used);

	if (unlikely(n > vq->num)) {
		vq->broken = true;
		return 0;
	}
	return n;
}

/*
 * Take the next used element (one counted by pb_vq_drv_used()): its id and
 * length, validated. Returns false and breaks the queue on a bad element.
 */
static inline bool pb_vq_drv_take(struct pb_vq_drv *vq, uint16_t *id, uint32_t *len)
{
	const struct vring_used_elem *e = &vq->used->ring[vq->last_used & vq->mask];
	uint32_t i = pb_load_once(&e->id);
	uint32_t l = pb_load_once(&e->len);

	if (unlikely(i >= vq->num || !vq->posted[i] || l > vq->buf_size)) {
		vq->broken = true;
		return false;
	}
	vq->posted[i] = 0;
	vq->last_used++;
	*id = (uint16_t)i;
	*len = l;
	return true;
}

/*
 * Post buffer @id with @len bytes (TX: bytes to send; RX: room). Invisible
 * to the device until pb_vq_drv_publish().
 *
 * A field that already holds the value is not written again: a store would
 * take the cache line away from the device's core even if nothing changed,
 * and in steady state (in-order device, FIFO ids, same-size frames) neither
 * the descriptor nor the avail slot changes from one lap to the next. The
 * device may scribble on them (they are in memory it maps), but the compare
 * only decides whether to store our value: it ends up there either way.
 */
static inline void pb_vq_drv_post(struct pb_vq_drv *vq, uint16_t id, uint32_t len)
{
	uint16_t *slot = &vq->avail->ring[vq->avail_idx & vq->mask];

	if (vq->desc[id].len != len)
		vq->desc[id].len = len;
	if (*slot != id)
		*slot = id;
	vq->posted[id] = 1;
	vq->avail_idx++;
}

/*
 * Make posted buffers visible and kick the device if it asked (avail_event
 * under EVENT_IDX, else the NO_NOTIFY flag). Returns true if it kicked.
 */
bool pb_vq_drv_publish(struct pb_vq_drv *vq);

/*
 * Ask for (on) or stop (off) interrupts (calls) before sleeping on the call
 * fd. Returns true when used elements are already there (do not sleep).
 */
bool pb_vq_drv_set_notify(struct pb_vq_drv *vq, bool on);

#endif /* PB_SPLIT_DRIVER_H */
