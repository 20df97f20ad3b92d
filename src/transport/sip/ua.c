/* msgsc SIP user agent (include/msgsc/sip_ua.h; docs/sip-ua.md).
 *
 * One call per session: the session's INVITE dialog.  The core's messages travel in SIP bodies
 * (the text/x-msmsgsinvite body, verbatim); which SIP request or response carries one depends on
 * where the dialog is (tp_send, end_call).  A peer that sends no such body (SIPp, a softphone)
 * is understood by SIP semantics alone (carried()).
 *
 * Transactions (RFC 3261 §17) are `txn`s: client and server, INVITE and non-INVITE, found by
 * branch.  The 2xx to an INVITE is the dialog's business (§13.3.1.4, §13.2.2.4), so its
 * retransmission and the ACK that answers it live in the call.  Every timer is a `tmr` in one
 * heap, on the core's clock.  Nothing here blocks or touches a socket.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include "msgsc/sip.h"
#include "msgsc/sip_ua.h"

#define URI_MAX      300
#define TAG_MAX      130
#define ROUTES_MAX   1100
#define UDP_LIMIT    1300      /* RFC 3261 §18.1.1: a larger request goes over TCP */
#define MAX_CALLS    65536
#define MAX_TXNS     65536
#define NAME_MAX_B   (MSC_UTF8_BYTES(MSC_MAX_USER_CHARS) + 1)
#define ALLOW        "INVITE, ACK, CANCEL, BYE, INFO, MESSAGE, OPTIONS"
#define CTYPE        "text/x-msmsgsinvite; charset=UTF-8"
#define UA_NAME      "msgsc/0.1"

/* ---- timers ----------------------------------------------------------------------------------- */
typedef enum { TMR_TXN = 1, TMR_CALL, TMR_REG } tmr_kind;
typedef struct tmr {
    uint64_t at;                /* 0: not armed */
    size_t idx;                 /* position in the heap */
    tmr_kind kind;
} tmr;

typedef enum { TS_TRYING, TS_PROCEEDING, TS_COMPLETED, TS_CONFIRMED } tstate;

typedef struct call call;
typedef struct txn {
    tmr t;
    struct txn *hnext, *next, *prev;
    call *c;                    /* the call it belongs to, or NULL */
    int client;
    msc_sip_method method;
    tstate st;
    char branch[TAG_MAX];
    msc_net_proto proto;
    msc_addr dest;
    char *out;                  /* client: the request as sent; server: the last response */
    size_t out_len;
    uint32_t retx_ms;           /* current interval; 0: no retransmission */
    uint64_t retx_at, end_at;
    int auth_tries;
    msc_msg *carried;           /* client: the core message in it (reported if it fails) */
} txn;

typedef enum { CS_EARLY, CS_AWAIT_ACK, CS_CONFIRMED, CS_ENDED } cstate;

/* An in-dialog request waiting for the one before it to complete. */
typedef struct outreq {
    struct outreq *next;
    msc_sip_method method;
    msc_msg *carried;           /* NULL, or the core message to report if it fails */
    size_t blen;
    char body[];
} outreq;

struct call {
    tmr t;                      /* UAS: 2xx retransmission and give-up; then the linger */
    call *snext, *cnext, *next, *prev;
    int uac;
    cstate st;
    char sid[MSC_GUID_CHARS + 1];
    char peer[NAME_MAX_B];      /* the other party's sign-in name, as the core knows it */
    char call_id[MSC_SIP_MAX_CALL_ID + 1];
    char ltag[TAG_MAX], rtag[TAG_MAX];
    char luri[URI_MAX], ruri[URI_MAX];  /* From/To URIs: ours, the peer's */
    char target[URI_MAX];       /* remote target: the peer's Contact */
    char routes[ROUTES_MAX];    /* Route value for in-dialog requests; "" for none */
    char first_route[URI_MAX];
    uint32_t lcseq, rcseq;      /* ours; the peer's last (0: none yet) */
    msc_net_proto proto;
    /* In-dialog requests go one at a time, so that they arrive in order (RFC 3261 §12.2.2 has
     * the receiver refuse an older CSeq), and only once the dialog is confirmed (a BYE only after
     * the ACK, §15): the one under way, and those waiting. */
    txn *busy;
    outreq *oq, *oq_tail;
    int bye;                    /* our BYE is sent or waiting */
    size_t ntxns;               /* transactions whose t->c is this call */
    txn *inv;                   /* the INVITE transaction while it lives */
    /* UAC */
    int provisional, final;
    int cancel;                 /* 1: wanted once a provisional arrives; 2: CANCEL sent */
    char *cancel_body;          /* the core's cancel: the CANCEL's body, or the ACK's if a 2xx
                                   crosses it */
    size_t cancel_len;
    char *ack; size_t ack_len;  /* the ACK of the 2xx, sent again for each retransmitted 2xx */
    msc_net_proto ack_proto; msc_addr ack_dest;
    /* UAS */
    msc_addr src; msc_net_proto src_proto;
    char *ireq; size_t ireq_len;        /* the INVITE as received */
    char *ok; size_t ok_len;            /* our 2xx, retransmitted until the ACK */
    uint32_t ok_retx_ms;
    uint64_t ok_retx_at, ok_give_up_at, linger_at;
};

struct msc_sip_ua {
    msc_sip_ua_io io;
    msc_transport tp;
    msc_sink sink;               /* where core messages go: a manager or the agent's router */
    char identity[NAME_MAX_B];
    char my_uri[URI_MAX];
    char my_user[NAME_MAX_B];
    char display[300];
    char host[64];              /* our address as text, for Via and Contact */
    uint16_t port;
    msc_net_proto transport;
    uint32_t t1, t2, t4, reg_expires;
    /* proxy and registration */
    int has_proxy;
    char proxy_host[256];
    uint16_t proxy_port;
    char domain[256];           /* the identity's host part: the registrar's domain */
    char auth_user[256], auth_pass[256];
    int reg_state;              /* 0 idle, 1 registering, 2 registered, 3 signing out */
    msc_hr reg_hr;
    tmr reg_t;
    char reg_call_id[80], reg_tag[TAG_MAX];
    uint32_t reg_cseq;
    /* tables */
    call *calls;
    size_t ncalls, ntxns;
    call *by_sid[1024], *by_cid[1024];
    txn *txns;
    txn *by_branch[1024];
    tmr **heap;
    size_t heap_len, heap_cap;
    /* scratch: the message being handled, a stored request parsed again, the one being built */
    msc_sip_msg *in, *req, *out;
    const char *in_buf;         /* the bytes ua->in was parsed from */
    size_t in_len;
    char wire[MSC_SIP_MAX_MSG + 1];
    msc_sip_ua_stats stats;
};

#define HASH_MASK 1023u

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)(*s | 0x20)) * 16777619u;
    return h;
}

static uint64_t now(msc_sip_ua *ua) { return ua->io.now_ms(ua->io.ctx); }

static void trace(msc_sip_ua *ua, const char *what, const char *buf, size_t len)
{
    char line[160];
    size_t n = 0;
    if (!ua->io.trace) return;
    while (n < len && n < 100 && buf[n] != '\r' && buf[n] != '\n') n++;
    snprintf(line, sizeof line, "%s %.*s", what, (int)n, buf);
    ua->io.trace(ua->io.ctx, line);
}

/* ---- the timer heap ---------------------------------------------------------------------------- */
static void heap_swap(msc_sip_ua *ua, size_t a, size_t b)
{
    tmr *t = ua->heap[a];
    ua->heap[a] = ua->heap[b]; ua->heap[b] = t;
    ua->heap[a]->idx = a; ua->heap[b]->idx = b;
}

static void heap_fix(msc_sip_ua *ua, size_t i)
{
    while (i && ua->heap[(i - 1) / 2]->at > ua->heap[i]->at) { heap_swap(ua, i, (i - 1) / 2); i = (i - 1) / 2; }
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < ua->heap_len && ua->heap[l]->at < ua->heap[m]->at) m = l;
        if (r < ua->heap_len && ua->heap[r]->at < ua->heap[m]->at) m = r;
        if (m == i) break;
        heap_swap(ua, i, m);
        i = m;
    }
}

/* Arm t at `at` (0 disarms).  Returns 0 only when out of memory (the timer is then off). */
static int tmr_set(msc_sip_ua *ua, tmr *t, uint64_t at)
{
    uint64_t first = ua->heap_len ? ua->heap[0]->at : 0;
    if (t->at) {
        size_t i = t->idx;
        if (!at) {
            heap_swap(ua, i, --ua->heap_len);
            if (i < ua->heap_len) heap_fix(ua, i);
        } else {
            t->at = at;
            heap_fix(ua, i);
        }
    } else if (at) {
        if (ua->heap_len == ua->heap_cap) {
            size_t cap = ua->heap_cap ? ua->heap_cap * 2 : 64;
            tmr **h = realloc(ua->heap, cap * sizeof *h);
            if (!h) return 0;
            ua->heap = h; ua->heap_cap = cap;
        }
        t->idx = ua->heap_len;
        ua->heap[ua->heap_len++] = t;
        t->at = at;
        heap_fix(ua, t->idx);
    }
    if (!at) t->at = 0;
    if (ua->io.wake && (ua->heap_len ? ua->heap[0]->at : 0) != first) ua->io.wake(ua->io.ctx);
    return 1;
}

static uint64_t earliest(uint64_t a, uint64_t b) { return !a ? b : !b ? a : a < b ? a : b; }

/* ---- small helpers ------------------------------------------------------------------------------- */
static int copy(char *dst, size_t cap, msc_str s)
{
    if (s.n >= cap || (s.n && memchr(s.p, 0, s.n))) return 0;
    if (s.n) memcpy(dst, s.p, s.n);
    dst[s.n] = 0;
    return 1;
}

static char *dup_bytes(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d) { memcpy(d, p, n); d[n] = 0; }
    return d;
}

/* base64url without padding (RFC 4648 §5): a token, so it can stand as a header parameter. */
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t b64_encode(const char *in, size_t n, char *out, size_t cap)
{
    size_t i, o = 0;
    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
        size_t k, left = n - i < 3 ? n - i : 3;
        if (left > 1) v |= (uint32_t)(unsigned char)in[i + 1] << 8;
        if (left > 2) v |= (unsigned char)in[i + 2];
        for (k = 0; k <= left; k++) {
            if (o + 1 >= cap) return 0;
            out[o++] = b64[(v >> (18 - 6 * k)) & 63];
        }
    }
    out[o] = 0;
    return o;
}

