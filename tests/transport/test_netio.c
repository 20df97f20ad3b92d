/* Tests for src/transport/netio.c and sock.c (include/msgsc/net.h): UDP and TCP on loopback
 * between msc_netio instances and plain sockets (sock.h), framing of TCP streams, failures,
 * limits, waiting, notification, start/stop, names and address formatting.
 *
 * Runs natively (host, valgrind, ASan) and as a mingw .exe under Wine.  Nothing depends on
 * timing: every wait is msc_netio_wait or a poll with a generous deadline, in a loop until the
 * expected thing happens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "msgsc/net.h"
#include "transport/sock.h"

#define LONG_WAIT 5000u         /* ms: what "it arrives" may take at most */
#define S(lit) msc_str_make((lit), sizeof(lit) - 1)

/* ---- helpers -------------------------------------------------------------------------------- */
static msc_netio *start_cfg(msc_netio_config *cfg)
{
    msc_netio *io = NULL;
    msc_hr hr = msc_netio_start(cfg, &io);
    if (hr != MSC_S_OK)
        fail_msg("msc_netio_start: 0x%08x", (unsigned)hr);
    assert_non_null(io);
    return io;
}

static msc_netio *start_on(const char *host, uint16_t port)
{
    msc_netio_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.bind_host = host;
    cfg.port = port;
    return start_cfg(&cfg);
}

static msc_netio *start_lo(void) { return start_on("127.0.0.1", 0); }

static msc_addr addr(const char *host, uint16_t port)
{
    msc_addr a;
    assert_int_equal(msc_net_resolve(msc_cstr(host), port, &a), MSC_S_OK);
    return a;
}

/* The next item, waiting up to timeout_ms; NULL when none came. */
static msc_net_item *next_item(msc_netio *io, uint32_t timeout_ms)
{
    uint64_t end = msc_clock_ms() + timeout_ms;
    for (;;) {
        msc_net_item *it = msc_netio_take(io);
        uint64_t now;
        if (it)
            return it;
        now = msc_clock_ms();
        if (now >= end)
            return NULL;
        (void)msc_netio_wait(io, (uint32_t)(end - now));
    }
}

static msc_net_item *expect_item(msc_netio *io, msc_net_kind kind, msc_net_proto proto)
{
    msc_net_item *it = next_item(io, LONG_WAIT);
    if (!it)
        fail_msg("no item within %u ms", LONG_WAIT);
    assert_int_equal(it->kind, kind);
    assert_int_equal(it->proto, proto);
    assert_int_equal(it->data[it->len], '\0');
    return it;
}

/* A connection that was up closed: the owner hears it (the agent keeps state per connection). */
static void expect_closed(msc_netio *io)
{
    msc_net_item *it = expect_item(io, MSC_NET_CLOSED, MSC_NET_TCP);
    assert_int_equal(it->len, 0);
    assert_int_equal(it->peer.family, 4);
    msc_net_item_free(it);
}

static void expect_data(const msc_net_item *it, const char *z)
{
    assert_int_equal(it->len, strlen(z));
    assert_memory_equal(it->data, z, it->len);
}

static void expect_nothing(msc_netio *io, uint32_t ms)
{
    msc_net_item *it = next_item(io, ms);
    if (it) {
        msc_net_item_free(it);
        fail_msg("unexpected item");
    }
}

static void expect_addr(const msc_addr *got, const msc_addr *want)
{
    if (!msc_addr_equal(got, want)) {
        char g[64] = "?", w[64] = "?";
        msc_addr_host(got, g, sizeof(g));
        msc_addr_host(want, w, sizeof(w));
        fail_msg("address %s:%u, expected %s:%u", g, got->port, w, want->port);
    }
}

/* Wait until the instance's open connection count is n. */
static void expect_connections(msc_netio *io, size_t n)
{
    uint64_t end = msc_clock_ms() + LONG_WAIT;
    while (msc_netio_get_stats(io).connections != n) {
        if (msc_clock_ms() >= end)
            fail_msg("connections: %u, expected %u", (unsigned)msc_netio_get_stats(io).connections,
                     (unsigned)n);
        msc_sleep_ms(5);
    }
}

/* Wait until the instance has counted n sent messages (the count follows the write, which the
 * peer may see first). */
static void expect_tx(msc_netio *io, uint64_t n)
{
    uint64_t end = msc_clock_ms() + LONG_WAIT;
    while (msc_netio_get_stats(io).tx_msgs + msc_netio_get_stats(io).send_failed < n) {
        if (msc_clock_ms() >= end)
            fail_msg("tx_msgs + send_failed: %u, expected %u",
                     (unsigned)(msc_netio_get_stats(io).tx_msgs + msc_netio_get_stats(io).send_failed),
                     (unsigned)n);
        msc_sleep_ms(5);
    }
}

