/* SPDX-License-Identifier: MIT */
/*
 * mirror.c - port mirrors (mirror.h): the copy on the worker, and making
 * and removing mirrors on the control thread, whose hooks on the sources
 * are published and retired RCU-style as captures' are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bridge.h"
#include "core/eth.h"
#include "core/log.h"
#include "core/capture.h"
#include "core/mirror.h"

#define PEEK(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

void pbd_mirror_burst(struct pbd_port *src, const struct pbd_mirset *s, unsigned dir,
		      const struct pb_frame *f, unsigned n)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct pbd_mirror *m = s->m[i];
		struct pbd_port *dst = m->dst;
		if (!(m->dir & dir))
			continue;
		/* Ours to send on only if our worker owns it and it is up. */
		if (PBD_PEEK(dst->home) != PBD_PEEK(src->home) || !dst->up) {
			m->dropped += n;
			continue;
		}
		const struct pb_frame *out = f;
		struct pb_frame tagged[PBD_BURST];
		unsigned k = n;
		if (m->vlan) {
			k = 0;
			for (unsigned j = 0; j < n && j < PBD_BURST; j++) {
				struct pbd_eth h;
				if (f[j].len + PBD_VLAN_HLEN > PBD_BRIDGE_FRAME_MAX ||
				    !pbd_eth_parse(f[j].data, f[j].len, &h)) {
					m->dropped++;
					continue;
				}
				uint8_t *b = m->scratch + (size_t)k * PBD_BRIDGE_FRAME_MAX;
				tagged[k].data = b;
				tagged[k].len =
				    pbd_eth_tag(f[j].data, f[j].len, h.tagged, h.tci, m->vlan, b);
				k++;
			}
			out = tagged;
		}
		/* The destination's own tx and captures: it is the source of no
		 * mirror (mirror.h), so that is all pbd_port_tx() would do. */
		unsigned sent = dst->type->tx(dst, out, k);
		const struct pbd_capset *cs = PBD_LOAD(dst->cap);
		if (cs && sent)
			pbd_capture_burst(cs, PBD_CAP_TX, out, sent);
		m->frames += sent;
		m->dropped += k - sent;
	}
}

struct pbd_mirror *pbd_mirror_find(struct pbd_panel *pn, const char *name)
{
	for (struct pbd_mirror *m = pn->mirrors; m; m = m->next)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

struct pbd_mirror *pbd_port_mirror(struct pbd_panel *pn, const struct pbd_port *p)
{
	for (struct pbd_mirror *m = pn->mirrors; m; m = m->next) {
		if (m->dst == p)
			return m;
		for (unsigned i = 0; i < m->nsrc; i++)
			if (m->src[i] == p)
				return m;
	}
	return NULL;
}

/* @p's mirror list with @add and without @remove (either may be NULL);
 * NULL for an empty list, @oom set when memory ran out. */
static struct pbd_mirset *set_with(const struct pbd_mirset *s, struct pbd_mirror *add,
				   const struct pbd_mirror *remove, bool *oom)
{
	unsigned n = s ? s->n : 0;
	struct pbd_mirset *ns = malloc(sizeof(*ns) + (n + 1) * sizeof(ns->m[0]));

	*oom = !ns;
	if (!ns)
		return NULL;
	ns->n = 0;
	for (unsigned i = 0; i < n; i++)
		if (s->m[i] != remove)
			ns->m[ns->n++] = s->m[i];
	if (add)
		ns->m[ns->n++] = add;
	if (!ns->n) {
		free(ns);
		return NULL;
	}
	return ns;
}

/* Publish @sets[i] as @m's sources' lists, then free the old ones. */
static void publish(struct pbd_panel *pn, struct pbd_mirror *m, struct pbd_mirset **sets)
{
	struct pbd_mirset *old[PBD_MIRROR_MAX_SRC];

	for (unsigned i = 0; i < m->nsrc; i++) {
		old[i] = m->src[i]->mir;
		PBD_STORE(m->src[i]->mir, sets[i]);
	}
	pbd_panel_sync(pn);
	for (unsigned i = 0; i < m->nsrc; i++)
		free(old[i]);
}

static bool name_ok(const char *name)
{
	return pbd_bridge_name_ok(name); /* the same words as a bridge's */
}

static enum pbd_err parse_ports(struct pbd_panel *pn, struct pbd_mirror *m, const char *list,
				char *err, size_t errlen)
{
	char buf[PBD_MIRROR_MAX_SRC * PBD_NAME_MAX + 1], *save, *tok;

	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "src=: at most %d ports", PBD_MIRROR_MAX_SRC);
		return PBD_E_BAD_OPTION;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct pbd_port *p = pbd_panel_find(pn, tok);
		if (!p) {
			snprintf(err, errlen, "src=: no port %s (see 'patchbay status')", tok);
			return PBD_E_NO_PORT;
		}
		for (unsigned i = 0; i < m->nsrc; i++) {
			if (m->src[i] == p) {
				snprintf(err, errlen, "src=: %s given twice", tok);
				return PBD_E_BAD_OPTION;
			}
		}
		if (m->nsrc == PBD_MIRROR_MAX_SRC) {
			snprintf(err, errlen, "src=: at most %d ports", PBD_MIRROR_MAX_SRC);
			return PBD_E_BAD_OPTION;
		}
		m->src[m->nsrc++] = p;
	}
	if (!m->nsrc) {
		snprintf(err, errlen, "src=: name one port at least (src=PORT[,PORT..])");
		return PBD_E_BAD_OPTION;
	}
	return PBD_OK;
}

