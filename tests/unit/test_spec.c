/* SPDX-License-Identifier: MIT */
/*
 * test_spec.c - the port spec parser: defaults per type, every key, every
 * error path (with the words of its message), aliases, and format().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "port/spec.h"

/* Parse @s expecting success; returns the spec. */
static struct pb_port_spec ok(const char *s)
{
	struct pb_port_spec spec;
	char err[256] = "canary";
	int rc = pb_port_spec_parse(s, &spec, err, sizeof(err));

	if (rc != 0)
		print_error("unexpected error for \"%s\": %s\n", s, err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, ""); /* cleared on success */
	return spec;
}

/* Parse @s expecting @want_rc and a message containing every one of the
 * NULL-terminated fragments. */
static void bad_rc(const char *s, int want_rc, ...)
{
	struct pb_port_spec spec;
	char err[512];
	const char *frag;
	va_list ap;
	int rc = pb_port_spec_parse(s, &spec, err, sizeof(err));

	if (rc != want_rc)
		print_error("\"%s\": rc %d, want %d (%s)\n", s, rc, want_rc, rc ? err : "");
	assert_int_equal(rc, want_rc);
	va_start(ap, want_rc);
	while ((frag = va_arg(ap, const char *)) != NULL) {
		if (!strstr(err, frag))
			print_error("\"%s\": message \"%s\" lacks \"%s\"\n", s, err, frag);
		assert_non_null(strstr(err, frag));
	}
	va_end(ap);
}

#define bad(s, ...) bad_rc((s), -EINVAL, __VA_ARGS__, (const char *)NULL)

static void test_defaults_vhost(void **state)
{
	struct pb_port_spec s = ok("vhost:/run/patchbay/a.sock");

	(void)state;
	assert_int_equal(s.role, PB_ROLE_DEVICE);
	assert_string_equal(s.path, "/run/patchbay/a.sock");
	assert_true(s.server);
	assert_int_equal(s.queue_size, 256);
	assert_int_equal(s.mtu, 1500);
	assert_false(s.mac_set);
	assert_true(s.mrg_rxbuf);
	assert_true(s.event_idx);
	assert_true(s.indirect);
	assert_false(s.hugetlb);
	assert_false(s.packed);
	assert_int_equal(s.reconnect_ms, 1000);
}

static void test_defaults_virtio(void **state)
{
	struct pb_port_spec s = ok("virtio:x.sock");

	(void)state;
	assert_int_equal(s.role, PB_ROLE_DRIVER);
	assert_string_equal(s.path, "x.sock");
	assert_false(s.server);
	assert_int_equal(s.queue_size, 256);
	assert_int_equal(s.mtu, 1500);
	assert_false(s.mac_set);
	assert_true(s.mrg_rxbuf);
	assert_true(s.event_idx);
	assert_false(s.hugetlb);
	assert_false(s.packed);
	assert_int_equal(s.reconnect_ms, 1000);
}

static void test_aliases(void **state)
{
	struct pb_port_spec s;

	(void)state;
	s = ok("vhost-user:/a");
	assert_int_equal(s.role, PB_ROLE_DEVICE);
	assert_true(s.server);
	s = ok("virtio-user:/a");
	assert_int_equal(s.role, PB_ROLE_DRIVER);
	assert_false(s.server);
	/* Type names are exact: no case folding, no prefixes. */
	bad("VHOST:/a", "unknown port type 'VHOST'", "expected vhost, virtio");
	bad("vhost-:/a", "unknown port type 'vhost-'");
}

static void test_path(void **state)
{
	char s[256];
	struct pb_port_spec spec;

	(void)state;
	/* Everything up to the first ',' is the path, ':' included. */
	spec = ok("vhost:/tmp/a:b.sock,mtu=9000");
	assert_string_equal(spec.path, "/tmp/a:b.sock");
	assert_int_equal(spec.mtu, 9000);

	/* 107 bytes fit sun_path with its NUL; 108 do not. */
	memcpy(s, "vhost:", 6);
	memset(s + 6, 'p', 107);
	s[6 + 107] = '\0';
	spec = ok(s);
	assert_int_equal(strlen(spec.path), 107);
	memset(s + 6, 'p', 108);
	s[6 + 108] = '\0';
	bad_rc(s, -ENAMETOOLONG, "108 bytes", "at most 107", (const char *)NULL);
	strcpy(s + 6 + 108, ",mtu=9000");
	bad_rc(s, -ENAMETOOLONG, "socket path", (const char *)NULL);

	bad("vhost:", "missing socket path");
	bad("virtio:,server=1", "missing socket path", "virtio:PATH");
}

