/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctl_request.c - libFuzzer harness for patchbayd's control protocol:
 * one request line, as a client would send it, parsed (jansson) and
 * executed by the daemon's own executor against a live panel (one worker,
 * the link thread) that starts with two null: ports and a patch.
 *
 * To keep the harness off the file system, "add" is executed only for
 * null: ports (the other types make sockets, taps and files); everything
 * else runs as sent. Checked, for every input:
 *  - no memory error, UB or leak (ASan/UBSan/LSan);
 *  - every reply is an object with "v" 1 and a boolean "ok"; a failure has
 *    an error object with a non-empty "code" and "message"; a success has a
 *    "result";
 *  - the panel stays consistent: every patch joins two existing ports,
 *    every bridged port is in its bridge's list and has no patch.
 * (At most 8 bridges are made: each holds a table of its own.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/commands.h"
#include "core/bridge.h"
#include "core/log.h"
#include "core/panel.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pbd_panel pn;

static void run(const char *line)
{
	json_t *req = json_loads(line, 0, NULL);
	json_t *rep = pbd_execute(&pn, req);
	json_decref(req);
	json_decref(rep);
}

static void start_panel(void)
{
	static bool started;
	char dir[] = "/tmp/pb-fuzz-ctl.XXXXXX";

	if (started)
		return;
	started = true;
	pbd_log_init(false, PB_LOG_ERR);
	CHECK(mkdtemp(dir) != NULL);
	CHECK(pbd_panel_start(&pn, dir, 1, NULL, 50) == 0);
	run("{\"cmd\":\"add\",\"args\":{\"port\":\"null:a\",\"opts\":{\"size\":\"64\",\"rate\":"
	    "\"1000\"}}}");
	run("{\"cmd\":\"add\",\"args\":{\"port\":\"null:b\"}}");
	run("{\"cmd\":\"patch\",\"args\":{\"from\":\"null:a\",\"to\":\"null:b\"}}");
}

/* Only null: ports may be added here (see the top). */
static bool allowed(json_t *req)
{
	json_t *cmd = json_object_get(req, "cmd");
	json_t *port = json_object_get(json_object_get(req, "args"), "port");

	if (json_is_string(cmd) && !strcmp(json_string_value(cmd), "bridge")) {
		unsigned n = 0; /* each holds its table: a few, so memory stays bounded */
		for (const struct pbd_bridge *b = pn.bridges; b; b = b->next)
			n++;
		return n < 8;
	}
	if (!json_is_string(cmd) || strcmp(json_string_value(cmd), "add") != 0)
		return true;
	if (pn.nports >= 32)
		return false;
	return !json_is_string(port) || strncmp(json_string_value(port), "null:", 5) == 0;
}

static void check_reply(json_t *rep)
{
	CHECK(json_is_object(rep));
	CHECK(json_integer_value(json_object_get(rep, "v")) == 1);
	json_t *ok = json_object_get(rep, "ok");
	CHECK(json_is_boolean(ok));
	if (json_is_true(ok)) {
		CHECK(json_object_get(rep, "result") != NULL);
		return;
	}
	json_t *e = json_object_get(rep, "error");
	CHECK(json_is_object(e));
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	CHECK(code && *code && msg && *msg);
}

static void check_panel(void)
{
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		const struct pbd_port *p = pn.port[i];
		if (!p)
			continue;
		CHECK(p->slot == i);
		if (p->bport) { /* on a bridge of the list, in its slot, and unpatched */
			const struct pbd_bridge *b = pn.bridges;
			while (b && b != p->bport->br)
				b = b->next;
			CHECK(b && b->members->m[p->bport->slot] == p->bport);
			CHECK(!p->out || !p->out->n);
		}
		for (unsigned j = 0; p->out && j < p->out->n; j++) {
			const struct pbd_port *q = p->out->port[j];
			CHECK(q && pn.port[q->slot] == q);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t err;

	start_panel();
	json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
	if (!req)
		return 0; /* control.c answers bad_json without calling the executor */
	if (allowed(req)) {
		json_t *rep = pbd_execute(&pn, req);
		check_reply(rep);
		json_decref(rep);
	}
	json_decref(req);
	check_panel();
	return 0;
}
