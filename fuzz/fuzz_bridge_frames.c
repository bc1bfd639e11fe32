/* SPDX-License-Identifier: MIT */
/*
 * fuzz_bridge_frames.c - libFuzzer harness for a bridge's data path: the
 * Ethernet/802.1Q header reader (core/eth.h), learning into and looking up
 * the bounded table (core/fdb.c), VLAN ingress and egress and the tag
 * rewrites (core/bridge_fwd.c), on a real bridge of four members built with
 * the control thread's own calls (core/bridge.c).
 *
 * The input: one byte per member for its VLAN mode (all, access, trunk;
 * VLANs from the byte), then frames, each [member][len lo][len hi][bytes],
 * received by that member one at a time. Frames are as hostile as the peer
 * likes: short, tagged with any VID, any MACs. Checked:
 *  - no memory error, UB or leak (ASan, UBSan, LeakSanitizer);
 *  - the table never holds more than its bound, nor a member more than its;
 *  - every frame a member is sent is a well-formed frame of that member's
 *    own form: untagged for an access port, tagged with one of its VLANs
 *    for a trunk, never longer than what came in plus one tag, never sent
 *    back to the member it came from;
 *  - a frame of a VLAN the ingress member is not in goes nowhere.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/bridge.h"
#include "core/eth.h"
#include "core/panel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEMBERS	 4
#define MAX_MACS 16

struct fake {
	const uint8_t *rx; /* the one frame to hand out, or NULL */
	uint32_t rx_len;
	unsigned sent; /* frames it was sent since the last rx */
};

static struct pbd_port ports[MEMBERS];
static struct fake fakes[MEMBERS];
static unsigned receiving; /* the member whose frame is in flight */
static uint32_t in_len;
static int in_vid; /* its VLAN on the bridge, -1 if refused */

static unsigned fake_rx(struct pbd_port *p, struct pb_frame *f, unsigned n)
{
	struct fake *k = p->priv;

	if (!k->rx || !n)
		return 0;
	f[0].data = (void *)k->rx;
	f[0].len = k->rx_len;
	k->rx = NULL;
	return 1;
}

static unsigned fake_tx(struct pbd_port *p, const struct pb_frame *f, unsigned n)
{
	struct fake *k = p->priv;
	const struct pbd_bridge_member *m = p->bport;

	CHECK(p != &ports[receiving]);
	CHECK(in_vid >= 0);
	for (unsigned i = 0; i < n; i++) {
		struct pbd_eth h;
		CHECK(pbd_eth_parse(f[i].data, f[i].len, &h));
		CHECK(f[i].len <= in_len + PBD_VLAN_HLEN);
		if (m->mode == PBD_VLAN_ACCESS)
			CHECK(h.vid == 0 && (int)m->pvid == in_vid);
		if (m->mode == PBD_VLAN_TRUNK)
			CHECK(h.tagged && h.vid == in_vid &&
			      (m->vlans[h.vid >> 3] & (1u << (h.vid & 7))));
		if (m->mode == PBD_VLAN_ALL)
			CHECK(h.vid == in_vid);
	}
	k->sent += n;
	return n;
}

static int fake_fd(const struct pbd_port *p)
{
	(void)p;
	return -1;
}

static const struct pbd_port_type fake_type = {
    .name = "fake", .rx = fake_rx, .tx = fake_tx, .fd = fake_fd};

static void member_conf(uint8_t b, struct pbd_member_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_macs = MAX_MACS / 2;
	c->mode = (enum pbd_vlan_mode)(b % 3);
	uint16_t v = (uint16_t)(1 + (b >> 2) % 4); /* VLANs 1..4, so members share some */
	c->pvid = v;
	c->vlans[v >> 3] |= (uint8_t)(1u << (v & 7));
	c->vlans[(v + 1) >> 3] |= (uint8_t)(1u << ((v + 1) & 7));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pbd_panel pn;
	struct pbd_worker w;
	char err[256];

	if (size < MEMBERS)
		return 0;
	memset(&pn, 0, sizeof(pn));
	memset(&w, 0, sizeof(w));
	struct pbd_bridge_conf bc = {.aging_s = 300, .max_macs = MAX_MACS, .flood = data[0] & 0x80};
	CHECK(pbd_bridge_add(&pn, "fz", &bc, err, sizeof(err)) == PBD_OK);
	struct pbd_bridge *br = pbd_bridge_find(&pn, "fz");
	CHECK(br && br->worker == 0);
	for (unsigned i = 0; i < MEMBERS; i++) {
		struct pbd_member_conf c;
		memset(&ports[i], 0, sizeof(ports[i]));
		memset(&fakes[i], 0, sizeof(fakes[i]));
		snprintf(ports[i].name, sizeof(ports[i].name), "fake:%u", i);
		ports[i].type = &fake_type;
		ports[i].priv = &fakes[i];
		ports[i].slot = i;
		ports[i].home = PBD_HOME_NONE; /* no worker to wake */
		pn.port[i] = &ports[i];
		member_conf(data[i], &c);
		CHECK(pbd_bridge_attach(&pn, br, &ports[i], &c, err, sizeof(err)) == PBD_OK);
		ports[i].home = 0; /* on worker 0, up */
		ports[i].up = true;
	}
	size_t off = MEMBERS;
	while (off + 3 <= size) {
		unsigned who = data[off] % MEMBERS;
		uint32_t len = (uint32_t)(data[off + 1] | data[off + 2] << 8);
		off += 3;
		if (len > size - off)
			len = (uint32_t)(size - off);
		/* A copy of its own, so ASan sees a read past its end. */
		uint8_t *frame = malloc(len ? len : 1);
		memcpy(frame, data + off, len);
		off += len;
		struct pbd_eth h;
		const struct pbd_bridge_member *m = ports[who].bport;
		in_vid = -1;
		if (pbd_eth_parse(frame, len, &h)) {
			if (m->mode == PBD_VLAN_ACCESS)
				in_vid = h.vid ? -1 : m->pvid;
			else if (m->mode == PBD_VLAN_TRUNK)
				in_vid = h.vid && (m->vlans[h.vid >> 3] & (1u << (h.vid & 7)))
					     ? h.vid
					     : -1;
			else
				in_vid = h.vid;
		}
		receiving = who;
		in_len = len;
		fakes[who].rx = frame;
		fakes[who].rx_len = len;
		CHECK(pbd_bridge_forward(&w, &ports[who], ports[who].bport));
		free(frame);
		CHECK(br->fdb->used <= MAX_MACS);
		for (unsigned i = 0; i < MEMBERS; i++)
			CHECK(ports[i].bport->macs <= ports[i].bport->max_macs);
	}
	/* The control side's reading of what the worker wrote. */
	json_t *j = pbd_bridge_fdb_json(br);
	CHECK(json_array_size(j) <= MAX_MACS);
	json_decref(j);
	json_decref(pbd_bridge_json(br));
	for (unsigned i = 0; i < MEMBERS; i++)
		CHECK(pbd_bridge_detach(&pn, &ports[i], err, sizeof(err)) == PBD_OK);
	CHECK(pbd_bridge_del(&pn, br, false, err, sizeof(err)) == PBD_OK);
	return 0;
}
