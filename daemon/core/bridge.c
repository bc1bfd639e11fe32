/* SPDX-License-Identifier: MIT */
/*
 * bridge.c - the control thread's side of bridges (bridge.h): making and
 * removing them, attaching and detaching ports, static entries, and reading
 * their tables and counters. Every change builds a new immutable list,
 * publishes it, waits for the workers to pass a quiescent point and frees
 * the old one; a failed request changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bridge.h"
#include "core/log.h"
#include "core/panel.h"

#define PEEK(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

struct pbd_bridge *pbd_bridge_find(struct pbd_panel *pn, const char *name)
{
	for (struct pbd_bridge *b = pn->bridges; b; b = b->next)
		if (!strcmp(b->name, name))
			return b;
	return NULL;
}

struct pbd_bridge *pbd_port_bridge(const struct pbd_port *p)
{
	return p->bport ? p->bport->br : NULL;
}

static void free_bridge(struct pbd_bridge *br)
{
	free(br->members);
	free(br->statics);
	pbd_fdb_free(br->fdb);
	free(br->scratch);
	free(br);
}

enum pbd_err pbd_bridge_add(struct pbd_panel *pn, const char *name, const struct pbd_bridge_conf *c,
			    char *err, size_t errlen)
{
	if (!pbd_bridge_name_ok(name)) {
		snprintf(err, errlen,
			 "bad bridge name '%s': 1 to %d letters, digits, '-', '_' or '.'", name,
			 PBD_BRIDGE_NAME_MAX - 1);
		return PBD_E_BAD_NAME;
	}
	if (pbd_bridge_find(pn, name)) {
		snprintf(err, errlen, "bridge %s exists", name);
		return PBD_E_BRIDGE_EXISTS;
	}
	struct pbd_bridge *br = calloc(1, sizeof(*br));
	if (!br || !(br->members = calloc(1, sizeof(*br->members))) ||
	    !(br->fdb = pbd_fdb_new(c->max_macs)) ||
	    !(br->scratch = malloc((size_t)2 * PBD_BURST * PBD_BRIDGE_FRAME_MAX))) {
		if (br)
			free_bridge(br);
		snprintf(err, errlen, "out of memory for a table of %u MACs", c->max_macs);
		return PBD_E_SYSTEM;
	}
	snprintf(br->name, sizeof(br->name), "%s", name);
	br->aging_ns = c->aging_s * 1000000000ull;
	br->max_macs = c->max_macs;
	br->flood = c->flood;
	br->worker = pbd_panel_least_loaded(pn);
	br->next_serial = 1;
	br->next = pn->bridges;
	pn->bridges = br;
	LOGI("bridge", "added bridge %s (aging %llu s, %u MACs, flood %s, worker %d)", name,
	     (unsigned long long)c->aging_s, c->max_macs, c->flood ? "on" : "off", br->worker);
	return PBD_OK;
}

/* Publish @ml (and @st, when @set_st) as @br's, then free what they replace
 * once no worker can be reading it. */
static void publish(struct pbd_panel *pn, struct pbd_bridge *br, struct pbd_bridge_members *ml,
		    bool set_st, struct pbd_fdb_statics *st, struct pbd_bridge_member *gone)
{
	struct pbd_bridge_members *old_ml = br->members;
	struct pbd_fdb_statics *old_st = br->statics;

	if (ml)
		PBD_STORE(br->members, ml);
	if (set_st)
		PBD_STORE(br->statics, st);
	pbd_panel_sync(pn);
	if (ml)
		free(old_ml);
	if (set_st)
		free(old_st);
	free(gone);
}

/* @st without the entries of @m (or a copy of it all, for @m NULL). */
static struct pbd_fdb_statics *statics_without(const struct pbd_fdb_statics *st,
					       const struct pbd_bridge_member *m, uint64_t key,
					       bool *found)
{
	unsigned n = st ? st->n : 0;
	struct pbd_fdb_statics *nst = malloc(sizeof(*nst) + (n + 1) * sizeof(nst->e[0]));

	if (!nst)
		return NULL;
	nst->n = 0;
	for (unsigned i = 0; i < n; i++) {
		if (st->e[i].m == m || st->e[i].key == key) {
			*found = true;
			continue;
		}
		nst->e[nst->n++] = st->e[i];
	}
	return nst;
}