/* A small SIP request with a body: whatever the framer needs, and plausible. */
static size_t sip_msg(char *buf, size_t cap, const char *method, const char *body)
{
    int n = snprintf(buf, cap,
                     "%s sip:bob@127.0.0.1 SIP/2.0\r\n"
                     "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK%s\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:ann@127.0.0.1>;tag=1\r\n"
                     "To: <sip:bob@127.0.0.1>\r\n"
                     "Call-ID: %s@test\r\n"
                     "CSeq: 1 %s\r\n"
                     "Content-Type: text/plain\r\n"
                     "Content-Length: %u\r\n"
                     "\r\n"
                     "%s",
                     method, body, body, method, (unsigned)strlen(body), body);
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static void send_z(msc_netio *io, msc_net_proto proto, const msc_addr *to, const char *z)
{
    assert_int_equal(msc_netio_send(io, proto, to, z, strlen(z)), MSC_S_OK);
}

/* ---- plain sockets for the other end ---------------------------------------------------------- */
static int wait_sock(msc_sock s, unsigned want, uint32_t timeout_ms)
{
    uint64_t end = msc_clock_ms() + timeout_ms;
    for (;;) {
        msc_pollfd p;
        uint64_t now = msc_clock_ms();
        int r;
        if (now >= end)
            return 0;
        p.s = s;
        p.want = want;
        r = msc_sock_poll(&p, 1, (int)(end - now));
        assert_true(r >= 0);
        if (r > 0)
            return 1;
    }
}

static msc_sock raw_connect(const msc_addr *to)
{
    msc_sock s = msc_sock_open(to->family, MSC_NET_TCP);
    int r;
    assert_true(s != MSC_SOCK_INVALID);
    r = msc_sock_connect(s, to);
    assert_true(r >= 0);
    if (r == 1) {
        assert_true(wait_sock(s, MSC_POLL_OUT, LONG_WAIT));
        assert_int_equal(msc_sock_connect_result(s), 0);
    }
    return s;
}

static msc_sock raw_listener(msc_addr *where)
{
    msc_sock s = msc_sock_open(4, MSC_NET_TCP);
    msc_addr a = addr("127.0.0.1", 0);
    assert_true(s != MSC_SOCK_INVALID);
    assert_int_equal(msc_sock_bind(s, &a, 1), 0);
    assert_int_equal(msc_sock_listen(s, 8), 0);
    assert_int_equal(msc_sock_local(s, where), 0);
    return s;
}

static msc_sock raw_accept(msc_sock l)
{
    uint64_t end = msc_clock_ms() + LONG_WAIT;
    for (;;) {
        msc_addr peer;
        msc_sock c = msc_sock_accept(l, &peer);
        if (c != MSC_SOCK_INVALID)
            return c;
        if (msc_clock_ms() >= end)
            fail_msg("accept: nothing within %u ms", LONG_WAIT);
        (void)wait_sock(l, MSC_POLL_IN, 100);
    }
}

static void raw_send(msc_sock s, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ptrdiff_t r = msc_sock_send(s, p, len);
        if (r == MSC_SOCK_AGAIN) {
            assert_true(wait_sock(s, MSC_POLL_OUT, LONG_WAIT));
            continue;
        }
        assert_true(r > 0);
        p += r;
        len -= (size_t)r;
    }
}

static void raw_send_z(msc_sock s, const char *z) { raw_send(s, z, strlen(z)); }

/* Bytes (> 0), 0 at the end of the stream, -1 on an error (a reset), -2 when nothing came. */
static ptrdiff_t raw_recv(msc_sock s, char *buf, size_t cap, uint32_t timeout_ms)
{
    uint64_t end = msc_clock_ms() + timeout_ms;
    for (;;) {
        ptrdiff_t r = msc_sock_recv(s, buf, cap);
        uint64_t now;
        if (r >= 0)
            return r;
        if (r == MSC_SOCK_ERROR)
            return -1;
        now = msc_clock_ms();
        if (now >= end)
            return -2;
        (void)wait_sock(s, MSC_POLL_IN, (uint32_t)(end - now));
    }
}

/* Read exactly len bytes and compare. */
static void raw_expect(msc_sock s, const char *z)
{
    size_t len = strlen(z), got = 0;
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    while (got < len) {
        ptrdiff_t r = raw_recv(s, buf + got, len - got, LONG_WAIT);
        if (r <= 0)
            fail_msg("raw_expect: %d after %u of %u bytes", (int)r, (unsigned)got, (unsigned)len);
        got += (size_t)r;
    }
    assert_memory_equal(buf, z, len);
    free(buf);
}

/* The stream ends (EOF or reset) within the long wait. */
static void raw_expect_closed(msc_sock s)
{
    char buf[256];
    for (;;) {
        ptrdiff_t r = raw_recv(s, buf, sizeof(buf), LONG_WAIT);
        if (r == 0 || r == -1)
            return;
        if (r == -2)
            fail_msg("connection not closed within %u ms", LONG_WAIT);
    }
}

/* A TCP port nobody listens on (bound, read, closed). */
static uint16_t closed_tcp_port(void)
{
    msc_addr a;
    msc_sock s = raw_listener(&a);
    msc_sock_close(s);
    return a.port;
}

static int have_ipv6(void)
{
    msc_addr a;
    msc_sock s = msc_sock_open(6, MSC_NET_TCP);
    int ok;
    if (s == MSC_SOCK_INVALID)
        return 0;
    memset(&a, 0, sizeof(a));
    a.family = 6;
    a.ip[15] = 1;
    ok = msc_sock_bind(s, &a, 0) == 0;
    msc_sock_close(s);
    return ok;
}

static int setup(void **state)
{
    (void)state;
    return msc_sock_init();
}

static int teardown(void **state)
{
    (void)state;
    msc_sock_cleanup();
    return 0;
}

/* ---- start, stop ------------------------------------------------------------------------------ */
static void test_start_any_port(void **state)
{
    msc_netio *io = start_lo(), *io2;
    msc_addr local = msc_netio_local(io), lo = addr("127.0.0.1", 0);
    msc_netio_stats st = msc_netio_get_stats(io);
    (void)state;
    assert_true(msc_netio_port(io) != 0);
    assert_int_equal(local.port, msc_netio_port(io));
    lo.port = local.port;
    expect_addr(&local, &lo);
    assert_int_equal(st.rx_msgs + st.tx_msgs + st.dropped + st.send_failed + st.connections, 0);
    assert_null(msc_netio_take(io));
    assert_int_equal(msc_netio_wait(io, 0), 0);

    /* the default bind host is 0.0.0.0 */
    io2 = start_on(NULL, 0);
    local = msc_netio_local(io2);
    assert_int_equal(local.family, 4);
    assert_memory_equal(local.ip, "\0\0\0\0", 4);
    assert_true(local.port != 0 && local.port != msc_netio_port(io));
    msc_netio_stop(io2);
    msc_netio_stop(io);
    msc_netio_stop(NULL);
}

static void test_start_bad_args(void **state)
{
    msc_netio_config cfg;
    msc_netio *io = (msc_netio *)&cfg;
    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(msc_netio_start(NULL, &io), MSC_E_INVALIDARG);
    assert_null(io);
    assert_int_equal(msc_netio_start(&cfg, NULL), MSC_E_INVALIDARG);
    cfg.bind_host = "localhost";            /* numeric only */
    assert_int_equal(msc_netio_start(&cfg, &io), MSC_E_INVALIDARG);
    assert_null(io);
}

