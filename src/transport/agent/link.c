/* The link between an application's msgsc.dll and the user's agent: frames and the application's
 * side of the connection.
 *
 * A frame reads like a small SIP message, so the same TCP framing (msc_sip_frame in netio) cuts
 * the stream:
 *
 *   MSGSC/1 OFFER
 *   Session: {...}
 *   Value: 1234
 *   From: alice@example.org
 *   To: bob@example.org
 *   Content-Length: 187
 *
 *   <the core's message, as the text/x-msmsgsinvite body codec writes it>
 *
 * Only the headers a frame needs are written; decoding is strict (each header once, known names,
 * Content-Length exact), as for anything that crosses a process boundary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "msgsc/agent.h"

static const char *const kind_names[MSC_LINK_KIND_COUNT] = {
    "NONE", "HELLO", "SEND", "HANDLED", "LAUNCH_OK", "STOP", "START", "WELCOME", "DELIVER",
    "SEND_FAILED", "OFFER", "BEFORE_LAUNCH", "READY", "TAKE", "END", "SHUTDOWN", "RESULT",
};

const char *msc_link_kind_name(msc_link_kind k)
{
    return (unsigned)k < MSC_LINK_KIND_COUNT ? kind_names[k] : "?";
}

void msc_link_init(msc_link_frame *f, msc_link_kind kind)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
}

/* ---- encoding ---------------------------------------------------------------------------------- */
typedef struct outbuf {
    char *p;
    size_t n, cap;
    int bad;
} outbuf;

static void put(outbuf *o, const char *fmt, const char *a, long long v)
{
    int k;
    if (o->bad) return;
    k = a ? snprintf(o->p + o->n, o->cap - o->n, fmt, a) : snprintf(o->p + o->n, o->cap - o->n, fmt, v);
    if (k < 0 || (size_t)k >= o->cap - o->n) o->bad = 1;
    else o->n += (size_t)k;
}

/* A header value may not break the framing: no CR, LF or NUL, not empty. */
static void put_text(outbuf *o, const char *name, const char *v)
{
    if (!v[0]) return;
    if (strpbrk(v, "\r\n")) {
        o->bad = 1;
        return;
    }
    put(o, name, v, 0);
}

size_t msc_link_encode(const msc_link_frame *f, char *buf, size_t cap)
{
    char body[MSC_BODY_MAX];
    size_t blen = 0;
    outbuf o = { buf, 0, cap, 0 };

    if (!f || !buf || (unsigned)f->kind >= MSC_LINK_KIND_COUNT || f->kind == MSC_LINK_NONE) return 0;
    if (f->has_msg && !(blen = msc_body_encode(&f->msg, body, sizeof(body)))) return 0;
    put(&o, "MSGSC/1 %s\r\n", kind_names[f->kind], 0);
    put_text(&o, "Session: %s\r\n", f->session);
    if (f->value) put(&o, "Value: %lld\r\n", NULL, (long long)f->value);
    if (f->value2) put(&o, "Value2: %lld\r\n", NULL, (long long)f->value2);
    put_text(&o, "Text: %s\r\n", f->text);
    put_text(&o, "Address: %s\r\n", f->address);
    if (f->has_msg) {
        put_text(&o, "From: %s\r\n", f->msg.from);
        put_text(&o, "To: %s\r\n", f->msg.to);
    }
    put(&o, "Content-Length: %lld\r\n\r\n", NULL, (long long)blen);
    if (o.bad || cap - o.n < blen) return 0;
    memcpy(buf + o.n, body, blen);
    return o.n + blen;
}

/* ---- decoding ---------------------------------------------------------------------------------- */
static int set_field(char *field, size_t cap, const char *v, size_t n)
{
    if (!n || n >= cap || memchr(v, 0, n)) return 0;
    memcpy(field, v, n);
    field[n] = 0;
    return 1;
}

