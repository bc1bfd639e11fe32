/* SPDX-License-Identifier: MIT */
/*
 * client.c - connect, greeting, request, reply. Errors say what to do:
 * a daemon that is not running, a socket we may not open.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"

static json_t *read_line(struct pbctl_client *c)
{
	char *line = NULL;
	size_t cap = 0;
	json_error_t err;

	if (getline(&line, &cap, c->in) < 0) {
		free(line);
		fprintf(stderr, "patchbay: patchbayd closed the connection\n");
		return NULL;
	}
	json_t *j = json_loads(line, 0, &err);
	free(line);
	if (!j)
		fprintf(stderr, "patchbay: unreadable reply from patchbayd: %s\n", err.text);
	return j;
}

int pbctl_connect(struct pbctl_client *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->next_id = 1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "patchbay: socket path too long: %s\n", path);
		c->error = ENAMETOOLONG;
		return -1;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		c->error = e;
		if (e == ENOENT || e == ECONNREFUSED)
			fprintf(stderr,
				"patchbay: patchbayd is not running (no daemon at %s); start it "
				"with `patchbayd`, or give its run directory with -r DIR\n",
				path);
		else if (e == EACCES || e == EPERM)
			fprintf(stderr,
				"patchbay: permission denied on %s: the control socket is for "
				"patchbayd's user and group (--group) only\n",
				path);
		else
			fprintf(stderr, "patchbay: connecting to %s: %s\n", path, strerror(e));
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->in = fdopen(dup(c->fd), "r");
	json_t *hello = c->in ? read_line(c) : NULL;
	if (!hello || !json_object_get(hello, "patchbay")) {
		if (hello)
			fprintf(stderr, "patchbay: %s does not greet like patchbayd\n", path);
		json_decref(hello);
		pbctl_close(c);
		c->error = EPROTO;
		return -1;
	}
	json_decref(hello);
	return 0;
}

void pbctl_close(struct pbctl_client *c)
{
	if (c->in)
		fclose(c->in);
	if (c->fd >= 0)
		close(c->fd);
	c->in = NULL;
	c->fd = -1;
}

/* Send @len bytes of @buf; @fd (>= 0) goes with the first of them. */
static ssize_t send_some(struct pbctl_client *c, const char *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {(void *)buf, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(c->fd, &mh, MSG_NOSIGNAL);
}

json_t *pbctl_call(struct pbctl_client *c, json_t *req)
{
	return pbctl_call_fd(c, req, -1);
}

json_t *pbctl_call_fd(struct pbctl_client *c, json_t *req, int fd)
{
	json_object_set_new(req, "id", json_integer(c->next_id++));
	char *text = json_dumps(req, JSON_COMPACT);
	if (!text)
		return NULL;
	size_t len = strlen(text), off = 0;
	text[len] = '\n';
	while (off < len + 1) {
		ssize_t n = send_some(c, text + off, len + 1 - off, off ? -1 : fd);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			fprintf(stderr, "patchbay: sending to patchbayd: %s\n", strerror(errno));
			free(text);
			return NULL;
		}
		off += (size_t)n;
	}
	free(text);
	return read_line(c);
}

int pbctl_report(json_t *reply)
{
	if (json_is_true(json_object_get(reply, "ok")))
		return 0;
	json_t *e = json_object_get(reply, "error");
	fprintf(stderr, "patchbay: %s (%s)\n", json_string_value(json_object_get(e, "message")),
		json_string_value(json_object_get(e, "code")));
	return 1;
}
