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
	json_t *n, *e;
	size_t i;
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
	fprintf(f, "}\n");
}
