/* A session: one invitation between the local user and one peer.
 *
 * Every change goes the same way: check arguments, look the action up in the table (table.c),
 * send what the peer must learn, queue the events that explain the change, then call the one
 * state setter, set_state().  Refused calls return before anything changed.  Events are queued,
 * not called, so they reach the host in order once the change is complete (manager.c).
 */
#include <stdlib.h>
#include <string.h>
#include "core_private.h"

/* ---- small helpers ------------------------------------------------------------------------ */
int msc__buf_set(msc_buf *b, msc_str s)
{
    char *p = NULL;
    if (s.n) {
        if (!(p = malloc(s.n + 1))) return 0;
        memcpy(p, s.p, s.n);
        p[s.n] = 0;
    }
    free(b->p);
    b->p = p;
    b->n = s.n;
    b->set = 1;
    return 1;
}

void msc__buf_free(msc_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = 0;
    b->set = 0;
}

static msc_hr check_app_data(msc_str data)
{
    if (data.n && !data.p) return MSC_E_POINTER;
    if (!msc_utf8_valid(data)) return MSC_E_INVALIDARG;
    if (data.n > MSC_MAX_APP_DATA_BYTES) return MSC_SR_CONTEXT_DATA_OVER_LIMIT;
    return MSC_S_OK;
}

/* The gate of every call that carries app data: arguments first, then the table. */
static msc_hr gate(const msc_session *s, msc_action a, msc_str app_data, msc_rule *r)
{
    msc_hr hr;
    if (!s) return MSC_E_POINTER;
    if ((hr = check_app_data(app_data)) != MSC_S_OK) return hr;
    *r = msc_table_lookup(s->state, s->role, a);
    return r->verdict == MSC_ALLOW ? MSC_S_OK : r->hr;
}

static int text_fits(msc_str s, size_t max_units)
{
    return (!s.n || s.p) && msc_utf8_valid(s) && msc_utf16_units(s) <= max_units;
}

/* Names and addresses travel as text fields: unlike data, they cannot hold a NUL. */
static int has_nul(msc_str s) { return s.n && memchr(s.p, 0, s.n) != NULL; }

static msc_str msg_data(const msc_msg *msg) { return msc_str_make(msg->data, msg->data_len); }
static msc_str field(const char *z) { return msc_cstr(z); }

/* The peer sees its own perspective: our "cancelled locally" is its "cancelled remotely". */
static msc_hr peer_view(msc_hr hr, msc_hr fallback)
{
    if (!MSC_FAILED(hr)) return fallback;
    return hr == MSC_SR_SESSION_CANCELLED_LOCAL ? MSC_SR_SESSION_CANCELLED_REMOTE : hr;
}

/* ---- the one state setter ----------------------------------------------------------------- */
/* What explains a change, reported right after OnStateChanged: OnAccepted, OnDeclined,
 * OnCancelled or OnAppNotPresent. */
typedef struct detail {
    msc_event_kind kind;
    msc_str a, b;
} detail;

static const detail *why(msc_event_kind kind, msc_str a, msc_str b, detail *d)
{
    d->kind = kind;
    d->a = a;
    d->b = b;
    return d;
}

/* Moves s to next (MSC_SS_UNKNOWN: stay) and raises OnStateChanged(prev), then the detail, if
 * any; entering an end state also raises the session's single OnTermination(hr, data), last,
 * and starts the linger timer.  A session that has ended never moves again, so the first end
 * cause wins. */
static void set_state(msc_session *s, msc_state next, msc_hr hr, msc_str data, const detail *d)
{
    msc_state prev = s->state;
    msc_manager *m = s->mgr;

    if (next == MSC_SS_UNKNOWN || next == prev || msc_state_is_terminal(prev)) return;
    s->state = next;
    if (s->role == MSC_ROLE_INVITER && next == MSC_SS_INVITATION) msc__pending_add(m, s);
    if (s->role == MSC_ROLE_INVITER && prev == MSC_SS_INVITATION) msc__pending_remove(m, s);
    msc__queue(s, MSC_EV_STATE_CHANGED, prev, 0, MSC_STR_EMPTY, MSC_STR_EMPTY);
    if (d) msc__queue(s, d->kind, prev, 0, d->a, d->b);
    if (msc_state_is_terminal(next)) {
        msc__queue(s, MSC_EV_TERMINATED, prev, hr, data, MSC_STR_EMPTY);
        if (s->in_table) msc__timer_set(s, MSC_TIMER_LINGER, msc__now(m) + m->cfg.answer_wait_ms);
        else msc__timer_clear(s);
    } else if (next == MSC_SS_ACCEPTED) {
        msc__timer_set(s, MSC_TIMER_ANSWER, msc__now(m) + m->cfg.answer_wait_ms);
    } else if (next == MSC_SS_CONNECTED) {
        msc__timer_clear(s);
    }
}