static void test_bind_busy_port(void **state)
{
    msc_netio *a = start_lo(), *b = NULL;
    msc_netio_config cfg;
    msc_addr where;
    msc_sock s;
    (void)state;

    /* both sockets taken by another instance */
    memset(&cfg, 0, sizeof(cfg));
    cfg.bind_host = "127.0.0.1";
    cfg.port = msc_netio_port(a);
    assert_int_equal(msc_netio_start(&cfg, &b), MSC_SR_CONNECTION_FAILURE);
    assert_null(b);
    msc_netio_stop(a);

    /* only the TCP port taken */
    s = raw_listener(&where);
    cfg.port = where.port;
    assert_int_equal(msc_netio_start(&cfg, &b), MSC_SR_CONNECTION_FAILURE);
    assert_null(b);
    msc_sock_close(s);

    /* only the UDP port taken */
    s = msc_sock_open(4, MSC_NET_UDP);
    where = addr("127.0.0.1", 0);
    assert_int_equal(msc_sock_bind(s, &where, 0), 0);
    assert_int_equal(msc_sock_local(s, &where), 0);
    cfg.port = where.port;
    assert_int_equal(msc_netio_start(&cfg, &b), MSC_SR_CONNECTION_FAILURE);
    assert_null(b);
    msc_sock_close(s);

    /* a given free port works, UDP and TCP on it (another program may take the port in
     * between: try a few) */
    for (int tries = 0; tries < 20; tries++) {
        msc_hr hr;
        s = msc_sock_open(4, MSC_NET_UDP);
        where = addr("127.0.0.1", 0);
        assert_int_equal(msc_sock_bind(s, &where, 0), 0);
        assert_int_equal(msc_sock_local(s, &where), 0);
        msc_sock_close(s);
        cfg.port = where.port;
        hr = msc_netio_start(&cfg, &b);
        if (hr == MSC_S_OK)
            break;
        assert_int_equal(hr, MSC_SR_CONNECTION_FAILURE);
    }
    assert_non_null(b);
    assert_int_equal(msc_netio_port(b), where.port);
    msc_netio_stop(b);
}

static void test_send_bad_args(void **state)
{
    msc_netio *io = start_lo();
    msc_addr to = msc_netio_local(io), bad = to;
    char *big = calloc(1, MSC_NET_MAX_MSG + 1);
    (void)state;
    assert_non_null(big);
    assert_int_equal(msc_netio_send(io, MSC_NET_UDP, &to, "x", 0), MSC_E_INVALIDARG);
    assert_int_equal(msc_netio_send(io, MSC_NET_UDP, &to, big, MSC_NET_MAX_MSG + 1), MSC_E_INVALIDARG);
    assert_int_equal(msc_netio_send(io, MSC_NET_UDP, NULL, "x", 1), MSC_E_INVALIDARG);
    assert_int_equal(msc_netio_send(io, MSC_NET_UDP, &to, NULL, 1), MSC_E_INVALIDARG);
    assert_int_equal(msc_netio_send(io, (msc_net_proto)3, &to, "x", 1), MSC_E_INVALIDARG);
    assert_int_equal(msc_netio_send(NULL, MSC_NET_UDP, &to, "x", 1), MSC_E_INVALIDARG);
    bad.port = 0;
    assert_int_equal(msc_netio_send(io, MSC_NET_UDP, &bad, "x", 1), MSC_E_INVALIDARG);
    bad = to;
    bad.family = 0;
    assert_int_equal(msc_netio_send(io, MSC_NET_TCP, &bad, "x", 1), MSC_E_INVALIDARG);
    /* another family than the bound one: refused later, as a send failure */
    bad = addr("::1", to.port);
    assert_int_equal(msc_netio_send(io, MSC_NET_UDP, &bad, "v6", 2), MSC_S_OK);
    {
        msc_net_item *it = expect_item(io, MSC_NET_SEND_FAILED, MSC_NET_UDP);
        expect_data(it, "v6");
        expect_addr(&it->peer, &bad);
        assert_int_equal(it->hr, MSC_SR_CONNECTION_FAILURE);
        msc_net_item_free(it);
    }
    free(big);
    msc_netio_stop(io);
    assert_null(msc_netio_take(NULL));
    assert_int_equal(msc_netio_wait(NULL, 10), 0);
    msc_net_item_free(NULL);
}

/* ---- UDP -------------------------------------------------------------------------------------- */
static void test_udp_self(void **state)
{
    msc_netio *io = start_lo();
    msc_addr self = msc_netio_local(io);
    msc_net_item *it;
    msc_netio_stats st;
    (void)state;
    send_z(io, MSC_NET_UDP, &self, "hello");
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_UDP);
    expect_data(it, "hello");
    expect_addr(&it->peer, &self);
    assert_int_equal(it->hr, MSC_S_OK);
    msc_net_item_free(it);
    st = msc_netio_get_stats(io);
    assert_int_equal(st.rx_msgs, 1);
    assert_int_equal(st.rx_bytes, 5);
    assert_int_equal(st.tx_msgs, 1);
    assert_int_equal(st.tx_bytes, 5);
    msc_netio_stop(io);
}

