/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http.c - libFuzzer harness for patchbayd's REST API: the input is
 * written as it is to the API's Unix socket (a live server on a live panel
 * of two null: ports and a patch, as in fuzz_ctl_request), and the server
 * runs until it has answered and closed. So libmicrohttpd's request parser,
 * the token check, the body cap, the routes, their query and body parsing
 * and the commands they run all see it. Checked, for every input:
 *  - no memory error, UB or leak;
 *  - whatever comes back starts as an HTTP/1.x status line;
 *  - the panel stays consistent: every patch joins two existing ports.
 *
 * Inputs that name a port type other than null: (or hide one behind a '%'
 * escape) are skipped: those make sockets, taps and files on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/commands.h"
#include "api/http.h"
#include "core/log.h"
#include "core/panel.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pbd_panel pn;
static struct pbd_http http;
static char sock[128];

static void run(const char *line)
{
	json_t *req = json_loads(line, 0, NULL);
	json_decref(pbd_execute(&pn, req));
	json_decref(req);
}

static void start(void)
{
	static bool started;
	char dir[] = "/tmp/pb-fuzz-http.XXXXXX", err[256];

	if (started)
		return;
	started = true;
	pbd_log_init(false, PB_LOG_ERR);
	CHECK(mkdtemp(dir) != NULL);
	CHECK(pbd_panel_start(&pn, dir, 1, NULL, 50) == 0);
	run("{\"cmd\":\"add\",\"args\":{\"port\":\"null:a\",\"opts\":{\"size\":\"64\",\"rate\":"
	    "\"1000\"}}}");
	run("{\"cmd\":\"add\",\"args\":{\"port\":\"null:b\"}}");
	run("{\"cmd\":\"patch\",\"args\":{\"from\":\"null:a\",\"to\":\"null:b\"}}");
	snprintf(sock, sizeof(sock), "unix:%s/api.sock", dir);
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(pbd_http_open(&http, &pn, sock, NULL, epfd, err, sizeof(err)) == 0);
}

static bool allowed(const uint8_t *d, size_t n)
{
	static const char *const bad[] = {"vhost", "virtio", "tap", "pcap", "%"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (memmem(d, n, bad[i], strlen(bad[i])))
			return false;
	return true;
}

/* Inputs that add ports would fill the panel: past 16, start again from
 * the first two (and their patch). */
static void trim(void)
{
	if (pn.nports < 16)
		return;
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		const struct pbd_port *p = pn.port[i];
		char req[160];
		if (!p || !strcmp(p->name, "null:a") || !strcmp(p->name, "null:b"))
			continue;
		snprintf(req, sizeof(req),
			 "{\"cmd\":\"del\",\"args\":{\"port\":\"%s\",\"force\":true}}", p->name);
		run(req);
	}
	run("{\"cmd\":\"patch\",\"args\":{\"from\":\"null:a\",\"to\":\"null:b\"}}");
}

static void check_panel(void)
{
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		const struct pbd_port *p = pn.port[i];
		for (unsigned j = 0; p && p->out && j < p->out->n; j++) {
			const struct pbd_port *q = p->out->port[j];
			CHECK(q && pn.port[q->slot] == q);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char reply[256];
	size_t got = 0;

	start();
	if (size > 256 * 1024 || !allowed(data, size))
		return 0;
	trim();
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock + 5);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	size_t off = 0;
	bool eof = false;
	/* Feed and serve until the server has answered and closed, within
	 * bounds: a request the input leaves open is dropped with the fd. */
	for (int round = 0; round < 400 && !eof; round++) {
		if (off < size) {
			ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			if (off == size || n < 0)
				shutdown(fd, SHUT_WR), off = size;
		}
		pbd_http_run(&http);
		for (;;) {
			char buf[4096];
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				eof = true;
				break;
			}
			if (n < 0)
				break;
			if (got < sizeof(reply)) {
				size_t k = (size_t)n < sizeof(reply) - got ? (size_t)n
									   : sizeof(reply) - got;
				memcpy(reply + got, buf, k);
				got += k;
			}
		}
		if (!eof)
			poll(NULL, 0, 0);
	}
	close(fd);
	pbd_http_run(&http);	    /* let it see the close */
	if (getenv("PB_FUZZ_SHOW")) /* to see what a seed gets */
		fprintf(stderr, "%.*s\n", (int)got, reply);
	if (got)
		CHECK(got >= 9 && !memcmp(reply, "HTTP/1.", 7));
	check_panel();
	return 0;
}
