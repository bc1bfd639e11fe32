/* SPDX-License-Identifier: MIT */
/*
 * backend_msgs.c - the vhost-user back-end's handlers of individual
 * messages: one function per request (features, memory table, ring size,
 * addresses, base, kick/call/err fds, protocol features, config space,
 * status, ...), the binding of rings to the peer's memory that they drive,
 * and the table pb_vhost_backend_handle() (backend.c) dispatches through.
 * Apart from the connection's life (backend.c) so that everything a
 * front-end's messages can reach, and how each is checked, is in one file.
 *
 * Security model: the front-end is not trusted. Every field of every message
 * is validated before use: the payload size against the table below (before
 * the handler runs, in pb_vhost_backend_handle()), the number of fds against
 * what the request may carry, ring indices, ring sizes, feature bits against
 * what we offered, memory regions (overflow, overlap, file size: guest_mem.c)
 * and ring addresses (alignment and full extent inside one region:
 * split_device.c, packed_device.c), ring bases (a packed ring's positions
 * below its size). A request that is well-formed but cannot be honoured (a
 * ring index we do not have, memory that does not map) fails and is answered
 * with a failure ack when one is asked for; a request that breaks the
 * protocol (wrong size, wrong fd count, features we never offered) loses the
 * peer its connection and is counted in peer_errors. Every fd the peer sends
 * is either kept in exactly one place or closed before the handler returns.
 * Nothing the peer does can crash the process, block it beyond a bounded
 * reply, or leak a descriptor or a mapping past the connection.
 *
 * Handlers return 0 (or the reply size, for requests that always answer),
 * -EPROTO after pb_vhost_be_peer_fault() for a protocol fault, or another
 * -errno for a request that failed. No callee they use returns -EPROTO.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sock.h"
#include "vhost/backend_impl.h"

/* ---- small helpers ------------------------------------------------------ */

static uint64_t offered_features(const struct pb_vhost_backend *be)
{
	return be->cfg.features | PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
}

static bool has_f(const struct pb_vhost_backend *be, unsigned bit)
{
	return be->features & PB_BIT(bit);
}

/* Take fd @i out of @m: the caller owns it now. */
static int take_fd(struct pb_vu_msg *m, unsigned i)
{
	int fd = m->fds[i];

	m->fds[i] = -1;
	return fd;
}

/* ---- rings -------------------------------------------------------------- */

/* The ring a message names, or NULL (the request fails, the link stays). */
static struct pb_vhost_vring *vring_get(struct pb_vhost_backend *be, const struct pb_vu_msg *m,
					uint32_t index)
{
	if (index < PB_VHOST_NQUEUES)
		return &be->vring[index];
	pb_vhost_be_log_once(be, m, "no ring %u (we have %d)", index, PB_VHOST_NQUEUES);
	return NULL;
}

/*
 * Unbind a ring from memory that is about to change, remembering how far
 * it got: re-attaching continues from there (a SET_MEM_TABLE that adds
 * memory must not rewind a running ring). A packed ring remembers both its
 * positions and wrap counters, in the vhost-user encoding.
 */
static void vring_detach(struct pb_vhost_vring *vr)
{
	if (vr->dq.desc)
		vr->base = vr->dq.last_avail;
	if (vr->pq.desc)
		vr->base = pb_pq_dev_base(&vr->pq);
	pb_vq_dev_detach(&vr->dq);
	pb_pq_dev_detach(&vr->pq);
}

static void vrings_detach(struct pb_vhost_backend *be)
{
	for (int i = 0; i < PB_VHOST_NQUEUES; i++)
		vring_detach(&be->vring[i]);
}

/*
 * Bind a ring to the peer's memory once its size, addresses and the memory
 * are all known (they come in any order). A ring already bound is left
 * alone. Failure leaves it unbound: it cannot go live.
 */
