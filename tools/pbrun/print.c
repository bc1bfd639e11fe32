/* SPDX-License-Identifier: MIT */
/*
 * print.c - --print: what pbrun would run, for another runtime, without
 * running anything or touching patchbayd.
 *
 *   podman, docker  a shell script: the ports, the image, `ENGINE run ...`
 *   lxc             an LXC config for lxc-execute -f (lxc.execute.cmd), its
 *                   steps (the ports, the root directory) as comments
 *   k8s             a Pod spec fragment: the container and its hostPath
 *                   volumes, one per socket
 *
 * Every string that is not ours is quoted for its reader: shell words with
 * single quotes, YAML values as JSON strings (which YAML reads as they are).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pbrun.h"

static const char *q(const char *s) /* shell-quoted; leaked, for one print */
{
	return pbrun_shell_quote(s);
}

static const char *yq(const char *s) /* a YAML (JSON) string; leaked likewise */
{
	json_t *j = json_string(s);
	char *out = json_dumps(j, JSON_ENCODE_ANY);

	json_decref(j);
	return out ? out : "\"\"";
}

/* The `patchbay add` and `chown` of each port, each line after @lead. */
static void print_port_steps(const struct pbrun *r, const char *lead)
{
	for (int i = 0; i < r->n_ports; i++) {
		const struct pbrun_port *p = &r->port[i];
		printf("%spatchbay -r %s add %s", lead, q(r->run_dir), q(p->name));
		for (int k = 0; k < p->n_opts; k++) {
			char kv[240];

			snprintf(kv, sizeof(kv), "%s=%s", p->opt[k].key, p->opt[k].value);
			printf(" %s", q(kv));
		}
		printf(" >/dev/null || patchbay -r %s show %s >/dev/null || exit 1\n",
		       q(r->run_dir), q(p->name));
		printf("%schown %u:%u %s\n", lead, (unsigned)r->uid, (unsigned)r->gid,
		       q(p->host_path));
	}
}

static void print_ports(const struct pbrun *r, const char *engine)
{
	printf("# The app's ports on patchbayd (pbrun makes them itself when it runs the app;\n"
	       "# chown lets the container's user connect):\n");
	print_port_steps(r, "");
	if (!r->image) {
		printf("# The image, once: a skeleton FROM scratch over which the host's /usr "
		       "is mounted.\n");
		printf("%s image inspect %s >/dev/null 2>&1 || pbrun --engine %s --build-image || "
		       "exit 1\n",
		       engine, PBRUN_IMAGE, engine);
	}
}

static void print_engine(const struct pbrun *r, enum pbrun_engine e)
{
	char **argv = pbrun_engine_argv(r, e);
	const char *engine = e == PBRUN_DOCKER ? "docker" : "podman";

	printf("#!/bin/sh\n# pbrun --print %s: the app %s in a %s container wired to patchbay "
	       "ports:\n# no privileges, no hugepages, no network but its sockets.\n",
	       engine, r->name, engine);
	/* Said in the text itself, where a reader of the script sees it: the
	 * podman script is run by tests/containers/print.sh, this one never. */
	if (e == PBRUN_DOCKER)
		printf("# NEVER RUN by patchbay's tests (their machine has no Docker engine): "
		       "checked\n"
		       "# as text only. The podman script, the same but for the engine, is run "
		       "as printed.\n");
	print_ports(r, engine);
	printf("exec");
	/* One option per line, and the image on its own. */
	bool image_seen = false;
	for (int i = 0; argv[i]; i++) {
		bool option = argv[i][0] == '-' && argv[i][1] == '-';
		bool brk = i > 1 && (option || !image_seen);

		if (i > 1 && !option)
			image_seen = true;
		printf(" %s%s", brk ? "\\\n    " : "", q(argv[i]));
	}
	printf("\n");
}

/* An LXC step: a shell command in a comment, indented (the header's prose
 * is not), so that a script can pick the steps out: sed -n 's/^#   //p'. */
#define LXC_STEP "#   "

/*
 * The root pbrun's own sandbox builds, as steps over a plain directory:
 * LXC mounts it as it is and needs it to exist, and the app's loader is
 * reached through /lib64 and friends, which on a merged-/usr host are
 * symlinks into /usr (made here as the host has them). A top directory that
 * is a real directory on the host is bound read-only instead (lxc_top_binds).
 */
static const char *const top_dirs[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};

