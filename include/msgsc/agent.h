/* msgsc per-user agent: one network identity shared by every application of a user.
 *
 * The agent process owns the user's SIP user agent.  Each msgsc.dll instance keeps its own engine
 * (msc_manager) and reaches the network through a link to the agent: a loopback TCP connection
 * that carries the core's messages plus a small control vocabulary (below).  The agent's router
 * passes each network message to the application that owns its session, offers new invitations
 * to the running applications (OnInvitation, pfHandled), and when none takes one, applies the
 * user's policy, asks, and launches the registered application, which picks the session up with
 * GetLaunchingSession.  docs/design.md §"One identity per user" and docs/agent.md.
 *
 * Portable C (no <windows.h>): the router runs on any thread that owns it, time comes from the
 * host, and every platform service (the link's sockets, the prompt, starting a process, the
 * application registry) is a host callback, so the whole routing logic runs under cmocka.
 *
 * Code: src/transport/agent/link.c (frames, the application's side), router.c (the agent's side).
 */
#ifndef MSGSC_AGENT_H
#define MSGSC_AGENT_H

#include "msgsc/transport.h"
#include "msgsc/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- link frames ------------------------------------------------------------------------------ */
typedef enum msc_link_kind {
    MSC_LINK_NONE = 0,
    /* application -> agent */
    MSC_LINK_HELLO,         /* value: process id; value2: parent process id; text: the token */
    MSC_LINK_SEND,          /* msg: for the network */
    MSC_LINK_HANDLED,       /* session; value: 1 when a sink set pfHandled */
    MSC_LINK_LAUNCH_OK,     /* session; value: pfEnableDefault after BeforeAppLaunch */
    MSC_LINK_STOP,          /* stop the agent (after HELLO) */
    MSC_LINK_START,         /* msg: an INVITE the user starts (to, app_guid, data; its session id
                               names the request): launch the application as its inviter */
    /* agent -> application */
    MSC_LINK_WELCOME,       /* text: the user's sign-in name; address: the local address; msg
                               (an INVITE) when the agent launched this process for it: value 0,
                               the peer's invitation (take it); value 1, a START (send it) */
    MSC_LINK_DELIVER,       /* msg: from the network */
    MSC_LINK_SEND_FAILED,   /* msg: what could not be delivered; value: why */
    MSC_LINK_OFFER,         /* msg: a new invitation (INVITE); answer HANDLED */
    MSC_LINK_BEFORE_LAUNCH, /* session: raise BeforeAppLaunch; answer LAUNCH_OK */
    MSC_LINK_READY,         /* session: raise OnReadyToLaunch */
    MSC_LINK_TAKE,          /* session: the user accepted and this application keeps it: accept */
    MSC_LINK_END,           /* session; value: hr: settled elsewhere, end it here only */
    MSC_LINK_SHUTDOWN,      /* the agent is stopping (OnAppShutdown) */
    MSC_LINK_RESULT,        /* session: a START's; value: hr; value2: the launched process id */
    MSC_LINK_KIND_COUNT
} msc_link_kind;

typedef struct msc_link_frame {
    msc_link_kind kind;
    int64_t value, value2;
    char session[MSC_GUID_CHARS + 1];
    char text[MSC_UTF8_BYTES(MSC_MAX_USER_CHARS) + 1];
    char address[MSC_UTF8_BYTES(MSC_MAX_ADDRESS_CHARS) + 1];
    int has_msg;
    msc_msg msg;            /* from and to included */
} msc_link_frame;

#define MSC_LINK_MAX 8192
void msc_link_init(msc_link_frame *f, msc_link_kind kind);
/* The frame as one message netio can frame (a start line, headers, Content-Length, the core's
 * body).  The length, or 0 when cap is too small or a field cannot be written. */
size_t msc_link_encode(const msc_link_frame *f, char *buf, size_t cap);
/* Strict: S_OK, or SR_SESSION_PROTOCOL_ERROR for anything malformed (f is then unspecified). */
msc_hr msc_link_decode(const char *buf, size_t len, msc_link_frame *f);
const char *msc_link_kind_name(msc_link_kind k);

/* ---- the application's side: a connection to the agent ---------------------------------------- */
typedef struct msc_link_client msc_link_client;
/* Connect to the agent on 127.0.0.1:port, say HELLO and wait up to timeout_ms for WELCOME (into
 * *welcome).  notify is called on an I/O thread when frames arrive (only wake the owner).
 * S_OK; MSC_SR_CONNECTION_FAILURE (no agent there, wrong token, timeout); E_OUTOFMEMORY. */
msc_hr msc_link_client_connect(uint16_t port, msc_str token, uint32_t pid, uint32_t parent_pid,
                               void (*notify)(void *ctx), void *ctx, uint32_t timeout_ms,
                               msc_link_client **out, msc_link_frame *welcome);
