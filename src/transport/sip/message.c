/* msgsc SIP message layer: parser, serializer, TCP framing and helpers (include/msgsc/sip.h).
 *
 * Written from RFC 3261 (§7 messages, §19 URIs, §20 header fields, §25 the grammar), RFC 3581
 * (rport), RFC 3326 (Reason) and RFC 5626 (CRLF keep-alives).  docs/sip.md describes the rules,
 * the limits and the error -> status mapping for a newcomer; this file is the implementation.
 *
 * Shape of the code.  Every header value goes through one function, add_entry(), whatever its
 * origin (the parser, msc_sip_add, msc_sip_make_response): it checks the header against the model
 * (duplicates, counts), parses a typed header with the strict grammar below and only then appends
 * the line.  The typed parsers work on one unfolded, trimmed value with a bounded cursor (struct
 * cur); nothing recurses, every loop is bounded by the value's length, and every slice they store
 * points into the message's own arena.
 */
#include <string.h>

#include "msgsc/sip.h"
#include "transport/writer.h"

#define BAD 400
#define BIG 513

#define EMPTY msc_str_make("", 0)

/* ---- character classes (RFC 3261 §25.1) ----------------------------------------------------- */
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static int is_ws(int c) { return c == ' ' || c == '\t'; }

static int is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_val(int c)
{
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int in_set(int c, const char *set)
{
    return c > 0 && c < 0x80 && strchr(set, c) != NULL;
}

static int is_token(int c) { return is_alnum(c) || in_set(c, "-.!%*_+`'~"); }
static int is_unreserved(int c) { return is_alnum(c) || in_set(c, "-_.!~*'()"); }
static int is_reserved(int c) { return in_set(c, ";/?:@&=+$,"); }
static int is_word(int c) { return is_token(c) || in_set(c, "()<>:\\\"/[]?{}"); }
static int is_user(int c) { return is_unreserved(c) || in_set(c, "&=+$,;?/"); }
static int is_password(int c) { return is_unreserved(c) || in_set(c, "&=+$,"); }
static int is_paramchar(int c) { return is_unreserved(c) || in_set(c, "[]/:&+$"); }
static int is_hnvchar(int c) { return is_unreserved(c) || in_set(c, "[]/?:+$"); }
static int is_uric(int c) { return is_reserved(c) || is_unreserved(c); }
static int is_hostchar(int c) { return is_alnum(c) || c == '-' || c == '.'; }

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int ieq(msc_str a, msc_str b)
{
    if (a.n != b.n)
        return 0;
    for (size_t i = 0; i < a.n; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
            return 0;
    return 1;
}

static int ieqz(msc_str a, const char *z)
{
    return ieq(a, msc_cstr(z));
}

static int seq(msc_str a, msc_str b)
{
    return a.n == b.n && (a.n == 0 || !memcmp(a.p, b.p, a.n));
}

static int all_of(msc_str s, int (*cls)(int))
{
    if (s.n == 0)
        return 0;
    for (size_t i = 0; i < s.n; i++)
        if (!cls((unsigned char)s.p[i]))
            return 0;
    return 1;
}

static msc_str trim(msc_str s)
{
    while (s.n && is_ws((unsigned char)s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_ws((unsigned char)s.p[s.n - 1]))
        s.n--;
    return s;
}

static msc_str span(const char *a, const char *b)
{
    return msc_str_make(a, (size_t)(b - a));
}

/* Header text: HTAB, printable ASCII and valid UTF-8; no other control byte (NUL included). */
static int text_ok(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7F)
            return 0;
    }
    return msc_utf8_valid(msc_str_make(p, n));
}

/* Decimal digits into *out, saturating at sat.  0 when s is not 1*DIGIT. */
static int dec(msc_str s, uint64_t sat, uint64_t *out)
{
    uint64_t v = 0;
    if (s.n == 0)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        if (!is_digit((unsigned char)s.p[i]))
            return 0;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
        if (v > sat)
            v = sat;
    }
    *out = v;
    return 1;
}

/* ---- a bounded cursor over one value -------------------------------------------------------- */
typedef struct cur {
    const char *p, *e;
} cur;

static cur cur_of(msc_str s)
{
    cur c;
    c.p = s.p ? s.p : "";
    c.e = s.p ? s.p + s.n : c.p;
    return c;
}
static int c_end(const cur *c) { return c->p >= c->e; }
static int c_peek(const cur *c) { return c->p < c->e ? (unsigned char)*c->p : -1; }

static void c_sws(cur *c)
{
    while (c->p < c->e && is_ws((unsigned char)*c->p))
        c->p++;
}

static int c_lws(cur *c)
{
    const char *s = c->p;
    c_sws(c);
    return c->p > s;
}

/* SWS ch SWS (SEMI, COMMA, EQUAL, SLASH, COLON); the cursor is unchanged when ch is not there. */
static int c_sep(cur *c, int ch)
{
    cur s = *c;
    c_sws(&s);
    if (c_peek(&s) != ch)
        return 0;
    s.p++;
    c_sws(&s);
    *c = s;
    return 1;
}

static int c_run(cur *c, int (*cls)(int), msc_str *out)
{
    const char *s = c->p;
    while (c->p < c->e && cls((unsigned char)*c->p))
        c->p++;
    *out = span(s, c->p);
    return out->n > 0;
}

static int c_token(cur *c, msc_str *out) { return c_run(c, is_token, out); }

/* quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE.  The line was checked for control bytes
 * and UTF-8 already, so every other byte is qdtext.  *out keeps the quotes. */
static int c_quoted(cur *c, msc_str *out)
{
    const char *s = c->p;
    if (c_peek(c) != '"')
        return 0;
    c->p++;
    while (c->p < c->e) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            c->p++;
            *out = span(s, c->p);
            return 1;
        }
        if (ch == '\\') {
            if (c->e - c->p < 2 || (unsigned char)c->p[1] >= 0x80)
                return 0;
            c->p += 2;
            continue;
        }
        c->p++;
    }
    return 0;
}

/* ---- hosts ---------------------------------------------------------------------------------- */
static int ipv4_parse(const char *p, size_t n, unsigned char out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t d = 0;
        if (part) {
            if (i >= n || p[i] != '.')
                return 0;
            i++;
        }
        while (i < n && is_digit((unsigned char)p[i]) && d < 4) {
            v = v * 10 + (unsigned)(p[i] - '0');
            i++;
            d++;
        }
        if (d == 0 || d > 3 || v > 255)
            return 0;
        out[part] = (unsigned char)v;
    }
    return i == n;
}

static int ipv6_parse(const char *p, size_t n, unsigned char out[16])
{
    unsigned g[8];
    int ng = 0, dc = -1;
    size_t i = 0;

    if (n < 2)
        return 0;
    if (p[0] == ':') {
        if (p[1] != ':')
            return 0;
        dc = 0;
        i = 2;
    }
    while (i < n) {
        size_t j = i;
        unsigned v = 0;
        while (j < n && is_hex((unsigned char)p[j]) && j - i < 5) {
            v = v * 16 + (unsigned)hex_val((unsigned char)p[j]);
            j++;
        }
        if (j < n && p[j] == '.') {                 /* the IPv4 tail: two groups, last */
            unsigned char v4[4];
            if (ng > 6 || !ipv4_parse(p + i, n - i, v4))
                return 0;
            g[ng++] = (unsigned)v4[0] << 8 | v4[1];
            g[ng++] = (unsigned)v4[2] << 8 | v4[3];
            i = n;
            break;
        }
        if (j == i || j - i > 4 || ng == 8)
            return 0;
        g[ng++] = v;
        i = j;
        if (i == n)
            break;
        if (p[i] != ':')
            return 0;
        i++;
        if (i < n && p[i] == ':') {
            if (dc >= 0)
                return 0;
            dc = ng;
            i++;
        } else if (i == n) {
            return 0;                               /* a lone trailing colon */
        }
    }
    if (dc < 0 ? ng != 8 : ng > 7)
        return 0;
    memset(out, 0, 16);
    {
        int tail = dc < 0 ? 0 : ng - dc;            /* groups after the "::" */
        int head = ng - tail;
        for (int k = 0; k < head; k++) {
            out[2 * k] = (unsigned char)(g[k] >> 8);
            out[2 * k + 1] = (unsigned char)g[k];
        }
        for (int k = 0; k < tail; k++) {
            int at = 8 - tail + k;
            out[2 * at] = (unsigned char)(g[head + k] >> 8);
            out[2 * at + 1] = (unsigned char)g[head + k];
        }
    }
    return 1;
}

/* hostname = *( domainlabel "." ) toplabel [ "." ]; the top label starts with a letter. */
static int hostname_ok(const char *p, size_t n)
{
    size_t start = 0;
    if (n == 0 || n > 255)
        return 0;
    if (p[n - 1] == '.')
        n--;
    if (n == 0)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '.')
            continue;
        if (i == start)
            return 0;                               /* an empty label */
        if (!is_alnum((unsigned char)p[start]) || !is_alnum((unsigned char)p[i - 1]))
            return 0;
        for (size_t k = start; k < i; k++)
            if (!is_alnum((unsigned char)p[k]) && p[k] != '-')
                return 0;
        if (i == n && !is_alpha((unsigned char)p[start]))
            return 0;
        start = i + 1;
    }
    return 1;
}

static msc_sip_host_kind host_kind(msc_str h)
{
    unsigned char a[16];
    if (h.n >= 2 && h.p[0] == '[')
        return (h.p[h.n - 1] == ']' && ipv6_parse(h.p + 1, h.n - 2, a)) ? MSC_SIP_HOST_IPV6
                                                                          : MSC_SIP_HOST_NONE;
    if (ipv4_parse(h.p, h.n, a))
        return MSC_SIP_HOST_IPV4;
    if (hostname_ok(h.p, h.n))
        return MSC_SIP_HOST_NAME;
    return MSC_SIP_HOST_NONE;
}

/* A host at the cursor: an IPv6reference, or the longest run of host characters. */
static int c_host(cur *c, msc_str *host, msc_sip_host_kind *kind)
{
    if (c_peek(c) == '[') {
        const char *gt = memchr(c->p, ']', (size_t)(c->e - c->p));
        if (!gt)
            return 0;
        *host = span(c->p, gt + 1);
        c->p = gt + 1;
    } else if (!c_run(c, is_hostchar, host)) {
        return 0;
    }
    *kind = host_kind(*host);
    return *kind != MSC_SIP_HOST_NONE;
}

/* 1*5DIGIT, 1..65535 */
static int port_ok(msc_str s, uint16_t *out)
{
    uint64_t v;
    if (s.n > 5 || !dec(s, 99999, &v) || v < 1 || v > 65535)
        return 0;
    *out = (uint16_t)v;
    return 1;
}

/* ttl = 1*3DIGIT, 0..255 */
static int ttl_ok(msc_str s, int *out)
{
    uint64_t v;
    if (s.n > 3 || !dec(s, 999, &v) || v > 255)
        return 0;
    *out = (int)v;
    return 1;
}

