/* msgsc-bench-sip: the invitation engine over the SIP stack, two agents on loopback, against a
 * plain TCP (and UDP) request/response exchange of the same bytes: the floor.
 *
 * Run by hand (docs/benchmarks.md, "SIP"); not a test.  Host only (POSIX sockets, pthreads).
 * alice and bob are two msc_sip_stack + two msc_manager in this process, each stack with its own
 * I/O thread, both owned by the main thread.  The main thread drains both stacks, ticks the user
 * agents and managers, and sleeps on one condition variable that both stacks' notify callbacks
 * signal, so it wakes as soon as either has input.  bob accepts every invitation inside
 * OnInvitation.  Real clock (CLOCK_MONOTONIC) for msgsc and for the measurements.
 *
 *   msgsc-bench-sip [--rounds N] [--invitations N] [--concurrency K] [--sessions N[,N...]]
 *                   [--tcp] [--proxy HOST:PORT] [--quick] [--spin]
 *     --rounds N        sequential invite -> accept round trips timed (default 2000), after
 *                       N/10 (at least 20) untimed warm-up rounds
 *     --invitations N   invitations in the throughput part (default 20000)
 *     --concurrency K   invitations in flight in the throughput part (default 64); also the
 *                       window used to open the held sessions
 *     --sessions LIST   sessions held open at once, comma separated (default 1000,10000);
 *                       "none" skips that part
 *     --tcp             SIP over TCP (default UDP)
 *     --proxy H:P       through a registrar/proxy (Kamailio, tests/sip/kamailio.cfg): alice and
 *                       bob register as alice@msgsc.test / bob@msgsc.test with their passwords
 *     --quick           --rounds 300 --invitations 3000 --sessions 1000
 *     --spin            never sleep: spin on both stacks' queues (default: sleep until notified)
 *     --sustain S       also part (5): a fixed offered rate for S seconds, in windows of 4 s
 *     --rate R          the offered rate of part (5), invitations per second (default 1000)
 *
 * The parts: the bytes of one round trip captured from two user agents wired in memory; the
 * floor (plain TCP, and plain UDP sequentially, the same byte sizes, in this process); (1)
 * sequential round trips; (2) K in flight; (3) N sessions held open; (5) sustained load.  Each
 * of (1), (2), (3), (5) starts two fresh agents on the same two ports and stops them after.
 *
 * Markdown tables on stdout, progress on stderr.  Exit status 1 when msgsc lost or failed a
 * session, timed out, or could not start.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "msgsc/sip_stack.h"

static const char APP[] = "{44BBA842-CC51-11CF-AAFA-00AA00B6015C}";
static const char INVITE_DATA[] = "ip=10.0.0.1;port=1503;codec=g711;note=hello from the benchmark";
static const char ACCEPT_DATA[] = "ip=10.0.0.2;port=1503";

static struct {
    long rounds, invitations, conc;
    long sessions[8];
    size_t nsessions;
    int tcp, quick, spin;
    const char *proxy;
    double sustain, rate;
} opt = { 2000, 20000, 64, { 1000, 10000 }, 2, 0, 0, 0, NULL, 0, 1000 };

/* ---- clocks, memory, randomness ------------------------------------------------------------- */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static uint64_t clock_ms(void *ctx) { (void)ctx; return now_ns() / 1000000u; }

static double cpu_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long long heap_in_use(void)
{
#ifdef __GLIBC__
    struct mallinfo2 mi = mallinfo2();     /* all arenas: the I/O threads allocate too */
    return (long long)(mi.uordblks + mi.hblkhd);
#else
    return -1;
#endif
}

static long long rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : (long long)resident * sysconf(_SC_PAGESIZE);
}

/* Datagrams the kernel dropped because a UDP socket's receive buffer was full (system-wide:
 * /proc/net/snmp, "Udp: ... RcvbufErrors"). */
static long long udp_rcvbuf_errors(void)
{
    char names[512], vals[512], *np, *vp, *ns, *vs;
    long long v = -1;
    FILE *f = fopen("/proc/net/snmp", "r");
    if (!f) return -1;
    while (fgets(names, sizeof names, f)) {
        if (strncmp(names, "Udp:", 4) || !fgets(vals, sizeof vals, f)) continue;
        np = strtok_r(names, " \n", &ns);
        vp = strtok_r(vals, " \n", &vs);
        while (np && vp) {
            if (!strcmp(np, "RcvbufErrors")) { v = atoll(vp); break; }
            np = strtok_r(NULL, " \n", &ns);
            vp = strtok_r(NULL, " \n", &vs);
        }
        break;
    }
    fclose(f);
    return v;
}

/* splitmix64, seeded once from /dev/urandom: tags, branches, Call-IDs and session IDs need no
 * more than that here, and a system call per random number would be the host's cost, not msgsc's */
static uint64_t g_rng;
static void seed_rng(void)
{
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(&g_rng, sizeof g_rng, 1, f) != 1) g_rng = now_ns();
    if (f) fclose(f);
}
static void random_bytes(void *ctx, void *buf, size_t len)
{
    unsigned char *p = buf;
    (void)ctx;
    while (len) {
        uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
        size_t k = len < 8 ? len : 8;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        memcpy(p, &z, k);
        p += k;
        len -= k;
    }
}

static int app_lookup(void *ctx, msc_str guid, msc_app_info *info)
{
    (void)ctx;
    if (!msc_same_user(guid, msc_cstr(APP))) return 0;
    info->name = msc_cstr("msgsc benchmark");
    info->url = msc_cstr("https://example.org/msgsc-bench");
    info->path = MSC_STR_EMPTY;
    return 1;
}

static void die(const char *what)
{
    fprintf(stderr, "msgsc-bench-sip: %s\n", what);
    exit(1);
}

static void print_tables(void);
/* msgsc failed: print what was measured so far, then exit 1 */
static void fail_exit(void)
{
    print_tables();
    exit(1);
}

/* ---- results --------------------------------------------------------------------------------- */
typedef struct row {
    char what[112], a[32], b[32], r[24], unit[24];
} row;
static row g_rows[64], g_held[64];
static size_t g_nrows, g_nheld;

/* a row with msgsc's value, the floor's (b < 0: none) and their ratio */
static void result(const char *what, const char *unit, const char *fmt, double a, double b)
{
    row *r = &g_rows[g_nrows++];
    snprintf(r->what, sizeof r->what, "%s", what);
    snprintf(r->a, sizeof r->a, fmt, a);
    if (b >= 0) {
        snprintf(r->b, sizeof r->b, fmt, b);
        snprintf(r->r, sizeof r->r, "%.2f", b > 0 ? a / b : 0.0);
    } else {
        snprintf(r->b, sizeof r->b, "-");
        snprintf(r->r, sizeof r->r, "-");
    }
    snprintf(r->unit, sizeof r->unit, "%s", unit);
    fprintf(stderr, "  %-64s %12s %12s %8s %s\n", r->what, r->a, r->b, r->r, r->unit);
}

