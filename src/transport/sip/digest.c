/* msgsc SIP: MD5 (RFC 1321) and HTTP Digest for the client side of 401/407 challenges
 * (RFC 2617 §3.2; RFC 7616's MD5 and MD5-sess algorithms and its userhash).  Declarations and the
 * API contract are in include/msgsc/sip.h; docs/sip.md §"Digest" explains the choices.
 *
 *   HA1 = MD5(username ":" realm ":" password)            (MD5-sess: MD5(HA1 ":" nonce ":" cnonce))
 *   HA2 = MD5(method ":" digest-uri)
 *   response = MD5(HA1 ":" nonce ":" nc ":" cnonce ":" "auth" ":" HA2)      with qop=auth
 *            = MD5(HA1 ":" nonce ":" HA2)                                   without qop
 */
#include <string.h>

#include "msgsc/sip.h"
#include "transport/writer.h"

/* ---- MD5, RFC 1321 -------------------------------------------------------------------------- */
/* T[i] = floor(2^32 * |sin(i + 1)|), RFC 1321 §3.4 */
static const uint32_t md5_t[64] = {
    0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu,
    0xf57c0fafu, 0x4787c62au, 0xa8304613u, 0xfd469501u,
    0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu,
    0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u,
    0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau,
    0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u,
    0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu,
    0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au,
    0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu,
    0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u,
    0x289b7ec6u, 0xeaa127fau, 0xd4ef3085u, 0x04881d05u,
    0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u,
    0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u,
    0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u,
    0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u,
    0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u,
};

/* the rotation amounts of each round's four steps */
static const unsigned char md5_s[4][4] = {
    { 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 },
};

static uint32_t rotl(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static void md5_block(uint32_t h[4], const unsigned char *p)
{
    uint32_t x[16], a = h[0], b = h[1], c = h[2], d = h[3];

    for (int i = 0; i < 16; i++)
        x[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
    for (int i = 0; i < 64; i++) {
        int round = i / 16;
        uint32_t f, t;
        int k;
        switch (round) {
        case 0: f = (b & c) | (~b & d); k = i; break;
        case 1: f = (b & d) | (c & ~d); k = (1 + 5 * i) % 16; break;
        case 2: f = b ^ c ^ d; k = (5 + 3 * i) % 16; break;
        default: f = c ^ (b | ~d); k = (7 * i) % 16; break;
        }
        t = d;
        d = c;
        c = b;
        b = b + rotl(a + f + x[k] + md5_t[i], md5_s[round][i % 4]);
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

void msc_md5_init(msc_md5 *c)
{
    if (!c)
        return;
    c->h[0] = 0x67452301u;
    c->h[1] = 0xefcdab89u;
    c->h[2] = 0x98badcfeu;
    c->h[3] = 0x10325476u;
    c->len = 0;
}

void msc_md5_update(msc_md5 *c, const void *data, size_t n)
{
    const unsigned char *p = data;
    size_t have;
    if (!c || !n || !p)
        return;
    have = (size_t)(c->len % 64);
    c->len += n;
    if (have) {
        size_t take = 64 - have < n ? 64 - have : n;
        memcpy(c->buf + have, p, take);
        p += take;
        n -= take;
        if (have + take < 64)
            return;
        md5_block(c->h, c->buf);
    }
    while (n >= 64) {
        md5_block(c->h, p);
        p += 64;
        n -= 64;
    }
    if (n)
        memcpy(c->buf, p, n);
}

void msc_md5_final(msc_md5 *c, unsigned char out[16])
{
    static const unsigned char pad[64] = { 0x80 };
    unsigned char bits[8];
    uint64_t nbits;
    size_t have, padn;

    if (!c || !out)
        return;
    nbits = c->len * 8;
    for (int i = 0; i < 8; i++)
        bits[i] = (unsigned char)(nbits >> (8 * i));
    have = (size_t)(c->len % 64);
    padn = have < 56 ? 56 - have : 120 - have;
    msc_md5_update(c, pad, padn);
    msc_md5_update(c, bits, 8);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (unsigned char)(c->h[i] >> (8 * j));
}

static void to_hex(const unsigned char d[16], char out[33])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 0xF];
    }
    out[32] = '\0';
}

void msc_md5_hex(const void *data, size_t n, char out[33])
{
    msc_md5 c;
    unsigned char d[16];
    if (!out)
        return;
    msc_md5_init(&c);
    msc_md5_update(&c, data, n);
    msc_md5_final(&c, d);
    to_hex(d, out);
}

/* MD5 of up to five strings joined by ':' as hex. */
static void md5_join(char out[33], const msc_str *parts, int n)
{
    msc_md5 c;
    unsigned char d[16];
    msc_md5_init(&c);
    for (int i = 0; i < n; i++) {
        if (i)
            msc_md5_update(&c, ":", 1);
        msc_md5_update(&c, parts[i].p, parts[i].n);
    }
    msc_md5_final(&c, d);
    to_hex(d, out);
}

/* ---- the challenge -------------------------------------------------------------------------- */
static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int ieqz(msc_str a, const char *z)
{
    size_t n = strlen(z);
    if (a.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)z[i]))
            return 0;
    return 1;
}