/* ---- duplicate detection for parameter names ------------------------------------------------ */
typedef struct seen {
    size_t n;
    msc_str v[MSC_SIP_MAX_PARAMS];
} seen;

static int seen_add(seen *s, msc_str name)
{
    for (size_t i = 0; i < s->n; i++)
        if (ieq(s->v[i], name))
            return BAD;
    if (s->n >= MSC_SIP_MAX_PARAMS)
        return BIG;
    s->v[s->n++] = name;
    return 0;
}

/* ---- URIs (RFC 3261 §19.1, §25.1) ----------------------------------------------------------- */
/* The longest run from *i of characters in cls or %HH escapes; -1 on a broken escape. */
static long esc_run(const char *s, size_t n, size_t *i, int (*cls)(int))
{
    size_t st = *i;
    while (*i < n) {
        unsigned char c = (unsigned char)s[*i];
        if (c == '%') {
            if (n - *i < 3 || !is_hex((unsigned char)s[*i + 1]) ||
                !is_hex((unsigned char)s[*i + 2]))
                return -1;
            *i += 3;
        } else if (cls(c)) {
            (*i)++;
        } else {
            break;
        }
    }
    return (long)(*i - st);
}

static int all_esc(msc_str s, int (*cls)(int))
{
    size_t i = 0;
    return esc_run(s.p, s.n, &i, cls) >= 0 && i == s.n;
}

static int uri_params(const char *s, size_t n, size_t *pi, msc_sip_uri *u)
{
    size_t i = *pi, start = i;
    seen sn;
    sn.n = 0;
    while (i < n && s[i] == ';') {
        msc_str name, val = msc_str_make(NULL, 0);
        size_t ns = ++i;
        long r = esc_run(s, n, &i, is_paramchar);
        int st;
        if (r <= 0)
            return BAD;
        name = msc_str_make(s + ns, i - ns);
        if (i < n && s[i] == '=') {
            size_t vs = ++i;
            r = esc_run(s, n, &i, is_paramchar);
            if (r <= 0)
                return BAD;
            val = msc_str_make(s + vs, i - vs);
        }
        if ((st = seen_add(&sn, name)) != 0)
            return st;
        if (ieqz(name, "transport") || ieqz(name, "user")) {
            if (!val.p)
                return BAD;
            if (ieqz(name, "transport"))
                u->transport = val;
            else
                u->user_param = val;
        } else if (ieqz(name, "method")) {
            if (!val.p || !all_of(val, is_token))
                return BAD;
            u->method_param = val;
        } else if (ieqz(name, "maddr")) {
            if (!val.p || host_kind(val) == MSC_SIP_HOST_NONE)
                return BAD;
            u->maddr = val;
        } else if (ieqz(name, "ttl")) {
            if (!val.p || !ttl_ok(val, &u->ttl))
                return BAD;
        } else if (ieqz(name, "lr")) {
            u->lr = 1;
        }
    }
    u->params = msc_str_make(s + start, i - start);
    *pi = i;
    return 0;
}

static int uri_headers(const char *s, size_t n, size_t *pi, msc_sip_uri *u)
{
    size_t i = *pi, count = 0;
    if (i >= n || s[i] != '?')
        return 0;
    i++;
    for (;;) {
        if (esc_run(s, n, &i, is_hnvchar) <= 0 || i >= n || s[i] != '=')
            return BAD;
        i++;
        if (esc_run(s, n, &i, is_hnvchar) < 0)
            return BAD;
        if (++count > MSC_SIP_MAX_PARAMS)
            return BIG;
        if (i < n && s[i] == '&') {
            i++;
            continue;
        }
        break;
    }
    u->headers = msc_str_make(s + *pi + 1, i - *pi - 1);
    *pi = i;
    return 0;
}

int msc_sip_uri_parse(msc_str s, msc_sip_uri *u)
{
    size_t i = 0, n = s.n;
    const char *p = s.p;
    int st;

    if (!u)
        return BAD;
    memset(u, 0, sizeof(*u));
    u->ttl = -1;
    u->raw = s;
    if (!p || n == 0)
        return BAD;
    if (n > MSC_SIP_MAX_URI)
        return BIG;
    if (!is_alpha((unsigned char)p[0]))
        return BAD;
    while (i < n && (is_alnum((unsigned char)p[i]) || in_set(p[i], "+-.")))
        i++;
    if (i >= n || p[i] != ':')
        return BAD;
    u->scheme_name = msc_str_make(p, i);
    i++;

    if (ieqz(u->scheme_name, "sip") || ieqz(u->scheme_name, "sips")) {
        const char *at = memchr(p + i, '@', n - i);
        u->scheme = u->scheme_name.n == 3 ? MSC_SIP_SCHEME_SIP : MSC_SIP_SCHEME_SIPS;
        if (at) {
            size_t ue = (size_t)(at - p);
            const char *colon = memchr(p + i, ':', ue - i);
            size_t uend = colon ? (size_t)(colon - p) : ue;
            u->user = msc_str_make(p + i, uend - i);
            if (!u->user.n || !all_esc(u->user, is_user))
                return BAD;
            if (colon) {
                u->has_password = 1;
                u->password = msc_str_make(colon + 1, ue - uend - 1);
                if (u->password.n && !all_esc(u->password, is_password))
                    return BAD;
            }
            i = ue + 1;
        }
        {
            cur c = cur_of(msc_str_make(p + i, n - i));
            if (!c_host(&c, &u->host, &u->host_kind))
                return BAD;
            i = (size_t)(c.p - p);
        }
        if (i < n && p[i] == ':') {
            size_t ps = ++i;
            while (i < n && is_digit((unsigned char)p[i]))
                i++;
            if (!port_ok(msc_str_make(p + ps, i - ps), &u->port))
                return BAD;
        }
        if ((st = uri_params(p, n, &i, u)) != 0)
            return st;
        if ((st = uri_headers(p, n, &i, u)) != 0)
            return st;
        return i == n ? 0 : BAD;
    }

    /* any other absoluteURI: scheme ":" 1*uric (RFC 2396) */
    u->scheme = MSC_SIP_SCHEME_OTHER;
    if (i >= n || esc_run(p, n, &i, is_uric) <= 0 || i != n)
        return BAD;
    return 0;
}

/* ---- header parameters (generic-param, RFC 3261 §25.1) -------------------------------------- */
typedef int (*param_cb)(void *ctx, msc_str name, msc_str value);

/* gen-value = token / host / quoted-string.  A "received" value may also be a bare IPv6address
 * (RFC 3261's via-received); the callback checks what it got. */
static int gen_value(cur *c, msc_str name, msc_str *v)
{
    int ch = c_peek(c);
    if (ch == '"')
        return c_quoted(c, v);
    if (ch == '[') {
        msc_sip_host_kind k;
        return c_host(c, v, &k) && k == MSC_SIP_HOST_IPV6;
    }
    if (ieqz(name, "received")) {
        const char *s = c->p;
        while (c->p < c->e && (is_token((unsigned char)*c->p) || *c->p == ':'))
            c->p++;
        *v = span(s, c->p);
        return v->n > 0;
    }
    return c_token(c, v);
}

/* *( SEMI generic-param ): stops (without error) where no SEMI follows.  *raw gets the
 * parameters as written, from the first ';'. */
static int hparams(cur *c, msc_str *raw, param_cb cb, void *ctx)
{
    const char *first = NULL, *last = c->p;
    seen sn;
    sn.n = 0;
    for (;;) {
        cur s = *c;
        msc_str name, val = msc_str_make(NULL, 0);
        int st;
        c_sws(&s);
        if (c_peek(&s) != ';')
            break;
        if (!first)
            first = s.p;
        s.p++;
        c_sws(&s);
        if (!c_token(&s, &name))
            return BAD;
        {
            cur t = s;
            if (c_sep(&t, '=')) {
                if (!gen_value(&t, name, &val))
                    return BAD;
                s = t;
            }
        }
        if ((st = seen_add(&sn, name)) != 0)
            return st;
        if (cb && (st = cb(ctx, name, val)) != 0)
            return st;
        *c = s;
        last = s.p;
    }
    *raw = first ? span(first, last) : EMPTY;
    return 0;
}

/* A value that must be a plain token (not quoted, not an IPv6 reference). */
static int token_value(msc_str v)
{
    return v.p && all_of(v, is_token);
}

/* ---- name-addr / addr-spec (From, To, Contact, Route, Record-Route) ------------------------- */
enum addr_kind { ADDR_FROMTO, ADDR_CONTACT, ADDR_ROUTE };

typedef struct addr_ctx {
    msc_sip_addr *a;
    enum addr_kind kind;
} addr_ctx;