static void held_result(const char *what, const char *unit, const char *fmt, double v)
{
    row *r = &g_held[g_nheld++];
    snprintf(r->what, sizeof r->what, "%s", what);
    snprintf(r->a, sizeof r->a, fmt, v);
    snprintf(r->unit, sizeof r->unit, "%s", unit);
    fprintf(stderr, "  %-64s %12s %s\n", r->what, r->a, r->unit);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct dist { double median, p90, p99, mean, max; } dist;
static dist distribution(double *v, size_t n)
{
    dist d;
    double sum = 0;
    size_t i;
    memset(&d, 0, sizeof d);
    if (!n) return d;
    qsort(v, n, sizeof *v, cmp_double);
    for (i = 0; i < n; i++) sum += v[i];
    d.median = v[n / 2];
    d.p90 = v[(size_t)((double)(n - 1) * 0.90)];
    d.p99 = v[(size_t)((double)(n - 1) * 0.99)];
    d.mean = sum / (double)n;
    d.max = v[n - 1];
    return d;
}

/* ---- the two agents ------------------------------------------------------------------------- */
typedef struct slot {            /* one of alice's invitations */
    msc_session *s;
    uint64_t t0, t1;             /* invite, SS_CONNECTED (ns) */
    int connected, ended;
    struct slot *next;           /* on the "just connected" list */
} slot;

typedef struct agent {
    const char *user, *password;
    char identity[128];
    uint16_t port;
    msc_sip_stack *st;
    msc_manager *m;
    msc_hr reg;                  /* 1: no answer yet */
    size_t invitations, connected, terminated, failures, accept_failures;
    uint64_t last_term;          /* ns of the last OnTermination */
} agent;

static agent A = { "alice", "alicepw", "", 0, NULL, NULL, 1, 0, 0, 0, 0, 0, 0 };
static agent B = { "bob", "bobpw", "", 0, NULL, NULL, 1, 0, 0, 0, 0, 0, 0 };
static char g_target[128];       /* whom alice invites */
static size_t g_invites;         /* msc_session_invite calls in this part */
static slot *g_just_connected;   /* alice's sessions that reached SS_CONNECTED, not yet handled */
static slot *g_just_failed;      /* alice's sessions that ended without connecting, not yet handled */

/* both stacks' notify callbacks signal this (on their I/O threads) */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv;
static int g_input;

static void on_notify(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&g_mu);
    g_input = 1;
    pthread_cond_signal(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

static void wait_input(uint32_t ms)
{
    struct timespec ts;
    uint64_t until = now_ns() + (uint64_t)ms * 1000000u;
    ts.tv_sec = (time_t)(until / 1000000000u);
    ts.tv_nsec = (long)(until % 1000000000u);
    pthread_mutex_lock(&g_mu);
    while (!g_input) {
        if (pthread_cond_timedwait(&g_cv, &g_mu, &ts) == ETIMEDOUT) break;
    }
    g_input = 0;
    pthread_mutex_unlock(&g_mu);
}

static void on_invitation(void *ctx, msc_session *s, msc_str data)
{
    agent *u = ctx;
    (void)data;
    u->invitations++;
    if (msc_session_accept(s, msc_cstr(ACCEPT_DATA)) != MSC_S_OK) u->accept_failures++;
}

static void on_state(void *ctx, msc_session *s, msc_state prev)
{
    agent *u = ctx;
    (void)prev;
    if (msc_session_state(s) != MSC_SS_CONNECTED) return;
    u->connected++;
    if (u == &A) {
        slot *sl = msc_session_user(s);
        if (sl && !sl->connected) {
            sl->t1 = now_ns();
            sl->connected = 1;
            sl->next = g_just_connected;
            g_just_connected = sl;
        }
    }
}

static void on_terminated(void *ctx, msc_session *s, msc_hr hr, msc_str data)
{
    agent *u = ctx;
    (void)data;
    u->terminated++;
    u->last_term = now_ns();
    if (u == &A) {
        slot *sl = msc_session_user(s);
        if (sl) sl->ended = 1;
        if (sl && !sl->connected) {
            fprintf(stderr, "msgsc-bench-sip: alice: an invitation ended without connecting: 0x%08X\n", (unsigned)hr);
            sl->next = g_just_failed;
            g_just_failed = sl;
        }
        if (!sl || !sl->connected) u->failures++;
        else if (hr != MSC_S_OK && hr != MSC_SR_SESSION_CANCELLED_LOCAL) u->failures++;
    } else if (msc_session_state(s) != MSC_SS_TERMINATED) {
        u->failures++;        /* bob only ever sees accepted sessions end with a BYE */
    }
}

static void on_send_error(void *ctx, msc_session *s, msc_hr hr)
{
    agent *u = ctx;
    (void)s;
    u->failures++;
    fprintf(stderr, "msgsc-bench-sip: %s: OnSendError 0x%08X\n", u->user, (unsigned)hr);
}

static void on_registration(void *ctx, msc_hr hr) { ((agent *)ctx)->reg = hr; }

static int split_host_port(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *c = strrchr(s, ':');
    if (!c || (size_t)(c - s) >= cap) return 0;
    memcpy(host, s, (size_t)(c - s));
    host[c - s] = 0;
    *port = (uint16_t)atoi(c + 1);
    return *port != 0;
}

static void agent_start(agent *u)
{
    msc_sip_stack_config sc;
    msc_host host;
    msc_events ev;
    msc_hr hr;
    char auth[32];

    if (opt.proxy) snprintf(u->identity, sizeof u->identity, "%s@msgsc.test", u->user);
    memset(&sc, 0, sizeof sc);
    sc.ua.transport = opt.tcp ? MSC_NET_TCP : MSC_NET_UDP;
    sc.bind_host = "127.0.0.1";
    sc.port = u->port;                       /* 0 the first time; the same port afterwards */
    sc.now_ms = clock_ms;
    sc.random = random_bytes;
    sc.notify = on_notify;
    sc.registration = on_registration;
    sc.ctx = u;
    if (opt.proxy) {
        snprintf(auth, sizeof auth, "%s", u->user);
        sc.ua.identity = msc_cstr(u->identity);
        sc.ua.proxy = msc_cstr(opt.proxy);
        sc.ua.auth_user = msc_cstr(auth);
        sc.ua.auth_password = msc_cstr(u->password);
        if ((hr = msc_sip_stack_start(&sc, &u->st)) != MSC_S_OK) die("cannot start a SIP stack");
    } else {
        /* the identity names the port, which is only known once bound when it is 0: bind, then
         * restart on the same port with the identity */
        if (!u->port) {
            sc.ua.identity = msc_cstr("probe@127.0.0.1");
            if ((hr = msc_sip_stack_start(&sc, &u->st)) != MSC_S_OK) die("cannot start a SIP stack");
            u->port = msc_sip_stack_port(u->st);
            msc_sip_stack_stop(u->st);
            sc.port = u->port;
        }
        snprintf(u->identity, sizeof u->identity, "%s@127.0.0.1:%u", u->user, u->port);
        sc.ua.identity = msc_cstr(u->identity);
        if ((hr = msc_sip_stack_start(&sc, &u->st)) != MSC_S_OK) die("cannot start a SIP stack");
    }
    u->port = msc_sip_stack_port(u->st);
    memset(&host, 0, sizeof host);
    host.now_ms = clock_ms;
    host.random = random_bytes;
    host.app_lookup = app_lookup;
    memset(&ev, 0, sizeof ev);
    ev.ctx = u;
    ev.invitation = on_invitation;
    ev.state_changed = on_state;
    ev.terminated = on_terminated;
    ev.send_error = on_send_error;
    if (!(u->m = msc_manager_create(&host, msc_sip_stack_transport(u->st), &ev, NULL))) die("manager");
    msc_sip_ua_bind(msc_sip_stack_ua(u->st), u->m);
    u->invitations = u->connected = u->terminated = u->failures = u->accept_failures = 0;
    u->reg = 1;
}

static void agent_stop(agent *u)
{
    msc_sip_ua_bind(msc_sip_stack_ua(u->st), NULL);
    msc_manager_destroy(u->m);
    msc_sip_stack_stop(u->st);
    u->m = NULL;
    u->st = NULL;
}

/* One turn of the owner loop: hand both stacks' input to their user agents, fire due timers;
 * with nothing to do, sleep until either stack has input (at most wait_ms). */
static void pump(uint32_t wait_ms)
{
    size_t n = msc_sip_stack_drain(A.st) + msc_sip_stack_drain(B.st);
    msc_sip_stack_tick(A.st);
    msc_sip_stack_tick(B.st);
    msc_manager_tick(A.m);
    msc_manager_tick(B.m);
    if (!n && wait_ms && !opt.spin) wait_input(wait_ms);
}

static void pump_for(uint64_t ns)
{
    uint64_t until = now_ns() + ns;
    while (now_ns() < until) pump(5);
}

static void stacks_start(void)
{
    agent_start(&A);
    agent_start(&B);
    g_invites = 0;
    if (opt.proxy) {
        uint64_t until = now_ns() + 10000000000ull;
        msc_sip_ua_register(msc_sip_stack_ua(A.st));
        msc_sip_ua_register(msc_sip_stack_ua(B.st));
        while ((A.reg == 1 || B.reg == 1) && now_ns() < until) pump(5);
        if (A.reg != MSC_S_OK || B.reg != MSC_S_OK) die("registration with the proxy failed");
    }
    snprintf(g_target, sizeof g_target, "%s", B.identity);
}

static void ua_stats_line(const char *when)
{
    msc_sip_ua_stats a = msc_sip_ua_get_stats(msc_sip_stack_ua(A.st)), b = msc_sip_ua_get_stats(msc_sip_stack_ua(B.st));
    fprintf(stderr, "    [%s] alice: calls %zu txns %zu out %llu/%llu retx %llu rejected %llu | bob: calls %zu txns %zu out %llu/%llu retx %llu rejected %llu\n",
            when, a.calls, a.transactions, (unsigned long long)a.requests_out, (unsigned long long)a.responses_out,
            (unsigned long long)a.retransmissions, (unsigned long long)a.rejected, b.calls, b.transactions,
            (unsigned long long)b.requests_out, (unsigned long long)b.responses_out,
            (unsigned long long)b.retransmissions, (unsigned long long)b.rejected);
}

static uint64_t retransmissions(void)
{
    return msc_sip_ua_get_stats(msc_sip_stack_ua(A.st)).retransmissions
         + msc_sip_ua_get_stats(msc_sip_stack_ua(B.st)).retransmissions;
}

static double g_last_stop_ms;
static void stacks_stop(void)
{
    uint64_t t0;
    ua_stats_line("end of part");
    t0 = now_ns();
    agent_stop(&A);
    agent_stop(&B);
    g_last_stop_ms = (double)(now_ns() - t0) * 1e-6;
    fprintf(stderr, "    stopping both agents took %.0f ms\n", g_last_stop_ms);
    if (opt.proxy) {
        /* let the unREGISTERs land before the next REGISTERs, and the proxy's transactions of
         * this part expire (Kamailio's tm keeps each 5 s after it ends, in its shared memory) */
        struct timespec ts = { 5, 500000000 };
        fprintf(stderr, "    waiting 5.5 s for the proxy's transactions to expire\n");
        nanosleep(&ts, NULL);
    }
}

static void invite(slot *sl)
{
    msc_hr hr;
    memset(sl, 0, sizeof *sl);
    sl->t0 = now_ns();
    if (msc_session_create(A.m, &sl->s) != MSC_S_OK) die("msc_session_create failed");
    msc_session_set_user(sl->s, sl);
    if (msc_session_set_application(sl->s, msc_cstr(APP)) != MSC_S_OK) die("set_application failed");
    if ((hr = msc_session_invite(sl->s, msc_cstr(g_target), msc_cstr(INVITE_DATA))) != MSC_S_OK) {
        fprintf(stderr, "msgsc-bench-sip: msc_session_invite #%zu of this part failed: 0x%08X\n", g_invites + 1, (unsigned)hr);
        ua_stats_line("invite failed");
        fail_exit();
    }
    g_invites++;
}

static void hang_up(slot *sl)
{
    if (msc_session_cancel(sl->s, MSC_S_OK, MSC_STR_EMPTY) != MSC_S_OK) die("msc_session_cancel failed");
    msc_session_set_user(sl->s, NULL);
    msc_session_unref(sl->s);
    sl->s = NULL;
}

static void check_failures(const char *part)
{
    if (A.failures || B.failures || B.accept_failures) {
        fprintf(stderr, "msgsc-bench-sip: %s: %zu failed sessions at alice, %zu at bob, %zu failed accepts\n",
                part, A.failures, B.failures, B.accept_failures);
        ua_stats_line("failure");
        fail_exit();
    }
}

static void timeout(const char *part, const char *what)
{
    fprintf(stderr, "msgsc-bench-sip: %s: timed out waiting for %s (alice: %zu connected, %zu ended; "
            "bob: %zu invitations, %zu connected, %zu ended)\n", part, what, A.connected, A.terminated,
            B.invitations, B.connected, B.terminated);
    ua_stats_line("timeout");
    fail_exit();
}

/* ---- what msgsc sends: one invite -> accept round trip, captured ---------------------------- */
/* Two user agents with the very configuration of the real ones (identities, ports, transport),
 * wired to each other in memory: every message they would write is recorded. */
#define CAP_MAX 16
typedef struct cap_msg { int from_alice; msc_net_proto proto; size_t len; char line[72]; char *data; } cap_msg;
static cap_msg g_cap[CAP_MAX];
static size_t g_ncap, g_cap_next;
static msc_sip_ua *g_cap_ua[2];
static int g_cap_connected;

static msc_hr cap_send(void *ctx, msc_net_proto proto, const msc_addr *dest, const void *buf, size_t len)
{
    cap_msg *c;
    size_t n = 0;
    (void)dest;
    if (g_ncap == CAP_MAX) return MSC_E_OUTOFMEMORY;
    c = &g_cap[g_ncap++];
    c->from_alice = ctx == &A;
    c->proto = proto;
    c->len = len;
    while (n < len && n < sizeof c->line - 1 && ((const char *)buf)[n] != '\r') n++;
    memcpy(c->line, buf, n);
    c->line[n] = 0;
    if (!(c->data = malloc(len))) die("out of memory");
    memcpy(c->data, buf, len);
    return MSC_S_OK;
}
static msc_hr cap_resolve(void *ctx, msc_str h, uint16_t port, msc_addr *out) { (void)ctx; return msc_net_resolve(h, port, out); }
static void cap_state(void *ctx, msc_session *s, msc_state prev)
{
    (void)prev;
    if (ctx == &A && msc_session_state(s) == MSC_SS_CONNECTED) g_cap_connected = (int)g_ncap;
}
static void cap_invitation(void *ctx, msc_session *s, msc_str data)
{
    (void)ctx; (void)data;
    if (msc_session_accept(s, msc_cstr(ACCEPT_DATA)) != MSC_S_OK) die("capture: accept failed");
}

typedef struct exchange {        /* the round trip as the floor replays it */
    size_t req, ack, resp[8], nresp, resp_total, bye, bye_ok;
} exchange;

static exchange capture(void)
{
    msc_manager *m[2];
    msc_sip_ua_config uc;
    msc_sip_ua_io io;
    msc_host host;
    msc_events ev;
    msc_session *s;
    agent *who[2] = { &A, &B };
    exchange x;
    size_t i;
    int k, connected_at = -1;

    memset(&x, 0, sizeof x);
    for (k = 0; k < 2; k++) {
        memset(&uc, 0, sizeof uc);
        uc.identity = msc_cstr(who[k]->identity);
        uc.transport = opt.tcp ? MSC_NET_TCP : MSC_NET_UDP;
        if (msc_net_resolve(msc_cstr("127.0.0.1"), who[k]->port, &uc.local) != MSC_S_OK) die("resolve");
        memset(&io, 0, sizeof io);
        io.ctx = who[k];
        io.now_ms = clock_ms;
        io.random = random_bytes;
        io.send = cap_send;
        io.resolve = cap_resolve;
        if (msc_sip_ua_create(&uc, &io, &g_cap_ua[k]) != MSC_S_OK) die("capture: msc_sip_ua_create failed");
        memset(&host, 0, sizeof host);
        host.now_ms = clock_ms;
        host.random = random_bytes;
        host.app_lookup = app_lookup;
        memset(&ev, 0, sizeof ev);
        ev.ctx = who[k];
        ev.invitation = cap_invitation;
        ev.state_changed = cap_state;
        if (!(m[k] = msc_manager_create(&host, msc_sip_ua_transport(g_cap_ua[k]), &ev, NULL))) die("manager");
        msc_sip_ua_bind(g_cap_ua[k], m[k]);
    }
    g_ncap = g_cap_next = 0;
    g_cap_connected = -1;
    if (msc_session_create(m[0], &s) != MSC_S_OK || msc_session_set_application(s, msc_cstr(APP)) != MSC_S_OK
        || msc_session_invite(s, msc_cstr(B.identity), msc_cstr(INVITE_DATA)) != MSC_S_OK)
        die("capture: invite failed");
    for (k = 0; k < 2; k++) {        /* the round trip, then (k = 1) alice hangs up: BYE, 200 */
        while (g_cap_next < g_ncap) {
            cap_msg *c = &g_cap[g_cap_next++];
            msc_addr from;
            /* over TCP a request arrives from the connection's ephemeral port (5 digits too) */
            msc_net_resolve(msc_cstr("127.0.0.1"), opt.tcp ? 45678 : (c->from_alice ? A.port : B.port), &from);
            msc_sip_ua_input(g_cap_ua[c->from_alice ? 1 : 0], c->proto, &from, c->data, c->len);
        }
        if (!k) {
            connected_at = g_cap_connected;
            if (connected_at < 0) die("capture: alice's session did not reach SS_CONNECTED");
            if (msc_session_cancel(s, MSC_S_OK, MSC_STR_EMPTY) != MSC_S_OK) die("capture: cancel failed");
        }
    }
    msc_session_unref(s);
    /* the floor: alice's first message, bob's answers, alice's messages up to SS_CONNECTED */
    for (i = 0; i < g_ncap; i++) {
        cap_msg *c = &g_cap[i];
        fprintf(stderr, "    %s %-5s %5zu bytes  %s\n", c->from_alice ? "alice->bob" : "bob->alice",
                c->proto == MSC_NET_TCP ? "TCP" : "UDP", c->len, c->line);
        if ((int)i >= connected_at) {
            if (c->from_alice) x.bye += c->len; else x.bye_ok += c->len;
        } else if (i == 0) {
            if (!c->from_alice) die("capture: unexpected order");
            x.req = c->len;
        } else if (!c->from_alice) {
            if (x.ack || x.nresp == 8) die("capture: unexpected order");
            x.resp[x.nresp++] = c->len;
            x.resp_total += c->len;
        } else {
            x.ack += c->len;
        }
        free(c->data);
    }
    if (!x.req || !x.nresp || !x.ack) die("capture: not a request/response/ACK exchange");
    for (k = 0; k < 2; k++) {
        msc_sip_ua_bind(g_cap_ua[k], NULL);
        msc_manager_destroy(m[k]);
        msc_sip_ua_destroy(g_cap_ua[k]);
    }
    return x;
}

static void print_capture(const exchange *x)
{
    size_t i;
    printf("| message as msgsc writes it, direct over %s (the sizes the floor replays%s) | bytes |\n|---|---:|\n",
           opt.tcp ? "TCP" : "UDP", opt.proxy ? "; through the proxy the messages are longer" : "");
    for (i = 0; i < g_ncap; i++)
        printf("| %s: `%s` | %zu |\n", g_cap[i].from_alice ? "alice -> bob" : "bob -> alice", g_cap[i].line, g_cap[i].len);
    printf("| invite -> SS_CONNECTED, both ways | %zu |\n\n", x->req + x->resp_total + x->ack);
}

/* ---- the floor: plain sockets, the same bytes ----------------------------------------------- */
/* The client sends a request of x.req bytes; the server answers with x.nresp separate writes of
 * x.resp[i] bytes; once all have arrived the client writes x.ack bytes.  The round trip ends when
 * the ACK is written (as alice's session is SS_CONNECTED once the ACK is queued).  The first byte
 * says what a message is ('I' request, 'A' ack, 'Q' quit), the rest is filler. */
typedef struct floor_srv { int fd, tcp; exchange x; } floor_srv;

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { if (errno == EINTR) continue; die("floor: write failed"); }
        p += w;
        n -= (size_t)w;
    }
}

