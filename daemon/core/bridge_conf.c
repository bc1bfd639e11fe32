/* SPDX-License-Identifier: MIT */
/*
 * bridge_conf.c - the words a user gives a bridge, checked: a bridge's
 * options (aging=, max-macs=, flood=), a member's (vlan=, trunk=,
 * max-macs=), VLAN IDs and MAC addresses. Each error names the option and
 * what it takes; nothing here touches a running bridge.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bridge.h"

int pbd_vlan_parse(const char *s, uint16_t *vid)
{
	char *end;

	if (!s || *s < '0' || *s > '9' || strlen(s) > 4)
		return -EINVAL;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v < 1 || v > 4094)
		return -EINVAL;
	*vid = (uint16_t)v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pbd_mac_parse(const char *s, uint8_t mac[6])
{
	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < 5 && s[3 * i + 2] != ':' && s[3 * i + 2] != '-')
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool pbd_bridge_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= PBD_BRIDGE_NAME_MAX)
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
			return false;
	return true;
}

/* @opts' keys all in @known; else a message listing them. */
static int known_keys(json_t *opts, const char *what, const char *const *known, char *err,
		      size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(opts, key, v)
	{
		bool ok = false;
		for (unsigned i = 0; known[i]; i++)
			ok |= !strcmp(key, known[i]);
		if (!ok) {
			int n =
			    snprintf(err, errlen, "unknown option '%s' for %s (known:", key, what);
			for (unsigned i = 0; known[i] && n > 0 && (size_t)n < errlen; i++)
				n += snprintf(err + n, errlen - (size_t)n, " %s", known[i]);
			if (n > 0 && (size_t)n < errlen)
				snprintf(err + n, errlen - (size_t)n, ")");
			return -EINVAL;
		}
		if (!json_is_string(v)) {
			snprintf(err, errlen, "option %s: the value must be a string", key);
			return -EINVAL;
		}
	}
	return 0;
}

static const char *opt(json_t *opts, const char *key)
{
	return json_string_value(json_object_get(opts, key));
}

static int uint_opt(json_t *opts, const char *key, uint64_t dflt, uint64_t min, uint64_t max,
		    uint64_t *out, char *err, size_t errlen)
{
	const char *s = opt(opts, key);
	char *end;

	*out = dflt;
	if (!s)
		return 0;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < min || v > max) {
		snprintf(err, errlen, "option %s=%s: expected a whole number in %llu..%llu", key, s,
			 (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int pbd_bridge_conf_parse(json_t *opts, struct pbd_bridge_conf *c, char *err, size_t errlen)
{
	static const char *const keys[] = {"aging", "max-macs", "flood", NULL};
	uint64_t v;

	if (known_keys(opts, "a bridge", keys, err, errlen) < 0 ||
	    uint_opt(opts, "aging", PBD_BRIDGE_AGING_DFLT, 0, PBD_BRIDGE_AGING_MAX, &c->aging_s,
		     err, errlen) < 0 ||
	    uint_opt(opts, "max-macs", PBD_BRIDGE_MACS_DFLT, 1, PBD_BRIDGE_MACS_MAX, &v, err,
		     errlen) < 0)
		return -EINVAL;
	c->max_macs = (uint32_t)v;
	const char *f = opt(opts, "flood");
	if (!f || !strcmp(f, "on"))
		c->flood = true;
	else if (!strcmp(f, "off"))
		c->flood = false;
	else {
		snprintf(err, errlen, "option flood=%s: expected on or off", f);
		return -EINVAL;
	}
	return 0;
}

/* "10,20,30" into @set; at least one, each 1..4094. */
static int vlan_list(const char *s, uint8_t *set, char *err, size_t errlen)
{
	char buf[4096];
	char *save, *tok;

	if (strlen(s) >= sizeof(buf) || !*s)
		goto bad;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint16_t vid;
		if (pbd_vlan_parse(tok, &vid) < 0) {
			snprintf(err, errlen,
				 "option trunk=%s: '%s' is not a VLAN (1..4094; 0 and 4095 are "
				 "reserved)",
				 s, tok);
			return -EINVAL;
		}
		set[vid >> 3] |= (uint8_t)(1u << (vid & 7));
	}
	if (s[strlen(s) - 1] != ',' && s[0] != ',' && !strstr(s, ",,"))
		return 0;
bad:
	snprintf(err, errlen, "option trunk=%s: expected all or VLANs split by ',' (trunk=10,20)",
		 s);
	return -EINVAL;
}

int pbd_member_conf_parse(json_t *opts, uint32_t bridge_max, struct pbd_member_conf *c, char *err,
			  size_t errlen)
{
	static const char *const keys[] = {"vlan", "trunk", "max-macs", NULL};
	const char *vlan = opt(opts, "vlan"), *trunk = opt(opts, "trunk");
	uint64_t v;

	memset(c, 0, sizeof(*c));
	if (known_keys(opts, "a bridge port", keys, err, errlen) < 0 ||
	    uint_opt(opts, "max-macs", bridge_max, 1, bridge_max, &v, err, errlen) < 0)
		return -EINVAL;
	c->max_macs = (uint32_t)v;
	if (vlan && trunk) {
		snprintf(err, errlen, "vlan= (an access port) and trunk= cannot both be given");
		return -EINVAL;
	}
	c->mode = PBD_VLAN_ALL;
	if (vlan) {
		if (pbd_vlan_parse(vlan, &c->pvid) < 0) {
			snprintf(err, errlen,
				 "option vlan=%s: expected a VLAN 1..4094 (0 and 4095 are "
				 "reserved)",
				 vlan);
			return -EINVAL;
		}
		c->mode = PBD_VLAN_ACCESS;
	} else if (trunk && strcmp(trunk, "all")) {
		if (vlan_list(trunk, c->vlans, err, errlen) < 0)
			return -EINVAL;
		c->mode = PBD_VLAN_TRUNK;
	}
	return 0;
}

void pbd_member_vlans_str(const struct pbd_bridge_member *m, char *out, size_t len)
{
	size_t n = 0;

	if (m->mode == PBD_VLAN_ALL) {
		snprintf(out, len, "all");
		return;
	}
	if (m->mode == PBD_VLAN_ACCESS) {
		snprintf(out, len, "%u", m->pvid);
		return;
	}
	out[0] = 0;
	for (unsigned v = 1; v <= 4094 && n + 6 < len; v++)
		if (m->vlans[v >> 3] & (1u << (v & 7)))
			n += (size_t)snprintf(out + n, len - n, "%s%u", n ? "," : "", v);
}
