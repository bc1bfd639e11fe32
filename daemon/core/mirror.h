/* SPDX-License-Identifier: MIT */
/*
 * mirror.h - port mirroring (SPP's spp_mirror, OpenStack's TaaS, OVS's
 * mirrors): a copy of what one or more source ports receive (rx), send
 * (tx) or both goes out of a destination port, optionally tagged with a
 * VLAN (as RSPAN does) so a monitor can tell it from other traffic.
 *
 * A mirror never slows or drops the traffic it copies: the copy is offered
 * to the destination once, right after the source's own rx or tx, and
 * what the destination has no room for is dropped and counted on the
 * mirror. The copy is made by the worker that runs the sources, so the
 * destination is assigned to that worker; it is a port of its own (not
 * patched, not bridged, not a source of a mirror), which rules out loops.
 */
#ifndef PBD_MIRROR_H
#define PBD_MIRROR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/panel.h"

#define PBD_MIRROR_NAME_MAX 32 /* with its NUL */
#define PBD_MIRROR_MAX_SRC  16
#define PBD_MIRRORS_MAX	    64

struct pbd_mirror {
	char name[PBD_MIRROR_NAME_MAX];
	struct pbd_mirror *next; /* the panel's list (control-private) */
	struct pbd_port *src[PBD_MIRROR_MAX_SRC];
	unsigned nsrc;
	struct pbd_port *dst;
	unsigned dir;  /* PBD_CAP_RX | PBD_CAP_TX */
	uint16_t vlan; /* 0: copies as they are; else tagged with it */
	/* Written by the sources' worker. */
	uint64_t frames;  /* copies the destination took */
	uint64_t dropped; /* copies it had no room for, or was down for */
	uint8_t *scratch; /* tagged copies of one burst (vlan=) */
};

/* The mirrors a port is a source of: immutable, replaced whole. */
struct pbd_mirset {
	unsigned n;
	struct pbd_mirror *m[];
};

/* The worker's side (port_io.h): copy @n frames of @src, direction @dir,
 * to the destination of each mirror of @s that takes that direction. */
void pbd_mirror_burst(struct pbd_port *src, const struct pbd_mirset *s, unsigned dir,
		      const struct pb_frame *f, unsigned n);

/* Control thread. @opts: src=PORT[,PORT..], dst=PORT, dir=rx|tx|both
 * (default both), vlan=N. A panel error code and a message naming the
 * problem; nothing changes when it fails. */
enum pbd_err pbd_mirror_add(struct pbd_panel *pn, const char *name, json_t *opts, char *err,
			    size_t errlen);
struct pbd_mirror *pbd_mirror_find(struct pbd_panel *pn, const char *name);
void pbd_mirror_del(struct pbd_panel *pn, struct pbd_mirror *m);
/* The first mirror @p is a source or the destination of, or NULL. */
struct pbd_mirror *pbd_port_mirror(struct pbd_panel *pn, const struct pbd_port *p);
json_t *pbd_mirror_json(const struct pbd_mirror *m);
/* At shutdown, after pbd_panel_stop() (which freed the ports and their lists). */
void pbd_mirrors_free(struct pbd_panel *pn);
/* Every mirror, oldest first (the mirror objects). */
json_t *pbd_mirrors_json(const struct pbd_panel *pn);
/* After ports moved to other workers (a patch, a bridge): each mirror's
 * destination follows its sources. */
void pbd_mirrors_follow(struct pbd_panel *pn);

#endif /* PBD_MIRROR_H */