static void test_server_client(void **state)
{
	(void)state;
	assert_false(ok("vhost:/a,server=0").server);
	assert_true(ok("vhost:/a,server=1").server);
	assert_false(ok("vhost:/a,client=1").server);
	assert_true(ok("vhost:/a,client=0").server);
	assert_true(ok("virtio:/a,server=1").server);
	assert_false(ok("virtio:/a,client=yes").server);
	assert_true(ok("virtio:/a,client=no").server);
}

static void test_booleans(void **state)
{
	static const char *const yes[] = {"1", "yes", "true", "on", "YES", "True", "ON"};
	static const char *const no[] = {"0", "no", "false", "off", "NO", "False", "Off"};
	char s[64];

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(s, sizeof(s), "virtio:/a,hugetlb=%s,mrg-rxbuf=%s", yes[i], no[i]);
		struct pb_port_spec spec = ok(s);
		assert_true(spec.hugetlb);
		assert_false(spec.mrg_rxbuf);
	}
	assert_false(ok("vhost:/a,event-idx=off").event_idx);
	assert_true(ok("vhost:/a,event-idx=on").event_idx);
	assert_false(ok("vhost:/a,indirect=false").indirect);
	assert_true(ok("vhost:/a,indirect=true").indirect);
	assert_false(ok("virtio:/a,event-idx=0,mrg-rxbuf=0").event_idx);

	bad("vhost:/a,server=maybe", "server=maybe", "not a boolean", "yes/no");
	bad("vhost:/a,indirect=2", "indirect=2", "not a boolean");
	bad("vhost:/a,mrg-rxbuf=yess", "mrg-rxbuf=yess", "not a boolean");
	bad("vhost:/a,event-idx= 1", "event-idx= 1", "not a boolean");
	bad("virtio:/a,hugetlb=o", "hugetlb=o", "not a boolean");
	bad("virtio:/a,client=10", "client=10", "not a boolean");
}

static void test_queue_size(void **state)
{
	static const char *const badv[] = {"100",   "8",    "0",   "65536",
					   "32769", "0x10", "-16", "+16",
					   " 256",  "256 ", "1e3", "99999999999999999999"};
	char s[128], want[128];

	(void)state;
	assert_int_equal(ok("virtio:/a,queue-size=16").queue_size, 16);
	assert_int_equal(ok("virtio:/a,queue-size=1024").queue_size, 1024);
	assert_int_equal(ok("virtio:/a,queue-size=32768").queue_size, 32768);
	assert_int_equal(ok("virtio:/a,queue-size=0512").queue_size, 512);
	bad("virtio:/a,queue-size=100", "queue-size=100: not a power of two between 16 and 32768");
	for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
		snprintf(s, sizeof(s), "virtio:/a,queue-size=%s", badv[i]);
		snprintf(want, sizeof(want), "queue-size=%s: not a power of two", badv[i]);
		bad(s, want);
	}
	bad("vhost:/a,queue-size=256", "queue-size", "only for virtio ports",
	    "this is a vhost port");
}

static void test_mtu(void **state)
{
	(void)state;
	assert_int_equal(ok("vhost:/a,mtu=68").mtu, 68);
	assert_int_equal(ok("virtio:/a,mtu=9000").mtu, 9000);
	bad("vhost:/a,mtu=67", "mtu=67: not a number between 68 and 9000");
	bad("vhost:/a,mtu=9001", "mtu=9001", "between 68 and 9000");
	bad("vhost:/a,mtu=4294967297", "mtu=4294967297", "between 68 and 9000");
	bad("vhost:/a,mtu=abc", "mtu=abc", "not a number");
	bad("vhost:/a,mtu=", "mtu=: missing value");
}

