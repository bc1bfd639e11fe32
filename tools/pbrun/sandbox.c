/* SPDX-License-Identifier: MIT */
/*
 * sandbox.c - the built-in runtime: Linux namespaces and nothing installed.
 *
 *   pbrun ── clone(NEWNS|NEWPID|NEWNET|NEWUTS|NEWIPC[|NEWUSER]) ──▶ init (pid 1)
 *                                                                   │ fork
 *                                                                   ▼
 *                                                                  app (pid 2)
 *
 * init joins the cgroups, enters a cgroup namespace, builds the root
 * (below), pivots into it, brings up lo in its empty network namespace,
 * and forks the app, which drops to its uid with no capabilities and
 * no_new_privs, and execs. init then forwards signals to the app and exits
 * with its status; the kernel kills whatever else is left in the pid
 * namespace, and every mount dies with the mount namespace. init gets
 * SIGKILL if pbrun itself dies, so nothing outlives pbrun.
 *
 * The root is a small tmpfs, read-only once built:
 *   /usr            the host's (or all of --rootfs), read-only, nosuid
 *   /bin /lib ...   symlinks into /usr, as on the host
 *   /etc            passwd, group, hosts, hostname; ld.so.cache read-only
 *   /dev            null zero full random urandom tty, /dev/shm
 *   /proc /sys      this pid namespace's proc; sysfs read-only
 *   /tmp            tmpfs, 1777
 *   /run/patchbay   the app's own sockets, one bind mount each, nothing else
 *   /opt/pbrun      the app binary if it is not under /usr; --volume mounts
 *
 * As root pbrun runs the app as --user (nobody by default); as a user it
 * maps its own uid into a user namespace, which needs no privilege.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

#include "pbrun.h"

#define STACK_SIZE (256 * 1024)

struct sandbox {
	struct pbrun *r;
	char root[4200];
	int go_fd;     /* read: pbrun has put us in our cgroups */
	int status_fd; /* write: why set-up failed; closed on exec */
	int out_fd, err_fd;
	bool userns;
};

extern char **environ;

/* Say why set-up failed on the status pipe, and die. */
static void __attribute__((noreturn, format(printf, 2, 3)))
fail(const struct sandbox *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0 && write(s->status_fd, msg, strlen(msg)) < 0) {
		/* nobody left to tell */
	}
	_exit(125);
}

static void path_in(const struct sandbox *s, char *out, size_t len, const char *inner)
{
	snprintf(out, len, "%s%s", s->root, inner);
}

