/* Tests for src/transport/sip/message.c: the SIP message parser, serializer, framing and helpers
 * (include/msgsc/sip.h, docs/sip.md), and the corpus in tests/transport/sip-corpus/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>

#include "msgsc/sip.h"

#ifndef SIP_CORPUS_DIR
#error "SIP_CORPUS_DIR must name tests/transport/sip-corpus"
#endif

#define S(lit) msc_str_make((lit), sizeof(lit) - 1)

static msc_sip_msg M, M2, R, R2;
static char out[MSC_SIP_MAX_MSG + 8192], out2[MSC_SIP_MAX_MSG + 8192];
static char big[4 * MSC_SIP_MAX_MSG];

/* ---- helpers -------------------------------------------------------------------------------- */
#define REQ_LINE "INVITE sip:bob@example.org SIP/2.0\r\n"
#define VIA1     "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
#define MAXF     "Max-Forwards: 70\r\n"
#define FROM1    "From: <sip:ann@example.net>;tag=f1\r\n"
#define TO1      "To: <sip:bob@example.org>\r\n"
#define CALLID1  "Call-ID: c1@192.0.2.10\r\n"
#define CSEQ1    "CSeq: 1 INVITE\r\n"
#define STD      VIA1 MAXF FROM1 TO1 CALLID1 CSEQ1
#define END      "Content-Length: 0\r\n\r\n"

static int parse_n(const char *p, size_t n, int mode, msc_sip_msg *m, msc_sip_error *e)
{
    return msc_sip_parse(p, n, mode, m, e);
}

static void expect_ok_n(const char *p, size_t n, msc_sip_msg *m)
{
    msc_sip_error e;
    int st = parse_n(p, n, MSC_SIP_DATAGRAM, m, &e);
    if (st)
        fail_msg("rejected %d (%s):\n%.*s", st, e.reason, (int)(n > 600 ? 600 : n), p);
    assert_int_equal(e.status, 0);
    assert_null(e.reason);
    assert_int_equal(e.drop, 0);
}

static void expect_ok(const char *z)
{
    expect_ok_n(z, strlen(z), &M);
}

static void expect_err_n(const char *p, size_t n, int status, int drop)
{
    msc_sip_error e;
    int st = parse_n(p, n, MSC_SIP_DATAGRAM, &M, &e);
    if (st != status || e.drop != drop)
        fail_msg("got %d (%s) drop=%d, want %d drop=%d:\n%.*s", st,
                 e.reason ? e.reason : "-", e.drop, status, drop, (int)(n > 600 ? 600 : n), p);
    assert_non_null(e.reason);
}

static void expect_err(const char *z, int status, int drop)
{
    expect_err_n(z, strlen(z), status, drop);
}

/* A request: REQ_LINE, STD, extra, END. */
static const char *req_with(const char *extra)
{
    static char buf[3 * MSC_SIP_MAX_MSG];
    snprintf(buf, sizeof(buf), "%s%s%s%s", REQ_LINE, STD, extra, END);
    return buf;
}

static void ok_with(const char *extra)
{
    expect_ok(req_with(extra));
}

static void bad_with(const char *extra, int status, int drop)
{
    expect_err(req_with(extra), status, drop);
}

/* serialize m, parse it back as a stream message, compare; returns the length */
static size_t roundtrip(const msc_sip_msg *m)
{
    msc_sip_error e;
    size_t n = msc_sip_serialize(m, out, sizeof(out)), n2;
    if (!n)
        fail_msg("serialize refused the message");
    if (msc_sip_parse(out, n, MSC_SIP_STREAM, &M2, &e))
        fail_msg("re-parse failed (%s):\n%.*s", e.reason, (int)n, out);
    assert_true(msc_sip_msg_same(m, &M2));
    n2 = msc_sip_serialize(&M2, out2, sizeof(out2));
    assert_int_equal(n2, n);
    assert_memory_equal(out, out2, n);
    return n;
}

static int streq(msc_str s, const char *z)
{
    return s.n == strlen(z) && (s.n == 0 || !memcmp(s.p, z, s.n));
}

#define assert_str(s, z)                                                                    \
    do {                                                                                    \
        if (!streq((s), (z)))                                                               \
            fail_msg("got \"%.*s\", want \"%s\"", (int)(s).n, (s).p ? (s).p : "", (z));     \
    } while (0)

static const msc_sip_header *header(const msc_sip_msg *m, const char *name, int nth)
{
    for (size_t i = 0; i < m->nheaders; i++)
        if (streq(m->headers[i].name, name) && nth-- == 0)
            return &m->headers[i];
    return NULL;
}

static void counting_random(void *ctx, void *buf, size_t len)
{
    unsigned char *p = buf;
    unsigned *seed = ctx;
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)((*seed)++);
}

/* ---- whole messages ------------------------------------------------------------------------- */
static void test_invite_typed(void **state)
{
    static const char body[] = "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8"
                               "\r\n\r\nInvitation-Command: ACK\r\n\r\n";
    char msg[2048];
    (void)state;
    snprintf(msg, sizeof(msg),
             "INVITE sips:bob@Example.ORG:5061;transport=tcp SIP/2.0\r\n"
             "Via: SIP/2.0/TCP 192.0.2.10:5062;branch=z9hG4bK776;rport;received=198.51.100.1\r\n"
             "Max-Forwards: 69\r\n"
             "To: Bob <sips:bob@example.org>\r\n"
             "From: \"Ann \\\"A\\\" Example\" <sips:ann@example.net>;tag=1928301774\r\n"
             "Call-ID: a84b4c76e66710@pc33.example.net\r\n"
             "CSeq: 314159 INVITE\r\n"
             "Contact: <sips:ann@192.0.2.10:5062;transport=tcp>;expires=300;q=0.5\r\n"
             "Content-Type: text/x-msmsgsinvite;charset=UTF-8\r\n"
             "Expires: 120\r\n"
             "Supported: timer, 100rel\r\n"
             "User-Agent: msgsc/0.1 (test (nested))\r\n"
             "X-Custom: anything at all\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    expect_ok(msg);
    assert_true(M.is_request);
    assert_int_equal(M.method, MSC_SIP_INVITE);
    assert_str(M.method_name, "INVITE");
    assert_int_equal(M.ruri.scheme, MSC_SIP_SCHEME_SIPS);
    assert_str(M.ruri.user, "bob");
    assert_str(M.ruri.host, "Example.ORG");
    assert_int_equal(M.ruri.host_kind, MSC_SIP_HOST_NAME);
    assert_int_equal(M.ruri.port, 5061);
    assert_str(M.ruri.transport, "tcp");
    assert_str(M.ruri.params, ";transport=tcp");

    assert_int_equal(M.nvia, 1);
    assert_str(M.via[0].protocol, "SIP");
    assert_str(M.via[0].version, "2.0");
    assert_int_equal(M.via[0].tp, MSC_SIP_TP_TCP);
    assert_str(M.via[0].host, "192.0.2.10");
    assert_int_equal(M.via[0].host_kind, MSC_SIP_HOST_IPV4);
    assert_int_equal(M.via[0].port, 5062);
    assert_str(M.via[0].branch, "z9hG4bK776");
    assert_int_equal(M.via[0].rport, 0);
    assert_str(M.via[0].received, "198.51.100.1");
    assert_int_equal(M.via[0].ttl, -1);

    assert_int_equal(M.max_forwards, 69);
    assert_true(M.has_to && M.has_from);
    assert_str(M.to.display, "Bob");
    assert_int_equal(M.to.tag.n, 0);
    assert_str(M.from.display, "\"Ann \\\"A\\\" Example\"");
    assert_str(M.from.tag, "1928301774");
    assert_str(M.from.uri.user, "ann");
    assert_str(M.call_id, "a84b4c76e66710@pc33.example.net");
    assert_int_equal(M.cseq, 314159);
    assert_int_equal(M.cseq_method, MSC_SIP_INVITE);
    assert_int_equal(M.ncontact, 1);
    assert_int_equal(M.contact[0].expires, 300);
    assert_str(M.contact[0].q, "0.5");
    assert_int_equal(M.contact[0].uri.port, 5062);
    assert_true(M.has_content_type);
    assert_str(M.content_type, "text");
    assert_str(M.content_subtype, "x-msmsgsinvite");
    assert_str(M.content_type_params, ";charset=UTF-8");
    assert_int_equal(M.expires, 120);
    assert_int_equal(M.min_expires, -1);
    assert_int_equal(M.supported.n, 2);
    assert_str(M.supported.v[1], "100rel");
    assert_false(M.require.present);
    assert_str(M.user_agent, "msgsc/0.1 (test (nested))");
    assert_int_equal(M.body.n, strlen(body));
    assert_memory_equal(M.body.p, body, strlen(body));
    assert_int_equal(M.nheaders, 12);       /* Content-Length is not in the list */
    assert_str(header(&M, "X-Custom", 0)->value, "anything at all");
    roundtrip(&M);
}

static void test_response_typed(void **state)
{
    (void)state;
    expect_ok("SIP/2.0 180 Ringing\r\n"
              "Via: SIP/2.0/UDP p2.example.org;branch=z9hG4bKa, SIP/2.0/UDP p1.example.net:5070"
              ";branch=z9hG4bKb\r\n"
              "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKc\r\n"
              "Record-Route: <sip:p2.example.org;lr>, <sip:p1.example.net;lr>\r\n"
              "From: <sip:ann@example.net>;tag=1\r\n"
              "To: <sip:bob@example.org>;tag=2\r\n"
              "Call-ID: x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n");
    assert_false(M.is_request);
    assert_int_equal(M.status, 180);
    assert_str(M.reason, "Ringing");
    assert_int_equal(M.nvia, 3);
    assert_str(M.via[0].host, "p2.example.org");
    assert_str(M.via[1].host, "p1.example.net");
    assert_int_equal(M.via[1].port, 5070);
    assert_str(M.via[2].branch, "z9hG4bKc");
    assert_int_equal(M.nrecord_route, 2);
    assert_true(M.record_route[0].uri.lr);
    assert_str(M.record_route[1].uri.host, "p1.example.net");
    assert_int_equal(M.max_forwards, -1);   /* not needed in responses */
    roundtrip(&M);
}

static void test_compact_forms(void **state)
{
    static const struct { const char *c; msc_sip_hdr h; } map[] = {
        { "i", MSC_SIP_H_CALL_ID }, { "m", MSC_SIP_H_CONTACT }, { "e", MSC_SIP_H_CONTENT_ENCODING },
        { "l", MSC_SIP_H_CONTENT_LENGTH }, { "c", MSC_SIP_H_CONTENT_TYPE }, { "f", MSC_SIP_H_FROM },
        { "s", MSC_SIP_H_SUBJECT }, { "k", MSC_SIP_H_SUPPORTED }, { "t", MSC_SIP_H_TO },
        { "v", MSC_SIP_H_VIA }, { "o", MSC_SIP_H_EVENT }, { "r", MSC_SIP_H_REFER_TO },
        { "b", MSC_SIP_H_REFERRED_BY }, { "u", MSC_SIP_H_ALLOW_EVENTS },
        { "x", MSC_SIP_H_SESSION_EXPIRES }, { "a", MSC_SIP_H_ACCEPT_CONTACT },
        { "j", MSC_SIP_H_REJECT_CONTACT }, { "d", MSC_SIP_H_REQUEST_DISPOSITION },
        { "y", MSC_SIP_H_IDENTITY }, { "n", MSC_SIP_H_IDENTITY_INFO },
        { "V", MSC_SIP_H_VIA }, { "I", MSC_SIP_H_CALL_ID },
    };
    size_t n;
    (void)state;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        assert_int_equal(msc_sip_hdr_of(msc_cstr(map[i].c)), map[i].h);
    assert_int_equal(msc_sip_hdr_of(S("z")), MSC_SIP_H_OTHER);
    assert_int_equal(msc_sip_hdr_of(S("g")), MSC_SIP_H_OTHER);

    expect_ok("OPTIONS sip:bob@example.org SIP/2.0\r\n"
              "v: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
              "f: <sip:ann@example.net>;tag=1\r\nt: <sip:bob@example.org>\r\ni: abc\r\n"
              "CSeq: 1 OPTIONS\r\nMax-Forwards: 1\r\nm: <sip:ann@192.0.2.10>\r\nk: timer\r\n"
              "s: hi\r\nc: text/plain\r\nl: 2\r\n\r\nhi");
    assert_int_equal(M.nvia, 1);
    assert_str(M.call_id, "abc");
    assert_int_equal(M.ncontact, 1);
    assert_int_equal(M.supported.n, 1);
    assert_str(M.body, "hi");
    assert_str(header(&M, "Subject", 0)->value, "hi");
    n = roundtrip(&M);
    out[n] = '\0';
    /* the serializer writes long names */
    assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP"));
    assert_non_null(strstr(out, "\r\nFrom: <sip:ann"));
    assert_non_null(strstr(out, "\r\nCall-ID: abc\r\n"));
    assert_non_null(strstr(out, "\r\nContact: <sip:"));
    assert_non_null(strstr(out, "\r\nSupported: timer\r\n"));
    assert_non_null(strstr(out, "\r\nSubject: hi\r\n"));
    assert_non_null(strstr(out, "\r\nContent-Type: text/plain\r\n"));
    assert_non_null(strstr(out, "\r\nContent-Length: 2\r\n\r\nhi"));
    assert_null(strstr(out, "\r\nv:"));
}

static void test_header_names(void **state)
{
    size_t n;
    (void)state;
    assert_int_equal(msc_sip_hdr_of(S("VIA")), MSC_SIP_H_VIA);
    assert_int_equal(msc_sip_hdr_of(S("call-id")), MSC_SIP_H_CALL_ID);
    assert_int_equal(msc_sip_hdr_of(S("WWW-AUTHENTICATE")), MSC_SIP_H_WWW_AUTHENTICATE);
    assert_int_equal(msc_sip_hdr_of(S("Via ")), MSC_SIP_H_OTHER);
    assert_int_equal(msc_sip_hdr_of(S("")), MSC_SIP_H_OTHER);
    assert_string_equal(msc_sip_hdr_name(MSC_SIP_H_CSEQ), "CSeq");
    assert_string_equal(msc_sip_hdr_name(MSC_SIP_H_CALL_ID), "Call-ID");
    assert_null(msc_sip_hdr_name(MSC_SIP_H_OTHER));
    assert_null(msc_sip_hdr_name(MSC_SIP_H_COUNT));

    expect_ok("OPTIONS sip:b@example.org SIP/2.0\r\nVIA: SIP/2.0/UDP h;BRANCH=z9hG4bK1\r\n"
              "max-forwards: 1\r\nfROM: <sip:a@example.org>;TAG=x\r\nTO: <sip:b@example.org>\r\n"
              "call-ID: q\r\ncseq: 1 OPTIONS\r\nx-MiXeD-CaSe: kept\r\n\r\n");
    assert_str(M.via[0].branch, "z9hG4bK1");    /* parameter names are case-insensitive */
    assert_str(M.from.tag, "x");
    assert_non_null(header(&M, "x-MiXeD-CaSe", 0));
    n = roundtrip(&M);
    out[n] = '\0';
    assert_non_null(strstr(out, "\r\nx-MiXeD-CaSe: kept\r\n"));  /* unknown names as received */
    assert_non_null(strstr(out, "\r\nMax-Forwards: 1\r\n"));
}

static void test_method_case(void **state)
{
    (void)state;
    assert_int_equal(msc_sip_method_of(S("INVITE")), MSC_SIP_INVITE);
    assert_int_equal(msc_sip_method_of(S("invite")), MSC_SIP_OTHER_METHOD);
    assert_int_equal(msc_sip_method_of(S("MESSAGE")), MSC_SIP_MESSAGE);
    assert_string_equal(msc_sip_method_name(MSC_SIP_REGISTER), "REGISTER");
    assert_null(msc_sip_method_name(MSC_SIP_OTHER_METHOD));

    /* an extension method is fine when CSeq names it exactly */
    expect_ok("invite sip:b@example.org SIP/2.0\r\n" VIA1 MAXF FROM1 TO1 CALLID1
              "CSeq: 1 invite\r\n" END);
    assert_int_equal(M.method, MSC_SIP_OTHER_METHOD);
    assert_str(M.method_name, "invite");
    roundtrip(&M);
    expect_err("invite sip:b@example.org SIP/2.0\r\n" STD END, 400, 0);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: 1 Invite\r\n" END, 400, 0);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: 1 BYE\r\n" END, 400, 0);
}

