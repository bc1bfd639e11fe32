/* SPDX-License-Identifier: MIT */
/*
 * bridge.h - learning bridges: ports attached to a bridge are switched by
 * destination MAC within their VLAN instead of patched. Like a patch, a
 * bridge is run by one worker, the one all its members are assigned to:
 * that worker alone writes the bridge's learned table (fdb.h) and counters,
 * with no lock and no allocation per frame (bridge_fwd.c).
 *
 * What the control thread changes is published RCU-style, as patches are:
 * the member list and the static entries are immutable arrays replaced
 * whole and freed after pbd_panel_sync(); a port's own link to its bridge
 * (port->bport) is set after the list holds it and cleared before it goes.
 *
 * VLANs (IEEE 802.1Q). A member is one of:
 *  - "all" (no vlan= or trunk=: the default), carrying every VLAN tagged
 *    and untagged frames as VLAN 0, so a bridge without VLANs is
 *    transparent to whatever tags its members use (as an OVS port with no
 *    tag or trunks);
 *  - an access port of VLAN N (vlan=N): it sends and receives untagged
 *    frames, which belong to N; a frame it receives tagged is dropped;
 *  - a trunk of VLANs N,M.. (trunk=N,M..): tagged frames of those VLANs
 *    only, anything else it receives is dropped.
 * Frames leave each member in its own form: the bridge pushes, pops or
 * rewrites the tag as the egress member needs (keeping the priority bits).
 */
#ifndef PBD_BRIDGE_H
#define PBD_BRIDGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/fdb.h"
#include "core/panel.h"

#define PBD_BRIDGE_NAME_MAX    32  /* with its NUL */
#define PBD_BRIDGE_MAX_MEMBERS 256 /* ports on one bridge */
#define PBD_BRIDGE_MACS_DFLT   8192
#define PBD_BRIDGE_MACS_MAX    1000000
#define PBD_BRIDGE_AGING_DFLT  300 /* seconds, as Linux's and OVS's default */
#define PBD_BRIDGE_AGING_MAX   1000000
/* The largest frame the bridge can re-tag (a jumbo frame of 9,216 bytes of
 * payload and its headers); a larger one that needs a tag changed is
 * dropped (counted), one that goes out as it came in is not. */
#define PBD_BRIDGE_FRAME_MAX 9238

/* A bridge's counters, one row each: X(field, description). Written by its
 * worker, read by the control thread (status, REST, /metrics). */
#define PBD_BRIDGE_CTR_FIELDS(X)                                                                   \
	X(learned, "source MACs learned (new entries)")                                            \
	X(aged, "entries removed after aging= without a frame")                                    \
	X(moved, "learned MACs seen on another port, and followed")                                \
	X(flooded, "frames flooded (broadcast, multicast, unknown unicast)")                       \
	X(learn_full, "source MACs not learned: the bridge's or the port's table was full")        \
	X(drop_vlan, "frames dropped: of a VLAN the ingress or egress port is not in")             \
	X(drop_unknown, "unknown unicast dropped (flood=off)")                                     \
	X(drop_hairpin, "frames for the MAC behind the port they came in on")                      \
	X(drop_malformed, "frames shorter than their Ethernet/802.1Q header, or VID 4095")         \
	X(drop_too_big, "frames too large to re-tag")                                              \
	X(drop_dest_down, "frames for a member that was down")

struct pbd_bridge_ctr {
#define PBD_BRIDGE_CTR_MEMBER(field, doc) uint64_t field;
	PBD_BRIDGE_CTR_FIELDS(PBD_BRIDGE_CTR_MEMBER)
#undef PBD_BRIDGE_CTR_MEMBER
};

enum pbd_vlan_mode { PBD_VLAN_ALL, PBD_VLAN_ACCESS, PBD_VLAN_TRUNK };

struct pbd_bridge;

/* A port's attachment: made at attach, freed after detach and a sync. */
struct pbd_bridge_member {
	struct pbd_bridge *br;
	struct pbd_port *port;
	uint16_t slot;	 /* its index in the member list, fixed while attached */
	uint32_t serial; /* unique per attachment: a learned entry of an
			    earlier member in this slot is not this one's */
	enum pbd_vlan_mode mode;
	uint16_t pvid;		 /* access: its VLAN */
	uint8_t vlans[4096 / 8]; /* trunk: the VLANs it carries */
	uint32_t max_macs;	 /* learned entries it may have */
	/* Worker-written. */
	uint32_t macs; /* learned entries pointing here */
	/* Worker-private: frames staged for this member in the current burst. */
	unsigned stage_n;
	struct pb_frame stage[PBD_BURST];
};

/* The member list: slots hold NULL where nobody is; n is one past the
 * highest slot in use. */
struct pbd_bridge_members {
	unsigned n;
	struct pbd_bridge_member *m[PBD_BRIDGE_MAX_MEMBERS];
};

/* Static entries (fdb add), sorted by key: looked up before the learned
 * table, and never learned over. */
struct pbd_fdb_statics {
	unsigned n;
	struct {
		uint64_t key;
		struct pbd_bridge_member *m;
	} e[];
};

