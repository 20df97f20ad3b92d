/* Tests for src/transport/body.c: the text/x-msmsgsinvite body codec (docs/wire.md) and the
 * msc_msg helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "msgsc/transport.h"

#define SID      "{C4E9035F-CCEB-40F0-8F17-135FB734073B}"
#define SID_LOW  "{c4e9035f-cceb-40f0-8f17-135fb734073b}"
#define AGUID    "{44BBA842-CC51-11CF-AAFA-00AA00B6015C}"
#define HDR      "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n"
#define LINE_MAX_BYTES 1600   /* body.c's bound on one line without its CRLF (docs/wire.md) */

#define COMMON(cmd) "Invitation-Command: " cmd "\r\nInvitation-Cookie: 42\r\nSession-ID: " SID "\r\n"
#define INVITE_MIN  COMMON("INVITE") "Application-GUID: " AGUID "\r\n"

#define S(lit) msc_str_make((lit), sizeof(lit) - 1)

static const msc_hr BAD = MSC_SR_SESSION_PROTOCOL_ERROR;

/* ---- helpers -------------------------------------------------------------------------------- */
static msc_hr decode_raw(const char *p, size_t n, msc_msg *m)
{
    return msc_body_decode(p, n, m);
}

static msc_hr decode_z(const char *z, msc_msg *m)
{
    return msc_body_decode(z, strlen(z), m);
}

/* HDR + fields (n bytes) + final CRLF */
static msc_hr decode_fields_n(const char *fields, size_t n, msc_msg *m)
{
    static char buf[3 * MSC_BODY_MAX];
    size_t h = strlen(HDR);
    assert_true(h + n + 2 <= sizeof(buf));
    memcpy(buf, HDR, h);
    memcpy(buf + h, fields, n);
    memcpy(buf + h + n, "\r\n", 2);
    return msc_body_decode(buf, h + n + 2, m);
}

static msc_hr decode_fields(const char *fields, msc_msg *m)
{
    return decode_fields_n(fields, strlen(fields), m);
}

static void expect_bad_fields(const char *fields)
{
    msc_msg m;
    if (decode_fields(fields, &m) != BAD)
        fail_msg("accepted: %s", fields);
}

static void expect_ok_fields(const char *fields, msc_msg *m)
{
    msc_hr hr = decode_fields(fields, m);
    if (hr != MSC_S_OK)
        fail_msg("rejected (0x%08X): %s", (unsigned)hr, fields);
}

static void upper_copy(char *dst, const char *src)
{
    size_t i;
    for (i = 0; src[i]; i++)
        dst[i] = (src[i] >= 'a' && src[i] <= 'z') ? (char)(src[i] - 32) : src[i];
    dst[i] = '\0';
}

static int has_field(msc_verb v, const char *what)
{
    if (!strcmp(what, "code"))
        return v == MSC_VERB_CANCEL;
    if (!strcmp(what, "hr"))
        return v == MSC_VERB_CANCEL || v == MSC_VERB_BYE;
    if (!strcmp(what, "invite"))
        return v == MSC_VERB_INVITE;
    if (!strcmp(what, "address"))
        return v == MSC_VERB_INVITE || v == MSC_VERB_ACCEPT;
    if (!strcmp(what, "data"))
        return v != MSC_VERB_ACK;
    return 0;
}

/* out must equal in on the fields in's verb carries and be empty elsewhere. */
static void assert_msg_match(const msc_msg *in, const msc_msg *out)
{
    char up[MSC_GUID_CHARS + 1];
    msc_verb v = in->verb;

    assert_int_equal(out->verb, v);
    assert_int_equal(out->code, has_field(v, "code") ? in->code : MSC_CANCEL_NONE);
    assert_int_equal(out->hr, has_field(v, "hr") ? in->hr : 0);
    upper_copy(up, in->session_id);
    assert_string_equal(out->session_id, up);
    if (has_field(v, "invite")) {
        assert_int_equal(out->lifetime_s, in->lifetime_s);
        upper_copy(up, in->app_guid);
        assert_string_equal(out->app_guid, up);
        assert_string_equal(out->app_name, in->app_name);
        assert_string_equal(out->app_url, in->app_url);
    } else {
        assert_int_equal(out->lifetime_s, 0);
        assert_string_equal(out->app_guid, "");
        assert_string_equal(out->app_name, "");
        assert_string_equal(out->app_url, "");
    }
    assert_string_equal(out->address, has_field(v, "address") ? in->address : "");
    if (has_field(v, "data")) {
        assert_int_equal(out->data_len, in->data_len);
        assert_memory_equal(out->data, in->data, in->data_len);
    } else {
        assert_int_equal(out->data_len, 0);
    }
    assert_string_equal(out->from, "");
    assert_string_equal(out->to, "");
}

/* Every line ends in CRLF, holds no control byte and fits the line bound. */
static void assert_wellformed(const char *buf, size_t n)
{
    size_t start = 0;
    assert_true(n <= MSC_BODY_MAX);
    assert_true(n >= 4);
    assert_memory_equal(buf + n - 4, "\r\n\r\n", 4);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\r') {
            assert_true(i + 1 < n && buf[i + 1] == '\n');
            assert_true(i - start <= LINE_MAX_BYTES);
            i++;
            start = i + 1;
            continue;
        }
        assert_true(c >= 0x20 && c != 0x7F);
    }
}

static size_t encode_ok(const msc_msg *in, char *buf, size_t cap)
{
    size_t n = msc_body_encode(in, buf, cap);
    assert_true(n > 0);
    assert_wellformed(buf, n);
    return n;
}

static void roundtrip(const msc_msg *in)
{
    char buf[MSC_BODY_MAX], small[MSC_BODY_MAX];
    msc_msg out;
    size_t n = encode_ok(in, buf, sizeof(buf));

    /* exactly n bytes is enough; one byte less is not */
    assert_int_equal(msc_body_encode(in, small, n), n);
    assert_memory_equal(small, buf, n);
    assert_int_equal(msc_body_encode(in, small, n - 1), 0);

    memset(&out, 0xA5, sizeof(out));
    assert_int_equal(msc_body_decode(buf, n, &out), MSC_S_OK);
    assert_msg_match(in, &out);
}

static void set_data(msc_msg *m, const void *p, size_t n)
{
    assert_true(msc_msg_set_data(m, msc_str_make(p, n)));
}

/* A message of verb v with every field set, whether or not the verb carries it. */
static void fill(msc_msg *m, msc_verb v)
{
    msc_msg_init(m, v, msc_cstr(SID));
    m->code = (v == MSC_VERB_CANCEL) ? MSC_CANCEL_OUTBANDCANCEL : MSC_CANCEL_FAIL;
    m->hr = MSC_SR_SESSION_CANCELLED_LOCAL;
    m->lifetime_s = 300;
    assert_true(MSC_MSG_SET(m, app_guid, msc_cstr(AGUID)));
    assert_true(MSC_MSG_SET(m, app_name, msc_cstr("NetMeeting")));
    assert_true(MSC_MSG_SET(m, app_url, msc_cstr("http://example.com/nm?a=1&b=%41")));
    assert_true(MSC_MSG_SET(m, address, msc_cstr("192.0.2.1")));
    set_data(m, "some data", 9);
    assert_true(MSC_MSG_SET(m, from, msc_cstr("a@example.com")));
    assert_true(MSC_MSG_SET(m, to, msc_cstr("b@example.com")));
}

static void repeat(char *dst, const char *unit, size_t times)
{
    size_t u = strlen(unit);
    for (size_t i = 0; i < times; i++)
        memcpy(dst + i * u, unit, u);
}

