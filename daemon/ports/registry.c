/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the list of port types patchbayd serves. Adding a type is a
 * file of its own in this folder and one row here: help, completion and the
 * `types` command read this list, so nothing else names a type.
 */
#include <string.h>

#include "ports/registry.h"

const struct pbd_port_type *const pbd_port_types[] = {
    &pbd_port_vhost, &pbd_port_virtio, &pbd_port_tap, &pbd_port_pcap, &pbd_port_null, NULL,
};

const struct pbd_port_type *pbd_port_type_find(const char *name)
{
	for (unsigned i = 0; pbd_port_types[i]; i++)
		if (strcmp(pbd_port_types[i]->name, name) == 0)
			return pbd_port_types[i];
	return NULL;
}