static enum pbd_err check(struct pbd_panel *pn, struct pbd_mirror *m, char *err, size_t errlen)
{
	struct pbd_port *d = m->dst;

	for (unsigned i = 0; i < m->nsrc; i++) {
		struct pbd_port *s = m->src[i];
		const struct pbd_mirror *o = pbd_port_mirror(pn, s);
		if (s == d) {
			snprintf(err, errlen,
				 "%s cannot mirror to itself: dst= is one of src=", s->name);
			return PBD_E_BAD_OPTION;
		}
		if (o && o->dst == s) {
			snprintf(err, errlen,
				 "%s is the destination of mirror %s: mirroring it would loop",
				 s->name, o->name);
			return PBD_E_IN_USE;
		}
		if (PBD_PEEK(s->assigned) != PBD_PEEK(m->src[0]->assigned)) {
			snprintf(
			    err, errlen,
			    "%s and %s run on different workers (%d, %d): one mirror copies on "
			    "one worker; make a mirror for each",
			    m->src[0]->name, s->name, m->src[0]->assigned, s->assigned);
			return PBD_E_BAD_OPTION;
		}
	}
	const struct pbd_mirror *o = pbd_port_mirror(pn, d);
	if (o) {
		snprintf(err, errlen,
			 "%s is in mirror %s already (a destination is a port of its own)", d->name,
			 o->name);
		return PBD_E_IN_USE;
	}
	if (d->bport || pbd_panel_is_patched(pn, d)) {
		snprintf(err, errlen, "%s is %s: a mirror's destination is a port of its own",
			 d->name, d->bport ? "on a bridge" : "patched");
		return PBD_E_IN_USE;
	}
	return PBD_OK;
}

enum pbd_err pbd_mirror_add(struct pbd_panel *pn, const char *name, json_t *opts, char *err,
			    size_t errlen)
{
	const char *key;
	json_t *v;
	unsigned n = 0;
	enum pbd_err e;

	if (!name_ok(name)) {
		snprintf(err, errlen,
			 "bad mirror name '%s': 1 to %d letters, digits, '-', '_' or '.'", name,
			 PBD_MIRROR_NAME_MAX - 1);
		return PBD_E_BAD_NAME;
	}
	if (pbd_mirror_find(pn, name)) {
		snprintf(err, errlen, "mirror %s exists", name);
		return PBD_E_EXISTS;
	}
	for (struct pbd_mirror *m = pn->mirrors; m; m = m->next)
		n++;
	if (n >= PBD_MIRRORS_MAX) {
		snprintf(err, errlen, "the panel holds %d mirrors at most", PBD_MIRRORS_MAX);
		return PBD_E_FULL;
	}
	json_object_foreach(opts, key, v)
	{
		if (strcmp(key, "src") && strcmp(key, "dst") && strcmp(key, "dir") &&
		    strcmp(key, "vlan")) {
			snprintf(err, errlen,
				 "unknown option '%s' for a mirror (known: src dst dir vlan)", key);
			return PBD_E_BAD_OPTION;
		}
		if (!json_is_string(v)) {
			snprintf(err, errlen, "option %s: the value must be a string", key);
			return PBD_E_BAD_OPTION;
		}
	}
	const char *src = json_string_value(json_object_get(opts, "src"));
	const char *dst = json_string_value(json_object_get(opts, "dst"));
	const char *dir = json_string_value(json_object_get(opts, "dir"));
	const char *vlan = json_string_value(json_object_get(opts, "vlan"));
	if (!src || !dst) {
		snprintf(err, errlen, "a mirror needs src=PORT[,PORT..] and dst=PORT");
		return PBD_E_BAD_OPTION;
	}
	struct pbd_mirror *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return PBD_E_SYSTEM;
	}
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->dir = PBD_CAP_RX | PBD_CAP_TX;
	if (dir && !strcmp(dir, "rx"))
		m->dir = PBD_CAP_RX;
	else if (dir && !strcmp(dir, "tx"))
		m->dir = PBD_CAP_TX;
	else if (dir && strcmp(dir, "both")) {
		snprintf(err, errlen, "option dir=%s: expected rx, tx or both", dir);
		e = PBD_E_BAD_OPTION;
		goto fail;
	}
	if (vlan && pbd_vlan_parse(vlan, &m->vlan) < 0) {
		snprintf(err, errlen,
			 "option vlan=%s: expected a VLAN 1..4094 (0 and 4095 are reserved)", vlan);
		e = PBD_E_BAD_OPTION;
		goto fail;
	}
	if ((e = parse_ports(pn, m, src, err, errlen)) != PBD_OK)
		goto fail;
	if (!(m->dst = pbd_panel_find(pn, dst))) {
		snprintf(err, errlen, "dst=: no port %s (see 'patchbay status')", dst);
		e = PBD_E_NO_PORT;
		goto fail;
	}
	if ((e = check(pn, m, err, errlen)) != PBD_OK)
		goto fail;
	if (m->vlan && !(m->scratch = malloc((size_t)PBD_BURST * PBD_BRIDGE_FRAME_MAX))) {
		snprintf(err, errlen, "out of memory");
		e = PBD_E_SYSTEM;
		goto fail;
	}
	struct pbd_mirset *sets[PBD_MIRROR_MAX_SRC];
	for (unsigned i = 0; i < m->nsrc; i++) {
		bool oom;
		sets[i] = set_with(m->src[i]->mir, m, NULL, &oom);
		if (oom) {
			while (i--)
				free(sets[i]);
			snprintf(err, errlen, "out of memory");
			e = PBD_E_SYSTEM;
			goto fail;
		}
	}
	/* The destination to the sources' worker first, so the copies find it
	 * there (until it has moved, they are counted as dropped). */
	PBD_SET(m->dst->assigned, PBD_PEEK(m->src[0]->assigned));
	if (PBD_LOAD(m->dst->home) >= 0)
		pbd_inbox_wake(&pn->workers[PBD_LOAD(m->dst->home)].inbox);
	m->next = pn->mirrors;
	pn->mirrors = m;
	m->dst->mirror_dst = true;
	publish(pn, m, sets);
	LOGI("mirror", "mirror %s: %u port(s) %s to %s%s", name, m->nsrc,
	     m->dir == PBD_CAP_RX   ? "rx"
	     : m->dir == PBD_CAP_TX ? "tx"
				    : "rx+tx",
	     m->dst->name, m->vlan ? " (tagged)" : "");
	return PBD_OK;
