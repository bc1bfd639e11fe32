/* SPDX-License-Identifier: MIT */
/*
 * commands.c - the daemon's command table and the request -> reply frame
 * around every handler: version check, id echoed, errors as
 * {"code","message"}. The codes are listed in docs/CONTROL.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/cmdtab.h"
#include "api/commands.h"
#include "core/log.h"

/* Indexed by command id, one entry per row of the table. */
static const pbd_cmd_fn handlers[PBCTL_CMD_COUNT] = {
#define PBD_CMD_HANDLER(ID, name, ...) [PBCTL_CMD_##ID] = pbd_cmd_##name,
    PBCTL_COMMANDS(PBD_CMD_HANDLER)
#undef PBD_CMD_HANDLER
};

static const char *const panel_codes[] = {
    [PBD_OK] = "ok",
    [PBD_E_BAD_NAME] = "bad_name",
    [PBD_E_UNKNOWN_TYPE] = "unknown_type",
    [PBD_E_BAD_OPTION] = "bad_option",
    [PBD_E_EXISTS] = "port_exists",
    [PBD_E_NO_PORT] = "unknown_port",
    [PBD_E_IN_USE] = "port_in_use",
    [PBD_E_NO_PATCH] = "no_patch",
    [PBD_E_PATCH_EXISTS] = "patch_exists",
    [PBD_E_FULL] = "full",
    [PBD_E_SYSTEM] = "system",
    [PBD_E_NO_BRIDGE] = "unknown_bridge",
    [PBD_E_BRIDGE_EXISTS] = "bridge_exists",
    [PBD_E_NO_ENTRY] = "unknown_entry",
    [PBD_E_ENTRY_EXISTS] = "entry_exists",
};

json_t *pbd_fail(struct pbd_cmd_err *e, const char *code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return NULL;
}

json_t *pbd_fail_panel(struct pbd_cmd_err *e, enum pbd_err code, const char *msg)
{
	if (msg == e->msg) { /* already written where it belongs */
		e->code = panel_codes[code];
		return NULL;
	}
	return pbd_fail(e, panel_codes[code], "%s", msg);
}

static json_t *reply(json_t *id, bool ok)
{
	json_t *r = json_pack("{s:i, s:b}", "v", PBCTL_PROTOCOL, "ok", ok);

	json_object_set(r, "id", id ? id : json_null());
	return r;
}

json_t *pbd_error_reply(json_t *id, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *r = reply(id, false);
	json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code", code, "message", msg));
	return r;
}

bool pbd_args_check(json_t *args, const char *const *known, struct pbd_cmd_err *e)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v)
	{
		bool ok = false;
		for (unsigned i = 0; known[i]; i++)
			ok |= !strcmp(known[i], key);
		if (!ok) {
			pbd_fail(e, "bad_args", "unknown argument '%s'", key);
			return false;
		}
	}
	return true;
}

struct pbd_port *pbd_arg_port(struct pbd_panel *pn, json_t *args, const char *key,
			      struct pbd_cmd_err *e)
{
	json_t *v = json_object_get(args, key);

	if (!json_is_string(v)) {
		pbd_fail(e, "bad_args", "'%s' must name a port (a string)", key);
		return NULL;
	}
	struct pbd_port *p = pbd_panel_find(pn, json_string_value(v));
	if (!p)
		pbd_fail(e, "unknown_port", "no port %s (see 'patchbay status')",
			 json_string_value(v));
	return p;
}

/* Requests run one at a time on the control thread: the one running now. */
static struct pbd_conn *current_conn;

struct pbd_conn *pbd_cmd_conn(void)
{
	return current_conn;
}

json_t *pbd_execute_conn(struct pbd_panel *pn, json_t *req, struct pbd_conn *conn)
{
	current_conn = conn;
	json_t *rep = pbd_execute(pn, req);
	current_conn = NULL;
	return rep;
}

json_t *pbd_execute(struct pbd_panel *pn, json_t *req)
{
	json_t *id = json_object_get(req, "id"), *v = json_object_get(req, "v");
	json_t *cmd = json_object_get(req, "cmd"), *args = json_object_get(req, "args");

	if (!json_is_object(req))
		return pbd_error_reply(NULL, "bad_request", "a request is a JSON object");
	if (v && (!json_is_integer(v) || json_integer_value(v) != PBCTL_PROTOCOL))
		return pbd_error_reply(id, "unsupported_version",
				       "protocol version %lld is not spoken here (this daemon "
				       "speaks %d)",
				       json_is_integer(v) ? (long long)json_integer_value(v) : -1LL,
				       PBCTL_PROTOCOL);
	if (!json_is_string(cmd))
		return pbd_error_reply(id, "bad_request", "'cmd' must be a string");
	if (args && !json_is_object(args))
		return pbd_error_reply(id, "bad_args", "'args' must be an object");
	const struct pbctl_cmd *c = pbctl_cmd_find(json_string_value(cmd));
	if (c) {
		struct pbd_cmd_err e = {NULL, ""};
		json_t *empty = args ? NULL : json_object();
		json_t *res = handlers[c->id](pn, args ? args : empty, &e);
		json_decref(empty);
		if (!res) {
			LOGD("control", "%s failed: %s: %s", c->name, e.code, e.msg);
			return pbd_error_reply(id, e.code ? e.code : "system", "%s", e.msg);
		}
		json_t *r = reply(id, true);
		json_object_set_new(r, "result", res);
		return r;
	}
	return pbd_error_reply(id, "unknown_command", "unknown command '%s'",
			       json_string_value(cmd));
}
