/* msgsc transport: the text/x-msmsgsinvite body codec and the msc_msg helpers.
 *
 * The format, every field and every strictness rule are described in docs/wire.md; this file is
 * the reference implementation of that document.  In short:
 *
 *   MIME-Version: 1.0\r\n
 *   Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n
 *   \r\n
 *   Name: value\r\n            (one line per field, any order on receipt)
 *   \r\n
 *
 * The encoder only writes messages that pass every limit; the decoder accepts exactly the bodies
 * whose fields are well formed and within the same limits, so decode(encode(m)) == m for every m
 * the encoder accepts (on the fields m's verb carries).
 */
#include <string.h>

#include "msgsc/transport.h"
#include "transport/writer.h"

/* ---- format constants ----------------------------------------------------------------------- */
#define BODY_HEADER \
    "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n"
#define MEDIA_TYPE      "text/x-msmsgsinvite"
#define LINE_MAX_BYTES  1600u            /* one line, without its CRLF (docs/wire.md, "Limits") */
#define LIFETIME_MAX_S  86400u
#define COOKIE_MOD      999999999u       /* cookie = (first 8 hex digits of Session-ID) % M + 1 */

enum field {
    F_COMMAND, F_COOKIE, F_SESSION_ID, F_APP_NAME, F_APP_GUID, F_APP_URL, F_PROTOCOL,
    F_CANCEL_CODE, F_CANCEL_RESULT, F_ADDRESS, F_LIFETIME, F_CONTEXT_DATA,
    F_COUNT
};
#define BIT(f) (1u << (f))

static const char *const field_names[F_COUNT] = {
    [F_COMMAND] = "Invitation-Command",
    [F_COOKIE] = "Invitation-Cookie",
    [F_SESSION_ID] = "Session-ID",
    [F_APP_NAME] = "Application-Name",
    [F_APP_GUID] = "Application-GUID",
    [F_APP_URL] = "Application-URL",
    [F_PROTOCOL] = "Session-Protocol",
    [F_CANCEL_CODE] = "Cancel-Code",
    [F_CANCEL_RESULT] = "Cancel-Result",
    [F_ADDRESS] = "IP-Address",
    [F_LIFETIME] = "Invitation-Lifetime",
    [F_CONTEXT_DATA] = "Context-Data",
};

static const char *const verb_names[MSC_VERB_COUNT] = {
    [MSC_VERB_NONE] = NULL,
    [MSC_VERB_INVITE] = "INVITE",
    [MSC_VERB_ACCEPT] = "ACCEPT",
    [MSC_VERB_ACK] = "ACK",
    [MSC_VERB_CANCEL] = "CANCEL",
    [MSC_VERB_BYE] = "BYE",
    [MSC_VERB_CONTEXT] = "CONTEXT",
};

#define CANCEL_CODE_COUNT 6
static const char *const code_names[CANCEL_CODE_COUNT] = {
    [MSC_CANCEL_NONE] = NULL,
    [MSC_CANCEL_REJECT] = "REJECT",
    [MSC_CANCEL_REJECT_NOT_INSTALLED] = "REJECT_NOT_INSTALLED",
    [MSC_CANCEL_TIMEOUT] = "TIMEOUT",
    [MSC_CANCEL_OUTBANDCANCEL] = "OUTBANDCANCEL",
    [MSC_CANCEL_FAIL] = "FAIL",
};

/* The fields each verb carries.  Others are omitted by the encoder and ignored by the decoder
 * (Session-Protocol excepted: when present it must be SM1 whatever the verb). */