void msc_link_client_close(msc_link_client *c);
/* A frame to the agent (a core message goes as SEND).  S_OK when queued; SR_CONNECTION_FAILURE
 * once the agent is gone; E_INVALIDARG when the frame cannot be written. */
msc_hr msc_link_client_send(msc_link_client *c, const msc_link_frame *f);
/* The next frame: 1 and *f; 0 when none is waiting; -1 once the agent is gone. */
int msc_link_client_take(msc_link_client *c, msc_link_frame *f);

/* ---- the agent's side: the router --------------------------------------------------------------- */
typedef enum msc_invite_policy {
    MSC_POLICY_EVERYONE = 0,
    MSC_POLICY_CONTACTS,     /* only sign-in names in the allow-list */
    MSC_POLICY_NOBODY
} msc_invite_policy;

typedef enum msc_prompt_mode {
    MSC_PROMPT_ASK = 0,      /* ask the user (host->ask); no way to ask: decline */
    MSC_PROMPT_ACCEPT,       /* unattended: accept */
    MSC_PROMPT_DECLINE       /* unattended: decline */
} msc_prompt_mode;

typedef struct msc_router_config {
    msc_invite_policy policy;
    msc_str contacts;        /* the allow-list: sign-in names separated by ';', ',' or spaces */
    msc_prompt_mode prompt;
    msc_str token;           /* what HELLO must carry */
    uint32_t burst;          /* invitations one peer may send back to back; 0: 5 */
    uint32_t refill_ms;      /* and one more each refill_ms; 0: 3000 */
    uint32_t max_held;       /* invitations waiting for an answer at once, all peers; 0: 32 */
    uint32_t answer_ms;      /* an application's time to answer OFFER or BEFORE_LAUNCH; 0: 5000 */
    uint32_t launch_wait_ms; /* a launched application's time to connect; 0: 60000 */
} msc_router_config;

typedef uint32_t msc_conn;   /* the host's name for one application connection (not 0) */

typedef struct msc_router_host {
    void *ctx;
    uint64_t (*now_ms)(void *ctx);                                  /* required */
    msc_hr (*link_send)(void *ctx, msc_conn conn, const msc_link_frame *f);   /* required */
    void (*link_close)(void *ctx, msc_conn conn);   /* a connection that broke the rules */
    /* The registered application for a GUID (1, *info filled) or 0.  NULL: none is. */
    int (*app_lookup)(void *ctx, msc_str guid, msc_app_info *info);
    /* Start the registered application's Path, exactly as registered.  S_OK and *pid. */
    msc_hr (*launch)(void *ctx, msc_str path, uint32_t *pid);
    /* Ask the user (asynchronously) whether peer may start app; answer with msc_router_answer.
     * NULL: asking is impossible, so ASK declines. */
    void (*ask)(void *ctx, uint32_t ticket, msc_str peer, msc_str app_name);
    void (*unask)(void *ctx, uint32_t ticket);                      /* the question is moot */
    void (*trace)(void *ctx, const char *line);
} msc_router_host;

typedef struct msc_router msc_router;
/* net: the network transport (the SIP user agent's); host and cfg are copied (cfg's strings
 * too).  NULL when out of memory or a required member is missing. */
msc_router *msc_router_create(const msc_router_host *host, const msc_transport *net,
                              const msc_router_config *cfg);
/* Tells every application (SHUTDOWN) and ends every session on the network side. */
void msc_router_destroy(msc_router *r);
/* Where the network delivers (msc_sip_ua_set_sink). */
msc_sink msc_router_sink(msc_router *r);

void msc_router_link_open(msc_router *r, msc_conn conn);
void msc_router_link_frame(msc_router *r, msc_conn conn, const msc_link_frame *f);
void msc_router_link_closed(msc_router *r, msc_conn conn);
void msc_router_answer(msc_router *r, uint32_t ticket, int accept);
void msc_router_process_exited(msc_router *r, uint32_t pid);
/* Timers: after any call above the earliest deadline may have moved; the host asks again. */
void msc_router_tick(msc_router *r);
int msc_router_next_deadline(const msc_router *r, uint64_t *at);
/* 1 once an application asked the agent to stop (MSC_LINK_STOP). */
int msc_router_stop_requested(const msc_router *r);

typedef struct msc_router_stats {
    size_t connections, routes, held;
    uint64_t offered, handled, launched, launch_failed, refused_policy, refused_rate, not_installed,
        declined;
} msc_router_stats;
msc_router_stats msc_router_get_stats(const msc_router *r);

#ifdef __cplusplus
}
#endif
#endif
