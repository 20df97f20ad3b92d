/* Tests for the per-user agent: the link frames (src/transport/agent/link.c) and the router
 * (router.c), with a fake network, fake application connections and a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "msgsc/agent.h"

#define SID   "{C4E9035F-CCEB-40F0-8F17-135FB734073B}"
#define SID2  "{0B7E4A53-31D4-4F0B-9C2D-6A3B1C9E8F10}"
#define APP   "{44BBA842-CC51-11CF-AAFA-00AA00B6015C}"
#define OTHER "{11111111-2222-3333-4444-555555555555}"
#define ME    "bob@example.org"
#define TOKEN "0123456789abcdef"

/* ---- the fakes ---------------------------------------------------------------------------------- */
#define MAXREC 64
typedef struct world {
    uint64_t t;
    msc_msg net[MAXREC];                  /* what went to the network */
    size_t nnet;
    struct { msc_conn conn; msc_link_frame f; } link[MAXREC];
    size_t nlink;
    msc_conn closed[8];
    size_t nclosed;
    char launched[8][300];
    size_t nlaunched;
    msc_hr launch_hr;
    uint32_t next_pid;
    uint32_t asked, unasked;
    char asked_peer[200], asked_app[300];
    int registered;                       /* APP is registered */
    msc_router *r;
    msc_router_config cfg;
} world;

static world W;

static uint64_t now_ms(void *ctx) { (void)ctx; return W.t; }

static msc_hr net_send(void *ctx, const msc_msg *m)
{
    (void)ctx;
    assert_true(W.nnet < MAXREC);
    W.net[W.nnet++] = *m;
    return MSC_S_OK;
}
static msc_str net_identity(void *ctx) { (void)ctx; return msc_cstr(ME); }
static msc_str net_address(void *ctx) { (void)ctx; return msc_cstr("192.0.2.7"); }

static msc_hr link_send(void *ctx, msc_conn c, const msc_link_frame *f)
{
    char buf[MSC_LINK_MAX];
    size_t n;
    (void)ctx;
    assert_true(W.nlink < MAXREC);
    /* every frame the router sends must survive the wire */
    assert_true((n = msc_link_encode(f, buf, sizeof(buf))) > 0);
    assert_int_equal(msc_link_decode(buf, n, &W.link[W.nlink].f), MSC_S_OK);
    W.link[W.nlink++].conn = c;
    return MSC_S_OK;
}
static void link_close(void *ctx, msc_conn c) { (void)ctx; W.closed[W.nclosed++] = c; }

static int app_lookup(void *ctx, msc_str guid, msc_app_info *info)
{
    (void)ctx;
    if (!W.registered || guid.n != strlen(APP) || memcmp(guid.p, APP, guid.n)) return 0;
    info->name = msc_cstr("Whiteboard");
    info->url = msc_cstr("http://example.org/wb");
    info->path = msc_cstr("\"C:\\Program Files\\wb.exe\" /session");
    return 1;
}

static msc_hr launch(void *ctx, msc_str path, uint32_t *pid)
{
    (void)ctx;
    memcpy(W.launched[W.nlaunched], path.p, path.n);
    W.launched[W.nlaunched++][path.n] = 0;
    if (W.launch_hr != MSC_S_OK) return W.launch_hr;
    *pid = W.next_pid;
    return MSC_S_OK;
}

static void ask(void *ctx, uint32_t ticket, msc_str peer, msc_str app)
{
    (void)ctx;
    W.asked = ticket;
    snprintf(W.asked_peer, sizeof W.asked_peer, "%.*s", (int)peer.n, peer.p);
    snprintf(W.asked_app, sizeof W.asked_app, "%.*s", (int)app.n, app.p);
}
static void unask(void *ctx, uint32_t ticket) { (void)ctx; W.unasked = ticket; }

static const msc_transport NET = { NULL, net_send, net_identity, net_address, NULL };

static void start(void)
{
    msc_router_host h;
    memset(&h, 0, sizeof h);
    h.now_ms = now_ms;
    h.link_send = link_send;
    h.link_close = link_close;
    h.app_lookup = app_lookup;
    h.launch = launch;
    h.ask = ask;
    h.unask = unask;
    W.cfg.token = msc_cstr(TOKEN);
    assert_non_null(W.r = msc_router_create(&h, &NET, &W.cfg));
}

