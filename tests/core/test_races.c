/* The races the engine handles on purpose (docs/design.md "Races"): messages that cross,
 * arrive twice, arrive late or out of order, come from strangers or for unknown sessions, and
 * two users inviting each other at once.  Each ends with world_free()'s check: every session
 * ended exactly once on each side, and nothing is left behind. */
#include <string.h>
#include "harness.h"
#include "core/core_private.h"


static void inject(party *to, const char *from, msc_verb verb, msc_cancel_code code, const char *id)
{
    msc_msg m;
    msc_msg_init(&m, verb, S(id));
    m.code = code;
    MSC_MSG_SET(&m, from, S(from));
    MSC_MSG_SET(&m, to, S(to->name));
    if (verb == MSC_VERB_INVITE) MSC_MSG_SET(&m, app_guid, S(APP_GUID));
    msc_manager_receive(to->m, &m);
}

/* ---- cancel crossing accept: no ghost on either side -------------------------------------- */
static void test_accept_sent_then_cancel(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    assert_int_equal(msc_session_accept(b, S("yes")), MSC_S_OK);        /* ACCEPT on its way */
    assert_int_equal(msc_session_cancel(a, 0, S("no")), MSC_S_OK);      /* CANCEL on its way */
    world_pump(W);
    /* alice's cancel came first for her: her ACCEPT is answered with BYE, no OnAccepted */
    assert_ended(A, a, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_LOCAL);
    assert_int_equal(count(A, EV_ACCEPTED, a), 0);
    /* bob had accepted: the cancel still reaches him as OnCancelled */
    assert_int_equal(count(B, EV_CANCELLED, b), 1);
    assert_ended(B, b, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
    msc_session_unref(a);
}

static void test_cancel_sent_then_accept(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    assert_int_equal(msc_session_cancel(a, 0, S("")), MSC_S_OK);
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);          /* bob has not heard yet */
    world_pump(W);
    assert_ended(A, a, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_LOCAL);
    assert_ended(B, b, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
    msc_session_unref(a);
}

/* The CANCEL is lost and the ACCEPT arrives: the crossing ACCEPT gets BYE, which ends bob. */
static void test_cancel_lost_accept_answered_with_bye(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    msc_loopnet_fault_filter(W->net, MSC_VERB_CANCEL);
    msc_loopnet_drop_next(W->net, 1);
    assert_int_equal(msc_session_cancel(a, 0, S("")), MSC_S_OK);
    msc_loopnet_fault_filter(W->net, MSC_VERB_NONE);
    world_pump(W);
    assert_int_equal(msc_session_state(b), MSC_SS_INVITATION);
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_REMOTE);
    msc_session_unref(a);
}

/* After Cancel the inviter waits a bounded time for the peer's answer: for answer_wait it still
 * answers a crossing ACCEPT (with BYE), then it forgets the session. */
static void test_cancel_waits_a_bounded_time_for_the_answer(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    msc_loopnet_fault_filter(W->net, MSC_VERB_CANCEL);
    msc_loopnet_drop_next(W->net, 1);
    assert_int_equal(msc_session_cancel(a, 0, S("")), MSC_S_OK);
    msc_loopnet_fault_filter(W->net, MSC_VERB_NONE);
    world_advance(W, MSC_DEFAULT_ANSWER_WAIT_MS - 1);
    assert_int_equal(msc_manager_session_count(A->m), 1);
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_REMOTE);
    world_advance(W, 1);
    assert_int_equal(msc_manager_session_count(A->m), 0);
    msc_session_unref(a);
}

/* The inviter's lifetime runs out while the acceptance travels. */
static void test_timeout_crossing_accept(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    world_advance(W, MSC_DEFAULT_LIFETIME_MS - 10);
    msc_loopnet_delay_next(W->net, 1, 20);
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_advance(W, 30);
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_SR_SESSION_TIMEOUT);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_SESSION_TIMEOUT);
    assert_int_equal(count(A, EV_ACCEPTED, a), 0);
    msc_session_unref(a);
}

