/* The SIP user agent between real core managers on a fake network (harness.c's SIP worlds):
 * what goes on the wire, retransmissions and lost packets, peers that send no msgsc body,
 * malformed input, registration with digest.  The plain flows run over SIP in test_flows_sip. */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include "harness.h"
#include "msgsc/sip.h"

#define U(f) cmocka_unit_test_setup_teardown(f, two_sip_users_setup, two_users_teardown)
#define UT(f) cmocka_unit_test_setup_teardown(f, two_sip_tcp_users_setup, two_users_teardown)

static void assert_data(const ev *e, const char *p, size_t n)
{
    assert_int_equal(e->len, n);
    assert_memory_equal(e->data, p, n);
}

static void test_wire_accept_flow(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b;
    (void)state;
    b = invite(A, a, B, "hello");
    assert_non_null(b);
    assert_true(wire_seen(W, "INVITE sip:bob@example.org SIP/2.0"));
    assert_true(wire_seen(W, "SIP/2.0 100 Trying"));
    assert_true(wire_seen(W, "SIP/2.0 180 Ringing"));
    assert_int_equal(msc_session_accept(b, S("yes")), MSC_S_OK);
    world_pump(W);
    assert_true(wire_seen(W, "SIP/2.0 200 OK"));
    assert_true(wire_seen(W, "ACK sip:bob@10.0.0.2:5060"));      /* to the Contact */
    assert_int_equal(msc_session_state(a), MSC_SS_CONNECTED);
    assert_int_equal(msc_session_state(b), MSC_SS_CONNECTED);
    assert_data(last(A, EV_ACCEPTED, a), "yes", 3);
    wire_clear(W);
    assert_int_equal(msc_session_send_context_data(b, S("ctx")), MSC_S_OK);
    world_pump(W);
    assert_true(wire_seen(W, "INFO sip:alice@10.0.0.1:5060"));
    assert_data(last(A, EV_CONTEXT, a), "ctx", 3);
    assert_int_equal(msc_session_cancel(b, 0, S("bye")), MSC_S_OK);
    world_pump(W);
    assert_true(wire_seen(W, "BYE sip:alice@10.0.0.1:5060"));
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_REMOTE);
    assert_data(last(A, EV_TERMINATED, a), "bye", 3);
    msc_session_unref(a);
}

static void test_wire_decline(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    assert_int_equal(msc_session_decline(b, S("no thanks")), MSC_S_OK);
    world_pump(W);
    assert_true(wire_seen(W, "SIP/2.0 603 Decline"));
    assert_true(wire_seen(W, "ACK sip:bob@example.org SIP/2.0"));     /* the failure's own ACK */
    assert_data(last(A, EV_DECLINED, a), "no thanks", 9);
    assert_ended(A, a, MSC_SS_DECLINED, MSC_SR_INVITATION_DECLINED);
    msc_session_unref(a);
}

static void test_wire_cancel(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    assert_int_equal(msc_session_cancel(a, 0, S("changed my mind")), MSC_S_OK);
    world_pump(W);
    assert_true(wire_seen(W, "CANCEL sip:bob@example.org SIP/2.0"));
    assert_true(wire_seen(W, "SIP/2.0 487 Request Terminated"));
    assert_int_equal(wire_count(W, "SIP/2.0 200 OK"), 1);            /* to the CANCEL */
    assert_data(last(B, EV_CANCELLED, b), "changed my mind", 15);
    assert_ended(B, b, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
    msc_session_unref(a);
}

/* Cancel before any provisional answer: the CANCEL waits for one (RFC 3261 §9.1). */
static void test_cancel_before_provisional(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    (void)state;
    assert_int_equal(msc_session_invite(a, S(BOB), S("")), MSC_S_OK);
    assert_int_equal(msc_session_cancel(a, 0, S("oops")), MSC_S_OK);
    world_pump(W);
    assert_true(wire_seen(W, "CANCEL "));
    assert_int_equal(count(B, EV_INVITATION, NULL), 1);
    assert_ended(B, B->invited, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE);
    assert_data(last(B, EV_CANCELLED, NULL), "oops", 4);
    msc_session_unref(a);
}

/* The 2xx crosses the CANCEL: the ACK carries the cancel, a BYE closes the dialog. */
static void test_cancel_crosses_accept(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);       /* the 200 is on its way */
    assert_int_equal(msc_session_cancel(a, 0, S("too late")), MSC_S_OK);
    world_pump(W);
    assert_true(wire_seen(W, "SIP/2.0 481 "));                      /* the CANCEL found no INVITE */
    assert_true(wire_seen(W, "BYE "));
    assert_int_equal(count(A, EV_ACCEPTED, a), 0);
    assert_int_equal(msc_session_state(b) >= MSC_SS_CANCELLED, 1);
    assert_data(last(B, EV_TERMINATED, b), "too late", 8);
    msc_session_unref(a);
}

