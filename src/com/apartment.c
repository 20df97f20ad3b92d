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
 */
#include <stdlib.h>
#include <string.h>
#include "private.h"
#include "msgsc/sip_stack.h"
#include <ntsecapi.h>

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
    msc_sip_stack *sip;          /* the SIP stack */
    msc_manager *core;
    struct manager *managers;
    /* the strings app_lookup hands to the engine (valid until the next lookup) */
    char app_name[MSC_UTF8_BYTES(MSC_MAX_NAME_CHARS) + 1];
    char app_url[MSC_UTF8_BYTES(MSC_MAX_URL_CHARS) + 1];
    char app_path[MSC_UTF8_BYTES(MSC_MAX_PATH_CHARS) + 1];
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

static void host_random(void *ctx, void *buf, size_t len)
{
    if (!RtlGenRandom(buf, (ULONG)len)) {        /* never expected; fall back to the clock */
        size_t i;
        ULONGLONG t = GetTickCount64() ^ (ULONGLONG)(ULONG_PTR)buf;
        for (i = 0; i < len; i++) ((unsigned char *)buf)[i] = (unsigned char)(t >> (8 * (i % 8)));
    }
}

static int host_app_lookup(void *ctx, msc_str guid, msc_app_info *info)
{
    struct agent *a = ctx;
    WCHAR wguid[MSC_GUID_CHARS + 1], name[MSC_MAX_NAME_CHARS + 1], url[MSC_MAX_URL_CHARS + 1];
    WCHAR path[MSC_MAX_PATH_CHARS + 1];

    if (guid.n != MSC_GUID_CHARS || !MultiByteToWideChar(CP_UTF8, 0, guid.p, (int)guid.n, wguid, MSC_GUID_CHARS))
        return 0;
    wguid[MSC_GUID_CHARS] = 0;
    if (!msgsc_apps_lookup(wguid, name, url, path)) return 0;
    msgsc_utf8_copy(name, a->app_name, sizeof(a->app_name));
    msgsc_utf8_copy(url, a->app_url, sizeof(a->app_url));
    msgsc_utf8_copy(path, a->app_path, sizeof(a->app_path));
    info->name = msc_cstr(a->app_name);
    info->url = msc_cstr(a->app_url);
    info->path = msc_cstr(a->app_path);
    return 1;
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

    if (FAILED(session_wrap(a, s, &session))) return;
    if ((bdata = msgsc_bstr_from_str(data))) {
        managers_fire_invitation(a, (IDispatch *)session, bdata);
        SysFreeString(bdata);
    }
    IMsgrSession_Release(session);
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

    msc_manager_destroy(a->core);        /* tells the peers of live sessions */
    if (a->sip) {
        msc_sip_stack_stop(a->sip);      /* the goodbyes leave, then the sockets close */
    } else {
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
        for (a = apt->agents; a; a = a->next) msc_sip_stack_drain(a->sip);
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

/* ---- the SIP stack -------------------------------------------------------------------------- */
/* Start the user's SIP stack as configured.  Without a configured port, 5060 and then the next
 * free one up to 5079 (the default identity then says which: user@localhost:5061). */
static HRESULT sip_start(struct agent *a, struct msgsc_config *cfg)
{
    msc_sip_stack_config sc;
    msc_addr adv;
    uint16_t port = cfg->listen_port;
    char base[sizeof(cfg->identity)];
    int tries = cfg->port_given ? 1 : 20;
    msc_hr hr = MSC_SR_CONNECTION_FAILURE;

    memcpy(base, cfg->identity, sizeof(base));
    ZeroMemory(&sc, sizeof(sc));
    ZeroMemory(&adv, sizeof(adv));
    if (cfg->advertise[0] && msc_net_resolve(msc_cstr(cfg->advertise), 0, &adv) != MSC_S_OK)
        return E_INVALIDARG;
    sc.ua.local = adv;
    sc.ua.display_name = msc_cstr(cfg->display_name);
    sc.ua.transport = cfg->transport == MSGSC_TRANSPORT_TCP ? MSC_NET_TCP : MSC_NET_UDP;
    sc.ua.proxy = msc_cstr(cfg->proxy);
    sc.ua.auth_user = msc_cstr(cfg->auth_user);
    sc.ua.auth_password = msc_cstr(cfg->password);
    sc.bind_host = cfg->listen_host;
    sc.now_ms = host_now;
    sc.random = host_random;
    sc.wake = host_wake;
    sc.notify = net_notify;
    sc.ctx = a;
    for (; tries-- > 0 && hr == MSC_SR_CONNECTION_FAILURE; port++) {
        if (cfg->identity_default && port != 5060)
            wsprintfA(cfg->identity, "%s:%u", base, port);
        sc.ua.identity = msc_cstr(cfg->identity);
        sc.port = port;
        hr = msc_sip_stack_start(&sc, &a->sip);
    }
    return hr;
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
    if (conf.transport != MSGSC_TRANSPORT_LOOPBACK) {
        if ((hr = sip_start(a, &conf)) != S_OK) goto fail;
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
    if (a->sip) {
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
    if (a) msc_sip_stack_stop(a->sip);
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