/* ---- msc_msg helpers ------------------------------------------------------------------------ */
static void test_msg_helpers(void **state)
{
    (void)state;
    msc_msg m;
    char f[4];

    memset(&m, 0x5A, sizeof(m));
    msc_msg_init(&m, MSC_VERB_BYE, msc_cstr(SID));
    assert_int_equal(m.verb, MSC_VERB_BYE);
    assert_string_equal(m.session_id, SID);
    assert_int_equal(m.code, 0);
    assert_int_equal(m.hr, 0);
    assert_int_equal(m.lifetime_s, 0);
    assert_int_equal(m.data_len, 0);
    assert_string_equal(m.app_guid, "");
    assert_string_equal(m.from, "");
    assert_int_equal(m.data[sizeof(m.data) - 1], 0);

    assert_true(msc_msg_set(f, sizeof(f), S("abc")));
    assert_string_equal(f, "abc");
    assert_false(msc_msg_set(f, sizeof(f), S("abcd")));      /* no room for the NUL */
    assert_false(msc_msg_set(f, sizeof(f), S("a\0b")));      /* a C string cannot hold NUL */
    assert_true(msc_msg_set(f, sizeof(f), MSC_STR_EMPTY));
    assert_string_equal(f, "");
    assert_false(msc_msg_set(f, 0, MSC_STR_EMPTY));
    assert_true(MSC_MSG_SET(&m, app_guid, msc_cstr(AGUID)));
    assert_false(MSC_MSG_SET(&m, app_guid, msc_cstr(AGUID "X")));

    static char big[sizeof(m.data) + 1];
    assert_true(msc_msg_set_data(&m, msc_str_make(big, sizeof(m.data))));
    assert_int_equal(m.data_len, sizeof(m.data));
    assert_false(msc_msg_set_data(&m, msc_str_make(big, sizeof(m.data) + 1)));
    assert_true(msc_msg_set_data(&m, S("a\0b")));
    assert_int_equal(m.data_len, 3);
    assert_true(msc_msg_set_data(&m, MSC_STR_EMPTY));
    assert_int_equal(m.data_len, 0);
}

/* ---- encoder output ------------------------------------------------------------------------- */
static void test_encode_exact_invite(void **state)
{
    (void)state;
    static const char expect[] =
        HDR
        "Application-Name: NetMeeting\r\n"
        "Application-GUID: {44BBA842-CC51-11CF-AAFA-00AA00B6015C}\r\n"
        "Application-URL: http://example.com/nm\r\n"
        "Session-Protocol: SM1\r\n"
        "Invitation-Command: INVITE\r\n"
        "Invitation-Cookie: 303605091\r\n"     /* 0xC4E9035F % 999999999 + 1 */
        "Session-ID: {C4E9035F-CCEB-40F0-8F17-135FB734073B}\r\n"
        "IP-Address: 192.0.2.1\r\n"
        "Invitation-Lifetime: 300\r\n"
        "Context-Data: hello%0D%0Aworld\r\n"
        "\r\n";
    msc_msg m;
    char buf[MSC_BODY_MAX];

    msc_msg_init(&m, MSC_VERB_INVITE, msc_cstr(SID_LOW));
    assert_true(MSC_MSG_SET(&m, app_guid, msc_cstr("{44bba842-cc51-11cf-aafa-00aa00b6015c}")));
    assert_true(MSC_MSG_SET(&m, app_name, msc_cstr("NetMeeting")));
    assert_true(MSC_MSG_SET(&m, app_url, msc_cstr("http://example.com/nm")));
    assert_true(MSC_MSG_SET(&m, address, msc_cstr("192.0.2.1")));
    m.lifetime_s = 300;
    set_data(&m, "hello\r\nworld", 12);
    size_t n = msc_body_encode(&m, buf, sizeof(buf));
    assert_int_equal(n, sizeof(expect) - 1);
    assert_memory_equal(buf, expect, n);
}

static void test_encode_exact_small(void **state)
{
    (void)state;
    char buf[MSC_BODY_MAX];
    msc_msg m;
    size_t n;

    msc_msg_init(&m, MSC_VERB_ACK, msc_cstr("{FFFFFFFF-0000-0000-0000-000000000000}"));
    n = msc_body_encode(&m, buf, sizeof(buf));
    static const char ack[] = HDR
        "Invitation-Command: ACK\r\n"
        "Invitation-Cookie: 294967300\r\n"
        "Session-ID: {FFFFFFFF-0000-0000-0000-000000000000}\r\n"
        "\r\n";
    assert_int_equal(n, sizeof(ack) - 1);
    assert_memory_equal(buf, ack, n);

    msc_msg_init(&m, MSC_VERB_CANCEL, msc_cstr("{00000000-0000-0000-0000-000000000000}"));
    m.code = MSC_CANCEL_REJECT;
    m.hr = MSC_SR_INVITATION_DECLINED;
    n = msc_body_encode(&m, buf, sizeof(buf));
    static const char cancel[] = HDR
        "Invitation-Command: CANCEL\r\n"
        "Invitation-Cookie: 1\r\n"
        "Session-ID: {00000000-0000-0000-0000-000000000000}\r\n"
        "Cancel-Code: REJECT\r\n"
        "Cancel-Result: 0x81000602\r\n"
        "\r\n";
    assert_int_equal(n, sizeof(cancel) - 1);
    assert_memory_equal(buf, cancel, n);

    /* an ACCEPT carries Session-Protocol and (when set) IP-Address, nothing of the INVITE */
    fill(&m, MSC_VERB_ACCEPT);
    m.data_len = 0;
    n = msc_body_encode(&m, buf, sizeof(buf));
    static const char accept[] = HDR
        "Session-Protocol: SM1\r\n"
        "Invitation-Command: ACCEPT\r\n"
        "Invitation-Cookie: 303605091\r\n"
        "Session-ID: " SID "\r\n"
        "IP-Address: 192.0.2.1\r\n"
        "\r\n";
    assert_int_equal(n, sizeof(accept) - 1);
    assert_memory_equal(buf, accept, n);
}

/* ---- round trips ---------------------------------------------------------------------------- */
static void test_roundtrip_every_verb(void **state)
{
    (void)state;
    for (int v = MSC_VERB_INVITE; v < MSC_VERB_COUNT; v++) {
        msc_msg m;
        fill(&m, (msc_verb)v);
        roundtrip(&m);

        /* minimal form: nothing optional */
        msc_msg_init(&m, (msc_verb)v, msc_cstr(SID_LOW));
        if (v == MSC_VERB_INVITE)
            assert_true(MSC_MSG_SET(&m, app_guid, msc_cstr(AGUID)));
        if (v == MSC_VERB_CANCEL)
            m.code = MSC_CANCEL_TIMEOUT;
        roundtrip(&m);
    }
}

static void test_roundtrip_cancel_codes(void **state)
{
    (void)state;
    static const char *const names[] = {
        NULL, "REJECT", "REJECT_NOT_INSTALLED", "TIMEOUT", "OUTBANDCANCEL", "FAIL"
    };
    static const msc_hr hrs[] = {
        0, MSC_SR_INVITATION_DECLINED, MSC_MSGR_E_AI_REJECT_NOT_INST, MSC_SR_SESSION_TIMEOUT,
        MSC_E_FAIL, 1, 0x7FFFFFFF, (msc_hr)0x80000000u, -1,
    };
    for (int c = MSC_CANCEL_REJECT; c <= MSC_CANCEL_FAIL; c++) {
        for (size_t h = 0; h < sizeof(hrs) / sizeof(hrs[0]); h++) {
            msc_msg m;
            char buf[MSC_BODY_MAX], line[64];
            fill(&m, MSC_VERB_CANCEL);
            m.code = (msc_cancel_code)c;
            m.hr = hrs[h];
            roundtrip(&m);
            size_t n = encode_ok(&m, buf, sizeof(buf));
            buf[n - 1] = '\0';
            snprintf(line, sizeof(line), "\r\nCancel-Code: %s\r\n", names[c]);
            assert_non_null(strstr(buf, line));
            snprintf(line, sizeof(line), "\r\nCancel-Result: 0x%08X\r\n", (unsigned)hrs[h]);
            if (hrs[h])
                assert_non_null(strstr(buf, line));
            else
                assert_null(strstr(buf, "Cancel-Result"));
        }
    }
    /* BYE carries the hr too */
    msc_msg m;
    fill(&m, MSC_VERB_BYE);
    m.hr = MSC_SR_CONNECTION_FAILURE;
    roundtrip(&m);
}

