/* The apartment bridge and the user agents.
 *
 * msgsc.dll is Apartment-threaded: every object lives on the thread that created it, and events
 * must reach sinks on that thread only.  So each such thread gets an apartment: a message-only
 * window that delivers the network's messages, runs the engine's timers and runs deferred calls,
 * all from the thread's own message loop.  The SIP stack's I/O thread only posts WM_MSGSC_NET
 * here; the messages themselves are handed to the user agent and the engine on this thread.
 *
 * An agent is one user's engine (msc_manager) in an apartment, shared by every MsgrSessionManager
 * object of that user on the thread.  Agents and the apartment are referenced by the objects;
 * they are destroyed from the message loop, never from inside an engine callback.
 *
 * The engine reaches the network through the user's agent process (agent.c): a link whose frames
 * arrive here like the network's messages.  With Agent=0 it runs a SIP stack of its own, and with
 * Transport=loopback an in-process network.
 */
#include <stdlib.h>
#include <string.h>
#include "private.h"
#include "msgsc/sip_stack.h"
#include "msgsc/agent.h"

#define WM_MSGSC_PUMP  (WM_APP + 1)
#define WM_MSGSC_DEFER (WM_APP + 2)
#define WM_MSGSC_NET   (WM_APP + 3)
#define TIMER_ID 1

struct apartment {
    HWND hwnd;
    msc_loopnet *net;
    struct agent *agents;
    LONG refs;                   /* agents (live or being destroyed) and pending deferred calls */
    BOOL pump_posted;
};

struct agent {
    struct agent *next;
    struct apartment *apt;
    LONG refs;                   /* manager and session objects */
    BOOL destroy_posted;
    char identity[MSC_UTF8_BYTES(MSC_MAX_USER_CHARS) + 1];   /* as configured */
    msc_loop_endpoint *ep;       /* the loopback transport, or */
    msc_sip_stack *sip;          /* a SIP stack of its own, or */
    msc_link_client *link;       /* the user's agent process (NULL while it is away) */
    msc_transport link_tp;       /* the engine sends through this, whatever link is current */
    struct msgsc_config conf;    /* to reach the agent again */
    char net_identity[MSC_UTF8_BYTES(MSC_MAX_USER_CHARS) + 1];      /* as the agent says */
    char net_address[MSC_UTF8_BYTES(MSC_MAX_ADDRESS_CHARS) + 1];
    msc_session *launching;      /* the session the agent launched this process for (referenced) */
    BOOL handled, claiming, closing, ready_posted;
    msc_manager *core;
    struct manager *managers;
    struct msgsc_app_utf8 app;   /* what app_lookup hands the engine (valid until the next lookup) */
};

struct deferred {
    void (*fn)(void *);
    void *arg;
    void (*release)(void *);
};

static DWORD tls_index = TLS_OUT_OF_INDEXES;
static LONG class_registered;
static const WCHAR class_name[] = L"msgsc_apartment";

/* ---- the engine's host services ----------------------------------------------------------- */
static uint64_t host_now(void *ctx) { return GetTickCount64(); }

static void host_random(void *ctx, void *buf, size_t len) { msgsc_random(buf, len); }

static int host_app_lookup(void *ctx, msc_str guid, msc_app_info *info)
{
    return msgsc_apps_lookup_utf8(guid, &((struct agent *)ctx)->app, info);
}

static void schedule(struct apartment *apt);
static void host_wake(void *ctx) { schedule(((struct agent *)ctx)->apt); }

/* On the SIP stack's I/O thread: only wake the apartment. */
static void net_notify(void *ctx) { PostMessageW(((struct agent *)ctx)->apt->hwnd, WM_MSGSC_NET, 0, 0); }

/* A new incoming invitation: a session object, and OnInvitation to each of the user's managers
 * until one takes it (pfHandled). */
static void on_invitation(void *ctx, msc_session *s, msc_str data)
{
    struct agent *a = ctx;
    IMsgrSession *session;
    BSTR bdata;

    if (a->claiming) {                   /* this process's launching session: no OnInvitation */
        if (!a->launching) msc_session_ref(a->launching = s);
        return;
    }
    if (FAILED(session_wrap(a, s, &session))) return;
    if ((bdata = msgsc_bstr_from_str(data))) {
        a->handled = managers_fire_invitation(a, (IDispatch *)session, bdata);
        SysFreeString(bdata);
    }
    IMsgrSession_Release(session);
}

