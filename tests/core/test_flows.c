/* The invitation flows end to end through the core and the loopback transport, the limits, and
 * the refusal of every bad input (with nothing changed).  Built a second time with OVER_SIP
 * (test_flows_sip): the same flows between two SIP user agents; the tests that need the
 * loopback's fault injection or presence are the loopback's alone (test_sip_ua has SIP's own). */
#include <string.h>
#include <stdio.h>
#include "harness.h"
#include "core/core_private.h"


static void assert_str(msc_str got, const char *want)
{
    assert_int_equal(got.n, strlen(want));
    assert_memory_equal(got.p, want, got.n);
}

static void assert_data(const ev *e, const char *p, size_t n)
{
    assert_int_equal(e->len, n);
    assert_memory_equal(e->data, p, n);
}

/* ---- the happy path ----------------------------------------------------------------------- */
static void test_invite_accept_connect(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b;
    msc_str v;
    (void)state;

    b = invite(A, a, B, "hello from alice");
    assert_non_null(b);
    assert_int_equal(msc_session_state(a), MSC_SS_INVITATION);
    assert_int_equal(msc_session_flags(a), 1);                 /* SF_INVITER */
    assert_int_equal(last(A, EV_STATE, a)->prev, MSC_SS_READY);

    /* what the invitee sees */
    assert_data(last(B, EV_INVITATION, b), "hello from alice", 16);
    assert_int_equal(msc_session_state(b), MSC_SS_INVITATION);
    assert_int_equal(msc_session_flags(b), 2);                 /* SF_INVITEE */
    assert_int_equal(msc_session_role(b), MSC_ROLE_INVITEE);
    assert_true(msc_session_id(a).n == 38 && !memcmp(msc_session_id(a).p, msc_session_id(b).p, 38));
    assert_int_equal(msc_session_application(b, &v), MSC_S_OK);
    assert_str(v, APP_GUID);
    assert_int_equal(msc_session_application_name(b, &v), MSC_S_OK);
    assert_str(v, "NetMeeting");
    assert_int_equal(msc_session_application_url(b, &v), MSC_S_OK);
    assert_str(v, "http://example.org/netmeeting");
    assert_int_equal(msc_session_user_name(b, &v), MSC_S_OK);
    assert_str(v, ALICE);
    assert_int_equal(msc_session_remote_address(b, &v), MSC_S_OK);
    assert_str(v, "10.0.0.1");
    assert_int_equal(msc_session_context_data(b, &v), MSC_S_OK);    /* the invitation's data */
    assert_str(v, "hello from alice");
    assert_int_equal(msc_session_remote_address(a, &v), MSC_S_FALSE); /* not before the answer */

    clear_log(A);
    assert_int_equal(msc_session_accept(b, S("welcome")), MSC_S_OK);
    assert_int_equal(msc_session_state(b), MSC_SS_ACCEPTED);
    world_pump(W);
    /* inviter: ACCEPTED with OnAccepted, then CONNECTED once the ACK is out; State, read in
     * each handler, shows the state right after the change that event reports */
    assert_int_equal(A->nlog, 3);
    assert_int_equal(A->log[0].kind, EV_STATE);
    assert_int_equal(A->log[0].prev, MSC_SS_INVITATION);
    assert_int_equal(A->log[0].state, MSC_SS_ACCEPTED);
    assert_int_equal(A->log[1].kind, EV_ACCEPTED);
    assert_int_equal(A->log[1].state, MSC_SS_ACCEPTED);
    assert_data(&A->log[1], "welcome", 7);
    assert_int_equal(A->log[2].kind, EV_STATE);
    assert_int_equal(A->log[2].prev, MSC_SS_ACCEPTED);
    assert_int_equal(A->log[2].state, MSC_SS_CONNECTED);
    assert_int_equal(msc_session_state(a), MSC_SS_CONNECTED);
    assert_int_equal(msc_session_state(b), MSC_SS_CONNECTED);
    assert_int_equal(last(B, EV_STATE, b)->prev, MSC_SS_ACCEPTED);
    assert_int_equal(msc_session_remote_address(a, &v), MSC_S_OK);
    assert_str(v, "10.0.0.2");
    assert_int_equal(msc_session_context_data(a, &v), MSC_S_OK);
    assert_str(v, "welcome");

    /* context data both ways */
    assert_int_equal(msc_session_send_context_data(a, S("IP:10.0.0.1;Port:6891")), MSC_S_OK);
    assert_int_equal(msc_session_send_context_data(b, S("IP:10.0.0.2;Port:6892")), MSC_S_OK);
    world_pump(W);
    assert_data(last(B, EV_CONTEXT, b), "IP:10.0.0.1;Port:6891", 21);
    assert_data(last(A, EV_CONTEXT, a), "IP:10.0.0.2;Port:6892", 21);
    assert_int_equal(msc_session_context_data(b, &v), MSC_S_OK);
    assert_str(v, "IP:10.0.0.1;Port:6891");

    /* the inviter ends the connected session: BYE, no OnCancelled on the peer */
    assert_int_equal(msc_session_cancel(a, 0, S("bye")), MSC_S_OK);
    world_pump(W);
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_LOCAL);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_REMOTE);
    assert_data(last(B, EV_TERMINATED, b), "bye", 3);
    assert_int_equal(count(B, EV_CANCELLED, b), 0);
    msc_session_unref(a);
}

