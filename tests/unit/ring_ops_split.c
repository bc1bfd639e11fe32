/* SPDX-License-Identifier: MIT */
/*
 * ring_ops_split.c - the ops of ring_rig.h for a split ring: each call goes
 * to pb_vq_*, and the notification words are split's avail/used flags or,
 * under EVENT_IDX, its 16-bit event indices.
 */
#include "ring_rig.h"

#include <string.h>

static size_t split_ring_size(uint16_t num)
{
	return pb_vq_drv_ring_size(num);
}

static int split_drv_init(struct rig *r, uint32_t stride, bool rx)
{
	int rc = pb_vq_drv_init(&r->vq.drv, r->map, r->bufs, r->num, stride, rx, r->event_idx);

	r->vq.dev.callfd = -1; /* until rig_eventfds() */

	r->buf_size = r->vq.drv.buf_size;
	return rc;
}

static void split_drv_fini(struct rig *r)
{
	pb_vq_drv_fini(&r->vq.drv);
}

static uint8_t *split_drv_buf(struct rig *r, uint16_t id)
{
	return pb_vq_drv_buf(&r->vq.drv, id);
}

static void split_drv_post(struct rig *r, uint16_t id, uint32_t len)
{
	pb_vq_drv_post(&r->vq.drv, id, len);
}

static bool split_drv_publish(struct rig *r)
{
	return pb_vq_drv_publish(&r->vq.drv);
}

static uint16_t split_drv_used(struct rig *r)
{
	return pb_vq_drv_used(&r->vq.drv);
}

static bool split_drv_take(struct rig *r, uint16_t *id, uint32_t *len)
{
	return pb_vq_drv_take(&r->vq.drv, id, len);
}

static bool split_drv_set_notify(struct rig *r, bool on)
{
	return pb_vq_drv_set_notify(&r->vq.drv, on);
}

static bool split_drv_broken(const struct rig *r)
{
	return r->vq.drv.broken;
}

static uint64_t split_drv_kicks(const struct rig *r)
{
	return r->vq.drv.kicks;
}

static uint32_t split_drv_used_pos(const struct rig *r)
{
	return r->vq.drv.last_used;
}

static int split_dev_attach(struct rig *r, const struct pb_guest_mem *mem)
{
	struct pb_vq_drv *v = &r->vq.drv;

	return pb_vq_dev_attach(&r->vq.dev, mem, r->num, G(v->desc), G(v->avail), G(v->used),
				v->last_used, r->event_idx, r->indirect);
}

static void split_dev_detach(struct rig *r)
{
	pb_vq_dev_detach(&r->vq.dev);
}

static bool split_dev_attached(const struct rig *r)
{
	return pb_vq_dev_attached(&r->vq.dev);
}

static uint16_t split_dev_avail(struct rig *r)
{
	return pb_vq_dev_avail(&r->vq.dev);
}

static int split_dev_pop(struct rig *r, struct pb_vq_chain *c)
{
	return pb_vq_dev_pop(&r->vq.dev, c);
}

static void split_dev_push(struct rig *r, uint16_t id, uint32_t len)
{
	pb_vq_dev_push(&r->vq.dev, id, len);
}

static bool split_dev_flush(struct rig *r)
{
	return pb_vq_dev_flush(&r->vq.dev);
}

static bool split_dev_set_notify(struct rig *r, bool on)
{
	return pb_vq_dev_set_notify(&r->vq.dev, on);
}

static bool split_dev_broken(const struct rig *r)
{
	return r->vq.dev.broken;
}

static uint64_t split_dev_calls(const struct rig *r)
{
	return r->vq.dev.calls;
}

static uint32_t split_dev_used_pos(const struct rig *r)
{
	return r->vq.dev.used_idx;
}

/* Under EVENT_IDX "off" is an event one behind the side's own position,
 * which the index never reaches again before the side moves it. */
static void split_expect_kick_event(struct rig *r, long want)
{
	struct pb_vq_drv *v = &r->vq.drv;

	if (want == RIG_EV_OFF && r->event_idx)
		assert_int_equal(*v->avail_event, (uint16_t)(r->vq.dev.last_avail - 1));
	else if (want == RIG_EV_OFF)
		assert_int_equal(v->used->flags, VRING_USED_F_NO_NOTIFY);
	else if (want == RIG_EV_ON && !r->event_idx)
		assert_int_equal(v->used->flags, 0);
	else if (want >= 0 && r->event_idx)
		assert_int_equal(*v->avail_event, (uint16_t)want);
	else
		fail_msg("kick event %ld asked of a ring with event_idx %d", want, r->event_idx);
}

