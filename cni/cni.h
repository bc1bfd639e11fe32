/* SPDX-License-Identifier: MIT */
/*
 * cni.h - patchbay-cni, the CNI plugin (spec 1.1.0) that attaches a
 * container to patchbayd: a vhost: port whose socket the container's app
 * opens (mode "vhost"), or a tap: port that is the container's own eth0
 * (mode "tap"). docs/CNI.md is the user's side.
 *
 * One file per concern: main.c (environment, dispatch, output), conf.c (the
 * network configuration), attach.c (the verbs on patchbayd), ipam.c (the
 * IPAM delegate), netns.c (addresses and routes in the container's netns),
 * result.c (results and errors in the version asked), state.c (what ADD
 * made, for DEL and GC).
 */
#ifndef PBCNI_H
#define PBCNI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CNI_SPEC_VERSION "1.1.0"
#define CNI_MAX_STDIN	 (1024 * 1024)

/* The spec's error codes (SPEC.md, "Error"), and ours from 100 on. */
enum cni_code {
	CNI_E_VERSION = 1,     /* incompatible CNI version */
	CNI_E_UNSUPPORTED = 2, /* unsupported field in the network configuration */
	CNI_E_UNKNOWN_CONTAINER = 3,
	CNI_E_ENV = 4, /* invalid necessary environment variables */
	CNI_E_IO = 5,
	CNI_E_DECODE = 6, /* failed to decode content */
	CNI_E_CONFIG = 7, /* invalid network configuration */
	CNI_E_TRY_LATER = 11,
	CNI_E_NOT_AVAILABLE = 50, /* STATUS: cannot serve ADD */
	CNI_E_LIMITED = 51,	  /* STATUS: and existing attachments suffer too */
	CNI_E_EXISTS = 100,	  /* ADD of an attachment that exists */
	CNI_E_DAEMON = 101,	  /* patchbayd refused */
	CNI_E_CHECK = 102,	  /* CHECK found the attachment not as made */
	CNI_E_IPAM = 103,	  /* the IPAM plugin failed */
	CNI_E_NETNS = 104,	  /* the container's netns could not be set up */
};

struct cni_err {
	int code;
	char msg[512];
	char details[1024];
};

/* The runtime's environment (SPEC.md, "Parameters"). */
struct cni_env {
	const char *command;
	const char *container_id;
	const char *netns;
	const char *ifname;
	const char *args; /* CNI_ARGS: K=V;K=V */
	const char *path; /* CNI_PATH: where the IPAM plugin is */
};

enum cni_mode { CNI_MODE_VHOST, CNI_MODE_TAP };

/* A patch the configuration asks for: the new port to @port (and back). */
struct cni_patch {
	const char *port;
	bool both;
};

#define CNI_MAX_PATCHES 16
/* A bridge's name on patchbayd: 1..31 of [A-Za-z0-9_.-] (docs/CONTROL.md). */
#define CNI_BRIDGE_NAME_MAX 31

struct cni_conf {
	json_t *raw; /* the whole stdin object: passed on to IPAM */
	const char *version;
	const char *name;
	enum cni_mode mode;
	char run_dir[256];    /* patchbayd's (its control socket is in it) */
	char socket_dir[256]; /* vhost: per-container directories in it */
	char state_dir[256];
	struct cni_patch patch[CNI_MAX_PATCHES];
	unsigned npatch;
	const char *bridge; /* NULL: none; else the port is attached to it */
	int vlan;	    /* with bridge: an access port of VLAN 1..4094; 0: none */
	int mtu;	    /* 0: the default */
	const char *mac;    /* NULL: the default */
	bool sock_owner;    /* vhost: chown the socket to sock_uid:sock_gid */
	unsigned sock_uid, sock_gid;
	json_t *port_opts; /* extra port options, strings */
	json_t *ipam;	   /* NULL: no addresses */
	json_t *prev;	   /* prevResult (CHECK) */
	json_t *valid;	   /* cni.dev/valid-attachments (GC) */
};

/* One attachment, what names it and what ADD made for it. */
struct cni_attachment {
	char port[64];	      /* "vhost:ID" or "tap:ID" on patchbayd */
	char dir[560];	      /* vhost: the container's socket directory */
	char socket[640];     /* vhost: its socket */
	char state_file[800]; /* where ADD wrote what it made */
};

/* result.c */
int cni_version_cmp(const char *a, const char *b);
bool cni_version_known(const char *v);
void cni_print_error(const char *version, const struct cni_err *e);
void cni_print_json(json_t *o);
int cni_fail(struct cni_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* conf.c */
int cni_conf_parse(struct cni_conf *c, const char *text, size_t len, struct cni_err *e);
void cni_conf_free(struct cni_conf *c);
/* A name that is safe in a path and a port ID: 1..@max of [A-Za-z0-9_.-],
 * not "." or "..". */
bool cni_name_ok(const char *s, size_t max);
/* K's value in CNI_ARGS, copied into @out; false when absent. */
bool cni_arg(const char *args, const char *key, char *out, size_t len);

/* attach.c: the verbs. On success ADD and VERSION print their result. */
int cni_add(const struct cni_env *env, struct cni_conf *c, struct cni_err *e);
int cni_del(const struct cni_env *env, struct cni_conf *c, struct cni_err *e);
int cni_check(const struct cni_env *env, struct cni_conf *c, struct cni_err *e);
int cni_gc(const struct cni_env *env, struct cni_conf *c, struct cni_err *e);
int cni_status(const struct cni_env *env, struct cni_conf *c, struct cni_err *e);
/* The port name, directory and socket of (container, ifname) on network
 * @c; -1 (code 4) if either is not a valid name. */
int cni_attachment(const struct cni_conf *c, const char *container_id, const char *ifname,
		   const char *args, struct cni_attachment *a, struct cni_err *e);

/* ipam.c: run the IPAM plugin of @c with @command; its result (ADD) in
 * *result. */
int cni_ipam(const struct cni_env *env, const struct cni_conf *c, const char *command,
	     const char *container_id, const char *ifname, json_t **result, struct cni_err *e);
/* What IPAM plugin @type printed for @command (@text, @len bytes) and
 * whether it exited 0: with @result (ADD), its result, checked for what is
 * used of it (ips, routes, dns; ips always a list), in *result; else (or
 * on failure) nothing. Its error object's code and msg are passed on. */
int cni_ipam_parse(const char *type, const char *command, const char *text, size_t len,
		   bool exited_ok, json_t **result, struct cni_err *e);

/* netns.c: in the netns at @netns, for the link @ifname. */
int cni_netns_setup(const char *netns, const char *ifname, json_t *ipam_result, int mtu,
		    const char *mac, char *mac_out, size_t mac_len, struct cni_err *e);
int cni_netns_check(const char *netns, const char *ifname, json_t *prev, struct cni_err *e);

/* state.c */
int cni_state_write(const struct cni_conf *c, const struct cni_attachment *a,
		    const char *container_id, const char *ifname, const char *netns,
		    struct cni_err *e);
/* Every attachment recorded for network @c: an array of objects
 * {containerID, ifname, port, dir, socket, file}. */
json_t *cni_state_list(const struct cni_conf *c);

#endif /* PBCNI_H */