static int qvalue_ok(msc_str v)
{
    /* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
    if (!v.p || v.n == 0 || v.n > 5 || (v.p[0] != '0' && v.p[0] != '1'))
        return 0;
    if (v.n == 1)
        return 1;
    if (v.p[1] != '.')
        return 0;
    for (size_t i = 2; i < v.n; i++)
        if (v.p[0] == '0' ? !is_digit((unsigned char)v.p[i]) : v.p[i] != '0')
            return 0;
    return 1;
}

static int addr_param(void *vctx, msc_str name, msc_str val)
{
    addr_ctx *x = vctx;
    if (x->kind == ADDR_FROMTO && ieqz(name, "tag")) {
        if (!token_value(val))
            return BAD;
        x->a->tag = val;
    } else if (x->kind == ADDR_CONTACT && ieqz(name, "q")) {
        if (!qvalue_ok(val))
            return BAD;
        x->a->q = val;
    } else if (x->kind == ADDR_CONTACT && ieqz(name, "expires")) {
        uint64_t e;
        if (!val.p || !dec(val, UINT32_MAX, &e))
            return BAD;
        x->a->expires = (int64_t)e;
    }
    return 0;
}

/* ( name-addr / addr-spec ) *( SEMI param ), stopping before a COMMA or at the end. */
static int addr_one(cur *c, msc_sip_addr *a, enum addr_kind kind)
{
    int angle = 0, st;
    const char *start;
    addr_ctx x;

    memset(a, 0, sizeof(*a));
    a->expires = -1;
    a->uri.ttl = -1;
    c_sws(c);
    start = c->p;
    if (c_peek(c) == '"') {
        if (!c_quoted(c, &a->display))
            return BAD;
        c_sws(c);
        if (c_peek(c) != '<')
            return BAD;
        angle = 1;
    } else if (c_peek(c) == '<') {
        angle = 1;
    } else {
        /* display-name = *(token LWS): tokens, then "<" */
        cur t = *c;
        msc_str tk;
        const char *dend = t.p;
        int ntok = 0;
        while (c_token(&t, &tk)) {
            ntok++;
            dend = t.p;
            c_sws(&t);
        }
        if (ntok && c_peek(&t) == '<') {
            a->display = span(c->p, dend);
            *c = t;
            angle = 1;
        }
    }
    if (angle) {
        const char *gt;
        c->p++;
        gt = memchr(c->p, '>', (size_t)(c->e - c->p));
        if (!gt)
            return BAD;
        if ((st = msc_sip_uri_parse(span(c->p, gt), &a->uri)) != 0)
            return st;
        c->p = gt + 1;
        a->angle = 1;
    } else {
        /* addr-spec: no ',', ';' or '?' in it (RFC 3261 §20.10); what follows ';' is a header
         * parameter */
        const char *q = c->p;
        msc_str us;
        if (kind == ADDR_ROUTE)
            return BAD;
        while (q < c->e && *q != ';' && *q != ',' && !is_ws((unsigned char)*q))
            q++;
        us = span(c->p, q);
        if (memchr(us.p, '?', us.n))
            return BAD;
        if ((st = msc_sip_uri_parse(us, &a->uri)) != 0)
            return st;
        c->p = q;
    }
    x.a = a;
    x.kind = kind;
    if ((st = hparams(c, &a->params, addr_param, &x)) != 0)
        return st;
    a->raw = span(start, c->p);
    return 0;
}

/* ---- Via (RFC 3261 §20.42, RFC 3581) -------------------------------------------------------- */
static int via_param(void *vctx, msc_str name, msc_str val)
{
    msc_sip_via *v = vctx;
    if (ieqz(name, "branch")) {
        if (!token_value(val))
            return BAD;
        v->branch = val;
    } else if (ieqz(name, "received")) {
        unsigned char a[16];
        if (!val.p)
            return BAD;
        if (!ipv4_parse(val.p, val.n, a) && !ipv6_parse(val.p, val.n, a) &&
            host_kind(val) != MSC_SIP_HOST_IPV6)
            return BAD;
        v->received = val;
    } else if (ieqz(name, "maddr")) {
        if (!val.p || host_kind(val) == MSC_SIP_HOST_NONE)
            return BAD;
        v->maddr = val;
    } else if (ieqz(name, "ttl")) {
        if (!val.p || !ttl_ok(val, &v->ttl))
            return BAD;
    } else if (ieqz(name, "rport")) {
        uint16_t port;
        if (!val.p) {
            v->rport = 0;
        } else {
            if (!port_ok(val, &port))
                return BAD;
            v->rport = port;
        }
    }
    return 0;
}

static msc_sip_transport transport_of(msc_str t)
{
    static const char *const names[] = { "UDP", "TCP", "TLS", "SCTP", "WS", "WSS" };
    for (int i = 0; i < 6; i++)
        if (ieqz(t, names[i]))
            return (msc_sip_transport)(i + 1);
    return MSC_SIP_TP_OTHER;
}

static int via_one(cur *c, msc_sip_via *v)
{
    const char *start;
    int st;
    memset(v, 0, sizeof(*v));
    v->rport = -1;
    v->ttl = -1;
    c_sws(c);
    start = c->p;
    if (!c_token(c, &v->protocol) || !c_sep(c, '/') || !c_token(c, &v->version) ||
        !c_sep(c, '/') || !c_token(c, &v->transport) || !c_lws(c))
        return BAD;
    v->tp = transport_of(v->transport);
    if (!c_host(c, &v->host, &v->host_kind))
        return BAD;
    {
        cur t = *c;
        msc_str digits;
        if (c_sep(&t, ':')) {
            if (!c_run(&t, is_digit, &digits) || !port_ok(digits, &v->port))
                return BAD;
            *c = t;
        }
    }
    if ((st = hparams(c, &v->params, via_param, v)) != 0)
        return st;
    v->raw = span(start, c->p);
    return 0;
}

/* ---- WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization --------------- */
/* challenge / credentials = auth-scheme LWS auth-param *(COMMA auth-param),
 * auth-param = token EQUAL ( token / quoted-string ) */
int msc_sip_auth_parse(msc_str value, msc_sip_hdr which, msc_sip_auth *a)
{
    cur c;
    const char *start;
    seen sn;

    if (!a)
        return BAD;
    memset(a, 0, sizeof(*a));
    a->which = which;
    value = trim(value);
    a->raw = value;
    if (!value.p)
        return BAD;
    c = cur_of(value);
    sn.n = 0;
    if (!c_token(&c, &a->scheme) || !c_lws(&c))
        return BAD;
    start = c.p;
    for (;;) {
        msc_str name, val;
        int st;
        if (!c_token(&c, &name) || !c_sep(&c, '='))
            return BAD;
        if (c_peek(&c) == '"') {
            if (!c_quoted(&c, &val))
                return BAD;
        } else if (!c_token(&c, &val)) {
            return BAD;
        }
        if ((st = seen_add(&sn, name)) != 0)
            return st;
        if (c_end(&c))
            break;
        if (!c_sep(&c, ','))
            return BAD;
    }
    a->params = span(start, c.p);
    return 0;
}

int msc_sip_auth_param(const msc_sip_auth *a, const char *name, msc_str *value)
{
    cur c;
    if (!a || !name || !a->params.p)
        return 0;
    c = cur_of(a->params);
    while (!c_end(&c)) {
        msc_str n, v;
        c_sws(&c);
        if (!c_token(&c, &n) || !c_sep(&c, '='))
            return 0;
        if (c_peek(&c) == '"') {
            if (!c_quoted(&c, &v))
                return 0;
        } else if (!c_token(&c, &v)) {
            return 0;
        }
        if (ieqz(n, name)) {
            if (value)
                *value = v;
            return 1;
        }
        if (!c_end(&c) && !c_sep(&c, ','))
            return 0;
    }
    return 0;
}

/* ---- Reason (RFC 3326) ---------------------------------------------------------------------- */
static int reason_param(void *vctx, msc_str name, msc_str val)
{
    msc_sip_reason *r = vctx;
    if (ieqz(name, "cause")) {
        uint64_t v;
        if (!val.p || val.n > 6 || !dec(val, 999999, &v))
            return BAD;
        r->cause = (int)v;
    } else if (ieqz(name, "text")) {
        if (!val.p || val.p[0] != '"')
            return BAD;
        r->text = val;
    }
    return 0;
}

static int reason_one(cur *c, msc_sip_reason *r)
{
    const char *start;
    int st;
    memset(r, 0, sizeof(*r));
    r->cause = -1;
    c_sws(c);
    start = c->p;
    if (!c_token(c, &r->protocol))
        return BAD;
    if ((st = hparams(c, &r->params, reason_param, r)) != 0)
        return st;
    r->raw = span(start, c->p);
    return 0;
}

/* ---- Content-Type --------------------------------------------------------------------------- */
static int ctype_param(void *ctx, msc_str name, msc_str val)
{
    (void)ctx;
    (void)name;
    /* m-parameter = m-attribute EQUAL m-value; m-value = token / quoted-string */
    if (!val.p || val.p[0] == '[')
        return BAD;
    return 0;
}

/* ---- User-Agent / Server: server-val *(LWS server-val) -------------------------------------- */
static int comment_ok(cur *c)
{
    int depth = 0;
    while (c->p < c->e) {
        unsigned char ch = (unsigned char)*c->p++;
        if (ch == '(') {
            if (++depth > (int)MSC_SIP_MAX_COMMENT)
                return 0;
        } else if (ch == ')') {
            if (--depth == 0)
                return 1;
        } else if (ch == '\\') {
            if (c->p >= c->e || (unsigned char)*c->p >= 0x80)
                return 0;
            c->p++;
        }
    }
    return 0;
}

static int server_ok(msc_str v)
{
    cur c = cur_of(v);
    int n = 0;
    for (;;) {
        msc_str tk;
        c_sws(&c);
        if (c_end(&c))
            break;
        if (c_peek(&c) == '(') {
            if (!comment_ok(&c))
                return 0;
        } else {
            cur t;
            if (!c_token(&c, &tk))
                return 0;
            t = c;
            if (c_sep(&t, '/')) {
                if (!c_token(&t, &tk))
                    return 0;
                c = t;
            }
        }
        n++;
    }
    return n > 0;
}

/* ---- option tags, Allow --------------------------------------------------------------------- */
static int tags_parse(msc_str v, msc_sip_tags *t, int may_be_empty)
{
    cur c = cur_of(v);
    if (c_end(&c)) {
        if (!may_be_empty)
            return BAD;
        t->present = 1;
        return 0;
    }
    for (;;) {
        msc_str tk;
        if (!c_token(&c, &tk))
            return BAD;
        if (t->n >= MSC_SIP_MAX_TAGS)
            return BIG;
        t->v[t->n++] = tk;
        if (c_end(&c))
            break;
        if (!c_sep(&c, ','))
            return BAD;
    }
    t->present = 1;
    return 0;
}

/* ---- header table --------------------------------------------------------------------------- */
#define F_SINGLE 1u     /* at most one line */

typedef struct hdr_info {
    const char *name;
    char compact;
    unsigned flags;
    const char *bad, *dup, *missing;
} hdr_info;

static const hdr_info hdrs[MSC_SIP_H_COUNT] = {
    [MSC_SIP_H_OTHER] = { NULL, 0, 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_VIA] = { "Via", 'v', 0, "Bad Via", NULL, "Missing Via" },
    [MSC_SIP_H_FROM] = { "From", 'f', F_SINGLE, "Bad From", "Duplicate From", "Missing From" },
    [MSC_SIP_H_TO] = { "To", 't', F_SINGLE, "Bad To", "Duplicate To", "Missing To" },
    [MSC_SIP_H_CALL_ID] = { "Call-ID", 'i', F_SINGLE, "Bad Call-ID", "Duplicate Call-ID",
                            "Missing Call-ID" },
    [MSC_SIP_H_CSEQ] = { "CSeq", 0, F_SINGLE, "Bad CSeq", "Duplicate CSeq", "Missing CSeq" },
    [MSC_SIP_H_MAX_FORWARDS] = { "Max-Forwards", 0, F_SINGLE, "Bad Max-Forwards",
                                 "Duplicate Max-Forwards", "Missing Max-Forwards" },
    [MSC_SIP_H_CONTACT] = { "Contact", 'm', 0, "Bad Contact", NULL, NULL },
    [MSC_SIP_H_CONTENT_TYPE] = { "Content-Type", 'c', F_SINGLE, "Bad Content-Type",
                                 "Duplicate Content-Type", NULL },
    [MSC_SIP_H_CONTENT_LENGTH] = { "Content-Length", 'l', F_SINGLE, "Bad Content-Length",
                                   "Duplicate Content-Length", "Missing Content-Length" },
    [MSC_SIP_H_EXPIRES] = { "Expires", 0, F_SINGLE, "Bad Expires", "Duplicate Expires", NULL },
    [MSC_SIP_H_MIN_EXPIRES] = { "Min-Expires", 0, F_SINGLE, "Bad Min-Expires",
                                "Duplicate Min-Expires", NULL },
    [MSC_SIP_H_ROUTE] = { "Route", 0, 0, "Bad Route", NULL, NULL },
    [MSC_SIP_H_RECORD_ROUTE] = { "Record-Route", 0, 0, "Bad Record-Route", NULL, NULL },
    [MSC_SIP_H_WWW_AUTHENTICATE] = { "WWW-Authenticate", 0, 0, "Bad WWW-Authenticate", NULL, NULL },
    [MSC_SIP_H_PROXY_AUTHENTICATE] = { "Proxy-Authenticate", 0, 0, "Bad Proxy-Authenticate",
                                       NULL, NULL },
    [MSC_SIP_H_AUTHORIZATION] = { "Authorization", 0, 0, "Bad Authorization", NULL, NULL },
    [MSC_SIP_H_PROXY_AUTHORIZATION] = { "Proxy-Authorization", 0, 0, "Bad Proxy-Authorization",
                                        NULL, NULL },
    [MSC_SIP_H_REASON] = { "Reason", 0, 0, "Bad Reason", NULL, NULL },
    [MSC_SIP_H_SUPPORTED] = { "Supported", 'k', 0, "Bad Supported", NULL, NULL },
    [MSC_SIP_H_REQUIRE] = { "Require", 0, 0, "Bad Require", NULL, NULL },
    [MSC_SIP_H_PROXY_REQUIRE] = { "Proxy-Require", 0, 0, "Bad Proxy-Require", NULL, NULL },
    [MSC_SIP_H_UNSUPPORTED] = { "Unsupported", 0, 0, "Bad Unsupported", NULL, NULL },
    [MSC_SIP_H_ALLOW] = { "Allow", 0, 0, "Bad Allow", NULL, NULL },
    [MSC_SIP_H_USER_AGENT] = { "User-Agent", 0, F_SINGLE, "Bad User-Agent",
                               "Duplicate User-Agent", NULL },
    [MSC_SIP_H_SERVER] = { "Server", 0, F_SINGLE, "Bad Server", "Duplicate Server", NULL },
    [MSC_SIP_H_CONTENT_ENCODING] = { "Content-Encoding", 'e', 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_SUBJECT] = { "Subject", 's', 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_EVENT] = { "Event", 'o', 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_REFER_TO] = { "Refer-To", 'r', 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_REFERRED_BY] = { "Referred-By", 'b', 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_ALLOW_EVENTS] = { "Allow-Events", 'u', 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_SESSION_EXPIRES] = { "Session-Expires", 'x', 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_ACCEPT_CONTACT] = { "Accept-Contact", 'a', 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_REJECT_CONTACT] = { "Reject-Contact", 'j', 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_REQUEST_DISPOSITION] = { "Request-Disposition", 'd', 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_IDENTITY] = { "Identity", 'y', 0, "Bad Header", NULL, NULL },
    [MSC_SIP_H_IDENTITY_INFO] = { "Identity-Info", 'n', 0, "Bad Header", NULL, NULL },
};

msc_sip_hdr msc_sip_hdr_of(msc_str name)
{
    if (!name.p)
        return MSC_SIP_H_OTHER;
    for (int i = 1; i < MSC_SIP_H_COUNT; i++) {
        if (name.n == 1 && hdrs[i].compact && lower((unsigned char)name.p[0]) == hdrs[i].compact)
            return (msc_sip_hdr)i;
        if (ieqz(name, hdrs[i].name))
            return (msc_sip_hdr)i;
    }
    return MSC_SIP_H_OTHER;
}

const char *msc_sip_hdr_name(msc_sip_hdr h)
{
    return ((int)h > 0 && (int)h < MSC_SIP_H_COUNT) ? hdrs[h].name : NULL;
}

static const char *const method_names[MSC_SIP_METHOD_COUNT] = {
    NULL, "INVITE", "ACK", "CANCEL", "BYE", "REGISTER", "OPTIONS", "INFO", "MESSAGE",
};

msc_sip_method msc_sip_method_of(msc_str name)
{
    for (int i = 1; i < MSC_SIP_METHOD_COUNT; i++)
        if (seq(name, msc_cstr(method_names[i])))
            return (msc_sip_method)i;
    return MSC_SIP_OTHER_METHOD;
}

const char *msc_sip_method_name(msc_sip_method m)
{
    return ((int)m > 0 && (int)m < MSC_SIP_METHOD_COUNT) ? method_names[m] : NULL;
}

/* ---- the arena ------------------------------------------------------------------------------ */
static char *store_alloc(msc_sip_msg *m, size_t n)
{
    char *p;
    if (n > sizeof(m->store) - m->used)
        return NULL;
    p = m->store + m->used;
    m->used += n;
    return p;
}

static int store_copy(msc_sip_msg *m, msc_str s, msc_str *out)
{
    char *p = store_alloc(m, s.n);
    if (!p)
        return 0;
    if (s.n)
        memcpy(p, s.p, s.n);
    *out = msc_str_make(p, s.n);
    return 1;
}

static void msg_reset(msc_sip_msg *m)
{
    m->is_request = 0;
    m->method = MSC_SIP_OTHER_METHOD;
    m->method_name = EMPTY;
    memset(&m->ruri, 0, sizeof(m->ruri));
    m->ruri.ttl = -1;
    m->status = 0;
    m->reason = EMPTY;
    m->nheaders = 0;
    m->nvia = 0;
    m->has_from = m->has_to = 0;
    memset(&m->from, 0, sizeof(m->from));
    memset(&m->to, 0, sizeof(m->to));
    m->call_id = EMPTY;
    m->has_cseq = 0;
    m->cseq = 0;
    m->cseq_method = MSC_SIP_OTHER_METHOD;
    m->cseq_method_name = EMPTY;
    m->max_forwards = -1;
    m->contact_star = 0;
    m->ncontact = 0;
    m->has_content_type = 0;
    m->content_type = m->content_subtype = m->content_type_params = EMPTY;
    m->expires = m->min_expires = -1;
    m->nroute = m->nrecord_route = 0;
    m->nauth = 0;
    m->nreason = 0;
    memset(&m->supported, 0, sizeof(m->supported));
    memset(&m->require, 0, sizeof(m->require));
    memset(&m->proxy_require, 0, sizeof(m->proxy_require));
    memset(&m->unsupported, 0, sizeof(m->unsupported));
    memset(&m->allow, 0, sizeof(m->allow));
    m->user_agent = m->server = EMPTY;
    m->body = EMPTY;
    m->used = 0;
}

/* ---- typed header values -------------------------------------------------------------------- */
static int single_present(const msc_sip_msg *m, msc_sip_hdr id)
{
    switch (id) {
    case MSC_SIP_H_FROM: return m->has_from;
    case MSC_SIP_H_TO: return m->has_to;
    case MSC_SIP_H_CALL_ID: return m->call_id.n > 0;
    case MSC_SIP_H_CSEQ: return m->has_cseq;
    case MSC_SIP_H_MAX_FORWARDS: return m->max_forwards >= 0;
    case MSC_SIP_H_CONTENT_TYPE: return m->has_content_type;
    case MSC_SIP_H_EXPIRES: return m->expires >= 0;
    case MSC_SIP_H_MIN_EXPIRES: return m->min_expires >= 0;
    case MSC_SIP_H_USER_AGENT: return m->user_agent.n > 0;
    case MSC_SIP_H_SERVER: return m->server.n > 0;
    default: return 0;
    }
}

static msc_sip_tags *tags_of(msc_sip_msg *m, msc_sip_hdr id)
{
    switch (id) {
    case MSC_SIP_H_SUPPORTED: return &m->supported;
    case MSC_SIP_H_REQUIRE: return &m->require;
    case MSC_SIP_H_PROXY_REQUIRE: return &m->proxy_require;
    case MSC_SIP_H_UNSUPPORTED: return &m->unsupported;
    case MSC_SIP_H_ALLOW: return &m->allow;
    default: return NULL;
    }
}

/* A comma list of name-addr/addr-spec into arr (*n entries so far, at most max). */
static int addr_list(msc_str v, msc_sip_addr *arr, size_t *n, size_t max, enum addr_kind kind)
{
    cur c = cur_of(v);
    for (;;) {
        int st;
        if (*n >= max)
            return BIG;
        if ((st = addr_one(&c, &arr[*n], kind)) != 0)
            return st;
        (*n)++;
        if (c_end(&c))
            return 0;
        if (!c_sep(&c, ','))
            return BAD;
    }
}

static int delta_seconds(msc_str v, int64_t *out)
{
    uint64_t e;
    if (!dec(v, UINT32_MAX, &e))
        return BAD;
    *out = (int64_t)e;
    return 0;
}

/* Parse value (trimmed, in the arena) as header id into m.  On failure m's typed fields may hold
 * partial lists: the caller restores the counts. */
static int typed_parse(msc_sip_msg *m, msc_sip_hdr id, msc_str v)
{
    cur c = cur_of(v);
    int st;

    switch (id) {
    case MSC_SIP_H_VIA:
        for (;;) {
            if (m->nvia >= MSC_SIP_MAX_VIA)
                return BIG;
            if ((st = via_one(&c, &m->via[m->nvia])) != 0)
                return st;
            m->nvia++;
            if (c_end(&c))
                return 0;
            if (!c_sep(&c, ','))
                return BAD;
        }
    case MSC_SIP_H_FROM:
    case MSC_SIP_H_TO: {
        msc_sip_addr *a = id == MSC_SIP_H_FROM ? &m->from : &m->to;
        if ((st = addr_one(&c, a, ADDR_FROMTO)) != 0)
            return st;
        if (!c_end(&c))
            return BAD;
        if (id == MSC_SIP_H_FROM)
            m->has_from = 1;
        else
            m->has_to = 1;
        return 0;
    }
    case MSC_SIP_H_CALL_ID: {
        msc_str w;
        if (v.n > MSC_SIP_MAX_CALL_ID)
            return BIG;
        if (!c_run(&c, is_word, &w))
            return BAD;
        if (c_peek(&c) == '@') {
            c.p++;
            if (!c_run(&c, is_word, &w))
                return BAD;
        }
        if (!c_end(&c))
            return BAD;
        m->call_id = v;
        return 0;
    }
    case MSC_SIP_H_CSEQ: {
        msc_str digits, meth;
        uint64_t n;
        if (!c_run(&c, is_digit, &digits) || !dec(digits, UINT32_MAX, &n) || n > 0x7FFFFFFFu ||
            !c_lws(&c) || !c_token(&c, &meth) || !c_end(&c))
            return BAD;
        m->cseq = (uint32_t)n;
        m->cseq_method_name = meth;
        m->cseq_method = msc_sip_method_of(meth);
        m->has_cseq = 1;
        return 0;
    }
    case MSC_SIP_H_MAX_FORWARDS: {
        uint64_t n;
        if (!dec(v, 1000, &n) || n > 255)
            return BAD;
        m->max_forwards = (int)n;
        return 0;
    }
    case MSC_SIP_H_EXPIRES:
        return delta_seconds(v, &m->expires);
    case MSC_SIP_H_MIN_EXPIRES:
        return delta_seconds(v, &m->min_expires);
    case MSC_SIP_H_CONTACT:
        if (v.n == 1 && v.p[0] == '*') {
            if (m->ncontact || m->contact_star)
                return BAD;
            m->contact_star = 1;
            return 0;
        }
        if (m->contact_star)
            return BAD;
        return addr_list(v, m->contact, &m->ncontact, MSC_SIP_MAX_CONTACT, ADDR_CONTACT);
    case MSC_SIP_H_ROUTE:
        return addr_list(v, m->route, &m->nroute, MSC_SIP_MAX_ROUTE, ADDR_ROUTE);
    case MSC_SIP_H_RECORD_ROUTE:
        return addr_list(v, m->record_route, &m->nrecord_route, MSC_SIP_MAX_ROUTE, ADDR_ROUTE);
    case MSC_SIP_H_CONTENT_TYPE: {
        msc_str type, sub, params;
        if (!c_token(&c, &type) || !c_sep(&c, '/') || !c_token(&c, &sub))
            return BAD;
        if ((st = hparams(&c, &params, ctype_param, NULL)) != 0)
            return st;
        if (!c_end(&c))
            return BAD;
        m->content_type = type;
        m->content_subtype = sub;
        m->content_type_params = params;
        m->has_content_type = 1;
        return 0;
    }
    case MSC_SIP_H_WWW_AUTHENTICATE:
    case MSC_SIP_H_PROXY_AUTHENTICATE:
    case MSC_SIP_H_AUTHORIZATION:
    case MSC_SIP_H_PROXY_AUTHORIZATION:
        if (m->nauth >= MSC_SIP_MAX_AUTH)
            return BIG;
        if ((st = msc_sip_auth_parse(v, id, &m->auth[m->nauth])) != 0)
            return st;
        m->nauth++;
        return 0;
    case MSC_SIP_H_REASON:
        for (;;) {
            if (m->nreason >= MSC_SIP_MAX_REASON)
                return BIG;
            if ((st = reason_one(&c, &m->reasons[m->nreason])) != 0)
                return st;
            m->nreason++;
            if (c_end(&c))
                return 0;
            if (!c_sep(&c, ','))
                return BAD;
        }
    case MSC_SIP_H_SUPPORTED:
    case MSC_SIP_H_ALLOW:
        return tags_parse(v, tags_of(m, id), 1);
    case MSC_SIP_H_REQUIRE:
    case MSC_SIP_H_PROXY_REQUIRE:
    case MSC_SIP_H_UNSUPPORTED:
        return tags_parse(v, tags_of(m, id), 0);
    case MSC_SIP_H_USER_AGENT:
    case MSC_SIP_H_SERVER:
        if (!server_ok(v))
            return BAD;
        if (id == MSC_SIP_H_USER_AGENT)
            m->user_agent = v;
        else
            m->server = v;
        return 0;
    default:
        return 0;                           /* opaque: text was checked by the caller */
    }
}

/* Append one header line.  value is trimmed, text-checked and already in m's arena; name is
 * stored as given (the caller copies OTHER names into the arena).  On failure nothing of m
 * changes except the arena tail, which the caller gives back. */
static int add_entry(msc_sip_msg *m, msc_sip_hdr id, msc_str name, msc_str value,
                     const char **why)
{
    size_t nvia = m->nvia, ncontact = m->ncontact, nroute = m->nroute;
    size_t nrr = m->nrecord_route, nauth = m->nauth, nreason = m->nreason;
    msc_sip_tags *tags = tags_of(m, id);
    msc_sip_tags tags_saved;
    int star = m->contact_star, st;

    *why = hdrs[id].bad;
    if (id == MSC_SIP_H_CONTENT_LENGTH)
        return BAD;                         /* the serializer writes it; the parser keeps it */
    if ((hdrs[id].flags & F_SINGLE) && single_present(m, id)) {
        *why = hdrs[id].dup;
        return BAD;
    }
    if (m->nheaders >= MSC_SIP_MAX_HEADERS) {
        *why = "Too Many Headers";
        return BIG;
    }
    if (tags)
        tags_saved = *tags;
    st = typed_parse(m, id, value);
    if (st) {
        m->nvia = nvia;
        m->ncontact = ncontact;
        m->nroute = nroute;
        m->nrecord_route = nrr;
        m->nauth = nauth;
        m->nreason = nreason;
        m->contact_star = star;
        if (tags)
            *tags = tags_saved;
        if (st == BIG)
            *why = "Message Too Large";
        return st;
    }
    m->headers[m->nheaders].id = id;
    m->headers[m->nheaders].name = name;
    m->headers[m->nheaders].value = value;
    m->nheaders++;
    *why = NULL;
    return 0;
}

/* name: a token of at most MSC_SIP_MAX_NAME bytes. */
static int name_ok(msc_str name)
{
    return name.n <= MSC_SIP_MAX_NAME && all_of(name, is_token);
}

static msc_str canonical_name(msc_sip_hdr id, msc_str given)
{
    return id == MSC_SIP_H_OTHER ? given : msc_cstr(hdrs[id].name);
}

int msc_sip_add(msc_sip_msg *m, msc_str name, msc_str value)
{
    size_t used;
    msc_sip_hdr id;
    msc_str v, nm;
    const char *why;
    int st;

    if (!m || !name.p || (value.n && !value.p))
        return BAD;
    if (!name_ok(name))
        return name.n > MSC_SIP_MAX_NAME ? BIG : BAD;
    id = msc_sip_hdr_of(name);
    value = value.p ? trim(value) : EMPTY;
    if (!text_ok(value.p, value.n))
        return BAD;
    if (value.n > MSC_SIP_MAX_LINE)
        return BIG;
    used = m->used;
    if (!store_copy(m, value, &v))
        return BIG;
    nm = canonical_name(id, name);
    if (id == MSC_SIP_H_OTHER && !store_copy(m, name, &nm)) {
        m->used = used;
        return BIG;
    }
    st = add_entry(m, id, nm, v, &why);
    if (st)
        m->used = used;
    return st;
}

int msc_sip_add_z(msc_sip_msg *m, const char *name, const char *value)
{
    if (!name || !value)
        return BAD;
    return msc_sip_add(m, msc_cstr(name), msc_cstr(value));
}

/* ---- start lines ---------------------------------------------------------------------------- */
/* "SIP/" 1*DIGIT "." 1*DIGIT ("SIP" case-insensitive).  1 when it has that form. */
static int version_form(msc_str v)
{
    size_t i = 4, d;
    if (v.n < 7 || !ieq(msc_str_make(v.p, 4), msc_cstr("SIP/")))
        return 0;
    for (d = 0; i < v.n && is_digit((unsigned char)v.p[i]); i++)
        d++;
    if (!d || i >= v.n || v.p[i] != '.')
        return 0;
    for (d = 0, i++; i < v.n && is_digit((unsigned char)v.p[i]); i++)
        d++;
    return d && i == v.n;
}

static int version_is_20(msc_str v)
{
    return v.n == 7 && !memcmp(v.p + 4, "2.0", 3);
}

static int reason_text_ok(msc_str r)
{
    /* Reason-Phrase is any text here (see docs/sip.md: the one lenient rule) */
    return r.n <= MSC_SIP_MAX_LINE && text_ok(r.p, r.n);
}

/* The Request-URI of a request: a SIP or SIPS URI. */
static int set_ruri(msc_sip_msg *m, msc_str uri, const char **why)
{
    msc_str u;
    int st;
    if (uri.n > MSC_SIP_MAX_URI) {
        *why = "Request-URI Too Long";
        return 414;
    }
    if (!store_copy(m, uri, &u)) {
        *why = "Message Too Large";
        return BIG;
    }
    st = msc_sip_uri_parse(u, &m->ruri);
    if (!st && m->ruri.scheme == MSC_SIP_SCHEME_OTHER) {
        *why = "Unsupported URI Scheme";
        st = 416;
    } else if (st) {
        *why = st == BIG ? "Message Too Large" : "Bad Request-URI";
    }
    if (st) {
        memset(&m->ruri, 0, sizeof(m->ruri));   /* nothing half-parsed can be serialized */
        m->ruri.ttl = -1;
    }
    return st;
}

int msc_sip_init_request(msc_sip_msg *m, msc_str method, msc_str uri)
{
    const char *why;
    msc_str mn;
    if (!m)
        return BAD;
    msg_reset(m);
    m->is_request = 1;
    if (!method.p || method.n > MSC_SIP_MAX_NAME || !all_of(method, is_token) || !uri.p)
        return BAD;
    if (!store_copy(m, method, &mn))
        return BIG;
    m->method_name = mn;
    m->method = msc_sip_method_of(mn);
    return set_ruri(m, uri, &why);
}

int msc_sip_init_response(msc_sip_msg *m, int status, msc_str reason)
{
    msc_str r;
    if (!m)
        return BAD;
    msg_reset(m);
    if (status < 100 || status > 699)
        return BAD;
    if (!reason.p || reason.n == 0)
        reason = msc_cstr(msc_sip_reason_phrase(status));
    if (!reason_text_ok(reason))
        return BAD;
    if (!store_copy(m, reason, &r))
        return BIG;
    m->status = status;
    m->reason = r;
    return 0;
}

int msc_sip_set_body(msc_sip_msg *m, msc_str body)
{
    msc_str b;
    if (!m || (body.n && !body.p))
        return BAD;
    if (body.n > MSC_SIP_MAX_BODY)
        return 413;
    if (!store_copy(m, body, &b))
        return BIG;
    m->body = b;
    return 0;
}

/* ---- parsing -------------------------------------------------------------------------------- */
/* The line at pos: 1 and *eol (index of its CR) when it ends in CRLF; 0 when the buffer ends
 * first; -1 on a bare CR or LF. */
static int line_end(const char *b, size_t len, size_t pos, size_t *eol)
{
    for (size_t i = pos; i < len; i++) {
        if (b[i] == '\n')
            return -1;
        if (b[i] == '\r') {
            if (i + 1 >= len)
                return 0;
            if (b[i + 1] != '\n')
                return -1;
            *eol = i;
            return 1;
        }
    }
    return 0;
}

typedef struct perr {
    int status;
    const char *reason;
    int drop;           /* set for errors that leave nothing to answer */
} perr;

static void fail(perr *e, int status, const char *reason)
{
    if (!e->status) {
        e->status = status;
        e->reason = reason;
    }
}

/* Request-Line = Method SP Request-URI SP SIP-Version; Status-Line = SIP-Version SP
 * Status-Code SP Reason-Phrase.  Errors of a request are answerable; a start line that is
 * neither is dropped. */
static void start_line(msc_sip_msg *m, msc_str line, perr *e)
{
    const char *why = NULL;
    int st;

    if (line.n >= 4 && ieq(msc_str_make(line.p, 4), msc_cstr("SIP/"))) {
        const char *sp1 = memchr(line.p, ' ', line.n);
        msc_str ver, code, reason;
        uint64_t v;
        m->is_request = 0;
        e->drop = 1;                        /* a response is never answered */
        if (!sp1 || line.n - (size_t)(sp1 - line.p) < 5 || sp1[4] != ' ') {
            fail(e, BAD, "Bad Status Line");
            return;
        }
        ver = span(line.p, sp1);
        code = msc_str_make(sp1 + 1, 3);
        reason = msc_str_make(sp1 + 5, line.n - (size_t)(sp1 - line.p) - 5);
        if (!version_form(ver) || !version_is_20(ver)) {
            fail(e, version_form(ver) ? 505 : BAD, "Bad Status Line");
            return;
        }
        if (!dec(code, 999, &v) || v < 100 || v > 699 || !reason_text_ok(reason)) {
            fail(e, BAD, "Bad Status Line");
            return;
        }
        m->status = (int)v;
        if (!store_copy(m, reason, &m->reason))
            fail(e, BIG, "Message Too Large");
        e->drop = 0;                        /* reset: the caller decides for responses */
        return;
    }

    /* a request: Method SP ... SP SIP-Version */
    {
        const char *sp1 = memchr(line.p, ' ', line.n);
        const char *sp2 = NULL;
        msc_str method, uri, ver;
        m->is_request = 1;
        if (!sp1 || sp1 == line.p || !all_of(span(line.p, sp1), is_token)) {
            e->drop = 1;                    /* not even a request */
            fail(e, BAD, "Bad Request Line");
            return;
        }
        method = span(line.p, sp1);
        if (method.n > MSC_SIP_MAX_NAME || !store_copy(m, method, &m->method_name)) {
            e->drop = 1;
            fail(e, BAD, "Bad Request Line");
            return;
        }
        m->method = msc_sip_method_of(m->method_name);
        for (const char *q = line.p + line.n; q > sp1 + 1; q--)
            if (q[-1] == ' ') {
                sp2 = q - 1;
                break;
            }
        if (!sp2 || sp2 == sp1 + 1) {
            fail(e, BAD, "Bad Request Line");
            return;
        }
        uri = span(sp1 + 1, sp2);
        ver = span(sp2 + 1, line.p + line.n);
        if (!version_form(ver)) {
            fail(e, BAD, "Bad Request Line");
            return;
        }
        if (!version_is_20(ver)) {
            fail(e, 505, "Version Not Supported");
            return;
        }
        if (memchr(uri.p, ' ', uri.n) || memchr(uri.p, '\t', uri.n)) {
            fail(e, BAD, "Bad Request-URI");
            return;
        }
        st = set_ruri(m, uri, &why);
        if (st)
            fail(e, st, why);
        else if (line.n > MSC_SIP_MAX_LINE)
            fail(e, BIG, "Message Too Large");
    }
}

/* Content-Length's value (already unfolded and trimmed). */
static int content_length(msc_str v, uint64_t *out, perr *e)
{
    if (!dec(v, (uint64_t)MSC_SIP_MAX_MSG * 16, out)) {
        fail(e, BAD, "Bad Content-Length");
        return 0;
    }
    if (*out > MSC_SIP_MAX_BODY) {
        fail(e, 413, "Request Entity Too Large");
        return 0;
    }
    return 1;
}

/* The size msc_sip_serialize would give m (with a body of body_n bytes). */
static size_t canonical_size(const msc_sip_msg *m, size_t body_n)
{
    size_t n, k = 0, b = body_n;
    if (m->is_request)
        n = m->method_name.n + 1 + m->ruri.raw.n + 1 + 7 + 2;
    else
        n = 7 + 1 + 3 + 1 + m->reason.n + 2;
    for (size_t i = 0; i < m->nheaders; i++)
        n += m->headers[i].name.n + 1 + (m->headers[i].value.n ? 1 : 0) + m->headers[i].value.n + 2;
    do {
        k++;
        b /= 10;
    } while (b);
    n += strlen("Content-Length: ") + k + 2 + 2 + body_n;
    return n;
}

static int can_answer(const msc_sip_msg *m)
{
    return m->is_request && m->method != MSC_SIP_ACK && m->nvia > 0 && m->has_from &&
           m->has_to && m->call_id.n > 0 && m->has_cseq;
}

int msc_sip_parse(const char *buf, size_t len, int mode, msc_sip_msg *out, msc_sip_error *err)
{
    perr e = { 0, NULL, 0 };
    size_t pos = 0, eol = 0, limit;
    int r, via_lost = 0, have_cl = 0, body_ok = 1;
    uint64_t cl = 0;
    msc_sip_error dummy;

    if (!err)
        err = &dummy;
    err->status = BAD;
    err->reason = "Bad Request";
    err->drop = 1;
    if (!out)
        return BAD;
    msg_reset(out);
    if (!buf)
        return BAD;

    while (len - pos >= 2 && buf[pos] == '\r' && buf[pos + 1] == '\n')
        pos += 2;
    if (pos == len) {
        err->reason = "Empty Message";
        return BAD;
    }
    limit = len;
    if (len - pos > MSC_SIP_MAX_MSG) {
        fail(&e, BIG, "Message Too Large");
        limit = pos + MSC_SIP_MAX_MSG;      /* look for the headers only there */
        body_ok = 0;
    }

    /* start line */
    r = line_end(buf, limit, pos, &eol);
    if (r <= 0 || !text_ok(buf + pos, eol - pos)) {
        err->reason = r < 0 ? "Bad Line Ending" : r == 0 ? "Truncated Message" : "Bad Character";
        return BAD;
    }
    start_line(out, msc_str_make(buf + pos, eol - pos), &e);
    if (e.drop)
        goto done_drop;
    pos = eol + 2;

    /* header lines, each with its continuation lines */
    for (;;) {
        size_t ls = pos, le, colon, ns, ne, used;
        msc_str name, value;
        msc_sip_hdr id;
        char *dst;
        size_t vlen = 0;
        int bad_text = 0, too_long = 0;

        r = line_end(buf, limit, pos, &eol);
        if (r <= 0) {
            fail(&e, BAD, r < 0 ? "Bad Line Ending" : "Truncated Message");
            goto done_drop;
        }
        if (eol == ls) {                    /* the empty line */
            pos = eol + 2;
            break;
        }
        le = eol;
        pos = eol + 2;
        if (is_ws((unsigned char)buf[ls])) {
            fail(&e, BAD, "Bad Header Line");   /* a continuation with no header */
            continue;
        }
        if (!text_ok(buf + ls, le - ls))
            bad_text = 1;

        /* name: token, then *(SP/HTAB) ":" on the first line */
        ns = ls;
        ne = ls;
        while (ne < le && is_token((unsigned char)buf[ne]))
            ne++;
        colon = ne;
        while (colon < le && is_ws((unsigned char)buf[colon]))
            colon++;

        /* the value, unfolded into the arena: each CRLF + whitespace becomes one SP */
        used = out->used;
        dst = out->store + out->used;
        {
            size_t room = sizeof(out->store) - out->used;
            size_t s = colon < le ? colon + 1 : le;
            while (s < le && is_ws((unsigned char)buf[s]))
                s++;
            for (;;) {
                size_t n = le - s;
                if (vlen + n > room || vlen + n > MSC_SIP_MAX_LINE + 256)
                    too_long = 1;
                else {
                    memcpy(dst + vlen, buf + s, n);
                    vlen += n;
                }
                if (pos >= limit || !is_ws((unsigned char)buf[pos]))
                    break;
                /* a continuation line */
                r = line_end(buf, limit, pos, &eol);
                if (r <= 0) {
                    fail(&e, BAD, r < 0 ? "Bad Line Ending" : "Truncated Message");
                    goto done_drop;
                }
                if (!text_ok(buf + pos, eol - pos))
                    bad_text = 1;
                s = pos;
                while (s < eol && is_ws((unsigned char)buf[s]))
                    s++;
                le = eol;
                pos = eol + 2;
                if (!too_long && vlen < room && vlen <= MSC_SIP_MAX_LINE + 256)
                    dst[vlen++] = ' ';
                else
                    too_long = 1;
            }
        }
        if (bad_text) {
            fail(&e, BAD, "Bad Character");
            if (ne > ns && msc_sip_hdr_of(msc_str_make(buf + ns, ne - ns)) == MSC_SIP_H_VIA)
                via_lost = 1;
            continue;
        }
        if (colon >= le || buf[colon] != ':' || ne == ns) {
            fail(&e, BAD, memchr(buf + ls, ':', le - ls) && ne > ns ? "Bad Header Name"
                                                                    : "Bad Header Line");
            continue;
        }
        name = msc_str_make(buf + ns, ne - ns);
        id = msc_sip_hdr_of(name);
        value = trim(msc_str_make(dst, vlen));
        if (too_long || value.n > MSC_SIP_MAX_LINE || name.n > MSC_SIP_MAX_NAME) {
            fail(&e, BIG, "Header Too Long");
            if (id == MSC_SIP_H_VIA)
                via_lost = 1;
            continue;
        }
        if (id == MSC_SIP_H_CONTENT_LENGTH) {
            if (have_cl++)
                fail(&e, BAD, "Duplicate Content-Length");
            else if (!content_length(value, &cl, &e))
                body_ok = 0;
            continue;
        }
        out->used = used + vlen;            /* keep the value */
        {
            msc_str nm = canonical_name(id, name);
            const char *why;
            int st;
            if (id == MSC_SIP_H_OTHER && !store_copy(out, name, &nm))
                st = BIG, why = "Message Too Large";
            else
                st = add_entry(out, id, nm, value, &why);
            if (st) {
                out->used = used;
                fail(&e, st, why);
                if (id == MSC_SIP_H_VIA)
                    via_lost = 1;
            }
        }
    }

    /* the body */
    if (body_ok) {
        size_t avail = len - pos;
        size_t blen = avail;
        if (mode == MSC_SIP_STREAM && !have_cl) {
            fail(&e, BAD, "Missing Content-Length");
            blen = 0;
        } else if (have_cl) {
            if (cl > avail) {
                fail(&e, BAD, "Body Shorter Than Content-Length");
                blen = 0;
            } else {
                blen = (size_t)cl;
                if (mode == MSC_SIP_STREAM && blen != avail)
                    fail(&e, BAD, "Bytes After Body");
            }
        } else if (blen > MSC_SIP_MAX_BODY) {
            fail(&e, 413, "Request Entity Too Large");
            blen = 0;
        }
        if (!e.status) {
            if (!store_copy(out, msc_str_make(buf + pos, blen), &out->body))
                fail(&e, BIG, "Message Too Large");
        }
    }

    if (!e.status) {
        msc_sip_error ce;
        if (msc_sip_check(out, &ce))
            fail(&e, ce.status, ce.reason);
    }
    if (!e.status && canonical_size(out, out->body.n) > MSC_SIP_MAX_MSG)
        fail(&e, BIG, "Message Too Large");
    if (!e.status) {
        err->status = 0;
        err->reason = NULL;
        err->drop = 0;
        return 0;
    }
    if (e.status != BAD && e.status != 413 && e.status != 414 && e.status != 416 &&
        e.status != 505 && e.status != BIG)
        e.status = BAD;
    err->status = e.status;
    err->reason = e.reason;
    err->drop = via_lost || !can_answer(out);
    return err->status;

done_drop:
    err->status = e.status ? e.status : BAD;
    err->reason = e.reason ? e.reason : "Bad Request";
    err->drop = 1;
    return err->status;
}

int msc_sip_check(const msc_sip_msg *m, msc_sip_error *err)
{
    msc_sip_error dummy;
    static const msc_sip_hdr need[] = { MSC_SIP_H_VIA, MSC_SIP_H_FROM, MSC_SIP_H_TO,
                                        MSC_SIP_H_CALL_ID, MSC_SIP_H_CSEQ, MSC_SIP_H_MAX_FORWARDS };
    if (!err)
        err = &dummy;
    err->status = BAD;
    err->drop = 1;
    err->reason = "Bad Request";
    if (!m)
        return BAD;
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        int have;
        switch (need[i]) {
        case MSC_SIP_H_VIA: have = m->nvia > 0; break;
        case MSC_SIP_H_MAX_FORWARDS: have = !m->is_request || m->max_forwards >= 0; break;
        default: have = single_present(m, need[i]); break;
        }
        if (!have) {
            err->reason = hdrs[need[i]].missing;
            err->drop = !can_answer(m);
            return BAD;
        }
    }
    if (m->is_request) {
        if (!m->method_name.n || !m->ruri.raw.n) {
            err->reason = "Bad Request Line";
            return BAD;
        }
        if (!seq(m->cseq_method_name, m->method_name)) {
            err->reason = "CSeq Method Mismatch";
            err->drop = !can_answer(m);
            return BAD;
        }
    } else if (m->status < 100 || m->status > 699) {
        err->reason = "Bad Status Line";
        return BAD;
    }
    err->status = 0;
    err->reason = NULL;
    err->drop = 0;
    return 0;
}

