/* SPDX-License-Identifier: MIT */
/*
 * log.h - patchbayd's log: one structured line per event (logfmt:
 * `ts=... level=... comp=... msg="..."`) to stderr, or to syslog with
 * --syslog. The library's messages come through the same sink (comp=lib),
 * and the last error it logged on a thread is kept so that a failed call
 * can hand the reason to the client that asked.
 */
#ifndef PBD_LOG_H
#define PBD_LOG_H

#include <stdbool.h>

#include <patchbay/patchbay.h>

void pbd_log_init(bool use_syslog, enum pb_log_level max_level);
void pbd_log(enum pb_log_level level, const char *comp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOGE(comp, ...) pbd_log(PB_LOG_ERR, comp, __VA_ARGS__)
#define LOGW(comp, ...) pbd_log(PB_LOG_WARN, comp, __VA_ARGS__)
#define LOGI(comp, ...) pbd_log(PB_LOG_INFO, comp, __VA_ARGS__)
#define LOGD(comp, ...) pbd_log(PB_LOG_DEBUG, comp, __VA_ARGS__)

#endif /* PBD_LOG_H */