static void test_roundtrip_lifetime(void **state)
{
    (void)state;
    static const uint32_t ok[] = { 0, 1, 300, 86400 };
    msc_msg m;
    char buf[MSC_BODY_MAX];
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        fill(&m, MSC_VERB_INVITE);
        m.lifetime_s = ok[i];
        roundtrip(&m);
    }
    fill(&m, MSC_VERB_INVITE);
    m.lifetime_s = 86401;
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    m.lifetime_s = UINT32_MAX;
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    /* not an INVITE: ignored */
    fill(&m, MSC_VERB_ACCEPT);
    m.lifetime_s = UINT32_MAX;
    roundtrip(&m);
}

/* ---- limits --------------------------------------------------------------------------------- */
static void test_app_data_limits(void **state)
{
    (void)state;
    static const msc_verb verbs[] = { MSC_VERB_INVITE, MSC_VERB_ACCEPT, MSC_VERB_CANCEL,
                                      MSC_VERB_BYE };
    char data[600], buf[MSC_BODY_MAX], fields[2048];
    msc_msg m, out;

    for (size_t v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
        for (size_t len = 511; len <= 513; len++) {
            /* ASCII, then 2-byte characters (256 x "é" = 512 bytes, 256 units) */
            for (int kind = 0; kind < 2; kind++) {
                if (kind == 0) {
                    memset(data, 'x', len);
                } else {
                    repeat(data, "\xc3\xa9", len / 2);
                    if (len % 2)
                        data[len - 1] = 'z';
                }
                fill(&m, verbs[v]);
                set_data(&m, data, len);
                if (len <= MSC_MAX_APP_DATA_BYTES) {
                    roundtrip(&m);
                } else {
                    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
                }
                /* the decoder applies the same limit */
                int k = snprintf(fields, sizeof(fields), "%s%sContext-Data: ",
                                 verbs[v] == MSC_VERB_INVITE ? INVITE_MIN : "",
                                 verbs[v] == MSC_VERB_INVITE ? "" :
                                 verbs[v] == MSC_VERB_ACCEPT ? COMMON("ACCEPT") :
                                 verbs[v] == MSC_VERB_CANCEL ? COMMON("CANCEL") "Cancel-Code: FAIL\r\n"
                                                             : COMMON("BYE"));
                memcpy(fields + k, data, len);
                memcpy(fields + k + len, "\r\n", 2);
                msc_hr hr = decode_fields_n(fields, (size_t)k + len + 2, &out);
                if (len <= MSC_MAX_APP_DATA_BYTES) {
                    assert_int_equal(hr, MSC_S_OK);
                    assert_int_equal(out.data_len, len);
                    assert_memory_equal(out.data, data, len);
                } else {
                    assert_int_equal(hr, BAD);
                }
            }
        }
    }
    /* 512 bytes that are all escaped (3 bytes each on the wire) still fit */
    fill(&m, MSC_VERB_INVITE);
    memset(data, '%', 512);
    set_data(&m, data, 512);
    roundtrip(&m);
    memset(data, '\n', 512);
    set_data(&m, data, 512);
    roundtrip(&m);
    /* 512 escaped bytes plus one on the decoding side */
    int k = snprintf(fields, sizeof(fields), "%sContext-Data: ", INVITE_MIN);
    repeat(fields + k, "%25", 513);
    memcpy(fields + k + 3 * 513, "\r\n", 2);
    assert_int_equal(decode_fields_n(fields, (size_t)k + 3 * 513 + 2, &out), BAD);
    /* data_len beyond the array */
    fill(&m, MSC_VERB_CONTEXT);
    m.data_len = sizeof(m.data) + 1;
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
}

/* Context data is counted in UTF-16 units: 300 allowed, whatever the byte count. */
static void test_context_data_limits(void **state)
{
    (void)state;
    static const struct { const char *unit; size_t units; } kinds[] = {
        { "c", 1 },
        { "\xe2\x82\xac", 1 },          /* €: 3 bytes, 1 unit */
        { "\xf0\x9f\x98\x80", 2 },      /* 😀: 4 bytes, 2 units */
        { "\xef\xbf\xbf", 1 },          /* U+FFFF */
    };
    char data[1200], buf[MSC_BODY_MAX], fields[4096];
    msc_msg m, out;

    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (size_t units = 299; units <= 301; units++) {
            size_t u = strlen(kinds[k].unit), n;
            size_t count = units / kinds[k].units;
            repeat(data, kinds[k].unit, count);
            n = count * u;
            if (units % kinds[k].units)
                data[n++] = 'a';        /* top up with one ASCII unit */
            assert_int_equal(msc_utf16_units(msc_str_make(data, n)), units);

            msc_msg_init(&m, MSC_VERB_CONTEXT, msc_cstr(SID));
            m.data_len = n;
            if (n <= sizeof(m.data)) {
                memcpy(m.data, data, n);
                if (units <= MSC_MAX_CONTEXT_CHARS)
                    roundtrip(&m);
                else
                    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
            }

            int h = snprintf(fields, sizeof(fields), "%sContext-Data: ", COMMON("CONTEXT"));
            memcpy(fields + h, data, n);
            memcpy(fields + h + n, "\r\n", 2);
            msc_hr hr = decode_fields_n(fields, (size_t)h + n + 2, &out);
            if (units <= MSC_MAX_CONTEXT_CHARS) {
                assert_int_equal(hr, MSC_S_OK);
                assert_int_equal(out.verb, MSC_VERB_CONTEXT);
                assert_int_equal(out.data_len, n);
                assert_memory_equal(out.data, data, n);
            } else {
                assert_int_equal(hr, BAD);
            }
        }
    }
    /* 300 units = 900 bytes is over the app-data limit on any other verb */
    repeat(data, "\xe2\x82\xac", 300);
    fill(&m, MSC_VERB_ACCEPT);
    memcpy(m.data, data, 900);
    m.data_len = 900;
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    /* 300 escaped control characters (900 bytes on the wire) */
    msc_msg_init(&m, MSC_VERB_CONTEXT, msc_cstr(SID));
    memset(m.data, '\x01', 300);
    m.data_len = 300;
    roundtrip(&m);
    /* empty context data: no Context-Data line */
    m.data_len = 0;
    roundtrip(&m);
    size_t n = encode_ok(&m, buf, sizeof(buf));
    buf[n - 1] = '\0';
    assert_null(strstr(buf, "Context-Data"));
}

static void test_text_field_limits(void **state)
{
    (void)state;
    char s[1024], buf[MSC_BODY_MAX], fields[2048];
    msc_msg m, out;

    /* name and URL: 256 units (3-byte characters: 768 bytes, the whole array) */
    fill(&m, MSC_VERB_INVITE);
    repeat(s, "\xe2\x82\xac", 256);
    s[768] = '\0';
    assert_true(MSC_MSG_SET(&m, app_name, msc_cstr(s)));
    assert_true(MSC_MSG_SET(&m, app_url, msc_cstr(s)));
    roundtrip(&m);
    /* 257 units: 128 4-byte characters + 1 */
    repeat(s, "\xf0\x9f\x98\x80", 128);
    strcpy(s + 512, "a");
    assert_true(MSC_MSG_SET(&m, app_name, msc_cstr(s)));
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    s[512] = '\0';                                   /* 256 units */
    assert_true(MSC_MSG_SET(&m, app_name, msc_cstr(s)));
    roundtrip(&m);
    strcpy(s + 512, "a");
    assert_true(MSC_MSG_SET(&m, app_url, msc_cstr(s)));
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    /* name not NUL-terminated inside its array */
    fill(&m, MSC_VERB_INVITE);
    memset(m.app_name, 'n', sizeof(m.app_name));
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);

    /* address: 30 units */
    fill(&m, MSC_VERB_ACCEPT);
    memset(s, '7', 30);
    s[30] = '\0';
    assert_true(MSC_MSG_SET(&m, address, msc_cstr(s)));
    roundtrip(&m);
    strcpy(s + 30, "7");
    assert_true(MSC_MSG_SET(&m, address, msc_cstr(s)));
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    snprintf(fields, sizeof(fields), "%sIP-Address: %s\r\n", COMMON("ACCEPT"), s);
    expect_bad_fields(fields);
    s[30] = '\0';
    snprintf(fields, sizeof(fields), "%sIP-Address: %s\r\n", COMMON("ACCEPT"), s);
    expect_ok_fields(fields, &out);
    assert_string_equal(out.address, s);
    /* decoder: 257-unit name, 257-unit URL */
    memset(s, 'N', 257);
    s[257] = '\0';
    snprintf(fields, sizeof(fields), "%sApplication-Name: %s\r\n", INVITE_MIN, s);
    expect_bad_fields(fields);
    snprintf(fields, sizeof(fields), "%sApplication-URL: %s\r\n", INVITE_MIN, s);
    expect_bad_fields(fields);
    s[256] = '\0';
    snprintf(fields, sizeof(fields), "%sApplication-URL: %s\r\n", INVITE_MIN, s);
    expect_ok_fields(fields, &out);
    assert_string_equal(out.app_url, s);
    /* a NUL cannot be carried in a C-string field */
    expect_bad_fields(INVITE_MIN "Application-Name: a%00b\r\n");
    expect_bad_fields(COMMON("ACCEPT") "IP-Address: %00\r\n");
}