/* ---- serializing ---------------------------------------------------------------------------- */
size_t msc_sip_serialize(const msc_sip_msg *m, char *buf, size_t cap)
{
    msc_writer w;
    if (!m || !buf || msc_sip_check(m, NULL) != 0)
        return 0;
    w = msc_writer_make(buf, cap);
    if (m->is_request) {
        msc_put_s(&w, m->method_name);
        msc_put(&w, " ", 1);
        msc_put_s(&w, m->ruri.raw);
        msc_put_z(&w, " SIP/2.0\r\n");
    } else {
        msc_put_z(&w, "SIP/2.0 ");
        msc_put_uint(&w, (uint64_t)m->status);
        msc_put(&w, " ", 1);
        msc_put_s(&w, m->reason);
        msc_put(&w, "\r\n", 2);
    }
    for (size_t i = 0; i < m->nheaders; i++) {
        const msc_sip_header *h = &m->headers[i];
        msc_put_s(&w, h->name);
        msc_put(&w, h->value.n ? ": " : ":", h->value.n ? 2 : 1);
        msc_put_s(&w, h->value);
        msc_put(&w, "\r\n", 2);
    }
    msc_put_z(&w, "Content-Length: ");
    msc_put_uint(&w, m->body.n);
    msc_put_z(&w, "\r\n\r\n");
    msc_put_s(&w, m->body);
    if (!w.ok || w.len > MSC_SIP_MAX_MSG)
        return 0;
    return w.len;
}

