/* SPDX-License-Identifier: MIT */
/*
 * cmd_save.c - `save`: the running panel as a recipe, the lines that
 * `patchbayd --config` replays to the same state: an `add` per port with
 * the options it was given, then a `patch` per patch, then each bridge
 * with its members and static entries. The CLI writes it to a file or
 * stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/commands.h"
#include "core/bridge.h"
#include "core/mirror.h"

/* One word of a recipe line: as it is, or in quotes the splitter
 * (pbctl_split) reads back when it holds a blank, a quote or a '#'. */
static void append_word(FILE *f, const char *w)
{
	if (!w[0] || strpbrk(w, " \t\r\n'\"#")) {
		char q = strchr(w, '\'') ? '"' : '\'';
		fprintf(f, " %c%s%c", q, w, q);
	} else {
		fprintf(f, " %s", w);
	}
}

/* Text the splitter could not give back whole: both quote kinds, or a
 * line break (a recipe line is one line). */
static bool savable(const char *w)
{
	return !(strchr(w, '\n') || strchr(w, '\r') || (strchr(w, '\'') && strchr(w, '"')));
}

/* Oldest first, as they were made: bridge add, attach, fdb add. */
static void save_bridges(struct pbd_panel *pn, FILE *f)
{
	const struct pbd_bridge *list[64];
	unsigned n = 0;

	for (const struct pbd_bridge *b = pn->bridges; b; b = b->next) {
		if (n == 64) {
			fprintf(f, "# (more bridges than save writes: 64)\n");
			break;
		}
		list[n++] = b;
	}
	while (n--) {
		const struct pbd_bridge *b = list[n];
		fprintf(f, "bridge add %s aging=%llu max-macs=%u flood=%s\n", b->name,
			(unsigned long long)(b->aging_ns / 1000000000ull), b->max_macs,
			b->flood ? "on" : "off");
		for (unsigned i = 0; i < b->members->n; i++) {
			const struct pbd_bridge_member *m = b->members->m[i];
			char v[16384];
			if (!m)
				continue;
			pbd_member_vlans_str(m, v, sizeof(v));
			fprintf(f, "bridge attach %s %s %s%s max-macs=%u\n", b->name, m->port->name,
				m->mode == PBD_VLAN_ACCESS  ? "vlan="
				: m->mode == PBD_VLAN_TRUNK ? "trunk="
							    : "trunk=",
				v, m->max_macs);
		}
		for (unsigned i = 0; b->statics && i < b->statics->n; i++) {
			uint8_t mac[6];
			pbd_fdb_key_mac(b->statics->e[i].key, mac);
			fprintf(f, "fdb add %s %02x:%02x:%02x:%02x:%02x:%02x %s", b->name, mac[0],
				mac[1], mac[2], mac[3], mac[4], mac[5],
				b->statics->e[i].m->port->name);
			uint16_t vid = pbd_fdb_key_vid(b->statics->e[i].key);
			if (vid)
				fprintf(f, " vlan=%u", vid);
			fputc('\n', f);
		}
	}
}

/* Oldest first: mirror add with its options. */
static void save_mirrors(struct pbd_panel *pn, FILE *f)
{
	json_t *list = pbd_mirrors_json(pn), *m, *s;
	size_t i, j;

	json_array_foreach(list, i, m)
	{
		fprintf(f, "mirror add %s src=", json_string_value(json_object_get(m, "name")));
		json_array_foreach(json_object_get(m, "src"), j, s)
		    fprintf(f, "%s%s", j ? "," : "", json_string_value(s));
		fprintf(f, " dst=%s dir=%s", json_string_value(json_object_get(m, "dst")),
			json_string_value(json_object_get(m, "dir")));
		if (json_object_get(m, "vlan"))
			fprintf(f, " vlan=%lld",
				(long long)json_integer_value(json_object_get(m, "vlan")));
		fputc('\n', f);
	}
	json_decref(list);
}

json_t *pbd_cmd_save(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {NULL};
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!pbd_args_check(args, known, e))
		return NULL;
	if (!(f = open_memstream(&text, &len)))
		return pbd_fail(e, "system", "out of memory");
	fprintf(f, "# patchbay save: replay with patchbayd --config FILE\n");
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		const struct pbd_port *p = pn->port[i];
		const char *key;
		json_t *v;
		if (!p)
			continue;
		fprintf(f, "add %s", p->name);
		json_object_foreach(p->opts, key, v)
		{
			char kv[1024];
			snprintf(kv, sizeof(kv), "%s=%s", key, json_string_value(v));
			if (!savable(kv)) {
				fclose(f);
				free(text);
				return pbd_fail(e, "system",
						"%s: option %s cannot be written as a recipe word",
						p->name, key);
			}
			append_word(f, kv);
		}
		fputc('\n', f);
	}
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		const struct pbd_port *p = pn->port[i];
		for (unsigned j = 0; p && p->out && j < p->out->n; j++)
			fprintf(f, "patch %s %s\n", p->name, p->out->port[j]->name);
	}
	save_bridges(pn, f);
	save_mirrors(pn, f);
	fclose(f);
	json_t *res = json_pack("{s:s}", "recipe", text ? text : "");
	free(text);
	return res;
}
