/* SPDX-License-Identifier: MIT */
/*
 * show.c - the renderers for status, show, stats, workers and version, and
 * pbc_run(), which builds the request from the shared command table, sends
 * it and picks the renderer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdtab.h"
#include "show.h"

const char *pbc_human(double v, char *buf, size_t len)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* A port's one-line detail, by type. */
static void detail(json_t *p, char *buf, size_t len)
{
	const char *type = str(p, "type");

	if (!strcmp(type, "vhost") || !strcmp(type, "virtio"))
		snprintf(buf, len, "%s (%s%s%s)", str(p, "path"), str(p, "socket"),
			 !strcmp(str(p, "ring"), "none") ? "" : ", ",
			 !strcmp(str(p, "ring"), "none") ? "" : str(p, "ring"));
	else if (!strcmp(type, "tap"))
		snprintf(buf, len, "%s%s%s%s%s", str(p, "ifname"), *str(p, "netns") ? " in " : "",
			 str(p, "netns"), *str(p, "addr") ? " " : "", str(p, "addr"));
	else if (!strcmp(type, "pcap"))
		snprintf(buf, len, "%s%s%s", *str(p, "rx") ? "replays " : "", str(p, "rx"),
			 json_is_true(json_object_get(p, "writing")) ? " writes a file" : "");
	else if (!strcmp(type, "null"))
		snprintf(buf, len, "%s", str(p, "mode"));
	else
		buf[0] = 0;
}

static void join_names(json_t *arr, char *buf, size_t len)
{
	size_t i, n = 0;
	json_t *v;

	buf[0] = 0;
	json_array_foreach(arr, i, v)
	{
		int k = snprintf(buf + n, len - n, "%s%s", i ? "," : "", json_string_value(v));
		if (k < 0 || (size_t)k >= len - n)
			break;
		n += (size_t)k;
	}
	if (!n)
		snprintf(buf, len, "-");
}

void pbc_show_status(json_t *r)
{
	json_t *ports = json_object_get(r, "ports"), *p;
	size_t i;
	char to[256], d[512];

	printf("run dir %s, %lld worker(s), %zu port(s), %zu patch(es)\n", str(r, "run_dir"),
	       num(r, "workers"), json_array_size(ports),
	       json_array_size(json_object_get(r, "patches")));
	if (!json_array_size(ports)) {
		printf("no ports: add one with `patchbay add vhost:1`\n");
		return;
	}
	printf("%-20s %-5s %-6s %-24s %s\n", "PORT", "LINK", "WORKER", "PATCHED TO", "DETAIL");
	json_array_foreach(ports, i, p)
	{
		join_names(json_object_get(p, "patched_to"), to, sizeof(to));
		if (json_object_get(p, "bridge")) /* switched, not patched */
			snprintf(to, sizeof(to), "bridge %s (vlans %s)", str(p, "bridge"),
				 str(p, "vlans"));
		detail(p, d, sizeof(d));
		printf("%-20s %-5s %-6lld %-24s %s\n", str(p, "name"), str(p, "link"),
		       num(p, "worker"), to, d);
	}
	size_t nb = json_array_size(json_object_get(r, "bridges"));
	size_t nm = json_array_size(json_object_get(r, "mirrors"));
	if (nb || nm)
		printf(
		    "%zu bridge(s) (patchbay bridge show), %zu mirror(s) (patchbay mirror show)\n",
		    nb, nm);
}

static void show_counters(json_t *s)
{
	json_t *drops = json_object_get(s, "drops");

	printf("  rx           %lld frames, %lld bytes\n", num(s, "rx_frames"), num(s, "rx_bytes"));
	printf("  tx           %lld frames, %lld bytes\n", num(s, "tx_frames"), num(s, "tx_bytes"));
	printf("  drops        no patch %lld, destination down %lld, no buffer at the peer %lld,\n"
	       "               peer broken %lld, too big %lld\n",
	       num(drops, "no_patch"), num(drops, "dest_down"), num(drops, "no_buffer"),
	       num(drops, "peer_broken"), num(drops, "too_big"));
	printf("  peer         %lld connects, %lld disconnects, %lld protocol errors, "
	       "%lld memory faults\n",
	       num(s, "connects"), num(s, "disconnects"), num(s, "peer_errors"), num(s, "faults"));
}

