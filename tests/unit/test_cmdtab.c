/* SPDX-License-Identifier: MIT */
/*
 * test_cmdtab.c - the command table shared by the CLI, its shell and
 * patchbayd --config: splitting a line into words (quotes, comments,
 * errors) and building control-protocol requests from words, with the
 * usage error each malformed command gets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/cmdtab.h"

static int split(const char *line, char ***w)
{
	char err[128] = "";
	int n = pbctl_split(line, w, err, sizeof(err));
	if (n < 0)
		assert_true(err[0] != 0);
	return n;
}

static void test_split(void **state)
{
	char **w;

	(void)state;
	assert_int_equal(split("  add vhost:1  mtu=9000\t", &w), 3);
	assert_string_equal(w[0], "add");
	assert_string_equal(w[1], "vhost:1");
	assert_string_equal(w[2], "mtu=9000");
	assert_null(w[3]);
	pbctl_free_words(w);

	assert_int_equal(split("add vhost:1 path=\"/tmp/a b.sock\" x='q\"q'", &w), 4);
	assert_string_equal(w[2], "path=/tmp/a b.sock");
	assert_string_equal(w[3], "x=q\"q");
	pbctl_free_words(w);

	assert_int_equal(split("status # a comment", &w), 1);
	pbctl_free_words(w);
	assert_int_equal(split("   # only a comment", &w), 0);
	pbctl_free_words(w);
	assert_int_equal(split("", &w), 0);
	pbctl_free_words(w);
	/* Many words: the array grows. */
	assert_int_equal(split("a b c d e f g h i j k l m n o p q r", &w), 18);
	assert_string_equal(w[17], "r");
	assert_null(w[18]);
	pbctl_free_words(w);

	char err[64];
	assert_int_equal(pbctl_split("add 'unterminated", &w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unterminated ' quote"));
}

/* Build the request for @line; NULL and @err on a usage error. */
static json_t *req(const char *line, char *err, size_t errlen)
{
	char **w;
	int n = pbctl_split(line, &w, err, errlen);
	assert_true(n > 0);
	json_t *r = pbctl_request(n, w, 7, err, errlen);
	pbctl_free_words(w);
	return r;
}

static const char *arg(json_t *r, const char *key)
{
	return json_string_value(json_object_get(json_object_get(r, "args"), key));
}

static void test_requests(void **state)
{
	char err[256];
	json_t *r;

	(void)state;
	r = req("add tap:a netns=red addr=10.0.0.1/24", err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "v")), PBCTL_PROTOCOL);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	assert_string_equal(json_string_value(json_object_get(r, "cmd")), "add");
	assert_string_equal(arg(r, "port"), "tap:a");
	json_t *opts = json_object_get(json_object_get(r, "args"), "opts");
	assert_string_equal(json_string_value(json_object_get(opts, "netns")), "red");
	assert_string_equal(json_string_value(json_object_get(opts, "addr")), "10.0.0.1/24");
	json_decref(r);

	r = req("patch vhost:1 vhost:2 --both", err, sizeof(err));
	assert_string_equal(arg(r, "from"), "vhost:1");
	assert_string_equal(arg(r, "to"), "vhost:2");
	assert_true(json_is_true(json_object_get(json_object_get(r, "args"), "both")));
	json_decref(r);

	r = req("unpatch vhost:1", err, sizeof(err));
	assert_string_equal(arg(r, "from"), "vhost:1");
	assert_null(arg(r, "to"));
	json_decref(r);

	r = req("del vhost:1 -f", err, sizeof(err));
	assert_true(json_is_true(json_object_get(json_object_get(r, "args"), "force")));
	json_decref(r);

	r = req("stats vhost:1 -w", err, sizeof(err)); /* -w is the CLI's, not sent */
	assert_string_equal(arg(r, "port"), "vhost:1");
	assert_null(json_object_get(json_object_get(r, "args"), "watch"));
	json_decref(r);

	r = req("topo --svg out.svg", err, sizeof(err));
	assert_non_null(r);
	json_decref(r);
}

/* Every malformed command: NULL, and a message with the command's usage. */
static void test_usage_errors(void **state)
{
	static const struct {
		const char *line, *want;
	} bad[] = {
	    {"frobnicate", "unknown command 'frobnicate'"},
	    {"add", "missing the port; usage: add TYPE:ID [KEY=VALUE...]"},
	    {"add vhost:1 mtu", "option 'mtu': expected KEY=VALUE"},
	    {"add vhost:1 =3", "expected KEY=VALUE"},
	    {"add vhost:1 mtu=1 mtu=2", "option 'mtu' given twice"},
	    {"del", "missing the port"},
	    {"del a b", "one port at a time"},
	    {"del a --yes", "unknown flag"},
	    {"patch a", "missing a port; usage: patch FROM TO [--both]"},
	    {"patch a b c", "too many ports"},
	    {"unpatch", "missing a port"},
	    {"reset now", "unexpected argument"},
	    {"show", "give one port"},
	    {"stats a b", "one port at a time"},
	    {"topo --svg", "missing the file name"},
	    {"topo --wide", "unknown argument"},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		json_t *r = req(bad[i].line, err, sizeof(err));
		if (r || !strstr(err, bad[i].want))
			fail_msg("'%s': got %s '%s', expected '%s'", bad[i].line,
				 r ? "a request and" : "", err, bad[i].want);
	}
}

/* The table itself: what help and completion read. */
static void test_table(void **state)
{
	unsigned n = 0;

	(void)state;
	for (const struct pbctl_cmd *c = pbctl_cmds; c->name; c++, n++) {
		assert_non_null(c->usage);
		assert_true(strlen(c->help) > 5);
		assert_ptr_equal(pbctl_cmd_find(c->name), c);
		/* Indexed by id: the daemon's handlers and the CLI's renderers
		 * are arrays in the same order. */
		assert_int_equal(c->id, n);
		assert_ptr_equal(&pbctl_cmds[c->id], c);
	}
	assert_int_equal(n, PBCTL_CMD_COUNT);
	assert_int_equal(n, 18);
	/* Every request says which protocol it speaks. */
	json_t *req = pbctl_request_args(PBCTL_CMD_VERSION, NULL);
	assert_int_equal(json_integer_value(json_object_get(req, "v")), PBCTL_PROTOCOL);
	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "version");
	json_decref(req);
	assert_null(pbctl_cmd_find("help")); /* the shell's own, not the daemon's */
	assert_true(pbctl_cmd_find("status")->read);
	assert_false(pbctl_cmd_find("add")->read);
	assert_int_equal(pbctl_cmd_find("del")->complete, PBCTL_COMPLETE_PORTS);
	assert_int_equal(pbctl_cmd_find("add")->complete, PBCTL_COMPLETE_TYPES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_usage_errors),
	    cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