/* Every field at its worst-case escaped size still fits MSC_BODY_MAX and the line bound. */
static void test_largest_invite(void **state)
{
    (void)state;
    msc_msg m;
    char buf[MSC_BODY_MAX];

    fill(&m, MSC_VERB_INVITE);
    memset(m.app_name, '\x01', MSC_MAX_NAME_CHARS);
    m.app_name[MSC_MAX_NAME_CHARS] = '\0';
    memset(m.app_url, '%', MSC_MAX_URL_CHARS);
    m.app_url[MSC_MAX_URL_CHARS] = '\0';
    memset(m.address, '\x7f', MSC_MAX_ADDRESS_CHARS);
    m.address[MSC_MAX_ADDRESS_CHARS] = '\0';
    memset(m.data, '\r', MSC_MAX_APP_DATA_BYTES);
    m.data_len = MSC_MAX_APP_DATA_BYTES;
    m.lifetime_s = 86400;
    roundtrip(&m);
    size_t n = encode_ok(&m, buf, sizeof(buf));
    assert_true(n <= MSC_BODY_MAX);
}

/* ---- escaping ------------------------------------------------------------------------------- */
static void test_special_bytes(void **state)
{
    (void)state;
    static const struct { const char *raw; size_t n; const char *wire; } cases[] = {
        { "a\0b", 3, "a%00b" },
        { "\r\n", 2, "%0D%0A" },
        { "x\ty\x7fz\x1f", 6, "x%09y%7Fz%1F" },
        { "100%", 4, "100%25" },
        { "%41", 3, "%2541" },
        { " lead", 5, "%20lead" },
        { "trail ", 6, "trail%20" },
        { " ", 1, "%20" },
        { "  ", 2, "%20%20" },
        { "   ", 3, "%20 %20" },
        { "in side", 7, "in side" },
        { "a: b", 4, "a: b" },
        { "caf\xc3\xa9 \xf0\x9f\x98\x80", 10, "caf\xc3\xa9 \xf0\x9f\x98\x80" },
        { "\0", 1, "%00" },
    };
    char buf[MSC_BODY_MAX], line[128];
    msc_msg m;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int v = MSC_VERB_INVITE; v < MSC_VERB_COUNT; v++) {
            if (v == MSC_VERB_ACK)
                continue;
            fill(&m, (msc_verb)v);
            set_data(&m, cases[i].raw, cases[i].n);
            roundtrip(&m);
            size_t n = encode_ok(&m, buf, sizeof(buf));
            buf[n - 1] = '\0';
            snprintf(line, sizeof(line), "\r\nContext-Data: %s\r\n", cases[i].wire);
            assert_non_null(strstr(buf, line));
        }
        if (memchr(cases[i].raw, 0, cases[i].n))
            continue;
        /* the same escaping for name, URL and address */
        fill(&m, MSC_VERB_INVITE);
        assert_true(MSC_MSG_SET(&m, app_name, msc_str_make(cases[i].raw, cases[i].n)));
        assert_true(MSC_MSG_SET(&m, app_url, msc_str_make(cases[i].raw, cases[i].n)));
        assert_true(MSC_MSG_SET(&m, address, msc_str_make(cases[i].raw, cases[i].n)));
        roundtrip(&m);
        size_t n = encode_ok(&m, buf, sizeof(buf));
        buf[n - 1] = '\0';
        snprintf(line, sizeof(line), "\r\nApplication-Name: %s\r\n", cases[i].wire);
        assert_non_null(strstr(buf, line));
        snprintf(line, sizeof(line), "\r\nApplication-URL: %s\r\n", cases[i].wire);
        assert_non_null(strstr(buf, line));
        snprintf(line, sizeof(line), "\r\nIP-Address: %s\r\n", cases[i].wire);
        assert_non_null(strstr(buf, line));
    }
}

static void test_decode_escapes(void **state)
{
    (void)state;
    msc_msg m;

    expect_ok_fields(COMMON("CONTEXT") "Context-Data: %41%c3%A9%00%25\r\n", &m);
    assert_int_equal(m.data_len, 5);
    assert_memory_equal(m.data, "A\xc3\xa9\0%", 5);
    /* spaces around a raw value are not part of it; escaped ones are */
    expect_ok_fields(COMMON("CONTEXT") "Context-Data:    a b   \r\n", &m);
    assert_int_equal(m.data_len, 3);
    assert_memory_equal(m.data, "a b", 3);
    expect_ok_fields(COMMON("CONTEXT") "Context-Data:%20a%20\r\n", &m);
    assert_int_equal(m.data_len, 3);
    assert_memory_equal(m.data, " a ", 3);
    expect_ok_fields(COMMON("CONTEXT") "Context-Data:\r\n", &m);
    assert_int_equal(m.data_len, 0);
    /* malformed escapes */
    expect_bad_fields(COMMON("CONTEXT") "Context-Data: %\r\n");
    expect_bad_fields(COMMON("CONTEXT") "Context-Data: abc%4\r\n");
    expect_bad_fields(COMMON("CONTEXT") "Context-Data: %G0\r\n");
    expect_bad_fields(COMMON("CONTEXT") "Context-Data: %0G\r\n");
    expect_bad_fields(COMMON("CONTEXT") "Context-Data: %%\r\n");
    expect_bad_fields(COMMON("CONTEXT") "Context-Data: % 1\r\n");
    expect_bad_fields(INVITE_MIN "Application-Name: 50%\r\n");
    expect_bad_fields(INVITE_MIN "Application-URL: http://x/%zz\r\n");
    expect_bad_fields(COMMON("ACCEPT") "IP-Address: 1.2.3.4%\r\n");
    /* raw control bytes inside a line */
    expect_bad_fields(COMMON("CONTEXT") "Context-Data: a\tb\r\n");
    expect_bad_fields(COMMON("CONTEXT") "Context-Data: a\x7f\r\n");
    expect_bad_fields(COMMON("CONTEXT") "X-Unknown: a\x01\r\n");
}

