/* SPDX-License-Identifier: MIT */
/*
 * cmd_capture.c - `capture`: start a capture of a port to pcapng, list
 * the captures (op "show"), stop them (op "stop"). The options are checked
 * by common/capture_opts.c, as the CLI checks them; the work is
 * core/capture.c's.
 *
 * A file is opened by the daemon, as its user, and must be named by an
 * absolute path (the CLI makes it so). "-" writes to the file descriptor
 * the client passed with the request (SCM_RIGHTS on the control socket:
 * how `patchbay capture PORT -` gives the daemon its stdout). With
 * "attach": true the capture ends when the control connection it was
 * started on closes, which is how Ctrl-C of the CLI ends it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/capture_opts.h"
#include "api/commands.h"
#include "core/capture.h"

_Static_assert(PBD_CAP_RX == PBCTL_CAP_RX && PBD_CAP_TX == PBCTL_CAP_TX, "directions");

static json_t *find(struct pbd_panel *pn, unsigned id)
{
	json_t *all = pbd_capture_list(pn), *c, *found = NULL;
	size_t i;

	json_array_foreach(all, i, c)
	{
		if (json_integer_value(json_object_get(c, "id")) == (json_int_t)id)
			found = json_incref(c);
	}
	json_decref(all);
	return found;
}

static json_t *start(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {"op",      "port", "file",	 "dir",	   "count",
					    "snaplen", "ring", "buffer", "attach", NULL};
	struct pbctl_capture_opts o;
	struct pbd_conn *conn = pbd_cmd_conn();
	struct pbd_port *p;
	int fd = -1;

	if (!pbd_args_check(args, known, e) || !(p = pbd_arg_port(pn, args, "port", e)))
		return NULL;
	const char *file = json_string_value(json_object_get(args, "file"));
	json_t *attach = json_object_get(args, "attach");
	if (!file)
		return pbd_fail(e, "bad_args",
				"'file' must be a string: an absolute path, or \"-\"");
	if (attach && !json_is_boolean(attach))
		return pbd_fail(e, "bad_args", "'attach' must be true or false");
	if (pbctl_capture_opts_from_json(&o, args, e->msg, sizeof(e->msg)) < 0)
		return pbd_fail_panel(e, PBD_E_BAD_OPTION, e->msg);
	if (!strcmp(file, "-")) {
		if (!conn || !conn->nfds)
			return pbd_fail(
			    e, "bad_args",
			    "file \"-\" writes to a file descriptor passed with the "
			    "request (SCM_RIGHTS on the control socket), and none came");
		if (o.ring_files)
			return pbd_fail(e, "bad_args", "ring= rotates files, not a descriptor");
		fd = conn->fds[0];
		conn->fds[0] = -1; /* ours now */
	} else if (file[0] != '/') {
		return pbd_fail(e, "bad_args", "'file' must be an absolute path, not '%s'", file);
	}
	struct pbd_capture_cfg cfg = {
	    .dir = o.dir,
	    .count = o.count,
	    .snaplen = o.snaplen,
	    .ring_size = o.ring_size,
	    .ring_files = o.ring_files,
	    .buffer = o.buffer,
	};
	uint64_t tie = json_is_true(attach) && conn ? conn->serial : 0;
	unsigned id;
	int r = pbd_capture_start(pn, p, file, fd, &cfg, tie, &id, e->msg, sizeof(e->msg));
	if (r == -EBUSY)
		return pbd_fail_panel(e, PBD_E_FULL, e->msg);
	if (r < 0)
		return pbd_fail_panel(e, PBD_E_SYSTEM, e->msg);
	return find(pn, id);
}

static json_t *stop(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {"op", "id", "port", NULL};
	json_t *id = json_object_get(args, "id"), *out;
	struct pbd_port *p = NULL;

	if (!pbd_args_check(args, known, e))
		return NULL;
	if (id && json_object_get(args, "port"))
		return pbd_fail(e, "bad_args", "give 'id' or 'port', not both");
	if (id && (!json_is_integer(id) || json_integer_value(id) < 1 ||
		   json_integer_value(id) > INT32_MAX))
		return pbd_fail(e, "bad_args", "'id' must be a capture id (see capture show)");
	if (json_object_get(args, "port") && !(p = pbd_arg_port(pn, args, "port", e)))
		return NULL;
	out = json_array();
	unsigned n = pbd_capture_stop(pn, id ? (unsigned)json_integer_value(id) : 0, p, out);
	if (!n && (id || p)) {
		json_decref(out);
		if (id)
			return pbd_fail(e, "unknown_capture", "no capture %lld (see capture show)",
					(long long)json_integer_value(id));
		return pbd_fail(e, "unknown_capture", "no capture of %s (see capture show)",
				p->name);
	}
	return json_pack("{s:o}", "stopped", out);
}

json_t *pbd_cmd_capture(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	json_t *op = json_object_get(args, "op");
	const char *s = op ? json_string_value(op) : "start";

	if (!s)
		return pbd_fail(e, "bad_args", "'op' must be \"start\", \"show\" or \"stop\"");
	if (!strcmp(s, "start"))
		return start(pn, args, e);
	if (!strcmp(s, "stop"))
		return stop(pn, args, e);
	if (!strcmp(s, "show")) {
		static const char *const known[] = {"op", NULL};
		if (!pbd_args_check(args, known, e))
			return NULL;
		return json_pack("{s:o}", "captures", pbd_capture_list(pn));
	}
	return pbd_fail(e, "bad_args", "'op' must be \"start\", \"show\" or \"stop\", not '%s'", s);
}
