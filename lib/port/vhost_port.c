/* SPDX-License-Identifier: MIT */
/*
 * vhost_port.c - the "vhost:" port: the device side of virtio-net, serving
 * the rings of a vhost-user front-end (its control path is vhost/backend.c).
 *
 * Receive: the driver's TX ring (queue 1). A frame whose data lies in one
 * descriptor is returned in place (no copy); a scattered one is gathered into
 * port scratch. Its used element is written at once but published only at
 * the next rx_burst (or dispatch), when the caller is done with the bytes.
 *
 * Send: the driver's RX ring (queue 0). One copy, from the caller's frame
 * into the driver's buffers, header first; with MRG_RXBUF a frame may span
 * several chains (num_buffers says how many).
 *
 * Rings are split or packed as negotiated; the q_*() helpers pick the one.
 *
 * Security model: chains come from pb_vq_dev_pop() / pb_pq_dev_pop(),
 * already translated and bounded; here every length is checked against
 * what the chain holds and what the link carries before a byte is copied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/virtio_net.h"
#include "port/port_impl.h"
#include "vhost/backend.h"
#include "util/log.h"
#include "util/sock.h"

struct vhost_port {
	struct pb_vhost_backend be;
	bool rx_unpublished;		  /* used elements pushed, not yet flushed */
	struct pb_vq_chain chain;	  /* the chain being looked at */
	uint8_t *scratch;		  /* PB_PORT_MAX_BURST x max_frame, lazily */
	struct pb_vq_chain tx_chains[64]; /* chains one mergeable frame uses */
};

/*
 * One ring, split or packed as negotiated. The data path below is written
 * once against these; the format is a branch per call that never changes
 * while the ring runs, so it costs nothing measurable.
 */
static inline uint16_t q_avail(struct pb_vhost_vring *vr)
{
	return vr->packed ? pb_pq_dev_avail(&vr->pq) : pb_vq_dev_avail(&vr->dq);
}

/* Is anything left of what q_avail() counted? Re-reads the ring only then. */
static inline bool q_has_avail(struct pb_vhost_vring *vr)
{
	if (vr->packed)
		return vr->pq.avail_ahead || pb_pq_dev_avail(&vr->pq);
	return vr->dq.last_avail != vr->dq.avail_cache || pb_vq_dev_avail(&vr->dq);
}

static inline int q_pop(struct pb_vhost_vring *vr, struct pb_vq_chain *c)
{
	return vr->packed ? pb_pq_dev_pop(&vr->pq, c) : pb_vq_dev_pop(&vr->dq, c);
}

static inline void q_push(struct pb_vhost_vring *vr, uint16_t head, uint32_t len)
{
	if (vr->packed)
		pb_pq_dev_push(&vr->pq, head, len);
	else
		pb_vq_dev_push(&vr->dq, head, len);
}

static inline void q_flush(struct pb_vhost_vring *vr)
{
	if (vr->packed)
		pb_pq_dev_flush(&vr->pq);
	else
		pb_vq_dev_flush(&vr->dq);
}

static inline bool q_set_notify(struct pb_vhost_vring *vr, bool on)
{
	return vr->packed ? pb_pq_dev_set_notify(&vr->pq, on) : pb_vq_dev_set_notify(&vr->dq, on);
}

static inline bool q_mapped(const struct pb_vhost_vring *vr)
{
	return vr->packed ? vr->pq.desc != NULL : vr->dq.desc != NULL;
}

static inline bool q_notify_on(const struct pb_vhost_vring *vr)
{
	return q_mapped(vr) && (vr->packed ? vr->pq.notify_on : vr->dq.notify_on);
}

static inline struct vhost_port *vp_of(const struct pb_port *port)
{
	return port->priv;
}

static void random_mac(uint8_t mac[6])
{
	uint64_t r = pb_now_ns() ^ ((uint64_t)(uintptr_t)mac << 16);

	for (int i = 0; i < 6; i++) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		mac[i] = (uint8_t)(r >> 56);
	}
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

