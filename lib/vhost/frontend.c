/* SPDX-License-Identifier: MIT */
/*
 * frontend.c - the vhost-user front-end ("virtio-user") control path: the
 * app's end. We own the memory (one sealed memfd holding both rings and every
 * buffer), connect to or accept a back-end, negotiate with it and hand it
 * the rings; when it goes away we reset the rings and wait for the next one.
 *
 * This file holds the connection's life: listening, accepting or connecting
 * (and reconnecting on a timer), the dispatch that notices a back-end that
 * left, broke a ring or spoke unprompted, disconnect, and the public
 * pb_vhost_frontend_* calls. What we say to a back-end and how its replies
 * are checked - the set-up, the goodbye that stops its rings - and the memfd
 * with the rings we hand it are in frontend_setup.c; what the two files share
 * is declared in frontend_impl.h. They are apart so that the conversation
 * with a back-end is read in one place, and the plumbing around it in
 * another.
 *
 * The set-up is synchronous: each reply is awaited for at most
 * PB_FE_REPLY_TIMEOUT_MS, so a dead or silent back-end costs the caller a
 * bounded stall, never a hang. Everything else is driven from dispatch.
 *
 * Security model: the back-end is not trusted. Every reply must answer the
 * request just sent (same id, exact payload size, no fds); anything else
 * fails the set-up. Requests it sends us (never negotiated) are logged and
 * dropped with their fds, during the set-up and after. Offered features are
 * masked with what we implement. Once up, a malformed stream drops the
 * connection, and so does a used ring it corrupts (vq[i].broken, or
 * pq[i].broken for packed rings, detected by the data path). It can never
 * make us fail, and it can stall a dispatch for at most
 * PB_FE_SETUP_TIMEOUT_MS (set-up) or PB_FE_REPLY_TIMEOUT_MS (goodbye),
 * however slowly it trickles its replies.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "mem/shm.h"
#include "util/log.h"
#include "util/sock.h"
#include "vhost/frontend_impl.h"

/* Unprompted messages handled per dispatch, so a chatty peer cannot keep
 * us in one call forever. */
#define PB_FE_MAX_MSGS_PER_DISPATCH 16

/* ---- connection life --------------------------------------------------- */

static bool rings_event_idx(const struct pb_vhost_frontend *fe)
{
	return fe->packed ? fe->pq[PB_VNET_RXQ].event_idx : fe->vq[PB_VNET_RXQ].event_idx;
}

static bool rings_broken(const struct pb_vhost_frontend *fe)
{
	if (fe->packed)
		return fe->pq[PB_VNET_RXQ].broken || fe->pq[PB_VNET_TXQ].broken;
	return fe->vq[PB_VNET_RXQ].broken || fe->vq[PB_VNET_TXQ].broken;
}

static void drop_conn(struct pb_vhost_frontend *fe)
{
	if (fe->conn.fd >= 0)
		pb_ev_del(fe->epfd, fe->conn.fd);
	pb_vu_conn_close(&fe->conn);
}

/* Client: try again in reconnect_ms; the timerfd wakes a sleeping app. */
static void schedule_reconnect(struct pb_vhost_frontend *fe)
{
	uint64_t ms = fe->cfg.reconnect_ms;

	if (fe->cfg.server)
		return;
	fe->next_connect_ns = pb_now_ns() + ms * 1000000ULL;
	int err = fe->timerfd >= 0 ? pb_timerfd_arm_ms(fe->timerfd, ms) : 0;
	if (err)
		pb_warn("%s: cannot arm the reconnect timer: %s", fe->path, strerror(-err));
}

/* Run the set-up on a connected socket @fd (taken over). On failure the
 * socket is closed and the rings are left reset. */
static int start_session(struct pb_vhost_frontend *fe, int fd)
{
	int err;

	pb_vu_conn_init(&fe->conn, fd);
	fe->deadline_ns = pb_now_ns() + PB_FE_SETUP_TIMEOUT_MS * 1000000ULL;
	err = pb_vhost_fe_setup(fe);
	if (err) {
		fe->peer_errors++;
		pb_vhost_fe_peer_log(fe, PB_LOG_WARN, "set-up with the back-end failed: %s",
				     strerror(-err));
		fe->setup_failures++;
		drop_conn(fe);
		pb_vhost_fe_reset_rings(fe, false);
		fe->features = 0;
		fe->protocol_features = 0;
		return err;
	}
	/* A hang-up makes the socket readable: it wakes the app, whose
	 * dispatch then notices it. */
	err = pb_ev_add(fe->epfd, fe->conn.fd);
	if (err)
		pb_warn("%s: cannot watch the socket: %s", fe->path, strerror(-err));
	fe->config.status = VIRTIO_NET_S_LINK_UP;
	fe->setup_failures = 0;
	fe->up = true;
	fe->connects++;
	pb_info("%s: back-end up (%s rings, features 0x%llx, protocol features 0x%llx)", fe->path,
		fe->packed ? "packed" : "split", (unsigned long long)fe->features,
		(unsigned long long)fe->protocol_features);
	return 0;
}