static void test_udp_between(void **state)
{
    msc_netio *a = start_lo(), *b = start_lo();
    msc_addr aa = msc_netio_local(a), ba = msc_netio_local(b);
    msc_net_item *it;
    static char big[60000];
    (void)state;

    send_z(a, MSC_NET_UDP, &ba, "ping");
    it = expect_item(b, MSC_NET_RECEIVED, MSC_NET_UDP);
    expect_data(it, "ping");
    expect_addr(&it->peer, &aa);
    /* the answer goes to the sender's address */
    assert_int_equal(msc_netio_send(b, MSC_NET_UDP, &it->peer, "pong", 4), MSC_S_OK);
    msc_net_item_free(it);
    it = expect_item(a, MSC_NET_RECEIVED, MSC_NET_UDP);
    expect_data(it, "pong");
    expect_addr(&it->peer, &ba);
    msc_net_item_free(it);

    /* a big datagram, bytes of every value */
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7);
    assert_int_equal(msc_netio_send(a, MSC_NET_UDP, &ba, big, sizeof(big)), MSC_S_OK);
    it = expect_item(b, MSC_NET_RECEIVED, MSC_NET_UDP);
    assert_int_equal(it->len, sizeof(big));
    assert_memory_equal(it->data, big, sizeof(big));
    msc_net_item_free(it);

    /* several in order */
    for (int i = 0; i < 20; i++) {
        char m[16];
        snprintf(m, sizeof(m), "m%d", i);
        send_z(a, MSC_NET_UDP, &ba, m);
    }
    for (int i = 0; i < 20; i++) {
        char m[16];
        snprintf(m, sizeof(m), "m%d", i);
        it = expect_item(b, MSC_NET_RECEIVED, MSC_NET_UDP);
        expect_data(it, m);
        msc_net_item_free(it);
    }
    assert_int_equal(msc_netio_get_stats(a).connections + msc_netio_get_stats(b).connections, 0);
    msc_netio_stop(a);
    msc_netio_stop(b);
}

/* A datagram to a closed port may come back as ICMP port unreachable; the socket must keep
 * working (Windows reports it on the next recvfrom). */
static void test_udp_unreachable_keeps_socket(void **state)
{
    msc_netio *io = start_lo();
    msc_addr self = msc_netio_local(io), gone = addr("127.0.0.1", 0);
    msc_sock s = msc_sock_open(4, MSC_NET_UDP);
    msc_net_item *it;
    (void)state;
    assert_int_equal(msc_sock_bind(s, &gone, 0), 0);
    assert_int_equal(msc_sock_local(s, &gone), 0);
    msc_sock_close(s);
    for (int i = 0; i < 3; i++) {
        send_z(io, MSC_NET_UDP, &gone, "nobody");
        send_z(io, MSC_NET_UDP, &self, "still here");
        it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_UDP);
        expect_data(it, "still here");
        msc_net_item_free(it);
    }
    msc_netio_stop(io);
}