/* Send a message that ends the session on the peer, remembering what late messages are told. */
static msc_hr send_end(msc_session *s, msc_verb verb, msc_cancel_code code, msc_hr hr, msc_str data)
{
    msc_msg msg;
    msc_msg_init(&msg, verb, msc_session_id(s));
    msg.code = code;
    msg.hr = hr;
    msc_msg_set_data(&msg, data);
    s->peer_reason = peer_view(hr, MSC_SR_SESSION_CANCELLED_REMOTE);
    return msc__send(s, &msg);
}

/* ---- creation, references ----------------------------------------------------------------- */
msc_session *msc__session_new(msc_manager *m)
{
    msc_session *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->refs = 1;
    s->mgr = m;
    s->state = MSC_SS_READY;
    s->role = MSC_ROLE_NONE;
    s->heap_index = (size_t)-1;
    s->peer_reason = MSC_SR_SESSION_CANCELLED_REMOTE;
    msc__new_id(m, s->id);
    msc__link(m, s);
    return s;
}

void msc_session_ref(msc_session *s)
{
    if (s) s->refs++;
}

void msc_session_set_user(msc_session *s, void *user) { if (s) s->user = user; }
void *msc_session_user(const msc_session *s) { return s ? s->user : NULL; }
msc_manager *msc_session_manager(const msc_session *s) { return s ? s->mgr : NULL; }
msc_state msc_session_state(const msc_session *s)
{
    if (!s) return MSC_SS_UNKNOWN;
    return s->showing ? s->shown : s->state;
}
msc_role msc_session_role(const msc_session *s) { return s ? s->role : MSC_ROLE_NONE; }
int32_t msc_session_flags(const msc_session *s) { return s ? (int32_t)s->role : 0; }
msc_str msc_session_id(const msc_session *s) { return s ? msc_str_make(s->id, MSC_GUID_CHARS) : MSC_STR_EMPTY; }

/* ---- properties --------------------------------------------------------------------------- */
msc_hr msc_session_application(const msc_session *s, msc_str *out)
{
    if (!s || !out) return MSC_E_POINTER;
    *out = MSC_STR_EMPTY;
    if (!s->app[0]) return MSC_SR_APP_NOT_SPECIFIED;
    *out = msc_str_make(s->app, MSC_GUID_CHARS);
    return MSC_S_OK;
}

/* The application's registered name or URL: only once there is an application. */
static msc_hr app_text(const msc_session *s, const msc_buf *b, msc_str *out)
{
    if (!out) return MSC_E_POINTER;
    *out = MSC_STR_EMPTY;
    if (!s->app[0]) return MSC_SR_APP_NOT_SPECIFIED;
    *out = msc__buf_str(b);
    return MSC_S_OK;
}

msc_hr msc_session_application_name(const msc_session *s, msc_str *out)
{
    return s ? app_text(s, &s->app_name, out) : MSC_E_POINTER;
}

msc_hr msc_session_application_url(const msc_session *s, msc_str *out)
{
    return s ? app_text(s, &s->app_url, out) : MSC_E_POINTER;
}

msc_hr msc_session_local_address(const msc_session *s, msc_str *out)
{
    if (!s || !out) return MSC_E_POINTER;
    if (s->local_address.set) *out = msc__buf_str(&s->local_address);
    else if (s->mgr && s->mgr->tp.local_address) *out = s->mgr->tp.local_address(s->mgr->tp.ctx);
    else *out = MSC_STR_EMPTY;
    return MSC_S_OK;
}

static msc_hr optional_value(const msc_buf *b, msc_str *out)
{
    if (!out) return MSC_E_POINTER;
    *out = msc__buf_str(b);
    return b->set ? MSC_S_OK : MSC_S_FALSE;
}

msc_hr msc_session_remote_address(const msc_session *s, msc_str *out)
{
    return s ? optional_value(&s->remote_address, out) : MSC_E_POINTER;
}