static char g_fill[65536];

static void *floor_server(void *arg)
{
    floor_srv *sv = arg;
    static char buf[1 << 20];
    size_t have = 0, i;
    int fd = sv->fd;

    if (sv->tcp) {
        int one = 1;
        fd = accept(sv->fd, NULL, NULL);
        if (fd < 0) die("floor: accept failed");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        for (;;) {
            ssize_t r = read(fd, buf + have, sizeof buf - have);
            size_t pos = 0;
            if (r <= 0) break;
            have += (size_t)r;
            while (pos < have) {
                char tag = buf[pos];
                size_t need = tag == 'I' ? sv->x.req : tag == 'A' ? sv->x.ack : 1;
                if (tag == 'Q') { close(fd); return NULL; }
                if (have - pos < need) break;
                if (tag == 'I')
                    for (i = 0; i < sv->x.nresp; i++) write_all(fd, g_fill, sv->x.resp[i]);
                pos += need;
            }
            memmove(buf, buf + pos, have - pos);
            have -= pos;
        }
        close(fd);
        return NULL;
    }
    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(fd, buf, 65536, 0, (struct sockaddr *)&from, &fl);
        if (r <= 0) continue;
        if (buf[0] == 'Q') return NULL;
        if (buf[0] == 'I')
            for (i = 0; i < sv->x.nresp; i++)
                sendto(fd, g_fill, sv->x.resp[i], 0, (struct sockaddr *)&from, fl);
    }
}

