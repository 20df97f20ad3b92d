/* Every cell of the (role x state x action) table, against the rules of docs/design.md written
 * a second way: as logic, not as a table.  A mismatch means the table or the design is wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/core_private.h"

#define NONE MSC_ROLE_NONE
#define INVITER MSC_ROLE_INVITER
#define INVITEE MSC_ROLE_INVITEE

static msc_rule allow(msc_state next) { msc_rule r = { MSC_ALLOW, next, 0 }; return r; }
static msc_rule refuse(msc_hr hr) { msc_rule r = { MSC_REFUSE, MSC_SS_UNKNOWN, hr }; return r; }
static msc_rule ignore(void) { msc_rule r = { MSC_IGNORE, MSC_SS_UNKNOWN, 0 }; return r; }
static msc_rule bye(void) { msc_rule r = { MSC_ANSWER_BYE, MSC_SS_UNKNOWN, 0 }; return r; }

static int reachable(msc_state st, msc_role role)
{
    if (st == MSC_SS_UNKNOWN) return 0;
    if (role == NONE) return st == MSC_SS_READY || st == MSC_SS_TERMINATED;   /* fresh, or detached */
    return st != MSC_SS_READY;
}

static int is_local(msc_action a) { return a <= MSC_A_SEND_CONTEXT; }

/* The design, rule by rule (docs/design.md "The state table"). */
static msc_rule expected(msc_state st, msc_role role, msc_action a)
{
    int live = st == MSC_SS_INVITATION || st == MSC_SS_ACCEPTED || st == MSC_SS_CONNECTED;
    int ended = msc_state_is_terminal(st);
    int party = role != NONE;

    switch (a) {
    case MSC_A_SET_APP:
        return role == NONE && st == MSC_SS_READY ? allow(0) : refuse(MSC_SR_SESSION_NOT_READY);
    case MSC_A_SET_ADDRESS:
        return (role == NONE && st == MSC_SS_READY) || (role == INVITEE && st == MSC_SS_INVITATION)
                   ? allow(0) : refuse(MSC_SR_SESSION_STATE_INVALID);
    case MSC_A_INVITE:
        return role == NONE && st == MSC_SS_READY ? allow(MSC_SS_INVITATION) : refuse(MSC_SR_SESSION_NOT_READY);
    case MSC_A_ACCEPT:
    case MSC_A_DECLINE:
        if (role == INVITER) return refuse(MSC_SR_NOT_INVITEE);
        if (role == INVITEE && st == MSC_SS_INVITATION)
            return allow(a == MSC_A_ACCEPT ? MSC_SS_ACCEPTED : MSC_SS_DECLINED);
        return refuse(MSC_SR_SESSION_STATE_INVALID);
    case MSC_A_CANCEL:
        if (role == INVITEE && st == MSC_SS_INVITATION) return refuse(MSC_SR_NOT_INVITER);
        if (party && (st == MSC_SS_INVITATION || st == MSC_SS_ACCEPTED)) return allow(MSC_SS_CANCELLED);
        if (party && st == MSC_SS_CONNECTED) return allow(MSC_SS_TERMINATED);
        return refuse(MSC_SR_SESSION_STATE_INVALID);
    case MSC_A_SEND_CONTEXT:
        return party && (st == MSC_SS_ACCEPTED || st == MSC_SS_CONNECTED) ? allow(0)
                                                                          : refuse(MSC_SR_SESSION_STATE_INVALID);
    case MSC_A_RX_INVITE:
        return ignore();
    case MSC_A_RX_ACCEPT:
        if (role == INVITER && st == MSC_SS_INVITATION) return allow(MSC_SS_ACCEPTED);
        return role == INVITER && ended ? bye() : ignore();
    case MSC_A_RX_ACK:
        if (role == INVITEE && st == MSC_SS_ACCEPTED) return allow(MSC_SS_CONNECTED);
        return role == INVITEE && ended ? bye() : ignore();
    case MSC_A_RX_DECLINE:
    case MSC_A_RX_NOT_INSTALLED:
        return role == INVITER && st == MSC_SS_INVITATION ? allow(MSC_SS_DECLINED) : ignore();
    case MSC_A_RX_CANCEL:
        if (party && (st == MSC_SS_INVITATION || st == MSC_SS_ACCEPTED)) return allow(MSC_SS_CANCELLED);
        return party && st == MSC_SS_CONNECTED ? allow(MSC_SS_TERMINATED) : ignore();
    case MSC_A_RX_TIMEOUT:
        return party && (st == MSC_SS_INVITATION || st == MSC_SS_ACCEPTED) ? allow(MSC_SS_TERMINATED) : ignore();
    case MSC_A_RX_BYE:
        return party && live ? allow(MSC_SS_TERMINATED) : ignore();
    case MSC_A_RX_CONTEXT:
        if (party && (st == MSC_SS_ACCEPTED || st == MSC_SS_CONNECTED)) return allow(0);
        return party && ended ? bye() : ignore();
    case MSC_A_ACK_SENT:
        return role == INVITER && st == MSC_SS_ACCEPTED ? allow(MSC_SS_CONNECTED) : ignore();
    case MSC_A_LIFETIME_EXPIRED:
        return party && st == MSC_SS_INVITATION ? allow(MSC_SS_TERMINATED) : ignore();
    case MSC_A_ANSWER_EXPIRED:
        return role == INVITEE && st == MSC_SS_ACCEPTED ? allow(MSC_SS_TERMINATED) : ignore();
    case MSC_A_FAILURE:
        /* every live session: a transport that lost its way to the peer, or a session taken
         * over elsewhere (msc_session_abandon) */
        return party && live ? allow(MSC_SS_TERMINATED) : ignore();
    default:
        break;
    }
    fail();
    return ignore();
}

