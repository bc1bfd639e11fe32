/* SPDX-License-Identifier: MIT */
/*
 * be_rig.h - the rig of the vhost-user back-end tests (test_backend_*.c):
 * a back-end attached to one end of a socketpair, and a scripted front-end
 * on the other that sends one request at a time and lets the back-end
 * handle it (dispatch is synchronous, so its reply is already there). The
 * front-end's memory is one memfd holding both rings and some buffers.
 * The real-socket modes (server, client) are in test_backend_sockets.c.
 */
#ifndef PB_TEST_BE_RIG_H
#define PB_TEST_BE_RIG_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <patchbay/patchbay.h>

#include "vhost/backend.h"

/* The front-end's memory: one memfd, both rings and some buffers. */
#define MEM_SIZE     (64 * 1024)
#define MEM_GPA	     0x100000ULL
#define MEM_UVA	     0x7f0000000000ULL
#define QSIZE	     256
#define RING_OFF(q)  ((uint64_t)(q)*16384)
#define DESC_OFF(q)  (RING_OFF(q))
#define AVAIL_OFF(q) (RING_OFF(q) + 4096)
#define USED_OFF(q)  (RING_OFF(q) + 8192)
#define BUF_OFF	     32768

extern const uint8_t test_mac[6];

struct fx {
	struct pb_vhost_backend be;
	struct pb_vu_conn fe; /* the scripted front-end's end */
	int epfd;
	int memfd;
	uint8_t *mem;
	int kick[2];
	int call[2];
	int fds_before;
};

/* Descriptors open in this process (/proc/self/fd). */
int open_fds(void);
/* The back-end's config: test_mac, MTU 1500. */
struct pb_vhost_backend_cfg test_cfg(void);

/* cmocka set-up and teardown: a back-end offering @features (0: the
 * default), attached to the scripted front-end. The teardown checks that
 * every fd the back-end was given or made is closed again. */
int setup_with(void **state, uint64_t features);
int setup(void **state);
int teardown(void **state);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* ---- the scripted front-end -------------------------------------------- */

/* Send a request and let the back-end handle it. */
void request(struct fx *f, uint32_t req, uint32_t flags, const void *payload, uint32_t size,
	     const int *fds, unsigned nfds);
void request_u64(struct fx *f, uint32_t req, uint32_t flags, uint64_t v);
void request_state(struct fx *f, uint32_t req, uint32_t flags, uint32_t index, uint32_t num);
/* The reply to @req, already sent by the back-end (dispatch is synchronous). */
struct pb_vu_msg *reply(struct fx *f, uint32_t req);
uint64_t reply_u64(struct fx *f, uint32_t req);
void assert_no_reply(struct fx *f);
void assert_connected(struct fx *f);
/* The back-end hung up, released that connection, counted @peer_errors. */
void assert_dropped(struct fx *f, uint64_t peer_errors);
void send_mem_table(struct fx *f, uint32_t flags);
void send_vring_fd(struct fx *f, uint32_t req, uint32_t flags, unsigned q, int fd);
void send_vring_addr(struct fx *f, unsigned q);

#define TEST_PROTOCOL_FEATURES                                                                     \
	(PB_BIT(VHOST_USER_PROTOCOL_F_MQ) | PB_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |              \
	 PB_BIT(VHOST_USER_PROTOCOL_F_NET_MTU) | PB_BIT(VHOST_USER_PROTOCOL_F_CONFIG) |            \
	 PB_BIT(VHOST_USER_PROTOCOL_F_STATUS) | PB_BIT(VHOST_USER_PROTOCOL_F_RESET_DEVICE) |       \
	 PB_BIT(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS))

/* ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK */
#define STATUS_DRIVER_UP 0xfu

/* GET_FEATURES, (protocol features,) SET_OWNER, SET_FEATURES. */
void negotiate(struct fx *f, bool protocol);
/* What QEMU does after negotiating: memory, then each ring, then enable. */
void setup_rings(struct fx *f, bool protocol, uint16_t base1);

#endif
