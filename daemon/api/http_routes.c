/* SPDX-License-Identifier: MIT */
/*
 * http_routes.c - the REST API's resources (docs/openapi.yaml), as a table:
 * a path pattern and a handler per method. Each handler turns the request
 * into a control-protocol request and runs it through pbd_execute(), so the
 * two interfaces cannot drift apart: the same checks, the same errors, the
 * same results. What is HTTP's own is here: status codes, query strings,
 * which body fields a resource takes.
 */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/topo_dot.h"
#include "api/commands.h"
#include "api/http.h"

typedef void (*route_fn)(struct pbd_http_req *rq);

struct route {
	const char *path; /* a trailing '*' matches one path segment: {name} */
	const char *allow;
	struct {
		const char *method;
		route_fn fn;
	} ops[4];
};

/* The control protocol's error codes as HTTP statuses (docs/REST.md). */
static const struct {
	const char *code;
	unsigned status;
} code_status[] = {
    {"unknown_port", 404},  {"no_patch", 404},	      {"port_exists", 409},
    {"port_in_use", 409},   {"patch_exists", 409},    {"full", 409},
    {"system", 500},	    {"unknown_capture", 404}, {"unknown_bridge", 404},
    {"bridge_exists", 409}, {"unknown_entry", 404},   {"entry_exists", 409},
};

static unsigned status_of(const char *code)
{
	for (size_t i = 0; i < sizeof(code_status) / sizeof(code_status[0]); i++)
		if (!strcmp(code_status[i].code, code))
			return code_status[i].status;
	return 400; /* bad_args, bad_name, unknown_type, bad_option, ... */
}

static void answer_json(struct pbd_http_req *rq, unsigned status, json_t *body)
{
	free(rq->text);
	rq->text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	rq->status = status;
	rq->content_type = "application/json";
}

/* Run one control command; on success return its result (a new reference)
 * and leave the answer to the caller, on failure answer the error. */
static json_t *run(struct pbd_http_req *rq, enum pbctl_cmd_id cmd, json_t *args)
{
	json_t *req = pbctl_request_args(cmd, args);
	json_t *rep = pbd_execute(rq->pn, req);
	json_t *res = NULL;

	json_decref(req);
	if (json_is_true(json_object_get(rep, "ok"))) {
		res = json_incref(json_object_get(rep, "result"));
	} else {
		json_t *err = json_object_get(rep, "error");
		const char *code = json_string_value(json_object_get(err, "code"));
		const char *msg = json_string_value(json_object_get(err, "message"));
		code = code ? code : "system";
		pbd_http_error(rq, status_of(code), code, "%s", msg ? msg : "failed");
	}
	json_decref(rep);
	return res;
}

static void run_answer(struct pbd_http_req *rq, enum pbctl_cmd_id cmd, json_t *args, unsigned ok)
{
	json_t *res = run(rq, cmd, args);

	if (res)
		answer_json(rq, ok, ok == 204 ? NULL : res);
	json_decref(res);
}

/* Query parameters: only those in @known, each at most once. */
struct query {
	struct pbd_http_req *rq;
	const char *const *known;
	json_t *vals; /* name -> string */
	bool bad;
};

static enum MHD_Result query_one(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct query *q = cls;
	bool ok = false;

	(void)kind;
	for (unsigned i = 0; q->known[i]; i++)
		ok |= !strcmp(q->known[i], key);
	if (!ok) {
		pbd_http_error(q->rq, 400, "bad_args", "unknown query parameter '%s'", key);
		q->bad = true;
		return MHD_NO;
	}
	if (json_object_get(q->vals, key)) {
		pbd_http_error(q->rq, 400, "bad_args", "query parameter '%s' given twice", key);
		q->bad = true;
		return MHD_NO;
	}
	json_object_set_new(q->vals, key, json_string(value ? value : ""));
	return MHD_YES;
}

/* The query as an object, or NULL (answered 400). */
static json_t *query(struct pbd_http_req *rq, const char *const *known)
{
	struct query q = {rq, known, json_object(), false};

	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, query_one, &q);
	if (q.bad) {
		json_decref(q.vals);
		return NULL;
	}
	return q.vals;
}