static int vring_attach(struct pb_vhost_backend *be, struct pb_vhost_vring *vr)
{
	const struct pb_vu_vring_addr *a = &vr->addr;
	bool event_idx = has_f(be, VIRTIO_RING_F_EVENT_IDX);
	bool indirect = has_f(be, VIRTIO_RING_F_INDIRECT_DESC);
	int err;

	if (vr->dq.desc || vr->pq.desc || !vr->num || !vr->addr_set || be->mem.nregions == 0)
		return 0;
	vr->packed = has_f(be, VIRTIO_F_RING_PACKED);
	if (vr->packed) {
		/* desc, driver area, device area (vhost-user.rst); callfd and
		 * calls are kept by attach. */
		err = pb_pq_dev_attach(&vr->pq, &be->mem, vr->num, a->desc_user_addr,
				       a->avail_user_addr, a->used_user_addr, vr->base, event_idx,
				       indirect);
	} else if (vr->base > UINT16_MAX) {
		err = -EINVAL; /* a packed ring's base, and the ring is split now */
	} else {
		uint64_t calls = vr->dq.calls; /* a statistic: survives re-binding */
		err = pb_vq_dev_attach(&vr->dq, &be->mem, vr->num, a->desc_user_addr,
				       a->avail_user_addr, a->used_user_addr, (uint16_t)vr->base,
				       event_idx, indirect);
		vr->dq.calls = calls;
	}
	if (err) {
		pb_warn("%s: ring %d: cannot attach %s ring (num %u, base 0x%x, desc 0x%llx, "
			"avail 0x%llx, used 0x%llx): %s",
			be->path, (int)(vr - be->vring), vr->packed ? "a packed" : "a split",
			vr->num, vr->base, (unsigned long long)a->desc_user_addr,
			(unsigned long long)a->avail_user_addr,
			(unsigned long long)a->used_user_addr, strerror(-err));
		pb_vq_dev_detach(&vr->dq);
		pb_pq_dev_detach(&vr->pq);
	}
	return err;
}

static int vrings_attach(struct pb_vhost_backend *be)
{
	int first_err = 0;

	for (int i = 0; i < PB_VHOST_NQUEUES; i++) {
		int err = vring_attach(be, &be->vring[i]);
		if (err && !first_err)
			first_err = err;
	}
	return first_err;
}

/* The ring's kick fd arrived. Starting here rather than at the first kick
 * is what DPDK's vhost library and libvhost-user do: a driver's TX ring is
 * never kicked until it has a frame to send, and an idle link must still
 * come up. Without protocol features a ring starts enabled ("Ring states"). */
static void vring_start(struct pb_vhost_backend *be, struct pb_vhost_vring *vr)
{
	vr->started = true;
	if (!has_f(be, VHOST_USER_F_PROTOCOL_FEATURES))
		vr->enabled = true;
}

/* GET_VRING_BASE: stop processing and forget the addresses, so nothing
 * touches that memory until the front-end sets the ring up again. */
static void vring_stop(struct pb_vhost_backend *be, struct pb_vhost_vring *vr)
{
	vring_detach(vr);
	pb_vhost_be_close_watched(be, &vr->kickfd);
	vr->started = false;
	vr->addr_set = false;
}

/* ---- handlers ----------------------------------------------------------- */

int pb_vhost_be_reply_u64(struct pb_vu_msg *m, uint64_t v)
{
	m->payload.u64 = v;
	return sizeof(m->payload.u64);
}

static int h_get_features(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	return pb_vhost_be_reply_u64(m, offered_features(be));
}