msc_hr msc_session_context_data(const msc_session *s, msc_str *out)
{
    return s ? optional_value(&s->context, out) : MSC_E_POINTER;
}

msc_hr msc_session_user_name(const msc_session *s, msc_str *out)
{
    if (!s || !out) return MSC_E_POINTER;
    *out = msc__buf_str(&s->peer);
    return s->peer.set ? MSC_S_OK : MSC_SR_NO_USER_INVITED;
}

msc_hr msc_session_set_application(msc_session *s, msc_str guid)
{
    msc_rule r;
    msc_app_info info;
    char app[MSC_GUID_CHARS + 1];

    if (!s) return MSC_E_POINTER;
    if (guid.n && !guid.p) return MSC_E_POINTER;
    if (guid.n > MSC_MAX_APP_GUID_CHARS) return MSC_E_OUTOFMEMORY;   /* documented "too long" */
    if (!msc_guid_upper(guid, app)) return MSC_E_INVALIDARG;
    r = msc_table_lookup(s->state, s->role, MSC_A_SET_APP);
    if (r.verdict != MSC_ALLOW) return r.hr;
    memset(&info, 0, sizeof(info));
    if (s->mgr->host.app_lookup && !s->mgr->host.app_lookup(s->mgr->host.ctx, guid, &info))
        return MSC_SR_APP_NOT_REGISTERED;
    if (!msc__buf_set(&s->app_name, info.name) || !msc__buf_set(&s->app_url, info.url))
        return MSC_E_OUTOFMEMORY;
    memcpy(s->app, app, sizeof(s->app));
    return MSC_S_OK;
}

msc_hr msc_session_set_local_address(msc_session *s, msc_str addr)
{
    msc_rule r;

    if (!s) return MSC_E_POINTER;
    if (addr.n && !addr.p) return MSC_E_POINTER;
    if (!msc_utf8_valid(addr) || has_nul(addr)) return MSC_E_INVALIDARG;
    if (msc_utf16_units(addr) > MSC_MAX_ADDRESS_CHARS) return MSC_E_OUTOFMEMORY; /* "too long" */
    r = msc_table_lookup(s->state, s->role, MSC_A_SET_ADDRESS);
    if (r.verdict != MSC_ALLOW) return r.hr;
    if (!addr.n) {                       /* empty: back to the transport's address */
        msc__buf_free(&s->local_address);
        return MSC_S_OK;
    }
    return msc__buf_set(&s->local_address, addr) ? MSC_S_OK : MSC_E_OUTOFMEMORY;
}

/* ---- the local calls ---------------------------------------------------------------------- */
msc_hr msc_session_invite(msc_session *s, msc_str user, msc_str app_data)
{
    msc_manager *m;
    msc_rule r;
    msc_msg msg;
    msc_str addr;
    msc_hr hr;

    if (!s) return MSC_E_POINTER;
    if (user.n && !user.p) return MSC_E_POINTER;
    if (!user.n || has_nul(user) || !text_fits(user, MSC_MAX_USER_CHARS)) return MSC_E_INVALIDARG;
    if ((hr = gate(s, MSC_A_INVITE, app_data, &r)) != MSC_S_OK) return hr;
    if (!s->app[0]) return MSC_SR_APP_NOT_SPECIFIED;
    m = s->mgr;
    if (msc_same_user(user, msc__local_identity(m))) return MSC_SR_INVITED_SELF;
    if (m->tp.presence && m->tp.presence(m->tp.ctx, user) == MSC_PRESENCE_OFFLINE)
        return MSC_MSGR_E_NOT_LOGGED_ON;

    msc_msg_init(&msg, MSC_VERB_INVITE, msc_session_id(s));
    MSC_MSG_SET(&msg, app_guid, field(s->app));
    MSC_MSG_SET(&msg, app_name, msc__buf_str(&s->app_name));
    MSC_MSG_SET(&msg, app_url, msc__buf_str(&s->app_url));
    msc_session_local_address(s, &addr);
    MSC_MSG_SET(&msg, address, addr);
    msc_msg_set_data(&msg, app_data);
    msg.lifetime_s = (m->cfg.lifetime_ms + 999) / 1000;
    if (!msc__buf_set(&s->peer, user)) return MSC_E_OUTOFMEMORY;

    msc__enter(m);
    if (MSC_FAILED(msc__send(s, &msg))) {
        msc__buf_free(&s->peer);
        msc__leave(m);
        return MSC_SR_INVITATION_SEND_FAILURE;
    }
    s->role = MSC_ROLE_INVITER;
    msc__table_add(m, s);
    set_state(s, r.next, 0, MSC_STR_EMPTY, NULL);
    msc__timer_set(s, MSC_TIMER_LIFETIME, msc__now(m) + m->cfg.lifetime_ms);
    msc__leave(m);
    return MSC_S_OK;
}