enum pbd_err pbd_bridge_attach(struct pbd_panel *pn, struct pbd_bridge *br, struct pbd_port *p,
			       const struct pbd_member_conf *c, char *err, size_t errlen)
{
	const struct pbd_bridge *on = pbd_port_bridge(p);

	if (on) {
		snprintf(err, errlen, "port %s is on bridge %s already: a port is on one bridge",
			 p->name, on->name);
		return PBD_E_IN_USE;
	}
	if (pbd_panel_is_patched(pn, p)) {
		snprintf(err, errlen,
			 "port %s is patched: a bridged port cannot be patched too (unpatch it "
			 "first)",
			 p->name);
		return PBD_E_IN_USE;
	}
	if (p->mirror_dst) {
		snprintf(err, errlen,
			 "port %s is a mirror's destination: it cannot be bridged (see 'patchbay "
			 "mirror show')",
			 p->name);
		return PBD_E_IN_USE;
	}
	unsigned slot = 0;
	while (slot < PBD_BRIDGE_MAX_MEMBERS && br->members->m[slot])
		slot++;
	if (slot == PBD_BRIDGE_MAX_MEMBERS) {
		snprintf(err, errlen, "bridge %s holds %d ports at most", br->name,
			 PBD_BRIDGE_MAX_MEMBERS);
		return PBD_E_FULL;
	}
	struct pbd_bridge_member *m = calloc(1, sizeof(*m));
	struct pbd_bridge_members *ml = malloc(sizeof(*ml));
	if (!m || !ml) {
		free(m);
		free(ml);
		snprintf(err, errlen, "out of memory");
		return PBD_E_SYSTEM;
	}
	m->br = br;
	m->port = p;
	m->slot = (uint16_t)slot;
	m->serial = br->next_serial++;
	m->mode = c->mode;
	m->pvid = c->pvid;
	memcpy(m->vlans, c->vlans, sizeof(m->vlans));
	m->max_macs = c->max_macs;
	*ml = *br->members;
	ml->m[slot] = m;
	if (slot >= ml->n)
		ml->n = slot + 1;
	publish(pn, br, ml, false, NULL, NULL);
	/* After the list holds it: its worker finds it there. Then to the
	 * bridge's worker (its owner now lets it go, the bridge's adopts it). */
	PBD_STORE(p->bport, m);
	PBD_SET(p->assigned, br->worker);
	if (PBD_LOAD(p->home) >= 0)
		pbd_inbox_wake(&pn->workers[PBD_LOAD(p->home)].inbox);
	char v[64];
	pbd_member_vlans_str(m, v, sizeof(v));
	LOGI("bridge", "attached %s to %s (vlans %s)", p->name, br->name, v);
	return PBD_OK;
}

enum pbd_err pbd_bridge_detach(struct pbd_panel *pn, struct pbd_port *p, char *err, size_t errlen)
{
	struct pbd_bridge_member *m = p->bport;

	if (!m) {
		snprintf(err, errlen, "port %s is on no bridge", p->name);
		return PBD_E_NO_PATCH;
	}
	struct pbd_bridge *br = m->br;
	struct pbd_bridge_members *ml = malloc(sizeof(*ml));
	bool found = false;
	struct pbd_fdb_statics *st = statics_without(br->statics, m, 0, &found);
	if (!ml || !st) {
		free(ml);
		free(st);
		snprintf(err, errlen, "out of memory");
		return PBD_E_SYSTEM;
	}
	*ml = *br->members;
	ml->m[m->slot] = NULL;
	while (ml->n && !ml->m[ml->n - 1])
		ml->n--;
	PBD_STORE(p->bport, NULL);
	publish(pn, br, ml, true, st, m);
	LOGI("bridge", "detached %s from %s", p->name, br->name);
	return PBD_OK;
}

enum pbd_err pbd_bridge_del(struct pbd_panel *pn, struct pbd_bridge *br, bool force, char *err,
			    size_t errlen)
{
	if (br->members->n && !force) {
		snprintf(err, errlen,
			 "bridge %s has ports: detach them first (or bridge del --force)",
			 br->name);
		return PBD_E_IN_USE;
	}
	for (unsigned i = br->members->n; i-- > 0;) {
		struct pbd_bridge_member *m = br->members->m[i];
		if (m && pbd_bridge_detach(pn, m->port, err, errlen) != PBD_OK)
			return PBD_E_SYSTEM;
	}
	for (struct pbd_bridge **l = &pn->bridges; *l; l = &(*l)->next) {
		if (*l == br) {
			*l = br->next;
			break;
		}
	}
	LOGI("bridge", "deleted bridge %s", br->name);
	free_bridge(br);
	return PBD_OK;
}

void pbd_bridges_free(struct pbd_panel *pn)
{
	while (pn->bridges) {
		struct pbd_bridge *br = pn->bridges;
		pn->bridges = br->next;
		for (unsigned i = 0; i < br->members->n; i++)
			free(br->members->m[i]);
		free_bridge(br);
	}
}

