/* SPDX-License-Identifier: MIT */
/*
 * fe_rig.h - the rig of the vhost-user front-end tests (test_frontend_*.c):
 * a scripted fake back-end running in a thread on a socket in a temp dir.
 *
 * The fake records every request, keeps the fds it is given, answers as the
 * script says, and posts `ready` when the device would be ready by DPDK's
 * rule (both rings: addresses, kick, call, enabled; DRIVER_OK if STATUS).
 * The tests then look at what it was given: the message sequence, the memfd
 * (size, seals, contents through our own mapping of it), the acks.
 */
#ifndef PB_TEST_FE_RIG_H
#define PB_TEST_FE_RIG_H

#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

#include <patchbay/patchbay.h>

#include "util/sock.h"
#include "vhost/codec.h"
#include "vhost/frontend.h"

#define QSIZE	  64
#define MAX_REQS  64
#define MAX_SESS  3
#define STATUS_OK 4u /* DRIVER_OK */

#define ALL_PF                                                                                     \
	(PB_BIT(VHOST_USER_PROTOCOL_F_MQ) | PB_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |              \
	 PB_BIT(VHOST_USER_PROTOCOL_F_NET_MTU) | PB_BIT(VHOST_USER_PROTOCOL_F_CONFIG) |            \
	 PB_BIT(VHOST_USER_PROTOCOL_F_STATUS) | PB_BIT(VHOST_USER_PROTOCOL_F_BACKEND_REQ))
#define DPDK_LIKE_F                                                                                \
	(PB_BIT(VIRTIO_F_VERSION_1) | PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES) |                     \
	 PB_BIT(VIRTIO_NET_F_MRG_RXBUF) | PB_BIT(VIRTIO_RING_F_EVENT_IDX) |                        \
	 PB_BIT(VIRTIO_NET_F_MTU) | PB_BIT(VIRTIO_NET_F_MAC) | PB_BIT(VIRTIO_F_RING_PACKED) |      \
	 PB_BIT(VIRTIO_NET_F_CTRL_VQ))

/* What one session of the fake was given. */
struct rec {
	uint32_t req[MAX_REQS];
	uint32_t flags[MAX_REQS];
	int n;
	uint64_t features, pf, status, mtu;
	bool got_features, got_pf, got_mtu;
	uint32_t nregions;
	struct pb_vu_mem_region region;
	int memfd;
	uint32_t num[2], base[2];
	struct pb_vu_vring_addr addr[2];
	bool has_addr[2], enabled[2], stopped[2];
	int kickfd[2], callfd[2];
	bool ready;
};

struct fake {
	/* script */
	uint64_t features, pf;
	uint32_t silent_request;      /* never answered, nor anything after it */
	uint32_t features_reply_size; /* 0: the right 8 */
	uint32_t reply_delay_ms;      /* before every reply */
	uint32_t nack_request;
	bool have_config;
	struct virtio_net_config config;
	bool is_client; /* connect to the front-end (it listens) */
	int sessions;
	bool unsolicited; /* send a stray message once ready */
	/* running */
	char dir[64], path[108];
	int listen_fd;
	pthread_t thr;
	atomic_bool close_now;
	atomic_bool quit;
	sem_t ready, ended;
	int cur;
	struct rec rec[MAX_SESS];
};

/* ---- log capture ------------------------------------------------------- */

/* The log hook every test program installs (pb_set_log); log_has() looks
 * for @s in everything logged so far. */
__attribute__((format(printf, 2, 0))) void capture_log(enum pb_log_level level, const char *fmt,
						       va_list ap);
bool log_has(const char *s);

/* ---- the fake back-end ------------------------------------------------- */

/* Failures the fake counted in its thread (fake_finish() asserts none). */
extern atomic_int fake_errors;

void rec_init(struct rec *r);
/* The fake's thread: serves f->sessions sessions, one after the other. */
void *fake_main(void *arg);
/* Make the temp dir; a server fake listens now, before the front-end. */
void fake_prepare(struct fake *f);
void fake_finish(struct fake *f);
bool sem_wait_ms(sem_t *s, int ms);

/* ---- helpers on the front-end side ------------------------------------- */

/* Open descriptors of this process: fini must give back all of ours. */
int count_fds(void);
struct pb_vhost_frontend_cfg make_cfg(const char *path, bool server);
/* Sleep in epoll as an app would, dispatching, until fe->up == @want. */
bool dispatch_until(struct pb_vhost_frontend *fe, int epfd, bool want, int ms);

/* The memfd the back-end was given, mapped as the back-end would. */
struct view {
	uint8_t *base;
	size_t size;
	uint64_t uaddr;
};

void *xlate(const struct view *v, uint64_t addr, size_t len);
/* Map the memfd @r was given, checking its size and seals. */
struct view map_region(const struct rec *r);
/* Through the back-end's own mapping: ring @i as handed over. */
void check_ring(const struct rec *r, const struct view *v, int i, bool rx);
/* The first request @req in @r at or after @from, or -1. */
int find_req(const struct rec *r, uint32_t req, int from);

#endif
