/* SPDX-License-Identifier: MIT */
/*
 * cmd_bridge.c - `bridge` (add, del, attach, detach, show) and `fdb`
 * (show, add, del): the request's words checked and handed to
 * core/bridge.c, which does the work. The request shapes are in
 * common/bridge_args.h and docs/CONTROL.md.
 */
#include <string.h>

#include "api/commands.h"
#include "core/bridge.h"
#include "core/mirror.h"

static const char *str_arg(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

static struct pbd_bridge *arg_bridge(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	const char *name = str_arg(args, "name");

	if (!name)
		return pbd_fail(e, "bad_args", "'name' must name a bridge (a string)"), NULL;
	struct pbd_bridge *br = pbd_bridge_find(pn, name);
	if (!br)
		pbd_fail(e, "unknown_bridge", "no bridge %s (see 'patchbay bridge show')", name);
	return br;
}

/* args.opts into *@opts: an object (of strings, checked by the parsers),
 * or NULL when absent; false (and @e set) when it is not an object. */
static bool arg_opts(json_t *args, json_t **opts, struct pbd_cmd_err *e)
{
	*opts = json_object_get(args, "opts");
	if (*opts && !json_is_object(*opts))
		return pbd_fail(e, "bad_args", "'opts' must be an object"), false;
	return true;
}

static json_t *bridges_json(struct pbd_panel *pn, const struct pbd_bridge *only)
{
	json_t *list = json_array();

	for (const struct pbd_bridge *b = pn->bridges; b; b = b->next)
		if (!only || b == only)
			json_array_insert_new(list, 0, pbd_bridge_json(b)); /* oldest first */
	return json_pack("{s:o}", "bridges", list);
}

json_t *pbd_cmd_bridge(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {"op", "name", "port", "opts", "force", NULL};
	const char *op = str_arg(args, "op");
	struct pbd_bridge *br = NULL;
	struct pbd_port *p = NULL;
	enum pbd_err r;

	if (!pbd_args_check(args, known, e))
		return NULL;
	if (!op || !strcmp(op, "show")) {
		if (str_arg(args, "name") && !(br = arg_bridge(pn, args, e)))
			return NULL;
		return bridges_json(pn, br);
	}
	json_t *opts;
	if (!arg_opts(args, &opts, e))
		return NULL;
	if (!strcmp(op, "add")) {
		struct pbd_bridge_conf c;
		const char *name = str_arg(args, "name");
		if (!name)
			return pbd_fail(e, "bad_args", "'name' must be a string");
		if (pbd_bridge_conf_parse(opts, &c, e->msg, sizeof(e->msg)) < 0)
			return pbd_fail_panel(e, PBD_E_BAD_OPTION, e->msg);
		if ((r = pbd_bridge_add(pn, name, &c, e->msg, sizeof(e->msg))) != PBD_OK)
			return pbd_fail_panel(e, r, e->msg);
		return bridges_json(pn, pbd_bridge_find(pn, name));
	}
	if (!strcmp(op, "del")) {
		if (!(br = arg_bridge(pn, args, e)))
			return NULL;
		bool force = json_is_true(json_object_get(args, "force"));
		if ((r = pbd_bridge_del(pn, br, force, e->msg, sizeof(e->msg))) != PBD_OK)
			return pbd_fail_panel(e, r, e->msg);
		return json_object();
	}
	if (!strcmp(op, "attach")) {
		struct pbd_member_conf c;
		if (!(br = arg_bridge(pn, args, e)) || !(p = pbd_arg_port(pn, args, "port", e)))
			return NULL;
		if (pbd_member_conf_parse(opts, br->max_macs, &c, e->msg, sizeof(e->msg)) < 0)
			return pbd_fail_panel(e, PBD_E_BAD_OPTION, e->msg);
		const struct pbd_mirror *m = pbd_port_mirror(pn, p);
		if (m && m->dst == p)
			return pbd_fail(
			    e, "port_in_use",
			    "port %s is the destination of mirror %s: it cannot be bridged",
			    p->name, m->name);
		if ((r = pbd_bridge_attach(pn, br, p, &c, e->msg, sizeof(e->msg))) != PBD_OK)
			return pbd_fail_panel(e, r, e->msg);
		pbd_mirrors_follow(pn); /* to the bridge's worker: its mirrors too */
		return json_object();
	}
	if (!strcmp(op, "detach")) {
		if (!(p = pbd_arg_port(pn, args, "port", e)))
			return NULL;
		if (str_arg(args, "name")) {
			if (!(br = arg_bridge(pn, args, e)))
				return NULL;
			if (pbd_port_bridge(p) != br)
				return pbd_fail(e, "unknown_port", "port %s is not on bridge %s",
						p->name, br->name);
		}
		if ((r = pbd_bridge_detach(pn, p, e->msg, sizeof(e->msg))) != PBD_OK)
			return pbd_fail_panel(e, r, e->msg);
		return json_object();
	}
	return pbd_fail(e, "bad_args", "unknown op '%s' (add, del, attach, detach, show)", op);
}

/* args.mac and opts.vlan (absent: 0, the bridge's default for the port). */
static bool arg_mac_vlan(json_t *args, json_t *opts, uint8_t mac[6], uint16_t *vid,
			 struct pbd_cmd_err *e)
{
	const char *m = str_arg(args, "mac");
	const char *v = opts ? str_arg(opts, "vlan") : NULL;
	const char *key;
	json_t *val;

	json_object_foreach(opts, key, val)
	{
		if (strcmp(key, "vlan"))
			return pbd_fail(e, "bad_option",
					"unknown option '%s' for fdb (known: vlan)", key),
			       false;
	}
	if (!m || pbd_mac_parse(m, mac) < 0)
		return pbd_fail(e, "bad_option",
				"bad MAC '%s': expected six hex pairs, as 02:00:00:00:00:01",
				m ? m : "(none)"),
		       false;
	*vid = 0;
	if (v && pbd_vlan_parse(v, vid) < 0)
		return pbd_fail(e, "bad_option",
				"option vlan=%s: expected a VLAN 1..4094 (0 and 4095 are reserved)",
				v),
		       false;
	return true;
}

json_t *pbd_cmd_fdb(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {"op", "name", "mac", "port", "opts", NULL};
	const char *op = str_arg(args, "op");
	struct pbd_bridge *br = NULL;
	uint8_t mac[6];
	uint16_t vid;
	enum pbd_err r;

	if (!pbd_args_check(args, known, e))
		return NULL;
	if (!op || !strcmp(op, "show")) {
		if (str_arg(args, "name") && !(br = arg_bridge(pn, args, e)))
			return NULL;
		json_t *list = json_array();
		for (const struct pbd_bridge *b = pn->bridges; b; b = b->next) {
			if (br && b != br)
				continue;
			json_array_insert_new(list, 0,
					      json_pack("{s:s, s:o}", "bridge", b->name, "entries",
							pbd_bridge_fdb_json(b)));
		}
		return json_pack("{s:o}", "bridges", list);
	}
	json_t *opts;
	if (!arg_opts(args, &opts, e))
		return NULL;
	if (strcmp(op, "add") && strcmp(op, "del"))
		return pbd_fail(e, "bad_args", "unknown op '%s' (show, add, del)", op);
	if (!(br = arg_bridge(pn, args, e)) || !arg_mac_vlan(args, opts, mac, &vid, e))
		return NULL;
	if (!strcmp(op, "add")) {
		struct pbd_port *p = pbd_arg_port(pn, args, "port", e);
		if (!p)
			return NULL;
		r = pbd_fdb_static_add(pn, br, mac, vid, p, e->msg, sizeof(e->msg));
	} else {
		if (json_object_get(args, "port"))
			return pbd_fail(e, "bad_args", "fdb del takes no port");
		r = pbd_fdb_static_del(pn, br, mac, vid, e->msg, sizeof(e->msg));
	}
	if (r != PBD_OK)
		return pbd_fail_panel(e, r, e->msg);
	return json_object();
}
