/* msgsc-bench: throughput and memory of the invitation core over the loopback transport.
 *
 * Run by hand (docs/benchmarks.md); not a test.  Wall time comes from CLOCK_MONOTONIC; the core
 * runs on a fake clock that only moves when the benchmark moves it (to let ended sessions'
 * linger time pass).  Every message crosses the real body codec (encode on send, decode on
 * delivery).  Results are printed as a markdown table.
 *
 *   msgsc-bench [--sessions N] [--rounds N]
 *     --sessions N  concurrent sessions for the memory/bulk part (default 10000)
 *     --rounds N    invitation round trips per throughput row (default 100000);
 *                   the codec rows encode/decode 10 x N messages
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "msgsc/core.h"
#include "msgsc/transport.h"

static const char APP[] = "{44BBA842-CC51-11CF-AAFA-00AA00B6015C}";
static const char INVITE_DATA[] = "ip=10.0.0.1;port=1503;codec=g711;note=hello from the benchmark";
static const char ACCEPT_DATA[] = "ip=10.0.0.2;port=1503";

/* ---- clocks, memory --------------------------------------------------------------------------- */
static uint64_t g_fake_ms;
static uint64_t fake_now(void *ctx) { (void)ctx; return g_fake_ms; }

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Bytes the process has allocated and not freed (arena chunks + mmapped chunks). */
static long long heap_in_use(void)
{
#ifdef __GLIBC__
    struct mallinfo2 mi = mallinfo2();
    return (long long)(mi.uordblks + mi.hblkhd);
#else
    return -1;
#endif
}

static void die(const char *what)
{
    fprintf(stderr, "msgsc-bench: %s\n", what);
    exit(1);
}

/* ---- two users on one loopback network -------------------------------------------------------- */
typedef struct side {
    msc_loop_endpoint *ep;
    msc_manager *mgr;
    msc_session **incoming;      /* invitee: sessions from OnInvitation, referenced */
    size_t nincoming, cap;
    size_t accepted, terminated;
} side;

static msc_loopnet *g_net;
static side g_alice, g_bob, g_carol;
static const char ALICE[] = "alice@example.org", BOB[] = "bob@example.org", CAROL[] = "carol@example.org";

static void on_invitation(void *ctx, msc_session *s, msc_str data)
{
    side *u = ctx;
    (void)data;
    if (u->nincoming == u->cap) die("more invitations than expected");
    msc_session_ref(s);
    u->incoming[u->nincoming++] = s;
}
static void on_accepted(void *ctx, msc_session *s, msc_str data) { side *u = ctx; (void)s; (void)data; u->accepted++; }
static void on_terminated(void *ctx, msc_session *s, msc_hr hr, msc_str data)
{
    side *u = ctx;
    (void)s; (void)hr; (void)data;
    u->terminated++;
}

static void make_manager(side *u)
{
    msc_host host;
    msc_events ev;
    memset(&host, 0, sizeof(host));
    memset(&ev, 0, sizeof(ev));
    host.now_ms = fake_now;
    ev.ctx = u;
    ev.invitation = on_invitation;
    ev.accepted = on_accepted;
    ev.terminated = on_terminated;
    if (!(u->mgr = msc_manager_create(&host, msc_loop_endpoint_transport(u->ep), &ev, NULL))) die("manager");
    msc_loop_endpoint_bind(u->ep, u->mgr);
    u->nincoming = u->accepted = u->terminated = 0;
}

static void drop_manager(side *u)
{
    size_t i;
    for (i = 0; i < u->nincoming; i++) msc_session_unref(u->incoming[i]);
    u->nincoming = 0;
    msc_loop_endpoint_bind(u->ep, NULL);
    msc_manager_destroy(u->mgr);
    u->mgr = NULL;
}

static void pump(void)
{
    while (msc_loopnet_pump(g_net)) {}
}

/* Let every ended session's linger time pass and free it. */
static void expire(void)
{
    g_fake_ms += 60000;
    msc_manager_tick(g_alice.mgr);
    msc_manager_tick(g_bob.mgr);
    pump();
}