void pbc_show_port(json_t *r)
{
	static const char *const skip[] = {"name", "stats", "opts", "patched_to", NULL};
	const char *key;
	json_t *v;
	char to[256];

	printf("%s\n", str(r, "name"));
	json_object_foreach(r, key, v)
	{
		bool skipped = false;
		for (unsigned i = 0; skip[i]; i++)
			skipped |= !strcmp(skip[i], key);
		if (skipped)
			continue;
		if (!strcmp(key, "features"))
			printf("  %-12s 0x%llx\n", key, (unsigned long long)json_integer_value(v));
		else if (json_is_string(v))
			printf("  %-12s %s\n", key, json_string_value(v));
		else if (json_is_integer(v))
			printf("  %-12s %lld\n", key, (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			printf("  %-12s %s\n", key, json_is_true(v) ? "yes" : "no");
	}
	json_object_foreach(json_object_get(r, "opts"), key, v)
	    printf("  option       %s=%s\n", key, json_string_value(v));
	join_names(json_object_get(r, "patched_to"), to, sizeof(to));
	printf("  patched to   %s\n", to);
	show_counters(json_object_get(r, "stats"));
}

static long long drops_total(json_t *s)
{
	json_t *d = json_object_get(s, "drops");
	return num(d, "no_patch") + num(d, "dest_down") + num(d, "no_buffer") +
	       num(d, "peer_broken") + num(d, "too_big");
}

void pbc_show_stats(json_t *r)
{
	json_t *p;
	size_t i;

	printf("%-20s %-5s %14s %16s %14s %16s %12s\n", "PORT", "LINK", "RX-FRAMES", "RX-BYTES",
	       "TX-FRAMES", "TX-BYTES", "DROPS");
	json_array_foreach(json_object_get(r, "ports"), i, p)
	    printf("%-20s %-5s %14lld %16lld %14lld %16lld %12lld\n", str(p, "name"),
		   str(p, "link"), num(p, "rx_frames"), num(p, "rx_bytes"), num(p, "tx_frames"),
		   num(p, "tx_bytes"), drops_total(p));
}

void pbc_show_workers(json_t *r)
{
	json_t *w;
	size_t i;
	char ports[256];

	printf("%-6s %-4s %6s %6s %6s %10s %14s  %s\n", "WORKER", "CPU", "BUSY", "POLL", "SLEEP",
	       "WAKEUPS", "FRAMES", "PORTS");
	json_array_foreach(json_object_get(r, "workers"), i, w)
	{
		char cpu[8];
		join_names(json_object_get(w, "ports"), ports, sizeof(ports));
		if (num(w, "cpu") >= 0)
			snprintf(cpu, sizeof(cpu), "%lld", num(w, "cpu"));
		else
			snprintf(cpu, sizeof(cpu), "-");
		printf("%-6lld %-4s %5.1f%% %5.1f%% %5.1f%% %10lld %14lld  %s\n", num(w, "id"), cpu,
		       100 * json_real_value(json_object_get(w, "busy_share")),
		       100 * json_real_value(json_object_get(w, "poll_share")),
		       100 * json_real_value(json_object_get(w, "sleep_share")), num(w, "wakeups"),
		       num(w, "frames"), ports);
	}
}

/* What the renderer of the command being shown may read: its view, and
 * the exit status it sets when showing fails (save: the file). */
const struct pbc_view *pbc_show_view;
int pbc_show_status_code;

void pbc_show_types(json_t *r)
{
	json_t *t, *o;
	size_t i, j;

	json_array_foreach(json_object_get(r, "types"), i, t)
	{
		printf("%-8s %s\n", str(t, "name"), str(t, "summary"));
		json_array_foreach(json_object_get(t, "options"), j, o)
		    printf("  %-14s %s\n", str(o, "name"), str(o, "help"));
	}
}

void pbc_show_save(json_t *r)
{
	const char *recipe = str(r, "recipe");
	const char *file = pbc_show_view ? pbc_show_view->file : NULL;
	FILE *f = file && strcmp(file, "-") ? fopen(file, "w") : stdout;

	pbc_show_status_code = 0;
	if (!f || fputs(recipe, f) < 0 || (f != stdout && fclose(f) != 0)) {
		fprintf(stderr, "patchbay: save: cannot write %s\n", file ? file : "stdout");
		pbc_show_status_code = 1;
	}
}

void pbc_show_capture(json_t *r)
{
	json_t *list = json_object_get(r, "captures"), *cap;
	size_t i;

	if (pbc_show_view && pbc_show_view->json) {
		char *text = json_dumps(r, JSON_INDENT(2));
		printf("%s\n", text ? text : "null");
		free(text);
		return;
	}
	if (!list && json_object_get(r, "stopped")) {
		json_array_foreach(json_object_get(r, "stopped"), i, cap)
		    pbc_capture_summary(stdout, cap);
		return;
	}
	if (!list) { /* started in the background */
		printf("capture %lld: %s (%s) to %s; `patchbay capture stop %lld` ends it\n",
		       num(r, "id"), str(r, "port"), str(r, "dir"), str(r, "file"), num(r, "id"));
		return;
	}
	if (!json_array_size(list)) {
		printf("no captures\n");
		return;
	}
	printf("%-4s %-20s %-4s %-8s %12s %14s %10s  %s\n", "ID", "PORT", "DIR", "STATE", "FRAMES",
	       "BYTES", "DROPPED", "FILE");
	json_array_foreach(list, i, cap)
	{
		printf("%-4lld %-20s %-4s %-8s %12lld %14lld %10lld  %s%s%s\n", num(cap, "id"),
		       str(cap, "port"), str(cap, "dir"), str(cap, "state"), num(cap, "frames"),
		       num(cap, "bytes"), num(cap, "dropped"),
		       strcmp(str(cap, "file"), "-") ? str(cap, "file") : "(a client's stdout)",
		       json_object_get(cap, "error") ? ": " : "", str(cap, "error"));
	}
}

void pbc_show_version(json_t *r)
{
	printf("%s %s, control protocol %lld, pid %lld, %lld worker(s), run dir %s\n",
	       str(r, "daemon"), str(r, "version"), num(r, "protocol"), num(r, "pid"),
	       num(r, "workers"), str(r, "run_dir"));
}

/* Prints nothing: the commands whose success says it all. */
static void pbc_show_none(json_t *r)
{
	(void)r;
}

/* Indexed by command id: the renderer the row of the command table names. */
static void (*const renderers[PBCTL_CMD_COUNT])(json_t *result) = {
#define PBC_RENDERER(ID, name, usage, help, read, complete, build, show)                           \
	[PBCTL_CMD_##ID] = pbc_show_##show,
    PBCTL_COMMANDS(PBC_RENDERER)
#undef PBC_RENDERER
};

int pbc_take_view_flags(int argc, char **argv, struct pbc_view *v)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool has_value =
		    !strcmp(a, "--svg") || !strcmp(a, "--png") || !strcmp(a, "--count");
		if (has_value && i + 1 == argc) {
			fprintf(stderr, "patchbay: %s needs a value\n", a);
			return -1;
		}
		if (!strcmp(a, "--json") || !strcmp(a, "-j"))
			v->json = true;
		else if (!strcmp(a, "-w") || !strcmp(a, "--watch"))
			v->watch = true;
		else if (!strcmp(a, "--dot"))
			v->dot = true;
		else if (!strcmp(a, "--svg"))
			v->svg = argv[++i];
		else if (!strcmp(a, "--png"))
			v->png = argv[++i];
		else if (!strcmp(a, "--count"))
			v->count = atoi(argv[++i]);
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

int pbc_run(struct pbctl_client *c, int argc, char **argv, struct pbc_view *view)
{
	char err[512];

	if (argc < 1)
		return 0;
	json_t *req = pbctl_request(argc, argv, 0, err, sizeof(err));
	if (!req) {
		fprintf(stderr, "patchbay: %s\n", err);
		return 2;
	}
	return pbc_run_request(c, req, argc, argv, view);
}

int pbc_run_request(struct pbctl_client *c, json_t *req, int argc, char **argv,
		    struct pbc_view *view)
{
	const struct pbctl_cmd *cmd =
	    pbctl_cmd_find(json_string_value(json_object_get(req, "cmd")));

	view->file = cmd->id == PBCTL_CMD_SAVE && argc > 1 ? argv[1] : NULL;
	pbc_show_view = view;
	if (cmd->id == PBCTL_CMD_TOPO) {
		json_decref(req);
		return pbc_topo(c, view);
	}
	if (view->watch && cmd->id == PBCTL_CMD_STATS)
		return pbc_stats_watch(c, req, view->count);
	if (cmd->id == PBCTL_CMD_CAPTURE &&
	    json_is_true(json_object_get(json_object_get(req, "args"), "attach")))
		return pbc_capture(c, req);
	json_t *rep = pbctl_call(c, req);
	json_decref(req);
	if (!rep)
		return 1;
	int rc = pbctl_report(rep);
	json_t *result = json_object_get(rep, "result");
	if (!rc && view->json && cmd->read) {
		char *text = json_dumps(result, JSON_INDENT(2));
		printf("%s\n", text ? text : "null");
		free(text);
	} else if (!rc) {
		renderers[cmd->id](result);
		rc = pbc_show_status_code;
	}
	json_decref(rep);
	return rc;
}
