/* msgsc-sip: one msgsc user on the network, from the command line (Linux host build).  It runs
 * the core engine over the SIP stack exactly as the DLL does, prints every event, and plays the
 * inviter or the invitee.  The SIPp and Kamailio tests and the benchmark drive it.
 *
 *   msgsc-sip --me bob@127.0.0.1:5070 --listen 127.0.0.1:5070 --answer accept
 *   msgsc-sip --me alice@127.0.0.1:5071 --listen 127.0.0.1:5071 --invite bob@127.0.0.1:5070 --data hi
 *
 * Options (docs/sip-ua.md §7): --me NAME, --listen HOST:PORT, --tcp, --proxy HOST:PORT,
 * --auth-user U, --password P, --app GUID (repeatable; default the demo application),
 * --answer accept|decline|ignore, --answer-data TEXT, --invite NAME, --invite-app GUID,
 * --data TEXT, --cancel-after MS, --context TEXT, --hangup-after MS, --lifetime SECONDS,
 * --sessions N (end after N sessions ended; default 1), --timeout MS (exit 3), --trace.
 * Exit status: 0 when the sessions ended, 2 on bad arguments or start-up failure, 3 on timeout.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "msgsc/sip_stack.h"

#define DEMO_APP "{6D1A0E10-0D1B-4C2B-9D45-8F3A2B1C0D77}"
#define MAX_APPS 8

static struct {
    const char *me, *listen, *proxy, *auth_user, *password, *answer, *answer_data, *invite, *invite_app;
    const char *data, *context, *apps[MAX_APPS];
    size_t napps;
    long cancel_after, hangup_after, lifetime, sessions, timeout;
    int tcp, trace;
} opt = { .answer = "accept", .answer_data = "", .data = "", .invite_app = DEMO_APP, .cancel_after = -1,
          .hangup_after = -1, .sessions = 1, .timeout = 60000 };

typedef struct plan {            /* what to do with a session later */
    msc_session *s;
    uint64_t cancel_at, hangup_at;
    int connected_seen;
} plan;

static plan plans[64];
static size_t nplans;
static long ended;
static msc_manager *mgr;
static msc_hr reg_status = 1;

