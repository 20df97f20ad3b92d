/* msgsc internal: the platform shim under msc_netio (see sock.h).  The only file with platform
 * socket and thread code: Winsock 2 + Win32 threads when _WIN32, POSIX sockets + pthreads
 * otherwise. */
#ifdef _WIN32
/* Windows' fd_set is a counted array: its size is ours to choose (before winsock2.h). */
#define FD_SETSIZE 1024
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>
#include <process.h>
#else
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "transport/sock.h"

#ifdef _WIN32
_Static_assert(FD_SETSIZE == MSC_SOCK_POLL_MAX, "fd_set holds MSC_SOCK_POLL_MAX sockets");
typedef int msc_socklen;
#define SOCK(s) ((SOCKET)(s))
static int last_error(void) { return WSAGetLastError(); }
static int would_block(int e) { return e == WSAEWOULDBLOCK || e == WSAEINTR; }
#else
typedef socklen_t msc_socklen;
#define SOCK(s) ((int)(s))
static int last_error(void) { return errno; }
static int would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }
#ifdef MSG_NOSIGNAL
#define SEND_FLAGS MSG_NOSIGNAL
#else
#define SEND_FLAGS 0
#endif
#endif

/* ---- start-up ------------------------------------------------------------------------------ */
int msc_sock_init(void)
{
#ifdef _WIN32
    WSADATA wsa;
    return WSAStartup(MAKEWORD(2, 2), &wsa) == 0 ? 0 : -1;
#else
    return 0;
#endif
}

void msc_sock_cleanup(void)
{
#ifdef _WIN32
    WSACleanup();
#endif
}

/* ---- addresses ----------------------------------------------------------------------------- */
static msc_socklen to_sockaddr(const msc_addr *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == 4) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(a->port);
        memcpy(&in->sin_addr, a->ip, 4);
        return (msc_socklen)sizeof(*in);
    }
    if (a->family == 6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        memcpy(&in6->sin6_addr, a->ip, 16);
        return (msc_socklen)sizeof(*in6);
    }
    return 0;
}

static void from_sockaddr(const struct sockaddr_storage *ss, msc_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        a->family = 4;
        a->port = ntohs(in->sin_port);
        memcpy(a->ip, &in->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        a->family = 6;
        a->port = ntohs(in6->sin6_port);
        memcpy(a->ip, &in6->sin6_addr, 16);
    }
}

