/*
 * test_status.c - the seats status counts: a run's view filled in by
 * hand, counted as plan leaves it and as apply leaves it once some of its
 * changes succeeded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reconcile/seats.h"
#include "run/run.h"

/*
 * One app, ten seats bought, five consumed.  Holders:
 *   a  direct, assigned by licsync        (unassigned by the plan)
 *   b  direct, not by licsync             (in grace: pending removal)
 *   c  through a group only               (kept: inherited)
 *   d  direct by licsync and a group      (unassigned by the plan)
 *   e  direct, not by licsync             (kept: freeable)
 * The plan also assigns f and g, and h waits for a seat.
 */
struct fixture {
	struct plan_run pr;
	struct policy pol;
	struct app_policy ap;
	struct app_state as;
	struct rc_app_summary sum;
	struct holder_tmp h[5];
	uint32_t owned[2];
	struct rc_kept kept[3];
	struct rc_change changes[4];
	struct change_outcome results[4];
	uint32_t id[8];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct plan_run *pr = &f->pr;
	const char *names = "abcdefgh";
	int i;

	pr->keys = intern_new();
	for (i = 0; i < 8; i++) {
		char k[2] = { names[i], '\0' };

		f->id[i] = intern_add(pr->keys, k);
	}
	f->ap.name = "acme-crm";
	f->pol.apps = &f->ap;
	f->pol.napps = 1;
	pr->base.pol = &f->pol;
	f->as.sku = "6fd2c87f-b296-42f0-b197-1e91e994b900";
	f->as.purchased = 10;
	f->as.consumed = 5;
	f->h[0] = (struct holder_tmp){ f->id[0], true, 0 };
	f->h[1] = (struct holder_tmp){ f->id[1], true, 0 };
	f->h[2] = (struct holder_tmp){ f->id[2], false, 1 };
	f->h[3] = (struct holder_tmp){ f->id[3], true, 1 };
	f->h[4] = (struct holder_tmp){ f->id[4], true, 0 };
	f->as.h = f->h;
	f->as.nh = 5;
	f->owned[0] = f->id[0];
	f->owned[1] = f->id[3];
	f->as.owned = f->owned;
	f->as.nowned = 2;
	pr->apps = &f->as;
	f->sum.entitled = 4;
	f->sum.unfulfilled = 1;
	f->sum.assign = 2;
	f->sum.unassign = 2;
	pr->plan.apps = &f->sum;
	pr->plan.napps = 1;
	f->kept[0] = (struct rc_kept){ .user = f->id[4],
	    .reason = RC_KEEP_NOT_OWNED };
	f->kept[1] = (struct rc_kept){ .user = f->id[1],
	    .reason = RC_KEEP_GRACE, .due = 1000 };
	f->kept[2] = (struct rc_kept){ .user = f->id[2],
	    .reason = RC_KEEP_INHERITED };
	pr->plan.kept = f->kept;
	pr->plan.nkept = 3;
	f->changes[0] = (struct rc_change){ 0, RC_UNASSIGN, f->id[0], 0, 0 };
	f->changes[1] = (struct rc_change){ 0, RC_UNASSIGN, f->id[3], 0, 0 };
	f->changes[2] = (struct rc_change){ 0, RC_ASSIGN, f->id[5], 0, 0 };
	f->changes[3] = (struct rc_change){ 0, RC_ASSIGN, f->id[6], 0, 0 };
	pr->plan.changes = f->changes;
	pr->plan.nchanges = 4;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	intern_free(f->pr.keys);
	free(f);
	return 0;
}

static void
expect(const struct app_status *s, const long want[SEAT_NKINDS])
{
	int k;

	for (k = 0; k < SEAT_NKINDS; k++) {
		if (s->seats[k] != want[k])
			print_error("%s: got %ld, want %ld\n",
			    seat_kind_names[k], s->seats[k], want[k]);
		assert_int_equal(s->seats[k], want[k]);
	}
}

/* As plan leaves it: nothing carried out. */
static void
test_plan(void **state)
{
	struct fixture *f = *state;
	struct app_status st[1];
	static const long want[SEAT_NKINDS] = {
		[SEAT_PURCHASED] = 10, [SEAT_CONSUMED] = 5,
		[SEAT_ENTITLED] = 4, [SEAT_OWNED] = 2, [SEAT_OTHERS] = 3,
		[SEAT_WAITING] = 1, [SEAT_PENDING_REMOVAL] = 1,
		[SEAT_FREEABLE] = 1, [SEAT_TO_ASSIGN] = 2,
		[SEAT_TO_UNASSIGN] = 2,
	};

	run_seats(&f->pr, st);
	assert_string_equal(st[0].app, "acme-crm");
	assert_string_equal(st[0].sku, "6fd2c87f-b296-42f0-b197-1e91e994b900");
	expect(&st[0], want);
	free(st[0].app);
	free(st[0].sku);
}

/*
 * As apply leaves it: a and d unassigned, f assigned, g failed.  d keeps
 * the license through its group, so its seat stays consumed and it moves
 * to the others; a's seat is freed; f takes one.
 */
static void
test_apply(void **state)
{
	struct fixture *f = *state;
	struct app_status st[1];
	static const long want[SEAT_NKINDS] = {
		[SEAT_PURCHASED] = 10, [SEAT_CONSUMED] = 5,
		[SEAT_ENTITLED] = 4, [SEAT_OWNED] = 1, [SEAT_OTHERS] = 4,
		[SEAT_WAITING] = 1, [SEAT_PENDING_REMOVAL] = 1,
		[SEAT_FREEABLE] = 1, [SEAT_TO_ASSIGN] = 1,
		[SEAT_TO_UNASSIGN] = 0,
	};

	f->results[0].result = "ok";
	f->results[1].result = "ok";
	f->results[2].result = "ok";
	f->results[3].result = "failed";
	f->pr.ap.results = f->results;
	run_seats(&f->pr, st);
	expect(&st[0], want);
	free(st[0].app);
	free(st[0].sku);
}

/* Changes whose outcome is not known (pending) are still to do. */
static void
test_pending(void **state)
{
	struct fixture *f = *state;
	struct app_status st[1];

	f->results[2].result = "ok";
	f->pr.ap.results = f->results;
	run_seats(&f->pr, st);
	assert_int_equal(st[0].seats[SEAT_TO_ASSIGN], 1);
	assert_int_equal(st[0].seats[SEAT_TO_UNASSIGN], 2);
	assert_int_equal(st[0].seats[SEAT_OWNED], 3);
	assert_int_equal(st[0].seats[SEAT_CONSUMED], 6);
	free(st[0].app);
	free(st[0].sku);
}

/* Every kind has a distinct name, as the database stores them. */
static void
test_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < SEAT_NKINDS; i++) {
		assert_non_null(seat_kind_names[i]);
		for (j = 0; j < i; j++)
			assert_string_not_equal(seat_kind_names[i],
			    seat_kind_names[j]);
	}
	assert_string_equal(seat_kind_names[SEAT_OTHERS], "held_by_others");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending, setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
