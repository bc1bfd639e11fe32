/* SPDX-License-Identifier: MIT */
/*
 * port_tap.c - "tap:ID": a kernel network interface (IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR) whose frames the panel switches: the way in for apps that
 * only know sockets. Options: ifname= (default pb-ID), netns=NAME (a name
 * under /run/netns, as `ip netns add` makes, or a path to a netns file)
 * to create it inside a container's namespace, addr=A.B.C.D/LEN or
 * addr=IPV6/LEN to give it an address (it is brought up either way), mtu=N.
 * An IPv6 address goes through duplicate address detection as `ip addr
 * add` does: it is tentative for a second or so after the port is made.
 *
 * The interface is made on a short-lived thread that enters the namespace:
 * setns() moves only the calling thread, and the daemon's own threads stay
 * where they are. The tap fd keeps the interface in the namespace it was
 * made in; closing it removes the interface.
 *
 * Needs CAP_NET_ADMIN (root, or a user namespace that owns the netns).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/port.h"
#include "lib/port/spec.h" /* the MTU range every port type takes */
#include "ports/registry.h"

#define VNET_HDR 10   /* struct virtio_net_hdr, the tap's default size */
#define SLOT	 9232 /* header + the largest frame */

struct tap_port {
	int fd;
	char ifname[IFNAMSIZ];
	char netns[256];
	char addr[64];
	uint8_t *slots; /* PBD_BURST x SLOT */
	struct pb_port_stats st;
};

static const char *const tap_keys[] = {"ifname", "netns", "addr", "mtu", NULL};

/* What the maker thread is asked to do, and what it answers. */
struct tap_job {
	const char *ifname, *netns, *addr;
	unsigned mtu;
	int fd;		     /* out */
	char name[IFNAMSIZ]; /* out: the name the kernel gave */
	char err[512];	     /* out */
	int rc;		     /* out */
};

static int set_ifreq(int sock, unsigned long req, struct ifreq *ifr, const char *what,
		     struct tap_job *j)
{
	if (ioctl(sock, req, ifr) < 0) {
		int e = errno;
		snprintf(j->err, sizeof(j->err), "%s %s: %s", what, j->name, strerror(e));
		return -e;
	}
	return 0;
}

/* The kernel's struct in6_ifreq (linux/ipv6.h, which clashes with
 * netinet/in.h): what SIOCSIFADDR takes on an AF_INET6 socket. */
