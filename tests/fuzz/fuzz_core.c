/* libFuzzer target: random sequences of calls, peer messages, network faults and time, fed to
 * three users of the core on one loopback network.  It aborts when a promise breaks:
 *   - exactly one OnTermination per session, and no event after it;
 *   - every event argument within its limit (512 bytes of app data, 300 characters of context);
 *   - a refused call changes nothing (state and role are compared around each refusal);
 *   - once time has run out, every session has ended or is connected, and nothing is left over
 *     but the connected ones; no late event was ever queued (late_events == 0).
 * AddressSanitizer and LeakSanitizer cover memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/core_private.h"

#define USERS 3
#define POOL 48
#define APP "{44BBA842-CC51-11CF-AAFA-00AA00B6015C}"
#define APP2 "{5D3E02AB-6190-11D3-BBBB-00C04F795683}"

typedef struct tracker {
    struct tracker *next;
    int ended, connected_seen;
    msc_state last;
} tracker;

static const char *const names[USERS] = { "alice@x.org", "bob@x.org", "carol@x.org" };
static uint64_t now;
static msc_loopnet *net;
static msc_loop_endpoint *eps[USERS];
static msc_manager *mgrs[USERS];
static msc_session *pool[POOL];
static size_t npool;
static tracker *trackers;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant broken: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static uint64_t clock_now(void *ctx) { (void)ctx; return now; }

static int lookup(void *ctx, msc_str guid, msc_app_info *info)
{
    /* carol has only APP; the others have both */
    (void)info;
    return guid.n == 38 && (!memcmp(guid.p, APP, 38) || (ctx != (void *)2 && !memcmp(guid.p, APP2, 38)));
}

static tracker *track(msc_session *s)
{
    tracker *t = msc_session_user(s);
    if (!t) {
        t = calloc(1, sizeof(*t));
        CHECK(t);
        t->next = trackers;
        trackers = t;
        msc_session_set_user(s, t);
    }
    return t;
}

static void pool_add(msc_session *s)
{
    if (npool == POOL) return;
    msc_session_ref(s);
    pool[npool++] = s;
}

static void seen(msc_session *s, int terminal)
{
    tracker *t = track(s);
    CHECK(!t->ended);                     /* nothing after the end */
    t->last = msc_session_state(s);
    if (t->last == MSC_SS_CONNECTED) t->connected_seen = 1;
    if (terminal) {
        CHECK(msc_state_is_terminal(t->last));
        t->ended = 1;
    }
}

static void data_ok(msc_str d, int context)
{
    CHECK(msc_utf8_valid(d));
    if (context) CHECK(msc_utf16_units(d) <= MSC_MAX_CONTEXT_CHARS);
    else CHECK(d.n <= MSC_MAX_APP_DATA_BYTES);
}

static void on_inv(void *c, msc_session *s, msc_str d) { (void)c; seen(s, 0); data_ok(d, 0); CHECK(msc_session_state(s) != MSC_SS_READY); pool_add(s); }
static void on_state(void *c, msc_session *s, msc_state prev) { (void)c; seen(s, 0); CHECK(prev != MSC_SS_UNKNOWN && !msc_state_is_terminal(prev)); }
static void on_data(void *c, msc_session *s, msc_str d) { (void)c; seen(s, 0); data_ok(d, 0); }
static void on_term(void *c, msc_session *s, msc_hr hr, msc_str d) { (void)c; seen(s, 1); CHECK(MSC_FAILED(hr)); data_ok(d, 0); }
static void on_ctx(void *c, msc_session *s, msc_str d) { (void)c; seen(s, 0); data_ok(d, 1); }
static void on_err(void *c, msc_session *s, msc_hr hr) { (void)c; seen(s, 0); CHECK(MSC_FAILED(hr)); }
static void on_anp(void *c, msc_session *s, msc_str n, msc_str u) { (void)c; (void)n; (void)u; seen(s, 0); }

static void make_manager(int i)
{
    msc_host host = { (void *)(intptr_t)i, clock_now, NULL, NULL, lookup };
    msc_events ev = { NULL, on_inv, on_state, on_data, on_data, on_data, on_term, on_ctx, on_err, on_anp };
    msc_config cfg = { 60000, 5000, 0 };
    mgrs[i] = msc_manager_create(&host, msc_loop_endpoint_transport(eps[i]), &ev, &cfg);
    CHECK(mgrs[i]);
    msc_loop_endpoint_bind(eps[i], mgrs[i]);
}