/* ---- the link to the agent process ---------------------------------------------------------- */
static msc_hr link_connect(struct agent *a);

static msc_hr link_send(void *ctx, const msc_msg *msg)
{
    struct agent *a = ctx;
    msc_link_frame f;
    if (!a->link && (a->closing || link_connect(a) != MSC_S_OK)) return MSC_SR_CONNECTION_FAILURE;
    msc_link_init(&f, MSC_LINK_SEND);
    f.has_msg = 1;
    f.msg = *msg;
    return msc_link_client_send(a->link, &f);
}

static msc_str link_identity(void *ctx) { return msc_cstr(((struct agent *)ctx)->net_identity); }
static msc_str link_address(void *ctx) { return msc_cstr(((struct agent *)ctx)->net_address); }

static void link_reply(struct agent *a, msc_link_kind kind, const char *sid, int64_t value)
{
    msc_link_frame f;
    msc_link_init(&f, kind);
    memcpy(f.session, sid, sizeof(f.session));
    f.value = value;
    if (a->link) msc_link_client_send(a->link, &f);
}

/* The agent launched this process for an invitation: take it, accepted (the user said yes). */
static void claim(struct agent *a, const msc_msg *invite)
{
    a->claiming = TRUE;
    msc_manager_receive(a->core, invite);
    a->claiming = FALSE;
    if (a->launching) msc_session_accept(a->launching, MSC_STR_EMPTY);
}

/* The user invited someone from the agent, which launched this process as the inviter: send it. */
static void start(struct agent *a, const msc_msg *req)
{
    msc_session *s;
    if (msc_session_create(a->core, &s) != MSC_S_OK) return;
    if (msc_session_set_application(s, msc_cstr(req->app_guid)) == MSC_S_OK
        && msc_session_invite(s, msc_cstr(req->to), msc_str_make(req->data, req->data_len)) == MSC_S_OK)
        a->launching = s;
    else
        msc_session_unref(s);
}

static msc_hr link_connect(struct agent *a)
{
    msc_link_frame w;
    msc_hr hr = msgsc_agent_connect(&a->conf, TRUE, net_notify, a, &a->link, &w);
    if (hr != MSC_S_OK) return hr;
    lstrcpynA(a->net_identity, w.text, sizeof(a->net_identity));
    lstrcpynA(a->net_address, w.address, sizeof(a->net_address));
    if (w.has_msg && !a->launching) {
        if (w.value) start(a, &w.msg);
        else claim(a, &w.msg);
    }
    return MSC_S_OK;
}

static void reconnect(void *arg)
{
    struct agent *a = arg;
    if (!a->link && a->refs > 1) link_connect(a);   /* the agent died: start it again */
}

static void release_agent(void *arg) { agent_release(arg); }

/* The agent went away: every session of this process ends, the managers hear OnAppShutdown when
 * it was stopped on purpose, else a new agent is started. */
static void link_lost(struct agent *a, BOOL shutdown)
{
    msc_link_client_close(a->link);
    a->link = NULL;
    msc_manager_abandon_all(a->core, MSC_SR_CONNECTION_FAILURE);
    if (shutdown) {
        managers_fire_shutdown(a);
    } else {
        agent_addref(a);
        if (FAILED(agent_defer(a, reconnect, a, release_agent))) agent_release(a);
    }
}

static void link_frame(struct agent *a, const msc_link_frame *f)
{
    msc_session *s = msc_manager_find_session(a->core, msc_cstr(f->session));

    switch (f->kind) {
    case MSC_LINK_DELIVER:
        if (f->has_msg) msc_manager_receive(a->core, &f->msg);
        break;
    case MSC_LINK_SEND_FAILED:
        if (f->has_msg) msc_manager_send_failed(a->core, &f->msg, (msc_hr)f->value);
        break;
    case MSC_LINK_OFFER:
        if (!f->has_msg) break;
        a->handled = FALSE;
        msc_manager_receive(a->core, &f->msg);
        link_reply(a, MSC_LINK_HANDLED, f->msg.session_id, a->handled);
        break;
    case MSC_LINK_BEFORE_LAUNCH:
        link_reply(a, MSC_LINK_LAUNCH_OK, f->session, s ? session_fire_before_launch(s) : TRUE);
        break;
    case MSC_LINK_READY:
        if (s) session_fire_ready(s);
        break;
    case MSC_LINK_TAKE:
        if (s) msc_session_accept(s, MSC_STR_EMPTY);
        break;
    case MSC_LINK_END:
        if (s) msc_session_abandon(s, (msc_hr)f->value);
        break;
    default:
        break;
    }
}

