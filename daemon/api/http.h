/* SPDX-License-Identifier: MIT */
/*
 * http.h - the REST API and the Prometheus metrics of patchbayd, served by
 * libmicrohttpd in the control thread (its epoll fd sits in the main loop,
 * so a request is handled between two control-socket requests, never
 * beside one). Off unless --http is given.
 *
 * Access control: on a Unix socket, the file's permissions (as the control
 * socket's: 0660); on TCP, a bearer token read from a file of mode 0600 that
 * every request must carry. docs/REST.md is the user's side.
 */
#ifndef PBD_HTTP_H
#define PBD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/panel.h"

#define PBD_HTTP_MAX_BODY  (64 * 1024) /* as a control request line */
#define PBD_HTTP_MAX_TOKEN 256

struct MHD_Daemon;

struct pbd_http {
	struct pbd_panel *pn;
	struct MHD_Daemon *mhd;
	int listen_fd;
	char unix_path[108];		    /* set for unix: (unlinked at close) */
	char token[PBD_HTTP_MAX_TOKEN + 1]; /* empty: no token asked */
	size_t token_len;
};

/* epoll tag (data.u64) of the server's fd in the main loop. */
#define PBD_TAG_HTTP (4ull << 32)

/* Parse --http SPEC (unix:PATH or ADDR:PORT, [ADDR]:PORT for IPv6) and
 * --http-token FILE, listen, and add the server to @epfd. A TCP listener
 * needs a token. Returns 0, or -1 with @err naming the problem. */
int pbd_http_open(struct pbd_http *h, struct pbd_panel *pn, const char *spec,
		  const char *token_file, int epfd, char *err, size_t errlen);
/* Serve what is ready (the epoll fd fired, or the timeout passed). */
void pbd_http_run(struct pbd_http *h);
/* Milliseconds until the server needs pbd_http_run for its timeouts; -1:
 * none (or no server). */
int pbd_http_timeout_ms(struct pbd_http *h);
void pbd_http_close(struct pbd_http *h);

/* One request, as the routes see it (http_routes.c). */
struct pbd_http_req {
	struct pbd_panel *pn;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	const char *param; /* the {name} of the matched route, or NULL */
	const char *body;  /* NUL-terminated; NULL when there was none */
	size_t body_len;
	bool wants_dot; /* Accept: text/vnd.graphviz */
	/* The answer. */
	unsigned status;
	const char *content_type;
	char *text;	   /* malloc'd body, or NULL for none */
	const char *allow; /* Allow header of a 405 */
};

/* Route @rq and fill in its answer. */
void pbd_http_route(struct pbd_http_req *rq);
/* The answer as a JSON error object {"error":{"code","message"}}. */
void pbd_http_error(struct pbd_http_req *rq, unsigned status, const char *code, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));
/* The Prometheus exposition (text format 0.0.4) of the panel; malloc'd. */
char *pbd_metrics_text(struct pbd_panel *pn);

#endif /* PBD_HTTP_H */