/* ---- TCP -------------------------------------------------------------------------------------- */
static void test_tcp_both_directions(void **state)
{
    msc_netio *a = start_lo(), *b = start_lo();
    msc_addr aa = msc_netio_local(a), ba = msc_netio_local(b), a_eph, b_eph;
    char req[1024], resp[1024];
    msc_net_item *it;
    msc_netio_stats st;
    (void)state;

    /* a -> b: a request; b answers over the accepted connection */
    sip_msg(req, sizeof(req), "MESSAGE", "request-1");
    sip_msg(resp, sizeof(resp), "INFO", "response-1");
    send_z(a, MSC_NET_TCP, &ba, req);
    it = expect_item(b, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_data(it, req);
    a_eph = it->peer;                       /* a's side of the connection */
    assert_int_equal(a_eph.family, 4);
    assert_true(a_eph.port != aa.port);
    assert_int_equal(msc_netio_send(b, MSC_NET_TCP, &it->peer, resp, strlen(resp)), MSC_S_OK);
    msc_net_item_free(it);
    it = expect_item(a, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_data(it, resp);
    expect_addr(&it->peer, &ba);
    msc_net_item_free(it);
    assert_int_equal(msc_netio_get_stats(a).connections, 1);
    assert_int_equal(msc_netio_get_stats(b).connections, 1);

    /* more on the same connection, both ways */
    send_z(a, MSC_NET_TCP, &ba, req);
    it = expect_item(b, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_addr(&it->peer, &a_eph);
    msc_net_item_free(it);

    /* b -> a's listener: a new connection; a answers over it */
    sip_msg(req, sizeof(req), "MESSAGE", "request-2");
    sip_msg(resp, sizeof(resp), "INFO", "response-2");
    send_z(b, MSC_NET_TCP, &aa, req);
    it = expect_item(a, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_data(it, req);
    b_eph = it->peer;
    assert_true(b_eph.port != ba.port && b_eph.port != a_eph.port);
    assert_int_equal(msc_netio_send(a, MSC_NET_TCP, &it->peer, resp, strlen(resp)), MSC_S_OK);
    msc_net_item_free(it);
    it = expect_item(b, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_data(it, resp);
    expect_addr(&it->peer, &aa);
    msc_net_item_free(it);
    assert_int_equal(msc_netio_get_stats(a).connections, 2);
    assert_int_equal(msc_netio_get_stats(b).connections, 2);

    expect_tx(a, 3);
    expect_tx(b, 2);
    st = msc_netio_get_stats(a);
    assert_int_equal(st.tx_msgs, 3);
    assert_int_equal(st.rx_msgs, 2);
    assert_int_equal(st.send_failed + st.dropped, 0);
    st = msc_netio_get_stats(b);
    assert_int_equal(st.tx_msgs, 2);
    assert_int_equal(st.rx_msgs, 3);
    msc_netio_stop(a);
    msc_netio_stop(b);
}

/* Plain client: one message split over several writes, then several messages (and RFC 5626
 * keep-alives) in one write; the answer goes back over the accepted connection. */
static void test_tcp_framing(void **state)
{
    msc_netio *io = start_lo();
    msc_addr self = msc_netio_local(io);
    msc_sock c = raw_connect(&self);
    char m1[1024], m2[1024], m3[1024], both[4096];
    size_t n1 = sip_msg(m1, sizeof(m1), "MESSAGE", "split"), n;
    msc_net_item *it;
    (void)state;

    raw_send(c, m1, 10);
    expect_nothing(io, 100);
    raw_send(c, m1 + 10, n1 - 10 - 3);      /* all but the last 3 body bytes */
    expect_nothing(io, 100);
    raw_send(c, m1 + n1 - 3, 3);
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_data(it, m1);
    assert_int_equal(it->peer.family, 4);
    assert_true(it->peer.port != self.port);
    msc_net_item_free(it);

    sip_msg(m2, sizeof(m2), "MESSAGE", "two");
    sip_msg(m3, sizeof(m3), "OPTIONS", "");
    n = (size_t)snprintf(both, sizeof(both), "\r\n%s%s\r\n%s", m2, m3, m1);
    raw_send(c, both, n);
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_data(it, m2);
    msc_net_item_free(it);
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_data(it, m3);
    msc_net_item_free(it);
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_data(it, m1);

    /* the answer reuses the connection the client opened */
    assert_int_equal(msc_netio_send(io, MSC_NET_TCP, &it->peer, "ANSWER", 6), MSC_S_OK);
    msc_net_item_free(it);
    raw_expect(c, "ANSWER");
    assert_int_equal(msc_netio_get_stats(io).connections, 1);

    /* a CRLFCRLF ping gets a CRLF pong */
    raw_send_z(c, "\r\n\r\n");
    raw_expect(c, "\r\n");

    /* the client closes: so does the instance */
    msc_sock_close(c);
    expect_connections(io, 0);
    assert_int_equal(msc_netio_get_stats(io).rx_msgs, 4);
    msc_netio_stop(io);
}

/* A stream that cannot be framed is closed; the instance goes on. */
static void test_tcp_broken_stream(void **state)
{
    msc_netio *io = start_lo();
    msc_addr self = msc_netio_local(io);
    msc_sock c = raw_connect(&self), d;
    char m[1024];
    msc_net_item *it;
    (void)state;

    sip_msg(m, sizeof(m), "MESSAGE", "before");
    raw_send_z(c, m);
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_data(it, m);
    msc_net_item_free(it);
    raw_send_z(c, "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nContent-Length: twelve\r\n\r\n");
    raw_expect_closed(c);
    msc_sock_close(c);
    expect_connections(io, 0);
    expect_closed(io);

    /* a header section that never ends */
    c = raw_connect(&self);
    {
        static char junk[20000];
        memset(junk, 'x', sizeof(junk));
        raw_send(c, junk, sizeof(junk));
    }
    raw_expect_closed(c);
    msc_sock_close(c);
    expect_closed(io);

    /* still listening, still receiving */
    d = raw_connect(&self);
    sip_msg(m, sizeof(m), "MESSAGE", "after");
    raw_send_z(d, m);
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_data(it, m);
    msc_net_item_free(it);
    send_z(io, MSC_NET_UDP, &self, "udp too");
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_UDP);
    msc_net_item_free(it);
    msc_sock_close(d);
    expect_connections(io, 0);
    expect_closed(io);                          /* the peer closed it this time */
    assert_null(msc_netio_take(io));
    msc_netio_stop(io);
}

/* Connecting to a port nobody listens on: each message comes back. */
static void test_tcp_refused(void **state)
{
    msc_netio *io = start_lo();
    msc_addr to = addr("127.0.0.1", closed_tcp_port());
    msc_net_item *it;
    uint64_t t0 = msc_clock_ms();
    (void)state;

    send_z(io, MSC_NET_TCP, &to, "first");
    send_z(io, MSC_NET_TCP, &to, "second");
    for (int i = 0; i < 2; i++) {
        it = expect_item(io, MSC_NET_SEND_FAILED, MSC_NET_TCP);
        /* both may ride one attempt or two: either way, in order */
        expect_data(it, i == 0 ? "first" : "second");
        expect_addr(&it->peer, &to);
        assert_int_equal(it->hr, MSC_SR_CONNECTION_FAILURE);
        msc_net_item_free(it);
    }
    /* loopback refuses at once: nothing like the 10 s connect timeout */
    assert_true(msc_clock_ms() - t0 < 9000);
    assert_int_equal(msc_netio_get_stats(io).send_failed, 2);
    assert_int_equal(msc_netio_get_stats(io).tx_msgs, 0);
    expect_connections(io, 0);
    msc_netio_stop(io);
}

/* 2 MB to a peer that reads only later: partial writes, the per-connection bound.  Whatever
 * is not delivered comes back as SEND_FAILED; what is delivered is whole and in order. */
#define BULK_N 40
#define BULK_LEN 50000
static void test_tcp_bulk(void **state)
{
    msc_netio *io = start_lo();
    msc_addr where;
    msc_sock l = raw_listener(&where), c;
    static char msg[BULK_LEN], got[BULK_N * BULK_LEN];
    int failed[BULK_N] = { 0 };
    size_t total = 0, failed_bytes = 0, nfailed = 0;
    uint64_t end;
    msc_netio_stats st;
    (void)state;

    for (int i = 0; i < BULK_N; i++) {
        memset(msg, 'a' + i % 26, sizeof(msg));
        snprintf(msg, 16, "#%03d#", i);
        assert_int_equal(msc_netio_send(io, MSC_NET_TCP, &where, msg, sizeof(msg)), MSC_S_OK);
    }
    c = raw_accept(l);
    end = msc_clock_ms() + 30000;
    while (total + failed_bytes < sizeof(got)) {
        msc_net_item *it;
        ptrdiff_t r = raw_recv(c, got + total, sizeof(got) - total, 20);
        assert_true(r != 0 && r != -1);
        if (r > 0)
            total += (size_t)r;
        while ((it = msc_netio_take(io))) {
            int i;
            assert_int_equal(it->kind, MSC_NET_SEND_FAILED);
            assert_int_equal(it->len, BULK_LEN);
            assert_int_equal(sscanf(it->data, "#%03d#", &i), 1);
            assert_true(i >= 0 && i < BULK_N && !failed[i]);
            failed[i] = 1;
            failed_bytes += it->len;
            nfailed++;
            msc_net_item_free(it);
        }
        if (msc_clock_ms() > end)
            fail_msg("bulk: %u bytes received, %u failed", (unsigned)total, (unsigned)failed_bytes);
    }
    /* the stream is the messages that did not fail, in order */
    assert_int_equal(total + failed_bytes, sizeof(got));
    for (int i = 0, k = 0; i < BULK_N; i++) {
        if (failed[i])
            continue;
        memset(msg, 'a' + i % 26, sizeof(msg));
        snprintf(msg, 16, "#%03d#", i);
        assert_memory_equal(got + (size_t)k * BULK_LEN, msg, BULK_LEN);
        k++;
    }
    print_message("bulk: %u of %u messages failed over the connection's bound\n", (unsigned)nfailed,
                  (unsigned)BULK_N);
    expect_tx(io, BULK_N);
    st = msc_netio_get_stats(io);
    assert_int_equal(st.tx_msgs + st.send_failed, BULK_N);
    assert_int_equal(st.send_failed, nfailed);
    assert_int_equal(st.dropped, nfailed);      /* only the bound makes them fail here */
    msc_sock_close(c);
    msc_sock_close(l);
    expect_connections(io, 0);
    msc_netio_stop(io);
}

static void test_tcp_max_connections(void **state)
{
    msc_netio_config cfg;
    msc_netio *io, *other;
    msc_addr self;
    msc_sock c[3];
    char m[1024];
    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.bind_host = "127.0.0.1";
    cfg.max_connections = 2;
    io = start_cfg(&cfg);
    self = msc_netio_local(io);
    for (int i = 0; i < 3; i++) {
        msc_net_item *it;
        c[i] = raw_connect(&self);
        sip_msg(m, sizeof(m), "MESSAGE", i == 0 ? "c0" : i == 1 ? "c1" : "c2");
        raw_send_z(c[i], m);
        if (i == 2)
            expect_closed(io);  /* c[0], closed when c[2] came in */
        it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_TCP);
        expect_data(it, m);
        msc_net_item_free(it);
        msc_sleep_ms(20);       /* distinct idle times */
    }
    /* the oldest idle one was closed to make room */
    raw_expect_closed(c[0]);
    assert_int_equal(msc_netio_get_stats(io).connections, 2);
    /* an outgoing one closes the next oldest */
    other = start_lo();
    {
        msc_addr to = msc_netio_local(other);
        msc_net_item *it;
        sip_msg(m, sizeof(m), "MESSAGE", "out");
        send_z(io, MSC_NET_TCP, &to, m);
        it = expect_item(other, MSC_NET_RECEIVED, MSC_NET_TCP);
        expect_data(it, m);
        msc_net_item_free(it);
    }
    raw_expect_closed(c[1]);
    expect_closed(io);
    assert_int_equal(msc_netio_get_stats(io).connections, 2);
    /* c[2] is still served */
    sip_msg(m, sizeof(m), "MESSAGE", "c2 again");
    raw_send_z(c[2], m);
    {
        msc_net_item *it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_TCP);
        expect_data(it, m);
        msc_net_item_free(it);
    }
    for (int i = 0; i < 3; i++)
        msc_sock_close(c[i]);
    msc_netio_stop(other);
    msc_netio_stop(io);
}

static void test_tcp_idle_close(void **state)
{
    msc_netio_config cfg;
    msc_netio *io;
    msc_addr self;
    msc_sock c;
    char m[1024];
    msc_net_item *it;
    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.bind_host = "127.0.0.1";
    cfg.idle_close_ms = 200;
    io = start_cfg(&cfg);
    self = msc_netio_local(io);
    c = raw_connect(&self);
    sip_msg(m, sizeof(m), "MESSAGE", "idle");
    raw_send_z(c, m);
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_TCP);
    msc_net_item_free(it);
    raw_expect_closed(c);
    expect_connections(io, 0);
    msc_sock_close(c);
    msc_netio_stop(io);
}

/* ---- waiting, notification, stop ----------------------------------------------------------------- */
typedef struct sender {
    msc_netio *io;
    msc_addr to;
} sender;

static void send_later(void *arg)
{
    sender *s = arg;
    msc_sleep_ms(100);
    (void)msc_netio_send(s->io, MSC_NET_UDP, &s->to, "late", 4);
}

static void test_wait(void **state)
{
    msc_netio *io = start_lo(), *other = start_lo();
    uint64_t t0;
    msc_thread *t;
    sender s;
    msc_net_item *it;
    (void)state;

    assert_int_equal(msc_netio_wait(io, 0), 0);
    t0 = msc_clock_ms();
    assert_int_equal(msc_netio_wait(io, 300), 0);
    assert_true(msc_clock_ms() - t0 >= 250);

    /* a blocked wait returns when an item arrives, well before its timeout */
    s.io = other;
    s.to = msc_netio_local(io);
    t = msc_thread_start(send_later, &s);
    assert_non_null(t);
    t0 = msc_clock_ms();
    assert_int_equal(msc_netio_wait(io, 20000), 1);
    assert_true(msc_clock_ms() - t0 < 15000);
    msc_thread_join(t);
    assert_int_equal(msc_netio_wait(io, 0), 1);     /* still there until taken */
    it = msc_netio_take(io);
    assert_non_null(it);
    expect_data(it, "late");
    msc_net_item_free(it);
    assert_int_equal(msc_netio_wait(io, 0), 0);
    msc_netio_stop(other);
    msc_netio_stop(io);
}

typedef struct counter {
    msc_mutex *mu;
    int n;
} counter;

static void on_notify(void *ctx)
{
    counter *c = ctx;
    msc_mutex_lock(c->mu);
    c->n++;
    msc_mutex_unlock(c->mu);
}

static int count(counter *c)
{
    int n;
    msc_mutex_lock(c->mu);
    n = c->n;
    msc_mutex_unlock(c->mu);
    return n;
}

static void wait_count_above(counter *c, int n)
{
    uint64_t end = msc_clock_ms() + LONG_WAIT;
    while (count(c) <= n) {
        if (msc_clock_ms() >= end)
            fail_msg("notify not called");
        msc_sleep_ms(2);
    }
}

static void test_notify(void **state)
{
    counter cnt = { msc_mutex_new(), 0 };
    msc_netio_config cfg;
    msc_netio *io;
    msc_addr self;
    msc_net_item *it;
    int n;
    (void)state;
    assert_non_null(cnt.mu);
    memset(&cfg, 0, sizeof(cfg));
    cfg.bind_host = "127.0.0.1";
    cfg.notify = on_notify;
    cfg.ctx = &cnt;
    io = start_cfg(&cfg);
    self = msc_netio_local(io);

    send_z(io, MSC_NET_UDP, &self, "one");
    send_z(io, MSC_NET_UDP, &self, "two");
    send_z(io, MSC_NET_UDP, &self, "three");
    wait_count_above(&cnt, 0);
    for (int i = 0; i < 3; i++) {
        it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_UDP);
        msc_net_item_free(it);
    }
    n = count(&cnt);
    assert_true(n >= 1 && n <= 3);          /* once per empty -> not empty */

    /* the queue is empty again: the next item notifies again */
    send_z(io, MSC_NET_UDP, &self, "four");
    wait_count_above(&cnt, n);
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_UDP);
    expect_data(it, "four");
    msc_net_item_free(it);

    /* a send failure notifies too */
    n = count(&cnt);
    {
        msc_addr to = addr("127.0.0.1", closed_tcp_port());
        send_z(io, MSC_NET_TCP, &to, "refused");
    }
    wait_count_above(&cnt, n);
    it = expect_item(io, MSC_NET_SEND_FAILED, MSC_NET_TCP);
    msc_net_item_free(it);
    msc_netio_stop(io);
    msc_mutex_free(cnt.mu);
}

