/* SPDX-License-Identifier: MIT */
/*
 * options.c - pbrun's command line. Every refusal names the option and what
 * is wrong with it, and exits 2 before anything is created.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cmdtab.h"
#include "pbrun.h"

static const char usage_text[] =
    "usage: pbrun [options] -- APP [ARGS...]\n"
    "\n"
    "Run APP as a container wired to patchbay ports. In ARGS, {port0}, {port1}...\n"
    "become the ports' socket paths as the app sees them, {name} the instance\n"
    "name; the environment has PATCHBAY_PORT0... and PATCHBAY_NAME too.\n"
    "\n"
    "  -p, --port vhost:ID[,KEY=VAL...]  a port for the app (repeatable); made on\n"
    "                         patchbayd unless it exists, removed at the end if made.\n"
    "                         \"vhost\" alone names it vhost:NAME.N\n"
    "  -n, --name NAME        instance name (default: pb-XXXXXXXX, random)\n"
    "      --cpus LIST        CPUs the app may use (a cpuset, e.g. 1 or 0-1)\n"
    "      --memory SIZE      memory limit, e.g. 256M, 1G\n"
    "  -u, --user UID[:GID]   who the app runs as (default: nobody, 65534:65534)\n"
    "      --rootfs DIR       the app's root (default: empty, host /usr read-only)\n"
    "  -v, --volume HOST:PATH[:ro|:rw]  also mount HOST at PATH (read-only by default)\n"
    "  -e, --env KEY=VALUE    add to the app's environment (repeatable)\n"
    "      --engine builtin|podman|docker\n"
    "                         the runtime (default: builtin, which needs nothing)\n"
    "      --image IMAGE      engines: the image (default " PBRUN_IMAGE ",\n"
    "                         built on first use: a skeleton that mounts host /usr)\n"
    "      --engine-arg ARG   engines: one more option for `ENGINE run` (repeatable)\n"
    "      --build-image      engines: build the default image and exit\n"
    "      --print podman|docker|lxc|k8s\n"
    "                         print the equivalent command, LXC config or Pod\n"
    "                         spec fragment instead of running anything\n"
    "  -r, --run-dir DIR      patchbayd's run directory (default as patchbay's)\n"
    "      --no-prefix        pass the app's output through without \"NAME| \"\n"
    "      --keep-ports       leave the ports pbrun made on patchbayd at the end\n"
    "  -h, --help\n"
    "\n"
    "Exit status: the app's (128+N if signal N ended it); 2 usage; 125 pbrun failed.\n";

enum {
	OPT_CPUS = 256,
	OPT_MEMORY,
	OPT_ROOTFS,
	OPT_ENGINE,
	OPT_IMAGE,
	OPT_ENGINE_ARG,
	OPT_BUILD_IMAGE,
	OPT_PRINT,
	OPT_NO_PREFIX,
	OPT_KEEP_PORTS,
};

static const struct option long_opts[] = {
    {"port", required_argument, NULL, 'p'},
    {"name", required_argument, NULL, 'n'},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"user", required_argument, NULL, 'u'},
    {"rootfs", required_argument, NULL, OPT_ROOTFS},
    {"volume", required_argument, NULL, 'v'},
    {"env", required_argument, NULL, 'e'},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"image", required_argument, NULL, OPT_IMAGE},
    {"engine-arg", required_argument, NULL, OPT_ENGINE_ARG},
    {"build-image", no_argument, NULL, OPT_BUILD_IMAGE},
    {"print", required_argument, NULL, OPT_PRINT},
    {"run-dir", required_argument, NULL, 'r'},
    {"no-prefix", no_argument, NULL, OPT_NO_PREFIX},
    {"keep-ports", no_argument, NULL, OPT_KEEP_PORTS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pbrun: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(pbrun --help for the options)\n");
	return -1;
}

/* Names go into port names, hostnames, cgroup and container names: keep
 * them to what all of those accept. */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PBRUN_NAME_MAX - 8 || !isalnum((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

static bool valid_cpus(const char *s)
{
	if (!*s || strlen(s) > 256)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != ',' && *s != '-')
			return false;
	return true;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'G':
		v <<= 30;
		end++;
		break;
	case '\0':
		break;
	default:
		return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v < (1u << 20))
		return -1;
	*out = v;
	return 0;
}

