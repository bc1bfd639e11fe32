/* SPDX-License-Identifier: MIT */
/*
 * main.c - patchbayd: options, the run directory, the control loop (the
 * control socket and signals on one epoll), start and clean shutdown.
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
#include "core/fault.h"
#include "api/http.h"
#include "core/log.h"
#include "core/panel.h"

#define TAG_SIGNAL (3ull << 32)

struct options {
	char run_dir[256];
	const char *config;
	const char *pidfile;
	const char *group;
	const char *http;	/* --http SPEC */
	const char *http_token; /* --http-token FILE */
	unsigned workers;
	int cpus[256];
	unsigned ncpus;
	bool daemon;
	bool syslog;
	enum pb_log_level level;
	uint64_t idle_us;
};

static void usage(FILE *f)
{
	char dir[256];

	pbctl_default_run_dir(dir, sizeof(dir));
	fprintf(
	    f,
	    "usage: patchbayd [options]\n"
	    "\n"
	    "The patchbay soft patch panel: vhost-user ports for containers and VMs,\n"
	    "tap, pcap and null ports, patches between them, driven by `patchbay`.\n"
	    "\n"
	    "  -r, --run-dir DIR    control and port sockets (default %s)\n"
	    "  -c, --config FILE    run the patchbay commands in FILE at start\n"
	    "  -w, --workers N      forwarding threads (default: one per CPU)\n"
	    "      --cpus LIST      pin workers to these CPUs, e.g. 0,2-3\n"
	    "      --idle-us N      poll this long with nothing to do, then sleep (default 200)\n"
	    "  -g, --group NAME     group that may use the sockets (mode 0660)\n"
	    "      --http SPEC      serve the REST API and /metrics on unix:PATH or\n"
	    "                       ADDR:PORT ([ADDR6]:PORT); off by default\n"
	    "      --http-token FILE  bearer token every HTTP request must carry\n"
	    "                       (the file: mode 0600); required for ADDR:PORT\n"
	    "  -d, --daemon         detach (logs go to syslog)\n"
	    "  -p, --pidfile FILE   write the daemon's pid here\n"
	    "      --syslog         log to syslog instead of stderr\n"
	    "  -v, --verbose        debug messages\n"
	    "  -q, --quiet          warnings and errors only\n"
	    "  -V, --version        print the version\n"
	    "  -h, --help           this text\n",
	    dir);
}

