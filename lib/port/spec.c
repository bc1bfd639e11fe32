/* SPDX-License-Identifier: MIT */
/*
 * spec.c - parse a port spec string ("virtio:/run/a.sock,mtu=9000") into a
 * struct pb_port_spec, and format one back.
 *
 * Security model: see spec.h. The input is whatever a user typed. It is
 * walked once with explicit lengths, never copied into a fixed buffer except
 * the path, after its length was checked. Numbers are parsed by hand because
 * strtoul() would accept " 42", "+42", "-1" (as a huge value) and "0x10".
 * Error messages quote at most QUOTE_MAX bytes of the input, with
 * non-printable bytes shown as '?', so a message stays one readable line
 * whatever the input holds.
 *
 * The option keys live in one table (name, parser, roles, help): adding a
 * key is one line there plus its parser, and the "expected one of" list of
 * the unknown-key message and the usage text come from the same table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "port/spec.h"
#include "util/compiler.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

/* How much of the user's text a message quotes before cutting it with "...". */
#define QUOTE_MAX 64

/* Which port types a key applies to (a mask of 1 << enum pb_port_role). */
#define FOR_DEVICE (1u << PB_ROLE_DEVICE)
#define FOR_DRIVER (1u << PB_ROLE_DRIVER)
#define FOR_BOTH   (FOR_DEVICE | FOR_DRIVER)

/*
 * A value parser: stores the value of @v (@n bytes, not NUL-terminated) in
 * @out, or returns why it is not acceptable ("not a boolean ..."), which the
 * caller prefixes with "key=value: ".
 */
typedef const char *(*value_parser)(struct pb_port_spec *out, const char *v, size_t n);

struct spec_key {
	const char *name;
	value_parser parse;
	unsigned roles;
	/* Keys with the same slot set the same field (server= and client=):
	 * giving both is a conflict, like giving one twice. */
	unsigned slot;
	const char *help;
};

struct spec_type {
	const char *name;
	enum pb_port_role role;
};

/* Type names and their aliases; format() writes the canonical role_names[]. */
static const struct spec_type types[] = {
    {"vhost", PB_ROLE_DEVICE},
    {"virtio", PB_ROLE_DRIVER},
    {"vhost-user", PB_ROLE_DEVICE},
    {"virtio-user", PB_ROLE_DRIVER},
};

static const char *const role_names[] = {
    [PB_ROLE_DEVICE] = "vhost",
    [PB_ROLE_DRIVER] = "virtio",
};

/* ---- value parsers ---- */

/* Decimal digits only, no sign, no spaces, no base prefix; false on
 * overflow of @max or on anything else. */
static bool parse_uint(const char *v, size_t n, uint32_t max, uint32_t *res)
{
	uint64_t x = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
		if (x > max)
			return false;
	}
	*res = (uint32_t)x;
	return true;
}

static bool word_is(const char *v, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(v, word, n) == 0;
}

/* 0/1, yes/no, true/false, on/off, any case. */
static bool parse_bool(const char *v, size_t n, bool *res)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};

	for (size_t i = 0; i < PB_ARRAY_SIZE(yes); i++) {
		if (word_is(v, n, yes[i])) {
			*res = true;
			return true;
		}
		if (word_is(v, n, no[i])) {
			*res = false;
			return true;
		}
	}
	return false;
}

/* Why a value was refused; the numbers come from spec.h. */
#define BOOL_REASON "not a boolean (0/1, yes/no, true/false, on/off)"
#define QUEUE_REASON                                                                               \
	"not a power of two between " STR(PB_SPEC_QUEUE_MIN) " and " STR(PB_SPEC_QUEUE_MAX)
#define MTU_REASON "not a number between " STR(PB_SPEC_MTU_MIN) " and " STR(PB_SPEC_MTU_MAX)
#define RECONNECT_REASON                                                                           \
	"not a number of milliseconds between " STR(PB_SPEC_RECONNECT_MIN) " and " STR(            \
	    PB_SPEC_RECONNECT_MAX)

static const char *parse_server(struct pb_port_spec *out, const char *v, size_t n)
{
	return parse_bool(v, n, &out->server) ? NULL : BOOL_REASON;
}

static const char *parse_client(struct pb_port_spec *out, const char *v, size_t n)
{
	bool client;

	if (!parse_bool(v, n, &client))
		return BOOL_REASON;
	out->server = !client;
	return NULL;
}

static const char *parse_queue_size(struct pb_port_spec *out, const char *v, size_t n)
{
	uint32_t x;

	if (!parse_uint(v, n, PB_SPEC_QUEUE_MAX, &x) || x < PB_SPEC_QUEUE_MIN || (x & (x - 1)) != 0)
		return QUEUE_REASON;
	out->queue_size = (uint16_t)x;
	return NULL;
}