static void release_incoming(side *u)
{
    size_t i;
    for (i = 0; i < u->nincoming; i++) msc_session_unref(u->incoming[i]);
    u->nincoming = 0;
}

/* ---- the steps of an invitation, for n sessions at once --------------------------------------- */
static void invite_all(msc_session **out, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (msc_session_create(g_alice.mgr, &out[i]) != MSC_S_OK
            || msc_session_set_application(out[i], msc_cstr(APP)) != MSC_S_OK
            || msc_session_invite(out[i], msc_cstr(BOB), msc_cstr(INVITE_DATA)) != MSC_S_OK)
            die("invite failed");
    }
}

static void accept_all(void)
{
    size_t i;
    for (i = 0; i < g_bob.nincoming; i++)
        if (msc_session_accept(g_bob.incoming[i], msc_cstr(ACCEPT_DATA)) != MSC_S_OK) die("accept failed");
}

static void check_connected(msc_session **out, size_t n)
{
    size_t i;
    if (g_bob.nincoming != n) die("not every invitation arrived");
    for (i = 0; i < n; i++)
        if (msc_session_state(out[i]) != MSC_SS_CONNECTED || msc_session_state(g_bob.incoming[i]) != MSC_SS_CONNECTED)
            die("a session did not reach SS_CONNECTED");
}

static void hang_up_all(msc_session **out, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (msc_session_cancel(out[i], MSC_S_OK, MSC_STR_EMPTY) != MSC_S_OK) die("cancel failed");
        msc_session_unref(out[i]);
    }
}

/* ---- results ------------------------------------------------------------------------------------ */
typedef struct row {
    char what[96], value[48], unit[40];
} row;
static row g_rows[32];
static size_t g_nrows;

static void result(const char *what, const char *unit, const char *fmt, double v)
{
    row *r = &g_rows[g_nrows++];
    snprintf(r->what, sizeof(r->what), "%s", what);
    snprintf(r->value, sizeof(r->value), fmt, v);
    snprintf(r->unit, sizeof(r->unit), "%s", unit);
    fprintf(stderr, "  %-72s %14s %s\n", r->what, r->value, r->unit);
}

/* ---- (a) round trips ---------------------------------------------------------------------------- */
/* Invite -> OnInvitation -> Accept -> OnAccepted -> both SS_CONNECTED, `batch` sessions at a time.
 * Returns round trips per second for the invite..CONNECTED part (*full: including hang-up and
 * freeing the ended sessions). */
static double round_trips(size_t rounds, size_t batch, double *full)
{
    msc_session **out = malloc(batch * sizeof(*out));
    double t_connect = 0, t0, t1, start = wall();
    size_t done = 0, n;

    if (!out) die("out of memory");
    make_manager(&g_alice);
    make_manager(&g_bob);
    while (done < rounds) {
        n = rounds - done < batch ? rounds - done : batch;
        t0 = wall();
        invite_all(out, n);
        pump();
        accept_all();
        pump();
        t1 = wall();
        t_connect += t1 - t0;
        check_connected(out, n);
        hang_up_all(out, n);
        pump();
        release_incoming(&g_bob);
        done += n;
        if (done % 4096 < n || done == rounds) expire();   /* a lingering session lives 32 s */
    }
    *full = (double)rounds / (wall() - start);
    if (msc_manager_session_count(g_alice.mgr) || msc_manager_session_count(g_bob.mgr)) die("sessions left over");
    drop_manager(&g_alice);
    drop_manager(&g_bob);
    free(out);
    return (double)rounds / t_connect;
}

/* ---- (b) many concurrent sessions --------------------------------------------------------------- */
enum stage { ST_INVITATION, ST_CONNECTED, ST_ENDED };

/* Bring n sessions to a stage, then destroy first bob's and then alice's manager, reading the heap
 * in between: the difference is what each side held (sessions, table, timer heap). */