static int h_set_features(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	uint64_t f = m->payload.u64;
	const uint64_t ring_bits = PB_BIT(VIRTIO_RING_F_EVENT_IDX) |
				   PB_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
				   PB_BIT(VIRTIO_F_RING_PACKED);

	/* The front-end would drive the rings with semantics we do not have;
	 * nothing sane can follow. */
	if (f & ~offered_features(be))
		return pb_vhost_be_peer_fault(be, m, "acks features 0x%llx that were not offered",
					      (unsigned long long)(f & ~offered_features(be)));
	uint64_t changed = be->features ^ f;
	be->features = f;
	be->features_set = true;
	if (!(changed & ring_bits))
		return 0;
	/* Bound rings read these bits at attach time; the format changes
	 * which view the data path drives. */
	vrings_detach(be);
	for (int i = 0; i < PB_VHOST_NQUEUES; i++)
		be->vring[i].packed = has_f(be, VIRTIO_F_RING_PACKED);
	return vrings_attach(be);
}

static int h_get_protocol_features(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	(void)be;
	return pb_vhost_be_reply_u64(m, PB_VHOST_PROTOCOL_FEATURES);
}

static int h_set_protocol_features(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	uint64_t f = m->payload.u64;

	if (f & ~(uint64_t)PB_VHOST_PROTOCOL_FEATURES)
		return pb_vhost_be_peer_fault(
		    be, m, "acks protocol features 0x%llx that were not offered",
		    (unsigned long long)(f & ~(uint64_t)PB_VHOST_PROTOCOL_FEATURES));
	be->protocol_features = f;
	return 0;
}

static int h_nop(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	(void)be;
	(void)m;
	return 0;
}

/* RESET_OWNER is deprecated; the spec lets a back-end ignore it, and
 * treating it as a full reset is the interpretation it warns against. */
#define h_set_owner   h_nop
#define h_reset_owner h_nop
/* SEND_RARP: we do not offer PROTOCOL_F_RARP; a front-end that sends it
 * anyway loses nothing by our not announcing the guest. */
#define h_send_rarp h_nop

static int h_set_mem_table(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	const struct pb_vu_memory *t = &m->payload.memory;
	uint32_t n = t->nregions;

	if (n > VHOST_MEMORY_BASELINE_NREGIONS)
		return pb_vhost_be_peer_fault(be, m, "%u regions (at most %d)", n,
					      VHOST_MEMORY_BASELINE_NREGIONS);
	/* The payload holds exactly n regions (QEMU, DPDK), or the whole
	 * fixed-size table (some other front-ends). */
	if (m->hdr.size != 8 + n * sizeof(t->regions[0]) && m->hdr.size != sizeof(*t))
		return pb_vhost_be_peer_fault(be, m, "%u bytes for %u regions", m->hdr.size, n);
	if (m->nfds != n)
		return pb_vhost_be_peer_fault(be, m, "%u fds for %u regions", m->nfds, n);

	/* Replace the whole table: nothing may point into the old one. */
	vrings_detach(be);
	pb_guest_mem_clear(&be->mem);
	for (uint32_t i = 0; i < n; i++) {
		const struct pb_vu_mem_region *r = &t->regions[i];
		int err = pb_guest_mem_add(&be->mem, m->fds[i], r->guest_phys_addr, r->memory_size,
					   r->userspace_addr, r->mmap_offset);
		if (err) {
			pb_vhost_be_log_once(be, m, "region %u (gpa 0x%llx, size 0x%llx): %s", i,
					     (unsigned long long)r->guest_phys_addr,
					     (unsigned long long)r->memory_size, strerror(-err));
			pb_guest_mem_clear(&be->mem);
			return err;
		}
	}
	return vrings_attach(be);
}

static int h_get_max_mem_slots(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	(void)be;
	return pb_vhost_be_reply_u64(m, PB_GUEST_MEM_MAX_REGIONS);
}

static int h_add_mem_reg(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	const struct pb_vu_mem_region *r = &m->payload.mem_reg.region;

	if (m->nfds != 1)
		return pb_vhost_be_peer_fault(be, m, "%u fds (expected 1)", m->nfds);
	int err = pb_guest_mem_add(&be->mem, m->fds[0], r->guest_phys_addr, r->memory_size,
				   r->userspace_addr, r->mmap_offset);
	if (err) {
		pb_vhost_be_log_once(be, m, "gpa 0x%llx size 0x%llx: %s",
				     (unsigned long long)r->guest_phys_addr,
				     (unsigned long long)r->memory_size, strerror(-err));
		return err;
	}
	/* Rings waiting for this memory can bind now; bound ones are kept. */
	return vrings_attach(be);
}