static void link_drain(struct agent *a)
{
    msc_link_frame f;
    int r;

    while (a->link && (r = msc_link_client_take(a->link, &f))) {
        if (r < 0) {
            link_lost(a, FALSE);
            return;
        }
        if (f.kind == MSC_LINK_SHUTDOWN) {
            link_lost(a, TRUE);
            return;
        }
        link_frame(a, &f);
    }
}

msc_session *agent_launching(struct agent *a) { return a->launching; }

BOOL agent_launching_first_pickup(struct agent *a)
{
    if (!a->launching || a->ready_posted) return FALSE;
    return a->ready_posted = TRUE;
}

/* ---- the apartment window ------------------------------------------------------------------- */
/* Deliver the loopback's messages from a posted message of their own, never in passing: so
 * they take their turn behind events posted before them (a lock event, a deferred call). */
static void kick(struct apartment *apt)
{
    if (!apt->pump_posted && msc_loopnet_pending(apt->net))
        apt->pump_posted = PostMessageW(apt->hwnd, WM_MSGSC_PUMP, 0, 0);
}

/* Deliver what was queued when the pump was posted; what that sends waits for the next turn. */
static void pump(struct apartment *apt)
{
    apt->pump_posted = FALSE;
    if (msc_loopnet_pump_some(apt->net, msc_loopnet_pending(apt->net))) kick(apt);
}

/* Arm the window timer for the earliest deadline of any agent. */
static void schedule(struct apartment *apt)
{
    struct agent *a;
    uint64_t at, earliest = 0, now = GetTickCount64();
    BOOL any = FALSE;

    for (a = apt->agents; a; a = a->next) {
        if (a->core && msc_manager_next_deadline(a->core, &at) && (!any || at < earliest)) {
            earliest = at;
            any = TRUE;
        }
        if (a->sip && msc_sip_stack_next_deadline(a->sip, &at) && (!any || at < earliest)) {
            earliest = at;
            any = TRUE;
        }
    }
    if (!any) {
        KillTimer(apt->hwnd, TIMER_ID);
        return;
    }
    SetTimer(apt->hwnd, TIMER_ID, earliest <= now ? 0 : (UINT)min(earliest - now, 0x7fffffffull), NULL);
}

static void apartment_unref(struct apartment *apt)
{
    if (--apt->refs) return;
    /* the last agent and the last deferred call are gone: nothing can reach this window now */
    TlsSetValue(tls_index, NULL);
    msc_loopnet_destroy(apt->net);
    DestroyWindow(apt->hwnd);
    free(apt);
    msgsc_module_unlock();
}

static void agent_destroy(struct agent *a)
{
    struct apartment *apt = a->apt;
    struct agent **p;

    a->closing = TRUE;                   /* no agent is started for the goodbyes */
    msc_session_unref(a->launching);
    msc_manager_destroy(a->core);        /* tells the peers of live sessions */
    msc_link_client_close(a->link);      /* what was queued leaves first */
    if (a->sip) {
        msc_sip_stack_stop(a->sip);      /* the goodbyes leave, then the sockets close */
    } else if (a->ep) {
        msc_loop_endpoint_bind(a->ep, NULL);
        msc_loop_endpoint_set_online(a->ep, 0);   /* signed out: Invite says MSGR_E_NOT_LOGGED_ON */
    }
    for (p = &apt->agents; *p; p = &(*p)->next) {
        if (*p == a) {
            *p = a->next;
            break;
        }
    }
    free(a);
    kick(apt);                           /* the goodbyes, if anyone is left to hear them */
    apartment_unref(apt);
}

