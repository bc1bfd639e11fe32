/* SPDX-License-Identifier: MIT */
/*
 * state.c - what ADD made, one small JSON file per attachment under
 * stateDir/NETWORK/, so that GC knows each attachment's whole container ID
 * and interface (the IPAM plugin frees addresses by them) and DEL can be
 * run again and again. Written whole (a temp file renamed over), so a
 * plugin killed midway leaves the old file or the new one.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mkdirs.h"
#include "cni.h"

int cni_state_write(const struct cni_conf *c, const struct cni_attachment *a,
		    const char *container_id, const char *ifname, const char *netns,
		    struct cni_err *e)
{
	char dir[400], tmp[820];

	snprintf(dir, sizeof(dir), "%s/%s", c->state_dir, c->name);
	int r = pbctl_mkdirs(dir, 0700, 0700);
	if (r < 0)
		return cni_fail(e, CNI_E_IO, "state directory %s: %s", dir, strerror(-r));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "containerID", container_id, "ifname", ifname,
			      "port", a->port, "netns", netns ? netns : "");
	if (c->bridge)
		json_object_set_new(o, "bridge", json_string(c->bridge));
	if (a->socket[0]) {
		json_object_set_new(o, "dir", json_string(a->dir));
		json_object_set_new(o, "socket", json_string(a->socket));
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", a->state_file);
	r = json_dump_file(o, tmp, JSON_COMPACT);
	json_decref(o);
	if (r < 0 || rename(tmp, a->state_file) < 0) {
		unlink(tmp);
		return cni_fail(e, CNI_E_IO, "writing %s failed", a->state_file);
	}
	return 0;
}

json_t *cni_state_list(const struct cni_conf *c)
{
	char dir[400], path[700];
	json_t *list = json_array();
	struct dirent *d;

	snprintf(dir, sizeof(dir), "%s/%s", c->state_dir, c->name);
	DIR *dp = opendir(dir);
	if (!dp)
		return list;
	while ((d = readdir(dp))) {
		size_t n = strlen(d->d_name);
		if (n < 6 || strcmp(d->d_name + n - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		json_t *o = json_load_file(path, 0, NULL);
		if (!json_is_object(o) || !json_is_string(json_object_get(o, "containerID")) ||
		    !json_is_string(json_object_get(o, "ifname")) ||
		    !json_is_string(json_object_get(o, "port"))) {
			json_decref(o);
			continue; /* not ours, or torn: GC leaves it to a human */
		}
		json_object_set_new(o, "file", json_string(path));
		json_array_append_new(list, o);
	}
	closedir(dp);
	return list;
}