/* The member of @br that @p is, with @vid defaulted; or an error. */
static enum pbd_err static_target(const struct pbd_bridge *br, const struct pbd_port *p,
				  uint16_t *vid, const struct pbd_bridge_member **out, char *err,
				  size_t errlen)
{
	const struct pbd_bridge_member *m = p->bport;

	if (!m || m->br != br) {
		snprintf(err, errlen, "port %s is not on bridge %s", p->name, br->name);
		return PBD_E_NO_PORT;
	}
	if (!*vid && m->mode == PBD_VLAN_ACCESS)
		*vid = m->pvid;
	bool in = m->mode == PBD_VLAN_ALL || (m->mode == PBD_VLAN_ACCESS && m->pvid == *vid) ||
		  (m->mode == PBD_VLAN_TRUNK && *vid && (m->vlans[*vid >> 3] & (1u << (*vid & 7))));
	if (!in) {
		snprintf(err, errlen, "port %s is not in VLAN %u on %s", p->name, *vid, br->name);
		return PBD_E_BAD_OPTION;
	}
	*out = m;
	return PBD_OK;
}

enum pbd_err pbd_fdb_static_add(struct pbd_panel *pn, struct pbd_bridge *br, const uint8_t mac[6],
				uint16_t vid, struct pbd_port *p, char *err, size_t errlen)
{
	const struct pbd_bridge_member *m;
	enum pbd_err e = static_target(br, p, &vid, &m, err, errlen);

	if (e != PBD_OK)
		return e;
	if (mac[0] & 1) {
		snprintf(err, errlen,
			 "a static entry is for a unicast MAC (this one is a group "
			 "address)");
		return PBD_E_BAD_OPTION;
	}
	uint64_t key = pbd_fdb_key(mac, vid);
	bool found = false;
	struct pbd_fdb_statics *st = statics_without(br->statics, NULL, key, &found);
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return PBD_E_SYSTEM;
	}
	if (found) {
		free(st);
		snprintf(err, errlen,
			 "%02x:%02x:%02x:%02x:%02x:%02x in VLAN %u has a static entry "
			 "on %s already (fdb del it first)",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], vid, br->name);
		return PBD_E_ENTRY_EXISTS;
	}
	unsigned i = st->n;
	while (i && st->e[i - 1].key > key) {
		st->e[i] = st->e[i - 1];
		i--;
	}
	st->e[i].key = key;
	st->e[i].m = (struct pbd_bridge_member *)m;
	st->n++;
	publish(pn, br, NULL, true, st, NULL);
	LOGI("bridge", "%s: static %02x:%02x:%02x:%02x:%02x:%02x vlan %u on %s", br->name, mac[0],
	     mac[1], mac[2], mac[3], mac[4], mac[5], vid, p->name);
	return PBD_OK;
}

enum pbd_err pbd_fdb_static_del(struct pbd_panel *pn, struct pbd_bridge *br, const uint8_t mac[6],
				uint16_t vid, char *err, size_t errlen)
{
	uint64_t key = pbd_fdb_key(mac, vid);
	bool found = false;

	/* No VLAN given: the one entry of this MAC, whichever VLAN it is in
	 * (an access port's entry is in its VLAN without one being named). */
	for (unsigned i = 0, n = 0; !vid && br->statics && i < br->statics->n; i++) {
		if ((br->statics->e[i].key & 0xffffffffffffull) == (key & 0xffffffffffffull) &&
		    n++ == 0)
			key = br->statics->e[i].key;
		else if ((br->statics->e[i].key & 0xffffffffffffull) == (key & 0xffffffffffffull)) {
			snprintf(err, errlen,
				 "that MAC has static entries in several VLANs on %s: "
				 "name one with vlan=",
				 br->name);
			return PBD_E_BAD_OPTION;
		}
	}
	struct pbd_fdb_statics *st = statics_without(br->statics, NULL, key, &found);

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return PBD_E_SYSTEM;
	}
	if (!found) {
		free(st);
		snprintf(err, errlen,
			 "no static entry for %02x:%02x:%02x:%02x:%02x:%02x in VLAN %u "
			 "on %s",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], vid, br->name);
		return PBD_E_NO_ENTRY;
	}
	publish(pn, br, NULL, true, st, NULL);
	return PBD_OK;
}

/* A learned entry as the control thread sees it now: its member, if the
 * entry is in use, of a member still attached, and not aged. */
