/* msgsc SIP user agent: the network transport behind transport.h.  It turns the core's messages
 * (msc_msg) into SIP requests and responses and back, runs the RFC 3261 transactions and timers
 * on the core's clock, keeps one dialog per session, and REGISTERs with a proxy when one is
 * configured.  Portable C: no sockets, no threads, no <windows.h>.  Bytes leave through io.send
 * (msc_netio_send in the real hosts, a test network in the unit tests) and arrive through
 * msc_sip_ua_input; everything runs on the owner thread, like the core.  docs/sip-ua.md.
 *
 * Code: src/transport/sip/ua.c.  Tests: tests/transport/test_sip_ua.c.
 */
#ifndef MSGSC_SIP_UA_H
#define MSGSC_SIP_UA_H

#include "msgsc/transport.h"
#include "msgsc/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct msc_sip_ua_config {
    /* The local user's sign-in name, "alice@example.org" or "bob@127.0.0.1:5070" (a leading
     * "sip:" is accepted and dropped).  Its SIP address is "sip:" + the sign-in name. */
    msc_str identity;
    msc_str display_name;        /* optional, shown in From */
    msc_net_proto transport;     /* for new requests; 0: UDP */
    msc_str proxy;               /* "host[:port]" of the registrar/outbound proxy; empty: direct */
    msc_str auth_user;           /* digest user name; empty: the identity's user part */
    msc_str auth_password;       /* never logged, never sent in clear */
    uint32_t register_expires_s; /* 0: 3600 */
    uint32_t t1_ms, t2_ms, t4_ms;/* RFC 3261 T1, T2, T4; 0: 500, 4000, 5000 */
    msc_addr local;              /* the address and port we listen on (Via, Contact) */
} msc_sip_ua_config;

typedef struct msc_sip_ua_io {
    void *ctx;
    uint64_t (*now_ms)(void *ctx);                          /* required: the core's clock */
    void (*wake)(void *ctx);       /* the earliest deadline changed (may be NULL: host polls) */
    void (*random)(void *ctx, void *buf, size_t len);       /* required */
    /* required: queue bytes to dest (never calls back into the UA) */
    msc_hr (*send)(void *ctx, msc_net_proto proto, const msc_addr *dest, const void *buf, size_t len);
    /* required: a host name or literal to an address (msc_net_resolve) */
    msc_hr (*resolve)(void *ctx, msc_str host, uint16_t port, msc_addr *out);
    /* optional: REGISTER succeeded (S_OK) or failed (its reason); called on every change */
    void (*registration)(void *ctx, msc_hr status);
    /* optional: one line of protocol trace (credentials are never in it) */
    void (*trace)(void *ctx, const char *line);
} msc_sip_ua_io;

typedef struct msc_sip_ua msc_sip_ua;

/* S_OK, E_INVALIDARG (no identity, a malformed identity or proxy, missing io members),
 * E_OUTOFMEMORY.  cfg's strings are copied. */
msc_hr msc_sip_ua_create(const msc_sip_ua_config *cfg, const msc_sip_ua_io *io, msc_sip_ua **out);
/* Unregisters (best effort: one REGISTER with Expires 0 is queued) and frees everything. */
void msc_sip_ua_destroy(msc_sip_ua *ua);

/* The transport ops to hand to msc_manager_create, and the manager that receives. */
const msc_transport *msc_sip_ua_transport(msc_sip_ua *ua);
void msc_sip_ua_bind(msc_sip_ua *ua, msc_manager *m);
/* Or any other receiver (the per-user agent's router); NULL detaches. */
void msc_sip_ua_set_sink(msc_sip_ua *ua, const msc_sink *sink);

/* Bytes that arrived: one datagram or one framed stream message. */
void msc_sip_ua_input(msc_sip_ua *ua, msc_net_proto proto, const msc_addr *from,
                      const char *buf, size_t len);
/* Bytes handed to io.send earlier that could not be delivered. */
void msc_sip_ua_send_failed(msc_sip_ua *ua, msc_net_proto proto, const msc_addr *dest,
                            const char *buf, size_t len, msc_hr hr);
/* Fire every SIP timer due at io.now_ms(); and the earliest deadline (1 and *at, or 0). */
void msc_sip_ua_tick(msc_sip_ua *ua);
int msc_sip_ua_next_deadline(const msc_sip_ua *ua, uint64_t *at);

/* With a proxy: start registering (and keep the registration fresh).  S_OK when the first
 * REGISTER was queued, S_FALSE with no proxy configured. */
msc_hr msc_sip_ua_register(msc_sip_ua *ua);
int msc_sip_ua_registered(const msc_sip_ua *ua);
/* Sign out: REGISTER with Expires: 0, a digest challenge answered as for REGISTER.  S_OK when it
 * is on its way (keep the UA running until msc_sip_ua_signing_out() is 0: answered, refused or
 * timed out); S_FALSE when there is nothing to sign out of. */
msc_hr msc_sip_ua_unregister(msc_sip_ua *ua);
int msc_sip_ua_signing_out(const msc_sip_ua *ua);

typedef struct msc_sip_ua_stats {
    size_t calls, transactions;             /* alive now */
    uint64_t requests_out, responses_out, retransmissions, received, rejected;
} msc_sip_ua_stats;
msc_sip_ua_stats msc_sip_ua_get_stats(const msc_sip_ua *ua);

#ifdef __cplusplus
}
#endif
#endif
