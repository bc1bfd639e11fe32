/* SPDX-License-Identifier: MIT */
/*
 * cgroup.c - --cpus and --memory as cgroup limits, v2 or v1.
 *
 * v2 (a unified tree at /sys/fs/cgroup with the controllers): the group is
 * /sys/fs/cgroup/patchbay/NAME with cpuset.cpus and memory.max. v1 (one
 * hierarchy per controller, as on older hosts): cpuset/patchbay/NAME and
 * memory/patchbay/NAME. The shared parent "patchbay" stays; each
 * instance's group goes when the instance does. No limit asked, no group.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pbrun.h"

#define CG_ROOT "/sys/fs/cgroup"

static bool is_v2(void)
{
	return access(CG_ROOT "/cgroup.controllers", F_OK) == 0;
}

static int read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int put(const char *dir, const char *file, const char *value)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (pbrun_write_file(path, value) < 0) {
		pbrun_log("cgroup: cannot write %s to %s: %s", value, path, strerror(errno));
		return -1;
	}
	return 0;
}

static int make_dir(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		bool denied = errno == EACCES || errno == EPERM || errno == EROFS;

		pbrun_log("cgroup: cannot make %s: %s%s", dir, strerror(errno),
			  denied ? " (--cpus and --memory need root, or a cgroup delegated to you)"
				 : "");
		return -1;
	}
	return 0;
}

/* A v1 cpuset starts with no CPUs and no memory nodes: give the shared
 * parent its own parent's, once. */
static int v1_cpuset_parent(void)
{
	const char *parent = CG_ROOT "/cpuset/patchbay";
	char cur[256], root[256];

	if (make_dir(parent) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		const char *file = i ? "cpuset.mems" : "cpuset.cpus";
		char path[256];

		snprintf(path, sizeof(path), "%s/%s", parent, file);
		if (read_file(path, cur, sizeof(cur)) == 0 && cur[0])
			continue;
		snprintf(path, sizeof(path), CG_ROOT "/cpuset/%s", file);
		if (read_file(path, root, sizeof(root)) < 0 || put(parent, file, root) < 0)
			return -1;
	}
	return 0;
}

static void group_dir(char *out, size_t len, const char *controller, const char *name)
{
	if (controller)
		snprintf(out, len, CG_ROOT "/%s/patchbay/%s", controller, name);
	else
		snprintf(out, len, CG_ROOT "/patchbay/%s", name);
}

int pbrun_cgroup_create(const struct pbrun *r)
{
	char dir[4200], mems[256], value[32];

	if (!r->cpus && !r->memory)
		return 0;
	snprintf(value, sizeof(value), "%llu", (unsigned long long)r->memory);
	if (is_v2()) {
		/* The controllers the limits need, enabled down to our groups. */
		const char *need[2] = {r->cpus ? "+cpuset" : NULL, r->memory ? "+memory" : NULL};

		if (make_dir(CG_ROOT "/patchbay") < 0)
			return -1;
		for (int i = 0; i < 2; i++)
			if (need[i] &&
			    (put(CG_ROOT, "cgroup.subtree_control", need[i]) < 0 ||
			     put(CG_ROOT "/patchbay", "cgroup.subtree_control", need[i]) < 0))
				return -1;
		group_dir(dir, sizeof(dir), NULL, r->name);
		if (make_dir(dir) < 0)
			return -1;
		if ((r->cpus && put(dir, "cpuset.cpus", r->cpus) < 0) ||
		    (r->memory && put(dir, "memory.max", value) < 0))
			return -1;
		return 0;
	}
	if (r->cpus) {
		group_dir(dir, sizeof(dir), "cpuset", r->name);
		if (v1_cpuset_parent() < 0 || make_dir(dir) < 0 ||
		    read_file(CG_ROOT "/cpuset/patchbay/cpuset.mems", mems, sizeof(mems)) < 0 ||
		    put(dir, "cpuset.cpus", r->cpus) < 0 || put(dir, "cpuset.mems", mems) < 0)
			return -1;
	}
	if (r->memory) {
		group_dir(dir, sizeof(dir), "memory", r->name);
		if (make_dir(CG_ROOT "/memory/patchbay") < 0 || make_dir(dir) < 0 ||
		    put(dir, "memory.limit_in_bytes", value) < 0)
			return -1;
	}
	return 0;
}

int pbrun_cgroup_enter(const struct pbrun *r, pid_t pid)
{
	char dir[4200], text[32];

	snprintf(text, sizeof(text), "%d", (int)pid);
	if (is_v2()) {
		group_dir(dir, sizeof(dir), NULL, r->name);
		return (r->cpus || r->memory) ? put(dir, "cgroup.procs", text) : 0;
	}
	if (r->cpus) {
		group_dir(dir, sizeof(dir), "cpuset", r->name);
		if (put(dir, "cgroup.procs", text) < 0)
			return -1;
	}
	if (r->memory) {
		group_dir(dir, sizeof(dir), "memory", r->name);
		if (put(dir, "cgroup.procs", text) < 0)
			return -1;
	}
	return 0;
}

/* A group can be removed once its last process is gone; the kernel may
 * take a moment after the container's init exits. */
static void remove_group(const char *dir)
{
	struct timespec pause = {0, 10 * 1000 * 1000};

	for (int i = 0; i < 200; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		nanosleep(&pause, NULL);
	}
	pbrun_log("cgroup: cannot remove %s: %s", dir, strerror(errno));
}

void pbrun_cgroup_remove(const char *name)
{
	static const char *const v1[] = {"cpuset", "memory"};
	char dir[4200];

	if (is_v2()) {
		group_dir(dir, sizeof(dir), NULL, name);
		remove_group(dir);
		return;
	}
	for (unsigned i = 0; i < sizeof(v1) / sizeof(v1[0]); i++) {
		group_dir(dir, sizeof(dir), v1[i], name);
		remove_group(dir);
	}
}
