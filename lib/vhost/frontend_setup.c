/* SPDX-License-Identifier: MIT */
/*
 * frontend_setup.c - the vhost-user front-end's conversation with a
 * back-end: the requests we send and the replies we await, the set-up on a
 * freshly connected socket (owner, features and protocol features, config
 * space and MTU, status, the memory table, and per ring its size, base,
 * addresses, kick and call fds and enable), the goodbye that asks a
 * back-end to stop its rings, and the memfd we hand over: its layout, the
 * rings in it and their reset. Apart from the connection's life
 * (frontend.c), which calls in here, so that everything we tell a back-end,
 * and how each answer is checked, is in one file; what the two files share
 * is declared in frontend_impl.h.
 *
 * Every exchange is synchronous: each reply is awaited for at most
 * PB_FE_REPLY_TIMEOUT_MS and before fe->deadline_ns (PB_FE_SETUP_TIMEOUT_MS
 * for the whole set-up, from frontend.c; PB_FE_REPLY_TIMEOUT_MS for the
 * goodbye), so a dead, silent or trickling back-end costs the caller a
 * bounded stall, never a hang.
 *
 * Security model: the back-end is not trusted. Every reply must answer the
 * request just sent (same id, exact payload size, no fds); anything else
 * fails the set-up. Requests it sends us (never negotiated) are logged and
 * dropped with their fds. Offered features are masked with what we
 * implement, and of its config space we take only the fields its features
 * make valid, with sane values.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem/shm.h"
#include "util/log.h"
#include "util/sock.h"
#include "vhost/frontend_impl.h"

/* Device status bits (virtio 1.x §2.1), sent with SET_STATUS. */
#define PB_VIRTIO_S_ACKNOWLEDGE 1u
#define PB_VIRTIO_S_DRIVER	2u
#define PB_VIRTIO_S_DRIVER_OK	4u
#define PB_VIRTIO_S_FEATURES_OK 8u

/*
 * The protocol features we implement. MQ is left out on purpose: we run one
 * fixed queue pair, and the spec says front-ends of fixed-queue devices must
 * not rely on it.
 */
#define PB_FE_PROTOCOL_FEATURES                                                                    \
	(PB_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) | PB_BIT(VHOST_USER_PROTOCOL_F_NET_MTU) |         \
	 PB_BIT(VHOST_USER_PROTOCOL_F_CONFIG) | PB_BIT(VHOST_USER_PROTOCOL_F_STATUS))

#define PB_PAGE 4096u

static bool has_pf(const struct pb_vhost_frontend *fe, unsigned bit)
{
	return fe->protocol_features & PB_BIT(bit);
}

static bool has_f(const struct pb_vhost_frontend *fe, unsigned bit)
{
	return fe->features & PB_BIT(bit);
}

/* ---- messages ---------------------------------------------------------- */

static int send_msg(struct pb_vhost_frontend *fe, const struct pb_vu_msg *msg)
{
	int err = pb_vu_conn_send(&fe->conn, msg);

	if (err)
		pb_vhost_fe_peer_log(fe, PB_LOG_WARN, "sending %s failed: %s",
				     pb_vu_request_name(msg->hdr.request), strerror(-err));
	return err;
}

/* Drop a message the back-end sent on its own initiative (a request, not a
 * reply): we never negotiate a channel for those. Logged once. */
void pb_vhost_fe_ignore_msg(struct pb_vhost_frontend *fe, struct pb_vu_msg *msg)
{
	pb_log(fe->ignored_msgs++ ? PB_LOG_DEBUG : PB_LOG_WARN,
	       "%s: ignoring unexpected %s from the back-end", fe->path,
	       pb_vu_request_name(msg->hdr.request));
	pb_vu_msg_close_fds(msg);
}

/* The next message flagged as a reply, within PB_FE_REPLY_TIMEOUT_MS and
 * before fe->deadline_ns; unprompted requests met on the way are dropped. */