static int b64_decode(msc_str s, char *out, size_t cap, size_t *n)
{
    uint32_t v = 0;
    size_t i, bits = 0, o = 0;
    for (i = 0; i < s.n; i++) {
        const char *p = s.p[i] ? strchr(b64, s.p[i]) : NULL;
        if (!p) return 0;
        v = v << 6 | (uint32_t)(p - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap) return 0;
            out[o++] = (char)(v >> bits);
        }
    }
    *n = o;
    return bits < 6;
}

static int has_prefix_ci(msc_str s, const char *pre)
{
    size_t i, n = strlen(pre);
    if (s.n < n) return 0;
    for (i = 0; i < n; i++) if ((s.p[i] | 0x20) != pre[i]) return 0;
    return 1;
}

/* The sign-in name of a SIP URI: user@host[:port], the user part unescaped. */
static int name_of_uri(const msc_sip_uri *u, char *buf, size_t cap)
{
    char user[NAME_MAX_B];
    size_t un;
    int n;
    if (u->scheme != MSC_SIP_SCHEME_SIP || !u->user.n || !msc_sip_unescape(u->user, user, sizeof user, &un)
        || memchr(user, 0, un) || memchr(user, '@', un))
        return 0;
    n = u->port ? snprintf(buf, cap, "%.*s@%.*s:%u", (int)un, user, (int)u->host.n, u->host.p, u->port)
                : snprintf(buf, cap, "%.*s@%.*s", (int)un, user, (int)u->host.n, u->host.p);
    return n > 0 && (size_t)n < cap;
}

/* The SIP URI of a sign-in name: "sip:" + the name, its user part escaped where RFC 3261's user
 * grammar needs it ("John Smith@host" is sip:John%20Smith@host; docs/sip-ua.md §4).  0 when it is
 * not a user@host[:port] that then parses as a SIP URI. */
static int uri_of_name(msc_str name, char *buf, size_t cap)
{
    static const char keep[] = "-_.!~*'()&=+$,";
    const char *at;
    size_t i, len = 4;
    msc_sip_uri u;
    name = msc_sign_in_name(name);
    if (!name.n || memchr(name.p, 0, name.n) || !(at = memchr(name.p, '@', name.n)) || at == name.p) return 0;
    if (cap < 5) return 0;
    memcpy(buf, "sip:", 4);
    for (i = 0; i < (size_t)(at - name.p); i++) {
        unsigned char c = (unsigned char)name.p[i];
        if (len + 4 >= cap) return 0;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(keep, c))
            buf[len++] = (char)c;
        else
            len += (size_t)snprintf(buf + len, cap - len, "%%%02X", c);
    }
    if (len + (name.n - i) >= cap) return 0;
    memcpy(buf + len, at, name.n - i);
    len += name.n - i;
    buf[len] = 0;
    return msc_sip_uri_parse(msc_cstr(buf), &u) == 0 && u.user.n && !u.params.n && !u.headers.n;
}

static void rnd(void *ctx, void *buf, size_t len)
{
    msc_sip_ua *ua = ctx;
    ua->io.random(ua->io.ctx, buf, len);
}

/* Where a URI leads: its host and port (5060) over its transport parameter or ours. */
static msc_hr uri_dest(msc_sip_ua *ua, msc_str text, msc_net_proto *proto, msc_addr *dest)
{
    msc_sip_uri u;
    msc_str host;
    if (msc_sip_uri_parse(text, &u) || u.scheme != MSC_SIP_SCHEME_SIP) return MSC_E_INVALIDARG;
    host = u.host;
    if (u.host_kind == MSC_SIP_HOST_IPV6) { host.p++; host.n -= 2; }
    *proto = ua->transport;
    if (u.transport.n == 3 && has_prefix_ci(u.transport, "tcp")) *proto = MSC_NET_TCP;
    if (u.transport.n == 3 && has_prefix_ci(u.transport, "udp")) *proto = MSC_NET_UDP;
    return ua->io.resolve(ua->io.ctx, host, u.port ? u.port : 5060, dest);
}

/* ---- building messages ------------------------------------------------------------------------- */
typedef struct bld { msc_sip_msg *m; int err; } bld;

static void add(bld *b, const char *name, const char *fmt, ...)
{
    char v[MSC_SIP_MAX_LINE + 1];
    va_list ap;
    int n;
    if (b->err) return;
    va_start(ap, fmt);
    n = vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof v || msc_sip_add(b->m, msc_cstr(name), msc_str_make(v, (size_t)n)))
        b->err = 1;
}

#define S(x) (int)(x).n, (x).p

static void add_contact(msc_sip_ua *ua, bld *b, msc_net_proto proto)
{
    add(b, "Contact", "<sip:%s@%s:%u%s>", ua->my_user, ua->host, ua->port,
        proto == MSC_NET_TCP ? ";transport=tcp" : "");
}

static void start_request(msc_sip_ua *ua, bld *b, const char *method, const char *ruri,
                          msc_net_proto proto, const char *branch)
{
    b->m = ua->out;
    b->err = msc_sip_init_request(ua->out, msc_cstr(method), msc_cstr(ruri)) != 0;
    add(b, "Via", "SIP/2.0/%s %s:%u;branch=%s;rport", proto == MSC_NET_TCP ? "TCP" : "UDP",
        ua->host, ua->port, branch);
    add(b, "Max-Forwards", "70");
}

/* Serialize b into ua->wire; the length, 0 on failure. */
static size_t finish(msc_sip_ua *ua, bld *b, const char *body, size_t blen)
{
    if (!b->err && blen) {
        add(b, "Content-Type", "%s", CTYPE);
        if (!b->err && msc_sip_set_body(b->m, msc_str_make(body, blen))) b->err = 1;
    }
    if (b->err) return 0;
    return msc_sip_serialize(b->m, ua->wire, sizeof ua->wire - 1);
}

static msc_hr xmit(msc_sip_ua *ua, msc_net_proto proto, const msc_addr *dest, const char *buf, size_t len)
{
    trace(ua, "->", buf, len);
    return ua->io.send(ua->io.ctx, proto, dest, buf, len);
}

/* Requests over UDP that came out too large go over TCP (RFC 3261 §18.1.1): our Via is the
 * first header line and "UDP" and "TCP" have the same length, so the bytes are patched. */
static msc_net_proto fit_proto(msc_sip_ua *ua, msc_net_proto proto, size_t len)
{
    char *v;
    if (proto != MSC_NET_UDP || len <= UDP_LIMIT) return proto;
    v = strstr(ua->wire, "SIP/2.0/UDP ");
    if (v) memcpy(v + 8, "TCP", 3);
    return MSC_NET_TCP;
}

/* ---- transactions ------------------------------------------------------------------------------ */
static txn *txn_find(msc_sip_ua *ua, msc_str branch, msc_sip_method method, int client)
{
    char b[TAG_MAX];
    txn *t;
    if (!copy(b, sizeof b, branch)) return NULL;
    for (t = ua->by_branch[hash_str(b) & HASH_MASK]; t; t = t->hnext)
        if (t->client == client && t->method == method && !strcmp(t->branch, b)) return t;
    return NULL;
}

static txn *txn_new(msc_sip_ua *ua, call *c, int client, msc_sip_method method, msc_str branch,
                    msc_net_proto proto, const msc_addr *dest, const char *bytes, size_t len)
{
    txn *t;
    uint32_t h;
    if (ua->ntxns >= MAX_TXNS || !(t = calloc(1, sizeof *t))) return NULL;
    if (!copy(t->branch, sizeof t->branch, branch) || !(t->out = dup_bytes(bytes, len))) {
        free(t);
        return NULL;
    }
    t->t.kind = TMR_TXN;
    t->c = c; t->client = client; t->method = method; t->proto = proto; t->dest = *dest;
    t->out_len = len;
    if (c) c->ntxns++;
    h = hash_str(t->branch) & HASH_MASK;
    t->hnext = ua->by_branch[h]; ua->by_branch[h] = t;
    t->next = ua->txns; if (ua->txns) ua->txns->prev = t; ua->txns = t;
    ua->ntxns++;
    return t;
}

static void txn_arm(msc_sip_ua *ua, txn *t) { tmr_set(ua, &t->t, earliest(t->retx_at, t->end_at)); }

static void txn_free(msc_sip_ua *ua, txn *t)
{
    txn **pp = &ua->by_branch[hash_str(t->branch) & HASH_MASK];
    while (*pp != t) pp = &(*pp)->hnext;
    *pp = t->hnext;
    if (t->prev) t->prev->next = t->next; else ua->txns = t->next;
    if (t->next) t->next->prev = t->prev;
    tmr_set(ua, &t->t, 0);
    if (t->c && t->c->inv == t) t->c->inv = NULL;
    if (t->c && t->c->busy == t) t->c->busy = NULL;
    if (t->c) t->c->ntxns--;
    free(t->out);
    free(t->carried);
    free(t);
    ua->ntxns--;
}

/* The transaction is over but absorbs retransmissions for `linger` ms more. */
static void txn_linger(msc_sip_ua *ua, txn *t, tstate st, uint32_t linger)
{
    t->st = st;
    t->retx_at = 0;
    t->end_at = now(ua) + linger;
    txn_arm(ua, t);
}

static uint32_t unreliable(msc_net_proto p, uint32_t ms) { return p == MSC_NET_UDP ? ms : 0; }

/* Its message was just sent: retransmit it from T1 over UDP (A, E, G) and give up after 64*T1
 * (B, F, H). */
static void txn_start(msc_sip_ua *ua, txn *t, tstate st)
{
    t->st = st;
    t->retx_ms = unreliable(t->proto, ua->t1);
    t->retx_at = t->retx_ms ? now(ua) + t->retx_ms : 0;
    t->end_at = now(ua) + 64u * ua->t1;
    txn_arm(ua, t);
}

/* Send a new client transaction's request (in ua->wire) and start its timers.  A CANCEL keeps
 * its INVITE's Via, transport included. */
static txn *client_send(msc_sip_ua *ua, call *c, msc_sip_method method, msc_str branch,
                        msc_net_proto proto, const msc_addr *dest, size_t len, const msc_msg *carried,
                        msc_hr *hr)
{
    txn *t;
    if (method != MSC_SIP_CANCEL) proto = fit_proto(ua, proto, len);
    t = txn_new(ua, c, 1, method, branch, proto, dest, ua->wire, len);
    if (!t) { *hr = MSC_E_OUTOFMEMORY; return NULL; }
    if (carried && (t->carried = malloc(sizeof *carried))) *t->carried = *carried;
    *hr = xmit(ua, proto, dest, ua->wire, len);
    if (*hr != MSC_S_OK) { txn_free(ua, t); return NULL; }
    ua->stats.requests_out++;
    txn_start(ua, t, TS_TRYING);
    return t;
}

