/* Tests for src/core/str.c: msc_cstr, strict UTF-8 validation, UTF-16 length, GUID syntax,
 * state helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "msgsc/core.h"

#define S(lit) msc_str_make((lit), sizeof(lit) - 1)

static void test_cstr(void **state)
{
    (void)state;
    msc_str s = msc_cstr(NULL);
    assert_non_null(s.p);
    assert_int_equal(s.n, 0);
    s = msc_cstr("");
    assert_int_equal(s.n, 0);
    s = msc_cstr("abc");
    assert_int_equal(s.n, 3);
    assert_memory_equal(s.p, "abc", 3);
}

static void test_utf8_valid_accepts(void **state)
{
    (void)state;
    assert_true(msc_utf8_valid(MSC_STR_EMPTY));
    assert_true(msc_utf8_valid(msc_str_make(NULL, 0)));
    assert_true(msc_utf8_valid(S("plain ASCII ~\x7f")));
    assert_true(msc_utf8_valid(S("a\0b")));                  /* embedded NUL is U+0000 */
    assert_true(msc_utf8_valid(S("\0")));
    assert_true(msc_utf8_valid(S("\xc2\x80")));              /* U+0080 */
    assert_true(msc_utf8_valid(S("\xdf\xbf")));              /* U+07FF */
    assert_true(msc_utf8_valid(S("\xe0\xa0\x80")));          /* U+0800 */
    assert_true(msc_utf8_valid(S("\xed\x9f\xbf")));          /* U+D7FF */
    assert_true(msc_utf8_valid(S("\xee\x80\x80")));          /* U+E000 */
    assert_true(msc_utf8_valid(S("\xef\xbf\xbf")));          /* U+FFFF */
    assert_true(msc_utf8_valid(S("\xf0\x90\x80\x80")));      /* U+10000 */
    assert_true(msc_utf8_valid(S("\xf4\x8f\xbf\xbf")));      /* U+10FFFF */
    assert_true(msc_utf8_valid(S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")));
}

static void test_utf8_valid_rejects(void **state)
{
    (void)state;
    assert_false(msc_utf8_valid(msc_str_make(NULL, 1)));
    /* overlongs */
    assert_false(msc_utf8_valid(S("\xc0\x80")));
    assert_false(msc_utf8_valid(S("\xc1\xbf")));
    assert_false(msc_utf8_valid(S("\xe0\x80\x80")));
    assert_false(msc_utf8_valid(S("\xe0\x9f\xbf")));
    assert_false(msc_utf8_valid(S("\xf0\x80\x80\x80")));
    assert_false(msc_utf8_valid(S("\xf0\x8f\xbf\xbf")));
    /* surrogates */
    assert_false(msc_utf8_valid(S("\xed\xa0\x80")));
    assert_false(msc_utf8_valid(S("\xed\xbf\xbf")));
    assert_false(msc_utf8_valid(S("\xed\xa0\xbd\xed\xb8\x80")));  /* CESU-8 pair */
    /* above U+10FFFF */
    assert_false(msc_utf8_valid(S("\xf4\x90\x80\x80")));
    assert_false(msc_utf8_valid(S("\xf5\x80\x80\x80")));
    assert_false(msc_utf8_valid(S("\xf8\x88\x80\x80\x80")));
    assert_false(msc_utf8_valid(S("\xfe")));
    assert_false(msc_utf8_valid(S("\xff")));
    /* stray or missing continuation bytes */
    assert_false(msc_utf8_valid(S("\x80")));
    assert_false(msc_utf8_valid(S("a\xbf")));
    assert_false(msc_utf8_valid(S("\xc3\x28")));
    assert_false(msc_utf8_valid(S("\xe2\x28\xa1")));
    /* truncated at the end */
    assert_false(msc_utf8_valid(S("\xc3")));
    assert_false(msc_utf8_valid(S("abc\xe2\x82")));
    assert_false(msc_utf8_valid(S("\xf0\x9f\x98")));
    /* the length is honoured: a valid prefix of an invalid buffer */
    assert_true(msc_utf8_valid(msc_str_make("ab\xff", 2)));
    assert_false(msc_utf8_valid(msc_str_make("\xc3\xa9", 1)));
}

static void test_utf16_units(void **state)
{
    (void)state;
    assert_int_equal(msc_utf16_units(MSC_STR_EMPTY), 0);
    assert_int_equal(msc_utf16_units(msc_str_make(NULL, 0)), 0);
    assert_int_equal(msc_utf16_units(S("abc")), 3);
    assert_int_equal(msc_utf16_units(S("a\0b")), 3);
    assert_int_equal(msc_utf16_units(S("\xc3\xa9")), 1);             /* é */
    assert_int_equal(msc_utf16_units(S("\xe2\x82\xac")), 1);         /* € */
    assert_int_equal(msc_utf16_units(S("\xef\xbf\xbf")), 1);         /* U+FFFF */
    assert_int_equal(msc_utf16_units(S("\xf0\x90\x80\x80")), 2);     /* U+10000 */
    assert_int_equal(msc_utf16_units(S("\xf4\x8f\xbf\xbf")), 2);     /* U+10FFFF */
    assert_int_equal(msc_utf16_units(S("x\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80y")), 6);
}

static void test_guid_valid(void **state)
{
    (void)state;
    assert_true(msc_guid_valid(S("{44BBA842-CC51-11CF-AAFA-00AA00B6015C}")));
    assert_true(msc_guid_valid(S("{56b994a7-380f-410b-9985-c809d78c1bdc}")));
    assert_true(msc_guid_valid(S("{5D3E02AB-6190-11d3-BBBB-00C04F795683}")));
    assert_true(msc_guid_valid(S("{00000000-0000-0000-0000-000000000000}")));
    assert_false(msc_guid_valid(MSC_STR_EMPTY));
    assert_false(msc_guid_valid(msc_str_make(NULL, 38)));
    assert_false(msc_guid_valid(S("44BBA842-CC51-11CF-AAFA-00AA00B6015C")));     /* no braces */
    assert_false(msc_guid_valid(S("{44BBA842-CC51-11CF-AAFA-00AA00B6015C")));    /* 37 */
    assert_false(msc_guid_valid(S("{44BBA842-CC51-11CF-AAFA-00AA00B6015C}}")));  /* 39 */
    assert_false(msc_guid_valid(S("{44BBA842-CC51-11CF-AAFA-00AA00B6015}")));    /* 11 digits */
    assert_false(msc_guid_valid(S("(44BBA842-CC51-11CF-AAFA-00AA00B6015C)")));
    assert_false(msc_guid_valid(S("{44BBA842CCC51-11CF-AAFA-00AA00B6015C}")));   /* dash moved */
    assert_false(msc_guid_valid(S("{44BBA842-CC5-111CF-AAFA-00AA00B6015C}")));
    assert_false(msc_guid_valid(S("{44BBA842-CC51-11CF-AAFA-00AA00B6015G}")));   /* not hex */
    assert_false(msc_guid_valid(S("{44BBA842-CC51-11CF-AAFA-00AA00B6 15C}")));
    assert_false(msc_guid_valid(S("{44BBA842-CC51-11CF-AAFA-00AA00B6\0" "15C}")));
    assert_false(msc_guid_valid(S("{+4BBA842-CC51-11CF-AAFA-00AA00B6015C}")));
}

static void test_state_helpers(void **state)
{
    (void)state;
    static const char *const names[MSC_STATE_COUNT] = {
        "SS_UNKNOWN", "SS_READY", "SS_INVITATION", "SS_ACCEPTED",
        "SS_CONNECTED", "SS_CANCELLED", "SS_DECLINED", "SS_TERMINATED",
    };
    for (int i = 0; i < MSC_STATE_COUNT; i++) {
        msc_state s = (msc_state)i;
        assert_string_equal(msc_state_name(s), names[i]);
        assert_int_equal(msc_state_is_terminal(s),
                         s == MSC_SS_CANCELLED || s == MSC_SS_DECLINED || s == MSC_SS_TERMINATED);
    }
    assert_non_null(msc_state_name((msc_state)MSC_STATE_COUNT));
    assert_non_null(msc_state_name((msc_state)-1));
    assert_false(msc_state_is_terminal((msc_state)MSC_STATE_COUNT));
}

static void test_guid_upper_and_same_user(void **state)
{
    char out[MSC_GUID_CHARS + 1];
    (void)state;
    assert_true(msc_guid_upper(msc_cstr("{44bba842-cc51-11cf-aafa-00aa00b6015c}"), out));
    assert_string_equal(out, "{44BBA842-CC51-11CF-AAFA-00AA00B6015C}");
    assert_false(msc_guid_upper(msc_cstr("{44bba842-cc51-11cf-aafa-00aa00b6015g}"), out));
    assert_false(msc_guid_upper(MSC_STR_EMPTY, out));
    assert_true(msc_same_user(msc_cstr("Bob@Example.ORG"), msc_cstr("bob@example.org")));
    assert_false(msc_same_user(msc_cstr("bob@example.org"), msc_cstr("bob@example.or")));
    assert_false(msc_same_user(msc_str_make("bob\0", 4), msc_cstr("bob")));
    assert_true(msc_same_user(MSC_STR_EMPTY, MSC_STR_EMPTY));
    /* a sign-in name written as its SIP address is the same name */
    assert_true(msc_same_user(msc_cstr("sip:Bob@Example.org"), msc_cstr("bob@example.org")));
    assert_true(msc_same_user(msc_cstr("SIP:bob@x"), msc_cstr("sip:bob@x")));
    assert_false(msc_same_user(msc_cstr("sips:bob@x"), msc_cstr("bob@x")));
    assert_false(msc_same_user(msc_cstr("sip:"), msc_cstr("bob@x")));
    /* only ASCII folds: other bytes must match exactly */
    assert_false(msc_same_user(msc_cstr("\xC3\x89"), msc_cstr("\xC3\xA9")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cstr),
        cmocka_unit_test(test_utf8_valid_accepts),
        cmocka_unit_test(test_utf8_valid_rejects),
        cmocka_unit_test(test_utf16_units),
        cmocka_unit_test(test_guid_valid),
        cmocka_unit_test(test_guid_upper_and_same_user),
        cmocka_unit_test(test_state_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
