/* msgsc internal: the platform shim under msc_netio (include/msgsc/net.h).  sock.c is the only
 * file with platform socket and thread code: Winsock 2 and Win32 threads in the mingw build,
 * POSIX sockets and pthreads elsewhere.  Nothing here exposes a platform type: a socket is an
 * integer handle, addresses are msc_addr, the thread objects are opaque.
 *
 * Sockets are always non-blocking.  The I/O functions return a byte count (>= 0; 0 from
 * msc_sock_recv is the end of the stream), MSC_SOCK_AGAIN (would block, try after a poll) or
 * MSC_SOCK_ERROR (the operation failed; for a stream socket: close it).
 */
#ifndef MSGSC_SOCK_H
#define MSGSC_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include "msgsc/net.h"

/* ---- start-up ------------------------------------------------------------------------------ */
/* Pair every successful msc_sock_init with one msc_sock_cleanup (WSAStartup/WSACleanup on
 * Windows, where Winsock counts the calls; nothing on POSIX).  0 or -1. */
int msc_sock_init(void);
void msc_sock_cleanup(void);

/* ---- sockets ------------------------------------------------------------------------------- */
typedef uintptr_t msc_sock;                 /* a SOCKET or a file descriptor */
#define MSC_SOCK_INVALID ((msc_sock)~(uintptr_t)0)
#define MSC_SOCK_AGAIN  (-1)
#define MSC_SOCK_ERROR  (-2)

/* A non-blocking, non-inheritable socket of family 4 or 6; MSC_SOCK_INVALID on failure.
 * UDP sockets ignore ICMP port unreachable (Windows' SIO_UDP_CONNRESET off); TCP sockets get
 * TCP_NODELAY. */
msc_sock msc_sock_open(int family, msc_net_proto proto);
void msc_sock_close(msc_sock s);                        /* MSC_SOCK_INVALID is ignored */
/* Bind to a's address and port (port 0: any).  On Windows every bind is SO_EXCLUSIVEADDRUSE
 * (no other socket can share the port); on POSIX a TCP socket that will listen (for_listen) gets
 * SO_REUSEADDR (connections in TIME_WAIT do not block a restart; a listening socket still does).
 * 0 or -1. */
int msc_sock_bind(msc_sock s, const msc_addr *a, int for_listen);
int msc_sock_listen(msc_sock s, int backlog);           /* 0 or -1 */
int msc_sock_local(msc_sock s, msc_addr *out);          /* getsockname: 0 or -1 */
/* The next pending connection, made non-blocking, with its remote address in *peer;
 * MSC_SOCK_INVALID when there is none (or it failed: try again after the next poll). */
msc_sock msc_sock_accept(msc_sock s, msc_addr *peer);
/* Start connecting: 0 connected already, 1 in progress (poll for MSC_POLL_OUT; then ask
 * msc_sock_connect_result), -1 failed. */
int msc_sock_connect(msc_sock s, const msc_addr *a);
int msc_sock_connect_result(msc_sock s);                /* 0 connected, -1 failed */

ptrdiff_t msc_sock_send(msc_sock s, const void *buf, size_t len);
ptrdiff_t msc_sock_recv(msc_sock s, void *buf, size_t cap);
ptrdiff_t msc_sock_sendto(msc_sock s, const void *buf, size_t len, const msc_addr *to);
/* One datagram and its sender.  An ICMP error reported on the socket (Windows' WSAECONNRESET
 * and WSAENETRESET, POSIX ECONNREFUSED and the unreachables) and a datagram over cap (Windows'
 * WSAEMSGSIZE) are skipped: the result is the next datagram, or MSC_SOCK_AGAIN. */
ptrdiff_t msc_sock_recvfrom(msc_sock s, void *buf, size_t cap, msc_addr *from);

/* ---- waiting on many sockets --------------------------------------------------------------- */
#define MSC_POLL_IN   1u    /* readable, or a pending connection on a listener */
#define MSC_POLL_OUT  2u    /* writable, or a connect finished (either way) */
#define MSC_POLL_ERR  4u    /* (result only) an error or hang-up: read, write or ask connect_result */
#define MSC_SOCK_POLL_MAX 1024  /* sockets in one msc_sock_poll */
typedef struct msc_pollfd {
    msc_sock s;
    unsigned want;          /* MSC_POLL_IN | MSC_POLL_OUT */
    unsigned got;           /* set by msc_sock_poll */
} msc_pollfd;
/* Wait up to timeout_ms (< 0: forever) until one of p[0..n) is ready.  The number of ready
 * entries, 0 on timeout, -1 on error (EINTR counts as 0). */
int msc_sock_poll(msc_pollfd *p, size_t n, int timeout_ms);

/* ---- waking a thread blocked in msc_sock_poll ------------------------------------------------ */
/* A UDP socket on the loopback address connected to itself: msc_sock_wake (any thread) sends it
 * one byte; the polling thread has it in its set for MSC_POLL_IN and drains it. */
msc_sock msc_sock_waker_open(void);                     /* MSC_SOCK_INVALID on failure */
void msc_sock_wake(msc_sock w);
void msc_sock_waker_drain(msc_sock w);

/* ---- names --------------------------------------------------------------------------------- */
/* host (NUL-terminated): numeric only, or a name resolved by the system (blocking).  IPv4 is
 * preferred when a name has both.  0 or -1. */
int msc_sock_resolve(const char *host, int numeric_only, uint16_t port, msc_addr *out);

/* ---- threads, locks, clock ----------------------------------------------------------------- */
typedef struct msc_thread msc_thread;
typedef struct msc_mutex msc_mutex;
typedef struct msc_cond msc_cond;

msc_thread *msc_thread_start(void (*fn)(void *arg), void *arg);     /* NULL on failure */
void msc_thread_join(msc_thread *t);                    /* waits for fn to return, frees t */

msc_mutex *msc_mutex_new(void);                         /* NULL on failure */
void msc_mutex_free(msc_mutex *m);
void msc_mutex_lock(msc_mutex *m);
void msc_mutex_unlock(msc_mutex *m);

msc_cond *msc_cond_new(void);                           /* NULL on failure */
void msc_cond_free(msc_cond *c);
/* Wait (m locked) until signalled or timeout_ms passes; may return early (spurious wake-up):
 * callers re-check their condition and the clock. */
void msc_cond_wait(msc_cond *c, msc_mutex *m, uint32_t timeout_ms);
void msc_cond_broadcast(msc_cond *c);

uint64_t msc_clock_ms(void);                            /* monotonic milliseconds */
void msc_sleep_ms(uint32_t ms);

#endif
