/* SPDX-License-Identifier: MIT */
/*
 * backend.c - the vhost-user back-end (device side) of virtio-net: one queue
 * pair, served to one front-end at a time over a Unix socket. This file holds
 * the connection's life: listening, accepting or connecting (and
 * reconnecting), the dispatch loop, disconnect and the teardown of rings,
 * memory and fds, and pb_vhost_backend_handle(), which checks each message
 * against the dispatch table before its handler runs. The handlers, one per
 * request, and the table itself are in backend_msgs.c; what the two files
 * share is declared in backend_impl.h. They are apart so that what a
 * front-end's messages can do is read in one place, and the plumbing around
 * it in another.
 *
 * Security model: the front-end is not trusted; backend_msgs.c says, field by
 * field, how each message is checked. Here, before any handler runs: a
 * malformed message, a payload size other than its row of the table allows
 * or more fds than the request may carry is a protocol fault that drops the
 * peer; a request we do not serve, or whose protocol feature was not
 * negotiated, has its fds closed and gets a failure ack if one is asked for.
 * The fds a handler did not take are closed when it returns. One dispatch
 * handles at most BE_MAX_MSGS_PER_DISPATCH messages and
 * BE_MAX_ACCEPTS_PER_DISPATCH connections, and a ring the peer broke ends the
 * connection before another message is read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sock.h"
#include "vhost/backend_impl.h"

/* Messages handled per dispatch, so a chatty peer cannot keep us in one
 * call forever (the level-triggered epoll brings us back). */
#define BE_MAX_MSGS_PER_DISPATCH 64

#define ACK_OK	 0
#define ACK_FAIL 1

/* ---- small helpers ------------------------------------------------------ */

static bool has_pf(const struct pb_vhost_backend *be, unsigned bit)
{
	return be->protocol_features & PB_BIT(bit);
}

/* Close an fd that may be in the epoll set. */
void pb_vhost_be_close_watched(struct pb_vhost_backend *be, int *fd)
{
	if (*fd >= 0 && be->epfd >= 0)
		pb_ev_del(be->epfd, *fd);
	pb_close_fd(fd);
}

/* The first problem with each request is a warning, repeats are debug:
 * a peer must not be able to flood the log. */
bool pb_vhost_be_first_warning(struct pb_vhost_backend *be, uint32_t request)
{
	uint64_t bit = PB_BIT(PB_MIN(request, 63u));
	bool first = !(be->warned & bit);

	be->warned |= bit;
	return first;
}

/* A protocol fault: the connection is dropped by the caller. */
__attribute__((format(printf, 3, 4))) int
pb_vhost_be_peer_fault(struct pb_vhost_backend *be, const struct pb_vu_msg *m, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pb_warn("%s: %s: %s; dropping the front-end", be->path, pb_vu_request_name(m->hdr.request),
		why);
	be->peer_errors++;
	return -EPROTO;
}

/* ---- ring teardown ------------------------------------------------------ */

/* Back to the state of a fresh connection; progress and fds are dropped,
 * the statistics kept. */
static void vring_reset(struct pb_vhost_backend *be, struct pb_vhost_vring *vr)
{
	uint64_t calls = vr->dq.calls, pcalls = vr->pq.calls;

	pb_vq_dev_detach(&vr->dq);
	pb_pq_dev_detach(&vr->pq); /* frees its side array */
	pb_vhost_be_close_watched(be, &vr->kickfd);
	pb_close_fd(&vr->errfd);
	pb_close_fd(&vr->dq.callfd); /* pq.callfd is the same fd */
	memset(vr, 0, sizeof(*vr));
	vr->kickfd = -1;
	vr->errfd = -1;
	vr->dq.callfd = -1;
	vr->pq.callfd = -1;
	vr->dq.calls = calls;
	vr->pq.calls = pcalls;
}

/* The device as it was before the front-end configured it (RESET_DEVICE and
 * disconnect): rings, memory, negotiated features, status, config space. */
