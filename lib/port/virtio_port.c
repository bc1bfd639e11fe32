/* SPDX-License-Identifier: MIT */
/*
 * virtio_port.c - the "virtio:" port: the driver side of virtio-net over our
 * own shared memory (its control path is vhost/frontend.c).
 *
 * Send: each frame is copied once, behind a zeroed 12-byte header, into the
 * fixed buffer of a free TX descriptor. Buffers the device has used are
 * reclaimed at the start of the next send.
 *
 * Receive: the device writes into our posted RX buffers; frames are
 * returned in place (no copy) and the buffers are posted again at the next
 * rx_burst. A frame the device spread over several buffers (MRG_RXBUF) is
 * gathered into port scratch.
 *
 * Rings are split or packed as negotiated; the q_*() helpers pick the one.
 *
 * Security model: used elements are validated by pb_vq_drv_take() /
 * pb_pq_drv_take() (id posted and in range, length within the buffer);
 * num_buffers is checked against what the device has actually published
 * before it is followed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "net/virtio_net.h"
#include "port/port_impl.h"
#include "vhost/frontend.h"
#include "util/log.h"

struct virtio_port {
	struct pb_vhost_frontend fe;
	uint16_t *held; /* RX ids lent to the caller (or dropped): queue_size entries */
	unsigned nheld;
	uint8_t *scratch; /* PB_PORT_MAX_BURST x max_frame, for merged frames */
};

/*
 * One of our rings, split or packed as this connection negotiated. The data
 * path is written once against these; the branch never changes while the
 * link is up.
 */
struct drvq {
	bool packed;
	struct pb_vq_drv *s;
	struct pb_pq_drv *p;
};

static inline struct drvq drvq_of(struct pb_vhost_frontend *fe, int q)
{
	return (struct drvq){.packed = fe->packed, .s = &fe->vq[q], .p = &fe->pq[q]};
}

static inline uint16_t q_used(struct drvq q)
{
	return q.packed ? pb_pq_drv_used(q.p) : pb_vq_drv_used(q.s);
}

static inline bool q_take(struct drvq q, uint16_t *id, uint32_t *len)
{
	return q.packed ? pb_pq_drv_take(q.p, id, len) : pb_vq_drv_take(q.s, id, len);
}

static inline void q_post(struct drvq q, uint16_t id, uint32_t len)
{
	if (q.packed)
		pb_pq_drv_post(q.p, id, len);
	else
		pb_vq_drv_post(q.s, id, len);
}

static inline void q_publish(struct drvq q)
{
	if (q.packed)
		pb_pq_drv_publish(q.p);
	else
		pb_vq_drv_publish(q.s);
}

static inline bool q_set_notify(struct drvq q, bool on)
{
	return q.packed ? pb_pq_drv_set_notify(q.p, on) : pb_vq_drv_set_notify(q.s, on);
}

static inline uint8_t *q_buf(struct drvq q, uint16_t id)
{
	return q.packed ? pb_pq_drv_buf(q.p, id) : pb_vq_drv_buf(q.s, id);
}

static inline uint32_t q_buf_size(struct drvq q)
{
	return q.packed ? q.p->buf_size : q.s->buf_size;
}

static inline bool q_broken(struct drvq q)
{
	return q.packed ? q.p->broken : q.s->broken;
}

/* The TX ids not posted. */
static inline struct pb_id_fifo *q_free(struct drvq q)
{
	return q.packed ? &q.p->free : &q.s->free;
}

static inline struct virtio_port *vp_of(const struct pb_port *port)
{
	return port->priv;
}

static int virtio_open(struct pb_port *port)
{
	struct virtio_port *vp = calloc(1, sizeof(*vp));
	struct pb_vhost_frontend_cfg cfg = {
	    .path = port->spec.path,
	    .server = port->spec.server,
	    .queue_size = port->spec.queue_size,
	    .mtu = port->spec.mtu,
	    .hugetlb = port->spec.hugetlb,
	    .reconnect_ms = port->spec.reconnect_ms,
	    .packed = port->spec.packed,
	    .lazy = port->spec.lazy,
	};
	uint64_t f = PB_VNET_FEATURES & ~PB_BIT(VIRTIO_RING_F_INDIRECT_DESC);

	if (!vp)
		return -ENOMEM;
	/* Each RX id is held at most once, so the ring size bounds nheld. */
	vp->held = calloc(port->spec.queue_size, sizeof(*vp->held));
	if (!vp->held) {
		free(vp);
		return -ENOMEM;
	}
	if (!port->spec.mrg_rxbuf)
		f &= ~PB_BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (!port->spec.event_idx)
		f &= ~PB_BIT(VIRTIO_RING_F_EVENT_IDX);
	cfg.features = f;
	int ret = pb_vhost_frontend_init(&vp->fe, &cfg, port->epfd);
	if (ret < 0) {
		free(vp->held);
		free(vp);
		return ret;
	}
	port->priv = vp;
	return 0;
}