/* The spec allows one (ignored, closed) fd for old front-ends. */
static int h_rem_mem_reg(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	const struct pb_vu_mem_region *r = &m->payload.mem_reg.region;

	vrings_detach(be);
	int err =
	    pb_guest_mem_remove(&be->mem, r->guest_phys_addr, r->memory_size, r->userspace_addr);
	if (err)
		pb_vhost_be_log_once(be, m, "no region gpa 0x%llx size 0x%llx",
				     (unsigned long long)r->guest_phys_addr,
				     (unsigned long long)r->memory_size);
	/* A ring that lived in the removed region stays unbound. */
	int aerr = vrings_attach(be);
	return err ? err : aerr;
}

static int h_set_vring_num(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	const struct pb_vu_vring_state *s = &m->payload.state;
	struct pb_vhost_vring *vr = vring_get(be, m, s->index);

	if (!vr)
		return -EINVAL;
	/* A packed ring may have any size up to 32768 (§2.8). */
	if (s->num == 0 || s->num > PB_VRING_MAX_SIZE ||
	    (!has_f(be, VIRTIO_F_RING_PACKED) && !pb_is_pow2(s->num))) {
		pb_vhost_be_log_once(be, m, "ring size %u is not a power of two <= %d", s->num,
				     PB_VRING_MAX_SIZE);
		return -EINVAL;
	}
	vring_detach(vr);
	vr->num = (uint16_t)s->num;
	return vring_attach(be, vr);
}

static int h_set_vring_addr(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	const struct pb_vu_vring_addr *a = &m->payload.addr;
	struct pb_vhost_vring *vr = vring_get(be, m, a->index);

	/* flags may ask for used-ring logging (VHOST_VRING_F_LOG): only
	 * meaningful with VHOST_F_LOG_ALL, which we never offer. */
	if (!vr)
		return -EINVAL;
	vring_detach(vr);
	vr->addr = *a;
	vr->addr_set = true;
	return vring_attach(be, vr);
}

static int h_set_vring_base(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	const struct pb_vu_vring_state *s = &m->payload.state;
	struct pb_vhost_vring *vr = vring_get(be, m, s->index);

	if (!vr)
		return -EINVAL;
	/* Split: a 16-bit avail index. Packed: bits 0-14 the next slot,
	 * bit 15 the driver's wrap counter, bits 16-31 the same for used
	 * (0 when not sent); the positions are checked against the ring size
	 * when it attaches. */
	if (!has_f(be, VIRTIO_F_RING_PACKED) && s->num > UINT16_MAX) {
		pb_vhost_be_log_once(be, m, "base %u is not a split-ring index", s->num);
		return -EINVAL;
	}
	vring_detach(vr);
	vr->base = s->num; /* after detach, which saves progress */
	return vring_attach(be, vr);
}

static int h_get_vring_base(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	struct pb_vu_vring_state *s = &m->payload.state;
	struct pb_vhost_vring *vr = vring_get(be, m, s->index);

	if (!vr)
		return -EINVAL;
	vring_stop(be, vr);
	/* Split: the next avail index. Packed: next slot | wrap << 15, and
	 * in bits 16-31 the same for the used side (what QEMU reads back;
	 * DPDK reads the low half). */
	s->num = vr->base;
	return sizeof(*s);
}

/*
 * The u64 of SET_VRING_KICK/CALL/ERR: ring index in bits 0-7, bit 8 "no fd".
 * Sets *fd to the passed fd (taken from @m) or -1.
 */
static int vring_fd_msg(struct pb_vhost_backend *be, struct pb_vu_msg *m,
			struct pb_vhost_vring **vr, int *fd)
{
	uint64_t v = m->payload.u64;
	bool nofd = v & VHOST_USER_VRING_NOFD;