/* ---- calls ------------------------------------------------------------------------------------- */
static call *call_by_sid(msc_sip_ua *ua, const char *sid)
{
    call *c;
    for (c = ua->by_sid[hash_str(sid) & HASH_MASK]; c; c = c->snext)
        if (!strcmp(c->sid, sid)) return c;
    return NULL;
}

static call *call_by_dialog(msc_sip_ua *ua, const msc_sip_msg *m)
{
    char cid[MSC_SIP_MAX_CALL_ID + 1];
    const msc_sip_addr *local = m->is_request ? &m->to : &m->from;
    const msc_sip_addr *remote = m->is_request ? &m->from : &m->to;
    call *c;
    if (!copy(cid, sizeof cid, m->call_id)) return NULL;
    for (c = ua->by_cid[hash_str(cid) & HASH_MASK]; c; c = c->cnext) {
        if (strcmp(c->call_id, cid)) continue;
        if (local->tag.n && (local->tag.n != strlen(c->ltag) || memcmp(local->tag.p, c->ltag, local->tag.n))) continue;
        if (c->rtag[0] && remote->tag.n && (remote->tag.n != strlen(c->rtag) || memcmp(remote->tag.p, c->rtag, remote->tag.n))) continue;
        return c;
    }
    return NULL;
}

static call *call_new(msc_sip_ua *ua, const char *sid, const char *call_id, int uac)
{
    call *c;
    uint32_t h;
    if (ua->ncalls >= MAX_CALLS || !(c = calloc(1, sizeof *c))) return NULL;
    c->t.kind = TMR_CALL;
    c->uac = uac;
    strcpy(c->sid, sid);
    if (!copy(c->call_id, sizeof c->call_id, msc_cstr(call_id))) { free(c); return NULL; }
    h = hash_str(c->sid) & HASH_MASK;
    c->snext = ua->by_sid[h]; ua->by_sid[h] = c;
    h = hash_str(c->call_id) & HASH_MASK;
    c->cnext = ua->by_cid[h]; ua->by_cid[h] = c;
    c->next = ua->calls; if (ua->calls) ua->calls->prev = c; ua->calls = c;
    ua->ncalls++;
    return c;
}

static void drop_queue(call *c)
{
    while (c->oq) { outreq *o = c->oq; c->oq = o->next; free(o->carried); free(o); }
    c->oq_tail = NULL;
}

static void call_free(msc_sip_ua *ua, call *c)
{
    call **pp;
    txn *t;
    for (pp = &ua->by_sid[hash_str(c->sid) & HASH_MASK]; *pp != c; pp = &(*pp)->snext) ;
    *pp = c->snext;
    for (pp = &ua->by_cid[hash_str(c->call_id) & HASH_MASK]; *pp != c; pp = &(*pp)->cnext) ;
    *pp = c->cnext;
    if (c->prev) c->prev->next = c->next; else ua->calls = c->next;
    if (c->next) c->next->prev = c->prev;
    if (c->ntxns)                       /* rare: a call freed under its own transactions */
        for (t = ua->txns; t; t = t->next) if (t->c == c) t->c = NULL;
    drop_queue(c);
    tmr_set(ua, &c->t, 0);
    free(c->ack); free(c->ireq); free(c->ok); free(c->cancel_body);
    free(c);
    ua->ncalls--;
}

static void call_arm(msc_sip_ua *ua, call *c)
{
    tmr_set(ua, &c->t, earliest(earliest(c->ok_retx_at, c->ok_give_up_at), c->linger_at));
}

/* The dialog is over: keep the call a while to answer retransmissions, then forget it.  What
 * still waited to be sent in it is moot. */
static void call_end(msc_sip_ua *ua, call *c)
{
    drop_queue(c);
    c->st = CS_ENDED;
    c->ok_retx_at = c->ok_give_up_at = 0;
    if (!c->linger_at) c->linger_at = now(ua) + 64u * ua->t1;
    call_arm(ua, c);
}

/* Take the dialog's route set and remote target from a message (RFC 3261 §12.1): the
 * Record-Route of the request (UAS) or, reversed, of the 2xx (UAC), and its Contact. */
static void call_take_route(call *c, const msc_sip_msg *m, int reverse)
{
    size_t i, n = m->nrecord_route, len = 0;
    c->routes[0] = 0;
    c->first_route[0] = 0;
    for (i = 0; i < n; i++) {
        const msc_sip_addr *a = &m->record_route[reverse ? n - 1 - i : i];
        int w = snprintf(c->routes + len, sizeof c->routes - len, "%s<%.*s>", i ? ", " : "", S(a->uri.raw));
        if (w < 0 || (size_t)w >= sizeof c->routes - len) { c->routes[0] = 0; c->first_route[0] = 0; return; }
        len += (size_t)w;
        if (!i) copy(c->first_route, sizeof c->first_route, a->uri.raw);
    }
    if (m->ncontact) copy(c->target, sizeof c->target, m->contact[0].uri.raw);
}

/* Build an in-dialog request (RFC 3261 §12.2.1.1) into ua->wire.  cseq 0: the next one. */
static size_t in_dialog(msc_sip_ua *ua, call *c, const char *method, uint32_t cseq, const char *branch,
                        const char *body, size_t blen, msc_net_proto *proto, msc_addr *dest)
{
    bld b;
    msc_str next = msc_cstr(c->first_route[0] ? c->first_route : c->target);
    if (uri_dest(ua, next, proto, dest) != MSC_S_OK) return 0;
    if (!c->first_route[0] && c->proto == MSC_NET_TCP) *proto = MSC_NET_TCP;
    start_request(ua, &b, method, c->target, *proto, branch);
    add(&b, "From", "<%s>;tag=%s", c->luri, c->ltag);
    add(&b, "To", "<%s>;tag=%s", c->ruri, c->rtag);
    add(&b, "Call-ID", "%s", c->call_id);
    add(&b, "CSeq", "%u %s", cseq ? cseq : ++c->lcseq, method);
    if (c->routes[0]) add(&b, "Route", "%s", c->routes);
    add(&b, "User-Agent", UA_NAME);
    return finish(ua, &b, body, blen);
}

/* Send an in-dialog request that is a transaction (BYE, INFO) now.  Sending the BYE ends the
 * dialog. */
static msc_hr dialog_send(msc_sip_ua *ua, call *c, msc_sip_method method, const char *body, size_t blen,
                          const msc_msg *carried)
{
    char branch[MSC_SIP_BRANCH_LEN + 1];
    msc_net_proto proto;
    msc_addr dest;
    msc_hr hr;
    size_t len;
    txn *t;
    msc_sip_new_branch(branch, sizeof branch, rnd, ua);
    len = in_dialog(ua, c, msc_sip_method_name(method), 0, branch, body, blen, &proto, &dest);
    if (!len) return MSC_SR_SESSION_PROTOCOL_ERROR;
    t = client_send(ua, c, method, msc_cstr(branch), proto, &dest, len, carried, &hr);
    if (t) c->busy = t;
    if (method == MSC_SIP_BYE) call_end(ua, c);
    return hr;
}

/* An in-dialog request: sent now, or queued behind the one under way or until the dialog is
 * confirmed. */
static msc_hr dialog_request(msc_sip_ua *ua, call *c, msc_sip_method method, const char *body, size_t blen,
                             const msc_msg *carried)
{
    outreq *o;
    if (method == MSC_SIP_BYE) c->bye = 1;
    if (!c->busy && c->st != CS_AWAIT_ACK) return dialog_send(ua, c, method, body, blen, carried);
    if (!(o = malloc(sizeof(*o) + blen))) return MSC_E_OUTOFMEMORY;
    o->next = NULL;
    o->method = method;
    o->blen = blen;
    if (blen) memcpy(o->body, body, blen);
    o->carried = NULL;
    if (carried && (o->carried = malloc(sizeof(*carried)))) *o->carried = *carried;
    if (c->oq_tail) c->oq_tail->next = o; else c->oq = o;
    c->oq_tail = o;
    return MSC_S_OK;
}

/* Send what waits, as far as the dialog lets: after a request completed (answered, timed out,
 * failed) or once the dialog is confirmed. */
static void dialog_flush(msc_sip_ua *ua, call *c)
{
    outreq *o;
    while (!c->busy && c->st != CS_AWAIT_ACK && (o = c->oq) != NULL) {
        c->oq = o->next;
        if (!c->oq) c->oq_tail = NULL;
        if (dialog_send(ua, c, o->method, o->body, o->blen, o->carried) != MSC_S_OK && o->carried && ua->sink.send_failed)
            ua->sink.send_failed(ua->sink.ctx, o->carried, MSC_SR_CONNECTION_FAILURE);
        free(o->carried);
        free(o);
    }
}

/* The request under way, t, completed. */
static void dialog_next(msc_sip_ua *ua, txn *t)
{
    if (!t->c || t->c->busy != t) return;
    t->c->busy = NULL;
    dialog_flush(ua, t->c);
}

/* The ACK of a 2xx: its own transaction-less request, kept to answer retransmitted 2xx. */
static void send_ack(msc_sip_ua *ua, call *c, const char *body, size_t blen)
{
    char branch[MSC_SIP_BRANCH_LEN + 1];
    size_t len;
    msc_sip_new_branch(branch, sizeof branch, rnd, ua);
    /* the ACK has the INVITE's CSeq number (§13.2.2.4) */
    len = in_dialog(ua, c, "ACK", c->lcseq, branch, body, blen, &c->ack_proto, &c->ack_dest);
    if (!len) return;
    free(c->ack);
    c->ack = dup_bytes(ua->wire, len);
    c->ack_len = len;
    xmit(ua, c->ack_proto, &c->ack_dest, ua->wire, len);
    ua->stats.requests_out++;
    c->st = CS_CONFIRMED;
}

/* ---- responses --------------------------------------------------------------------------------- */
/* Answer req (ua->in or ua->req) to where it came from.  Returns the length in ua->wire. */
static size_t respond(msc_sip_ua *ua, const msc_sip_msg *req, int status, const char *tag, msc_net_proto proto,
                      const msc_addr *to, const char *body, size_t blen)
{
    bld b;
    size_t len;
    b.m = ua->out;
    b.err = msc_sip_make_response(ua->out, req, status, MSC_STR_EMPTY, msc_cstr(tag ? tag : "")) != 0;
    if (req->method == MSC_SIP_INVITE && status > 100 && status < 300) add_contact(ua, &b, proto);
    if (status == 405 || (req->method == MSC_SIP_OPTIONS && status == 200) || (req->method == MSC_SIP_INVITE && status == 200))
        add(&b, "Allow", ALLOW);
    if (status == 415 || req->method == MSC_SIP_OPTIONS) add(&b, "Accept", "text/x-msmsgsinvite");
    add(&b, "Server", UA_NAME);
    len = finish(ua, &b, body, blen);
    if (len) {
        xmit(ua, proto, to, ua->wire, len);
        ua->stats.responses_out++;
    }
    return len;
}