static LRESULT CALLBACK apartment_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
    struct apartment *apt = (struct apartment *)GetWindowLongPtrW(hwnd, GWLP_USERDATA);
    struct deferred *d;
    struct agent *a;

    if (!apt) return DefWindowProcW(hwnd, msg, wp, lp);
    switch (msg) {
    case WM_MSGSC_PUMP:
        pump(apt);
        schedule(apt);
        return 0;
    case WM_MSGSC_NET:
        for (a = apt->agents; a; a = a->next) {
            msc_sip_stack_drain(a->sip);
            link_drain(a);
        }
        kick(apt);
        schedule(apt);
        return 0;
    case WM_TIMER:
        if (wp != TIMER_ID) break;
        KillTimer(hwnd, TIMER_ID);
        for (a = apt->agents; a; a = a->next) {
            msc_sip_stack_tick(a->sip);
            msc_manager_tick(a->core);
        }
        kick(apt);
        schedule(apt);
        return 0;
    case WM_MSGSC_DEFER:
        d = (struct deferred *)lp;
        d->fn(d->arg);
        if (d->release) d->release(d->arg);
        free(d);
        if (apt->agents) {
            kick(apt);
            schedule(apt);
        }
        apartment_unref(apt);            /* may destroy the window: nothing after this */
        return 0;
    }
    return DefWindowProcW(hwnd, msg, wp, lp);
}

static HRESULT apartment_get(struct apartment **out)
{
    struct apartment *apt;
    WNDCLASSW wc;

    if (tls_index == TLS_OUT_OF_INDEXES) return E_UNEXPECTED;
    if ((apt = TlsGetValue(tls_index))) {
        *out = apt;
        return S_OK;
    }
    if (!InterlockedCompareExchange(&class_registered, 1, 0)) {
        ZeroMemory(&wc, sizeof(wc));
        wc.lpfnWndProc = apartment_proc;
        wc.hInstance = msgsc_instance;
        wc.lpszClassName = class_name;
        RegisterClassW(&wc);
    }
    if (!(apt = calloc(1, sizeof(*apt)))) return E_OUTOFMEMORY;
    if (!(apt->net = msc_loopnet_create(host_now, NULL))) {
        free(apt);
        return E_OUTOFMEMORY;
    }
    apt->hwnd = CreateWindowExW(0, class_name, NULL, 0, 0, 0, 0, 0, HWND_MESSAGE, NULL, msgsc_instance, NULL);
    if (!apt->hwnd) {
        msc_loopnet_destroy(apt->net);
        free(apt);
        return HRESULT_FROM_WIN32(GetLastError());
    }
    SetWindowLongPtrW(apt->hwnd, GWLP_USERDATA, (LONG_PTR)apt);
    TlsSetValue(tls_index, apt);
    msgsc_module_lock();
    *out = apt;
    return S_OK;
}