void pb_vhost_be_device_reset(struct pb_vhost_backend *be)
{
	for (int i = 0; i < PB_VHOST_NQUEUES; i++)
		vring_reset(be, &be->vring[i]);
	pb_guest_mem_clear(&be->mem);
	be->features = 0;
	be->features_set = false;
	be->status = 0;
	memset(&be->config, 0, sizeof(be->config));
	memcpy(be->config.mac, be->cfg.mac, sizeof(be->config.mac));
	be->config.status = VIRTIO_NET_S_LINK_UP;
	be->config.max_virtqueue_pairs = PB_VHOST_NQUEUES / 2;
	be->config.mtu = be->cfg.mtu;
}

/* ---- one message -------------------------------------------------------- */

/* Answer @m in place with @size bytes of payload (already filled in). */
static int send_reply(struct pb_vhost_backend *be, struct pb_vu_msg *m, int size)
{
	pb_vu_msg_close_fds(m);
	m->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	m->hdr.size = (uint32_t)size;
	int err = pb_vu_conn_send(&be->conn, m);
	if (err)
		pb_warn("%s: cannot reply to %s: %s", be->path, pb_vu_request_name(m->hdr.request),
			strerror(-err));
	return err;
}

/* A request we do not serve: drop its fds, answer only if someone waits. */
static int unsupported(struct pb_vhost_backend *be, struct pb_vu_msg *m,
		       const struct pb_vhost_be_handler *h, bool need_reply)
{
	bool answer = need_reply || (h && (h->flags & PB_VHOST_BE_REPLY));

	pb_vhost_be_log_once(be, m, "request %u not supported (%u bytes, %u fds)%s", m->hdr.request,
			     m->hdr.size, m->nfds, answer ? "; failure sent" : "; ignored");
	if (answer)
		return send_reply(be, m, pb_vhost_be_reply_u64(m, ACK_FAIL));
	pb_vu_msg_close_fds(m);
	return 0;
}

int pb_vhost_backend_handle(struct pb_vhost_backend *be, struct pb_vu_msg *m)
{
	uint32_t req = m->hdr.request;
	const struct pb_vhost_be_handler *h =
	    req < VHOST_USER_MAX_REQUEST ? &pb_vhost_be_handlers[req] : NULL;
	/*
	 * A NEED_REPLY request is answered whether or not REPLY_ACK was
	 * negotiated: a front-end that asks is waiting, and an answer it did
	 * not need harms less than a hang.
	 */
	bool need_reply = m->hdr.flags & VHOST_USER_NEED_REPLY;
	int rc;

	/* The codec guarantees these; a caller building messages may not. */
	if (m->nfds > PB_VU_MAX_FDS || m->hdr.size > sizeof(m->payload)) {
		pb_vu_msg_close_fds(m);
		return pb_vhost_be_peer_fault(be, m, "malformed message (%u bytes, %u fds)",
					      m->hdr.size, m->nfds);
	}
	pb_dbg("%s: %s (%u bytes, %u fds)", be->path, pb_vu_request_name(req), m->hdr.size,
	       m->nfds);
	if (!h || !h->fn || (h->pf != PB_VHOST_BE_NO_PF && !has_pf(be, (unsigned)h->pf)))
		return unsupported(be, m, h, need_reply);

	if ((h->flags & PB_VHOST_BE_MIN) ? m->hdr.size < h->size : m->hdr.size != h->size)
		rc = pb_vhost_be_peer_fault(
		    be, m, "payload of %u bytes, expected %s%u", m->hdr.size,
		    (h->flags & PB_VHOST_BE_MIN) ? "at least " : "", h->size);
	else if (m->nfds > h->max_fds)
		rc = pb_vhost_be_peer_fault(be, m, "%u fds, at most %u", m->nfds, h->max_fds);
	else
		rc = h->fn(be, m);
	pb_vu_msg_close_fds(m); /* those the handler did not take */
	if (rc == -EPROTO)
		return rc;

	if (h->flags & PB_VHOST_BE_REPLY)
		return send_reply(be, m, rc >= 0 ? rc : pb_vhost_be_reply_u64(m, ACK_FAIL));
	if (need_reply)
		return send_reply(be, m, pb_vhost_be_reply_u64(m, rc < 0 ? ACK_FAIL : ACK_OK));
	return 0;
}

/* ---- connection life ---------------------------------------------------- */

