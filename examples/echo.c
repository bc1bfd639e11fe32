/* SPDX-License-Identifier: MIT */
/*
 * echo.c - the smallest useful libpatchbay program: send every frame that
 * arrives back where it came from, with its MAC addresses swapped (so the
 * reply is addressed to the sender, as a reflector on a wire must).
 *
 *   example_echo vhost:/tmp/echo.sock      (or virtio:/tmp/echo.sock)
 *
 * It shows the loop every patchbay application runs: poll the ring while
 * frames are flowing; when it has been idle for a while, arm notifications
 * with pb_port_prepare_sleep(), sleep in poll(2) on pb_port_fd(), and call
 * pb_port_dispatch() after waking (which also serves connections and control
 * messages). Stop with Ctrl-C.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <patchbay/patchbay.h>

#define BURST	   32
#define IDLE_SPINS 1000	  /* empty polls before sleeping: a few microseconds */
#define TX_TRIES   100000 /* full-ring retries before dropping: about a millisecond */
#define MAX_FRAME  9238	  /* jumbo: 9216 + Ethernet header + VLAN tag + room */

/* Frames in the ring must not be written (the peer owns that memory), so
 * each reply is built in a buffer of our own. */
static unsigned char reply[BURST][MAX_FRAME];

static void swap_macs(struct pb_frame *f, unsigned char *buf)
{
	unsigned len = f->len < MAX_FRAME ? f->len : MAX_FRAME;

	memcpy(buf, f->data, len);
	if (len >= 12) {
		memcpy(buf, (unsigned char *)f->data + 6, 6);
		memcpy(buf + 6, f->data, 6);
	}
	f->data = buf;
	f->len = len;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll() must return */
	struct pb_frame frames[BURST];
	struct pb_port_stats st;
	struct pb_port *port;
	unsigned long long dropped = 0;
	unsigned idle = 0, busy = 0;
	char err[128];

	if (argc != 2) {
		fprintf(stderr, "usage: %s SPEC   (e.g. vhost:/tmp/echo.sock)\n", argv[0]);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* Opening never waits for the peer: the port comes up in dispatch. */
	port = pb_port_open(argv[1]);
	if (!port) {
		fprintf(stderr, "cannot open %s: %s\n", argv[1],
			pb_strerror(errno, err, sizeof(err)));
		return 1;
	}

	/* Wait for the peer: dispatch accepts or retries the connection and
	 * runs the vhost-user set-up; the fd says when there is more to do. */
	while (!stop && (pb_port_dispatch(port), !pb_port_is_up(port))) {
		struct pollfd p = {.fd = pb_port_fd(port), .events = POLLIN};

		poll(&p, 1, 1000);
	}
	if (!stop)
		printf("echo: %s is up\n", argv[1]);

	while (!stop) {
		unsigned n = pb_port_rx_burst(port, frames, BURST), sent = 0;

		for (unsigned i = 0; i < n; i++)
			swap_macs(&frames[i], reply[i]);

		/* The replies go back right now. If the peer makes no room within a few tries, the
		 * rest is dropped, as a NIC would. */
		for (unsigned tries = 0; sent < n && tries < TX_TRIES; tries++)
			sent += pb_port_tx_burst(port, frames + sent, n - sent);
		dropped += n - sent;
		if (n) {
			/* Busy: still let the port do its control work now and then. */
			if (++busy % 1024 == 0)
				pb_port_dispatch(port);
			idle = 0;
			continue;
		}
		if (++idle < IDLE_SPINS)
			continue;

		/* Idle: sleep until frames arrive or something happens on the port.
		 * prepare_sleep returns 1 if frames slipped in meanwhile, and an
		 * error while the port is down: then we wait for the peer on the fd. */
		if (pb_port_prepare_sleep(port, PB_WAIT_RX) != 1) {
			struct pollfd p = {.fd = pb_port_fd(port), .events = POLLIN};

			poll(&p, 1, 1000);
		}
		pb_port_dispatch(port); /* back to polling: notifications off */
		idle = 0;
	}

	pb_port_get_stats(port, &st);
	printf("echo: rx %llu frames, tx %llu frames, %llu dropped, %llu connects\n",
	       (unsigned long long)st.rx_frames, (unsigned long long)st.tx_frames, dropped,
	       (unsigned long long)st.connects);
	pb_port_close(port);
	return 0;
}