/* An empty line ends the headers even in the middle of a folded value. */
static void test_folding_empty_line(void **state)
{
    (void)state;
    expect_err("OPTIONS sip:b@example.org SIP/2.0\r\n" VIA1 MAXF FROM1 TO1 CALLID1
               "CSeq: 1\r\n\r\n\t OPTIONS\r\n" END, 400, 1);
}

static void test_folding_values(void **state)
{
    (void)state;
    expect_ok("OPTIONS sip:b@example.org SIP/2.0\r\n"
              "Via: SIP/2.0/UDP h1;branch=z9hG4bK1,\r\n SIP/2.0/UDP h2;branch=z9hG4bK2\r\n"
              "Max-Forwards:\r\n\t7\r\n"
              "From:\r\n   \"A\r\n B\" <sip:a@example.org>\r\n ;tag=1\r\n"
              "To: <sip:b@example.org>\r\n"
              "Call-ID: q\r\n"
              "CSeq: 1\r\n\t OPTIONS\r\n"
              "Subject: one\r\n two\r\n\tthree   \r\n" END);
    assert_int_equal(M.nvia, 2);
    assert_str(M.via[1].host, "h2");
    assert_int_equal(M.max_forwards, 7);
    assert_str(M.from.display, "\"A B\"");
    assert_str(M.from.tag, "1");
    assert_int_equal(M.cseq, 1);
    assert_int_equal(M.cseq_method, MSC_SIP_OPTIONS);
    assert_str(header(&M, "Subject", 0)->value, "one two three");
    roundtrip(&M);
    /* a header name cannot be folded away from its colon */
    bad_with("Subject\r\n : x\r\n", 400, 0);
}

static void test_whitespace(void **state)
{
    (void)state;
    expect_ok("OPTIONS sip:b@example.org SIP/2.0\r\n"
              "Via \t:  SIP / 2.0 /\tUDP  host.example.org  :  5060 ;  branch =  z9hG4bK1 ; rport\r\n"
              "Max-Forwards:70\r\n"
              "From:Ann<sip:a@example.org>  ;  tag  =  9\r\n"
              "To  :  <sip:b@example.org>\r\n"
              "Call-ID:   q@h   \r\n"
              "CSeq: 5 \t OPTIONS  \r\n"
              "Contact:  <sip:a@h> ; expires = 5 ,  \"x\"<sip:b@h>\r\n"
              "Content-Type: text / plain ; charset = \"utf-8\"\r\n" END);
    assert_str(M.via[0].transport, "UDP");
    assert_str(M.via[0].host, "host.example.org");
    assert_int_equal(M.via[0].port, 5060);
    assert_str(M.via[0].branch, "z9hG4bK1");
    assert_int_equal(M.via[0].rport, 0);
    assert_str(M.from.display, "Ann");
    assert_str(M.from.tag, "9");
    assert_str(M.call_id, "q@h");
    assert_int_equal(M.cseq, 5);
    assert_int_equal(M.ncontact, 2);
    assert_int_equal(M.contact[0].expires, 5);
    assert_str(M.contact[1].display, "\"x\"");
    assert_str(M.content_subtype, "plain");
    roundtrip(&M);
}

static void test_via_params(void **state)
{
    static const char *const good[] = {
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1;received=192.0.2.1;rport=5060;ttl=255;maddr=224.2.0.1\r\n",
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1;received=2001:db8::1\r\n",
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1;received=[2001:db8::1]\r\n",
        "Via: SIP/2.0/UDP [::1]:5060;branch=z9hG4bK1;maddr=[ff02::1]\r\n",
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1;ext=\"quoted, value\";flag;x=[::2]\r\n",
        "Via: SIP/2.0/SCTP h;branch=1\r\n",           /* RFC 2543 branch: no magic cookie */
        "Via: SIP/2.0/FOO h;branch=z9hG4bK1\r\n",     /* other-transport */
        "Via: HIP/7.1/UDP h;branch=z9hG4bK1\r\n",     /* other protocol: a token */
    };
    static const char *const bad[] = {
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1;rport=0\r\n",
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1;rport=65536\r\n",
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1;ttl=256\r\n",
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1;received=host.example.org\r\n",
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1;received=1.2.3\r\n",
        "Via: SIP/2.0/UDP h;branch=\"z9hG4bK1\"\r\n",
        "Via: SIP/2.0/UDP h;branch\r\n",
        "Via: SIP/2.0/UDP h;maddr=bad_host\r\n",
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1;branch=z9hG4bK2\r\n",
        "Via: SIP/2.0/UDP h;x=a:b\r\n",
        "Via: SIP/2.0/UDPh;branch=1\r\n",
        "Via: SIP/2.0/UDP\r\n",
        "Via: SIP/2.0/UDP h:0\r\n",
        "Via: SIP/2.0/UDP h;;branch=1\r\n",
        "Via: SIP/2.0/UDP h;branch=1,\r\n",
        "Via: SIP/2.0/UDP h;branch=1,,SIP/2.0/UDP h2\r\n",
        "Via: SIP/2.0/UDP h;branch=1 SIP/2.0/UDP h2\r\n",
    };
    char msg[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(msg, sizeof(msg), "OPTIONS sip:b@example.org SIP/2.0\r\n%s" MAXF FROM1 TO1
                 CALLID1 "CSeq: 1 OPTIONS\r\n" END, good[i]);
        expect_ok(msg);
        roundtrip(&M);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(msg, sizeof(msg), "OPTIONS sip:b@example.org SIP/2.0\r\n%s" MAXF FROM1 TO1
                 CALLID1 "CSeq: 1 OPTIONS\r\n" END, bad[i]);
        expect_err(msg, 400, 1);            /* without its Via a request cannot be answered */
    }

    snprintf(msg, sizeof(msg), "OPTIONS sip:b@example.org SIP/2.0\r\n%s" MAXF FROM1 TO1 CALLID1
             "CSeq: 1 OPTIONS\r\n" END, good[0]);
    expect_ok(msg);
    assert_int_equal(M.via[0].rport, 5060);
    assert_int_equal(M.via[0].ttl, 255);
    assert_str(M.via[0].maddr, "224.2.0.1");
    assert_str(M.via[0].received, "192.0.2.1");
    snprintf(msg, sizeof(msg), "OPTIONS sip:b@example.org SIP/2.0\r\n%s" MAXF FROM1 TO1 CALLID1
             "CSeq: 1 OPTIONS\r\n" END, good[3]);
    expect_ok(msg);
    assert_str(M.via[0].host, "[::1]");
    assert_int_equal(M.via[0].host_kind, MSC_SIP_HOST_IPV6);
    assert_str(M.via[0].maddr, "[ff02::1]");
    snprintf(msg, sizeof(msg), "OPTIONS sip:b@example.org SIP/2.0\r\n%s" MAXF FROM1 TO1 CALLID1
             "CSeq: 1 OPTIONS\r\n" END, good[6]);
    expect_ok(msg);
    assert_int_equal(M.via[0].tp, MSC_SIP_TP_OTHER);
    assert_str(M.via[0].transport, "FOO");
}

static void test_via_lists(void **state)
{
    char extra[4096];
    size_t k = 0;
    (void)state;
    /* 1 (STD) + 15 more over lines and lists = 16: the limit */
    for (int i = 0; i < 5; i++)
        k += (size_t)snprintf(extra + k, sizeof(extra) - k,
                              "Via: SIP/2.0/UDP a%d;branch=z9hG4bKa%d, "
                              "SIP/2.0/TCP b%d;branch=z9hG4bKb%d,"
                              "SIP/2.0/TLS c%d\r\n", i, i, i, i, i);
    ok_with(extra);
    assert_int_equal(M.nvia, MSC_SIP_MAX_VIA);
    assert_str(M.via[0].host, "192.0.2.10");
    assert_str(M.via[1].host, "a0");
    assert_str(M.via[3].host, "c0");
    assert_int_equal(M.via[3].tp, MSC_SIP_TP_TLS);
    assert_str(M.via[15].host, "c4");
    roundtrip(&M);
    snprintf(extra + k, sizeof(extra) - k, "Via: SIP/2.0/UDP one-too-many\r\n");
    bad_with(extra, 513, 1);                /* cannot answer without every Via */
}