/* ---- UTF-8 ---------------------------------------------------------------------------------- */
static void test_invalid_utf8(void **state)
{
    (void)state;
    static const struct { const char *p; size_t n; const char *esc; } bad[] = {
        { "\xc0\xaf", 2, "%C0%AF" },                 /* overlong '/' */
        { "\xe0\x80\x80", 3, "%E0%80%80" },          /* overlong NUL */
        { "\xed\xa0\x80", 3, "%ED%A0%80" },          /* surrogate */
        { "\xed\xbf\xbf", 3, "%ED%BF%BF" },          /* surrogate */
        { "ab\xe2\x82", 4, "ab%E2%82" },             /* truncated */
        { "\xf0\x9f\x98", 3, "%F0%9F%98" },          /* truncated */
        { "\xf4\x90\x80\x80", 4, "%F4%90%80%80" },   /* > U+10FFFF */
        { "\x80", 1, "%80" },                        /* stray continuation */
        { "\xff", 1, "%FF" },
    };
    char buf[MSC_BODY_MAX], fields[512];
    msc_msg m;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* encoder */
        for (int v = MSC_VERB_INVITE; v < MSC_VERB_COUNT; v++) {
            if (v == MSC_VERB_ACK)
                continue;
            fill(&m, (msc_verb)v);
            set_data(&m, bad[i].p, bad[i].n);
            assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
        }
        fill(&m, MSC_VERB_INVITE);
        assert_true(MSC_MSG_SET(&m, app_name, msc_str_make(bad[i].p, bad[i].n)));
        assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
        fill(&m, MSC_VERB_INVITE);
        assert_true(MSC_MSG_SET(&m, app_url, msc_str_make(bad[i].p, bad[i].n)));
        assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
        fill(&m, MSC_VERB_ACCEPT);
        assert_true(MSC_MSG_SET(&m, address, msc_str_make(bad[i].p, bad[i].n)));
        assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);

        /* decoder: raw and escaped, in every text field */
        for (int esc = 0; esc < 2; esc++) {
            const char *val = esc ? bad[i].esc : NULL;
            char raw[16];
            if (!esc) {
                memcpy(raw, bad[i].p, bad[i].n);
                raw[bad[i].n] = '\0';
                val = raw;
            }
            snprintf(fields, sizeof(fields), "%sContext-Data: %s\r\n", COMMON("CONTEXT"), val);
            expect_bad_fields(fields);
            snprintf(fields, sizeof(fields), "%sContext-Data: %s\r\n", COMMON("BYE"), val);
            expect_bad_fields(fields);
            snprintf(fields, sizeof(fields), "%sApplication-Name: %s\r\n", INVITE_MIN, val);
            expect_bad_fields(fields);
            snprintf(fields, sizeof(fields), "%sApplication-URL: %s\r\n", INVITE_MIN, val);
            expect_bad_fields(fields);
            snprintf(fields, sizeof(fields), "%sIP-Address: %s\r\n", COMMON("ACCEPT"), val);
            expect_bad_fields(fields);
            /* an unknown field is not checked */
            snprintf(fields, sizeof(fields), "%sX-Opaque: %s\r\n", COMMON("ACK"), val);
            expect_ok_fields(fields, &m);
        }
    }
}

/* ---- case-insensitivity --------------------------------------------------------------------- */
static void test_case_insensitive(void **state)
{
    (void)state;
    msc_msg m;

    assert_int_equal(decode_z("mime-version: 1.0\r\n"
                              "CONTENT-TYPE: TEXT/X-MSMSGSINVITE; CHARSET=utf-8\r\n\r\n"
                              "invitation-command: invite\r\n"
                              "INVITATION-COOKIE: 7\r\n"
                              "session-id: " SID_LOW "\r\n"
                              "application-guid: {44bba842-cc51-11cf-aafa-00aa00b6015c}\r\n"
                              "APPLICATION-NAME: Mixed Case Kept\r\n"
                              "session-protocol: sm1\r\n"
                              "invitation-LIFETIME: 60\r\n"
                              "CONTEXT-DATA: Data\r\n\r\n", &m), MSC_S_OK);
    assert_int_equal(m.verb, MSC_VERB_INVITE);
    assert_string_equal(m.session_id, SID);
    assert_string_equal(m.app_guid, AGUID);
    assert_string_equal(m.app_name, "Mixed Case Kept");   /* values that are text keep case */
    assert_int_equal(m.lifetime_s, 60);
    assert_memory_equal(m.data, "Data", 4);

    static const char *const codes[] = {
        "reject", "Reject_Not_Installed", "timeout", "OutBandCancel", "fail"
    };
    for (int i = 0; i < 5; i++) {
        char fields[256];
        snprintf(fields, sizeof(fields),
                 "Invitation-Command: Cancel\r\nInvitation-Cookie: 1\r\nSession-ID: " SID
                 "\r\ncancel-code: %s\r\ncancel-result: 0Xdeadbeef\r\n", codes[i]);
        expect_ok_fields(fields, &m);
        assert_int_equal(m.verb, MSC_VERB_CANCEL);
        assert_int_equal(m.code, MSC_CANCEL_REJECT + i);
        assert_int_equal((uint32_t)m.hr, 0xDEADBEEFu);
    }
    static const char *const cmds[] = { "accept", "Ack", "bYe", "context" };
    static const msc_verb verbs[] = { MSC_VERB_ACCEPT, MSC_VERB_ACK, MSC_VERB_BYE,
                                      MSC_VERB_CONTEXT };
    for (int i = 0; i < 4; i++) {
        char fields[256];
        snprintf(fields, sizeof(fields), "%s%s\r\nInvitation-Cookie: 1\r\nSession-ID: " SID "\r\n",
                 "Invitation-Command: ", cmds[i]);
        expect_ok_fields(fields, &m);
        assert_int_equal(m.verb, verbs[i]);
    }
}

/* ---- structure ------------------------------------------------------------------------------ */
static void test_duplicate_fields(void **state)
{
    (void)state;
    msc_msg m;

    expect_bad_fields(COMMON("ACK") "Invitation-Command: ACK\r\n");
    expect_bad_fields(COMMON("ACK") "invitation-cookie: 42\r\n");
    expect_bad_fields(COMMON("ACK") "SESSION-ID: " SID "\r\n");
    expect_bad_fields(INVITE_MIN "Application-GUID: " AGUID "\r\n");
    expect_bad_fields(INVITE_MIN "Application-Name: a\r\nApplication-Name: a\r\n");
    expect_bad_fields(INVITE_MIN "Application-URL: a\r\nApplication-URL: b\r\n");
    expect_bad_fields(INVITE_MIN "Session-Protocol: SM1\r\nSession-Protocol: SM1\r\n");
    expect_bad_fields(INVITE_MIN "Invitation-Lifetime: 1\r\nInvitation-Lifetime: 1\r\n");
    expect_bad_fields(COMMON("ACCEPT") "IP-Address: a\r\nIP-Address: a\r\n");
    expect_bad_fields(COMMON("CANCEL") "Cancel-Code: FAIL\r\nCancel-Code: FAIL\r\n");
    expect_bad_fields(COMMON("BYE") "Cancel-Result: 0x00000001\r\nCancel-Result: 0x00000001\r\n");
    expect_bad_fields(COMMON("CONTEXT") "Context-Data: a\r\nContext-Data: b\r\n");
    /* a known field twice is an error even where the verb does not use it */
    expect_bad_fields(COMMON("ACK") "Cancel-Code: FAIL\r\nCancel-Code: FAIL\r\n");
    /* unknown fields may repeat */
    expect_ok_fields(COMMON("ACK") "X-Foo: 1\r\nX-Foo: 2\r\n", &m);
    /* header part */
    assert_int_equal(decode_z("Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n"
                              "Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n"
                              COMMON("ACK") "\r\n", &m), BAD);
    assert_int_equal(decode_z("MIME-Version: 1.0\r\nMIME-Version: 1.0\r\n"
                              "Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n"
                              COMMON("ACK") "\r\n", &m), BAD);
}