struct tap_in6_ifreq {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

/* addr=IP/LEN, IPv4 or IPv6 (LEN optional: the whole address); @ifr names
 * the interface. */
static int set_addr(int sock, struct ifreq *ifr, struct tap_job *j)
{
	char ip[INET6_ADDRSTRLEN];
	const char *slash = strchr(j->addr, '/');
	size_t n = slash ? (size_t)(slash - j->addr) : strlen(j->addr);
	bool v6 = memchr(j->addr, ':', n) != NULL;
	unsigned max = v6 ? 128 : 32, len = max;
	struct in6_addr a6;
	struct in_addr a4;
	char *end = NULL;

	if (slash) {
		unsigned long l = strtoul(slash + 1, &end, 10);
		len = slash[1] >= '0' && slash[1] <= '9' && !*end && l <= max ? (unsigned)l : ~0u;
	}
	if (n < sizeof(ip)) {
		memcpy(ip, j->addr, n);
		ip[n] = 0;
	}
	if (n >= sizeof(ip) || len > max ||
	    inet_pton(v6 ? AF_INET6 : AF_INET, ip, v6 ? (void *)&a6 : (void *)&a4) != 1) {
		snprintf(j->err, sizeof(j->err),
			 "option addr=%s: expected A.B.C.D/LEN or an IPv6 address/LEN", j->addr);
		return -EINVAL;
	}
	if (v6) {
		/* IPv6 addresses are set on an AF_INET6 socket, by ifindex. */
		int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;
		if (s6 < 0) {
			r = -errno;
			snprintf(j->err, sizeof(j->err), "option addr=%s: IPv6: %s", j->addr,
				 strerror(errno));
			return r;
		}
		struct tap_in6_ifreq r6 = {.addr = a6, .prefixlen = len};
		if ((r = set_ifreq(s6, SIOCGIFINDEX, ifr, "reading the index of", j)) == 0) {
			r6.ifindex = ifr->ifr_ifindex;
			if (ioctl(s6, SIOCSIFADDR, &r6) < 0) {
				r = -errno;
				snprintf(j->err, sizeof(j->err), "setting the address of %s: %s",
					 j->name, strerror(errno));
			}
		}
		close(s6);
		return r;
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr->ifr_addr;
	int r;
	sin->sin_family = AF_INET;
	sin->sin_addr = a4;
	if ((r = set_ifreq(sock, SIOCSIFADDR, ifr, "setting the address of", j)) < 0)
		return r;
	sin->sin_addr.s_addr = len ? htonl(~0u << (32 - len)) : 0;
	return set_ifreq(sock, SIOCSIFNETMASK, ifr, "setting the netmask of", j);
}

static int configure(struct tap_job *j)
{
	struct ifreq ifr;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (sock < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", j->name);
	if (j->mtu) {
		ifr.ifr_mtu = (int)j->mtu;
		if ((r = set_ifreq(sock, SIOCSIFMTU, &ifr, "setting the MTU of", j)) < 0)
			goto out;
	}
	if (j->addr && (r = set_addr(sock, &ifr, j)) < 0)
		goto out;
	if ((r = set_ifreq(sock, SIOCGIFFLAGS, &ifr, "reading the flags of", j)) < 0)
		goto out;
	ifr.ifr_flags |= IFF_UP;
	r = set_ifreq(sock, SIOCSIFFLAGS, &ifr, "bringing up", j);
out:
	close(sock);
	return r;
}

static void *make_tap(void *arg)
{
	struct tap_job *j = arg;
	struct ifreq ifr;

	if (j->netns) {
		char path[300];
		if (strchr(j->netns, '/'))
			snprintf(path, sizeof(path), "%s", j->netns);
		else
			snprintf(path, sizeof(path), "/run/netns/%s", j->netns);
		int ns = open(path, O_RDONLY | O_CLOEXEC);
		if (ns < 0) {
			j->rc = -errno;
			snprintf(j->err, sizeof(j->err), "option netns=%s: %s: %s", j->netns, path,
				 strerror(errno));
			return NULL;
		}
		int r = setns(ns, CLONE_NEWNET);
		close(ns);
		if (r < 0) {
			j->rc = -errno;
			snprintf(j->err, sizeof(j->err), "entering netns %s: %s", j->netns,
				 strerror(errno));
			return NULL;
		}
	}
	j->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (j->fd < 0) {
		j->rc = -errno;
		snprintf(j->err, sizeof(j->err), "/dev/net/tun: %s", strerror(errno));
		return NULL;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", j->ifname);
	if (ioctl(j->fd, TUNSETIFF, &ifr) < 0) {
		j->rc = -errno;
		snprintf(j->err, sizeof(j->err), "creating tap %s: %s%s", j->ifname,
			 strerror(errno),
			 errno == EPERM	  ? " (tap ports need CAP_NET_ADMIN: run patchbayd as root)"
			 : errno == EBUSY ? " (an interface of that name exists)"
					  : "");
		close(j->fd);
		j->fd = -1;
		return NULL;
	}
	snprintf(j->name, sizeof(j->name), "%s", ifr.ifr_name);
	j->rc = configure(j);
	if (j->rc < 0) {
		close(j->fd);
		j->fd = -1;
	}
	return NULL;
}

static int tap_open(struct pbd_port *p, const struct pbd_opts *o, char *err, size_t errlen)
{
	struct tap_job j = {.fd = -1};
	char dflt[IFNAMSIZ];
	uint64_t mtu;
	pthread_t t;
	int r;

	r = pbd_opt_uint(o, "mtu", 0, PB_SPEC_MTU_MIN, PB_SPEC_MTU_MAX, &mtu, err, errlen);
	if (r < 0)
		return r;
	snprintf(dflt, sizeof(dflt), "pb-%s", pbd_port_id(p));
	j.ifname = pbd_opt_str(o, "ifname", dflt);
	if (strlen(j.ifname) >= IFNAMSIZ || strchr(j.ifname, '/') || !*j.ifname) {
		snprintf(err, errlen, "option ifname=%s: 1..%d characters, no '/'", j.ifname,
			 IFNAMSIZ - 1);
		return -EINVAL;
	}
	j.netns = pbd_opt_str(o, "netns", NULL);
	j.addr = pbd_opt_str(o, "addr", NULL);
	j.mtu = (unsigned)mtu;
	if ((r = pthread_create(&t, NULL, make_tap, &j)) != 0)
		return -r;
	pthread_join(t, NULL);
	if (j.rc < 0 || j.fd < 0) {
		snprintf(err, errlen, "%s", j.err[0] ? j.err : "tap creation failed");
		return j.rc < 0 ? j.rc : -EIO;
	}
	struct tap_port *tp = calloc(1, sizeof(*tp));
	if (tp)
		tp->slots = malloc((size_t)PBD_BURST * SLOT);
	if (!tp || !tp->slots) {
		close(j.fd);
		if (tp)
			free(tp);
		return -ENOMEM;
	}
	tp->fd = j.fd;
	snprintf(tp->ifname, sizeof(tp->ifname), "%s", j.name);
	snprintf(tp->netns, sizeof(tp->netns), "%s", j.netns ? j.netns : "");
	snprintf(tp->addr, sizeof(tp->addr), "%s", j.addr ? j.addr : "");
	p->priv = tp;
	return 0;
}

static struct tap_port *tp_of(const struct pbd_port *p)
{
	return p->priv;
}

static void tap_close(struct pbd_port *p)
{
	close(tp_of(p)->fd);
	free(tp_of(p)->slots);
	free(tp_of(p));
}

static int tap_fd(const struct pbd_port *p)
{
	return tp_of(p)->fd;
}

static void tap_dispatch(struct pbd_port *p)
{
	(void)p; /* readable means frames: rx takes them */
}

static bool tap_is_up(const struct pbd_port *p)
{
	(void)p;
	return true;
}

static unsigned tap_rx(struct pbd_port *p, struct pb_frame *f, unsigned max)
{
	struct tap_port *tp = tp_of(p);
	unsigned n = 0;

	if (max > PBD_BURST)
		max = PBD_BURST;
	/* At most 2 x max reads: runts (dropped) must not keep us here. */
	for (unsigned tries = 0; n < max && tries < 2 * max; tries++) {
		uint8_t *slot = tp->slots + (size_t)n * SLOT;
		ssize_t r = read(tp->fd, slot, SLOT);
		if (r <= VNET_HDR) {
			if (r >= 0)
				tp->st.rx_dropped++;
			if (r < 0)
				break;
			continue;
		}
		f[n].data = slot + VNET_HDR;
		f[n].len = (uint32_t)(r - VNET_HDR);
		tp->st.rx_bytes += f[n].len;
		n++;
	}
	tp->st.rx_frames += n;
	return n;
}

static unsigned tap_tx(struct pbd_port *p, const struct pb_frame *f, unsigned n)
{
	static const uint8_t zero_hdr[VNET_HDR]; /* no offloads: a plain frame */
	struct tap_port *tp = tp_of(p);
	unsigned i;

	for (i = 0; i < n; i++) {
		struct iovec iov[2] = {{(void *)zero_hdr, VNET_HDR}, {f[i].data, f[i].len}};
		if (writev(tp->fd, iov, 2) < 0) {
			if (errno == EAGAIN)
				break;
			tp->st.tx_dropped++; /* e.g. the interface is down: the kernel says EIO */
			continue;
		}
		tp->st.tx_frames++;
		tp->st.tx_bytes += f[i].len;
	}
	if (i < n)
		tp->st.tx_full++;
	return i;
}

static int tap_prepare_sleep(struct pbd_port *p)
{
	(void)p; /* the fd becomes readable when a frame comes */
	return 0;
}

static void tap_stats(const struct pbd_port *p, struct pb_port_stats *st)
{
	*st = tp_of(p)->st;
	st->connects = 1;
}

static void tap_describe(const struct pbd_port *p, json_t *obj)
{
	const struct tap_port *tp = tp_of(p);

	json_object_set_new(obj, "ifname", json_string(tp->ifname));
	if (tp->netns[0])
		json_object_set_new(obj, "netns", json_string(tp->netns));
	if (tp->addr[0])
		json_object_set_new(obj, "addr", json_string(tp->addr));
}

const struct pbd_port_type pbd_port_tap = {
    .name = "tap",
    .summary = "kernel tap interface (ifname=, netns=NAME, addr=IP/LEN v4 or v6, mtu=)",
    .keys = tap_keys,
    .open = tap_open,
    .close = tap_close,
    .fd = tap_fd,
    .dispatch = tap_dispatch,
    .is_up = tap_is_up,
    .rx = tap_rx,
    .tx = tap_tx,
    .prepare_sleep = tap_prepare_sleep,
    .stats = tap_stats,
    .describe = tap_describe,
};