static int recv_reply(struct pb_vhost_frontend *fe, struct pb_vu_msg *reply)
{
	uint64_t deadline =
	    PB_MIN(pb_now_ns() + PB_FE_REPLY_TIMEOUT_MS * 1000000ULL, fe->deadline_ns);

	for (;;) {
		uint64_t now = pb_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		int ms = (int)((deadline - now + 999999) / 1000000);
		int r = pb_vu_conn_recv_wait(&fe->conn, reply, ms);
		if (r != 1)
			return r == 0 ? -ETIMEDOUT : r;
		if (reply->hdr.flags & VHOST_USER_REPLY_MASK)
			return 0;
		pb_vhost_fe_ignore_msg(fe, reply);
	}
}

/*
 * Wait for the reply to @request and check that it is one: same request id,
 * @size payload bytes, no fds. A reply of size 0 is let through when
 * @allow_empty (GET_CONFIG's way of saying "failed").
 */
static int await_reply(struct pb_vhost_frontend *fe, uint32_t request, uint32_t size,
		       bool allow_empty, struct pb_vu_msg *reply)
{
	const char *name = pb_vu_request_name(request);
	int r = recv_reply(fe, reply);

	if (r < 0) {
		pb_vhost_fe_peer_log(fe, PB_LOG_WARN, "no reply to %s: %s", name, strerror(-r));
		return r;
	}
	if (reply->nfds) {
		pb_vu_msg_close_fds(reply);
		pb_vhost_fe_peer_log(fe, PB_LOG_WARN, "reply to %s carries file descriptors", name);
		return -EPROTO;
	}
	if (reply->hdr.request != request) {
		pb_vhost_fe_peer_log(fe, PB_LOG_WARN, "expected the reply to %s, got one to %s",
				     name, pb_vu_request_name(reply->hdr.request));
		return -EPROTO;
	}
	if (reply->hdr.size != size && !(allow_empty && reply->hdr.size == 0)) {
		pb_vhost_fe_peer_log(fe, PB_LOG_WARN,
				     "reply to %s has %u payload bytes, expected %u", name,
				     reply->hdr.size, size);
		return -EPROTO;
	}
	return 0;
}

/*
 * Send a request that has no reply of its own. Once REPLY_ACK is negotiated
 * we ask for an ack anyway: it turns "sent" into "done", so a back-end that
 * rejects a ring or the memory table fails the set-up here, not later.
 */
static int request(struct pb_vhost_frontend *fe, struct pb_vu_msg *msg)
{
	bool ack = has_pf(fe, VHOST_USER_PROTOCOL_F_REPLY_ACK);
	struct pb_vu_msg reply;
	int err;

	if (ack)
		msg->hdr.flags |= VHOST_USER_NEED_REPLY;
	err = send_msg(fe, msg);
	if (err || !ack)
		return err;
	err = await_reply(fe, msg->hdr.request, sizeof(uint64_t), false, &reply);
	if (err)
		return err;
	if (reply.payload.u64 != 0) {
		pb_vhost_fe_peer_log(fe, PB_LOG_WARN, "back-end refused %s (status %llu)",
				     pb_vu_request_name(msg->hdr.request),
				     (unsigned long long)reply.payload.u64);
		return -EREMOTEIO;
	}
	return 0;
}

static int request_u64(struct pb_vhost_frontend *fe, uint32_t req, uint64_t val, int fd)
{
	struct pb_vu_msg msg;

	pb_vu_msg_set(&msg, req, 0, sizeof(uint64_t));
	msg.payload.u64 = val;
	if (fd >= 0) {
		msg.fds[0] = fd;
		msg.nfds = 1;
	}
	return request(fe, &msg);
}

static int request_state(struct pb_vhost_frontend *fe, uint32_t req, uint32_t index, uint32_t num)
{
	struct pb_vu_msg msg;

	pb_vu_msg_set(&msg, req, 0, sizeof(msg.payload.state));
	msg.payload.state.index = index;
	msg.payload.state.num = num;
	return request(fe, &msg);
}

/* A GET_* request with no payload and a u64 reply. */
static int query_u64(struct pb_vhost_frontend *fe, uint32_t req, uint64_t *val)
{
	struct pb_vu_msg msg;
	int err;

	pb_vu_msg_set(&msg, req, 0, 0);
	err = send_msg(fe, &msg);
	if (!err)
		err = await_reply(fe, req, sizeof(uint64_t), false, &msg);
	if (!err)
		*val = msg.payload.u64;
	return err;
}