	if (m->nfds != (nofd ? 0u : 1u))
		return pb_vhost_be_peer_fault(be, m, "%u fds with the no-fd flag %s", m->nfds,
					      nofd ? "set" : "clear");
	*vr = vring_get(be, m, (uint32_t)(v & VHOST_USER_VRING_IDX_MASK));
	if (!*vr)
		return -EINVAL;
	*fd = nofd ? -1 : take_fd(m, 0);
	/* Only an eventfd: a pipe whose reader is gone would kill us with
	 * SIGPIPE on the first call, a socket at EOF would keep epoll
	 * readable forever. */
	if (*fd >= 0 && !pb_fd_is_eventfd(*fd)) {
		close(*fd);
		*fd = -1;
		pb_vhost_be_log_once(be, m, "the fd is not an eventfd");
		return -EINVAL;
	}
	return 0;
}

static int h_set_vring_kick(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	struct pb_vhost_vring *vr;
	int fd;
	int err = vring_fd_msg(be, m, &vr, &fd);

	if (err)
		return err;
	pb_vhost_be_close_watched(be, &vr->kickfd);
	if (fd >= 0) {
		err = pb_ev_add(be->epfd, fd);
		if (err) {
			close(fd);
			pb_vhost_be_log_once(be, m, "cannot watch the kick fd: %s", strerror(-err));
			return err;
		}
	}
	/* fd -1: the front-end asks us to poll the ring. */
	vr->kickfd = fd;
	vring_start(be, vr);
	return 0;
}

static int h_set_vring_call(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	struct pb_vhost_vring *vr;
	int fd;
	int err = vring_fd_msg(be, m, &vr, &fd);

	if (err)
		return err;
	pb_close_fd(&vr->dq.callfd);
	vr->dq.callfd = fd; /* -1: the driver polls */
	vr->pq.callfd = fd; /* the same fd, owned by dq */
	return 0;
}

static int h_set_vring_err(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	struct pb_vhost_vring *vr;
	int fd;
	int err = vring_fd_msg(be, m, &vr, &fd);

	if (err)
		return err;
	pb_close_fd(&vr->errfd);
	vr->errfd = fd;
	return 0;
}

static int h_set_vring_enable(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	const struct pb_vu_vring_state *s = &m->payload.state;
	struct pb_vhost_vring *vr = vring_get(be, m, s->index);

	if (!vr)
		return -EINVAL;
	if (s->num > 1) {
		pb_vhost_be_log_once(be, m, "enable value %u", s->num);
		return -EINVAL;
	}
	vr->enabled = s->num;
	return 0;
}

static int h_get_queue_num(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	(void)be;
	return pb_vhost_be_reply_u64(m, PB_VHOST_NQUEUES / 2); /* queue pairs */
}

static int h_net_set_mtu(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	uint64_t mtu = m->payload.u64;

	if (mtu < PB_MTU_MIN || mtu > PB_MTU_MAX) {
		pb_vhost_be_log_once(be, m, "MTU %llu outside %d..%d", (unsigned long long)mtu,
				     PB_MTU_MIN, PB_MTU_MAX);
		return -EINVAL;
	}
	be->config.mtu = (uint16_t)mtu;
	return 0;
}

/* We never send back-end requests yet, but a front-end that offers the
 * channel must find it accepted; the fd is kept until disconnect. */
static int h_set_backend_req_fd(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	if (m->nfds != 1)
		return pb_vhost_be_peer_fault(be, m, "%u fds (expected 1)", m->nfds);
	pb_close_fd(&be->backend_req_fd);
	be->backend_req_fd = take_fd(m, 0);
	return 0;
}

/* GET/SET_CONFIG: the config header's size must account for the payload
 * exactly; the window [offset, offset+size) must lie in config space. */