static int vhost_open(struct pb_port *port)
{
	struct vhost_port *vp = calloc(1, sizeof(*vp));
	struct pb_vhost_backend_cfg cfg = {
	    .path = port->spec.path,
	    .server = port->spec.server,
	    .mtu = port->spec.mtu,
	    .reconnect_ms = port->spec.reconnect_ms,
	};
	/* Packed rings are offered always: the driver chooses. */
	uint64_t f = PB_VNET_FEATURES | PB_BIT(VIRTIO_F_RING_PACKED);

	if (!vp)
		return -ENOMEM;
	if (!port->spec.mrg_rxbuf)
		f &= ~PB_BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (!port->spec.event_idx)
		f &= ~PB_BIT(VIRTIO_RING_F_EVENT_IDX);
	if (!port->spec.indirect)
		f &= ~PB_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	cfg.features = f;
	if (port->spec.mac_set)
		memcpy(cfg.mac, port->spec.mac, 6);
	else
		random_mac(cfg.mac);
	int ret = pb_vhost_backend_init(&vp->be, &cfg, port->epfd);
	if (ret < 0) {
		free(vp);
		return ret;
	}
	port->priv = vp;
	return 0;
}

static void vhost_close(struct pb_port *port)
{
	struct vhost_port *vp = vp_of(port);

	pb_vhost_backend_fini(&vp->be);
	free(vp->scratch);
	free(vp);
}

static void publish_rx(struct vhost_port *vp)
{
	if (vp->rx_unpublished) {
		q_flush(&vp->be.vring[PB_VNET_TXQ]);
		vp->rx_unpublished = false;
	}
}

static int vhost_dispatch(struct pb_port *port)
{
	struct vhost_port *vp = vp_of(port);
	struct pb_vhost_backend *be = &vp->be;

	/* Control messages may remap memory: nothing may still point into it. */
	if (q_mapped(&be->vring[PB_VNET_TXQ]))
		publish_rx(vp);
	vp->rx_unpublished = false;
	/* Back to polling; the backend's dispatch drops a peer that broke a ring. */
	for (int q = 0; q < PB_VHOST_NQUEUES; q++) {
		struct pb_vhost_vring *vr = &be->vring[q];
		if (q_notify_on(vr))
			q_set_notify(vr, false);
	}
	return pb_vhost_backend_dispatch(be);
}

static bool vhost_is_up(const struct pb_port *port)
{
	return pb_vhost_backend_ready(&vp_of(port)->be);
}

/*
 * The frame in a chain from the driver's TX ring, past the virtio-net
 * header: in place if contiguous, else gathered into @scratch.
 *
 * Every segment is frame, readable or not: a TX buffer has no use for
 * writable parts, and DPDK 22.11's packed-ring TX leaves stale WRITE flags
 * in its indirect tables now and then (about one frame in 256); taking the
 * flags at their word dropped that frame's tail.
 */
static bool chain_frame(struct pb_port *port, const struct pb_vq_chain *c, uint8_t *scratch,
			struct pb_frame *f)
{
	uint32_t total = c->out_len + c->in_len; /* each <= 64 x 4 GiB: saturated sums */

	if (total < c->out_len || total <= PB_VNET_HDR_LEN ||
	    total - PB_VNET_HDR_LEN > port->max_frame)
		return false;
	uint32_t len = total - PB_VNET_HDR_LEN;
	const struct pb_vq_seg *s = &c->seg[0];
	if (s->len >= total) {
		f->data = s->base + PB_VNET_HDR_LEN;
	} else if (c->nseg == 2 && s->len == PB_VNET_HDR_LEN) {
		f->data = c->seg[1].base; /* header and data in two descriptors */
	} else {
		pb_port_gather(scratch, c->seg, c->nseg, PB_VNET_HDR_LEN, len);
		f->data = scratch;
	}
	f->len = len;
	return true;
}

static unsigned vhost_rx_burst(struct pb_port *port, struct pb_frame *frames, unsigned n)
{
	struct vhost_port *vp = vp_of(port);
	struct pb_vhost_vring *vr = &vp->be.vring[PB_VNET_TXQ];
	unsigned got = 0;
	uint64_t bytes = 0;

	if (unlikely(!pb_vhost_vring_live(vr)))
		return 0;
	publish_rx(vp);
	uint16_t avail = q_avail(vr);
	if (avail == 0)
		return 0;
	if (avail > n)
		avail = (uint16_t)n;

	for (unsigned i = 0; i < avail; i++) {
		int r = q_pop(vr, &vp->chain);
		if (unlikely(r == PB_VQ_POP_BROKEN || r == PB_VQ_POP_EMPTY))
			break;
		/* The frame's bytes stay the driver's until we publish. */
		q_push(vr, vp->chain.head, 0);
		vp->rx_unpublished = true;
		if (unlikely(r == PB_VQ_POP_TOO_LONG)) {
			port->stats.rx_dropped++;
			continue;
		}
		uint8_t *scratch = NULL;
		if (unlikely(vp->chain.nseg > 1)) {
			if (!vp->scratch)
				vp->scratch = malloc((size_t)PB_PORT_MAX_BURST * port->max_frame);
			if (!vp->scratch) {
				port->stats.rx_dropped++;
				continue;
			}
			scratch = vp->scratch + (size_t)got * port->max_frame;
		}
		if (unlikely(!chain_frame(port, &vp->chain, scratch, &frames[got]))) {
			port->stats.rx_dropped++;
			continue;
		}
		bytes += frames[got].len;
		got++;
	}
	port->stats.rx_frames += got;
	port->stats.rx_bytes += bytes;
	return got;
}