/* A stateless answer that also becomes a server transaction, so a retransmitted request gets
 * the same answer and is not handled twice. */
static void answer(msc_sip_ua *ua, const msc_sip_msg *req, int status, msc_net_proto proto, const msc_addr *from,
                   const char *tag)
{
    size_t len;
    txn *t;
    char ltag[MSC_SIP_TAG_LEN + 1];
    if (!tag && !req->to.tag.n && status > 100) { msc_sip_new_tag(ltag, sizeof ltag, rnd, ua); tag = ltag; }
    len = respond(ua, req, status, tag, proto, from, NULL, 0);
    if (status >= 400) ua->stats.rejected++;
    if (!len || !req->nvia || req->method == MSC_SIP_ACK) return;
    t = txn_new(ua, NULL, 0, req->method, req->via[0].branch, proto, from, ua->wire, len);
    if (t) txn_linger(ua, t, TS_COMPLETED, unreliable(proto, 64u * ua->t1));   /* Timer J */
}

/* ---- handing messages to the core ------------------------------------------------------------ */
static void deliver(msc_sip_ua *ua, msc_msg *msg, const char *peer)
{
    if (!ua->sink.receive) return;
    copy(msg->from, sizeof msg->from, msc_cstr(peer));
    copy(msg->to, sizeof msg->to, msc_cstr(ua->identity));
    ua->sink.receive(ua->sink.ctx, msg);
}

static int is_our_body(const msc_sip_msg *m)
{
    return m->body.n && m->has_content_type && m->content_type.n == 4 && has_prefix_ci(m->content_type, "text")
        && m->content_subtype.n == 14 && has_prefix_ci(m->content_subtype, "x-msmsgsinvite");
}

/* The core message a SIP message carries: its body, or (a peer without one) what the SIP message
 * means (docs/sip-ua.md §3).  1 when there is one. */
static int carried(msc_sip_ua *ua, const msc_sip_msg *m, call *c, msc_verb verb, msc_cancel_code code, msc_msg *out)
{
    if (is_our_body(m)) {
        if (msc_body_decode(m->body.p, m->body.n, out) != MSC_S_OK) return 0;
        return !c || !strcmp(out->session_id, c->sid);
    }
    if (!c || verb == MSC_VERB_NONE) return 0;
    (void)ua;
    msc_msg_init(out, verb, msc_cstr(c->sid));
    out->code = code;
    return 1;
}

/* A failure the core must hear about: the message carried by t could not be delivered. */
static void report_failure(msc_sip_ua *ua, txn *t, msc_hr hr)
{
    msc_msg m;
    if (!t->carried || !ua->sink.send_failed) return;
    m = *t->carried;
    free(t->carried);
    t->carried = NULL;
    ua->sink.send_failed(ua->sink.ctx, &m, hr);
}

/* ---- core -> SIP ------------------------------------------------------------------------------- */
/* Where a new request to ruri goes: the proxy when there is one (MSC_SR_CONNECTION_FAILURE when
 * it cannot be resolved), else ruri's host (MSC_MSGR_E_NOT_LOGGED_ON: nobody to sign in there). */
static msc_hr first_hop(msc_sip_ua *ua, const char *ruri, msc_net_proto *proto, msc_addr *dest)
{
    if (ua->has_proxy) {
        *proto = ua->transport;
        return ua->io.resolve(ua->io.ctx, msc_cstr(ua->proxy_host), ua->proxy_port, dest) == MSC_S_OK
             ? MSC_S_OK : MSC_SR_CONNECTION_FAILURE;
    }
    return uri_dest(ua, msc_cstr(ruri), proto, dest) == MSC_S_OK ? MSC_S_OK : MSC_MSGR_E_NOT_LOGGED_ON;
}

static msc_hr send_invite(msc_sip_ua *ua, const msc_msg *msg, const char *body, size_t blen)
{
    char ruri[URI_MAX], call_id[MSC_SIP_CALL_ID_RANDOM_LEN + 70], branch[MSC_SIP_BRANCH_LEN + 1];
    msc_net_proto proto;
    msc_addr dest;
    msc_hr hr;
    call *c;
    bld b;
    size_t len;
    txn *t;

    if (!uri_of_name(msc_cstr(msg->to), ruri, sizeof ruri)) return MSC_MSGR_E_NOT_LOGGED_ON;
    if ((hr = first_hop(ua, ruri, &proto, &dest)) != MSC_S_OK) return hr;
    msc_sip_new_call_id(call_id, sizeof call_id, msc_cstr(ua->host), rnd, ua);
    if (!(c = call_new(ua, msg->session_id, call_id, 1))) return MSC_E_OUTOFMEMORY;
    copy(c->peer, sizeof c->peer, msc_cstr(msg->to));
    strcpy(c->luri, ua->my_uri);
    strcpy(c->ruri, ruri);
    strcpy(c->target, ruri);
    msc_sip_new_tag(c->ltag, sizeof c->ltag, rnd, ua);
    c->lcseq = 1;
    c->proto = proto;
    msc_sip_new_branch(branch, sizeof branch, rnd, ua);
    start_request(ua, &b, "INVITE", ruri, proto, branch);
    if (ua->display[0]) add(&b, "From", "\"%s\" <%s>;tag=%s", ua->display, ua->my_uri, c->ltag);
    else add(&b, "From", "<%s>;tag=%s", ua->my_uri, c->ltag);
    add(&b, "To", "<%s>", ruri);
    add(&b, "Call-ID", "%s", c->call_id);
    add(&b, "CSeq", "1 INVITE");
    add_contact(ua, &b, proto);
    if (msg->lifetime_s) add(&b, "Expires", "%u", msg->lifetime_s);
    add(&b, "Allow", ALLOW);
    add(&b, "User-Agent", UA_NAME);
    len = finish(ua, &b, body, blen);
    if (!len) { call_free(ua, c); return MSC_SR_INVITATION_SEND_FAILURE; }
    t = client_send(ua, c, MSC_SIP_INVITE, msc_cstr(branch), proto, &dest, len, msg, &hr);
    if (!t) { call_free(ua, c); return hr == MSC_E_OUTOFMEMORY ? hr : MSC_SR_INVITATION_SEND_FAILURE; }
    c->inv = t;
    c->proto = t->proto;
    return MSC_S_OK;
}

/* A CANCEL for the INVITE still pending (RFC 3261 §9.1): its Via, Request-URI, From, To,
 * Call-ID and CSeq number, and the core's message as its body for a msgsc peer. */
static void send_cancel(msc_sip_ua *ua, call *c, const char *body, size_t blen)
{
    msc_sip_error err;
    msc_msg m;
    bld b;
    size_t i, len;
    msc_hr hr;
    if (!c->inv || msc_sip_parse(c->inv->out, c->inv->out_len, MSC_SIP_DATAGRAM, ua->req, &err)) return;
    b.m = ua->out;
    b.err = msc_sip_init_request(ua->out, msc_cstr("CANCEL"), ua->req->ruri.raw) != 0;
    add(&b, "Via", "%.*s", S(ua->req->via[0].raw));
    add(&b, "Max-Forwards", "70");
    add(&b, "From", "%.*s", S(ua->req->from.raw));
    add(&b, "To", "%.*s", S(ua->req->to.raw));
    add(&b, "Call-ID", "%.*s", S(ua->req->call_id));
    add(&b, "CSeq", "%u CANCEL", ua->req->cseq);
    for (i = 0; i < ua->req->nroute; i++) add(&b, "Route", "%.*s", S(ua->req->route[i].raw));
    add(&b, "Reason", "SIP;cause=487;text=\"Cancelled\"");
    /* A proxy builds its own CANCEL: the body is lost, a Reason header is kept (RFC 3326), so
     * the core's cancel travels there too (sip-ua.md §2) */
    if (msc_body_decode(body, blen, &m) == MSC_S_OK && m.verb == MSC_VERB_CANCEL) {
        char data[(MSC_MAX_CONTEXT_BYTES * 4) / 3 + 4];
        if (b64_encode(m.data, m.data_len, data, sizeof data) || !m.data_len)
            add(&b, "Reason", "X-Msmsgs;code=%u;hr=%08X%s%s", (unsigned)m.code, (unsigned)m.hr,
                m.data_len ? ";data=" : "", m.data_len ? data : "");
    }
    add(&b, "User-Agent", UA_NAME);
    len = finish(ua, &b, body, blen);
    if (!len || !client_send(ua, c, MSC_SIP_CANCEL, ua->req->via[0].branch, c->inv->proto, &c->inv->dest, len,
                             NULL, &hr))
        return;
    c->cancel = 2;
    /* no final answer 64*T1 after the CANCEL: the INVITE counts as cancelled (§9.1) */
    c->inv->end_at = now(ua) + 64u * ua->t1;
    free(c->inv->carried);
    c->inv->carried = NULL;
    txn_arm(ua, c->inv);
}

/* Our final answer to the INVITE (a non-2xx), stored to answer its retransmissions, which Timer G
 * repeats until the ACK and H gives up on. */
static void uas_final(msc_sip_ua *ua, call *c, int status, const char *body, size_t blen)
{
    size_t len;
    char *out;
    if (msc_sip_parse(c->ireq, c->ireq_len, MSC_SIP_DATAGRAM, ua->req, &(msc_sip_error){0})) return;
    len = respond(ua, ua->req, status, c->ltag, c->src_proto, &c->src, body, blen);
    if (len && (out = dup_bytes(ua->wire, len))) {
        free(c->inv->out);
        c->inv->out = out;
        c->inv->out_len = len;
    }
    txn_start(ua, c->inv, TS_COMPLETED);
    call_end(ua, c);
}

