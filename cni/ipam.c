/* SPDX-License-Identifier: MIT */
/*
 * ipam.c - the IPAM delegate, run as the spec says a plugin runs one: found
 * in CNI_PATH, the same environment with CNI_COMMAND set, the whole network
 * configuration on stdin, a result or an error object on stdout. Its error
 * is passed on as it came, with its code.
 *
 * Security model: the IPAM plugin is whatever binary of that name CNI_PATH
 * holds, and what it prints is data, not trusted to be well formed. Its
 * result is checked (cni_ipam_parse) before any of it is used: every
 * address and route the container's netns gets, and the result the runtime
 * reads, is of the shape the spec gives, or ADD fails with code 103 and
 * undoes what it did. fuzz/fuzz_cni_ipam.c feeds it arbitrary bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cni.h"

#define IPAM_TIMEOUT_MS 30000

static int find_plugin(const char *path, const char *type, char *out, size_t len)
{
	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		if (n > 0 && (size_t)snprintf(out, len, "%.*s/%s", (int)n, path, type) < len &&
		    access(out, X_OK) == 0)
			return 0;
		path = end ? end + 1 : NULL;
	}
	return -1;
}

/* Write @in to @wfd and read all of @rfd into a malloc'd string, within the
 * time limit; both fds are closed. */