typedef struct floor_result { dist lat; double rate, cpu_us; int ok; } floor_result;

/* k exchanges in flight, n in all (after warm untimed ones); latencies when k == 1 */
static floor_result floor_run(int tcp, const exchange *x, size_t k, size_t n, size_t warm)
{
    floor_result res;
    floor_srv sv;
    pthread_t th;
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd, one = 1;
    size_t started = 0, done = 0, total = n + warm, head = 0, got = 0, i;
    uint64_t *t0 = calloc(total, sizeof *t0), tstart = 0, tend = 0;
    double *lat = calloc(n ? n : 1, sizeof *lat), c0 = 0;
    char msg[65536];
    char ack[65536];

    memset(&res, 0, sizeof res);
    if (!t0 || !lat) die("out of memory");
    memset(g_fill, 'R', sizeof g_fill);
    memset(msg, 'x', sizeof msg);
    memset(ack, 'x', sizeof ack);
    msg[0] = 'I';
    ack[0] = 'A';
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sv.x = *x;
    sv.tcp = tcp;
    sv.fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (sv.fd < 0 || bind(sv.fd, (struct sockaddr *)&a, sizeof a) || getsockname(sv.fd, (struct sockaddr *)&a, &al)
        || (tcp && listen(sv.fd, 4)))
        die("floor: cannot bind");
    if (pthread_create(&th, NULL, floor_server, &sv)) die("floor: no thread");
    fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) die("floor: cannot connect");
    if (tcp) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!warm) { tstart = now_ns(); c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID); }

    while (done < total) {
        struct pollfd p;
        char buf[65536];
        ssize_t r;
        while (started < total && started - done < k) {
            t0[started++] = now_ns();
            if (tcp) write_all(fd, msg, x->req);
            else if (send(fd, msg, x->req, 0) < 0) die("floor: send failed");
        }
        p.fd = fd;
        p.events = POLLIN;
        if (poll(&p, 1, 2000) <= 0) {
            fprintf(stderr, "msgsc-bench-sip: floor (%s): no answer within 2 s (a datagram lost?)\n", tcp ? "TCP" : "UDP");
            goto out;
        }
        r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0) die("floor: recv failed");
        got += tcp ? (size_t)r : 1;            /* TCP: bytes; UDP: datagrams */
        for (;;) {
            size_t need = tcp ? x->resp_total : x->nresp;
            if (got < need || head == started) break;
            got -= need;
            if (tcp) write_all(fd, ack, x->ack);
            else if (send(fd, ack, x->ack, 0) < 0) die("floor: send failed");
            if (head >= warm) lat[head - warm] = (double)(now_ns() - t0[head]) / 1e3;
            head++;
            done++;
            if (done == warm) { tstart = now_ns(); c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID); }
            if (done == total) tend = now_ns();
            /* a new request before waiting for more answers (keeps k in flight) */
            if (started < total && started - done < k) {
                t0[started++] = now_ns();
                if (tcp) write_all(fd, msg, x->req);
                else if (send(fd, msg, x->req, 0) < 0) die("floor: send failed");
            }
        }
    }
    res.cpu_us = (cpu_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e6 / (double)n;
    res.rate = (double)n / ((double)(tend - tstart) * 1e-9);
    res.lat = distribution(lat, n);
    res.ok = 1;
out:
    for (i = 0; i < 3; i++) {                 /* stop the server (UDP: a datagram may get lost) */
        char q = 'Q';
        if (tcp) { write_all(fd, &q, 1); break; }
        send(fd, &q, 1, 0);
    }
    if (tcp || res.ok) pthread_join(th, NULL);
    else pthread_detach(th);
    close(fd);
    close(sv.fd);
    free(t0);
    free(lat);
    return res;
}