static void client_connect(struct pb_vhost_frontend *fe)
{
	int fd = pb_sock_connect(fe->path);

	if (fd < 0) {
		pb_dbg("%s: no back-end yet: %s", fe->path, strerror(-fd));
		schedule_reconnect(fe);
		return;
	}
	if (start_session(fe, fd))
		schedule_reconnect(fe);
}

/* Server: accept pending back-ends. While one is up, others are refused
 * (accepted and closed, so the listening socket stops being readable). */
static void server_accept(struct pb_vhost_frontend *fe)
{
	for (;;) {
		int fd = pb_sock_accept(fe->listen_fd);

		if (fd < 0)
			return;
		if (fe->up) {
			pb_warn("%s: refusing a second back-end", fe->path);
			close(fd);
			continue;
		}
		start_session(fe, fd);
		return; /* one set-up (up to seconds) per dispatch */
	}
}

/* Drop the back-end, without scheduling a reconnect. @stop: it is still
 * there and behaving, ask it to stop the rings first. */
static void end_session(struct pb_vhost_frontend *fe, const char *why, bool stop)
{
	bool was_up = fe->up;

	pb_info("%s: back-end down: %s", fe->path, why);
	if (stop && was_up)
		pb_vhost_fe_stop_rings(fe);
	drop_conn(fe);
	fe->up = false;
	fe->config.status = 0;
	/* Frames in flight are lost; the next back-end gets clean rings.
	 * Not when closing: the memory is about to go, and rewriting rings a
	 * back-end may still be reading would only feed it stale entries. */
	if (!fe->closing)
		pb_vhost_fe_reset_rings(fe, rings_event_idx(fe));
	if (was_up)
		fe->disconnects++;
}

/* The back-end left or misbehaved: no goodbye, just drop it and retry. A
 * misbehaving one is not asked to stop its rings (it would not be
 * believed); see the note on shared memory in frontend.h. */
static void lose_backend(struct pb_vhost_frontend *fe, const char *why, bool peer_error)
{
	if (peer_error)
		fe->peer_errors++;
	end_session(fe, why, false);
	schedule_reconnect(fe);
}

/* Read what the back-end sent unprompted. It has nothing to say on this
 * channel (we never negotiate BACKEND_REQ), so a message is logged and
 * dropped; EOF or a broken stream ends the session. */
static void check_peer(struct pb_vhost_frontend *fe)
{
	struct pb_vu_msg msg;

	for (int n = 0; n < PB_FE_MAX_MSGS_PER_DISPATCH; n++) {
		int r = pb_vu_conn_recv(&fe->conn, &msg);

		if (r == 1) {
			pb_vhost_fe_ignore_msg(fe, &msg);
			continue;
		}
		if (r == 0 || r == -EAGAIN || r == -EINTR)
			return;
		if (r == -ECONNRESET)
			lose_backend(fe, "back-end closed the connection", false);
		else
			lose_backend(fe, "malformed message stream", true);
		return;
	}
}

/* ---- public calls ------------------------------------------------------ */

void pb_vhost_frontend_disconnect(struct pb_vhost_frontend *fe, const char *why)
{
	if (!fe->up && fe->conn.fd < 0)
		return;
	end_session(fe, why ? why : "disconnect", true);
	schedule_reconnect(fe);
}

void pb_vhost_frontend_drop(struct pb_vhost_frontend *fe, const char *why)
{
	if (!fe->up && fe->conn.fd < 0)
		return;
	lose_backend(fe, why ? why : "dropped", true);
}

int pb_vhost_frontend_dispatch(struct pb_vhost_frontend *fe)
{
	if (fe->up)
		check_peer(fe);
	if (fe->up && rings_broken(fe))
		lose_backend(fe, "back-end corrupted a used ring", true);
	for (int i = 0; i < 2; i++)
		pb_eventfd_drain(fe->callfd[i]);
	if (fe->cfg.server) {
		server_accept(fe);
		return 0;
	}
	pb_eventfd_drain(fe->timerfd); /* a timerfd reads like an eventfd */
	if (!fe->up && pb_now_ns() >= fe->next_connect_ns)
		client_connect(fe);
	return 0;
}

