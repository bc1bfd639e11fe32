/* SPDX-License-Identifier: MIT */
/*
 * attach.c - the verbs on patchbayd, through its control socket.
 *
 * An attachment (network, container, interface) is one port on patchbayd,
 * named so that it is found again from those three alone:
 * TYPE:<first 12 of the container ID>-<ifname>-<8 hex of the network name>.
 * DEL needs nothing else (and so works when ADD's state is lost); GC finds
 * the network's ports by the suffix.
 *
 * ADD makes everything or nothing: each step it took is undone, in reverse,
 * when a later one fails, so a failed ADD leaves no port (nor its place on
 * a bridge, nor a bridge it made), no address lease and no socket
 * directory behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/cmdtab.h"
#include "common/client.h"
#include "common/mkdirs.h"
#include "cni.h"

#define DAEMON_TIMEOUT_S 20

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static const char *port_type(const struct cni_conf *c)
{
	return c->mode == CNI_MODE_TAP ? "tap" : "vhost";
}

int cni_attachment(const struct cni_conf *c, const char *container_id, const char *ifname,
		   const char *args, struct cni_attachment *a, struct cni_err *e)
{
	char ns[128], pod[128], dir[300];

	memset(a, 0, sizeof(*a));
	if (!cni_name_ok(container_id, 255))
		return cni_fail(e, CNI_E_ENV,
				"CNI_CONTAINERID '%s' must be letters, digits, '_', '.', '-'",
				container_id ? container_id : "");
	if (!cni_name_ok(ifname, 15))
		return cni_fail(e, CNI_E_ENV,
				"CNI_IFNAME '%s' must be 1..15 letters, digits, '_', '.', '-'",
				ifname ? ifname : "");
	snprintf(a->port, sizeof(a->port), "%s:%.12s-%s-%08x", port_type(c), container_id, ifname,
		 fnv1a(c->name));
	/* The socket directory is the pod's, named so a pod can mount it by
	 * its own name (Kubernetes: subPathExpr $(POD_NAMESPACE)_$(POD_NAME);
	 * podman: its container name), else the container ID's. */
	bool has_ns = cni_arg(args, "K8S_POD_NAMESPACE", ns, sizeof(ns)) && cni_name_ok(ns, 63);
	bool has_pod = cni_arg(args, "K8S_POD_NAME", pod, sizeof(pod)) && cni_name_ok(pod, 63);
	if (has_ns && has_pod)
		snprintf(dir, sizeof(dir), "%s_%s", ns, pod);
	else if (has_pod)
		snprintf(dir, sizeof(dir), "%s", pod);
	else
		snprintf(dir, sizeof(dir), "%s", container_id);
	if (c->mode == CNI_MODE_VHOST) {
		snprintf(a->dir, sizeof(a->dir), "%s/%s", c->socket_dir, dir);
		snprintf(a->socket, sizeof(a->socket), "%s/%s.sock", a->dir, ifname);
	}
	snprintf(a->state_file, sizeof(a->state_file), "%s/%s/%s@%s.json", c->state_dir, c->name,
		 container_id, ifname);
	return 0;
}

/* Connect to patchbayd; its absence is "try again later" (it may be
 * starting), and *down says it is simply not there. */
static int connect_daemon(const struct cni_conf *c, struct pbctl_client *cl, bool *down,
			  struct cni_err *e)
{
	char path[400];
	struct timeval tv = {.tv_sec = DAEMON_TIMEOUT_S};