int msc_sip_msg_same(const msc_sip_msg *a, const msc_sip_msg *b)
{
    if (!a || !b || a->is_request != b->is_request || a->nheaders != b->nheaders ||
        !seq(a->body, b->body))
        return 0;
    if (a->is_request) {
        if (!seq(a->method_name, b->method_name) || !seq(a->ruri.raw, b->ruri.raw))
            return 0;
    } else if (a->status != b->status || !seq(a->reason, b->reason)) {
        return 0;
    }
    for (size_t i = 0; i < a->nheaders; i++) {
        const msc_sip_header *x = &a->headers[i], *y = &b->headers[i];
        if (x->id != y->id || !ieq(x->name, y->name) || !seq(x->value, y->value))
            return 0;
    }
    return 1;
}

/* ---- TCP framing ---------------------------------------------------------------------------- */
msc_sip_frame_result msc_sip_frame(const char *buf, size_t len, size_t *skip, size_t *msg_len)
{
    size_t i = 0, start, hend = 0, end, pos;
    uint64_t cl = 0;
    int have_cl = 0;

    if (skip)
        *skip = 0;
    if (msg_len)
        *msg_len = 0;
    if (!buf || !skip || !msg_len)
        return MSC_SIP_FRAME_BROKEN;
    while (len - i >= 2 && buf[i] == '\r' && buf[i + 1] == '\n')
        i += 2;
    *skip = i;
    if (i == len || (len - i == 1 && buf[i] == '\r'))
        return MSC_SIP_FRAME_MORE;
    start = i;
    end = len - start > MSC_SIP_MAX_MSG ? start + MSC_SIP_MAX_MSG : len;
    for (size_t k = start; k + 3 < end; k++)
        if (buf[k] == '\r' && buf[k + 1] == '\n' && buf[k + 2] == '\r' && buf[k + 3] == '\n') {
            hend = k + 4;
            break;
        }
    if (!hend)
        return len - start >= MSC_SIP_MAX_MSG ? MSC_SIP_FRAME_BROKEN : MSC_SIP_FRAME_MORE;

    /* find Content-Length / l among the header lines (skip the start line) */
    pos = start;
    while (pos < hend && !(buf[pos] == '\r' && buf[pos + 1] == '\n'))
        pos++;
    pos += 2;
    while (pos + 2 < hend) {
        size_t ls = pos, ne = pos, k;
        while (pos < hend && !(buf[pos] == '\r' && buf[pos + 1] == '\n'))
            pos++;
        /* [ls, pos) is one physical line */
        while (ne < pos && is_token((unsigned char)buf[ne]))
            ne++;
        k = ne;
        while (k < pos && is_ws((unsigned char)buf[k]))
            k++;
        if (!is_ws((unsigned char)buf[ls]) && k < pos && buf[k] == ':' &&
            msc_sip_hdr_of(msc_str_make(buf + ls, ne - ls)) == MSC_SIP_H_CONTENT_LENGTH) {
            /* the value, over continuation lines: whitespace, digits, whitespace */
            uint64_t v = 0;
            int digits = 0, after = 0;
            k++;
            for (;;) {
                for (; k < pos; k++) {
                    unsigned char ch = (unsigned char)buf[k];
                    if (is_digit(ch)) {
                        if (after)
                            return MSC_SIP_FRAME_BROKEN;
                        v = v * 10 + (uint64_t)(ch - '0');
                        if (v > MSC_SIP_MAX_BODY)
                            return MSC_SIP_FRAME_BROKEN;
                        digits++;
                    } else if (is_ws(ch)) {
                        if (digits)
                            after = 1;
                    } else {
                        return MSC_SIP_FRAME_BROKEN;
                    }
                }
                if (pos + 2 < hend && is_ws((unsigned char)buf[pos + 2])) {
                    if (digits)
                        after = 1;
                    k = pos + 2;
                    pos = k;
                    while (pos < hend && !(buf[pos] == '\r' && buf[pos + 1] == '\n'))
                        pos++;
                    continue;
                }
                break;
            }
            if (!digits || have_cl++)
                return MSC_SIP_FRAME_BROKEN;
            cl = v;
        }
        pos += 2;
    }
    if (hend - start + cl > MSC_SIP_MAX_MSG)
        return MSC_SIP_FRAME_BROKEN;
    if (len - hend < cl)
        return MSC_SIP_FRAME_MORE;
    *msg_len = hend - start + (size_t)cl;
    return MSC_SIP_FRAME_OK;
}

