#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "core/core_private.h"

msc_str S(const char *z) { return msc_cstr(z); }

static uint64_t clock_now(void *ctx) { return ((world *)ctx)->now; }

static uint64_t party_now(void *ctx) { return ((party *)ctx)->w->now; }

static void rnd_bytes(void *ctx, void *buf, size_t len)
{
    world *w = ((party *)ctx)->w;
    unsigned char *b = buf;
    size_t i;
    for (i = 0; i < len; i++) {
        w->rnd = w->rnd * 1103515245u + 12345u;
        b[i] = (unsigned char)(w->rnd >> 16);
    }
}

static int lookup(void *ctx, msc_str guid, msc_app_info *info)
{
    static const char *apps[][3] = {
        { APP_GUID, "NetMeeting", "http://example.org/netmeeting" },
        { APP2_GUID, "File Transfer", "http://example.org/ft" },
    };
    const party *p = ctx;
    size_t i, j;
    for (i = 0; i < (p->apps ? 1u : 2u); i++) {
        if (guid.n != MSC_GUID_CHARS) continue;
        for (j = 0; j < guid.n; j++) {
            char a = guid.p[j], b = apps[i][0][j];
            if (a >= 'a' && a <= 'z') a = (char)(a - 32);
            if (a != b) break;
        }
        if (j == guid.n) {
            info->name = msc_cstr(apps[i][1]);
            info->url = msc_cstr(apps[i][2]);
            info->path = msc_cstr("C:\\apps\\app.exe");
            return 1;
        }
    }
    return 0;
}

const char *ev_name(ev_kind k)
{
    static const char *n[] = { "invitation", "state", "accepted", "declined", "cancelled",
                               "terminated", "context", "send_error", "app_not_present" };
    return n[k];
}

/* ---- the recorder: every event is checked on arrival -------------------------------------- */
static void record(party *p, ev_kind k, msc_session *s, msc_state prev, msc_hr hr, msc_str a, msc_str b)
{
    ev *e;
    size_t i;

    assert_non_null(s);
    /* nothing may follow a session's end */
    for (i = 0; i < p->nlog; i++)
        if (p->log[i].s == s && p->log[i].kind == EV_TERMINATED)
            fail_msg("%s: event %s after the session's termination", p->name, ev_name(k));
    assert_true(p->nlog < MAX_LOG);
    e = &p->log[p->nlog++];
    memset(e, 0, sizeof(*e));
    e->kind = k;
    e->s = s;
    e->prev = prev;
    e->state = msc_session_state(s);
    e->hr = hr;
    e->seq = ++p->w->seq;
    assert_true(a.n <= MSC_MAX_CONTEXT_BYTES);
    memcpy(e->data, a.p, a.n);
    e->len = a.n;
    if (k == EV_APP_NOT_PRESENT) {
        assert_true(a.n < sizeof(e->name) && b.n < sizeof(e->url));
        memcpy(e->name, a.p, a.n);
        memcpy(e->url, b.p, b.n);
    }
    /* arguments within their limits */
    assert_true(msc_utf8_valid(a));
    if (k == EV_CONTEXT) assert_true(msc_utf16_units(a) <= MSC_MAX_CONTEXT_CHARS);
    else if (k != EV_APP_NOT_PRESENT) assert_true(a.n <= MSC_MAX_APP_DATA_BYTES);
    if (k == EV_STATE) assert_int_not_equal(prev, MSC_SS_UNKNOWN);
    if (k == EV_TERMINATED) {
        assert_true(msc_state_is_terminal(msc_session_state(s)));
        assert_true(MSC_FAILED(hr));
    }
    if (k == EV_INVITATION) {
        if (p->invited) msc_session_unref(p->invited);
        msc_session_ref(s);
        p->invited = s;
    }
    if (p->hook) p->hook(p, e);
}

