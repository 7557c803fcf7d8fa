/*
 * reason.c - the wording of every reason: the reconciler only hands over
 * enums, and this is the one place that turns them into words.  The
 * words depend on nothing but the plan, so two runs on the same state
 * give the same reasons.
 */
#include "conf/policy.h"
#include "report/reason.h"
#include "util/util.h"

static void
cause_text(struct buf *b, const struct app_policy *ap, enum rc_cause cause,
    uint32_t arg)
{
	switch (cause) {
	case RC_NOT_IN_GROUPS:
		buf_addstr(b, "not in any group of the app");
		break;
	case RC_EXCLUDED_GROUP:
		buf_printf(b, "excluded by group %s",
		    ap->exclude_groups.v[arg]);
		break;
	case RC_EXCLUDED_USER:
		buf_addstr(b, "excluded by exclude_users");
		break;
	case RC_DISABLED:
		buf_addstr(b, "disabled in the directory");
		break;
	}
}

const char *
report_location(const struct report_ctx *c, const struct rc_change *ch)
{
	if (c->change_location == NULL)
		return NULL;
	return c->change_location(c->change_location_ctx, ch);
}

static void
change_reason(struct buf *b, const struct report_ctx *c,
    const struct rc_change *ch)
{
	const struct app_policy *ap = &c->policy->apps[ch->app];
	const char *loc;

	if (ch->action == RC_ASSIGN) {
		buf_printf(b, "member of %s", ap->groups.v[ch->arg]);
		if ((loc = report_location(c, ch)) != NULL)
			buf_printf(b, "; set usage location %s, then assign",
			    loc);
		return;
	}
	cause_text(b, ap, ch->cause, ch->arg);
	if (ap->remove == REMOVE_ALL)
		buf_addstr(b, "; remove: all");
	else
		buf_addstr(b, "; assigned by licsync (remove: owned)");
}

char *
report_reason(const struct report_ctx *c, const struct rc_change *ch)
{
	struct buf why = { 0 };

	change_reason(&why, c, ch);
	return why.data;
}

/* "2d 3h", "5h 10m", "45m", "30s": the two largest units. */
static void
duration_text(struct buf *b, int64_t s)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	size_t i, shown = 0;

	if (s < 1)
		s = 1;
	for (i = 0; i < 4 && shown < 2; i++) {
		if (s < units[i].secs && shown == 0)
			continue;
		if (s / units[i].secs > 0)
			buf_printf(b, "%s%lld%c", shown > 0 ? " " : "",
			    (long long)(s / units[i].secs), units[i].unit);
		s %= units[i].secs;
		shown++;
	}
}

static void
kept_reason(struct buf *b, const struct report_ctx *c, const struct rc_kept *k)
{
	const struct app_policy *ap = &c->policy->apps[k->app];

	switch (k->reason) {
	case RC_KEEP_PROTECTED:
		if (k->entitled) {
			buf_addstr(b, "protected user; entitled but not "
			    "assigned");
			return;
		}
		buf_addstr(b, "protected user; ");
		break;
	case RC_KEEP_INHERITED:
		buf_printf(b, "inherited from group %s; ",
		    k->group != NULL ? k->group : "?");
		break;
	case RC_KEEP_NOT_OWNED:
	case RC_KEEP_REMOVE_NEVER:
	case RC_KEEP_GRACE:
		break;
	}
	cause_text(b, ap, k->cause, k->arg);
	if (k->reason == RC_KEEP_NOT_OWNED)
		buf_addstr(b, "; not assigned by licsync (remove: owned)");
	else if (k->reason == RC_KEEP_REMOVE_NEVER)
		buf_addstr(b, "; remove: never");
	else if (k->reason == RC_KEEP_GRACE) {
		buf_addstr(b, "; removal due in ");
		duration_text(b, k->due - c->now);
	}
}

char *
report_kept_reason(const struct report_ctx *c, const struct rc_kept *k)
{
	struct buf why = { 0 };

	kept_reason(&why, c, k);
	return why.data;
}

const char *
report_skip_reason(enum rc_skip_reason r)
{
	switch (r) {
	case RC_SKIP_UNKNOWN_USER:
		return "unknown to the backend";
	case RC_SKIP_NO_LOCATION:
		return "no usage location";
	case RC_SKIP_BAD_LOCATION:
		return "no usage location, and the directory's is not an ISO "
		    "3166 code";
	}
	return "?";
}

char *
report_waiting_reason(size_t position, size_t waiting)
{
	return xasprintf("no seat left: number %zu of %zu waiting, in order "
	    "of entitlement", position, waiting);
}

const char *
report_settled_reason(bool entitled, bool holds)
{
	if (entitled)
		return holds ? "holds it, as entitled" : "entitled";
	return holds ? "holds it" : "does not hold it, as not entitled";
}

const char *
report_unknown_reason(void)
{
	return "not a user of the directory or the backend";
}