/* ---- set-up steps ------------------------------------------------------ */

/*
 * SET_OWNER, then the feature offers. VERSION_1 is required: we build only
 * the virtio 1.x layout (12-byte header, little-endian rings). Protocol
 * features are settled here; the virtio features are only chosen (they are
 * acked by SET_FEATURES once the config is read).
 */
static int negotiate(struct pb_vhost_frontend *fe)
{
	uint64_t offered, pf = 0;
	struct pb_vu_msg msg;
	int err;

	pb_vu_msg_set(&msg, VHOST_USER_SET_OWNER, 0, 0);
	err = send_msg(fe, &msg);
	if (!err)
		err = query_u64(fe, VHOST_USER_GET_FEATURES, &offered);
	if (err)
		return err;
	if (!(offered & PB_BIT(VIRTIO_F_VERSION_1))) {
		pb_vhost_fe_peer_log(
		    fe, PB_LOG_ERR,
		    "back-end does not offer VIRTIO_F_VERSION_1 (features 0x%llx); "
		    "legacy virtio is not supported, giving up on this connection",
		    (unsigned long long)offered);
		return -ENOTSUP;
	}
	fe->features = offered & fe->cfg.features;
	/* Packed rings when both sides want them; otherwise split, which
	 * every back-end has (DPDK's virtio-user falls back the same way). */
	fe->packed = has_f(fe, VIRTIO_F_RING_PACKED);
	if (fe->cfg.packed && !fe->packed)
		pb_vhost_fe_peer_log(fe, PB_LOG_WARN,
				     "packed rings asked for, but the back-end does not offer "
				     "VIRTIO_F_RING_PACKED (features 0x%llx); using split rings",
				     (unsigned long long)offered);
	if (!(offered & PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES)))
		return 0;
	/* Acking bit 30 in SET_FEATURES means the rings start disabled and
	 * are enabled by SET_VRING_ENABLE, which we always send then. */
	fe->features |= PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
	err = query_u64(fe, VHOST_USER_GET_PROTOCOL_FEATURES, &pf);
	if (err)
		return err;
	pf &= PB_FE_PROTOCOL_FEATURES;
	/* No ack asked: REPLY_ACK is what this very message negotiates. */
	pb_vu_msg_set(&msg, VHOST_USER_SET_PROTOCOL_FEATURES, 0, sizeof(uint64_t));
	msg.payload.u64 = pf;
	err = send_msg(fe, &msg);
	if (!err)
		fe->protocol_features = pf;
	return err;
}

/* Our own config space, for back-ends without CONFIG: a MAC stable per
 * socket path (FNV-1a of it, locally administered, unicast), our MTU. */
static void synthesise_config(struct pb_vhost_frontend *fe)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = fe->path; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	memset(&fe->config, 0, sizeof(fe->config));
	for (int i = 0; i < 6; i++)
		fe->config.mac[i] = (uint8_t)(h >> (8 * i));
	fe->config.mac[0] = (uint8_t)((fe->config.mac[0] & 0xfc) | 0x02);
	fe->config.max_virtqueue_pairs = 1;
	fe->config.mtu = fe->cfg.mtu;
}

/* Take from the back-end's config space only the fields its features make
 * valid, and only sane values: a multicast MAC or an MTU our buffers cannot
 * hold are ignored. */
static void apply_config(struct pb_vhost_frontend *fe, const struct virtio_net_config *c)
{
	static const uint8_t zero[6];

	if (has_f(fe, VIRTIO_NET_F_MAC)) {
		if (!(c->mac[0] & 1) && memcmp(c->mac, zero, 6) != 0)
			memcpy(fe->config.mac, c->mac, 6);
		else
			pb_vhost_fe_peer_log(fe, PB_LOG_WARN,
					     "ignoring the back-end's invalid MAC");
	}
	if (has_f(fe, VIRTIO_NET_F_MTU) && c->mtu >= PB_MTU_MIN)
		fe->config.mtu = PB_MIN(c->mtu, fe->cfg.mtu);
}

