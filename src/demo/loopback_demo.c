/* msgsc-demo: alice and bob invite each other through the msgsc core on a loopback network.
 *
 * Everything runs in one thread on a fake clock: messages travel only when the demo pumps the
 * network, and five minutes pass the moment the demo says so.  Every event either side receives
 * is printed, and so is every message put on the wire.  Each scene checks that it ended the way
 * its title says; the exit code is 0 only when all of them did.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "msgsc/core.h"
#include "msgsc/transport.h"

/* ---- the fake clock ----------------------------------------------------------------------- */
static uint64_t g_now;
static uint64_t clock_now(void *ctx) { (void)ctx; return g_now; }

static const char *clock_text(void)
{
    static char buf[32];
    snprintf(buf, sizeof(buf), "%2u:%02u.%03u", (unsigned)(g_now / 60000), (unsigned)(g_now / 1000 % 60),
             (unsigned)(g_now % 1000));
    return buf;
}

/* ---- the applications each user has installed --------------------------------------------- */
typedef struct app {
    const char *guid, *name, *url;
} app;

static const app NETMEETING = { "{44BBA842-CC51-11CF-AAFA-00AA00B6015C}", "NetMeeting",
                                "http://www.microsoft.com/netmeeting/" };
static const app WHITEBOARD = { "{5A5A5A5A-0DE0-4DE0-8DE0-000000000001}", "Whiteboard (demo app)",
                                "http://example.org/whiteboard/" };

/* ---- one user: a manager on a loopback endpoint, plus what the demo observed ----------------- */
typedef struct user {
    const char *name;        /* short, for the output */
    const char *signin;
    const app *apps[4];
    uint64_t rng;
    msc_loop_endpoint *ep;
    msc_transport wire;      /* the endpoint's transport, with send() wrapped to print messages */
    const msc_transport *inner;
    msc_manager *mgr;
    /* observations, reset by each scene */
    msc_session *incoming;   /* the last OnInvitation's session (referenced) */
    unsigned invitations, accepted, declined, cancelled, terminated, context, app_not_present, send_errors;
    msc_hr term_hr;
    char last_data[MSC_MAX_CONTEXT_BYTES + 1];
} user;

static user alice = { .name = "alice", .signin = "alice@example.org", .apps = { &NETMEETING }, .rng = 0xA11CE };
static user bob = { .name = "bob", .signin = "bob@example.org", .apps = { &NETMEETING, &WHITEBOARD }, .rng = 0xB0B };
static msc_loopnet *g_net;
static unsigned g_failures;

static int guid_eq(const char *a, msc_str b)
{
    size_t i;
    if (strlen(a) != b.n) return 0;
    for (i = 0; i < b.n; i++) {
        char x = a[i], y = b.p[i];
        if (x >= 'a' && x <= 'z') x = (char)(x - 32);
        if (y >= 'a' && y <= 'z') y = (char)(y - 32);
        if (x != y) return 0;
    }
    return 1;
}

static int app_lookup(void *ctx, msc_str guid, msc_app_info *info)
{
    user *u = ctx;
    size_t i;
    for (i = 0; i < sizeof(u->apps) / sizeof(u->apps[0]) && u->apps[i]; i++) {
        if (guid_eq(u->apps[i]->guid, guid)) {
            info->name = msc_cstr(u->apps[i]->name);
            info->url = msc_cstr(u->apps[i]->url);
            info->path = MSC_STR_EMPTY;
            return 1;
        }
    }
    return 0;
}

