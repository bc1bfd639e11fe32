/* SPDX-License-Identifier: MIT */
/*
 * fuzz_spec.c - libFuzzer harness for the port spec parser.
 *
 * The input is any bytes, made a C string (a NUL-terminated copy: the parser
 * takes strings, and an embedded NUL just ends the spec early). Checked:
 *  - no memory error or UB (ASan/UBSan do that);
 *  - the result is 0, -EINVAL or -ENAMETOOLONG, with a non-empty,
 *    NUL-terminated message exactly when it is an error;
 *  - a parsed spec is in range (what the ports rely on without checking);
 *  - format() of a parsed spec parses back to the same struct;
 *  - a small message buffer, and none at all, are never overrun.
 * A violation aborts, which libFuzzer reports as a crash.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port/spec.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_in_range(const struct pb_port_spec *s)
{
	size_t plen = strnlen(s->path, sizeof(s->path));

	CHECK(s->role == PB_ROLE_DEVICE || s->role == PB_ROLE_DRIVER);
	CHECK(plen > 0 && plen < sizeof(s->path));
	CHECK(strchr(s->path, ',') == NULL);
	CHECK(s->queue_size >= PB_SPEC_QUEUE_MIN && s->queue_size <= PB_SPEC_QUEUE_MAX);
	CHECK((s->queue_size & (s->queue_size - 1)) == 0);
	CHECK(s->mtu >= PB_SPEC_MTU_MIN && s->mtu <= PB_SPEC_MTU_MAX);
	CHECK(s->reconnect_ms >= PB_SPEC_RECONNECT_MIN && s->reconnect_ms <= PB_SPEC_RECONNECT_MAX);
	if (s->mac_set) {
		CHECK((s->mac[0] & 1) == 0);
		CHECK((s->mac[0] | s->mac[1] | s->mac[2] | s->mac[3] | s->mac[4] | s->mac[5]) != 0);
	}
	/* Role-only keys keep their defaults on the other role. */
	if (s->role == PB_ROLE_DEVICE) {
		CHECK(s->queue_size == 256);
		CHECK(!s->hugetlb);
	} else {
		CHECK(s->indirect);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_port_spec spec, again;
	char err[256], small[8], fmt[512];
	char *s = malloc(size + 1);
	int rc, rc2, n;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(err, 'x', sizeof(err));
	rc = pb_port_spec_parse(s, &spec, err, sizeof(err));
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENAMETOOLONG);
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == 0) {
		CHECK(err[0] == '\0');
		check_in_range(&spec);

		n = pb_port_spec_format(&spec, fmt, sizeof(fmt));
		CHECK(n > 0 && (size_t)n < sizeof(fmt));
		CHECK(pb_port_spec_parse(fmt, &again, err, sizeof(err)) == 0);
		CHECK(memcmp(&spec, &again, sizeof(spec)) == 0);
	} else {
		CHECK(err[0] != '\0');
	}

	/* The same verdict with a tiny buffer (truncated, terminated) and none. */
	memset(small, 'x', sizeof(small));
	rc2 = pb_port_spec_parse(s, &again, small, 5);
	CHECK(rc2 == rc);
	CHECK(memchr(small, '\0', 5) != NULL);
	CHECK(small[5] == 'x');
	CHECK(pb_port_spec_parse(s, &again, NULL, 0) == rc);

	free(s);
	return 0;
}