static void test_decline(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;

    assert_int_equal(msc_session_decline(b, S("busy, sorry")), MSC_S_OK);
    assert_ended(B, b, MSC_SS_DECLINED, MSC_SR_INVITATION_DECLINED);
    world_pump(W);
    assert_data(last(A, EV_DECLINED, a), "busy, sorry", 11);
    assert_ended(A, a, MSC_SS_DECLINED, MSC_SR_INVITATION_DECLINED);
    assert_data(last(A, EV_TERMINATED, a), "busy, sorry", 11);
    /* OnStateChanged(INVITATION), OnDeclined, OnTermination in that order */
    assert_true(last(A, EV_STATE, a)->seq < last(A, EV_DECLINED, a)->seq);
    assert_true(last(A, EV_DECLINED, a)->seq < last(A, EV_TERMINATED, a)->seq);
    assert_int_equal(last(A, EV_STATE, a)->prev, MSC_SS_INVITATION);
    /* ended sessions refuse everything */
    assert_int_equal(msc_session_accept(b, S("")), MSC_SR_SESSION_STATE_INVALID);
    assert_int_equal(msc_session_decline(b, S("")), MSC_SR_SESSION_STATE_INVALID);
    assert_int_equal(msc_session_cancel(a, 0, S("")), MSC_SR_SESSION_STATE_INVALID);
    assert_int_equal(msc_session_invite(a, S(BOB), S("")), MSC_SR_SESSION_NOT_READY);
    msc_session_unref(a);
}

static void test_cancel_by_inviter(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "x");
    (void)state;

    assert_int_equal(msc_session_cancel(a, MSC_SR_SESSION_CANCELLED_LOCAL, S("changed my mind")), MSC_S_OK);
    assert_ended(A, a, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_LOCAL);
    world_pump(W);
    assert_data(last(B, EV_CANCELLED, b), "changed my mind", 15);
    assert_ended(B, b, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
    assert_int_equal(msc_session_accept(b, S("")), MSC_SR_SESSION_STATE_INVALID);
    msc_session_unref(a);
}

/* Cancel's reason reaches the peer when it is a failure code. */
static void test_cancel_reason_reaches_peer(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    assert_int_equal(msc_session_cancel(a, MSC_SR_APPLICATION_LAUNCH_FAILED, S("")), MSC_S_OK);
    world_pump(W);
    assert_ended(B, b, MSC_SS_CANCELLED, MSC_SR_APPLICATION_LAUNCH_FAILED);
    msc_session_unref(a);
}

#ifndef OVER_SIP
static void test_invitee_cancels_after_accept(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    msc_loopnet_fault_filter(W->net, MSC_VERB_ACK);
    msc_loopnet_delay_next(W->net, 1, 1000);          /* hold the ACK back */
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_state(a), MSC_SS_CONNECTED);
    assert_int_equal(msc_session_state(b), MSC_SS_ACCEPTED);
    assert_int_equal(msc_session_send_context_data(b, S("early")), MSC_S_OK);
    assert_int_equal(msc_session_cancel(b, 0, S("gone")), MSC_S_OK);
    assert_ended(B, b, MSC_SS_CANCELLED, MSC_SR_CANCEL_BEFORE_CONNECT);
    world_advance(W, 2000);                           /* the late ACK is answered with BYE */
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_REMOTE);
    assert_data(last(A, EV_CONTEXT, a), "early", 5);
    msc_loopnet_fault_filter(W->net, MSC_VERB_NONE);
    msc_session_unref(a);
}
#endif

/* ---- limits ------------------------------------------------------------------------------- */
static void fill(char *buf, size_t n, const char *unit)
{
    size_t u = strlen(unit), i;
    for (i = 0; i + u <= n; i += u) memcpy(buf + i, unit, u);
    for (; i < n; i++) buf[i] = 'z';
}