static unsigned verb_fields(msc_verb v)
{
    const unsigned common = BIT(F_COMMAND) | BIT(F_COOKIE) | BIT(F_SESSION_ID);
    switch (v) {
    case MSC_VERB_INVITE:
        return common | BIT(F_APP_NAME) | BIT(F_APP_GUID) | BIT(F_APP_URL) | BIT(F_PROTOCOL) |
               BIT(F_ADDRESS) | BIT(F_LIFETIME) | BIT(F_CONTEXT_DATA);
    case MSC_VERB_ACCEPT:
        return common | BIT(F_PROTOCOL) | BIT(F_ADDRESS) | BIT(F_CONTEXT_DATA);
    case MSC_VERB_ACK:
        return common;
    case MSC_VERB_CANCEL:
        return common | BIT(F_CANCEL_CODE) | BIT(F_CANCEL_RESULT) | BIT(F_CONTEXT_DATA);
    case MSC_VERB_BYE:
        return common | BIT(F_CANCEL_RESULT) | BIT(F_CONTEXT_DATA);
    case MSC_VERB_CONTEXT:
        return common | BIT(F_CONTEXT_DATA);
    case MSC_VERB_NONE:
        break;
    }
    return 0;
}

/* ---- small helpers -------------------------------------------------------------------------- */
static int hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* ASCII case-insensitive: does s spell z? */
static int ieq(msc_str s, const char *z)
{
    size_t n = strlen(z);
    if (s.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (upper(s.p[i]) != upper(z[i]))
            return 0;
    return 1;
}

/* The C string in a fixed msc_msg field; 0 when the field has no terminating NUL. */
static int fixed_str(const char *field, size_t cap, msc_str *out)
{
    const char *nul = memchr(field, 0, cap);
    if (!nul)
        return 0;
    *out = msc_str_make(field, (size_t)(nul - field));
    return 1;
}

static int text_ok(msc_str s, size_t max_units)
{
    return msc_utf8_valid(s) && msc_utf16_units(s) <= max_units;
}

/* App data: 512 UTF-8 bytes; context data (CONTEXT): 300 UTF-16 units. */
static int data_ok(msc_verb v, msc_str d)
{
    if (!msc_utf8_valid(d))
        return 0;
    if (v == MSC_VERB_CONTEXT)
        return d.n <= MSC_MAX_CONTEXT_BYTES && msc_utf16_units(d) <= MSC_MAX_CONTEXT_CHARS;
    return d.n <= MSC_MAX_APP_DATA_BYTES;
}

static uint32_t cookie_for(const char *session_id)
{
    uint32_t x = 0;
    for (int i = 1; i <= 8; i++)
        x = (x << 4) | (uint32_t)hex_val((unsigned char)session_id[i]);
    return x % COOKIE_MOD + 1u;
}

/* ---- msc_msg helpers ------------------------------------------------------------------------ */
int msc_msg_set(char *field, size_t cap, msc_str s)
{
    if (!field || cap == 0 || s.n > cap - 1 || (s.n && !s.p))
        return 0;
    if (s.n && memchr(s.p, 0, s.n))
        return 0;                           /* a C string field cannot hold a NUL */
    if (s.n)
        memcpy(field, s.p, s.n);
    field[s.n] = '\0';
    return 1;
}

int msc_msg_set_data(msc_msg *m, msc_str s)
{
    if (!m || s.n > sizeof(m->data) || (s.n && !s.p))
        return 0;
    if (s.n)
        memcpy(m->data, s.p, s.n);
    m->data_len = s.n;
    return 1;
}

void msc_msg_init(msc_msg *m, msc_verb verb, msc_str session_id)
{
    if (!m)
        return;
    memset(m, 0, sizeof(*m));
    m->verb = verb;
    MSC_MSG_SET(m, session_id, session_id);
}

/* ---- encoder -------------------------------------------------------------------------------- */
static void put_name(msc_writer *w, enum field f)
{
    msc_put_z(w, field_names[f]);
    msc_put(w, ": ", 2);
}

static void put_eol(msc_writer *w)
{
    msc_put(w, "\r\n", 2);
}

static void put_line(msc_writer *w, enum field f, const char *value)
{
    put_name(w, f);
    msc_put_z(w, value);
    put_eol(w);
}

static void put_uint_line(msc_writer *w, enum field f, uint32_t v)
{
    put_name(w, f);
    msc_put_uint(w, v);
    put_eol(w);
}

static void put_guid_line(msc_writer *w, enum field f, const char *guid)
{
    char tmp[MSC_GUID_CHARS];
    for (size_t i = 0; i < MSC_GUID_CHARS; i++)
        tmp[i] = upper(guid[i]);
    put_name(w, f);
    msc_put(w, tmp, sizeof(tmp));
    put_eol(w);
}

static void put_hex32_line(msc_writer *w, enum field f, uint32_t v)
{
    static const char digits[] = "0123456789ABCDEF";
    char tmp[10] = { '0', 'x' };
    for (int i = 0; i < 8; i++)
        tmp[2 + i] = digits[(v >> (28 - 4 * i)) & 0xF];
    put_name(w, f);
    msc_put(w, tmp, sizeof(tmp));
    put_eol(w);
}

/* %XX for bytes < 0x20, 0x7F, '%', and for a space at either end; everything else raw. */
static void put_escaped_line(msc_writer *w, enum field f, msc_str v)
{
    static const char digits[] = "0123456789ABCDEF";
    put_name(w, f);
    for (size_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c < 0x20 || c == 0x7F || c == '%' || (c == ' ' && (i == 0 || i == v.n - 1))) {
            char esc[3] = { '%', digits[c >> 4], digits[c & 0xF] };
            msc_put(w, esc, 3);
        } else {
            msc_put(w, (const char *)&v.p[i], 1);
        }
    }
    put_eol(w);
}

