/* SPDX-License-Identifier: MIT */
/*
 * instance.c - instance names, and the state directory that reserves one.
 *
 * RUN_DIR/pbrun/NAME is made with one mkdir(2), so two pbruns can never
 * hold the same name. It holds "owner" (the pbrun's pid and start time) and
 * "ports" (the ports it made). A pbrun killed with SIGKILL cannot clean up:
 * the next pbrun on this run directory finds its directory with a dead
 * owner and removes what it left (its container died with it, through
 * PR_SET_PDEATHSIG).
 */

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/client.h"
#include "common/cmdtab.h"
#include "pbrun.h"

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks.
 * With the pid it names one process for the machine's uptime. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')'))) {
		/* after ")": state is field 3; start time is field 22 */
		for (int field = 2; p && field < 22; field++)
			p = strchr(p + 1, ' ');
		if (p)
			t = strtoull(p + 1, NULL, 10);
	}
	fclose(f);
	return t;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_rf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static bool owner_alive(const char *dir)
{
	char path[4200];
	long long pid = 0;
	unsigned long long t = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/owner", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	int n = fscanf(f, "%lld %llu", &pid, &t);
	fclose(f);
	return n == 2 && pid > 0 && t && start_time((pid_t)pid) == t;
}

/* Delete the ports a dead pbrun made, then its cgroups and directory. */
static void reap(const char *run_dir, const char *name, const char *dir)
{
	char path[4200], ctl[4200], line[128];
	struct pbctl_client c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ports", dir);
	snprintf(ctl, sizeof(ctl), "%s/%s", run_dir, PBCTL_SOCKET_NAME);
	f = fopen(path, "r");
	if (f && pbctl_connect(&c, ctl) == 0) {
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			json_t *req = pbctl_request_args(
			    PBCTL_CMD_DEL, json_pack("{s:s, s:b}", "port", line, "force", 1));
			json_decref(pbctl_call(&c, req));
			json_decref(req);
		}
		pbctl_close(&c);
	}
	if (f)
		fclose(f);
	pbrun_cgroup_remove(name);
	rm_rf(dir);
	pbrun_log("removed what instance %s left behind (its pbrun was killed)", name);
}

void pbrun_reap_stale(const char *run_dir)
{
	char base[4200], dir[4500];
	struct dirent *e;
	DIR *d;

	snprintf(base, sizeof(base), "%s/pbrun", run_dir);
	d = opendir(base);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name);
		/* A directory younger than a second may be mid-claim. */
		struct stat st;
		if (stat(dir, &st) == 0 && time(NULL) - st.st_mtime < 2)
			continue;
		if (!owner_alive(dir))
			reap(run_dir, e->d_name, dir);
	}
	closedir(d);
}

void pbrun_pick_name(struct pbrun *r)
{
	char *out = r->name;
	size_t len = sizeof(r->name);
	unsigned char b[4] = {0};

	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		/* no entropy yet: the clock still gives distinct names */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(b, &ts.tv_nsec, sizeof(b));
	}
	snprintf(out, len, "pb-%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}

int pbrun_claim(struct pbrun *r)
{
	char base[4200], owner[4600], text[64];
	bool named = r->name[0] != '\0';

	snprintf(base, sizeof(base), "%s/pbrun", r->run_dir);
	if (mkdir(r->run_dir, 0770) < 0 && errno != EEXIST) {
		pbrun_log("cannot make %s: %s", r->run_dir, strerror(errno));
		return -1;
	}
	/* Shared by every pbrun of this run directory, root's and its group's:
	 * group-writable, and sticky so that none removes another's entry. */
	if (mkdir(base, 0755) == 0)
		chmod(base, 01775);
	else if (errno != EEXIST) {
		pbrun_log("cannot make %s: %s", base, strerror(errno));
		return -1;
	}
	for (int tries = 0; tries < 8; tries++) {
		if (!named)
			pbrun_pick_name(r);
		snprintf(r->state_dir, sizeof(r->state_dir), "%s/%s", base, r->name);
		if (mkdir(r->state_dir, 0755) == 0)
			break;
		if (errno != EEXIST) {
			pbrun_log("cannot make %s: %s", r->state_dir, strerror(errno));
			return -1;
		}
		if (named) {
			pbrun_log("instance %s is already running; give another --name (or none "
				  "for a random one)",
				  r->name);
			return -1;
		}
		r->state_dir[0] = '\0';
	}
	if (!r->state_dir[0])
		return -1;
	snprintf(owner, sizeof(owner), "%s/owner", r->state_dir);
	snprintf(text, sizeof(text), "%d %llu\n", (int)getpid(), start_time(getpid()));
	if (pbrun_write_file(owner, text) < 0) {
		pbrun_release(r);
		return -1;
	}
	return 0;
}

void pbrun_release(struct pbrun *r)
{
	if (r->state_dir[0])
		rm_rf(r->state_dir);
	r->state_dir[0] = '\0';
}
