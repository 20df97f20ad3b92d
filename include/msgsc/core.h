/* msgsc core: the invitation engine in portable C (no COM, no sockets, no <windows.h>).
 *
 * A manager owns sessions, talks to peers through a transport (transport.h) and tells its host
 * what happened through event callbacks.  It is single-threaded: every call into a manager and
 * its sessions, including msc_manager_receive() and msc_manager_tick(), must come from the one
 * thread that owns it (the COM layer's apartment thread).  Events are delivered from inside those
 * calls, after the state change that caused them is complete, in the order they happened.
 *
 * Strings are UTF-8 with an explicit length (msc_str), so embedded NULs survive.  Limits are
 * counted as documented in docs/design.md: app data in UTF-8 bytes, context data in UTF-16 code
 * units ("characters", as a BSTR counts them).
 */
#ifndef MSGSC_CORE_H
#define MSGSC_CORE_H

#include <stddef.h>
#include <stdint.h>
#include "msgsc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits (docs/design.md, "Limits") --------------------------------------------------- */
#define MSC_GUID_CHARS          38   /* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX} */
#define MSC_MAX_APP_GUID_CHARS  39   /* put_Application: longer is E_OUTOFMEMORY */
#define MSC_MAX_APP_DATA_BYTES  512  /* Invite/Accept/Decline/Cancel data, UTF-8 bytes */
#define MSC_MAX_CONTEXT_CHARS   300  /* SendContextData, UTF-16 code units */
#define MSC_MAX_CONTEXT_BYTES   (MSC_MAX_CONTEXT_CHARS * 3)
#define MSC_MAX_CONTEXT_SENDS   5
#define MSC_MAX_NAME_CHARS      256  /* application name */
#define MSC_MAX_URL_CHARS       256  /* application URL */
#define MSC_MAX_PATH_CHARS      260  /* application path */
#define MSC_MAX_ADDRESS_CHARS   30   /* LocalAddress / RemoteAddress */
#define MSC_MAX_USER_CHARS      129  /* sign-in name */
/* byte buffers big enough for the character limits above once encoded as UTF-8 */
#define MSC_UTF8_BYTES(chars)   ((chars) * 3)

/* ---- strings ------------------------------------------------------------------------------ */
typedef struct msc_str {
    const char *p;
    size_t n;
} msc_str;

static inline msc_str msc_str_make(const char *p, size_t n) { msc_str s; s.p = p; s.n = n; return s; }
msc_str msc_cstr(const char *z);              /* NULL gives the empty string */
#define MSC_STR_EMPTY msc_str_make("", 0)

/* UTF-8 helpers: 1 when s is valid UTF-8 (shortest forms only, no surrogates, nothing above
 * U+10FFFF, no truncated sequence; NUL bytes are valid); the UTF-16 length of valid UTF-8. */
int    msc_utf8_valid(msc_str s);
size_t msc_utf16_units(msc_str s);

/* ---- states, roles ------------------------------------------------------------------------ */
typedef enum msc_state {              /* = SESSION_STATE */
    MSC_SS_UNKNOWN = 0,
    MSC_SS_READY = 1,
    MSC_SS_INVITATION = 2,
    MSC_SS_ACCEPTED = 3,
    MSC_SS_CONNECTED = 4,
    MSC_SS_CANCELLED = 5,
    MSC_SS_DECLINED = 6,
    MSC_SS_TERMINATED = 7
} msc_state;
#define MSC_STATE_COUNT 8

typedef enum msc_role {               /* = SESSION_FLAGS bits SF_INVITER / SF_INVITEE */
    MSC_ROLE_NONE = 0,
    MSC_ROLE_INVITER = 1,
    MSC_ROLE_INVITEE = 2
} msc_role;
#define MSC_ROLE_COUNT 3

int msc_state_is_terminal(msc_state s);
const char *msc_state_name(msc_state s);

typedef struct msc_manager msc_manager;
typedef struct msc_session msc_session;
struct msc_transport;   /* transport.h */
struct msc_msg;         /* transport.h */