/* An end the core asked for: CANCEL/BYE verbs, by where the dialog is. */
static void end_call(msc_sip_ua *ua, call *c, const msc_msg *msg, const char *body, size_t blen)
{
    if (c->st == CS_ENDED || c->bye) return;
    if (c->uac) {
        if (!c->final) {                              /* still inviting */
            if (c->cancel || !(c->cancel_body = dup_bytes(body, blen))) return;
            c->cancel_len = blen;                     /* the ACK's, if a 2xx crosses the CANCEL */
            c->cancel = 1;
            if (c->provisional) send_cancel(ua, c, body, blen);
            return;
        }
        if (c->final >= 300) return;
        if (c->st == CS_AWAIT_ACK) {                  /* the 2xx not ACKed yet: the ACK carries it */
            send_ack(ua, c, body, blen);
            body = NULL;
            blen = 0;
        }
        dialog_request(ua, c, MSC_SIP_BYE, body, blen, NULL);
        return;
    }
    if (c->st == CS_EARLY && c->inv && c->inv->st == TS_PROCEEDING) {   /* a final non-2xx */
        static const int status[] = { 480, 603, 488, 408, 480, 500 };
        uas_final(ua, c, msg->code <= MSC_CANCEL_FAIL ? status[msg->code] : 480, body, blen);
    } else if (c->st == CS_AWAIT_ACK || c->st == CS_CONFIRMED) {
        dialog_request(ua, c, MSC_SIP_BYE, body, blen, NULL);   /* after the ACK (§15) */
    }
}

static void uas_accept(msc_sip_ua *ua, call *c, const char *body, size_t blen)
{
    size_t len;
    if (c->st != CS_EARLY || !c->inv || c->inv->st != TS_PROCEEDING) return;
    if (msc_sip_parse(c->ireq, c->ireq_len, MSC_SIP_DATAGRAM, ua->req, &(msc_sip_error){0})) return;
    len = respond(ua, ua->req, 200, c->ltag, c->src_proto, &c->src, body, blen);
    if (!len || !(c->ok = dup_bytes(ua->wire, len))) return;
    c->ok_len = len;
    c->st = CS_AWAIT_ACK;
    /* the INVITE transaction ends with its 2xx; the dialog retransmits it (§13.3.1.4) */
    txn_free(ua, c->inv);
    c->ok_retx_ms = unreliable(c->src_proto, ua->t1);
    c->ok_retx_at = c->ok_retx_ms ? now(ua) + c->ok_retx_ms : 0;
    c->ok_give_up_at = now(ua) + 64u * ua->t1;
    call_arm(ua, c);
}

/* A core message with no dialog to carry it: an out-of-dialog MESSAGE to the peer. */
static msc_hr send_message(msc_sip_ua *ua, const msc_msg *msg, const char *body, size_t blen)
{
    char ruri[URI_MAX], call_id[MSC_SIP_CALL_ID_RANDOM_LEN + 70], branch[MSC_SIP_BRANCH_LEN + 1];
    char tag[MSC_SIP_TAG_LEN + 1];
    msc_net_proto proto;
    msc_addr dest;
    msc_hr hr;
    bld b;
    size_t len;
    if (!uri_of_name(msc_cstr(msg->to), ruri, sizeof ruri)) return MSC_E_INVALIDARG;
    if ((hr = first_hop(ua, ruri, &proto, &dest)) != MSC_S_OK) return hr;
    msc_sip_new_call_id(call_id, sizeof call_id, msc_cstr(ua->host), rnd, ua);
    msc_sip_new_branch(branch, sizeof branch, rnd, ua);
    msc_sip_new_tag(tag, sizeof tag, rnd, ua);
    start_request(ua, &b, "MESSAGE", ruri, proto, branch);
    add(&b, "From", "<%s>;tag=%s", ua->my_uri, tag);
    add(&b, "To", "<%s>", ruri);
    add(&b, "Call-ID", "%s", call_id);
    add(&b, "CSeq", "1 MESSAGE");
    add(&b, "User-Agent", UA_NAME);
    len = finish(ua, &b, body, blen);
    if (!len) return MSC_E_INVALIDARG;
    client_send(ua, NULL, MSC_SIP_MESSAGE, msc_cstr(branch), proto, &dest, len, msg, &hr);
    return hr;
}

static msc_hr tp_send(void *ctx, const msc_msg *msg)
{
    msc_sip_ua *ua = ctx;
    char body[MSC_BODY_MAX];
    size_t blen = msc_body_encode(msg, body, sizeof body);
    call *c;
    if (!blen) return MSC_E_INVALIDARG;
    c = call_by_sid(ua, msg->session_id);
    if (msg->verb == MSC_VERB_INVITE) return c ? MSC_E_FAIL : send_invite(ua, msg, body, blen);
    if (!c) return send_message(ua, msg, body, blen);
    switch (msg->verb) {
    case MSC_VERB_ACCEPT:
        if (!c->uac) uas_accept(ua, c, body, blen);
        return MSC_S_OK;
    case MSC_VERB_ACK:
        if (c->uac && c->st == CS_AWAIT_ACK) { send_ack(ua, c, body, blen); dialog_flush(ua, c); }
        return MSC_S_OK;
    case MSC_VERB_CANCEL:
    case MSC_VERB_BYE:
        end_call(ua, c, msg, body, blen);
        return MSC_S_OK;
    case MSC_VERB_CONTEXT:
        if (c->st == CS_CONFIRMED || c->st == CS_AWAIT_ACK)
            return dialog_request(ua, c, MSC_SIP_INFO, body, blen, msg);
        return send_message(ua, msg, body, blen);
    default:
        return MSC_E_INVALIDARG;
    }
}

static msc_str tp_identity(void *ctx) { return msc_cstr(((msc_sip_ua *)ctx)->identity); }
static msc_str tp_address(void *ctx) { return msc_cstr(((msc_sip_ua *)ctx)->host); }

/* ---- SIP -> core: requests ---------------------------------------------------------------------- */
/* Whether a Request-URI's user part (escaped as it arrived) names us. */
static int same_user_part(msc_sip_ua *ua, msc_str user)
{
    char plain[NAME_MAX_B];
    size_t n, mine = strcspn(ua->identity, "@");
    return msc_sip_unescape(user, plain, sizeof plain, &n) && n == mine && !memcmp(plain, ua->identity, n);
}

static void on_invite(msc_sip_ua *ua, msc_net_proto proto, const msc_addr *from)
{
    msc_sip_msg *m = ua->in;
    char peer[NAME_MAX_B], sid[MSC_GUID_CHARS + 1], call_id[MSC_SIP_MAX_CALL_ID + 1];
    msc_msg msg;
    call *c;
    txn *t;
    size_t len;

    if (m->to.tag.n) {                                   /* re-INVITE: not for msgsc */
        answer(ua, m, call_by_dialog(ua, m) ? 488 : 481, proto, from, NULL);
        return;
    }
    if (!same_user_part(ua, m->ruri.user)) {
        answer(ua, m, 404, proto, from, NULL);          /* someone else's address */
        return;
    }
    if (!is_our_body(m)) { answer(ua, m, 415, proto, from, NULL); return; }
    if (msc_body_decode(m->body.p, m->body.n, &msg) != MSC_S_OK || msg.verb != MSC_VERB_INVITE
        || !name_of_uri(&m->from.uri, peer, sizeof peer) || !copy(call_id, sizeof call_id, m->call_id)) {
        answer(ua, m, 400, proto, from, NULL);
        return;
    }
    memcpy(sid, msg.session_id, sizeof sid);
    if ((c = call_by_sid(ua, sid)) != NULL) {
        if (!c->uac && !strcmp(c->call_id, call_id)) {        /* the INVITE again, after our 2xx */
            if (c->ok && c->st == CS_AWAIT_ACK) xmit(ua, c->src_proto, &c->src, c->ok, c->ok_len);
            return;
        }
        answer(ua, m, 482, proto, from, NULL);                /* a loop, or a copied session */
        return;
    }
    if (!msg.lifetime_s && m->expires > 0) msg.lifetime_s = m->expires > 86400 ? 86400 : (uint32_t)m->expires;
    if (!(c = call_new(ua, sid, call_id, 0))) { answer(ua, m, 503, proto, from, NULL); return; }
    copy(c->peer, sizeof c->peer, msc_cstr(peer));
    copy(c->rtag, sizeof c->rtag, m->from.tag);
    copy(c->ruri, sizeof c->ruri, m->from.uri.raw);
    copy(c->luri, sizeof c->luri, m->to.uri.raw);
    strcpy(c->target, c->ruri);
    call_take_route(c, m, 0);
    msc_sip_new_tag(c->ltag, sizeof c->ltag, rnd, ua);
    c->src = *from;
    c->src_proto = c->proto = proto;
    c->lcseq = 0;
    c->rcseq = m->cseq;
    c->ireq = dup_bytes(ua->in_buf, ua->in_len);      /* to answer it later */
    c->ireq_len = ua->in_len;
    len = respond(ua, m, 100, NULL, proto, from, NULL, 0);
    t = c->ireq && len ? txn_new(ua, c, 0, MSC_SIP_INVITE, m->via[0].branch, proto, from, ua->wire, len) : NULL;
    if (!t) { respond(ua, m, 500, c->ltag, proto, from, NULL, 0); call_free(ua, c); return; }
    t->st = TS_PROCEEDING;
    c->inv = t;
    deliver(ua, &msg, peer);
    /* the core may have answered already (not installed, an app that accepts at once) */
    if ((c = call_by_sid(ua, sid)) && c->inv && c->inv->st == TS_PROCEEDING && c->st == CS_EARLY) {
        len = respond(ua, ua->in, 180, c->ltag, proto, from, NULL, 0);
        if (len && (c->inv->out = realloc(c->inv->out, len + 1))) {
            memcpy(c->inv->out, ua->wire, len);
            c->inv->out_len = len;
        }
    }
}

static void on_ack(msc_sip_ua *ua)
{
    msc_sip_msg *m = ua->in;
    txn *t = m->nvia ? txn_find(ua, m->via[0].branch, MSC_SIP_INVITE, 0) : NULL;
    msc_msg msg;
    call *c;
    if (t) {                                              /* the ACK of our non-2xx final */
        if (t->st == TS_COMPLETED) txn_linger(ua, t, TS_CONFIRMED, unreliable(t->proto, ua->t4));   /* Timer I */
        return;
    }
    if (!(c = call_by_dialog(ua, m)) || c->uac || c->st != CS_AWAIT_ACK) return;
    c->st = CS_CONFIRMED;
    c->ok_retx_at = c->ok_give_up_at = 0;
    call_arm(ua, c);
    if (carried(ua, m, c, MSC_VERB_ACK, MSC_CANCEL_NONE, &msg))
        deliver(ua, &msg, c->peer);
    if ((c = call_by_dialog(ua, m))) dialog_flush(ua, c);
}