size_t msc_body_encode(const msc_msg *msg, char *buf, size_t cap)
{
    msc_str sid, guid = MSC_STR_EMPTY, name = MSC_STR_EMPTY, url = MSC_STR_EMPTY;
    msc_str addr = MSC_STR_EMPTY, data = MSC_STR_EMPTY;
    unsigned fields;
    msc_verb v;
    msc_writer w;

    if (!msg)
        return 0;
    v = msg->verb;
    if ((int)v <= (int)MSC_VERB_NONE || (int)v >= MSC_VERB_COUNT)
        return 0;
    fields = verb_fields(v);

    /* Check everything first: nothing is written for a message that breaks a limit. */
    if (!fixed_str(msg->session_id, sizeof(msg->session_id), &sid) || !msc_guid_valid(sid))
        return 0;
    if (fields & BIT(F_APP_GUID)) {
        if (!fixed_str(msg->app_guid, sizeof(msg->app_guid), &guid) || !msc_guid_valid(guid))
            return 0;
    }
    if (fields & BIT(F_APP_NAME)) {
        if (!fixed_str(msg->app_name, sizeof(msg->app_name), &name) ||
            !text_ok(name, MSC_MAX_NAME_CHARS))
            return 0;
    }
    if (fields & BIT(F_APP_URL)) {
        if (!fixed_str(msg->app_url, sizeof(msg->app_url), &url) ||
            !text_ok(url, MSC_MAX_URL_CHARS))
            return 0;
    }
    if (fields & BIT(F_ADDRESS)) {
        if (!fixed_str(msg->address, sizeof(msg->address), &addr) ||
            !text_ok(addr, MSC_MAX_ADDRESS_CHARS))
            return 0;
    }
    if ((fields & BIT(F_LIFETIME)) && msg->lifetime_s > LIFETIME_MAX_S)
        return 0;
    if ((fields & BIT(F_CANCEL_CODE)) &&
        ((int)msg->code <= (int)MSC_CANCEL_NONE || (int)msg->code >= CANCEL_CODE_COUNT))
        return 0;
    if (fields & BIT(F_CONTEXT_DATA)) {
        if (msg->data_len > sizeof(msg->data))
            return 0;
        data = msc_str_make(msg->data, msg->data_len);
        if (!data_ok(v, data))
            return 0;
    }

    /* Field order follows Messenger's own INVITE (msgr-api.md §14.2); receivers accept any. */
    w = msc_writer_make(buf, cap);
    msc_put_z(&w, BODY_HEADER);
    if (name.n)
        put_escaped_line(&w, F_APP_NAME, name);
    if (fields & BIT(F_APP_GUID))
        put_guid_line(&w, F_APP_GUID, guid.p);
    if (url.n)
        put_escaped_line(&w, F_APP_URL, url);
    if (fields & BIT(F_PROTOCOL))
        put_line(&w, F_PROTOCOL, "SM1");
    put_line(&w, F_COMMAND, verb_names[v]);
    put_uint_line(&w, F_COOKIE, cookie_for(sid.p));
    put_guid_line(&w, F_SESSION_ID, sid.p);
    if (fields & BIT(F_CANCEL_CODE))
        put_line(&w, F_CANCEL_CODE, code_names[msg->code]);
    if ((fields & BIT(F_CANCEL_RESULT)) && msg->hr != 0)
        put_hex32_line(&w, F_CANCEL_RESULT, (uint32_t)msg->hr);
    if (addr.n)
        put_escaped_line(&w, F_ADDRESS, addr);
    if ((fields & BIT(F_LIFETIME)) && msg->lifetime_s)
        put_uint_line(&w, F_LIFETIME, msg->lifetime_s);
    if (data.n)
        put_escaped_line(&w, F_CONTEXT_DATA, data);
    put_eol(&w);

    if (!w.ok || w.len > MSC_BODY_MAX)
        return 0;
    return w.len;
}