static void test_copy(void **state)
{
	(void)state;
	assert_int_equal(ok("vhost:/a").copy, PB_COPY_AUTO);
	assert_int_equal(ok("virtio:/a").copy, PB_COPY_AUTO);
	assert_int_equal(ok("vhost:/a,copy=auto").copy, PB_COPY_AUTO);
	assert_int_equal(ok("vhost:/a,copy=cache").copy, PB_COPY_CACHE);
	assert_int_equal(ok("virtio:/a,copy=stream").copy, PB_COPY_STREAM);
	bad("vhost:/a,copy=fast", "copy=fast", "expected auto, cache or stream");
	bad("vhost:/a,copy=Stream", "copy=Stream", "expected auto, cache or stream");
	bad("vhost:/a,copy=streamx", "expected auto, cache or stream");
	bad("vhost:/a,copy=", "copy=: missing value");
	bad("virtio:/a,copy=cache,copy=stream", "duplicate key 'copy'");
}

static void test_mac(void **state)
{
	static const uint8_t want[6] = {0x02, 0xab, 0xcd, 0xef, 0x00, 0x1f};
	struct pb_port_spec s;

	(void)state;
	s = ok("vhost:/a,mac=02:ab:cd:EF:00:1f");
	assert_true(s.mac_set);
	assert_memory_equal(s.mac, want, 6);
	assert_true(ok("virtio:/a,mac=52:54:00:12:34:56").mac_set);

	bad("vhost:/a,mac=02:ab:cd:ef:00", "mac=02:ab:cd:ef:00", "not six hex pairs");
	bad("vhost:/a,mac=02:ab:cd:ef:00:1f:00", "not six hex pairs");
	bad("vhost:/a,mac=02-ab-cd-ef-00-1f", "mac=02-ab-cd-ef-00-1f", "separated by ':'");
	bad("vhost:/a,mac=02:ab:cd:ef:00:1g", "not six hex pairs");
	bad("vhost:/a,mac=2:ab:cd:ef:00:1f0", "not six hex pairs");
	bad("vhost:/a,mac=01:00:5e:00:00:01", "mac=01:00:5e:00:00:01", "multicast");
	bad("vhost:/a,mac=ff:ff:ff:ff:ff:ff", "multicast");
	bad("vhost:/a,mac=00:00:00:00:00:00", "all-zero");
}

static void test_reconnect(void **state)
{
	(void)state;
	assert_int_equal(ok("virtio:/a,reconnect-ms=1").reconnect_ms, 1);
	assert_int_equal(ok("vhost:/a,client=1,reconnect-ms=3600000").reconnect_ms, 3600000);
	bad("virtio:/a,reconnect-ms=0", "reconnect-ms=0", "between 1 and 3600000");
	bad("virtio:/a,reconnect-ms=3600001", "reconnect-ms=3600001", "between 1 and 3600000");
	bad("virtio:/a,reconnect-ms=-1", "reconnect-ms=-1", "not a number");
}

static void test_role_only_keys(void **state)
{
	(void)state;
	assert_true(ok("virtio:/a,hugetlb=1").hugetlb);
	bad("vhost:/a,hugetlb=1", "hugetlb: only for virtio ports (this is a vhost port)");
	bad("virtio:/a,indirect=0", "indirect: only for vhost ports (this is a virtio port)");
	bad("virtio-user:/a,indirect=1", "indirect: only for vhost ports");
	assert_true(ok("virtio:/a,packed=1").packed);
	assert_false(ok("virtio:/a,packed=off").packed);
	bad("vhost:/a,packed=1", "packed: only for virtio ports (this is a vhost port)");
	bad("virtio:/a,packed=2", "packed=2", "not a boolean");
	bad("virtio:/a,packed=1,packed=0", "duplicate key 'packed'");
	assert_true(ok("virtio:/a,lazy=1").lazy);
	assert_false(ok("virtio:/a").lazy);
	bad("vhost:/a,lazy=1", "lazy: only for virtio ports (this is a vhost port)");
}