/* Client: try again in reconnect_ms; the timerfd wakes a sleeping caller. */
static void schedule_reconnect(struct pb_vhost_backend *be)
{
	uint64_t ms = be->cfg.reconnect_ms;

	if (be->timerfd < 0)
		return;
	be->next_connect_ns = pb_now_ns() + ms * 1000000ULL;
	int err = pb_timerfd_arm_ms(be->timerfd, ms);
	if (err)
		pb_warn("%s: cannot arm the reconnect timer: %s", be->path, strerror(-err));
}

int pb_vhost_backend_attach(struct pb_vhost_backend *be, int fd)
{
	if (be->conn.fd >= 0) {
		close(fd);
		return -EBUSY;
	}
	int err = pb_ev_add(be->epfd, fd);
	if (err) {
		close(fd);
		return err;
	}
	pb_vu_conn_init(&be->conn, fd);
	be->was_ready = false;
	pb_info("%s: front-end connected", be->path);
	return 0;
}

void pb_vhost_backend_disconnect(struct pb_vhost_backend *be, const char *why)
{
	if (be->conn.fd >= 0) {
		pb_info("%s: front-end disconnected: %s", be->path, why);
		be->disconnects++;
		pb_vhost_be_close_watched(be, &be->conn.fd);
	}
	pb_vu_conn_close(&be->conn); /* fds of a partial message */
	pb_vhost_be_device_reset(be);
	be->protocol_features = 0;
	pb_close_fd(&be->backend_req_fd);
	be->was_ready = false;
	schedule_reconnect(be);
}

static void try_connect(struct pb_vhost_backend *be)
{
	int fd = pb_sock_connect(be->path);

	if (fd < 0) {
		pb_dbg("%s: no front-end yet: %s", be->path, strerror(-fd));
		schedule_reconnect(be);
		return;
	}
	if (pb_vhost_backend_attach(be, fd) < 0)
		schedule_reconnect(be);
}

/* Accept every pending connection: the first becomes our peer when we have
 * none, the others are closed (one front-end at a time). */
/* Connections taken per dispatch: a crowd of clients cannot keep us here. */
#define BE_MAX_ACCEPTS_PER_DISPATCH 16

static void accept_all(struct pb_vhost_backend *be)
{
	for (int n = 0; n < BE_MAX_ACCEPTS_PER_DISPATCH; n++) {
		int fd = pb_sock_accept(be->listen_fd);
		if (fd < 0) {
			if (fd != -EAGAIN && fd != -EINTR && fd != -ECONNABORTED)
				pb_warn("%s: accept: %s", be->path, strerror(-fd));
			if (fd != -ECONNABORTED && fd != -EINTR)
				return;
			continue;
		}
		if (be->conn.fd >= 0) {
			pb_dbg("%s: refusing a second front-end", be->path);
			close(fd);
			continue;
		}
		pb_vhost_backend_attach(be, fd);
	}
}

static void receive_all(struct pb_vhost_backend *be)
{
	struct pb_vu_msg m;

	for (int i = 0; i < BE_MAX_MSGS_PER_DISPATCH && be->conn.fd >= 0; i++) {
		int rc = pb_vu_conn_recv(&be->conn, &m);
		if (rc == 0)
			return;
		if (rc == 1)
			rc = pb_vhost_backend_handle(be, &m);
		else if (rc == -EPROTO)
			be->peer_errors++; /* the codec logged why */
		if (rc < 0) {
			pb_vhost_backend_disconnect(be,
						    rc == -ECONNRESET ? "hung up" : strerror(-rc));
			return;
		}
	}
}

