/* SPDX-License-Identifier: MIT */
/* shell.h - the interactive shell (shell.c). */
#ifndef PBC_SHELL_H
#define PBC_SHELL_H

#include "common/client.h"

/* Read commands until EOF or `quit`. Returns the exit status. */
int pbc_shell(struct pbctl_client *c);

#endif /* PBC_SHELL_H */