static int config_window(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	const struct pb_vu_config *c = &m->payload.config;

	if ((uint64_t)m->hdr.size != (uint64_t)PB_VU_CONFIG_HDR_SIZE + c->size)
		return pb_vhost_be_peer_fault(be, m, "%u bytes for a config window of %u",
					      m->hdr.size, c->size);
	if (c->offset > PB_VU_CONFIG_MAX || c->size > PB_VU_CONFIG_MAX - c->offset) {
		pb_vhost_be_log_once(be, m, "window %u+%u outside config space", c->offset,
				     c->size);
		return -EINVAL;
	}
	return 0;
}

static int h_get_config(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	struct pb_vu_config *c = &m->payload.config;
	uint8_t space[PB_VU_CONFIG_MAX] = {0}; /* fields we do not have read as 0 */
	int err = config_window(be, m);

	if (err == -EPROTO)
		return err;
	if (err)
		return 0; /* the spec's failure answer: an empty payload */
	memcpy(space, &be->config, sizeof(be->config));
	memcpy(c->region, space + c->offset, c->size);
	return (int)(PB_VU_CONFIG_HDR_SIZE + c->size);
}

#define VHOST_USER_CONFIG_F_MIGRATION 1u

/* Every virtio-net config field is read-only for the driver; the spec lets
 * only a migration write them, and ours come from our own configuration. */
static int h_set_config(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	int err = config_window(be, m);

	if (err)
		return err;
	if (!(m->payload.config.flags & VHOST_USER_CONFIG_F_MIGRATION)) {
		pb_vhost_be_log_once(be, m, "write to read-only config space");
		return -EPERM;
	}
	return 0;
}

static int h_reset_device(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	(void)m;
	pb_vhost_be_device_reset(be);
	return 0;
}

static int h_set_status(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	uint64_t v = m->payload.u64;

	if (v > UINT8_MAX) {
		pb_vhost_be_log_once(be, m, "status 0x%llx", (unsigned long long)v);
		return -EINVAL;
	}
	be->status = (uint8_t)v;
	return 0;
}

static int h_get_status(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	return pb_vhost_be_reply_u64(m, be->status);
}

/* INFLIGHT_SHMFD is not offered, but QEMU blocks on this reply if it asks
 * anyway; a zero-sized area is its way of hearing "none". */
static int h_get_inflight_fd(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	(void)be;
	m->payload.inflight.mmap_size = 0;
	m->payload.inflight.mmap_offset = 0;
	return sizeof(m->payload.inflight);
}

/* ---- the dispatch table ------------------------------------------------- */

#define H(req, fn, size, max_fds, flags, pf) [VHOST_USER_##req] = {fn, size, max_fds, flags, pf}
#define U64				     sizeof(uint64_t)
#define STATE				     sizeof(struct pb_vu_vring_state)
#define MEM_REG				     sizeof(struct pb_vu_single_region)

/* The flags and "no protocol feature" by the short names the rows use. */
#define VU_REPLY PB_VHOST_BE_REPLY
#define VU_MIN	 PB_VHOST_BE_MIN
#define NO_PF	 PB_VHOST_BE_NO_PF

/*
 * Every request a QEMU or DPDK front-end sends. Queries that answer anyway
 * (GET_QUEUE_NUM, GET_MAX_MEM_SLOTS, GET_STATUS, GET_CONFIG, GET_INFLIGHT_FD)
 * are not gated on their protocol feature: answering cannot hurt, and a
 * front-end waiting for a reply must get one. Requests without a handler (logging, IOTLB,
 * postcopy, inflight, endianness, in-band kicks: none offered) have their
 * fds closed and get a failure ack when one is asked for, or always when
 * the spec says they are always answered.
 */