struct pbd_bridge {
	char name[PBD_BRIDGE_NAME_MAX];
	struct pbd_bridge *next; /* the panel's list (control-private) */
	int worker;		 /* the worker all its members are assigned to */
	uint64_t aging_ns;	 /* 0: entries never age */
	uint32_t max_macs;
	bool flood; /* unknown unicast flooded (else dropped) */

	struct pbd_bridge_members *members; /* RCU-style */
	struct pbd_fdb_statics *statics;    /* RCU-style; NULL for none */
	struct pbd_fdb *fdb;		    /* its worker writes it */
	uint32_t next_serial;		    /* control-private */
	struct pbd_bridge_ctr ctr;	    /* its worker writes them */

	/* Worker-private scratch for re-tagged copies of one burst: two forms
	 * (tagged and untagged) of each of PBD_BURST frames at most. */
	uint8_t *scratch;
	struct pbd_bridge_member *touched[PBD_BRIDGE_MAX_MEMBERS];
	unsigned ntouched;
};

struct pbd_panel;
struct pbd_worker;

/* Options of `bridge add`, checked: aging= (seconds, 0 never), max-macs=,
 * flood=on|off. On error a message naming the option. */
struct pbd_bridge_conf {
	uint64_t aging_s;
	uint32_t max_macs;
	bool flood;
};
/* Options of `bridge attach`: vlan=N | trunk=N,M..|all, max-macs=N. */
struct pbd_member_conf {
	enum pbd_vlan_mode mode;
	uint16_t pvid;
	uint8_t vlans[4096 / 8];
	uint32_t max_macs;
};

/* Parsers of the options above (bridge_conf.c); -EINVAL and a message. */
int pbd_bridge_conf_parse(json_t *opts, struct pbd_bridge_conf *c, char *err, size_t errlen);
int pbd_member_conf_parse(json_t *opts, uint32_t bridge_max, struct pbd_member_conf *c, char *err,
			  size_t errlen);
/* "10" into *@vid: 1..4094; -EINVAL otherwise. */
int pbd_vlan_parse(const char *s, uint16_t *vid);
/* "02:00:00:00:00:01" into @mac: six hex pairs split by ':' or '-'. */
int pbd_mac_parse(const char *s, uint8_t mac[6]);
/* A bridge name: 1..31 of letters, digits, '-', '_', '.'. */
bool pbd_bridge_name_ok(const char *name);

/* Control thread (bridge.c). Each returns a panel error code and, on
 * failure, a message in @err; nothing changes when it fails. */
struct pbd_bridge *pbd_bridge_find(struct pbd_panel *pn, const char *name);
enum pbd_err pbd_bridge_add(struct pbd_panel *pn, const char *name, const struct pbd_bridge_conf *c,
			    char *err, size_t errlen);
/* @force: detach its members first; otherwise a bridge with members is
 * refused. */
enum pbd_err pbd_bridge_del(struct pbd_panel *pn, struct pbd_bridge *br, bool force, char *err,
			    size_t errlen);
enum pbd_err pbd_bridge_attach(struct pbd_panel *pn, struct pbd_bridge *br, struct pbd_port *p,
			       const struct pbd_member_conf *c, char *err, size_t errlen);
enum pbd_err pbd_bridge_detach(struct pbd_panel *pn, struct pbd_port *p, char *err, size_t errlen);
enum pbd_err pbd_fdb_static_add(struct pbd_panel *pn, struct pbd_bridge *br, const uint8_t mac[6],
				uint16_t vid, struct pbd_port *p, char *err, size_t errlen);
enum pbd_err pbd_fdb_static_del(struct pbd_panel *pn, struct pbd_bridge *br, const uint8_t mac[6],
				uint16_t vid, char *err, size_t errlen);
/* The bridge a port is on, or NULL (control thread). */
struct pbd_bridge *pbd_port_bridge(const struct pbd_port *p);
/* Every bridge, at shutdown, after pbd_panel_stop(). */
void pbd_bridges_free(struct pbd_panel *pn);

/* As JSON for status, show, REST: name, options, members with their VLANs,
 * counters, fdb size. */
json_t *pbd_bridge_json(const struct pbd_bridge *br);
/* The member's VLANs as given: "all", "10" (access) or "10,20" (trunk). */
void pbd_member_vlans_str(const struct pbd_bridge_member *m, char *out, size_t len);
/* Its table: learned entries live now and static ones, each
 * {mac, vlan, port, static, age_s}. */
json_t *pbd_bridge_fdb_json(const struct pbd_bridge *br);
/* Learned entries live now (not aged, of a member still there). */
unsigned pbd_bridge_fdb_live(const struct pbd_bridge *br);
/* Every bridge, oldest first, as {name, ports: [{port, vlans}]}: what
 * status and topo show of them. */
json_t *pbd_bridges_summary(const struct pbd_panel *pn);
void pbd_bridge_read_ctr(const struct pbd_bridge *br, struct pbd_bridge_ctr *c);

/* Worker (bridge_fwd.c): receive a burst from @p, a member, and switch it.
 * Returns true if a frame moved. */
bool pbd_bridge_forward(struct pbd_worker *w, struct pbd_port *p, struct pbd_bridge_member *bm);

#endif /* PBD_BRIDGE_H */