/* GET_CONFIG when the back-end has a config space; a failed one (empty
 * reply) leaves our synthesised config, a malformed one fails. */
static int read_config(struct pb_vhost_frontend *fe)
{
	const uint32_t len = sizeof(struct virtio_net_config);
	struct virtio_net_config c;
	struct pb_vu_msg msg;
	int err;

	synthesise_config(fe);
	if (!has_pf(fe, VHOST_USER_PROTOCOL_F_CONFIG))
		return 0;
	pb_vu_msg_set(&msg, VHOST_USER_GET_CONFIG, 0, PB_VU_CONFIG_HDR_SIZE + len);
	msg.payload.config.offset = 0;
	msg.payload.config.size = len;
	msg.payload.config.flags = 0;
	memset(msg.payload.config.region, 0, len);
	err = send_msg(fe, &msg);
	if (!err)
		err =
		    await_reply(fe, VHOST_USER_GET_CONFIG, PB_VU_CONFIG_HDR_SIZE + len, true, &msg);
	if (err)
		return err;
	if (msg.hdr.size == 0) {
		pb_dbg("%s: back-end could not give its config space; using ours", fe->path);
		return 0;
	}
	if (msg.payload.config.offset != 0 || msg.payload.config.size != len) {
		pb_vhost_fe_peer_log(fe, PB_LOG_WARN, "GET_CONFIG reply for another range");
		return -EPROTO;
	}
	memcpy(&c, msg.payload.config.region, len);
	apply_config(fe, &c);
	return 0;
}

/* SET_STATUS, when negotiated: the back-end (DPDK) waits for DRIVER_OK
 * before it calls the device ready. */
static int set_status(struct pb_vhost_frontend *fe, uint64_t status)
{
	if (!has_pf(fe, VHOST_USER_PROTOCOL_F_STATUS))
		return 0;
	return request_u64(fe, VHOST_USER_SET_STATUS, status, -1);
}

/* Ack the features; tell the MTU; then, as a virtio driver does, set
 * FEATURES_OK and read it back: a device that clears it refused them. */
static int set_features(struct pb_vhost_frontend *fe)
{
	const uint64_t base = PB_VIRTIO_S_ACKNOWLEDGE | PB_VIRTIO_S_DRIVER;
	uint64_t status;
	int err;

	err = request_u64(fe, VHOST_USER_SET_FEATURES, fe->features, -1);
	if (!err && has_f(fe, VIRTIO_NET_F_MTU) && has_pf(fe, VHOST_USER_PROTOCOL_F_NET_MTU))
		err = request_u64(fe, VHOST_USER_NET_SET_MTU, fe->cfg.mtu, -1);
	if (err || !has_pf(fe, VHOST_USER_PROTOCOL_F_STATUS))
		return err;
	err = set_status(fe, base | PB_VIRTIO_S_FEATURES_OK);
	if (!err)
		err = query_u64(fe, VHOST_USER_GET_STATUS, &status);
	if (err)
		return err;
	if (!(status & PB_VIRTIO_S_FEATURES_OK)) {
		pb_vhost_fe_peer_log(fe, PB_LOG_WARN,
				     "back-end refused features 0x%llx (status 0x%llx)",
				     (unsigned long long)fe->features, (unsigned long long)status);
		return -ENOTSUP;
	}
	return 0;
}

/* One region, the whole memfd, at guest address == our address: then the
 * descriptors' addresses (guest) and the ring addresses (user) are the same
 * plain pointers. */
static int send_mem_table(struct pb_vhost_frontend *fe)
{
	struct pb_vu_msg msg;
	struct pb_vu_mem_region *r = &msg.payload.memory.regions[0];

	pb_vu_msg_set(&msg, VHOST_USER_SET_MEM_TABLE, 0, 8 + sizeof(*r));
	msg.payload.memory.nregions = 1;
	msg.payload.memory.padding = 0;
	r->guest_phys_addr = (uint64_t)(uintptr_t)fe->mem;
	r->memory_size = fe->mem_size;
	r->userspace_addr = (uint64_t)(uintptr_t)fe->mem;
	r->mmap_offset = 0;
	msg.fds[0] = fe->memfd;
	msg.nfds = 1;
	return request(fe, &msg);
}