static int parse_user(struct pbrun *r, const char *s)
{
	char buf[256], *gid_s, *end;

	snprintf(buf, sizeof(buf), "%s", s);
	gid_s = strchr(buf, ':');
	if (gid_s)
		*gid_s++ = '\0';
	long uid = strtol(buf, &end, 10);
	if (*buf && !*end && uid >= 0 && uid < 0x7fffffff) {
		r->uid = (uid_t)uid;
		r->gid = (gid_t)uid;
	} else {
		struct passwd *pw = getpwnam(buf);

		if (!pw)
			return -1;
		r->uid = pw->pw_uid;
		r->gid = pw->pw_gid;
	}
	if (gid_s) {
		long gid = strtol(gid_s, &end, 10);

		if (*gid_s && !*end && gid >= 0 && gid < 0x7fffffff) {
			r->gid = (gid_t)gid;
		} else {
			struct group *gr = getgrnam(gid_s);

			if (!gr)
				return -1;
			r->gid = gr->gr_gid;
		}
	}
	return 0;
}

const char *pbrun_port_opt(const struct pbrun_port *p, const char *key)
{
	for (int i = 0; i < p->n_opts; i++)
		if (strcmp(p->opt[i].key, key) == 0)
			return p->opt[i].value;
	return NULL;
}