static void test_app_data_512_bytes_utf8(void **state)
{
    char buf[600];
    msc_session *a, *b;
    (void)state;

    /* 513 bytes are refused by every verb, without a change */
    fill(buf, 513, "x");
    a = new_session(A, APP_GUID);
    assert_int_equal(msc_session_invite(a, S(BOB), msc_str_make(buf, 513)), MSC_SR_CONTEXT_DATA_OVER_LIMIT);
    assert_int_equal(msc_session_state(a), MSC_SS_READY);
    assert_int_equal(A->nlog, 0);
    /* 512 pass, even when they are 170 three-byte characters and two more bytes */
    fill(buf, 510, "\xE2\x82\xAC");   /* EURO SIGN */
    buf[510] = 'o';
    buf[511] = 'k';
    assert_int_equal(msc_session_invite(a, S(BOB), msc_str_make(buf, 512)), MSC_S_OK);
    world_pump(W);
    b = B->invited;
    assert_data(last(B, EV_INVITATION, b), buf, 512);
    /* 171 euro signs are 513 bytes: over, although only 171 characters */
    fill(buf, 513, "\xE2\x82\xAC");
    assert_int_equal(msc_session_accept(b, msc_str_make(buf, 513)), MSC_SR_CONTEXT_DATA_OVER_LIMIT);
    assert_int_equal(msc_session_decline(b, msc_str_make(buf, 513)), MSC_SR_CONTEXT_DATA_OVER_LIMIT);
    assert_int_equal(msc_session_cancel(a, 0, msc_str_make(buf, 513)), MSC_SR_CONTEXT_DATA_OVER_LIMIT);
    assert_int_equal(msc_session_state(b), MSC_SS_INVITATION);
    /* 511 bytes with an embedded NUL, CR and LF arrive intact */
    fill(buf, 511, "a\0b\r\n%");
    assert_int_equal(msc_session_accept(b, msc_str_make(buf, 511)), MSC_S_OK);
    world_pump(W);
    assert_data(last(A, EV_ACCEPTED, a), buf, 511);
    /* invalid UTF-8 is not text */
    assert_int_equal(msc_session_send_context_data(a, S("\xC0\xAF")), MSC_E_INVALIDARG);
    msc_session_unref(a);
}

static void test_app_data_invalid_utf8(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    (void)state;
    assert_int_equal(msc_session_invite(a, S(BOB), S("\xED\xA0\x80")), MSC_E_INVALIDARG);   /* surrogate */
    assert_int_equal(msc_session_invite(a, S(BOB), S("\xE2\x82")), MSC_E_INVALIDARG);       /* truncated */
    assert_int_equal(msc_session_state(a), MSC_SS_READY);
    msc_session_unref(a);
}