static int parse_int(const char *v, size_t n, int64_t *out)
{
    int64_t x = 0;
    size_t i = 0;
    int neg = 0;
    if (n && v[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == n || n - i > 18) return 0;
    for (; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return 0;
        x = x * 10 + (v[i] - '0');
    }
    *out = neg ? -x : x;
    return 1;
}

msc_hr msc_link_decode(const char *buf, size_t len, msc_link_frame *f)
{
    enum { H_SESSION, H_VALUE, H_VALUE2, H_TEXT, H_ADDRESS, H_FROM, H_TO, H_LENGTH, H_COUNT };
    static const char *const names[H_COUNT] = {
        "Session", "Value", "Value2", "Text", "Address", "From", "To", "Content-Length",
    };
    const char *p, *end, *eol;
    unsigned seen = 0;
    int64_t clen = -1;
    int k;

    if (!buf || !f) return MSC_E_POINTER;
    msc_link_init(f, MSC_LINK_NONE);
    end = buf + len;
    if (len < 8 || memcmp(buf, "MSGSC/1 ", 8)) return MSC_SR_SESSION_PROTOCOL_ERROR;
    p = buf + 8;
    if (!(eol = memchr(p, '\r', (size_t)(end - p))) || eol + 1 >= end || eol[1] != '\n')
        return MSC_SR_SESSION_PROTOCOL_ERROR;
    for (k = 1; k < MSC_LINK_KIND_COUNT; k++)
        if (strlen(kind_names[k]) == (size_t)(eol - p) && !memcmp(p, kind_names[k], (size_t)(eol - p))) break;
    if (k == MSC_LINK_KIND_COUNT) return MSC_SR_SESSION_PROTOCOL_ERROR;
    f->kind = (msc_link_kind)k;
    for (p = eol + 2;;) {
        const char *colon, *v;
        size_t nlen, vlen;
        int h, ok;

        if (!(eol = memchr(p, '\r', (size_t)(end - p))) || eol + 1 >= end || eol[1] != '\n')
            return MSC_SR_SESSION_PROTOCOL_ERROR;
        if (eol == p) {                       /* the blank line */
            p = eol + 2;
            break;
        }
        if (!(colon = memchr(p, ':', (size_t)(eol - p))) || colon + 1 >= eol || colon[1] != ' ')
            return MSC_SR_SESSION_PROTOCOL_ERROR;
        nlen = (size_t)(colon - p);
        v = colon + 2;
        vlen = (size_t)(eol - v);
        for (h = 0; h < H_COUNT; h++)
            if (strlen(names[h]) == nlen && !memcmp(p, names[h], nlen)) break;
        if (h == H_COUNT || (seen & (1u << h))) return MSC_SR_SESSION_PROTOCOL_ERROR;
        seen |= 1u << h;
        switch (h) {
        case H_SESSION: ok = set_field(f->session, sizeof(f->session), v, vlen); break;
        case H_VALUE:   ok = parse_int(v, vlen, &f->value); break;
        case H_VALUE2:  ok = parse_int(v, vlen, &f->value2); break;
        case H_TEXT:    ok = set_field(f->text, sizeof(f->text), v, vlen); break;
        case H_ADDRESS: ok = set_field(f->address, sizeof(f->address), v, vlen); break;
        case H_FROM:    ok = set_field(f->msg.from, sizeof(f->msg.from), v, vlen); break;
        case H_TO:      ok = set_field(f->msg.to, sizeof(f->msg.to), v, vlen); break;
        default:        ok = parse_int(v, vlen, &clen) && clen >= 0; break;
        }
        if (!ok) return MSC_SR_SESSION_PROTOCOL_ERROR;
        p = eol + 2;
    }
    if (clen < 0 || (uint64_t)clen != (uint64_t)(end - p)) return MSC_SR_SESSION_PROTOCOL_ERROR;
    if (clen) {
        char from[sizeof(f->msg.from)], to[sizeof(f->msg.to)];
        memcpy(from, f->msg.from, sizeof(from));
        memcpy(to, f->msg.to, sizeof(to));
        if (msc_body_decode(p, (size_t)clen, &f->msg) != MSC_S_OK) return MSC_SR_SESSION_PROTOCOL_ERROR;
        memcpy(f->msg.from, from, sizeof(from));
        memcpy(f->msg.to, to, sizeof(to));
        f->has_msg = 1;
    } else if (seen & ((1u << H_FROM) | (1u << H_TO))) {
        return MSC_SR_SESSION_PROTOCOL_ERROR;   /* names belong to a message */
    }
    return MSC_S_OK;
}

/* ---- the application's side ---------------------------------------------------------------------- */
struct msc_link_client {
    msc_netio *io;
    msc_addr agent;
    int gone;
    char wire[MSC_LINK_MAX];
};

msc_hr msc_link_client_send(msc_link_client *c, const msc_link_frame *f)
{
    size_t n;
    if (!c || !f) return MSC_E_POINTER;
    if (c->gone) return MSC_SR_CONNECTION_FAILURE;
    if (!(n = msc_link_encode(f, c->wire, sizeof(c->wire)))) return MSC_E_INVALIDARG;
    return msc_netio_send(c->io, MSC_NET_TCP, &c->agent, c->wire, n);
}

int msc_link_client_take(msc_link_client *c, msc_link_frame *f)
{
    msc_net_item *it;
    if (!c || !f) return 0;
    while (!c->gone && (it = msc_netio_take(c->io))) {
        int got = 0;
        if (msc_addr_equal(&it->peer, &c->agent) && it->proto == MSC_NET_TCP) {
            if (it->kind == MSC_NET_RECEIVED) {
                got = msc_link_decode(it->data, it->len, f) == MSC_S_OK;
            } else {
                c->gone = 1;                  /* closed, or what we sent could not be written */
            }
        }
        msc_net_item_free(it);
        if (got) return 1;
    }
    return c->gone ? -1 : 0;
}

msc_hr msc_link_client_connect(uint16_t port, msc_str token, uint32_t pid, uint32_t parent_pid,
                               void (*notify)(void *ctx), void *ctx, uint32_t timeout_ms,
                               msc_link_client **out, msc_link_frame *welcome)
{
    msc_netio_config nc;
    msc_link_client *c;
    msc_link_frame f;
    msc_hr hr;
    uint32_t waited = 0;

    if (!out || !welcome) return MSC_E_POINTER;
    *out = NULL;
    if (!port || token.n >= sizeof(f.text)) return MSC_E_INVALIDARG;
    if (!(c = calloc(1, sizeof(*c)))) return MSC_E_OUTOFMEMORY;
    memset(&nc, 0, sizeof(nc));
    nc.bind_host = "127.0.0.1";
    nc.idle_close_ms = UINT32_MAX;            /* the link stays up while both live */
    nc.notify = notify;                       /* a frame posted early is simply taken later */
    nc.ctx = ctx;
    if ((hr = msc_netio_start(&nc, &c->io)) != MSC_S_OK) {
        free(c);
        return hr;
    }
    msc_net_resolve(msc_cstr("127.0.0.1"), port, &c->agent);
    msc_link_init(&f, MSC_LINK_HELLO);
    f.value = pid;
    f.value2 = parent_pid;
    memcpy(f.text, token.p, token.n);
    hr = msc_link_client_send(c, &f);
    /* the agent answers HELLO first, before anything else */
    while (hr == MSC_S_OK) {
        int r = msc_link_client_take(c, welcome);
        if (r > 0 && welcome->kind == MSC_LINK_WELCOME && welcome->text[0]) break;
        if (r != 0 || waited >= timeout_ms) {
            hr = MSC_SR_CONNECTION_FAILURE;
            break;
        }
        msc_netio_wait(c->io, 50);
        waited += 50;
    }
    if (hr != MSC_S_OK) {
        msc_netio_stop(c->io);
        free(c);
        return hr;
    }
    *out = c;
    return MSC_S_OK;
}

void msc_link_client_close(msc_link_client *c)
{
    if (!c) return;
    msc_netio_stop(c->io);
    free(c);
}