/* Check and default the configuration into fe->cfg. */
static int check_cfg(struct pb_vhost_frontend *fe, const struct pb_vhost_frontend_cfg *cfg)
{
	fe->cfg = *cfg;
	if (!cfg->path || strlen(cfg->path) >= sizeof(fe->path))
		return -EINVAL;
	snprintf(fe->path, sizeof(fe->path), "%s", cfg->path);
	fe->cfg.path = fe->path;
	if (cfg->queue_size < 2 || !pb_is_pow2(cfg->queue_size))
		return -EINVAL;
	if (fe->cfg.mtu == 0)
		fe->cfg.mtu = PB_MTU_DEFAULT;
	if (fe->cfg.mtu < PB_MTU_MIN || fe->cfg.mtu > PB_MTU_MAX)
		return -EINVAL;
	if (fe->cfg.features == 0)
		fe->cfg.features = PB_VNET_FEATURES;
	fe->cfg.features = (fe->cfg.features & PB_VNET_FEATURES) | PB_BIT(VIRTIO_F_VERSION_1);
	if (fe->cfg.packed)
		fe->cfg.features |= PB_BIT(VIRTIO_F_RING_PACKED);
	if (fe->cfg.reconnect_ms == 0)
		fe->cfg.reconnect_ms = PB_FE_RECONNECT_MS;
	return 0;
}

/* Kick and call eventfds; the call fds go in epfd (the app sleeps on them). */
static int setup_eventfds(struct pb_vhost_frontend *fe)
{
	for (int i = 0; i < 2; i++) {
		fe->vq[i].kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		fe->pq[i].kickfd = fe->vq[i].kickfd; /* one fd, owned by vq[i] */
		fe->callfd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fe->vq[i].kickfd < 0 || fe->callfd[i] < 0)
			return -errno;
		int err = pb_ev_add(fe->epfd, fe->callfd[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Listen (server), or make the reconnect timer and try a first connect. */
static int setup_socket(struct pb_vhost_frontend *fe)
{
	if (fe->cfg.server) {
		fe->listen_fd = pb_sock_listen(fe->path);
		if (fe->listen_fd < 0) {
			int err = fe->listen_fd;
			fe->listen_fd = -1;
			return err;
		}
		return pb_ev_add(fe->epfd, fe->listen_fd);
	}
	fe->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fe->timerfd < 0)
		return -errno;
	int err = pb_ev_add(fe->epfd, fe->timerfd);
	if (err)
		return err;
	if (fe->cfg.lazy) {
		/* The caller's first dispatch connects (and runs the set-up):
		 * arm the timer so that its fd says so. */
		pb_timerfd_arm_ms(fe->timerfd, 1);
		return 0;
	}
	client_connect(fe);
	return 0;
}

int pb_vhost_frontend_init(struct pb_vhost_frontend *fe, const struct pb_vhost_frontend_cfg *cfg,
			   int epfd)
{
	int err;

	memset(fe, 0, sizeof(*fe));
	fe->epfd = epfd;
	fe->listen_fd = -1;
	fe->timerfd = -1;
	fe->memfd = -1;
	fe->conn.fd = -1;
	fe->vq[0].kickfd = fe->vq[1].kickfd = -1;
	fe->pq[0].kickfd = fe->pq[1].kickfd = -1;
	fe->callfd[0] = fe->callfd[1] = -1;
	err = check_cfg(fe, cfg);
	if (!err)
		err = pb_vhost_fe_setup_memory(fe);
	if (!err)
		err = setup_eventfds(fe);
	if (!err)
		err = setup_socket(fe);
	if (err) {
		pb_warn("%s: front-end init failed: %s", cfg->path ? cfg->path : "(null)",
			strerror(-err));
		pb_vhost_frontend_fini(fe);
	}
	return err;
}

void pb_vhost_frontend_fini(struct pb_vhost_frontend *fe)
{
	struct pb_shm shm = {.fd = fe->memfd, .base = fe->mem, .size = fe->mem_size};

	/* No GET_VRING_BASE handshake: we neither reuse nor reset the rings,
	 * and the back-end's own mapping outlives ours; the hang-up tells it. */
	fe->closing = true;
	if (fe->up || fe->conn.fd >= 0)
		end_session(fe, "closing", false);
	if (fe->listen_fd >= 0) {
		pb_ev_del(fe->epfd, fe->listen_fd);
		pb_close_fd(&fe->listen_fd);
		unlink(fe->path);
	}
	pb_ev_del(fe->epfd, fe->timerfd);
	pb_close_fd(&fe->timerfd);
	for (int i = 0; i < 2; i++) {
		pb_ev_del(fe->epfd, fe->callfd[i]);
		pb_close_fd(&fe->callfd[i]);
		pb_close_fd(&fe->vq[i].kickfd);
		fe->pq[i].kickfd = -1; /* the same fd */
		pb_vq_drv_fini(&fe->vq[i]);
		pb_pq_drv_fini(&fe->pq[i]);
	}
	pb_shm_destroy(&shm);
	fe->memfd = -1;
	fe->mem = NULL;
	fe->mem_size = 0;
}
