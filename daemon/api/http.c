/* SPDX-License-Identifier: MIT */
/*
 * http.c - the HTTP side of patchbayd (see http.h): listening, the token,
 * reading a request's body within its cap, and handing it to the routes.
 *
 * The order of checks is the one that changes nothing and reads least on a
 * bad request: the token first (a 401 never reads the body), then the
 * declared length (a 413 before the body is read), then the body as it
 * comes (a chunked body over the cap is drained and answered 413).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/http.h"
#include "api/listen.h"
#include "core/log.h"

/* Per request, between the calls libmicrohttpd makes for it. */
struct request_state {
	char *body;
	size_t len;
	bool too_big;
	bool has_body;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The token file must be ours alone: a token others can read is no token. */
static int read_token(struct pbd_http *h, const char *file, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return fail(err, errlen, "--http-token %s: %s", file, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, "--http-token %s: not a regular file", file);
	}
	if (st.st_mode & 077) {
		close(fd);
		return fail(err, errlen,
			    "--http-token %s: mode %03o lets others read it; chmod 600 it", file,
			    (unsigned)(st.st_mode & 0777));
	}
	char buf[PBD_HTTP_MAX_TOKEN + 2];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return fail(err, errlen, "--http-token %s: %s", file, strerror(errno));
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0)
		return fail(err, errlen, "--http-token %s: the file is empty", file);
	if (n > PBD_HTTP_MAX_TOKEN)
		return fail(err, errlen, "--http-token %s: longer than %d bytes", file,
			    PBD_HTTP_MAX_TOKEN);
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] <= ' ' || buf[i] > '~')
			return fail(err, errlen,
				    "--http-token %s: the token must be one line of printable "
				    "characters without spaces",
				    file);
	memcpy(h->token, buf, (size_t)n);
	h->token[n] = 0;
	h->token_len = (size_t)n;
	return 0;
}

static int listen_unix(struct pbd_http *h, const char *path, char *err, size_t errlen)
{
	int fd = pbd_listen_unix(path);

	if (fd == -EEXIST)
		return fail(err, errlen, "--http unix:%s: exists and is not a socket", path);
	if (fd == -EADDRINUSE)
		return fail(err, errlen, "--http unix:%s: something answers there", path);
	if (fd == -ENAMETOOLONG)
		return fail(err, errlen, "--http unix:%s: the path is empty or too long", path);
	if (fd < 0)
		return fail(err, errlen, "--http unix:%s: %s", path, strerror(-fd));
	snprintf(h->unix_path, sizeof(h->unix_path), "%s", path);
	return fd;
}

static int listen_tcp(const char *spec, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_storage ss = {0};
	socklen_t sl;

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(host))
		return fail(err, errlen, "--http %s: expected unix:PATH, ADDR:PORT or [ADDR6]:PORT",
			    spec);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535)
		return fail(err, errlen, "--http %s: the port must be 1..65535", spec);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return fail(err, errlen, "--http %s: '%s' is not an IPv6 address", spec,
				    host + 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
	} else {
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return fail(err, errlen,
				    "--http %s: '%s' is not an IPv4 address (IPv6: [ADDR]:PORT)",
				    spec, host);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return fail(err, errlen, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		return fail(err, errlen, "--http %s: %s", spec, strerror(e));
	}
	return fd;
}

/* Constant time: how long the comparison takes says nothing of the token. */
static bool token_ok(const struct pbd_http *h, struct MHD_Connection *conn)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	static const char scheme[] = "Bearer ";

	if (!h->token_len)
		return true;
	if (!auth || strncasecmp(auth, scheme, sizeof(scheme) - 1) != 0)
		return false;
	auth += sizeof(scheme) - 1;
	size_t n = strlen(auth);
	unsigned char diff = n != h->token_len;
	for (size_t i = 0; i < h->token_len; i++)
		diff |= (unsigned char)(h->token[i] ^ (i < n ? auth[i] : 0));
	return diff == 0;
}

