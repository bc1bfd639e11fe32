/* SPDX-License-Identifier: MIT */
/*
 * port_lib.c - a libpatchbay port (vhost: or virtio:) as a patchbayd port.
 * Everything forwards to <patchbay/port.h>; the only daemon concerns here
 * are the socket's permissions and turning the library's log message into
 * the error the client sees.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "ports/lib.h"

/* virtio 1.1 feature bit 34, as negotiated (pb_port_info.features). */
#define VIRTIO_F_RING_PACKED_BIT 34

static struct pb_port *lp(const struct pbd_port *p)
{
	return p->priv;
}

int pbd_lib_append_opts(char *spec, size_t cap, const struct pbd_opts *o, const char *const *skip)
{
	const char *key;
	json_t *v;
	size_t len = strlen(spec);

	json_object_foreach(o->obj, key, v)
	{
		bool skipped = false;
		for (unsigned i = 0; skip && skip[i]; i++)
			skipped |= !strcmp(skip[i], key);
		if (skipped)
			continue;
		int n = snprintf(spec + len, cap - len, ",%s=%s", key, json_string_value(v));
		if (n < 0 || (size_t)n >= cap - len)
			return -ENAMETOOLONG;
		len += (size_t)n;
	}
	return 0;
}

int pbd_lib_open(struct pbd_port *p, const char *spec, char *err, size_t errlen)
{
	struct pb_port *port = pb_port_open_err(spec, err, errlen);
	if (!port)
		return -errno;
	struct pb_port_info info;
	pb_port_get_info(port, &info);
	/* The socket is the access control: owner and group (--group) only. */
	if (info.server && chmod(info.path, 0660) < 0)
		LOGW("port", "%s: chmod %s: %s", p->name, info.path, strerror(errno));
	p->priv = port;
	return 0;
}

void pbd_lib_close(struct pbd_port *p)
{
	pb_port_close(lp(p));
}

int pbd_lib_fd(const struct pbd_port *p)
{
	return pb_port_fd(lp(p));
}

void pbd_lib_dispatch(struct pbd_port *p)
{
	pb_port_dispatch(lp(p));
}

bool pbd_lib_is_up(const struct pbd_port *p)
{
	return pb_port_is_up(lp(p));
}

unsigned pbd_lib_rx(struct pbd_port *p, struct pb_frame *f, unsigned n)
{
	return pb_port_rx_burst(lp(p), f, n);
}

unsigned pbd_lib_tx(struct pbd_port *p, const struct pb_frame *f, unsigned n)
{
	return pb_port_tx_burst(lp(p), f, n);
}

int pbd_lib_prepare_sleep(struct pbd_port *p)
{
	int r = pb_port_prepare_sleep(lp(p), PB_WAIT_RX);

	return r < 0 ? 0 : r; /* down: the fd wakes us when a peer comes */
}

void pbd_lib_stats(const struct pbd_port *p, struct pb_port_stats *st)
{
	pb_port_get_stats(lp(p), st);
}

static void mac_text(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void pbd_lib_describe(const struct pbd_port *p, json_t *obj)
{
	struct pb_port_info info;
	char mac[18];

	pb_port_get_info(lp(p), &info);
	mac_text(info.mac, mac);
	json_object_set_new(obj, "path", json_string(info.path));
	json_object_set_new(obj, "socket", json_string(info.server ? "server" : "client"));
	json_object_set_new(obj, "features", json_integer((json_int_t)info.features));
	json_object_set_new(obj, "queue_size", json_integer(info.queue_size));
	json_object_set_new(obj, "mtu", json_integer(info.mtu));
	json_object_set_new(obj, "mac", json_string(mac));
	const char *ring = !info.up ? "none" : "split";
	if (info.up && (info.features & (1ULL << VIRTIO_F_RING_PACKED_BIT)))
		ring = "packed";
	json_object_set_new(obj, "ring", json_string(ring));
}

bool pbd_lib_maps(const struct pbd_port *p, const void *addr)
{
	return pb_port_maps(lp(p), addr);
}

void pbd_lib_drop_peer(struct pbd_port *p, const char *why)
{
	pb_port_drop_peer(lp(p), why);
}
