/* SPDX-License-Identifier: MIT */
/*
 * cmd_patch.c - patch, unpatch, reset. `--both` is two patches made (or
 * removed) together: if the second cannot be, the first is undone, so a
 * failed command changes nothing.
 */
#include <stdio.h>

#include "api/commands.h"
#include "core/bridge.h"
#include "core/mirror.h"

static bool get_pair(struct pbd_panel *pn, json_t *args, bool to_needed, struct pbd_port **from,
		     struct pbd_port **to, struct pbd_cmd_err *e)
{
	static const char *const known[] = {"from", "to", "both", NULL};

	if (!pbd_args_check(args, known, e) || !(*from = pbd_arg_port(pn, args, "from", e)))
		return false;
	*to = NULL;
	if (!to_needed && !json_object_get(args, "to"))
		return true;
	return (*to = pbd_arg_port(pn, args, "to", e)) != NULL;
}

/* A port a bridge switches, or a mirror's destination, is not patched too:
 * which bridge or mirror holds it, in the words of the error. */
static bool switched(struct pbd_panel *pn, const struct pbd_port *p, struct pbd_cmd_err *e)
{
	const struct pbd_mirror *m = pbd_port_mirror(pn, p);

	if (p->bport)
		pbd_fail(
		    e, "port_in_use",
		    "port %s is on bridge %s: a bridged port cannot be patched (bridge detach it "
		    "first)",
		    p->name, pbd_port_bridge(p)->name);
	else if (m && m->dst == p)
		pbd_fail(e, "port_in_use",
			 "port %s is the destination of mirror %s: it cannot be patched too",
			 p->name, m->name);
	return p->bport || (m && m->dst == p);
}

json_t *pbd_cmd_patch(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	struct pbd_port *a, *b;
	enum pbd_err r;

	if (!get_pair(pn, args, true, &a, &b, e) || switched(pn, a, e) || switched(pn, b, e))
		return NULL;
	bool both = json_is_true(json_object_get(args, "both"));
	if ((r = pbd_panel_patch(pn, a, b, e->msg, sizeof(e->msg))) != PBD_OK)
		return pbd_fail_panel(e, r, e->msg);
	if (both && a != b && (r = pbd_panel_patch(pn, b, a, e->msg, sizeof(e->msg))) != PBD_OK) {
		char ignored[64];
		pbd_panel_unpatch(pn, a, b, ignored, sizeof(ignored));
		return pbd_fail_panel(e, r, e->msg);
	}
	pbd_mirrors_follow(pn); /* a patch may have moved a mirror's sources */
	return json_object();
}

json_t *pbd_cmd_unpatch(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	struct pbd_port *a, *b;
	enum pbd_err r;

	if (!get_pair(pn, args, false, &a, &b, e))
		return NULL;
	bool both = json_is_true(json_object_get(args, "both"));
	if (both && !b)
		return pbd_fail(e, "bad_args", "--both needs the second port");
	if (both) {
		/* Both must exist before either goes. */
		bool ab = false, ba = false;
		for (unsigned i = 0; a->out && i < a->out->n; i++)
			ab |= a->out->port[i] == b;
		for (unsigned i = 0; b->out && i < b->out->n; i++)
			ba |= b->out->port[i] == a;
		if (!ab || !ba)
			return pbd_fail(e, "no_patch", "no patch %s -> %s", ab ? b->name : a->name,
					ab ? a->name : b->name);
	}
	if ((r = pbd_panel_unpatch(pn, a, b, e->msg, sizeof(e->msg))) != PBD_OK)
		return pbd_fail_panel(e, r, e->msg);
	if (both && a != b && (r = pbd_panel_unpatch(pn, b, a, e->msg, sizeof(e->msg))) != PBD_OK)
		return pbd_fail_panel(e, r, e->msg);
	return json_object();
}

json_t *pbd_cmd_reset(struct pbd_panel *pn, json_t *args, struct pbd_cmd_err *e)
{
	static const char *const known[] = {NULL};

	if (!pbd_args_check(args, known, e))
		return NULL;
	pbd_panel_reset(pn);
	return json_object();
}
