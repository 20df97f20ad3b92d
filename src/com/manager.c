/* MsgrSessionManager: IMsgrSessionManager (dual), IMsgrLock, the DMsgrSessionManagerEvents
 * connection point, IProvideClassInfo2, ISupportErrorInfo.
 *
 * A manager object is one application's view of its user's engine (the agent, apartment.c):
 * several managers of one user on one thread share it, and an incoming invitation is offered to
 * each in turn (OnInvitation) until one sets pfHandled.
 *
 * Lock & Key: the service that issued keys is gone, so nothing is ever locked.  Status is
 * LOCK_UNLOCKED from the start, for apps that check it; apps that run the handshake anyway get it
 * answered locally: OnLockEnable(TRUE) after they advise, a random challenge for RequestChallenge,
 * and OnLockResult(TRUE) for any response (docs/usage.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include "private.h"

struct manager {
    IMsgrSessionManager IMsgrSessionManager_iface;
    IMsgrLock IMsgrLock_iface;
    IConnectionPointContainer IConnectionPointContainer_iface;
    struct classinfo classinfo;
    struct errorinfo errorinfo;
    LONG ref;
    struct connpt events;
    struct agent *agent;
    struct manager *next;        /* the agent's managers */
    LONG challenge_cookie;       /* the RequestChallenge awaiting SendResponse */
    BOOL challenge_pending;
    struct lock_event *lock_events;  /* posted, not yet fired: cancelled if the manager goes */
};

/* A Lock & Key event on its way through the message loop.  It does not keep the manager alive
 * (a client's last Release must free it): the manager cancels its events when it goes. */
struct lock_event {
    struct lock_event *next;
    struct manager *m;           /* NULL once cancelled */
    DISPID dispid;
    LONG cookie;
};

static inline struct manager *impl_from_IMsgrSessionManager(IMsgrSessionManager *iface)
{
    return CONTAINING_RECORD(iface, struct manager, IMsgrSessionManager_iface);
}

static inline struct manager *impl_from_IMsgrLock(IMsgrLock *iface)
{
    return CONTAINING_RECORD(iface, struct manager, IMsgrLock_iface);
}

static inline struct manager *impl_from_IConnectionPointContainer(IConnectionPointContainer *iface)
{
    return CONTAINING_RECORD(iface, struct manager, IConnectionPointContainer_iface);
}

struct manager *manager_next(struct manager *m) { return m->next; }
void manager_set_next(struct manager *m, struct manager *next) { m->next = next; }

static HRESULT result(HRESULT hr) { return msgsc_result(hr, &IID_IMsgrSessionManager); }

/* ---- IUnknown / IDispatch -------------------------------------------------------------------- */
static HRESULT WINAPI manager_QueryInterface(IMsgrSessionManager *iface, REFIID riid, void **ppv)
{
    struct manager *m = impl_from_IMsgrSessionManager(iface);

    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)
        || IsEqualIID(riid, &IID_IMsgrSessionManager))
        *ppv = &m->IMsgrSessionManager_iface;
    else if (IsEqualIID(riid, &IID_IMsgrLock))
        *ppv = &m->IMsgrLock_iface;
    else if (IsEqualIID(riid, &IID_IConnectionPointContainer))
        *ppv = &m->IConnectionPointContainer_iface;
    else if (IsEqualIID(riid, &IID_IProvideClassInfo) || IsEqualIID(riid, &IID_IProvideClassInfo2))
        *ppv = &m->classinfo.IProvideClassInfo2_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &m->errorinfo.ISupportErrorInfo_iface;
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI manager_AddRef(IMsgrSessionManager *iface)
{
    return InterlockedIncrement(&impl_from_IMsgrSessionManager(iface)->ref);
}

static ULONG WINAPI manager_Release(IMsgrSessionManager *iface)
{
    struct manager *m = impl_from_IMsgrSessionManager(iface);
    LONG ref = InterlockedDecrement(&m->ref);

    if (!ref) {
        struct lock_event *e;
        for (e = m->lock_events; e; e = e->next) e->m = NULL;
        connpt_destroy(&m->events);
        agent_detach(m->agent, m);
        agent_release(m->agent);
        free(m);
        msgsc_module_unlock();
    }
    return ref;
}