/* Copy @len bytes of @src into the writable segments of @c from @off on,
 * the way @t copies (NULL: ordinary stores, as for the header). */
static void scatter(struct pb_tx_copy *t, struct pb_vq_chain *c, uint32_t off, const uint8_t *src,
		    uint32_t len)
{
	for (unsigned i = c->nout; i < c->nseg && len; i++) {
		uint32_t l = c->seg[i].len;
		if (off >= l) {
			off -= l;
			continue;
		}
		uint32_t k = PB_MIN(l - off, len);
		if (t)
			pb_tx_copy_bytes(t, c->seg[i].base + off, src, k, l - off);
		else
			memcpy(c->seg[i].base + off, src, k);
		src += k;
		len -= k;
		off = 0;
	}
}

/* Pop chains until their writable room holds @need bytes. Returns how many
 * (>= 1), 0 if the ring ran dry (nothing consumed), -1 if it broke. */
static int take_rx_chains(struct pb_vhost_vring *vr, uint32_t need, bool mergeable,
			  struct pb_vq_chain *chains, unsigned max)
{
	uint16_t start = vr->dq.last_avail;
	uint32_t room = 0;
	unsigned k = 0;

	while (room < need) {
		if (k == max || (k > 0 && !mergeable))
			goto give_back;
		if (!q_has_avail(vr))
			goto give_back;
		int r = q_pop(vr, &chains[k]);
		if (r == PB_VQ_POP_BROKEN)
			return -1;
		if (r == PB_VQ_POP_EMPTY)
			goto give_back;
		if (r == PB_VQ_POP_TOO_LONG) {
			chains[k].nseg = chains[k].nout; /* no room we can use */
			chains[k].in_len = 0;
		}
		room += chains[k].in_len;
		k++;
	}
	return (int)k;
give_back:
	/* A single chain too small for the frame is the driver's fault:
	 * consume it (len 0) so the ring does not stall on it. */
	if (k && !mergeable)
		return -2;
	/* Otherwise leave the chains for later: the ring ran dry (0), or the
	 * frame needs more chains than one frame may use (-3: drop it). */
	if (vr->packed) {
		for (unsigned j = k; j-- > 0;)
			pb_pq_dev_unpop(&vr->pq, chains[j].head);
	} else {
		vr->dq.last_avail = start;
	}
	return k == max ? -3 : 0;
}