static void memory_at(size_t n, enum stage st, double *inviter, double *invitee)
{
    msc_session **out = malloc(n * sizeof(*out));
    long long m0, m1, m2, m3;
    size_t i;

    if (!out) die("out of memory");
    make_manager(&g_alice);
    make_manager(&g_bob);
    m0 = heap_in_use();
    invite_all(out, n);
    pump();
    if (st >= ST_CONNECTED) {
        accept_all();
        pump();
        check_connected(out, n);
    }
    if (st == ST_ENDED) {
        hang_up_all(out, n);
        pump();
        release_incoming(&g_bob);
    } else {
        for (i = 0; i < n; i++) msc_session_unref(out[i]);   /* the managers keep them */
        release_incoming(&g_bob);
    }
    m1 = heap_in_use();
    /* destruction tells the peer about live sessions: drop those messages unsent */
    msc_loopnet_drop_next(g_net, (unsigned)(2 * n + 16));
    drop_manager(&g_bob);
    m2 = heap_in_use();
    drop_manager(&g_alice);
    m3 = heap_in_use();
    msc_loopnet_drop_next(g_net, 0);
    pump();
    *invitee = (double)(m1 - m2) / (double)n;
    *inviter = (double)(m2 - m3) / (double)n;
    if (m3 - m0 > 4096) fprintf(stderr, "note: %lld bytes still allocated after destroying both managers\n", m3 - m0);
    free(out);
}

static void bulk(size_t n)
{
    msc_session **out = malloc(n * sizeof(*out));
    double t0, t1, t2, t3, t4;
    long long m0, m1;
    char what[96];

    if (!out) die("out of memory");
    make_manager(&g_alice);
    make_manager(&g_bob);
    m0 = heap_in_use();
    t0 = wall();
    invite_all(out, n);
    pump();
    t1 = wall();
    accept_all();
    pump();
    t2 = wall();
    check_connected(out, n);
    m1 = heap_in_use();
    t3 = wall();
    hang_up_all(out, n);
    pump();
    release_incoming(&g_bob);
    t4 = wall();
    snprintf(what, sizeof(what), "(b) %zu sessions: create + invite + deliver all", n);
    result(what, "ms", "%.1f", (t1 - t0) * 1e3);
    snprintf(what, sizeof(what), "(b) %zu sessions: accept all -> all SS_CONNECTED", n);
    result(what, "ms", "%.1f", (t2 - t1) * 1e3);
    snprintf(what, sizeof(what), "(b) %zu sessions: end all (Cancel -> BYE -> both SS_TERMINATED)", n);
    result(what, "ms", "%.1f", (t4 - t3) * 1e3);
    t0 = wall();
    expire();
    t1 = wall();
    snprintf(what, sizeof(what), "(b) %zu sessions: linger expiry frees all (2 x tick)", n);
    result(what, "ms", "%.1f", (t1 - t0) * 1e3);
    snprintf(what, sizeof(what), "(b) %zu connected pairs: heap in use, both sides", n);
    result(what, "MiB", "%.2f", (double)(m1 - m0) / (1024.0 * 1024.0));
    if (msc_manager_session_count(g_alice.mgr) || msc_manager_session_count(g_bob.mgr)) die("sessions left over");
    drop_manager(&g_alice);
    drop_manager(&g_bob);
    free(out);
}

/* ---- (d) incoming invitations while many of our own are pending ------------------------------ */
/* Every incoming invitation is checked for glare against our pending ones to the same user and
 * application; with n of alice's invitations pending to carol, n from bob must not cost n each. */
