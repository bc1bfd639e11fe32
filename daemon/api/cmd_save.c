/* SPDX-License-Identifier: MIT */
/*
 * cmd_save.c - `save`: the running panel as a recipe, the lines that
 * `patchbayd --config` replays to the same state: an `add` per port with
 * the options it was given, then a `patch` per patch. The CLI writes it to
 * a file or stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/commands.h"

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
	fclose(f);
	json_t *res = json_pack("{s:s}", "recipe", text ? text : "");
	free(text);
	return res;
}