/* ---- params, quoting, escapes --------------------------------------------------------------- */
int msc_sip_param_next(msc_str *it, msc_str *name, msc_str *value)
{
    cur c;
    msc_str n, v = msc_str_make(NULL, 0);
    if (!it || !it->p)
        return 0;
    c = cur_of(*it);
    c_sws(&c);
    if (c_peek(&c) != ';')
        return 0;
    c.p++;
    c_sws(&c);
    {
        const char *s = c.p;
        while (c.p < c.e && !in_set(*c.p, ";=?,>\" \t"))
            c.p++;
        n = span(s, c.p);
    }
    if (!n.n)
        return 0;
    {
        cur t = c;
        if (c_sep(&t, '=')) {
            if (c_peek(&t) == '"') {
                if (!c_quoted(&t, &v))
                    return 0;
            } else {
                const char *s = t.p;
                while (t.p < t.e && !in_set(*t.p, ";?,>\" \t"))
                    t.p++;
                v = span(s, t.p);
                if (!v.n)
                    return 0;
            }
            c = t;
        }
    }
    if (name)
        *name = n;
    if (value)
        *value = v;
    *it = span(c.p, c.e);
    return 1;
}

int msc_sip_param_find(msc_str params, const char *name, msc_str *value)
{
    msc_str it = params, n, v;
    if (!name)
        return 0;
    while (msc_sip_param_next(&it, &n, &v))
        if (ieqz(n, name)) {
            if (value)
                *value = v;
            return 1;
        }
    return 0;
}