/* ---- decoder -------------------------------------------------------------------------------- */
/* The next CRLF-terminated line at *pos (without the CRLF).  0 on a bare CR or LF, a control byte
 * (NUL included), a missing CRLF at the end, or a line over LINE_MAX_BYTES. */
static int next_line(const char *buf, size_t len, size_t *pos, msc_str *line)
{
    size_t start = *pos;
    for (size_t i = start; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (i - start > LINE_MAX_BYTES)
            return 0;
        if (c == '\r') {
            if (i + 1 >= len || buf[i + 1] != '\n')
                return 0;
            *line = msc_str_make(buf + start, i - start);
            *pos = i + 2;
            return 1;
        }
        if (c < 0x20 || c == 0x7F)
            return 0;
    }
    return 0;
}

static msc_str trim_spaces(msc_str s)
{
    while (s.n && s.p[0] == ' ') {
        s.p++;
        s.n--;
    }
    while (s.n && s.p[s.n - 1] == ' ')
        s.n--;
    return s;
}

/* "Name: value": the name is one or more printable ASCII characters other than ':' and space;
 * spaces around the value are not part of it. */
static int split_field(msc_str line, msc_str *name, msc_str *value)
{
    const char *colon = memchr(line.p, ':', line.n);
    size_t nlen;

    if (!colon || colon == line.p)
        return 0;
    nlen = (size_t)(colon - line.p);
    for (size_t i = 0; i < nlen; i++) {
        unsigned char c = (unsigned char)line.p[i];
        if (c <= 0x20 || c >= 0x7F)
            return 0;
    }
    *name = msc_str_make(line.p, nlen);
    *value = trim_spaces(msc_str_make(colon + 1, line.n - nlen - 1));
    return 1;
}

