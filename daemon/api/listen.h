/* SPDX-License-Identifier: MIT */
/*
 * listen.h - a listening Unix socket for patchbayd's own services (the
 * control socket, the REST API's unix: socket).
 */
#ifndef PBD_LISTEN_H
#define PBD_LISTEN_H

/* Listen on @path, mode 0660, non-blocking. A socket left there by a
 * daemon that died is replaced; a live one is -EADDRINUSE, and a file that
 * is not a socket -EEXIST (never unlinked). Returns the fd or -errno. */
int pbd_listen_unix(const char *path);

#endif /* PBD_LISTEN_H */