static void mkdir_p(const struct sandbox *s, const char *inner, mode_t mode)
{
	char path[8400];

	path_in(s, path, sizeof(path), inner);
	for (char *p = path + strlen(s->root) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		fail(s, "mkdir %s: %s", inner, strerror(errno));
	chmod(path, mode); /* umask */
}

static void touch(const struct sandbox *s, const char *inner)
{
	char path[8400], parent[8400];

	snprintf(parent, sizeof(parent), "%s", inner);
	*strrchr(parent, '/') = '\0';
	if (parent[0])
		mkdir_p(s, parent, 0755);
	path_in(s, path, sizeof(path), inner);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		fail(s, "create %s: %s", inner, strerror(errno));
	close(fd);
}

static void bind_mount(const struct sandbox *s, const char *host, const char *inner, bool ro)
{
	char path[8400];
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | (ro ? MS_RDONLY : 0);

	path_in(s, path, sizeof(path), inner);
	if (mount(host, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(s, "mount %s on %s: %s", host, inner, strerror(errno));
	if (mount(NULL, path, NULL, flags, NULL) < 0)
		fail(s, "make %s %s: %s", inner, ro ? "read-only" : "nosuid", strerror(errno));
}

static void mount_fs(const struct sandbox *s, const char *type, const char *inner,
		     unsigned long flags, const char *opts)
{
	char path[8400];

	path_in(s, path, sizeof(path), inner);
	if (mount(type, path, type, flags, opts) < 0)
		fail(s, "mount %s on %s: %s", type, inner, strerror(errno));
}

static void write_in(const struct sandbox *s, const char *inner, const char *text)
{
	char path[8400];

	path_in(s, path, sizeof(path), inner);
	if (pbrun_write_file(path, text) < 0)
		fail(s, "write %s: %s", inner, strerror(errno));
}

/* bin, lib... as the host has them: symlinks into /usr on a merged-/usr
 * system (Debian 12), else read-only binds. */
static void top_dirs(const struct sandbox *s)
{
	static const char *const dirs[] = {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};

	for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char target[256], path[8400];
		struct stat st;
		ssize_t n = readlink(dirs[i], target, sizeof(target) - 1);

		path_in(s, path, sizeof(path), dirs[i]);
		if (n > 0) {
			target[n] = '\0';
			if (symlink(target, path) < 0)
				fail(s, "symlink %s: %s", dirs[i], strerror(errno));
		} else if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			mkdir_p(s, dirs[i], 0755);
			bind_mount(s, dirs[i], dirs[i], true);
		}
	}
}

static void etc(const struct sandbox *s)
{
	const struct pbrun *r = s->r;
	char text[1024];

	mkdir_p(s, "/etc", 0755);
	snprintf(text, sizeof(text),
		 "root:x:0:0:root:/root:/bin/sh\n"
		 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
	if (r->uid != 0 && r->uid != 65534)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "app:x:%u:%u:app:/tmp:/bin/sh\n", (unsigned)r->uid, (unsigned)r->gid);
	write_in(s, "/etc/passwd", text);
	snprintf(text, sizeof(text), "root:x:0:\nnogroup:x:65534:\n");
	if (r->gid != 0 && r->gid != 65534)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "app:x:%u:\n",
			 (unsigned)r->gid);
	write_in(s, "/etc/group", text);
	snprintf(text, sizeof(text), "%s\n", r->name);
	write_in(s, "/etc/hostname", text);
	snprintf(text, sizeof(text), "127.0.0.1\tlocalhost %s\n::1\tlocalhost\n", r->name);
	write_in(s, "/etc/hosts", text);
	write_in(s, "/etc/resolv.conf", "");
	write_in(s, "/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n");
	if (access("/etc/ld.so.cache", R_OK) == 0) {
		touch(s, "/etc/ld.so.cache");
		bind_mount(s, "/etc/ld.so.cache", "/etc/ld.so.cache", true);
	}
}

