/* SPDX-License-Identifier: MIT */
/*
 * engine.c - the app in a real OCI container, through podman or docker.
 *
 * The same shape as the built-in sandbox: no network (`--network none`),
 * no capabilities, no_new_privs, an unprivileged --user, a read-only root
 * with the host's /usr, and the app's own sockets bind-mounted into
 * /run/patchbay: no --privileged, no hugepage mount, no --file-prefix.
 *
 * The default image is a skeleton built offline from nothing (FROM
 * scratch: empty directories, passwd and group, the /bin -> usr/bin
 * links); the host's /usr is mounted over it. --image runs any other.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pbrun.h"

static const char *engine_name(enum pbrun_engine e)
{
	return e == PBRUN_DOCKER ? "docker" : "podman";
}

struct argv_buf {
	char **v;
	int n, cap;
};

static void push(struct argv_buf *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = realloc(a->v, (size_t)a->cap * sizeof(char *));
		if (!a->v) {
			perror("pbrun");
			exit(125);
		}
	}
	a->v[a->n++] = strdup(s);
	a->v[a->n] = NULL;
}

__attribute__((format(printf, 2, 3))) static void pushf(struct argv_buf *a, const char *fmt, ...)
{
	char buf[8400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	push(a, buf);
}

/* `ENGINE run ...` for @r; used to run it and to print it. */
char **pbrun_engine_argv(const struct pbrun *r, enum pbrun_engine e)
{
	struct argv_buf a = {0};
	char ug[64], mem[32];
	bool base = !r->image;

	push(&a, engine_name(e));
	push(&a, "run");
	push(&a, "--rm");
	pushf(&a, "--name=pbrun-%s%s", r->name, "");
	pushf(&a, "--hostname=%s%s", r->name, "");
	push(&a, "--network=none");
	push(&a, "--cap-drop=all");
	push(&a, "--security-opt=no-new-privileges");
	snprintf(ug, sizeof(ug), "%u:%u", (unsigned)r->uid, (unsigned)r->gid);
	pushf(&a, "--user=%s%s", ug, "");
	push(&a, "--read-only");
	if (e == PBRUN_DOCKER) /* podman's --read-only comes with a /tmp of its own */
		push(&a, "--tmpfs=/tmp:rw,nosuid,nodev,size=256m,mode=1777");
	if (base)
		push(&a, "--volume=/usr:/usr:ro");
	for (int i = 0; i < r->n_ports; i++)
		pushf(&a, "--volume=%s:%s", r->port[i].host_path, r->port[i].inner_path);
	for (int i = 0; i < r->n_volumes; i++) {
		char v[8400];

		snprintf(v, sizeof(v), "--volume=%s:%s:%s", r->volume[i].host, r->volume[i].inner,
			 r->volume[i].rw ? "rw" : "ro");
		push(&a, v);
	}
	for (int i = 0; r->envp && r->envp[i]; i++)
		if (strncmp(r->envp[i], "TERM=", 5) != 0)
			pushf(&a, "--env=%s%s", r->envp[i], "");
	if (r->cpus)
		pushf(&a, "--cpuset-cpus=%s%s", r->cpus, "");
	if (r->memory) {
		snprintf(mem, sizeof(mem), "%llu", (unsigned long long)r->memory);
		pushf(&a, "--memory=%s%s", mem, "");
	}
	for (int i = 0; i < r->n_engine_args; i++)
		push(&a, r->engine_args[i]);
	push(&a, r->image ? r->image : PBRUN_IMAGE);
	for (int i = 0; r->argv && r->argv[i]; i++)
		push(&a, r->argv[i]);
	return a.v;
}

/* Run a helper command with its output discarded (it explains nothing a
 * user needs; failures are reported by us). */
