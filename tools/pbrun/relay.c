/* SPDX-License-Identifier: MIT */
/*
 * relay.c - while the app runs: its stdout and stderr line by line with
 * "NAME| " in front (so several containers can share a terminal), and the
 * signals pbrun gets passed on. The first Ctrl-C or SIGTERM goes to the app;
 * a second one kills the container outright.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pbrun.h"

struct stream {
	int fd;	 /* -1 at EOF */
	int out; /* 1 or 2 */
	char buf[4096];
	size_t len;
};

static void emit(const struct pbrun *r, int out, const char *data, size_t len)
{
	char line[4096 + PBRUN_NAME_MAX + 4];
	size_t n = 0;

	if (!r->no_prefix)
		n = (size_t)snprintf(line, sizeof(line), "%s| ", r->name);
	memcpy(line + n, data, len);
	n += len;
	if (n && line[n - 1] != '\n')
		line[n++] = '\n';
	for (size_t done = 0; done < n;) {
		ssize_t w = write(out, line + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* our own output is gone: nothing else to do with it */
		done += (size_t)w;
	}
}

/* Read what is there; emit every complete line (and a line too long for the
 * buffer as it is). */
static void pump(const struct pbrun *r, struct stream *s)
{
	ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (s->len)
			emit(r, s->out, s->buf, s->len);
		s->len = 0;
		close(s->fd);
		s->fd = -1;
		return;
	}
	s->len += (size_t)n;
	char *start = s->buf, *nl;
	while ((nl = memchr(start, '\n', s->len - (size_t)(start - s->buf)))) {
		emit(r, s->out, start, (size_t)(nl - start + 1));
		start = nl + 1;
	}
	s->len -= (size_t)(start - s->buf);
	memmove(s->buf, start, s->len);
	if (s->len == sizeof(s->buf)) {
		emit(r, s->out, s->buf, s->len);
		s->len = 0;
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int pbrun_relay(struct pbrun *r, pid_t child, int out_fd, int err_fd)
{
	struct stream st[2] = {{.fd = out_fd, .out = 1}, {.fd = err_fd, .out = 2}};
	sigset_t set;
	int sfd, status = -1, signals = 0;
	long long exited_at = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGCHLD);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

	/* Until the app is gone and its output drained; a grandchild that
	 * still holds the pipes after the app exits gets a second. */
	while (status < 0 || ((st[0].fd >= 0 || st[1].fd >= 0) && now_ms() - exited_at < 1000)) {
		struct pollfd p[3] = {{.fd = st[0].fd, .events = POLLIN},
				      {.fd = st[1].fd, .events = POLLIN},
				      {.fd = sfd, .events = POLLIN}};

		if (poll(p, 3, status < 0 ? 1000 : 100) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++)
			if (st[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				pump(r, &st[i]);
		struct signalfd_siginfo si;
		while (sfd >= 0 && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD)
				continue;
			if (status >= 0)
				continue;
			kill(child, ++signals > 1 ? SIGKILL : (int)si.ssi_signo);
		}
		int ws;
		if (status < 0 && waitpid(child, &ws, WNOHANG) == child) {
			status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			exited_at = now_ms();
		}
	}
	for (int i = 0; i < 2; i++)
		if (st[i].fd >= 0)
			close(st[i].fd);
	if (sfd >= 0)
		close(sfd);
	return status;
}