#define P ((party *)ctx)
static void on_inv(void *ctx, msc_session *s, msc_str d) { record(P, EV_INVITATION, s, 0, 0, d, MSC_STR_EMPTY); }
static void on_state(void *ctx, msc_session *s, msc_state prev) { record(P, EV_STATE, s, prev, 0, MSC_STR_EMPTY, MSC_STR_EMPTY); }
static void on_acc(void *ctx, msc_session *s, msc_str d) { record(P, EV_ACCEPTED, s, 0, 0, d, MSC_STR_EMPTY); }
static void on_dec(void *ctx, msc_session *s, msc_str d) { record(P, EV_DECLINED, s, 0, 0, d, MSC_STR_EMPTY); }
static void on_can(void *ctx, msc_session *s, msc_str d) { record(P, EV_CANCELLED, s, 0, 0, d, MSC_STR_EMPTY); }
static void on_term(void *ctx, msc_session *s, msc_hr hr, msc_str d) { record(P, EV_TERMINATED, s, 0, hr, d, MSC_STR_EMPTY); }
static void on_ctx(void *ctx, msc_session *s, msc_str d) { record(P, EV_CONTEXT, s, 0, 0, d, MSC_STR_EMPTY); }
static void on_err(void *ctx, msc_session *s, msc_hr hr) { record(P, EV_SEND_ERROR, s, 0, hr, MSC_STR_EMPTY, MSC_STR_EMPTY); }
static void on_anp(void *ctx, msc_session *s, msc_str n, msc_str u) { record(P, EV_APP_NOT_PRESENT, s, 0, 0, n, u); }
#undef P

/* ---- the fake SIP network ------------------------------------------------------------------- */
static const msc_addr DOMAIN_ADDR = { 4, 5060, { 10, 0, 0, 100 } };

static size_t first_line(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != '\r' && p[i] != '\n') i++;
    return i;
}

static int starts(const sip_pkt *k, const char *match)
{
    size_t m = strlen(match);
    return k->len >= m && !memcmp(k->data, match, m);
}

static msc_hr sip_send(void *ctx, msc_net_proto proto, const msc_addr *dest, const void *buf, size_t len)
{
    party *p = ctx;
    world *w = p->w;
    unsigned copies = 1, i;
    if (w->drop_n || w->dup_n) {
        size_t m = strlen(w->fault_match);
        int hit = len >= m && !memcmp(buf, w->fault_match, m);
        if (hit && w->drop_n) { w->drop_n--; return MSC_S_OK; }
        if (hit && w->dup_n) { w->dup_n--; copies = 2; }
    }
    if (proto == MSC_NET_TCP) w->tcp_packets++;
    for (i = 0; i < copies; i++) {
        sip_pkt *k = malloc(sizeof(*k) + len + 1);
        assert_non_null(k);
        k->next = NULL;
        k->failed = 0;
        k->proto = proto;
        k->from = p->addr;
        k->to = *dest;
        k->due = w->now;
        k->len = len;
        memcpy(k->data, buf, len);
        k->data[len] = 0;
        if (w->qtail) w->qtail->next = k; else w->q = k;
        w->qtail = k;
    }
    return MSC_S_OK;
}

static msc_hr sip_resolve(void *ctx, msc_str host, uint16_t port, msc_addr *out)
{
    unsigned a, b, c, d;
    char h[64];
    (void)ctx;
    if (host.n >= sizeof(h)) return MSC_SR_CONNECTION_FAILURE;
    memcpy(h, host.p, host.n);
    h[host.n] = 0;
    memset(out, 0, sizeof(*out));
    out->family = 4;
    out->port = port;
    if (!strcmp(h, "example.org")) { memcpy(out->ip, DOMAIN_ADDR.ip, 4); return MSC_S_OK; }
    if (sscanf(h, "%u.%u.%u.%u", &a, &b, &c, &d) == 4 && a < 256 && b < 256 && c < 256 && d < 256) {
        out->ip[0] = (uint8_t)a; out->ip[1] = (uint8_t)b; out->ip[2] = (uint8_t)c; out->ip[3] = (uint8_t)d;
        return MSC_S_OK;
    }
    return MSC_SR_CONNECTION_FAILURE;
}

static void sip_random(void *ctx, void *buf, size_t len) { rnd_bytes(ctx, buf, len); }

static void sip_registration(void *ctx, msc_hr hr) { ((party *)ctx)->registration = hr; }