static void lxc_rootfs_steps(const char *root)
{
	printf(LXC_STEP "mkdir -p %s\n", q(root));
	for (unsigned i = 0; i < sizeof(top_dirs) / sizeof(top_dirs[0]); i++) {
		char host[16], target[256], link[4200];
		ssize_t n;

		snprintf(host, sizeof(host), "/%s", top_dirs[i]);
		n = readlink(host, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		snprintf(link, sizeof(link), "%s/%s", root, top_dirs[i]);
		printf(LXC_STEP "ln -sfn %s %s\n", q(target), q(link));
	}
}

static void lxc_top_binds(void)
{
	for (unsigned i = 0; i < sizeof(top_dirs) / sizeof(top_dirs[0]); i++) {
		char host[16];
		struct stat st;

		snprintf(host, sizeof(host), "/%s", top_dirs[i]);
		if (lstat(host, &st) == 0 && S_ISDIR(st.st_mode))
			printf("lxc.mount.entry = %s %s none bind,ro,create=dir 0 0\n", host,
			       top_dirs[i]);
	}
}

/*
 * create=file or create=dir for a bind mount: LXC makes the mount point
 * before binding, and binding a file onto a directory (or the reverse)
 * fails. The host path decides; one that does not exist yet is taken for a
 * directory, and the text says so.
 */
static const char *lxc_create(const char *host)
{
	struct stat st;

	if (stat(host, &st) < 0) {
		printf("# %s did not exist when this was printed: taken for a directory\n", host);
		return "dir";
	}
	return S_ISDIR(st.st_mode) ? "dir" : "file";
}

/*
 * The limits under the keys of the host's cgroup version (LXC refuses the
 * other one's), with the other version's keys as comments for another
 * host.
 */
static void lxc_limits(const struct pbrun *r)
{
	bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
	const char *now = v2 ? "" : "# cgroup v2 hosts: ";
	const char *other = v2 ? "# cgroup v1 hosts: " : "";

	if (r->cpus) {
		printf("%slxc.cgroup2.cpuset.cpus = %s\n", now, r->cpus);
		printf("%slxc.cgroup.cpuset.cpus = %s\n", other, r->cpus);
	}
	if (r->memory) {
		printf("%slxc.cgroup2.memory.max = %llu\n", now, (unsigned long long)r->memory);
		printf("%slxc.cgroup.memory.limit_in_bytes = %llu\n", other,
		       (unsigned long long)r->memory);
	}
}

static void print_lxc(const struct pbrun *r)
{
	char root[4200];

	if (r->rootfs)
		snprintf(root, sizeof(root), "%s", r->rootfs);
	else
		snprintf(root, sizeof(root), "/var/lib/lxc/%s/rootfs", r->name);

	printf("# pbrun --print lxc: the app %s as an LXC container. To run it, as root,\n"
	       "# save this text as THIS_FILE and run the indented lines in a shell:\n",
	       r->name);
	printf("# the ports on patchbayd, owned by lxc.init.uid (pbrun does this itself when\n"
	       "# it runs the app),\n");
	print_port_steps(r, LXC_STEP);
	if (!r->rootfs) {
		printf("# the root: an empty directory, as pbrun's own sandbox starts from, "
		       "with\n# the host's /usr mounted over it read-only,\n");
		lxc_rootfs_steps(root);
	}
	printf("# and the container, which ends when the app does:\n");
	printf(LXC_STEP "lxc-execute -n %s -f THIS_FILE\n", q(r->name));
	printf("lxc.uts.name = %s\n", r->name);
	printf("lxc.rootfs.path = dir:%s\n", root);
	if (!r->rootfs) {
		printf("lxc.mount.entry = /usr usr none bind,ro,create=dir 0 0\n");
		lxc_top_binds();
		if (access("/etc/ld.so.cache", R_OK) == 0)
			printf("lxc.mount.entry = /etc/ld.so.cache etc/ld.so.cache none "
			       "bind,ro,create=file 0 0\n");
	}
	printf("lxc.net.0.type = empty\n");
	printf("lxc.cap.keep = none\n");
	printf("lxc.no_new_privs = 1\n");
	printf("lxc.init.uid = %u\nlxc.init.gid = %u\n", (unsigned)r->uid, (unsigned)r->gid);
	printf("lxc.autodev = 1\n");
	printf("lxc.mount.auto = proc:mixed sys:ro\n");
	printf("lxc.mount.entry = tmpfs tmp tmpfs mode=1777,nosuid,nodev,create=dir 0 0\n");
	printf("lxc.mount.entry = tmpfs run/patchbay tmpfs mode=0755,nosuid,nodev,noexec,"
	       "create=dir 0 0\n");
	for (int i = 0; i < r->n_ports; i++)
		printf("lxc.mount.entry = %s %s none bind,create=file 0 0\n", r->port[i].host_path,
		       r->port[i].inner_path + 1);
	for (int i = 0; i < r->n_volumes; i++) {
		const char *create = lxc_create(r->volume[i].host);

		printf("lxc.mount.entry = %s %s none bind,%s,create=%s 0 0\n", r->volume[i].host,
		       r->volume[i].inner + 1, r->volume[i].rw ? "rw" : "ro", create);
	}
	for (int i = 0; r->envp[i]; i++)
		if (strncmp(r->envp[i], "TERM=", 5) != 0)
			printf("lxc.environment = %s\n", r->envp[i]);
	lxc_limits(r);
	printf("lxc.execute.cmd =");
	for (int i = 0; r->argv[i]; i++)
		printf(" %s", q(r->argv[i]));
	printf("\n");
}

static int count_cpus(const char *list)
{
	int n = 0;
	char buf[300];

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int a, b;

		if (sscanf(t, "%d-%d", &a, &b) == 2 && b >= a)
			n += b - a + 1;
		else
			n++;
	}
	return n;
}