	snprintf(path, sizeof(path), "%s/%s", c->run_dir, PBCTL_SOCKET_NAME);
	if (down)
		*down = false;
	if (pbctl_connect(cl, path) < 0) {
		bool gone = cl->error == ENOENT || cl->error == ECONNREFUSED;
		if (down)
			*down = gone;
		return cni_fail(e, gone ? CNI_E_TRY_LATER : CNI_E_IO,
				"patchbayd is not reachable at %s: %s", path,
				cl->error == EPROTO ? "it does not answer as patchbayd"
						    : strerror(cl->error));
	}
	setsockopt(cl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

/* One command; its result, or NULL with @e (patchbayd's code in details)
 * and *code set to patchbayd's error code. */
static json_t *call(struct pbctl_client *cl, const char *cmd, json_t *args, const char **code,
		    struct cni_err *e)
{
	static char last_code[32];
	/* @cmd is always one of the table's names, given literally here. */
	json_t *req = pbctl_request_args(pbctl_cmd_find(cmd)->id, args);
	json_t *rep = pbctl_call(cl, req), *res = NULL;

	json_decref(req);
	if (code)
		*code = NULL;
	if (!rep) {
		cni_fail(e, CNI_E_IO, "patchbayd closed the connection during '%s'", cmd);
		return NULL;
	}
	if (json_is_true(json_object_get(rep, "ok"))) {
		res = json_incref(json_object_get(rep, "result"));
	} else {
		json_t *err = json_object_get(rep, "error");
		const char *c = json_string_value(json_object_get(err, "code"));
		snprintf(last_code, sizeof(last_code), "%s", c ? c : "unknown");
		if (code)
			*code = last_code;
		cni_fail(e, CNI_E_DAEMON, "patchbayd refused '%s': %s", cmd,
			 json_string_value(json_object_get(err, "message")));
		snprintf(e->details, sizeof(e->details), "patchbayd error code %s", last_code);
	}
	json_decref(rep);
	return res;
}

static json_t *show(struct pbctl_client *cl, const char *port, const char **code, struct cni_err *e)
{
	return call(cl, "show", json_pack("{s:s}", "port", port), code, e);
}

static void del_port(struct pbctl_client *cl, const char *port)
{
	struct cni_err ignored;

	json_decref(
	    call(cl, "del", json_pack("{s:s, s:b}", "port", port, "force", 1), NULL, &ignored));
}

/* Bridges ("bridge" in the configuration). ADD makes the bridge when it is
 * not there and attaches the port; DEL and GC detach the port and remove
 * the bridge once no port is left on it. Other plugins (other pods' ADD and
 * DEL) do the same at the same time, and patchbayd runs one request at a
 * time: "bridge_exists" at add is another's bridge, fine; "unknown_bridge"
 * at attach is one removed between our add and attach by a DEL that found
 * it empty, so both are tried again; and a bridge is deleted without
 * "force", which patchbayd refuses ("port_in_use") once any port is on it. */
#define BRIDGE_TRIES 8

/* Attach @port to bridge @c->bridge, made if need be; *made says whether
 * this call made it (for the undo of a failed ADD). */
static int bridge_join(struct pbctl_client *cl, const struct cni_conf *c, const char *port,
		       bool *made, struct cni_err *e)
{
	const char *code;
	char vlan[8];

	*made = false;
	snprintf(vlan, sizeof(vlan), "%d", c->vlan);
	for (int i = 0; i < BRIDGE_TRIES; i++) {
		json_t *r = call(cl, "bridge",
				 json_pack("{s:s, s:s}", "op", "add", "name", c->bridge), &code, e);
		*made = r != NULL;
		json_decref(r);
		if (!r && strcmp(code ? code : "", "bridge_exists"))
			return -1;
		json_t *args =
		    json_pack("{s:s, s:s, s:s}", "op", "attach", "name", c->bridge, "port", port);
		if (c->vlan)
			json_object_set_new(args, "opts", json_pack("{s:s}", "vlan", vlan));
		if ((r = call(cl, "bridge", args, &code, e))) {
			json_decref(r);
			return 0;
		}
		if (strcmp(code ? code : "", "unknown_bridge"))
			return -1;
	}
	return -1; /* removed under us every time: e says so */
}

/* Remove bridge @name if no port is on it; one that is gone, or that
 * another's port is on (now, or by the time del is asked), stays as it is. */
static void bridge_release(struct pbctl_client *cl, const char *name)
{
	struct cni_err ignored;
	json_t *r =
	    call(cl, "bridge", json_pack("{s:s, s:s}", "op", "show", "name", name), NULL, &ignored);
	json_t *br = json_array_get(json_object_get(r, "bridges"), 0);
	json_t *members = json_object_get(br, "members");

	if (br && json_is_array(members) && json_array_size(members) == 0)
		json_decref(call(cl, "bridge", json_pack("{s:s, s:s}", "op", "del", "name", name),
				 NULL, &ignored));
	json_decref(r);
}

/* The port's options: the plugin's (where and what), the config's, then
 * the configuration's extra ones. */
static json_t *port_opts(const struct cni_env *env, const struct cni_conf *c,
			 const struct cni_attachment *a)
{
	json_t *o = c->port_opts ? json_deep_copy(c->port_opts) : json_object();
	char mtu[16];

	if (c->mode == CNI_MODE_VHOST) {
		json_object_set_new(o, "path", json_string(a->socket));
		if (c->mac)
			json_object_set_new(o, "mac", json_string(c->mac));
	} else {
		json_object_set_new(o, "netns", json_string(env->netns));
		json_object_set_new(o, "ifname", json_string(env->ifname));
	}
	if (c->mtu) {
		snprintf(mtu, sizeof(mtu), "%d", c->mtu);
		json_object_set_new(o, "mtu", json_string(mtu));
	}
	return o;
}

/* The result of ADD, in the version asked for. */
static json_t *result(const struct cni_env *env, const struct cni_conf *c,
		      const struct cni_attachment *a, json_t *ipam, const char *mac)
{
	json_t *iface = json_pack("{s:s}", "name", env->ifname);
	json_t *r = json_pack("{s:s, s:[o]}", "cniVersion", c->version, "interfaces", iface);

	if (mac && *mac)
		json_object_set_new(iface, "mac", json_string(mac));
	if (c->mode == CNI_MODE_TAP)
		json_object_set_new(iface, "sandbox", json_string(env->netns));
	else if (cni_version_cmp(c->version, "1.1.0") >= 0)
		json_object_set_new(iface, "socketPath", json_string(a->socket));
	if (ipam) {
		json_t *ips = json_object_get(ipam, "ips"), *ip;
		size_t i;
		json_array_foreach(ips, i, ip)
		    json_object_set_new(ip, "interface", json_integer(0));
		json_object_set(r, "ips", ips ? ips : json_array());
		if (json_object_get(ipam, "routes"))
			json_object_set(r, "routes", json_object_get(ipam, "routes"));
		if (json_object_get(ipam, "dns"))
			json_object_set(r, "dns", json_object_get(ipam, "dns"));
	} else {
		json_object_set_new(r, "ips", json_array());
	}
	return r;
}

int cni_add(const struct cni_env *env, struct cni_conf *c, struct cni_err *e)
{
	struct cni_attachment a;
	struct pbctl_client cl;
	json_t *ipam = NULL, *p;
	const char *code;
	char mac[32] = "";
	bool made_dir = false, made_bridge = false;
	int ret = -1;

	if (cni_attachment(c, env->container_id, env->ifname, env->args, &a, e) < 0)
		return -1;
	if (c->mode == CNI_MODE_TAP && (!env->netns || !*env->netns))
		return cni_fail(e, CNI_E_ENV, "CNI_NETNS is not set: a tap attachment needs it");
	struct stat ns;
	if (c->mode == CNI_MODE_TAP && stat(env->netns, &ns) < 0)
		return cni_fail(e, CNI_E_UNKNOWN_CONTAINER, "the container's netns %s: %s",
				env->netns, strerror(errno));
	if (connect_daemon(c, &cl, NULL, e) < 0)
		return -1;
	if ((p = show(&cl, a.port, &code, e))) {
		json_decref(p);
		cni_fail(e, CNI_E_EXISTS,
			 "container %.12s already has %s on network %s (port %s): ADD twice "
			 "without DEL",
			 env->container_id, env->ifname, c->name, a.port);
		goto out;
	}
	if (strcmp(code ? code : "", "unknown_port"))
		goto out;
	for (unsigned i = 0; i < c->npatch; i++) {
		if (!(p = show(&cl, c->patch[i].port, &code, e))) {
			cni_fail(e, CNI_E_CONFIG, "patch: port %s is not on patchbayd (%s)",
				 c->patch[i].port, code ? code : "?");
			goto out;
		}
		json_decref(p);
	}
	if (c->ipam && cni_ipam(env, c, "ADD", env->container_id, env->ifname, &ipam, e) < 0)
		goto out;
	if (c->mode == CNI_MODE_VHOST) {
		int r = pbctl_mkdirs(c->socket_dir, 0755, 0755);
		if (r < 0) {
			cni_fail(e, CNI_E_IO, "socketDir %s: %s", c->socket_dir, strerror(-r));
			goto undo_ipam;
		}
		if (mkdir(a.dir, 0755) == 0)
			made_dir = true;
		else if (errno != EEXIST) {
			cni_fail(e, CNI_E_IO, "socket directory %s: %s", a.dir, strerror(errno));
			goto undo_ipam;
		}
	}
	if (!(p = call(&cl, "add",
		       json_pack("{s:s, s:o}", "port", a.port, "opts", port_opts(env, c, &a)),
		       &code, e)))
		goto undo_dir;
	if (c->mode == CNI_MODE_VHOST) {
		const char *m = c->mac ? c->mac : json_string_value(json_object_get(p, "mac"));
		snprintf(mac, sizeof(mac), "%s", m ? m : "");
	}
	json_decref(p);
	/* An app that is not root in its container opens the socket as its
	 * own user; never follow a link someone put in the directory. */
	if (c->mode == CNI_MODE_VHOST && c->sock_owner &&
	    fchownat(AT_FDCWD, a.socket, c->sock_uid, c->sock_gid, AT_SYMLINK_NOFOLLOW) < 0) {
		cni_fail(e, CNI_E_IO, "socketOwner: chown %s: %s", a.socket, strerror(errno));
		goto undo_port;
	}
	for (unsigned i = 0; i < c->npatch; i++) {
		json_t *r = call(&cl, "patch",
				 json_pack("{s:s, s:s, s:b}", "from", a.port, "to",
					   c->patch[i].port, "both", c->patch[i].both),
				 &code, e);
		if (!r)
			goto undo_port;
		json_decref(r);
	}
	if (c->bridge && bridge_join(&cl, c, a.port, &made_bridge, e) < 0)
		goto undo_port;
	if (c->mode == CNI_MODE_TAP &&
	    cni_netns_setup(env->netns, env->ifname, ipam, c->mtu, c->mac, mac, sizeof(mac), e) < 0)
		goto undo_port;
	if (cni_state_write(c, &a, env->container_id, env->ifname, env->netns, e) < 0)
		goto undo_port;
	json_t *r = result(env, c, &a, ipam, mac);
	cni_print_json(r);
	json_decref(r);
	ret = 0;
	goto out;

undo_port:
	del_port(&cl, a.port); /* off its bridge too */
	if (made_bridge)
		bridge_release(&cl, c->bridge);
undo_dir:
	if (made_dir)
		rmdir(a.dir);
undo_ipam:
	if (c->ipam) {
		struct cni_err ignored;
		cni_ipam(env, c, "DEL", env->container_id, env->ifname, NULL, &ignored);
	}
out:
	json_decref(ipam);
	pbctl_close(&cl);
	return ret;
}

/* Remove what an attachment made; what is already gone is fine. With the
 * daemon down the port goes with it (and GC removes it if a --config
 * brings it back). */
static int teardown(const struct cni_env *env, struct cni_conf *c, const char *container_id,
		    const char *ifname, const char *port, const char *bridge, const char *dir,
		    const char *socket, const char *state_file, struct cni_err *e)
{
	struct pbctl_client cl;
	bool down = false;

	if (connect_daemon(c, &cl, &down, e) == 0) {
		const char *code;
		struct cni_err ignored;
		/* Off the bridge first (del with force would detach it too);
		 * not on one (no_patch) or gone (unknown_port) is fine. */
		if (bridge)
			json_decref(call(&cl, "bridge",
					 json_pack("{s:s, s:s}", "op", "detach", "port", port),
					 NULL, &ignored));
		json_t *r =
		    call(&cl, "del", json_pack("{s:s, s:b}", "port", port, "force", 1), &code, e);
		if (!r && strcmp(code ? code : "", "unknown_port")) {
			pbctl_close(&cl);
			return -1;
		}
		json_decref(r);
		/* The state's bridge (what ADD attached to), and the
		 * configuration's if it names another now. */
		if (bridge)
			bridge_release(&cl, bridge);
		if (c->bridge && (!bridge || strcmp(bridge, c->bridge)))
			bridge_release(&cl, c->bridge);
		pbctl_close(&cl);
	} else if (!down) {
		return -1; /* there, but not answering: say so */
	}
	if (c->ipam && cni_ipam(env, c, "DEL", container_id, ifname, NULL, e) < 0)
		return -1;
	if (socket && *socket)
		unlink(socket); /* patchbayd's own; left if it died */
	if (dir && *dir)
		rmdir(dir); /* fails while the pod's other interfaces have sockets: fine */
	unlink(state_file);
	return 0;
}

int cni_del(const struct cni_env *env, struct cni_conf *c, struct cni_err *e)
{
	struct cni_attachment a;

	if (cni_attachment(c, env->container_id, env->ifname, env->args, &a, e) < 0)
		return -1;
	/* The state names the socket ADD made even if CNI_ARGS differ now. */
	json_t *st = json_load_file(a.state_file, 0, NULL);
	const char *dir = json_string_value(json_object_get(st, "dir"));
	const char *sock = json_string_value(json_object_get(st, "socket"));
	const char *bridge = json_string_value(json_object_get(st, "bridge"));
	int r =
	    teardown(env, c, env->container_id, env->ifname, a.port, bridge ? bridge : c->bridge,
		     dir ? dir : a.dir, sock ? sock : a.socket, a.state_file, e);
	json_decref(st);
	return r;
}

static bool contains(json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) if (json_is_string(v) &&
					   !strcmp(json_string_value(v), s)) return true;
	return false;
}

/* CHECK: @port is on bridge @c->bridge, in its VLAN (an access port of
 * it) or, without "vlan", in every VLAN as ADD attached it. */
static int check_bridge(struct pbctl_client *cl, const struct cni_conf *c, const char *port,
			struct cni_err *e)
{
	const char *code;
	json_t *r =
	    call(cl, "bridge", json_pack("{s:s, s:s}", "op", "show", "name", c->bridge), &code, e);
	json_t *m, *found = NULL;
	size_t i;
	char want[8];
	int ret = -1;