/* ---- (1) sequential round trips --------------------------------------------------------------- */
static void part_latency(size_t rounds, const floor_result *fl, const char *fl_name, const floor_result *udp)
{
    size_t warm = rounds / 10 < 20 ? 20 : rounds / 10, i;
    double *lat = malloc(rounds * sizeof *lat), *full = malloc(rounds * sizeof *full);
    slot sl;
    dist d, f;
    uint64_t retx0;
    long long drops0 = udp_rcvbuf_errors();
    char what[112];

    if (!lat || !full) die("out of memory");
    fprintf(stderr, "(1) %zu sequential round trips (+ %zu warm-up)\n", rounds, warm);
    stacks_start();
    retx0 = retransmissions();
    for (i = 0; i < warm + rounds; i++) {
        uint64_t until = now_ns() + 30000000000ull;
        size_t ended = B.terminated;
        g_just_connected = NULL;
        invite(&sl);
        g_just_failed = NULL;
        while (!sl.connected && !sl.ended) {
            pump(5);
            if (now_ns() > until) timeout("round trips", "SS_CONNECTED");
        }
        g_just_connected = g_just_failed = NULL;
        if (!sl.connected) check_failures("round trips");
        if (i >= warm) lat[i - warm] = (double)(sl.t1 - sl.t0) / 1e3;
        hang_up(&sl);
        while (B.terminated == ended) {
            pump(5);
            if (now_ns() > until) timeout("round trips", "bob's OnTermination");
        }
        if (i >= warm) full[i - warm] = (double)(B.last_term - sl.t0) / 1e3;
    }
    check_failures("round trips");
    d = distribution(lat, rounds);
    f = distribution(full, rounds);
    snprintf(what, sizeof what, "(1) invite -> SS_CONNECTED, sequential: median (floor: %s)", fl_name);
    result(what, "us", "%.1f", d.median, fl->ok ? fl->lat.median : -1);
    result("(1) invite -> SS_CONNECTED, sequential: p90", "us", "%.1f", d.p90, fl->ok ? fl->lat.p90 : -1);
    result("(1) invite -> SS_CONNECTED, sequential: p99", "us", "%.1f", d.p99, fl->ok ? fl->lat.p99 : -1);
    result("(1) invite -> SS_CONNECTED, sequential: mean", "us", "%.1f", d.mean, fl->ok ? fl->lat.mean : -1);
    if (udp && udp->ok) {
        result("(1) the floor over plain UDP instead (for reference): median", "us", "%.1f", udp->lat.median, -1);
        result("(1) the floor over plain UDP instead (for reference): mean", "us", "%.1f", udp->lat.mean, -1);
    }
    result("(1) full cycle, sequential: invite -> bob's OnTermination after alice's BYE, median", "us", "%.1f", f.median, -1);
    result("(1) full cycle, sequential: mean", "us", "%.1f", f.mean, -1);
    fprintf(stderr, "    max %.1f us; full cycle max %.1f us; SIP retransmissions %llu; UDP datagrams dropped %lld\n",
            d.max, f.max, (unsigned long long)(retransmissions() - retx0), udp_rcvbuf_errors() - drops0);
    stacks_stop();
    free(lat);
    free(full);
}