/* "vhost:ID,KEY=VALUE,..." (ID may be empty: named after the instance later). */
static int parse_port(struct pbrun *r, const char *s)
{
	struct pbrun_port *p;
	char buf[512], *save, *kv;
	const char *client;

	if (r->n_ports == PBRUN_MAX_PORTS)
		return bad("--port %s: at most 16 ports", s);
	if (strlen(s) >= sizeof(buf))
		return bad("--port %s: too long", s);
	p = &r->port[r->n_ports++];
	strcpy(buf, s);
	kv = strtok_r(buf, ",", &save);
	if (!kv || strlen(kv) >= sizeof(p->name))
		return bad("--port %s: expected vhost:ID[,KEY=VALUE...]", s);
	strcpy(p->name, kv);
	while ((kv = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(kv, '=');

		if (!eq || eq == kv || p->n_opts == 8 ||
		    (size_t)(eq - kv) >= sizeof(p->opt[0].key) ||
		    strlen(eq + 1) >= sizeof(p->opt[0].value))
			return bad("--port %s: options are KEY=VALUE, at most 8", s);
		*eq = '\0';
		strcpy(p->opt[p->n_opts].key, kv);
		strcpy(p->opt[p->n_opts].value, eq + 1);
		p->n_opts++;
	}
	if (strncmp(p->name, "vhost-user", 10) == 0)
		memmove(p->name + 5, p->name + 10, strlen(p->name + 10) + 1);
	if (strcmp(p->name, "vhost") == 0)
		strcat(p->name, ":");
	if (strncmp(p->name, "vhost:", 6) != 0)
		return bad("--port %s: pbrun wires vhost: ports (the app drives the "
			   "virtio side of each); other types are patched on patchbayd",
			   s);
	client = pbrun_port_opt(p, "client");
	if (client && strcmp(client, "0") != 0)
		return bad("--port %s: client=1 would make patchbayd connect to the app; "
			   "pbrun's apps connect to patchbayd",
			   s);
	return 0;
}

static int parse_volume(struct pbrun *r, const char *s)
{
	struct pbrun_volume *v;
	char buf[8200], *inner, *mode;

	if (r->n_volumes == PBRUN_MAX_VOLUMES)
		return bad("--volume %s: at most 16 volumes", s);
	if (strlen(s) >= sizeof(buf))
		return bad("--volume %s: too long", s);
	strcpy(buf, s);
	inner = strchr(buf, ':');
	if (!inner)
		return bad("--volume %s: expected HOST:PATH[:ro|:rw]", s);
	*inner++ = '\0';
	mode = strchr(inner, ':');
	if (mode)
		*mode++ = '\0';
	if (buf[0] != '/' || inner[0] != '/' || strlen(buf) >= sizeof(v->host) ||
	    strlen(inner) >= sizeof(v->inner) || strstr(inner, "/..") ||
	    (mode && strcmp(mode, "ro") && strcmp(mode, "rw")))
		return bad("--volume %s: expected /HOST:/PATH[:ro|:rw], absolute paths", s);
	v = &r->volume[r->n_volumes++];
	strcpy(v->host, buf);
	strcpy(v->inner, inner);
	v->rw = mode && strcmp(mode, "rw") == 0;
	return 0;
}

static int parse_engine(const char *s, enum pbrun_engine *e)
{
	if (strcmp(s, "builtin") == 0)
		*e = PBRUN_BUILTIN;
	else if (strcmp(s, "podman") == 0)
		*e = PBRUN_PODMAN;
	else if (strcmp(s, "docker") == 0)
		*e = PBRUN_DOCKER;
	else
		return -1;
	return 0;
}

static int parse_print(const char *s, enum pbrun_print *p)
{
	static const char *const names[] = {[PBRUN_PRINT_PODMAN] = "podman",
					    [PBRUN_PRINT_DOCKER] = "docker",
					    [PBRUN_PRINT_LXC] = "lxc",
					    [PBRUN_PRINT_K8S] = "k8s"};

	for (int i = PBRUN_PRINT_PODMAN; i <= PBRUN_PRINT_K8S; i++)
		if (strcmp(s, names[i]) == 0) {
			*p = i;
			return 0;
		}
	return -1;
}

/* Returns 0 to go on, 1 when done (help, --build-image), -1 on a usage error. */
int pbrun_parse(struct pbrun *r, int argc, char **argv)
{
	bool build_image = false;
	int c;

	memset(r, 0, sizeof(*r));
	r->uid = geteuid() == 0 ? 65534 : geteuid();
	r->gid = geteuid() == 0 ? 65534 : getegid();
	pbctl_default_run_dir(r->run_dir, sizeof(r->run_dir));

	while ((c = getopt_long(argc, argv, "+p:n:u:v:e:r:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_port(r, optarg) < 0)
				return -1;
			break;
		case 'n':
			if (!valid_name(optarg))
				return bad("--name %s: 1 to 31 letters, digits, '-', '_' or '.', "
					   "starting with a letter or digit",
					   optarg);
			snprintf(r->name, sizeof(r->name), "%s", optarg);
			break;
		case OPT_CPUS:
			if (!valid_cpus(optarg))
				return bad("--cpus %s: expected a CPU list such as 1 or 0-1,3",
					   optarg);
			r->cpus = optarg;
			break;
		case OPT_MEMORY:
			if (parse_size(optarg, &r->memory) < 0)
				return bad("--memory %s: expected a size of at least 1M, "
					   "such as 256M or 2G",
					   optarg);
			break;
		case 'u':
			if (parse_user(r, optarg) < 0)
				return bad("--user %s: no such user or group (UID[:GID], "
					   "numbers or names)",
					   optarg);
			break;
		case OPT_ROOTFS:
			if (access(optarg, X_OK) < 0 || optarg[0] != '/')
				return bad("--rootfs %s: not an absolute path to a directory",
					   optarg);
			r->rootfs = optarg;
			break;
		case 'v':
			if (parse_volume(r, optarg) < 0)
				return -1;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return bad("--env %s: expected KEY=VALUE", optarg);
			if (r->n_env == PBRUN_MAX_ENV)
				return bad("--env %s: at most 32", optarg);
			r->env[r->n_env++] = optarg;
			break;
		case OPT_ENGINE:
			if (parse_engine(optarg, &r->engine) < 0)
				return bad("--engine %s: expected builtin, podman or docker",
					   optarg);
			break;
		case OPT_IMAGE:
			r->image = optarg;
			break;
		case OPT_ENGINE_ARG:
			if (r->n_engine_args == 16)
				return bad("--engine-arg %s: at most 16", optarg);
			r->engine_args[r->n_engine_args++] = optarg;
			break;
		case OPT_BUILD_IMAGE:
			build_image = true;
			break;
		case OPT_PRINT:
			if (parse_print(optarg, &r->print) < 0)
				return bad("--print %s: expected podman, docker, lxc or k8s",
					   optarg);
			break;
		case 'r':
			snprintf(r->run_dir, sizeof(r->run_dir), "%s", optarg);
			break;
		case OPT_NO_PREFIX:
			r->no_prefix = true;
			break;
		case OPT_KEEP_PORTS:
			r->keep_ports = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		default:
			fprintf(stderr, "(pbrun --help for the options)\n");
			return -1;
		}
	}
	if (build_image) {
		if (r->engine == PBRUN_BUILTIN)
			return bad("--build-image: %s", "needs --engine podman or docker");
		return pbrun_build_image(r->engine, r->image ? r->image : PBRUN_IMAGE, NULL) < 0
			   ? -2
			   : 1;
	}
	if (optind >= argc)
		return bad("%s", "no APP given: pbrun [options] -- APP [ARGS...]");
	if (r->engine != PBRUN_BUILTIN && r->rootfs)
		return bad("--rootfs %s: the engines take --image instead", r->rootfs);
	r->app_argv = argv + optind;
	r->app_argc = argc - optind;
	return 0;
}