static HRESULT WINAPI manager_GetTypeInfoCount(IMsgrSessionManager *iface, UINT *count)
{
    if (!count) return E_POINTER;
    *count = 1;
    return S_OK;
}

static HRESULT WINAPI manager_GetTypeInfo(IMsgrSessionManager *iface, UINT index, LCID lcid, ITypeInfo **ti)
{
    return msgsc_dispatch_typeinfo(IMsgrSessionManager_tid, index, ti);
}

static HRESULT WINAPI manager_GetIDsOfNames(IMsgrSessionManager *iface, REFIID riid, LPOLESTR *names,
                                            UINT count, LCID lcid, DISPID *ids)
{
    return msgsc_dispatch_ids(IMsgrSessionManager_tid, riid, names, count, ids);
}

static HRESULT WINAPI manager_Invoke(IMsgrSessionManager *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                     DISPPARAMS *params, VARIANT *res, EXCEPINFO *ei, UINT *argerr)
{
    return msgsc_dispatch_invoke(IMsgrSessionManager_tid, iface, id, riid, flags, params, res, ei, argerr);
}

/* ---- IMsgrSessionManager ----------------------------------------------------------------------- */
static HRESULT WINAPI manager_CreateSession(IMsgrSessionManager *iface, IDispatch **out)
{
    struct manager *m = impl_from_IMsgrSessionManager(iface);
    msc_session *core;
    HRESULT hr;

    if (!out) return result(E_INVALIDARG);             /* documented for a bad pointer */
    *out = NULL;
    if (FAILED(hr = msc_session_create(agent_core(m->agent), &core))) return result(hr);
    hr = session_wrap(m->agent, core, (IMsgrSession **)out);
    msc_session_unref(core);
    return result(hr);
}

static void ready_fire(void *arg) { session_fire_ready(arg); }
static void ready_release(void *arg) { msc_session_unref(arg); }

/* The session the user's agent launched this process for.  A process can only pick up its own:
 * the session lives in this process's engine.  OnReadyToLaunch follows from the message loop, so
 * a sink advised right after this call hears it. */
static HRESULT WINAPI manager_GetLaunchingSession(IMsgrSessionManager *iface, LONG pid, IDispatch **out)
{
    struct manager *m = impl_from_IMsgrSessionManager(iface);
    msc_session *core = agent_launching(m->agent);
    HRESULT hr;

    if (!out) return result(E_INVALIDARG);
    *out = NULL;
    if (pid <= 0) return result(E_INVALIDARG);
    if ((DWORD)pid != GetCurrentProcessId())
        return msgsc_result_text(E_FAIL, &IID_IMsgrSessionManager,
                                 L"Only the calling process's own ID (GetCurrentProcessId) has a launching session.");
    if (!core)
        return msgsc_result_text(E_FAIL, &IID_IMsgrSessionManager,
                                 L"No invitation launched this process.");
    if (FAILED(hr = session_wrap(m->agent, core, (IMsgrSession **)out))) return result(hr);
    if (agent_launching_first_pickup(m->agent)) {
        msc_session_ref(core);
        if (FAILED(agent_defer(m->agent, ready_fire, core, ready_release))) msc_session_unref(core);
    }
    return S_OK;
}

/* A BSTR argument: at most max characters, none of them NUL; empty allowed when allow_empty. */
static BOOL text_arg(BSTR b, UINT max, BOOL allow_empty)
{
    UINT n = b ? SysStringLen(b) : 0, i;
    if (n > max || (!n && !allow_empty)) return FALSE;
    for (i = 0; i < n; i++)
        if (!b[i]) return FALSE;
    return TRUE;
}

/* A braced GUID, as put_Application and the Apps key take it. */
static BOOL guid_arg(BSTR b)
{
    char buf[MSC_GUID_CHARS + 1];
    if (!b || SysStringLen(b) != MSC_GUID_CHARS) return FALSE;
    if (!WideCharToMultiByte(CP_UTF8, 0, b, MSC_GUID_CHARS, buf, sizeof(buf), NULL, NULL)) return FALSE;
    return msc_guid_valid(msc_str_make(buf, MSC_GUID_CHARS));
}