static void glare_check(size_t n)
{
    msc_session **out = malloc(n * sizeof(*out)), **in = malloc(n * sizeof(*in));
    double t0, t1;
    size_t i;
    char what[96];

    if (!out || !in) die("out of memory");
    make_manager(&g_alice);
    make_manager(&g_bob);
    make_manager(&g_carol);
    for (i = 0; i < n; i++) {
        if (msc_session_create(g_alice.mgr, &out[i]) != MSC_S_OK
            || msc_session_set_application(out[i], msc_cstr(APP)) != MSC_S_OK
            || msc_session_invite(out[i], msc_cstr(CAROL), msc_cstr(INVITE_DATA)) != MSC_S_OK)
            die("invite failed");
    }
    pump();
    for (i = 0; i < n; i++) {
        if (msc_session_create(g_bob.mgr, &in[i]) != MSC_S_OK
            || msc_session_set_application(in[i], msc_cstr(APP)) != MSC_S_OK
            || msc_session_invite(in[i], msc_cstr(ALICE), msc_cstr(INVITE_DATA)) != MSC_S_OK)
            die("invite failed");
    }
    t0 = wall();
    pump();
    t1 = wall();
    if (g_alice.nincoming != n) die("not every invitation arrived");
    snprintf(what, sizeof(what), "(d) %zu invitations received while %zu of ours are pending", n, n);
    result(what, "ms", "%.1f", (t1 - t0) * 1e3);
    for (i = 0; i < n; i++) {
        msc_session_unref(out[i]);
        msc_session_unref(in[i]);
    }
    drop_manager(&g_alice);
    drop_manager(&g_bob);
    drop_manager(&g_carol);
    free(out);
    free(in);
}

/* ---- (c) the codec ------------------------------------------------------------------------------ */
static void codec(size_t count)
{
    msc_msg msgs[3], back;
    char body[3][MSC_BODY_MAX];
    size_t len[3], i, bytes = 0, sink = 0;
    double t0, t1;
    char guid[MSC_GUID_CHARS + 1] = "{0D5B7C22-5A2F-4E7B-9C1D-2B8A6F0E4C11}";

    msc_msg_init(&msgs[0], MSC_VERB_INVITE, msc_cstr(guid));
    MSC_MSG_SET(&msgs[0], app_guid, msc_cstr(APP));
    MSC_MSG_SET(&msgs[0], app_name, msc_cstr("NetMeeting"));
    MSC_MSG_SET(&msgs[0], app_url, msc_cstr("http://www.microsoft.com/netmeeting/"));
    MSC_MSG_SET(&msgs[0], address, msc_cstr("10.0.0.1"));
    msgs[0].lifetime_s = 300;
    msc_msg_set_data(&msgs[0], msc_cstr(INVITE_DATA));
    msc_msg_init(&msgs[1], MSC_VERB_ACCEPT, msc_cstr(guid));
    MSC_MSG_SET(&msgs[1], address, msc_cstr("10.0.0.2"));
    msc_msg_set_data(&msgs[1], msc_cstr(ACCEPT_DATA));
    msc_msg_init(&msgs[2], MSC_VERB_ACK, msc_cstr(guid));
    for (i = 0; i < 3; i++)
        if (!(len[i] = msc_body_encode(&msgs[i], body[i], sizeof(body[i])))) die("encode failed");

    t0 = wall();
    for (i = 0; i < count; i++) {
        size_t n = msc_body_encode(&msgs[i % 3], body[i % 3], sizeof(body[0]));
        bytes += n;
        sink += (unsigned char)body[i % 3][n / 2];
    }
    t1 = wall();
    result("(c) codec: encode, INVITE/ACCEPT/ACK mix", "msgs/s", "%.0f", (double)count / (t1 - t0));
    result("(c) codec: encode throughput", "MB/s", "%.1f", (double)bytes / (t1 - t0) / 1e6);
    t0 = wall();
    for (i = 0; i < count; i++) {
        if (msc_body_decode(body[i % 3], len[i % 3], &back) != MSC_S_OK) die("decode failed");
        sink += back.data_len;
    }
    t1 = wall();
    result("(c) codec: decode, INVITE/ACCEPT/ACK mix", "msgs/s", "%.0f", (double)count / (t1 - t0));
    t0 = wall();
    for (i = 0; i < count; i++) {
        size_t n = msc_body_encode(&msgs[0], body[0], sizeof(body[0]));
        if (msc_body_decode(body[0], n, &back) != MSC_S_OK) die("decode failed");
        sink += back.data_len;
    }
    t1 = wall();
    result("(c) codec: encode + decode, INVITE only", "msgs/s", "%.0f", (double)count / (t1 - t0));
    if (sink == 42) fprintf(stderr, " ");   /* keep the loops honest */
}

