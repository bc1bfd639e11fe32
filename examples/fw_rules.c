/* SPDX-License-Identifier: MIT */
/*
 * fw_rules.c - see fw_rules.h. The frame is untrusted: every field read is
 * inside @len, and a header that does not fit means "not IPv4" or "no ports".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_rules.h"

#define ETH_IPV4 0x0800
#define ETH_VLAN 0x8100

static int word(const char **p, const char *end, char *out, size_t cap)
{
	size_t n = 0;

	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r'))
		(*p)++;
	while (*p < end && **p != ' ' && **p != '\t' && **p != '\r' && **p != '\n' && **p != '#') {
		if (n + 1 >= cap)
			return -1;
		out[n++] = *(*p)++;
	}
	out[n] = '\0';
	return (int)n;
}

static bool number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || *s < '0' || *s > '9' || strlen(s) > 10)
		return false;
	*out = strtoul(s, &end, 10);
	return !*end && *out <= max;
}

/* A.B.C.D, each part 0..255 in at most three digits, and nothing else. */
static bool parse_quad(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned x = 0, digits = 0;

		if (part && (i >= n || s[i++] != '.'))
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 3)
			x = x * 10 + (unsigned)(s[i++] - '0'), digits++;
		if (!digits || x > 255)
			return false;
		v = v << 8 | x;
	}
	*out = v;
	return i == n;
}

static bool parse_addr(const char *s, uint32_t *addr, uint32_t *mask)
{
	const char *slash = strchr(s, '/');
	unsigned long len = 32;

	if (strcmp(s, "any") == 0) {
		*addr = *mask = 0;
		return true;
	}
	if (slash && !number(slash + 1, 32, &len))
		return false;
	if (!parse_quad(s, slash ? (size_t)(slash - s) : strlen(s), addr))
		return false;
	*mask = len ? 0xffffffffu << (32 - len) : 0;
	*addr &= *mask;
	return true;
}

static bool parse_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
	char a[8], b[8];
	unsigned long x, y;
	const char *dash = strchr(s, '-');

	if (strcmp(s, "any") == 0) {
		*lo = 0;
		*hi = 65535;
		return true;
	}
	if (!dash)
		return number(s, 65535, &x) && (*lo = *hi = (uint16_t)x, true);
	if ((size_t)(dash - s) >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
		return false;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	strcpy(b, dash + 1);
	if (!number(a, 65535, &x) || !number(b, 65535, &y) || x > y)
		return false;
	*lo = (uint16_t)x;
	*hi = (uint16_t)y;
	return true;
}

static bool parse_action(const char *s, bool *allow)
{
	if (strcmp(s, "allow") == 0)
		*allow = true;
	else if (strcmp(s, "deny") == 0)
		*allow = false;
	else
		return false;
	return true;
}

static bool parse_proto(const char *s, int *proto)
{
	unsigned long n;

	if (strcmp(s, "any") == 0)
		*proto = -1;
	else if (strcmp(s, "tcp") == 0)
		*proto = 6;
	else if (strcmp(s, "udp") == 0)
		*proto = 17;
	else if (strcmp(s, "icmp") == 0)
		*proto = 1;
	else if (number(s, 255, &n))
		*proto = (int)n;
	else
		return false;
	return true;
}

#define BAD(...)                                                                                   \
	do {                                                                                       \
		int off_ = snprintf(err, errlen, "line %u: ", line);                               \
		if (off_ >= 0 && (size_t)off_ < errlen)                                            \
			snprintf(err + off_, errlen - (size_t)off_, __VA_ARGS__);                  \
		return -1;                                                                         \
	} while (0)

