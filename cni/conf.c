/* SPDX-License-Identifier: MIT */
/*
 * conf.c - the network configuration on stdin (docs/CNI.md lists the keys).
 * Every value is checked before anything is made, and a bad one is named:
 * the key, what it holds, what it should. Keys we do not know are left for
 * whoever does (the IPAM plugin gets the whole object).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"
/* PB_SPEC_MTU_MIN/MAX: the MTU range every port type takes (the library's
 * spec for vhost: and virtio:, the tap port's mtu=). A wider one here let a
 * value pass, run IPAM, and only then be refused by patchbayd.
 * docs/CNI.md quotes it; tests/cni/verbs.sh checks that it does. */
#include "lib/port/spec.h"

bool cni_name_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* An absolute path key into @out, or the default. */
static int path_key(json_t *o, const char *key, const char *def, char *out, size_t len,
		    struct cni_err *e)
{
	json_t *v = json_object_get(o, key);

	if (!v) {
		snprintf(out, len, "%s", def);
		return 0;
	}
	const char *s = json_string_value(v);
	if (!s || s[0] != '/' || strlen(s) >= len - 80 || strstr(s, "/../"))
		return cni_fail(e, CNI_E_CONFIG,
				"%s must be an absolute path (under %zu bytes, no '..')", key,
				len - 80);
	snprintf(out, len, "%s", s);
	return 0;
}

static int parse_patch(struct cni_conf *c, json_t *list, struct cni_err *e)
{
	size_t i;
	json_t *p;

	if (!json_is_array(list))
		return cni_fail(e, CNI_E_CONFIG,
				"patch must be a list of ports (\"vhost:uplink\") or objects "
				"{\"port\": ..., \"both\": true}");
	if (json_array_size(list) > CNI_MAX_PATCHES)
		return cni_fail(e, CNI_E_CONFIG, "patch: at most %d entries", CNI_MAX_PATCHES);
	json_array_foreach(list, i, p)
	{
		struct cni_patch *cp = &c->patch[c->npatch];
		cp->both = true;
		if (json_is_string(p)) {
			cp->port = json_string_value(p);
		} else if (json_is_object(p)) {
			const char *k;
			json_t *v;
			json_object_foreach(p, k, v)
			{
				if (!strcmp(k, "port") && json_is_string(v))
					cp->port = json_string_value(v);
				else if (!strcmp(k, "both") && json_is_boolean(v))
					cp->both = json_is_true(v);
				else
					return cni_fail(e, CNI_E_CONFIG,
							"patch[%zu]: '%s' is not a key of a patch "
							"(port: string, both: boolean)",
							i, k);
			}
		}
		if (!cp->port || !strchr(cp->port, ':'))
			return cni_fail(e, CNI_E_CONFIG,
					"patch[%zu] must name a port TYPE:ID on patchbayd", i);
		c->npatch++;
	}
	return 0;
}

/* "bridge": NAME and "vlan": N (docs/CNI.md). The name's rule is
 * patchbayd's for a bridge (docs/CONTROL.md, "Bridges"); checked here so a
 * bad one is refused before IPAM runs or a port is made. */
static int parse_bridge(struct cni_conf *c, struct cni_err *e)
{
	json_t *b = json_object_get(c->raw, "bridge"), *v = json_object_get(c->raw, "vlan");

	if (b) {
		const char *s = json_string_value(b);
		size_t n = s ? strlen(s) : 0;
		if (!s || n == 0 || n > CNI_BRIDGE_NAME_MAX ||
		    strspn(s,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
			n) {
			char *got = json_dumps(b, JSON_ENCODE_ANY);
			cni_fail(e, CNI_E_CONFIG,
				 "bridge must name a bridge on patchbayd: 1 to %d letters, digits, "
				 "'-', '_', '.', not %.40s",
				 CNI_BRIDGE_NAME_MAX, got ? got : "that");
			free(got);
			return -1;
		}
		c->bridge = s;
	}
	if (v) {
		if (!c->bridge)
			return cni_fail(
			    e, CNI_E_CONFIG,
			    "vlan needs bridge: it is the VLAN of the port on the bridge");
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 4094) {
			char *got = json_dumps(v, JSON_ENCODE_ANY);
			cni_fail(e, CNI_E_CONFIG,
				 "vlan must be an integer 1..4094 (0 and 4095 are reserved), not "
				 "%.40s",
				 got ? got : "that");
			free(got);
			return -1;
		}
		c->vlan = (int)json_integer_value(v);
	}
	/* A bridged port has no patches (patchbayd refuses either on the
	 * other): the bridge is how it reaches the others. */
	if (c->bridge && c->npatch)
		return cni_fail(e, CNI_E_CONFIG,
				"bridge and patch do not go together: a port on a bridge cannot be "
				"patched; attach the other ports to bridge %s instead",
				c->bridge);
	return 0;
}

static int parse_opts(struct cni_conf *c, json_t *opts, struct cni_err *e)
{
	const char *k;
	json_t *v;

	if (!json_is_object(opts))
		return cni_fail(e, CNI_E_CONFIG, "portOptions must be an object of strings");
	json_object_foreach(opts, k, v)
	{
		if (!json_is_string(v))
			return cni_fail(e, CNI_E_CONFIG, "portOptions.%s must be a string", k);
		/* What names and places the port is the plugin's to say. */
		if (!strcmp(k, "path") || !strcmp(k, "netns") || !strcmp(k, "ifname") ||
		    !strcmp(k, "client"))
			return cni_fail(e, CNI_E_UNSUPPORTED,
					"portOptions.%s: \"%s\" is set by the plugin, not the "
					"configuration",
					k, json_string_value(v));
	}
	c->port_opts = opts;
	return 0;
}

