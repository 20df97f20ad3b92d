/* msgsc transports: how the core reaches peers.  Portable (no <windows.h>), knows nothing of COM.
 *
 * A transport gives the core one ops struct.  Outgoing messages go through send(); incoming ones
 * reach the core through msc_manager_receive() on the manager's owner thread (a transport whose
 * I/O runs on another thread must hand them over to that thread first).
 */
#ifndef MSGSC_TRANSPORT_H
#define MSGSC_TRANSPORT_H

#include "msgsc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the message the core exchanges with peers -------------------------------------------- */
typedef enum msc_verb {
    MSC_VERB_NONE = 0,
    MSC_VERB_INVITE,     /* inviter -> invitee: a new invitation                   */
    MSC_VERB_ACCEPT,     /* invitee -> inviter: accepted                          */
    MSC_VERB_ACK,        /* inviter -> invitee: acceptance seen; both CONNECTED    */
    MSC_VERB_CANCEL,     /* either way: the invitation ends; see msc_cancel_code   */
    MSC_VERB_BYE,        /* either way: an accepted/connected session ends         */
    MSC_VERB_CONTEXT     /* either way: SendContextData                            */
} msc_verb;
#define MSC_VERB_COUNT 7

/* Why a CANCEL was sent: Messenger's Cancel-Code values (msgr-api.md §14.3). */
typedef enum msc_cancel_code {
    MSC_CANCEL_NONE = 0,
    MSC_CANCEL_REJECT,                /* the invitee declined                     */
    MSC_CANCEL_REJECT_NOT_INSTALLED,  /* the invitee has no such application      */
    MSC_CANCEL_TIMEOUT,               /* the invitation's lifetime ran out        */
    MSC_CANCEL_OUTBANDCANCEL,         /* the sender cancelled (Cancel, glare, shutdown) */
    MSC_CANCEL_FAIL                   /* the sender could not take the message    */
} msc_cancel_code;

typedef struct msc_msg {
    msc_verb verb;
    msc_cancel_code code;                                 /* CANCEL only */
    msc_hr hr;                                            /* CANCEL/BYE: the reason (0: none) */
    uint32_t lifetime_s;                                  /* INVITE: invitation lifetime */
    char session_id[MSC_GUID_CHARS + 1];                  /* braced GUID, always present */
    char app_guid[MSC_GUID_CHARS + 1];                    /* INVITE */
    char app_name[MSC_UTF8_BYTES(MSC_MAX_NAME_CHARS) + 1];/* INVITE */
    char app_url[MSC_UTF8_BYTES(MSC_MAX_URL_CHARS) + 1];  /* INVITE */
    char address[MSC_UTF8_BYTES(MSC_MAX_ADDRESS_CHARS) + 1]; /* INVITE/ACCEPT: sender's LocalAddress */
    size_t data_len;                                      /* app data or context data */
    char data[MSC_MAX_CONTEXT_BYTES];
    /* filled by the transport, not carried in the body: */
    char from[MSC_UTF8_BYTES(MSC_MAX_USER_CHARS) + 1];
    char to[MSC_UTF8_BYTES(MSC_MAX_USER_CHARS) + 1];
} msc_msg;

void msc_msg_init(msc_msg *m, msc_verb verb, msc_str session_id);
/* Copy s into a fixed field of cap bytes (cap includes the NUL); 0, field unchanged, when it
 * does not fit or holds a NUL byte (only data, with its explicit length, may carry NULs). */
int msc_msg_set(char *field, size_t cap, msc_str s);
#define MSC_MSG_SET(m, field, s) msc_msg_set((m)->field, sizeof((m)->field), (s))
int msc_msg_set_data(msc_msg *m, msc_str s);

/* ---- the transport ops -------------------------------------------------------------------- */
typedef enum msc_presence {
    MSC_PRESENCE_UNKNOWN = 0,   /* cannot tell: the invitation is sent and may time out */
    MSC_PRESENCE_OFFLINE = 1,   /* Invite fails with MSGR_E_NOT_LOGGED_ON */
    MSC_PRESENCE_ONLINE  = 2
} msc_presence;

typedef struct msc_transport {
    void *ctx;
    /* Queue msg to msg->to.  S_OK when taken (delivery failures come back later through
     * msc_manager_send_failed); a failure HRESULT when it could not even be queued.  It must
     * not call back into the manager: replies arrive later through msc_manager_receive(). */
    msc_hr (*send)(void *ctx, const msc_msg *msg);
    /* The local user's sign-in name (never NULL). */
    msc_str (*local_identity)(void *ctx);
    /* The address advertised when LocalAddress was not set (e.g. "127.0.0.1"). */
    msc_str (*local_address)(void *ctx);
    /* Whether user is signed in and reachable.  NULL: unknown. */
    msc_presence (*presence)(void *ctx, msc_str user);
} msc_transport;
/* Where a transport delivers: a manager (msc_manager_sink), or a router that passes messages on
 * to managers in other processes (the per-user agent, router.h).  Called on the owner thread. */