int fw_rules_parse(struct fw_rules *rs, const char *text, size_t len, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	unsigned line = 0;

	rs->n = 0;
	rs->default_allow = true;
	while (p < end) {
		char w[7][40];
		int nw = 0;

		line++;
		for (; nw < 7; nw++) {
			int r = word(&p, end, w[nw], sizeof(w[nw]));

			if (r < 0)
				BAD("a word longer than %zu characters", sizeof(w[0]) - 1);
			if (r == 0)
				break;
		}
		if (nw == 7)
			BAD("too many words (ACTION PROTO SRC SPORT DST DPORT)");
		/* word() stopped at a comment, the end of the line or of the text */
		while (p < end && *p != '\n')
			p++;
		if (p < end)
			p++;
		if (nw == 0)
			continue;
		if (strcmp(w[0], "default") == 0) {
			if (nw != 2 || !parse_action(w[1], &rs->default_allow))
				BAD("expected: default allow|deny");
			continue;
		}
		if (nw != 6)
			BAD("expected 6 words: ACTION PROTO SRC SPORT DST DPORT, found %d", nw);
		if (rs->n == FW_MAX_RULES)
			BAD("more than %d rules", FW_MAX_RULES);
		struct fw_rule *r = &rs->rule[rs->n];
		memset(r, 0, sizeof(*r));
		r->line = line;
		if (!parse_action(w[0], &r->allow))
			BAD("'%s': expected allow or deny", w[0]);
		if (!parse_proto(w[1], &r->proto))
			BAD("'%s': expected any, tcp, udp, icmp or 0..255", w[1]);
		if (!parse_addr(w[2], &r->src, &r->src_mask))
			BAD("'%s': expected any, A.B.C.D or A.B.C.D/LEN", w[2]);
		if (!parse_ports(w[3], &r->sport_lo, &r->sport_hi))
			BAD("'%s': expected any, a port or LOW-HIGH", w[3]);
		if (!parse_addr(w[4], &r->dst, &r->dst_mask))
			BAD("'%s': expected any, A.B.C.D or A.B.C.D/LEN", w[4]);
		if (!parse_ports(w[5], &r->dport_lo, &r->dport_hi))
			BAD("'%s': expected any, a port or LOW-HIGH", w[5]);
		bool any_ports = r->sport_lo == 0 && r->sport_hi == 65535 && r->dport_lo == 0 &&
				 r->dport_hi == 65535;
		if (!any_ports && r->proto != 6 && r->proto != 17)
			BAD("ports need tcp or udp as the protocol");
		rs->n++;
	}
	return 0;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool fw_rules_allow(struct fw_rules *rs, const uint8_t *frame, size_t len)
{
	size_t off = 12;
	uint16_t type;

	if (len < off + 2)
		return true; /* not IPv4: passes */
	type = be16(frame + off);
	off += 2;
	if (type == ETH_VLAN) {
		if (len < off + 4)
			return true;
		type = be16(frame + off + 2);
		off += 4;
	}
	if (type != ETH_IPV4 || len < off + 20 || (frame[off] >> 4) != 4)
		return true;

	const uint8_t *ip = frame + off;
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	int proto = ip[9];
	uint32_t src = be32(ip + 12), dst = be32(ip + 16);
	bool first_fragment = (be16(ip + 6) & 0x1fff) == 0;
	bool has_ports = false;
	uint16_t sport = 0, dport = 0;

	if (ihl >= 20 && first_fragment && (proto == 6 || proto == 17) && len >= off + ihl + 4) {
		sport = be16(ip + ihl);
		dport = be16(ip + ihl + 2);
		has_ports = true;
	}
	for (unsigned i = 0; i < rs->n; i++) {
		struct fw_rule *r = &rs->rule[i];
		bool any_ports = r->sport_lo == 0 && r->sport_hi == 65535 && r->dport_lo == 0 &&
				 r->dport_hi == 65535;

		if ((r->proto >= 0 && r->proto != proto) || (src & r->src_mask) != r->src ||
		    (dst & r->dst_mask) != r->dst)
			continue;
		if (!any_ports && (!has_ports || sport < r->sport_lo || sport > r->sport_hi ||
				   dport < r->dport_lo || dport > r->dport_hi))
			continue;
		r->hits++;
		return r->allow;
	}
	return rs->default_allow;
}
