/* SPDX-License-Identifier: MIT */
/*
 * main.c - patchbayd: the run directory, start in order, the control loop
 * (the control socket, HTTP and signals on one epoll) and clean shutdown.
 * The command line is options.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cmdtab.h"
#include "common/mkdirs.h"
#include "api/commands.h"
#include "api/config.h"
#include "api/control.h"
#include "core/bridge.h"
#include "core/capture.h"
#include "core/mirror.h"
#include "core/fault.h"
#include "api/http.h"
#include "core/log.h"
#include "core/panel.h"
#include "options.h"

#define TAG_SIGNAL  (3ull << 32)
#define TAG_CAPTURE (4ull << 32) /* a capture ended by itself: reap it */

static int setup_run_dir(const struct options *o)
{
	int r = pbctl_mkdirs(o->run_dir, 0755, 0770);

	if (r < 0) {
		LOGE("main", "run directory %s: %s", o->run_dir, strerror(-r));
		return r;
	}
	if (o->group) {
		struct group *g = getgrnam(o->group);
		if (!g) {
			LOGE("main", "--group %s: no such group", o->group);
			return -ENOENT;
		}
		if (chown(o->run_dir, (uid_t)-1, g->gr_gid) < 0) {
			LOGE("main", "--group %s: chown %s: %s", o->group, o->run_dir,
			     strerror(errno));
			return -errno;
		}
		/* New sockets in the directory inherit its group. */
		chmod(o->run_dir, 02770);
	}
	return 0;
}

/* Detach; the parent exits once the child says it is serving (or failed),
 * so `patchbayd --daemon && patchbay status` works. Returns the fd the
 * child writes its status byte to. */
static int daemonize(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		char st = 1;
		close(p[1]);
		if (read(p[0], &st, 1) != 1)
			st = 1;
		_exit(st);
	}
	close(p[0]);
	setsid();
	if (fork() > 0)
		_exit(0);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (chdir("/") < 0) {
		/* stays where it was */
	}
	return p[1];
}

static void ready(int fd, char status)
{
	if (fd >= 0) {
		if (write(fd, &status, 1) < 0) {
			/* the parent is gone */
		}
		close(fd);
	}
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%d\n", (int)getpid());
	return fclose(f) == 0 ? 0 : -errno;
}

/* The daemon's parts the control loop drives. */
struct daemon {
	struct options o;
	struct pbd_panel pn;
	struct pbd_control ctl;
	struct pbd_http http;
	char path[300]; /* the control socket */
	int epfd, sfd;
	int notify; /* --daemon: tells the parent we serve (or not) */
};