/* ---- URIs ----------------------------------------------------------------------------------- */
static void test_uri_valid(void **state)
{
    msc_sip_uri u;
    (void)state;
    assert_int_equal(msc_sip_uri_parse(S("sip:alice@atlanta.com"), &u), 0);
    assert_int_equal(u.scheme, MSC_SIP_SCHEME_SIP);
    assert_str(u.user, "alice");
    assert_false(u.has_password);
    assert_str(u.host, "atlanta.com");
    assert_int_equal(u.port, 0);
    assert_int_equal(u.params.n, 0);

    assert_int_equal(msc_sip_uri_parse(S("sip:alice:secretword@atlanta.com;transport=tcp"), &u), 0);
    assert_str(u.password, "secretword");
    assert_true(u.has_password);
    assert_str(u.transport, "tcp");

    assert_int_equal(msc_sip_uri_parse(S("sip:alice:@atlanta.com"), &u), 0);
    assert_true(u.has_password);
    assert_int_equal(u.password.n, 0);

    assert_int_equal(msc_sip_uri_parse(S("sips:alice@atlanta.com?subject=project%20x&priority=urgent"),
                                       &u), 0);
    assert_int_equal(u.scheme, MSC_SIP_SCHEME_SIPS);
    assert_str(u.headers, "subject=project%20x&priority=urgent");

    assert_int_equal(msc_sip_uri_parse(S("sip:+1-212-555-1212:1234@gateway.com;user=phone"), &u), 0);
    assert_str(u.user, "+1-212-555-1212");
    assert_str(u.user_param, "phone");

    assert_int_equal(msc_sip_uri_parse(S("sips:1212@gateway.com"), &u), 0);
    assert_int_equal(msc_sip_uri_parse(S("sip:alice@192.0.2.4"), &u), 0);
    assert_int_equal(u.host_kind, MSC_SIP_HOST_IPV4);
    assert_int_equal(msc_sip_uri_parse(S("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com"),
                                       &u), 0);
    assert_str(u.method_param, "REGISTER");
    assert_int_equal(u.user.n, 0);
    assert_int_equal(msc_sip_uri_parse(S("sip:alice;day=tuesday@atlanta.com"), &u), 0);
    assert_str(u.user, "alice;day=tuesday");
    assert_str(u.host, "atlanta.com");

    assert_int_equal(msc_sip_uri_parse(S("SIP:[2001:db8::1]:5070;maddr=[::ffff:1.2.3.4];ttl=0;lr"),
                                       &u), 0);
    assert_int_equal(u.scheme, MSC_SIP_SCHEME_SIP);
    assert_str(u.host, "[2001:db8::1]");
    assert_int_equal(u.host_kind, MSC_SIP_HOST_IPV6);
    assert_int_equal(u.port, 5070);
    assert_str(u.maddr, "[::ffff:1.2.3.4]");
    assert_int_equal(u.ttl, 0);
    assert_true(u.lr);

    assert_int_equal(msc_sip_uri_parse(S("sip:h.example.com.:65535"), &u), 0);   /* trailing dot */
    assert_int_equal(u.port, 65535);
    assert_int_equal(msc_sip_uri_parse(S("sip:a-b.c-d.e9"), &u), 0);
    assert_int_equal(msc_sip_uri_parse(S("sip:[::]"), &u), 0);
    assert_int_equal(msc_sip_uri_parse(S("sip:[1:2:3:4:5:6:7:8]"), &u), 0);
    assert_int_equal(msc_sip_uri_parse(S("sip:[1:2:3:4:5:6:1.2.3.4]"), &u), 0);
    assert_int_equal(msc_sip_uri_parse(S("sip:[1::]"), &u), 0);
    assert_int_equal(msc_sip_uri_parse(S("sip:u@h;lr=on;x;y=%20z;[a]=/:&+$"), &u), 0);
    assert_true(u.lr);

    /* other schemes parse as opaque absoluteURIs */
    assert_int_equal(msc_sip_uri_parse(S("tel:+1-201-555-0123;phone-context=x"), &u), 0);
    assert_int_equal(u.scheme, MSC_SIP_SCHEME_OTHER);
    assert_str(u.scheme_name, "tel");
    assert_int_equal(msc_sip_uri_parse(S("mailto:bob@example.org?subject=a%20b"), &u), 0);
    assert_int_equal(msc_sip_uri_parse(S("http://example.org/x;y?z=1"), &u), 0);
}

static void test_uri_invalid(void **state)
{
    static const char *const bad[] = {
        "", "sip:", "sip", ":x", "1sip:h", "sip:@h", "sip:u@", "sip:u@h:", "sip:u@h:0",
        "sip:u@h:65536", "sip:u@h:123456", "sip:u@h;", "sip:u@h;=x", "sip:u@h;x=", "sip:u@h;a;A",
        "sip:u@h?", "sip:u@h?x", "sip:u@h?=1", "sip:u@h?a=1&", "sip:u@h x", "sip:u h@h",
        "sip:u@h>", "sip:u@h\"", "sip:u@-h", "sip:u@h-", "sip:u@h..com", "sip:u@.h", "sip:u@1.2.3",
        "sip:u@1.2.3.4.5", "sip:u@256.1.1.1", "sip:u@1.2.3.04a", "sip:u@h.123", "sip:u@[::1",
        "sip:u@::1", "sip:u@[1:2:3:4:5:6:7:8:9]", "sip:u@[1::2::3]", "sip:u@[:1]", "sip:u@[1:]",
        "sip:u@[12345::]", "sip:u@[1:2:3:4:5:6:7:1.2.3.4]", "sip:u@[::1]x", "sip:u@[g::]",
        "sip:u%@h", "sip:u%4@h", "sip:u%4g@h", "sip:u:p%@h", "sip:u@h;p=%", "sip:u@h;p=%zz",
        "sip:u@h?a=%2", "sip:u@h;ttl=256", "sip:u@h;ttl=", "sip:u@h;ttl=1a", "sip:u@h;maddr=a_b",
"sip:u@h;transport", "sip:u@@h", "sip:u@h@h", "sip:u\x01@h",
        "sip:u@h\x80", "tel:", "tel:+1 2", "x y:z", "tel:%zz",
    };
    msc_sip_uri u;
    char longuri[MSC_SIP_MAX_URI + 8];
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (msc_sip_uri_parse(msc_cstr(bad[i]), &u) != 400)
            fail_msg("accepted: %s", bad[i]);
    /* the length limit */
    memset(longuri, 'a', sizeof(longuri));
    memcpy(longuri, "sip:", 4);
    memcpy(longuri + MSC_SIP_MAX_URI - 2, "@h", 2);
    assert_int_equal(msc_sip_uri_parse(msc_str_make(longuri, MSC_SIP_MAX_URI), &u), 0);
    memcpy(longuri + MSC_SIP_MAX_URI - 2, "a@h", 3);
    assert_int_equal(msc_sip_uri_parse(msc_str_make(longuri, MSC_SIP_MAX_URI + 1), &u), 513);
    /* a hostname is at most 255 characters */
    memset(longuri, 'h', sizeof(longuri));
    memcpy(longuri, "sip:", 4);
    assert_int_equal(msc_sip_uri_parse(msc_str_make(longuri, 4 + 255), &u), 0);
    assert_int_equal(msc_sip_uri_parse(msc_str_make(longuri, 4 + 256), &u), 400);
    assert_int_equal(msc_sip_uri_parse(S("sip:h"), NULL), 400);
}

static void test_uri_params_limit(void **state)
{
    char uri[1024];
    size_t k = (size_t)snprintf(uri, sizeof(uri), "sip:h");
    msc_sip_uri u;
    (void)state;
    for (unsigned i = 0; i < MSC_SIP_MAX_PARAMS; i++)
        k += (size_t)snprintf(uri + k, sizeof(uri) - k, ";p%u", i);
    assert_int_equal(msc_sip_uri_parse(msc_str_make(uri, k), &u), 0);
    k += (size_t)snprintf(uri + k, sizeof(uri) - k, ";more");
    assert_int_equal(msc_sip_uri_parse(msc_str_make(uri, k), &u), 513);
}

static int uri_eq(const char *a, const char *b)
{
    msc_sip_uri x, y;
    assert_int_equal(msc_sip_uri_parse(msc_cstr(a), &x), 0);
    assert_int_equal(msc_sip_uri_parse(msc_cstr(b), &y), 0);
    assert_int_equal(msc_sip_uri_equal(&x, &y), msc_sip_uri_equal(&y, &x));
    return msc_sip_uri_equal(&x, &y);
}