/* The core's cancel from a CANCEL's "Reason: X-Msmsgs;code=..;hr=..;data=.." (send_cancel). */
static int cancel_from_reason(const msc_sip_msg *m, const call *c, msc_msg *out)
{
    size_t i, n;
    for (i = 0; i < m->nreason; i++) {
        const msc_sip_reason *r = &m->reasons[i];
        msc_str v;
        char num[16];
        if (r->protocol.n != 8 || !has_prefix_ci(r->protocol, "x-msmsgs")) continue;
        msc_msg_init(out, MSC_VERB_CANCEL, msc_cstr(c->sid));
        if (!msc_sip_param_find(r->params, "code", &v) || !copy(num, sizeof num, v)) return 0;
        out->code = (msc_cancel_code)strtoul(num, NULL, 10);
        if (out->code < MSC_CANCEL_REJECT || out->code > MSC_CANCEL_FAIL) return 0;
        if (msc_sip_param_find(r->params, "hr", &v) && copy(num, sizeof num, v))
            out->hr = (msc_hr)strtoul(num, NULL, 16);
        if (msc_sip_param_find(r->params, "data", &v)) {
            if (!b64_decode(v, out->data, MSC_MAX_APP_DATA_BYTES, &n) || !msc_utf8_valid(msc_str_make(out->data, n)))
                return 0;
            out->data_len = n;
        }
        return 1;
    }
    return 0;
}

static void on_cancel(msc_sip_ua *ua, msc_net_proto proto, const msc_addr *from)
{
    msc_sip_msg *m = ua->in;
    txn *t = txn_find(ua, m->via[0].branch, MSC_SIP_INVITE, 0);
    msc_msg msg;
    call *c;
    if (!t || !(c = t->c)) { answer(ua, m, 481, proto, from, NULL); return; }
    answer(ua, m, 200, proto, from, c->ltag);
    if (t->st != TS_PROCEEDING || c->st != CS_EARLY) return;     /* already answered */
    /* 487 to the INVITE, then the core hears of it */
    if (!(is_our_body(m) && carried(ua, m, c, MSC_VERB_NONE, MSC_CANCEL_NONE, &msg) && msg.verb == MSC_VERB_CANCEL)
        && !cancel_from_reason(m, c, &msg)) {
        msc_msg_init(&msg, MSC_VERB_CANCEL, msc_cstr(c->sid));
        msg.code = MSC_CANCEL_OUTBANDCANCEL;
    }
    uas_final(ua, c, 487, NULL, 0);
    deliver(ua, &msg, c->peer);
}

static void on_in_dialog(msc_sip_ua *ua, msc_net_proto proto, const msc_addr *from)
{
    msc_sip_msg *m = ua->in;
    call *c = call_by_dialog(ua, m);
    char peer[NAME_MAX_B];
    msc_msg msg;
    int ours;

    if (!c || !m->to.tag.n) {
        if (m->method == MSC_SIP_MESSAGE && !m->to.tag.n) {     /* out of dialog: a core message */
            if (!is_our_body(m) || msc_body_decode(m->body.p, m->body.n, &msg) != MSC_S_OK
                || !name_of_uri(&m->from.uri, peer, sizeof peer)) {
                answer(ua, m, is_our_body(m) ? 400 : 415, proto, from, NULL);
                return;
            }
            answer(ua, m, 200, proto, from, NULL);
            deliver(ua, &msg, peer);
            return;
        }
        answer(ua, m, 481, proto, from, NULL);
        return;
    }
    if (c->rcseq && m->cseq < c->rcseq) { answer(ua, m, 500, proto, from, NULL); return; }  /* §12.2.2 */
    c->rcseq = m->cseq;
    ours = is_our_body(m);
    if (m->method == MSC_SIP_BYE) {
        answer(ua, m, 200, proto, from, NULL);
        if (c->st == CS_ENDED) return;
        if (!carried(ua, m, c, MSC_VERB_BYE, MSC_CANCEL_NONE, &msg)) msc_msg_init(&msg, MSC_VERB_BYE, msc_cstr(c->sid));
        call_end(ua, c);
        deliver(ua, &msg, c->peer);
        return;
    }
    /* INFO or MESSAGE in the dialog: context data */
    if (!ours) { answer(ua, m, 415, proto, from, NULL); return; }
    if (!c->uac && c->st == CS_AWAIT_ACK) {
        /* The inviter ACKs before anything else in the dialog, but a proxy may let this request
         * overtake the ACK: it proves the 2xx arrived, so the session is connected first. */
        msc_msg ack;
        c->st = CS_CONFIRMED;
        c->ok_retx_at = c->ok_give_up_at = 0;
        call_arm(ua, c);
        msc_msg_init(&ack, MSC_VERB_ACK, msc_cstr(c->sid));
        deliver(ua, &ack, c->peer);
        if (!(c = call_by_dialog(ua, m))) return;
        dialog_flush(ua, c);
    }
    if (!carried(ua, m, c, MSC_VERB_NONE, MSC_CANCEL_NONE, &msg)) { answer(ua, m, 400, proto, from, NULL); return; }
    answer(ua, m, 200, proto, from, NULL);
    deliver(ua, &msg, c->peer);
}

static void on_request(msc_sip_ua *ua, msc_net_proto proto, const msc_addr *from)
{
    msc_sip_msg *m = ua->in;
    txn *t;
    if (m->method == MSC_SIP_ACK) { on_ack(ua); return; }
    /* a retransmission: the same answer again */
    if ((t = txn_find(ua, m->via[0].branch, m->method, 0)) != NULL) {
        if (t->out_len) { xmit(ua, t->proto, &t->dest, t->out, t->out_len); ua->stats.retransmissions++; }
        return;
    }
    if (m->require.n) { answer(ua, m, 420, proto, from, NULL); return; }
    switch (m->method) {
    case MSC_SIP_INVITE:  on_invite(ua, proto, from); break;
    case MSC_SIP_CANCEL:  on_cancel(ua, proto, from); break;
    case MSC_SIP_BYE:
    case MSC_SIP_INFO:
    case MSC_SIP_MESSAGE: on_in_dialog(ua, proto, from); break;
    case MSC_SIP_OPTIONS: answer(ua, m, 200, proto, from, NULL); break;
    default:              answer(ua, m, 405, proto, from, NULL); break;
    }
}

/* ---- SIP -> core: responses --------------------------------------------------------------------- */
static msc_hr failure_of(int status)
{
    switch (status) {
    case 404: case 410: case 480: case 484: case 604: return MSC_MSGR_E_NOT_LOGGED_ON;
    case 408: case 503: case 504: return MSC_SR_CONNECTION_FAILURE;
    default: return MSC_SR_INVITATION_SEND_FAILURE;
    }
}

/* ACK a non-2xx final answer to our INVITE (RFC 3261 §17.1.1.3), from the stored INVITE. */
static void ack_failure(msc_sip_ua *ua, txn *t)
{
    msc_sip_error err;
    bld b;
    size_t i, len;
    if (msc_sip_parse(t->out, t->out_len, MSC_SIP_DATAGRAM, ua->req, &err)) return;
    b.m = ua->out;
    b.err = msc_sip_init_request(ua->out, msc_cstr("ACK"), ua->req->ruri.raw) != 0;
    add(&b, "Via", "%.*s", S(ua->req->via[0].raw));
    add(&b, "Max-Forwards", "70");
    add(&b, "From", "%.*s", S(ua->req->from.raw));
    add(&b, "To", "%.*s", S(ua->in->to.raw));
    add(&b, "Call-ID", "%.*s", S(ua->req->call_id));
    add(&b, "CSeq", "%u ACK", ua->req->cseq);
    for (i = 0; i < ua->req->nroute; i++) add(&b, "Route", "%.*s", S(ua->req->route[i].raw));
    len = finish(ua, &b, NULL, 0);
    if (len) xmit(ua, t->proto, &t->dest, ua->wire, len);
}

static int auth_retry(msc_sip_ua *ua, txn *t);

static void on_invite_response(msc_sip_ua *ua, txn *t)
{
    msc_sip_msg *m = ua->in;
    call *c = t->c;
    msc_msg msg;
    int st = m->status;

    if (st < 200) {
        if (t->st != TS_TRYING && t->st != TS_PROCEEDING) return;
        t->st = TS_PROCEEDING;
        t->retx_at = 0;
        t->end_at = 0;             /* no Timer B once someone answers: the lifetime bounds it */
        txn_arm(ua, t);
        if (c && st > 100) {
            c->provisional = 1;
            if (!c->rtag[0] && m->to.tag.n) copy(c->rtag, sizeof c->rtag, m->to.tag);
            if (c->cancel == 1) send_cancel(ua, c, c->cancel_body, c->cancel_len);
        }
        return;
    }
    if (st < 300) {                                     /* the dialog is established */
        txn_free(ua, t);
        if (!c || c->final) return;
        c->final = st;
        copy(c->rtag, sizeof c->rtag, m->to.tag);
        call_take_route(c, m, 1);
        if (!c->target[0]) strcpy(c->target, c->ruri);
        c->st = CS_AWAIT_ACK;
        if (c->cancel) {                                /* the core gave up meanwhile */
            send_ack(ua, c, c->cancel_body, c->cancel_len);
            dialog_request(ua, c, MSC_SIP_BYE, NULL, 0, NULL);
            return;
        }
        if (!carried(ua, m, c, MSC_VERB_ACCEPT, MSC_CANCEL_NONE, &msg)) {
            msc_msg_init(&msg, MSC_VERB_ACCEPT, msc_cstr(c->sid));
        }
        deliver(ua, &msg, c->peer);
        return;
    }
    /* a final failure: ACK it, keep the transaction to ACK retransmissions (Timer D) */
    if (t->st == TS_COMPLETED) { ack_failure(ua, t); return; }
    ack_failure(ua, t);
    if ((st == 401 || st == 407) && auth_retry(ua, t)) return;
    txn_linger(ua, t, TS_COMPLETED, unreliable(t->proto, 32000));
    free(t->carried);
    t->carried = NULL;
    if (!c || c->final) return;
    c->final = st;
    call_end(ua, c);
    if (c->cancel == 2 && st == 487) return;           /* our own CANCEL, confirmed */
    if (carried(ua, m, NULL, MSC_VERB_NONE, MSC_CANCEL_NONE, &msg) && !strcmp(msg.session_id, c->sid)) {
        deliver(ua, &msg, c->peer);
        return;
    }
    /* no body: what the status means */
    if (st == 486 || st == 600 || st == 603) {
        msc_msg_init(&msg, MSC_VERB_CANCEL, msc_cstr(c->sid));
        msg.code = MSC_CANCEL_REJECT;
        deliver(ua, &msg, c->peer);
    } else if (st == 487) {
        msc_msg_init(&msg, MSC_VERB_CANCEL, msc_cstr(c->sid));
        msg.code = MSC_CANCEL_OUTBANDCANCEL;
        deliver(ua, &msg, c->peer);
    } else if (ua->sink.send_failed) {
        msc_msg_init(&msg, MSC_VERB_INVITE, msc_cstr(c->sid));
        copy(msg.to, sizeof msg.to, msc_cstr(c->peer));
        ua->sink.send_failed(ua->sink.ctx, &msg, failure_of(st));
    }
}