/* ---- agents --------------------------------------------------------------------------------- */
HRESULT agent_get(struct agent **out)
{
    struct apartment *apt = NULL;
    struct agent *a;
    msc_host host;
    msc_events ev;
    msc_config cfg;
    char who[sizeof(a->identity)];
    struct msgsc_config conf;
    HRESULT hr;

    *out = NULL;
    if (FAILED(hr = apartment_get(&apt))) return hr;
    msgsc_config_read(&conf);
    memcpy(who, conf.identity, sizeof(who));
    for (a = apt->agents; a; a = a->next) {
        if (msc_same_user(msc_cstr(a->identity), msc_cstr(who))) {
            agent_addref(a);
            *out = a;
            return S_OK;
        }
    }
    if (!(a = calloc(1, sizeof(*a)))) goto oom;
    a->apt = apt;
    a->refs = 1;
    memcpy(a->identity, who, sizeof(who));
    a->conf = conf;
    if (conf.transport != MSGSC_TRANSPORT_LOOPBACK && conf.agent) {
        a->link_tp.ctx = a;          /* connected once the engine exists: WELCOME may hand it */
        a->link_tp.send = link_send; /* the invitation this process was launched for */
        a->link_tp.local_identity = link_identity;
        a->link_tp.local_address = link_address;
    } else if (conf.transport != MSGSC_TRANSPORT_LOOPBACK) {
        if ((hr = msgsc_sip_start(&conf, net_notify, host_wake, a, &a->sip)) != S_OK) goto fail;
    } else if (!(a->ep = msc_loopnet_find(apt->net, msc_cstr(who)))
               && !(a->ep = msc_loopnet_endpoint(apt->net, msc_cstr(who), msc_cstr("127.0.0.1")))) {
        goto oom;
    }
    ZeroMemory(&host, sizeof(host));
    host.ctx = a;
    host.now_ms = host_now;
    host.wake = host_wake;
    host.random = host_random;
    host.app_lookup = host_app_lookup;
    ZeroMemory(&ev, sizeof(ev));
    session_core_events(&ev);
    ev.ctx = a;
    ev.invitation = on_invitation;
    ZeroMemory(&cfg, sizeof(cfg));
    cfg.lifetime_ms = conf.lifetime_ms;
    cfg.incoming_apps_checked = a->link_tp.send != NULL;    /* the agent checked them */
    if (a->link_tp.send) {
        if (!(a->core = msc_manager_create(&host, &a->link_tp, &ev, &cfg))) goto oom;
        if ((hr = link_connect(a)) != S_OK) goto fail;
    } else if (a->sip) {
        if (!(a->core = msc_manager_create(&host, msc_sip_stack_transport(a->sip), &ev, &cfg))) goto oom;
        msc_sip_ua_bind(msc_sip_stack_ua(a->sip), a->core);
        msc_sip_ua_register(msc_sip_stack_ua(a->sip));       /* S_FALSE without a proxy */
    } else {
        if (!(a->core = msc_manager_create(&host, msc_loop_endpoint_transport(a->ep), &ev, &cfg))) goto oom;
        msc_loop_endpoint_bind(a->ep, a->core);
        msc_loop_endpoint_set_online(a->ep, 1);
    }
    a->next = apt->agents;
    apt->agents = a;
    apt->refs++;
    *out = a;
    return S_OK;

oom:
    hr = E_OUTOFMEMORY;
fail:
    if (a) {
        a->closing = TRUE;
        msc_session_unref(a->launching);
        msc_manager_destroy(a->core);
        msc_sip_stack_stop(a->sip);
        msc_link_client_close(a->link);
    }
    free(a);
    if (!apt->refs) {                    /* the apartment was made for this agent alone */
        apt->refs = 1;
        apartment_unref(apt);
    }
    return hr;
}

void agent_addref(struct agent *a) { a->refs++; }

static void destroy_if_unused(void *arg)
{
    struct agent *a = arg;
    a->destroy_posted = FALSE;
    if (!a->refs) agent_destroy(a);
}

/* The last reference may go from inside an engine callback: destroy from the message loop. */
void agent_release(struct agent *a)
{
    if (--a->refs || a->destroy_posted) return;
    a->destroy_posted = TRUE;
    if (FAILED(agent_defer(a, destroy_if_unused, a, NULL))) {
        a->destroy_posted = FALSE;       /* cannot post: leak rather than free under a caller */
    }
}

msc_manager *agent_core(struct agent *a) { return a->core; }

void agent_attach(struct agent *a, struct manager *m)
{
    manager_set_next(m, a->managers);
    a->managers = m;
}

void agent_detach(struct agent *a, struct manager *m)
{
    struct manager *p;
    if (a->managers == m) {
        a->managers = manager_next(m);
        return;
    }
    for (p = a->managers; p; p = manager_next(p)) {
        if (manager_next(p) == m) {
            manager_set_next(p, manager_next(m));
            return;
        }
    }
}

struct manager *agent_managers(struct agent *a) { return a->managers; }

/* Timers need nothing here: the engine's wake() re-arms when a deadline moves earlier, and a
 * timer that fires for nothing simply re-arms for the next one. */
void agent_kick(struct agent *a) { kick(a->apt); }

HRESULT agent_defer(struct agent *a, void (*fn)(void *), void *arg, void (*release)(void *))
{
    struct deferred *d = malloc(sizeof(*d));
    if (!d) return E_OUTOFMEMORY;
    d->fn = fn;
    d->arg = arg;
    d->release = release;
    if (!PostMessageW(a->apt->hwnd, WM_MSGSC_DEFER, 0, (LPARAM)d)) {
        free(d);
        return HRESULT_FROM_WIN32(GetLastError());
    }
    a->apt->refs++;
    return S_OK;
}

/* ---- DLL attach/detach ------------------------------------------------------------------------ */
void apartment_process_attach(void) { tls_index = TlsAlloc(); }

void apartment_process_detach(void)
{
    if (tls_index != TLS_OUT_OF_INDEXES) TlsFree(tls_index);
    if (class_registered) UnregisterClassW(class_name, msgsc_instance);
}