/* ---- (2) throughput: k invitations in flight -------------------------------------------------- */
static void part_throughput(size_t total, size_t k, const floor_result *fl, const char *fl_name)
{
    slot *slots = calloc(k, sizeof *slots), **free_slots = calloc(k, sizeof *free_slots);
    size_t nfree = k, started = 0, done = 0, warm = k * 4, i;
    uint64_t t_start = 0, t_end = 0, until, t_q1 = 0, t_q3 = 0, retx0;
    double c_proc = 0, c_main = 0;
    long long drops0 = udp_rcvbuf_errors();
    char what[112];

    if (!slots || !free_slots) die("out of memory");
    for (i = 0; i < k; i++) free_slots[i] = &slots[i];
    fprintf(stderr, "(2) %zu invitations, %zu in flight (+ %zu warm-up)\n", total, k, warm);
    stacks_start();
    retx0 = retransmissions();
    until = now_ns() + 120000000000ull;
    total += warm;
    while (done < total) {
        while (nfree && started < total) {
            invite(free_slots[--nfree]);
            started++;
        }
        pump(5);
        while (g_just_connected) {
            slot *sl = g_just_connected;
            g_just_connected = sl->next;
            hang_up(sl);                   /* BYE: the session ends, the slot is free again */
            free_slots[nfree++] = sl;
            done++;
            if (done == warm) { t_start = now_ns(); c_proc = cpu_s(CLOCK_PROCESS_CPUTIME_ID); c_main = cpu_s(CLOCK_THREAD_CPUTIME_ID); }
            if (done == warm + (total - warm) / 4) t_q1 = now_ns();
            if (done == warm + 3 * (total - warm) / 4) t_q3 = now_ns();
            if (done == total) {
                t_end = now_ns();
                c_proc = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - c_proc;
                c_main = cpu_s(CLOCK_THREAD_CPUTIME_ID) - c_main;
            }
        }
        while (g_just_failed) {            /* counted in A.failures; the slot is free again */
            slot *sl = g_just_failed;
            g_just_failed = sl->next;
            msc_session_set_user(sl->s, NULL);
            msc_session_unref(sl->s);
            sl->s = NULL;
            free_slots[nfree++] = sl;
            started--;
        }
        if (now_ns() > until) timeout("throughput", "SS_CONNECTED");
    }
    total -= warm;
    while (B.terminated + A.failures < total + warm) {             /* the last BYEs */
        pump(5);
        if (now_ns() > until) timeout("throughput", "bob's OnTermination");
    }
    if (A.failures) result("(2) invitations that failed (each started again)", "", "%.0f", (double)A.failures, -1);
    snprintf(what, sizeof what, "(2) invitations/s, %zu in flight, each ended by BYE (floor: %s)", k, fl_name);
    result(what, "1/s", "%.0f", (double)total / ((double)(t_end - t_start) * 1e-9), fl->ok ? fl->rate : -1);
    result("(2) CPU per invitation, whole process (floor: client + server)", "us", "%.1f",
           c_proc * 1e6 / (double)total, fl->ok ? fl->cpu_us : -1);
    result("(2) CPU per invitation, owner thread (user agents + engines)", "us", "%.1f", c_main * 1e6 / (double)total, -1);
    result("(2) SIP retransmissions during (2)", "msgs", "%.0f", (double)(retransmissions() - retx0), -1);
    if (!opt.tcp)
        result("(2) UDP datagrams the kernel dropped during (2), receive buffer full (system-wide)", "msgs", "%.0f",
               (double)(udp_rcvbuf_errors() - drops0), -1);
    fprintf(stderr, "    first quarter %.0f/s, last quarter %.0f/s\n",
            (double)((total) / 4) / ((double)(t_q1 - t_start) * 1e-9),
            (double)(total - 3 * (total / 4)) / ((double)(t_end - t_q3) * 1e-9));
    check_failures("throughput");
    stacks_stop();
    snprintf(what, sizeof what, "(2) stop both agents afterwards (%zu ended calls lingering in each)", total + warm);
    result(what, "ms", "%.0f", g_last_stop_ms, -1);
    free(slots);
    free(free_slots);
}