/* Hand over ring @i. Kick and call fds both go before the enable: DPDK
 * calls a ring ready only with addresses, both fds and the enable. A
 * packed ring's base is its first slot | wrap counter << 15 (0x8000, as
 * DPDK's virtio-user sends it), its addresses the descriptor ring, the
 * driver area (in avail's place) and the device area (in used's). */
static int setup_vring(struct pb_vhost_frontend *fe, uint32_t i)
{
	const struct pb_vq_drv *vq = &fe->vq[i];
	const struct pb_pq_drv *pq = &fe->pq[i];
	struct pb_vu_msg msg;
	int err;

	err = request_state(fe, VHOST_USER_SET_VRING_NUM, i, vq->num);
	if (!err)
		err = request_state(fe, VHOST_USER_SET_VRING_BASE, i,
				    fe->packed ? pb_pq_drv_base(pq) : 0);
	if (err)
		return err;
	pb_vu_msg_set(&msg, VHOST_USER_SET_VRING_ADDR, 0, sizeof(msg.payload.addr));
	if (fe->packed)
		msg.payload.addr = (struct pb_vu_vring_addr){
		    .index = i,
		    .desc_user_addr = (uint64_t)(uintptr_t)pb_pq_drv_desc_area(pq),
		    .used_user_addr = (uint64_t)(uintptr_t)pb_pq_drv_device_area(pq),
		    .avail_user_addr = (uint64_t)(uintptr_t)pb_pq_drv_driver_area(pq),
		};
	else
		msg.payload.addr = (struct pb_vu_vring_addr){
		    .index = i,
		    .desc_user_addr = (uint64_t)(uintptr_t)vq->desc,
		    .used_user_addr = (uint64_t)(uintptr_t)vq->used,
		    .avail_user_addr = (uint64_t)(uintptr_t)vq->avail,
		};
	err = request(fe, &msg);
	if (!err)
		err = request_u64(fe, VHOST_USER_SET_VRING_KICK, i, vq->kickfd);
	if (!err)
		err = request_u64(fe, VHOST_USER_SET_VRING_CALL, i, fe->callfd[i]);
	if (!err && has_f(fe, VHOST_USER_F_PROTOCOL_FEATURES))
		err = request_state(fe, VHOST_USER_SET_VRING_ENABLE, i, 1);
	return err;
}

/* Rewrite both rings in the format of this connection (fe->packed). */
void pb_vhost_fe_reset_rings(struct pb_vhost_frontend *fe, bool event_idx)
{
	for (int i = 0; i < 2; i++) {
		if (fe->packed)
			pb_pq_drv_reset(&fe->pq[i], event_idx);
		else
			pb_vq_drv_reset(&fe->vq[i], event_idx);
	}
}

/* The whole set-up on a freshly connected socket. */
int pb_vhost_fe_setup(struct pb_vhost_frontend *fe)
{
	const uint64_t status =
	    PB_VIRTIO_S_ACKNOWLEDGE | PB_VIRTIO_S_DRIVER | PB_VIRTIO_S_FEATURES_OK;
	int err;

	fe->features = 0;
	fe->protocol_features = 0;
	fe->packed = false;
	err = negotiate(fe);
	if (!err)
		err = read_config(fe);
	if (!err)
		err = set_features(fe);
	if (err)
		return err;
	/* Whatever the last back-end left in the rings is gone: this one
	 * starts at index 0 (SET_VRING_BASE 0) with every RX buffer posted. */
	pb_vhost_fe_reset_rings(fe, has_f(fe, VIRTIO_RING_F_EVENT_IDX));
	err = send_mem_table(fe);
	for (uint32_t i = 0; !err && i < 2; i++)
		err = setup_vring(fe, i);
	if (!err)
		err = set_status(fe, status | PB_VIRTIO_S_DRIVER_OK);
	return err;
}

/* ---- the goodbye ------------------------------------------------------- */