static void test_context_data_300_characters_5_sends(void **state)
{
    char buf[1300];
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    int i;
    (void)state;

    assert_int_equal(msc_session_send_context_data(a, S("too early")), MSC_SR_SESSION_STATE_INVALID);
    assert_int_equal(msc_session_send_context_data(b, S("too early")), MSC_SR_SESSION_STATE_INVALID);
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    /* 300 three-byte characters (900 bytes) pass; 301 do not */
    fill(buf, 900, "\xE2\x82\xAC");
    assert_int_equal(msc_session_send_context_data(a, msc_str_make(buf, 900)), MSC_S_OK);
    fill(buf, 903, "\xE2\x82\xAC");
    assert_int_equal(msc_session_send_context_data(a, msc_str_make(buf, 903)), MSC_SR_CONTEXT_DATA_OVER_LIMIT);
    /* characters outside the BMP count two, as in a BSTR: 150 pass, 151 do not */
    fill(buf, 600, "\xF0\x9F\x98\x80");
    assert_int_equal(msc_session_send_context_data(a, msc_str_make(buf, 600)), MSC_S_OK);
    fill(buf, 604, "\xF0\x9F\x98\x80");
    assert_int_equal(msc_session_send_context_data(a, msc_str_make(buf, 604)), MSC_SR_CONTEXT_DATA_OVER_LIMIT);
    world_pump(W);
    assert_int_equal(count(B, EV_CONTEXT, b), 2);
    assert_int_equal(last(B, EV_CONTEXT, b)->len, 600);
    /* five sends per session, then no more */
    for (i = 0; i < 3; i++) assert_int_equal(msc_session_send_context_data(a, S("")), MSC_S_OK);
    assert_int_equal(msc_session_send_context_data(a, S("sixth")), MSC_SR_CONTEXT_DATA_OVER_LIMIT);
    assert_int_equal(msc_session_send_context_data(b, S("the peer has its own five")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(count(B, EV_CONTEXT, b), 5);
    msc_session_unref(a);
}

/* ---- properties and refusals -------------------------------------------------------------- */
static void test_new_session_properties(void **state)
{
    msc_session *s = new_session(A, NULL);
    msc_str v;
    size_t i;
    (void)state;

    assert_int_equal(msc_session_state(s), MSC_SS_READY);
    assert_int_equal(msc_session_flags(s), 0);
    assert_true(msc_guid_valid(msc_session_id(s)));
    for (i = 0; i < 38; i++) assert_false(msc_session_id(s).p[i] >= 'a' && msc_session_id(s).p[i] <= 'f');
    assert_int_equal(msc_session_application(s, &v), MSC_SR_APP_NOT_SPECIFIED);
    assert_int_equal(msc_session_application_name(s, &v), MSC_SR_APP_NOT_SPECIFIED);
    assert_int_equal(msc_session_application_url(s, &v), MSC_SR_APP_NOT_SPECIFIED);
    assert_int_equal(msc_session_user_name(s, &v), MSC_SR_NO_USER_INVITED);
    assert_int_equal(msc_session_remote_address(s, &v), MSC_S_FALSE);
    assert_int_equal(msc_session_context_data(s, &v), MSC_S_FALSE);
    assert_int_equal(msc_session_local_address(s, &v), MSC_S_OK);
    assert_str(v, "10.0.0.1");
    /* a GUID in lower case is stored upper case */
    assert_int_equal(msc_session_set_application(s, S("{44bba842-cc51-11cf-aafa-00aa00b6015c}")), MSC_S_OK);
    assert_int_equal(msc_session_application(s, &v), MSC_S_OK);
    assert_str(v, APP_GUID);
    /* the advertised address can be set before Invite and travels to the peer */
    assert_int_equal(msc_session_set_local_address(s, S("192.168.1.5")), MSC_S_OK);
    assert_int_equal(msc_session_local_address(s, &v), MSC_S_OK);
    assert_str(v, "192.168.1.5");
    invite(A, s, B, "");
    assert_int_equal(msc_session_remote_address(B->invited, &v), MSC_S_OK);
    assert_str(v, "192.168.1.5");
    assert_int_equal(msc_session_user_name(s, &v), MSC_S_OK);
    assert_str(v, BOB);
    /* the invitee may advertise its own before accepting */
    assert_int_equal(msc_session_set_local_address(B->invited, S("172.16.0.9")), MSC_S_OK);
    assert_int_equal(msc_session_set_local_address(s, S("1.1.1.1")), MSC_SR_SESSION_STATE_INVALID);
    assert_int_equal(msc_session_accept(B->invited, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_remote_address(s, &v), MSC_S_OK);
    assert_str(v, "172.16.0.9");
    msc_session_unref(s);
}

#ifndef OVER_SIP
typedef struct snap {
    msc_state state;
    int32_t flags;
    char app[40];
    size_t nlog_a, nlog_b, sent;
    msc_hr user_hr, ctx_hr;
} snap;

static snap take(msc_session *s)
{
    snap x;
    msc_str v;
    memset(&x, 0, sizeof(x));
    x.state = msc_session_state(s);
    x.flags = msc_session_flags(s);
    if (msc_session_application(s, &v) == MSC_S_OK) memcpy(x.app, v.p, v.n);
    x.user_hr = msc_session_user_name(s, &v);
    x.ctx_hr = msc_session_context_data(s, &v);
    x.nlog_a = A->nlog;
    x.nlog_b = B->nlog;
    x.sent = world_sent(W);
    return x;
}

#define REFUSED(s, call, code) do { \
    snap before_ = take(s), after_; \
    assert_int_equal((uint32_t)(call), (uint32_t)(code)); \
    after_ = take(s); \
    assert_memory_equal(&before_, &after_, sizeof(snap)); \
} while (0)
#endif

#ifndef OVER_SIP
static void test_bad_input_is_refused_and_changes_nothing(void **state)
{
    char longname[200], longguid[64];
    msc_session *a = new_session(A, NULL), *b;
    msc_str v;
    (void)state;

    memset(longname, 'u', sizeof(longname));
    /* NULL objects and pointers */
    assert_int_equal(msc_session_invite(NULL, S(BOB), S("")), MSC_E_POINTER);
    assert_int_equal(msc_session_application(a, NULL), MSC_E_POINTER);
    assert_int_equal(msc_session_create(A->m, NULL), MSC_E_POINTER);
    assert_int_equal(msc_session_create(NULL, &b), MSC_E_POINTER);
    REFUSED(a, msc_session_invite(a, msc_str_make(NULL, 5), S("")), MSC_E_POINTER);
    REFUSED(a, msc_session_accept(a, msc_str_make(NULL, 5)), MSC_E_POINTER);
    /* application: format, length, registration */
    REFUSED(a, msc_session_set_application(a, S("")), MSC_E_INVALIDARG);
    REFUSED(a, msc_session_set_application(a, S("44BBA842-CC51-11CF-AAFA-00AA00B6015C")), MSC_E_INVALIDARG);
    REFUSED(a, msc_session_set_application(a, S("{44BBA842-CC51-11CF-AAFA-00AA00B6015G}")), MSC_E_INVALIDARG);
    snprintf(longguid, sizeof(longguid), "%s%s", APP_GUID, "XX");
    REFUSED(a, msc_session_set_application(a, S(longguid)), MSC_E_OUTOFMEMORY);
    REFUSED(a, msc_session_set_application(a, S(NOAPP_GUID)), MSC_SR_APP_NOT_REGISTERED);
    /* invite: app first, the user, yourself, presence */
    REFUSED(a, msc_session_invite(a, S(BOB), S("")), MSC_SR_APP_NOT_SPECIFIED);
    assert_int_equal(msc_session_set_application(a, S(APP_GUID)), MSC_S_OK);
    REFUSED(a, msc_session_invite(a, S(""), S("")), MSC_E_INVALIDARG);
    REFUSED(a, msc_session_invite(a, msc_str_make(longname, 130), S("")), MSC_E_INVALIDARG);
    REFUSED(a, msc_session_invite(a, S("\xFF"), S("")), MSC_E_INVALIDARG);
    REFUSED(a, msc_session_invite(a, msc_str_make("bob@example.org\0x", 17), S("")), MSC_E_INVALIDARG);
    REFUSED(a, msc_session_invite(a, S(ALICE), S("")), MSC_SR_INVITED_SELF);
    REFUSED(a, msc_session_invite(a, S("ALICE@Example.ORG"), S("")), MSC_SR_INVITED_SELF);
    REFUSED(a, msc_session_invite(a, S("sip:alice@example.org"), S("")), MSC_SR_INVITED_SELF);
    REFUSED(a, msc_session_invite(a, S("nobody@example.org"), S("")), MSC_MSGR_E_NOT_LOGGED_ON);
    msc_loop_endpoint_set_online(B->ep, 0);
    REFUSED(a, msc_session_invite(a, S(BOB), S("")), MSC_MSGR_E_NOT_LOGGED_ON);
    msc_loop_endpoint_set_online(B->ep, 1);
    /* local address */
    REFUSED(a, msc_session_set_local_address(a, S("0123456789012345678901234567890")), MSC_E_OUTOFMEMORY);
    REFUSED(a, msc_session_set_local_address(a, S("\xC3")), MSC_E_INVALIDARG);
    REFUSED(a, msc_session_set_local_address(a, msc_str_make("10.0.0.1\0", 9)), MSC_E_INVALIDARG);
    /* calls for the other role or state */
    REFUSED(a, msc_session_accept(a, S("")), MSC_SR_SESSION_STATE_INVALID);
    REFUSED(a, msc_session_decline(a, S("")), MSC_SR_SESSION_STATE_INVALID);
    REFUSED(a, msc_session_cancel(a, 0, S("")), MSC_SR_SESSION_STATE_INVALID);
    REFUSED(a, msc_session_send_context_data(a, S("")), MSC_SR_SESSION_STATE_INVALID);
    b = invite(A, a, B, "");
    REFUSED(a, msc_session_invite(a, S(BOB), S("")), MSC_SR_SESSION_NOT_READY);
    REFUSED(a, msc_session_set_application(a, S(APP2_GUID)), MSC_SR_SESSION_NOT_READY);
    REFUSED(a, msc_session_accept(a, S("")), MSC_SR_NOT_INVITEE);
    REFUSED(a, msc_session_decline(a, S("")), MSC_SR_NOT_INVITEE);
    REFUSED(b, msc_session_cancel(b, 0, S("")), MSC_SR_NOT_INVITER);
    REFUSED(b, msc_session_invite(b, S(ALICE), S("")), MSC_SR_SESSION_NOT_READY);
    REFUSED(b, msc_session_set_application(b, S(APP_GUID)), MSC_SR_SESSION_NOT_READY);
    REFUSED(b, msc_session_accept(b, S("\x80")), MSC_E_INVALIDARG);
    assert_int_equal(msc_session_user_name(b, &v), MSC_S_OK);
    msc_session_unref(a);
}
#endif

/* ---- applications ------------------------------------------------------------------------- */
static void test_app_not_installed_at_peer(void **state)
{
    msc_session *a = new_session(A, APP2_GUID);
    const ev *e;
    (void)state;
    B->apps = 1;            /* bob has only APP_GUID */
    assert_null(invite(A, a, B, "want to share a file?"));
    e = last(A, EV_APP_NOT_PRESENT, a);
    assert_string_equal(e->name, "File Transfer");
    assert_string_equal(e->url, "http://example.org/ft");
    assert_ended(A, a, MSC_SS_DECLINED, MSC_MSGR_E_AI_REJECT_NOT_INST);
    assert_true(e->seq < last(A, EV_TERMINATED, a)->seq);
    assert_int_equal(B->nlog, 0);
    assert_int_equal(msc_manager_session_count(B->m), 0);
    msc_session_unref(a);
}

/* Behind the per-user agent, the agent has checked the application already: the engine takes the
 * invitation even for an application it cannot find (a running app may handle it). */
static void test_app_checked_upstream(void **state)
{
    world *w;
    party *x, *y;
    msc_session *a, *b;
    msc_str v;
    (void)state;

    w = world_new(NULL);
    x = world_party(w, ALICE);
    w->cfg.incoming_apps_checked = 1;
    y = world_party(w, BOB);
    y->apps = 1;            /* bob has only APP_GUID */
    a = new_session(x, APP2_GUID);
    assert_non_null(b = invite(x, a, y, "want to share a file?"));
    assert_int_equal(msc_session_state(b), MSC_SS_INVITATION);
    /* bob's copy names the application as the invitation did */
    assert_int_equal(msc_session_application_name(b, &v), MSC_S_OK);
    assert_int_equal(v.n, strlen("File Transfer"));
    assert_int_equal(msc_session_accept(b, MSC_STR_EMPTY), MSC_S_OK);
    world_pump(w);
    assert_int_equal(msc_session_state(a), MSC_SS_CONNECTED);
    msc_session_unref(a);
    world_free(w);
}

/* ---- time --------------------------------------------------------------------------------- */
static void test_lifetime_ends_both_sides(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    world_advance(W, MSC_DEFAULT_LIFETIME_MS - 1);
    assert_int_equal(msc_session_state(a), MSC_SS_INVITATION);
    assert_int_equal(msc_session_state(b), MSC_SS_INVITATION);
    world_advance(W, 1);
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_SR_SESSION_TIMEOUT);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_SESSION_TIMEOUT);
    assert_int_equal(msc_session_accept(b, S("")), MSC_SR_SESSION_STATE_INVALID);
    msc_session_unref(a);
}