static void test_missing_required(void **state)
{
    (void)state;
    msc_msg m;

    expect_ok_fields(COMMON("ACK"), &m);
    expect_bad_fields("Invitation-Cookie: 42\r\nSession-ID: " SID "\r\n");
    expect_bad_fields("Invitation-Command: ACK\r\nSession-ID: " SID "\r\n");
    expect_bad_fields("Invitation-Command: ACK\r\nInvitation-Cookie: 42\r\n");
    expect_bad_fields(COMMON("INVITE"));                      /* no Application-GUID */
    expect_bad_fields(COMMON("CANCEL"));                      /* no Cancel-Code */
    expect_bad_fields("");
    /* values present but empty */
    expect_bad_fields("Invitation-Command:\r\nInvitation-Cookie: 42\r\nSession-ID: " SID "\r\n");
    expect_bad_fields("Invitation-Command: ACK\r\nInvitation-Cookie:\r\nSession-ID: " SID "\r\n");
    expect_bad_fields("Invitation-Command: ACK\r\nInvitation-Cookie: 42\r\nSession-ID:\r\n");
    expect_bad_fields(COMMON("INVITE") "Application-GUID: \r\n");
    expect_bad_fields(COMMON("CANCEL") "Cancel-Code: \r\n");
    /* unknown command and cancel codes */
    expect_bad_fields(COMMON("FOO"));
    expect_bad_fields(COMMON("NONE"));
    expect_bad_fields(COMMON("INVITE2") "Application-GUID: " AGUID "\r\n");
    expect_bad_fields(COMMON("CANCEL") "Cancel-Code: FTTIMEOUT\r\n");
    expect_bad_fields(COMMON("CANCEL") "Cancel-Code: NONE\r\n");
    expect_bad_fields(COMMON("CANCEL") "Cancel-Code: REJECT \x01\r\n");
    /* no header part at all, header without its empty line, empty body */
    assert_int_equal(decode_z(COMMON("ACK") "\r\n", &m), BAD);
    assert_int_equal(decode_z("Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n", &m), BAD);
    assert_int_equal(decode_z("MIME-Version: 1.0\r\n\r\n" COMMON("ACK") "\r\n", &m), BAD);
    assert_int_equal(decode_raw("", 0, &m), BAD);
    assert_int_equal(decode_raw(NULL, 0, &m), BAD);
    assert_int_equal(decode_z(HDR, &m), BAD);
    assert_int_equal(decode_z(HDR "\r\n", &m), BAD);
}

static void test_unknown_fields_ignored(void **state)
{
    (void)state;
    msc_msg m;

    expect_ok_fields("X-Before: 1\r\n" COMMON("ACCEPT")
                     "Launch-Application: TRUE\r\n"
                     "Request-Data: IP-Address:\r\n"
                     "Port: 6891\r\nAuthCookie: 123\r\n"
                     "X-Anything-Goes: \xff\xfe %zz\r\n"
                     "X-Empty:\r\n", &m);
    assert_int_equal(m.verb, MSC_VERB_ACCEPT);
    /* fields that do not belong to the verb are ignored, however malformed */
    expect_ok_fields(COMMON("ACCEPT")
                     "Application-GUID: not a guid\r\n"
                     "Application-Name: %\r\n"
                     "Invitation-Lifetime: forever\r\n"
                     "Cancel-Code: whatever\r\n"
                     "Cancel-Result: x\r\n", &m);
    assert_string_equal(m.app_guid, "");
    assert_string_equal(m.app_name, "");
    assert_int_equal(m.lifetime_s, 0);
    assert_int_equal(m.code, MSC_CANCEL_NONE);
    assert_int_equal(m.hr, 0);
    expect_ok_fields(COMMON("ACK") "Context-Data: %zz\r\nIP-Address: \xff\r\n", &m);
    assert_int_equal(m.data_len, 0);
    assert_string_equal(m.address, "");
    expect_ok_fields(COMMON("INVITE") "Application-GUID: " AGUID "\r\n"
                     "Cancel-Code: REJECT\r\nCancel-Result: 0x81000602\r\n", &m);
    assert_int_equal(m.code, MSC_CANCEL_NONE);
    assert_int_equal(m.hr, 0);
    /* ...but Session-Protocol, when present, must be SM1 on every verb */
    expect_bad_fields(COMMON("ACK") "Session-Protocol: SM2\r\n");
    expect_bad_fields(INVITE_MIN "Session-Protocol: \r\n");
    expect_ok_fields(COMMON("ACK") "Session-Protocol: SM1\r\n", &m);
    /* extra header lines are ignored too */
    assert_int_equal(decode_z("MIME-Version: 1.0\r\n"
                              "X-MMS-IM-Format: FN=Arial; EF=; CO=0; CS=0; PF=22\r\n"
                              "Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n"
                              COMMON("ACK") "\r\n", &m), MSC_S_OK);
}

static void test_field_syntax(void **state)
{
    (void)state;
    msc_msg m;

    expect_ok_fields("Invitation-Command:ACK\r\nInvitation-Cookie:42\r\nSession-ID:" SID "\r\n",
                     &m);
    expect_ok_fields("Invitation-Command:    ACK   \r\nInvitation-Cookie:  42 \r\n"
                     "Session-ID: " SID "  \r\n", &m);
    expect_bad_fields(COMMON("ACK") "no colon here\r\n");
    expect_bad_fields(COMMON("ACK") ": empty name\r\n");
    expect_bad_fields(COMMON("ACK") "X Foo: space in name\r\n");
    expect_bad_fields(COMMON("ACK") "Session-ID : " SID "\r\n");
    expect_bad_fields(COMMON("ACK") " X-Folded: a\r\n");
    expect_bad_fields(COMMON("ACK") "X-\xc3\xa9: a\r\n");
    expect_bad_fields("Invitation-Command: A CK\r\nInvitation-Cookie: 42\r\nSession-ID: " SID "\r\n");
    /* identifiers are not escaped */
    expect_bad_fields("Invitation-Command: %41CK\r\nInvitation-Cookie: 42\r\nSession-ID: " SID "\r\n");
}

static void test_line_endings(void **state)
{
    (void)state;
    msc_msg m;

    assert_int_equal(decode_z(HDR COMMON("ACK") "\r\n", &m), MSC_S_OK);
    /* the final empty line may be left out, but nothing may follow it */
    assert_int_equal(decode_z(HDR COMMON("ACK"), &m), MSC_S_OK);
    assert_int_equal(decode_z(HDR COMMON("ACK") "\r\n\r\n", &m), BAD);
    assert_int_equal(decode_z(HDR COMMON("ACK") "\r\nX-After: 1\r\n", &m), BAD);
    assert_int_equal(decode_z(HDR COMMON("ACK") "\r\nx", &m), BAD);
    /* bare LF / CR anywhere */
    assert_int_equal(decode_z("MIME-Version: 1.0\n"
                              "Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n"
                              COMMON("ACK") "\r\n", &m), BAD);
    assert_int_equal(decode_z("MIME-Version: 1.0\r\n"
                              "Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\n"
                              COMMON("ACK") "\r\n", &m), BAD);
    assert_int_equal(decode_z("MIME-Version: 1.0\n"
                              "Content-Type: text/x-msmsgsinvite; charset=UTF-8\n\n"
                              "Invitation-Command: ACK\nInvitation-Cookie: 42\n"
                              "Session-ID: " SID "\n\n", &m), BAD);
    assert_int_equal(decode_z(HDR "Invitation-Command: ACK\nInvitation-Cookie: 42\r\n"
                              "Session-ID: " SID "\r\n\r\n", &m), BAD);
    assert_int_equal(decode_z(HDR COMMON("ACK") "X-Foo: a\rb\r\n\r\n", &m), BAD);
    assert_int_equal(decode_z(HDR COMMON("ACK") "X-Foo: a\n\r\n", &m), BAD);
    assert_int_equal(decode_z(HDR COMMON("ACK") "\n", &m), BAD);
    assert_int_equal(decode_z(HDR COMMON("ACK") "\r", &m), BAD);
    assert_int_equal(decode_z(HDR COMMON("ACK") "\r\n\r", &m), BAD);
    assert_int_equal(decode_z(HDR "Invitation-Command: ACK\r\nInvitation-Cookie: 42\r\n"
                              "Session-ID: " SID, &m), BAD);      /* last line unterminated */
    assert_int_equal(decode_z(HDR COMMON("ACK") "\r\r\n", &m), BAD);
}

static void test_nul_bytes(void **state)
{
    (void)state;
    static const char good[] = HDR COMMON("ACK") "X-Foo: bar\r\n\r\n";
    char buf[sizeof(good)];
    msc_msg m;

    assert_int_equal(decode_raw(good, sizeof(good) - 1, &m), MSC_S_OK);
    /* a NUL byte anywhere breaks it (replace each byte in turn) */
    for (size_t i = 0; i < sizeof(good) - 1; i++) {
        memcpy(buf, good, sizeof(good));
        buf[i] = '\0';
        assert_int_equal(decode_raw(buf, sizeof(good) - 1, &m), BAD);
    }
    /* a trailing NUL (a C string passed with its terminator) too */
    assert_int_equal(decode_raw(good, sizeof(good), &m), BAD);
}

