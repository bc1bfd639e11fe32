/* SPDX-License-Identifier: MIT */
/*
 * topo_dot.c - see topo_dot.h. Port names are TYPE:ID of letters, digits
 * and "_.-:", so they go into quoted DOT ids as they are; a name that is
 * not (from a daemon that is not ours) is left out rather than escaped.
 */
#include <stdbool.h>
#include <string.h>

#include "topo_dot.h"

static bool plain(const char *s)
{
	return s && !strpbrk(s, "\"\\\n");
}

void pbctl_topo_dot(FILE *f, json_t *topo, pbctl_dot_label_fn label, void *ctx)
{
	json_t *n, *e, *b, *m;
	size_t i, j;
	char buf[64];

	fprintf(f, "digraph patchbay {\n  rankdir=LR;\n  node [shape=box, style=rounded, "
		   "fontname=\"monospace\"];\n");
	json_array_foreach(json_object_get(topo, "nodes"), i, n)
	{
		const char *name = json_string_value(json_object_get(n, "name"));
		const char *link = json_string_value(json_object_get(n, "link"));
		bool up = link && !strcmp(link, "up");
		if (plain(name))
			fprintf(f, "  \"%s\" [label=\"%s\\n%s\", color=%s];\n", name, name,
				up ? "up" : "down", up ? "darkgreen" : "red");
	}
	json_array_foreach(json_object_get(topo, "edges"), i, e)
	{
		const char *from = json_string_value(json_object_get(e, "from"));
		const char *to = json_string_value(json_object_get(e, "to"));
		const char *l = label && plain(from) ? label(ctx, from, buf, sizeof(buf)) : NULL;
		if (!plain(from) || !plain(to))
			continue;
		if (l)
			fprintf(f, "  \"%s\" -> \"%s\" [label=\"%s\"];\n", from, to, l);
		else
			fprintf(f, "  \"%s\" -> \"%s\";\n", from, to);
	}
	/* A bridge: a node of its own, joined to each port on it (both ways:
	 * a switch), labelled with the port's VLANs. */
	json_array_foreach(json_object_get(topo, "bridges"), i, b)
	{
		const char *bn = json_string_value(json_object_get(b, "name"));
		if (!plain(bn))
			continue;
		fprintf(f, "  \"bridge:%s\" [label=\"%s\\nbridge\", shape=ellipse, color=blue];\n",
			bn, bn);
		json_array_foreach(json_object_get(b, "ports"), j, m)
		{
			const char *port = json_string_value(json_object_get(m, "port"));
			const char *v = json_string_value(json_object_get(m, "vlans"));
			if (plain(port) && plain(v))
				fprintf(
				    f,
				    "  \"%s\" -> \"bridge:%s\" [dir=both, label=\"vlans %s\"];\n",
				    port, bn, v);
		}
	}
	/* A mirror: a dashed edge from each source to its destination. */
	json_array_foreach(json_object_get(topo, "mirrors"), i, b)
	{
		const char *mn = json_string_value(json_object_get(b, "name"));
		const char *dst = json_string_value(json_object_get(b, "dst"));
		if (!plain(mn) || !plain(dst))
			continue;
		json_array_foreach(json_object_get(b, "src"), j, m)
		{
			const char *src = json_string_value(m);
			if (plain(src))
				fprintf(f,
					"  \"%s\" -> \"%s\" [style=dashed, label=\"mirror %s\"];\n",
					src, dst, mn);
		}
	}
	fprintf(f, "}\n");
}