static unsigned vhost_tx_burst(struct pb_port *port, const struct pb_frame *frames, unsigned n)
{
	struct vhost_port *vp = vp_of(port);
	struct pb_vhost_vring *vr = &vp->be.vring[PB_VNET_RXQ];
	bool mergeable = vp->be.features & PB_BIT(VIRTIO_NET_F_MRG_RXBUF);
	unsigned sent = 0, dropped = 0;
	uint64_t bytes = 0;

	if (unlikely(!pb_vhost_vring_live(vr)))
		return 0;
	q_avail(vr);
	for (; sent < n; sent++) {
		const struct pb_frame *f = &frames[sent];
		if (unlikely(f->len > port->max_frame || f->len == 0)) {
			dropped++;
			continue;
		}
		uint32_t need = PB_VNET_HDR_LEN + f->len;
		int k = take_rx_chains(vr, need, mergeable, vp->tx_chains,
				       PB_ARRAY_SIZE(vp->tx_chains));
		if (k == -2 || k == -3) {
			if (k == -2)
				q_push(vr, vp->tx_chains[0].head, 0);
			dropped++;
			continue;
		}
		if (k <= 0) {
			if (k == 0)
				port->stats.tx_full++;
			break;
		}
		struct virtio_net_hdr_v1 hdr = {.num_buffers = (uint16_t)k};
		uint32_t off = 0;
		for (int j = 0; j < k; j++) {
			struct pb_vq_chain *c = &vp->tx_chains[j];
			uint32_t room = PB_MIN(c->in_len, need - off);
			if (j == 0 && c->nseg > c->nout && c->seg[c->nout].len >= need) {
				/* Common case: header and frame in the first buffer.
				 * The header is the same frame after frame, and its
				 * cache line is one the driver's core may have pulled
				 * in (adjacent-line prefetch) without needing it: a
				 * store would fetch it back for nothing, a load that
				 * finds the same bytes costs nothing. */
				uint8_t *dst = c->seg[c->nout].base;
				if (memcmp(dst, &hdr, PB_VNET_HDR_LEN) != 0)
					memcpy(dst, &hdr, PB_VNET_HDR_LEN);
				pb_tx_copy_bytes(&port->tx_copy, dst + PB_VNET_HDR_LEN, f->data,
						 f->len, c->seg[c->nout].len - PB_VNET_HDR_LEN);
			} else {
				uint32_t hdr_part = 0;
				if (off < PB_VNET_HDR_LEN) {
					hdr_part = PB_MIN(PB_VNET_HDR_LEN - off, room);
					scatter(NULL, c, 0, (const uint8_t *)&hdr + off, hdr_part);
				}
				if (room > hdr_part)
					scatter(&port->tx_copy, c, hdr_part,
						(const uint8_t *)f->data +
						    (off + hdr_part - PB_VNET_HDR_LEN),
						room - hdr_part);
			}
			q_push(vr, c->head, room);
			off += room;
		}
		pb_tx_copy_frame_done(&port->tx_copy);
		bytes += f->len;
	}
	pb_tx_copy_fence(&port->tx_copy);
	q_flush(vr);
	pb_tx_copy_count(&port->tx_copy, sent - dropped);
	port->stats.tx_frames += sent - dropped;
	port->stats.tx_dropped += dropped;
	port->stats.tx_bytes += bytes;
	return sent;
}

static int vhost_prepare_sleep(struct pb_port *port, unsigned what)
{
	struct vhost_port *vp = vp_of(port);
	bool pending = false;

	if (!vhost_is_up(port))
		return -ENOTCONN;
	publish_rx(vp);
	if (what & PB_WAIT_RX)
		pending |= q_set_notify(&vp->be.vring[PB_VNET_TXQ], true);
	if (what & PB_WAIT_TX)
		pending |= q_set_notify(&vp->be.vring[PB_VNET_RXQ], true);
	return pending ? 1 : 0;
}

static void vhost_get_stats(const struct pb_port *port, struct pb_port_stats *st)
{
	const struct pb_vhost_backend *be = &vp_of(port)->be;

	st->notify_sent = pb_vhost_vring_calls(&be->vring[0]) + pb_vhost_vring_calls(&be->vring[1]);
	st->peer_errors = be->peer_errors;
	st->connects = be->connects;
	st->disconnects = be->disconnects;
}

static void vhost_get_info(const struct pb_port *port, struct pb_port_info *info)
{
	const struct pb_vhost_backend *be = &vp_of(port)->be;

	info->up = pb_vhost_backend_ready(be);
	info->features = be->features & ~PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
	info->queue_size = info->up ? be->vring[0].num : 0;
	info->mtu = be->config.mtu;
	memcpy(info->mac, be->config.mac, 6);
}

static bool vhost_maps(const struct pb_port *port, const void *addr)
{
	const struct pb_guest_mem *mem = &vp_of(port)->be.mem;
	uintptr_t a = (uintptr_t)addr;

	for (unsigned i = 0; i < mem->nregions && i < PB_GUEST_MEM_MAX_REGIONS; i++) {
		const struct pb_guest_region *r = &mem->regions[i];
		if (a - (uintptr_t)r->map_base < r->map_len)
			return true;
	}
	return false;
}

static void vhost_drop_peer(struct pb_port *port, const char *why)
{
	struct pb_vhost_backend *be = &vp_of(port)->be;

	vp_of(port)->rx_unpublished = false; /* the rings go with the memory */
	be->peer_errors++;
	pb_vhost_backend_disconnect(be, why);
}

const struct pb_port_ops pb_vhost_port_ops = {
    .name = "vhost",
    .open = vhost_open,
    .close = vhost_close,
    .dispatch = vhost_dispatch,
    .is_up = vhost_is_up,
    .rx_burst = vhost_rx_burst,
    .tx_burst = vhost_tx_burst,
    .prepare_sleep = vhost_prepare_sleep,
    .get_stats = vhost_get_stats,
    .get_info = vhost_get_info,
    .maps = vhost_maps,
    .drop_peer = vhost_drop_peer,
};