/* The user's managers, each referenced, so that a sink may release any of them meanwhile. */
static struct manager **snapshot(struct agent *a, size_t *count)
{
    struct manager *each, **snap;
    size_t n = 0, i = 0;

    for (each = agent_managers(a); each; each = each->next) n++;
    *count = 0;
    if (!n || !(snap = malloc(n * sizeof(*snap)))) return NULL;
    for (each = agent_managers(a); each; each = each->next) {
        snap[i++] = each;
        IMsgrSessionManager_AddRef(&each->IMsgrSessionManager_iface);
    }
    *count = n;
    return snap;
}

static void release_snapshot(struct manager **snap, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) IMsgrSessionManager_Release(&snap[i]->IMsgrSessionManager_iface);
    free(snap);
}

/* OnAppRegistered / OnAppUnRegistered to every manager of the user on this thread.  The
 * argument must be a real BSTR: a marshaled call reads its length prefix. */
static void fire_app_event(struct manager *m, DISPID dispid, const WCHAR *guid)
{
    VARIANT arg;
    size_t n, i;
    struct manager **snap;

    V_VT(&arg) = VT_BSTR;
    if (!(V_BSTR(&arg) = SysAllocString(guid))) return;
    snap = snapshot(m->agent, &n);
    for (i = 0; i < n; i++) connpt_fire(&snap[i]->events, dispid, &arg, 1);
    release_snapshot(snap, n);
    SysFreeString(V_BSTR(&arg));
}

static HRESULT WINAPI manager_RegisterApplication(IMsgrSessionManager *iface, BSTR guid, BSTR name, BSTR url,
                                                  BSTR path, LONG flags)
{
    struct manager *m = impl_from_IMsgrSessionManager(iface);
    WCHAR upper[MSC_GUID_CHARS + 1];
    HRESULT hr;

    if (!guid_arg(guid) || !text_arg(name, MSC_MAX_NAME_CHARS, FALSE) || !text_arg(url, MSC_MAX_URL_CHARS, TRUE)
        || !text_arg(path, MSC_MAX_PATH_CHARS, FALSE) || flags)
        return result(E_INVALIDARG);
    lstrcpyW(upper, guid);
    CharUpperW(upper);
    if (FAILED(hr = msgsc_apps_register(upper, name, url ? url : L"", path))) return result(hr);
    fire_app_event(m, 101, upper);     /* OnAppRegistered */
    return result(S_OK);
}

static HRESULT WINAPI manager_UnRegisterApplication(IMsgrSessionManager *iface, BSTR guid)
{
    struct manager *m = impl_from_IMsgrSessionManager(iface);
    WCHAR upper[MSC_GUID_CHARS + 1];
    HRESULT hr;

    if (!guid_arg(guid)) return result(E_INVALIDARG);
    lstrcpyW(upper, guid);
    CharUpperW(upper);
    if (FAILED(hr = msgsc_apps_unregister(upper))) return result(hr);
    fire_app_event(m, 102, upper);     /* OnAppUnRegistered */
    return result(S_OK);
}

/* Documented as "not implemented". */
static HRESULT WINAPI manager_get_Applications(IMsgrSessionManager *iface, IDispatch **out)
{
    if (out) *out = NULL;
    return result(E_NOTIMPL);
}

static const IMsgrSessionManagerVtbl manager_vtbl = {
    manager_QueryInterface, manager_AddRef, manager_Release, manager_GetTypeInfoCount, manager_GetTypeInfo,
    manager_GetIDsOfNames, manager_Invoke, manager_CreateSession, manager_GetLaunchingSession,
    manager_RegisterApplication, manager_UnRegisterApplication, manager_get_Applications,
};

BOOL managers_fire_invitation(struct agent *a, IDispatch *session, BSTR data)
{
    VARIANT args[3];
    VARIANT_BOOL handled = VARIANT_FALSE;
    size_t n, i;
    struct manager **snap = snapshot(a, &n);

    V_VT(&args[0]) = VT_DISPATCH;
    V_DISPATCH(&args[0]) = session;
    V_VT(&args[1]) = VT_BSTR;
    V_BSTR(&args[1]) = data;
    V_VT(&args[2]) = VT_BOOL | VT_BYREF;
    V_BOOLREF(&args[2]) = &handled;
    for (i = 0; i < n && !handled; i++) connpt_fire(&snap[i]->events, 100, args, 3);     /* OnInvitation */
    release_snapshot(snap, n);
    return handled != VARIANT_FALSE;
}

