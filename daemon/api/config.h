/* SPDX-License-Identifier: MIT */
/*
 * config.h - --config FILE: a recipe of `patchbay` commands, one per line
 * ('#' comments), run in order at start, as if typed at the shell.
 */
#ifndef PBD_CONFIG_H
#define PBD_CONFIG_H

#include "core/panel.h"

/* Run every line. A line that fails is logged with FILE:LINE and the
 * daemon's answer, and the rest still run. Returns -errno only if the file
 * cannot be read. */
int pbd_config_replay(struct pbd_panel *pn, const char *path);

#endif /* PBD_CONFIG_H */
