/* Tests for src/transport/sip/digest.c: MD5 (RFC 1321's test suite) and the client side of HTTP
 * Digest (RFC 2617 §3.5's and RFC 7616 §3.9.1's worked examples, and independently computed
 * vectors for no-qop, MD5-sess and userhash). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "msgsc/sip.h"

#define S(lit) msc_str_make((lit), sizeof(lit) - 1)

static msc_sip_msg M, M2;

static void md5_is(const char *text, const char *hex)
{
    char out[33];
    msc_md5_hex(text, strlen(text), out);
    assert_string_equal(out, hex);
}

/* ---- MD5 ------------------------------------------------------------------------------------ */
static void test_md5_rfc1321_suite(void **state)
{
    (void)state;
    /* RFC 1321 §A.5 */
    md5_is("", "d41d8cd98f00b204e9800998ecf8427e");
    md5_is("a", "0cc175b9c0f1b6a831c399e269772661");
    md5_is("abc", "900150983cd24fb0d6963f7d28e17f72");
    md5_is("message digest", "f96b697d7cb7938d525a2f31aaf161d0");
    md5_is("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b");
    md5_is("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
           "d174ab98d277d9f5a5611c2c9f419d9f");
    md5_is("1234567890123456789012345678901234567890123456789012345678901234567890123456789"
           "0", "57edf4a22be3c955ac49da2e2107b67a");
}

static void test_md5_incremental(void **state)
{
    static unsigned char data[300];
    (void)state;
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7 + 3);
    /* every length across the padding boundaries, fed one-shot and in uneven pieces */
    for (size_t len = 0; len <= sizeof(data); len++) {
        msc_md5 a, b;
        unsigned char da[16], db[16];
        size_t at = 0, step = 1;
        msc_md5_init(&a);
        msc_md5_update(&a, data, len);
        msc_md5_final(&a, da);
        msc_md5_init(&b);
        while (at < len) {
            size_t n = step < len - at ? step : len - at;
            msc_md5_update(&b, data + at, n);
            at += n;
            step = step * 3 % 67 + 1;
        }
        msc_md5_final(&b, db);
        assert_memory_equal(da, db, 16);
    }
}

static void test_md5_million(void **state)
{
    static char chunk[1000];
    msc_md5 c;
    unsigned char d[16];
    char hex[33];
    static const char digits[] = "0123456789abcdef";
    (void)state;
    memset(chunk, 'a', sizeof(chunk));
    msc_md5_init(&c);
    for (int i = 0; i < 1000; i++)
        msc_md5_update(&c, chunk, sizeof(chunk));
    msc_md5_final(&c, d);
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[32] = '\0';
    assert_string_equal(hex, "7707d6ae4e027c70eea2a935c2296f21");
}

/* ---- challenges ----------------------------------------------------------------------------- */
static int challenge(const char *value, msc_sip_hdr which, msc_sip_digest_challenge *ch)
{
    msc_sip_auth a;
    assert_int_equal(msc_sip_auth_parse(msc_cstr(value), which, &a), 0);
    return msc_sip_digest_challenge_parse(&a, ch);
}

static msc_sip_digest_input input(const char *user, const char *pw, const char *method,
                                  const char *uri, const char *cnonce, uint32_t nc)
{
    msc_sip_digest_input in;
    in.username = msc_cstr(user);
    in.password = msc_cstr(pw);
    in.method = msc_cstr(method);
    in.uri = msc_cstr(uri);
    in.cnonce = msc_cstr(cnonce);
    in.nc = nc;
    return in;
}

