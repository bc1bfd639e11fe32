/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cni_conf.c - libFuzzer harness for patchbay-cni's input parsers: the
 * network configuration on stdin (cni_conf_parse), CNI_ARGS (cni_arg) and
 * the names built from them (cni_attachment). The input's first line is
 * CNI_ARGS, the second CNI_CONTAINERID, the third CNI_IFNAME, the rest the
 * configuration. Checked, for every input:
 *  - no memory error, UB or leak;
 *  - a failure has a code the plugin documents and a message;
 *  - a configuration that parses names a known version and a mode;
 *  - an attachment that is accepted names a port patchbayd would take
 *    (TYPE:ID, ID of [A-Za-z0-9_.-], at most 63 characters in all) and a
 *    socket inside socketDir that no '..' can lead out of.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cni/cni.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool code_known(int c)
{
	return (c >= 1 && c <= 7) || c == 11 || c == 50 || c == 51 || (c >= 100 && c <= 104);
}

/* The next line of @p (NUL-terminated in place), or "" at the end. */
static char *next_line(char **p)
{
	char *s = *p, *nl = strchr(s, '\n');

	if (nl) {
		*nl = 0;
		*p = nl + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *p = buf;
	struct cni_conf c;
	struct cni_err e = {0};
	char val[64];

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	const char *args = next_line(&p), *cid = next_line(&p), *ifname = next_line(&p);
	cni_arg(args, "K8S_POD_NAME", val, sizeof(val));
	if (cni_conf_parse(&c, p, strlen(p), &e) < 0) {
		CHECK(code_known(e.code) && e.msg[0]);
	} else {
		CHECK(cni_version_known(c.version));
		CHECK(c.mode == CNI_MODE_VHOST || c.mode == CNI_MODE_TAP);
		CHECK(c.run_dir[0] == '/' && c.socket_dir[0] == '/' && c.state_dir[0] == '/');
		struct cni_attachment a;
		if (cni_attachment(&c, cid, ifname, args, &a, &e) < 0) {
			CHECK(e.code == CNI_E_ENV && e.msg[0]);
		} else {
			const char *id = strchr(a.port, ':');
			CHECK(id && strlen(a.port) <= 63);
			for (id++; *id; id++)
				CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789_.-",
					     *id));
			if (c.mode == CNI_MODE_VHOST) {
				size_t n = strlen(c.socket_dir);
				CHECK(!strncmp(a.socket, c.socket_dir, n) && a.socket[n] == '/');
				CHECK(!strstr(a.socket + n, "/../") &&
				      !strstr(a.socket + n, "/./"));
			}
		}
	}
	cni_conf_free(&c);
	free(buf);
	return 0;
}