/* ---- host services: clock, randomness, application registry ------------------------------ */
typedef struct msc_app_info {
    msc_str name, url, path;
} msc_app_info;

typedef struct msc_host {
    void *ctx;
    /* Monotonic milliseconds.  Tests pass a fake clock, so timeouts run instantly. */
    uint64_t (*now_ms)(void *ctx);
    /* Called when the earliest deadline changes; the host then calls msc_manager_tick() at
     * msc_manager_next_deadline().  May be NULL when the host polls. */
    void (*wake)(void *ctx);
    /* Fill buf with random bytes (session IDs).  NULL: a built-in generator seeded from the clock. */
    void (*random)(void *ctx, void *buf, size_t len);
    /* Look up a registered application by braced GUID.  Returns 1 and fills *info (strings
     * valid until the next call) when registered, 0 when not.  NULL: every application counts
     * as registered, with empty name, URL and path. */
    int (*app_lookup)(void *ctx, msc_str guid, msc_app_info *info);
} msc_host;

/* ---- events ------------------------------------------------------------------------------- */
/* Every callback may be NULL.  Callbacks may call back into the manager (re-entrancy is
 * handled: events raised meanwhile are queued behind the current one).  For each session,
 * terminated() is raised exactly once, last. */
typedef struct msc_events {
    void *ctx;
    /* A new incoming invitation (invitee side, state INVITATION). */
    void (*invitation)(void *ctx, msc_session *s, msc_str app_data);
    void (*state_changed)(void *ctx, msc_session *s, msc_state prev);
    void (*accepted)(void *ctx, msc_session *s, msc_str app_data);
    void (*declined)(void *ctx, msc_session *s, msc_str app_data);
    void (*cancelled)(void *ctx, msc_session *s, msc_str app_data);
    void (*terminated)(void *ctx, msc_session *s, msc_hr hr, msc_str app_data);
    void (*context_data)(void *ctx, msc_session *s, msc_str data);
    void (*send_error)(void *ctx, msc_session *s, msc_hr hr);
    void (*app_not_present)(void *ctx, msc_session *s, msc_str name, msc_str url);
} msc_events;

typedef struct msc_config {
    uint32_t lifetime_ms;      /* invitation lifetime; 0 = default 300000 (5 minutes) */
    uint32_t answer_wait_ms;   /* bounded wait for a peer's answer; 0 = default 32000 */
    /* 1: someone upstream (the per-user agent) already checked that an incoming invitation's
     * application may be taken, so the engine takes it even when app_lookup cannot find it
     * (a running application may handle invitations for applications it never registered). */
    int incoming_apps_checked;
} msc_config;                  /* both times are capped at MSC_MAX_LIFETIME_MS (one day) */

#define MSC_DEFAULT_LIFETIME_MS    300000u
#define MSC_DEFAULT_ANSWER_WAIT_MS 32000u
#define MSC_MAX_LIFETIME_MS        86400000u

/* ---- manager ------------------------------------------------------------------------------ */
/* host, transport and events are copied; cfg may be NULL.  Returns NULL when out of memory or
 * when a required member (host->now_ms, transport->send, transport->local_identity) is missing. */
msc_manager *msc_manager_create(const msc_host *host, const struct msc_transport *tp,
                                const msc_events *ev, const msc_config *cfg);
/* Ends every live session (the peer is told; no local events are raised), releases the
 * manager's references and frees it.  Sessions still referenced elsewhere stay valid objects
 * but are detached: their calls return SR_SESSION_STATE_INVALID. */
void msc_manager_destroy(msc_manager *m);

/* A message from the transport (on the owner thread). Unknown, late, duplicate and malformed
 * messages are ignored or answered; they never revive an ended session. */