int cni_conf_parse(struct cni_conf *c, const char *text, size_t len, struct cni_err *e)
{
	json_error_t je;
	json_t *v;

	memset(c, 0, sizeof(*c));
	c->raw = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!c->raw)
		return cni_fail(e, CNI_E_DECODE,
				"the network configuration is not JSON: line %d, column %d: %s",
				je.line, je.column, je.text);
	if (!json_is_object(c->raw))
		return cni_fail(e, CNI_E_DECODE, "the network configuration must be an object");
	c->version = json_string_value(json_object_get(c->raw, "cniVersion"));
	if (!c->version)
		return cni_fail(e, CNI_E_CONFIG,
				"cniVersion is missing (a string, e.g. \"1.0.0\")");
	if (!cni_version_known(c->version))
		return cni_fail(e, CNI_E_VERSION,
				"cniVersion \"%s\" is not supported (0.3.0, 0.3.1, 0.4.0, 1.0.0, "
				"1.1.0)",
				c->version);
	c->name = json_string_value(json_object_get(c->raw, "name"));
	if (!c->name || !cni_name_ok(c->name, 128))
		return cni_fail(e, CNI_E_CONFIG,
				"name must be the network's name: letters, digits, '_', '.', '-'");
	if (!json_is_string(json_object_get(c->raw, "type")))
		return cni_fail(e, CNI_E_CONFIG, "type is missing");
	v = json_object_get(c->raw, "mode");
	const char *mode = v ? json_string_value(v) : "vhost";
	if (!mode)
		return cni_fail(e, CNI_E_CONFIG, "mode must be a string: \"vhost\" or \"tap\"");
	if (!strcmp(mode, "vhost"))
		c->mode = CNI_MODE_VHOST;
	else if (!strcmp(mode, "tap"))
		c->mode = CNI_MODE_TAP;
	else
		return cni_fail(e, CNI_E_UNSUPPORTED,
				"mode: \"%s\" is not supported (\"vhost\" or \"tap\")", mode);
	if (path_key(c->raw, "runDir", "/run/patchbay", c->run_dir, sizeof(c->run_dir), e) < 0 ||
	    path_key(c->raw, "socketDir", "/run/patchbay/cni", c->socket_dir, sizeof(c->socket_dir),
		     e) < 0 ||
	    path_key(c->raw, "stateDir", "/var/lib/cni/patchbay", c->state_dir,
		     sizeof(c->state_dir), e) < 0)
		return -1;
	if ((v = json_object_get(c->raw, "patch")) && parse_patch(c, v, e) < 0)
		return -1;
	if (parse_bridge(c, e) < 0)
		return -1;
	if ((v = json_object_get(c->raw, "mtu"))) {
		if (!json_is_integer(v) || json_integer_value(v) < PB_SPEC_MTU_MIN ||
		    json_integer_value(v) > PB_SPEC_MTU_MAX) {
			char *got = json_dumps(v, JSON_ENCODE_ANY);
			cni_fail(e, CNI_E_CONFIG,
				 "mtu must be an integer %d..%d (what patchbayd's ports take), "
				 "not %.40s",
				 PB_SPEC_MTU_MIN, PB_SPEC_MTU_MAX, got ? got : "that");
			free(got);
			return -1;
		}
		c->mtu = (int)json_integer_value(v);
	}
	if ((v = json_object_get(c->raw, "mac"))) {
		unsigned b[6];
		char tail;
		c->mac = json_string_value(v);
		if (!c->mac || sscanf(c->mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
				      &b[3], &b[4], &b[5], &tail) != 6)
			return cni_fail(e, CNI_E_CONFIG,
					"mac must be a MAC address aa:bb:cc:dd:ee:ff");
	}
	if ((v = json_object_get(c->raw, "socketOwner"))) {
		char tail;
		const char *o = json_string_value(v);
		if (!o || sscanf(o, "%u:%u%c", &c->sock_uid, &c->sock_gid, &tail) != 2)
			return cni_fail(e, CNI_E_CONFIG,
					"socketOwner must be \"UID:GID\" (numbers: the app's user "
					"inside the container)");
		c->sock_owner = true;
	}
	if ((v = json_object_get(c->raw, "portOptions")) && parse_opts(c, v, e) < 0)
		return -1;
	if ((v = json_object_get(c->raw, "ipam"))) {
		if (!json_is_object(v))
			return cni_fail(e, CNI_E_CONFIG, "ipam must be an object");
		const char *t = json_string_value(json_object_get(v, "type"));
		if (json_object_size(v) > 0 && (!t || !cni_name_ok(t, 64)))
			return cni_fail(e, CNI_E_CONFIG,
					"ipam.type must name an IPAM plugin (e.g. \"host-local\")");
		c->ipam = t ? v : NULL; /* "ipam": {} means none */
	}
	if ((v = json_object_get(c->raw, "prevResult")) && !json_is_object(v))
		return cni_fail(e, CNI_E_CONFIG, "prevResult must be an object");
	c->prev = v;
	if ((v = json_object_get(c->raw, "cni.dev/valid-attachments")) && !json_is_array(v))
		return cni_fail(e, CNI_E_CONFIG, "cni.dev/valid-attachments must be a list");
	c->valid = v;
	return 0;
}

void cni_conf_free(struct cni_conf *c)
{
	json_decref(c->raw);
	c->raw = NULL;
}

bool cni_arg(const char *args, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	for (const char *p = args; p && *p;) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			size_t vl = n - kl - 1;
			if (vl >= len)
				return false;
			memcpy(out, p + kl + 1, vl);
			out[vl] = 0;
			return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}