msc_hr msc_session_accept(msc_session *s, msc_str app_data)
{
    msc_manager *m;
    msc_rule r;
    msc_msg msg;
    msc_str addr;
    msc_hr hr;

    if ((hr = gate(s, MSC_A_ACCEPT, app_data, &r)) != MSC_S_OK) return hr;
    m = s->mgr;
    msc_msg_init(&msg, MSC_VERB_ACCEPT, msc_session_id(s));
    msc_session_local_address(s, &addr);
    MSC_MSG_SET(&msg, address, addr);
    msc_msg_set_data(&msg, app_data);

    msc__enter(m);
    if (MSC_FAILED(msc__send(s, &msg))) {
        msc__leave(m);
        return MSC_SR_ACCEPT_SEND_FAILURE;
    }
    set_state(s, r.next, 0, MSC_STR_EMPTY, NULL);
    msc__leave(m);
    return MSC_S_OK;
}

msc_hr msc_session_decline(msc_session *s, msc_str app_data)
{
    msc_manager *m;
    msc_rule r;
    msc_hr hr;

    if ((hr = gate(s, MSC_A_DECLINE, app_data, &r)) != MSC_S_OK) return hr;
    m = s->mgr;
    msc__enter(m);
    /* The user's decision stands even when the network cannot carry it: the session ends
     * here and OnSendError says the peer may not know (its invitation then times out). */
    if (MSC_FAILED(send_end(s, MSC_VERB_CANCEL, MSC_CANCEL_REJECT, MSC_SR_INVITATION_DECLINED, app_data)))
        msc__queue(s, MSC_EV_SEND_ERROR, 0, MSC_SR_DECLINE_SEND_FAILURE, MSC_STR_EMPTY, MSC_STR_EMPTY);
    set_state(s, r.next, MSC_SR_INVITATION_DECLINED, app_data, NULL);
    msc__leave(m);
    return MSC_S_OK;
}

msc_hr msc_session_cancel(msc_session *s, msc_hr reason, msc_str app_data)
{
    msc_manager *m;
    msc_rule r;
    msc_hr hr, local;
    msc_verb verb;

    if ((hr = gate(s, MSC_A_CANCEL, app_data, &r)) != MSC_S_OK) return hr;
    m = s->mgr;
    /* Before an answer the invitation is withdrawn (CANCEL); after it the session is ended (BYE). */
    switch (s->state) {
    case MSC_SS_INVITATION: verb = MSC_VERB_CANCEL; local = MSC_SR_SESSION_CANCELLED_LOCAL; break;
    case MSC_SS_ACCEPTED:   verb = MSC_VERB_BYE;    local = MSC_SR_CANCEL_BEFORE_CONNECT;   break;
    default:                verb = MSC_VERB_BYE;    local = MSC_SR_SESSION_CANCELLED_LOCAL; break;
    }
    msc__enter(m);
    if (MSC_FAILED(send_end(s, verb, verb == MSC_VERB_CANCEL ? MSC_CANCEL_OUTBANDCANCEL : MSC_CANCEL_NONE,
                            reason, app_data)))
        msc__queue(s, MSC_EV_SEND_ERROR, 0, MSC_SR_CANCEL_SEND_FAILURE, MSC_STR_EMPTY, MSC_STR_EMPTY);
    set_state(s, r.next, local, app_data, NULL);
    msc__leave(m);
    return MSC_S_OK;
}