void managers_fire_shutdown(struct agent *a)
{
    size_t n, i;
    struct manager **snap = snapshot(a, &n);
    for (i = 0; i < n; i++) connpt_fire(&snap[i]->events, 126, NULL, 0);     /* OnAppShutdown */
    release_snapshot(snap, n);
}

/* ---- IMsgrLock: answered locally (see the top of the file) ----------------------------------- */
static HRESULT WINAPI lock_QueryInterface(IMsgrLock *iface, REFIID riid, void **ppv)
{
    return manager_QueryInterface(&impl_from_IMsgrLock(iface)->IMsgrSessionManager_iface, riid, ppv);
}

static ULONG WINAPI lock_AddRef(IMsgrLock *iface)
{
    return manager_AddRef(&impl_from_IMsgrLock(iface)->IMsgrSessionManager_iface);
}

static ULONG WINAPI lock_Release(IMsgrLock *iface)
{
    return manager_Release(&impl_from_IMsgrLock(iface)->IMsgrSessionManager_iface);
}

static HRESULT WINAPI lock_get_Status(IMsgrLock *iface, LockStatus *status)
{
    if (!status) return msgsc_result(E_POINTER, &IID_IMsgrLock);
    *status = LOCK_UNLOCKED;
    return S_OK;
}

static void lock_event_fire(void *arg)
{
    struct lock_event *e = arg;
    struct manager *m = e->m;
    VARIANT args[2];
    WCHAR text[40];
    BSTR challenge = NULL;
    UINT n = 0;

    if (!m) return;
    switch (e->dispid) {
    case 145:                    /* OnLockChallenge(lCookie, bstrChallenge) */
        wsprintfW(text, L"%08lX%08lX", (unsigned long)GetTickCount(), (unsigned long)(ULONG_PTR)m ^ e->cookie);
        challenge = SysAllocString(text);
        V_VT(&args[0]) = VT_I4;
        V_I4(&args[0]) = e->cookie;
        V_VT(&args[1]) = VT_BSTR;
        V_BSTR(&args[1]) = challenge;
        n = 2;
        break;
    case 146:                    /* OnLockResult(lCookie, fSucceed) */
        V_VT(&args[0]) = VT_I4;
        V_I4(&args[0]) = e->cookie;
        V_VT(&args[1]) = VT_BOOL;
        V_BOOL(&args[1]) = VARIANT_TRUE;
        n = 2;
        break;
    case 147:                    /* OnLockEnable(fEnable) */
        V_VT(&args[0]) = VT_BOOL;
        V_BOOL(&args[0]) = VARIANT_TRUE;
        n = 1;
        break;
    }
    IMsgrSessionManager_AddRef(&m->IMsgrSessionManager_iface);
    connpt_fire(&m->events, e->dispid, args, n);
    IMsgrSessionManager_Release(&m->IMsgrSessionManager_iface);
    SysFreeString(challenge);
}

static void lock_event_release(void *arg)
{
    struct lock_event *e = arg, **p;
    if (e->m) {
        for (p = &e->m->lock_events; *p; p = &(*p)->next) {
            if (*p == e) {
                *p = e->next;
                break;
            }
        }
    }
    free(e);
}

/* Lock events come later, from the message loop, as they came from the service. */
static HRESULT lock_event_post(struct manager *m, DISPID dispid, LONG cookie)
{
    struct lock_event *e = malloc(sizeof(*e));
    HRESULT hr;
    if (!e) return E_OUTOFMEMORY;
    e->m = m;
    e->dispid = dispid;
    e->cookie = cookie;
    e->next = m->lock_events;
    m->lock_events = e;
    if (FAILED(hr = agent_defer(m->agent, lock_event_fire, e, lock_event_release))) lock_event_release(e);
    return hr;
}

static HRESULT WINAPI lock_RequestChallenge(IMsgrLock *iface, LONG cookie)
{
    struct manager *m = impl_from_IMsgrLock(iface);
    HRESULT hr;
    if (m->challenge_pending) return msgsc_result(MSGR_E_API_PENDING_UNLOCK, &IID_IMsgrLock);
    if (FAILED(hr = lock_event_post(m, 145, cookie))) return msgsc_result(hr, &IID_IMsgrLock);
    m->challenge_pending = TRUE;
    m->challenge_cookie = cookie;
    return msgsc_result(S_OK, &IID_IMsgrLock);
}