static void reg_done(msc_sip_ua *ua, msc_hr hr, uint32_t retry_s);

static void on_response(msc_sip_ua *ua)
{
    msc_sip_msg *m = ua->in;
    txn *t = m->nvia ? txn_find(ua, m->via[0].branch, m->cseq_method, 1) : NULL;
    call *c;

    if (!t) {
        /* a retransmitted 2xx after its transaction ended: ACK it again */
        if (m->cseq_method == MSC_SIP_INVITE && m->status >= 200 && m->status < 300 && (c = call_by_dialog(ua, m))
            && c->uac && c->ack) {
            xmit(ua, c->ack_proto, &c->ack_dest, c->ack, c->ack_len);
            ua->stats.retransmissions++;
        }
        return;
    }
    if (t->method == MSC_SIP_INVITE) { on_invite_response(ua, t); return; }
    if (m->status < 200) {                              /* non-INVITE provisional: Timer E at T2 */
        if (t->st == TS_TRYING) { t->st = TS_PROCEEDING; if (t->retx_ms) t->retx_ms = ua->t2; }
        return;
    }
    if (t->st == TS_COMPLETED) return;
    if ((m->status == 401 || m->status == 407) && auth_retry(ua, t)) return;
    if (t->method == MSC_SIP_REGISTER) {
        int64_t exp = m->ncontact && m->contact[0].expires >= 0 ? m->contact[0].expires : m->expires;
        if (m->status < 300) reg_done(ua, MSC_S_OK, exp > 0 ? (uint32_t)exp : ua->reg_expires);
        else reg_done(ua, m->status == 401 || m->status == 403 || m->status == 407 ? MSC_MSGR_E_NOT_LOGGED_ON
                                                                             : MSC_SR_CONNECTION_FAILURE, 30);
    } else if (m->status >= 300) {
        report_failure(ua, t, m->status == 481 ? MSC_SR_SESSION_PROTOCOL_ERROR : failure_of(m->status));
    }
    free(t->carried);
    t->carried = NULL;
    txn_linger(ua, t, TS_COMPLETED, unreliable(t->proto, ua->t4));       /* Timer K */
    dialog_next(ua, t);
}

/* ---- digest authentication ---------------------------------------------------------------------- */
/* Answer a 401/407 (ua->in) to t's request: the same request again with credentials, a new
 * branch and the next CSeq.  1 when sent. */
static int auth_retry(msc_sip_ua *ua, txn *t)
{
    msc_sip_digest_challenge ch;
    msc_sip_digest_input in;
    char cnonce[MSC_SIP_TAG_LEN + 1], branch[MSC_SIP_BRANCH_LEN + 1], cred[1024];
    msc_sip_error err;
    bld b;
    size_t i, len;
    msc_hr hr;
    txn *nt;
    msc_sip_msg *r = ua->req;

    if (!ua->auth_pass[0] || t->auth_tries >= 2 || msc_sip_digest_pick(ua->in, &ch) != MSC_SIP_DIGEST_OK) return 0;
    if (msc_sip_parse(t->out, t->out_len, MSC_SIP_DATAGRAM, r, &err)) return 0;
    msc_sip_new_tag(cnonce, sizeof cnonce, rnd, ua);
    memset(&in, 0, sizeof in);
    in.username = msc_cstr(ua->auth_user);
    in.password = msc_cstr(ua->auth_pass);
    in.method = r->method_name;
    in.uri = r->ruri.raw;
    in.cnonce = msc_cstr(cnonce);
    in.nc = 1;
    if (!msc_sip_digest_authorization(&ch, &in, cred, sizeof cred)) return 0;
    msc_sip_new_branch(branch, sizeof branch, rnd, ua);
    b.m = ua->out;
    b.err = msc_sip_init_request(ua->out, r->method_name, r->ruri.raw) != 0;
    add(&b, "Via", "SIP/2.0/%s %s:%u;branch=%s;rport", t->proto == MSC_NET_TCP ? "TCP" : "UDP", ua->host, ua->port, branch);
    for (i = 0; i < r->nheaders; i++) {
        const msc_sip_header *h = &r->headers[i];
        if (h->id == MSC_SIP_H_VIA || h->id == MSC_SIP_H_AUTHORIZATION || h->id == MSC_SIP_H_PROXY_AUTHORIZATION
            || h->id == MSC_SIP_H_CONTENT_TYPE)
            continue;
        if (h->id == MSC_SIP_H_CSEQ) { add(&b, "CSeq", "%u %.*s", r->cseq + 1, S(r->method_name)); continue; }
        if (b.err || msc_sip_add(b.m, h->name, h->value)) b.err = 1;
    }
    add(&b, ch.proxy ? "Proxy-Authorization" : "Authorization", "%s", cred);
    len = finish(ua, &b, r->body.p, r->body.n);       /* our bodies are all CTYPE */
    if (!len) return 0;
    if (t->method == MSC_SIP_REGISTER) ua->reg_cseq = r->cseq + 1;
    if (!(nt = client_send(ua, t->c, t->method, msc_cstr(branch), t->proto, &t->dest, len, t->carried, &hr)))
        return 0;
    nt->auth_tries = t->auth_tries + 1;
    free(t->carried);
    t->carried = NULL;
    if (t->c && t->c->inv == t) { t->c->inv = nt; t->c->lcseq = r->cseq + 1; }
    if (t->c && t->c->busy == t) { t->c->busy = nt; t->c->lcseq = r->cseq + 1; }   /* the queue waits on it */
    txn_linger(ua, t, TS_COMPLETED, unreliable(t->proto, 32000));
    return 1;
}

/* ---- registration ------------------------------------------------------------------------------- */
static void reg_send(msc_sip_ua *ua, uint32_t expires)
{
    char ruri[300], branch[MSC_SIP_BRANCH_LEN + 1];
    msc_net_proto proto;
    msc_addr dest;
    msc_hr hr;
    bld b;
    size_t len;
    snprintf(ruri, sizeof ruri, "sip:%s", ua->domain);
    if (first_hop(ua, ruri, &proto, &dest) != MSC_S_OK) {    /* the proxy: we register only with one */
        reg_done(ua, MSC_SR_CONNECTION_FAILURE, 30);
        return;
    }
    msc_sip_new_branch(branch, sizeof branch, rnd, ua);
    start_request(ua, &b, "REGISTER", ruri, proto, branch);
    add(&b, "From", "<%s>;tag=%s", ua->my_uri, ua->reg_tag);
    add(&b, "To", "<%s>", ua->my_uri);
    add(&b, "Call-ID", "%s", ua->reg_call_id);
    add(&b, "CSeq", "%u REGISTER", ++ua->reg_cseq);
    add_contact(ua, &b, proto);
    add(&b, "Expires", "%u", expires);
    add(&b, "User-Agent", UA_NAME);
    len = finish(ua, &b, NULL, 0);
    if (!len) return;
    if (client_send(ua, NULL, MSC_SIP_REGISTER, msc_cstr(branch), proto, &dest, len, NULL, &hr)) {
        if (expires) ua->reg_state = ua->reg_state == 2 ? 2 : 1;
    } else if (expires) {
        reg_done(ua, MSC_SR_CONNECTION_FAILURE, 30);
    }
}

static void reg_done(msc_sip_ua *ua, msc_hr hr, uint32_t retry_s)
{
    int was = ua->reg_state;
    msc_hr old = ua->reg_hr;
    if (was == 3) {                     /* signed out, or could not be: either way it is over */
        ua->reg_state = 0;
        return;
    }
    ua->reg_state = hr == MSC_S_OK ? 2 : 0;
    ua->reg_hr = hr;
    /* refresh at half the granted time; retry a failure later */
    if (hr == MSC_S_OK) retry_s = retry_s > 2 ? retry_s / 2 : 1;
    tmr_set(ua, &ua->reg_t, now(ua) + (uint64_t)retry_s * 1000u);
    if (ua->io.registration && (was != ua->reg_state || old != hr)) ua->io.registration(ua->io.ctx, hr);
}

msc_hr msc_sip_ua_register(msc_sip_ua *ua)
{
    if (!ua) return MSC_E_POINTER;
    if (!ua->has_proxy) return MSC_S_FALSE;
    reg_send(ua, ua->reg_expires);
    return ua->reg_state ? MSC_S_OK : ua->reg_hr;
}

int msc_sip_ua_registered(const msc_sip_ua *ua) { return ua && ua->reg_state == 2; }

msc_hr msc_sip_ua_unregister(msc_sip_ua *ua)
{
    if (!ua) return MSC_E_POINTER;
    if (!ua->has_proxy || (ua->reg_state != 1 && ua->reg_state != 2)) return MSC_S_FALSE;
    tmr_set(ua, &ua->reg_t, 0);         /* no refresh */
    reg_send(ua, 0);
    ua->reg_state = 3;
    return MSC_S_OK;
}

int msc_sip_ua_signing_out(const msc_sip_ua *ua) { return ua && ua->reg_state == 3; }

/* ---- timers ------------------------------------------------------------------------------------- */
static void txn_timer(msc_sip_ua *ua, txn *t, uint64_t at)
{
    if (t->end_at && t->end_at <= at) {
        if (t->st == TS_TRYING || t->st == TS_PROCEEDING) {          /* Timer B / F: no answer */
            if (t->client && t->method == MSC_SIP_REGISTER) reg_done(ua, MSC_SR_CONNECTION_FAILURE, 30);
            else if (t->client) {
                call *c = t->c;
                if (c && c->inv == t && !c->final) { c->final = 408; call_end(ua, c); }
                report_failure(ua, t, MSC_SR_INVITATION_SEND_FAILURE);
                dialog_next(ua, t);
            }
        }       /* else D, H (our final answer never ACKed: the session is over anyway), I, J, K */
        txn_free(ua, t);
        return;
    }
    if (t->retx_at && t->retx_at <= at) {                             /* A, E, G */
        xmit(ua, t->proto, &t->dest, t->out, t->out_len);
        ua->stats.retransmissions++;
        t->retx_ms = t->method == MSC_SIP_INVITE && t->client ? t->retx_ms * 2
                   : (t->retx_ms * 2 < ua->t2 ? t->retx_ms * 2 : ua->t2);
        if (t->client && t->st == TS_PROCEEDING) t->retx_ms = ua->t2;
        t->retx_at = at + t->retx_ms;
    }
    txn_arm(ua, t);
}