msc_hr msc_session_send_context_data(msc_session *s, msc_str data)
{
    msc_manager *m;
    msc_rule r;
    msc_msg msg;

    if (!s) return MSC_E_POINTER;
    if (data.n && !data.p) return MSC_E_POINTER;
    if (!msc_utf8_valid(data)) return MSC_E_INVALIDARG;
    if (msc_utf16_units(data) > MSC_MAX_CONTEXT_CHARS) return MSC_SR_CONTEXT_DATA_OVER_LIMIT;
    r = msc_table_lookup(s->state, s->role, MSC_A_SEND_CONTEXT);
    if (r.verdict != MSC_ALLOW) return r.hr;
    if (s->context_sends >= MSC_MAX_CONTEXT_SENDS) return MSC_SR_CONTEXT_DATA_OVER_LIMIT;
    m = s->mgr;
    msc_msg_init(&msg, MSC_VERB_CONTEXT, msc_session_id(s));
    msc_msg_set_data(&msg, data);
    msc__enter(m);
    /* Like every later send failure, this one is reported through OnSendError; a send that
     * never left does not use up one of the five. */
    if (MSC_FAILED(msc__send(s, &msg)))
        msc__queue(s, MSC_EV_SEND_ERROR, 0, MSC_SR_CONTEXT_DATA_SEND_FAILURE, MSC_STR_EMPTY, MSC_STR_EMPTY);
    else
        s->context_sends++;
    msc__leave(m);
    return MSC_S_OK;
}

/* ---- a new incoming invitation ------------------------------------------------------------ */
void msc__reply(msc_manager *m, const msc_msg *to_what, msc_verb verb, msc_cancel_code code, msc_hr hr)
{
    msc_msg msg;
    msc_msg_init(&msg, verb, field(to_what->session_id));
    msg.code = code;
    msg.hr = hr;
    MSC_MSG_SET(&msg, to, field(to_what->from));
    MSC_MSG_SET(&msg, from, msc__local_identity(m));
    m->tp.send(m->tp.ctx, &msg);
}

static int invite_valid(const msc_msg *msg)
{
    return msg->data_len <= MSC_MAX_APP_DATA_BYTES && msc_utf8_valid(msg_data(msg))
        && text_fits(field(msg->address), MSC_MAX_ADDRESS_CHARS)
        && text_fits(field(msg->app_name), MSC_MAX_NAME_CHARS)
        && text_fits(field(msg->app_url), MSC_MAX_URL_CHARS)
        && text_fits(field(msg->from), MSC_MAX_USER_CHARS);
}

/* Both users invited each other to the same application at once.  The lower session ID wins
 * (XEP-0166's tie-break): the incoming invitation loses to any lower one of ours and is refused;
 * otherwise ours are withdrawn.  Whichever side sees the crossing settles it and tells the peer,
 * so both agree whatever order the messages arrive in.  Returns 1 when the incoming one lost. */
static int glare_lost(msc_manager *m, const msc_msg *msg, const char *id, const char *app)
{
    msc_session *s;

    for (s = msc__pending_first(m, field(msg->from), app); s; s = s->pending_next) {
        if (strcmp(s->app, app) || !msc_same_user(msc__buf_str(&s->peer), field(msg->from))) continue;
        if (strcmp(id, s->id) > 0) {
            msc__reply(m, msg, MSC_VERB_CANCEL, MSC_CANCEL_OUTBANDCANCEL, MSC_SR_SESSION_CANCELLED_REMOTE);
            return 1;
        }
    }
    while ((s = msc__pending_first(m, field(msg->from), app))) {
        msc_session_ref(s);
        send_end(s, MSC_VERB_CANCEL, MSC_CANCEL_OUTBANDCANCEL, MSC_SR_SESSION_CANCELLED_REMOTE, MSC_STR_EMPTY);
        set_state(s, MSC_SS_CANCELLED, MSC_SR_SESSION_CANCELLED_REMOTE, MSC_STR_EMPTY, NULL);
        msc_session_unref(s);
    }
    return 0;
}

