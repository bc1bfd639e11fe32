/* SPDX-License-Identifier: MIT */
/*
 * bridge_fwd.c - switching a burst on a bridge, on the worker that runs it
 * (bridge.h). For each frame: read its Ethernet/802.1Q header, place it in
 * a VLAN by the ingress member's mode, learn its source, then send it to
 * the member its destination was learned on, or flood it to every other
 * member of the VLAN. Frames are staged per egress member and each member
 * gets one tx call per burst; a copy is made only when the egress form
 * differs from the ingress one (a tag pushed, popped or rewritten).
 *
 * Like a fan-out patch, a bridge does not hold frames for a full member:
 * what a member has no room for is dropped and counted on it
 * (drop_no_buffer), so one slow member never stalls the others.
 */
#include <string.h>

#include "core/bridge.h"
#include "core/port_io.h"
#include "core/eth.h"
#include "core/panel.h"

/* Seen-time updates this close together are skipped: a busy MAC would
 * otherwise write its entry with every frame. */
#define SEEN_GRAIN_NS 100000000ull /* 100 ms */
#define RECLAIM_STEPS 64

struct burst {
	struct pbd_bridge *br;
	const struct pbd_bridge_members *ml;
	const struct pbd_fdb_statics *st;
	struct pbd_worker *w;
	uint64_t now;
	unsigned scratch_used; /* copies made in this burst */
};

static bool vlan_has(const uint8_t *set, uint16_t vid)
{
	return set[vid >> 3] & (1u << (vid & 7));
}

static bool member_up(const struct burst *b, const struct pbd_bridge_member *m)
{
	return PBD_PEEK(m->port->home) == (int)b->w->id && m->port->up;
}

/* The member an entry points to, if it is still that attachment. */
static struct pbd_bridge_member *entry_member(const struct pbd_bridge_members *ml,
					      const struct pbd_fdb_entry *e)
{
	if (e->member >= ml->n)
		return NULL;
	struct pbd_bridge_member *m = ml->m[e->member];
	return m && m->serial == e->serial ? m : NULL;
}

static bool expired(const struct pbd_bridge *br, const struct pbd_fdb_entry *e, uint64_t now)
{
	return br->aging_ns && now - e->seen_ns > br->aging_ns;
}

static bool entry_dead(const struct pbd_fdb_entry *e, void *ctx)
{
	const struct burst *b = ctx;
	return !entry_member(b->ml, e) || expired(b->br, e, b->now);
}

/* Remove @e, crediting its member and the aging counter. */
static void forget(struct burst *b, struct pbd_fdb_entry *e)
{
	struct pbd_bridge_member *m = entry_member(b->ml, e);

	if (m) {
		m->macs--;
		b->br->ctr.aged++;
	}
	pbd_fdb_remove(b->br->fdb, e);
}