fail:
	free(m->scratch);
	free(m);
	return e;
}

void pbd_mirror_del(struct pbd_panel *pn, struct pbd_mirror *m)
{
	struct pbd_mirset *sets[PBD_MIRROR_MAX_SRC];

	for (unsigned i = 0; i < m->nsrc; i++) {
		bool oom = true;
		/* Out of memory: no list at all for this source for now, rather
		 * than a list that still names a mirror about to be freed. */
		sets[i] = set_with(m->src[i]->mir, NULL, m, &oom);
		if (oom)
			sets[i] = NULL;
	}
	publish(pn, m, sets);
	m->dst->mirror_dst = false;
	for (struct pbd_mirror **l = &pn->mirrors; *l; l = &(*l)->next) {
		if (*l == m) {
			*l = m->next;
			break;
		}
	}
	LOGI("mirror", "deleted mirror %s (%llu copies, %llu dropped)", m->name,
	     (unsigned long long)PEEK(m->frames), (unsigned long long)PEEK(m->dropped));
	free(m->scratch);
	free(m);
}

void pbd_mirrors_follow(struct pbd_panel *pn)
{
	for (struct pbd_mirror *m = pn->mirrors; m; m = m->next) {
		int w = PBD_PEEK(m->src[0]->assigned);
		if (PBD_PEEK(m->dst->assigned) == w)
			continue;
		PBD_SET(m->dst->assigned, w);
		if (PBD_LOAD(m->dst->home) >= 0)
			pbd_inbox_wake(&pn->workers[PBD_LOAD(m->dst->home)].inbox);
	}
}

void pbd_mirrors_free(struct pbd_panel *pn)
{
	while (pn->mirrors) {
		struct pbd_mirror *m = pn->mirrors;
		pn->mirrors = m->next; /* the sources' lists went with the ports */
		free(m->scratch);
		free(m);
	}
}

json_t *pbd_mirror_json(const struct pbd_mirror *m)
{
	json_t *src = json_array();

	for (unsigned i = 0; i < m->nsrc; i++)
		json_array_append_new(src, json_string(m->src[i]->name));
	json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:I, s:I}", "name", m->name, "src", src, "dst",
			      m->dst->name, "dir",
			      m->dir == PBD_CAP_RX   ? "rx"
			      : m->dir == PBD_CAP_TX ? "tx"
						     : "both",
			      "frames", (json_int_t)PEEK(m->frames), "dropped",
			      (json_int_t)PEEK(m->dropped));
	if (m->vlan)
		json_object_set_new(o, "vlan", json_integer(m->vlan));
	return o;
}

json_t *pbd_mirrors_json(const struct pbd_panel *pn)
{
	json_t *list = json_array();

	for (const struct pbd_mirror *m = pn->mirrors; m; m = m->next)
		json_array_insert_new(list, 0, pbd_mirror_json(m));
	return list;
}