/* Signals arrive on a signalfd in the control loop, never on a worker. */
static int open_signals(struct daemon *d)
{
	sigset_t sigs;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_SIGNAL};
	if (d->epfd < 0 || d->sfd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sfd, &ev) < 0) {
		LOGE("main", "epoll/signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int open_http(struct daemon *d)
{
	const struct options *o = &d->o;
	char err[512];

	if (pbd_http_open(&d->http, &d->pn, o->http, o->http_token, d->epfd, err, sizeof(err)) <
	    0) {
		LOGE("main", "%s", err);
		return -1;
	}
	/* The API's socket is the control socket's peer: the same group. */
	struct group *g = o->group ? getgrnam(o->group) : NULL;
	if (g && d->http.unix_path[0] && chown(d->http.unix_path, (uid_t)-1, g->gr_gid) < 0)
		LOGW("main", "--group %s: chown %s: %s", o->group, d->http.unix_path,
		     strerror(errno));
	LOGI("main", "REST API and metrics on %s%s", o->http,
	     d->http.token_len ? " (bearer token)" : "");
	return 0;
}

static int install_fault_handler(void)
{
	if (pbd_fault_install() < 0) {
		LOGE("main", "installing the SIGBUS handler: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The sockets, the workers and the --config recipe, in that order; on a
 * failure what was started is stopped again. */
static int start(struct daemon *d)
{
	struct options *o = &d->o;
	int r;

	snprintf(d->path, sizeof(d->path), "%s/%s", o->run_dir, PBCTL_SOCKET_NAME);
	/* The socket first: a second daemon on the same run dir stops here,
	 * before it touches any port socket of the first. */
	if ((r = pbd_control_open(&d->ctl, &d->pn, d->path, d->epfd)) < 0) {
		LOGE("main", "control socket %s: %s", d->path,
		     r == -EADDRINUSE ? "another patchbayd is serving this run directory"
		     : r == -EEXIST   ? "exists and is not a socket (not removed)"
				      : strerror(-r));
		return -1;
	}
	if (o->http && open_http(d) < 0)
		goto close_control;
	if ((r = pbd_panel_start(&d->pn, o->run_dir, o->workers, o->ncpus ? o->cpus : NULL,
				 o->idle_us)) < 0) {
		LOGE("main", "starting the workers: %s", strerror(-r));
		goto close_http;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_CAPTURE};
	if ((r = pbd_capture_init(&d->pn)) < 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, pbd_capture_event_fd(&d->pn), &ev) < 0) {
		LOGE("main", "captures: %s", strerror(r < 0 ? -r : errno));
		goto stop_panel;
	}
	if (o->ncpus && o->ncpus < o->workers) /* more workers than CPUs listed: wrap */
		for (unsigned i = o->ncpus; i < o->workers; i++)
			d->pn.workers[i].cpu = o->cpus[i % o->ncpus];
	if (o->config && pbd_config_replay(&d->pn, o->config) < 0)
		goto stop_panel;
	return 0;
stop_panel:
	pbd_capture_fini(&d->pn);
	pbd_panel_stop(&d->pn);
	pbd_bridges_free(&d->pn);
	pbd_mirrors_free(&d->pn);
close_http:
	pbd_http_close(&d->http);
close_control:
	pbd_control_close(&d->ctl);
	return -1;
}

/* false once a signal says stop. */
static bool read_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	bool running = true;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			continue; /* nothing to reload: ignored */
		LOGI("main", "signal %u: shutting down", si.ssi_signo);
		running = false;
	}
	return running;
}

/* The control loop: control socket, HTTP and signals on one epoll. */
static void serve(struct daemon *d)
{
	for (bool running = true; running;) {
		struct epoll_event evs[16];
		int n = epoll_wait(d->epfd, evs, 16, pbd_http_timeout_ms(&d->http));
		if (n < 0 && errno != EINTR) {
			LOGE("main", "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == TAG_SIGNAL)
				running &= read_signals(d);
			else if (evs[i].data.u64 == PBD_TAG_HTTP)
				pbd_http_run(&d->http);
			else if (evs[i].data.u64 == TAG_CAPTURE)
				pbd_capture_reap(&d->pn);
			else
				pbd_control_event(&d->ctl, evs[i].data.u64);
		}
		if (n == 0)
			pbd_http_run(&d->http); /* its timeouts */
	}
}

int main(int argc, char **argv)
{
	static struct daemon d = {.http = {.listen_fd = -1}, .notify = -1};
	struct options *o = &d.o;
	int r;

	if ((r = pbd_options_parse(argc, argv, o)) != 0 || (r = pbd_options_resolve(o)) != 0)
		return r;
	if (o->daemon && (d.notify = daemonize()) < 0) {
		perror("patchbayd: daemonize");
		return 1;
	}
	pbd_log_init(o->syslog, o->level);
	umask(007);
	if (open_signals(&d) < 0 || install_fault_handler() < 0) {
		ready(d.notify, 1);
		return 1;
	}
	if (setup_run_dir(o) < 0 || start(&d) < 0) {
		ready(d.notify, 1);
		return 1;
	}
	if (o->pidfile && (r = write_pidfile(o->pidfile)) < 0)
		LOGW("main", "pidfile %s: %s", o->pidfile, strerror(-r));
	LOGI("main", "patchbayd %s serving %s with %u worker(s)", pb_version(), d.path, o->workers);
	ready(d.notify, 0);
	serve(&d);
	pbd_http_close(&d.http);
	pbd_control_close(&d.ctl);
	pbd_capture_fini(&d.pn); /* every writer joined, every file closed */
	pbd_panel_stop(&d.pn);
	pbd_bridges_free(&d.pn);
	pbd_mirrors_free(&d.pn);
	if (o->pidfile)
		unlink(o->pidfile);
	LOGI("main", "stopped");
	return 0;
}
