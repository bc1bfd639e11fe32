/* SPDX-License-Identifier: MIT */
/*
 * backend_impl.h - what the two files of the vhost-user back-end share:
 * backend.c (the connection's life, and pb_vhost_backend_handle(), which
 * checks each message against the dispatch table) and backend_msgs.c (the
 * handlers of individual messages, and the table). Private to lib/vhost/:
 * not installed, not for ports, tests or fuzzers (they use backend.h).
 */
#ifndef PB_VHOST_BACKEND_IMPL_H
#define PB_VHOST_BACKEND_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "util/log.h"
#include "vhost/backend.h"

/* ---- the dispatch table (backend_msgs.c) -------------------------------- */

enum {
	PB_VHOST_BE_REPLY = 1 << 0, /* always answered with a body (even if not supported) */
	PB_VHOST_BE_MIN = 1 << 1,   /* size is a minimum; the handler checks the rest */
};

#define PB_VHOST_BE_NO_PF (-1)

/* One row per request: the handler (NULL: not supported), the payload size
 * (exact, or the minimum with PB_VHOST_BE_MIN), how many fds it may carry
 * (more is a protocol fault), PB_VHOST_BE_* flags, and the protocol feature
 * that must have been negotiated for it to be served (PB_VHOST_BE_NO_PF:
 * none). A handler returns as the top of backend_msgs.c says. */
struct pb_vhost_be_handler {
	int (*fn)(struct pb_vhost_backend *be, struct pb_vu_msg *m);
	uint16_t size;
	uint8_t max_fds;
	uint8_t flags;
	int8_t pf;
};

/* The table, indexed by request id (an all-zero row: a request we do not know). */
extern const struct pb_vhost_be_handler pb_vhost_be_handlers[VHOST_USER_MAX_REQUEST];

/* Put @v in @m's payload as the reply; returns the reply's payload size. */
int pb_vhost_be_reply_u64(struct pb_vu_msg *m, uint64_t v);

/* ---- helpers the handlers use (backend.c) ------------------------------- */

/* Close *@fd (if >= 0), taking it out of the epoll set first; sets it to -1. */
void pb_vhost_be_close_watched(struct pb_vhost_backend *be, int *fd);

/* True the first time @request has a problem (log at warn), false after (debug). */
bool pb_vhost_be_first_warning(struct pb_vhost_backend *be, uint32_t request);

/* Log a problem with message @m: a warning the first time per request, then debug. */
#define pb_vhost_be_log_once(be, m, fmt, ...)                                                      \
	pb_log(pb_vhost_be_first_warning((be), (m)->hdr.request) ? PB_LOG_WARN : PB_LOG_DEBUG,     \
	       "%s: %s: " fmt, (be)->path, pb_vu_request_name((m)->hdr.request), ##__VA_ARGS__)

/* Log a protocol fault in @m, count it in peer_errors; returns -EPROTO. */
__attribute__((format(printf, 3, 4))) int pb_vhost_be_peer_fault(struct pb_vhost_backend *be,
								 const struct pb_vu_msg *m,
								 const char *fmt, ...);

/* Rings, memory, features, status and config space back to before set-up. */
void pb_vhost_be_device_reset(struct pb_vhost_backend *be);

#endif /* PB_VHOST_BACKEND_IMPL_H */