/* Stop with everything in flight: items not taken, messages not sent yet, connections open and
 * connecting.  Leak checkers (valgrind, ASan) check that all of it is freed. */
static void test_stop_with_queued(void **state)
{
    msc_netio *io = start_lo(), *peer = start_lo();
    msc_addr self = msc_netio_local(io), pa = msc_netio_local(peer), where;
    msc_sock l = raw_listener(&where);
    char m[1024];
    uint64_t end = msc_clock_ms() + LONG_WAIT;
    (void)state;

    for (int i = 0; i < 10; i++)
        send_z(io, MSC_NET_UDP, &self, "queued");
    while (msc_netio_get_stats(io).rx_msgs < 10) {
        assert_true(msc_clock_ms() < end);
        msc_sleep_ms(5);
    }
    sip_msg(m, sizeof(m), "MESSAGE", "in flight");
    send_z(io, MSC_NET_TCP, &pa, m);
    send_z(peer, MSC_NET_TCP, &self, m);
    for (int i = 0; i < 50; i++) {
        static char big[60000];
        assert_int_equal(msc_netio_send(io, MSC_NET_TCP, &where, big, sizeof(big)), MSC_S_OK);
        send_z(io, MSC_NET_UDP, &pa, "more");
    }
    msc_netio_stop(io);
    msc_netio_stop(peer);
    msc_sock_close(l);
}