/* Any response to our own challenge is right: there is no key to check it against. */
static HRESULT WINAPI lock_SendResponse(IMsgrLock *iface, BSTR app_id, BSTR response, LONG cookie)
{
    struct manager *m = impl_from_IMsgrLock(iface);
    HRESULT hr;
    if (!m->challenge_pending) return msgsc_result(MSGR_E_API_NOTINITIALIZED, &IID_IMsgrLock);
    if (cookie != m->challenge_cookie) return msgsc_result(E_INVALIDARG, &IID_IMsgrLock);
    if (FAILED(hr = lock_event_post(m, 146, cookie))) return msgsc_result(hr, &IID_IMsgrLock);
    m->challenge_pending = FALSE;
    return msgsc_result(S_OK, &IID_IMsgrLock);
}

static const IMsgrLockVtbl lock_vtbl = {
    lock_QueryInterface, lock_AddRef, lock_Release, lock_get_Status, lock_RequestChallenge, lock_SendResponse,
};

/* ---- IConnectionPointContainer ---------------------------------------------------------------- */
static HRESULT WINAPI cpc_QueryInterface(IConnectionPointContainer *iface, REFIID riid, void **ppv)
{
    return manager_QueryInterface(&impl_from_IConnectionPointContainer(iface)->IMsgrSessionManager_iface, riid, ppv);
}

static ULONG WINAPI cpc_AddRef(IConnectionPointContainer *iface)
{
    return manager_AddRef(&impl_from_IConnectionPointContainer(iface)->IMsgrSessionManager_iface);
}

static ULONG WINAPI cpc_Release(IConnectionPointContainer *iface)
{
    return manager_Release(&impl_from_IConnectionPointContainer(iface)->IMsgrSessionManager_iface);
}

static HRESULT WINAPI cpc_EnumConnectionPoints(IConnectionPointContainer *iface, IEnumConnectionPoints **out)
{
    if (out) *out = NULL;
    return E_NOTIMPL;
}

/* Apps that wait for OnLockEnable before unlocking get it once they listen. */
static HRESULT WINAPI cpc_FindConnectionPoint(IConnectionPointContainer *iface, REFIID riid, IConnectionPoint **out)
{
    struct manager *m = impl_from_IConnectionPointContainer(iface);
    HRESULT hr = connpt_find(&m->events, riid, out);
    if (SUCCEEDED(hr)) lock_event_post(m, 147, 0);
    return hr;
}

static const IConnectionPointContainerVtbl cpc_vtbl = {
    cpc_QueryInterface, cpc_AddRef, cpc_Release, cpc_EnumConnectionPoints, cpc_FindConnectionPoint,
};

HRESULT manager_create(REFIID riid, void **ppv)
{
    struct manager *m;
    HRESULT hr;

    if (!(m = calloc(1, sizeof(*m)))) return E_OUTOFMEMORY;
    if (FAILED(hr = agent_get(&m->agent))) {
        free(m);
        return hr;
    }
    m->IMsgrSessionManager_iface.lpVtbl = &manager_vtbl;
    m->IMsgrLock_iface.lpVtbl = &lock_vtbl;
    m->IConnectionPointContainer_iface.lpVtbl = &cpc_vtbl;
    classinfo_init(&m->classinfo, (IUnknown *)&m->IMsgrSessionManager_iface, MsgrSessionManager_tid,
                   &DIID_DMsgrSessionManagerEvents);
    errorinfo_init(&m->errorinfo, (IUnknown *)&m->IMsgrSessionManager_iface, &IID_IMsgrSessionManager);
    connpt_init(&m->events, &m->IConnectionPointContainer_iface, &DIID_DMsgrSessionManagerEvents);
    m->ref = 1;
    agent_attach(m->agent, m);
    msgsc_module_lock();
    hr = manager_QueryInterface(&m->IMsgrSessionManager_iface, riid, ppv);
    manager_Release(&m->IMsgrSessionManager_iface);
    return hr;
}