/* ---- reading the input -------------------------------------------------------------------- */
typedef struct in { const uint8_t *p; size_t n; } in;
static unsigned byte(in *x) { if (!x->n) return 0; x->n--; return *x->p++; }

static msc_str bytes(in *x, char *buf, size_t max)
{
    size_t n = byte(x) * 4u + (byte(x) & 3u), i;
    int ascii = byte(x) & 1;
    if (n > max) n = max;
    for (i = 0; i < n; i++) buf[i] = ascii ? (char)('a' + (byte(x) % 26)) : (char)byte(x);
    return msc_str_make(buf, n);
}

static msc_session *pick(in *x) { return npool ? pool[byte(x) % npool] : NULL; }

/* A refused call must leave the session as it was. */
#define CALL(s, expr) do { \
    msc_state st_ = msc_session_state(s); msc_role r_ = msc_session_role(s); \
    msc_hr hr_ = (expr); \
    if (MSC_FAILED(hr_) && hr_ != MSC_SR_INVITATION_SEND_FAILURE) \
        CHECK(msc_session_state(s) == st_ && msc_session_role(s) == r_); \
} while (0)

static void step(in *x)
{
    char buf[1100];
    msc_session *s;
    msc_msg m;
    unsigned op = byte(x) % 16;
    int u = (int)(byte(x) % USERS);

    switch (op) {
    case 0:
        if (npool < POOL && msc_session_create(mgrs[u], &s) == MSC_S_OK) {
            track(s);
            pool[npool++] = s;
            msc_session_set_application(s, msc_cstr(byte(x) & 1 ? APP : APP2));
        }
        break;
    case 1:
        if ((s = pick(x))) {
            static const char *apps[] = { APP, APP2, "{44bba842-cc51-11cf-aafa-00aa00b6015c}", "{bad}", "" };
            CALL(s, msc_session_set_application(s, msc_cstr(apps[byte(x) % 5])));
        }
        break;
    case 2:
        if ((s = pick(x))) {
            const char *who = byte(x) % 5 == 4 ? "nobody@x.org" : names[byte(x) % USERS];
            msc_str d = bytes(x, buf, 600);
            CALL(s, msc_session_invite(s, msc_cstr(who), d));
        }
        break;
    case 3: if ((s = pick(x))) { msc_str d = bytes(x, buf, 600); CALL(s, msc_session_accept(s, d)); } break;
    case 4: if ((s = pick(x))) { msc_str d = bytes(x, buf, 600); CALL(s, msc_session_decline(s, d)); } break;
    case 5:
        if ((s = pick(x))) {
            msc_hr reason = byte(x) & 1 ? MSC_SR_SESSION_CANCELLED_LOCAL : (msc_hr)(byte(x) << 24);
            msc_str d = bytes(x, buf, 600);
            CALL(s, msc_session_cancel(s, reason, d));
        }
        break;
    case 6: if ((s = pick(x))) { msc_str d = bytes(x, buf, 1000); CALL(s, msc_session_send_context_data(s, d)); } break;
    case 7: if ((s = pick(x))) { msc_str d = bytes(x, buf, 40); CALL(s, msc_session_set_local_address(s, d)); } break;
    case 8: case 9: msc_loopnet_pump(net); break;
    case 10: {
        unsigned k = byte(x);
        now += k < 200 ? k : (uint64_t)(k - 199) * 1000;
        for (u = 0; u < USERS; u++) msc_manager_tick(mgrs[u]);
        break;
    }
    case 11: {
        unsigned knob = byte(x) % 7, n = byte(x) % 3;
        static const msc_verb verbs[] = { MSC_VERB_NONE, MSC_VERB_INVITE, MSC_VERB_ACCEPT, MSC_VERB_ACK,
                                          MSC_VERB_CANCEL, MSC_VERB_BYE, MSC_VERB_CONTEXT };
        switch (knob) {
        case 0: msc_loopnet_drop_next(net, n); break;
        case 1: msc_loopnet_duplicate_next(net, n); break;
        case 2: msc_loopnet_delay_next(net, n, byte(x) * 100u); break;
        case 3: msc_loopnet_reorder_next(net, n); break;
        case 4: msc_loopnet_fail_send_next(net, n, MSC_SR_CONNECTION_FAILURE); break;
        case 5: msc_loopnet_fail_async_next(net, n, MSC_SR_CONNECTION_FAILURE); break;
        default: msc_loopnet_fault_filter(net, verbs[byte(x) % 7]); break;
        }
        break;
    }
    case 12: {
        /* a raw message, as a broken or hostile peer could send one */
        static const char *ids[] = { "{11111111-2222-4333-8444-555555555555}", "{bad}", "" };
        s = pick(x);
        msc_msg_init(&m, (msc_verb)(byte(x) % 8), s && byte(x) & 1 ? msc_session_id(s) : msc_cstr(ids[byte(x) % 3]));
        m.code = (msc_cancel_code)(byte(x) % 7);
        m.hr = (msc_hr)((uint32_t)byte(x) << 24 | byte(x));
        m.lifetime_s = byte(x);
        MSC_MSG_SET(&m, from, msc_cstr(byte(x) % 4 == 3 ? "mallory@x.org" : names[byte(x) % USERS]));
        MSC_MSG_SET(&m, app_guid, msc_cstr(byte(x) & 1 ? APP : "{0}"));
        MSC_MSG_SET(&m, address, bytes(x, buf, 40));
        m.data_len = bytes(x, m.data, sizeof(m.data)).n;
        msc_manager_receive(mgrs[u], &m);
        break;
    }
    case 13: msc_loop_endpoint_set_online(eps[u], byte(x) & 1); break;
    case 14:
        if (npool) {         /* the application lets go of a session */
            size_t i = byte(x) % npool;
            msc_session_unref(pool[i]);
            pool[i] = pool[--npool];
        }
        break;
    default:
        msc_loopnet_pump(net);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in x = { data, size };
    tracker *t;
    size_t i, steps = 0;
    int u;

    now = 1000;
    net = msc_loopnet_create(clock_now, NULL);
    CHECK(net);
    for (u = 0; u < USERS; u++) eps[u] = msc_loopnet_endpoint(net, msc_cstr(names[u]), msc_cstr("127.0.0.1"));
    for (u = 0; u < USERS; u++) make_manager(u);

    while (x.n && steps++ < 2000) step(&x);

    /* let time run out: every invitation times out, every ended session lingers out */
    for (u = 0; u < USERS; u++) msc_loop_endpoint_set_online(eps[u], 1);
    msc_loopnet_fault_filter(net, MSC_VERB_NONE);
    msc_loopnet_drop_next(net, 0);
    msc_loopnet_duplicate_next(net, 0);
    msc_loopnet_reorder_next(net, 0);
    msc_loopnet_fail_send_next(net, 0, 0);
    msc_loopnet_fail_async_next(net, 0, 0);
    for (i = 0; i < 40; i++) {
        now += 5000;
        while (msc_loopnet_pump(net)) {}
        for (u = 0; u < USERS; u++) msc_manager_tick(mgrs[u]);
    }
    while (msc_loopnet_pump(net)) {}
    for (u = 0; u < USERS; u++) {
        size_t live = 0, j;
        const msc_manager *m = mgrs[u];
        CHECK(m->late_events == 0);
        CHECK(m->pending_invites == 0);
        for (j = 0; j < m->nbuckets; j++) {
            const msc_session *s;
            for (s = m->buckets[j]; s; s = s->hash_next) {
                CHECK(s->state == MSC_SS_CONNECTED);      /* only connected sessions last */
                live++;
            }
        }
        CHECK(live == m->nsessions);
    }
    for (t = trackers; t; t = t->next) CHECK(t->ended || t->last == MSC_SS_CONNECTED || t->last == MSC_SS_READY
                                                 || t->last == MSC_SS_UNKNOWN);

    for (i = 0; i < npool; i++) msc_session_unref(pool[i]);
    npool = 0;
    for (u = 0; u < USERS; u++) {
        msc_manager_destroy(mgrs[u]);
        msc_loop_endpoint_bind(eps[u], NULL);
    }
    msc_loopnet_destroy(net);
    while ((t = trackers)) {
        trackers = t->next;
        free(t);
    }
    return 0;
}