/* ---- (3) n sessions held open at once ---------------------------------------------------------- */
static void part_held(size_t n, size_t k)
{
    slot *slots = calloc(n, sizeof *slots);
    size_t started = 0, inflight = 0, i;
    long long h0, h1, r0, r1, h2, r2, drops0;
    uint64_t retx0;
    uint64_t t0, t1, t2, t3, until;
    double c0, w0;
    msc_sip_ua_stats sa, sb;
    char what[112];

    if (!slots) die("out of memory");
    fprintf(stderr, "(3) %zu sessions held open (opened %zu at a time)\n", n, k);
    stacks_start();
    pump_for(50000000);
#ifdef __GLIBC__
    malloc_trim(0);                  /* give back what earlier parts freed, so RSS can grow */
#endif
    h0 = heap_in_use();
    r0 = rss_bytes();
    t0 = now_ns();
    until = t0 + 120000000000ull;
    while (A.connected < n || B.connected < n) {
        while (inflight < k && started < n) {
            invite(&slots[started++]);
            inflight++;
        }
        pump(5);
        while (g_just_connected) {
            g_just_connected = g_just_connected->next;
            inflight--;
        }
        if (g_just_failed) check_failures("held sessions (open)");
        if (now_ns() > until) timeout("held sessions", "every session to connect");
    }
    t1 = now_ns();
    check_failures("held sessions (open)");
    h1 = heap_in_use();
    r1 = rss_bytes();
    sa = msc_sip_ua_get_stats(msc_sip_stack_ua(A.st));
    sb = msc_sip_ua_get_stats(msc_sip_stack_ua(B.st));
    if (msc_manager_session_count(A.m) < n || msc_manager_session_count(B.m) < n || sa.calls < n || sb.calls < n)
        die("held sessions: fewer sessions or calls than connected sessions");
    for (i = 0; i < n; i++)
        if (msc_session_state(slots[i].s) != MSC_SS_CONNECTED) die("held sessions: a session is not SS_CONNECTED");
    snprintf(what, sizeof what, "(3) %zu sessions: open all (%zu in flight) -> both sides SS_CONNECTED", n, k);
    held_result(what, "ms", "%.0f", (double)(t1 - t0) * 1e-6);
    snprintf(what, sizeof what, "(3) %zu sessions: connected at alice / at bob (all %zu?)", n, n);
    {
        row *r = &g_held[g_nheld++];
        snprintf(r->what, sizeof r->what, "%s", what);
        snprintf(r->a, sizeof r->a, "%zu / %zu", A.connected, B.connected);
        snprintf(r->unit, sizeof r->unit, "sessions");
        fprintf(stderr, "  %-64s %12s\n", r->what, r->a);
    }
    snprintf(what, sizeof what, "(3) %zu sessions: heap growth per open session, both agents", n);
    held_result(what, "bytes", "%.0f", (double)(h1 - h0) / (double)n);
    snprintf(what, sizeof what, "(3) %zu sessions: RSS growth per open session, both agents", n);
    held_result(what, "bytes", "%.0f", (double)(r1 - r0) / (double)n);
    /* idle: what n open sessions cost while nothing happens */
    c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
    w0 = (double)now_ns();
    pump_for(1000000000);
    c0 = (cpu_s(CLOCK_PROCESS_CPUTIME_ID) - c0) / (((double)now_ns() - w0) * 1e-9);
    for (i = 0; i < n; i++)
        if (msc_session_state(slots[i].s) != MSC_SS_CONNECTED) die("held sessions: a session ended while idle");
    snprintf(what, sizeof what, "(3) %zu sessions: CPU while idle for 1 s, whole process", n);
    held_result(what, "%", "%.1f", c0 * 100.0);
    /* tear down: alice hangs up all n at once */
    retx0 = retransmissions();
    drops0 = udp_rcvbuf_errors();
    t2 = now_ns();
    for (i = 0; i < n; i++) hang_up(&slots[i]);
    {
        size_t seen = B.terminated;
        until = now_ns() + 35000000000ull;   /* a BYE is retransmitted for 64*T1 = 32 s at most */
        while (B.terminated < n) {
            pump(5);
            if (B.terminated != seen) { seen = B.terminated; until = now_ns() + 35000000000ull; }
            if (now_ns() > until) {
                row *r = &g_held[g_nheld++];
                snprintf(r->what, sizeof r->what, "(3) %zu sessions: alice hangs up all -> bob never ends some (no BYE)", n);
                snprintf(r->a, sizeof r->a, "%zu LOST", n - B.terminated);
                snprintf(r->unit, sizeof r->unit, "sessions");
                timeout("held sessions", "bob's OnTermination for every session (none for 35 s)");
            }
        }
    }
    t3 = now_ns();
    check_failures("held sessions (teardown)");
    h2 = heap_in_use();
    r2 = rss_bytes();
    snprintf(what, sizeof what, "(3) %zu sessions: alice hangs up all -> bob's OnTermination for all", n);
    held_result(what, "ms", "%.0f", (double)(t3 - t2) * 1e-6);
    snprintf(what, sizeof what, "(3) %zu sessions: SIP retransmissions during the hang-up", n);
    held_result(what, "msgs", "%.0f", (double)(retransmissions() - retx0));
    if (!opt.tcp) {
        snprintf(what, sizeof what, "(3) %zu sessions: UDP datagrams dropped during the hang-up (system-wide)", n);
        held_result(what, "msgs", "%.0f", (double)(udp_rcvbuf_errors() - drops0));
    }
    fprintf(stderr, "    calls alice %zu bob %zu, transactions alice %zu bob %zu; after teardown heap %+.1f MiB, RSS %+.1f MiB vs. before\n",
            sa.calls, sb.calls, sa.transactions, sb.transactions, (double)(h2 - h0) / 1048576.0, (double)(r2 - r0) / 1048576.0);
    stacks_stop();
    snprintf(what, sizeof what, "(3) %zu sessions: stop both agents afterwards (ended calls still lingering)", n);
    held_result(what, "ms", "%.0f", g_last_stop_ms);
    free(slots);
}

/* ---- (5) sustained load: a fixed offered rate for a while (only with --sustain) ---------------- */
/* Every ended call lingers in the user agent for 64*T1 = 32 s, so what a long run costs shows only
 * after 32 s.  Invitations are started at `rate` per second (at most 4096 in flight), each ended
 * by BYE once connected; every window of 4 s reports the rate achieved and the owner thread's CPU. */
static void part_sustain(double seconds, double rate)
{
    size_t cap = 4096, nfree = cap, started = 0, done = 0, win_done = 0, i;
    slot *slots = calloc(cap, sizeof *slots), **free_slots = calloc(cap, sizeof *free_slots);
    uint64_t t0, win_t, end;
    double win_cpu;
    char what[112];

    if (!slots || !free_slots) die("out of memory");
    for (i = 0; i < cap; i++) free_slots[i] = &slots[i];
    fprintf(stderr, "(5) sustained load: %.0f invitations/s offered for %.0f s\n", rate, seconds);
    stacks_start();
    t0 = win_t = now_ns();
    end = t0 + (uint64_t)(seconds * 1e9);
    win_cpu = cpu_s(CLOCK_THREAD_CPUTIME_ID);
    while (now_ns() < end) {
        size_t due = (size_t)((double)(now_ns() - t0) * 1e-9 * rate);
        while (nfree && started < due) {
            invite(free_slots[--nfree]);
            started++;
        }
        pump(1);
        while (g_just_connected) {
            slot *sl = g_just_connected;
            g_just_connected = sl->next;
            hang_up(sl);
            free_slots[nfree++] = sl;
            done++;
        }
        while (g_just_failed) {
            slot *sl = g_just_failed;
            g_just_failed = sl->next;
            msc_session_set_user(sl->s, NULL);
            msc_session_unref(sl->s);
            sl->s = NULL;
            free_slots[nfree++] = sl;
        }
        if (now_ns() - win_t >= 4000000000ull) {
            uint64_t t = now_ns();
            double c = cpu_s(CLOCK_THREAD_CPUTIME_ID);
            msc_sip_ua_stats a = msc_sip_ua_get_stats(msc_sip_stack_ua(A.st));
            snprintf(what, sizeof what, "(5) %.0f/s offered, %3.0f-%3.0f s: achieved; owner thread CPU %.0f %%; calls at alice %zu",
                     rate, (double)(win_t - t0) * 1e-9, (double)(t - t0) * 1e-9, (c - win_cpu) * 100.0 / ((double)(t - win_t) * 1e-9), a.calls);
            result(what, "1/s", "%.0f", (double)(done - win_done) / ((double)(t - win_t) * 1e-9), -1);
            win_t = t;
            win_cpu = c;
            win_done = done;
        }
    }
    check_failures("sustained load");
    stacks_stop();
    free(slots);
    free(free_slots);
}

