/* SPDX-License-Identifier: MIT */
/*
 * topo.c - the port graph: as text in the terminal (each port, its link,
 * its rates over half a second, and the ports it feeds), as Graphviz DOT
 * (--dot), or drawn by Graphviz's `dot` into an SVG or PNG file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "common/cmdtab.h"
#include "common/topo_dot.h"
#include "show.h"

static json_t *topo_call(struct pbctl_client *c)
{
	char *argv[] = {"topo", NULL};
	char err[256];
	json_t *req = pbctl_request(1, argv, 0, err, sizeof(err));
	json_t *rep = pbctl_call(c, req);

	json_decref(req);
	if (!rep || pbctl_report(rep)) {
		json_decref(rep);
		return NULL;
	}
	json_t *r = json_incref(json_object_get(rep, "result"));
	json_decref(rep);
	return r;
}

/* Frames per second through @name between the two samples. */
static double pps(json_t *a, json_t *b, const char *name, const char *key)
{
	double secs = (double)(json_integer_value(json_object_get(b, "time_ns")) -
			       json_integer_value(json_object_get(a, "time_ns"))) /
		      1e9;
	long long va = -1, vb = -1;
	json_t *n;
	size_t i;

	json_array_foreach(json_object_get(a, "nodes"), i,
			   n) if (!strcmp(json_string_value(json_object_get(n, "name")), name)) va =
	    json_integer_value(json_object_get(json_object_get(n, "stats"), key));
	json_array_foreach(json_object_get(b, "nodes"), i,
			   n) if (!strcmp(json_string_value(json_object_get(n, "name")), name)) vb =
	    json_integer_value(json_object_get(json_object_get(n, "stats"), key));
	return va < 0 || vb < 0 || secs <= 0 ? 0 : (double)(vb - va) / secs;
}

static void text(json_t *a, json_t *b)
{
	json_t *n, *e;
	size_t i, j;
	char r[16], t[16];

	if (!json_array_size(json_object_get(b, "nodes"))) {
		printf("(no ports)\n");
		return;
	}
	json_array_foreach(json_object_get(b, "nodes"), i, n)
	{
		const char *name = json_string_value(json_object_get(n, "name"));
		size_t outs = 0, k = 0;
		json_array_foreach(json_object_get(b, "edges"), j, e) outs +=
		    !strcmp(json_string_value(json_object_get(e, "from")), name);
		printf("%-20s [%s, worker %lld]  rx %s pps  tx %s pps\n", name,
		       json_string_value(json_object_get(n, "link")),
		       (long long)json_integer_value(json_object_get(n, "worker")),
		       pbc_human(pps(a, b, name, "rx_frames"), r, sizeof(r)),
		       pbc_human(pps(a, b, name, "tx_frames"), t, sizeof(t)));
		json_array_foreach(json_object_get(b, "edges"), j, e)
		{
			if (strcmp(json_string_value(json_object_get(e, "from")), name))
				continue;
			printf("  %s─▶ %s\n", ++k == outs ? "└" : "├",
			       json_string_value(json_object_get(e, "to")));
		}
	}
}

/* Bridges and mirrors, after the ports. */
static void switching(json_t *b)
{
	json_t *x, *m;
	size_t i, j;

	json_array_foreach(json_object_get(b, "bridges"), i, x)
	{
		printf("bridge %s:", json_string_value(json_object_get(x, "name")));
		json_array_foreach(json_object_get(x, "ports"), j, m)
		    printf(" %s (vlans %s)", json_string_value(json_object_get(m, "port")),
			   json_string_value(json_object_get(m, "vlans")));
		printf("\n");
	}
	json_array_foreach(json_object_get(b, "mirrors"), i, x)
	{
		printf("mirror %s:", json_string_value(json_object_get(x, "name")));
		json_array_foreach(json_object_get(x, "src"), j, m)
		    printf(" %s", json_string_value(m));
		printf(" ┈▶ %s (%s)\n", json_string_value(json_object_get(x, "dst")),
		       json_string_value(json_object_get(x, "dir")));
	}
}

struct samples {
	json_t *a, *b;
};

/* A patch's label: the rate its source receives. */
static const char *rate_label(void *ctx, const char *from, char *buf, size_t len)
{
	const struct samples *s = ctx;
	char r[16];

	snprintf(buf, len, "%s pps", pbc_human(pps(s->a, s->b, from, "rx_frames"), r, sizeof(r)));
	return buf;
}

static void dot(json_t *a, json_t *b, FILE *f)
{
	struct samples s = {a, b};

	pbctl_topo_dot(f, b, rate_label, &s);
}

static int draw(json_t *a, json_t *b, const char *fmt, const char *file)
{
	char cmd[1200];

	if (system("command -v dot >/dev/null 2>&1") != 0) {
		fprintf(stderr, "patchbay: Graphviz's `dot` is not installed (Debian: apt install "
				"graphviz); `patchbay topo --dot` prints the graph's source\n");
		return 1;
	}
	if (strchr(file, '\'')) {
		fprintf(stderr, "patchbay: file name must not contain a quote: %s\n", file);
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "dot -T%s -o '%s'", fmt, file);
	FILE *p = popen(cmd, "w");
	if (!p) {
		perror("patchbay: dot");
		return 1;
	}
	dot(a, b, p);
	int st = pclose(p);
	if (st != 0) {
		fprintf(stderr, "patchbay: dot failed writing %s\n", file);
		return 1;
	}
	return 0;
}

int pbc_topo(struct pbctl_client *c, const struct pbc_view *view)
{
	json_t *a = topo_call(c), *b = NULL;
	int rc = 0;

	if (!a)
		return 1;
	if (view->json) {
		char *s = json_dumps(a, JSON_INDENT(2));
		printf("%s\n", s ? s : "null");
		free(s);
		json_decref(a);
		return 0;
	}
	struct timespec half = {0, 500000000};
	nanosleep(&half, NULL);
	if (!(b = topo_call(c))) {
		json_decref(a);
		return 1;
	}
	if (view->svg)
		rc = draw(a, b, "svg", view->svg);
	else if (view->png)
		rc = draw(a, b, "png", view->png);
	else if (view->dot)
		dot(a, b, stdout);
	else {
		text(a, b);
		switching(b);
	}
	json_decref(a);
	json_decref(b);
	return rc;
}