static void split_expect_call_event(struct rig *r, long want)
{
	struct pb_vq_drv *v = &r->vq.drv;

	if (want == RIG_EV_OFF && r->event_idx)
		assert_int_equal(*v->used_event, (uint16_t)(v->last_used - 1));
	else if (want == RIG_EV_OFF)
		assert_int_equal(v->avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	else if (want == RIG_EV_ON && !r->event_idx)
		assert_int_equal(v->avail->flags, 0);
	else if (want >= 0 && r->event_idx)
		assert_int_equal(*v->used_event, (uint16_t)want);
	else
		fail_msg("call event %ld asked of a ring with event_idx %d", want, r->event_idx);
}

static void split_set_kick_event(struct rig *r, uint32_t pos)
{
	pb_store_once(r->vq.drv.avail_event, (uint16_t)pos);
}

static void split_set_call_event(struct rig *r, uint32_t pos)
{
	pb_store_once(r->vq.drv.used_event, (uint16_t)pos);
}

static void split_offer(struct rig *r, uint16_t id, const struct rig_desc *d, unsigned n)
{
	struct pb_vq_drv *v = &r->vq.drv;

	for (unsigned k = 0; k < n; k++) {
		uint16_t next = (uint16_t)((id + k + 1) % r->num);
		v->desc[(id + k) % r->num] = (struct vring_desc){
		    .addr = d[k].addr,
		    .len = d[k].len,
		    .flags = (uint16_t)(d[k].flags | (k + 1 < n ? VRING_DESC_F_NEXT : 0)),
		    .next = k + 1 < n ? next : 0,
		};
	}
	uint16_t idx = v->avail->idx;
	v->avail->ring[idx & v->mask] = id;
	/* Pairs with the device's acquire of avail->idx. */
	__atomic_store_n(&v->avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

static uint32_t split_table(void *at, const struct rig_desc *d, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		struct vring_desc e = {
		    .addr = d[k].addr,
		    .len = d[k].len,
		    .flags = (uint16_t)(d[k].flags | (k + 1 < n ? VRING_DESC_F_NEXT : 0)),
		    .next = (uint16_t)(k + 1 < n ? k + 1 : 0),
		};
		/* memcpy: a table may be misaligned on purpose. */
		memcpy((uint8_t *)at + k * sizeof(e), &e, sizeof(e));
	}
	return (uint32_t)(n * sizeof(struct vring_desc));
}

static void split_put_used(struct rig *r, uint16_t nth, uint16_t id, uint32_t len)
{
	struct pb_vq_drv *v = &r->vq.drv;

	v->used->ring[nth & v->mask] = (struct vring_used_elem){.id = id, .len = len};
	__atomic_store_n(&v->used->idx, (uint16_t)(nth + 1), __ATOMIC_RELEASE);
}

const struct ring_ops ring_split = {
    .name = "split",
    .kind = RING_SPLIT,
    .ring_size = split_ring_size,
    .drv_init = split_drv_init,
    .drv_fini = split_drv_fini,
    .drv_buf = split_drv_buf,
    .drv_post = split_drv_post,
    .drv_publish = split_drv_publish,
    .drv_used = split_drv_used,
    .drv_take = split_drv_take,
    .drv_set_notify = split_drv_set_notify,
    .drv_broken = split_drv_broken,
    .drv_kicks = split_drv_kicks,
    .drv_used_pos = split_drv_used_pos,
    .dev_attach = split_dev_attach,
    .dev_detach = split_dev_detach,
    .dev_attached = split_dev_attached,
    .dev_avail = split_dev_avail,
    .dev_pop = split_dev_pop,
    .dev_push = split_dev_push,
    .dev_flush = split_dev_flush,
    .dev_set_notify = split_dev_set_notify,
    .dev_broken = split_dev_broken,
    .dev_calls = split_dev_calls,
    .dev_used_pos = split_dev_used_pos,
    .expect_kick_event = split_expect_kick_event,
    .expect_call_event = split_expect_call_event,
    .set_kick_event = split_set_kick_event,
    .set_call_event = split_set_call_event,
    .offer = split_offer,
    .table = split_table,
    .put_used = split_put_used,
};