static void dev(const struct sandbox *s)
{
	static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

	mkdir_p(s, "/dev", 0755);
	mount_fs(s, "tmpfs", "/dev", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");
	for (unsigned i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		char host[32], inner[32];

		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		snprintf(inner, sizeof(inner), "/dev/%s", nodes[i]);
		touch(s, inner);
		char path[8400];
		/* not bind_mount(): its nodev would make these nodes useless */
		path_in(s, path, sizeof(path), inner);
		if (mount(host, path, NULL, MS_BIND, NULL) < 0)
			fail(s, "mount %s: %s", host, strerror(errno));
	}
	static const char *const links[][2] = {{"/proc/self/fd", "/dev/fd"},
					       {"/proc/self/fd/0", "/dev/stdin"},
					       {"/proc/self/fd/1", "/dev/stdout"},
					       {"/proc/self/fd/2", "/dev/stderr"}};
	for (unsigned i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		char path[8400];

		path_in(s, path, sizeof(path), links[i][1]);
		if (symlink(links[i][0], path) < 0)
			fail(s, "symlink %s: %s", links[i][1], strerror(errno));
	}
	mkdir_p(s, "/dev/shm", 01777);
	mount_fs(s, "tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777");
}

static void build_root(struct sandbox *s)
{
	struct pbrun *r = s->r;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail(s, "make mounts private: %s", strerror(errno));
	snprintf(s->root, sizeof(s->root), "%s/root", r->state_dir);
	if (r->rootfs) {
		if (mount(r->rootfs, s->root, NULL, MS_BIND | MS_REC, NULL) < 0)
			fail(s, "mount --rootfs %s: %s", r->rootfs, strerror(errno));
	} else {
		if (mount("tmpfs", s->root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4m") < 0)
			fail(s, "mount the root tmpfs: %s", strerror(errno));
		mkdir_p(s, "/usr", 0755);
		bind_mount(s, "/usr", "/usr", true);
		top_dirs(s);
		etc(s);
		mkdir_p(s, PBRUN_INNER_APP, 0755);
	}
	dev(s);
	mkdir_p(s, "/proc", 0555);
	mount_fs(s, "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mkdir_p(s, "/sys", 0555);
	char sys[8400];
	path_in(s, sys, sizeof(sys), "/sys");
	if (mount("sysfs", sys, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		bind_mount(s, "/sys", "/sys", true); /* a user namespace may not mount sysfs */
	mkdir_p(s, "/tmp", 01777);
	mount_fs(s, "tmpfs", "/tmp", MS_NOSUID | MS_NODEV, "mode=1777,size=256m");
	mkdir_p(s, "/run", 0755);
	mount_fs(s, "tmpfs", "/run", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=1m");
	mkdir_p(s, PBRUN_INNER_RUN, 0755);
	for (int i = 0; i < r->n_ports; i++) {
		touch(s, r->port[i].inner_path);
		bind_mount(s, r->port[i].host_path, r->port[i].inner_path, false);
	}
	for (int i = 0; i < r->n_volumes; i++) {
		struct stat st;

		if (stat(r->volume[i].host, &st) < 0)
			fail(s, "--volume %s: %s", r->volume[i].host, strerror(errno));
		if (S_ISDIR(st.st_mode))
			mkdir_p(s, r->volume[i].inner, 0755);
		else
			touch(s, r->volume[i].inner);
		bind_mount(s, r->volume[i].host, r->volume[i].inner, !r->volume[i].rw);
	}
	/* Everything is in place: the root itself becomes read-only. */
	if (mount(NULL, s->root, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
		  NULL) < 0 &&
	    mount(NULL, s->root, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		fail(s, "make the root read-only: %s", strerror(errno));
	if (chdir(s->root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		fail(s, "pivot_root into %s: %s", s->root, strerror(errno));
}

/* An empty network namespace has lo, down: apps expect it up. */
static void loopback_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
}

static void drop_privileges(const struct sandbox *s)
{
	const struct pbrun *r = s->r;

	/* The bounding set goes first: that needs CAP_SETPCAP, which we lose
	 * with the uid. */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (!s->userns && (setgroups(0, NULL) < 0 || setresgid(r->gid, r->gid, r->gid) < 0 ||
			   setresuid(r->uid, r->uid, r->uid) < 0))
		fail(s, "become %u:%u: %s", (unsigned)r->uid, (unsigned)r->gid, strerror(errno));
	/* A uid that is still 0 keeps its capabilities over setresuid: clear
	 * them outright. */
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct none[2] = {{0}};
	if (syscall(SYS_capset, &hdr, none) < 0)
		fail(s, "drop capabilities: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(s, "no_new_privs: %s", strerror(errno));
}

static void __attribute__((noreturn)) exec_app(struct sandbox *s)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(s->out_fd, 1) < 0 || dup2(s->err_fd, 2) < 0)
		fail(s, "stdout: %s", strerror(errno));
	close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
	drop_privileges(s);
	environ = s->r->envp;
	execvp(s->r->argv[0], s->r->argv);
	fail(s, "cannot run %s: %s", s->r->argv[0], strerror(errno));
}

/* pid 1: forward signals to the app, reap every child, leave with the
 * app's status. */
static int __attribute__((noreturn)) init_loop(pid_t app)
{
	sigset_t all;
	int status = 0;

	sigfillset(&all);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);

		if (sig == SIGCHLD) {
			pid_t pid;
			int st;

			while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
				if (pid == app) {
					status =
					    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
					_exit(status);
				}
		} else if (sig > 0) {
			kill(app, sig);
		}
	}
}

static int sandbox_init(void *arg)
{
	struct sandbox *s = arg;
	sigset_t all;
	char go;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* /proc/1/cmdline is readable by the app: it shows "pbrun-init", not
	 * pbrun's host command line or environment. */
	if (s->r->title && s->r->title_len > 11) {
		memset(s->r->title, 0, s->r->title_len);
		strcpy(s->r->title, "pbrun-init");
	}
	if (read(s->go_fd, &go, 1) != 1)
		_exit(125); /* pbrun gave up */
	close(s->go_fd);
	if (unshare(CLONE_NEWCGROUP) < 0 && errno != EINVAL)
		fail(s, "cgroup namespace: %s", strerror(errno));
	setsid(); /* Ctrl-C reaches pbrun only, which forwards it once */
	build_root(s);
	if (sethostname(s->r->name, strlen(s->r->name)) < 0)
		fail(s, "sethostname: %s", strerror(errno));
	loopback_up();

	pid_t app = fork();
	if (app < 0)
		fail(s, "fork: %s", strerror(errno));
	if (app == 0)
		exec_app(s);
	close(s->status_fd);
	close(s->out_fd);
	close(s->err_fd);
	init_loop(app);
}

static int write_map(pid_t pid, const char *file, const char *text)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return pbrun_write_file(path, text);
}

pid_t pbrun_sandbox_start(struct pbrun *r, int out_fd, int err_fd)
{
	int go[2], status[2];
	struct sandbox s = {.r = r, .out_fd = out_fd, .err_fd = err_fd, .userns = geteuid() != 0};
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC |
		    (s.userns ? CLONE_NEWUSER : 0) | SIGCHLD;
	char root[4200], msg[1024];
	pid_t pid;
	ssize_t n;

	snprintf(root, sizeof(root), "%s/root", r->state_dir);
	if (mkdir(root, 0755) < 0 && errno != EEXIST) {
		pbrun_log("mkdir %s: %s", root, strerror(errno));
		return -1;
	}
	if (pbrun_cgroup_create(r) < 0)
		return -1;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0)
		return -1;
	s.go_fd = go[0];
	s.status_fd = status[1];

	char *stack = malloc(STACK_SIZE);
	if (!stack)
		return -1;
	pid = clone(sandbox_init, stack + STACK_SIZE, flags, &s);
	free(stack); /* the child runs on its own copy */
	close(go[0]);
	close(status[1]);
	if (pid < 0) {
		pbrun_log("cannot create the namespaces: %s%s", strerror(errno),
			  errno == EPERM || errno == ENOSPC
			      ? " (user namespaces may be off: run pbrun as root)"
			      : "");
		close(go[1]);
		close(status[0]);
		return -1;
	}
	if (s.userns) {
		char map[64];

		snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)geteuid(), (unsigned)geteuid());
		if (write_map(pid, "setgroups", "deny") < 0 || write_map(pid, "uid_map", map) < 0)
			goto broken;
		snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)getegid(), (unsigned)getegid());
		if (write_map(pid, "gid_map", map) < 0)
			goto broken;
	}
	if (pbrun_cgroup_enter(r, pid) < 0 || write(go[1], "g", 1) != 1)
		goto broken;
	close(go[1]);
	/* EOF: the app has exec'd (the pipe is close-on-exec). */
	n = read(status[0], msg, sizeof(msg) - 1);
	close(status[0]);
	if (n > 0) {
		msg[n] = '\0';
		pbrun_log("%s", msg);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
broken:
	pbrun_log("cannot set up the container: %s", strerror(errno));
	kill(pid, SIGKILL);
	close(go[1]);
	close(status[0]);
	waitpid(pid, NULL, 0);
	return -1;
}
