/* SPDX-License-Identifier: MIT */
/*
 * cmd_types.c - `types`: the port types this daemon serves, from the
 * registry, with the option keys each takes and whether it makes frames by
 * itself. The CLI's help and completion read this instead of naming types.
 */
#include "api/commands.h"

json_t *pbd_cmd_types(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {NULL};
	json_t *types;

	(void)pn;
	if (!pbd_args_check(args, known, e))
		return NULL;
	types = json_array();
	for (unsigned i = 0; pbd_port_types[i]; i++) {
		const struct pbd_port_type *t = pbd_port_types[i];
		json_t *keys = json_array();
		const char *k, *help;
		for (unsigned j = 0; (k = pbd_port_type_key(t, j, &help)); j++)
			json_array_append_new(keys,
					      json_pack("{s:s, s:s}", "name", k, "help", help));
		json_array_append_new(types,
				      json_pack("{s:s, s:s, s:o, s:b}", "name", t->name, "summary",
						t->summary, "options", keys, "source", t->source));
	}
	return json_pack("{s:o}", "types", types);
}