/* The party a packet reaches: by address, or for the domain by the Request-URI's user. */
static party *sip_route(world *w, const sip_pkt *k)
{
    size_t i;
    if (msc_addr_equal(&k->to, &DOMAIN_ADDR) || (k->to.family == 4 && !memcmp(k->to.ip, DOMAIN_ADDR.ip, 4))) {
        const char *sp = memchr(k->data, ' ', first_line(k->data, k->len));
        if (!sp || strncmp(sp + 1, "sip:", 4)) return NULL;
        for (i = 0; i < w->n; i++) {
            size_t u = strcspn(w->p[i].name, "@");
            if (w->p[i].ua && !strncmp(sp + 5, w->p[i].name, u) && sp[5 + u] == '@') return &w->p[i];
        }
        return NULL;
    }
    for (i = 0; i < w->n; i++)
        if (w->p[i].ua && k->to.family == 4 && !memcmp(k->to.ip, w->p[i].addr.ip, 4) && k->to.port == w->p[i].addr.port)
            return &w->p[i];
    return NULL;
}

static size_t sip_pump(world *w)
{
    size_t n = 0;
    while (w->q && w->q->due <= w->now) {
        sip_pkt *k = w->q;
        party *dst;
        size_t fl;
        w->q = k->next;
        if (!w->q) w->qtail = NULL;
        n++;
        if (k->failed) {
            size_t i;
            for (i = 0; i < w->n; i++)
                if (w->p[i].ua && msc_addr_equal(&w->p[i].addr, &k->from))
                    msc_sip_ua_send_failed(w->p[i].ua, k->proto, &k->to, k->data, k->len, MSC_SR_CONNECTION_FAILURE);
            free(k);
            continue;
        }
        dst = sip_route(w, k);
        fl = first_line(k->data, k->len);
        if ((dst || k->proto == MSC_NET_UDP) && w->wire_len + fl + 2 < sizeof(w->wire_log)) {
            memcpy(w->wire_log + w->wire_len, k->data, fl);  /* what travelled, delivered or not */
            w->wire_len += fl;
            w->wire_log[w->wire_len++] = '|';
            w->wire_log[w->wire_len] = 0;
        }
        if (!dst) {
            if (k->proto == MSC_NET_TCP) {          /* connection refused: back to the sender */
                k->failed = 1;
                k->next = NULL;
                if (w->qtail) w->qtail->next = k; else w->q = k;
                w->qtail = k;
            } else {
                free(k);
            }
            continue;
        }
        w->sip_packets++;
        msc_sip_ua_input(dst->ua, k->proto, &k->from, k->data, k->len);
        free(k);
    }
    return n;
}

void sip_drop(world *w, unsigned n, const char *match)
{
    w->drop_n = n;
    snprintf(w->fault_match, sizeof(w->fault_match), "%s", match ? match : "");
}

void sip_dup(world *w, unsigned n, const char *match)
{
    w->dup_n = n;
    snprintf(w->fault_match, sizeof(w->fault_match), "%s", match ? match : "");
}

size_t wire_count(const world *w, const char *what)
{
    size_t n = 0, m = strlen(what);
    const char *p = w->wire_log;
    while (*p) {
        const char *e = strchr(p, '|');
        if (!e) break;
        if ((size_t)(e - p) >= m && !memcmp(p, what, m)) n++;
        p = e + 1;
    }
    return n;
}

int wire_seen(const world *w, const char *what) { return wire_count(w, what) > 0; }

void wire_clear(world *w) { w->wire_len = 0; w->wire_log[0] = 0; }

void sip_inject(party *p, msc_net_proto proto, const msc_addr *from, const char *text)
{
    msc_sip_ua_input(p->ua, proto, from, text, strlen(text));
}

sip_pkt *sip_take(world *w, const char *match)
{
    sip_pkt **pp = &w->q, *prev = NULL;
    for (; *pp; prev = *pp, pp = &(*pp)->next) {
        sip_pkt *k = *pp;
        if (!starts(k, match)) continue;
        *pp = k->next;
        if (w->qtail == k) w->qtail = prev;
        return k;
    }
    return NULL;
}

/* ---- the world ---------------------------------------------------------------------------- */
world *world_new(const msc_config *cfg)
{
    world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    w->now = 1000;
    w->rnd = 12345;
    if (cfg) w->cfg = *cfg;
    w->net = msc_loopnet_create(clock_now, w);
    assert_non_null(w->net);
    return w;
}

world *world_new_sip(const msc_config *cfg, msc_net_proto proto)
{
    world *w = world_new(cfg);
    w->sip = 1;
    w->sipcfg.transport = proto;
    return w;
}

