/* SPDX-License-Identifier: MIT */
/*
 * pbrun.h - launch an app as a container wired to patchbay ports.
 *
 * One run goes: claim a unique instance name (instance.c), create or find
 * the app's ports on patchbayd (ports.c), start the app in the built-in
 * sandbox (sandbox.c, with limits from cgroup.c) or in podman/docker
 * (engine.c), relay its output and the signals pbrun gets (relay.c), and
 * when it ends, whatever the end, remove what was made for it.
 */
#ifndef PBRUN_H
#define PBRUN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PBRUN_MAX_PORTS	  16
#define PBRUN_MAX_VOLUMES 16
#define PBRUN_MAX_ENV	  32
#define PBRUN_NAME_MAX	  40
#define PBRUN_INNER_RUN	  "/run/patchbay" /* where the app finds its sockets */
#define PBRUN_INNER_APP	  "/opt/pbrun"	  /* where an app from outside /usr is mounted */
#define PBRUN_IMAGE	  "localhost/patchbay-base:latest"

enum pbrun_engine { PBRUN_BUILTIN, PBRUN_PODMAN, PBRUN_DOCKER };
enum pbrun_print {
	PBRUN_PRINT_NONE,
	PBRUN_PRINT_PODMAN,
	PBRUN_PRINT_DOCKER,
	PBRUN_PRINT_LXC,
	PBRUN_PRINT_K8S
};

struct pbrun_port {
	char name[64]; /* on patchbayd: "vhost:ID" */
	struct {
		char key[32];
		char value[200];
	} opt[8]; /* the KEY=VALUEs after the name on --port, for add */
	int n_opts;
	char host_path[108]; /* its socket, as the host sees it */
	char inner_path[108];
	bool created; /* pbrun added it, so pbrun deletes it */
};

struct pbrun_volume {
	char host[4096];
	char inner[4096];
	bool rw;
};

struct pbrun {
	/* from the command line */
	char name[PBRUN_NAME_MAX];
	char run_dir[4096]; /* patchbayd's */
	const char *cpus;   /* cpuset list, e.g. "1" or "0-1" */
	uint64_t memory;    /* bytes; 0: no limit */
	uid_t uid;
	gid_t gid;
	const char *rootfs; /* NULL: an empty root with the host's /usr read-only */
	enum pbrun_engine engine;
	enum pbrun_print print;
	const char *image; /* engines; NULL: PBRUN_IMAGE */
	const char *engine_args[16];
	int n_engine_args;
	bool no_prefix;
	bool keep_ports;
	struct pbrun_port port[PBRUN_MAX_PORTS];
	int n_ports;
	struct pbrun_volume volume[PBRUN_MAX_VOLUMES];
	int n_volumes;
	const char *env[PBRUN_MAX_ENV]; /* KEY=VALUE */
	int n_env;
	char **app_argv; /* as given, placeholders unreplaced */
	int app_argc;

	/* pbrun's own argv and environment strings (contiguous), wiped in the
	 * container's init so that the app cannot read them in /proc/1 */
	char *title;
	size_t title_len;

	/* worked out */
	char state_dir[4096]; /* RUN_DIR/pbrun/NAME: the instance's own files */
	char app_path[4096];  /* the app as the host resolves it */
	char **argv;	      /* the app's argv as it runs: placeholders replaced */
	char **envp;	      /* its whole environment */
};

/* options.c */
int pbrun_parse(struct pbrun *r, int argc, char **argv);
const char *pbrun_port_opt(const struct pbrun_port *p, const char *key); /* or NULL */

/* instance.c: the name and the state directory that reserves it. */
void pbrun_pick_name(struct pbrun *r); /* pb-XXXXXXXX, random */
int pbrun_claim(struct pbrun *r);
void pbrun_release(struct pbrun *r);
void pbrun_reap_stale(const char *run_dir);

/* ports.c */
int pbrun_plan_ports(struct pbrun *r); /* names and paths, without the daemon */
int pbrun_make_ports(struct pbrun *r);
void pbrun_drop_ports(struct pbrun *r);
int pbrun_record_ports(const struct pbrun *r);

/* app.c: argv with placeholders replaced, the environment, the binary. */
int pbrun_prepare_app(struct pbrun *r);

/* cgroup.c */
int pbrun_cgroup_create(const struct pbrun *r);
int pbrun_cgroup_enter(const struct pbrun *r, pid_t pid);
void pbrun_cgroup_remove(const char *name);

/* sandbox.c: the built-in runtime. Returns the pid of the container's init. */
pid_t pbrun_sandbox_start(struct pbrun *r, int out_fd, int err_fd);

/* engine.c */
pid_t pbrun_engine_start(struct pbrun *r, int out_fd, int err_fd);
int pbrun_build_image(enum pbrun_engine engine, const char *image, const char *state_dir);
char **pbrun_engine_argv(const struct pbrun *r, enum pbrun_engine engine);
void pbrun_engine_cleanup(const struct pbrun *r);

/* print.c */
int pbrun_print(struct pbrun *r);

/* relay.c: prefix the app's output, forward signals, wait. Returns the
 * app's exit status as a shell reports it (128+N for signal N). */
int pbrun_relay(struct pbrun *r, pid_t child, int out_fd, int err_fd);

/* util */
void pbrun_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int pbrun_write_file(const char *path, const char *text);
char *pbrun_shell_quote(const char *s); /* malloc'ed */

#endif /* PBRUN_H */