static void test_uri_equal(void **state)
{
    (void)state;
    /* RFC 3261 §19.1.4: equivalent */
    assert_true(uri_eq("sip:%61lice@atlanta.com;transport=TCP",
                       "sip:alice@AtLanTa.CoM;Transport=tcp"));
    assert_true(uri_eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
    assert_true(uri_eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
    assert_true(uri_eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
    assert_true(uri_eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                       "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
    assert_true(uri_eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                       "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
    /* ... and not */
    assert_false(uri_eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
    assert_false(uri_eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
    assert_false(uri_eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
    assert_false(uri_eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
    assert_false(uri_eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
    assert_false(uri_eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
    /* more */
    assert_false(uri_eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
    assert_false(uri_eq("sip:a@h", "sips:a@h"));
    assert_false(uri_eq("sip:a@h", "sip:h"));
    assert_false(uri_eq("sip:a:p@h", "sip:a@h"));
    assert_false(uri_eq("sip:a:p@h", "sip:a:P@h"));
    assert_false(uri_eq("sip:a%3Bb@h", "sip:a;b@h"));      /* an escaped reserved char differs */
    assert_true(uri_eq("sip:a%3bb@h", "sip:a%3Bb@h"));
    assert_true(uri_eq("sip:a@[2001:db8::1]", "sip:a@[2001:DB8:0:0:0:0:0:1]"));
    assert_true(uri_eq("sip:a@[::ffff:192.0.2.1]", "sip:a@[::FFFF:C000:201]"));
    assert_false(uri_eq("sip:a@[::1]", "sip:a@[::2]"));
    assert_true(uri_eq("sip:a@Example.COM.", "sip:a@example.com"));
    assert_true(uri_eq("sip:a@h;lr", "sip:a@h"));
    assert_false(uri_eq("sip:a@h;maddr=1.2.3.4", "sip:a@h"));
    assert_false(uri_eq("sip:a@h;ttl=1", "sip:a@h"));
    assert_false(uri_eq("sip:a@h;user=phone", "sip:a@h"));
    assert_false(uri_eq("sip:a@h;method=INVITE", "sip:a@h"));
    assert_true(uri_eq("sip:a@h;x=%41", "sip:a@h;X=a"));
    assert_true(uri_eq("tel:+123", "TEL:+123"));
    assert_false(uri_eq("tel:+123", "tel:+124"));
    assert_false(uri_eq("tel:+123", "sip:+123@h"));
    assert_false(msc_sip_uri_equal(NULL, NULL));
}

static void test_escapes_and_quotes(void **state)
{
    char buf[64];
    size_t n;
    (void)state;
    assert_true(msc_sip_unescape(S("a%20b%2fc%00"), buf, sizeof(buf), &n));
    assert_int_equal(n, 6);
    assert_memory_equal(buf, "a b/c\0", 6);
    assert_false(msc_sip_unescape(S("%2"), buf, sizeof(buf), &n));
    assert_false(msc_sip_unescape(S("%zz"), buf, sizeof(buf), &n));
    assert_false(msc_sip_unescape(S("abcd"), buf, 3, &n));

    assert_true(msc_sip_unquote(S("\"a \\\"b\\\" \\\\c\""), buf, sizeof(buf), &n));
    assert_int_equal(n, 8);
    assert_memory_equal(buf, "a \"b\" \\c", 8);
    assert_true(msc_sip_unquote(S("plain"), buf, sizeof(buf), &n));
    assert_int_equal(n, 5);
    assert_true(msc_sip_unquote(S("\"\""), buf, sizeof(buf), &n));
    assert_int_equal(n, 0);
    assert_false(msc_sip_unquote(S("\"open"), buf, sizeof(buf), &n));
    assert_false(msc_sip_unquote(S("\"a\"b\""), buf, sizeof(buf), &n));
    assert_false(msc_sip_unquote(S("\"a\\\""), buf, sizeof(buf), &n));
    assert_false(msc_sip_unquote(S("\"abcdef\""), buf, 3, &n));
}

static void test_params_iterator(void **state)
{
    msc_str it, n, v;
    int count = 0;
    (void)state;
    ok_with("Contact: <sip:a@h;lr;transport=tcp>;q=0.1 ; x = \"a;b, c\" ;y=[::1];flag\r\n");
    it = M.contact[0].params;
    while (msc_sip_param_next(&it, &n, &v)) {
        switch (count++) {
        case 0: assert_str(n, "q"); assert_str(v, "0.1"); break;
        case 1: assert_str(n, "x"); assert_str(v, "\"a;b, c\""); break;
        case 2: assert_str(n, "y"); assert_str(v, "[::1]"); break;
        case 3: assert_str(n, "flag"); assert_null(v.p); break;
        default: fail();
        }
    }
    assert_int_equal(count, 4);
    assert_int_equal(it.n, 0);
    assert_true(msc_sip_param_find(M.contact[0].params, "X", &v));
    assert_str(v, "\"a;b, c\"");
    assert_false(msc_sip_param_find(M.contact[0].params, "z", &v));
    assert_true(msc_sip_param_find(M.contact[0].uri.params, "TRANSPORT", &v));
    assert_str(v, "tcp");
    assert_true(msc_sip_param_find(M.contact[0].uri.params, "lr", &v));
    assert_null(v.p);
    /* not a parameter list */
    it = S("x=1");
    assert_false(msc_sip_param_next(&it, &n, &v));
    it = S(";=1");
    assert_false(msc_sip_param_next(&it, &n, &v));
    it = S(";a=\"open");
    assert_false(msc_sip_param_next(&it, &n, &v));
    it = msc_str_make(NULL, 0);
    assert_false(msc_sip_param_next(&it, &n, &v));
    assert_false(msc_sip_param_next(NULL, &n, &v));
}

/* ---- name-addr / addr-spec ------------------------------------------------------------------ */
static void test_addr_forms(void **state)
{
    (void)state;
    ok_with("Contact: \"A \\\"q\\\" \\\\ b\" <sip:a@h>\r\n");
    assert_str(M.contact[0].display, "\"A \\\"q\\\" \\\\ b\"");
    assert_true(M.contact[0].angle);
    ok_with("Contact: One Two  Three <sip:a@h>\r\n");
    assert_str(M.contact[0].display, "One Two  Three");
    ok_with("Contact: caller<sip:a@h>\r\n");
    assert_str(M.contact[0].display, "caller");
    ok_with("Contact: <sip:a@h>\r\n");
    assert_int_equal(M.contact[0].display.n, 0);
    assert_str(M.contact[0].raw, "<sip:a@h>");
    /* addr-spec: what follows ';' belongs to the header, not the URI */
    ok_with("Contact: sip:a@h;expires=5\r\n");
    assert_false(M.contact[0].angle);
    assert_int_equal(M.contact[0].uri.params.n, 0);
    assert_int_equal(M.contact[0].expires, 5);
    ok_with("Contact: <sip:a@h;expires=5>\r\n");
    assert_str(M.contact[0].uri.params, ";expires=5");
    assert_int_equal(M.contact[0].expires, -1);
    /* From/To in addr-spec form with a tag */
    expect_ok(REQ_LINE VIA1 MAXF "From: sip:ann@example.net;tag=abc\r\n" TO1 CALLID1 CSEQ1 END);
    assert_str(M.from.tag, "abc");
    assert_str(M.from.uri.raw, "sip:ann@example.net");
    /* a URI with ';' in its user part must be in angle brackets */
    expect_ok(REQ_LINE VIA1 MAXF "From: <sip:a;b=c@h>;tag=1\r\n" TO1 CALLID1 CSEQ1 END);
    assert_str(M.from.uri.user, "a;b=c");
    roundtrip(&M);
    /* non-SIP URIs in To/From/Contact */
    expect_ok(REQ_LINE VIA1 MAXF FROM1 "To: <tel:+1-201-555-0123>\r\n" CALLID1 CSEQ1 END);
    assert_int_equal(M.to.uri.scheme, MSC_SIP_SCHEME_OTHER);
}

static void test_addr_invalid(void **state)
{
    static const char *const bad[] = {
        "Contact: \"open <sip:a@h>\r\n", "Contact: <sip:a@h\r\n", "Contact: sip:a@h>\r\n",
        "Contact: <>\r\n", "Contact: A B\r\n", "Contact: \"x\" sip:a@h\r\n",
        "Contact: <sip:a@h> x\r\n", "Contact: sip:a@h?x=1\r\n", "Contact: sip:a@h x\r\n",
        "Contact: A \"B\" <sip:a@h>\r\n", "Contact: <sip:a@h>;\r\n", "Contact: <sip:a@h>;=1\r\n",
        "Contact: <sip:a@h>;q=2\r\n", "Contact: <sip:a@h>;q=0.1234\r\n",
        "Contact: <sip:a@h>;q=1.1\r\n",
        "Contact: <sip:a@h>;q=.5\r\n", "Contact: <sip:a@h>;q\r\n", "Contact: <sip:a@h>;expires=x\r\n",
        "Contact: <sip:a@h>;expires\r\n", "Contact: <sip:a@h>,\r\n", "Contact: ,<sip:a@h>\r\n",
        "Contact: <sip:a@h>;x=\"open\r\n", "Contact: <sip:a@h>;x=a=b\r\n", "Contact:\r\n",
        "Route: sip:p@h;lr\r\n", "Record-Route: \"x\"\r\n", "Route: <sip:p@h>, sip:q@h\r\n",
        "Contact: <sip:a@h>;p=1;P=2\r\n",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        bad_with(bad[i], 400, 0);
    /* From/To problems make the request unanswerable */
    expect_err(REQ_LINE VIA1 MAXF "From: <sip:a@h>;tag\r\n" TO1 CALLID1 CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF "From: <sip:a@h>;tag=\"q\"\r\n" TO1 CALLID1 CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 "To: <sip:b@h>, <sip:c@h>\r\n" CALLID1 CSEQ1 END, 400, 1);
}

static void test_contact(void **state)
{
    char extra[2048];
    size_t k = 0;
    (void)state;
    expect_ok("REGISTER sip:r.example.org SIP/2.0\r\n" VIA1 MAXF FROM1 TO1 CALLID1
              "CSeq: 1 REGISTER\r\nContact:  *  \r\nExpires: 0\r\n" END);
    assert_true(M.contact_star);
    assert_int_equal(M.ncontact, 0);
    assert_int_equal(M.expires, 0);
    roundtrip(&M);
    ok_with("Contact: <sip:a@h>;expires=4294967296;q=1.000, <sip:b@h>;q=0\r\nContact: sip:c@h\r\n");
    assert_int_equal(M.ncontact, 3);
    assert_int_equal(M.contact[0].expires, 4294967295LL);   /* clamped */
    assert_str(M.contact[1].q, "0");
    bad_with("Contact: *, <sip:a@h>\r\n", 400, 0);
    bad_with("Contact: <sip:a@h>\r\nContact: *\r\n", 400, 0);
    bad_with("Contact: *\r\nContact: *\r\n", 400, 0);
    for (unsigned i = 0; i < MSC_SIP_MAX_CONTACT; i++)
        k += (size_t)snprintf(extra + k, sizeof(extra) - k, "Contact: <sip:c%u@h>\r\n", i);
    ok_with(extra);
    assert_int_equal(M.ncontact, MSC_SIP_MAX_CONTACT);
    snprintf(extra + k, sizeof(extra) - k, "Contact: <sip:x@h>\r\n");
    bad_with(extra, 513, 0);
}

/* ---- single-valued headers ------------------------------------------------------------------ */
static void test_cseq(void **state)
{
    (void)state;
    expect_ok(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: 0 INVITE\r\n" END);
    assert_int_equal(M.cseq, 0);
    expect_ok(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: 2147483647 INVITE\r\n" END);
    assert_int_equal(M.cseq, 2147483647u);
    expect_ok(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: 0000000000000000000042 INVITE\r\n" END);
    assert_int_equal(M.cseq, 42);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: 2147483648 INVITE\r\n" END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: 99999999999999999999 INVITE\r\n" END,
               400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: 1INVITE\r\n" END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: INVITE\r\n" END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: 1 INVITE x\r\n" END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: +1 INVITE\r\n" END, 400, 1);
    expect_err(REQ_LINE STD "CSeq: 2 INVITE\r\n" END, 400, 0);     /* duplicate: answerable */
}

static void test_numbers(void **state)
{
    (void)state;
    expect_ok(REQ_LINE VIA1 "Max-Forwards: 0\r\n" FROM1 TO1 CALLID1 CSEQ1 END);
    assert_int_equal(M.max_forwards, 0);
    expect_ok(REQ_LINE VIA1 "Max-Forwards: 255\r\n" FROM1 TO1 CALLID1 CSEQ1 END);
    assert_int_equal(M.max_forwards, 255);
    expect_err(REQ_LINE VIA1 "Max-Forwards: 256\r\n" FROM1 TO1 CALLID1 CSEQ1 END, 400, 0);
    expect_err(REQ_LINE VIA1 "Max-Forwards: -1\r\n" FROM1 TO1 CALLID1 CSEQ1 END, 400, 0);
    expect_err(REQ_LINE VIA1 "Max-Forwards: 7 0\r\n" FROM1 TO1 CALLID1 CSEQ1 END, 400, 0);
    expect_err(REQ_LINE VIA1 FROM1 TO1 CALLID1 CSEQ1 END, 400, 0);           /* missing */
    bad_with("Max-Forwards: 70\r\n", 400, 0);                              /* duplicate */

    ok_with("Expires: 4294967295\r\nMin-Expires: 60\r\n");
    assert_int_equal(M.expires, 4294967295LL);
    assert_int_equal(M.min_expires, 60);
    ok_with("Expires: 123456789012345678901234567890\r\n");
    assert_int_equal(M.expires, 4294967295LL);                             /* clamped */
    bad_with("Expires: 1.5\r\n", 400, 0);
    bad_with("Expires: \r\n", 400, 0);
    bad_with("Expires: 1\r\nExpires: 2\r\n", 400, 0);
    bad_with("Min-Expires: x\r\n", 400, 0);
}

static void test_content_length(void **state)
{
    static const char head[] = "MESSAGE sip:b@example.org SIP/2.0\r\n" VIA1 MAXF FROM1 TO1 CALLID1
                               "CSeq: 1 MESSAGE\r\n";
    char msg[1024];
    msc_sip_error e;
    (void)state;
    /* datagrams: no Content-Length means the rest; more bytes than it says are ignored */
    snprintf(msg, sizeof(msg), "%s\r\nrest of it", head);
    expect_ok(msg);
    assert_str(M.body, "rest of it");
    snprintf(msg, sizeof(msg), "%sContent-Length: 4\r\n\r\nrest of it", head);
    expect_ok(msg);
    assert_str(M.body, "rest");
    snprintf(msg, sizeof(msg), "%sl:\r\n 4\r\n\r\nrest", head);
    expect_ok(msg);
    assert_str(M.body, "rest");
    snprintf(msg, sizeof(msg), "%sContent-Length: 11\r\n\r\nrest of it", head);
    expect_err(msg, 400, 0);
    snprintf(msg, sizeof(msg), "%sContent-Length: -1\r\n\r\n", head);
    expect_err(msg, 400, 0);
    snprintf(msg, sizeof(msg), "%sContent-Length: 1 2\r\n\r\n", head);
    expect_err(msg, 400, 0);
    snprintf(msg, sizeof(msg), "%sContent-Length: 8193\r\n\r\n", head);
    expect_err(msg, 413, 0);
    snprintf(msg, sizeof(msg), "%sContent-Length: 184467440737095516160\r\n\r\n", head);
    expect_err(msg, 413, 0);
    snprintf(msg, sizeof(msg), "%sContent-Length: 0\r\nl: 0\r\n\r\n", head);
    expect_err(msg, 400, 0);
    /* streams: Content-Length is required and exact */
    snprintf(msg, sizeof(msg), "%s\r\n", head);
    assert_int_equal(msc_sip_parse(msg, strlen(msg), MSC_SIP_STREAM, &M, &e), 400);
    assert_string_equal(e.reason, "Missing Content-Length");
    assert_int_equal(e.drop, 0);
    snprintf(msg, sizeof(msg), "%sContent-Length: 2\r\n\r\nabc", head);
    assert_int_equal(msc_sip_parse(msg, strlen(msg), MSC_SIP_STREAM, &M, &e), 400);
    snprintf(msg, sizeof(msg), "%sContent-Length: 3\r\n\r\nabc", head);
    assert_int_equal(msc_sip_parse(msg, strlen(msg), MSC_SIP_STREAM, &M, &e), 0);
    /* a body of exactly MSC_SIP_MAX_BODY bytes without Content-Length, and one byte more */
    {
        size_t h = strlen(head);
        memcpy(big, head, h);
        memcpy(big + h, "\r\n", 2);
        memset(big + h + 2, 'b', MSC_SIP_MAX_BODY + 1);
        expect_ok_n(big, h + 2 + MSC_SIP_MAX_BODY, &M);
        assert_int_equal(M.body.n, MSC_SIP_MAX_BODY);
        roundtrip(&M);
        expect_err_n(big, h + 2 + MSC_SIP_MAX_BODY + 1, 413, 0);
    }
}

static void test_content_type(void **state)
{
    (void)state;
    ok_with("Content-Type: application/sdp\r\n");
    assert_str(M.content_type, "application");
    assert_int_equal(M.content_type_params.n, 0);
    ok_with("c: multipart/mixed;boundary=\"unique; boundary\";x=y\r\n");
    assert_str(M.content_subtype, "mixed");
    assert_str(M.content_type_params, ";boundary=\"unique; boundary\";x=y");
    bad_with("Content-Type: text\r\n", 400, 0);
    bad_with("Content-Type: text/\r\n", 400, 0);
    bad_with("Content-Type: /plain\r\n", 400, 0);
    bad_with("Content-Type: text/plain;charset\r\n", 400, 0);
    bad_with("Content-Type: text/plain;x=[::1]\r\n", 400, 0);
    bad_with("Content-Type: text/plain x\r\n", 400, 0);
    bad_with("Content-Type: text/plain\r\nContent-Type: text/html\r\n", 400, 0);
}

static void test_call_id(void **state)
{
    char extra[600];
    (void)state;
    expect_ok(REQ_LINE VIA1 MAXF FROM1 TO1
              "Call-ID: a.b-c!d%e*f_g+h`i'j~k(l)m<n>o:p\\q\"r/s[t]u?v{w}x@yz\r\n" CSEQ1 END);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 "Call-ID: a@b@c\r\n" CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 "Call-ID: a b\r\n" CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 "Call-ID: @b\r\n" CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 "Call-ID: a@\r\n" CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 "Call-ID: a;b\r\n" CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 "Call-ID:\r\n" CSEQ1 END, 400, 1);
    {
        char cid[MSC_SIP_MAX_CALL_ID + 1];
        memset(cid, 'c', sizeof(cid));
        snprintf(extra, sizeof(extra), REQ_LINE VIA1 MAXF FROM1 TO1 "Call-ID: %.*s\r\n" CSEQ1 END,
                 (int)MSC_SIP_MAX_CALL_ID, cid);
        expect_ok(extra);
        assert_int_equal(M.call_id.n, MSC_SIP_MAX_CALL_ID);
        snprintf(extra, sizeof(extra), REQ_LINE VIA1 MAXF FROM1 TO1 "Call-ID: %.*s\r\n" CSEQ1 END,
                 (int)MSC_SIP_MAX_CALL_ID + 1, cid);
    }
    expect_err(extra, 513, 1);
}

static void test_auth_headers(void **state)
{
    msc_str v;
    const msc_sip_auth *a;
    (void)state;
    expect_ok("SIP/2.0 401 Unauthorized\r\n" VIA1 FROM1 "To: <sip:b@h>;tag=2\r\n" CALLID1 CSEQ1
              "WWW-Authenticate: Digest realm=\"atlanta.com\",\r\n  domain=\"sip:boxesbybob.com\", "
              "qop=\"auth\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, "
              "algorithm=MD5\r\n"
              "Proxy-Authenticate: Newauth realm=\"apps\", type=1, title=\"Login, please\"\r\n" END);
    assert_int_equal(M.nauth, 2);
    a = &M.auth[0];
    assert_int_equal(a->which, MSC_SIP_H_WWW_AUTHENTICATE);
    assert_str(a->scheme, "Digest");
    assert_true(msc_sip_auth_param(a, "realm", &v));
    assert_str(v, "\"atlanta.com\"");
    assert_true(msc_sip_auth_param(a, "STALE", &v));
    assert_str(v, "FALSE");
    assert_true(msc_sip_auth_param(a, "opaque", &v));
    assert_str(v, "\"\"");
    assert_false(msc_sip_auth_param(a, "cnonce", &v));
    assert_int_equal(M.auth[1].which, MSC_SIP_H_PROXY_AUTHENTICATE);
    assert_true(msc_sip_auth_param(&M.auth[1], "title", &v));
    assert_str(v, "\"Login, please\"");
    roundtrip(&M);

    bad_with("Authorization: Digest\r\n", 400, 0);
    bad_with("Authorization: Digest username\r\n", 400, 0);
    bad_with("Authorization: Digest username=\r\n", 400, 0);
    bad_with("Authorization: Digest username=\"a\",\r\n", 400, 0);
    bad_with("Authorization: Digest username=\"a\" realm=\"b\"\r\n", 400, 0);
    bad_with("Authorization: Digest username=\"a\", username=\"b\"\r\n", 400, 0);
    bad_with("Authorization: Digest username=\"open\r\n", 400, 0);
    bad_with("Authorization: Digest,username=\"a\"\r\n", 400, 0);
    bad_with("Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n", 400, 0);   /* token68 */
    ok_with("Authorization: Digest a=1\r\nProxy-Authorization: Digest b=2\r\n"
            "Authorization: Digest c=3\r\nProxy-Authorization: Digest d=4\r\n");
    bad_with("Authorization: Digest a=1\r\nProxy-Authorization: Digest b=2\r\n"
             "Authorization: Digest c=3\r\nProxy-Authorization: Digest d=4\r\n"
             "Authorization: Digest e=5\r\n", 513, 0);
}

static void test_reason_and_tags(void **state)
{
    char extra[1024];
    size_t k = 0;
    (void)state;
    ok_with("Reason: SIP ;cause=580;text=\"Precondition Failure\", Q.850;cause=16, x-proto;foo\r\n");
    assert_int_equal(M.nreason, 3);
    assert_str(M.reasons[0].protocol, "SIP");
    assert_int_equal(M.reasons[0].cause, 580);
    assert_str(M.reasons[0].text, "\"Precondition Failure\"");
    assert_str(M.reasons[1].protocol, "Q.850");
    assert_int_equal(M.reasons[2].cause, -1);
    bad_with("Reason: SIP;cause=abc\r\n", 400, 0);
    bad_with("Reason: SIP;cause=1234567\r\n", 400, 0);
    bad_with("Reason: SIP;text=unquoted\r\n", 400, 0);
    bad_with("Reason: ;cause=1\r\n", 400, 0);
    bad_with("Reason: a, b, c, d, e\r\n", 513, 0);

    ok_with("Supported:\r\nSupported: timer\r\nAllow:\r\nRequire: 100rel , precondition\r\n"
            "Proxy-Require: sec-agree\r\nUnsupported: foo\r\n");
    assert_true(M.supported.present);
    assert_int_equal(M.supported.n, 1);
    assert_true(M.allow.present);
    assert_int_equal(M.allow.n, 0);
    assert_int_equal(M.require.n, 2);
    assert_str(M.require.v[1], "precondition");
    assert_str(M.proxy_require.v[0], "sec-agree");
    assert_str(M.unsupported.v[0], "foo");
    roundtrip(&M);
    bad_with("Require:\r\n", 400, 0);
    bad_with("Unsupported:\r\n", 400, 0);
    bad_with("Supported: a,,b\r\n", 400, 0);
    bad_with("Supported: a b\r\n", 400, 0);
    bad_with("Allow: INVITE,\r\n", 400, 0);
    for (unsigned i = 0; i < MSC_SIP_MAX_TAGS; i++)
        k += (size_t)snprintf(extra + k, sizeof(extra) - k, "%st%u", i ? ", " : "Allow: ", i);
    snprintf(extra + k, sizeof(extra) - k, "\r\n");
    ok_with(extra);
    assert_int_equal(M.allow.n, MSC_SIP_MAX_TAGS);
    snprintf(extra + k, sizeof(extra) - k, ", more\r\n");
    bad_with(extra, 513, 0);
}

static void test_user_agent_server(void **state)
{
    char extra[256];
    (void)state;
    ok_with("User-Agent: Softphone Beta1.5 (Windows; \\(escaped\\) (nested (twice))) lib/2\r\n");
    ok_with("User-Agent: x/1.0(no space)\r\n");
    ok_with("User-Agent: (only a comment)\r\n");
    expect_ok("SIP/2.0 200 OK\r\n" VIA1 FROM1 "To: <sip:b@h>;tag=2\r\n" CALLID1 CSEQ1
              "Server: Example/1 (x) Other / 2\r\n" END);
    assert_str(M.server, "Example/1 (x) Other / 2");
    bad_with("User-Agent: a/1 / 2\r\n", 400, 0);
    bad_with("User-Agent:\r\n", 400, 0);
    bad_with("User-Agent: x/\r\n", 400, 0);
    bad_with("User-Agent: x (open\r\n", 400, 0);
    bad_with("User-Agent: x )\r\n", 400, 0);
    bad_with("User-Agent: a@b\r\n", 400, 0);
    bad_with("User-Agent: a\r\nUser-Agent: b\r\n", 400, 0);
    snprintf(extra, sizeof(extra), "User-Agent: x %.*s%.*s\r\n", (int)MSC_SIP_MAX_COMMENT,
             "((((((((((((((((((((((((", (int)MSC_SIP_MAX_COMMENT, "))))))))))))))))))))))))");
    ok_with(extra);
    snprintf(extra, sizeof(extra), "User-Agent: x %.*s%.*s\r\n", (int)MSC_SIP_MAX_COMMENT + 1,
             "((((((((((((((((((((((((", (int)MSC_SIP_MAX_COMMENT + 1, "))))))))))))))))))))))))");
    bad_with(extra, 400, 0);
}

/* ---- start lines, bytes, limits ------------------------------------------------------------- */
static void test_start_lines(void **state)
{
    static const struct { const char *line; int status, drop; } t[] = {
        { "INVITE sip:bob@example.org SIP/7.0", 505, 0 },
        { "INVITE sip:bob@example.org SIP/2.1", 505, 0 },
        { "INVITE sip:bob@example.org SIP/20.0", 505, 0 },
        { "INVITE sip:bob@example.org SIP/2", 400, 0 },
        { "INVITE sip:bob@example.org SIP/2.0.0", 400, 0 },
        { "INVITE sip:bob@example.org HTTP/1.1", 400, 0 },
        { "INVITE sip:bob@example.org", 400, 0 },
        { "INVITE  sip:bob@example.org SIP/2.0", 400, 0 },
        { "INVITE sip:bob@example.org  SIP/2.0", 400, 0 },
        { "INVITE sip:bob@example.org SIP/2.0 ", 400, 0 },
        { "INVITE sip:bob@example.org\tSIP/2.0", 400, 0 },
        { "INVITE <sip:bob@example.org> SIP/2.0", 400, 0 },
        { "INVITE sip:bob@exa mple.org SIP/2.0", 400, 0 },
        { "INVITE tel:+1234 SIP/2.0", 416, 0 },
        { "INVITE http://example.org/ SIP/2.0", 416, 0 },
        { "INVITE sip:bob@example.org;ttl=300 SIP/2.0", 400, 0 },
        { " INVITE sip:bob@example.org SIP/2.0", 400, 1 },
        { "INV(ITE sip:bob@example.org SIP/2.0", 400, 1 },
        { "INVITE", 400, 1 },
        { "", 400, 1 },
        { "SIP/2.0 200", 400, 1 },
        { "SIP/2.0 2000 OK", 400, 1 },
        { "SIP/2.0 099 Low", 400, 1 },
        { "SIP/2.0 700 High", 400, 1 },
        { "SIP/2.0 20x OK", 400, 1 },
        { "SIP/2.0  200 OK", 400, 1 },
        { "SIP/3.0 200 OK", 505, 1 },
        { "SIP/2.0/UDP 200 OK", 400, 1 },
    };
    char msg[2048];
    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        snprintf(msg, sizeof(msg), "%s\r\n" STD END, t[i].line);
        expect_err(msg, t[i].status, t[i].drop);
    }
    /* legal oddities */
    expect_ok("INVITE sip:bob@example.org sip/2.0\r\n" STD END);
    expect_ok("SIP/2.0 200 \r\n" VIA1 FROM1 TO1 CALLID1 CSEQ1 END);             /* empty reason */
    assert_int_equal(M.reason.n, 0);
    roundtrip(&M);
    expect_ok("SIP/2.0 699 Whatever\tyou [say] \"here\" \xc3\xa9\r\n" VIA1 FROM1 TO1 CALLID1 CSEQ1
              END);
    assert_int_equal(M.status, 699);
    roundtrip(&M);
    expect_ok("\r\n\r\n" REQ_LINE STD END);                                 /* leading CRLFs */
    /* the Request-URI length limit */
    {
        char uri[MSC_SIP_MAX_URI + 2];
        memset(uri, 'u', sizeof(uri));
        memcpy(uri, "sip:", 4);
        memcpy(uri + MSC_SIP_MAX_URI - 2, "@h", 2);
        snprintf(msg, sizeof(msg), "INVITE %.*s SIP/2.0\r\n" STD END, (int)MSC_SIP_MAX_URI, uri);
        expect_ok(msg);
        memcpy(uri + MSC_SIP_MAX_URI - 2, "u@h", 3);
        snprintf(msg, sizeof(msg), "INVITE %.*s SIP/2.0\r\n" STD END, (int)MSC_SIP_MAX_URI + 1, uri);
        expect_err(msg, 414, 0);
    }
}

static void test_bytes_and_line_ends(void **state)
{
    static const char nul_hdr[] = REQ_LINE STD "Subject: a\0b\r\n" END;
    static const char nul_start[] = "INVITE sip:bob@exa\0mple.org SIP/2.0\r\n" STD END;
    static const char nul_body[] = "MESSAGE sip:b@example.org SIP/2.0\r\n" VIA1 MAXF FROM1 TO1 CALLID1
                                   "CSeq: 1 MESSAGE\r\nContent-Length: 3\r\n\r\na\0b";
    (void)state;
    expect_err_n(nul_hdr, sizeof(nul_hdr) - 1, 400, 0);
    expect_err_n(nul_start, sizeof(nul_start) - 1, 400, 1);
    expect_ok_n(nul_body, sizeof(nul_body) - 1, &M);
    assert_int_equal(M.body.n, 3);
    assert_memory_equal(M.body.p, "a\0b", 3);
    roundtrip(&M);
    expect_err(REQ_LINE VIA1 "Max-Forwards: 70\n" FROM1 TO1 CALLID1 CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 "Max-Forwards: 70\r" FROM1 TO1 CALLID1 CSEQ1 END, 400, 1);
    expect_err("INVITE sip:bob@example.org SIP/2.0\n" STD END, 400, 1);
    expect_err(REQ_LINE STD "Subject: \x01\r\n" END, 400, 0);
    expect_err(REQ_LINE STD "Subject: \x7f\r\n" END, 400, 0);
    expect_err(REQ_LINE STD "Subject: \xc3\r\n" END, 400, 0);               /* truncated UTF-8 */
    expect_err(REQ_LINE STD "Subject: \xed\xa0\x80\r\n" END, 400, 0);       /* a surrogate */
    expect_err(REQ_LINE STD "Subject: \xc0\xaf\r\n" END, 400, 0);           /* overlong */
    expect_ok(REQ_LINE STD "Subject: \ttabs\tare\tfine\t\r\n" END);
    assert_str(header(&M, "Subject", 0)->value, "tabs\tare\tfine");
    expect_err(REQ_LINE STD, 400, 1);                                      /* no empty line */
    expect_err(REQ_LINE STD "Subject: x", 400, 1);
    expect_err("\r\n\r\n", 400, 1);
    expect_err("", 400, 1);
    expect_err(REQ_LINE " folded\r\n" STD END, 400, 0);
    expect_err(REQ_LINE STD "no colon here\r\n" END, 400, 0);
    expect_err(REQ_LINE STD "Bad Name: x\r\n" END, 400, 0);
    expect_err(REQ_LINE STD ": x\r\n" END, 400, 0);
    expect_err(REQ_LINE STD "Na(me: x\r\n" END, 400, 0);
    /* the same rules hold on continuation lines */
    expect_err(REQ_LINE STD "Subject: a\r\n b\x01\r\n" END, 400, 0);
    expect_err(REQ_LINE STD "Subject: a\r\n b\n" END, 400, 1);
    expect_err(REQ_LINE STD "Subject: a\r\n b", 400, 1);
    expect_err(REQ_LINE STD "Via: SIP/2.0/UDP h2;branch=z9hG4bK2;\r\n x=\x7f\r\n" END, 400, 1);
    {
        /* an overlong Via line loses the answer too */
        char extra[MSC_SIP_MAX_LINE + 64];
        snprintf(extra, sizeof(extra), "Via: SIP/2.0/UDP h;branch=z9hG4bK%0*d\r\n",
                 (int)MSC_SIP_MAX_LINE, 7);
        bad_with(extra, 513, 1);
    }
}

static void test_limits(void **state)
{
    char extra[MSC_SIP_MAX_LINE * 2 + 256];
    size_t k = 0;
    msc_sip_error e;
    (void)state;
    /* header lines: STD has 6, so 58 more reach the limit */
    for (unsigned i = 0; i < MSC_SIP_MAX_HEADERS - 6; i++)
        k += (size_t)snprintf(extra + k, sizeof(extra) - k, "X-%u: %u\r\n", i, i);
    ok_with(extra);
    assert_int_equal(M.nheaders, MSC_SIP_MAX_HEADERS);
    roundtrip(&M);
    snprintf(extra + k, sizeof(extra) - k, "X-last: 1\r\n");
    bad_with(extra, 513, 0);

    /* one value */
    memcpy(extra, "Subject: ", 9);
    memset(extra + 9, 's', MSC_SIP_MAX_LINE);
    memcpy(extra + 9 + MSC_SIP_MAX_LINE, "\r\n", 3);
    ok_with(extra);
    assert_int_equal(header(&M, "Subject", 0)->value.n, MSC_SIP_MAX_LINE);
    roundtrip(&M);
    memset(extra + 9, 's', MSC_SIP_MAX_LINE + 1);
    memcpy(extra + 9 + MSC_SIP_MAX_LINE + 1, "\r\n", 3);
    bad_with(extra, 513, 0);

    /* one name */
    memset(extra, 'n', MSC_SIP_MAX_NAME);
    memcpy(extra + MSC_SIP_MAX_NAME, ": v\r\n", 6);
    ok_with(extra);
    memset(extra, 'n', MSC_SIP_MAX_NAME + 1);
    memcpy(extra + MSC_SIP_MAX_NAME + 1, ": v\r\n", 6);
    bad_with(extra, 513, 0);

    /* the whole message: a datagram over the limit is answered from its headers */
    {
        const char *r = req_with("Content-Type: text/plain\r\n");
        size_t h = strlen(r);
        memcpy(big, r, h);
        memset(big + h, 'b', MSC_SIP_MAX_MSG);
        assert_int_equal(msc_sip_parse(big, h + MSC_SIP_MAX_MSG, MSC_SIP_DATAGRAM, &M, &e), 513);
        assert_int_equal(e.drop, 0);
        assert_int_equal(msc_sip_make_response(&R, &M, 513, msc_cstr(e.reason), S("t")), 0);
        /* headers that do not end within the limit: dropped */
        k = (size_t)snprintf(big, sizeof(big), "%s", REQ_LINE STD);
        for (unsigned i = 0; k < MSC_SIP_MAX_MSG + 100; i++)
            k += (size_t)snprintf(big + k, sizeof(big) - k, "X-Pad: %u\r\n", i);
        memcpy(big + k, "\r\n", 2);
        assert_int_equal(msc_sip_parse(big, k + 2, MSC_SIP_DATAGRAM, &M, &e), 513);
        assert_int_equal(e.drop, 1);
    }
}

/* A message whose serialization would exceed MSC_SIP_MAX_MSG (compact names grow) is refused
 * whole, so everything accepted can be sent back out. */
static void test_canonical_size_limit(void **state)
{
    size_t k;
    msc_sip_error e;
    (void)state;
    k = (size_t)snprintf(big, sizeof(big), "%s", "MESSAGE sip:b@example.org SIP/2.0\r\n" VIA1 MAXF
                         FROM1 TO1 CALLID1 "CSeq: 1 MESSAGE\r\n");
    for (int i = 0; i < 50; i++)
        k += (size_t)snprintf(big + k, sizeof(big) - k, "e: %0170d\r\n", i);
    k += (size_t)snprintf(big + k, sizeof(big) - k, "\r\n");
    /* fill to exactly the limit with body */
    memset(big + k, 'b', MSC_SIP_MAX_MSG - k);
    assert_int_equal(msc_sip_parse(big, MSC_SIP_MAX_MSG, MSC_SIP_DATAGRAM, &M, &e), 513);
    assert_int_equal(e.drop, 0);
    /* 15 bytes per "e:" line more once written as "Content-Encoding:", plus Content-Length */
    assert_int_equal(msc_sip_parse(big, MSC_SIP_MAX_MSG - 50 * 15 - 30, MSC_SIP_DATAGRAM, &M, &e), 0);
    roundtrip(&M);
}

/* ---- answering ------------------------------------------------------------------------------ */
static void test_salvage_answer(void **state)
{
    msc_sip_error e;
    size_t n;
    (void)state;
    assert_int_equal(msc_sip_parse(req_with("Contact: <sip:bad%zz@h>\r\n"),
                                   strlen(req_with("Contact: <sip:bad%zz@h>\r\n")),
                                   MSC_SIP_DATAGRAM, &M, &e), 400);
    assert_string_equal(e.reason, "Bad Contact");
    assert_int_equal(e.drop, 0);
    assert_int_equal(msc_sip_make_response(&R, &M, e.status, msc_cstr(e.reason), S("srv1")), 0);
    n = msc_sip_serialize(&R, out, sizeof(out));
    assert_true(n > 0);
    out[n] = '\0';
    assert_string_equal(out, "SIP/2.0 400 Bad Contact\r\n" VIA1 FROM1
                             "To: <sip:bob@example.org>;tag=srv1\r\n" CALLID1 CSEQ1 END);

    /* 505 and 416 answers too */
    expect_err("INVITE sip:b@example.org SIP/3.0\r\n" STD END, 505, 0);
    assert_int_equal(msc_sip_make_response(&R, &M, 505, S(""), S("t")), 0);
    assert_str(R.reason, "Version Not Supported");
    expect_err("INVITE im:b@example.org SIP/2.0\r\n" STD END, 416, 0);
    assert_int_equal(msc_sip_make_response(&R, &M, 416, S(""), S("t")), 0);
    roundtrip(&R);
}

static void test_drop(void **state)
{
    (void)state;
    /* a response is never answered, whatever is wrong with it */
    expect_err("SIP/2.0 200 OK\r\n" VIA1 FROM1 TO1 CSEQ1 END, 400, 1);
    expect_err("SIP/2.0 200 OK\r\n" VIA1 FROM1 TO1 CALLID1 CSEQ1 "Contact: <>\r\n" END, 400, 1);
    /* neither is an ACK */
    expect_err("ACK sip:b@example.org SIP/2.0\r\n" VIA1 MAXF FROM1 TO1 CALLID1 "CSeq: 1 ACK\r\n"
               "Contact: <>\r\n" END, 400, 1);
    /* nor a request without what an answer needs */
    expect_err(REQ_LINE MAXF FROM1 TO1 CALLID1 CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF TO1 CALLID1 CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 CALLID1 CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 CSEQ1 END, 400, 1);
    expect_err(REQ_LINE VIA1 MAXF FROM1 TO1 CALLID1 END, 400, 1);
    /* one bad Via line among good ones loses the answer */
    expect_err(REQ_LINE STD "Via: nonsense\r\n" END, 400, 1);
    expect_err_n(REQ_LINE STD "v: SIP/2.0/UDP h\0;branch=z9hG4bK2\r\n" END,
                 sizeof(REQ_LINE STD "v: SIP/2.0/UDP h\0;branch=z9hG4bK2\r\n" END) - 1, 400, 1);
}

static void test_make_response(void **state)
{
    const char *req = "INVITE sip:bob@example.org SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP p1;branch=z9hG4bKp1, SIP/2.0/UDP p0;branch=z9hG4bKp0\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
                      "Record-Route: <sip:p1;lr>\r\nRecord-Route: <sip:p0;lr>\r\n"
                      MAXF FROM1 TO1 CALLID1 CSEQ1 "Contact: <sip:ann@192.0.2.10>\r\n" END;
    static const int codes[] = { 100, 180, 200, 400, 401, 403, 404, 407, 408, 480, 481, 486, 487,
                                 488, 500, 501, 503, 603 };
    (void)state;
    expect_ok(req);
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        int c = codes[i];
        assert_int_equal(msc_sip_make_response(&R, &M, c, S(""), S("totag")), 0);
        assert_int_equal(R.status, c);
        assert_str(R.reason, msc_sip_reason_phrase(c));
        assert_string_not_equal(msc_sip_reason_phrase(c), "Unknown");
        assert_int_equal(R.nvia, 3);
        assert_str(R.via[0].branch, "z9hG4bKp1");
        assert_str(R.via[2].branch, "z9hG4bK1");
        assert_str(R.call_id, "c1@192.0.2.10");
        assert_int_equal(R.cseq, 1);
        assert_int_equal(R.cseq_method, MSC_SIP_INVITE);
        assert_str(R.from.tag, "f1");
        assert_str(R.to.tag, c == 100 ? "" : "totag");
        assert_int_equal(R.nrecord_route, c > 100 && c < 300 ? 2 : 0);
        assert_int_equal(R.ncontact, 0);
        roundtrip(&R);
    }
    assert_string_equal(msc_sip_reason_phrase(999), "Unknown");
    assert_int_equal(msc_sip_make_response(&R, &M, 486, S("Gone Fishing"), S("t")), 0);
    assert_str(R.reason, "Gone Fishing");
    /* no tag where one is needed, a bad tag, a bad status, or not a request */
    assert_int_equal(msc_sip_make_response(&R, &M, 200, S(""), S("")), 400);
    assert_int_equal(msc_sip_make_response(&R, &M, 200, S(""), S("a b")), 400);
    assert_int_equal(msc_sip_make_response(&R, &M, 200, S("bad\r\nreason"), S("t")), 400);
    assert_int_equal(msc_sip_make_response(&R, &M, 99, S(""), S("t")), 400);
    assert_int_equal(msc_sip_make_response(&R, &M, 700, S(""), S("t")), 400);
    assert_int_equal(msc_sip_make_response(&M, &M, 200, S(""), S("t")), 400);
    assert_int_equal(msc_sip_make_response(&R, &M, 100, S(""), S("")), 0);   /* 100: no tag */
    assert_int_equal(msc_sip_make_response(&R2, &R, 200, S(""), S("t")), 400);
    /* a To tag already there is kept */
    expect_ok("BYE sip:b@h SIP/2.0\r\n" VIA1 MAXF FROM1 "To: <sip:b@h>;tag=known\r\n" CALLID1
              "CSeq: 2 BYE\r\n" "Record-Route: <sip:p;lr>\r\n" END);
    assert_int_equal(msc_sip_make_response(&R, &M, 200, S(""), S("other")), 0);
    assert_str(R.to.tag, "known");
    assert_int_equal(R.nrecord_route, 0);   /* only for answers to INVITE */
}

/* ---- building and serializing --------------------------------------------------------------- */
static void test_serialize_exact(void **state)
{
    size_t n;
    (void)state;
    assert_int_equal(msc_sip_init_request(&M, S("MESSAGE"), S("sip:bob@example.org")), 0);
    assert_int_equal(msc_sip_add_z(&M, "v", "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKx"), 0);
    assert_int_equal(msc_sip_add_z(&M, "max-forwards", "70"), 0);
    assert_int_equal(msc_sip_add_z(&M, "f", "<sip:ann@example.net>;tag=1"), 0);
    assert_int_equal(msc_sip_add_z(&M, "t", "<sip:bob@example.org>"), 0);
    assert_int_equal(msc_sip_add_z(&M, "i", "id1"), 0);
    assert_int_equal(msc_sip_add_z(&M, "CSeq", "  1 MESSAGE  "), 0);    /* trimmed */
    assert_int_equal(msc_sip_add_z(&M, "c", "text/plain"), 0);
    assert_int_equal(msc_sip_add_z(&M, "X-Empty", ""), 0);
    assert_int_equal(msc_sip_set_body(&M, S("hello")), 0);
    n = msc_sip_serialize(&M, out, sizeof(out));
    out[n] = '\0';
    assert_string_equal(out, "MESSAGE sip:bob@example.org SIP/2.0\r\n"
                             "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKx\r\n"
                             "Max-Forwards: 70\r\n"
                             "From: <sip:ann@example.net>;tag=1\r\n"
                             "To: <sip:bob@example.org>\r\n"
                             "Call-ID: id1\r\n"
                             "CSeq: 1 MESSAGE\r\n"
                             "Content-Type: text/plain\r\n"
                             "X-Empty:\r\n"
                             "Content-Length: 5\r\n"
                             "\r\n"
                             "hello");
    roundtrip(&M);
    /* exactly the needed room, and one byte less */
    assert_int_equal(msc_sip_serialize(&M, out, n), n);
    assert_int_equal(msc_sip_serialize(&M, out, n - 1), 0);
    assert_int_equal(msc_sip_serialize(&M, NULL, n), 0);
    assert_int_equal(msc_sip_serialize(NULL, out, n), 0);
}

static void test_builder(void **state)
{
    msc_sip_error e;
    (void)state;
    assert_int_equal(msc_sip_init_request(&M, S("REGISTER"), S("sip:registrar.example.net")), 0);
    /* incomplete: refused */
    assert_int_equal(msc_sip_serialize(&M, out, sizeof(out)), 0);
    assert_int_equal(msc_sip_check(&M, &e), 400);
    assert_string_equal(e.reason, "Missing Via");
    assert_int_equal(msc_sip_add_z(&M, "Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKr;rport"), 0);
    assert_int_equal(msc_sip_add_z(&M, "From", "<sip:ann@example.net>;tag=r"), 0);
    assert_int_equal(msc_sip_add_z(&M, "To", "<sip:ann@example.net>"), 0);
    assert_int_equal(msc_sip_add_z(&M, "Call-ID", "reg1"), 0);
    assert_int_equal(msc_sip_add_z(&M, "CSeq", "1 INVITE"), 0);
    assert_int_equal(msc_sip_check(&M, &e), 400);
    assert_string_equal(e.reason, "Missing Max-Forwards");
    assert_int_equal(msc_sip_add_z(&M, "Max-Forwards", "70"), 0);
    assert_int_equal(msc_sip_check(&M, &e), 400);
    assert_string_equal(e.reason, "CSeq Method Mismatch");
    assert_int_equal(msc_sip_serialize(&M, out, sizeof(out)), 0);

    assert_int_equal(msc_sip_init_request(&M, S("REGISTER"), S("sip:registrar.example.net")), 0);
    assert_int_equal(msc_sip_add_z(&M, "Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKr;rport"), 0);
    assert_int_equal(msc_sip_add_z(&M, "Max-Forwards", "70"), 0);
    assert_int_equal(msc_sip_add_z(&M, "From", "<sip:ann@example.net>;tag=r"), 0);
    assert_int_equal(msc_sip_add_z(&M, "To", "<sip:ann@example.net>"), 0);
    assert_int_equal(msc_sip_add_z(&M, "Call-ID", "reg1"), 0);
    assert_int_equal(msc_sip_add_z(&M, "CSeq", "1 REGISTER"), 0);
    assert_int_equal(msc_sip_add_z(&M, "Contact", "<sip:ann@192.0.2.10>;expires=3600"), 0);
    assert_int_equal(msc_sip_check(&M, &e), 0);
    /* refused: injection, bad names, Content-Length, a second single header, bad values */
    assert_int_equal(msc_sip_add_z(&M, "Subject", "a\r\nVia: evil"), 400);
    assert_int_equal(msc_sip_add_z(&M, "Subject", "a\nb"), 400);
    assert_int_equal(msc_sip_add(&M, S("Subject"), S("a\0b")), 400);
    assert_int_equal(msc_sip_add_z(&M, "Bad Name", "x"), 400);
    assert_int_equal(msc_sip_add_z(&M, "", "x"), 400);
    assert_int_equal(msc_sip_add_z(&M, "X:Y", "x"), 400);
    assert_int_equal(msc_sip_add_z(&M, "Content-Length", "0"), 400);
    assert_int_equal(msc_sip_add_z(&M, "l", "0"), 400);
    assert_int_equal(msc_sip_add_z(&M, "To", "<sip:other@example.net>"), 400);
    assert_int_equal(msc_sip_add_z(&M, "Expires", "soon"), 400);
    assert_int_equal(msc_sip_add_z(&M, "Via", "SIP/2.0/UDP"), 400);
    assert_int_equal(msc_sip_add_z(&M, NULL, "x"), 400);
    assert_int_equal(msc_sip_add_z(NULL, "X", "x"), 400);
    assert_int_equal(M.nvia, 1);            /* nothing of the refused Via stayed */
    assert_int_equal(M.nheaders, 7);
    assert_int_equal(msc_sip_set_body(&M, msc_str_make(big, MSC_SIP_MAX_BODY + 1)), 413);
    assert_int_equal(msc_sip_set_body(&M, S("")), 0);
    roundtrip(&M);
    /* a failed list header leaves earlier values alone */
    assert_int_equal(msc_sip_add_z(&M, "Contact", "<sip:b@h>, <sip:c@h>, bad"), 400);
    assert_int_equal(M.ncontact, 1);
    assert_int_equal(msc_sip_add_z(&M, "Supported", "a, b, ,"), 400);
    assert_false(M.supported.present);
    /* start lines */
    assert_int_equal(msc_sip_init_request(&M, S("BAD METHOD"), S("sip:h")), 400);
    assert_int_equal(msc_sip_init_request(&M, S("INVITE"), S("tel:+1")), 416);
    assert_int_equal(M.ruri.raw.n, 0);
    /* a failed start stays unsendable whatever is added after it */
    assert_int_equal(msc_sip_add_z(&M, "Via", "SIP/2.0/UDP h;branch=z9hG4bK1"), 0);
    assert_int_equal(msc_sip_add_z(&M, "Max-Forwards", "70"), 0);
    assert_int_equal(msc_sip_add_z(&M, "From", "<sip:a@h>;tag=1"), 0);
    assert_int_equal(msc_sip_add_z(&M, "To", "<sip:b@h>"), 0);
    assert_int_equal(msc_sip_add_z(&M, "Call-ID", "x"), 0);
    assert_int_equal(msc_sip_add_z(&M, "CSeq", "1 INVITE"), 0);
    assert_int_equal(msc_sip_serialize(&M, out, sizeof(out)), 0);
    assert_int_equal(msc_sip_init_request(&M, S("INVITE"), S("sip:")), 400);
    assert_int_equal(msc_sip_init_response(&M, 99, S("")), 400);
    assert_int_equal(msc_sip_init_response(&M, 200, S("O\rK")), 400);
    assert_int_equal(msc_sip_init_response(&M, 200, S("")), 0);
    assert_str(M.reason, "OK");
    /* headers until the limit, then 513 */
    assert_int_equal(msc_sip_init_request(&M, S("OPTIONS"), S("sip:h")), 0);
    for (unsigned i = 0; i < MSC_SIP_MAX_HEADERS; i++)
        assert_int_equal(msc_sip_add_z(&M, "X-H", "v"), 0);
    assert_int_equal(msc_sip_add_z(&M, "X-H", "v"), 513);
}

static void test_msg_same(void **state)
{
    (void)state;
    expect_ok_n(req_with("Subject: a\r\n"), strlen(req_with("Subject: a\r\n")), &M);
    expect_ok_n(req_with("subject: a\r\n"), strlen(req_with("subject: a\r\n")), &M2);
    assert_true(msc_sip_msg_same(&M, &M2));
    expect_ok_n(req_with("X-Y: a\r\n"), strlen(req_with("X-Y: a\r\n")), &M);
    expect_ok_n(req_with("x-y: a\r\n"), strlen(req_with("x-y: a\r\n")), &M2);
    assert_true(msc_sip_msg_same(&M, &M2));
    expect_ok_n(req_with("X-Y: b\r\n"), strlen(req_with("X-Y: b\r\n")), &M2);
    assert_false(msc_sip_msg_same(&M, &M2));
    expect_ok_n(req_with("X-Z: a\r\n"), strlen(req_with("X-Z: a\r\n")), &M2);
    assert_false(msc_sip_msg_same(&M, &M2));
    expect_ok_n(req_with(""), strlen(req_with("")), &M2);
    assert_false(msc_sip_msg_same(&M, &M2));
    assert_false(msc_sip_msg_same(&M, NULL));
}

static void test_ids(void **state)
{
    unsigned seed = 0;
    char buf[128];
    (void)state;
    assert_int_equal(msc_sip_new_branch(buf, sizeof(buf), counting_random, &seed), MSC_SIP_BRANCH_LEN);
    assert_string_equal(buf, "z9hG4bK000102030405060708090a0b0c0d0e0f");
    assert_int_equal(msc_sip_new_tag(buf, sizeof(buf), counting_random, &seed), MSC_SIP_TAG_LEN);
    assert_string_equal(buf, "1011121314151617");
    assert_int_equal(msc_sip_new_call_id(buf, sizeof(buf), S("192.0.2.10"), counting_random, &seed),
                     MSC_SIP_CALL_ID_RANDOM_LEN + 11);
    assert_string_equal(buf, "18191a1b1c1d1e1f2021222324252627@192.0.2.10");
    assert_int_equal(msc_sip_new_call_id(buf, sizeof(buf), S(""), counting_random, &seed),
                     MSC_SIP_CALL_ID_RANDOM_LEN);
    /* the results are what the parser accepts */
    {
        char branch[64], tag[32], cid[80], line[256];
        msc_sip_new_branch(branch, sizeof(branch), counting_random, &seed);
        msc_sip_new_tag(tag, sizeof(tag), counting_random, &seed);
        msc_sip_new_call_id(cid, sizeof(cid), S("host.example"), counting_random, &seed);
        assert_int_equal(msc_sip_init_request(&M, S("OPTIONS"), S("sip:h")), 0);
        snprintf(line, sizeof(line), "SIP/2.0/UDP h;branch=%s", branch);
        assert_int_equal(msc_sip_add_z(&M, "Via", line), 0);
        snprintf(line, sizeof(line), "<sip:a@h>;tag=%s", tag);
        assert_int_equal(msc_sip_add_z(&M, "From", line), 0);
        assert_int_equal(msc_sip_add_z(&M, "Call-ID", cid), 0);
    }
    /* refusals */
    assert_int_equal(msc_sip_new_branch(buf, MSC_SIP_BRANCH_LEN, counting_random, &seed), 0);
    assert_int_equal(msc_sip_new_tag(buf, MSC_SIP_TAG_LEN, counting_random, &seed), 0);
    assert_int_equal(msc_sip_new_tag(buf, sizeof(buf), NULL, NULL), 0);
    assert_int_equal(msc_sip_new_call_id(buf, 40, S("host.example"), counting_random, &seed), 0);
    assert_int_equal(msc_sip_new_call_id(buf, sizeof(buf), S("bad host"), counting_random, &seed), 0);
    assert_int_equal(msc_sip_new_call_id(buf, sizeof(buf), S("a@b"), counting_random, &seed), 0);
}

/* ---- TCP framing ---------------------------------------------------------------------------- */
#define FRAME_MSG "MESSAGE sip:b@example.org SIP/2.0\r\n" VIA1 MAXF FROM1 TO1 CALLID1 \
                  "CSeq: 1 MESSAGE\r\nContent-Length: 5\r\n\r\nhello"

static msc_sip_frame_result frame_z(const char *z, size_t *skip, size_t *len)
{
    return msc_sip_frame(z, strlen(z), skip, len);
}

static void test_frame(void **state)
{
    size_t skip, len, one = strlen(FRAME_MSG);
    char buf[4096];
    msc_sip_error e;
    (void)state;
    assert_int_equal(frame_z(FRAME_MSG, &skip, &len), MSC_SIP_FRAME_OK);
    assert_int_equal(skip, 0);
    assert_int_equal(len, one);
    assert_int_equal(msc_sip_frame(FRAME_MSG, one - 1, &skip, &len), MSC_SIP_FRAME_MORE);
    assert_int_equal(len, 0);
    /* keep-alives: a CRLFCRLF ping and CRLF pongs before messages */
    assert_int_equal(frame_z("\r\n\r\n", &skip, &len), MSC_SIP_FRAME_MORE);
    assert_int_equal(skip, 4);
    assert_int_equal(frame_z("\r\n\r", &skip, &len), MSC_SIP_FRAME_MORE);
    assert_int_equal(skip, 2);
    assert_int_equal(frame_z("", &skip, &len), MSC_SIP_FRAME_MORE);
    assert_int_equal(skip, 0);
    assert_int_equal(frame_z("\r\n" FRAME_MSG, &skip, &len), MSC_SIP_FRAME_OK);
    assert_int_equal(skip, 2);
    assert_int_equal(len, one);
    /* two messages back to back */
    snprintf(buf, sizeof(buf), "%s%s", FRAME_MSG, FRAME_MSG);
    assert_int_equal(frame_z(buf, &skip, &len), MSC_SIP_FRAME_OK);
    assert_int_equal(len, one);
    assert_int_equal(frame_z(buf + len, &skip, &len), MSC_SIP_FRAME_OK);
    assert_int_equal(len, one);
    /* compact and folded Content-Length; a continuation line that looks like one is not one */
    assert_int_equal(frame_z("MESSAGE sip:b@h SIP/2.0\r\nl :\r\n  5\r\n\r\nhello", &skip, &len),
                     MSC_SIP_FRAME_OK);
    assert_int_equal(len, strlen("MESSAGE sip:b@h SIP/2.0\r\nl :\r\n  5\r\n\r\nhello"));
    assert_int_equal(frame_z("M sip:b@h SIP/2.0\r\nSubject: x\r\n Content-Length: 3\r\nl: 1\r\n\r\nab",
                             &skip, &len), MSC_SIP_FRAME_OK);
    assert_int_equal(len,
                     strlen("M sip:b@h SIP/2.0\r\nSubject: x\r\n Content-Length: 3\r\nl: 1\r\n\r\na"));
    /* no Content-Length: framed without a body, and the parser answers 400 */
    snprintf(buf, sizeof(buf), "%s", "OPTIONS sip:b@example.org SIP/2.0\r\n" VIA1 MAXF FROM1 TO1
             CALLID1 "CSeq: 1 OPTIONS\r\n\r\nOPTIONS");
    assert_int_equal(frame_z(buf, &skip, &len), MSC_SIP_FRAME_OK);
    assert_int_equal(len, strlen(buf) - 7);
    assert_int_equal(msc_sip_parse(buf, len, MSC_SIP_STREAM, &M, &e), 400);
    assert_int_equal(e.drop, 0);
    /* broken streams */
    assert_int_equal(frame_z("M sip:b@h SIP/2.0\r\nContent-Length: x\r\n\r\n", &skip, &len),
                     MSC_SIP_FRAME_BROKEN);
    assert_int_equal(frame_z("M sip:b@h SIP/2.0\r\nContent-Length: 1 1\r\n\r\n", &skip, &len),
                     MSC_SIP_FRAME_BROKEN);
    assert_int_equal(frame_z("M sip:b@h SIP/2.0\r\nContent-Length:\r\n\r\n", &skip, &len),
                     MSC_SIP_FRAME_BROKEN);
    assert_int_equal(frame_z("M sip:b@h SIP/2.0\r\nContent-Length: 1\r\n 2\r\n\r\nab", &skip, &len),
                     MSC_SIP_FRAME_BROKEN);
    assert_int_equal(frame_z("M sip:b@h SIP/2.0\r\nContent-Length:\r\n 1\r\n\t\r\n\r\nab", &skip,
                             &len), MSC_SIP_FRAME_OK);
    assert_int_equal(len, strlen("M sip:b@h SIP/2.0\r\nContent-Length:\r\n 1\r\n\t\r\n\r\na"));
    assert_int_equal(frame_z("M sip:b@h SIP/2.0\r\nContent-Length: 1\r\nl: 1\r\n\r\nx", &skip, &len),
                     MSC_SIP_FRAME_BROKEN);
    assert_int_equal(frame_z("M sip:b@h SIP/2.0\r\nContent-Length: 8193\r\n\r\n", &skip, &len),
                     MSC_SIP_FRAME_BROKEN);
    assert_int_equal(frame_z("M sip:b@h SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n",
                             &skip, &len), MSC_SIP_FRAME_BROKEN);
    assert_int_equal(frame_z("M sip:b@h SIP/2.0\r\nContent-Length: 8192\r\n\r\n", &skip, &len),
                     MSC_SIP_FRAME_MORE);
    /* header section never ending */
    memset(big, 'x', MSC_SIP_MAX_MSG);
    assert_int_equal(msc_sip_frame(big, MSC_SIP_MAX_MSG - 1, &skip, &len), MSC_SIP_FRAME_MORE);
    assert_int_equal(msc_sip_frame(big, MSC_SIP_MAX_MSG, &skip, &len), MSC_SIP_FRAME_BROKEN);
    /* headers plus body over the message limit */
    {
        size_t k = (size_t)snprintf(big, sizeof(big), "M sip:b@h SIP/2.0\r\nContent-Length: 8192\r\n");
        while (k < MSC_SIP_MAX_MSG - MSC_SIP_MAX_BODY)
            k += (size_t)snprintf(big + k, sizeof(big) - k, "X-Pad: padding\r\n");
        memcpy(big + k, "\r\n", 2);
        assert_int_equal(msc_sip_frame(big, k + 2, &skip, &len), MSC_SIP_FRAME_BROKEN);
    }
    assert_int_equal(msc_sip_frame(NULL, 0, &skip, &len), MSC_SIP_FRAME_BROKEN);
    assert_int_equal(msc_sip_frame("x", 1, NULL, &len), MSC_SIP_FRAME_BROKEN);
}

static void test_frame_byte_by_byte(void **state)
{
    char stream[8192];
    size_t n, got = 0, at = 0, fed;
    (void)state;
    n = (size_t)snprintf(stream, sizeof(stream), "\r\n\r\n%s\r\n%s%s", FRAME_MSG, FRAME_MSG,
                         "OPTIONS sip:b@example.org SIP/2.0\r\n" VIA1 MAXF FROM1 TO1 CALLID1
                         "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    /* feed the stream one byte at a time, consuming what the framer hands out */
    for (fed = 1; fed <= n; fed++) {
        for (;;) {
            size_t skip, len;
            msc_sip_frame_result r = msc_sip_frame(stream + at, fed - at, &skip, &len);
            assert_int_not_equal(r, MSC_SIP_FRAME_BROKEN);
            at += skip;
            if (r != MSC_SIP_FRAME_OK)
                break;
            {
                msc_sip_error e;
                assert_int_equal(msc_sip_parse(stream + at, len, MSC_SIP_STREAM, &M, &e), 0);
            }
            at += len;
            got++;
        }
    }
    assert_int_equal(got, 3);
    assert_int_equal(at, n);
}

/* ---- errors and arguments ------------------------------------------------------------------- */
static void test_null_arguments(void **state)
{
    msc_sip_error e;
    (void)state;
    assert_int_equal(msc_sip_parse(NULL, 10, MSC_SIP_DATAGRAM, &M, &e), 400);
    assert_int_equal(e.drop, 1);
    assert_int_equal(msc_sip_parse("x", 1, MSC_SIP_DATAGRAM, NULL, &e), 400);
    assert_int_equal(msc_sip_parse(REQ_LINE STD END, strlen(REQ_LINE STD END), MSC_SIP_DATAGRAM, &M,
                                   NULL), 0);
    assert_int_equal(msc_sip_parse("x", 1, MSC_SIP_DATAGRAM, &M, NULL), 400);
    assert_int_equal(msc_sip_check(NULL, &e), 400);
    assert_int_equal(msc_sip_make_response(NULL, &M, 200, S(""), S("t")), 400);
    assert_int_equal(msc_sip_make_response(&R, NULL, 200, S(""), S("t")), 400);
    assert_int_equal(msc_sip_auth_parse(S("Digest a=1"), MSC_SIP_H_AUTHORIZATION, NULL), 400);
    assert_false(msc_sip_auth_param(NULL, "a", NULL));
}

/* ---- the corpus ----------------------------------------------------------------------------- */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .sip files of dir, sorted; returns how many (names are malloc'd). */
static size_t list_dir(const char *dir, char **names, size_t max)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    size_t n = 0;
    if (!d)
        fail_msg("cannot open %s", dir);
    while ((ent = readdir(d)) != NULL) {
        size_t l = strlen(ent->d_name);
        if (l > 4 && !strcmp(ent->d_name + l - 4, ".sip") && n < max) {
            names[n] = malloc(l + 1);
            memcpy(names[n], ent->d_name, l + 1);
            n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), by_name);
    return n;
}

static size_t read_file(const char *dir, const char *name, char *buf, size_t cap)
{
    char path[1024];
    FILE *f;
    size_t n;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    n = fread(buf, 1, cap, f);
    fclose(f);
    if (n == cap)
        fail_msg("%s is too big for the test", path);
    return n;
}

static void test_corpus_valid(void **state)
{
    char *names[256];
    size_t count = list_dir(SIP_CORPUS_DIR "/valid", names, 256);
    (void)state;
    assert_true(count >= 40);
    for (size_t i = 0; i < count; i++) {
        size_t n = read_file(SIP_CORPUS_DIR "/valid", names[i], big, sizeof(big));
        msc_sip_error e;
        size_t skip, len, k;
        if (msc_sip_parse(big, n, MSC_SIP_DATAGRAM, &M, &e))
            fail_msg("%s: rejected %d (%s)", names[i], e.status, e.reason);
        k = roundtrip(&M);
        /* the serialization frames as exactly one message */
        assert_int_equal(msc_sip_frame(out, k, &skip, &len), MSC_SIP_FRAME_OK);
        assert_int_equal(skip + len, k);
        /* every URI equals its own re-parse */
        assert_true(msc_sip_uri_equal(&M.from.uri, &M2.from.uri));
        assert_true(msc_sip_uri_equal(&M.to.uri, &M2.to.uri));
        if (M.is_request) {
            assert_true(msc_sip_uri_equal(&M.ruri, &M2.ruri));
            if (M.method != MSC_SIP_ACK) {
                assert_int_equal(msc_sip_make_response(&R, &M, 200, S(""), S("corpus")), 0);
                roundtrip(&R);
            }
        }
        free(names[i]);
    }
}

static void test_corpus_invalid(void **state)
{
    char *names[256];
    size_t count = list_dir(SIP_CORPUS_DIR "/invalid", names, 256);
    (void)state;
    assert_true(count >= 60);
    for (size_t i = 0; i < count; i++) {
        /* <status>-<answer|drop>-<what>.sip */
        const char *nm = names[i];
        int want = atoi(nm), drop = 0;
        size_t n = read_file(SIP_CORPUS_DIR "/invalid", nm, big, sizeof(big));
        msc_sip_error e;
        int st;
        if (want < 400 || want > 599 || nm[3] != '-')
            fail_msg("%s: the name must start with the expected status", nm);
        if (!strncmp(nm + 4, "answer-", 7))
            drop = 0;
        else if (!strncmp(nm + 4, "drop-", 5))
            drop = 1;
        else
            fail_msg("%s: the name must say answer or drop", nm);
        st = msc_sip_parse(big, n, MSC_SIP_DATAGRAM, &M, &e);
        if (st != want || e.drop != drop)
            fail_msg("%s: got %d (%s) drop=%d", nm, st, e.reason ? e.reason : "-", e.drop);
        if (!drop) {
            /* the answer can be built and sent */
            assert_int_equal(msc_sip_make_response(&R, &M, st, msc_cstr(e.reason), S("c")), 0);
            roundtrip(&R);
        }
        free(names[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invite_typed),
        cmocka_unit_test(test_response_typed),
        cmocka_unit_test(test_compact_forms),
        cmocka_unit_test(test_header_names),
        cmocka_unit_test(test_method_case),
        cmocka_unit_test(test_folding_empty_line),
        cmocka_unit_test(test_folding_values),
        cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_via_params),
        cmocka_unit_test(test_via_lists),
        cmocka_unit_test(test_uri_valid),
        cmocka_unit_test(test_uri_invalid),
        cmocka_unit_test(test_uri_params_limit),
        cmocka_unit_test(test_uri_equal),
        cmocka_unit_test(test_escapes_and_quotes),
        cmocka_unit_test(test_params_iterator),
        cmocka_unit_test(test_addr_forms),
        cmocka_unit_test(test_addr_invalid),
        cmocka_unit_test(test_contact),
        cmocka_unit_test(test_cseq),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_call_id),
        cmocka_unit_test(test_auth_headers),
        cmocka_unit_test(test_reason_and_tags),
        cmocka_unit_test(test_user_agent_server),
        cmocka_unit_test(test_start_lines),
        cmocka_unit_test(test_bytes_and_line_ends),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_canonical_size_limit),
        cmocka_unit_test(test_salvage_answer),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_make_response),
        cmocka_unit_test(test_serialize_exact),
        cmocka_unit_test(test_builder),
        cmocka_unit_test(test_msg_same),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_frame_byte_by_byte),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_corpus_valid),
        cmocka_unit_test(test_corpus_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