/* ---- cancel before the invitation has arrived --------------------------------------------- */
static void test_cancel_queued_behind_invite(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    (void)state;
    assert_int_equal(msc_session_invite(a, S(BOB), S("")), MSC_S_OK);
    assert_int_equal(msc_session_cancel(a, 0, S("")), MSC_S_OK);     /* nothing delivered yet */
    world_pump(W);
    assert_ended(A, a, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_LOCAL);
    /* bob sees the invitation and at once its withdrawal */
    assert_int_equal(count(B, EV_INVITATION, NULL), 1);
    assert_ended(B, B->invited, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
    msc_session_unref(a);
}

static void test_cancel_overtakes_invite(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    (void)state;
    msc_loopnet_fault_filter(W->net, MSC_VERB_INVITE);
    msc_loopnet_delay_next(W->net, 1, 500);
    assert_int_equal(msc_session_invite(a, S(BOB), S("")), MSC_S_OK);
    msc_loopnet_fault_filter(W->net, MSC_VERB_NONE);
    assert_int_equal(msc_session_cancel(a, 0, S("")), MSC_S_OK);
    world_advance(W, 1000);
    /* the late INVITE finds the cancel already there: bob is never bothered */
    assert_int_equal(B->nlog, 0);
    assert_ended(A, a, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_LOCAL);
    msc_session_unref(a);
}

/* Invite could not even be sent: there is nothing to cancel. */
static void test_cancel_after_failed_invite(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    (void)state;
    msc_loopnet_fail_send_next(W->net, 1, MSC_SR_CONNECTION_FAILURE);
    assert_int_equal(msc_session_invite(a, S(BOB), S("")), MSC_SR_INVITATION_SEND_FAILURE);
    assert_int_equal(msc_session_cancel(a, 0, S("")), MSC_SR_SESSION_STATE_INVALID);
    assert_int_equal(A->nlog, 0);
    msc_session_unref(a);
}

/* ---- duplicates ----------------------------------------------------------------------------- */
static void test_duplicates_change_nothing(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b;
    (void)state;
    msc_loopnet_duplicate_next(W->net, 1);
    b = invite(A, a, B, "");
    assert_int_equal(count(B, EV_INVITATION, NULL), 1);
    msc_loopnet_duplicate_next(W->net, 2);                 /* the ACCEPT and the ACK */
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(count(A, EV_ACCEPTED, a), 1);
    assert_int_equal(msc_session_state(a), MSC_SS_CONNECTED);
    assert_int_equal(msc_session_state(b), MSC_SS_CONNECTED);
    assert_int_equal(count(B, EV_STATE, b), 2);            /* ACCEPTED, CONNECTED: once each */
    msc_loopnet_duplicate_next(W->net, 1);
    assert_int_equal(msc_session_cancel(a, 0, S("")), MSC_S_OK);
    world_pump(W);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_REMOTE);
    msc_session_unref(a);
}