/* msg: an INVITE for an unknown session ID, from a user other than ourselves. */
msc_hr msc__accept_invite(msc_manager *m, const msc_msg *msg, const char *id, msc_session **out)
{
    msc_session *s;
    msc_app_info info;
    char app[MSC_GUID_CHARS + 1];
    uint64_t lifetime;

    *out = NULL;
    if (!invite_valid(msg) || !msc_guid_upper(field(msg->app_guid), app)) {
        msc__reply(m, msg, MSC_VERB_CANCEL, MSC_CANCEL_FAIL, MSC_SR_SESSION_PROTOCOL_ERROR);
        return MSC_SR_SESSION_PROTOCOL_ERROR;
    }
    memset(&info, 0, sizeof(info));
    info.name = field(msg->app_name);
    info.url = field(msg->app_url);
    if (m->host.app_lookup && !m->host.app_lookup(m->host.ctx, field(app), &info) && !m->cfg.incoming_apps_checked) {
        msc__reply(m, msg, MSC_VERB_CANCEL, MSC_CANCEL_REJECT_NOT_INSTALLED, MSC_MSGR_E_AI_REJECT_NOT_INST);
        return MSC_SR_APP_NOT_REGISTERED;
    }
    if (glare_lost(m, msg, id, app)) return MSC_SR_SESSION_CANCELLED_REMOTE;

    if (!(s = msc__session_new(m))) return MSC_E_OUTOFMEMORY;
    memcpy(s->id, id, sizeof(s->id));
    memcpy(s->app, app, sizeof(s->app));
    s->role = MSC_ROLE_INVITEE;
    s->state = MSC_SS_INVITATION;
    if (!msc__buf_set(&s->peer, field(msg->from))
        || !msc__buf_set(&s->app_name, info.name) || !msc__buf_set(&s->app_url, info.url)
        || (msg->address[0] && !msc__buf_set(&s->remote_address, field(msg->address)))
        || (msg->data_len && !msc__buf_set(&s->context, msg_data(msg)))) {
        msc_session_unref(s);
        return MSC_E_OUTOFMEMORY;
    }
    /* Both sides time out together: the inviter's stated lifetime, capped by our own. */
    lifetime = m->cfg.lifetime_ms;
    if (msg->lifetime_s && (uint64_t)msg->lifetime_s * 1000 < lifetime) lifetime = (uint64_t)msg->lifetime_s * 1000;
    msc__table_add(m, s);
    msc__timer_set(s, MSC_TIMER_LIFETIME, msc__now(m) + lifetime);
    msc__queue(s, MSC_EV_INVITATION, MSC_SS_UNKNOWN, 0, msg_data(msg), MSC_STR_EMPTY);
    *out = s;
    return MSC_S_OK;
}

/* A CANCEL overtook its INVITE (or the INVITE is still on its way): remember the session as
 * already cancelled for the linger time, so the late INVITE cannot start it.  No events: the
 * application never saw this session.  Bounded, so a flood of CANCELs cannot grow memory. */
void msc__tombstone(msc_manager *m, const msc_msg *msg, const char *id)
{
    msc_session *s;

    if (m->tombstones >= MSC_MAX_TOMBSTONES || !(s = msc__session_new(m))) return;
    memcpy(s->id, id, sizeof(s->id));
    if (!msc__buf_set(&s->peer, field(msg->from))) {
        msc_session_unref(s);
        return;
    }
    s->role = MSC_ROLE_INVITEE;
    s->state = MSC_SS_CANCELLED;
    s->terminal_queued = 1;
    s->tombstone = 1;
    m->tombstones++;
    msc__table_add(m, s);
    msc__timer_set(s, MSC_TIMER_LINGER, msc__now(m) + m->cfg.answer_wait_ms);
    msc_session_unref(s);
}

/* ---- messages from the peer --------------------------------------------------------------- */
static msc_action action_of(const msc_msg *msg)
{
    switch (msg->verb) {
    case MSC_VERB_INVITE:  return MSC_A_RX_INVITE;
    case MSC_VERB_ACCEPT:  return MSC_A_RX_ACCEPT;
    case MSC_VERB_ACK:     return MSC_A_RX_ACK;
    case MSC_VERB_BYE:     return MSC_A_RX_BYE;
    case MSC_VERB_CONTEXT: return MSC_A_RX_CONTEXT;
    case MSC_VERB_CANCEL:
        switch (msg->code) {
        case MSC_CANCEL_REJECT:               return MSC_A_RX_DECLINE;
        case MSC_CANCEL_REJECT_NOT_INSTALLED: return MSC_A_RX_NOT_INSTALLED;
        case MSC_CANCEL_TIMEOUT:              return MSC_A_RX_TIMEOUT;
        case MSC_CANCEL_OUTBANDCANCEL:        return MSC_A_RX_CANCEL;
        case MSC_CANCEL_FAIL:                 return MSC_A_RX_BYE;
        default: break;
        }
        break;
    default: break;
    }
    return MSC_ACTION_COUNT;
}

static int content_valid(const msc_msg *msg, msc_action a)
{
    if (a == MSC_A_RX_CONTEXT)
        return msg->data_len <= MSC_MAX_CONTEXT_BYTES && text_fits(msg_data(msg), MSC_MAX_CONTEXT_CHARS);
    return msg->data_len <= MSC_MAX_APP_DATA_BYTES && msc_utf8_valid(msg_data(msg))
        && text_fits(field(msg->address), MSC_MAX_ADDRESS_CHARS);
}

