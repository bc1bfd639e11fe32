/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the control protocol's commands on the daemon's side: the
 * dispatch by command id (commands.c) and the handlers, one file per group
 * (cmd_ports.c, cmd_patch.c, cmd_stats.c, cmd_types.c, cmd_save.c). The
 * commands themselves are rows of PBCTL_COMMANDS (common/cmdtab.h). A handler reads its args, calls
 * the panel and builds a result; it changes nothing when it fails.
 */
#ifndef PBD_COMMANDS_H
#define PBD_COMMANDS_H

#include <jansson.h>

#include "common/cmdtab.h"
#include "core/panel.h"

/* A failure: the protocol's error code and a message naming the problem. */
struct pbd_cmd_err {
	const char *code;
	char msg[512];
};

typedef json_t *(*pbd_cmd_fn)(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e);

#define PBD_CONN_MAX_FDS 4 /* file descriptors one request may carry */

/* The control connection a request came on (control.c), for the handlers
 * that need it (capture: a passed fd, and ending with the connection). */
struct pbd_conn {
	uint64_t serial;	   /* unique while the daemon runs, never 0 */
	int fds[PBD_CONN_MAX_FDS]; /* passed with the request (SCM_RIGHTS); a
				      handler that keeps one sets it to -1, the
				      rest are closed after the request */
	unsigned nfds;
};

/* Execute one request (already parsed); returns the reply object. */
json_t *pbd_execute(struct pbd_panel *pn, json_t *req);
/* The same for a request from control connection @conn. */
json_t *pbd_execute_conn(struct pbd_panel *pn, json_t *req, struct pbd_conn *conn);
/* In a handler: the connection of the request, NULL when it came from
 * REST or a --config recipe. */
struct pbd_conn *pbd_cmd_conn(void);
/* A reply for a request that could not be parsed. */
json_t *pbd_error_reply(json_t *id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Helpers for handlers. */
json_t *pbd_fail(struct pbd_cmd_err *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
json_t *pbd_fail_panel(struct pbd_cmd_err *e, enum pbd_err code, const char *msg);
/* The port named by args[key]; NULL (and @e set) if missing or unknown. */
struct pbd_port *pbd_arg_port(struct pbd_panel *pn, json_t *args, const char *key,
			      struct pbd_cmd_err *e);
/* Reject keys of @args not in @known (NULL-terminated). */
bool pbd_args_check(json_t *args, const char *const *known, struct pbd_cmd_err *e);
json_t *pbd_port_json(struct pbd_panel *pn, const struct pbd_port *p, bool with_stats);
json_t *pbd_port_stats_json(const struct pbd_port *p);

/* One handler per row of the command table, pbd_cmd_<name>: a row without
 * its handler does not link. */
#define PBD_CMD_DECLARE(ID, name, ...)                                                             \
	json_t *pbd_cmd_##name(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e);
PBCTL_COMMANDS(PBD_CMD_DECLARE)
#undef PBD_CMD_DECLARE

#endif /* PBD_COMMANDS_H */