/* A boolean query parameter into args[key]: true/false/1/0. */
static bool query_bool(struct pbd_http_req *rq, json_t *q, const char *key, json_t *args)
{
	const char *v = json_string_value(json_object_get(q, key));

	if (!v)
		return true;
	if (!strcmp(v, "true") || !strcmp(v, "1")) {
		json_object_set_new(args, key, json_true());
		return true;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0")) {
		json_object_set_new(args, key, json_false());
		return true;
	}
	pbd_http_error(rq, 400, "bad_args", "query parameter '%s' must be true or false, not '%s'",
		       key, v);
	return false;
}

/* The body as an object whose keys are all in @known; NULL (answered 400)
 * if it is not. No body at all (or an empty one) reads as {}. */
static json_t *body_object(struct pbd_http_req *rq, const char *const *known)
{
	json_error_t je;
	const char *key;
	json_t *v;

	if (!rq->body || rq->body_len == 0)
		return json_object();
	json_t *o = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		pbd_http_error(rq, 400, "bad_json", "malformed JSON at line %d, column %d: %s",
			       je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		pbd_http_error(rq, 400, "bad_request", "the body must be a JSON object");
		return NULL;
	}
	json_object_foreach(o, key, v)
	{
		bool ok = false;
		for (unsigned i = 0; known[i]; i++)
			ok |= !strcmp(known[i], key);
		if (!ok) {
			pbd_http_error(rq, 400, "bad_args", "unknown field '%s' in the body", key);
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static bool no_body(struct pbd_http_req *rq)
{
	if (rq->body && rq->body_len) {
		pbd_http_error(rq, 400, "bad_request", "%s %s takes no body", rq->method, rq->path);
		return false;
	}
	return true;
}

static bool no_query(struct pbd_http_req *rq)
{
	static const char *const none[] = {NULL};
	json_t *q = query(rq, none);

	json_decref(q);
	return q != NULL;
}

/* Handlers that take neither a query nor a body. */
static bool no_input(struct pbd_http_req *rq)
{
	return no_query(rq) && no_body(rq);
}

static void get_version(struct pbd_http_req *rq)
{
	if (no_input(rq))
		run_answer(rq, PBCTL_CMD_VERSION, NULL, 200);
}

static void get_status(struct pbd_http_req *rq)
{
	if (no_input(rq))
		run_answer(rq, PBCTL_CMD_STATUS, NULL, 200);
}

/* GET /v1/ports and /v1/patches: a member of the status. */
static void status_member(struct pbd_http_req *rq, const char *member)
{
	if (!no_input(rq))
		return;
	json_t *res = run(rq, PBCTL_CMD_STATUS, NULL);
	if (!res)
		return;
	json_t *out = json_pack("{s:O}", member, json_object_get(res, member));
	answer_json(rq, 200, out);
	json_decref(out);
	json_decref(res);
}

static void get_ports(struct pbd_http_req *rq)
{
	status_member(rq, "ports");
}

static void get_patches(struct pbd_http_req *rq)
{
	status_member(rq, "patches");
}

static void get_port(struct pbd_http_req *rq)
{
	if (no_input(rq))
		run_answer(rq, PBCTL_CMD_SHOW, json_pack("{s:s}", "port", rq->param), 200);
}

/* PUT is idempotent: the port as asked exists afterwards. Asked again with
 * the same options it is 200 and nothing changes; with others, 409 (a
 * port's options cannot change under its peer). */
static void put_port(struct pbd_http_req *rq)
{
	static const char *const fields[] = {"opts", NULL};
	json_t *b;

	if (!no_query(rq) || !(b = body_object(rq, fields)))
		return;
	json_t *opts = json_object_get(b, "opts");
	if (opts && !json_is_object(opts)) {
		pbd_http_error(rq, 400, "bad_args", "'opts' must be an object of strings");
		json_decref(b);
		return;
	}
	if (pbd_panel_find(rq->pn, rq->param)) {
		json_t *cur = run(rq, PBCTL_CMD_SHOW, json_pack("{s:s}", "port", rq->param));
		json_t *want = opts ? json_incref(opts) : json_object();
		if (cur && json_equal(json_object_get(cur, "opts"), want))
			answer_json(rq, 200, cur);
		else if (cur)
			pbd_http_error(rq, 409, "port_exists",
				       "port %s exists with other options (DELETE it first)",
				       rq->param);
		json_decref(want);
		json_decref(cur);
		json_decref(b);
		return;
	}
	json_t *args = json_pack("{s:s}", "port", rq->param);
	if (opts)
		json_object_set(args, "opts", opts);
	json_decref(b);
	run_answer(rq, PBCTL_CMD_ADD, args, 201);
}

static void delete_port(struct pbd_http_req *rq)
{
	static const char *const known[] = {"force", NULL};
	json_t *q = query(rq, known), *args = json_pack("{s:s}", "port", rq->param);

	if (q && no_body(rq) && query_bool(rq, q, "force", args))
		run_answer(rq, PBCTL_CMD_DEL, json_incref(args), 204);
	json_decref(args);
	json_decref(q);
}

static void post_patch(struct pbd_http_req *rq)
{
	static const char *const fields[] = {"from", "to", "both", NULL};
	json_t *b;

	if (!no_query(rq) || !(b = body_object(rq, fields)))
		return;
	json_t *res = run(rq, PBCTL_CMD_PATCH, json_incref(b));
	if (res) {
		if (!json_object_get(b, "both"))
			json_object_set_new(b, "both", json_false());
		answer_json(rq, 201, b);
	}
	json_decref(res);
	json_decref(b);
}

/* DELETE /v1/patches?from=A[&to=B][&both=true], or ?all=true: a delete of
 * every patch must be asked for by name, never the default of no query. */
static void delete_patches(struct pbd_http_req *rq)
{
	static const char *const known[] = {"from", "to", "both", "all", NULL};
	json_t *q = query(rq, known), *args = json_object();

	if (!q || !no_body(rq) || !query_bool(rq, q, "both", args) ||
	    !query_bool(rq, q, "all", args))
		goto out;
	bool all = json_is_true(json_object_get(args, "all"));
	json_object_del(args, "all");
	if (all) {
		if (json_object_size(q) > 1)
			pbd_http_error(rq, 400, "bad_args", "'all' takes no other parameter");
		else
			run_answer(rq, PBCTL_CMD_RESET, NULL, 204);
		goto out;
	}
	if (!json_object_get(q, "from")) {
		pbd_http_error(rq, 400, "bad_args",
			       "say which patches: ?from=PORT[&to=PORT][&both=true], or ?all=true");
		goto out;
	}
	json_object_set(args, "from", json_object_get(q, "from"));
	if (json_object_get(q, "to"))
		json_object_set(args, "to", json_object_get(q, "to"));
	run_answer(rq, PBCTL_CMD_UNPATCH, json_incref(args), 204);
out:
	json_decref(args);
	json_decref(q);
}

/* GET and DELETE /v1/stats[?port=NAME]: read or clear the counters. */
static void stats(struct pbd_http_req *rq, enum pbctl_cmd_id cmd, unsigned ok)
{
	static const char *const known[] = {"port", NULL};
	json_t *q = query(rq, known);

	if (q && no_body(rq))
		run_answer(rq, cmd, json_incref(q), ok);
	json_decref(q);
}

static void get_stats(struct pbd_http_req *rq)
{
	stats(rq, PBCTL_CMD_STATS, 200);
}

static void delete_stats(struct pbd_http_req *rq)
{
	stats(rq, PBCTL_CMD_CLEAR, 204);
}

static void get_workers(struct pbd_http_req *rq)
{
	if (no_input(rq))
		run_answer(rq, PBCTL_CMD_WORKERS, NULL, 200);
}

/* Graphviz source of a topo result, as `patchbay topo --dot` writes it
 * (without rates: one reading has none). */
static char *topo_dot(json_t *topo)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	pbctl_topo_dot(f, topo, NULL, NULL);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void get_topology(struct pbd_http_req *rq)
{
	static const char *const known[] = {"format", NULL};
	json_t *q = query(rq, known);

	if (!q || !no_body(rq))
		goto out;
	const char *fmt = json_string_value(json_object_get(q, "format"));
	if (fmt && strcmp(fmt, "json") && strcmp(fmt, "dot")) {
		pbd_http_error(rq, 400, "bad_args", "format must be json or dot, not '%s'", fmt);
		goto out;
	}
	bool dot = fmt ? !strcmp(fmt, "dot") : rq->wants_dot;
	json_t *res = run(rq, PBCTL_CMD_TOPO, NULL);
	if (res && dot) {
		free(rq->text);
		rq->text = topo_dot(res);
		rq->status = rq->text ? 200 : 500;
		rq->content_type = "text/vnd.graphviz; charset=utf-8";
	} else if (res) {
		answer_json(rq, 200, res);
	}
	json_decref(res);
out:
	json_decref(q);
}

/* GET /v1/captures: capture show. */
static void get_captures(struct pbd_http_req *rq)
{
	if (no_input(rq))
		run_answer(rq, PBCTL_CMD_CAPTURE, json_pack("{s:s}", "op", "show"), 200);
}

/* POST /v1/captures: start one (to a file: there is no fd to pass here,
 * and no connection to attach it to; DELETE ends it). */
static void post_capture(struct pbd_http_req *rq)
{
	static const char *const fields[] = {"port",	"file", "dir",	  "count",
					     "snaplen", "ring", "buffer", NULL};
	json_t *b;

	if (!no_query(rq) || !(b = body_object(rq, fields)))
		return;
	run_answer(rq, PBCTL_CMD_CAPTURE, b, 201);
}

/* DELETE /v1/captures/{id}: stop it; the answer is its last figures. */
static void delete_capture(struct pbd_http_req *rq)
{
	char *end;
	unsigned long id = strtoul(rq->param, &end, 10);

	if (!no_input(rq))
		return;
	if (*end || !id || id > 0x7fffffff || rq->param[0] < '1' || rq->param[0] > '9') {
		pbd_http_error(rq, 400, "bad_args", "'%s' is not a capture id", rq->param);
		return;
	}
	json_t *res =
	    run(rq, PBCTL_CMD_CAPTURE, json_pack("{s:s, s:I}", "op", "stop", "id", (json_int_t)id));
	if (res)
		answer_json(rq, 200, json_array_get(json_object_get(res, "stopped"), 0));
	json_decref(res);
}

/* GET /v1/bridges: bridge show. */
static void get_bridges(struct pbd_http_req *rq)
{
	if (no_input(rq))
		run_answer(rq, PBCTL_CMD_BRIDGE, json_pack("{s:s}", "op", "show"), 200);
}

/* GET /v1/mirrors: mirror show. */
static void get_mirrors(struct pbd_http_req *rq)
{
	if (no_input(rq))
		run_answer(rq, PBCTL_CMD_MIRROR, json_pack("{s:s}", "op", "show"), 200);
}

/* POST /v1/bridges {name, opts}: bridge add; the answer is the bridge. */
static void post_bridge(struct pbd_http_req *rq)
{
	static const char *const fields[] = {"name", "opts", NULL};
	json_t *b;

	if (!no_query(rq) || !(b = body_object(rq, fields)))
		return;
	json_object_set_new(b, "op", json_string("add"));
	json_t *res = run(rq, PBCTL_CMD_BRIDGE, b);
	if (res)
		answer_json(rq, 201, json_array_get(json_object_get(res, "bridges"), 0));
	json_decref(res);
}

/* DELETE /v1/bridges/{name}[?force=true]: bridge del. */
static void delete_bridge(struct pbd_http_req *rq)
{
	static const char *const known[] = {"force", NULL};
	json_t *q = query(rq, known),
	       *args = json_pack("{s:s, s:s}", "op", "del", "name", rq->param);

	if (q && args && no_body(rq) && query_bool(rq, q, "force", args))
		run_answer(rq, PBCTL_CMD_BRIDGE, json_incref(args), 204);
	else if (!args)
		pbd_http_error(rq, 404, "unknown_bridge", "no such bridge");
	json_decref(args);
	json_decref(q);
}

/* The bridge named by the path's segment: up to its '/'. */
static json_t *bridge_args(struct pbd_http_req *rq)
{
	const char *end = strchr(rq->param, '/');
	int len = end ? (int)(end - rq->param) : (int)strlen(rq->param);

	return json_pack("{s:s, s:s%}", "op", "show", "name", rq->param, (size_t)len);
}

/* Run @cmd's show for the bridge of the path; answer its first bridge's
 * @key (NULL: the bridge itself). */
static void show_one_bridge(struct pbd_http_req *rq, enum pbctl_cmd_id cmd, const char *key)
{
	if (!no_input(rq))
		return;
	json_t *args = bridge_args(rq);
	if (!args) {
		pbd_http_error(rq, 404, "unknown_bridge", "no such bridge");
		return;
	}
	json_t *res = run(rq, cmd, args);
	json_t *b = json_array_get(json_object_get(res, "bridges"), 0);
	if (res)
		answer_json(rq, 200, key ? json_object_get(b, key) : b);
	json_decref(res);
}

/* GET /v1/bridges/{name}: that bridge alone (not a list). */
static void get_bridge(struct pbd_http_req *rq)
{
	show_one_bridge(rq, PBCTL_CMD_BRIDGE, NULL);
}

/* GET /v1/bridges/{name}/fdb: its entries, learned and static. */
static void get_bridge_fdb(struct pbd_http_req *rq)
{
	show_one_bridge(rq, PBCTL_CMD_FDB, "entries");
}

static void get_metrics(struct pbd_http_req *rq)
{
	if (!no_input(rq))
		return;
	free(rq->text);
	rq->text = pbd_metrics_text(rq->pn);
	rq->status = rq->text ? 200 : 500;
	rq->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static const struct route routes[] = {
    {"/v1/version", "GET", {{"GET", get_version}}},
    {"/v1/status", "GET", {{"GET", get_status}}},
    {"/v1/ports", "GET", {{"GET", get_ports}}},
    {"/v1/ports/*",
     "GET, PUT, DELETE",
     {{"GET", get_port}, {"PUT", put_port}, {"DELETE", delete_port}}},
    {"/v1/patches",
     "GET, POST, DELETE",
     {{"GET", get_patches}, {"POST", post_patch}, {"DELETE", delete_patches}}},
    {"/v1/stats", "GET, DELETE", {{"GET", get_stats}, {"DELETE", delete_stats}}},
    {"/v1/workers", "GET", {{"GET", get_workers}}},
    {"/v1/topology", "GET", {{"GET", get_topology}}},
    {"/v1/captures", "GET, POST", {{"GET", get_captures}, {"POST", post_capture}}},
    {"/v1/captures/*", "DELETE", {{"DELETE", delete_capture}}},
    {"/v1/bridges", "GET, POST", {{"GET", get_bridges}, {"POST", post_bridge}}},
    {"/v1/bridges/*", "GET, DELETE", {{"GET", get_bridge}, {"DELETE", delete_bridge}}},
    {"/v1/bridges/*/fdb", "GET", {{"GET", get_bridge_fdb}}},
    {"/v1/mirrors", "GET", {{"GET", get_mirrors}}},
    {"/metrics", "GET", {{"GET", get_metrics}}},
};

/* Does @path match @pattern? A '*' segment takes one non-empty segment,
 * returned in *param (one per pattern). */
static bool match(const char *pattern, const char *path, const char **param)
{
	const char *star = strchr(pattern, '*');

	if (!star)
		return !strcmp(pattern, path);
	size_t head = (size_t)(star - pattern);
	if (strncmp(pattern, path, head) != 0)
		return false;
	const char *seg = path + head, *end = strchr(seg, '/');
	size_t len = end ? (size_t)(end - seg) : strlen(seg);
	if (!len || strcmp(star + 1, seg + len))
		return false;
	*param = seg;
	return true;
}

void pbd_http_route(struct pbd_http_req *rq)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		const char *param = NULL;
		if (!match(r->path, rq->path, &param))
			continue;
		rq->param = param;
		/* HEAD is GET without the body: libmicrohttpd drops it. */
		const char *m = !strcmp(rq->method, "HEAD") ? "GET" : rq->method;
		for (size_t j = 0; j < sizeof(r->ops) / sizeof(r->ops[0]) && r->ops[j].method;
		     j++) {
			if (!strcmp(r->ops[j].method, m)) {
				r->ops[j].fn(rq);
				return;
			}
		}
		rq->allow = r->allow;
		pbd_http_error(rq, 405, "method_not_allowed",
			       "%s is not allowed on %s (allowed: %s)", rq->method, rq->path,
			       r->allow);
		return;
	}
	pbd_http_error(rq, 404, "not_found", "no resource %s (see docs/openapi.yaml)", rq->path);
}