static void test_lost_invite_is_retransmitted(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    (void)state;
    sip_drop(W, 2, "INVITE ");
    assert_int_equal(msc_session_invite(a, S(BOB), S("again")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(count(B, EV_INVITATION, NULL), 0);
    world_advance(W, 500);          /* Timer A: T1 */
    assert_int_equal(count(B, EV_INVITATION, NULL), 0);
    world_advance(W, 1000);         /* then 2*T1 */
    assert_int_equal(count(B, EV_INVITATION, NULL), 1);
    assert_true(msc_sip_ua_get_stats(A->ua).retransmissions >= 2);
    assert_int_equal(msc_session_accept(B->invited, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_state(a), MSC_SS_CONNECTED);
    msc_session_unref(a);
}

static void test_lost_2xx_and_ack(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    sip_drop(W, 1, "SIP/2.0 200 OK");
    assert_int_equal(msc_session_accept(b, S("ok")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_state(a), MSC_SS_INVITATION);
    sip_drop(W, 1, "ACK ");
    world_advance(W, 500);          /* the 2xx again; its ACK is lost */
    assert_int_equal(msc_session_state(a), MSC_SS_CONNECTED);
    assert_int_equal(msc_session_state(b), MSC_SS_ACCEPTED);
    world_advance(W, 1000);         /* the 2xx again; the ACK again */
    assert_int_equal(msc_session_state(b), MSC_SS_CONNECTED);
    assert_int_equal(count(A, EV_ACCEPTED, a), 1);
    assert_int_equal(count(B, EV_STATE, b), 2);     /* ACCEPTED, CONNECTED */
    msc_session_unref(a);
}

/* Every packet twice: every event still once. */
static void test_duplicated_packets(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b;
    (void)state;
    sip_dup(W, 1000, "");
    b = invite(A, a, B, "x");
    assert_int_equal(count(B, EV_INVITATION, NULL), 1);
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_send_context_data(a, S("c1")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(count(B, EV_CONTEXT, b), 1);
    assert_int_equal(msc_session_cancel(a, 0, S("")), MSC_S_OK);
    world_pump(W);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_REMOTE);
    assert_int_equal(count(A, EV_ACCEPTED, a), 1);
    sip_dup(W, 0, "");
    msc_session_unref(a);
}

/* TCP: nobody listens at the address, so the invitee is not signed in. */
static void test_unreachable_over_tcp(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    (void)state;
    assert_int_equal(msc_session_invite(a, S("carol@example.org"), S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(last(A, EV_SEND_ERROR, a)->hr, MSC_SR_INVITATION_SEND_FAILURE);
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_MSGR_E_NOT_LOGGED_ON);
    msc_session_unref(a);
}

/* UDP: no answer at all until Timer B (64*T1). */
static void test_unreachable_over_udp(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    (void)state;
    assert_int_equal(msc_session_invite(a, S("carol@example.org"), S("")), MSC_S_OK);
    world_advance(W, 31000);
    assert_int_equal(msc_session_state(a), MSC_SS_INVITATION);
    world_advance(W, 2000);
    assert_int_equal(last(A, EV_SEND_ERROR, a)->hr, MSC_SR_INVITATION_SEND_FAILURE);
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_SR_INVITATION_SEND_FAILURE);
    msc_session_unref(a);
}

/* Someone listens, but not the user asked for: 404, not signed in. */
static void test_wrong_user_at_address(void **state)
{
    msc_session *a = new_session(A, APP_GUID);
    (void)state;
    assert_int_equal(msc_session_invite(a, S("dave@10.0.0.2:5060"), S("")), MSC_S_OK);
    world_pump(W);
    assert_true(wire_seen(W, "SIP/2.0 404 Not Found"));
    assert_ended(A, a, MSC_SS_TERMINATED, MSC_MSGR_E_NOT_LOGGED_ON);
    assert_int_equal(count(B, EV_INVITATION, NULL), 0);
    msc_session_unref(a);
}

/* 512 bytes of app data, multi-byte UTF-8 and a NUL: over 1300 bytes, so the INVITE goes by
 * TCP (RFC 3261 §18.1.1), and arrives exactly. */
static void test_large_invite_goes_over_tcp(void **state)
{
    char data[512];
    size_t i;
    msc_session *a = new_session(A, APP_GUID), *b;
    (void)state;
    for (i = 0; i + 2 <= sizeof(data); i += 2) memcpy(data + i, "\xC3\xA9", 2);
    data[100] = 0;
    data[101] = 'x';
    b = invite(A, a, B, "");
    (void)b;
    msc_session_unref(a);
    a = new_session(A, APP2_GUID);
    assert_int_equal(msc_session_invite(a, S(BOB), msc_str_make(data, sizeof(data))), MSC_S_OK);
    world_pump(W);
    assert_data(last(B, EV_INVITATION, NULL), data, sizeof(data));
    assert_true(W->tcp_packets > 0);
    msc_session_unref(a);
}

static const msc_addr FOREIGN = { 4, 5099, { 192, 0, 2, 7 } };

static sip_pkt *expect(const char *first)
{
    sip_pkt *k = sip_take(W, first);
    if (!k) fail_msg("no packet starting with %s", first);
    return k;
}

/* eve (not msgsc) sends bob a request: method, the method in CSeq, a branch, a To tag (or ""),
 * no body; the answer's first line must start with want. */
static void foreign(const char *method, const char *cseq_method, int n, const char *to_tag, const char *want)
{
    char msg[1024];
    snprintf(msg, sizeof(msg), "%s sip:bob@10.0.0.2:5060 SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 192.0.2.7:5099;branch=z9hG4bK-%d\r\n"
             "From: <sip:eve@192.0.2.7:5099>;tag=e1\r\nTo: <sip:bob@example.org>%s\r\n"
             "Call-ID: c%d@192.0.2.7\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
             method, n, to_tag, n, cseq_method);
    sip_inject(B, MSC_NET_UDP, &FOREIGN, msg);
    free(expect(want));
}

/* A peer that is not msgsc: requests without our body, malformed requests, OPTIONS. */
static void test_foreign_requests(void **state)
{
    (void)state;
    foreign("INVITE", "INVITE", 1, "", "SIP/2.0 415 ");         /* no msgsc body */
    foreign("OPTIONS", "OPTIONS", 2, "", "SIP/2.0 200 OK");
    foreign("OPTIONS", "OPTIONS", 2, "", "SIP/2.0 200 OK");     /* a retransmission: from memory */
    foreign("INVITE", "BYE", 3, "", "SIP/2.0 400 ");            /* CSeq's method is not INVITE */
    sip_inject(B, MSC_NET_UDP, &FOREIGN, "\x16\x03\x01 not SIP at all\r\n\r\n");
    foreign("BYE", "BYE", 4, ";tag=zz", "SIP/2.0 481 ");        /* no such dialog */
    foreign("SUBSCRIBE", "SUBSCRIBE", 5, "", "SIP/2.0 405 ");
    assert_null(W->q);                      /* the garbage got no answer */
    assert_int_equal(B->nlog, 0);
}

/* An invitation from a peer that then never ACKs our 2xx: retransmitted until 64*T1 while the
 * core waits its answer_wait (the same 32 s), then the session ends and the dialog is closed
 * with a BYE carrying the core's goodbye (RFC 3261 §13.3.1.4). */
static void test_2xx_never_acked(void **state)
{
    char body[MSC_BODY_MAX], msg[6000];
    msc_msg m;
    size_t n;
    msc_session *b;
    (void)state;
    msc_msg_init(&m, MSC_VERB_INVITE, S("{11111111-2222-3333-4444-555555555555}"));
    MSC_MSG_SET(&m, app_guid, S(APP_GUID));
    n = msc_body_encode(&m, body, sizeof(body));
    assert_true(n > 0);
    snprintf(msg, sizeof(msg), "INVITE sip:bob@10.0.0.2:5060 SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 192.0.2.7:5099;branch=z9hG4bK-9\r\n"
             "From: <sip:eve@192.0.2.7:5099>;tag=e1\r\nTo: <sip:bob@example.org>\r\n"
             "Call-ID: c9@192.0.2.7\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
             "Contact: <sip:eve@192.0.2.7:5099>\r\nExpires: 60\r\n"
             "Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\nContent-Length: %u\r\n\r\n%.*s",
             (unsigned)n, (int)n, body);
    sip_inject(B, MSC_NET_UDP, &FOREIGN, msg);
    assert_int_equal(count(B, EV_INVITATION, NULL), 1);
    b = B->invited;
    assert_int_equal(msc_session_user_name(b, &(msc_str){0}), MSC_S_OK);
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_advance(W, 31000);
    assert_int_equal(msc_session_state(b), MSC_SS_ACCEPTED);
    world_advance(W, 2000);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_CONNECTION_FAILURE);
    assert_true(msc_sip_ua_get_stats(B->ua).retransmissions >= 5);
    assert_true(wire_seen(W, "BYE sip:eve@192.0.2.7:5099"));
}

/* In-dialog requests go one at a time (RFC 3261 §12.2.2): context data and the BYE behind it
 * arrive in the order sent, whatever the path does. */
static size_t queued(const char *first)
{
    size_t n = 0, m = strlen(first);
    const sip_pkt *k;
    for (k = W->q; k; k = k->next) n += k->len >= m && !memcmp(k->data, first, m);
    return n;
}

static void test_in_dialog_requests_in_order(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_send_context_data(a, S("c1")), MSC_S_OK);
    assert_int_equal(msc_session_send_context_data(a, S("c2")), MSC_S_OK);
    assert_int_equal(msc_session_send_context_data(a, S("c3")), MSC_S_OK);
    assert_int_equal(msc_session_cancel(a, 0, S("end")), MSC_S_OK);
    assert_int_equal(queued("INFO "), 1);
    assert_int_equal(queued("BYE "), 0);
    world_pump(W);
    assert_data(nth(B, EV_CONTEXT, b, 0), "c1", 2);
    assert_data(nth(B, EV_CONTEXT, b, 1), "c2", 2);
    assert_data(nth(B, EV_CONTEXT, b, 2), "c3", 2);
    assert_true(last(B, EV_CONTEXT, b)->seq < last(B, EV_TERMINATED, b)->seq);
    assert_ended(B, b, MSC_SS_TERMINATED, MSC_SR_SESSION_CANCELLED_REMOTE);
    msc_session_unref(a);
}

/* Through a proxy an INFO may overtake the ACK before it (here the ACK is lost outright): the
 * INFO proves the 2xx arrived, so the invitee is connected before the context data is delivered,
 * and stops retransmitting its 2xx. */
static void test_info_overtakes_ack(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    sip_drop(W, 1, "ACK ");
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_state(a), MSC_SS_CONNECTED);
    assert_int_equal(msc_session_state(b), MSC_SS_ACCEPTED);
    assert_int_equal(msc_session_send_context_data(a, S("early")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_state(b), MSC_SS_CONNECTED);
    assert_true(last(B, EV_STATE, b)->seq < last(B, EV_CONTEXT, b)->seq);
    assert_data(last(B, EV_CONTEXT, b), "early", 5);
    wire_clear(W);
    world_advance(W, 40000);
    assert_false(wire_seen(W, "SIP/2.0 200 OK"));    /* no 2xx retransmitted after that */
    assert_int_equal(msc_session_state(b), MSC_SS_CONNECTED);
    msc_session_unref(a);
}

/* A proxy may challenge an in-dialog request (407): it is sent again with credentials, and the
 * requests queued behind it follow once that one is answered. */
static int auth_users_setup(void **state)
{
    (void)state;
    W = world_new_sip(NULL, MSC_NET_UDP);
    W->sipcfg.auth_password = S("secret");
    A = world_party(W, ALICE);
    B = world_party(W, BOB);
    return 0;
}

static void test_challenged_info_keeps_the_queue(void **state)
{
    static msc_sip_msg req, resp;
    msc_sip_error err;
    char wire[MSC_SIP_MAX_MSG];
    size_t n;
    sip_pkt *k;
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    assert_int_equal(msc_session_accept(b, S("")), MSC_S_OK);
    world_pump(W);
    assert_int_equal(msc_session_send_context_data(a, S("c1")), MSC_S_OK);
    assert_int_equal(msc_session_send_context_data(a, S("c2")), MSC_S_OK);
    k = expect("INFO ");
    assert_int_equal(msc_sip_parse(k->data, k->len, MSC_SIP_DATAGRAM, &req, &err), 0);
    assert_int_equal(msc_sip_make_response(&resp, &req, 407, MSC_STR_EMPTY, MSC_STR_EMPTY), 0);
    assert_int_equal(msc_sip_add_z(&resp, "Proxy-Authenticate", "Digest realm=\"example.org\", nonce=\"n1\""), 0);
    n = msc_sip_serialize(&resp, wire, sizeof(wire) - 1);
    assert_true(n > 0);
    wire[n] = 0;
    free(k);
    sip_inject(A, MSC_NET_UDP, &B->addr, wire);
    world_pump(W);
    assert_int_equal(count(B, EV_CONTEXT, b), 2);
    assert_data(nth(B, EV_CONTEXT, b, 0), "c1", 2);
    assert_data(nth(B, EV_CONTEXT, b, 1), "c2", 2);
    msc_session_unref(a);
}

/* A proxy builds its own CANCEL: no body, but the Reason headers kept.  The cancel's code, reason
 * and data still arrive. */
static void test_cancel_through_a_proxy(void **state)
{
    static msc_sip_msg m;
    msc_sip_error err;
    char wire[MSC_SIP_MAX_MSG];
    size_t n;
    sip_pkt *k;
    msc_session *a = new_session(A, APP_GUID), *b = invite(A, a, B, "");
    (void)state;
    assert_non_null(b);
    assert_int_equal(msc_session_cancel(a, MSC_SR_APPLICATION_LAUNCH_FAILED, S("caf\xC3\xA9 \"x\"")), MSC_S_OK);
    k = expect("CANCEL ");
    assert_int_equal(msc_sip_parse(k->data, k->len, MSC_SIP_DATAGRAM, &m, &err), 0);
    assert_int_equal(msc_sip_set_body(&m, MSC_STR_EMPTY), 0);
    m.nheaders--;                                   /* and its Content-Type, the last line */
    assert_int_equal(m.headers[m.nheaders].id, MSC_SIP_H_CONTENT_TYPE);
    m.has_content_type = 0;
    n = msc_sip_serialize(&m, wire, sizeof(wire));
    assert_true(n > 0);
    wire[n] = 0;
    sip_inject(B, MSC_NET_UDP, &A->addr, wire);
    free(k);
    world_pump(W);
    assert_data(last(B, EV_CANCELLED, b), "caf\xC3\xA9 \"x\"", 9);
    assert_ended(B, b, MSC_SS_CANCELLED, MSC_SR_APPLICATION_LAUNCH_FAILED);
    msc_session_unref(a);
}

/* A sign-in name that is not a valid SIP user as it stands ("ann lee"): escaped on the wire,
 * itself again at the other end, and reachable. */
static int escaped_users_setup(void **state)
{
    (void)state;
    W = world_new_sip(NULL, MSC_NET_UDP);
    A = world_party(W, "ann lee@10.0.0.1:5060");
    B = world_party(W, "bob@10.0.0.2:5060");
    return 0;
}

static void test_escaped_sign_in_name(void **state)
{
    msc_session *a = new_session(A, APP_GUID), *b2 = new_session(B, APP_GUID), *b;
    msc_str v;
    (void)state;
    b = invite(A, a, B, "");
    assert_non_null(b);
    assert_true(wire_seen(W, "INVITE sip:bob@10.0.0.2:5060 SIP/2.0"));
    assert_int_equal(msc_session_user_name(b, &v), MSC_S_OK);
    assert_int_equal(v.n, strlen("ann lee@10.0.0.1:5060"));
    assert_memory_equal(v.p, "ann lee@10.0.0.1:5060", v.n);
    assert_non_null(invite(B, b2, A, ""));
    assert_true(wire_seen(W, "INVITE sip:ann%20lee@10.0.0.1:5060 SIP/2.0"));
    msc_session_unref(a);
    msc_session_unref(b2);
}

/* ---- registration ------------------------------------------------------------------------------- */
static const msc_addr REGISTRAR = { 4, 5060, { 10, 0, 0, 100 } };   /* example.org in the harness */

static int registrar_setup(void **state)
{
    (void)state;
    W = world_new_sip(NULL, MSC_NET_UDP);
    W->sipcfg.proxy = S("example.org");
    W->sipcfg.auth_password = S("secret");
    A = world_party(W, ALICE);
    return 0;
}

/* The registrar answers the REGISTER waiting on the wire (a digest challenge for 401); *expires
 * and *authorized say what the request carried. */
static void registrar_answers(int status, long *expires, int *authorized)
{
    static msc_sip_msg req, resp;
    msc_sip_error err;
    char wire[MSC_SIP_MAX_MSG];
    const char *e;
    size_t n;
    sip_pkt *k = sip_take(W, "REGISTER ");

    assert_non_null(k);
    assert_non_null(e = strstr(k->data, "\r\nExpires: "));
    *expires = strtol(e + 11, NULL, 10);
    *authorized = strstr(k->data, "\r\nAuthorization: Digest ") != NULL;
    assert_int_equal(msc_sip_parse(k->data, k->len, MSC_SIP_DATAGRAM, &req, &err), 0);
    assert_int_equal(msc_sip_make_response(&resp, &req, status, MSC_STR_EMPTY, S("reg1")), 0);
    if (status == 401)
        assert_int_equal(msc_sip_add_z(&resp, "WWW-Authenticate", "Digest realm=\"example.org\", nonce=\"n1\""), 0);
    else
        assert_int_equal(msc_sip_add_z(&resp, "Expires", *expires ? "300" : "0"), 0);
    n = msc_sip_serialize(&resp, wire, sizeof(wire) - 1);
    assert_true(n > 0);
    wire[n] = 0;
    free(k);
    sip_inject(A, MSC_NET_UDP, &REGISTRAR, wire);
}

/* Signing out answers the registrar's challenge like registering does: an un-REGISTER without
 * credentials would be refused and leave the binding behind.  Then nothing refreshes it. */
static void test_sign_out_answers_the_challenge(void **state)
{
    long expires;
    int authorized;
    (void)state;
    assert_int_equal(msc_sip_ua_unregister(A->ua), MSC_S_FALSE);         /* not registered yet */
    assert_int_equal(msc_sip_ua_register(A->ua), MSC_S_OK);
    registrar_answers(401, &expires, &authorized);
    assert_int_equal(expires, 3600);
    assert_false(authorized);
    registrar_answers(200, &expires, &authorized);
    assert_true(authorized);
    assert_true(msc_sip_ua_registered(A->ua));

    assert_int_equal(msc_sip_ua_unregister(A->ua), MSC_S_OK);
    assert_true(msc_sip_ua_signing_out(A->ua));
    assert_false(msc_sip_ua_registered(A->ua));
    registrar_answers(401, &expires, &authorized);
    assert_int_equal(expires, 0);
    assert_true(msc_sip_ua_signing_out(A->ua));
    registrar_answers(200, &expires, &authorized);
    assert_int_equal(expires, 0);
    assert_true(authorized);
    assert_false(msc_sip_ua_signing_out(A->ua));
    assert_int_equal(msc_sip_ua_unregister(A->ua), MSC_S_FALSE);         /* once is enough */
    world_advance(W, 3600 * 1000);
    assert_null(sip_take(W, "REGISTER "));                               /* no refresh */
}

/* A registrar that never answers: signing out ends by the transaction's timeout all the same. */
static void test_sign_out_without_an_answer(void **state)
{
    long expires;
    int authorized;
    sip_pkt *k;
    (void)state;
    assert_int_equal(msc_sip_ua_register(A->ua), MSC_S_OK);
    registrar_answers(200, &expires, &authorized);
    assert_int_equal(msc_sip_ua_unregister(A->ua), MSC_S_OK);
    k = sip_take(W, "REGISTER ");
    free(k);
    world_advance(W, 64 * 500 + 1);                                      /* Timer F */
    assert_false(msc_sip_ua_signing_out(A->ua));
    assert_false(msc_sip_ua_registered(A->ua));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        U(test_wire_accept_flow),
        UT(test_wire_accept_flow),
        U(test_wire_decline),
        U(test_wire_cancel),
        UT(test_wire_cancel),
        U(test_cancel_before_provisional),
        U(test_cancel_crosses_accept),
        U(test_lost_invite_is_retransmitted),
        U(test_lost_2xx_and_ack),
        U(test_duplicated_packets),
        UT(test_unreachable_over_tcp),
        U(test_unreachable_over_udp),
        U(test_wrong_user_at_address),
        U(test_large_invite_goes_over_tcp),
        U(test_foreign_requests),
        U(test_2xx_never_acked),
        U(test_cancel_through_a_proxy),
        U(test_in_dialog_requests_in_order),
        U(test_info_overtakes_ack),
        cmocka_unit_test_setup_teardown(test_challenged_info_keeps_the_queue, auth_users_setup, two_users_teardown),
        cmocka_unit_test_setup_teardown(test_escaped_sign_in_name, escaped_users_setup, two_users_teardown),
        cmocka_unit_test_setup_teardown(test_sign_out_answers_the_challenge, registrar_setup, two_users_teardown),
        cmocka_unit_test_setup_teardown(test_sign_out_without_an_answer, registrar_setup, two_users_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