static const char *parse_mtu(struct pb_port_spec *out, const char *v, size_t n)
{
	uint32_t x;

	if (!parse_uint(v, n, PB_SPEC_MTU_MAX, &x) || x < PB_SPEC_MTU_MIN)
		return MTU_REASON;
	out->mtu = (uint16_t)x;
	return NULL;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx". A device address must be a unicast one: a
 * multicast source address is invalid Ethernet, and all zeroes is what
 * "no address" looks like to many stacks. */
static const char *parse_mac(struct pb_port_spec *out, const char *v, size_t n)
{
	uint8_t mac[6];

	if (n != 17)
		return "not six hex pairs separated by ':'";
	for (size_t i = 0; i < 6; i++) {
		int hi = hex_digit(v[3 * i]), lo = hex_digit(v[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && v[3 * i + 2] != ':'))
			return "not six hex pairs separated by ':'";
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1)
		return "a multicast address (the first byte is odd); a port needs a unicast one";
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
		return "the all-zero address";
	memcpy(out->mac, mac, sizeof(mac));
	out->mac_set = true;
	return NULL;
}

static const char *parse_mrg_rxbuf(struct pb_port_spec *out, const char *v, size_t n)
{
	return parse_bool(v, n, &out->mrg_rxbuf) ? NULL : BOOL_REASON;
}

static const char *parse_event_idx(struct pb_port_spec *out, const char *v, size_t n)
{
	return parse_bool(v, n, &out->event_idx) ? NULL : BOOL_REASON;
}

static const char *parse_indirect(struct pb_port_spec *out, const char *v, size_t n)
{
	return parse_bool(v, n, &out->indirect) ? NULL : BOOL_REASON;
}

static const char *parse_hugetlb(struct pb_port_spec *out, const char *v, size_t n)
{
	return parse_bool(v, n, &out->hugetlb) ? NULL : BOOL_REASON;
}

static const char *parse_lazy(struct pb_port_spec *out, const char *v, size_t n)
{
	return parse_bool(v, n, &out->lazy) ? NULL : BOOL_REASON;
}

static const char *parse_packed(struct pb_port_spec *out, const char *v, size_t n)
{
	return parse_bool(v, n, &out->packed) ? NULL : BOOL_REASON;
}

static const char *parse_reconnect_ms(struct pb_port_spec *out, const char *v, size_t n)
{
	uint32_t x;

	if (!parse_uint(v, n, PB_SPEC_RECONNECT_MAX, &x) || x < PB_SPEC_RECONNECT_MIN)
		return RECONNECT_REASON;
	out->reconnect_ms = x;
	return NULL;
}

static const char *const copy_names[] = {
    [PB_COPY_AUTO] = "auto",
    [PB_COPY_CACHE] = "cache",
    [PB_COPY_STREAM] = "stream",
};

static const char *parse_copy(struct pb_port_spec *out, const char *v, size_t n)
{
	for (size_t i = 0; i < PB_ARRAY_SIZE(copy_names); i++) {
		if (strlen(copy_names[i]) == n && memcmp(copy_names[i], v, n) == 0) {
			out->copy = (enum pb_copy_mode)i;
			return NULL;
		}
	}
	return "expected auto, cache or stream";
}

/* The order here is the order of the "expected one of" list and the usage. */
static const struct spec_key keys[] = {
    {"server", parse_server, FOR_BOTH, 0, "listen on PATH (default: vhost 1, virtio 0)"},
    {"client", parse_client, FOR_BOTH, 0, "connect to PATH: the opposite of server="},
    {"queue-size", parse_queue_size, FOR_DRIVER, 1,
     "virtio only: ring size, a power of two 16..32768 (256)"},
    {"mtu", parse_mtu, FOR_BOTH, 2, "MTU offered (vhost) or requested (virtio), 68..9000 (1500)"},
    {"mac", parse_mac, FOR_BOTH, 3, "unicast MAC XX:XX:XX:XX:XX:XX the device reports (random)"},
    {"mrg-rxbuf", parse_mrg_rxbuf, FOR_BOTH, 4, "offer/accept mergeable rx buffers (1)"},
    {"event-idx", parse_event_idx, FOR_BOTH, 5, "offer/accept event index notifications (1)"},
    {"indirect", parse_indirect, FOR_DEVICE, 6, "vhost only: offer indirect descriptors (1)"},
    {"hugetlb", parse_hugetlb, FOR_DRIVER, 7, "virtio only: back the memory with huge pages (0)"},
    {"packed", parse_packed, FOR_DRIVER, 9,
     "virtio only: ask for packed rings, split if the backend lacks them (0)"},
    {"reconnect-ms", parse_reconnect_ms, FOR_BOTH, 8,
     "client sockets: retry interval after a loss, 1..3600000 (1000)"},
    {"copy", parse_copy, FOR_BOTH, 10,
     "how tx writes frames: auto (measure and pick), cache or stream (auto)"},
    {"lazy", parse_lazy, FOR_DRIVER, 11,
     "virtio only: connect first at the first dispatch, not inside open (0)"},
};

/* ---- messages ---- */

/* Copy @n bytes of user text into @dst for a message: at most QUOTE_MAX of
 * them, non-printable ones as '?', "..." when cut. */
static const char *quote(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n && i < QUOTE_MAX && j + 1 < dstlen; i++)
		dst[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < n && j + 3 < dstlen) { /* room for "..." and the NUL */
		memcpy(dst + j, "...", 3);
		j += 3;
	}
	dst[j] = '\0';
	return dst;
}

