/* SPDX-License-Identifier: MIT */
/*
 * port_pcap.c - "pcap:ID": frames from and to capture files, through
 * libpcap (pcap and pcapng both read). rx=FILE replays a file (loop=1 from
 * the start again at its end, rate=PPS paces it, 0 as fast as the patch
 * takes them); tx=FILE writes every frame sent to the port (Ethernet link
 * type), flushed whenever its worker goes idle and at close. Either or both.
 *
 * Frames read are copied out of libpcap's buffer (valid only until its next
 * read) into the port's own, one slot per frame of a burst.
 *
 * Security model: the file is data from anywhere. libpcap checks its
 * framing (magic, a record's caplen against the file's snaplen and the
 * link type's maximum, the file ending inside a record); a record it cannot
 * read ends the replay, counted in peer_errors with libpcap's reason in
 * `show` (rx_error), and the frames before it have gone out. A record it
 * reads but we cannot send as it is (empty, or over SLOT) is dropped and
 * counted in rx_dropped: a frame cut to fit would be a corrupt one.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ports/pacer.h"
#include "core/port.h"
#include "ports/registry.h"

#define SLOT 9216 /* largest frame replayed; longer records are dropped */

struct pcap_port {
	char *rx_path;
	bool loop;
	pcap_t *rx;
	bool rx_done;
	char rx_error[PCAP_ERRBUF_SIZE + 300]; /* why the replay ended early */
	struct pbd_pacer pace;
	uint8_t *slots; /* PBD_BURST x SLOT */
	pcap_t *dead;	/* the link type for the writer */
	pcap_dumper_t *tx;
	bool tx_dirty;
	struct pb_port_stats st;
};

static const char *const pcap_keys[] = {"rx", "tx", "loop", "rate", NULL};

static struct pcap_port *pp(const struct pbd_port *p)
{
	return p->priv;
}

static pcap_t *open_rx(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *h = pcap_open_offline(path, ebuf);

	if (!h) {
		snprintf(err, errlen, "rx=%s: %s", path, ebuf);
		return NULL;
	}
	if (pcap_datalink(h) != DLT_EN10MB) {
		snprintf(err, errlen, "rx=%s: link type %s, only Ethernet is replayed", path,
			 pcap_datalink_val_to_name(pcap_datalink(h)));
		pcap_close(h);
		return NULL;
	}
	return h;
}

static void pcap_port_free(struct pcap_port *c)
{
	if (c->rx)
		pcap_close(c->rx);
	if (c->tx)
		pcap_dump_close(c->tx);
	if (c->dead)
		pcap_close(c->dead);
	pbd_pacer_fini(&c->pace);
	free(c->slots);
	free(c->rx_path);
	free(c);
}