int msc_sip_unquote(msc_str s, char *buf, size_t cap, size_t *out_n)
{
    size_t n = 0, i = 0, end = s.n;
    if (!out_n || (s.n && !s.p) || (cap && !buf))
        return 0;
    if (s.n && s.p[0] == '"') {
        if (s.n < 2 || s.p[s.n - 1] != '"')
            return 0;
        i = 1;
        end = s.n - 1;
    }
    for (; i < end; i++) {
        char ch = s.p[i];
        if (ch == '\\' && s.p[0] == '"') {
            if (i + 1 >= end)
                return 0;
            ch = s.p[++i];
        } else if (ch == '"' && s.p[0] == '"') {
            return 0;
        }
        if (n >= cap)
            return 0;
        buf[n++] = ch;
    }
    *out_n = n;
    return 1;
}

int msc_sip_unescape(msc_str s, char *buf, size_t cap, size_t *out_n)
{
    size_t n = 0;
    if (!out_n || (s.n && !s.p) || (cap && !buf))
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        int c = (unsigned char)s.p[i];
        if (c == '%') {
            int hi, lo;
            if (s.n - i < 3 || (hi = hex_val((unsigned char)s.p[i + 1])) < 0 ||
                (lo = hex_val((unsigned char)s.p[i + 2])) < 0)
                return 0;
            c = hi << 4 | lo;
            i += 2;
        }
        if (n >= cap)
            return 0;
        buf[n++] = (char)c;
    }
    *out_n = n;
    return 1;
}

/* ---- URI comparison (RFC 3261 §19.1.4) ------------------------------------------------------ */
/* The next character of escaped text as a comparable unit: an escaped character that is not
 * unreserved keeps a mark, so "%3B" differs from ";" but "%61" equals "a". */
static int esc_unit(msc_str s, size_t *i, int fold)
{
    int c = (unsigned char)s.p[*i];
    int escaped = 0;
    if (c == '%' && s.n - *i >= 3 && is_hex((unsigned char)s.p[*i + 1]) &&
        is_hex((unsigned char)s.p[*i + 2])) {
        c = hex_val((unsigned char)s.p[*i + 1]) << 4 | hex_val((unsigned char)s.p[*i + 2]);
        *i += 3;
        escaped = !is_unreserved(c);
    } else {
        (*i)++;
    }
    if (fold)
        c = lower(c);
    return escaped ? c | 0x100 : c;
}