static uint64_t now_ms(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void random_bytes(void *ctx, void *buf, size_t len)
{
    FILE *f = fopen("/dev/urandom", "rb");
    (void)ctx;
    if (!f || fread(buf, 1, len, f) != len) { fprintf(stderr, "no /dev/urandom\n"); exit(2); }
    fclose(f);
}

static int app_lookup(void *ctx, msc_str guid, msc_app_info *info)
{
    size_t i;
    (void)ctx;
    for (i = 0; i < opt.napps; i++) {
        if (guid.n == strlen(opt.apps[i]) && msc_same_user(guid, msc_cstr(opt.apps[i]))) {
            info->name = msc_cstr("msgsc demo");
            info->url = msc_cstr("https://example.org/msgsc-demo");
            info->path = MSC_STR_EMPTY;
            return 1;
        }
    }
    return 0;
}

static void print_data(const char *what, msc_str d)
{
    size_t i;
    printf("%s data=\"", what);
    for (i = 0; i < d.n; i++) {
        unsigned char c = (unsigned char)d.p[i];
        if (c < 0x20 || c == '"' || c == '\\') printf("\\x%02X", c); else putchar(c);
    }
    printf("\"\n");
}

static plan *plan_of(msc_session *s)
{
    size_t i;
    for (i = 0; i < nplans; i++) if (plans[i].s == s) return &plans[i];
    if (nplans == sizeof(plans) / sizeof(plans[0])) return NULL;
    memset(&plans[nplans], 0, sizeof(plan));
    plans[nplans].s = s;
    msc_session_ref(s);
    return &plans[nplans++];
}

static void on_invitation(void *ctx, msc_session *s, msc_str data)
{
    msc_str who = MSC_STR_EMPTY, app = MSC_STR_EMPTY;
    msc_hr hr;
    (void)ctx;
    msc_session_user_name(s, &who);
    msc_session_application(s, &app);
    printf("OnInvitation from=%.*s app=%.*s ", (int)who.n, who.p, (int)app.n, app.p);
    print_data("", data);
    plan_of(s);
    if (!strcmp(opt.answer, "accept")) hr = msc_session_accept(s, msc_cstr(opt.answer_data));
    else if (!strcmp(opt.answer, "decline")) hr = msc_session_decline(s, msc_cstr(opt.answer_data));
    else return;
    printf("%s -> 0x%08X\n", opt.answer, (unsigned)hr);
}

static void on_state(void *ctx, msc_session *s, msc_state prev)
{
    plan *p = plan_of(s);
    (void)ctx; (void)prev;
    printf("OnStateChanged %s\n", msc_state_name(msc_session_state(s)));
    if (msc_session_state(s) == MSC_SS_CONNECTED && p && !p->connected_seen) {
        p->connected_seen = 1;
        if (opt.context) printf("SendContextData -> 0x%08X\n", (unsigned)msc_session_send_context_data(s, msc_cstr(opt.context)));
        if (opt.hangup_after >= 0) p->hangup_at = now_ms(NULL) + (uint64_t)opt.hangup_after;
    }
}

static void on_accepted(void *ctx, msc_session *s, msc_str d) { (void)ctx; (void)s; print_data("OnAccepted", d); }
static void on_declined(void *ctx, msc_session *s, msc_str d) { (void)ctx; (void)s; print_data("OnDeclined", d); }
static void on_cancelled(void *ctx, msc_session *s, msc_str d) { (void)ctx; (void)s; print_data("OnCancelled", d); }
static void on_context(void *ctx, msc_session *s, msc_str d) { (void)ctx; (void)s; print_data("OnContextData", d); }
static void on_send_error(void *ctx, msc_session *s, msc_hr hr) { (void)ctx; (void)s; printf("OnSendError hr=0x%08X\n", (unsigned)hr); }
static void on_app_not_present(void *ctx, msc_session *s, msc_str n, msc_str u)
{
    (void)ctx; (void)s;
    printf("OnAppNotPresent name=\"%.*s\" url=\"%.*s\"\n", (int)n.n, n.p, (int)u.n, u.p);
}

static void on_terminated(void *ctx, msc_session *s, msc_hr hr, msc_str d)
{
    char what[64];
    (void)ctx;
    snprintf(what, sizeof what, "OnTermination hr=0x%08X", (unsigned)hr);
    print_data(what, d);
    printf("done %s hr=0x%08X\n", msc_state_name(msc_session_state(s)), (unsigned)hr);
    ended++;
}

static void on_registration(void *ctx, msc_hr hr)
{
    (void)ctx;
    reg_status = hr;
    if (hr == MSC_S_OK) printf("registered\n"); else printf("registration failed hr=0x%08X\n", (unsigned)hr);
}

static void on_trace(void *ctx, const char *line) { (void)ctx; fprintf(stderr, "%s\n", line); }

static int split_host_port(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *c = strrchr(s, ':');
    if (!c || (size_t)(c - s) >= cap) return 0;
    memcpy(host, s, (size_t)(c - s));
    host[c - s] = 0;
    *port = (uint16_t)atoi(c + 1);
    return *port != 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: msgsc-sip --me NAME [--listen HOST:PORT] [--tcp] [--proxy HOST:PORT] [--password P]\n"
                    "       [--answer accept|decline|ignore] [--invite NAME] [--data TEXT] ... (see sip_agent.c)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    msc_sip_stack_config sc;
    msc_sip_stack *st;
    msc_host host;
    msc_events ev;
    msc_config cfg;
    char bind_host[64] = "0.0.0.0";
    uint16_t port = 5060;
    uint64_t start, at;
    msc_hr hr;
    int i, wound_down = 0, rc = 0;
    uint64_t finish_at = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define STR(name, field) if (!strcmp(a, name)) { if (!v) usage(); opt.field = v; i++; continue; }
#define NUM(name, field) if (!strcmp(a, name)) { if (!v) usage(); opt.field = atol(v); i++; continue; }
        STR("--me", me) STR("--listen", listen) STR("--proxy", proxy) STR("--auth-user", auth_user)
        STR("--password", password) STR("--answer", answer) STR("--answer-data", answer_data)
        STR("--invite", invite) STR("--invite-app", invite_app) STR("--data", data) STR("--context", context)
        NUM("--cancel-after", cancel_after) NUM("--hangup-after", hangup_after) NUM("--lifetime", lifetime)
        NUM("--sessions", sessions) NUM("--timeout", timeout)
        if (!strcmp(a, "--app")) { if (!v || opt.napps == MAX_APPS) usage(); opt.apps[opt.napps++] = v; i++; continue; }
        if (!strcmp(a, "--tcp")) { opt.tcp = 1; continue; }
        if (!strcmp(a, "--trace")) { opt.trace = 1; continue; }
        usage();
    }
    if (!opt.me) usage();
    if (!opt.napps) opt.apps[opt.napps++] = DEMO_APP;
    if (opt.listen && !split_host_port(opt.listen, bind_host, sizeof bind_host, &port)) usage();

    memset(&sc, 0, sizeof sc);
    sc.ua.identity = msc_cstr(opt.me);
    sc.ua.transport = opt.tcp ? MSC_NET_TCP : MSC_NET_UDP;
    sc.ua.proxy = msc_cstr(opt.proxy);
    sc.ua.auth_user = msc_cstr(opt.auth_user);
    sc.ua.auth_password = msc_cstr(opt.password);
    sc.bind_host = bind_host;
    sc.port = port;
    sc.now_ms = now_ms;
    sc.random = random_bytes;
    sc.registration = on_registration;
    sc.trace = opt.trace ? on_trace : NULL;
    if ((hr = msc_sip_stack_start(&sc, &st)) != MSC_S_OK) {
        fprintf(stderr, "msgsc-sip: cannot start on %s:%u: 0x%08X\n", bind_host, port, (unsigned)hr);
        return 2;
    }
    memset(&host, 0, sizeof host);
    host.now_ms = now_ms;
    host.random = random_bytes;
    host.app_lookup = app_lookup;
    memset(&ev, 0, sizeof ev);
    ev.invitation = on_invitation; ev.state_changed = on_state; ev.accepted = on_accepted;
    ev.declined = on_declined; ev.cancelled = on_cancelled; ev.terminated = on_terminated;
    ev.context_data = on_context; ev.send_error = on_send_error; ev.app_not_present = on_app_not_present;
    memset(&cfg, 0, sizeof cfg);
    cfg.lifetime_ms = opt.lifetime > 0 ? (uint32_t)opt.lifetime * 1000u : 0;
    if (!(mgr = msc_manager_create(&host, msc_sip_stack_transport(st), &ev, &cfg))) return 2;
    msc_sip_ua_bind(msc_sip_stack_ua(st), mgr);
    printf("listening %s:%u as %s\n", bind_host, msc_sip_stack_port(st), opt.me);

    start = now_ms(NULL);
    if (opt.proxy) {
        msc_sip_ua_register(msc_sip_stack_ua(st));
        while (reg_status == 1 && now_ms(NULL) - start < 10000) {
            msc_sip_stack_wait(st, 50);
            msc_sip_stack_drain(st);
            msc_sip_stack_tick(st);
        }
        if (reg_status != MSC_S_OK) return 2;
    }
    if (opt.invite) {
        msc_session *s;
        plan *p;
        if (msc_session_create(mgr, &s) != MSC_S_OK) return 2;
        msc_session_set_application(s, msc_cstr(opt.invite_app));
        hr = msc_session_invite(s, msc_cstr(opt.invite), msc_cstr(opt.data));
        printf("Invite %s -> 0x%08X\n", opt.invite, (unsigned)hr);
        p = plan_of(s);
        msc_session_unref(s);
        if (hr != MSC_S_OK) return 1;
        if (opt.cancel_after >= 0 && p) p->cancel_at = now_ms(NULL) + (uint64_t)opt.cancel_after;
    }
    for (;;) {
        uint64_t t = now_ms(NULL), wait = 50;
        size_t k;
        if (!wound_down && ended >= opt.sessions) {
            wound_down = 1;
            finish_at = t + 300;          /* let the last ACK / 200 / BYE leave */
        }
        if (wound_down && t >= finish_at) break;
        if (t - start > (uint64_t)opt.timeout) { printf("timeout\n"); rc = 3; break; }
        for (k = 0; k < nplans; k++) {
            plan *p = &plans[k];
            if (p->cancel_at && t >= p->cancel_at) {
                p->cancel_at = 0;
                printf("Cancel -> 0x%08X\n", (unsigned)msc_session_cancel(p->s, 0, msc_cstr("cancelled by msgsc-sip")));
            }
            if (p->hangup_at && t >= p->hangup_at) {
                p->hangup_at = 0;
                printf("Hangup -> 0x%08X\n", (unsigned)msc_session_cancel(p->s, 0, msc_cstr("bye from msgsc-sip")));
            }
        }
        if (msc_manager_next_deadline(mgr, &at) && at > t && at - t < wait) wait = at - t;
        if (msc_sip_stack_next_deadline(st, &at) && at > t && at - t < wait) wait = at - t;
        msc_sip_stack_wait(st, (uint32_t)wait);
        msc_sip_stack_drain(st);
        msc_sip_stack_tick(st);
        msc_manager_tick(mgr);
    }
    for (i = 0; i < (int)nplans; i++) msc_session_unref(plans[i].s);
    msc_manager_destroy(mgr);
    msc_sip_stack_stop(st);
    return rc;
}