static const struct pbd_bridge_member *static_lookup(const struct pbd_fdb_statics *st, uint64_t key)
{
	unsigned lo = 0, hi = st ? st->n : 0;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (st->e[mid].key == key)
			return st->e[mid].m;
		if (st->e[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void learn(struct burst *b, struct pbd_bridge_member *in, uint64_t key)
{
	struct pbd_bridge *br = b->br;
	struct pbd_fdb_entry *e = pbd_fdb_find(br->fdb, key);

	if (e) {
		struct pbd_bridge_member *was = entry_member(b->ml, e);
		if (was == in) {
			if (b->now - e->seen_ns > SEEN_GRAIN_NS)
				__atomic_store_n(&e->seen_ns, b->now, __ATOMIC_RELAXED);
			return;
		}
		if (in->macs >= in->max_macs) {
			br->ctr.learn_full++;
			return;
		}
		if (was && !expired(br, e, b->now)) {
			was->macs--;
			br->ctr.moved++;
		} else if (was) {
			was->macs--;
			br->ctr.aged++;
			br->ctr.learned++;
		} else {
			br->ctr.learned++;
		}
		__atomic_store_n(&e->member, in->slot, __ATOMIC_RELAXED);
		__atomic_store_n(&e->serial, in->serial, __ATOMIC_RELAXED);
		__atomic_store_n(&e->seen_ns, b->now, __ATOMIC_RELAXED);
		in->macs++;
		return;
	}
	if (static_lookup(b->st, key))
		return; /* a static entry owns this MAC */
	if (in->macs >= in->max_macs) {
		br->ctr.learn_full++;
		return;
	}
	e = pbd_fdb_insert(br->fdb, key);
	if (!e) {
		/* Full: stale entries (aged, or of a member gone) give way. */
		unsigned before = br->fdb->used;
		pbd_fdb_reclaim(br->fdb, RECLAIM_STEPS, entry_dead, b);
		br->ctr.aged += before - br->fdb->used;
		e = pbd_fdb_insert(br->fdb, key);
	}
	if (!e) {
		br->ctr.learn_full++;
		return;
	}
	e->member = in->slot;
	e->serial = in->serial;
	__atomic_store_n(&e->seen_ns, b->now, __ATOMIC_RELAXED);
	in->macs++;
	br->ctr.learned++;
}

/* The member @key (VLAN, destination) was learned on, or NULL (unknown). */
static struct pbd_bridge_member *lookup(struct burst *b, uint64_t key)
{
	const struct pbd_bridge_member *sm = b->st ? static_lookup(b->st, key) : NULL;

	if (sm)
		return (struct pbd_bridge_member *)sm;
	struct pbd_fdb_entry *e = pbd_fdb_find(b->br->fdb, key);
	if (!e)
		return NULL;
	struct pbd_bridge_member *m = entry_member(b->ml, e);
	if (!m || expired(b->br, e, b->now)) {
		forget(b, e);
		return NULL;
	}
	return m;
}

/* Ingress: the frame's VLAN on this bridge, or -1 if @in does not take it. */
static int ingress_vlan(const struct pbd_bridge_member *in, const struct pbd_eth *h)
{
	switch (in->mode) {
	case PBD_VLAN_ACCESS:
		return h->vid ? -1 : in->pvid; /* priority-tagged counts as untagged */
	case PBD_VLAN_TRUNK:
		return h->vid && vlan_has(in->vlans, h->vid) ? h->vid : -1;
	case PBD_VLAN_ALL:
		break;
	}
	return h->vid;
}

/* Egress: -1 if @out is not in @vid, 0 to send untagged, 1 tagged. */
static int egress_form(const struct pbd_bridge_member *out, uint16_t vid)
{
	switch (out->mode) {
	case PBD_VLAN_ACCESS:
		return out->pvid == vid ? 0 : -1;
	case PBD_VLAN_TRUNK:
		return vid && vlan_has(out->vlans, vid) ? 1 : -1;
	case PBD_VLAN_ALL:
		break;
	}
	return vid ? 1 : 0;
}

/* One frame in its two egress forms, made when first needed. */
struct frame_forms {
	const struct pb_frame *in;
	const struct pbd_eth *h;
	uint16_t vid;
	struct pb_frame form[2]; /* [0] untagged, [1] tagged with vid; len 0: not made */
};

static const struct pb_frame *form_of(struct burst *b, struct frame_forms *ff, int tagged)
{
	struct pb_frame *f = &ff->form[tagged];

	if (f->len)
		return f;
	/* As received, when that is already the form wanted. */
	if (tagged ? ff->h->tagged && ff->h->vid == ff->vid : ff->h->vid == 0) {
		*f = *ff->in;
		return f;
	}
	if (ff->in->len + PBD_VLAN_HLEN > PBD_BRIDGE_FRAME_MAX) {
		b->br->ctr.drop_too_big++;
		return NULL;
	}
	uint8_t *out = b->br->scratch + (size_t)b->scratch_used++ * PBD_BRIDGE_FRAME_MAX;
	f->data = out;
	f->len =
	    tagged ? pbd_eth_tag(ff->in->data, ff->in->len, ff->h->tagged, ff->h->tci, ff->vid, out)
		   : pbd_eth_untag(ff->in->data, ff->in->len, out);
	return f;
}

static void flush_member(struct pbd_bridge_member *m)
{
	unsigned n = m->stage_n, s = pbd_port_tx(m->port, m->stage, n);

	m->port->ctr.drop_no_buffer += n - s;
	m->stage_n = 0;
}

/* Stage @ff for @out if @out is in its VLAN. @unicast: a member out of the
 * VLAN is a drop to count, not a flood that passes it by. */
static void deliver(struct burst *b, struct pbd_bridge_member *out, struct frame_forms *ff,
		    bool unicast)
{
	int tagged = egress_form(out, ff->vid);

	if (tagged < 0) {
		b->br->ctr.drop_vlan += unicast;
		return;
	}
	if (!member_up(b, out)) {
		b->br->ctr.drop_dest_down += unicast;
		return;
	}
	const struct pb_frame *f = form_of(b, ff, tagged);
	if (!f)
		return;
	if (!out->stage_n)
		b->br->touched[b->br->ntouched++] = out;
	out->stage[out->stage_n++] = *f;
	if (out->stage_n == PBD_BURST)
		flush_member(out); /* stays touched: flushed again at the end */
}

static void flood(struct burst *b, struct pbd_bridge_member *in, struct frame_forms *ff)
{
	b->br->ctr.flooded++;
	for (unsigned i = 0; i < b->ml->n; i++) {
		struct pbd_bridge_member *m = b->ml->m[i];
		if (m && m != in)
			deliver(b, m, ff, false);
	}
}

bool pbd_bridge_forward(struct pbd_worker *w, struct pbd_port *p, struct pbd_bridge_member *bm)
{
	struct pbd_bridge *br = bm->br;
	struct pb_frame f[PBD_BURST];

	if (br->worker != (int)w->id)
		return false; /* being moved to the bridge's worker */
	unsigned n = pbd_port_rx(p, f, PBD_BURST);
	if (!n)
		return false;
	w->frames += n;
	struct burst b = {br, PBD_LOAD(br->members), PBD_LOAD(br->statics), w, pbd_now_ns(), 0};
	uint64_t last_src = 0; /* a burst is mostly from one host: learn it once */
	br->ntouched = 0;
	/* The destinations' buckets first (a guess at the VLAN: the frame's tag
	 * or the access port's; a wrong guess costs only the prefetch). */
	uint16_t guess = bm->mode == PBD_VLAN_ACCESS ? bm->pvid : 0;
	uint64_t dkey[PBD_BURST];
	/* The headers are in the peer's buffers, likely in another core's
	 * cache: ask for all of them at once rather than one miss at a time. */
	for (unsigned i = 0; i < n; i++)
		__builtin_prefetch(f[i].data);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *d = f[i].data;
		dkey[i] = 0;
		if (f[i].len < PBD_ETH_HLEN + PBD_VLAN_HLEN)
			continue;
		bool tag = d[12] == 0x81 && d[13] == 0;
		dkey[i] = pbd_fdb_key(d, tag ? (uint16_t)((d[14] << 8 | d[15]) & 0xfff) : guess);
		pbd_fdb_prefetch_bucket(br->fdb, dkey[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		struct pbd_eth h;
		if (i + 4 < n && dkey[i + 4])
			pbd_fdb_prefetch_entry(br->fdb, dkey[i + 4]);
		if (!pbd_eth_parse(f[i].data, f[i].len, &h)) {
			br->ctr.drop_malformed++;
			continue;
		}
		int vid = ingress_vlan(bm, &h);
		if (vid < 0) {
			br->ctr.drop_vlan++;
			continue;
		}
		struct frame_forms ff = {&f[i], &h, (uint16_t)vid, {{NULL, 0}, {NULL, 0}}};
		uint64_t src = pbd_fdb_key(h.src, (uint16_t)vid);
		if (src != last_src && !pbd_eth_is_group(h.src)) {
			learn(&b, bm, src);
			last_src = src;
		}
		uint64_t key = pbd_fdb_key_vid(dkey[i]) == vid && dkey[i]
				   ? dkey[i]
				   : pbd_fdb_key(h.dst, (uint16_t)vid);
		struct pbd_bridge_member *to = pbd_eth_is_group(h.dst) ? NULL : lookup(&b, key);
		if (to == bm)
			br->ctr.drop_hairpin++;
		else if (to)
			deliver(&b, to, &ff, true);
		else if (pbd_eth_is_group(h.dst) || br->flood)
			flood(&b, bm, &ff);
		else
			br->ctr.drop_unknown++;
	}
	for (unsigned i = 0; i < br->ntouched; i++)
		if (br->touched[i]->stage_n)
			flush_member(br->touched[i]);
	return true;
}