static int pcapport_open(struct pbd_port *p, const struct pbd_opts *o, char *err, size_t errlen)
{
	const char *rx = pbd_opt_str(o, "rx", NULL), *tx = pbd_opt_str(o, "tx", NULL);
	struct pcap_port *c;
	int r;

	if (!rx && !tx) {
		snprintf(err, errlen, "pcap ports need rx=FILE (replay), tx=FILE (write) or both");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	uint64_t rate;
	c->pace.timerfd = -1;
	if ((r = pbd_opt_bool(o, "loop", false, &c->loop, err, errlen)) < 0 ||
	    (r = pbd_opt_uint(o, "rate", 0, 0, 100000000, &rate, err, errlen)) < 0)
		goto fail;
	r = -EINVAL;
	if (rx) {
		c->rx_path = strdup(rx);
		c->slots = malloc((size_t)PBD_BURST * SLOT);
		if (!c->rx_path || !c->slots) {
			r = -ENOMEM;
			goto fail;
		}
		if (!(c->rx = open_rx(rx, err, errlen)))
			goto fail;
		if ((r = pbd_pacer_init(&c->pace, rate)) < 0)
			goto fail;
		r = -EINVAL;
	}
	if (tx) {
		c->dead = pcap_open_dead(DLT_EN10MB, 65535);
		c->tx = c->dead ? pcap_dump_open(c->dead, tx) : NULL;
		if (!c->tx) {
			snprintf(err, errlen, "tx=%s: %s", tx,
				 c->dead ? pcap_geterr(c->dead) : "out of memory");
			goto fail;
		}
	}
	p->priv = c;
	return 0;
fail:
	pcap_port_free(c);
	return r;
}

static void pcap_port_close(struct pbd_port *p)
{
	pcap_port_free(pp(p));
}

static int pcap_fd(const struct pbd_port *p)
{
	return pp(p)->pace.timerfd;
}

static void pcapport_dispatch(struct pbd_port *p)
{
	pbd_pacer_drain(&pp(p)->pace);
}

static bool pcap_is_up(const struct pbd_port *p)
{
	(void)p;
	return true;
}

static unsigned pcap_rx(struct pbd_port *p, struct pb_frame *f, unsigned max)
{
	struct pcap_port *c = pp(p);
	unsigned n = 0, want;

	if (!c->rx || c->rx_done)
		return 0;
	want = pbd_pacer_due(&c->pace, max < PBD_BURST ? max : PBD_BURST);
	/* Bounded: empty records and a file with no frame (with loop=1) must
	 * not keep the worker here. A pass over the whole file that yields no
	 * frame ends the replay. */
	bool frame_since_reopen = true;
	for (unsigned tries = 0; n < want && tries < 4 * PBD_BURST; tries++) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int r = pcap_next_ex(c->rx, &h, &data);
		if (r == PCAP_ERROR_BREAK || r < 0) {
			char err[256];
			if (r != PCAP_ERROR_BREAK) {
				/* Not the end: a record libpcap cannot read. */
				snprintf(c->rx_error, sizeof(c->rx_error), "%s: %s", c->rx_path,
					 pcap_geterr(c->rx));
				c->st.peer_errors++;
			}
			pcap_close(c->rx);
			c->rx = NULL;
			if (r != PCAP_ERROR_BREAK || !c->loop || !frame_since_reopen ||
			    !(c->rx = open_rx(c->rx_path, err, sizeof(err)))) {
				c->rx_done = true;
				break;
			}
			frame_since_reopen = false;
			continue;
		}
		if (r == 0)
			continue;
		/* Dropped records are no frame: a looped file of nothing else
		 * still ends its replay. */
		if (h->caplen == 0 || h->caplen > SLOT) {
			c->st.rx_dropped++;
			continue;
		}
		frame_since_reopen = true;
		uint32_t len = h->caplen;
		uint8_t *slot = c->slots + (size_t)n * SLOT;
		memcpy(slot, data, len);
		f[n].data = slot;
		f[n].len = len;
		c->st.rx_bytes += len;
		n++;
	}
	pbd_pacer_made(&c->pace, n);
	c->st.rx_frames += n;
	return n;
}

static unsigned pcap_tx(struct pbd_port *p, const struct pb_frame *f, unsigned n)
{
	struct pcap_port *c = pp(p);
	struct timeval tv;

	if (!c->tx) {
		c->st.tx_dropped += n;
		return n;
	}
	gettimeofday(&tv, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct pcap_pkthdr h = {.ts = tv, .caplen = f[i].len, .len = f[i].len};
		pcap_dump((u_char *)c->tx, &h, f[i].data);
		c->st.tx_bytes += f[i].len;
	}
	c->st.tx_frames += n;
	c->tx_dirty = n > 0;
	return n;
}

static int pcap_prepare_sleep(struct pbd_port *p)
{
	struct pcap_port *c = pp(p);

	if (!c->rx || c->rx_done)
		return 0;
	return pbd_pacer_arm(&c->pace);
}

static void pcap_flush(struct pbd_port *p)
{
	struct pcap_port *c = pp(p);

	if (c->tx && c->tx_dirty) {
		pcap_dump_flush(c->tx);
		c->tx_dirty = false;
	}
}

static void pcapport_stats(const struct pbd_port *p, struct pb_port_stats *st)
{
	*st = pp(p)->st;
	st->connects = 1;
}

static void pcap_describe(const struct pbd_port *p, json_t *obj)
{
	const struct pcap_port *c = pp(p);

	if (c->rx_path) {
		json_object_set_new(obj, "rx", json_string(c->rx_path));
		json_object_set_new(obj, "rx_done", json_boolean(c->rx_done));
		if (c->rx_error[0])
			json_object_set_new(obj, "rx_error", json_string(c->rx_error));
	}
	json_object_set_new(obj, "writing", json_boolean(c->tx != NULL));
}

const struct pbd_port_type pbd_port_pcap = {
    .name = "pcap",
    .summary = "replay a capture file (rx=FILE, loop=1, rate=PPS) and/or write one (tx=FILE)",
    .keys = pcap_keys,
    .source = true,
    .open = pcapport_open,
    .close = pcap_port_close,
    .fd = pcap_fd,
    .dispatch = pcapport_dispatch,
    .is_up = pcap_is_up,
    .rx = pcap_rx,
    .tx = pcap_tx,
    .prepare_sleep = pcap_prepare_sleep,
    .stats = pcapport_stats,
    .describe = pcap_describe,
    .flush = pcap_flush,
};
