/* Addresses as text and compared: portable (no sockets), shared by the SIP user agent and the
 * network I/O layer (include/msgsc/net.h). */
#include <stdio.h>
#include <string.h>
#include "msgsc/net.h"

size_t msc_addr_host(const msc_addr *a, char *buf, size_t cap)
{
    char tmp[64];
    int n = -1;
    if (!a || !buf || !cap) return 0;
    if (a->family == 4) {
        n = snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", a->ip[0], a->ip[1], a->ip[2], a->ip[3]);
    } else if (a->family == 6) {
        /* RFC 5952: lowercase hex, the longest run (of two or more) of zero groups as "::" */
        unsigned g[8];
        int i, best = -1, bestlen = 0, run = 0;
        size_t len = 0;
        for (i = 0; i < 8; i++) g[i] = (unsigned)a->ip[2 * i] << 8 | a->ip[2 * i + 1];
        for (i = 0; i < 8; i++) {
            run = g[i] ? 0 : run + 1;
            if (run > bestlen) { bestlen = run; best = i - run + 1; }
        }
        if (bestlen < 2) best = -1;
        tmp[len++] = '[';
        for (i = 0; i < 8; i++) {
            if (i == best) {
                len += (size_t)snprintf(tmp + len, sizeof tmp - len, "::");
                i += bestlen - 1;
                continue;
            }
            len += (size_t)snprintf(tmp + len, sizeof tmp - len, "%s%x",
                                    i && i != best + bestlen ? ":" : "", g[i]);
        }
        tmp[len++] = ']';
        tmp[len] = 0;
        n = (int)len;
    }
    if (n < 0 || (size_t)n >= cap) return 0;
    memcpy(buf, tmp, (size_t)n + 1);
    return (size_t)n;
}

int msc_addr_equal(const msc_addr *a, const msc_addr *b)
{
    if (!a || !b || a->family != b->family || a->port != b->port) return 0;
    return !memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4);
}