static void virtio_close(struct pb_port *port)
{
	struct virtio_port *vp = vp_of(port);

	pb_vhost_frontend_fini(&vp->fe);
	free(vp->held);
	free(vp->scratch);
	free(vp);
}

static bool virtio_is_up(const struct pb_port *port)
{
	return vp_of(port)->fe.up;
}

/* Give the RX buffers lent by the last burst back to the device. */
static void repost_held(struct virtio_port *vp)
{
	struct drvq rq = drvq_of(&vp->fe, PB_VNET_RXQ);

	if (!vp->nheld)
		return;
	for (unsigned i = 0; i < vp->nheld; i++)
		q_post(rq, vp->held[i], q_buf_size(rq));
	vp->nheld = 0;
	q_publish(rq);
}

static int virtio_dispatch(struct pb_port *port)
{
	struct virtio_port *vp = vp_of(port);
	struct pb_vhost_frontend *fe = &vp->fe;

	if (fe->up) {
		repost_held(vp);
		for (int q = 0; q < 2; q++)
			q_set_notify(drvq_of(fe, q), false);
	} else {
		vp->nheld = 0; /* the rings were reset when the link went down */
	}
	return pb_vhost_frontend_dispatch(fe);
}

/* A frame spread over @nbuf buffers, the first already taken: take the
 * rest (at most *ready, which is decreased) and gather them into @dst.
 * Returns the frame length, or 0 if the buffers are not all there, the
 * frame is too big, or nbuf is 0 (they are dropped). */
static uint32_t take_merged(struct pb_port *port, struct virtio_port *vp, uint16_t first,
			    uint32_t first_len, uint16_t nbuf, uint16_t *ready, uint8_t *dst)
{
	struct drvq rq = drvq_of(&vp->fe, PB_VNET_RXQ);
	uint32_t len = first_len - PB_VNET_HDR_LEN;
	bool ok = dst && nbuf >= 1 && nbuf - 1 <= *ready && len <= port->max_frame;

	if (ok)
		memcpy(dst, q_buf(rq, first) + PB_VNET_HDR_LEN, len);
	/* Take what the device says belongs to the frame, up to what it has
	 * published: those buffers must go back to the ring either way. */
	for (uint16_t i = 1; i < nbuf && *ready; i++) {
		uint16_t id;
		uint32_t l;
		if (!q_take(rq, &id, &l))
			return 0;
		(*ready)--;
		if (ok && len + l <= port->max_frame)
			memcpy(dst + len, q_buf(rq, id), l);
		else
			ok = false;
		len += l;
		vp->held[vp->nheld++] = id;
	}
	return ok ? len : 0;
}

static unsigned virtio_rx_burst(struct pb_port *port, struct pb_frame *frames, unsigned n)
{
	struct virtio_port *vp = vp_of(port);
	struct drvq rq = drvq_of(&vp->fe, PB_VNET_RXQ);
	bool mergeable = vp->fe.features & PB_BIT(VIRTIO_NET_F_MRG_RXBUF);
	unsigned got = 0;
	uint64_t bytes = 0;

	if (unlikely(!vp->fe.up))
		return 0;
	repost_held(vp);
	uint16_t ready = q_used(rq);
	unsigned nmerged = 0;

	while (ready && got < n) {
		uint16_t id;
		uint32_t len;
		if (unlikely(!q_take(rq, &id, &len)))
			break;
		ready--;
		vp->held[vp->nheld++] = id;
		uint8_t *buf = q_buf(rq, id);
		if (unlikely(len <= PB_VNET_HDR_LEN)) {
			port->stats.rx_dropped++;
			continue;
		}
		uint16_t nbuf = 1;
		/* §5.1.6.3.2: every buffer but a frame's last is filled to its
		 * full length, so a short first buffer is a whole frame and
		 * its header's line need not be pulled in. */
		if (mergeable && len == q_buf_size(rq)) {
			/* One read of the device-written field; the header is
			 * packed, so copy rather than point at the member. */
			memcpy(&nbuf, buf + offsetof(struct virtio_net_hdr_v1, num_buffers),
			       sizeof(nbuf));
		}
		if (likely(nbuf == 1)) {
			if (unlikely(len - PB_VNET_HDR_LEN > port->max_frame)) {
				port->stats.rx_dropped++;
				continue;
			}
			frames[got].data = buf + PB_VNET_HDR_LEN;
			frames[got].len = len - PB_VNET_HDR_LEN;
		} else {
			if (!vp->scratch)
				vp->scratch = malloc((size_t)PB_PORT_MAX_BURST * port->max_frame);
			uint8_t *dst =
			    vp->scratch ? vp->scratch + (size_t)nmerged * port->max_frame : NULL;
			uint32_t flen = take_merged(port, vp, id, len, nbuf, &ready, dst);
			if (q_broken(rq))
				break;
			if (!flen) {
				port->stats.rx_dropped++;
				continue;
			}
			nmerged++;
			frames[got].data = dst;
			frames[got].len = flen;
		}
		bytes += frames[got].len;
		got++;
	}
	port->stats.rx_frames += got;
	port->stats.rx_bytes += bytes;
	return got;
}

