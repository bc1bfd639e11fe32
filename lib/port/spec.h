/* SPDX-License-Identifier: MIT */
/*
 * spec.h - parse a port spec string ("vhost:/path,server=1,mtu=9000"; the
 * grammar is in include/patchbay/port.h) into a struct.
 *
 * Security model: the string comes from a user (CLI, config file, API) and
 * may be anything: every key and value is checked, unknown keys and
 * out-of-range values are errors, and the error text names the offending
 * part. Never reads past the terminating NUL, never writes past out/err.
 */
#ifndef PB_PORT_SPEC_H
#define PB_PORT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <patchbay/port.h>

#define PB_SPEC_PATH_MAX 108 /* sizeof(sun_path) */

/* Limits of the numeric keys, shared with the code that uses the values. */
#define PB_SPEC_QUEUE_MIN     16
#define PB_SPEC_QUEUE_MAX     32768
#define PB_SPEC_MTU_MIN	      68
#define PB_SPEC_MTU_MAX	      9000
#define PB_SPEC_RECONNECT_MIN 1
#define PB_SPEC_RECONNECT_MAX 3600000

/* copy=: how tx_burst writes frames into the peer's view (port/tx_copy.h). */
enum pb_copy_mode {
	PB_COPY_AUTO,  /* measure and pick, while running (default) */
	PB_COPY_CACHE, /* ordinary stores */
	PB_COPY_STREAM /* streaming (non-temporal) stores for whole lines */
};

struct pb_port_spec {
	enum pb_port_role role;
	char path[PB_SPEC_PATH_MAX]; /* NUL-terminated, non-empty */
	bool server;
	uint16_t queue_size; /* virtio: power of two 16..32768; default 256 */
	uint16_t mtu;	     /* 68..9000; default 1500 */
	uint8_t mac[6];
	bool mac_set; /* mac= given; else the port picks a random local MAC */
	bool mrg_rxbuf;
	bool event_idx;
	bool indirect;
	bool hugetlb;
	bool packed;		/* virtio: ask for packed rings; default 0 */
	uint32_t reconnect_ms;	/* 1..3600000; default 1000 */
	enum pb_copy_mode copy; /* default PB_COPY_AUTO */
	bool lazy;		/* client: first connect at the first dispatch, not at open */
};

/*
 * Parse @s into @out (fully initialised, defaults applied, even on error).
 * Returns 0, or -EINVAL with a message in @err ("unknown key 'foo'"),
 * -ENAMETOOLONG if the path does not fit a socket address.
 * @err may be NULL or @errlen 0; a long message is truncated, always
 * NUL-terminated. On success @err holds "".
 */
int pb_port_spec_parse(const char *s, struct pb_port_spec *out, char *err, size_t errlen);

/*
 * Write @spec back as a spec string ("virtio:/x.sock,mtu=9000"): the type,
 * the path, then only the options that differ from the type's defaults, so
 * pb_port_spec_parse() of the result gives back the same struct.
 * Returns the length of the full string like snprintf() (the text is
 * truncated, NUL-terminated, when it is >= @len).
 */
int pb_port_spec_format(const struct pb_port_spec *spec, char *buf, size_t len);

/*
 * The option keys, for usage texts: returns the name of key @i and sets
 * *@help to its one-line description, or returns NULL past the last key.
 */
const char *pb_port_spec_key(unsigned i, const char **help);

#endif /* PB_PORT_SPEC_H */