static void call_timer(msc_sip_ua *ua, call *c, uint64_t at)
{
    if (c->ok_give_up_at && c->ok_give_up_at <= at) {   /* our 2xx was never ACKed (§13.3.1.4) */
        msc_msg m;
        msc_msg_init(&m, MSC_VERB_ACCEPT, msc_cstr(c->sid));
        copy(m.to, sizeof m.to, msc_cstr(c->peer));
        c->st = CS_CONFIRMED;
        c->ok_retx_at = c->ok_give_up_at = 0;
        dialog_flush(ua, c);                           /* the core's goodbye, if it waits */
        if (!c->bye) dialog_request(ua, c, MSC_SIP_BYE, NULL, 0, NULL);
        if (ua->sink.send_failed) ua->sink.send_failed(ua->sink.ctx, &m, MSC_SR_CONNECTION_FAILURE);
        return;
    }
    if (c->ok_retx_at && c->ok_retx_at <= at) {
        xmit(ua, c->src_proto, &c->src, c->ok, c->ok_len);
        ua->stats.retransmissions++;
        c->ok_retx_ms = c->ok_retx_ms * 2 < ua->t2 ? c->ok_retx_ms * 2 : ua->t2;
        c->ok_retx_at = at + c->ok_retx_ms;
    }
    if (c->linger_at && c->linger_at <= at) {
        if (!c->oq && !c->ntxns) { call_free(ua, c); return; }
        c->linger_at = at + ua->t1;
    }
    call_arm(ua, c);
}

void msc_sip_ua_tick(msc_sip_ua *ua)
{
    uint64_t at;
    if (!ua) return;
    at = now(ua);
    while (ua->heap_len && ua->heap[0]->at <= at) {
        tmr *t = ua->heap[0];
        if (t->kind == TMR_REG) {
            tmr_set(ua, t, 0);
            reg_send(ua, ua->reg_expires);
        } else if (t->kind == TMR_TXN) {
            txn_timer(ua, (txn *)((char *)t - offsetof(txn, t)), at);
        } else {
            call_timer(ua, (call *)((char *)t - offsetof(call, t)), at);
        }
    }
}

int msc_sip_ua_next_deadline(const msc_sip_ua *ua, uint64_t *at)
{
    if (!ua || !ua->heap_len) return 0;
    if (at) *at = ua->heap[0]->at;
    return 1;
}

/* ---- input -------------------------------------------------------------------------------------- */
void msc_sip_ua_input(msc_sip_ua *ua, msc_net_proto proto, const msc_addr *from, const char *buf, size_t len)
{
    msc_sip_error err;
    if (!ua || !from || !buf) return;
    ua->stats.received++;
    trace(ua, "<-", buf, len);
    if (msc_sip_parse(buf, len, proto == MSC_NET_TCP ? MSC_SIP_STREAM : MSC_SIP_DATAGRAM, ua->in, &err)) {
        if (!err.drop) {
            char tag[MSC_SIP_TAG_LEN + 1];
            msc_sip_new_tag(tag, sizeof tag, rnd, ua);
            respond(ua, ua->in, err.status, tag, proto, from, NULL, 0);
            ua->stats.rejected++;
        }
        return;
    }
    ua->in_buf = buf;
    ua->in_len = len;
    if (ua->in->is_request) on_request(ua, proto, from);
    else on_response(ua);
}

void msc_sip_ua_send_failed(msc_sip_ua *ua, msc_net_proto proto, const msc_addr *dest, const char *buf,
                            size_t len, msc_hr hr)
{
    msc_sip_error err;
    txn *t;
    (void)proto; (void)dest; (void)hr;
    if (!ua || !buf || msc_sip_parse(buf, len, MSC_SIP_DATAGRAM, ua->in, &err) || !ua->in->is_request || !ua->in->nvia)
        return;
    t = txn_find(ua, ua->in->via[0].branch, ua->in->method, 1);
    if (!t || (t->st != TS_TRYING && t->st != TS_PROCEEDING)) return;
    /* nobody listens there: for an invitation that means the invitee is not signed in */
    if (t->method == MSC_SIP_REGISTER) { txn_free(ua, t); reg_done(ua, MSC_SR_CONNECTION_FAILURE, 30); return; }
    if (t->c && t->c->inv == t && !t->c->final) { t->c->final = 503; call_end(ua, t->c); }
    report_failure(ua, t, t->method == MSC_SIP_INVITE ? MSC_MSGR_E_NOT_LOGGED_ON : MSC_SR_CONNECTION_FAILURE);
    dialog_next(ua, t);
    txn_free(ua, t);
}

/* ---- life --------------------------------------------------------------------------------------- */
msc_hr msc_sip_ua_create(const msc_sip_ua_config *cfg, const msc_sip_ua_io *io, msc_sip_ua **out)
{
    msc_sip_ua *ua;
    msc_sip_uri u;
    msc_str id;
    if (!out) return MSC_E_POINTER;
    *out = NULL;
    if (!cfg || !io || !io->now_ms || !io->random || !io->send || !io->resolve) return MSC_E_INVALIDARG;
    if (!(ua = calloc(1, sizeof *ua))) return MSC_E_OUTOFMEMORY;
    ua->in = malloc(sizeof *ua->in);
    ua->req = malloc(sizeof *ua->req);
    ua->out = malloc(sizeof *ua->out);
    if (!ua->in || !ua->req || !ua->out) { msc_sip_ua_destroy(ua); return MSC_E_OUTOFMEMORY; }
    ua->io = *io;
    ua->reg_t.kind = TMR_REG;
    id = msc_sign_in_name(cfg->identity);
    if (!copy(ua->identity, sizeof ua->identity, id) || !uri_of_name(id, ua->my_uri, sizeof ua->my_uri)
        || msc_sip_uri_parse(msc_cstr(ua->my_uri), &u) || !copy(ua->my_user, sizeof ua->my_user, u.user)
        || !copy(ua->domain, sizeof ua->domain, u.host)
        || !copy(ua->display, sizeof ua->display, cfg->display_name) || strchr(ua->display, '"')
        || !msc_addr_host(&cfg->local, ua->host, sizeof ua->host) || !cfg->local.port) {
        msc_sip_ua_destroy(ua);
        return MSC_E_INVALIDARG;
    }
    if (u.port) {                               /* the registrar's domain is host[:port] */
        size_t n = strlen(ua->domain);
        snprintf(ua->domain + n, sizeof ua->domain - n, ":%u", u.port);
    }
    ua->port = cfg->local.port;
    ua->transport = cfg->transport == MSC_NET_TCP ? MSC_NET_TCP : MSC_NET_UDP;
    ua->t1 = cfg->t1_ms ? cfg->t1_ms : 500;
    ua->t2 = cfg->t2_ms ? cfg->t2_ms : 4000;
    ua->t4 = cfg->t4_ms ? cfg->t4_ms : 5000;
    ua->reg_expires = cfg->register_expires_s ? cfg->register_expires_s : 3600;
    if (cfg->proxy.n) {
        char tmp[300];
        int n = snprintf(tmp, sizeof tmp, "sip:%.*s", S(cfg->proxy));
        if (n <= 0 || (size_t)n >= sizeof tmp || memchr(cfg->proxy.p, 0, cfg->proxy.n)
            || msc_sip_uri_parse(msc_cstr(tmp), &u) || u.user.n || u.params.n) {
            msc_sip_ua_destroy(ua);
            return MSC_E_INVALIDARG;
        }
        if (u.host_kind == MSC_SIP_HOST_IPV6) { u.host.p++; u.host.n -= 2; }
        copy(ua->proxy_host, sizeof ua->proxy_host, u.host);
        ua->proxy_port = u.port ? u.port : 5060;
        ua->has_proxy = 1;
    }
    if (!copy(ua->auth_user, sizeof ua->auth_user,
              cfg->auth_user.n ? cfg->auth_user : msc_str_make(ua->identity, strcspn(ua->identity, "@")))
        || !copy(ua->auth_pass, sizeof ua->auth_pass, cfg->auth_password)) {
        msc_sip_ua_destroy(ua);
        return MSC_E_INVALIDARG;
    }
    msc_sip_new_call_id(ua->reg_call_id, sizeof ua->reg_call_id, msc_cstr(ua->host), rnd, ua);
    msc_sip_new_tag(ua->reg_tag, sizeof ua->reg_tag, rnd, ua);
    ua->tp.ctx = ua;
    ua->tp.send = tp_send;
    ua->tp.local_identity = tp_identity;
    ua->tp.local_address = tp_address;
    ua->tp.presence = NULL;
    *out = ua;
    return MSC_S_OK;
}

void msc_sip_ua_destroy(msc_sip_ua *ua)
{
    if (!ua) return;
    if ((ua->reg_state == 1 || ua->reg_state == 2) && ua->out) reg_send(ua, 0);   /* best effort: sign out */
    while (ua->txns) txn_free(ua, ua->txns);          /* first: then no call has any */
    while (ua->calls) call_free(ua, ua->calls);
    free(ua->heap);
    free(ua->in); free(ua->req); free(ua->out);
    memset(ua->auth_pass, 0, sizeof ua->auth_pass);
    free(ua);
}

const msc_transport *msc_sip_ua_transport(msc_sip_ua *ua) { return ua ? &ua->tp : NULL; }
void msc_sip_ua_bind(msc_sip_ua *ua, msc_manager *m)
{
    msc_sink k = msc_manager_sink(m);
    msc_sip_ua_set_sink(ua, m ? &k : NULL);
}

void msc_sip_ua_set_sink(msc_sip_ua *ua, const msc_sink *sink)
{
    if (!ua) return;
    memset(&ua->sink, 0, sizeof(ua->sink));
    if (sink) ua->sink = *sink;
}

msc_sip_ua_stats msc_sip_ua_get_stats(const msc_sip_ua *ua)
{
    msc_sip_ua_stats s;
    memset(&s, 0, sizeof s);
    if (!ua) return s;
    s = ua->stats;
    s.calls = ua->ncalls;
    s.transactions = ua->ntxns;
    return s;
}