/*
 * Ask the back-end to stop both rings before we take them back.
 * GET_VRING_BASE is the protocol's "stop", and its reply means the back-end
 * will not touch that ring again. Without it a back-end still inside a burst
 * reads the ring while we reset it: DPDK did, and dequeued stale
 * descriptors. Best effort and bounded: the first failure or timeout ends it.
 */
void pb_vhost_fe_stop_rings(struct pb_vhost_frontend *fe)
{
	struct pb_vu_msg msg;

	fe->deadline_ns = pb_now_ns() + PB_FE_REPLY_TIMEOUT_MS * 1000000ULL;
	for (uint32_t i = 0; i < 2; i++) {
		pb_vu_msg_set(&msg, VHOST_USER_GET_VRING_BASE, 0, sizeof(msg.payload.state));
		msg.payload.state.index = i;
		msg.payload.state.num = 0;
		if (send_msg(fe, &msg) || await_reply(fe, VHOST_USER_GET_VRING_BASE,
						      sizeof(msg.payload.state), false, &msg))
			return;
	}
}

/* ---- memory ------------------------------------------------------------ */

/* The memfd: [RX ring][TX ring][RX bufs][TX bufs], and the two rings in it. */
int pb_vhost_fe_setup_memory(struct pb_vhost_frontend *fe)
{
	uint16_t num = fe->cfg.queue_size;
	/* A whole frame fits one buffer, so MRG_RXBUF is never needed for
	 * correctness; 2048 keeps small-MTU buffers at a sane size. The slot
	 * also holds the pad that puts the frame on a cache line
	 * (split_driver.h), and is kept off multiples of 1 KiB so that the
	 * frames of consecutive buffers do not all fall in the same few L1
	 * cache sets. */
	uint32_t buf_size = PB_MAX(
	    PB_ALIGN_UP(PB_VQ_BUF_PAD + PB_VNET_HDR_LEN + fe->cfg.mtu + PB_ETH_OVERHEAD, 64u),
	    2048u);
	if (buf_size % 1024 == 0)
		buf_size += 64;
	/* Room for either format: the back-end decides which one we run. */
	size_t ring = PB_ALIGN_UP(PB_MAX(pb_vq_drv_ring_size(num), pb_pq_drv_ring_size(num)),
				  (size_t)PB_PAGE);
	size_t bufs = (size_t)num * buf_size;
	const char *base = strrchr(fe->path, '/');
	struct pb_shm shm;
	char name[128]; /* memfd names may be up to 249 bytes */
	int err;

	/* The name shows in /proc/PID/fd and /proc/PID/maps. */
	snprintf(name, sizeof(name), "patchbay-fe:%s", base ? base + 1 : fe->path);
	err = pb_shm_create(&shm, name, 2 * ring + 2 * bufs, fe->cfg.hugetlb);
	if (err)
		return err;
	fe->memfd = shm.fd;
	fe->mem = shm.base;
	fe->mem_size = shm.size;
	/* Both formats over the same areas and buffers; only the one a
	 * connection negotiates is reset and driven (pb_vhost_fe_reset_rings()). */
	for (int f = 0; f < 2 && !err; f++) {
		uint8_t *rx_ring = fe->mem, *tx_ring = fe->mem + ring;
		uint8_t *rx_bufs = fe->mem + 2 * ring, *tx_bufs = rx_bufs + bufs;

		if (f == 0) {
			err = pb_vq_drv_init(&fe->vq[PB_VNET_RXQ], rx_ring, rx_bufs, num, buf_size,
					     true, false);
			if (!err)
				err = pb_vq_drv_init(&fe->vq[PB_VNET_TXQ], tx_ring, tx_bufs, num,
						     buf_size, false, false);
		} else {
			err = pb_pq_drv_init(&fe->pq[PB_VNET_RXQ], rx_ring, rx_bufs, num, buf_size,
					     true, false);
			if (!err)
				err = pb_pq_drv_init(&fe->pq[PB_VNET_TXQ], tx_ring, tx_bufs, num,
						     buf_size, false, false);
		}
	}
	/* Split until a back-end asks otherwise. */
	if (!err)
		pb_vhost_fe_reset_rings(fe, false);
	return err;
}