void msc__session_receive(msc_session *s, const msc_msg *msg)
{
    msc_action a = action_of(msg);
    detail d;
    msc_rule r;
    msc_str data = msg_data(msg);
    msc_msg ack;

    if (a == MSC_ACTION_COUNT) return;
    r = msc_table_lookup(s->state, s->role, a);
    if (r.verdict == MSC_ANSWER_BYE) {
        msc_msg bye;
        msc_msg_init(&bye, MSC_VERB_BYE, msc_session_id(s));
        bye.hr = s->peer_reason;
        msc__send(s, &bye);
        return;
    }
    if (r.verdict != MSC_ALLOW || !content_valid(msg, a)) return;

    switch (a) {
    case MSC_A_RX_ACCEPT:
        if ((msg->address[0] && !msc__buf_set(&s->remote_address, field(msg->address)))
            || (msg->data_len && !msc__buf_set(&s->context, data)))
            return;     /* out of memory: the peer's answer wait ends the session cleanly */
        set_state(s, r.next, 0, MSC_STR_EMPTY, why(MSC_EV_ACCEPTED, data, MSC_STR_EMPTY, &d));
        msc_msg_init(&ack, MSC_VERB_ACK, msc_session_id(s));
        if (MSC_FAILED(msc__send(s, &ack))) {
            msc__queue(s, MSC_EV_SEND_ERROR, 0, MSC_SR_CONNECTION_FAILURE, MSC_STR_EMPTY, MSC_STR_EMPTY);
            set_state(s, msc_table_lookup(s->state, s->role, MSC_A_FAILURE).next,
                      MSC_SR_CONNECTION_FAILURE, MSC_STR_EMPTY, NULL);
        } else {
            set_state(s, msc_table_lookup(s->state, s->role, MSC_A_ACK_SENT).next, 0, MSC_STR_EMPTY, NULL);
        }
        break;
    case MSC_A_RX_ACK:
        set_state(s, r.next, 0, MSC_STR_EMPTY, NULL);
        break;
    case MSC_A_RX_DECLINE:
        set_state(s, r.next, MSC_SR_INVITATION_DECLINED, data, why(MSC_EV_DECLINED, data, MSC_STR_EMPTY, &d));
        break;
    case MSC_A_RX_NOT_INSTALLED:
        set_state(s, r.next, MSC_MSGR_E_AI_REJECT_NOT_INST, MSC_STR_EMPTY,
                  why(MSC_EV_APP_NOT_PRESENT, msc__buf_str(&s->app_name), msc__buf_str(&s->app_url), &d));
        break;
    case MSC_A_RX_CANCEL:
        /* OnCancelled is the invitee's news that the inviter withdrew; otherwise it is an end. */
        set_state(s, r.next, peer_view(msg->hr, MSC_SR_SESSION_CANCELLED_REMOTE), data,
                  s->role == MSC_ROLE_INVITEE && s->state != MSC_SS_CONNECTED
                      ? why(MSC_EV_CANCELLED, data, MSC_STR_EMPTY, &d) : NULL);
        break;
    case MSC_A_RX_TIMEOUT:
        set_state(s, r.next, MSC_SR_SESSION_TIMEOUT, data, NULL);
        break;
    case MSC_A_RX_BYE:
        set_state(s, r.next, peer_view(msg->hr, msg->verb == MSC_VERB_CANCEL ? MSC_SR_SESSION_PROTOCOL_ERROR
                                                                          : MSC_SR_SESSION_CANCELLED_REMOTE), data, NULL);
        break;
    case MSC_A_RX_CONTEXT:
        if (!msc__buf_set(&s->context, data)) return;
        msc__queue(s, MSC_EV_CONTEXT_DATA, 0, 0, data, MSC_STR_EMPTY);
        break;
    default:
        break;
    }
}