static void print_k8s(const struct pbrun *r)
{
	printf("# pbrun --print k8s: the app %s as a container of a Pod; merge into the Pod's "
	       "spec.\n# patchbayd on the node makes the ports (patchbay add, or the CNI "
	       "plugin).\n",
	       r->name);
	printf("containers:\n- name: %s\n", yq(r->name));
	printf("  image: %s\n", yq(r->image ? r->image : PBRUN_IMAGE));
	printf("  command: [%s]\n", yq(r->argv[0]));
	printf("  args: [");
	for (int i = 1; r->argv[i]; i++)
		printf("%s%s", i > 1 ? ", " : "", yq(r->argv[i]));
	printf("]\n  env:\n");
	for (int i = 0; r->envp[i]; i++) {
		char key[256];
		const char *eq = strchr(r->envp[i], '=');

		if (strncmp(r->envp[i], "TERM=", 5) == 0 || strncmp(r->envp[i], "PATH=", 5) == 0)
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - r->envp[i]), r->envp[i]);
		printf("  - name: %s\n    value: %s\n", yq(key), yq(eq + 1));
	}
	printf("  securityContext:\n    runAsUser: %u\n    runAsGroup: %u\n", (unsigned)r->uid,
	       (unsigned)r->gid);
	printf("    runAsNonRoot: %s\n", r->uid ? "true" : "false");
	printf("    allowPrivilegeEscalation: false\n    readOnlyRootFilesystem: true\n");
	printf("    capabilities:\n      drop: [\"ALL\"]\n");
	if (r->cpus || r->memory) {
		printf("  resources:\n    limits:\n");
		if (r->cpus)
			printf("      cpu: \"%d\"\n", count_cpus(r->cpus));
		if (r->memory)
			printf("      memory: \"%llu\"\n", (unsigned long long)r->memory);
	}
	printf("  volumeMounts:\n");
	for (int i = 0; i < r->n_ports; i++)
		printf("  - name: patchbay-port%d\n    mountPath: %s\n", i,
		       yq(r->port[i].inner_path));
	for (int i = 0; i < r->n_volumes; i++)
		printf("  - name: volume%d\n    mountPath: %s\n    readOnly: %s\n", i,
		       yq(r->volume[i].inner), r->volume[i].rw ? "false" : "true");
	if (!r->image)
		printf("  - name: host-usr\n    mountPath: \"/usr\"\n    readOnly: true\n");
	printf("volumes:\n");
	for (int i = 0; i < r->n_ports; i++)
		printf("- name: patchbay-port%d\n  hostPath:\n    path: %s\n    type: Socket\n", i,
		       yq(r->port[i].host_path));
	for (int i = 0; i < r->n_volumes; i++)
		printf("- name: volume%d\n  hostPath:\n    path: %s\n", i, yq(r->volume[i].host));
	if (!r->image)
		printf("- name: host-usr\n  hostPath:\n    path: \"/usr\"\n    type: Directory\n");
}

int pbrun_print(struct pbrun *r)
{
	switch (r->print) {
	case PBRUN_PRINT_PODMAN:
		print_engine(r, PBRUN_PODMAN);
		break;
	case PBRUN_PRINT_DOCKER:
		print_engine(r, PBRUN_DOCKER);
		break;
	case PBRUN_PRINT_LXC:
		print_lxc(r);
		break;
	case PBRUN_PRINT_K8S:
		print_k8s(r);
		break;
	case PBRUN_PRINT_NONE:
		break;
	}
	return fflush(stdout) == 0 ? 0 : -1;
}
