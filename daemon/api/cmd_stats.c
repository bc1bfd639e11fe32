/* SPDX-License-Identifier: MIT */
/*
 * cmd_stats.c - the read side: stats, clear, workers, topo, version.
 * Counters are read without stopping anyone: each is written by one thread
 * (the port's owner) and read here with plain loads; a reading may be a
 * burst behind, never torn. Rates are the client's: it has the timestamps.
 */
#include <unistd.h>

#include "common/cmdtab.h"
#include "api/commands.h"
#include "core/bridge.h"
#include "core/mirror.h"

json_t *pbd_cmd_stats(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {"port", NULL};
	struct pbd_port *only = NULL;

	if (!pbd_args_check(args, known, e))
		return NULL;
	if (json_object_get(args, "port") && !(only = pbd_arg_port(pn, args, "port", e)))
		return NULL;
	json_t *ports = json_array();
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		const struct pbd_port *p = pn->port[i];
		if (!p || (only && p != only))
			continue;
		json_t *o = pbd_port_stats_json(p);
		json_object_set_new(o, "name", json_string(p->name));
		json_object_set_new(o, "link", json_string(pbd_port_is_up(p) ? "up" : "down"));
		json_array_append_new(ports, o);
	}
	return json_pack("{s:I, s:o}", "time_ns", (json_int_t)pbd_now_ns(), "ports", ports);
}

json_t *pbd_cmd_clear(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {"port", NULL};
	struct pbd_port *only = NULL;

	if (!pbd_args_check(args, known, e))
		return NULL;
	if (json_object_get(args, "port") && !(only = pbd_arg_port(pn, args, "port", e)))
		return NULL;
	pbd_panel_clear(pn, only);
	return json_object();
}

json_t *pbd_cmd_workers(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {NULL};

	if (!pbd_args_check(args, known, e))
		return NULL;
	json_t *list = json_array();
	for (unsigned i = 0; i < pn->nworkers; i++) {
		const struct pbd_worker *w = &pn->workers[i];
		uint64_t busy = PBD_PEEK(w->busy_ns) - w->base_busy_ns;
		uint64_t poll = PBD_PEEK(w->poll_ns) - w->base_poll_ns;
		uint64_t sleep = PBD_PEEK(w->sleep_ns) - w->base_sleep_ns;
		uint64_t all = busy + poll + sleep;
		json_t *ports = json_array();
		for (unsigned j = 0; j < PBD_MAX_PORTS; j++) {
			const struct pbd_port *p = pn->port[j];
			if (p && PBD_PEEK(p->assigned) == (int)i)
				json_array_append_new(ports, json_string(p->name));
		}
		json_array_append_new(
		    list, json_pack("{s:i, s:i, s:o, s:I, s:I, s:I, s:f, s:f, s:f, s:I, s:I}", "id",
				    (int)i, "cpu", w->cpu, "ports", ports, "busy_ns",
				    (json_int_t)busy, "poll_ns", (json_int_t)poll, "sleep_ns",
				    (json_int_t)sleep, "busy_share", all ? (double)busy / all : 0.0,
				    "poll_share", all ? (double)poll / all : 0.0, "sleep_share",
				    all ? (double)sleep / all : 0.0, "wakeups",
				    (json_int_t)(PBD_PEEK(w->wakeups) - w->base_wakeups), "frames",
				    (json_int_t)(PBD_PEEK(w->frames) - w->base_frames)));
	}
	return json_pack("{s:o, s:I}", "workers", list, "time_ns", (json_int_t)pbd_now_ns());
}

json_t *pbd_cmd_topo(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {NULL};

	if (!pbd_args_check(args, known, e))
		return NULL;
	json_t *nodes = json_array(), *edges = json_array();
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		const struct pbd_port *p = pn->port[i];
		if (!p)
			continue;
		json_t *n = pbd_port_json(pn, p, true);
		json_array_append_new(nodes, n);
		for (unsigned j = 0; p->out && j < p->out->n; j++)
			json_array_append_new(edges, json_pack("{s:s, s:s}", "from", p->name, "to",
							       p->out->port[j]->name));
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:I}", "nodes", nodes, "edges", edges, "bridges",
			 pbd_bridges_summary(pn), "mirrors", pbd_mirrors_json(pn), "time_ns",
			 (json_int_t)pbd_now_ns());
}

json_t *pbd_cmd_version(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {NULL};

	if (!pbd_args_check(args, known, e))
		return NULL;
	return json_pack("{s:s, s:s, s:i, s:i, s:s, s:i, s:I}", "daemon", "patchbayd", "version",
			 pb_version(), "protocol", PBCTL_PROTOCOL, "workers", (int)pn->nworkers,
			 "run_dir", pn->run_dir, "pid", (int)getpid(), "uptime_ns",
			 (json_int_t)(pbd_now_ns() - pn->started_ns));
}