int pb_vhost_backend_dispatch(struct pb_vhost_backend *be)
{
	if (be->listen_fd >= 0)
		accept_all(be);
	if (be->timerfd >= 0) {
		pb_eventfd_drain(be->timerfd); /* a timerfd reads like an eventfd */
		if (be->conn.fd < 0 && pb_now_ns() >= be->next_connect_ns)
			try_connect(be);
	}
	/* A ring the peer broke ends the connection before any message is
	 * read: re-attaching (SET_VRING_ADDR, SET_MEM_TABLE, ...) would
	 * otherwise clear the sticky flag and let it dodge the drop. */
	for (int i = 0; i < PB_VHOST_NQUEUES && be->conn.fd >= 0; i++) {
		struct pb_vhost_vring *vr = &be->vring[i];
		if (vr->dq.broken || vr->pq.broken) {
			be->peer_errors++;
			pb_vhost_backend_disconnect(be, "the front-end broke a ring");
		}
	}
	receive_all(be);
	/* Kicks only wake the caller; a started ring is polled. */
	for (int i = 0; i < PB_VHOST_NQUEUES && be->conn.fd >= 0; i++)
		pb_eventfd_drain(be->vring[i].kickfd);
	if (!be->was_ready && pb_vhost_backend_ready(be)) {
		be->was_ready = true;
		be->connects++;
	}
	return 0;
}

/* ---- set-up ------------------------------------------------------------- */

static int check_cfg(struct pb_vhost_backend *be, const struct pb_vhost_backend_cfg *cfg)
{
	be->cfg = *cfg;
	if (cfg->path) {
		if (cfg->path[0] == '\0')
			return -EINVAL;
		if (strlen(cfg->path) >= sizeof(be->path))
			return -ENAMETOOLONG;
		snprintf(be->path, sizeof(be->path), "%s", cfg->path);
		be->cfg.path = be->path;
	} else {
		snprintf(be->path, sizeof(be->path), "vhost-user");
	}
	if (be->cfg.mtu == 0)
		be->cfg.mtu = PB_MTU_DEFAULT;
	if (be->cfg.mtu < PB_MTU_MIN || be->cfg.mtu > PB_MTU_MAX)
		return -EINVAL;
	if (be->cfg.features == 0)
		be->cfg.features = PB_VNET_FEATURES;
	/* Only what the device side implements, and always virtio 1. Packed
	 * rings only when asked for: the port drives them once it sees
	 * vring[i].packed. */
	be->cfg.features = (be->cfg.features & (PB_VNET_FEATURES | PB_BIT(VIRTIO_F_RING_PACKED))) |
			   PB_BIT(VIRTIO_F_VERSION_1);
	if (be->cfg.reconnect_ms == 0)
		be->cfg.reconnect_ms = PB_VHOST_RECONNECT_MS;
	return 0;
}

static int setup_socket(struct pb_vhost_backend *be)
{
	if (!be->cfg.path)
		return 0;
	if (be->cfg.server) {
		int fd = pb_sock_listen(be->path);
		if (fd < 0)
			return fd;
		be->listen_fd = fd;
		return pb_ev_add(be->epfd, fd);
	}
	be->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (be->timerfd < 0)
		return -errno;
	int err = pb_ev_add(be->epfd, be->timerfd);
	if (err)
		return err;
	try_connect(be);
	return 0;
}

int pb_vhost_backend_init(struct pb_vhost_backend *be, const struct pb_vhost_backend_cfg *cfg,
			  int epfd)
{
	memset(be, 0, sizeof(*be));
	be->epfd = epfd;
	be->listen_fd = -1;
	be->timerfd = -1;
	be->conn.fd = -1;
	be->backend_req_fd = -1;
	pb_guest_mem_init(&be->mem);
	for (int i = 0; i < PB_VHOST_NQUEUES; i++) {
		be->vring[i].kickfd = -1;
		be->vring[i].errfd = -1;
		be->vring[i].dq.callfd = -1;
		be->vring[i].pq.callfd = -1;
	}
	int err = check_cfg(be, cfg);
	if (!err) {
		pb_vhost_be_device_reset(be);
		err = setup_socket(be);
	}
	if (err) {
		pb_warn("%s: back-end init failed: %s", cfg->path ? cfg->path : "(no path)",
			strerror(-err));
		pb_vhost_backend_fini(be);
	}
	return err;
}

void pb_vhost_backend_fini(struct pb_vhost_backend *be)
{
	pb_vhost_backend_disconnect(be, "closing");
	if (be->listen_fd >= 0) {
		pb_vhost_be_close_watched(be, &be->listen_fd);
		unlink(be->path);
	}
	pb_vhost_be_close_watched(be, &be->timerfd);
}
