/*
 * reason.h - the wording of every reason licsync gives: why a change is
 * in the plan, why a user is kept, skipped, waiting or left as is.  The
 * reconciler hands over enums; every report (text, JSON, CSV, HTML) and
 * `licsync explain` take their words from here.
 */
#ifndef LICSYNC_REPORT_REASON_H
#define LICSYNC_REPORT_REASON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconcile/reconcile.h"
#include "report/context.h"

/* The usage location change CH sets before assigning, or NULL. */
const char *report_location(const struct report_ctx *c,
    const struct rc_change *ch);

/* Why CHANGE is in the plan, in words; free it. */
char *report_reason(const struct report_ctx *c, const struct rc_change *ch);
/* Why the kept user K is kept, in words; free it. */
char *report_kept_reason(const struct report_ctx *c, const struct rc_kept *k);
/* Why a user was skipped, in words. */
const char *report_skip_reason(enum rc_skip_reason r);
/* Why a user waits: number POSITION (from 1) of WAITING; free it. */
char *report_waiting_reason(size_t position, size_t waiting);
/* Why nothing changes for a user the plan leaves alone: ENTITLED or
 * not, HOLDS the license or not. */
const char *report_settled_reason(bool entitled, bool holds);
/* Why nothing is done for a user neither side knows. */
const char *report_unknown_reason(void);

#endif
