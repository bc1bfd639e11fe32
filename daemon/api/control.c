/* SPDX-License-Identifier: MIT */
/*
 * control.c - the control socket (see control.h). On connect the daemon
 * greets with {"patchbay":{"version":...,"protocol":1}}; then each line a
 * client sends is one request and gets one reply line. A line longer than
 * PBCTL_MAX_LINE is read to its end and thrown away, and answered with a
 * "too_long" error; malformed JSON gets "bad_json" naming where it broke.
 * Neither closes the connection nor touches the panel.
 *
 * File descriptors (SCM_RIGHTS) may come with a request: a client sends
 * them with the bytes of the request line they belong to, in one
 * sendmsg(). The kernel ends a read at the data that came with them, so
 * they belong to the line holding the last byte of the read that brought
 * them. The handler may keep them (pbd_cmd_conn()); the rest are closed
 * once the line is answered. At most PBD_CONN_MAX_FDS wait at a time; more
 * are closed at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cmdtab.h"
#include "api/commands.h"
#include "api/control.h"
#include "api/listen.h"
#include "core/capture.h"
#include "core/log.h"

int pbd_control_open(struct pbd_control *c, struct pbd_panel *pn, const char *path, int epfd)
{
	memset(c, 0, sizeof(*c));
	c->pn = pn;
	c->epfd = epfd;
	c->listen_fd = -1;
	for (int i = 0; i < PBD_CTL_MAX_CLIENTS; i++)
		c->client[i].fd = -1;
	if (strlen(path) >= sizeof(c->path))
		return -ENAMETOOLONG;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->listen_fd = pbd_listen_unix(path);
	if (c->listen_fd < 0) {
		int e = c->listen_fd;
		c->listen_fd = -1;
		return e;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = PBD_TAG_LISTEN};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->listen_fd, &ev) < 0)
		return -errno;
	return 0;
}

/* The line buf[0, @end] is done: close its fds that no handler took (-1
 * if one did); the others move with their bytes. SIZE_MAX: close all. */
static void settle_fds(struct pbd_ctl_client *cl, size_t end)
{
	unsigned k = 0;

	for (unsigned j = 0; j < cl->nfds; j++) {
		if (cl->fd_at[j] <= end) {
			if (cl->fds[j] >= 0)
				close(cl->fds[j]);
		} else {
			cl->fds[k] = cl->fds[j];
			cl->fd_at[k++] = cl->fd_at[j] - (end + 1);
		}
	}
	cl->nfds = k;
}

static void drop_client(struct pbd_control *c, int i)
{
	struct pbd_ctl_client *cl = &c->client[i];

	settle_fds(cl, SIZE_MAX);
	/* A capture tied to this connection ends with it (Ctrl-C of the CLI). */
	pbd_capture_conn_closed(c->pn, cl->serial);
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	free(cl->buf);
	cl->buf = NULL;
	cl->fd = -1;
	cl->len = 0;
	cl->discarding = false;
}

/* Send @msg and a newline. The client's socket is blocking with a send
 * timeout: a client that does not read its replies is dropped. */
static bool send_json(struct pbd_ctl_client *cl, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	bool ok = text != NULL;

	if (text) {
		size_t len = strlen(text), off = 0;
		text[len] = '\n'; /* replaces the NUL: send len + 1 bytes */
		while (ok && off < len + 1) {
			ssize_t n = send(cl->fd, text + off, len + 1 - off, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			ok = n > 0;
			off += n > 0 ? (size_t)n : 0;
		}
		free(text);
	}
	return ok;
}

static void accept_client(struct pbd_control *c)
{
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < PBD_CTL_MAX_CLIENTS && c->client[i].fd >= 0; i++)
		;
	if (i == PBD_CTL_MAX_CLIENTS) {
		LOGW("control", "too many control clients (%d): refusing one", PBD_CTL_MAX_CLIENTS);
		close(fd);
		return;
	}
	struct pbd_ctl_client *cl = &c->client[i];
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	cl->buf = malloc(PBCTL_MAX_LINE + 1);
	cl->fd = fd;
	cl->len = 0;
	cl->nfds = 0;
	cl->serial = ++c->serials;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = PBD_TAG_CLIENT | (uint64_t)i};
	if (!cl->buf || epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		drop_client(c, i);
		return;
	}
	json_t *hello = json_pack("{s:{s:s, s:i}}", "patchbay", "version", pb_version(), "protocol",
				  PBCTL_PROTOCOL);
	if (!send_json(cl, hello))
		drop_client(c, i);
	json_decref(hello);
}