/* ---- sockets ------------------------------------------------------------------------------- */
static int set_nonblocking(msc_sock s)
{
#ifdef _WIN32
    u_long on = 1;
    return ioctlsocket(SOCK(s), FIONBIO, &on) == 0 ? 0 : -1;
#else
    int fl = fcntl(SOCK(s), F_GETFL);
    if (fl < 0 || fcntl(SOCK(s), F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    fl = fcntl(SOCK(s), F_GETFD);
    if (fl >= 0)
        (void)fcntl(SOCK(s), F_SETFD, fl | FD_CLOEXEC);
    return 0;
#endif
}

static void set_nodelay(msc_sock s)
{
    int on = 1;
    (void)setsockopt(SOCK(s), IPPROTO_TCP, TCP_NODELAY, (const char *)&on, sizeof(on));
}

msc_sock msc_sock_open(int family, msc_net_proto proto)
{
    int af = family == 4 ? AF_INET : family == 6 ? AF_INET6 : -1;
    int type = proto == MSC_NET_UDP ? SOCK_DGRAM : proto == MSC_NET_TCP ? SOCK_STREAM : -1;
    int ipproto = proto == MSC_NET_UDP ? IPPROTO_UDP : IPPROTO_TCP;
    msc_sock s;

    if (af < 0 || type < 0)
        return MSC_SOCK_INVALID;
#ifdef _WIN32
    {
        SOCKET w = WSASocketW(af, type, ipproto, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
        if (w == INVALID_SOCKET)    /* before Windows 7 SP1 */
            w = WSASocketW(af, type, ipproto, NULL, 0, 0);
        if (w == INVALID_SOCKET)
            return MSC_SOCK_INVALID;
        s = (msc_sock)w;
    }
#else
    {
        int fd = socket(af, type, ipproto);
        if (fd < 0)
            return MSC_SOCK_INVALID;
        s = (msc_sock)fd;
    }
#endif
    if (set_nonblocking(s) != 0) {
        msc_sock_close(s);
        return MSC_SOCK_INVALID;
    }
    if (family == 6) {
        /* one family per socket: "::" does not take IPv4 too */
        int on = 1;
        (void)setsockopt(SOCK(s), IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&on, sizeof(on));
    }
    if (proto == MSC_NET_TCP)
        set_nodelay(s);
    if (proto == MSC_NET_UDP) {
        /* a burst of requests (many sessions ended at once) must not overflow the default
         * ~200 KB; the system may grant less (Linux: net.core.rmem_max) */
        int big = 4 << 20;
        (void)setsockopt(SOCK(s), SOL_SOCKET, SO_RCVBUF, (const char *)&big, sizeof(big));
    }
#ifdef _WIN32
    if (proto == MSC_NET_UDP) {
        /* Do not turn an ICMP port unreachable into WSAECONNRESET on the next recvfrom. */
        BOOL off = FALSE;
        DWORD got = 0;
        (void)WSAIoctl(SOCK(s), SIO_UDP_CONNRESET, &off, sizeof(off), NULL, 0, &got, NULL, NULL);
    }
#endif
    return s;
}

void msc_sock_close(msc_sock s)
{
    if (s == MSC_SOCK_INVALID)
        return;
#ifdef _WIN32
    closesocket(SOCK(s));
#else
    close(SOCK(s));
#endif
}

int msc_sock_bind(msc_sock s, const msc_addr *a, int for_listen)
{
    struct sockaddr_storage ss;
    msc_socklen n = to_sockaddr(a, &ss);
    if (!n)
        return -1;
#ifdef _WIN32
    {
        /* nobody may bind the same port with SO_REUSEADDR and take our traffic */
        int on = 1;
        (void)for_listen;
        (void)setsockopt(SOCK(s), SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on, sizeof(on));
    }
#else
    if (for_listen) {
        int on = 1;
        (void)setsockopt(SOCK(s), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    }
#endif
    return bind(SOCK(s), (struct sockaddr *)&ss, n) == 0 ? 0 : -1;
}

int msc_sock_listen(msc_sock s, int backlog)
{
    return listen(SOCK(s), backlog) == 0 ? 0 : -1;
}

int msc_sock_local(msc_sock s, msc_addr *out)
{
    struct sockaddr_storage ss;
    msc_socklen n = (msc_socklen)sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (getsockname(SOCK(s), (struct sockaddr *)&ss, &n) != 0)
        return -1;
    from_sockaddr(&ss, out);
    return out->family ? 0 : -1;
}

msc_sock msc_sock_accept(msc_sock s, msc_addr *peer)
{
    struct sockaddr_storage ss;
    msc_socklen n = (msc_socklen)sizeof(ss);
    msc_sock c;

    memset(&ss, 0, sizeof(ss));
#ifdef _WIN32
    {
        SOCKET w = accept(SOCK(s), (struct sockaddr *)&ss, &n);
        if (w == INVALID_SOCKET)
            return MSC_SOCK_INVALID;
        c = (msc_sock)w;
    }
#else
    {
        int fd = accept(SOCK(s), (struct sockaddr *)&ss, &n);
        if (fd < 0)
            return MSC_SOCK_INVALID;
        c = (msc_sock)fd;
    }
#endif
    if (set_nonblocking(c) != 0) {
        msc_sock_close(c);
        return MSC_SOCK_INVALID;
    }
    set_nodelay(c);
    from_sockaddr(&ss, peer);
    return c;
}

int msc_sock_connect(msc_sock s, const msc_addr *a)
{
    struct sockaddr_storage ss;
    msc_socklen n = to_sockaddr(a, &ss);
    int e;
    if (!n)
        return -1;
    if (connect(SOCK(s), (struct sockaddr *)&ss, n) == 0)
        return 0;
    e = last_error();
#ifdef _WIN32
    return e == WSAEWOULDBLOCK || e == WSAEINPROGRESS ? 1 : -1;
#else
    return e == EINPROGRESS || e == EINTR ? 1 : -1;
#endif
}

int msc_sock_connect_result(msc_sock s)
{
    int err = 0;
    msc_socklen n = (msc_socklen)sizeof(err);
    struct sockaddr_storage ss;
    msc_socklen sn = (msc_socklen)sizeof(ss);
    if (getsockopt(SOCK(s), SOL_SOCKET, SO_ERROR, (char *)&err, &n) != 0 || err != 0)
        return -1;
    /* SO_ERROR is 0 while the connect is still pending too: only a peer makes it connected */
    return getpeername(SOCK(s), (struct sockaddr *)&ss, &sn) == 0 ? 0 : -1;
}

static ptrdiff_t io_result(long r)
{
    if (r >= 0)
        return (ptrdiff_t)r;
    return would_block(last_error()) ? MSC_SOCK_AGAIN : MSC_SOCK_ERROR;
}

/* Windows counts lengths in int. */
#define IO_LEN(n) ((n) > 0x7fffffffu ? 0x7fffffff : (int)(n))

ptrdiff_t msc_sock_send(msc_sock s, const void *buf, size_t len)
{
#ifdef _WIN32
    return io_result(send(SOCK(s), (const char *)buf, IO_LEN(len), 0));
#else
    return io_result((long)send(SOCK(s), buf, len, SEND_FLAGS));
#endif
}

ptrdiff_t msc_sock_recv(msc_sock s, void *buf, size_t cap)
{
#ifdef _WIN32
    return io_result(recv(SOCK(s), (char *)buf, IO_LEN(cap), 0));
#else
    return io_result((long)recv(SOCK(s), buf, cap, 0));
#endif
}

ptrdiff_t msc_sock_sendto(msc_sock s, const void *buf, size_t len, const msc_addr *to)
{
    struct sockaddr_storage ss;
    msc_socklen n = to_sockaddr(to, &ss);
    if (!n)
        return MSC_SOCK_ERROR;
#ifdef _WIN32
    return io_result(sendto(SOCK(s), (const char *)buf, IO_LEN(len), 0, (struct sockaddr *)&ss, n));
#else
    return io_result((long)sendto(SOCK(s), buf, len, SEND_FLAGS, (struct sockaddr *)&ss, n));
#endif
}

ptrdiff_t msc_sock_recvfrom(msc_sock s, void *buf, size_t cap, msc_addr *from)
{
    /* Errors that concern one datagram or an earlier send, never the socket: skip them (a
     * bounded number of times, so that a socket stuck in an error state cannot spin us). */
    for (int tries = 0; tries < 64; tries++) {
        struct sockaddr_storage ss;
        msc_socklen n = (msc_socklen)sizeof(ss);
        int e;
        memset(&ss, 0, sizeof(ss));
#ifdef _WIN32
        int r = recvfrom(SOCK(s), (char *)buf, IO_LEN(cap), 0, (struct sockaddr *)&ss, &n);
        if (r >= 0) {
            from_sockaddr(&ss, from);
            return r;
        }
        e = last_error();
        if (e == WSAECONNRESET || e == WSAENETRESET || e == WSAEMSGSIZE)
            continue;
#else
        ssize_t r = recvfrom(SOCK(s), buf, cap, 0, (struct sockaddr *)&ss, &n);
        if (r >= 0) {
            from_sockaddr(&ss, from);
            return (ptrdiff_t)r;
        }
        e = last_error();
        if (e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH)
            continue;
#endif
        return would_block(e) ? MSC_SOCK_AGAIN : MSC_SOCK_ERROR;
    }
    return MSC_SOCK_AGAIN;
}

/* ---- poll ---------------------------------------------------------------------------------- */
int msc_sock_poll(msc_pollfd *p, size_t n, int timeout_ms)
{
    if (n > MSC_SOCK_POLL_MAX)
        return -1;
#ifdef _WIN32
    {
        /* select, not WSAPoll: WSAPoll does not report a failed connect on older Windows. */
        static const struct timeval zero;
        fd_set rd, wr, ex;
        struct timeval tv = zero, *ptv = NULL;
        int r, ready = 0;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        FD_ZERO(&ex);
        for (size_t i = 0; i < n; i++) {
            p[i].got = 0;
            if (p[i].s == MSC_SOCK_INVALID)
                continue;
            if (p[i].want & MSC_POLL_IN)
                FD_SET(SOCK(p[i].s), &rd);
            if (p[i].want & MSC_POLL_OUT)
                FD_SET(SOCK(p[i].s), &wr);
            FD_SET(SOCK(p[i].s), &ex);      /* a failed connect, out-of-band data */
        }
        if (timeout_ms >= 0) {
            tv.tv_sec = timeout_ms / 1000;
            tv.tv_usec = (timeout_ms % 1000) * 1000;
            ptv = &tv;
        }
        r = select(0, &rd, &wr, &ex, ptv);
        if (r == SOCKET_ERROR)
            return WSAGetLastError() == WSAEINTR ? 0 : -1;
        if (r == 0)
            return 0;
        for (size_t i = 0; i < n; i++) {
            if (p[i].s == MSC_SOCK_INVALID)
                continue;
            if (FD_ISSET(SOCK(p[i].s), &rd))
                p[i].got |= MSC_POLL_IN;
            if (FD_ISSET(SOCK(p[i].s), &wr))
                p[i].got |= MSC_POLL_OUT;
            if (FD_ISSET(SOCK(p[i].s), &ex))
                p[i].got |= MSC_POLL_ERR;
            if (p[i].got)
                ready++;
        }
        return ready;
    }
#else
    {
        struct pollfd fds[MSC_SOCK_POLL_MAX];
        int r, ready = 0;
        for (size_t i = 0; i < n; i++) {
            p[i].got = 0;
            fds[i].fd = p[i].s == MSC_SOCK_INVALID ? -1 : SOCK(p[i].s);
            fds[i].events = (short)(((p[i].want & MSC_POLL_IN) ? POLLIN : 0) |
                                    ((p[i].want & MSC_POLL_OUT) ? POLLOUT : 0));
            fds[i].revents = 0;
        }
        r = poll(fds, (nfds_t)n, timeout_ms < 0 ? -1 : timeout_ms);
        if (r < 0)
            return errno == EINTR ? 0 : -1;
        if (r == 0)
            return 0;
        for (size_t i = 0; i < n; i++) {
            short ev = fds[i].revents;
            if (ev & POLLIN)
                p[i].got |= MSC_POLL_IN;
            if (ev & POLLOUT)
                p[i].got |= MSC_POLL_OUT;
            if (ev & (POLLERR | POLLHUP | POLLNVAL))
                p[i].got |= MSC_POLL_ERR;
            if (p[i].got)
                ready++;
        }
        return ready;
    }
#endif
}

/* ---- waker --------------------------------------------------------------------------------- */
msc_sock msc_sock_waker_open(void)
{
    static const uint8_t lo4[4] = { 127, 0, 0, 1 };
    static const uint8_t lo6[16] = { [15] = 1 };
    for (int family = 4; family <= 6; family += 2) {
        msc_addr a;
        msc_sock s;
        memset(&a, 0, sizeof(a));
        a.family = family;
        memcpy(a.ip, family == 4 ? lo4 : lo6, family == 4 ? 4 : 16);
        s = msc_sock_open(family, MSC_NET_UDP);
        if (s == MSC_SOCK_INVALID)
            continue;
        /* connected to itself: nobody else's datagrams get in */
        if (msc_sock_bind(s, &a, 0) == 0 && msc_sock_local(s, &a) == 0 &&
            msc_sock_connect(s, &a) == 0)
            return s;
        msc_sock_close(s);
    }
    return MSC_SOCK_INVALID;
}

void msc_sock_wake(msc_sock w)
{
    static const char one = 1;
    (void)msc_sock_send(w, &one, 1);   /* full: a wake-up is pending anyway */
}

void msc_sock_waker_drain(msc_sock w)
{
    char buf[64];
    for (int i = 0; i < 1024 && msc_sock_recv(w, buf, sizeof(buf)) >= 0; i++)
        ;
}

/* ---- names --------------------------------------------------------------------------------- */
int msc_sock_resolve(const char *host, int numeric_only, uint16_t port, msc_addr *out)
{
    struct addrinfo hints, *res = NULL, *ai, *pick = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = numeric_only ? AI_NUMERICHOST : 0;
    if (!host || !*host || getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return -1;
    for (ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }
        if (ai->ai_family == AF_INET6 && !pick)
            pick = ai;
    }
    if (pick && pick->ai_addrlen <= sizeof(struct sockaddr_storage)) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        memcpy(&ss, pick->ai_addr, pick->ai_addrlen);
        from_sockaddr(&ss, out);
        out->port = port;
    } else {
        pick = NULL;
    }
    freeaddrinfo(res);
    return pick && out->family ? 0 : -1;
}

/* ---- threads, locks, clock ----------------------------------------------------------------- */
#ifdef _WIN32
struct msc_thread {
    HANDLE h;
    void (*fn)(void *);
    void *arg;
};
struct msc_mutex {
    CRITICAL_SECTION cs;
};
struct msc_cond {
    CONDITION_VARIABLE cv;
};

static unsigned __stdcall thread_main(void *p)
{
    msc_thread *t = p;
    t->fn(t->arg);
    return 0;
}

msc_thread *msc_thread_start(void (*fn)(void *), void *arg)
{
    msc_thread *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    t->h = (HANDLE)_beginthreadex(NULL, 0, thread_main, t, 0, NULL);
    if (!t->h) {
        free(t);
        return NULL;
    }
    return t;
}

void msc_thread_join(msc_thread *t)
{
    if (!t)
        return;
    WaitForSingleObject(t->h, INFINITE);
    CloseHandle(t->h);
    free(t);
}

msc_mutex *msc_mutex_new(void)
{
    msc_mutex *m = calloc(1, sizeof(*m));
    if (m)
        InitializeCriticalSection(&m->cs);
    return m;
}

void msc_mutex_free(msc_mutex *m)
{
    if (!m)
        return;
    DeleteCriticalSection(&m->cs);
    free(m);
}

void msc_mutex_lock(msc_mutex *m) { EnterCriticalSection(&m->cs); }
void msc_mutex_unlock(msc_mutex *m) { LeaveCriticalSection(&m->cs); }

msc_cond *msc_cond_new(void)
{
    msc_cond *c = calloc(1, sizeof(*c));
    if (c)
        InitializeConditionVariable(&c->cv);
    return c;
}

void msc_cond_free(msc_cond *c) { free(c); }

void msc_cond_wait(msc_cond *c, msc_mutex *m, uint32_t timeout_ms)
{
    (void)SleepConditionVariableCS(&c->cv, &m->cs, timeout_ms);
}

void msc_cond_broadcast(msc_cond *c) { WakeAllConditionVariable(&c->cv); }

uint64_t msc_clock_ms(void) { return (uint64_t)GetTickCount64(); }
void msc_sleep_ms(uint32_t ms) { Sleep(ms); }

#else
struct msc_thread {
    pthread_t t;
    void (*fn)(void *);
    void *arg;
};
struct msc_mutex {
    pthread_mutex_t m;
};
struct msc_cond {
    pthread_cond_t c;
};

static void *thread_main(void *p)
{
    msc_thread *t = p;
    t->fn(t->arg);
    return NULL;
}

msc_thread *msc_thread_start(void (*fn)(void *), void *arg)
{
    msc_thread *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    if (pthread_create(&t->t, NULL, thread_main, t) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void msc_thread_join(msc_thread *t)
{
    if (!t)
        return;
    pthread_join(t->t, NULL);
    free(t);
}

msc_mutex *msc_mutex_new(void)
{
    msc_mutex *m = calloc(1, sizeof(*m));
    if (m && pthread_mutex_init(&m->m, NULL) != 0) {
        free(m);
        m = NULL;
    }
    return m;
}

void msc_mutex_free(msc_mutex *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->m);
    free(m);
}

void msc_mutex_lock(msc_mutex *m) { pthread_mutex_lock(&m->m); }
void msc_mutex_unlock(msc_mutex *m) { pthread_mutex_unlock(&m->m); }

msc_cond *msc_cond_new(void)
{
    msc_cond *c = calloc(1, sizeof(*c));
    pthread_condattr_t a;
    int ok;
    if (!c)
        return NULL;
    if (pthread_condattr_init(&a) != 0) {
        free(c);
        return NULL;
    }
    (void)pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    ok = pthread_cond_init(&c->c, &a) == 0;
    pthread_condattr_destroy(&a);
    if (!ok) {
        free(c);
        return NULL;
    }
    return c;
}

void msc_cond_free(msc_cond *c)
{
    if (!c)
        return;
    pthread_cond_destroy(&c->c);
    free(c);
}

void msc_cond_wait(msc_cond *c, msc_mutex *m, uint32_t timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(timeout_ms / 1000);
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    (void)pthread_cond_timedwait(&c->c, &m->m, &ts);
}

void msc_cond_broadcast(msc_cond *c) { pthread_cond_broadcast(&c->c); }

uint64_t msc_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void msc_sleep_ms(uint32_t ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
#endif
