/* SPDX-License-Identifier: MIT */
/*
 * fuzz_fw_rules.c - the sample firewall's two parsers: its rule file (text
 * from whoever wrote it) and the frames it matches (from the peer).
 *
 * The input is parsed as a rule file; whether or not that succeeds, it is
 * also matched as a frame against a fixed rule set that uses every kind of
 * rule, and, if it parsed, against its own rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../examples/fw_rules.h"

static const char fixed[] = "default deny\n"
			    "deny udp any any 10.0.0.2 5000-5010\n"
			    "allow udp 192.168.0.0/16 53 any any\n"
			    "allow tcp any any any 80\n"
			    "allow icmp 10.0.0.0/24 any any any\n"
			    "deny 47 any any 0.0.0.0/0 any\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fw_rules *rules, *own;
	char err[256];

	if (!rules) {
		rules = calloc(1, sizeof(*rules));
		own = calloc(1, sizeof(*own));
		if (!rules || !own || fw_rules_parse(rules, fixed, strlen(fixed), err, sizeof(err)))
			abort();
	}
	fw_rules_allow(rules, data, size);
	if (fw_rules_parse(own, (const char *)data, size, err, sizeof(err)) == 0)
		fw_rules_allow(own, data, size);
	else if (!memchr(err, '\0', sizeof(err)) || strncmp(err, "line ", 5) != 0)
		abort(); /* every refusal names its line */
	return 0;
}
