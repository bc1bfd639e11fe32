/* SPDX-License-Identifier: MIT */
/*
 * cmd_mirror.c - `mirror` (add, del, show): the request checked and handed
 * to core/mirror.c. Shapes in common/bridge_args.h and docs/CONTROL.md.
 */
#include <string.h>

#include "api/commands.h"
#include "core/mirror.h"

static json_t *mirrors_json(struct pbd_panel *pn)
{
	return json_pack("{s:o}", "mirrors", pbd_mirrors_json(pn));
}

json_t *pbd_cmd_mirror(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {"op", "name", "opts", NULL};
	const char *op = json_string_value(json_object_get(args, "op"));
	const char *name = json_string_value(json_object_get(args, "name"));
	json_t *opts = json_object_get(args, "opts");
	enum pbd_err r;

	if (!pbd_args_check(args, known, e))
		return NULL;
	if (!op || !strcmp(op, "show"))
		return mirrors_json(pn);
	if (strcmp(op, "add") && strcmp(op, "del"))
		return pbd_fail(e, "bad_args", "unknown op '%s' (add, del, show)", op);
	if (!name)
		return pbd_fail(e, "bad_args", "'name' must name a mirror (a string)");
	if (!strcmp(op, "del")) {
		struct pbd_mirror *m = pbd_mirror_find(pn, name);
		if (!m)
			return pbd_fail(e, "unknown_mirror",
					"no mirror %s (see 'patchbay mirror show')", name);
		pbd_mirror_del(pn, m);
		return json_object();
	}
	if (opts && !json_is_object(opts))
		return pbd_fail(e, "bad_args", "'opts' must be an object");
	json_t *empty = opts ? NULL : json_object();
	r = pbd_mirror_add(pn, name, opts ? opts : empty, e->msg, sizeof(e->msg));
	json_decref(empty);
	if (r != PBD_OK)
		return pbd_fail_panel(e, r, e->msg);
	return mirrors_json(pn);
}
