/* A bounded writer for the wire formats (the invitation body, SIP messages, Digest credentials):
 * bytes go in until a piece does not fit; from then on nothing more is written and ok stays 0, so
 * an encoder writes everything and checks once at the end.  Portable C, no allocation. */
#ifndef MSGSC_TRANSPORT_WRITER_H
#define MSGSC_TRANSPORT_WRITER_H

#include <stdint.h>
#include <string.h>
#include "msgsc/core.h"

typedef struct msc_writer {
    char *buf;
    size_t cap, len;
    int ok;
} msc_writer;

static inline msc_writer msc_writer_make(char *buf, size_t cap)
{
    msc_writer w;
    w.buf = buf;
    w.cap = cap;
    w.len = 0;
    w.ok = buf != NULL;
    return w;
}

static inline void msc_put(msc_writer *w, const char *p, size_t n)
{
    if (!w->ok || n == 0)
        return;
    if (n > w->cap - w->len) {
        w->ok = 0;
        return;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static inline void msc_put_s(msc_writer *w, msc_str s) { msc_put(w, s.p, s.n); }
static inline void msc_put_z(msc_writer *w, const char *z) { msc_put(w, z, strlen(z)); }

static inline void msc_put_uint(msc_writer *w, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    msc_put(w, tmp + i, sizeof(tmp) - i);
}

#endif