static int run_quiet(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int put(const char *dir, const char *rel, const char *text)
{
	char path[8400];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return pbrun_write_file(path, text);
}

/* The skeleton image: FROM scratch, empty mount points, passwd, links. */
int pbrun_build_image(enum pbrun_engine e, const char *image, const char *state_dir)
{
	static const char *const dirs[] = {"usr", "etc", "tmp", "run",	     "run/patchbay", "proc",
					   "dev", "sys", "opt", "opt/pbrun", "var"};
	static const char *const links[][2] = {
	    {"usr/bin", "bin"}, {"usr/sbin", "sbin"}, {"usr/lib", "lib"}, {"usr/lib64", "lib64"}};
	char work[4200], ctx[4300], file[4300];
	int rc;

	if (state_dir)
		snprintf(work, sizeof(work), "%s/image", state_dir);
	else
		snprintf(work, sizeof(work), "%s", "/tmp/pbrun-image.XXXXXX");
	if (state_dir ? mkdir(work, 0755) < 0 : !mkdtemp(work)) {
		pbrun_log("cannot make %s: %s", work, strerror(errno));
		return -1;
	}
	snprintf(ctx, sizeof(ctx), "%s/rootfs", work);
	snprintf(file, sizeof(file), "%s/Containerfile", work);
	mkdir(ctx, 0755);
	for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[8400];

		snprintf(path, sizeof(path), "%s/%s", ctx, dirs[i]);
		mkdir(path, 0755);
		chmod(path, strcmp(dirs[i], "tmp") == 0 ? 01777 : 0755);
	}
	for (unsigned i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		char path[8400];

		snprintf(path, sizeof(path), "%s/%s", ctx, links[i][1]);
		if (symlink(links[i][0], path) < 0 && errno != EEXIST)
			return -1;
	}
	if (put(ctx, "etc/passwd",
		"root:x:0:0:root:/root:/bin/sh\n"
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n") < 0 ||
	    put(ctx, "etc/group", "root:x:0:\nnogroup:x:65534:\n") < 0 ||
	    pbrun_write_file(file, "# patchbay's base: mount points for the host's /usr\n"
				   "FROM scratch\nCOPY . /\n") < 0)
		return -1;
	pbrun_log("building the image %s with %s (once)", image, engine_name(e));
	char *argv[] = {
	    (char *)engine_name(e), "build", "--quiet", "-t", (char *)image, "-f", file, ctx, NULL};
	rc = run_quiet(argv);
	if (!state_dir) {
		char *rm[] = {"rm", "-rf", work, NULL};
		run_quiet(rm);
	}
	if (rc != 0) {
		pbrun_log("%s build of %s failed (exit %d)", engine_name(e), image, rc);
		return -1;
	}
	return 0;
}

static int ensure_image(const struct pbrun *r)
{
	const char *image = r->image ? r->image : PBRUN_IMAGE;
	char *argv[] = {(char *)engine_name(r->engine), "image", "inspect", (char *)image, NULL};
	int rc = run_quiet(argv);

	if (rc == 127) {
		pbrun_log("--engine %s: %s is not installed", engine_name(r->engine),
			  engine_name(r->engine));
		return -1;
	}
	if (rc == 0)
		return 0;
	if (r->image) {
		pbrun_log("--image %s: no such image in %s", image, engine_name(r->engine));
		return -1;
	}
	return pbrun_build_image(r->engine, image, r->state_dir);
}

pid_t pbrun_engine_start(struct pbrun *r, int out_fd, int err_fd)
{
	char **argv;
	pid_t pid;

	if (ensure_image(r) < 0)
		return -1;
	argv = pbrun_engine_argv(r, r->engine);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid(); /* signals come through pbrun, once */
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(125);
	}
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	return pid;
}

/* After a run that ended badly (a second Ctrl-C kills the engine's client,
 * not the container): make sure the container is gone. */
void pbrun_engine_cleanup(const struct pbrun *r)
{
	char name[PBRUN_NAME_MAX + 8];

	snprintf(name, sizeof(name), "pbrun-%s", r->name);
	char *argv[] = {(char *)engine_name(r->engine), "rm", "-f", name, NULL};

	run_quiet(argv);
}
