/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cni_ipam.c - libFuzzer harness for what patchbay-cni reads from its
 * IPAM delegate (cni_ipam_parse): a plugin's stdout and whether it exited 0.
 * The input's first byte chooses the case (bit 0: exited 0, bit 1: ADD,
 * which wants a result), the rest is the plugin's stdout. Checked, for
 * every input:
 *  - no memory error, UB or leak;
 *  - a failure has a positive code and a message, and gives no result;
 *  - an ADD that succeeds gives an object whose ips is a list, each entry
 *    with an address and gateway, and each route with a dst and gw, that
 *    libnl parses as cni_netns_setup will (netlink is given exactly
 *    these), in one family per entry; dns, if any, is an object.
 */
#include <netlink/addr.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../cni/cni.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* @s parses in libnl as @family (AF_UNSPEC: either), with the prefix
 * length it says after its '/' (a full one without); its family. */
static int nl_family(const char *s, int family)
{
	struct nl_addr *a = NULL;

	CHECK(s && nl_addr_parse(s, family, &a) == 0);
	int f = nl_addr_get_family(a);
	const char *slash = strchr(s, '/');
	unsigned want = slash ? (unsigned)atoi(slash + 1) : f == AF_INET6 ? 128 : 32;
	CHECK(nl_addr_get_prefixlen(a) == want);
	nl_addr_put(a);
	CHECK(f == AF_INET || f == AF_INET6);
	return f;
}

static void check_result(json_t *r)
{
	json_t *ips = json_object_get(r, "ips"), *x;
	size_t i;

	CHECK(json_is_object(r) && json_is_array(ips));
	json_array_foreach(ips, i, x)
	{
		const char *addr = json_string_value(json_object_get(x, "address"));
		CHECK(addr && strchr(addr, '/'));
		int f = nl_family(addr, AF_UNSPEC);
		const char *gw = json_string_value(json_object_get(x, "gateway"));
		CHECK(gw || !json_object_get(x, "gateway"));
		if (gw)
			CHECK(nl_family(gw, f) == f);
	}
	json_t *routes = json_object_get(r, "routes");
	CHECK(!routes || json_is_array(routes));
	json_array_foreach(routes, i, x)
	{
		const char *dst = json_string_value(json_object_get(x, "dst"));
		CHECK(dst && strchr(dst, '/'));
		int f = nl_family(dst, AF_UNSPEC);
		const char *gw = json_string_value(json_object_get(x, "gw"));
		CHECK(gw || !json_object_get(x, "gw"));
		if (gw)
			CHECK(nl_family(gw, f) == f);
	}
	CHECK(!json_object_get(r, "dns") || json_is_object(json_object_get(r, "dns")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err e = {0};
	json_t *result = (json_t *)&e; /* must be set to NULL or a result */

	if (size < 1)
		return 0;
	bool ok = data[0] & 1, add = data[0] & 2;
	int r = cni_ipam_parse("host-local", add ? "ADD" : "DEL", (const char *)data + 1, size - 1,
			       ok, add ? &result : NULL, &e);
	if (r < 0) {
		CHECK(e.code > 0 && e.msg[0]);
		if (add)
			CHECK(result == NULL);
		return 0;
	}
	CHECK(r == 0 && ok);
	if (add) {
		check_result(result);
		json_decref(result);
	}
	return 0;
}