/* text/x-msmsgsinvite with charset=UTF-8 (optionally quoted); other parameters are ignored. */
static int content_type_ok(msc_str v)
{
    const char *end = v.p + v.n, *p = v.p;
    int first = 1, charset = 0;

    while (p <= end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *stop = semi ? semi : end;
        msc_str part = trim_spaces(msc_str_make(p, (size_t)(stop - p)));

        if (first) {
            if (!ieq(part, MEDIA_TYPE))
                return 0;
            first = 0;
        } else if (part.n) {
            const char *eq = memchr(part.p, '=', part.n);
            msc_str pname, pval;
            if (!eq)
                return 0;
            pname = trim_spaces(msc_str_make(part.p, (size_t)(eq - part.p)));
            pval = trim_spaces(msc_str_make(eq + 1, part.n - (size_t)(eq - part.p) - 1));
            if (pval.n >= 2 && pval.p[0] == '"' && pval.p[pval.n - 1] == '"')
                pval = msc_str_make(pval.p + 1, pval.n - 2);
            if (ieq(pname, "charset")) {
                if (charset++ || !ieq(pval, "UTF-8"))
                    return 0;
            }
        }
        if (!semi)
            break;
        p = semi + 1;
    }
    return charset == 1;
}

/* Decimal digits only, 1..maxdigits of them. */
static int parse_dec(msc_str s, size_t maxdigits, uint64_t *out)
{
    uint64_t v = 0;
    if (s.n == 0 || s.n > maxdigits)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    *out = v;
    return 1;
}

/* 0x (or 0X) and exactly 8 hex digits of either case. */
static int parse_hex32(msc_str s, uint32_t *out)
{
    uint32_t v = 0;
    if (s.n != 10 || s.p[0] != '0' || (s.p[1] != 'x' && s.p[1] != 'X'))
        return 0;
    for (size_t i = 2; i < 10; i++) {
        int d = hex_val((unsigned char)s.p[i]);
        if (d < 0)
            return 0;
        v = (v << 4) | (uint32_t)d;
    }
    *out = v;
    return 1;
}

/* A braced GUID into field (uppercased). */
static int parse_guid(msc_str s, char *field, size_t cap)
{
    return cap >= MSC_GUID_CHARS + 1 && msc_guid_upper(s, field);
}

/* Undo %XX escaping into dst (cap bytes); 0 on a malformed escape or when dst is too small. */
static int unescape(msc_str s, char *dst, size_t cap, size_t *out_n)
{
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '%') {
            int hi, lo;
            if (s.n - i < 3)
                return 0;
            hi = hex_val((unsigned char)s.p[i + 1]);
            lo = hex_val((unsigned char)s.p[i + 2]);
            if (hi < 0 || lo < 0)
                return 0;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (n >= cap)
            return 0;
        dst[n++] = (char)c;
    }
    *out_n = n;
    return 1;
}

/* An escaped text value into a fixed C-string field: valid UTF-8, no NUL, at most max_units. */
static int decode_text(msc_str s, char *field, size_t cap, size_t max_units)
{
    char tmp[LINE_MAX_BYTES];
    size_t n;
    msc_str t;

    if (!unescape(s, tmp, sizeof(tmp), &n) || n >= cap)
        return 0;
    t = msc_str_make(tmp, n);
    if (memchr(tmp, 0, n) || !text_ok(t, max_units))
        return 0;
    memcpy(field, tmp, n);
    field[n] = '\0';
    return 1;
}

static int lookup(msc_str s, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (names[i] && ieq(s, names[i]))
            return i;
    return -1;
}