static int esc_eq(msc_str a, msc_str b, int fold)
{
    size_t i = 0, j = 0;
    while (i < a.n && j < b.n)
        if (esc_unit(a, &i, fold) != esc_unit(b, &j, fold))
            return 0;
    return i == a.n && j == b.n;
}

static int host_eq(const msc_sip_uri *a, const msc_sip_uri *b)
{
    unsigned char x[16], y[16];
    if (a->host_kind != b->host_kind)
        return 0;
    if (a->host_kind == MSC_SIP_HOST_IPV4)
        return ipv4_parse(a->host.p, a->host.n, x) && ipv4_parse(b->host.p, b->host.n, y) &&
               !memcmp(x, y, 4);
    if (a->host_kind == MSC_SIP_HOST_IPV6)
        return ipv6_parse(a->host.p + 1, a->host.n - 2, x) &&
               ipv6_parse(b->host.p + 1, b->host.n - 2, y) && !memcmp(x, y, 16);
    {
        /* a trailing dot is not significant for comparison */
        msc_str ha = a->host, hb = b->host;
        if (ha.n && ha.p[ha.n - 1] == '.')
            ha.n--;
        if (hb.n && hb.p[hb.n - 1] == '.')
            hb.n--;
        return ieq(ha, hb);
    }
}

static int param_lookup(msc_str params, msc_str name, msc_str *value)
{
    msc_str it = params, n, v;
    while (msc_sip_param_next(&it, &n, &v))
        if (esc_eq(n, name, 1)) {
            *value = v;
            return 1;
        }
    return 0;
}

static int params_eq(msc_str pa, msc_str pb)
{
    static const char *const must[] = { "user", "ttl", "method", "maddr", "transport" };
    msc_str it = pa, n, va, vb;
    for (int k = 0; k < 5; k++) {
        msc_str nm = msc_cstr(must[k]);
        int ha = param_lookup(pa, nm, &va), hb = param_lookup(pb, nm, &vb);
        if (ha != hb)
            return 0;
    }
    while (msc_sip_param_next(&it, &n, &va)) {
        if (param_lookup(pb, n, &vb)) {
            msc_str x = va.p ? va : EMPTY, y = vb.p ? vb : EMPTY;
            if (!esc_eq(x, y, 1))
                return 0;
        }
    }
    return 1;
}

/* URI headers: hname=hvalue pairs joined by '&'.  Every one of a in b and the other way. */
static int next_uri_header(msc_str *it, msc_str *name, msc_str *value)
{
    const char *p, *e, *amp, *eq;
    if (!it->n || !it->p)
        return 0;
    p = it->p;
    e = it->p + it->n;
    amp = memchr(p, '&', (size_t)(e - p));
    if (!amp)
        amp = e;
    eq = memchr(p, '=', (size_t)(amp - p));
    if (!eq)
        return 0;
    *name = span(p, eq);
    *value = span(eq + 1, amp);
    *it = amp < e ? span(amp + 1, e) : span(e, e);
    return 1;
}

static int headers_in(msc_str ha, msc_str hb)
{
    msc_str it = ha, n, v;
    while (next_uri_header(&it, &n, &v)) {
        msc_str jt = hb, m, w;
        int found = 0;
        while (next_uri_header(&jt, &m, &w))
            if (esc_eq(n, m, 1) && esc_eq(v, w, 0)) {
                found = 1;
                break;
            }
        if (!found)
            return 0;
    }
    return 1;
}

int msc_sip_uri_equal(const msc_sip_uri *a, const msc_sip_uri *b)
{
    if (!a || !b || a->scheme == MSC_SIP_SCHEME_NONE || a->scheme != b->scheme)
        return 0;
    if (a->scheme == MSC_SIP_SCHEME_OTHER)
        return ieq(a->scheme_name, b->scheme_name) &&
               seq(msc_str_make(a->raw.p + a->scheme_name.n, a->raw.n - a->scheme_name.n),
                   msc_str_make(b->raw.p + b->scheme_name.n, b->raw.n - b->scheme_name.n));
    return esc_eq(a->user, b->user, 0) && a->has_password == b->has_password &&
           esc_eq(a->password, b->password, 0) && host_eq(a, b) && a->port == b->port &&
           params_eq(a->params, b->params) && params_eq(b->params, a->params) &&
           headers_in(a->headers, b->headers) && headers_in(b->headers, a->headers);
}

/* ---- helpers -------------------------------------------------------------------------------- */
const char *msc_sip_reason_phrase(int status)
{
    static const struct { int code; const char *text; } t[] = {
        { 100, "Trying" }, { 180, "Ringing" }, { 181, "Call Is Being Forwarded" },
        { 182, "Queued" }, { 183, "Session Progress" }, { 200, "OK" }, { 202, "Accepted" },
        { 300, "Multiple Choices" }, { 301, "Moved Permanently" },
        { 302, "Moved Temporarily" }, { 305, "Use Proxy" }, { 380, "Alternative Service" },
        { 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" },
        { 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
        { 406, "Not Acceptable" }, { 407, "Proxy Authentication Required" },
        { 408, "Request Timeout" }, { 410, "Gone" }, { 413, "Request Entity Too Large" },
        { 414, "Request-URI Too Long" }, { 415, "Unsupported Media Type" },
        { 416, "Unsupported URI Scheme" }, { 420, "Bad Extension" },
        { 421, "Extension Required" }, { 423, "Interval Too Brief" },
        { 480, "Temporarily Unavailable" }, { 481, "Call/Transaction Does Not Exist" },
        { 482, "Loop Detected" }, { 483, "Too Many Hops" }, { 484, "Address Incomplete" },
        { 485, "Ambiguous" }, { 486, "Busy Here" }, { 487, "Request Terminated" },
        { 488, "Not Acceptable Here" }, { 491, "Request Pending" }, { 493, "Undecipherable" },
        { 500, "Server Internal Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
        { 503, "Service Unavailable" }, { 504, "Server Time-out" },
        { 505, "Version Not Supported" }, { 513, "Message Too Large" },
        { 600, "Busy Everywhere" }, { 603, "Decline" }, { 604, "Does Not Exist Anywhere" },
        { 606, "Not Acceptable" },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].code == status)
            return t[i].text;
    return "Unknown";
}

static const msc_sip_header *find_header(const msc_sip_msg *m, msc_sip_hdr id)
{
    for (size_t i = 0; i < m->nheaders; i++)
        if (m->headers[i].id == id)
            return &m->headers[i];
    return NULL;
}

int msc_sip_make_response(msc_sip_msg *resp, const msc_sip_msg *req, int status, msc_str reason,
                          msc_str to_tag)
{
    const msc_sip_header *from, *to, *callid, *cseq;
    int st, need_tag;

    if (!resp || !req || resp == req || !req->is_request || !req->nvia || !req->has_from ||
        !req->has_to || !req->call_id.n || !req->has_cseq)
        return BAD;
    from = find_header(req, MSC_SIP_H_FROM);
    to = find_header(req, MSC_SIP_H_TO);
    callid = find_header(req, MSC_SIP_H_CALL_ID);
    cseq = find_header(req, MSC_SIP_H_CSEQ);
    if (!from || !to || !callid || !cseq)
        return BAD;
    need_tag = status != 100 && req->to.tag.n == 0;
    if (need_tag && (!to_tag.p || to_tag.n > 128 || !all_of(to_tag, is_token)))
        return BAD;
    if ((st = msc_sip_init_response(resp, status, reason)) != 0)
        return st;
    for (size_t i = 0; i < req->nheaders; i++)
        if (req->headers[i].id == MSC_SIP_H_VIA &&
            (st = msc_sip_add(resp, msc_cstr("Via"), req->headers[i].value)) != 0)
            return st;
    if (status > 100 && status < 300 && req->method == MSC_SIP_INVITE)
        for (size_t i = 0; i < req->nheaders; i++)
            if (req->headers[i].id == MSC_SIP_H_RECORD_ROUTE &&
                (st = msc_sip_add(resp, msc_cstr("Record-Route"), req->headers[i].value)) != 0)
                return st;
    if ((st = msc_sip_add(resp, msc_cstr("From"), from->value)) != 0)
        return st;
    if (need_tag) {
        char tmp[MSC_SIP_MAX_LINE + 256];
        size_t n = to->value.n;
        if (n + 5 + to_tag.n > sizeof(tmp))
            return BIG;
        memcpy(tmp, to->value.p, n);
        memcpy(tmp + n, ";tag=", 5);
        memcpy(tmp + n + 5, to_tag.p, to_tag.n);
        st = msc_sip_add(resp, msc_cstr("To"), msc_str_make(tmp, n + 5 + to_tag.n));
    } else {
        st = msc_sip_add(resp, msc_cstr("To"), to->value);
    }
    if (st)
        return st;
    if ((st = msc_sip_add(resp, msc_cstr("Call-ID"), callid->value)) != 0)
        return st;
    return msc_sip_add(resp, msc_cstr("CSeq"), cseq->value);
}

static size_t random_hex(char *out, size_t nhex, msc_sip_random_fn rnd, void *ctx)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char bytes[32];
    size_t nb = (nhex + 1) / 2;
    if (nb > sizeof(bytes))
        return 0;
    memset(bytes, 0, sizeof(bytes));
    rnd(ctx, bytes, nb);
    for (size_t i = 0; i < nhex; i++)
        out[i] = digits[(bytes[i / 2] >> ((i & 1) ? 0 : 4)) & 0xF];
    return nhex;
}

size_t msc_sip_new_branch(char *buf, size_t cap, msc_sip_random_fn rnd, void *ctx)
{
    if (!buf || !rnd || cap < MSC_SIP_BRANCH_LEN + 1)
        return 0;
    memcpy(buf, "z9hG4bK", 7);
    random_hex(buf + 7, MSC_SIP_BRANCH_LEN - 7, rnd, ctx);
    buf[MSC_SIP_BRANCH_LEN] = '\0';
    return MSC_SIP_BRANCH_LEN;
}

size_t msc_sip_new_tag(char *buf, size_t cap, msc_sip_random_fn rnd, void *ctx)
{
    if (!buf || !rnd || cap < MSC_SIP_TAG_LEN + 1)
        return 0;
    random_hex(buf, MSC_SIP_TAG_LEN, rnd, ctx);
    buf[MSC_SIP_TAG_LEN] = '\0';
    return MSC_SIP_TAG_LEN;
}

size_t msc_sip_new_call_id(char *buf, size_t cap, msc_str host, msc_sip_random_fn rnd, void *ctx)
{
    size_t n = MSC_SIP_CALL_ID_RANDOM_LEN;
    if (!buf || !rnd || (host.n && (!host.p || !all_of(host, is_word))))
        return 0;
    if (cap < n + (host.n ? host.n + 1 : 0) + 1 || n + 1 + host.n > MSC_SIP_MAX_CALL_ID)
        return 0;
    random_hex(buf, n, rnd, ctx);
    if (host.n) {
        buf[n++] = '@';
        memcpy(buf + n, host.p, host.n);
        n += host.n;
    }
    buf[n] = '\0';
    return n;
}