/* What was queued just before stop still leaves: a user agent's last BYE or un-REGISTER. */
static void test_stop_sends_last_words(void **state)
{
    msc_netio *io = start_lo(), *peer = start_lo();
    msc_addr pa = msc_netio_local(peer);
    msc_net_item *it;
    (void)state;
    send_z(io, MSC_NET_UDP, &pa, "goodbye");
    msc_netio_stop(io);
    it = expect_item(peer, MSC_NET_RECEIVED, MSC_NET_UDP);
    expect_data(it, "goodbye");
    msc_net_item_free(it);
    msc_netio_stop(peer);
}

static void test_start_stop_many(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++) {
        msc_netio *io = start_lo();
        if (i % 2) {
            msc_addr self = msc_netio_local(io);
            send_z(io, MSC_NET_UDP, &self, "x");
            send_z(io, MSC_NET_TCP, &self, "y");
        }
        msc_netio_stop(io);
    }
}

/* ---- IPv6 --------------------------------------------------------------------------------------- */
static void test_ipv6(void **state)
{
    msc_netio *io;
    msc_addr self;
    msc_net_item *it;
    char m[1024], host[64];
    (void)state;
    if (!have_ipv6()) {
        print_message("no IPv6 loopback here: skipped\n");
        skip();
    }
    io = start_on("::1", 0);
    self = msc_netio_local(io);
    assert_int_equal(self.family, 6);
    assert_int_equal(msc_addr_host(&self, host, sizeof(host)), 5);
    assert_string_equal(host, "[::1]");
    send_z(io, MSC_NET_UDP, &self, "six");
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_UDP);
    expect_data(it, "six");
    expect_addr(&it->peer, &self);
    msc_net_item_free(it);
    sip_msg(m, sizeof(m), "MESSAGE", "v6");
    send_z(io, MSC_NET_TCP, &self, m);
    it = expect_item(io, MSC_NET_RECEIVED, MSC_NET_TCP);
    expect_data(it, m);
    assert_int_equal(it->peer.family, 6);
    msc_net_item_free(it);
    /* IPv4 from an IPv6 instance: a send failure */
    {
        msc_addr v4 = addr("127.0.0.1", self.port);
        send_z(io, MSC_NET_TCP, &v4, "four");
        it = expect_item(io, MSC_NET_SEND_FAILED, MSC_NET_TCP);
        msc_net_item_free(it);
    }
    msc_netio_stop(io);
}

