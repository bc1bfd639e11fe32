/* SPDX-License-Identifier: MIT */
/*
 * bridge_args.h - the command lines of `patchbay bridge` and `patchbay fdb`
 * into their requests (docs/CONTROL.md):
 *   bridge add NAME [KEY=VALUE..]       {"op":"add","name":N,"opts":{..}}
 *   bridge del NAME [--force]           {"op":"del","name":N,"force":true}
 *   bridge attach NAME PORT [KEY=VALUE..] {"op":"attach","name":N,"port":P,"opts":{..}}
 *   bridge detach [NAME] PORT           {"op":"detach","port":P[,"name":N]}
 *   bridge [show [NAME]]                {"op":"show"[,"name":N]}
 *   fdb [show [NAME]]                   {"op":"show"[,"name":N]}
 *   fdb add NAME MAC PORT [vlan=N]      {"op":"add","name":N,"mac":M,"port":P,"opts":{"vlan":V}}
 *   fdb del NAME MAC [vlan=N]           {"op":"del","name":N,"mac":M,"opts":{"vlan":V}}
 * Only the shape is checked here (which words, how many); names, MACs,
 * VLANs and option values are the daemon's to check, for every client.
 */
#ifndef PBCTL_BRIDGE_ARGS_H
#define PBCTL_BRIDGE_ARGS_H

#include <jansson.h>
#include <stddef.h>

struct pbctl_cmd;

int pbctl_build_bridge(const struct pbctl_cmd *c, int argc, char **argv, json_t *args, char *err,
		       size_t errlen);
/*   mirror add NAME KEY=VALUE..         {"op":"add","name":N,"opts":{src,dst,dir,vlan}}
 *   mirror del NAME                     {"op":"del","name":N}
 *   mirror [show]                       {"op":"show"} */
int pbctl_build_mirror(const struct pbctl_cmd *c, int argc, char **argv, json_t *args, char *err,
		       size_t errlen);
int pbctl_build_fdb(const struct pbctl_cmd *c, int argc, char **argv, json_t *args, char *err,
		    size_t errlen);

#endif /* PBCTL_BRIDGE_ARGS_H */