void pbd_http_error(struct pbd_http_req *rq, unsigned status, const char *code, const char *fmt,
		    ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *o = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
	free(rq->text);
	rq->text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	rq->status = status;
	rq->content_type = "application/json";
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, struct pbd_http_req *rq)
{
	size_t len = rq->text ? strlen(rq->text) : 0;
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, rq->text ? rq->text : (char *)"",
	    rq->text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(rq->text);
		return MHD_NO;
	}
	rq->text = NULL;
	if (len)
		MHD_add_response_header(r, "Content-Type", rq->content_type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (rq->status == 401)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"patchbayd\"");
	if (rq->allow)
		MHD_add_response_header(r, "Allow", rq->allow);
	enum MHD_Result ok = MHD_queue_response(conn, rq->status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result answer_error(struct MHD_Connection *conn, unsigned status, const char *code,
				    const char *msg)
{
	struct pbd_http_req rq = {.status = status};

	pbd_http_error(&rq, status, code, "%s", msg);
	return send_answer(conn, &rq);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct pbd_http *h = cls;
	struct request_state *st = *con_cls;

	(void)version;
	if (!st) { /* the headers are in; the body (if any) comes next */
		if (!token_ok(h, conn))
			return answer_error(conn, 401, "unauthorized",
					    "missing or wrong bearer token (Authorization: "
					    "Bearer TOKEN)");
		const char *cl =
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > PBD_HTTP_MAX_BODY) {
			char msg[96];
			snprintf(msg, sizeof(msg), "request body over %d bytes", PBD_HTTP_MAX_BODY);
			return answer_error(conn, 413, "too_large", msg);
		}
		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		*con_cls = st;
		return MHD_YES;
	}
	if (*upload_data_size) { /* a piece of the body */
		size_t n = *upload_data_size;
		st->has_body = true;
		if (!st->too_big && st->len + n > PBD_HTTP_MAX_BODY) {
			st->too_big = true; /* drained, not kept */
			free(st->body);
			st->body = NULL;
		}
		if (!st->too_big) {
			char *b = realloc(st->body, st->len + n + 1);
			if (!b)
				return MHD_NO;
			memcpy(b + st->len, upload_data, n);
			st->body = b;
			st->len += n;
			st->body[st->len] = 0;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->too_big) {
		char msg[96];
		snprintf(msg, sizeof(msg), "request body over %d bytes", PBD_HTTP_MAX_BODY);
		return answer_error(conn, 413, "too_large", msg);
	}
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	struct pbd_http_req rq = {
	    .pn = h->pn,
	    .conn = conn,
	    .method = method,
	    .path = url,
	    .body = st->has_body ? st->body : NULL,
	    .body_len = st->len,
	    .wants_dot = accept && strstr(accept, "text/vnd.graphviz"),
	    .status = 200,
	    .content_type = "application/json",
	};
	if (st->has_body && !st->body) /* an empty body */
		rq.body = "";
	pbd_http_route(&rq);
	LOGD("http", "%s %s: %u", method, url, rq.status);
	return send_answer(conn, &rq);
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode why)
{
	struct request_state *st = *con_cls;

	(void)cls;
	(void)conn;
	(void)why;
	if (st) {
		free(st->body);
		free(st);
		*con_cls = NULL;
	}
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = 0;
	LOGD("http", "libmicrohttpd: %s", msg);
}

int pbd_http_open(struct pbd_http *h, struct pbd_panel *pn, const char *spec,
		  const char *token_file, int epfd, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	h->pn = pn;
	h->listen_fd = -1;
	bool is_unix = !strncmp(spec, "unix:", 5);

	if (!is_unix && !token_file)
		return fail(err, errlen,
			    "--http %s: a TCP listener needs --http-token FILE (a file of mode "
			    "0600 holding the token)",
			    spec);
	if (token_file && read_token(h, token_file, err, errlen) < 0)
		return -1;
	int fd = is_unix ? listen_unix(h, spec + 5, err, errlen) : listen_tcp(spec, err, errlen);
	if (fd < 0)
		return -1;
	h->listen_fd = fd;
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
				  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
				  on_done, h, MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (!h->mhd) {
		pbd_http_close(h);
		return fail(err, errlen, "--http %s: libmicrohttpd did not start", spec);
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = PBD_TAG_HTTP};
	if (!info || epoll_ctl(epfd, EPOLL_CTL_ADD, info->epoll_fd, &ev) < 0) {
		pbd_http_close(h);
		return fail(err, errlen, "--http %s: epoll: %s", spec, strerror(errno));
	}
	return 0;
}

void pbd_http_run(struct pbd_http *h)
{
	if (h->mhd)
		MHD_run(h->mhd);
}

int pbd_http_timeout_ms(struct pbd_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (!h->mhd || MHD_get_timeout(h->mhd, &ms) != MHD_YES)
		return -1;
	return ms > 60000 ? 60000 : (int)ms;
}

void pbd_http_close(struct pbd_http *h)
{
	if (h->mhd) {
		MHD_stop_daemon(h->mhd);
		h->mhd = NULL;
	}
	if (h->listen_fd >= 0) {
		close(h->listen_fd);
		h->listen_fd = -1;
	}
	if (h->unix_path[0]) {
		unlink(h->unix_path);
		h->unix_path[0] = 0;
	}
}