/* The lifetime is configurable; the invitee keeps the shorter of the two. */
static void test_lifetime_configurable(void **state)
{
    world *w;
    party *x, *y;
    msc_session *a, *b;
    (void)state;

    w = world_new(NULL);
    w->cfg.lifetime_ms = 60000;
    x = world_party(w, ALICE);
    w->cfg.lifetime_ms = 10000;
    y = world_party(w, BOB);
    a = new_session(x, APP_GUID);
    b = invite(x, a, y, "");
    world_advance(w, 9999);
    assert_int_equal(msc_session_state(a), MSC_SS_INVITATION);
    world_advance(w, 1);
    /* bob's 10 s ran out: he ends it and tells alice, whose own 60 s have not */
    assert_ended(y, b, MSC_SS_TERMINATED, MSC_SR_SESSION_TIMEOUT);
    assert_ended(x, a, MSC_SS_TERMINATED, MSC_SR_SESSION_TIMEOUT);
    msc_session_unref(a);
    world_free(w);
}

#ifndef OVER_SIP
static void test_lost_ack_ends_both_after_answer_wait(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    msc_loopnet_fault_filter(W->net, MSC_VERB_ACK);
    msc_loopnet_drop_next(W->net, 1);
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_state(a), MSC_SS_CONNECTED);
    world_advance(W, MSC_DEFAULT_ANSWER_WAIT_MS - 1);
    assert_int_equal(msc_session_state(b), MSC_SS_ACCEPTED);
    world_advance(W, 1);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_CONNECTION_FAILURE);
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_SR_CONNECTION_FAILURE);
    msc_loopnet_fault_filter(W->net, MSC_VERB_NONE);
    msc_session_unref(a);
}
#endif

