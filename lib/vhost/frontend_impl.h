/* SPDX-License-Identifier: MIT */
/*
 * frontend_impl.h - what the two files of the vhost-user front-end share:
 * frontend.c (the connection's life and the public pb_vhost_frontend_*
 * calls) and frontend_setup.c (the conversation with a back-end: the set-up
 * and the goodbye, and the memfd and rings we hand it). Private to
 * lib/vhost/: not installed, not for ports, tests or fuzzers (they use
 * frontend.h).
 */
#ifndef PB_VHOST_FRONTEND_IMPL_H
#define PB_VHOST_FRONTEND_IMPL_H

#include <stdbool.h>

#include "util/log.h"
#include "vhost/frontend.h"

/* Set-up trouble is logged in full the first time; while a client keeps
 * retrying against the same broken back-end, the repeats go to debug. */
#define pb_vhost_fe_peer_log(fe, level, fmt, ...)                                                  \
	pb_log((fe)->setup_failures ? PB_LOG_DEBUG : (level), "%s: " fmt, (fe)->path, ##__VA_ARGS__)

/* ---- the conversation with a back-end (frontend_setup.c) --------------- */

/* The whole set-up on the freshly connected fe->conn; gives up at fe->deadline_ns. */
int pb_vhost_fe_setup(struct pb_vhost_frontend *fe);

/* Ask the back-end to stop both rings (GET_VRING_BASE); best effort, bounded. */
void pb_vhost_fe_stop_rings(struct pb_vhost_frontend *fe);

/* Drop a message the back-end sent unprompted, with its fds; logged once. */
void pb_vhost_fe_ignore_msg(struct pb_vhost_frontend *fe, struct pb_vu_msg *msg);

/* Rewrite both rings in the format of this connection (fe->packed). */
void pb_vhost_fe_reset_rings(struct pb_vhost_frontend *fe, bool event_idx);

/* Create the memfd ([RX ring][TX ring][RX bufs][TX bufs]) and the rings in it. */
int pb_vhost_fe_setup_memory(struct pb_vhost_frontend *fe);

#endif /* PB_VHOST_FRONTEND_IMPL_H */