static const struct pbd_bridge_member *live_member(const struct pbd_bridge *br,
						   const struct pbd_fdb_entry *e, uint64_t now,
						   uint64_t *key, uint64_t *seen)
{
	*key = PEEK(e->key);
	if (!*key)
		return NULL;
	uint16_t slot = PEEK(e->member);
	uint32_t serial = PEEK(e->serial);
	*seen = PEEK(e->seen_ns);
	if (slot >= br->members->n)
		return NULL;
	const struct pbd_bridge_member *m = br->members->m[slot];
	if (!m || m->serial != serial)
		return NULL;
	if (br->aging_ns && now > *seen && now - *seen > br->aging_ns)
		return NULL;
	return m;
}

unsigned pbd_bridge_fdb_live(const struct pbd_bridge *br)
{
	uint64_t now = pbd_now_ns(), key, seen;
	unsigned n = 0;

	for (uint32_t i = 0; i < br->fdb->cap; i++)
		n += live_member(br, &br->fdb->e[i], now, &key, &seen) != NULL;
	return n;
}

static json_t *entry_json(uint64_t key, const struct pbd_bridge_member *m, bool is_static,
			  double age_s)
{
	uint8_t mac[6];
	char s[18];

	pbd_fdb_key_mac(key, mac);
	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	json_t *o = json_pack("{s:s, s:i, s:s, s:b}", "mac", s, "vlan", pbd_fdb_key_vid(key),
			      "port", m->port->name, "static", is_static);
	if (!is_static)
		json_object_set_new(o, "age_s", json_real(age_s));
	return o;
}

json_t *pbd_bridge_fdb_json(const struct pbd_bridge *br)
{
	json_t *list = json_array();
	uint64_t now = pbd_now_ns(), key, seen;

	for (unsigned i = 0; br->statics && i < br->statics->n; i++)
		json_array_append_new(
		    list, entry_json(br->statics->e[i].key, br->statics->e[i].m, true, 0));
	for (uint32_t i = 0; i < br->fdb->cap; i++) {
		const struct pbd_bridge_member *m =
		    live_member(br, &br->fdb->e[i], now, &key, &seen);
		if (m)
			json_array_append_new(
			    list, entry_json(key, m, false, now > seen ? (now - seen) / 1e9 : 0));
	}
	return list;
}

void pbd_bridge_read_ctr(const struct pbd_bridge *br, struct pbd_bridge_ctr *c)
{
#define READ(field, doc) c->field = PEEK(br->ctr.field);
	PBD_BRIDGE_CTR_FIELDS(READ)
#undef READ
}

json_t *pbd_bridge_json(const struct pbd_bridge *br)
{
	json_t *members = json_array(), *ctr = json_object();
	struct pbd_bridge_ctr c;

	for (unsigned i = 0; i < br->members->n; i++) {
		const struct pbd_bridge_member *m = br->members->m[i];
		char v[16384];
		if (!m)
			continue;
		pbd_member_vlans_str(m, v, sizeof(v));
		static const char *const modes[] = {"all", "access", "trunk"};
		json_array_append_new(
		    members, json_pack("{s:s, s:s, s:s, s:I, s:I}", "port", m->port->name, "mode",
				       modes[m->mode], "vlans", v, "max_macs",
				       (json_int_t)m->max_macs, "macs", (json_int_t)PEEK(m->macs)));
	}
	pbd_bridge_read_ctr(br, &c);
#define SET(field, doc) json_object_set_new(ctr, #field, json_integer((json_int_t)c.field));
	PBD_BRIDGE_CTR_FIELDS(SET)
#undef SET
	return json_pack("{s:s, s:I, s:I, s:b, s:i, s:o, s:I, s:I, s:o}", "name", br->name,
			 "aging_s", (json_int_t)(br->aging_ns / 1000000000ull), "max_macs",
			 (json_int_t)br->max_macs, "flood", br->flood, "worker", br->worker,
			 "members", members, "fdb_learned", (json_int_t)pbd_bridge_fdb_live(br),
			 "fdb_static", (json_int_t)(br->statics ? br->statics->n : 0), "counters",
			 ctr);
}

json_t *pbd_bridges_summary(const struct pbd_panel *pn)
{
	json_t *list = json_array();

	for (const struct pbd_bridge *b = pn->bridges; b; b = b->next) {
		json_t *ports = json_array();
		for (unsigned i = 0; i < b->members->n; i++) {
			const struct pbd_bridge_member *m = b->members->m[i];
			char v[16384];
			if (!m)
				continue;
			pbd_member_vlans_str(m, v, sizeof(v));
			json_array_append_new(
			    ports, json_pack("{s:s, s:s}", "port", m->port->name, "vlans", v));
		}
		json_array_insert_new(list, 0,
				      json_pack("{s:s, s:o}", "name", b->name, "ports", ports));
	}
	return list;
}
