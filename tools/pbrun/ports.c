/* SPDX-License-Identifier: MIT */
/*
 * ports.c - the app's ports on patchbayd: made with `add` unless they exist,
 * their sockets handed to the app's uid, deleted at the end if pbrun made
 * them. Talks the control protocol (docs/CONTROL.md) like the CLI does.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/client.h"
#include "common/cmdtab.h"
#include "pbrun.h"

int pbrun_plan_ports(struct pbrun *r)
{
	for (int i = 0; i < r->n_ports; i++) {
		struct pbrun_port *p = &r->port[i];
		const char *given = pbrun_port_opt(p, "path");
		char path[108], base[108];

		if (strcmp(p->name, "vhost:") == 0)
			snprintf(p->name, sizeof(p->name), "vhost:%s.%d", r->name, i);
		for (int j = 0; j < i; j++)
			if (strcmp(r->port[j].name, p->name) == 0) {
				pbrun_log("--port %s given twice", p->name);
				return -1;
			}
		if ((given ? snprintf(path, sizeof(path), "%s", given)
			   : snprintf(path, sizeof(path), "%s/vhost-%s.sock", r->run_dir,
				      p->name + 6)) >= (int)sizeof(path)) {
			pbrun_log("--port %s: its socket path is too long", p->name);
			return -1;
		}
		snprintf(p->host_path, sizeof(p->host_path), "%s", path);
		snprintf(base, sizeof(base), "%s", path);
		snprintf(p->inner_path, sizeof(p->inner_path), "%s/%s", PBRUN_INNER_RUN,
			 basename(base));
		for (int j = 0; j < i; j++)
			if (strcmp(r->port[j].inner_path, p->inner_path) == 0) {
				pbrun_log("--port %s: its socket has the same file name as %s's",
					  p->name, r->port[j].name);
				return -1;
			}
	}
	return 0;
}

static json_t *add_request(const struct pbrun_port *p)
{
	json_t *opts = json_object();

	for (int i = 0; i < p->n_opts; i++)
		json_object_set_new(opts, p->opt[i].key, json_string(p->opt[i].value));
	return pbctl_request_args(PBCTL_CMD_ADD,
				  json_pack("{s:s, s:o}", "port", p->name, "opts", opts));
}

static const char *error_code(json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
}

static const char *error_message(json_t *reply)
{
	const char *m =
	    json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
	return m ? m : "no reply";
}

/* The path in patchbayd's reply is input from a socket: before it is
 * chowned and bind-mounted into the container, it must name a socket (not a
 * symlink, not a file) owned by whoever owns the control socket (or by the
 * app's uid, when an earlier pbrun handed it over). */
static bool daemon_socket(const struct pbrun *r, const char *path)
{
	char ctl[4200];
	struct stat st, owner;

	snprintf(ctl, sizeof(ctl), "%s/%s", r->run_dir, PBCTL_SOCKET_NAME);
	return path[0] == '/' && strlen(path) < sizeof(((struct pbrun_port *)0)->host_path) &&
	       lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && stat(ctl, &owner) == 0 &&
	       (st.st_uid == owner.st_uid || st.st_uid == r->uid);
}

/* Add @p, or find it if it exists; fill in its socket path. */
static int make_one(struct pbrun *r, struct pbctl_client *c, struct pbrun_port *p)
{
	json_t *req = add_request(p), *reply = pbctl_call(c, req), *port;
	int rc = -1;

	json_decref(req);
	if (!reply)
		return -1;
	if (json_is_true(json_object_get(reply, "ok"))) {
		p->created = true;
		port = json_object_get(reply, "result");
	} else if (error_code(reply) && strcmp(error_code(reply), "port_exists") == 0) {
		json_decref(reply);
		req = pbctl_request_args(PBCTL_CMD_SHOW, json_pack("{s:s}", "port", p->name));
		reply = pbctl_call(c, req);
		json_decref(req);
		if (!reply || !json_is_true(json_object_get(reply, "ok"))) {
			pbrun_log("port %s: %s", p->name, error_message(reply));
			goto out;
		}
		port = json_object_get(reply, "result");
		if (p->n_opts)
			pbrun_log("port %s exists: using it as it is (the options given "
				  "with --port are not applied to it)",
				  p->name);
	} else {
		pbrun_log("cannot add port %s: %s", p->name, error_message(reply));
		goto out;
	}
	const char *path = json_string_value(json_object_get(port, "path"));
	const char *sock = json_string_value(json_object_get(port, "socket"));
	if (!path || (sock && strcmp(sock, "server") != 0)) {
		pbrun_log("port %s has no socket an app can connect to", p->name);
		goto out;
	}
	if (!daemon_socket(r, path)) {
		pbrun_log("port %s: %s is not a socket of patchbayd's", p->name, path);
		goto out;
	}
	snprintf(p->host_path, sizeof(p->host_path), "%s", path);
	/* The app runs as its own uid and must be able to connect. */
	if (geteuid() == 0 && fchownat(AT_FDCWD, path, r->uid, r->gid, AT_SYMLINK_NOFOLLOW) < 0) {
		pbrun_log("port %s: chown %s: %s", p->name, path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	json_decref(reply);
	return rc;
}

static int connect_daemon(const struct pbrun *r, struct pbctl_client *c)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", r->run_dir, PBCTL_SOCKET_NAME);
	return pbctl_connect(c, path);
}

int pbrun_make_ports(struct pbrun *r)
{
	struct pbctl_client c;

	if (r->n_ports == 0)
		return 0;
	if (connect_daemon(r, &c) < 0) {
		pbrun_log("the app's ports need patchbayd (start it, or give its --run-dir)");
		return -1;
	}
	for (int i = 0; i < r->n_ports; i++) {
		if (make_one(r, &c, &r->port[i]) < 0) {
			pbctl_close(&c);
			pbrun_drop_ports(r);
			return -1;
		}
		if (r->port[i].created && pbrun_record_ports(r) < 0) {
			pbctl_close(&c);
			pbrun_drop_ports(r);
			return -1;
		}
	}
	pbctl_close(&c);
	return 0;
}

int pbrun_record_ports(const struct pbrun *r)
{
	char path[4200], text[PBRUN_MAX_PORTS * 72] = "";

	for (int i = 0; i < r->n_ports; i++)
		if (r->port[i].created && !r->keep_ports) {
			strcat(text, r->port[i].name);
			strcat(text, "\n");
		}
	snprintf(path, sizeof(path), "%s/ports", r->state_dir);
	return pbrun_write_file(path, text);
}

void pbrun_drop_ports(struct pbrun *r)
{
	struct pbctl_client c;
	bool any = false;

	for (int i = 0; i < r->n_ports; i++)
		any |= r->port[i].created && !r->keep_ports;
	if (!any || connect_daemon(r, &c) < 0)
		return;
	for (int i = 0; i < r->n_ports; i++) {
		struct pbrun_port *p = &r->port[i];

		if (!p->created || r->keep_ports)
			continue;
		json_t *req = pbctl_request_args(
		    PBCTL_CMD_DEL, json_pack("{s:s, s:b}", "port", p->name, "force", 1));
		json_t *reply = pbctl_call(&c, req);

		if (reply && !json_is_true(json_object_get(reply, "ok")) &&
		    strcmp(error_code(reply) ? error_code(reply) : "", "unknown_port") != 0)
			pbrun_log("cannot delete port %s: %s", p->name, error_message(reply));
		p->created = false;
		json_decref(reply);
		json_decref(req);
	}
	pbctl_close(&c);
}