party *world_party(world *w, const char *name)
{
    party *p = &w->p[w->n++];
    msc_host host = { p, party_now, NULL, rnd_bytes, lookup };
    msc_events cb = { p, on_inv, on_state, on_acc, on_dec, on_can, on_term, on_ctx, on_err, on_anp };
    char addr[32];

    assert_true(w->n <= 4);
    p->w = w;
    p->name = name;
    snprintf(addr, sizeof(addr), "10.0.0.%u", (unsigned)w->n);
    if (w->sip) {
        msc_sip_ua_io io = { p, party_now, NULL, sip_random, sip_send, sip_resolve, sip_registration, NULL };
        msc_sip_ua_config c = w->sipcfg;
        c.identity = S(name);
        p->addr.family = 4;
        p->addr.port = 5060;
        p->addr.ip[0] = 10; p->addr.ip[3] = (uint8_t)w->n;
        c.local = p->addr;
        assert_int_equal(msc_sip_ua_create(&c, &io, &p->ua), MSC_S_OK);
        p->m = msc_manager_create(&host, msc_sip_ua_transport(p->ua), &cb, &w->cfg);
        assert_non_null(p->m);
        msc_sip_ua_bind(p->ua, p->m);
        return p;
    }
    p->ep = msc_loopnet_endpoint(w->net, S(name), S(addr));
    assert_non_null(p->ep);
    p->m = msc_manager_create(&host, msc_loop_endpoint_transport(p->ep), &cb, &w->cfg);
    assert_non_null(p->m);
    msc_loop_endpoint_bind(p->ep, p->m);
    return p;
}

size_t world_sent(const world *w)
{
    size_t i, n = msc_loopnet_stats(w->net).sent;
    for (i = 0; i < w->n; i++)
        if (w->p[i].ua) n += (size_t)msc_sip_ua_get_stats(w->p[i].ua).requests_out;
    return n;
}

void party_unbind(party *p)
{
    if (p->ua) msc_sip_ua_bind(p->ua, NULL);
    else msc_loop_endpoint_bind(p->ep, NULL);
}

void world_pump(world *w)
{
    if (w->sip) while (sip_pump(w)) {}
    else while (msc_loopnet_pump(w->net)) {}
}

void world_advance(world *w, uint64_t ms)
{
    uint64_t end = w->now + ms, at, next;
    size_t i;

    for (;;) {
        world_pump(w);
        next = end;
        for (i = 0; i < w->n; i++)
            if (w->p[i].m && msc_manager_next_deadline(w->p[i].m, &at) && at < next) next = at;
        if (msc_loopnet_next_due(w->net, &at) && at < next) next = at;
        for (i = 0; i < w->n; i++)
            if (w->p[i].ua && msc_sip_ua_next_deadline(w->p[i].ua, &at) && at < next) next = at;
        if (w->q && w->q->due < next) next = w->q->due;
        if (next > w->now) w->now = next;
        for (i = 0; i < w->n; i++) {
            if (w->p[i].m) msc_manager_tick(w->p[i].m);
            if (w->p[i].ua) msc_sip_ua_tick(w->p[i].ua);
        }
        world_pump(w);
        if (w->now >= end) break;
    }
}

/* What every test ends with: time runs on until every invitation has timed out and every
 * ended session has lingered out.  Then each session that was ever reported has ended exactly
 * once, except connected ones (the only state that lasts), and only those remain. */
/* Once the managers are gone and their goodbyes are out, nothing may remain. */
static int live_ok(world *w, party *p)
{
    msc_sip_ua_stats st = msc_sip_ua_get_stats(p->ua);
    (void)w;
    return st.transactions == 0 && st.calls == 0;
}