/* ---- transport failures ------------------------------------------------------------------- */
#ifndef OVER_SIP
static void test_invite_send_failure(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    msc_str v;
    (void)state;
    msc_loopnet_fail_send_next(W->net, 1, MSC_SR_CONNECTION_FAILURE);
    REFUSED(a, msc_session_invite(a, S(BOB), S("")), MSC_SR_INVITATION_SEND_FAILURE);
    assert_int_equal(msc_session_user_name(a, &v), MSC_SR_NO_USER_INVITED);
    /* the session is untouched and can try again; this time it is lost on the way */
    msc_loopnet_fail_async_next(W->net, 1, MSC_SR_CONNECTION_FAILURE);
    assert_int_equal(msc_session_invite(a, S(BOB), S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(last(A, EV_SEND_ERROR, a)->hr, MSC_SR_INVITATION_SEND_FAILURE);
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_SR_INVITATION_SEND_FAILURE);
    assert_int_equal(B->nlog, 0);
    msc_session_unref(a);
}
#endif

#ifndef OVER_SIP
static void test_peer_gone_before_delivery(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    (void)state;
    assert_int_equal(msc_session_invite(a, S(BOB), S("")), MSC_S_OK);
    msc_loop_endpoint_set_online(B->ep, 0);     /* signed out while the INVITE travelled */
    world_pump(W);
    assert_int_equal(last(A, EV_SEND_ERROR, a)->hr, MSC_SR_INVITATION_SEND_FAILURE);
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_MSGR_E_NOT_LOGGED_ON);
    msc_loop_endpoint_set_online(B->ep, 1);
    msc_session_unref(a);
}
#endif

