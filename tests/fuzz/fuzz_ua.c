/* libFuzzer target for the SIP user agent with a core engine behind it (src/transport/sip/ua.c,
 * docs/sip-ua.md): bob's user agent receives whatever the input says, while bob's application
 * answers, cancels, sends context data and invites, and time passes.
 *
 * The input is a list of records: one op byte, a 16-bit big-endian length, then (for ops 0 and 1)
 * that many payload bytes.
 *   0 a datagram from 10.0.0.1:5060 (UDP)      1 a framed message from the same peer (TCP)
 *   2 time passes: (length % 256) x 250 ms            3 accept / 4 decline / 5 cancel the last
 *   6 send context data on it                     invitation bob got
 *   7 bob invites alice@10.0.0.1:5060
 * Invariants (any break aborts):
 *   - everything the user agent sends parses back as a SIP message (as a datagram or, over TCP,
 *     as a stream message) within every limit;
 *   - no event after a session's OnTermination, and at most one OnTermination per session;
 *   - after the input, destroying the engine and the user agent frees everything (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msgsc/sip_ua.h"
#include "msgsc/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)
#define MAX_TRACK 64

static uint64_t now;
static uint32_t seed;
static msc_sip_msg parsed;
static msc_session *last_invited;
static struct { msc_session *s; int ended; } track[MAX_TRACK];
static size_t ntrack;

static uint64_t clock_now(void *ctx) { (void)ctx; return now; }

static void lcg(void *ctx, void *buf, size_t len)
{
    unsigned char *b = buf;
    (void)ctx;
    while (len--) { seed = seed * 1103515245u + 12345u; *b++ = (unsigned char)(seed >> 16); }
}

static msc_hr out_send(void *ctx, msc_net_proto proto, const msc_addr *dest, const void *buf, size_t len)
{
    msc_sip_error err;
    (void)ctx; (void)dest;
    CHECK(len > 0 && len <= MSC_SIP_MAX_MSG);
    CHECK(msc_sip_parse(buf, len, proto == MSC_NET_TCP ? MSC_SIP_STREAM : MSC_SIP_DATAGRAM, &parsed, &err) == 0);
    return MSC_S_OK;
}

static msc_hr resolve(void *ctx, msc_str host, uint16_t port, msc_addr *out)
{
    (void)ctx; (void)host;
    memset(out, 0, sizeof(*out));
    out->family = 4;
    out->port = port;
    out->ip[0] = 10; out->ip[3] = 1;
    return MSC_S_OK;
}

static size_t find(msc_session *s)
{
    size_t i;
    for (i = 0; i < ntrack; i++) if (track[i].s == s) return i;
    if (ntrack == MAX_TRACK) return MAX_TRACK;
    track[ntrack].s = s;
    track[ntrack].ended = 0;
    msc_session_ref(s);
    return ntrack++;
}

static void alive(msc_session *s) { size_t i = find(s); CHECK(i == MAX_TRACK || !track[i].ended); }
static void on_inv(void *ctx, msc_session *s, msc_str d) { (void)ctx; (void)d; alive(s); last_invited = s; }
static void on_state(void *ctx, msc_session *s, msc_state p) { (void)ctx; (void)p; alive(s); }
static void on_data(void *ctx, msc_session *s, msc_str d) { (void)ctx; (void)d; alive(s); }
static void on_err(void *ctx, msc_session *s, msc_hr hr) { (void)ctx; (void)hr; alive(s); }
static void on_anp(void *ctx, msc_session *s, msc_str n, msc_str u) { (void)ctx; (void)n; (void)u; alive(s); }
static void on_term(void *ctx, msc_session *s, msc_hr hr, msc_str d)
{
    size_t i = find(s);
    (void)ctx; (void)hr; (void)d;
    if (i < MAX_TRACK) { CHECK(!track[i].ended); track[i].ended = 1; }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const msc_addr peer = { 4, 5060, { 10, 0, 0, 1 } };
    msc_sip_ua_config cfg;
    msc_sip_ua_io io = { NULL, clock_now, NULL, lcg, out_send, resolve, NULL, NULL };
    msc_host host;
    msc_events ev = { NULL, on_inv, on_state, on_data, on_data, on_data, on_term, on_data, on_err, on_anp };
    msc_sip_ua *ua;
    msc_manager *m;
    size_t i = 0;
    uint64_t at;

    now = 1000;
    seed = 1;
    ntrack = 0;
    last_invited = NULL;
    memset(&cfg, 0, sizeof(cfg));
    cfg.identity = msc_cstr("bob@10.0.0.2:5060");
    cfg.local.family = 4;
    cfg.local.port = 5060;
    cfg.local.ip[0] = 10; cfg.local.ip[3] = 2;
    CHECK(msc_sip_ua_create(&cfg, &io, &ua) == MSC_S_OK);
    memset(&host, 0, sizeof(host));
    host.now_ms = clock_now;
    host.random = lcg;
    CHECK((m = msc_manager_create(&host, msc_sip_ua_transport(ua), &ev, NULL)) != NULL);
    msc_sip_ua_bind(ua, m);

    while (i + 3 <= size) {
        uint8_t op = data[i] & 7;
        size_t len = (size_t)data[i + 1] << 8 | data[i + 2];
        msc_session *s = last_invited;
        i += 3;
        switch (op) {
        case 0: case 1:
            if (len > size - i) len = size - i;
            msc_sip_ua_input(ua, op ? MSC_NET_TCP : MSC_NET_UDP, &peer, (const char *)data + i, len);
            i += len;
            break;
        case 2:
            now += (uint64_t)(len % 256) * 250u;
            msc_sip_ua_tick(ua);
            msc_manager_tick(m);
            break;
        case 3: if (s) msc_session_accept(s, msc_cstr("ok")); break;
        case 4: if (s) msc_session_decline(s, msc_cstr("no")); break;
        case 5: if (s) msc_session_cancel(s, 0, msc_cstr("bye")); break;
        case 6: if (s) msc_session_send_context_data(s, msc_cstr("ctx")); break;
        case 7: {
            msc_session *mine;
            if (msc_session_create(m, &mine) == MSC_S_OK) {
                msc_session_set_application(mine, msc_cstr("{44BBA842-CC51-11CF-AAFA-00AA00B6015C}"));
                msc_session_invite(mine, msc_cstr("alice@10.0.0.1:5060"), msc_cstr("hi"));
                find(mine);
                msc_session_unref(mine);
            }
            break;
        }
        }
    }
    /* let every timer run out, then take it all down */
    for (int k = 0; k < 64 && (msc_sip_ua_next_deadline(ua, &at) || msc_manager_next_deadline(m, &at)); k++) {
        now += 60000;
        msc_sip_ua_tick(ua);
        msc_manager_tick(m);
    }
    msc_manager_destroy(m);
    msc_sip_ua_destroy(ua);
    for (i = 0; i < ntrack; i++) msc_session_unref(track[i].s);
    return 0;
}