	if (!r) {
		if (code && !strcmp(code, "unknown_bridge"))
			cni_fail(e, CNI_E_CHECK, "bridge %s is gone from patchbayd", c->bridge);
		return -1;
	}
	json_array_foreach(
	    json_object_get(json_array_get(json_object_get(r, "bridges"), 0), "members"), i, m)
	{
		const char *p = json_string_value(json_object_get(m, "port"));
		if (p && !strcmp(p, port))
			found = m;
	}
	snprintf(want, sizeof(want), "%d", c->vlan);
	const char *mode = json_string_value(json_object_get(found, "mode"));
	const char *vlans = json_string_value(json_object_get(found, "vlans"));
	if (!found)
		cni_fail(e, CNI_E_CHECK, "port %s is not on bridge %s", port, c->bridge);
	else if (c->vlan && (!mode || strcmp(mode, "access") || !vlans || strcmp(vlans, want)))
		cni_fail(e, CNI_E_CHECK,
			 "port %s is on bridge %s as %s of VLANs %s, not in VLAN %s", port,
			 c->bridge, mode ? mode : "?", vlans ? vlans : "?", want);
	else if (!c->vlan && (!mode || strcmp(mode, "all")))
		cni_fail(e, CNI_E_CHECK,
			 "port %s is on bridge %s as %s of VLANs %s, not of every VLAN", port,
			 c->bridge, mode ? mode : "?", vlans ? vlans : "?");
	else
		ret = 0;
	json_decref(r);
	return ret;
}

int cni_check(const struct cni_env *env, struct cni_conf *c, struct cni_err *e)
{
	struct cni_attachment a;
	struct pbctl_client cl;
	const char *code;
	struct stat st;
	int ret = -1;

	if (cni_version_cmp(c->version, "0.4.0") < 0)
		return cni_fail(e, CNI_E_VERSION, "CHECK needs cniVersion 0.4.0 or later, not %s",
				c->version);
	if (cni_attachment(c, env->container_id, env->ifname, env->args, &a, e) < 0)
		return -1;
	if (!c->prev)
		return cni_fail(e, CNI_E_CONFIG, "CHECK needs prevResult (ADD's result)");
	if (connect_daemon(c, &cl, NULL, e) < 0)
		return -1;
	json_t *p = show(&cl, a.port, &code, e), *opts = json_object_get(p, "opts");
	if (!p) {
		if (code && !strcmp(code, "unknown_port"))
			cni_fail(e, CNI_E_CHECK, "port %s is gone from patchbayd", a.port);
		goto out;
	}
	const char *where =
	    json_string_value(json_object_get(opts, c->mode == CNI_MODE_VHOST ? "path" : "netns"));
	json_t *stf = json_load_file(a.state_file, 0, NULL);
	const char *want = c->mode == CNI_MODE_VHOST
			       ? json_string_value(json_object_get(stf, "socket"))
			       : env->netns;
	if (!want)
		want = a.socket;
	if (!where || strcmp(where, want)) {
		cni_fail(e, CNI_E_CHECK, "port %s serves %s, not %s", a.port, where ? where : "?",
			 want);
		json_decref(stf);
		goto out;
	}
	if (c->mode == CNI_MODE_VHOST && (stat(want, &st) < 0 || !S_ISSOCK(st.st_mode))) {
		cni_fail(e, CNI_E_CHECK, "the container's socket %s is gone", want);
		json_decref(stf);
		goto out;
	}
	json_decref(stf);
	for (unsigned i = 0; i < c->npatch; i++) {
		const char *to = c->patch[i].port;
		if (!contains(json_object_get(p, "patched_to"), to)) {
			cni_fail(e, CNI_E_CHECK, "port %s is not patched to %s", a.port, to);
			goto out;
		}
		if (!c->patch[i].both)
			continue;
		json_t *q = show(&cl, to, &code, e);
		bool back = q && contains(json_object_get(q, "patched_to"), a.port);
		json_decref(q);
		if (!back) {
			cni_fail(e, CNI_E_CHECK, "port %s is not patched back to %s", to, a.port);
			goto out;
		}
	}
	if (c->bridge && check_bridge(&cl, c, a.port, e) < 0)
		goto out;
	if (c->mode == CNI_MODE_TAP && cni_netns_check(env->netns, env->ifname, c->prev, e) < 0)
		goto out;
	if (c->ipam && cni_ipam(env, c, "CHECK", env->container_id, env->ifname, NULL, e) < 0)
		goto out;
	ret = 0;
out:
	json_decref(p);
	pbctl_close(&cl);
	return ret;
}

static bool is_valid(json_t *valid, const char *cid, const char *ifname)
{
	size_t i;
	json_t *v;

	json_array_foreach(valid, i, v)
	{
		const char *c = json_string_value(json_object_get(v, "containerID"));
		const char *n = json_string_value(json_object_get(v, "ifname"));
		if (c && n && !strcmp(c, cid) && !strcmp(n, ifname))
			return true;
	}
	return false;
}

int cni_gc(const struct cni_env *env, struct cni_conf *c, struct cni_err *e)
{
	char suffix[16];
	json_t *st = cni_state_list(c), *o, *keep = json_array();
	size_t i;
	int ret = 0;

	if (cni_version_cmp(c->version, "1.1.0") < 0) {
		json_decref(st);
		json_decref(keep);
		return cni_fail(e, CNI_E_VERSION, "GC needs cniVersion 1.1.0 or later, not %s",
				c->version);
	}
	if (!c->valid) {
		json_decref(st);
		json_decref(keep);
		/* Without the list every attachment would look stale. */
		return cni_fail(e, CNI_E_CONFIG,
				"GC needs cni.dev/valid-attachments (an empty list removes all)");
	}
	/* Ports of valid attachments, by name: everything else of this
	 * network's goes. */
	json_array_foreach(c->valid, i, o)
	{
		struct cni_attachment a;
		struct cni_err ignored;
		const char *cid = json_string_value(json_object_get(o, "containerID"));
		const char *ifn = json_string_value(json_object_get(o, "ifname"));
		if (cni_attachment(c, cid, ifn, NULL, &a, &ignored) == 0)
			json_array_append_new(keep, json_string(a.port));
	}
	json_array_foreach(st, i, o)
	{
		const char *cid = json_string_value(json_object_get(o, "containerID"));
		const char *ifn = json_string_value(json_object_get(o, "ifname"));
		if (is_valid(c->valid, cid, ifn))
			continue;
		struct cni_err err = {0};
		const char *bridge = json_string_value(json_object_get(o, "bridge"));
		if (teardown(env, c, cid, ifn, json_string_value(json_object_get(o, "port")),
			     bridge ? bridge : c->bridge,
			     json_string_value(json_object_get(o, "dir")),
			     json_string_value(json_object_get(o, "socket")),
			     json_string_value(json_object_get(o, "file")), &err) < 0) {
			*e = err;
			ret = -1;
		}
	}
	/* Ports with no state left (a lost state dir, a daemon restarted
	 * with --config): by the network's suffix. */
	struct pbctl_client cl;
	struct cni_err ignored;
	snprintf(suffix, sizeof(suffix), "-%08x", fnv1a(c->name));
	if (connect_daemon(c, &cl, NULL, &ignored) == 0) {
		json_t *s = call(&cl, "status", json_object(), NULL, &ignored), *port;
		json_array_foreach(json_object_get(s, "ports"), i, port)
		{
			const char *name = json_string_value(json_object_get(port, "name"));
			const char *type = json_string_value(json_object_get(port, "type"));
			size_t n = name ? strlen(name) : 0;
			if (n > 9 && !strcmp(name + n - 9, suffix) && type &&
			    !strcmp(type, port_type(c)) && !contains(keep, name))
				del_port(&cl, name); /* off its bridge too */
		}
		json_decref(s);
		if (c->bridge)
			bridge_release(&cl, c->bridge);
		pbctl_close(&cl);
	}
	json_decref(st);
	json_decref(keep);
	return ret;
}

int cni_status(const struct cni_env *env, struct cni_conf *c, struct cni_err *e)
{
	struct pbctl_client cl;

	(void)env;
	if (cni_version_cmp(c->version, "1.1.0") < 0)
		return cni_fail(e, CNI_E_VERSION, "STATUS needs cniVersion 1.1.0 or later, not %s",
				c->version);
	if (connect_daemon(c, &cl, NULL, e) < 0) {
		/* With attachments made, their containers have lost the panel. */
		json_t *st = cni_state_list(c);
		e->code = json_array_size(st) ? CNI_E_LIMITED : CNI_E_NOT_AVAILABLE;
		snprintf(e->details, sizeof(e->details), "%zu attachment(s) on network %s",
			 json_array_size(st), c->name);
		json_decref(st);
		return -1;
	}
	json_t *v = call(&cl, "version", json_object(), NULL, e);
	pbctl_close(&cl);
	if (!v) {
		e->code = CNI_E_NOT_AVAILABLE;
		return -1;
	}
	json_decref(v);
	return 0;
}
