/* SPDX-License-Identifier: MIT */
/*
 * client.h - the CLI's end of the control socket: connect (and read the
 * greeting), send one request line, read one reply line.
 */
#ifndef PBC_CLIENT_H
#define PBC_CLIENT_H

#include <jansson.h>
#include <stdio.h>

struct pbctl_client {
	int fd;
	FILE *in; /* buffered reader over fd */
	char path[108];
	int next_id;
	int error; /* why pbctl_connect failed: an errno (EPROTO: not patchbayd) */
};

/* Connect to the daemon at @path. On failure prints why (daemon not
 * running, permission denied) to stderr and returns -1. */
int pbctl_connect(struct pbctl_client *c, const char *path);
void pbctl_close(struct pbctl_client *c);

/* Send @req (its id is set here) and return the reply, or NULL (printed) if
 * the connection failed. */
json_t *pbctl_call(struct pbctl_client *c, json_t *req);
/* The same, passing @fd (SCM_RIGHTS) with the request (docs/CONTROL.md). */
json_t *pbctl_call_fd(struct pbctl_client *c, json_t *req, int fd);

/* Print a failed reply's error as "patchbay: MESSAGE (CODE)" and return 1;
 * return 0 for a reply that is ok. */
int pbctl_report(json_t *reply);

#endif /* PBC_CLIENT_H */