static void test_oversized(void **state)
{
    (void)state;
    static char body[2 * MSC_BODY_MAX];
    msc_msg m;
    size_t n;

    /* a line of exactly LINE_MAX_BYTES is fine, one more byte is not */
    for (int extra = 0; extra <= 1; extra++) {
        n = (size_t)snprintf(body, sizeof(body), "%s%s", HDR, COMMON("ACK"));
        size_t start = n;
        n += (size_t)snprintf(body + n, sizeof(body) - n, "X-Long: ");
        memset(body + n, 'L', LINE_MAX_BYTES + (size_t)extra - (n - start));
        n = start + LINE_MAX_BYTES + (size_t)extra;
        memcpy(body + n, "\r\n\r\n", 4);
        n += 4;
        assert_int_equal(decode_raw(body, n, &m), extra ? BAD : MSC_S_OK);
    }
    /* the same in the header part */
    n = (size_t)snprintf(body, sizeof(body), "X-Header: ");
    memset(body + n, 'h', LINE_MAX_BYTES + 1 - n);
    n = LINE_MAX_BYTES + 1;
    n += (size_t)snprintf(body + n, sizeof(body) - n, "\r\n%s%s\r\n", HDR, COMMON("ACK"));
    assert_int_equal(decode_raw(body, n, &m), BAD);

    /* a body of exactly MSC_BODY_MAX bytes is fine, one more byte is not */
    for (int extra = 0; extra <= 1; extra++) {
        n = (size_t)snprintf(body, sizeof(body), "%s%s", HDR, COMMON("ACK"));
        while (n + 2 < MSC_BODY_MAX + (size_t)extra) {
            size_t room = MSC_BODY_MAX + (size_t)extra - 2 - n;   /* bytes left for lines */
            size_t line = room > 1000 ? 1000 : room;
            if (room - line > 0 && room - line < 6)              /* keep the last line valid */
                line -= 6;
            assert_true(line >= 6);
            memcpy(body + n, "X-P:", 4);
            memset(body + n + 4, 'p', line - 6);
            memcpy(body + n + line - 2, "\r\n", 2);
            n += line;
        }
        memcpy(body + n, "\r\n", 2);
        n += 2;
        assert_int_equal(n, MSC_BODY_MAX + (size_t)extra);
        assert_int_equal(decode_raw(body, n, &m), extra ? BAD : MSC_S_OK);
    }
    /* an escaped value over a limit */
    n = (size_t)snprintf(body, sizeof(body), "%s%sContext-Data: ", HDR, COMMON("CONTEXT"));
    repeat(body + n, "%01", 301);
    n += 3 * 301;
    memcpy(body + n, "\r\n\r\n", 4);
    assert_int_equal(decode_raw(body, n + 4, &m), BAD);
}

static void test_content_type(void **state)
{
    (void)state;
    static const struct { const char *ct; int ok; } cases[] = {
        { "text/x-msmsgsinvite; charset=UTF-8", 1 },
        { "text/x-msmsgsinvite;charset=utf-8", 1 },
        { "Text/X-MsMsgsInvite ;  Charset = \"UTF-8\"", 1 },
        { "text/x-msmsgsinvite; format=flowed; charset=UTF-8", 1 },
        { "text/x-msmsgsinvite; charset=UTF-8;", 1 },
        { "text/x-msmsgsinvite", 0 },
        { "text/x-msmsgsinvite;", 0 },
        { "text/x-msmsgsinvite; charset=ISO-8859-1", 0 },
        { "text/x-msmsgsinvite; charset=UTF8", 0 },
        { "text/x-msmsgsinvite; charset=", 0 },
        { "text/x-msmsgsinvite; charset=UTF-8; charset=UTF-8", 0 },
        { "text/x-msmsgsinvite; charset", 0 },
        { "text/plain; charset=UTF-8", 0 },
        { "text/x-msmsgscontrol; charset=UTF-8", 0 },
        { "text/x-msmsgsinvitex; charset=UTF-8", 0 },
        { "application/x-msnmsgrp2p", 0 },
        { "", 0 },
    };
    char body[512];
    msc_msg m;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(body, sizeof(body), "MIME-Version: 1.0\r\nContent-Type: %s\r\n\r\n%s\r\n",
                 cases[i].ct, COMMON("ACK"));
        if (decode_z(body, &m) != (cases[i].ok ? MSC_S_OK : BAD))
            fail_msg("Content-Type: %s", cases[i].ct);
    }
    /* MIME-Version is optional, but must say 1.0 when present */
    assert_int_equal(decode_z("Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n"
                              COMMON("ACK") "\r\n", &m), MSC_S_OK);
    assert_int_equal(decode_z("MIME-Version: 2.0\r\n"
                              "Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n"
                              COMMON("ACK") "\r\n", &m), BAD);
}

static void test_cookie(void **state)
{
    (void)state;
    static const struct { const char *v; int ok; } cases[] = {
        { "0", 1 }, { "1", 1 }, { "25402056", 1 }, { "4294967295", 1 }, { "0000000001", 1 },
        { "4294967296", 0 }, { "9999999999", 0 }, { "12345678901", 0 }, { "00000000001", 0 },
        { "-1", 0 }, { "+1", 0 }, { "1.5", 0 }, { "0x10", 0 }, { "abc", 0 }, { "1 2", 0 },
        { "", 0 }, { "%31", 0 },
    };
    char fields[256];
    msc_msg m;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(fields, sizeof(fields),
                 "Invitation-Command: ACK\r\nInvitation-Cookie: %s\r\nSession-ID: " SID "\r\n",
                 cases[i].v);
        if (decode_fields(fields, &m) != (cases[i].ok ? MSC_S_OK : BAD))
            fail_msg("Invitation-Cookie: %s", cases[i].v);
    }
}

static void test_guids(void **state)
{
    (void)state;
    static const struct { const char *g; int ok; } cases[] = {
        { SID, 1 }, { SID_LOW, 1 }, { "{5D3E02AB-6190-11d3-BBBB-00C04F795683}", 1 },
        { "C4E9035F-CCEB-40F0-8F17-135FB734073B", 0 },
        { "{C4E9035F-CCEB-40F0-8F17-135FB734073}", 0 },
        { "{C4E9035F-CCEB-40F0-8F17-135FB734073BA}", 0 },
        { "{C4E9035F-CCEB-40F0-8F17-135FB734073G}", 0 },
        { "{C4E9035FCCEB-40F0-8F17-135FB734073B0}", 0 },
        { "{C4E9035F-CCEB-40F0-8F17-135FB7 4073B}", 0 },
        { "%7BC4E9035F-CCEB-40F0-8F17-135FB734073B}", 0 },
        { "{}", 0 },
    };
    char fields[256];
    msc_msg m;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(fields, sizeof(fields), "%sSession-ID: %s\r\n%s",
                 "Invitation-Command: INVITE\r\nInvitation-Cookie: 1\r\n", cases[i].g,
                 "Application-GUID: " AGUID "\r\n");
        if (decode_fields(fields, &m) != (cases[i].ok ? MSC_S_OK : BAD))
            fail_msg("Session-ID: %s", cases[i].g);
        snprintf(fields, sizeof(fields), "%sApplication-GUID: %s\r\n", COMMON("INVITE"),
                 cases[i].g);
        if (decode_fields(fields, &m) != (cases[i].ok ? MSC_S_OK : BAD))
            fail_msg("Application-GUID: %s", cases[i].g);
        if (cases[i].ok) {
            char up[64];
            upper_copy(up, cases[i].g);
            assert_string_equal(m.app_guid, up);
        }
    }

    /* the encoder refuses bad GUIDs */
    char buf[MSC_BODY_MAX];
    for (int v = MSC_VERB_INVITE; v < MSC_VERB_COUNT; v++) {
        fill(&m, (msc_verb)v);
        assert_true(MSC_MSG_SET(&m, session_id, msc_cstr("{C4E9035F-CCEB-40F0-8F17-135FB734073G}")));
        assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
        fill(&m, (msc_verb)v);
        m.session_id[0] = '\0';
        assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
        fill(&m, (msc_verb)v);
        memset(m.session_id, 'A', sizeof(m.session_id));      /* no NUL */
        assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    }
    fill(&m, MSC_VERB_INVITE);
    m.app_guid[0] = '\0';
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    assert_true(MSC_MSG_SET(&m, app_guid, msc_cstr("44BBA842-CC51-11CF-AAFA-00AA00B6015C")));
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    /* ...but only on verbs that carry them */
    fill(&m, MSC_VERB_ACCEPT);
    m.app_guid[0] = '\0';
    roundtrip(&m);
}