static char *exchange(int wfd, int rfd, const char *in, size_t *outlen)
{
	size_t off = 0, len = 0, cap = 4096, inlen = strlen(in);
	char *out = malloc(cap);
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fcntl(wfd, F_SETFL, O_NONBLOCK);
	while (out && rfd >= 0) {
		struct pollfd p[2] = {{rfd, POLLIN, 0}, {wfd, POLLOUT, 0}};
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = IPAM_TIMEOUT_MS - ((now.tv_sec - t0.tv_sec) * 1000 +
					       (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(p, wfd >= 0 ? 2 : 1, (int)left) <= 0)
			break;
		if (wfd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(wfd, in + off, inlen - off);
			if (n > 0)
				off += (size_t)n;
			if (n < 0 || off == inlen) {
				close(wfd);
				wfd = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (len + 1 >= cap) {
				if (cap >= CNI_MAX_STDIN)
					break;
				char *b = realloc(out, cap * 2);
				if (!b)
					break;
				out = b;
				cap *= 2;
			}
			ssize_t n = read(rfd, out + len, cap - len - 1);
			if (n <= 0) {
				close(rfd);
				rfd = -1;
				break;
			}
			len += (size_t)n;
		}
	}
	if (wfd >= 0)
		close(wfd);
	if (rfd >= 0) {
		close(rfd);
		free(out);
		return NULL; /* timed out or too much */
	}
	if (out)
		out[len] = 0;
	*outlen = len;
	return out;
}

static int run_ipam(const struct cni_env *env, const char *exe, const char *type, json_t *raw,
		    const char *command, const char *container_id, const char *ifname,
		    json_t **result, struct cni_err *e)
{
	int in[2], out[2];
	char *conf = json_dumps(raw, JSON_COMPACT);
	if (!conf || pipe2(in, O_CLOEXEC) < 0) {
		free(conf);
		return cni_fail(e, CNI_E_IO, "IPAM: %s", strerror(errno));
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		free(conf);
		return cni_fail(e, CNI_E_IO, "IPAM: %s", strerror(errno));
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		setenv("CNI_COMMAND", command, 1);
		setenv("CNI_CONTAINERID", container_id ? container_id : "", 1);
		setenv("CNI_IFNAME", ifname ? ifname : "", 1);
		if (env->netns)
			setenv("CNI_NETNS", env->netns, 1);
		else
			unsetenv("CNI_NETNS");
		execl(exe, type, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		free(conf);
		return cni_fail(e, CNI_E_IO, "IPAM: fork: %s", strerror(errno));
	}
	size_t len = 0;
	char *text = exchange(in[1], out[0], conf, &len);
	free(conf);
	int st = 0;
	if (!text)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	if (!text)
		return cni_fail(e, CNI_E_IPAM, "IPAM plugin %s: no answer within %d s", type,
				IPAM_TIMEOUT_MS / 1000);
	int r = cni_ipam_parse(type, command, text, len, WIFEXITED(st) && WEXITSTATUS(st) == 0,
			       result, e);
	free(text);
	return r;
}

/* "ADDR/LEN" of one family: *family set to AF_INET or AF_INET6. Strict
 * (what inet_pton takes, a decimal length in range), so that what passes
 * here is what netlink is given. */
static bool parse_cidr(const char *s, int *family)
{
	char ip[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *slash = s ? strchr(s, '/') : NULL;
	size_t n = slash ? (size_t)(slash - s) : 0, digits = slash ? strlen(slash + 1) : 0;

	/* No leading 0: libnl reads "/024" as octal, 20. */
	if (!slash || n == 0 || n >= sizeof(ip) || digits == 0 || digits > 3 ||
	    strspn(slash + 1, "0123456789") != digits || (digits > 1 && slash[1] == '0'))
		return false;
	memcpy(ip, s, n);
	ip[n] = 0;
	*family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	return inet_pton(*family, ip, bin) == 1 &&
	       atoi(slash + 1) <= (*family == AF_INET6 ? 128 : 32);
}

/* A plain address of @family (a gateway). */
static bool parse_addr(const char *s, int family)
{
	unsigned char bin[sizeof(struct in6_addr)];

	return s && inet_pton(family, s, bin) == 1;
}

/* The parts of an ADD result that are used (SPEC.md, "Success"): ips[] of
 * {address: CIDR, gateway?: address of its family, version?: "4"|"6"
 * before 1.0.0}, routes[] of {dst: CIDR, gw?: address of its family},
 * dns an object. Anything else is the plugin's and passed over. */
static int check_result(const char *type, json_t *r, struct cni_err *e)
{
	json_t *ips = json_object_get(r, "ips"), *routes = json_object_get(r, "routes"), *x;
	size_t i;
	int fam;

	if (ips && !json_is_array(ips))
		return cni_fail(e, CNI_E_IPAM, "IPAM plugin %s: ips is not a list", type);
	json_array_foreach(ips, i, x)
	{
		const char *addr = json_string_value(json_object_get(x, "address"));
		json_t *gw = json_object_get(x, "gateway"), *ver = json_object_get(x, "version");
		if (!json_is_object(x) || !parse_cidr(addr, &fam))
			return cni_fail(e, CNI_E_IPAM,
					"IPAM plugin %s: ips[%zu].address is not ADDR/LEN", type,
					i);
		if (gw && !parse_addr(json_string_value(gw), fam))
			return cni_fail(e, CNI_E_IPAM,
					"IPAM plugin %s: ips[%zu].gateway is not an address of "
					"%s's family",
					type, i, addr);
		if (ver && (!json_is_string(ver) ||
			    strcmp(json_string_value(ver), fam == AF_INET6 ? "6" : "4")))
			return cni_fail(e, CNI_E_IPAM,
					"IPAM plugin %s: ips[%zu].version does not match %s", type,
					i, addr);
	}
	if (routes && !json_is_array(routes))
		return cni_fail(e, CNI_E_IPAM, "IPAM plugin %s: routes is not a list", type);
	json_array_foreach(routes, i, x)
	{
		const char *dst = json_string_value(json_object_get(x, "dst"));
		json_t *gw = json_object_get(x, "gw");
		if (!json_is_object(x) || !parse_cidr(dst, &fam))
			return cni_fail(e, CNI_E_IPAM,
					"IPAM plugin %s: routes[%zu].dst is not ADDR/LEN", type, i);
		if (gw && !parse_addr(json_string_value(gw), fam))
			return cni_fail(e, CNI_E_IPAM,
					"IPAM plugin %s: routes[%zu].gw is not an address of "
					"%s's family",
					type, i, dst);
	}
	if ((x = json_object_get(r, "dns")) && !json_is_object(x))
		return cni_fail(e, CNI_E_IPAM, "IPAM plugin %s: dns is not an object", type);
	/* A plugin that found no address (allowed) still gives the runtime a
	 * list: the result's ips is taken as it is. */
	if (!ips)
		json_object_set_new(r, "ips", json_array());
	return 0;
}

int cni_ipam_parse(const char *type, const char *command, const char *text, size_t len,
		   bool exited_ok, json_t **result, struct cni_err *e)
{
	json_error_t je;
	json_t *r = len ? json_loadb(text, len, JSON_REJECT_DUPLICATES, &je) : NULL;

	if (result)
		*result = NULL;
	if (!exited_ok) {
		const char *msg = json_string_value(json_object_get(r, "msg"));
		const char *det = json_string_value(json_object_get(r, "details"));
		json_t *code = json_object_get(r, "code");
		/* Its code is passed on when it is one: a positive int (0 would
		 * read as no error, and a cast of a larger one as anything). */
		int c = json_is_integer(code) && json_integer_value(code) > 0 &&
				json_integer_value(code) <= INT_MAX
			    ? (int)json_integer_value(code)
			    : CNI_E_IPAM;
		cni_fail(e, c, "IPAM plugin %s (%s): %s", type, command, msg ? msg : "failed");
		if (det)
			snprintf(e->details, sizeof(e->details), "%s", det);
		json_decref(r);
		return -1;
	}
	if (!result) {
		json_decref(r);
		return 0;
	}
	if (!json_is_object(r)) {
		json_decref(r);
		return cni_fail(e, CNI_E_IPAM, "IPAM plugin %s gave no result object", type);
	}
	if (check_result(type, r, e) < 0) {
		json_decref(r);
		return -1;
	}
	*result = r;
	return 0;
}

int cni_ipam(const struct cni_env *env, const struct cni_conf *c, const char *command,
	     const char *container_id, const char *ifname, json_t **result, struct cni_err *e)
{
	const char *type = json_string_value(json_object_get(c->ipam, "type"));
	char exe[PATH_MAX];

	if (result)
		*result = NULL;
	if (find_plugin(env->path, type, exe, sizeof(exe)) < 0)
		return cni_fail(e, CNI_E_IPAM, "IPAM plugin '%s' not found in CNI_PATH (%s)", type,
				env->path ? env->path : "unset");
	if (run_ipam(env, exe, type, c->raw, command, container_id, ifname, result, e) == 0)
		return 0;
	if (e->code != CNI_E_VERSION || cni_version_cmp(c->version, "1.0.0") <= 0)
		return -1;
	/* An IPAM plugin of spec 1.0.0 (Debian 12's host-local) refuses a
	 * 1.1.0 configuration; what it does and answers is the same in both,
	 * so ask it in 1.0.0. */
	json_t *older = json_deep_copy(c->raw);
	json_object_set_new(older, "cniVersion", json_string("1.0.0"));
	memset(e, 0, sizeof(*e));
	int r = run_ipam(env, exe, type, older, command, container_id, ifname, result, e);
	json_decref(older);
	return r;
}
