/* libFuzzer target for the text/x-msmsgsinvite body codec (src/transport/body.c, docs/wire.md).
 *
 * Decodes arbitrary bytes.  When the decoder accepts them, every field must be within its limit,
 * the encoder must accept the result, and decoding that encoding must give the same message back
 * (and encoding it again the same bytes).  Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msgsc/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static int is_upper_guid(const char *g)
{
    if (!msc_guid_valid(msc_cstr(g)))
        return 0;
    for (; *g; g++)
        if (*g >= 'a' && *g <= 'z')
            return 0;
    return 1;
}

/* A NUL-terminated text field of cap bytes: valid UTF-8, at most max_units UTF-16 units. */
static void check_text(const char *field, size_t cap, size_t max_units)
{
    const char *nul = memchr(field, 0, cap);
    CHECK(nul);
    msc_str s = msc_str_make(field, (size_t)(nul - field));
    CHECK(msc_utf8_valid(s));
    CHECK(msc_utf16_units(s) <= max_units);
    /* nothing after the terminator (the decoder starts from a zeroed message) */
    for (const char *p = nul; p < field + cap; p++)
        CHECK(*p == 0);
}

static void check_limits(const msc_msg *m)
{
    msc_verb v = m->verb;

    CHECK((int)v > (int)MSC_VERB_NONE && (int)v < MSC_VERB_COUNT);
    CHECK(is_upper_guid(m->session_id));
    check_text(m->app_name, sizeof(m->app_name), MSC_MAX_NAME_CHARS);
    check_text(m->app_url, sizeof(m->app_url), MSC_MAX_URL_CHARS);
    check_text(m->address, sizeof(m->address), MSC_MAX_ADDRESS_CHARS);
    CHECK(m->from[0] == 0 && m->to[0] == 0);

    if (v == MSC_VERB_INVITE) {
        CHECK(is_upper_guid(m->app_guid));
        CHECK(m->lifetime_s <= 86400);
    } else {
        CHECK(m->app_guid[0] == 0 && m->app_name[0] == 0 && m->app_url[0] == 0);
        CHECK(m->lifetime_s == 0);
    }
    if (v != MSC_VERB_INVITE && v != MSC_VERB_ACCEPT)
        CHECK(m->address[0] == 0);
    if (v == MSC_VERB_CANCEL)
        CHECK(m->code >= MSC_CANCEL_REJECT && m->code <= MSC_CANCEL_FAIL);
    else
        CHECK(m->code == MSC_CANCEL_NONE);
    if (v != MSC_VERB_CANCEL && v != MSC_VERB_BYE)
        CHECK(m->hr == 0);

    CHECK(m->data_len <= sizeof(m->data));
    msc_str d = msc_str_make(m->data, m->data_len);
    CHECK(msc_utf8_valid(d));
    if (v == MSC_VERB_CONTEXT) {
        CHECK(msc_utf16_units(d) <= MSC_MAX_CONTEXT_CHARS);
        CHECK(d.n <= MSC_MAX_CONTEXT_BYTES);
    } else {
        CHECK(d.n <= MSC_MAX_APP_DATA_BYTES);
    }
    if (v == MSC_VERB_ACK)
        CHECK(m->data_len == 0);
}

static void check_equal(const msc_msg *a, const msc_msg *b)
{
    CHECK(a->verb == b->verb);
    CHECK(a->code == b->code);
    CHECK(a->hr == b->hr);
    CHECK(a->lifetime_s == b->lifetime_s);
    CHECK(!memcmp(a->session_id, b->session_id, sizeof(a->session_id)));
    CHECK(!memcmp(a->app_guid, b->app_guid, sizeof(a->app_guid)));
    CHECK(!memcmp(a->app_name, b->app_name, sizeof(a->app_name)));
    CHECK(!memcmp(a->app_url, b->app_url, sizeof(a->app_url)));
    CHECK(!memcmp(a->address, b->address, sizeof(a->address)));
    CHECK(a->data_len == b->data_len);
    CHECK(!memcmp(a->data, b->data, a->data_len));
    CHECK(!memcmp(a->from, b->from, sizeof(a->from)));
    CHECK(!memcmp(a->to, b->to, sizeof(a->to)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static msc_msg first, second;
    static char enc[MSC_BODY_MAX], enc2[MSC_BODY_MAX];
    msc_hr hr = msc_body_decode((const char *)data, size, &first);

    if (hr != MSC_S_OK) {
        CHECK(hr == MSC_SR_SESSION_PROTOCOL_ERROR);
        return 0;
    }
    CHECK(size <= MSC_BODY_MAX);
    check_limits(&first);

    size_t n = msc_body_encode(&first, enc, sizeof(enc));
    CHECK(n > 0 && n <= MSC_BODY_MAX);
    CHECK(msc_body_decode(enc, n, &second) == MSC_S_OK);
    check_equal(&first, &second);

    /* the encoding is canonical: encoding the copy gives the same bytes */
    size_t n2 = msc_body_encode(&second, enc2, sizeof(enc2));
    CHECK(n2 == n && !memcmp(enc, enc2, n));
    return 0;
}
