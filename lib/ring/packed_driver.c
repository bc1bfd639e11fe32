/* SPDX-License-Identifier: MIT */
/*
 * packed_driver.c - driver side of the packed virtqueue: lay out the ring in
 * our own shared memory, publish buffers, kick the device.
 *
 * Security model: see packed_driver.h. Only used descriptors (and the
 * device's event word) come from the device; pb_pq_drv_used()/take()
 * validate them, and the event word only ever decides whether to kick.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring/packed_driver.h"
#include "util/sock.h"

static size_t page_align(uint64_t n)
{
	return (size_t)PB_ALIGN_UP(n, (uint64_t)PB_VRING_ALIGN);
}

size_t pb_pq_drv_ring_size(uint16_t num)
{
	return page_align((uint64_t)sizeof(struct vring_packed_desc) * num) +
	       2 * page_align(PB_PACKED_EVENT_SIZE);
}

int pb_pq_drv_init(struct pb_pq_drv *vq, void *ring_mem, uint8_t *bufs, uint16_t num,
		   uint32_t stride, bool device_writes, bool event_idx)
{
	uint8_t *p = ring_mem;

	if (num < 2 || num > PB_VRING_MAX_SIZE || stride <= PB_VQ_BUF_PAD || stride % PB_CACHE_LINE)
		return -EINVAL;
	memset(vq, 0, sizeof(*vq));
	vq->desc = (struct vring_packed_desc *)p;
	p += page_align((uint64_t)sizeof(struct vring_packed_desc) * num);
	vq->driver_event = (uint32_t *)p;
	p += page_align(PB_PACKED_EVENT_SIZE);
	vq->device_event = (uint32_t *)p;
	vq->bufs = bufs;
	vq->stride = stride;
	vq->buf_size = stride - PB_VQ_BUF_PAD;
	vq->num = num;
	vq->device_writes = device_writes;
	vq->kickfd = -1;
	int err = pb_id_fifo_init(&vq->free, num);
	vq->posted = calloc(num, sizeof(*vq->posted));
	if (err || !vq->posted) {
		pb_pq_drv_fini(vq);
		return -ENOMEM;
	}
	pb_pq_drv_reset(vq, event_idx);
	return 0;
}

void pb_pq_drv_reset(struct pb_pq_drv *vq, bool event_idx)
{
	uint16_t num = vq->num;

	/* §2.8.11: the ring starts zeroed (no slot available under wrap 1). */
	memset(vq->desc, 0, sizeof(*vq->desc) * num);
	*vq->driver_event = 0;
	*vq->device_event = 0;
	memset(vq->posted, 0, num);
	vq->event_idx = event_idx;
	vq->avail_idx = 0;
	vq->avail_wrap = true;
	vq->kicked_idx = 0;
	vq->kicked_wrap = true;
	vq->last_used = 0;
	vq->used_wrap = true;
	vq->used_ahead = 0;
	vq->inflight = 0;
	vq->pending = 0;
	vq->broken = false;
	pb_id_fifo_clear(&vq->free);
	if (vq->device_writes) {
		/* RX: every buffer is the device's from the start. No device
		 * looks at the ring yet, so a plain store of the first flags
		 * is enough; the ring is handed over by a later socket message. */
		for (uint16_t i = 0; i < num; i++)
			pb_pq_drv_post(vq, i, vq->buf_size);
		vq->desc[vq->first_pos].flags = vq->first_flags;
		vq->pending = 0;
		vq->kicked_idx = vq->avail_idx;
		vq->kicked_wrap = vq->avail_wrap;
	} else {
		/* TX headers stay zero (no offloads are negotiated), so they
		 * are written here once, not per frame (as split_driver.c). */
		for (uint16_t i = 0; i < num; i++) {
			memset(pb_pq_drv_buf(vq, i), 0, 12);
			pb_id_fifo_put(&vq->free, i);
		}
	}
	pb_pq_drv_set_notify(vq, false);
}

void pb_pq_drv_fini(struct pb_pq_drv *vq)
{
	pb_id_fifo_fini(&vq->free);
	free(vq->posted);
	vq->posted = NULL;
}

bool pb_pq_drv_publish(struct pb_pq_drv *vq)
{
	if (!vq->pending)
		return false;
	/* Release: the batch's descriptors, the flags of all but its first
	 * and the buffer contents are visible before the first's flags, which
	 * hand the batch over. Pairs with the device's acquire load of those
	 * flags (pb_pq_dev_avail()/pop()). Bytes written with streaming
	 * stores are ordered only by the caller's sfence (port/tx_copy.h). */
	pb_store_release(&vq->desc[vq->first_pos].flags, vq->first_flags);
	vq->pending = 0;

	uint32_t old = pb_packed_seq(vq->kicked_idx, vq->kicked_wrap, vq->num);
	uint32_t now = pb_packed_seq(vq->avail_idx, vq->avail_wrap, vq->num);
	vq->kicked_idx = vq->avail_idx;
	vq->kicked_wrap = vq->avail_wrap;
	if (vq->kickfd < 0)
		return false;
	/* Store-load fence: the flags store must be visible before we read
	 * the device's event word; pairs with the fence in
	 * pb_pq_dev_set_notify() so a device going to sleep cannot miss us. */
	pb_smp_mb();
	bool need =
	    pb_packed_need_event(pb_load_once(vq->device_event), vq->event_idx, old, now, vq->num);
	if (need) {
		pb_eventfd_signal(vq->kickfd);
		vq->kicks++;
	}
	return need;
}

bool pb_pq_drv_set_notify(struct pb_pq_drv *vq, bool on)
{
	uint32_t word;

	if (!on)
		word = pb_packed_event_word(0, VRING_PACKED_EVENT_F_DISABLE);
	else if (vq->event_idx)
		/* Call me once the device uses our next slot. */
		word = pb_packed_event_word(pb_packed_off_wrap(vq->last_used, vq->used_wrap),
					    VRING_PACKED_EVENT_F_DESC);
	else
		word = pb_packed_event_word(0, VRING_PACKED_EVENT_F_ENABLE);
	/* One 32-bit store: the device never sees DESC with a stale offset. */
	pb_store_once(vq->driver_event, word);
	if (!on)
		return false;
	/* Store-load fence: our request before re-reading our next slot;
	 * pairs with the device's fence in pb_pq_dev_flush(). */
	pb_smp_mb();
	if (vq->inflight == vq->pending)
		return false; /* the device holds nothing it could return */
	return pb_packed_desc_is_used(pb_load_acquire(&vq->desc[vq->last_used].flags),
				      vq->used_wrap);
}