typedef struct msc_sink {
    void *ctx;
    void (*receive)(void *ctx, const msc_msg *msg);
    void (*send_failed)(void *ctx, const msc_msg *msg, msc_hr hr);
} msc_sink;
/* The sink that feeds m (msc_manager_receive, msc_manager_send_failed); all NULL for NULL. */
msc_sink msc_manager_sink(msc_manager *m);

/* Sign-in names: a transport hands the core each user's canonical sign-in name (msg->from,
 * local_identity) and maps it to its own addresses itself.  The core compares names ASCII
 * case-insensitively. */

/* ---- body codec: the text/x-msmsgsinvite body (src/transport/body.c, docs/wire.md) --------- */
#define MSC_BODY_MAX 4096
/* Encode msg (from/to are not part of the body).  Returns the length, or 0 when buf is too
 * small or msg breaks a limit. */
size_t msc_body_encode(const msc_msg *msg, char *buf, size_t cap);
/* Strict decode.  S_OK, or SR_SESSION_PROTOCOL_ERROR for anything malformed or over a limit
 * (out is then unspecified), or E_POINTER when buf or out is NULL.  from/to are left empty. */
msc_hr msc_body_decode(const char *buf, size_t len, msc_msg *out);

/* ---- loopback transport: any number of endpoints in one process (src/transport/loopback.c) */
typedef struct msc_loopnet msc_loopnet;
typedef struct msc_loop_endpoint msc_loop_endpoint;

/* now_ms: the clock used for delays (the tests' fake clock). */
msc_loopnet *msc_loopnet_create(uint64_t (*now_ms)(void *ctx), void *clock_ctx);
void msc_loopnet_destroy(msc_loopnet *net);
/* An endpoint for user (sign-in name), reachable by that name, online.  NULL if user has one. */
msc_loop_endpoint *msc_loopnet_endpoint(msc_loopnet *net, msc_str user, msc_str address);
/* The endpoint of user (compared case-insensitively), or NULL.  Endpoints live as long as the
 * network: a manager may come and go on one. */
msc_loop_endpoint *msc_loopnet_find(msc_loopnet *net, msc_str user);
const msc_transport *msc_loop_endpoint_transport(msc_loop_endpoint *ep);
/* Where the endpoint delivers: the manager created on its transport.  NULL detaches. */
void msc_loop_endpoint_bind(msc_loop_endpoint *ep, msc_manager *m);
void msc_loop_endpoint_set_online(msc_loop_endpoint *ep, int online);

/* Deliver every message that is due; returns how many were delivered.  Messages sent while
 * delivering are delivered in the same call when due (bounded by max_rounds passes). */
size_t msc_loopnet_pump(msc_loopnet *net);
/* The same, but at most max messages: a host with other work queued (posted window messages)
 * delivers a batch at a time, so a busy conversation cannot starve the rest. */
size_t msc_loopnet_pump_some(msc_loopnet *net, size_t max);
size_t msc_loopnet_pending(const msc_loopnet *net);
/* 1 and *at when a delayed message is waiting. */
int msc_loopnet_next_due(const msc_loopnet *net, uint64_t *at);

/* Fault injection, applied to the next n messages sent by any endpoint (n = 0 turns it off). */
void msc_loopnet_drop_next(msc_loopnet *net, unsigned n);
void msc_loopnet_duplicate_next(msc_loopnet *net, unsigned n);
void msc_loopnet_delay_next(msc_loopnet *net, unsigned n, uint32_t delay_ms);
void msc_loopnet_reorder_next(msc_loopnet *net, unsigned n);          /* deliver newest first */
void msc_loopnet_fail_send_next(msc_loopnet *net, unsigned n, msc_hr hr); /* send() returns hr */
void msc_loopnet_fail_async_next(msc_loopnet *net, unsigned n, msc_hr hr);/* accepted, then send_failed */
/* Only messages with this verb are affected by the faults above (MSC_VERB_NONE: all). */
void msc_loopnet_fault_filter(msc_loopnet *net, msc_verb verb);

typedef struct msc_loop_stats {
    size_t sent, delivered, dropped, duplicated, failed, encoded_bytes;
} msc_loop_stats;
msc_loop_stats msc_loopnet_stats(const msc_loopnet *net);

#ifdef __cplusplus
}
#endif
#endif