/* ---- timers and transport failures -------------------------------------------------------- */
void msc__session_timer_fired(msc_session *s, msc_timer_kind kind)
{
    msc_action a = kind == MSC_TIMER_LIFETIME ? MSC_A_LIFETIME_EXPIRED : MSC_A_ANSWER_EXPIRED;
    msc_rule r = msc_table_lookup(s->state, s->role, a);

    if (r.verdict != MSC_ALLOW) return;
    if (a == MSC_A_LIFETIME_EXPIRED) {
        /* Tell the peer too, so both sides end together even if its clock runs late. */
        send_end(s, MSC_VERB_CANCEL, MSC_CANCEL_TIMEOUT, MSC_SR_SESSION_TIMEOUT, MSC_STR_EMPTY);
        set_state(s, r.next, MSC_SR_SESSION_TIMEOUT, MSC_STR_EMPTY, NULL);
    } else {
        send_end(s, MSC_VERB_BYE, MSC_CANCEL_NONE, MSC_SR_CONNECTION_FAILURE, MSC_STR_EMPTY);
        set_state(s, r.next, MSC_SR_CONNECTION_FAILURE, MSC_STR_EMPTY, NULL);
    }
}

void msc__session_send_failed(msc_session *s, const msc_msg *msg, msc_hr why)
{
    msc_hr code, end;
    msc_rule r;

    if (msc_state_is_terminal(s->state)) return;    /* nothing is raised after the end */
    switch (msg->verb) {
    case MSC_VERB_CONTEXT:
        msc__queue(s, MSC_EV_SEND_ERROR, 0, MSC_SR_CONTEXT_DATA_SEND_FAILURE, MSC_STR_EMPTY, MSC_STR_EMPTY);
        return;
    case MSC_VERB_INVITE: code = MSC_SR_INVITATION_SEND_FAILURE; break;
    case MSC_VERB_ACCEPT: code = MSC_SR_ACCEPT_SEND_FAILURE; break;
    case MSC_VERB_ACK:    code = MSC_SR_CONNECTION_FAILURE; break;
    default: return;
    }
    r = msc_table_lookup(s->state, s->role, MSC_A_FAILURE);
    if (r.verdict != MSC_ALLOW) return;
    /* OnSendError names the send that failed; OnTermination says why, when the transport
     * knows the invitee is not signed in (design.md §7) */
    end = msg->verb == MSC_VERB_INVITE && why == MSC_MSGR_E_NOT_LOGGED_ON ? why : code;
    msc__queue(s, MSC_EV_SEND_ERROR, 0, code, MSC_STR_EMPTY, MSC_STR_EMPTY);
    set_state(s, r.next, end, MSC_STR_EMPTY, NULL);
}

/* The session ends here only, with OnTermination(why): the way to the peer is gone (the agent
 * process died), or another application took the invitation over (the agent said so). */
msc_hr msc_session_abandon(msc_session *s, msc_hr why)
{
    msc_manager *m;
    msc_rule r;

    if (!s) return MSC_E_POINTER;
    if (!(m = s->mgr)) return MSC_SR_SESSION_STATE_INVALID;
    r = msc_table_lookup(s->state, s->role, MSC_A_FAILURE);
    if (r.verdict != MSC_ALLOW) return MSC_SR_SESSION_STATE_INVALID;
    msc__enter(m);
    set_state(s, r.next, why, MSC_STR_EMPTY, NULL);
    msc__leave(m);
    return MSC_S_OK;
}

/* The manager is going away: tell the peer of a live session, end it without events. */
void msc__session_detach(msc_session *s)
{
    if (s->role != MSC_ROLE_NONE && !msc_state_is_terminal(s->state)) {
        if (s->state == MSC_SS_INVITATION)
            send_end(s, MSC_VERB_CANCEL, MSC_CANCEL_OUTBANDCANCEL, MSC_SR_SESSION_CANCELLED_REMOTE, MSC_STR_EMPTY);
        else
            send_end(s, MSC_VERB_BYE, MSC_CANCEL_NONE, MSC_SR_SESSION_CANCELLED_REMOTE, MSC_STR_EMPTY);
    }
    msc__timer_clear(s);
    msc__unlink(s->mgr, s);
    s->state = MSC_SS_TERMINATED;
    s->terminal_queued = 1;
    s->mgr = NULL;
}

void msc_session_unref(msc_session *s)
{
    if (!s || --s->refs) return;
    if (s->mgr) msc__unlink(s->mgr, s);
    msc__buf_free(&s->app_name);
    msc__buf_free(&s->app_url);
    msc__buf_free(&s->peer);
    msc__buf_free(&s->local_address);
    msc__buf_free(&s->remote_address);
    msc__buf_free(&s->context);
    free(s);
}