msc_hr msc_body_decode(const char *buf, size_t len, msc_msg *out)
{
    const msc_hr bad = MSC_SR_SESSION_PROTOCOL_ERROR;
    msc_str line, name, value, vals[F_COUNT] = {{NULL, 0}};
    int have_type = 0, have_version = 0, idx;
    unsigned seen = 0, fields;
    size_t pos = 0;
    uint64_t num;
    msc_verb verb;

    if (!out)
        return MSC_E_POINTER;
    memset(out, 0, sizeof(*out));
    if (!buf || len == 0 || len > MSC_BODY_MAX)
        return bad;

    /* MIME header part, up to the first empty line. */
    for (;;) {
        if (!next_line(buf, len, &pos, &line))
            return bad;
        if (line.n == 0)
            break;
        if (!split_field(line, &name, &value))
            return bad;
        if (ieq(name, "Content-Type")) {
            if (have_type++ || !content_type_ok(value))
                return bad;
        } else if (ieq(name, "MIME-Version")) {
            if (have_version++ || !ieq(value, "1.0"))
                return bad;
        }
    }
    if (!have_type)
        return bad;

    /* Fields, up to an empty line that must end the body (or up to the end of the body). */
    while (pos < len) {
        if (!next_line(buf, len, &pos, &line))
            return bad;
        if (line.n == 0) {
            if (pos != len)
                return bad;
            break;
        }
        if (!split_field(line, &name, &value))
            return bad;
        idx = lookup(name, field_names, F_COUNT);
        if (idx < 0)
            continue;                           /* unknown: ignored */
        if (seen & BIT(idx))
            return bad;                         /* a known field twice */
        seen |= BIT(idx);
        vals[idx] = value;
    }

    /* Required on every message. */
    if (!(seen & BIT(F_COMMAND)) || !(seen & BIT(F_COOKIE)) || !(seen & BIT(F_SESSION_ID)))
        return bad;
    idx = lookup(vals[F_COMMAND], verb_names, MSC_VERB_COUNT);
    if (idx <= 0)
        return bad;
    verb = (msc_verb)idx;
    out->verb = verb;
    if (!parse_dec(vals[F_COOKIE], 10, &num) || num > UINT32_MAX)
        return bad;
    if (!parse_guid(vals[F_SESSION_ID], out->session_id, sizeof(out->session_id)))
        return bad;
    if ((seen & BIT(F_PROTOCOL)) && !ieq(vals[F_PROTOCOL], "SM1"))
        return bad;

    fields = verb_fields(verb);
    seen &= fields;                             /* the rest does not belong to this verb */
    if (fields & BIT(F_APP_GUID)) {
        if (!(seen & BIT(F_APP_GUID)) ||
            !parse_guid(vals[F_APP_GUID], out->app_guid, sizeof(out->app_guid)))
            return bad;
    }
    if ((seen & BIT(F_APP_NAME)) &&
        !decode_text(vals[F_APP_NAME], out->app_name, sizeof(out->app_name), MSC_MAX_NAME_CHARS))
        return bad;
    if ((seen & BIT(F_APP_URL)) &&
        !decode_text(vals[F_APP_URL], out->app_url, sizeof(out->app_url), MSC_MAX_URL_CHARS))
        return bad;
    if ((seen & BIT(F_ADDRESS)) &&
        !decode_text(vals[F_ADDRESS], out->address, sizeof(out->address), MSC_MAX_ADDRESS_CHARS))
        return bad;
    if (seen & BIT(F_LIFETIME)) {
        if (!parse_dec(vals[F_LIFETIME], 10, &num) || num < 1 || num > LIFETIME_MAX_S)
            return bad;
        out->lifetime_s = (uint32_t)num;
    }
    if (fields & BIT(F_CANCEL_CODE)) {
        if (!(seen & BIT(F_CANCEL_CODE)))
            return bad;
        idx = lookup(vals[F_CANCEL_CODE], code_names, CANCEL_CODE_COUNT);
        if (idx <= 0)
            return bad;
        out->code = (msc_cancel_code)idx;
    }
    if (seen & BIT(F_CANCEL_RESULT)) {
        uint32_t hr;
        if (!parse_hex32(vals[F_CANCEL_RESULT], &hr))
            return bad;
        out->hr = (msc_hr)hr;
    }
    if (seen & BIT(F_CONTEXT_DATA)) {
        if (!unescape(vals[F_CONTEXT_DATA], out->data, sizeof(out->data), &out->data_len) ||
            !data_ok(verb, msc_str_make(out->data, out->data_len)))
            return bad;
    }
    return MSC_S_OK;
}
