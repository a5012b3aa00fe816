/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Pieces of output more than one command prints, and the record of the
 * library's counters of the command's last run (libstats.c). */
#ifndef DMABRIDGE_CLI_REPORT_H
#define DMABRIDGE_CLI_REPORT_H

#include <dmabridge/dmabridge.h>

#include "out.h"
#include "sys.h"

void report_ctrl(struct out *o, const struct sys_ctrl *c);
void report_users(struct out *o, const struct sys_ctrl *c);

/* the library's counters as an object named key */
void report_lib_stats(struct out *o, const char *key, const struct dmab_stats *st);
/* names of the reasons in a result's bit mask, as a list named key */
void report_reasons(struct out *o, const char *key, uint32_t reasons);

/* Keep the counters of this run for `dmabridge stats` (best effort):
 * $XDG_RUNTIME_DIR/dmabridge-last-run, else /tmp/dmabridge-last-run-UID. */
void libstats_save(const char *command, const struct dmab_stats *st);
/* 0 and the command's name and time, or -ENOENT */
int libstats_load(char *command, size_t len, double *when, struct dmab_stats *st);
void libstats_path(char *buf, size_t len);

#endif