static void test_all_keys(void **state)
{
	struct pb_port_spec s;

	(void)state;
	s = ok("virtio:/s,server=1,queue-size=512,mtu=2000,mac=02:00:00:00:00:01,mrg-rxbuf=0,"
	       "event-idx=0,hugetlb=1,packed=1,reconnect-ms=50");
	assert_int_equal(s.role, PB_ROLE_DRIVER);
	assert_true(s.server);
	assert_int_equal(s.queue_size, 512);
	assert_int_equal(s.mtu, 2000);
	assert_true(s.mac_set);
	assert_int_equal(s.mac[5], 1);
	assert_false(s.mrg_rxbuf);
	assert_false(s.event_idx);
	assert_true(s.hugetlb);
	assert_true(s.packed);
	assert_int_equal(s.reconnect_ms, 50);

	s = ok("vhost:/s,client=1,mtu=9000,indirect=0,event-idx=no");
	assert_false(s.server);
	assert_int_equal(s.mtu, 9000);
	assert_false(s.indirect);
	assert_false(s.event_idx);
}

static void test_syntax_errors(void **state)
{
	struct pb_port_spec spec;
	char err[64];

	(void)state;
	assert_int_equal(pb_port_spec_parse(NULL, &spec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty port spec"));
	bad("", "empty port spec", "vhost:PATH");
	bad("/run/a.sock", "'/run/a.sock': missing port type", "vhost:PATH or virtio:PATH");
	bad("tap:/x", "unknown port type 'tap' (expected vhost, virtio)");
	bad(":/x", "unknown port type ''");
	bad("vhost:/a,", "empty option");
	bad("vhost:/a,,mtu=9000", "empty option");
	bad("vhost:/a,mtu=9000,", "empty option");
	bad("vhost:/a,server", "option 'server': expected key=value");
	bad("vhost:/a,=1", "unknown key ''");
	bad("vhost:/a,foo=1",
	    "unknown key 'foo' (expected one of: server, client, queue-size, mtu, "
	    "mac, mrg-rxbuf, event-idx, indirect, hugetlb, packed, reconnect-ms, copy, lazy)");
	bad("vhost:/a,MTU=1500", "unknown key 'MTU'");
	bad("vhost:/a,mtu =1500", "unknown key 'mtu '");
	bad("vhost:/a, mtu=1500", "unknown key ' mtu'");
	bad("vhost:/a,server=", "server=: missing value");
}

static void test_duplicates(void **state)
{
	(void)state;
	bad("vhost:/a,mtu=1500,mtu=9000", "duplicate key 'mtu'");
	bad("vhost:/a,mtu=1500,server=1,mtu=1500", "duplicate key 'mtu'");
	bad("virtio:/a,hugetlb=1,hugetlb=1", "duplicate key 'hugetlb'");
	bad("vhost:/a,server=1,client=0", "'client' conflicts with 'server'");
	bad("vhost:/a,client=1,server=0", "'server' conflicts with 'client'");
}

/* Messages quote the input safely: control bytes as '?', long text cut. */
static void test_quoting(void **state)
{
	char s[512], err[512];
	struct pb_port_spec spec;

	(void)state;
	bad("vhost:/a,\x01\x1b[31m=1", "unknown key '??[31m'");
	bad("tap\n:/x", "unknown port type 'tap?'");
	snprintf(s, sizeof(s), "vhost:/a,%0300d=1", 0);
	assert_int_equal(pb_port_spec_parse(s, &spec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key '0000"));
	assert_non_null(strstr(err, "...'"));
	assert_true(strlen(err) < 250);
}

/* The message buffer is optional and never overrun. */
static void test_err_buffer(void **state)
{
	struct pb_port_spec spec;
	char err[16];

	(void)state;
	assert_int_equal(pb_port_spec_parse("tap:/x", &spec, NULL, 0), -EINVAL);
	assert_int_equal(pb_port_spec_parse("tap:/x", &spec, NULL, 100), -EINVAL);
	err[0] = 'x';
	assert_int_equal(pb_port_spec_parse("tap:/x", &spec, err, 0), -EINVAL);
	assert_int_equal(err[0], 'x');
	memset(err, 'x', sizeof(err));
	assert_int_equal(pb_port_spec_parse("tap:/x", &spec, err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], 'x');
	assert_int_equal(pb_port_spec_parse("vhost:/x", &spec, NULL, 0), 0);
}

/* On error @out is still fully initialised: defaults of the type, if known. */
static void test_defaults_on_error(void **state)
{
	struct pb_port_spec spec;

	(void)state;
	memset(&spec, 0xa5, sizeof(spec));
	assert_int_equal(pb_port_spec_parse("tap:/x", &spec, NULL, 0), -EINVAL);
	assert_int_equal(spec.role, PB_ROLE_DEVICE);
	assert_int_equal(spec.mtu, 1500);
	assert_int_equal(spec.path[0], '\0');
	assert_false(spec.mac_set);

	memset(&spec, 0xa5, sizeof(spec));
	assert_int_equal(pb_port_spec_parse("virtio:/x,bogus=1", &spec, NULL, 0), -EINVAL);
	assert_int_equal(spec.role, PB_ROLE_DRIVER);
	assert_false(spec.server);
	assert_int_equal(spec.queue_size, 256);
	assert_int_equal(spec.reconnect_ms, 1000);
}

static void roundtrip(const char *in, const char *want)
{
	struct pb_port_spec a = ok(in), b;
	char buf[512];
	int n = pb_port_spec_format(&a, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, want);
	b = ok(buf);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_format(void **state)
{
	char small[8];
	struct pb_port_spec s = ok("vhost:/run/a.sock");

	(void)state;
	roundtrip("vhost-user:/run/a.sock", "vhost:/run/a.sock");
	roundtrip("virtio:/a,server=yes,queue-size=256,mtu=9000", "virtio:/a,server=1,mtu=9000");
	roundtrip("vhost:/a,client=1,mac=02:AB:cd:00:00:01,indirect=off,reconnect-ms=5",
		  "vhost:/a,server=0,mac=02:ab:cd:00:00:01,indirect=0,reconnect-ms=5");
	roundtrip("virtio-user:/a,hugetlb=1,queue-size=16,mrg-rxbuf=0,event-idx=0",
		  "virtio:/a,queue-size=16,mrg-rxbuf=0,event-idx=0,hugetlb=1");
	roundtrip("virtio:/a,packed=yes,hugetlb=1", "virtio:/a,hugetlb=1,packed=1");
	roundtrip("virtio:/a,packed=0", "virtio:/a");
	roundtrip("virtio:/a,copy=stream,packed=1", "virtio:/a,packed=1,copy=stream");
	roundtrip("virtio:/a,lazy=1,copy=cache", "virtio:/a,copy=cache,lazy=1");
	roundtrip("vhost:/a,copy=cache", "vhost:/a,copy=cache");
	roundtrip("vhost:/a,copy=auto", "vhost:/a");

	/* snprintf semantics: the full length, a truncated NUL-terminated text. */
	assert_int_equal(pb_port_spec_format(&s, small, sizeof(small)), 17);
	assert_string_equal(small, "vhost:/");
	assert_int_equal(pb_port_spec_format(&s, NULL, 0), 17);
}

static void test_key_table(void **state)
{
	const char *help = NULL, *name;
	unsigned i;

	(void)state;
	for (i = 0; (name = pb_port_spec_key(i, &help)) != NULL; i++) {
		assert_non_null(help);
		assert_true(strlen(help) > 10);
	}
	assert_int_equal(i, 13);
	assert_string_equal(pb_port_spec_key(0, NULL), "server");
	assert_string_equal(pb_port_spec_key(9, NULL), "packed");
	assert_string_equal(pb_port_spec_key(10, NULL), "reconnect-ms");
	assert_string_equal(pb_port_spec_key(11, NULL), "copy");
	assert_string_equal(pb_port_spec_key(12, NULL), "lazy");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_vhost), cmocka_unit_test(test_defaults_virtio),
	    cmocka_unit_test(test_aliases),	   cmocka_unit_test(test_path),
	    cmocka_unit_test(test_server_client),  cmocka_unit_test(test_booleans),
	    cmocka_unit_test(test_queue_size),	   cmocka_unit_test(test_mtu),
	    cmocka_unit_test(test_copy),	   cmocka_unit_test(test_mac),
	    cmocka_unit_test(test_reconnect),	   cmocka_unit_test(test_role_only_keys),
	    cmocka_unit_test(test_all_keys),	   cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_duplicates),	   cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_err_buffer),	   cmocka_unit_test(test_defaults_on_error),
	    cmocka_unit_test(test_format),	   cmocka_unit_test(test_key_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
