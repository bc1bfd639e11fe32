/* SPDX-License-Identifier: MIT */
/*
 * cmd_ports.c - add, del, status, show: ports and what they look like on
 * the wire of the control protocol.
 */
#include <stdio.h>
#include <string.h>

#include "api/commands.h"
#include "core/bridge.h"
#include "core/mirror.h"
#include "core/capture.h"

static const char *home_text(int home, char *buf, size_t len)
{
	if (home >= 0) {
		snprintf(buf, len, "worker %d", home);
		return buf;
	}
	return home == PBD_HOME_LINK ? "link" : "moving";
}

/*
 * Every counter of the library's list under its own name, then the
 * daemon's view: drops by reason (the library's rx_dropped and the frames
 * lost to a broken peer are one reason to an operator) and faults.
 */
json_t *pbd_port_stats_json(const struct pbd_port *p)
{
	struct pb_port_stats st;
	struct pbd_port_ctr c;

	pbd_port_read_stats(p, &st, &c);
	json_t *o = json_object();
#define FIELD(field, doc) json_object_set_new(o, #field, json_integer((json_int_t)st.field));
	PB_PORT_STATS_FIELDS(FIELD)
#undef FIELD
	json_object_set_new(
	    o, "drops",
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "no_patch", (json_int_t)c.drop_no_patch,
		      "dest_down", (json_int_t)c.drop_dest_down, "no_buffer",
		      (json_int_t)c.drop_no_buffer, "peer_broken",
		      (json_int_t)(c.drop_broken + st.rx_dropped), "too_big",
		      (json_int_t)st.tx_dropped, "tx_ring_full_events", (json_int_t)st.tx_full));
	json_object_set_new(o, "faults", json_integer((json_int_t)c.faults));
	return o;
}

json_t *pbd_port_json(struct pbd_panel *pn, const struct pbd_port *p, bool with_stats)
{
	char buf[32];
	json_t *o = json_pack("{s:s, s:s, s:s}", "name", p->name, "type", p->type->name, "id",
			      pbd_port_id(p));
	int home = PBD_LOAD(p->home);
	bool up = pbd_port_is_up(p);

	(void)pn;
	json_object_set_new(o, "link", json_string(up ? "up" : "down"));
	json_object_set_new(o, "worker", json_integer(PBD_PEEK(p->assigned)));
	json_object_set_new(o, "owner", json_string(home_text(home, buf, sizeof(buf))));
	json_object_set(o, "opts", p->opts);
	json_t *out = json_array();
	const struct pbd_dests *d = p->out;
	for (unsigned i = 0; d && i < d->n; i++)
		json_array_append_new(out, json_string(d->port[i]->name));
	json_object_set_new(o, "patched_to", out);
	if (p->bport) {
		char v[16384];
		pbd_member_vlans_str(p->bport, v, sizeof(v));
		json_object_set_new(o, "bridge", json_string(p->bport->br->name));
		json_object_set_new(o, "vlans", json_string(v));
	}
	p->type->describe(p, o);
	if (with_stats)
		json_object_set_new(o, "stats", pbd_port_stats_json(p));
	return o;
}

json_t *pbd_cmd_add(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {"port", "opts", NULL};
	json_t *name = json_object_get(args, "port"), *opts = json_object_get(args, "opts");
	struct pbd_port *p;

	if (!pbd_args_check(args, known, e))
		return NULL;
	if (!json_is_string(name))
		return pbd_fail(e, "bad_args", "'port' must be a string TYPE:ID");
	if (opts && !json_is_object(opts))
		return pbd_fail(e, "bad_args", "'opts' must be an object of strings");
	json_t *o = opts ? json_deep_copy(opts) : json_object();
	enum pbd_err r = pbd_panel_add(pn, json_string_value(name), o, &p, e->msg, sizeof(e->msg));
	json_decref(o);
	if (r != PBD_OK)
		return pbd_fail_panel(e, r, e->msg);
	return pbd_port_json(pn, p, false);
}

json_t *pbd_cmd_del(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {"port", "force", NULL};
	struct pbd_port *p;

	if (!pbd_args_check(args, known, e) || !(p = pbd_arg_port(pn, args, "port", e)))
		return NULL;
	bool force = json_is_true(json_object_get(args, "force"));
	/* Off its bridge and out of its mirrors first, with --force. */
	const struct pbd_mirror *m = pbd_port_mirror(pn, p);
	if (!force && m)
		return pbd_fail(e, "port_in_use",
				"port %s is in mirror %s: mirror del it first (or del --force)",
				p->name, m->name);
	if (!force && p->bport)
		return pbd_fail(e, "port_in_use",
				"port %s is on bridge %s: detach it first (or del --force)",
				p->name, pbd_port_bridge(p)->name);
	enum pbd_err r;
	while ((m = pbd_port_mirror(pn, p)))
		pbd_mirror_del(pn, (struct pbd_mirror *)m);
	if (p->bport && (r = pbd_bridge_detach(pn, p, e->msg, sizeof(e->msg))) != PBD_OK)
		return pbd_fail_panel(e, r, e->msg);
	/* Its captures end first (listed as stopped: "the port was deleted"). */
	if (force || !pbd_panel_is_patched(pn, p))
		pbd_capture_port_gone(pn, p);
	r = pbd_panel_del(pn, p, force, e->msg, sizeof(e->msg));
	if (r != PBD_OK)
		return pbd_fail_panel(e, r, e->msg);
	return json_object();
}

json_t *pbd_cmd_status(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {NULL};
	json_t *ports = json_array(), *patches = json_array();

	if (!pbd_args_check(args, known, e)) {
		json_decref(ports);
		json_decref(patches);
		return NULL;
	}
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		const struct pbd_port *p = pn->port[i];
		if (!p)
			continue;
		json_array_append_new(ports, pbd_port_json(pn, p, false));
		for (unsigned j = 0; p->out && j < p->out->n; j++)
			json_array_append_new(patches, json_pack("{s:s, s:s}", "from", p->name,
								 "to", p->out->port[j]->name));
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:i, s:s}", "ports", ports, "patches", patches,
			 "bridges", pbd_bridges_summary(pn), "mirrors", pbd_mirrors_json(pn),
			 "workers", (int)pn->nworkers, "run_dir", pn->run_dir);
}

json_t *pbd_cmd_show(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {"port", NULL};
	struct pbd_port *p;

	if (!pbd_args_check(args, known, e) || !(p = pbd_arg_port(pn, args, "port", e)))
		return NULL;
	return pbd_port_json(pn, p, true);
}