static int is_tokch(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("-.!%*_+`'~", ch));
}

static int quoted(msc_str v)
{
    return v.n >= 2 && v.p[0] == '"';
}

/* A quoted value into a fixed buffer (NUL-terminated). */
static int take(msc_str v, char *dst, size_t cap, int *err)
{
    size_t n;
    if (!quoted(v)) {
        *err = MSC_SIP_DIGEST_E_SYNTAX;
        return 0;
    }
    if (!msc_sip_unquote(v, dst, cap - 1, &n)) {
        *err = v.n - 2 > cap - 1 ? MSC_SIP_DIGEST_E_LIMIT : MSC_SIP_DIGEST_E_SYNTAX;
        return 0;
    }
    if (memchr(dst, 0, n)) {
        *err = MSC_SIP_DIGEST_E_SYNTAX;
        return 0;
    }
    dst[n] = '\0';
    return 1;
}

/* qop-options: a quoted, comma-separated list of tokens; 1 and *auth when it is well formed. */
static int qop_list(msc_str v, int *auth)
{
    char buf[MSC_SIP_DIGEST_MAX_VALUE + 1];
    size_t n, i = 0;
    if (!quoted(v) || !msc_sip_unquote(v, buf, sizeof(buf), &n))
        return 0;
    *auth = 0;
    for (;;) {
        size_t s, e;
        while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        s = i;
        while (i < n && buf[i] != ',' && buf[i] != ' ' && buf[i] != '\t')
            i++;
        e = i;
        if (e == s)
            return 0;
        for (size_t k = s; k < e; k++)
            if (!is_tokch((unsigned char)buf[k]))
                return 0;
        if (ieqz(msc_str_make(buf + s, e - s), "auth"))
            *auth = 1;
        while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        if (i == n)
            return 1;
        if (buf[i] != ',')
            return 0;
        i++;
    }
}

int msc_sip_digest_challenge_parse(const msc_sip_auth *a, msc_sip_digest_challenge *ch)
{
    msc_str v;
    int err = MSC_SIP_DIGEST_E_SYNTAX;

    if (!a || !ch)
        return MSC_SIP_DIGEST_E_SYNTAX;
    memset(ch, 0, sizeof(*ch));
    if (a->which != MSC_SIP_H_WWW_AUTHENTICATE && a->which != MSC_SIP_H_PROXY_AUTHENTICATE)
        return MSC_SIP_DIGEST_E_SYNTAX;
    ch->proxy = a->which == MSC_SIP_H_PROXY_AUTHENTICATE;
    if (!ieqz(a->scheme, "Digest"))
        return MSC_SIP_DIGEST_E_SCHEME;

    if (!msc_sip_auth_param(a, "realm", &v) || !take(v, ch->realm, sizeof(ch->realm), &err))
        return err;
    if (!msc_sip_auth_param(a, "nonce", &v) || !take(v, ch->nonce, sizeof(ch->nonce), &err))
        return err;
    if (msc_sip_auth_param(a, "opaque", &v)) {
        if (!take(v, ch->opaque, sizeof(ch->opaque), &err))
            return err;
        ch->has_opaque = 1;
    }
    if (msc_sip_auth_param(a, "stale", &v)) {
        if (ieqz(v, "true"))
            ch->stale = 1;
        else if (!ieqz(v, "false"))
            return MSC_SIP_DIGEST_E_SYNTAX;
    }
    if (msc_sip_auth_param(a, "userhash", &v)) {
        if (ieqz(v, "true") || ieqz(v, "\"true\""))
            ch->userhash = 1;
        else if (!ieqz(v, "false") && !ieqz(v, "\"false\""))
            return MSC_SIP_DIGEST_E_SYNTAX;
    }
    ch->alg = MSC_SIP_DIGEST_MD5;
    if (msc_sip_auth_param(a, "algorithm", &v)) {
        if (quoted(v))
            return MSC_SIP_DIGEST_E_SYNTAX;
        ch->alg_given = 1;
        if (ieqz(v, "MD5"))
            ch->alg = MSC_SIP_DIGEST_MD5;
        else if (ieqz(v, "MD5-sess"))
            ch->alg = MSC_SIP_DIGEST_MD5_SESS;
        else
            return MSC_SIP_DIGEST_E_ALG;
    }
    if (msc_sip_auth_param(a, "qop", &v)) {
        if (!qop_list(v, &ch->qop_auth))
            return MSC_SIP_DIGEST_E_SYNTAX;
        if (!ch->qop_auth)
            return MSC_SIP_DIGEST_E_QOP;        /* auth-int only */
    } else if (ch->alg == MSC_SIP_DIGEST_MD5_SESS) {
        return MSC_SIP_DIGEST_E_QOP;            /* MD5-sess needs a cnonce, i.e. qop */
    }
    return MSC_SIP_DIGEST_OK;
}

