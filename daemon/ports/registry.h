/* SPDX-License-Identifier: MIT */
/*
 * registry.h - the port types the ports wing defines, one per file
 * (vhost.c, virtio.c, tap.c, pcap.c, null.c). Only registry.c names them;
 * everyone else finds a type through pbd_port_type_find() (core/port.h).
 */
#ifndef PBD_PORTS_REGISTRY_H
#define PBD_PORTS_REGISTRY_H

#include "core/port.h"

extern const struct pbd_port_type pbd_port_vhost;
extern const struct pbd_port_type pbd_port_virtio;
extern const struct pbd_port_type pbd_port_tap;
extern const struct pbd_port_type pbd_port_pcap;
extern const struct pbd_port_type pbd_port_null;

#endif /* PBD_PORTS_REGISTRY_H */