/* clang-format off */
const struct pb_vhost_be_handler pb_vhost_be_handlers[VHOST_USER_MAX_REQUEST] = {
	H(GET_FEATURES, h_get_features, 0, 0, VU_REPLY, NO_PF),
	H(SET_FEATURES, h_set_features, U64, 0, 0, NO_PF),
	H(SET_OWNER, h_set_owner, 0, 0, 0, NO_PF),
	H(RESET_OWNER, h_reset_owner, 0, 0, 0, NO_PF),
	H(SET_MEM_TABLE, h_set_mem_table, 8, VHOST_MEMORY_BASELINE_NREGIONS, VU_MIN, NO_PF),
	H(SET_VRING_NUM, h_set_vring_num, STATE, 0, 0, NO_PF),
	H(SET_VRING_ADDR, h_set_vring_addr, sizeof(struct pb_vu_vring_addr), 0, 0, NO_PF),
	H(SET_VRING_BASE, h_set_vring_base, STATE, 0, 0, NO_PF),
	H(GET_VRING_BASE, h_get_vring_base, STATE, 0, VU_REPLY, NO_PF),
	H(SET_VRING_KICK, h_set_vring_kick, U64, 1, 0, NO_PF),
	H(SET_VRING_CALL, h_set_vring_call, U64, 1, 0, NO_PF),
	H(SET_VRING_ERR, h_set_vring_err, U64, 1, 0, NO_PF),
	H(GET_PROTOCOL_FEATURES, h_get_protocol_features, 0, 0, VU_REPLY, NO_PF),
	H(SET_PROTOCOL_FEATURES, h_set_protocol_features, U64, 0, 0, NO_PF),
	H(GET_QUEUE_NUM, h_get_queue_num, 0, 0, VU_REPLY, NO_PF),
	H(SET_VRING_ENABLE, h_set_vring_enable, STATE, 0, 0, NO_PF),
	H(SEND_RARP, h_send_rarp, U64, 0, 0, NO_PF),
	H(NET_SET_MTU, h_net_set_mtu, U64, 0, 0, VHOST_USER_PROTOCOL_F_NET_MTU),
	H(SET_BACKEND_REQ_FD, h_set_backend_req_fd, 0, 1, 0, VHOST_USER_PROTOCOL_F_BACKEND_REQ),
	H(GET_CONFIG, h_get_config, PB_VU_CONFIG_HDR_SIZE, 0, VU_REPLY | VU_MIN, NO_PF),
	H(SET_CONFIG, h_set_config, PB_VU_CONFIG_HDR_SIZE, 0, VU_MIN, VHOST_USER_PROTOCOL_F_CONFIG),
	H(RESET_DEVICE, h_reset_device, 0, 0, 0, VHOST_USER_PROTOCOL_F_RESET_DEVICE),
	H(GET_MAX_MEM_SLOTS, h_get_max_mem_slots, 0, 0, VU_REPLY, NO_PF),
	H(ADD_MEM_REG, h_add_mem_reg, MEM_REG, 1, 0, VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS),
	H(REM_MEM_REG, h_rem_mem_reg, MEM_REG, 1, 0, VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS),
	H(SET_STATUS, h_set_status, U64, 0, 0, VHOST_USER_PROTOCOL_F_STATUS),
	H(GET_STATUS, h_get_status, 0, 0, VU_REPLY, NO_PF),
	H(GET_INFLIGHT_FD, h_get_inflight_fd, sizeof(struct pb_vu_inflight), 0, VU_REPLY, NO_PF),
	/* Not offered, but the spec gives them a reply, which a front-end
	 * that sends them anyway waits for: a failure. */
	H(IOTLB_MSG, NULL, 0, 0, VU_REPLY, NO_PF),
	H(POSTCOPY_ADVISE, NULL, 0, 0, VU_REPLY, NO_PF),
	H(POSTCOPY_END, NULL, 0, 0, VU_REPLY, NO_PF),
	H(CREATE_CRYPTO_SESSION, NULL, 0, 0, VU_REPLY, NO_PF),
};
/* clang-format on */

#undef H
#undef U64
#undef STATE
#undef MEM_REG
#undef VU_REPLY
#undef VU_MIN
#undef NO_PF
