/* SPDX-License-Identifier: MIT */
/*
 * mirror.c - how `patchbay mirror show` shows the mirrors: one line each,
 * its sources, direction, destination and what it copied and dropped.
 */
#include <stdio.h>
#include <stdlib.h>

#include "show.h"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

void pbc_show_mirror(json_t *r)
{
	json_t *list = json_object_get(r, "mirrors"), *m, *s;
	size_t i, j;

	if (!list || json_object_get(r, "added"))
		return;
	if (pbc_show_view && pbc_show_view->json) {
		char *text = json_dumps(r, JSON_INDENT(2));
		printf("%s\n", text ? text : "null");
		free(text);
		return;
	}
	if (!json_array_size(list))
		printf("no mirrors\n");
	json_array_foreach(list, i, m)
	{
		printf("%s: ", str(m, "name"));
		json_array_foreach(json_object_get(m, "src"), j, s)
		    printf("%s%s", j ? "," : "", json_string_value(s));
		printf(" (%s) -> %s", str(m, "dir"), str(m, "dst"));
		if (json_object_get(m, "vlan"))
			printf(" tagged %lld",
			       (long long)json_integer_value(json_object_get(m, "vlan")));
		printf(": %lld copies, %lld dropped\n",
		       (long long)json_integer_value(json_object_get(m, "frames")),
		       (long long)json_integer_value(json_object_get(m, "dropped")));
	}
}