#ifndef OVER_SIP
static void test_answer_send_failures(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, ""), *a2, *b2;
    (void)state;

    /* Accept that cannot leave: refused, nothing changed, can be retried */
    msc_loopnet_fail_send_next(W->net, 1, MSC_SR_CONNECTION_FAILURE);
    REFUSED(b, msc_session_accept(b, S("")), MSC_SR_ACCEPT_SEND_FAILURE);
    /* Accept lost on the way: the invitee learns it and ends */
    msc_loopnet_fail_async_next(W->net, 1, MSC_SR_CONNECTION_FAILURE);
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(last(B, EV_SEND_ERROR, b)->hr, MSC_SR_ACCEPT_SEND_FAILURE);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_ACCEPT_SEND_FAILURE);

    /* Decline and Cancel stand even when they cannot be sent, and say so first */
    a2 = new_session(A, APP2_GUID);
    b2 = invite(A, a2, B, "");
    msc_loopnet_fail_send_next(W->net, 1, MSC_SR_CONNECTION_FAILURE);
    assert_int_equal(msc_session_decline(b2, S("")), MSC_S_OK);
    assert_int_equal(last(B, EV_SEND_ERROR, b2)->hr, MSC_SR_DECLINE_SEND_FAILURE);
    assert_true(last(B, EV_SEND_ERROR, b2)->seq < last(B, EV_TERMINATED, b2)->seq);
    assert_ended(B, b2, MSC_SS_DECLINED, MSC_SR_INVITATION_DECLINED);
    msc_loopnet_fail_send_next(W->net, 1, MSC_SR_CONNECTION_FAILURE);
    assert_int_equal(msc_session_cancel(a2, 0, S("")), MSC_S_OK);
    assert_int_equal(last(A, EV_SEND_ERROR, a2)->hr, MSC_SR_CANCEL_SEND_FAILURE);
    assert_ended(A, a2, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_LOCAL);
    msc_session_unref(a);
    msc_session_unref(a2);
}
#endif

#ifndef OVER_SIP
static void test_context_send_failures(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    msc_loopnet_fail_send_next(W->net, 1, MSC_SR_CONNECTION_FAILURE);
    assert_int_equal(msc_session_send_context_data(a, S("one")), MSC_S_OK);
    assert_int_equal(last(A, EV_SEND_ERROR, a)->hr, MSC_SR_CONTEXT_DATA_SEND_FAILURE);
    msc_loopnet_fail_async_next(W->net, 1, MSC_SR_CONNECTION_FAILURE);
    assert_int_equal(msc_session_send_context_data(a, S("two")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(count(A, EV_SEND_ERROR, a), 2);
    assert_int_equal(msc_session_state(a), MSC_SS_CONNECTED);    /* the session lives on */
    /* the send that never left does not count, the one lost on the way does: four more */
    assert_int_equal(msc_session_send_context_data(a, S("3")), MSC_S_OK);
    assert_int_equal(msc_session_send_context_data(a, S("4")), MSC_S_OK);
    assert_int_equal(msc_session_send_context_data(a, S("5")), MSC_S_OK);
    assert_int_equal(msc_session_send_context_data(a, S("6")), MSC_S_OK);
    assert_int_equal(msc_session_send_context_data(a, S("7")), MSC_SR_CONTEXT_DATA_OVER_LIMIT);
    msc_session_unref(a);
}
#endif

/* ---- callbacks that call back in ---------------------------------------------------------- */
static void cancel_in_accepted(party *p, const ev *e)
{
    if (e->kind == EV_ACCEPTED) {
        assert_int_equal(msc_session_cancel(e->s, 0, S("no thanks")), MSC_S_OK);
        p->hook = NULL;
    }
}

static void test_cancel_from_inside_on_accepted(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    A->hook = cancel_in_accepted;
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    /* the queued CONNECTED change is reported, then the cancel's end, once */
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_LOCAL);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_REMOTE);
    msc_session_unref(a);
}

static void release_in_invitation(party *p, const ev *e)
{
    if (e->kind == EV_INVITATION) {
        msc_session_unref(p->invited);      /* drop every reference the app holds */
        p->invited = NULL;
    }
}

static void test_release_inside_event(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    (void)state;
    B->hook = release_in_invitation;
    assert_int_equal(msc_session_invite(a, S(BOB), S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(count(B, EV_INVITATION, NULL), 1);
    B->hook = NULL;
    /* the engine still owns the session: it times out normally */
    world_advance(W, MSC_DEFAULT_LIFETIME_MS);
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_SR_SESSION_TIMEOUT);
    assert_int_equal(count(B, EV_TERMINATED, NULL), 1);
    msc_session_unref(a);
}

static void destroy_in_event(party *p, const ev *e)
{
    if (e->kind == EV_ACCEPTED) {
        msc_manager_destroy(p->m);
        party_unbind(p);
        p->m = NULL;
        p->hook = NULL;
    }
}

static void test_destroy_manager_inside_event(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    size_t n;
    (void)state;
    A->hook = destroy_in_event;
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    n = A->nlog;
    /* nothing more reached alice after her manager went; bob was told it ended */
    assert_int_equal(A->log[n - 1].kind, EV_ACCEPTED);
    assert_null(msc_session_manager(a));
    assert_int_equal(msc_session_state(a), MSC_SS_TERMINATED);
    assert_int_equal(msc_session_send_context_data(a, S("")), MSC_SR_SESSION_STATE_INVALID);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_REMOTE);
    A->nlog = 0;               /* alice's half-told session is not checked by world_free */
    msc_session_unref(a);
}

