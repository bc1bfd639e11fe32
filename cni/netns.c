/* SPDX-License-Identifier: MIT */
/*
 * netns.c - the container's side of a tap attachment, through libnl-route:
 * the link patchbayd made in the container's netns gets its MAC, MTU, the
 * IPAM addresses and routes, and is set up; CHECK reads them back.
 *
 * The plugin enters the netns (setns) for the netlink socket only: a
 * netlink socket belongs to the netns it was opened in, so it is opened
 * inside and everything after runs on it from anywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cni.h"

/* A netlink socket in the netns at @path; NULL with @e set. */
static struct nl_sock *open_in(const char *path, struct cni_err *e)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	struct nl_sock *sk = NULL;

	if (self < 0 || target < 0) {
		cni_fail(e, CNI_E_UNKNOWN_CONTAINER, "netns %s: %s", path, strerror(errno));
		goto out;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		cni_fail(e, CNI_E_NETNS, "entering netns %s: %s", path, strerror(errno));
		goto out;
	}
	sk = nl_socket_alloc();
	if (sk && nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		sk = NULL;
	}
	if (!sk)
		cni_fail(e, CNI_E_NETNS, "netlink in netns %s failed", path);
	if (setns(self, CLONE_NEWNET) < 0) { /* cannot happen: we came from it */
		cni_fail(e, CNI_E_NETNS, "leaving netns %s: %s", path, strerror(errno));
		if (sk)
			nl_socket_free(sk);
		sk = NULL;
	}
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return sk;
}

static int add_address(struct nl_sock *sk, int ifindex, const char *cidr, struct cni_err *e)
{
	struct nl_addr *local = NULL;
	struct rtnl_addr *a = rtnl_addr_alloc();
	int r;

	if (!a || (r = nl_addr_parse(cidr, AF_UNSPEC, &local)) < 0) {
		rtnl_addr_put(a);
		return cni_fail(e, CNI_E_IPAM, "IPAM address '%s' is not ADDR/LEN", cidr);
	}
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	r = rtnl_addr_add(sk, a, 0);
	nl_addr_put(local);
	rtnl_addr_put(a);
	if (r < 0 && r != -NLE_EXIST)
		return cni_fail(e, CNI_E_NETNS, "adding address %s: %s", cidr, nl_geterror(r));
	return 0;
}

/* IPv6 addresses are tentative until duplicate address detection has
 * passed (a second or two), and a tentative address cannot be used: wait
 * until none on the link is, so that the container can talk as soon as ADD
 * returns (as the reference plugins do), and say so if one is a
 * duplicate. IPv4 addresses have none of this: they pass at once. */
#define DAD_WAIT_MS 10000

static int settle_addresses(struct nl_sock *sk, int ifindex, struct cni_err *e)
{
	for (int waited = 0;; waited += 50) {
		struct nl_cache *cache;
		bool tentative = false;
		int r = rtnl_addr_alloc_cache(sk, &cache);
		if (r < 0)
			return cni_fail(e, CNI_E_NETNS, "reading addresses: %s", nl_geterror(r));
		for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
			struct rtnl_addr *a = (struct rtnl_addr *)o;
			unsigned flags = rtnl_addr_get_flags(a);
			if (rtnl_addr_get_ifindex(a) != ifindex ||
			    rtnl_addr_get_family(a) != AF_INET6)
				continue;
			if (flags & IFA_F_DADFAILED) {
				char buf[INET6_ADDRSTRLEN + 8];
				nl_addr2str(rtnl_addr_get_local(a), buf, sizeof(buf));
				nl_cache_free(cache);
				return cni_fail(e, CNI_E_NETNS,
						"address %s is in use on the network (duplicate "
						"address detection failed)",
						buf);
			}
			if (flags & IFA_F_TENTATIVE)
				tentative = true;
		}
		nl_cache_free(cache);
		if (!tentative)
			return 0;
		if (waited >= DAD_WAIT_MS)
			return cni_fail(e, CNI_E_NETNS,
					"IPv6 addresses still tentative after %d s (duplicate "
					"address detection)",
					DAD_WAIT_MS / 1000);
		usleep(50 * 1000);
	}
}

/* A route {dst, gw}; without gw, through the IPAM address's gateway of the
 * same family if there is one, else straight out of the link. */
static int add_route(struct nl_sock *sk, int ifindex, json_t *route, json_t *ips, struct cni_err *e)
{
	const char *dst = json_string_value(json_object_get(route, "dst"));
	const char *gw = json_string_value(json_object_get(route, "gw"));
	struct nl_addr *d = NULL, *g = NULL;
	int r;

	if (!dst || nl_addr_parse(dst, AF_UNSPEC, &d) < 0)
		return cni_fail(e, CNI_E_IPAM, "IPAM route without a valid dst");
	if (!gw) {
		size_t i;
		json_t *ip;
		json_array_foreach(ips, i, ip)
		{
			const char *cand = json_string_value(json_object_get(ip, "gateway"));
			if (cand && (strchr(cand, ':') != NULL) == (strchr(dst, ':') != NULL)) {
				gw = cand;
				break;
			}
		}
	}
	if (gw && nl_addr_parse(gw, nl_addr_get_family(d), &g) < 0) {
		nl_addr_put(d);
		return cni_fail(e, CNI_E_IPAM, "IPAM route to %s: gateway '%s' is not an address",
				dst, gw);
	}
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	rtnl_route_set_family(rt, (uint8_t)nl_addr_get_family(d));
	rtnl_route_set_dst(rt, d);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	if (g)
		rtnl_route_nh_set_gateway(nh, g);
	else
		rtnl_route_set_scope(rt, RT_SCOPE_LINK);
	rtnl_route_add_nexthop(rt, nh);
	r = rtnl_route_add(sk, rt, NLM_F_CREATE);
	rtnl_route_put(rt);
	nl_addr_put(d);
	if (g)
		nl_addr_put(g);
	if (r < 0 && r != -NLE_EXIST)
		return cni_fail(e, CNI_E_NETNS, "adding route to %s%s%s: %s", dst,
				gw ? " via " : "", gw ? gw : "", nl_geterror(r));
	return 0;
}