/* ---- names, addresses --------------------------------------------------------------------------- */
static void test_resolve(void **state)
{
    msc_addr a;
    (void)state;
    assert_int_equal(msc_net_resolve(S("127.0.0.1"), 5060, &a), MSC_S_OK);
    assert_int_equal(a.family, 4);
    assert_int_equal(a.port, 5060);
    assert_memory_equal(a.ip, "\x7f\0\0\x01", 4);

    assert_int_equal(msc_net_resolve(S("::1"), 5061, &a), MSC_S_OK);
    assert_int_equal(a.family, 6);
    assert_int_equal(a.port, 5061);
    assert_memory_equal(a.ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    assert_int_equal(msc_net_resolve(S("[::1]"), 1, &a), MSC_S_OK);   /* as msc_addr_host writes it */
    assert_int_equal(a.family, 6);
    assert_int_equal(msc_net_resolve(S("[2001:DB8::a]"), 1, &a), MSC_S_OK);
    assert_memory_equal(a.ip, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x0a", 16);

    /* "localhost" is 127.0.0.1 without a resolver (RFC 6761 §6.3; a system without /etc/hosts
     * could not say otherwise), in any case and with a final dot */
    assert_int_equal(msc_net_resolve(S("localhost"), 80, &a), MSC_S_OK);
    assert_int_equal(a.port, 80);
    assert_int_equal(a.family, 4);
    assert_memory_equal(a.ip, "\x7f\0\0\x01", 4);
    assert_int_equal(msc_net_resolve(S("LocalHost."), 81, &a), MSC_S_OK);
    assert_int_equal(a.port, 81);
    assert_memory_equal(a.ip, "\x7f\0\0\x01", 4);
    /* only the first n bytes count */
    assert_int_equal(msc_net_resolve(msc_str_make("127.0.0.1junk", 9), 1, &a), MSC_S_OK);
    assert_int_equal(a.family, 4);

    assert_int_equal(msc_net_resolve(S("no-such-host.invalid"), 1, &a), MSC_SR_CONNECTION_FAILURE);
    assert_int_equal(a.family, 0);
    assert_int_equal(msc_net_resolve(S(""), 1, &a), MSC_E_INVALIDARG);
    assert_int_equal(msc_net_resolve(S("[]"), 1, &a), MSC_E_INVALIDARG);
    assert_int_equal(msc_net_resolve(S("127.0.0.1\0x"), 1, &a), MSC_E_INVALIDARG);
    assert_int_equal(msc_net_resolve(msc_str_make(NULL, 0), 1, &a), MSC_E_INVALIDARG);
    assert_int_equal(msc_net_resolve(S("127.0.0.1"), 1, NULL), MSC_E_INVALIDARG);
    {
        char longname[400];
        memset(longname, 'a', sizeof(longname));
        assert_int_equal(msc_net_resolve(msc_str_make(longname, sizeof(longname)), 1, &a),
                         MSC_SR_CONNECTION_FAILURE);
    }
}

static void expect_host6(const char *in, const char *want)
{
    msc_addr a;
    char buf[64];
    size_t n;
    assert_int_equal(msc_net_resolve(msc_cstr(in), 1, &a), MSC_S_OK);
    n = msc_addr_host(&a, buf, sizeof(buf));
    if (n != strlen(want) || strcmp(buf, want) != 0)
        fail_msg("%s formats as %s, expected %s", in, buf, want);
}

static void test_addr_host(void **state)
{
    msc_addr a;
    char buf[64];
    (void)state;
    memset(&a, 0, sizeof(a));
    a.family = 4;
    memcpy(a.ip, "\xc0\xa8\x00\xff", 4);
    assert_int_equal(msc_addr_host(&a, buf, sizeof(buf)), 13);
    assert_string_equal(buf, "192.168.0.255");
    memset(a.ip, 0, 4);
    assert_int_equal(msc_addr_host(&a, buf, sizeof(buf)), 7);
    assert_string_equal(buf, "0.0.0.0");
    /* the buffer must hold the NUL too */
    assert_int_equal(msc_addr_host(&a, buf, 7), 0);
    assert_int_equal(msc_addr_host(&a, buf, 8), 7);
    a.family = 0;
    assert_int_equal(msc_addr_host(&a, buf, sizeof(buf)), 0);
    assert_int_equal(msc_addr_host(NULL, buf, sizeof(buf)), 0);

    /* RFC 5952 */
    expect_host6("::1", "[::1]");
    expect_host6("::", "[::]");
    expect_host6("1::", "[1::]");
    expect_host6("2001:DB8:0:0:0:0:0:1", "[2001:db8::1]");
    expect_host6("2001:db8:0:1:1:1:1:1", "[2001:db8:0:1:1:1:1:1]");  /* one zero group: not :: */
    expect_host6("2001:0:0:1:0:0:0:1", "[2001:0:0:1::1]");           /* the longest run */
    expect_host6("2001:db8:0:0:1:0:0:1", "[2001:db8::1:0:0:1]");     /* the first of equals */
    expect_host6("fe80::0abc:0:0:1", "[fe80::abc:0:0:1]");
    expect_host6("1:2:3:4:5:6:7:8", "[1:2:3:4:5:6:7:8]");
    expect_host6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                 "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]");
    expect_host6("1:0:0:0:0:ffff:c000:201", "[1::ffff:c000:201]");

    assert_int_equal(msc_net_resolve(S("::1"), 1, &a), MSC_S_OK);
    assert_int_equal(msc_addr_host(&a, buf, 5), 0);
    assert_int_equal(msc_addr_host(&a, buf, 6), 5);
}

static void test_addr_equal(void **state)
{
    msc_addr a = addr("127.0.0.1", 5060), b = a;
    (void)state;
    assert_true(msc_addr_equal(&a, &b));
    b.port = 5061;
    assert_false(msc_addr_equal(&a, &b));
    b = a;
    b.ip[3] = 2;
    assert_false(msc_addr_equal(&a, &b));
    b = a;
    b.ip[10] = 9;               /* beyond an IPv4 address: not compared */
    assert_true(msc_addr_equal(&a, &b));
    b = addr("::1", 5060);
    assert_false(msc_addr_equal(&a, &b));
    assert_false(msc_addr_equal(&a, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_any_port),
        cmocka_unit_test(test_start_bad_args),
        cmocka_unit_test(test_bind_busy_port),
        cmocka_unit_test(test_send_bad_args),
        cmocka_unit_test(test_udp_self),
        cmocka_unit_test(test_udp_between),
        cmocka_unit_test(test_udp_unreachable_keeps_socket),
        cmocka_unit_test(test_tcp_both_directions),
        cmocka_unit_test(test_tcp_framing),
        cmocka_unit_test(test_tcp_broken_stream),
        cmocka_unit_test(test_tcp_refused),
        cmocka_unit_test(test_tcp_bulk),
        cmocka_unit_test(test_tcp_max_connections),
        cmocka_unit_test(test_tcp_idle_close),
        cmocka_unit_test(test_wait),
        cmocka_unit_test(test_notify),
        cmocka_unit_test(test_stop_with_queued),
        cmocka_unit_test(test_stop_sends_last_words),
        cmocka_unit_test(test_start_stop_many),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_addr_host),
        cmocka_unit_test(test_addr_equal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
