/* SPDX-License-Identifier: MIT */
/* log.h - the library's logging, routed through the hook set by pb_set_log(). */
#ifndef PB_LOG_H
#define PB_LOG_H

#include <patchbay/patchbay.h>

void pb_log(enum pb_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pb_err(...)  pb_log(PB_LOG_ERR, __VA_ARGS__)
#define pb_warn(...) pb_log(PB_LOG_WARN, __VA_ARGS__)
#define pb_info(...) pb_log(PB_LOG_INFO, __VA_ARGS__)
#define pb_dbg(...)  pb_log(PB_LOG_DEBUG, __VA_ARGS__)

/* Data-path debug: compiled out, but the format is still checked. */
#ifdef PB_DATAPATH_DEBUG
#define pb_dp_dbg(...) pb_log(PB_LOG_DEBUG, __VA_ARGS__)
#else
#define pb_dp_dbg(...)                                                                             \
	do {                                                                                       \
		if (0)                                                                             \
			pb_log(PB_LOG_DEBUG, __VA_ARGS__);                                         \
	} while (0)
#endif

#endif /* PB_LOG_H */