int cni_netns_setup(const char *netns, const char *ifname, json_t *ipam_result, int mtu,
		    const char *mac, char *mac_out, size_t mac_len, struct cni_err *e)
{
	struct nl_sock *sk = open_in(netns, e);
	struct rtnl_link *link = NULL, *change = NULL;
	int r, ret = -1;

	if (!sk)
		return -1;
	if ((r = rtnl_link_get_kernel(sk, 0, ifname, &link)) < 0) {
		cni_fail(e, CNI_E_NETNS, "no link %s in netns %s: %s", ifname, netns,
			 nl_geterror(r));
		goto out;
	}
	change = rtnl_link_alloc();
	if (mtu)
		rtnl_link_set_mtu(change, (unsigned)mtu);
	if (mac) {
		struct nl_addr *a;
		if (nl_addr_parse(mac, AF_LLC, &a) < 0) {
			cni_fail(e, CNI_E_CONFIG, "mac '%s' is not a MAC address", mac);
			goto out;
		}
		rtnl_link_set_addr(change, a);
		nl_addr_put(a);
	}
	rtnl_link_set_flags(change, IFF_UP);
	if ((r = rtnl_link_change(sk, link, change, 0)) < 0) {
		cni_fail(e, CNI_E_NETNS, "setting up %s in %s: %s", ifname, netns, nl_geterror(r));
		goto out;
	}
	int ifindex = rtnl_link_get_ifindex(link);
	json_t *ips = json_object_get(ipam_result, "ips"), *ip, *rt;
	size_t i;
	json_array_foreach(ips, i, ip)
	{
		const char *cidr = json_string_value(json_object_get(ip, "address"));
		if (!cidr || add_address(sk, ifindex, cidr, e) < 0)
			goto out;
	}
	if (settle_addresses(sk, ifindex, e) < 0)
		goto out;
	json_array_foreach(json_object_get(ipam_result, "routes"), i, rt)
	{
		if (add_route(sk, ifindex, rt, ips, e) < 0)
			goto out;
	}
	/* The MAC the container sees, as it is now. */
	rtnl_link_put(link);
	link = NULL;
	if (rtnl_link_get_kernel(sk, 0, ifname, &link) == 0 && rtnl_link_get_addr(link))
		nl_addr2str(rtnl_link_get_addr(link), mac_out, mac_len);
	ret = 0;
out:
	if (change)
		rtnl_link_put(change);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return ret;
}

/* Is @cidr among the link's addresses? */
static bool has_address(struct nl_sock *sk, int ifindex, const char *cidr)
{
	struct nl_cache *cache;
	struct nl_addr *want;
	bool found = false;

	if (nl_addr_parse(cidr, AF_UNSPEC, &want) < 0)
		return false;
	if (rtnl_addr_alloc_cache(sk, &cache) < 0) {
		nl_addr_put(want);
		return false;
	}
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *l = rtnl_addr_get_local(a);
		if (rtnl_addr_get_ifindex(a) == ifindex && l && !nl_addr_cmp(l, want) &&
		    rtnl_addr_get_prefixlen(a) == (int)nl_addr_get_prefixlen(want))
			found = true;
	}
	nl_cache_free(cache);
	nl_addr_put(want);
	return found;
}

int cni_netns_check(const char *netns, const char *ifname, json_t *prev, struct cni_err *e)
{
	struct nl_sock *sk = open_in(netns, e);
	struct rtnl_link *link = NULL;
	int ret = -1;

	if (!sk)
		return -1;
	if (rtnl_link_get_kernel(sk, 0, ifname, &link) < 0) {
		cni_fail(e, CNI_E_CHECK, "no interface %s in the container's netns %s", ifname,
			 netns);
		goto out;
	}
	if (!(rtnl_link_get_flags(link) & IFF_UP)) {
		cni_fail(e, CNI_E_CHECK, "interface %s in %s is down", ifname, netns);
		goto out;
	}
	json_t *ip;
	size_t i;
	json_array_foreach(json_object_get(prev, "ips"), i, ip)
	{
		const char *cidr = json_string_value(json_object_get(ip, "address"));
		if (cidr && !has_address(sk, rtnl_link_get_ifindex(link), cidr)) {
			cni_fail(e, CNI_E_CHECK, "interface %s in %s lacks its address %s", ifname,
				 netns, cidr);
			goto out;
		}
	}
	ret = 0;
out:
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return ret;
}