static int setup(void **state)
{
    (void)state;
    memset(&W, 0, sizeof W);
    W.t = 1000;
    W.next_pid = 4242;
    W.registered = 1;
    W.cfg.prompt = MSC_PROMPT_ACCEPT;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    msc_router_destroy(W.r);
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------------------- */
static void hello(msc_conn c, uint32_t pid, uint32_t ppid)
{
    msc_link_frame f;
    size_t before = W.nlink;
    msc_link_init(&f, MSC_LINK_HELLO);
    f.value = pid;
    f.value2 = ppid;
    strcpy(f.text, TOKEN);
    msc_router_link_open(W.r, c);
    msc_router_link_frame(W.r, c, &f);
    while (before < W.nlink && W.link[before].conn != c) before++;   /* others may hear first */
    assert_true(before < W.nlink);
    assert_int_equal(W.link[before].f.kind, MSC_LINK_WELCOME);
    assert_string_equal(W.link[before].f.text, ME);
    assert_string_equal(W.link[before].f.address, "192.0.2.7");
}

static msc_msg msg_from(msc_verb verb, const char *sid, const char *from)
{
    msc_msg m;
    msc_msg_init(&m, verb, msc_cstr(sid));
    strcpy(m.from, from);
    strcpy(m.to, ME);
    if (verb == MSC_VERB_CANCEL) m.code = MSC_CANCEL_OUTBANDCANCEL;
    if (verb == MSC_VERB_INVITE) {
        strcpy(m.app_guid, APP);
        strcpy(m.app_name, "Whiteboard");
        m.lifetime_s = 300;
    }
    return m;
}

static void from_net(msc_verb verb, const char *sid, const char *from)
{
    msc_msg m = msg_from(verb, sid, from);
    msc_sink k = msc_router_sink(W.r);
    k.receive(k.ctx, &m);
}

static void invite(const char *sid, const char *from) { from_net(MSC_VERB_INVITE, sid, from); }

static void frame(msc_conn c, msc_link_kind kind, const char *sid, int64_t value)
{
    msc_link_frame f;
    msc_link_init(&f, kind);
    strcpy(f.session, sid);
    f.value = value;
    msc_router_link_frame(W.r, c, &f);
}

static void app_sends(msc_conn c, msc_verb verb, const char *sid, const char *to)
{
    msc_link_frame f;
    msc_link_init(&f, MSC_LINK_SEND);
    f.has_msg = 1;
    msc_msg_init(&f.msg, verb, msc_cstr(sid));
    if (verb == MSC_VERB_INVITE) strcpy(f.msg.app_guid, APP);
    strcpy(f.msg.from, "whatever@app");
    strcpy(f.msg.to, to);
    msc_router_link_frame(W.r, c, &f);
}

/* The last frame sent to c (of kind, when kind is not NONE), or NULL. */
static const msc_link_frame *last_to(msc_conn c, msc_link_kind kind)
{
    size_t i;
    for (i = W.nlink; i-- > 0;)
        if (W.link[i].conn == c && (kind == MSC_LINK_NONE || W.link[i].f.kind == kind)) return &W.link[i].f;
    return NULL;
}

static size_t count_to(msc_conn c, msc_link_kind kind)
{
    size_t i, n = 0;
    for (i = 0; i < W.nlink; i++) n += W.link[i].conn == c && W.link[i].f.kind == kind;
    return n;
}

static const msc_msg *last_net(void) { return W.nnet ? &W.net[W.nnet - 1] : NULL; }

static void expect_net_end(msc_verb verb, msc_cancel_code code, msc_hr hr, const char *to)
{
    const msc_msg *m = last_net();
    assert_non_null(m);
    assert_int_equal(m->verb, verb);
    assert_int_equal(m->code, code);
    assert_int_equal(m->hr, hr);
    assert_string_equal(m->from, ME);
    assert_string_equal(m->to, to);
}

/* ---- link frames ------------------------------------------------------------------------------------ */
static void test_link_roundtrip(void **state)
{
    msc_link_frame f, g;
    char buf[MSC_LINK_MAX];
    size_t n;
    (void)state;

    msc_link_init(&f, MSC_LINK_OFFER);
    strcpy(f.session, SID);
    f.value = -2130704895;
    f.value2 = 77;
    f.has_msg = 1;
    f.msg = msg_from(MSC_VERB_INVITE, SID, "alice@example.org");
    memcpy(f.msg.data, "a\0b", 3);
    f.msg.data_len = 3;
    assert_true((n = msc_link_encode(&f, buf, sizeof buf)) > 0);
    assert_int_equal(msc_link_decode(buf, n, &g), MSC_S_OK);
    assert_int_equal(g.kind, MSC_LINK_OFFER);
    assert_string_equal(g.session, SID);
    assert_int_equal(g.value, -2130704895);
    assert_int_equal(g.value2, 77);
    assert_true(g.has_msg);
    assert_string_equal(g.msg.from, "alice@example.org");
    assert_string_equal(g.msg.to, ME);
    assert_string_equal(g.msg.app_guid, APP);
    assert_int_equal(g.msg.data_len, 3);
    assert_memory_equal(g.msg.data, "a\0b", 3);
    /* too small a buffer, a header that would break the framing */
    assert_int_equal(msc_link_encode(&f, buf, 40), 0);
    strcpy(f.text, "two\r\nlines");
    assert_int_equal(msc_link_encode(&f, buf, sizeof buf), 0);
    /* a frame with no message */
    msc_link_init(&f, MSC_LINK_STOP);
    assert_true((n = msc_link_encode(&f, buf, sizeof buf)) > 0);
    assert_int_equal(msc_link_decode(buf, n, &g), MSC_S_OK);
    assert_int_equal(g.kind, MSC_LINK_STOP);
    assert_false(g.has_msg);
}

static void test_link_strict(void **state)
{
    static const char *const bad[] = {
        "",
        "MSGSC/1 NOPE\r\nContent-Length: 0\r\n\r\n",
        "MSGSC/2 STOP\r\nContent-Length: 0\r\n\r\n",
        "MSGSC/1 STOP\r\n\r\n",                                       /* no Content-Length */
        "MSGSC/1 STOP\r\nContent-Length: 1\r\n\r\n",                  /* short */
        "MSGSC/1 STOP\r\nContent-Length: 0\r\n\r\nx",                 /* long */
        "MSGSC/1 STOP\r\nValue: 1\r\nValue: 2\r\nContent-Length: 0\r\n\r\n",
        "MSGSC/1 STOP\r\nValue: 1x\r\nContent-Length: 0\r\n\r\n",
        "MSGSC/1 STOP\r\nColor: red\r\nContent-Length: 0\r\n\r\n",
        "MSGSC/1 STOP\r\nFrom: a@b\r\nContent-Length: 0\r\n\r\n",     /* a name without a message */
        "MSGSC/1 SEND\r\nContent-Length: 5\r\n\r\nhello",             /* not a core message */
        "MSGSC/1 STOP\nContent-Length: 0\n\n",
        "MSGSC/1 STOP\r\nSession:\r\nContent-Length: 0\r\n\r\n",
    };
    msc_link_frame f;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(msc_link_decode(bad[i], strlen(bad[i]), &f), MSC_SR_SESSION_PROTOCOL_ERROR);
    assert_int_equal(msc_link_decode(NULL, 0, &f), MSC_E_POINTER);
}

/* ---- routing -------------------------------------------------------------------------------------- */
static void test_offer_goes_to_each_app_until_one_handles(void **state)
{
    const msc_link_frame *f;
    (void)state;
    start();
    hello(1, 100, 1);
    hello(2, 200, 1);
    invite(SID, "alice@example.org");
    assert_non_null(f = last_to(1, MSC_LINK_OFFER));
    assert_string_equal(f->msg.from, "alice@example.org");
    assert_string_equal(f->msg.app_guid, APP);
    assert_null(last_to(2, MSC_LINK_OFFER));
    frame(1, MSC_LINK_HANDLED, SID, 0);
    assert_non_null(last_to(2, MSC_LINK_OFFER));
    frame(2, MSC_LINK_HANDLED, SID, 1);
    /* the first application's copy ends; the session is the second's */
    assert_non_null(f = last_to(1, MSC_LINK_END));
    assert_string_equal(f->session, SID);
    assert_int_equal(f->value, MSC_SR_SESSION_CANCELLED_LOCAL);
    assert_int_equal(W.nnet, 0);
    from_net(MSC_VERB_CONTEXT, SID, "alice@example.org");
    assert_non_null(f = last_to(2, MSC_LINK_DELIVER));
    assert_int_equal(f->msg.verb, MSC_VERB_CONTEXT);
    app_sends(2, MSC_VERB_ACCEPT, SID, "alice@example.org");
    assert_int_equal(last_net()->verb, MSC_VERB_ACCEPT);
    assert_string_equal(last_net()->from, ME);                /* the agent's identity, always */
    /* the other application cannot speak for it */
    app_sends(1, MSC_VERB_BYE, SID, "alice@example.org");
    assert_int_equal(last_net()->verb, MSC_VERB_ACCEPT);
    assert_int_equal(msc_router_get_stats(W.r).handled, 1);
    assert_int_equal(W.nlaunched, 0);
}

static void test_unregistered_app_is_not_present(void **state)
{
    (void)state;
    W.registered = 0;
    start();
    hello(1, 100, 1);
    invite(SID, "alice@example.org");
    frame(1, MSC_LINK_HANDLED, SID, 0);
    expect_net_end(MSC_VERB_CANCEL, MSC_CANCEL_REJECT_NOT_INSTALLED, MSC_MSGR_E_AI_REJECT_NOT_INST, "alice@example.org");
    assert_int_equal(last_to(1, MSC_LINK_END)->value, MSC_MSGR_E_AI_REJECT_NOT_INST);
    assert_int_equal(W.nlaunched, 0);
    assert_int_equal(W.asked, 0);
    assert_int_equal(msc_router_get_stats(W.r).held, 0);
}

static void test_launch_and_claim(void **state)
{
    const msc_link_frame *f;
    (void)state;
    start();
    invite(SID, "alice@example.org");                   /* nothing runs: launch */
    assert_int_equal(W.nlaunched, 1);
    assert_string_equal(W.launched[0], "\"C:\\Program Files\\wb.exe\" /session");
    assert_int_equal(W.nnet, 0);                         /* the application answers, not the agent */
    hello(7, 999, 1);                                    /* someone else: nothing for it */
    assert_false(last_to(7, MSC_LINK_WELCOME)->has_msg);
    hello(8, 4242, 1);
    assert_non_null(f = last_to(8, MSC_LINK_WELCOME));
    assert_true(f->has_msg);
    assert_string_equal(f->session, SID);
    assert_int_equal(f->msg.verb, MSC_VERB_INVITE);
    assert_string_equal(f->msg.from, "alice@example.org");
    app_sends(8, MSC_VERB_ACCEPT, SID, "alice@example.org");
    assert_int_equal(last_net()->verb, MSC_VERB_ACCEPT);
    from_net(MSC_VERB_ACK, SID, "alice@example.org");
    assert_int_equal(last_to(8, MSC_LINK_DELIVER)->msg.verb, MSC_VERB_ACK);
    assert_int_equal(msc_router_get_stats(W.r).held, 0);
}

static void test_launcher_child_claims(void **state)
{
    (void)state;
    start();
    invite(SID, "alice@example.org");
    hello(9, 5000, 4242);                                /* started by the launched process */
    assert_true(last_to(9, MSC_LINK_WELCOME)->has_msg);
}

static void test_launch_failures(void **state)
{
    (void)state;
    W.launch_hr = MSC_E_FAIL;
    start();
    invite(SID, "alice@example.org");
    expect_net_end(MSC_VERB_CANCEL, MSC_CANCEL_FAIL, MSC_SR_APPLICATION_LAUNCH_FAILED, "alice@example.org");
    /* it started, then ended before it said HELLO */
    W.launch_hr = MSC_S_OK;
    W.nnet = 0;
    invite(SID2, "carol@example.org");
    assert_int_equal(W.nnet, 0);
    msc_router_process_exited(W.r, 4242);
    expect_net_end(MSC_VERB_CANCEL, MSC_CANCEL_FAIL, MSC_SR_APPLICATION_LAUNCH_FAILED, "carol@example.org");
    /* it runs but never connects */
    W.nnet = 0;
    invite("{A0000000-0000-4000-8000-000000000001}", "dave@example.org");
    W.t += 59999;
    msc_router_tick(W.r);
    assert_int_equal(W.nnet, 0);
    W.t += 1;
    msc_router_tick(W.r);
    expect_net_end(MSC_VERB_CANCEL, MSC_CANCEL_FAIL, MSC_SR_APPLICATION_LAUNCH_FAILED, "dave@example.org");
    assert_int_equal(msc_router_get_stats(W.r).launch_failed, 3);
    assert_int_equal(msc_router_get_stats(W.r).held, 0);
}

/* ---- the user's own invitations (START) --------------------------------------------------------- */
static void start_invite(msc_conn c, const char *sid, const char *to, const char *app)
{
    msc_link_frame f;
    msc_link_init(&f, MSC_LINK_START);
    f.has_msg = 1;
    msc_msg_init(&f.msg, MSC_VERB_INVITE, msc_cstr(sid));
    strcpy(f.msg.to, to);
    strcpy(f.msg.app_guid, app);
    memcpy(f.msg.data, "hi", f.msg.data_len = 2);
    msc_router_link_frame(W.r, c, &f);
}

static void expect_result(msc_conn c, const char *sid, msc_hr hr)
{
    const msc_link_frame *f = last_to(c, MSC_LINK_RESULT);
    assert_non_null(f);
    assert_string_equal(f->session, sid);
    assert_int_equal(f->value, hr);
}

static void test_start_launches_the_inviter(void **state)
{
    const msc_link_frame *f;
    (void)state;
    start();
    hello(1, 100, 1);                                    /* the command */
    start_invite(1, SID, "alice@example.org", APP);
    assert_int_equal(W.nlaunched, 1);
    assert_string_equal(W.launched[0], "\"C:\\Program Files\\wb.exe\" /session");
    assert_int_equal(W.nnet, 0);                         /* nothing goes out before the application runs */
    assert_null(last_to(1, MSC_LINK_RESULT));
    /* a command is not an application: no offers (so carol's invitation launches another) */
    W.next_pid = 5555;
    invite(SID2, "carol@example.org");
    assert_null(last_to(1, MSC_LINK_OFFER));
    /* the launched process gets the invitation to send, the command hears it was taken */
    hello(8, 4242, 1);
    assert_non_null(f = last_to(8, MSC_LINK_WELCOME));
    assert_true(f->has_msg);
    assert_int_equal(f->value, 1);
    assert_string_equal(f->msg.to, "alice@example.org");
    assert_string_equal(f->msg.app_guid, APP);
    assert_int_equal(f->msg.data_len, 2);
    expect_result(1, SID, MSC_S_OK);
    assert_int_equal(last_to(1, MSC_LINK_RESULT)->value2, 4242);
    /* its own session then goes out and comes back as usual */
    app_sends(8, MSC_VERB_INVITE, "{A0000000-0000-4000-8000-000000000002}", "alice@example.org");
    assert_int_equal(last_net()->verb, MSC_VERB_INVITE);
    from_net(MSC_VERB_ACCEPT, "{A0000000-0000-4000-8000-000000000002}", "alice@example.org");
    assert_int_equal(last_to(8, MSC_LINK_DELIVER)->msg.verb, MSC_VERB_ACCEPT);
    /* the request's id never names a session */
    from_net(MSC_VERB_CANCEL, SID, "alice@example.org");
    assert_int_equal(count_to(8, MSC_LINK_DELIVER), 1);
}

static void test_start_refusals(void **state)
{
    (void)state;
    start();
    hello(1, 100, 1);
    start_invite(1, SID, "alice@example.org", OTHER);
    expect_result(1, SID, MSC_SR_APP_NOT_REGISTERED);
    start_invite(1, SID, "BOB@example.org", APP);
    expect_result(1, SID, MSC_SR_INVITED_SELF);
    start_invite(1, SID, "", APP);
    expect_result(1, SID, MSC_E_INVALIDARG);
    assert_int_equal(W.nlaunched, 0);
    /* launch failures reach the command, never the network */
    W.launch_hr = MSC_E_FAIL;
    start_invite(1, SID, "alice@example.org", APP);
    expect_result(1, SID, MSC_SR_APPLICATION_LAUNCH_FAILED);
    W.launch_hr = MSC_S_OK;
    start_invite(1, SID2, "alice@example.org", APP);
    start_invite(1, SID2, "alice@example.org", APP);    /* the same request again */
    expect_result(1, SID2, MSC_E_INVALIDARG);
    assert_int_equal(W.nlaunched, 2);                    /* launched once */
    msc_router_process_exited(W.r, 4242);
    expect_result(1, SID2, MSC_SR_APPLICATION_LAUNCH_FAILED);
    start_invite(1, SID, "alice@example.org", APP);
    W.t += 60000;
    msc_router_tick(W.r);
    expect_result(1, SID, MSC_SR_APPLICATION_LAUNCH_FAILED);
    assert_int_equal(W.nnet, 0);
    assert_int_equal(msc_router_get_stats(W.r).held, 0);
    /* a command that leaves does not stop the launch the user asked for */
    start_invite(1, SID2, "alice@example.org", APP);
    msc_router_link_closed(W.r, 1);
    hello(8, 4242, 1);
    assert_int_equal(last_to(8, MSC_LINK_WELCOME)->value, 1);
    assert_int_equal(msc_router_get_stats(W.r).held, 0);
}

static void test_prompt(void **state)
{
    (void)state;
    W.cfg.prompt = MSC_PROMPT_ASK;
    start();
    invite(SID, "alice@example.org");
    assert_int_not_equal(W.asked, 0);
    assert_string_equal(W.asked_peer, "alice@example.org");
    assert_string_equal(W.asked_app, "Whiteboard");
    assert_int_equal(W.nlaunched, 0);
    msc_router_answer(W.r, W.asked + 1, 1);             /* a stale ticket changes nothing */
    assert_int_equal(W.nlaunched, 0);
    msc_router_answer(W.r, W.asked, 0);
    expect_net_end(MSC_VERB_CANCEL, MSC_CANCEL_REJECT, MSC_SR_INVITATION_DECLINED, "alice@example.org");
    assert_int_equal(W.unasked, 0);                      /* answered: nothing to take back */
    /* yes: launched */
    invite(SID2, "carol@example.org");
    msc_router_answer(W.r, W.asked, 1);
    assert_int_equal(W.nlaunched, 1);
    /* the inviter withdraws while the user is being asked: the question goes away */
    invite("{A0000000-0000-4000-8000-000000000001}", "dave@example.org");
    from_net(MSC_VERB_CANCEL, "{A0000000-0000-4000-8000-000000000001}", "dave@example.org");
    assert_int_equal(W.unasked, W.asked);
    msc_router_answer(W.r, W.asked, 1);
    assert_int_equal(W.nlaunched, 1);
}

static void test_unattended_decline(void **state)
{
    (void)state;
    W.cfg.prompt = MSC_PROMPT_DECLINE;
    start();
    invite(SID, "alice@example.org");
    expect_net_end(MSC_VERB_CANCEL, MSC_CANCEL_REJECT, MSC_SR_INVITATION_DECLINED, "alice@example.org");
    assert_int_equal(W.nlaunched, 0);
}

static void test_policy(void **state)
{
    (void)state;
    W.cfg.policy = MSC_POLICY_NOBODY;
    start();
    hello(1, 100, 1);
    invite(SID, "alice@example.org");
    expect_net_end(MSC_VERB_CANCEL, MSC_CANCEL_REJECT, MSC_SR_INVITATION_DECLINED, "alice@example.org");
    assert_int_equal(count_to(1, MSC_LINK_OFFER), 0);   /* nothing shown, nothing launched */
    msc_router_destroy(W.r);

    W.cfg.policy = MSC_POLICY_CONTACTS;
    W.cfg.contacts = msc_cstr(" carol@example.org;ALICE@Example.org , dave@x");
    W.nnet = 0;
    start();
    hello(1, 100, 1);
    invite(SID, "sip:alice@example.org");                /* a listed contact, in any spelling */
    assert_int_equal(count_to(1, MSC_LINK_OFFER), 1);
    assert_int_equal(W.nnet, 0);
    invite(SID2, "mallory@example.org");
    expect_net_end(MSC_VERB_CANCEL, MSC_CANCEL_REJECT, MSC_SR_INVITATION_DECLINED, "mallory@example.org");
    assert_int_equal(count_to(1, MSC_LINK_OFFER), 1);
    assert_int_equal(msc_router_get_stats(W.r).refused_policy, 1);
}

static void test_flood_is_rate_limited_per_peer(void **state)
{
    char sid[64];
    int i, refused = 0;
    (void)state;
    W.registered = 0;                                    /* each ends at once: not installed */
    start();
    for (i = 0; i < 20; i++) {
        snprintf(sid, sizeof sid, "{A0000000-0000-4000-8000-%012d}", i);
        invite(sid, "mallory@example.org");
        refused += last_net()->code == MSC_CANCEL_OUTBANDCANCEL;
    }
    assert_int_equal(refused, 15);                       /* a burst of 5 got through */
    /* someone else is not held back by mallory */
    invite(SID, "alice@example.org");
    assert_int_equal(last_net()->code, MSC_CANCEL_REJECT_NOT_INSTALLED);
    /* and mallory gets one more after the refill time */
    W.t += 3000;
    invite("{B0000000-0000-4000-8000-000000000001}", "mallory@example.org");
    assert_int_equal(last_net()->code, MSC_CANCEL_REJECT_NOT_INSTALLED);
    invite("{B0000000-0000-4000-8000-000000000002}", "mallory@example.org");
    assert_int_equal(last_net()->code, MSC_CANCEL_OUTBANDCANCEL);
    assert_int_equal(msc_router_get_stats(W.r).refused_rate, 16);
}

static void test_held_invitations_are_bounded(void **state)
{
    char sid[64];
    int i;
    (void)state;
    W.cfg.prompt = MSC_PROMPT_ASK;                       /* each waits for the user */
    W.cfg.max_held = 4;
    start();
    for (i = 0; i < 4; i++) {
        snprintf(sid, sizeof sid, "{A0000000-0000-4000-8000-%012d}", i);
        snprintf(W.asked_peer, sizeof W.asked_peer, "p%d@example.org", i);
        invite(sid, W.asked_peer);
    }
    assert_int_equal(W.nnet, 0);
    invite(SID, "alice@example.org");
    expect_net_end(MSC_VERB_CANCEL, MSC_CANCEL_OUTBANDCANCEL, 0, "alice@example.org");
    assert_int_equal(msc_router_get_stats(W.r).held, 4);
}

static void test_before_app_launch_veto_takes_it(void **state)
{
    const msc_link_frame *f;
    (void)state;
    start();
    hello(1, 100, 1);
    hello(2, 200, 1);
    invite(SID, "alice@example.org");
    frame(1, MSC_LINK_HANDLED, SID, 0);
    frame(2, MSC_LINK_HANDLED, SID, 0);
    /* accepted: BeforeAppLaunch at each observer in turn */
    assert_non_null(last_to(1, MSC_LINK_BEFORE_LAUNCH));
    assert_null(last_to(2, MSC_LINK_BEFORE_LAUNCH));
    frame(1, MSC_LINK_LAUNCH_OK, SID, 1);
    assert_non_null(last_to(2, MSC_LINK_BEFORE_LAUNCH));
    frame(2, MSC_LINK_LAUNCH_OK, SID, 0);                /* "I run it myself" */
    assert_non_null(f = last_to(2, MSC_LINK_TAKE));
    assert_string_equal(f->session, SID);
    assert_int_equal(last_to(1, MSC_LINK_END)->value, MSC_SR_SESSION_CANCELLED_LOCAL);
    assert_int_equal(W.nlaunched, 0);
    from_net(MSC_VERB_ACK, SID, "alice@example.org");
    assert_int_equal(last_to(2, MSC_LINK_DELIVER)->msg.verb, MSC_VERB_ACK);
}

static void test_ready_to_launch_then_handed_over(void **state)
{
    (void)state;
    start();
    hello(1, 100, 1);
    invite(SID, "alice@example.org");
    frame(1, MSC_LINK_HANDLED, SID, 0);
    frame(1, MSC_LINK_LAUNCH_OK, SID, 1);
    assert_int_equal(count_to(1, MSC_LINK_READY), 1);
    assert_int_equal(W.nlaunched, 1);
    hello(3, 4242, 1);
    assert_true(last_to(3, MSC_LINK_WELCOME)->has_msg);
    assert_int_equal(last_to(1, MSC_LINK_END)->value, MSC_SR_SESSION_CANCELLED_LOCAL);
}

static void test_observer_answering_takes_it(void **state)
{
    (void)state;
    W.cfg.prompt = MSC_PROMPT_ASK;
    start();
    hello(1, 100, 1);
    invite(SID, "alice@example.org");
    frame(1, MSC_LINK_HANDLED, SID, 0);
    assert_int_not_equal(W.asked, 0);
    app_sends(1, MSC_VERB_ACCEPT, SID, "alice@example.org");   /* Accept on its copy */
    assert_int_equal(last_net()->verb, MSC_VERB_ACCEPT);
    assert_int_equal(W.unasked, W.asked);
    assert_int_equal(msc_router_get_stats(W.r).held, 0);
    from_net(MSC_VERB_ACK, SID, "alice@example.org");
    assert_int_equal(last_to(1, MSC_LINK_DELIVER)->msg.verb, MSC_VERB_ACK);
}

static void test_silent_app_is_skipped(void **state)
{
    (void)state;
    start();
    hello(1, 100, 1);
    invite(SID, "alice@example.org");
    W.t += 4999;
    msc_router_tick(W.r);
    assert_int_equal(W.nlaunched, 0);
    W.t += 1;
    msc_router_tick(W.r);                                /* no answer: not handled */
    assert_non_null(last_to(1, MSC_LINK_BEFORE_LAUNCH));
}

static void test_withdrawn_invitation_reaches_copies(void **state)
{
    (void)state;
    W.cfg.prompt = MSC_PROMPT_ASK;
    start();
    hello(1, 100, 1);
    invite(SID, "alice@example.org");
    frame(1, MSC_LINK_HANDLED, SID, 0);
    from_net(MSC_VERB_CANCEL, SID, "mallory@example.org");   /* not the inviter: ignored */
    assert_int_equal(msc_router_get_stats(W.r).held, 1);
    from_net(MSC_VERB_CANCEL, SID, "alice@example.org");
    assert_int_equal(last_to(1, MSC_LINK_DELIVER)->msg.verb, MSC_VERB_CANCEL);
    assert_int_equal(msc_router_get_stats(W.r).held, 0);
}

static void test_app_death_ends_its_sessions(void **state)
{
    (void)state;
    start();
    hello(1, 100, 1);
    app_sends(1, MSC_VERB_INVITE, SID, "carol@example.org");
    assert_int_equal(last_net()->verb, MSC_VERB_INVITE);
    assert_string_equal(last_net()->from, ME);
    app_sends(1, MSC_VERB_INVITE, SID2, "dave@example.org");
    from_net(MSC_VERB_ACCEPT, SID2, "dave@example.org");
    assert_int_equal(last_to(1, MSC_LINK_DELIVER)->msg.verb, MSC_VERB_ACCEPT);
    W.nnet = 0;
    msc_router_link_closed(W.r, 1);
    assert_int_equal(W.nnet, 2);
    /* still inviting: withdrawn; answered: ended */
    assert_true((W.net[0].verb == MSC_VERB_CANCEL && W.net[1].verb == MSC_VERB_BYE)
                || (W.net[1].verb == MSC_VERB_CANCEL && W.net[0].verb == MSC_VERB_BYE));
    assert_int_equal(W.net[0].hr, MSC_SR_CONNECTION_FAILURE);
    assert_int_equal(W.net[1].hr, MSC_SR_CONNECTION_FAILURE);
    assert_int_equal(msc_router_get_stats(W.r).routes, 0);
    /* late news for those sessions: nobody here knows them, the peer is told */
    from_net(MSC_VERB_CONTEXT, SID2, "dave@example.org");
    expect_net_end(MSC_VERB_BYE, MSC_CANCEL_NONE, MSC_SR_SESSION_CANCELLED_REMOTE, "dave@example.org");
}

static void test_app_death_while_offered(void **state)
{
    (void)state;
    W.registered = 0;
    start();
    hello(1, 100, 1);
    hello(2, 200, 1);
    invite(SID, "alice@example.org");
    msc_router_link_closed(W.r, 1);                      /* dies before it answers */
    assert_non_null(last_to(2, MSC_LINK_OFFER));
    frame(2, MSC_LINK_HANDLED, SID, 0);
    expect_net_end(MSC_VERB_CANCEL, MSC_CANCEL_REJECT_NOT_INSTALLED, MSC_MSGR_E_AI_REJECT_NOT_INST, "alice@example.org");
}

static void test_links_must_say_hello(void **state)
{
    msc_link_frame f;
    (void)state;
    start();
    msc_router_link_open(W.r, 5);
    app_sends(5, MSC_VERB_INVITE, SID, "carol@example.org");
    assert_int_equal(W.nnet, 0);
    assert_int_equal(W.closed[0], 5);
    msc_link_init(&f, MSC_LINK_HELLO);
    strcpy(f.text, "0123456789abcdeX");
    msc_router_link_frame(W.r, 6, &f);
    assert_int_equal(W.closed[1], 6);
    assert_null(last_to(6, MSC_LINK_WELCOME));
    strcpy(f.text, TOKEN "0");
    msc_router_link_frame(W.r, 7, &f);
    assert_int_equal(W.closed[2], 7);
    /* STOP works only after HELLO */
    msc_link_init(&f, MSC_LINK_STOP);
    msc_router_link_frame(W.r, 8, &f);
    assert_false(msc_router_stop_requested(W.r));
    hello(9, 1, 1);
    msc_router_link_frame(W.r, 9, &f);
    assert_true(msc_router_stop_requested(W.r));
}

static void test_shutdown_tells_everyone(void **state)
{
    (void)state;
    W.cfg.prompt = MSC_PROMPT_ASK;
    start();
    hello(1, 100, 1);
    app_sends(1, MSC_VERB_INVITE, SID, "carol@example.org");
    from_net(MSC_VERB_ACCEPT, SID, "carol@example.org");
    invite(SID2, "alice@example.org");
    frame(1, MSC_LINK_HANDLED, SID2, 0);
    W.nnet = 0;
    msc_router_destroy(W.r);
    W.r = NULL;
    assert_int_equal(count_to(1, MSC_LINK_SHUTDOWN), 1);
    assert_int_equal(W.nnet, 2);                         /* the session ends; the held one too */
    assert_int_equal(W.unasked, W.asked);
}

static void test_deadline(void **state)
{
    uint64_t at;
    (void)state;
    W.cfg.prompt = MSC_PROMPT_ASK;
    start();
    assert_false(msc_router_next_deadline(W.r, &at));
    invite(SID, "alice@example.org");
    assert_true(msc_router_next_deadline(W.r, &at));
    assert_int_equal(at, 1000 + 300000);                 /* the invitation's lifetime */
    W.t = at;
    msc_router_tick(W.r);
    assert_int_equal(msc_router_get_stats(W.r).held, 0);
    assert_int_equal(W.unasked, W.asked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_roundtrip),
        cmocka_unit_test(test_link_strict),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_offer_goes_to_each_app_until_one_handles),
        T(test_unregistered_app_is_not_present),
        T(test_launch_and_claim),
        T(test_launcher_child_claims),
        T(test_launch_failures),
        T(test_start_launches_the_inviter),
        T(test_start_refusals),
        T(test_prompt),
        T(test_unattended_decline),
        T(test_policy),
        T(test_flood_is_rate_limited_per_peer),
        T(test_held_invitations_are_bounded),
        T(test_before_app_launch_veto_takes_it),
        T(test_ready_to_launch_then_handed_over),
        T(test_observer_answering_takes_it),
        T(test_silent_app_is_skipped),
        T(test_withdrawn_invitation_reaches_copies),
        T(test_app_death_ends_its_sessions),
        T(test_app_death_while_offered),
        T(test_links_must_say_hello),
        T(test_shutdown_tells_everyone),
        T(test_deadline),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