static int parse_cpus(const char *s, struct options *o)
{
	char *end;

	o->ncpus = 0;
	while (*s) {
		long a = strtol(s, &end, 10), b = a;
		if (end == s || a < 0 || a > 4095)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b > 4095)
				return -1;
		}
		for (long c = a; c <= b; c++) {
			if (o->ncpus == sizeof(o->cpus) / sizeof(o->cpus[0]))
				return -1;
			o->cpus[o->ncpus++] = (int)c;
		}
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return o->ncpus ? 0 : -1;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
	    {"run-dir", required_argument, NULL, 'r'},
	    {"config", required_argument, NULL, 'c'},
	    {"workers", required_argument, NULL, 'w'},
	    {"cpus", required_argument, NULL, 'C'},
	    {"idle-us", required_argument, NULL, 'I'},
	    {"group", required_argument, NULL, 'g'},
	    {"daemon", no_argument, NULL, 'd'},
	    {"pidfile", required_argument, NULL, 'p'},
	    {"syslog", no_argument, NULL, 'S'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {"http", required_argument, NULL, 'H'},
	    {"http-token", required_argument, NULL, 'T'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	pbctl_default_run_dir(o->run_dir, sizeof(o->run_dir));
	o->level = PB_LOG_INFO;
	o->idle_us = 200;
	while ((c = getopt_long(argc, argv, "r:c:w:g:dp:vqVh", longs, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (strlen(optarg) >= sizeof(o->run_dir) - 32) {
				fprintf(stderr, "patchbayd: --run-dir: path too long\n");
				return 2;
			}
			snprintf(o->run_dir, sizeof(o->run_dir), "%s", optarg);
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'w': {
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 64) {
				fprintf(stderr, "patchbayd: --workers %s: expected 1..64\n",
					optarg);
				return 2;
			}
			o->workers = (unsigned)n;
			break;
		}
		case 'C':
			if (parse_cpus(optarg, o) < 0) {
				fprintf(stderr,
					"patchbayd: --cpus %s: expected a list like 0,2-3\n",
					optarg);
				return 2;
			}
			break;
		case 'I': {
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 10000000) {
				fprintf(stderr, "patchbayd: --idle-us %s: expected 0..10000000\n",
					optarg);
				return 2;
			}
			o->idle_us = (uint64_t)n;
			break;
		}
		case 'g':
			o->group = optarg;
			break;
		case 'H':
			o->http = optarg;
			break;
		case 'T':
			o->http_token = optarg;
			break;
		case 'd':
			o->daemon = true;
			o->syslog = true;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'S':
			o->syslog = true;
			break;
		case 'v':
			o->level = PB_LOG_DEBUG;
			break;
		case 'q':
			o->level = PB_LOG_WARN;
			break;
		case 'V':
			printf("patchbayd %s (control protocol %d)\n", pb_version(),
			       PBCTL_PROTOCOL);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o->http_token && !o->http) {
		fprintf(stderr, "patchbayd: --http-token needs --http\n");
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "patchbayd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o->workers) {
		long n = o->ncpus ? (long)o->ncpus : sysconf(_SC_NPROCESSORS_ONLN);
		o->workers = n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
	}
	return 0;
}

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

/* Paths given relative to where patchbayd was started stay right after
 * --daemon changes to /. */
static const char *absolute(const char *path, char *buf, size_t len)
{
	char cwd[512];

	if (!path || path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return path;
	int n = snprintf(buf, len, "%s/%s", cwd, path);
	return n > 0 && (size_t)n < len ? buf : path;
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%d\n", (int)getpid());
	return fclose(f) == 0 ? 0 : -errno;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	static struct pbd_panel pn;
	static struct pbd_control ctl;
	char path[300];
	int notify = -1, r;

	static char abs_run[512], abs_config[512], abs_pid[512], abs_http[520], abs_token[512];
	static struct pbd_http http = {.listen_fd = -1};

	if ((r = parse_args(argc, argv, &o)) != 0)
		return r;
	const char *run = absolute(o.run_dir, abs_run, sizeof(abs_run));
	if (strlen(run) >= sizeof(o.run_dir) - 32) {
		fprintf(stderr, "patchbayd: run directory %s: path too long\n", run);
		return 2;
	}
	memmove(o.run_dir, run, strlen(run) + 1);
	o.config = absolute(o.config, abs_config, sizeof(abs_config));
	o.pidfile = absolute(o.pidfile, abs_pid, sizeof(abs_pid));
	o.http_token = absolute(o.http_token, abs_token, sizeof(abs_token));
	if (o.http && !strncmp(o.http, "unix:", 5) && o.http[5] && o.http[5] != '/') {
		char rel[512];
		if (absolute(o.http + 5, rel, sizeof(rel)) == rel) {
			snprintf(abs_http, sizeof(abs_http), "unix:%s", rel);
			o.http = abs_http;
		}
	}
	if (o.daemon && (notify = daemonize()) < 0) {
		perror("patchbayd: daemonize");
		return 1;
	}
	pbd_log_init(o.syslog, o.level);
	umask(007);
	/* Signals arrive on a signalfd in the control loop, never on a worker. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pbd_fault_install() < 0) {
		LOGE("main", "installing the SIGBUS handler: %s", strerror(errno));
		ready(notify, 1);
		return 1;
	}
	if (setup_run_dir(&o) < 0) {
		ready(notify, 1);
		return 1;
	}
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_SIGNAL};
	if (epfd < 0 || sfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev) < 0) {
		LOGE("main", "epoll/signalfd: %s", strerror(errno));
		ready(notify, 1);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", o.run_dir, PBCTL_SOCKET_NAME);
	/* The socket first: a second daemon on the same run dir stops here,
	 * before it touches any port socket of the first. */
	if ((r = pbd_control_open(&ctl, &pn, path, epfd)) < 0) {
		LOGE("main", "control socket %s: %s", path,
		     r == -EADDRINUSE ? "another patchbayd is serving this run directory"
		     : r == -EEXIST   ? "exists and is not a socket (not removed)"
				      : strerror(-r));
		ready(notify, 1);
		return 1;
	}
	if (o.http) {
		char err[512];
		if (pbd_http_open(&http, &pn, o.http, o.http_token, epfd, err, sizeof(err)) < 0) {
			LOGE("main", "%s", err);
			pbd_control_close(&ctl);
			ready(notify, 1);
			return 1;
		}
		/* The API's socket is the control socket's peer: the same group. */
		struct group *g = o.group ? getgrnam(o.group) : NULL;
		if (g && http.unix_path[0] && chown(http.unix_path, (uid_t)-1, g->gr_gid) < 0)
			LOGW("main", "--group %s: chown %s: %s", o.group, http.unix_path,
			     strerror(errno));
		LOGI("main", "REST API and metrics on %s%s", o.http,
		     http.token_len ? " (bearer token)" : "");
	}
	if ((r = pbd_panel_start(&pn, o.run_dir, o.workers, o.ncpus ? o.cpus : NULL, o.idle_us)) <
	    0) {
		LOGE("main", "starting the workers: %s", strerror(-r));
		pbd_http_close(&http);
		pbd_control_close(&ctl);
		ready(notify, 1);
		return 1;
	}
	if (o.ncpus && o.ncpus < o.workers) /* more workers than CPUs listed: wrap */
		for (unsigned i = o.ncpus; i < o.workers; i++)
			pn.workers[i].cpu = o.cpus[i % o.ncpus];
	if (o.config && pbd_config_replay(&pn, o.config) < 0) {
		pbd_panel_stop(&pn);
		pbd_http_close(&http);
		pbd_control_close(&ctl);
		ready(notify, 1);
		return 1;
	}
	if (o.pidfile && (r = write_pidfile(o.pidfile)) < 0)
		LOGW("main", "pidfile %s: %s", o.pidfile, strerror(-r));
	LOGI("main", "patchbayd %s serving %s with %u worker(s)", pb_version(), path, o.workers);
	ready(notify, 0);

	for (bool running = true; running;) {
		struct epoll_event evs[16];
		int n = epoll_wait(epfd, evs, 16, pbd_http_timeout_ms(&http));
		if (n < 0 && errno != EINTR) {
			LOGE("main", "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == TAG_SIGNAL) {
				struct signalfd_siginfo si;
				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						continue; /* nothing to reload: ignored */
					LOGI("main", "signal %u: shutting down", si.ssi_signo);
					running = false;
				}
			} else if (evs[i].data.u64 == PBD_TAG_HTTP) {
				pbd_http_run(&http);
			} else {
				pbd_control_event(&ctl, evs[i].data.u64);
			}
		}
		if (n == 0)
			pbd_http_run(&http); /* its timeouts */
	}
	pbd_http_close(&http);
	pbd_control_close(&ctl);
	pbd_panel_stop(&pn);
	if (o.pidfile)
		unlink(o.pidfile);
	LOGI("main", "stopped");
	return 0;
}