static void test_destroy_tells_peers(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *fresh = new_session(A, NULL), *b = invite(A, a, B, "");
    msc_str v;
    (void)state;
    msc_manager_destroy(A->m);
    party_unbind(A);
    A->m = NULL;
    A->nlog = 0;
    world_pump(W);
    assert_data(last(B, EV_CANCELLED, b), "", 0);
    assert_ended(B, b, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
    /* detached sessions are inert but safe */
    assert_int_equal(msc_session_state(fresh), MSC_SS_TERMINATED);
    assert_int_equal(msc_session_set_application(fresh, S(APP_GUID)), MSC_SR_SESSION_NOT_READY);
    assert_int_equal(msc_session_invite(fresh, S(BOB), S("")), MSC_SR_SESSION_NOT_READY);
    assert_int_equal(msc_session_local_address(fresh, &v), MSC_S_OK);
    assert_int_equal(msc_session_cancel(a, 0, S("")), MSC_SR_SESSION_STATE_INVALID);
    msc_session_unref(fresh);
    msc_session_unref(a);
}

static void test_status_texts(void **state)
{
    (void)state;
    assert_string_equal(msc_status_name(MSC_SR_SESSION_TIMEOUT), "SR_SESSION_TIMEOUT");
    assert_non_null(msc_status_text(MSC_MSGR_E_NOT_LOGGED_ON));
    assert_int_equal((uint32_t)MSC_SR_OLD_SIP_STACK, 0x81000624u);
    assert_int_equal((uint32_t)MSC_MSGR_E_NOT_LOGGED_ON, 0x8100031Eu);
    assert_null(msc_status_text(MSC_HR(0x12345678)));
    assert_null(msc_status_name(MSC_HR(0x80000000)));
}

/* A manager needs a clock and a transport that can send and name its user. */
static void test_manager_create_validates(void **state)
{
    msc_host host = { NULL, NULL, NULL, NULL, NULL };
    msc_transport tp = { NULL, NULL, NULL, NULL, NULL };
    (void)state;
    assert_null(msc_manager_create(NULL, &tp, NULL, NULL));
    assert_null(msc_manager_create(&host, &tp, NULL, NULL));
    assert_null(msc_manager_create(&host, NULL, NULL, NULL));
    msc_manager_destroy(NULL);
    msc_manager_receive(NULL, NULL);
    msc_manager_tick(NULL);
    assert_int_equal(msc_manager_next_deadline(NULL, NULL), 0);
    assert_int_equal(msc_manager_config(A->m)->lifetime_ms, MSC_DEFAULT_LIFETIME_MS);
    assert_int_equal(msc_manager_config(A->m)->answer_wait_ms, MSC_DEFAULT_ANSWER_WAIT_MS);
}

#ifdef OVER_SIP
#define T(f) cmocka_unit_test_setup_teardown(f, two_sip_users_setup, two_users_teardown)
#define LOOPBACK_ONLY(f)
#else
#define T(f) TWO_USERS(f)
#define LOOPBACK_ONLY(f) T(f),
#endif
int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_invite_accept_connect),
        T(test_decline),
        T(test_cancel_by_inviter),
        T(test_cancel_reason_reaches_peer),
        LOOPBACK_ONLY(test_invitee_cancels_after_accept)
        T(test_app_data_512_bytes_utf8),
        T(test_app_data_invalid_utf8),
        T(test_context_data_300_characters_5_sends),
        T(test_new_session_properties),
        LOOPBACK_ONLY(test_bad_input_is_refused_and_changes_nothing)
        T(test_app_not_installed_at_peer),
        T(test_app_checked_upstream),
        T(test_lifetime_ends_both_sides),
        T(test_lifetime_configurable),
        LOOPBACK_ONLY(test_lost_ack_ends_both_after_answer_wait)
        LOOPBACK_ONLY(test_invite_send_failure)
        LOOPBACK_ONLY(test_peer_gone_before_delivery)
        LOOPBACK_ONLY(test_answer_send_failures)
        LOOPBACK_ONLY(test_context_send_failures)
        T(test_cancel_from_inside_on_accepted),
        T(test_release_inside_event),
        T(test_destroy_manager_inside_event),
        T(test_destroy_tells_peers),
        T(test_status_texts),
        T(test_manager_create_validates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