#define QUOTE_BUF (QUOTE_MAX + 4)

struct ctx {
	struct pb_port_spec *out;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* "server, client, queue-size, ..." from the key table. */
static void key_list(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < PB_ARRAY_SIZE(keys) && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", keys[i].name);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/* ---- the parser ---- */

static void set_defaults(struct pb_port_spec *out, enum pb_port_role role)
{
	memset(out, 0, sizeof(*out));
	out->role = role;
	out->server = role == PB_ROLE_DEVICE;
	out->queue_size = 256;
	out->mtu = 1500;
	out->mrg_rxbuf = true;
	out->event_idx = true;
	out->indirect = true;
	out->hugetlb = false;
	out->packed = false;
	out->reconnect_ms = 1000;
	out->copy = PB_COPY_AUTO;
}

static const struct spec_key *find_key(const char *k, size_t n)
{
	for (size_t i = 0; i < PB_ARRAY_SIZE(keys); i++) {
		if (strlen(keys[i].name) == n && memcmp(keys[i].name, k, n) == 0)
			return &keys[i];
	}
	return NULL;
}

/* One "key=value" of @n bytes at @opt. @seen: a bit per key slot given. */
static int parse_option(struct ctx *c, const char *opt, size_t n, unsigned *seen,
			const struct spec_key **given)
{
	char qk[QUOTE_BUF], qv[QUOTE_BUF];
	const char *eq = memchr(opt, '=', n);
	const struct spec_key *key;
	size_t klen, vlen;
	const char *reason;

	if (n == 0)
		return fail(c, "empty option (a stray ',')");
	if (!eq)
		return fail(c, "option '%s': expected key=value", quote(qk, sizeof(qk), opt, n));
	klen = (size_t)(eq - opt);
	vlen = n - klen - 1;
	quote(qk, sizeof(qk), opt, klen);
	key = find_key(opt, klen);
	if (!key) {
		char list[256];

		key_list(list, sizeof(list));
		return fail(c, "unknown key '%s' (expected one of: %s)", qk, list);
	}
	if (!(key->roles & (1u << c->out->role))) {
		return fail(c, "%s: only for %s ports (this is a %s port)", key->name,
			    role_names[key->roles == FOR_DEVICE ? PB_ROLE_DEVICE : PB_ROLE_DRIVER],
			    role_names[c->out->role]);
	}
	if (*seen & (1u << key->slot)) {
		if (given[key->slot] == key)
			return fail(c, "duplicate key '%s'", key->name);
		return fail(c, "'%s' conflicts with '%s' given before (use one of them)", key->name,
			    given[key->slot]->name);
	}
	*seen |= 1u << key->slot;
	given[key->slot] = key;
	quote(qv, sizeof(qv), eq + 1, vlen);
	if (vlen == 0)
		return fail(c, "%s=: missing value", key->name);
	reason = key->parse(c->out, eq + 1, vlen);
	if (reason)
		return fail(c, "%s=%s: %s", key->name, qv, reason);
	return 0;
}

int pb_port_spec_parse(const char *s, struct pb_port_spec *out, char *err, size_t errlen)
{
	struct ctx c = {.out = out, .err = err, .errlen = errlen};
	const struct spec_key *given[PB_ARRAY_SIZE(keys)] = {NULL};
	const struct spec_type *type = NULL;
	char q[QUOTE_BUF];
	const char *colon, *path, *p;
	unsigned seen = 0;
	size_t plen;
	int rc;

	_Static_assert(PB_ARRAY_SIZE(keys) <= 32, "seen is a 32-bit mask of key slots");
	set_defaults(out, PB_ROLE_DEVICE);
	if (err && errlen)
		err[0] = '\0';
	if (!s || !*s)
		return fail(&c, "empty port spec (expected vhost:PATH or virtio:PATH)");

	colon = strchr(s, ':');
	if (!colon) {
		return fail(&c, "'%s': missing port type (expected vhost:PATH or virtio:PATH)",
			    quote(q, sizeof(q), s, strlen(s)));
	}
	for (size_t i = 0; i < PB_ARRAY_SIZE(types); i++) {
		if (strlen(types[i].name) == (size_t)(colon - s) &&
		    memcmp(types[i].name, s, (size_t)(colon - s)) == 0)
			type = &types[i];
	}
	if (!type) {
		return fail(&c, "unknown port type '%s' (expected vhost, virtio)",
			    quote(q, sizeof(q), s, (size_t)(colon - s)));
	}
	set_defaults(out, type->role);

	/* The path runs to the first ','; a path with a ',' cannot be given. */
	path = colon + 1;
	plen = strcspn(path, ",");
	if (plen == 0)
		return fail(&c, "missing socket path (expected %s:PATH)", type->name);
	if (plen >= sizeof(out->path)) {
		fail(&c, "socket path '%s' is %zu bytes; a Unix socket address holds at most %zu",
		     quote(q, sizeof(q), path, plen), plen, sizeof(out->path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(out->path, path, plen);
	out->path[plen] = '\0';

	for (p = path + plen; *p == ','; p += plen) {
		p++;
		plen = strcspn(p, ",");
		rc = parse_option(&c, p, plen, &seen, given);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- formatting and usage ---- */

int pb_port_spec_format(const struct pb_port_spec *spec, char *buf, size_t len)
{
	struct pb_port_spec def;
	char opts[256];
	size_t off = 0;
	int w;

	set_defaults(&def, spec->role);
	opts[0] = '\0';
/* Append ",fmt" to opts; 256 bytes hold every option at its longest. */
#define ADD(...)                                                                                   \
	do {                                                                                       \
		w = snprintf(opts + off, sizeof(opts) - off, __VA_ARGS__);                         \
		if (w > 0)                                                                         \
			off = PB_MIN(off + (size_t)w, sizeof(opts) - 1);                           \
	} while (0)
	if (spec->server != def.server)
		ADD(",server=%d", spec->server);
	if (spec->role == PB_ROLE_DRIVER && spec->queue_size != def.queue_size)
		ADD(",queue-size=%u", spec->queue_size);
	if (spec->mtu != def.mtu)
		ADD(",mtu=%u", spec->mtu);
	if (spec->mac_set) {
		ADD(",mac=%02x:%02x:%02x:%02x:%02x:%02x", spec->mac[0], spec->mac[1], spec->mac[2],
		    spec->mac[3], spec->mac[4], spec->mac[5]);
	}
	if (spec->mrg_rxbuf != def.mrg_rxbuf)
		ADD(",mrg-rxbuf=%d", spec->mrg_rxbuf);
	if (spec->event_idx != def.event_idx)
		ADD(",event-idx=%d", spec->event_idx);
	if (spec->role == PB_ROLE_DEVICE && spec->indirect != def.indirect)
		ADD(",indirect=%d", spec->indirect);
	if (spec->role == PB_ROLE_DRIVER && spec->hugetlb != def.hugetlb)
		ADD(",hugetlb=%d", spec->hugetlb);
	if (spec->role == PB_ROLE_DRIVER && spec->packed != def.packed)
		ADD(",packed=%d", spec->packed);
	if (spec->reconnect_ms != def.reconnect_ms)
		ADD(",reconnect-ms=%u", spec->reconnect_ms);
	if (spec->copy != def.copy && (unsigned)spec->copy < PB_ARRAY_SIZE(copy_names))
		ADD(",copy=%s", copy_names[spec->copy]);
	if (spec->lazy != def.lazy)
		ADD(",lazy=%d", spec->lazy);
#undef ADD
	return snprintf(buf, len, "%s:%.*s%s",
			role_names[spec->role == PB_ROLE_DRIVER ? PB_ROLE_DRIVER : PB_ROLE_DEVICE],
			(int)sizeof(spec->path), spec->path, opts);
}

const char *pb_port_spec_key(unsigned i, const char **help)
{
	if (i >= PB_ARRAY_SIZE(keys))
		return NULL;
	if (help)
		*help = keys[i].help;
	return keys[i].name;
}

PB_API const char *pb_port_option(enum pb_port_role role, unsigned i, const char **help)
{
	for (size_t k = 0; k < PB_ARRAY_SIZE(keys); k++) {
		if (!(keys[k].roles & (1u << role)) || i--)
			continue;
		if (help)
			*help = keys[k].help;
		return keys[k].name;
	}
	return NULL;
}