static void test_encode_refuses(void **state)
{
    (void)state;
    char buf[MSC_BODY_MAX];
    msc_msg m;

    assert_int_equal(msc_body_encode(NULL, buf, sizeof(buf)), 0);
    fill(&m, MSC_VERB_ACK);
    assert_int_equal(msc_body_encode(&m, NULL, 0), 0);
    assert_int_equal(msc_body_encode(&m, NULL, 100), 0);
    assert_int_equal(msc_body_encode(&m, buf, 10), 0);
    m.verb = MSC_VERB_NONE;
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    m.verb = (msc_verb)MSC_VERB_COUNT;
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    m.verb = (msc_verb)-1;
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    fill(&m, MSC_VERB_CANCEL);
    m.code = MSC_CANCEL_NONE;
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    m.code = (msc_cancel_code)6;
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    m.code = (msc_cancel_code)-1;
    assert_int_equal(msc_body_encode(&m, buf, sizeof(buf)), 0);
    /* the code does not matter on other verbs */
    fill(&m, MSC_VERB_BYE);
    m.code = (msc_cancel_code)99;
    roundtrip(&m);
    /* nor data on ACK */
    fill(&m, MSC_VERB_ACK);
    m.data_len = 100000;
    roundtrip(&m);
    /* decode with no output */
    assert_true(MSC_FAILED(msc_body_decode(HDR COMMON("ACK"), strlen(HDR COMMON("ACK")), NULL)));
}

static void test_lifetime_decode(void **state)
{
    (void)state;
    msc_msg m;

    expect_ok_fields(INVITE_MIN "Invitation-Lifetime: 1\r\n", &m);
    assert_int_equal(m.lifetime_s, 1);
    expect_ok_fields(INVITE_MIN "Invitation-Lifetime: 86400\r\n", &m);
    assert_int_equal(m.lifetime_s, 86400);
    expect_ok_fields(INVITE_MIN, &m);
    assert_int_equal(m.lifetime_s, 0);
    expect_bad_fields(INVITE_MIN "Invitation-Lifetime: 0\r\n");
    expect_bad_fields(INVITE_MIN "Invitation-Lifetime: 86401\r\n");
    expect_bad_fields(INVITE_MIN "Invitation-Lifetime: 99999999999\r\n");
    expect_bad_fields(INVITE_MIN "Invitation-Lifetime: -5\r\n");
    expect_bad_fields(INVITE_MIN "Invitation-Lifetime: 5s\r\n");
    expect_bad_fields(INVITE_MIN "Invitation-Lifetime:\r\n");
}

static void test_cancel_result_decode(void **state)
{
    (void)state;
    msc_msg m;

    expect_ok_fields(COMMON("BYE") "Cancel-Result: 0x81000608\r\n", &m);
    assert_int_equal(m.hr, MSC_SR_SESSION_PROTOCOL_ERROR);
    expect_ok_fields(COMMON("BYE") "Cancel-Result: 0x00000000\r\n", &m);
    assert_int_equal(m.hr, 0);
    expect_bad_fields(COMMON("BYE") "Cancel-Result: 0x8100060\r\n");
    expect_bad_fields(COMMON("BYE") "Cancel-Result: 0x810006080\r\n");
    expect_bad_fields(COMMON("BYE") "Cancel-Result: 81000608\r\n");
    expect_bad_fields(COMMON("BYE") "Cancel-Result: 0x8100060G\r\n");
    expect_bad_fields(COMMON("BYE") "Cancel-Result: -2130705912\r\n");
    expect_bad_fields(COMMON("CANCEL") "Cancel-Code: FAIL\r\nCancel-Result: 0x\r\n");
}

/* ---- Messenger's own bodies (msgr-api.md §14.2) -------------------------------------------- */
static void test_messenger_examples(void **state)
{
    (void)state;
    msc_msg m;

    assert_int_equal(decode_z("MIME-Version: 1.0\r\n"
                              "Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n"
                              "\r\n"
                              "Application-Name: NetMeeting\r\n"
                              "Application-GUID: {44BBA842-CC51-11CF-AAFA-00AA00B6015C}\r\n"
                              "Session-Protocol: SM1\r\n"
                              "Invitation-Command: INVITE\r\n"
                              "Invitation-Cookie: 25402056\r\n"
                              "Session-ID: {C4E9035F-CCEB-40F0-8F17-135FB734073B}\r\n"
                              "\r\n", &m), MSC_S_OK);
    assert_int_equal(m.verb, MSC_VERB_INVITE);
    assert_string_equal(m.app_name, "NetMeeting");
    assert_string_equal(m.app_guid, AGUID);
    assert_string_equal(m.session_id, SID);
    assert_string_equal(m.app_url, "");
    assert_string_equal(m.address, "");
    assert_int_equal(m.lifetime_s, 0);
    assert_int_equal(m.data_len, 0);

    /* the accept reply, with the fields msgsc does not use */
    assert_int_equal(decode_z(HDR
                              "Invitation-Command: ACCEPT\r\n"
                              "Invitation-Cookie: 25402056\r\n"
                              "Session-ID: {C4E9035F-CCEB-40F0-8F17-135FB734073B}\r\n"
                              "Session-Protocol: SM1\r\n"
                              "Launch-Application: TRUE\r\n"
                              "Request-Data: IP-Address:\r\n"
                              "IP-Address: 192.168.0.2\r\n"
                              "\r\n", &m), MSC_S_OK);
    assert_int_equal(m.verb, MSC_VERB_ACCEPT);
    assert_string_equal(m.address, "192.168.0.2");

    /* voice-style Context-Data on an INVITE */
    expect_ok_fields("Application-Name: an audio conversation\r\n"
                     "Application-GUID: {02D3C01F-BF30-4825-A83A-DE7AF41648AA}\r\n"
                     "Session-Protocol: SM1\r\n"
                     "Context-Data: Requested:SIP_A,;Capabilities:SIP_A,;\r\n"
                     "Invitation-Command: INVITE\r\n"
                     "Avm-Support: 7\r\n"
                     "Invitation-Cookie: 9876543\r\n"
                     "Session-ID: {AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}\r\n"
                     "Conn-Type: Firewall\r\n", &m);
    assert_int_equal(m.data_len, strlen("Requested:SIP_A,;Capabilities:SIP_A,;"));
    assert_memory_equal(m.data, "Requested:SIP_A,;Capabilities:SIP_A,;", m.data_len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_helpers),
        cmocka_unit_test(test_encode_exact_invite),
        cmocka_unit_test(test_encode_exact_small),
        cmocka_unit_test(test_roundtrip_every_verb),
        cmocka_unit_test(test_roundtrip_cancel_codes),
        cmocka_unit_test(test_roundtrip_lifetime),
        cmocka_unit_test(test_app_data_limits),
        cmocka_unit_test(test_context_data_limits),
        cmocka_unit_test(test_text_field_limits),
        cmocka_unit_test(test_largest_invite),
        cmocka_unit_test(test_special_bytes),
        cmocka_unit_test(test_decode_escapes),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_case_insensitive),
        cmocka_unit_test(test_duplicate_fields),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_unknown_fields_ignored),
        cmocka_unit_test(test_field_syntax),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_cookie),
        cmocka_unit_test(test_guids),
        cmocka_unit_test(test_encode_refuses),
        cmocka_unit_test(test_lifetime_decode),
        cmocka_unit_test(test_cancel_result_decode),
        cmocka_unit_test(test_messenger_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
