/* SPDX-License-Identifier: MIT */
/*
 * port_lib.h - the two port types libpatchbay drives, vhost: and virtio:,
 * share everything but the spec they build: this is that shared part.
 */
#ifndef PBD_PORT_LIB_H
#define PBD_PORT_LIB_H

#include "core/port.h"

/* Open a libpatchbay port from @spec ("vhost:PATH,k=v,..."); on failure
 * the library's own reason goes into @err. A server socket gets mode 0660. */
int pbd_lib_open(struct pbd_port *p, const char *spec, char *err, size_t errlen);

/* Append ",key=value" for each option of @o except those in @skip
 * (NULL-terminated) to @spec (capacity @cap); -ENAMETOOLONG if it overflows. */
int pbd_lib_append_opts(char *spec, size_t cap, const struct pbd_opts *o, const char *const *skip);

void pbd_lib_close(struct pbd_port *p);
int pbd_lib_fd(const struct pbd_port *p);
void pbd_lib_dispatch(struct pbd_port *p);
bool pbd_lib_is_up(const struct pbd_port *p);
unsigned pbd_lib_rx(struct pbd_port *p, struct pb_frame *f, unsigned n);
unsigned pbd_lib_tx(struct pbd_port *p, const struct pb_frame *f, unsigned n);
int pbd_lib_prepare_sleep(struct pbd_port *p);
void pbd_lib_stats(const struct pbd_port *p, struct pb_port_stats *st);
void pbd_lib_describe(const struct pbd_port *p, json_t *obj);
bool pbd_lib_maps(const struct pbd_port *p, const void *addr);
void pbd_lib_drop_peer(struct pbd_port *p, const char *why);

#define PBD_LIB_OPS                                                                                \
	.close = pbd_lib_close, .fd = pbd_lib_fd, .dispatch = pbd_lib_dispatch,                    \
	.is_up = pbd_lib_is_up, .rx = pbd_lib_rx, .tx = pbd_lib_tx,                                \
	.prepare_sleep = pbd_lib_prepare_sleep, .stats = pbd_lib_stats,                            \
	.describe = pbd_lib_describe, .maps = pbd_lib_maps, .drop_peer = pbd_lib_drop_peer

#endif /* PBD_PORT_LIB_H */
