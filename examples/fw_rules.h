/* SPDX-License-Identifier: MIT */
/*
 * fw_rules.h - the firewall's rule file and its matcher, apart from any
 * I/O so that both can be fuzzed and tested alone.
 *
 * One rule per line; '#' starts a comment; blank lines are ignored:
 *
 *   ACTION PROTO SRC SPORT DST DPORT
 *   default ACTION
 *
 *   ACTION  allow | deny
 *   PROTO   any | tcp | udp | icmp | a protocol number 0..255
 *   SRC DST any | A.B.C.D | A.B.C.D/LEN
 *   SPORT DPORT  any | N | N-M   (a port other than "any" only with tcp or udp)
 *
 * The first rule that matches an IPv4 packet decides; "default" sets what
 * happens to packets no rule matches (allow, if not given). Frames that do
 * not carry IPv4 (ARP, IPv6, ...) pass: this is an IPv4 5-tuple filter, and
 * ARP must pass for IPv4 to work at all. One 802.1Q tag is looked through.
 * A fragment other than the first has no ports: only rules with "any" for
 * both ports can match it.
 */
#ifndef EXAMPLES_FW_RULES_H
#define EXAMPLES_FW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_MAX_RULES 4096

struct fw_rule {
	bool allow;
	int proto;			       /* -1: any */
	uint32_t src, src_mask, dst, dst_mask; /* host order */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	unsigned line;
	uint64_t hits;
};

struct fw_rules {
	struct fw_rule rule[FW_MAX_RULES];
	unsigned n;
	bool default_allow;
};

/* Parse @text (@len bytes, need not end in NUL) into @rs. On an error
 * returns -1 with "line N: what is wrong" in @err; @rs is then unusable. */
int fw_rules_parse(struct fw_rules *rs, const char *text, size_t len, char *err, size_t errlen);

/* Does the frame pass? Counts the hit on the deciding rule. */
bool fw_rules_allow(struct fw_rules *rs, const uint8_t *frame, size_t len);

#endif /* EXAMPLES_FW_RULES_H */
