/* SPDX-License-Identifier: MIT */
/*
 * control.h - the control socket: accepts clients, frames their requests
 * (one JSON object per line), and answers each with one line. The work is
 * in commands.c; nothing here knows a command.
 *
 * Access control is the socket file's: mode 0660 in a run directory of mode
 * 0770, so the daemon's user and its group (--group) may connect, nobody
 * else (docs/CONTROL.md).
 */
#ifndef PBD_CONTROL_H
#define PBD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "api/commands.h"
#include "core/panel.h"

#define PBD_CTL_MAX_CLIENTS 64

struct pbd_ctl_client {
	int fd;
	char *buf; /* PBCTL_MAX_LINE + 1 */
	size_t len;
	bool discarding; /* the current line is over the limit: skip to its end */
	uint64_t serial; /* which connection this is (captures end with it) */
	/* File descriptors received (SCM_RIGHTS) and not yet given to a
	 * request: each belongs to the line holding byte fd_at[i] of buf. */
	int fds[PBD_CONN_MAX_FDS];
	size_t fd_at[PBD_CONN_MAX_FDS];
	unsigned nfds;
};

struct pbd_control {
	struct pbd_panel *pn;
	int listen_fd;
	int epfd;
	char path[108];
	struct pbd_ctl_client client[PBD_CTL_MAX_CLIENTS];
	uint64_t serials; /* the last connection's serial */
};

/* epoll tags (data.u64) the control socket registers in the main loop. */
#define PBD_TAG_LISTEN 1ull
#define PBD_TAG_CLIENT (2ull << 32) /* | client index */

/* Listen on @path (an existing socket with no daemon behind it is
 * replaced; a live one is -EADDRINUSE). Returns 0 or -errno. */
int pbd_control_open(struct pbd_control *c, struct pbd_panel *pn, const char *path, int epfd);
void pbd_control_event(struct pbd_control *c, uint64_t tag);
void pbd_control_close(struct pbd_control *c);

#endif /* PBD_CONTROL_H */