/* ---- main --------------------------------------------------------------------------------------- */
static size_t parse_count(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || !v || v > 100000000ull) die("counts must be 1..100000000");
    return (size_t)v;
}

int main(int argc, char **argv)
{
    size_t sessions = 10000, rounds = 100000, i, maxn;
    double rate, full, inviter, invitee;
    char what[96];
    int a;

    for (a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--sessions") && a + 1 < argc) sessions = parse_count(argv[++a]);
        else if (!strcmp(argv[a], "--rounds") && a + 1 < argc) rounds = parse_count(argv[++a]);
        else {
            fprintf(stderr, "usage: msgsc-bench [--sessions N] [--rounds N]\n");
            return 2;
        }
    }
    maxn = sessions > 1000 ? sessions : 1000;
    g_net = msc_loopnet_create(fake_now, NULL);
    if (!g_net) die("loopnet");
    g_alice.ep = msc_loopnet_endpoint(g_net, msc_cstr(ALICE), msc_cstr("10.0.0.1"));
    g_bob.ep = msc_loopnet_endpoint(g_net, msc_cstr(BOB), msc_cstr("10.0.0.2"));
    g_carol.ep = msc_loopnet_endpoint(g_net, msc_cstr(CAROL), msc_cstr("10.0.0.3"));
    g_alice.incoming = malloc(maxn * sizeof(msc_session *));
    g_bob.incoming = malloc(maxn * sizeof(msc_session *));
    g_carol.incoming = malloc(maxn * sizeof(msc_session *));
    if (!g_alice.ep || !g_bob.ep || !g_carol.ep || !g_alice.incoming || !g_bob.incoming || !g_carol.incoming)
        die("setup");
    g_alice.cap = g_bob.cap = g_carol.cap = maxn;

    fprintf(stderr, "msgsc-bench: --sessions %zu --rounds %zu\n", sessions, rounds);
#ifndef __OPTIMIZE__
    fprintf(stderr, "msgsc-bench: warning: built without optimization; use -DCMAKE_BUILD_TYPE=Release\n");
#endif
    rate = round_trips(rounds, 1, &full);
    result("(a) round trips, sequential: invite -> both SS_CONNECTED", "round trips/s", "%.0f", rate);
    result("(a) full cycle, sequential: + hang up + free", "cycles/s", "%.0f", full);
    for (i = 100; i <= 1000; i *= 10) {
        rate = round_trips(rounds, i, &full);
        snprintf(what, sizeof(what), "(a) round trips, batches of %zu: invite -> both SS_CONNECTED", i);
        result(what, "round trips/s", "%.0f", rate);
        snprintf(what, sizeof(what), "(a) full cycle, batches of %zu: + hang up + free", i);
        result(what, "cycles/s", "%.0f", full);
    }

    bulk(sessions);
    memory_at(sessions, ST_INVITATION, &inviter, &invitee);
    result("(b) memory per session, inviter, SS_INVITATION", "bytes", "%.0f", inviter);
    result("(b) memory per session, invitee, SS_INVITATION", "bytes", "%.0f", invitee);
    memory_at(sessions, ST_CONNECTED, &inviter, &invitee);
    result("(b) memory per session, inviter, SS_CONNECTED", "bytes", "%.0f", inviter);
    result("(b) memory per session, invitee, SS_CONNECTED", "bytes", "%.0f", invitee);
    memory_at(sessions, ST_ENDED, &inviter, &invitee);
    result("(b) memory per session, inviter, ended + lingering", "bytes", "%.0f", inviter);
    result("(b) memory per session, invitee, ended + lingering", "bytes", "%.0f", invitee);

    glare_check(sessions);
    codec(10 * rounds);

    printf("| measurement | value | unit |\n|---|---:|---|\n");
    for (i = 0; i < g_nrows; i++) printf("| %s | %s | %s |\n", g_rows[i].what, g_rows[i].value, g_rows[i].unit);

    free(g_alice.incoming);
    free(g_bob.incoming);
    free(g_carol.incoming);
    msc_loopnet_destroy(g_net);
    return 0;
}