int msc_sip_digest_pick(const msc_sip_msg *resp, msc_sip_digest_challenge *ch)
{
    int last = MSC_SIP_DIGEST_E_SYNTAX;
    if (!resp || !ch)
        return last;
    for (size_t i = 0; i < resp->nauth; i++) {
        const msc_sip_auth *a = &resp->auth[i];
        int r;
        if (a->which != MSC_SIP_H_WWW_AUTHENTICATE && a->which != MSC_SIP_H_PROXY_AUTHENTICATE)
            continue;
        r = msc_sip_digest_challenge_parse(a, ch);
        if (r == MSC_SIP_DIGEST_OK)
            return r;
        last = r;
    }
    memset(ch, 0, sizeof(*ch));
    return last;
}

/* ---- the answer ----------------------------------------------------------------------------- */
/* Text that may go into a quoted-string: UTF-8, no control bytes. */
static int text_ok(msc_str s, size_t max)
{
    if ((s.n && !s.p) || s.n > max)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < 0x20 || c == 0x7F)
            return 0;
    }
    return msc_utf8_valid(s);
}

static int plain_ok(msc_str s, size_t max)
{
    /* no quote or backslash either: cnonce, uri */
    return text_ok(s, max) && !memchr(s.p, '"', s.n) && !memchr(s.p, '\\', s.n);
}

static int token_ok(msc_str s)
{
    if (!s.n || !s.p || s.n > 64)
        return 0;
    for (size_t i = 0; i < s.n; i++)
        if (!is_tokch((unsigned char)s.p[i]))
            return 0;
    return 1;
}

static int input_ok(const msc_sip_digest_challenge *ch, const msc_sip_digest_input *in)
{
    if (!ch || !in)
        return 0;
    if (!memchr(ch->realm, 0, sizeof(ch->realm)) || !memchr(ch->nonce, 0, sizeof(ch->nonce)) ||
        !memchr(ch->opaque, 0, sizeof(ch->opaque)))
        return 0;
    if (!in->username.n || !text_ok(in->username, MSC_SIP_DIGEST_MAX_VALUE) ||
        !text_ok(in->password, 4096) || !token_ok(in->method) || !in->uri.n ||
        !plain_ok(in->uri, MSC_SIP_MAX_URI))
        return 0;
    if (ch->qop_auth && (!in->cnonce.n || !plain_ok(in->cnonce, MSC_SIP_DIGEST_MAX_VALUE) ||
                         in->nc == 0))
        return 0;
    return 1;
}

static void nc_hex(uint32_t nc, char out[9])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++)
        out[i] = digits[(nc >> (28 - 4 * i)) & 0xF];
    out[8] = '\0';
}

