/* SPDX-License-Identifier: MIT */
/*
 * bridge.c - how `patchbay bridge` and `patchbay fdb` show their results:
 * a table per bridge of its members (VLANs, learned MACs) and counters, and
 * the forwarding table as `bridge fdb` shows Linux's. --json prints the
 * daemon's result as it came.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "show.h"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static bool as_json(json_t *r)
{
	if (!pbc_show_view || !pbc_show_view->json)
		return false;
	char *text = json_dumps(r, JSON_INDENT(2));
	printf("%s\n", text ? text : "null");
	free(text);
	return true;
}

void pbc_show_bridge(json_t *r)
{
	json_t *list = json_object_get(r, "bridges"), *b, *m;
	size_t i, j;

	if (!list || as_json(r))
		return; /* add, del, attach, detach: nothing to say */
	if (!json_array_size(list))
		printf("no bridges\n");
	json_array_foreach(list, i, b)
	{
		json_t *c = json_object_get(b, "counters");
		printf(
		    "%s: aging %llds, %lld/%lld MACs learned, %lld static, flood %s, worker %lld\n",
		    str(b, "name"), num(b, "aging_s"), num(b, "fdb_learned"), num(b, "max_macs"),
		    num(b, "fdb_static"), json_is_true(json_object_get(b, "flood")) ? "on" : "off",
		    num(b, "worker"));
		json_array_foreach(json_object_get(b, "members"), j, m)
		    printf("  %-24s %-6s vlans %-16s %lld MACs (max %lld)\n", str(m, "port"),
			   str(m, "mode"), str(m, "vlans"), num(m, "macs"), num(m, "max_macs"));
		const char *key;
		json_t *v;
		printf("  counters:");
		json_object_foreach(c, key, v)
		    printf(" %s=%lld", key, (long long)json_integer_value(v));
		printf("\n");
	}
}

void pbc_show_fdb(json_t *r)
{
	json_t *list = json_object_get(r, "bridges"), *b, *e;
	size_t i, j;

	if (!list || as_json(r))
		return;
	json_array_foreach(list, i, b)
	{
		json_array_foreach(json_object_get(b, "entries"), j, e)
		{
			json_t *age = json_object_get(e, "age_s");
			printf("%s dev %s vlan %lld %s", str(e, "mac"), str(e, "port"),
			       num(e, "vlan"), str(b, "bridge"));
			if (json_is_true(json_object_get(e, "static")))
				printf(" static\n");
			else
				printf(" age %.1fs\n", json_real_value(age));
		}
	}
}