static void test_duplicate_decline_and_cancel(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, ""), *a2, *b2;
    (void)state;
    msc_loopnet_duplicate_next(W->net, 1);
    assert_int_equal(msc_session_decline(b, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(count(A, EV_DECLINED, a), 1);
    a2 = new_session(A, APP_GUID);
    b2 = invite(A, a2, B, "");
    msc_loopnet_duplicate_next(W->net, 1);
    assert_int_equal(msc_session_cancel(a2, 0, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(count(B, EV_CANCELLED, b2), 1);
    msc_session_unref(a);
    msc_session_unref(a2);
}

/* A copy of the INVITE that arrives after the session ended (while it lingers) does not start
 * it again. */
static void test_late_duplicate_invite_does_not_revive(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    msc_str id = msc_session_id(b);
    char sid[39];
    (void)state;
    memcpy(sid, id.p, 38);
    sid[38] = 0;
    assert_int_equal(msc_session_decline(b, S("")), MSC_S_OK);
    world_pump(W);
    inject(B, ALICE, MSC_VERB_INVITE, MSC_CANCEL_NONE, sid);
    world_advance(W, MSC_DEFAULT_ANSWER_WAIT_MS - 1);
    inject(B, ALICE, MSC_VERB_INVITE, MSC_CANCEL_NONE, sid);
    world_pump(W);
    assert_int_equal(count(B, EV_INVITATION, NULL), 1);
    assert_ended(A, a, MSC_SS_DECLINED, MSC_SR_INVITATION_DECLINED);
    msc_session_unref(a);
}

/* ---- late messages ------------------------------------------------------------------------ */
/* An acceptance so late that the inviter forgot the session is answered with BYE. */
static void test_acceptance_after_inviter_forgot(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    msc_str id = msc_session_id(b);
    char sid[39];
    size_t before;
    (void)state;
    memcpy(sid, id.p, 38);
    sid[38] = 0;
    world_advance(W, MSC_DEFAULT_LIFETIME_MS + MSC_DEFAULT_ANSWER_WAIT_MS + 1);
    assert_int_equal(msc_manager_session_count(A->m), 0);
    before = A->nlog;
    inject(A, BOB, MSC_VERB_ACCEPT, MSC_CANCEL_NONE, sid);    /* a ghost acceptance */
    assert_int_equal(msc_loopnet_pending(W->net), 1);          /* answered with BYE */
    world_pump(W);
    assert_int_equal(msc_manager_session_count(A->m), 0);
    assert_int_equal(A->nlog, before);
    msc_session_unref(a);
}

/* ---- strangers and unknown sessions ------------------------------------------------------- */
static void test_unknown_sessions_never_start(void **state)
{
    const char *id = "{11111111-2222-4333-8444-555555555555}";
    size_t before;
    (void)state;

    inject(B, ALICE, MSC_VERB_BYE, MSC_CANCEL_NONE, id);
    inject(B, ALICE, MSC_VERB_CANCEL, MSC_CANCEL_REJECT, id);   /* remembered as cancelled */
    inject(B, ALICE, MSC_VERB_CONTEXT, MSC_CANCEL_NONE, "{21111111-2222-4333-8444-555555555555}");
    inject(B, ALICE, MSC_VERB_ACK, MSC_CANCEL_NONE, "{31111111-2222-4333-8444-555555555555}");
    inject(B, ALICE, MSC_VERB_INVITE, MSC_CANCEL_NONE, id);     /* too late: already cancelled */
    assert_int_equal(B->nlog, 0);
    /* malformed: a bad ID, no sender, an unknown verb or cancel code */
    before = msc_loopnet_pending(W->net);
    inject(B, ALICE, MSC_VERB_INVITE, MSC_CANCEL_NONE, "{not-a-guid}");
    inject(B, "", MSC_VERB_INVITE, MSC_CANCEL_NONE, "{41111111-2222-4333-8444-555555555555}");
    inject(B, ALICE, (msc_verb)77, MSC_CANCEL_NONE, "{51111111-2222-4333-8444-555555555555}");
    inject(B, BOB, MSC_VERB_INVITE, MSC_CANCEL_NONE, "{61111111-2222-4333-8444-555555555555}"); /* from self */
    assert_int_equal(msc_loopnet_pending(W->net), before);
    assert_int_equal(B->nlog, 0);
    world_pump(W);
    assert_int_equal(A->nlog, 0);
}

/* An invitation that breaks a limit (a transport that does not check) is refused with FAIL. */
static void test_invalid_invite_is_refused(void **state)
{
    msc_msg m;
    (void)state;
    msc_msg_init(&m, MSC_VERB_INVITE, S("{71111111-2222-4333-8444-555555555555}"));
    MSC_MSG_SET(&m, from, S(ALICE));
    MSC_MSG_SET(&m, app_guid, S(APP_GUID));
    m.data_len = MSC_MAX_APP_DATA_BYTES + 1;
    memset(m.data, 'x', m.data_len);
    msc_manager_receive(B->m, &m);
    m.data_len = 1;
    m.data[0] = (char)0xFF;
    msc_manager_receive(B->m, &m);
    m.data_len = 0;
    strcpy(m.app_guid, "{nope}");
    msc_manager_receive(B->m, &m);
    assert_int_equal(B->nlog, 0);
    assert_int_equal(msc_loopnet_pending(W->net), 3);    /* three CANCEL/FAIL answers */
}

static void test_strangers_cannot_speak_for_a_session(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    party *M = world_party(W, "mallory@example.org");
    msc_str id = msc_session_id(b);
    char sid[39];
    (void)state;
    memcpy(sid, id.p, 38);
    sid[38] = 0;
    inject(B, M->name, MSC_VERB_CANCEL, MSC_CANCEL_OUTBANDCANCEL, sid);
    inject(A, M->name, MSC_VERB_ACCEPT, MSC_CANCEL_NONE, sid);
    inject(A, M->name, MSC_VERB_CANCEL, MSC_CANCEL_REJECT, sid);
    world_pump(W);
    assert_int_equal(msc_session_state(a), MSC_SS_INVITATION);
    assert_int_equal(msc_session_state(b), MSC_SS_INVITATION);
    assert_int_equal(M->nlog, 0);
    msc_session_unref(a);
}

/* ---- glare: both invite each other at once ------------------------------------------------ */
static size_t live_invitations(const party *p)
{
    size_t i, n = 0;
    for (i = 0; i < p->nlog; i++)
        if (p->log[i].kind == EV_INVITATION && msc_session_state(p->log[i].s) == MSC_SS_INVITATION) n++;
    return n;
}

static void glare(unsigned seed_a, unsigned seed_b)
{
    msc_session *a, *b, *winner_out, *loser_out;
    party *winner_inviter, *loser_inviter;

    W->rnd = seed_a;
    a = new_session(A, APP_GUID);
    W->rnd = seed_b;
    b = new_session(B, APP_GUID);
    assert_int_equal(msc_session_invite(a, S(BOB), S("from alice")), MSC_S_OK);
    assert_int_equal(msc_session_invite(b, S(ALICE), S("from bob")), MSC_S_OK);
    world_pump(W);

    /* the lower session ID wins, on both sides */
    if (memcmp(msc_session_id(a).p, msc_session_id(b).p, 38) < 0) {
        winner_out = a; loser_out = b; winner_inviter = A; loser_inviter = B;
    } else {
        winner_out = b; loser_out = a; winner_inviter = B; loser_inviter = A;
    }
    assert_int_equal(msc_session_state(winner_out), MSC_SS_INVITATION);
    assert_ended(loser_inviter, loser_out, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
    /* exactly one invitation is offered, the winner's, to the loser's user */
    assert_int_equal(live_invitations(loser_inviter), 1);
    assert_int_equal(live_invitations(winner_inviter), 0);
    assert_int_equal(memcmp(msc_session_id(loser_inviter->invited).p, msc_session_id(winner_out).p, 38), 0);
    assert_int_equal(msc_session_accept(loser_inviter->invited, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_state(winner_out), MSC_SS_CONNECTED);
    msc_session_unref(a);
    msc_session_unref(b);
}

static void test_glare_alice_lower(void **state) { (void)state; glare(1, 999); }
static void test_glare_bob_lower(void **state) { (void)state; glare(999, 1); }

/* Bob already saw alice's invitation when he invites her: alice settles it alone. */
static void test_glare_seen_late(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b_in = invite(A, a, B, ""), *b_out;
    size_t offered_to_alice;
    (void)state;
    b_out = new_session(B, APP_GUID);
    assert_int_equal(msc_session_invite(b_out, S(ALICE), S("")), MSC_S_OK);
    world_pump(W);
    offered_to_alice = count(A, EV_INVITATION, NULL);
    if (memcmp(msc_session_id(a).p, msc_session_id(b_out).p, 38) < 0) {
        /* alice's own stands; bob's crossing one is refused */
        assert_int_equal(offered_to_alice, 0);
        assert_ended(B, b_out, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
        assert_int_equal(msc_session_state(b_in), MSC_SS_INVITATION);
    } else {
        /* bob's wins: alice withdraws hers, which bob had already been offered */
        assert_int_equal(offered_to_alice, 1);
        assert_ended(A, a, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
        assert_ended(B, b_in, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
        assert_int_equal(msc_session_state(b_out), MSC_SS_INVITATION);
    }
    msc_session_unref(a);
    msc_session_unref(b_out);
}

/* Alice has two invitations out to bob when his crosses them, with IDs A1 < B < A2: bob's loses
 * to A1, so no one is shown an invitation that is withdrawn a moment later. */
static int id_less(msc_session *x, msc_session *y) { return memcmp(msc_session_id(x).p, msc_session_id(y).p, 38) < 0; }

static void test_glare_with_two_pending(void **state)
{
    msc_session *a1 = NULL, *a2 = NULL, *b = NULL;
    unsigned seed;
    size_t i;
    (void)state;

    for (seed = 1; seed < 1000; seed++) {
        W->rnd = seed;
        a1 = new_session(A, APP_GUID);
        a2 = new_session(A, APP_GUID);
        b = new_session(B, APP_GUID);
        if (id_less(a1, b) && id_less(b, a2)) break;
        msc_session_unref(a1);
        msc_session_unref(a2);
        msc_session_unref(b);
        a1 = NULL;
    }
    assert_non_null(a1);
    assert_int_equal(msc_session_invite(a1, S(BOB), S("")), MSC_S_OK);
    assert_int_equal(msc_session_invite(a2, S(BOB), S("")), MSC_S_OK);
    assert_int_equal(msc_session_invite(b, S(ALICE), S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_state(a1), MSC_SS_INVITATION);
    assert_int_equal(msc_session_state(a2), MSC_SS_INVITATION);
    assert_ended(B, b, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
    /* no phantom: every invitation shown is still open */
    assert_int_equal(count(A, EV_INVITATION, NULL), 0);
    for (i = 0; i < B->nlog; i++)
        if (B->log[i].kind == EV_INVITATION) assert_int_equal(count(B, EV_CANCELLED, B->log[i].s), 0);
    assert_int_equal(live_invitations(B), 2);
    msc_session_unref(a1);
    msc_session_unref(a2);
    msc_session_unref(b);
}

/* Different applications are no glare: both invitations stand. */
static void test_no_glare_for_different_apps(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = new_session(B, APP2_GUID);
    (void)state;
    assert_int_equal(msc_session_invite(a, S(BOB), S("")), MSC_S_OK);
    assert_int_equal(msc_session_invite(b, S(ALICE), S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_state(a), MSC_SS_INVITATION);
    assert_int_equal(msc_session_state(b), MSC_SS_INVITATION);
    assert_int_equal(live_invitations(A), 1);
    assert_int_equal(live_invitations(B), 1);
    msc_session_unref(a);
    msc_session_unref(b);
}

/* ---- order: a reordered network still converges -------------------------------------------- */
static void test_reordered_accept_and_context(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    /* bob's context data overtakes his ACCEPT: alice is not connected yet and drops it */
    msc_loopnet_reorder_next(W->net, 1);
    assert_int_equal(msc_session_send_context_data(b, S("port 6891")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_state(a), MSC_SS_CONNECTED);
    assert_int_equal(msc_session_state(b), MSC_SS_CONNECTED);
    assert_int_equal(count(A, EV_CONTEXT, a), 0);
    msc_session_unref(a);
}

#define T(f) TWO_USERS(f)
int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_accept_sent_then_cancel),
        T(test_cancel_sent_then_accept),
        T(test_cancel_lost_accept_answered_with_bye),
        T(test_cancel_waits_a_bounded_time_for_the_answer),
        T(test_timeout_crossing_accept),
        T(test_cancel_queued_behind_invite),
        T(test_cancel_overtakes_invite),
        T(test_cancel_after_failed_invite),
        T(test_duplicates_change_nothing),
        T(test_duplicate_decline_and_cancel),
        T(test_late_duplicate_invite_does_not_revive),
        T(test_acceptance_after_inviter_forgot),
        T(test_unknown_sessions_never_start),
        T(test_invalid_invite_is_refused),
        T(test_strangers_cannot_speak_for_a_session),
        T(test_glare_alice_lower),
        T(test_glare_bob_lower),
        T(test_glare_seen_late),
        T(test_glare_with_two_pending),
        T(test_no_glare_for_different_apps),
        T(test_reordered_accept_and_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