static exchange g_x;
static void print_tables(void)
{
    static int done;
    int i;
    if (done++) return;
    printf("msgsc-bench-sip: SIP over %s, %s; alice 127.0.0.1:%u, bob 127.0.0.1:%u; floor: plain %s on loopback, the same bytes\n\n",
           opt.tcp ? "TCP" : "UDP", opt.proxy ? "through the proxy" : "direct", A.port, B.port, "TCP");
    if (opt.proxy) printf("proxy: %s (alice@msgsc.test and bob@msgsc.test registered)\n\n", opt.proxy);
    print_capture(&g_x);
    printf("| measurement | msgsc | floor | msgsc / floor | unit |\n|---|---:|---:|---:|---|\n");
    for (i = 0; i < (int)g_nrows; i++)
        printf("| %s | %s | %s | %s | %s |\n", g_rows[i].what, g_rows[i].a, g_rows[i].b, g_rows[i].r, g_rows[i].unit);
    printf("\n| sessions held open | value | unit |\n|---|---:|---|\n");
    for (i = 0; i < (int)g_nheld; i++)
        printf("| %s | %s | %s |\n", g_held[i].what, g_held[i].a, g_held[i].unit);
}

/* ---- main --------------------------------------------------------------------------------------- */
static void usage(void)
{
    fprintf(stderr, "usage: msgsc-bench-sip [--rounds N] [--invitations N] [--concurrency K] [--sessions N[,N..]|none]\n"
                    "                       [--tcp] [--proxy HOST:PORT] [--quick] [--spin] [--sustain S [--rate R]]\n");
    exit(2);
}

static long num(const char *v)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || n <= 0) usage();
    return n;
}

int main(int argc, char **argv)
{
    pthread_condattr_t ca;
    floor_result fl_lat, fl_tp, fl_udp_lat;
    const floor_result *use_lat, *use_tp;
    const char *fl_name;
    char host[64];
    uint16_t port;
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--rounds")) { opt.rounds = num(v); i++; }
        else if (!strcmp(a, "--invitations")) { opt.invitations = num(v); i++; }
        else if (!strcmp(a, "--concurrency")) { opt.conc = num(v); i++; }
        else if (!strcmp(a, "--sessions")) {
            const char *p = v;
            char *end;
            if (!v) usage();
            opt.nsessions = 0;
            if (!strcmp(v, "none")) p = "";
            while (*p && opt.nsessions < 8) {
                long n = strtol(p, &end, 10);
                if (end == p || n <= 0) usage();
                opt.sessions[opt.nsessions++] = n;
                p = *end == ',' ? end + 1 : end;
                if (*end && *end != ',') usage();
            }
            i++;
        }
        else if (!strcmp(a, "--sustain")) { opt.sustain = (double)num(v); i++; }
        else if (!strcmp(a, "--rate")) { opt.rate = (double)num(v); i++; }
        else if (!strcmp(a, "--tcp")) opt.tcp = 1;
        else if (!strcmp(a, "--spin")) opt.spin = 1;
        else if (!strcmp(a, "--quick")) { opt.quick = 1; opt.rounds = 300; opt.invitations = 3000; opt.sessions[0] = 1000; opt.nsessions = 1; }
        else if (!strcmp(a, "--proxy")) { if (!v || !split_host_port(v, host, sizeof host, &port)) usage(); opt.proxy = v; i++; }
        else usage();
    }
#ifndef NDEBUG
    fprintf(stderr, "msgsc-bench-sip: WARNING: built without NDEBUG; configure with -DCMAKE_BUILD_TYPE=Release\n");
#endif
#if !defined(__OPTIMIZE__)
    fprintf(stderr, "msgsc-bench-sip: WARNING: built without optimization; numbers are meaningless\n");
#endif
    setvbuf(stdout, NULL, _IOLBF, 0);
    seed_rng();
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g_cv, &ca);

    /* the ports (and so the identities) the agents use in every part; the bytes they send */
    {
        int proxy = opt.proxy != NULL;
        const char *p = opt.proxy;
        opt.proxy = NULL;                 /* the floor replays the direct exchange */
        agent_start(&A);
        agent_start(&B);
        agent_stop(&A);
        agent_stop(&B);
        fprintf(stderr, "what msgsc sends for one invitation (direct, %s):\n", opt.tcp ? "TCP" : "UDP");
        g_x = capture();
        opt.proxy = proxy ? p : NULL;
    }

    fprintf(stderr, "floor: TCP, sequential and %ld in flight\n", opt.conc);
    fl_lat = floor_run(1, &g_x, 1, (size_t)opt.rounds, (size_t)(opt.rounds / 10 < 20 ? 20 : opt.rounds / 10));
    fl_tp = floor_run(1, &g_x, (size_t)opt.conc, (size_t)opt.invitations, (size_t)opt.conc * 4);
    memset(&fl_udp_lat, 0, sizeof fl_udp_lat);
    if (!opt.tcp) {
        /* sequential only: with many in flight plain UDP loses datagrams (see docs) and has no
         * retransmission to recover them */
        fprintf(stderr, "floor: UDP, sequential\n");
        fl_udp_lat = floor_run(0, &g_x, 1, (size_t)opt.rounds, (size_t)(opt.rounds / 10 < 20 ? 20 : opt.rounds / 10));
    }

    fl_name = "TCP";
    use_lat = &fl_lat;
    use_tp = &fl_tp;
    part_latency((size_t)opt.rounds, use_lat, fl_name, opt.tcp ? NULL : &fl_udp_lat);
    part_throughput((size_t)opt.invitations, (size_t)opt.conc, use_tp, fl_name);
    for (i = 0; i < (int)opt.nsessions; i++) part_held((size_t)opt.sessions[i], (size_t)opt.conc);
    if (opt.sustain > 0) part_sustain(opt.sustain, opt.rate);

    print_tables();
    pthread_cond_destroy(&g_cv);
    pthread_condattr_destroy(&ca);
    return 0;
}