/* Run the line buf[0, len) with the fds that came with it. */
static json_t *handle_line(struct pbd_control *c, struct pbd_ctl_client *cl, size_t len)
{
	struct pbd_conn conn = {.serial = cl->serial};
	json_error_t jerr;
	json_t *req = json_loadb(cl->buf, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!req)
		return pbd_error_reply(NULL, "bad_json", "malformed JSON at column %d: %s",
				       jerr.column, jerr.text);
	for (unsigned j = 0; j < cl->nfds; j++)
		if (cl->fd_at[j] <= len)
			conn.fds[conn.nfds++] = cl->fds[j];
	json_t *rep = pbd_execute_conn(c->pn, req, &conn);
	/* What the handler kept is -1 in conn; settle_fds() closes the rest. */
	for (unsigned j = 0, k = 0; j < cl->nfds; j++)
		if (cl->fd_at[j] <= len && conn.fds[k++] < 0)
			cl->fds[j] = -1;
	json_decref(req);
	return rep;
}

/* Answer every complete line in the client's buffer. False: drop it. */
static bool serve_lines(struct pbd_control *c, struct pbd_ctl_client *cl)
{
	char *nl;

	while ((nl = memchr(cl->buf, '\n', cl->len)) != NULL) {
		size_t line_len = (size_t)(nl - cl->buf);
		json_t *rep;
		if (cl->discarding) {
			cl->discarding = false;
			rep = pbd_error_reply(NULL, "too_long",
					      "request line longer than %d bytes: ignored",
					      PBCTL_MAX_LINE);
		} else if (line_len == 0 || (line_len == 1 && cl->buf[0] == '\r')) {
			rep = NULL; /* blank lines are allowed, and not answered */
		} else {
			rep = handle_line(c, cl, line_len);
		}
		bool ok = !rep || send_json(cl, rep);
		json_decref(rep);
		memmove(cl->buf, nl + 1, cl->len - line_len - 1);
		cl->len -= line_len + 1;
		settle_fds(cl, line_len);
		if (!ok)
			return false;
	}
	if (cl->len == PBCTL_MAX_LINE) {
		cl->discarding = true; /* keep reading, throw it away */
		cl->len = 0;
		settle_fds(cl, SIZE_MAX); /* their line is thrown away */
	}
	return true;
}

/* Keep the fds of a cmsg, each for the line that holds byte @at. */
static void take_fds(struct pbd_ctl_client *cl, struct msghdr *mh, size_t at)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t j = 0; j < n; j++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + j * sizeof(int), sizeof(fd));
			if (cl->nfds == PBD_CONN_MAX_FDS) {
				close(fd);
				continue;
			}
			cl->fds[cl->nfds] = fd;
			cl->fd_at[cl->nfds++] = at;
		}
	}
}

static void read_client(struct pbd_control *c, int i)
{
	struct pbd_ctl_client *cl = &c->client[i];
	union {
		char buf[CMSG_SPACE(PBD_CONN_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {cl->buf + cl->len, PBCTL_MAX_LINE - cl->len};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl)};
	ssize_t n = recvmsg(cl->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		drop_client(c, i);
		return;
	}
	if (n < 0)
		return;
	if (mh.msg_controllen)
		take_fds(cl, &mh, cl->len + (size_t)n - 1);
	cl->len += (size_t)n;
	if (!serve_lines(c, cl))
		drop_client(c, i);
}

void pbd_control_event(struct pbd_control *c, uint64_t tag)
{
	if (tag == PBD_TAG_LISTEN) {
		accept_client(c);
		return;
	}
	int i = (int)(tag & 0xffffffffu);
	if (i >= 0 && i < PBD_CTL_MAX_CLIENTS && c->client[i].fd >= 0)
		read_client(c, i);
}

void pbd_control_close(struct pbd_control *c)
{
	for (int i = 0; i < PBD_CTL_MAX_CLIENTS; i++)
		if (c->client[i].fd >= 0)
			drop_client(c, i);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->path);
		c->listen_fd = -1;
	}
}