void world_free(world *w)
{
    size_t i, j, k;

    world_advance(w, (uint64_t)w->cfg.lifetime_ms + 10 * MSC_DEFAULT_LIFETIME_MS);
    for (i = 0; i < w->n; i++) {
        party *p = &w->p[i];
        size_t live = 0;
        if (p->invited) msc_session_unref(p->invited);
        p->invited = NULL;
        if (!p->m) continue;
        assert_int_equal(p->m->late_events, 0);
        assert_int_equal(p->m->pending_invites, 0);
        for (j = 0; j < p->nlog; j++) {
            size_t ends = 0, first = 1;
            const ev *final = NULL;
            for (k = 0; k < p->nlog; k++) {
                if (p->log[k].s != p->log[j].s) continue;
                if (k < j) first = 0;
                if (p->log[k].kind == EV_TERMINATED) ends++;
                final = &p->log[k];
            }
            if (!first) continue;
            if (ends > 1 || (!ends && final->state != MSC_SS_CONNECTED)) {
                dump_log(p);
                fail_msg("%s: a session ended %u times, last seen in %s", p->name, (unsigned)ends,
                         msc_state_name(final->state));
            }
            if (!ends) live++;
        }
        assert_int_equal(msc_manager_session_count(p->m), live);
        msc_manager_destroy(p->m);
        p->m = NULL;
    }
    /* the managers' goodbyes go out; let every SIP timer run out */
    for (i = 0; i < w->n; i++)
        if (w->p[i].ua) msc_sip_ua_bind(w->p[i].ua, NULL);
    if (w->sip) world_advance(w, 100000);
    for (i = 0; i < w->n; i++) {
        if (!w->p[i].ua) continue;
        /* every transaction and call ran out with the time that passed */
        if (!live_ok(w, &w->p[i])) fail_msg("%s: the user agent still holds calls or transactions", w->p[i].name);
        msc_sip_ua_destroy(w->p[i].ua);
    }
    while (w->q) { sip_pkt *gone = w->q; w->q = gone->next; free(gone); }
    msc_loopnet_destroy(w->net);
    free(w);
}

msc_session *new_session(party *p, const char *app)
{
    msc_session *s = NULL;
    assert_int_equal(msc_session_create(p->m, &s), MSC_S_OK);
    assert_non_null(s);
    if (app) assert_int_equal(msc_session_set_application(s, S(app)), MSC_S_OK);
    return s;
}

msc_session *invite(party *p, msc_session *s, party *q, const char *data)
{
    size_t before = count(q, EV_INVITATION, NULL);
    assert_int_equal(msc_session_invite(s, S(q->name), S(data)), MSC_S_OK);
    world_pump(p->w);
    return count(q, EV_INVITATION, NULL) > before ? q->invited : NULL;
}

size_t count(const party *p, ev_kind k, const msc_session *s)
{
    size_t i, n = 0;
    for (i = 0; i < p->nlog; i++)
        if (p->log[i].kind == k && (!s || p->log[i].s == s)) n++;
    return n;
}

const ev *nth(const party *p, ev_kind k, const msc_session *s, size_t n)
{
    size_t i;
    for (i = 0; i < p->nlog; i++)
        if (p->log[i].kind == k && (!s || p->log[i].s == s) && !n--) return &p->log[i];
    fail_msg("%s: no %s event", p->name, ev_name(k));
    return NULL;
}

const ev *last(const party *p, ev_kind k, const msc_session *s)
{
    size_t i = p->nlog;
    while (i--)
        if (p->log[i].kind == k && (!s || p->log[i].s == s)) return &p->log[i];
    fail_msg("%s: no %s event", p->name, ev_name(k));
    return NULL;
}

void clear_log(party *p) { p->nlog = 0; }

void dump_log(const party *p)
{
    size_t i;
    for (i = 0; i < p->nlog; i++)
        print_message("  %s #%u %s s=%p prev=%s state=%s hr=%08x len=%u\n", p->name, p->log[i].seq,
                      ev_name(p->log[i].kind), (void *)p->log[i].s, msc_state_name(p->log[i].prev),
                      msc_state_name(p->log[i].state), (unsigned)p->log[i].hr, (unsigned)p->log[i].len);
}

world *W;
party *A, *B;

int two_users_setup(void **state)
{
    (void)state;
    W = world_new(NULL);
    A = world_party(W, ALICE);
    B = world_party(W, BOB);
    return 0;
}

int two_sip_users_setup(void **state)
{
    (void)state;
    W = world_new_sip(NULL, MSC_NET_UDP);
    A = world_party(W, ALICE);
    B = world_party(W, BOB);
    return 0;
}

int two_sip_tcp_users_setup(void **state)
{
    (void)state;
    W = world_new_sip(NULL, MSC_NET_TCP);
    A = world_party(W, ALICE);
    B = world_party(W, BOB);
    return 0;
}

int two_users_teardown(void **state)
{
    (void)state;
    world_free(W);
    return 0;
}
