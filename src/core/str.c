/* msgsc core: string helpers (UTF-8 validation, UTF-16 length, GUID syntax) and state names.
 *
 * Strings are msc_str (pointer + length), so embedded NUL bytes are ordinary characters here.
 */
#include <string.h>

#include "msgsc/core.h"

msc_str msc_cstr(const char *z)
{
    if (!z)
        return MSC_STR_EMPTY;
    return msc_str_make(z, strlen(z));
}

/* Strict UTF-8 (RFC 3629): the shortest form only, no UTF-16 surrogates (U+D800..U+DFFF), nothing
 * above U+10FFFF, no truncated sequences.  The byte 0x00 is U+0000 and therefore valid. */
int msc_utf8_valid(msc_str s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0, n = s.n;

    if (!p)
        return n == 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len;
        uint32_t cp, min;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {          /* 0xC0, 0xC1 could only start overlongs */
            len = 2; cp = c & 0x1F; min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3; cp = c & 0x0F; min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {   /* 0xF5.. would start > U+10FFFF */
            len = 4; cp = c & 0x07; min = 0x10000;
        } else {
            return 0;                          /* continuation byte or 0xC0/0xC1/0xF5..0xFF */
        }
        if (n - i < len)
            return 0;                          /* truncated */
        for (size_t k = 1; k < len; k++) {
            unsigned cc = p[i + k];
            if ((cc & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* Assumes valid UTF-8: every byte that is not a continuation byte starts a code point (one unit),
 * and a 4-byte sequence (lead 0xF0..0xF4) is a supplementary code point (a surrogate pair). */
size_t msc_utf16_units(msc_str s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t units = 0;

    if (!p)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned c = p[i];
        if ((c & 0xC0) == 0x80)
            continue;
        units += (c >= 0xF0) ? 2 : 1;
    }
    return units;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}: exactly 38 characters, hex digits of either case. */
int msc_guid_valid(msc_str s)
{
    if (!s.p || s.n != MSC_GUID_CHARS)
        return 0;
    for (size_t i = 0; i < MSC_GUID_CHARS; i++) {
        char c = s.p[i];
        if (i == 0) {
            if (c != '{')
                return 0;
        } else if (i == MSC_GUID_CHARS - 1) {
            if (c != '}')
                return 0;
        } else if (i == 9 || i == 14 || i == 19 || i == 24) {
            if (c != '-')
                return 0;
        } else if (!is_hex(c)) {
            return 0;
        }
    }
    return 1;
}

int msc_state_is_terminal(msc_state s)
{
    return s == MSC_SS_CANCELLED || s == MSC_SS_DECLINED || s == MSC_SS_TERMINATED;
}

const char *msc_state_name(msc_state s)
{
    switch (s) {
    case MSC_SS_UNKNOWN:    return "SS_UNKNOWN";
    case MSC_SS_READY:      return "SS_READY";
    case MSC_SS_INVITATION: return "SS_INVITATION";
    case MSC_SS_ACCEPTED:   return "SS_ACCEPTED";
    case MSC_SS_CONNECTED:  return "SS_CONNECTED";
    case MSC_SS_CANCELLED:  return "SS_CANCELLED";
    case MSC_SS_DECLINED:   return "SS_DECLINED";
    case MSC_SS_TERMINATED: return "SS_TERMINATED";
    }
    return "SS_(invalid)";
}

int msc_guid_upper(msc_str s, char out[MSC_GUID_CHARS + 1])
{
    if (!msc_guid_valid(s))
        return 0;
    for (size_t i = 0; i < MSC_GUID_CHARS; i++)
        out[i] = (s.p[i] >= 'a' && s.p[i] <= 'f') ? (char)(s.p[i] - 32) : s.p[i];
    out[MSC_GUID_CHARS] = '\0';
    return 1;
}

msc_str msc_sign_in_name(msc_str s)
{
    if (s.n >= 4 && (s.p[0] | 0x20) == 's' && (s.p[1] | 0x20) == 'i' && (s.p[2] | 0x20) == 'p' && s.p[3] == ':') {
        s.p += 4;
        s.n -= 4;
    }
    return s;
}

int msc_same_user(msc_str a, msc_str b)
{
    a = msc_sign_in_name(a);
    b = msc_sign_in_name(b);
    if (a.n != b.n)
        return 0;
    for (size_t i = 0; i < a.n; i++) {
        char x = a.p[i], y = b.p[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}
