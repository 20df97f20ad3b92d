/* msgsc network I/O: one UDP socket and one TCP listener on the same port, outgoing and accepted
 * TCP connections, all run by one I/O thread.  The SIP user agent (sip_ua.h) never touches a
 * socket: it runs on its owner thread, hands bytes to msc_netio_send() and takes what arrived with
 * msc_netio_take().  This is the only place with sockets and threads; the platform part (Winsock
 * in the DLL, POSIX in the host build) stays inside src/transport/sock.c.
 *
 * Threading: msc_netio_start/stop/send/take/wait may be called from any one owner thread; the
 * notify callback is called on the I/O thread and must only wake the owner (PostMessage, a
 * condition variable ...), never call back into msc_netio.
 */
#ifndef MSGSC_NET_H
#define MSGSC_NET_H

#include <stddef.h>
#include <stdint.h>
#include "msgsc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct msc_addr {
    int family;             /* 4 or 6; 0: none */
    uint16_t port;          /* host byte order */
    uint8_t ip[16];         /* network byte order: 4 bytes for IPv4, 16 for IPv6 */
} msc_addr;

typedef enum msc_net_proto {
    MSC_NET_UDP = 1,
    MSC_NET_TCP = 2
} msc_net_proto;

/* "127.0.0.1" / "::1" / a host name (resolved, blocking; IPv4 preferred) and a port into *out.
 * S_OK, or MSC_E_INVALIDARG for an empty name, MSC_SR_CONNECTION_FAILURE when it cannot be
 * resolved. */
msc_hr msc_net_resolve(msc_str host, uint16_t port, msc_addr *out);
/* "1.2.3.4" or "[::1]" (brackets for IPv6) into buf; the length, 0 if cap is too small. */
size_t msc_addr_host(const msc_addr *a, char *buf, size_t cap);
int msc_addr_equal(const msc_addr *a, const msc_addr *b);      /* family, ip and port */

typedef struct msc_netio_config {
    const char *bind_host;  /* numeric: "127.0.0.1", "0.0.0.0", "::1"; NULL: "0.0.0.0" */
    uint16_t port;          /* 0: any free port (the same number for UDP and TCP) */
    /* Called on the I/O thread each time the inbound queue goes from empty to not empty.
     * NULL: the owner polls or uses msc_netio_wait. */
    void (*notify)(void *ctx);
    void *ctx;
    size_t max_connections; /* TCP connections open at once; 0: 256; at most 1016.  Over it,
                               the one idle longest is closed (its unsent messages fail). */
    uint32_t idle_close_ms; /* close a TCP connection idle for this long; 0: 10 minutes.  (A
                               connect that has not finished after 10 s fails.) */
} msc_netio_config;

typedef struct msc_netio msc_netio;

/* Bind the UDP socket and the TCP listener and start the I/O thread.  S_OK, or
 * MSC_SR_CONNECTION_FAILURE when the port cannot be bound (in use), MSC_E_OUTOFMEMORY,
 * MSC_E_INVALIDARG (cfg or out NULL, bind_host not a numeric address).  *out is NULL on
 * failure. */
msc_hr msc_netio_start(const msc_netio_config *cfg, msc_netio **out);
/* Stop the thread, close every socket, free what is queued.  Messages queued by msc_netio_send
 * before the call are written once, without waiting (UDP, and TCP connections already open);
 * what cannot be written at once is dropped.  NULL is ignored. */
void msc_netio_stop(msc_netio *io);
uint16_t msc_netio_port(const msc_netio *io);            /* the bound port */
msc_addr msc_netio_local(const msc_netio *io);           /* bound address and port */

/* Queue one message (copied) for dest.  UDP: one datagram.  TCP: over an open connection whose
 * remote address is dest (an accepted one included, so responses go back the way requests came),
 * else a new connection (connect runs on the I/O thread; it never blocks the caller).  S_OK when
 * queued; MSC_E_INVALIDARG for len 0 or over MSC_NET_MAX_MSG, a NULL argument, a dest without
 * family or port; MSC_E_OUTOFMEMORY (also when 4096 messages wait for the I/O thread).  A message
 * that later cannot be sent comes back as a MSC_NET_SEND_FAILED item carrying its bytes:
 * connection refused, reset, closed or timed out before it was all written; dest of the other
 * family than bind_host's; more than 1 MiB waiting on its connection (also counted in
 * stats.dropped).  (ICMP unreachable for UDP is ignored: Linux does not report it on an
 * unconnected socket and Windows' report does not say which datagram it was.) */
#define MSC_NET_MAX_MSG 65535u
msc_hr msc_netio_send(msc_netio *io, msc_net_proto proto, const msc_addr *dest,
                      const void *buf, size_t len);

typedef enum msc_net_kind {
    MSC_NET_RECEIVED = 1,   /* a datagram, or one whole message framed from a TCP stream by
                               msc_sip_frame (a stream that cannot be framed is closed; an
                               RFC 5626 CRLFCRLF ping is answered with a CRLF pong) */
    MSC_NET_SEND_FAILED,    /* data is the message that could not be sent to peer */
    MSC_NET_CLOSED          /* the TCP connection with peer, once up, closed (len 0) */
} msc_net_kind;

typedef struct msc_net_item {
    msc_net_kind kind;
    msc_net_proto proto;
    msc_addr peer;          /* the sender (RECEIVED) or the destination (SEND_FAILED) */
    msc_hr hr;              /* SEND_FAILED: MSC_SR_CONNECTION_FAILURE (refused, reset, timeout) */
    size_t len;
    char data[];            /* len bytes, then a NUL */
} msc_net_item;

/* The next inbound item, or NULL when none.  The caller frees it with msc_net_item_free.  At
 * most 4096 items wait; more are dropped (stats.dropped). */
msc_net_item *msc_netio_take(msc_netio *io);
void msc_net_item_free(msc_net_item *item);
/* Block until an item is queued or timeout_ms passes (0: just check).  1 when one is queued. */
int msc_netio_wait(msc_netio *io, uint32_t timeout_ms);

typedef struct msc_netio_stats {
    /* rx: datagrams and framed messages received (dropped ones included); tx: messages written
     * whole; bytes are message bytes (no keep-alives). */
    uint64_t rx_msgs, tx_msgs, rx_bytes, tx_bytes, send_failed, dropped;
    size_t connections;     /* TCP connections open now */
} msc_netio_stats;
msc_netio_stats msc_netio_get_stats(msc_netio *io);

#ifdef __cplusplus
}
#endif
#endif