/* Deterministic session IDs, so every run prints the same story. */
static void demo_random(void *ctx, void *buf, size_t len)
{
    user *u = ctx;
    unsigned char *p = buf;
    while (len--) {
        uint64_t z = (u->rng += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        *p++ = (unsigned char)(z ^ (z >> 31));
    }
}

/* ---- printing ------------------------------------------------------------------------------ */
static const char *hr_text(msc_hr hr)
{
    static char buf[4][64];
    static int slot;
    const char *name = msc_status_name(hr);
    slot = (slot + 1) % 4;
    snprintf(buf[slot], sizeof(buf[slot]), "%s (0x%08X)", name ? name : "?", (unsigned)(uint32_t)hr);
    return buf[slot];
}

/* one line: time, who, what, details */
static void line(const char *who, const char *what, const char *fmt, ...)
{
    va_list ap;
    printf("  %s  %-5s  %-17s ", clock_text(), who, what);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static void note(const char *fmt, ...)
{
    va_list ap;
    printf("  %s  ", clock_text());
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

#define QUOTED(s) (int)(s).n, (s).p

static const char *state_of(const msc_session *s) { return msc_state_name(msc_session_state(s)); }

static void keep_data(user *u, msc_str d)
{
    size_t n = d.n < sizeof(u->last_data) - 1 ? d.n : sizeof(u->last_data) - 1;
    memcpy(u->last_data, d.p, n);
    u->last_data[n] = 0;
}

/* ---- the wire: the loopback transport with a printing send() ------------------------------ */
static const char *verb_text(const msc_msg *m)
{
    static const char *const verbs[MSC_VERB_COUNT] = { "?", "INVITE", "ACCEPT", "ACK", "CANCEL", "BYE", "CONTEXT" };
    static const char *const codes[] = { "", "/REJECT", "/REJECT_NOT_INSTALLED", "/TIMEOUT", "/OUTBANDCANCEL", "/FAIL" };
    static char buf[48];
    snprintf(buf, sizeof(buf), "%s%s", (unsigned)m->verb < MSC_VERB_COUNT ? verbs[m->verb] : "?",
             m->verb == MSC_VERB_CANCEL && (unsigned)m->code < 6 ? codes[m->code] : "");
    return buf;
}

static msc_hr wire_send(void *ctx, const msc_msg *msg)
{
    user *u = ctx;
    char body[MSC_BODY_MAX];
    size_t len = msc_body_encode(msg, body, sizeof(body));
    char what[80];
    snprintf(what, sizeof(what), "%s -> %s", u->name, u == &alice ? "bob" : "alice");
    line("wire", what, "%-28s %zu bytes", verb_text(msg), len);
    return u->inner->send(u->inner->ctx, msg);
}
static msc_str wire_identity(void *ctx) { user *u = ctx; return u->inner->local_identity(u->inner->ctx); }
static msc_str wire_address(void *ctx) { user *u = ctx; return u->inner->local_address(u->inner->ctx); }
static msc_presence wire_presence(void *ctx, msc_str who) { user *u = ctx; return u->inner->presence(u->inner->ctx, who); }

/* ---- the events ----------------------------------------------------------------------------- */
static void on_invitation(void *ctx, msc_session *s, msc_str data)
{
    user *u = ctx;
    msc_str from, name;
    msc_session_user_name(s, &from);
    msc_session_application_name(s, &name);
    line(u->name, "OnInvitation", "from %.*s, app %.*s, data \"%.*s\"  [%s]", QUOTED(from), QUOTED(name),
         QUOTED(data), state_of(s));
    u->invitations++;
    keep_data(u, data);
    if (u->incoming) msc_session_unref(u->incoming);
    msc_session_ref(s);
    u->incoming = s;
}

static void on_state(void *ctx, msc_session *s, msc_state prev)
{
    user *u = ctx;
    line(u->name, "OnStateChanged", "left %s  [%s]", msc_state_name(prev), state_of(s));
}

static void on_accepted(void *ctx, msc_session *s, msc_str data)
{
    user *u = ctx;
    line(u->name, "OnAccepted", "data \"%.*s\"  [%s]", QUOTED(data), state_of(s));
    u->accepted++;
    keep_data(u, data);
}

static void on_declined(void *ctx, msc_session *s, msc_str data)
{
    user *u = ctx;
    line(u->name, "OnDeclined", "data \"%.*s\"  [%s]", QUOTED(data), state_of(s));
    u->declined++;
    keep_data(u, data);
}

static void on_cancelled(void *ctx, msc_session *s, msc_str data)
{
    user *u = ctx;
    line(u->name, "OnCancelled", "data \"%.*s\"  [%s]", QUOTED(data), state_of(s));
    u->cancelled++;
}

static void on_terminated(void *ctx, msc_session *s, msc_hr hr, msc_str data)
{
    user *u = ctx;
    line(u->name, "OnTermination", "%s, data \"%.*s\"  [%s]", hr_text(hr), QUOTED(data), state_of(s));
    u->terminated++;
    u->term_hr = hr;
}

static void on_context(void *ctx, msc_session *s, msc_str data)
{
    user *u = ctx;
    line(u->name, "OnContextData", "\"%.*s\"  [%s]", QUOTED(data), state_of(s));
    u->context++;
    keep_data(u, data);
}

static void on_send_error(void *ctx, msc_session *s, msc_hr hr)
{
    user *u = ctx;
    line(u->name, "OnSendError", "%s  [%s]", hr_text(hr), state_of(s));
    u->send_errors++;
}

static void on_app_not_present(void *ctx, msc_session *s, msc_str name, msc_str url)
{
    user *u = ctx;
    line(u->name, "OnAppNotPresent", "\"%.*s\" (get it at %.*s)  [%s]", QUOTED(name), QUOTED(url), state_of(s));
    u->app_not_present++;
}

/* ---- helpers for the scenes ----------------------------------------------------------------- */
static void check(int ok, const char *what)
{
    if (!ok) {
        printf("  !! FAILED: %s\n", what);
        g_failures++;
    }
}
#define CHECK(cond) check((cond), #cond)

static void reset(user *u)
{
    if (u->incoming) msc_session_unref(u->incoming);
    u->incoming = NULL;
    u->invitations = u->accepted = u->declined = u->cancelled = u->terminated = 0;
    u->context = u->app_not_present = u->send_errors = 0;
    u->term_hr = 0;
    u->last_data[0] = 0;
}

static unsigned g_scene;
static unsigned g_scene_failures;

static void scene(const char *title)
{
    reset(&alice);
    reset(&bob);
    g_scene++;
    g_scene_failures = g_failures;
    printf("\n== Scene %u: %s ==\n", g_scene, title);
}

/* Let the network carry everything that is waiting (and what that provokes). */
static void deliver(void)
{
    msc_loopnet_pump(g_net);
}

static void tick(void)
{
    msc_manager_tick(alice.mgr);
    msc_manager_tick(bob.mgr);
    deliver();
}

/* Ended sessions linger for a while to answer late messages; let them go and check nothing stays. */
static void scene_end(const char *outcome)
{
    g_now += 60000;
    tick();
    CHECK(msc_manager_session_count(alice.mgr) == 0);
    CHECK(msc_manager_session_count(bob.mgr) == 0);
    CHECK(msc_loopnet_pending(g_net) == 0);
    reset(&alice);
    reset(&bob);
    printf("  -> %s: %s\n", g_failures == g_scene_failures ? "ok" : "NOT OK", outcome);
}

static msc_session *new_session(user *u, const app *a)
{
    msc_session *s = NULL;
    msc_hr hr = msc_session_create(u->mgr, &s);
    CHECK(hr == MSC_S_OK);
    hr = msc_session_set_application(s, msc_cstr(a->guid));
    CHECK(hr == MSC_S_OK);
    return s;
}

static msc_hr do_invite(user *u, msc_session *s, user *to, const char *data)
{
    msc_hr hr;
    line(u->name, "> Invite", "%s, data \"%s\"", to->signin, data);
    hr = msc_session_invite(s, msc_cstr(to->signin), msc_cstr(data));
    line(u->name, "  returns", "%s  [%s]", hr_text(hr), state_of(s));
    return hr;
}

static msc_hr do_call(user *u, msc_session *s, const char *what, msc_hr (*fn)(msc_session *, msc_str),
                      const char *data)
{
    msc_hr hr;
    char label[32];
    snprintf(label, sizeof(label), "> %s", what);
    line(u->name, label, "data \"%s\"", data);
    hr = fn(s, msc_cstr(data));
    line(u->name, "  returns", "%s  [%s]", hr_text(hr), state_of(s));
    return hr;
}

static msc_hr do_cancel(user *u, msc_session *s, const char *data)
{
    msc_hr hr;
    line(u->name, "> Cancel", "data \"%s\"", data);
    hr = msc_session_cancel(s, MSC_SR_SESSION_CANCELLED_LOCAL, msc_cstr(data));
    line(u->name, "  returns", "%s  [%s]", hr_text(hr), state_of(s));
    return hr;
}

/* ---- the scenes ------------------------------------------------------------------------------ */
static void scene_accept(void)
{
    msc_session *a;
    msc_str ctx;

    scene("alice invites bob to NetMeeting; bob accepts; they exchange context data");
    a = new_session(&alice, &NETMEETING);
    CHECK(do_invite(&alice, a, &bob, "call me at 10.0.0.1:1503") == MSC_S_OK);
    deliver();
    CHECK(bob.invitations == 1 && bob.incoming);
    CHECK(!strcmp(bob.last_data, "call me at 10.0.0.1:1503"));
    if (!bob.incoming) return;
    CHECK(do_call(&bob, bob.incoming, "Accept", msc_session_accept, "ready, I'm on 10.0.0.2:1503") == MSC_S_OK);
    deliver();
    CHECK(alice.accepted == 1 && !strcmp(alice.last_data, "ready, I'm on 10.0.0.2:1503"));
    CHECK(msc_session_state(a) == MSC_SS_CONNECTED);
    CHECK(msc_session_state(bob.incoming) == MSC_SS_CONNECTED);

    CHECK(do_call(&alice, a, "SendContextData", msc_session_send_context_data, "slide 1 of 12") == MSC_S_OK);
    deliver();
    CHECK(bob.context == 1 && !strcmp(bob.last_data, "slide 1 of 12"));
    CHECK(do_call(&bob, bob.incoming, "SendContextData", msc_session_send_context_data, "got it, next please") == MSC_S_OK);
    deliver();
    CHECK(alice.context == 1 && !strcmp(alice.last_data, "got it, next please"));
    CHECK(msc_session_context_data(a, &ctx) == MSC_S_OK && ctx.n == strlen("got it, next please"));

    note("(the call is over: alice hangs up)");
    CHECK(do_cancel(&alice, a, "bye!") == MSC_S_OK);
    deliver();
    CHECK(alice.terminated == 1 && alice.term_hr == MSC_SR_SESSION_CANCELLED_LOCAL);
    CHECK(bob.terminated == 1 && bob.term_hr == MSC_SR_SESSION_CANCELLED_REMOTE);
    CHECK(msc_session_state(a) == MSC_SS_TERMINATED && msc_session_state(bob.incoming) == MSC_SS_TERMINATED);
    msc_session_unref(a);
    scene_end("both sides were CONNECTED, swapped context data, then ended");
}

static void scene_decline(void)
{
    msc_session *a;

    scene("alice invites bob; bob declines with a note");
    a = new_session(&alice, &NETMEETING);
    CHECK(do_invite(&alice, a, &bob, "quick call?") == MSC_S_OK);
    deliver();
    CHECK(bob.invitations == 1 && bob.incoming);
    if (!bob.incoming) return;
    CHECK(do_call(&bob, bob.incoming, "Decline", msc_session_decline, "in a meeting, try at 3") == MSC_S_OK);
    deliver();
    CHECK(alice.declined == 1 && !strcmp(alice.last_data, "in a meeting, try at 3"));
    CHECK(msc_session_state(a) == MSC_SS_DECLINED && alice.term_hr == MSC_SR_INVITATION_DECLINED);
    CHECK(msc_session_state(bob.incoming) == MSC_SS_DECLINED && bob.term_hr == MSC_SR_INVITATION_DECLINED);
    msc_session_unref(a);
    scene_end("alice got OnDeclined with bob's note; both sides DECLINED");
}

static void scene_cancel(void)
{
    msc_session *a;

    scene("alice invites bob, then cancels before bob answers");
    a = new_session(&alice, &NETMEETING);
    CHECK(do_invite(&alice, a, &bob, "demo in 5 minutes?") == MSC_S_OK);
    deliver();
    CHECK(bob.invitations == 1 && bob.incoming);
    if (!bob.incoming) return;
    note("(bob is still thinking; alice changes her mind)");
    CHECK(do_cancel(&alice, a, "never mind") == MSC_S_OK);
    deliver();
    CHECK(bob.cancelled == 1 && msc_session_state(bob.incoming) == MSC_SS_CANCELLED);
    CHECK(bob.term_hr == MSC_SR_SESSION_CANCELLED_REMOTE);
    CHECK(msc_session_state(a) == MSC_SS_CANCELLED && alice.term_hr == MSC_SR_SESSION_CANCELLED_LOCAL);
    note("(too late, bob tries to accept anyway)");
    CHECK(do_call(&bob, bob.incoming, "Accept", msc_session_accept, "") == MSC_SR_SESSION_STATE_INVALID);
    msc_session_unref(a);
    scene_end("bob got OnCancelled; both sides CANCELLED; the late Accept was refused");
}

static void scene_timeout(void)
{
    msc_session *a;

    scene("alice invites bob; nobody answers, the invitation times out");
    a = new_session(&alice, &NETMEETING);
    CHECK(do_invite(&alice, a, &bob, "anyone there?") == MSC_S_OK);
    deliver();
    CHECK(bob.invitations == 1 && bob.incoming);
    if (!bob.incoming) return;
    g_now += MSC_DEFAULT_LIFETIME_MS - 1000;
    tick();
    note("(4 min 59 s pass on the fake clock: both still waiting)");
    CHECK(msc_session_state(a) == MSC_SS_INVITATION && msc_session_state(bob.incoming) == MSC_SS_INVITATION);
    g_now += 1000;
    note("(1 s more: the 5-minute invitation lifetime is over)");
    tick();
    CHECK(alice.terminated == 1 && alice.term_hr == MSC_SR_SESSION_TIMEOUT);
    CHECK(bob.terminated == 1 && bob.term_hr == MSC_SR_SESSION_TIMEOUT);
    CHECK(msc_session_state(a) == MSC_SS_TERMINATED && msc_session_state(bob.incoming) == MSC_SS_TERMINATED);
    msc_session_unref(a);
    scene_end("both sides ended with SR_SESSION_TIMEOUT after exactly 5 minutes");
}

static void scene_not_installed(void)
{
    msc_session *b;

    scene("bob invites alice to Whiteboard, which alice does not have");
    b = new_session(&bob, &WHITEBOARD);
    CHECK(do_invite(&bob, b, &alice, "let's sketch") == MSC_S_OK);
    deliver();
    CHECK(alice.invitations == 0);
    CHECK(bob.app_not_present == 1);
    CHECK(msc_session_state(b) == MSC_SS_DECLINED && bob.term_hr == MSC_MSGR_E_AI_REJECT_NOT_INST);
    msc_session_unref(b);
    scene_end("alice's side answered by itself; bob got OnAppNotPresent");
}

static void scene_glare(void)
{
    msc_session *a, *b, *winner, *loser;
    user *winner_side, *invitee;
    msc_str ida, idb;

    scene("alice and bob invite each other at the same moment");
    a = new_session(&alice, &NETMEETING);
    b = new_session(&bob, &NETMEETING);
    CHECK(do_invite(&alice, a, &bob, "call?") == MSC_S_OK);
    CHECK(do_invite(&bob, b, &alice, "call?") == MSC_S_OK);
    ida = msc_session_id(a);
    idb = msc_session_id(b);
    note("alice's session %.*s", QUOTED(ida));
    note("bob's session   %.*s", QUOTED(idb));
    note("(the lower session ID wins; the other invitation is withdrawn)");
    deliver();
    winner = memcmp(ida.p, idb.p, ida.n) < 0 ? a : b;
    loser = winner == a ? b : a;
    winner_side = winner == a ? &alice : &bob;
    invitee = winner == a ? &bob : &alice;
    CHECK(invitee->invitations == 1 && winner_side->invitations == 0);
    CHECK(msc_session_state(loser) == MSC_SS_CANCELLED);
    CHECK(msc_session_state(winner) == MSC_SS_INVITATION);
    if (invitee->incoming) {
        CHECK(!memcmp(msc_session_id(invitee->incoming).p, msc_session_id(winner).p, MSC_GUID_CHARS));
        CHECK(do_call(invitee, invitee->incoming, "Accept", msc_session_accept, "sure") == MSC_S_OK);
        deliver();
        CHECK(msc_session_state(winner) == MSC_SS_CONNECTED);
        CHECK(msc_session_state(invitee->incoming) == MSC_SS_CONNECTED);
        CHECK(do_cancel(winner_side, winner, "") == MSC_S_OK);
        deliver();
    }
    msc_session_unref(a);
    msc_session_unref(b);
    scene_end("exactly one session survived the crossing and got CONNECTED");
}

/* ---- main ----------------------------------------------------------------------------------- */
static const msc_events *events_for(user *u)
{
    static msc_events ev[2];
    msc_events *e = &ev[u == &bob];
    e->ctx = u;
    e->invitation = on_invitation;
    e->state_changed = on_state;
    e->accepted = on_accepted;
    e->declined = on_declined;
    e->cancelled = on_cancelled;
    e->terminated = on_terminated;
    e->context_data = on_context;
    e->send_error = on_send_error;
    e->app_not_present = on_app_not_present;
    return e;
}

static int setup(user *u, const char *address)
{
    msc_host host;
    memset(&host, 0, sizeof(host));
    host.ctx = u;
    host.now_ms = clock_now;
    host.random = demo_random;
    host.app_lookup = app_lookup;
    if (!(u->ep = msc_loopnet_endpoint(g_net, msc_cstr(u->signin), msc_cstr(address)))) return 0;
    u->inner = msc_loop_endpoint_transport(u->ep);
    u->wire = *u->inner;
    u->wire.ctx = u;
    u->wire.send = wire_send;
    u->wire.local_identity = wire_identity;
    u->wire.local_address = wire_address;
    u->wire.presence = wire_presence;
    if (!(u->mgr = msc_manager_create(&host, &u->wire, events_for(u), NULL))) return 0;
    msc_loop_endpoint_bind(u->ep, u->mgr);
    return 1;
}

int main(void)
{
    msc_loop_stats st;

    setbuf(stdout, NULL);
    if (!(g_net = msc_loopnet_create(clock_now, NULL)) || !setup(&alice, "10.0.0.1") || !setup(&bob, "10.0.0.2")) {
        fprintf(stderr, "demo: setup failed\n");
        return 2;
    }
    printf("msgsc demo: %s and %s share one loopback network; the clock is fake.\n", alice.signin, bob.signin);
    printf("  alice has NetMeeting %s\n", NETMEETING.guid);
    printf("  bob has NetMeeting and \"%s\" %s\n", WHITEBOARD.name, WHITEBOARD.guid);
    printf("  columns: time (m:ss.ms), who, event or \"> call\", details  [the session's state when the line was printed]\n");

    scene_accept();
    scene_decline();
    scene_cancel();
    scene_timeout();
    scene_not_installed();
    scene_glare();

    st = msc_loopnet_stats(g_net);
    printf("\nwire: %zu messages sent (%zu bytes of message bodies), %zu delivered\n", st.sent, st.encoded_bytes,
           st.delivered);
    CHECK(st.sent == st.delivered);

    msc_manager_destroy(alice.mgr);
    msc_manager_destroy(bob.mgr);
    msc_loopnet_destroy(g_net);
    if (g_failures) {
        printf("demo: %u check(s) FAILED\n", g_failures);
        return 1;
    }
    printf("demo: all scenes ok\n");
    return 0;
}