static const char *verdict_name(msc_verdict v)
{
    static const char *n[] = { "allow", "refuse", "ignore", "answer-bye" };
    return n[v];
}

static void test_every_reachable_cell(void **state)
{
    unsigned st, role, a, bad = 0, cells = 0;
    (void)state;
    for (role = 0; role < MSC_ROLE_COUNT; role++)
        for (st = 0; st < MSC_STATE_COUNT; st++) {
            if (!reachable((msc_state)st, (msc_role)role)) continue;
            for (a = 0; a < MSC_ACTION_COUNT; a++) {
                msc_rule got = msc_table_lookup((msc_state)st, (msc_role)role, (msc_action)a);
                msc_rule want = expected((msc_state)st, (msc_role)role, (msc_action)a);
                cells++;
                if (got.verdict != want.verdict || got.next != want.next || got.hr != want.hr) {
                    print_error("role %u %-12s %-32s: table %s->%s %08x, design %s->%s %08x\n", role,
                                msc_state_name((msc_state)st), msc_action_name((msc_action)a),
                                verdict_name(got.verdict), msc_state_name(got.next), (unsigned)got.hr,
                                verdict_name(want.verdict), msc_state_name(want.next), (unsigned)want.hr);
                    bad++;
                }
            }
        }
    assert_int_equal(cells, 14 * MSC_ACTION_COUNT);   /* 2 + 6 + 6 (role, state) pairs */
    assert_int_equal(bad, 0);
}

/* Cells no session can reach still fail safe: local calls refused, everything else ignored. */
static void test_unreachable_cells_are_safe(void **state)
{
    unsigned st, role, a;
    (void)state;
    for (role = 0; role < MSC_ROLE_COUNT; role++)
        for (st = 0; st < MSC_STATE_COUNT; st++) {
            if (reachable((msc_state)st, (msc_role)role)) continue;
            for (a = 0; a < MSC_ACTION_COUNT; a++) {
                msc_rule r = msc_table_lookup((msc_state)st, (msc_role)role, (msc_action)a);
                if (is_local((msc_action)a)) {
                    assert_int_equal(r.verdict, MSC_REFUSE);
                    assert_true(MSC_FAILED(r.hr));
                } else {
                    assert_int_equal(r.verdict, MSC_IGNORE);
                }
            }
        }
}

/* Allowed transitions never leave an end state, and only ever move forward. */
static void test_no_transition_leaves_an_end(void **state)
{
    unsigned st, role, a;
    (void)state;
    for (role = 0; role < MSC_ROLE_COUNT; role++)
        for (st = 0; st < MSC_STATE_COUNT; st++)
            for (a = 0; a < MSC_ACTION_COUNT; a++) {
                msc_rule r = msc_table_lookup((msc_state)st, (msc_role)role, (msc_action)a);
                if (r.verdict != MSC_ALLOW) continue;
                assert_false(msc_state_is_terminal((msc_state)st) && r.next != MSC_SS_UNKNOWN);
                assert_true(r.next == MSC_SS_UNKNOWN || r.next > st);
            }
}

static void test_out_of_range_is_ignored(void **state)
{
    msc_rule r;
    (void)state;
    r = msc_table_lookup((msc_state)99, MSC_ROLE_INVITER, MSC_A_ACCEPT);
    assert_int_equal(r.verdict, MSC_IGNORE);
    r = msc_table_lookup(MSC_SS_READY, (msc_role)7, MSC_A_INVITE);
    assert_int_equal(r.verdict, MSC_IGNORE);
    r = msc_table_lookup(MSC_SS_READY, MSC_ROLE_NONE, MSC_ACTION_COUNT);
    assert_int_equal(r.verdict, MSC_IGNORE);
    assert_string_equal(msc_action_name(MSC_ACTION_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_reachable_cell),
        cmocka_unit_test(test_unreachable_cells_are_safe),
        cmocka_unit_test(test_no_transition_leaves_an_end),
        cmocka_unit_test(test_out_of_range_is_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