static void test_rfc2617_example(void **state)
{
    msc_sip_digest_challenge ch;
    msc_sip_digest_input in = input("Mufasa", "Circle Of Life", "GET", "/dir/index.html",
                                    "0a4f113b", 1);
    char resp[33], hdr[512];
    size_t n;
    msc_sip_auth back;
    msc_str v;
    (void)state;
    /* RFC 2617 §3.5 */
    assert_int_equal(challenge("Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
                               "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                               "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
                               MSC_SIP_H_WWW_AUTHENTICATE, &ch), MSC_SIP_DIGEST_OK);
    assert_string_equal(ch.realm, "testrealm@host.com");
    assert_string_equal(ch.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    assert_string_equal(ch.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
    assert_true(ch.has_opaque);
    assert_true(ch.qop_auth);
    assert_int_equal(ch.alg, MSC_SIP_DIGEST_MD5);
    assert_false(ch.alg_given);
    assert_false(ch.proxy);
    assert_false(ch.stale);
    assert_int_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    assert_string_equal(resp, "6629fae49393a05397450978507c4ef1");

    n = msc_sip_digest_authorization(&ch, &in, hdr, sizeof(hdr));
    assert_int_equal(n, strlen(hdr));
    assert_string_equal(hdr, "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
                             "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
                             "response=\"6629fae49393a05397450978507c4ef1\", cnonce=\"0a4f113b\", "
                             "qop=auth, nc=00000001, opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
    /* what we write, our parser reads */
    assert_int_equal(msc_sip_auth_parse(msc_str_make(hdr, n), MSC_SIP_H_AUTHORIZATION, &back), 0);
    assert_true(msc_sip_auth_param(&back, "nc", &v));
    assert_true(v.n == 8 && !memcmp(v.p, "00000001", 8));
    /* too small a buffer: nothing */
    assert_int_equal(msc_sip_digest_authorization(&ch, &in, hdr, n), 0);
    assert_string_equal(hdr, "");
    assert_int_equal(msc_sip_digest_authorization(&ch, &in, hdr, n + 1), n);
}

static void test_rfc7616_md5_example(void **state)
{
    msc_sip_digest_challenge ch;
    msc_sip_digest_input in = input("Mufasa", "Circle of Life", "GET", "/dir/index.html",
                                    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", 1);
    char resp[33];
    (void)state;
    /* RFC 7616 §3.9.1, the MD5 half */
    assert_int_equal(challenge("Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
                               "algorithm=MD5, "
                               "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
                               "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
                               MSC_SIP_H_WWW_AUTHENTICATE, &ch), MSC_SIP_DIGEST_OK);
    assert_true(ch.alg_given);
    assert_int_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    assert_string_equal(resp, "8ca523f5e9506fed4657c9700eebdbec");
}

static void test_no_qop_md5_sess_userhash(void **state)
{
    msc_sip_digest_challenge ch;
    msc_sip_digest_input in = input("ann", "s3cret", "REGISTER", "sip:registrar.example.net",
                                    "c0ffee42", 42);
    char resp[33], hdr[512];
    (void)state;
    /* RFC 2617 without qop (RFC 2069 compatible): no cnonce, no nc */
    assert_int_equal(challenge("Digest realm=\"example.net\", nonce=\"abc123nonce\"",
                               MSC_SIP_H_PROXY_AUTHENTICATE, &ch), MSC_SIP_DIGEST_OK);
    assert_true(ch.proxy);
    assert_false(ch.qop_auth);
    assert_int_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    assert_string_equal(resp, "7ea814c89d01d17bdd9c75e1491b5991");
    assert_true(msc_sip_digest_authorization(&ch, &in, hdr, sizeof(hdr)) > 0);
    assert_string_equal(hdr, "Digest username=\"ann\", realm=\"example.net\", nonce=\"abc123nonce\", "
                             "uri=\"sip:registrar.example.net\", "
                             "response=\"7ea814c89d01d17bdd9c75e1491b5991\"");
    /* ... and the cnonce is not needed then */
    in.cnonce = msc_str_make("", 0);
    in.nc = 0;
    assert_int_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);

    /* MD5-sess */
    in = input("ann", "s3cret", "REGISTER", "sip:registrar.example.net", "c0ffee42", 42);
    assert_int_equal(challenge("Digest realm=\"example.net\", nonce=\"abc123nonce\", "
                               "algorithm=md5-SESS, qop=\"auth\"", MSC_SIP_H_WWW_AUTHENTICATE, &ch),
                     MSC_SIP_DIGEST_OK);
    assert_int_equal(ch.alg, MSC_SIP_DIGEST_MD5_SESS);
    assert_int_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    assert_string_equal(resp, "0997d69fee0e8539ecd9a8a6c341fbc1");
    assert_true(msc_sip_digest_authorization(&ch, &in, hdr, sizeof(hdr)) > 0);
    assert_non_null(strstr(hdr, ", algorithm=MD5-sess, cnonce=\"c0ffee42\", qop=auth, nc=0000002a"));

    /* RFC 7616 userhash: the username sent is H(user ":" realm) */
    assert_int_equal(challenge("Digest realm=\"example.net\", nonce=\"abc123nonce\", qop=\"auth\", "
                               "userhash=true, charset=UTF-8", MSC_SIP_H_WWW_AUTHENTICATE, &ch),
                     MSC_SIP_DIGEST_OK);
    assert_true(ch.userhash);
    assert_true(msc_sip_digest_authorization(&ch, &in, hdr, sizeof(hdr)) > 0);
    assert_non_null(strstr(hdr, "Digest username=\"186ab7587c66f25558e8dd70068cc319\", "));
    assert_non_null(strstr(hdr, ", userhash=true"));
}

static void test_quoting(void **state)
{
    msc_sip_digest_challenge ch;
    msc_sip_digest_input in = input("we\"ird\\user", "pw", "INVITE", "sip:bob@example.org", "", 0);
    char resp[33], hdr[512], un[64];
    msc_sip_auth back;
    msc_str v;
    size_t n;
    (void)state;
    assert_int_equal(challenge("Digest realm=\"exa\\mple.net\", nonce=\"n\", stale=TRUE",
                               MSC_SIP_H_WWW_AUTHENTICATE, &ch), MSC_SIP_DIGEST_OK);
    assert_string_equal(ch.realm, "example.net");       /* a quoted-pair stands for its char */
    assert_true(ch.stale);
    assert_int_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    assert_string_equal(resp, "6e761cef05762dbc45c19046c55e08d4");
    n = msc_sip_digest_authorization(&ch, &in, hdr, sizeof(hdr));
    assert_true(n > 0);
    assert_non_null(strstr(hdr, "username=\"we\\\"ird\\\\user\""));
    assert_int_equal(msc_sip_auth_parse(msc_str_make(hdr, n), MSC_SIP_H_AUTHORIZATION, &back), 0);
    assert_true(msc_sip_auth_param(&back, "username", &v));
    assert_true(msc_sip_unquote(v, un, sizeof(un), &n));
    assert_int_equal(n, strlen("we\"ird\\user"));
    assert_memory_equal(un, "we\"ird\\user", n);
}

static void test_challenge_refusals(void **state)
{
    static const struct { const char *v; int want; } t[] = {
        { "Basic realm=\"x\"", MSC_SIP_DIGEST_E_SCHEME },
        { "Newauth realm=\"x\", nonce=\"n\"", MSC_SIP_DIGEST_E_SCHEME },
        { "Digest realm=\"x\", nonce=\"n\", algorithm=SHA-256", MSC_SIP_DIGEST_E_ALG },
        { "Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512-256-sess", MSC_SIP_DIGEST_E_ALG },
        { "Digest realm=\"x\", nonce=\"n\", qop=\"auth-int\"", MSC_SIP_DIGEST_E_QOP },
        { "Digest realm=\"x\", nonce=\"n\", algorithm=MD5-sess", MSC_SIP_DIGEST_E_QOP },
        { "Digest nonce=\"n\"", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=\"x\"", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=x, nonce=\"n\"", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=\"x\", nonce=n", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=\"x\", nonce=\"n\", opaque=o", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=\"x\", nonce=\"n\", stale=maybe", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=\"x\", nonce=\"n\", algorithm=\"MD5\"", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=\"x\", nonce=\"n\", qop=auth", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=\"x\", nonce=\"n\", qop=\"auth,,x\"", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=\"x\", nonce=\"n\", qop=\"\"", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=\"x\", nonce=\"n\", qop=\"a=b\"", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=\"x\", nonce=\"n\", userhash=yes", MSC_SIP_DIGEST_E_SYNTAX },
        { "Digest realm=\"x\\\", nonce=\"n\"", MSC_SIP_DIGEST_E_SYNTAX },
    };
    msc_sip_digest_challenge ch;
    msc_sip_auth a;
    char longv[400];
    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        msc_sip_auth aa;
        if (msc_sip_auth_parse(msc_cstr(t[i].v), MSC_SIP_H_WWW_AUTHENTICATE, &aa)) {
            assert_int_equal(t[i].want, MSC_SIP_DIGEST_E_SYNTAX);      /* not even an auth value */
            continue;
        }
        if (msc_sip_digest_challenge_parse(&aa, &ch) != t[i].want)
            fail_msg("%s: got %d", t[i].v, msc_sip_digest_challenge_parse(&aa, &ch));
    }
    /* the value limit */
    memset(longv, 'r', sizeof(longv));
    snprintf(longv, sizeof(longv), "Digest realm=\"%.*s\", nonce=\"n\"", (int)MSC_SIP_DIGEST_MAX_VALUE,
             "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
             "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
             "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr");
    assert_int_equal(challenge(longv, MSC_SIP_H_WWW_AUTHENTICATE, &ch), MSC_SIP_DIGEST_OK);
    assert_int_equal(strlen(ch.realm), MSC_SIP_DIGEST_MAX_VALUE);
    snprintf(longv, sizeof(longv), "Digest realm=\"x%s\", nonce=\"n\"", ch.realm);
    assert_int_equal(challenge(longv, MSC_SIP_H_WWW_AUTHENTICATE, &ch), MSC_SIP_DIGEST_E_LIMIT);
    /* credentials are not challenges */
    assert_int_equal(msc_sip_auth_parse(S("Digest realm=\"x\", nonce=\"n\""), MSC_SIP_H_AUTHORIZATION,
                                        &a), 0);
    assert_int_equal(msc_sip_digest_challenge_parse(&a, &ch), MSC_SIP_DIGEST_E_SYNTAX);
    assert_int_equal(msc_sip_digest_challenge_parse(NULL, &ch), MSC_SIP_DIGEST_E_SYNTAX);
}

static void test_input_refusals(void **state)
{
    msc_sip_digest_challenge ch;
    msc_sip_digest_input in;
    char resp[33], hdr[512];
    (void)state;
    assert_int_equal(challenge("Digest realm=\"r\", nonce=\"n\", qop=\"auth\"",
                               MSC_SIP_H_WWW_AUTHENTICATE, &ch), MSC_SIP_DIGEST_OK);
    in = input("", "pw", "REGISTER", "sip:r", "c", 1);
    assert_int_not_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    in = input("a\r\nb", "pw", "REGISTER", "sip:r", "c", 1);
    assert_int_not_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    in = input("a", "pw", "REG ISTER", "sip:r", "c", 1);
    assert_int_not_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    in = input("a", "pw", "REGISTER", "sip:\"r", "c", 1);
    assert_int_not_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    in = input("a", "pw", "REGISTER", "", "c", 1);
    assert_int_not_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    in = input("a", "pw", "REGISTER", "sip:r", "", 1);      /* qop needs a cnonce */
    assert_int_not_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    in = input("a", "pw", "REGISTER", "sip:r", "c\"", 1);
    assert_int_not_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    in = input("a", "pw", "REGISTER", "sip:r", "c", 0);     /* ... and a nonce count */
    assert_int_not_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    assert_int_equal(msc_sip_digest_authorization(&ch, &in, hdr, sizeof(hdr)), 0);
    in = input("a", "p\xff", "REGISTER", "sip:r", "c", 1);   /* not UTF-8 */
    assert_int_not_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    in = input("a", "", "REGISTER", "sip:r", "c", 0xFFFFFFFFu);
    assert_int_equal(msc_sip_digest_response(&ch, &in, resp), MSC_SIP_DIGEST_OK);
    assert_true(msc_sip_digest_authorization(&ch, &in, hdr, sizeof(hdr)) > 0);
    assert_non_null(strstr(hdr, "nc=ffffffff"));
    assert_int_not_equal(msc_sip_digest_response(NULL, &in, resp), MSC_SIP_DIGEST_OK);
    assert_int_not_equal(msc_sip_digest_response(&ch, NULL, resp), MSC_SIP_DIGEST_OK);
    assert_int_equal(msc_sip_digest_authorization(&ch, &in, NULL, 10), 0);
}

/* The REGISTER flow: a 401 arrives, the client picks the challenge and answers it. */
static void test_register_flow(void **state)
{
    static const char resp401[] =
        "SIP/2.0 401 Unauthorized\r\n"
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr1;received=198.51.100.7;rport=5060\r\n"
        "From: <sip:ann@example.net>;tag=t1\r\n"
        "To: <sip:ann@example.net>;tag=srv\r\n"
        "Call-ID: reg1@192.0.2.10\r\n"
        "CSeq: 1 REGISTER\r\n"
        "WWW-Authenticate: Basic realm=\"example.net\"\r\n"
        "WWW-Authenticate: Digest realm=\"example.net\", nonce=\"abc123nonce\", algorithm=SHA-256, "
        "qop=\"auth\"\r\n"
        "WWW-Authenticate: Digest realm=\"example.net\", nonce=\"abc123nonce\", algorithm=MD5, "
        "qop=\"auth\", opaque=\"op\"\r\n"
        "Content-Length: 0\r\n\r\n";
    static const char basic401[] =
        "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "From: <sip:a@h>;tag=1\r\nTo: <sip:a@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n"
        "WWW-Authenticate: Basic realm=\"x\"\r\n\r\n";
    msc_sip_error e;
    msc_sip_digest_challenge ch;
    msc_sip_digest_input in = input("ann", "s3cret", "REGISTER", "sip:registrar.example.net",
                                    "c0ffee42", 1);
    char hdr[512], out[2048];
    size_t n;
    (void)state;
    assert_int_equal(msc_sip_parse(resp401, sizeof(resp401) - 1, MSC_SIP_DATAGRAM, &M, &e), 0);
    assert_int_equal(M.nauth, 3);
    assert_int_equal(msc_sip_digest_pick(&M, &ch), MSC_SIP_DIGEST_OK);
    assert_true(ch.has_opaque);
    assert_string_equal(ch.opaque, "op");
    assert_false(ch.proxy);
    assert_true(msc_sip_digest_authorization(&ch, &in, hdr, sizeof(hdr)) > 0);

    assert_int_equal(msc_sip_init_request(&M2, S("REGISTER"), S("sip:registrar.example.net")), 0);
    assert_int_equal(msc_sip_add_z(&M2, "Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKr2;rport"), 0);
    assert_int_equal(msc_sip_add_z(&M2, "Max-Forwards", "70"), 0);
    assert_int_equal(msc_sip_add_z(&M2, "From", "<sip:ann@example.net>;tag=t1"), 0);
    assert_int_equal(msc_sip_add_z(&M2, "To", "<sip:ann@example.net>"), 0);
    assert_int_equal(msc_sip_add_z(&M2, "Call-ID", "reg1@192.0.2.10"), 0);
    assert_int_equal(msc_sip_add_z(&M2, "CSeq", "2 REGISTER"), 0);
    assert_int_equal(msc_sip_add_z(&M2, ch.proxy ? "Proxy-Authorization" : "Authorization", hdr), 0);
    n = msc_sip_serialize(&M2, out, sizeof(out));
    assert_true(n > 0);
    assert_int_equal(msc_sip_parse(out, n, MSC_SIP_STREAM, &M, &e), 0);
    assert_int_equal(M.nauth, 1);
    assert_int_equal(M.auth[0].which, MSC_SIP_H_AUTHORIZATION);

    /* nothing to answer */
    assert_int_equal(msc_sip_parse(basic401, sizeof(basic401) - 1, MSC_SIP_DATAGRAM, &M, &e), 0);
    assert_int_equal(msc_sip_digest_pick(&M, &ch), MSC_SIP_DIGEST_E_SCHEME);
    M.nauth = 0;
    assert_int_equal(msc_sip_digest_pick(&M, &ch), MSC_SIP_DIGEST_E_SYNTAX);
    assert_int_equal(msc_sip_digest_pick(NULL, &ch), MSC_SIP_DIGEST_E_SYNTAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_rfc1321_suite),
        cmocka_unit_test(test_md5_incremental),
        cmocka_unit_test(test_md5_million),
        cmocka_unit_test(test_rfc2617_example),
        cmocka_unit_test(test_rfc7616_md5_example),
        cmocka_unit_test(test_no_qop_md5_sess_userhash),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_challenge_refusals),
        cmocka_unit_test(test_input_refusals),
        cmocka_unit_test(test_register_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