int msc_sip_digest_response(const msc_sip_digest_challenge *ch, const msc_sip_digest_input *in,
                            char out[33])
{
    char ha1[33], ha2[33], nc[9];
    msc_str realm, nonce;

    if (!out)
        return MSC_SIP_DIGEST_E_SYNTAX;
    out[0] = '\0';
    if (!input_ok(ch, in))
        return MSC_SIP_DIGEST_E_SYNTAX;
    if (ch->alg == MSC_SIP_DIGEST_MD5_SESS && !ch->qop_auth)
        return MSC_SIP_DIGEST_E_QOP;
    if (ch->alg != MSC_SIP_DIGEST_MD5 && ch->alg != MSC_SIP_DIGEST_MD5_SESS)
        return MSC_SIP_DIGEST_E_ALG;
    realm = msc_cstr(ch->realm);
    nonce = msc_cstr(ch->nonce);
    {
        msc_str a1[3] = { in->username, realm, in->password };
        md5_join(ha1, a1, 3);
    }
    if (ch->alg == MSC_SIP_DIGEST_MD5_SESS) {
        msc_str s[3] = { msc_str_make(ha1, 32), nonce, in->cnonce };
        md5_join(ha1, s, 3);
    }
    {
        msc_str a2[2] = { in->method, in->uri };
        md5_join(ha2, a2, 2);
    }
    if (ch->qop_auth) {
        msc_str r[6];
        nc_hex(in->nc, nc);
        r[0] = msc_str_make(ha1, 32);
        r[1] = nonce;
        r[2] = msc_str_make(nc, 8);
        r[3] = in->cnonce;
        r[4] = msc_cstr("auth");
        r[5] = msc_str_make(ha2, 32);
        md5_join(out, r, 6);
    } else {
        msc_str r[3] = { msc_str_make(ha1, 32), nonce, msc_str_make(ha2, 32) };
        md5_join(out, r, 3);
    }
    return MSC_SIP_DIGEST_OK;
}

/* name="value" with '"' and '\' escaped. */
static void put_quoted(msc_writer *w, const char *name, msc_str v)
{
    msc_put_z(w, name);
    msc_put(w, "=\"", 2);
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] == '"' || v.p[i] == '\\')
            msc_put(w, "\\", 1);
        msc_put(w, v.p + i, 1);
    }
    msc_put(w, "\"", 1);
}

size_t msc_sip_digest_authorization(const msc_sip_digest_challenge *ch,
                                    const msc_sip_digest_input *in, char *buf, size_t cap)
{
    char resp[33], user_hash[33], nc[9];
    msc_str user;
    msc_writer w;

    if (!buf || cap == 0)
        return 0;
    buf[0] = '\0';
    if (msc_sip_digest_response(ch, in, resp) != MSC_SIP_DIGEST_OK)
        return 0;
    user = in->username;
    if (ch->userhash) {
        /* RFC 7616 §3.4.4: username = H(unq(username) ":" unq(realm)) */
        msc_str u[2] = { in->username, msc_cstr(ch->realm) };
        md5_join(user_hash, u, 2);
        user = msc_str_make(user_hash, 32);
    }
    w = msc_writer_make(buf, cap - 1);      /* room for the NUL */
    msc_put_z(&w, "Digest ");
    put_quoted(&w, "username", user);
    msc_put_z(&w, ", ");
    put_quoted(&w, "realm", msc_cstr(ch->realm));
    msc_put_z(&w, ", ");
    put_quoted(&w, "nonce", msc_cstr(ch->nonce));
    msc_put_z(&w, ", ");
    put_quoted(&w, "uri", in->uri);
    msc_put_z(&w, ", ");
    put_quoted(&w, "response", msc_str_make(resp, 32));
    if (ch->alg_given || ch->alg == MSC_SIP_DIGEST_MD5_SESS)
        msc_put_z(&w, ch->alg == MSC_SIP_DIGEST_MD5_SESS ? ", algorithm=MD5-sess" : ", algorithm=MD5");
    if (ch->qop_auth) {
        msc_put_z(&w, ", ");
        put_quoted(&w, "cnonce", in->cnonce);
        nc_hex(in->nc, nc);
        msc_put_z(&w, ", qop=auth, nc=");
        msc_put(&w, nc, 8);
    }
    if (ch->has_opaque) {
        msc_put_z(&w, ", ");
        put_quoted(&w, "opaque", msc_cstr(ch->opaque));
    }
    if (ch->userhash)
        msc_put_z(&w, ", userhash=true");
    if (!w.ok) {
        buf[0] = '\0';
        return 0;
    }
    buf[w.len] = '\0';
    return w.len;
}