/* Reclaim TX buffers the device is done with. */
static void reclaim_tx(struct drvq tq)
{
	uint16_t n = q_used(tq);

	while (n--) {
		uint16_t id;
		uint32_t len;
		if (unlikely(!q_take(tq, &id, &len)))
			return;
		pb_id_fifo_put(q_free(tq), id);
	}
}

static unsigned virtio_tx_burst(struct pb_port *port, const struct pb_frame *frames, unsigned n)
{
	struct virtio_port *vp = vp_of(port);
	struct drvq tq = drvq_of(&vp->fe, PB_VNET_TXQ);
	uint32_t max = q_buf_size(tq) - PB_VNET_HDR_LEN;
	unsigned sent = 0, dropped = 0;
	uint64_t bytes = 0;

	if (unlikely(!vp->fe.up))
		return 0;
	if (q_free(tq)->count < n)
		reclaim_tx(tq);
	if (max > port->max_frame)
		max = port->max_frame;
	for (; sent < n; sent++) {
		const struct pb_frame *f = &frames[sent];
		if (unlikely(f->len > max || f->len == 0)) {
			dropped++;
			continue;
		}
		if (unlikely(q_free(tq)->count == 0)) {
			port->stats.tx_full++;
			break;
		}
		uint16_t id = pb_id_fifo_get(q_free(tq));
		/* The header is zero since ring reset (split_driver.c). */
		pb_tx_copy_frame(&port->tx_copy, q_buf(tq, id) + PB_VNET_HDR_LEN, f->data, f->len,
				 q_buf_size(tq) - PB_VNET_HDR_LEN);
		q_post(tq, id, PB_VNET_HDR_LEN + f->len);
		bytes += f->len;
	}
	pb_tx_copy_fence(&port->tx_copy);
	q_publish(tq);
	pb_tx_copy_count(&port->tx_copy, sent - dropped);
	port->stats.tx_frames += sent - dropped;
	port->stats.tx_dropped += dropped;
	port->stats.tx_bytes += bytes;
	return sent;
}

static int virtio_prepare_sleep(struct pb_port *port, unsigned what)
{
	struct virtio_port *vp = vp_of(port);
	bool pending = false;

	if (!vp->fe.up)
		return -ENOTCONN;
	repost_held(vp);
	if (what & PB_WAIT_RX)
		pending |= q_set_notify(drvq_of(&vp->fe, PB_VNET_RXQ), true);
	if (what & PB_WAIT_TX)
		pending |= q_set_notify(drvq_of(&vp->fe, PB_VNET_TXQ), true);
	return pending ? 1 : 0;
}

static void virtio_get_stats(const struct pb_port *port, struct pb_port_stats *st)
{
	const struct pb_vhost_frontend *fe = &vp_of(port)->fe;

	st->notify_sent = fe->vq[0].kicks + fe->vq[1].kicks + fe->pq[0].kicks + fe->pq[1].kicks;
	st->peer_errors = fe->peer_errors;
	st->connects = fe->connects;
	st->disconnects = fe->disconnects;
}

static void virtio_get_info(const struct pb_port *port, struct pb_port_info *info)
{
	const struct pb_vhost_frontend *fe = &vp_of(port)->fe;

	info->up = fe->up;
	info->features = fe->features & ~PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
	info->queue_size = fe->up ? fe->vq[0].num : 0;
	info->mtu = fe->config.mtu ? fe->config.mtu : port->spec.mtu;
	memcpy(info->mac, fe->config.mac, 6);
}

static bool virtio_maps(const struct pb_port *port, const void *addr)
{
	const struct pb_vhost_frontend *fe = &vp_of(port)->fe;

	return fe->mem && (uintptr_t)addr - (uintptr_t)fe->mem < fe->mem_size;
}

static void virtio_drop_peer(struct pb_port *port, const char *why)
{
	pb_vhost_frontend_drop(&vp_of(port)->fe, why);
}

const struct pb_port_ops pb_virtio_port_ops = {
    .name = "virtio",
    .open = virtio_open,
    .close = virtio_close,
    .dispatch = virtio_dispatch,
    .is_up = virtio_is_up,
    .rx_burst = virtio_rx_burst,
    .tx_burst = virtio_tx_burst,
    .prepare_sleep = virtio_prepare_sleep,
    .get_stats = virtio_get_stats,
    .get_info = virtio_get_info,
    .maps = virtio_maps,
    .drop_peer = virtio_drop_peer,
};