void msc_manager_receive(msc_manager *m, const struct msc_msg *msg);
/* The transport reports that a message it accepted earlier could not be delivered. */
void msc_manager_send_failed(msc_manager *m, const struct msc_msg *msg, msc_hr hr);
/* Fire every timer that is due at host->now_ms(). */
void msc_manager_tick(msc_manager *m);
/* 1 and *at = the earliest deadline when a timer is armed, else 0. */
int msc_manager_next_deadline(const msc_manager *m, uint64_t *at);

/* End every live session here only (msc_session_abandon): the transport is gone. */
void msc_manager_abandon_all(msc_manager *m, msc_hr why);

/* The live or lingering session with this braced id (any case), not referenced; NULL. */
msc_session *msc_manager_find_session(msc_manager *m, msc_str id);

const msc_config *msc_manager_config(const msc_manager *m);
size_t msc_manager_session_count(const msc_manager *m);   /* live and lingering */

/* ---- sessions ----------------------------------------------------------------------------- */
/* A new session in SS_READY with no role yet.  The manager keeps its own reference while the
 * session is in its table; the caller owns the returned one. */
msc_hr msc_session_create(msc_manager *m, msc_session **out);
void msc_session_ref(msc_session *s);
void msc_session_unref(msc_session *s);
void  msc_session_set_user(msc_session *s, void *user);   /* the host's object for this session */
void *msc_session_user(const msc_session *s);
msc_manager *msc_session_manager(const msc_session *s);   /* NULL once detached */

msc_state msc_session_state(const msc_session *s);
msc_role  msc_session_role(const msc_session *s);
int32_t   msc_session_flags(const msc_session *s);         /* SESSION_FLAGS */
msc_str   msc_session_id(const msc_session *s);            /* braced, uppercase */

msc_hr msc_session_set_application(msc_session *s, msc_str guid);
msc_hr msc_session_application(const msc_session *s, msc_str *out);      /* SR_APP_NOT_SPECIFIED */
msc_hr msc_session_application_name(const msc_session *s, msc_str *out);
msc_hr msc_session_application_url(const msc_session *s, msc_str *out);
msc_hr msc_session_set_local_address(msc_session *s, msc_str addr);
msc_hr msc_session_local_address(const msc_session *s, msc_str *out);
msc_hr msc_session_remote_address(const msc_session *s, msc_str *out);   /* S_FALSE: not known yet */
msc_hr msc_session_context_data(const msc_session *s, msc_str *out);     /* S_FALSE: none yet */
msc_hr msc_session_user_name(const msc_session *s, msc_str *out);        /* SR_NO_USER_INVITED */

msc_hr msc_session_invite(msc_session *s, msc_str user, msc_str app_data);
msc_hr msc_session_accept(msc_session *s, msc_str app_data);
msc_hr msc_session_decline(msc_session *s, msc_str app_data);
msc_hr msc_session_cancel(msc_session *s, msc_hr reason, msc_str app_data);
msc_hr msc_session_send_context_data(msc_session *s, msc_str data);
/* End a live session locally, telling the peer nothing: OnStateChanged(TERMINATED), then
 * OnTermination(why).  For a transport that lost the way to the peer, or a session another
 * process took over.  SR_SESSION_STATE_INVALID when it has already ended (or was never sent). */
msc_hr msc_session_abandon(msc_session *s, msc_hr why);

/* 1 when the braced GUID string is well formed (hex digits of either case). */
int msc_guid_valid(msc_str s);
/* A well-formed GUID into out, upper-cased (as msgsc stores and sends them); 0 if malformed. */
int msc_guid_upper(msc_str s, char out[MSC_GUID_CHARS + 1]);
/* A sign-in name may be written as its SIP address ("sip:bob@host", docs/sip-ua.md §4): s without
 * a leading "sip:" (any case). */
msc_str msc_sign_in_name(msc_str s);
/* 1 when a and b are the same sign-in name: compared ASCII case-insensitively, a leading "sip:"
 * ignored, everywhere. */
int msc_same_user(msc_str a, msc_str b);

#ifdef __cplusplus
}
#endif
#endif
