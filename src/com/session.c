/* MsgrSession: IMsgrSession (dual), the DMsgrSessionEvents connection point,
 * IProvideClassInfo2, ISupportErrorInfo.
 *
 * One object per engine session (msc_session_user points back at it), made by CreateSession or
 * for an incoming invitation.  Every member converts its arguments, calls the engine, and
 * reports a failure with its documented HRESULT and an IErrorInfo text (docs/usage.md).  The
 * engine's events for the session are fired to the sinks here, on the apartment's thread.
 */
#include <stdlib.h>
#include "private.h"

struct session {
    IMsgrSession IMsgrSession_iface;
    IConnectionPointContainer IConnectionPointContainer_iface;
    struct classinfo classinfo;
    struct errorinfo errorinfo;
    LONG ref;
    struct connpt events;
    struct agent *agent;
    msc_session *core;           /* referenced */
};

static inline struct session *impl_from_IMsgrSession(IMsgrSession *iface)
{
    return CONTAINING_RECORD(iface, struct session, IMsgrSession_iface);
}

static inline struct session *impl_from_IConnectionPointContainer(IConnectionPointContainer *iface)
{
    return CONTAINING_RECORD(iface, struct session, IConnectionPointContainer_iface);
}

static HRESULT result(HRESULT hr) { return msgsc_result(hr, &IID_IMsgrSession); }

/* A string property of the engine as a new BSTR; keeps the engine's S_OK / S_FALSE. */
static HRESULT string_out(HRESULT hr, msc_str value, BSTR *out)
{
    if (FAILED(hr)) return result(hr);
    if (!(*out = msgsc_bstr_from_str(value))) return result(E_OUTOFMEMORY);
    return result(hr);
}

/* ---- IUnknown / IDispatch -------------------------------------------------------------------- */
static HRESULT WINAPI session_QueryInterface(IMsgrSession *iface, REFIID riid, void **ppv)
{
    struct session *s = impl_from_IMsgrSession(iface);

    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IMsgrSession))
        *ppv = &s->IMsgrSession_iface;
    else if (IsEqualIID(riid, &IID_IConnectionPointContainer))
        *ppv = &s->IConnectionPointContainer_iface;
    else if (IsEqualIID(riid, &IID_IProvideClassInfo) || IsEqualIID(riid, &IID_IProvideClassInfo2))
        *ppv = &s->classinfo.IProvideClassInfo2_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &s->errorinfo.ISupportErrorInfo_iface;
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI session_AddRef(IMsgrSession *iface)
{
    return InterlockedIncrement(&impl_from_IMsgrSession(iface)->ref);
}

/* The engine keeps its session (it may still time out, or be answered); only the object goes. */
static ULONG WINAPI session_Release(IMsgrSession *iface)
{
    struct session *s = impl_from_IMsgrSession(iface);
    LONG ref = InterlockedDecrement(&s->ref);

    if (!ref) {
        connpt_destroy(&s->events);
        msc_session_set_user(s->core, NULL);
        msc_session_unref(s->core);
        agent_release(s->agent);
        free(s);
        msgsc_module_unlock();
    }
    return ref;
}

static HRESULT WINAPI session_GetTypeInfoCount(IMsgrSession *iface, UINT *count)
{
    if (!count) return E_POINTER;
    *count = 1;
    return S_OK;
}

static HRESULT WINAPI session_GetTypeInfo(IMsgrSession *iface, UINT index, LCID lcid, ITypeInfo **ti)
{
    return msgsc_dispatch_typeinfo(IMsgrSession_tid, index, ti);
}

static HRESULT WINAPI session_GetIDsOfNames(IMsgrSession *iface, REFIID riid, LPOLESTR *names, UINT count,
                                            LCID lcid, DISPID *ids)
{
    return msgsc_dispatch_ids(IMsgrSession_tid, riid, names, count, ids);
}

static HRESULT WINAPI session_Invoke(IMsgrSession *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                     DISPPARAMS *params, VARIANT *res, EXCEPINFO *ei, UINT *argerr)
{
    return msgsc_dispatch_invoke(IMsgrSession_tid, iface, id, riid, flags, params, res, ei, argerr);
}

/* ---- properties ------------------------------------------------------------------------------ */
typedef msc_hr (*string_getter)(const msc_session *core, msc_str *out);
typedef msc_hr (*string_call)(msc_session *core, msc_str value);

static HRESULT get_string(IMsgrSession *iface, BSTR *out, string_getter get)
{
    msc_str v;
    if (!out) return result(E_INVALIDARG);
    *out = NULL;
    return string_out(get(impl_from_IMsgrSession(iface)->core, &v), v, out);
}

static msc_hr core_session_id(const msc_session *core, msc_str *out)
{
    *out = msc_session_id(core);
    return MSC_S_OK;
}

/* Convert the string, call the engine, then let the apartment deliver what it sent. */
static HRESULT with_string(IMsgrSession *iface, BSTR value, string_call call)
{
    struct session *s = impl_from_IMsgrSession(iface);
    char *p;
    size_t n;
    HRESULT hr;

    if (FAILED(hr = msgsc_utf8_from_bstr(value, &p, &n))) return result(hr);
    hr = call(s->core, msc_str_make(p, n));
    free(p);
    agent_kick(s->agent);
    return result(hr);
}

static HRESULT WINAPI session_get_Application(IMsgrSession *iface, BSTR *out)
{
    return get_string(iface, out, msc_session_application);
}

static HRESULT WINAPI session_put_Application(IMsgrSession *iface, BSTR guid)
{
    return with_string(iface, guid, msc_session_set_application);
}

static HRESULT WINAPI session_get_State(IMsgrSession *iface, SESSION_STATE *state)
{
    if (!state) return result(E_INVALIDARG);
    *state = (SESSION_STATE)msc_session_state(impl_from_IMsgrSession(iface)->core);
    return result(S_OK);
}

static HRESULT WINAPI session_get_RemoteAddress(IMsgrSession *iface, BSTR *out)
{
    return get_string(iface, out, msc_session_remote_address);
}

static HRESULT WINAPI session_get_SessionID(IMsgrSession *iface, BSTR *out)
{
    return get_string(iface, out, core_session_id);
}

static HRESULT WINAPI session_get_ContextData(IMsgrSession *iface, BSTR *out)
{
    return get_string(iface, out, msc_session_context_data);
}

static HRESULT WINAPI session_get_ApplicationName(IMsgrSession *iface, BSTR *out)
{
    return get_string(iface, out, msc_session_application_name);
}

static HRESULT WINAPI session_get_ApplicationURL(IMsgrSession *iface, BSTR *out)
{
    return get_string(iface, out, msc_session_application_url);
}

static HRESULT WINAPI session_get_Flags(IMsgrSession *iface, LONG *flags)
{
    if (!flags) return result(E_INVALIDARG);
    *flags = msc_session_flags(impl_from_IMsgrSession(iface)->core);
    return result(S_OK);
}

static HRESULT WINAPI session_get_User(IMsgrSession *iface, IDispatch **out)
{
    struct session *s = impl_from_IMsgrSession(iface);
    msc_str name;
    HRESULT hr;

    if (!out) return result(E_INVALIDARG);
    *out = NULL;
    if (FAILED(hr = msc_session_user_name(s->core, &name))) return result(hr);
    return result(contact_create(name, FALSE, out));
}

static HRESULT WINAPI session_put_LocalAddress(IMsgrSession *iface, BSTR addr)
{
    return with_string(iface, addr, msc_session_set_local_address);
}

static HRESULT WINAPI session_get_LocalAddress(IMsgrSession *iface, BSTR *out)
{
    return get_string(iface, out, msc_session_local_address);
}

/* ---- the calls --------------------------------------------------------------------------------- */
static HRESULT WINAPI session_Invite(IMsgrSession *iface, IDispatch *user, BSTR data)
{
    struct session *s = impl_from_IMsgrSession(iface);
    char *who, *p;
    size_t nwho, n;
    BSTR name;
    HRESULT hr;

    if (!user) return result(E_INVALIDARG);
    if (FAILED(hr = contact_signin_name(user, &name))) return result(hr);
    hr = msgsc_utf8_from_bstr(name, &who, &nwho);
    SysFreeString(name);
    if (FAILED(hr)) return result(hr);
    if (FAILED(hr = msgsc_utf8_from_bstr(data, &p, &n))) {
        free(who);
        return result(hr);
    }
    hr = msc_session_invite(s->core, msc_str_make(who, nwho), msc_str_make(p, n));
    free(who);
    free(p);
    agent_kick(s->agent);
    return result(hr);
}

/* The session the agent launched this process for was accepted when the user said yes (and the
 * process took it): an Accept from the application confirms that and changes nothing. */
static HRESULT WINAPI session_Accept(IMsgrSession *iface, BSTR data)
{
    struct session *s = impl_from_IMsgrSession(iface);
    HRESULT hr = with_string(iface, data, msc_session_accept);
    msc_state st = msc_session_state(s->core);

    if (hr == MSC_SR_SESSION_STATE_INVALID && s->core == agent_launching(s->agent)
        && (st == MSC_SS_ACCEPTED || st == MSC_SS_CONNECTED))
        return result(S_OK);
    return hr;
}

static HRESULT WINAPI session_Decline(IMsgrSession *iface, BSTR data)
{
    return with_string(iface, data, msc_session_decline);
}

static HRESULT WINAPI session_Cancel(IMsgrSession *iface, LONG reason, BSTR data)
{
    struct session *s = impl_from_IMsgrSession(iface);
    char *p;
    size_t n;
    HRESULT hr;

    if (FAILED(hr = msgsc_utf8_from_bstr(data, &p, &n))) return result(hr);
    hr = msc_session_cancel(s->core, reason, msc_str_make(p, n));
    free(p);
    agent_kick(s->agent);
    return result(hr);
}

static HRESULT WINAPI session_SendContextData(IMsgrSession *iface, BSTR data)
{
    return with_string(iface, data, msc_session_send_context_data);
}

static const IMsgrSessionVtbl session_vtbl = {
    session_QueryInterface, session_AddRef, session_Release, session_GetTypeInfoCount, session_GetTypeInfo,
    session_GetIDsOfNames, session_Invoke, session_get_Application, session_put_Application, session_get_State,
    session_Invite, session_Decline, session_Cancel, session_Accept, session_get_RemoteAddress,
    session_get_SessionID, session_get_ContextData, session_get_ApplicationName, session_get_ApplicationURL,
    session_get_Flags, session_get_User, session_put_LocalAddress, session_get_LocalAddress,
    session_SendContextData,
};

/* ---- IConnectionPointContainer ------------------------------------------------------------------ */
static HRESULT WINAPI cpc_QueryInterface(IConnectionPointContainer *iface, REFIID riid, void **ppv)
{
    return session_QueryInterface(&impl_from_IConnectionPointContainer(iface)->IMsgrSession_iface, riid, ppv);
}

static ULONG WINAPI cpc_AddRef(IConnectionPointContainer *iface)
{
    return session_AddRef(&impl_from_IConnectionPointContainer(iface)->IMsgrSession_iface);
}

static ULONG WINAPI cpc_Release(IConnectionPointContainer *iface)
{
    return session_Release(&impl_from_IConnectionPointContainer(iface)->IMsgrSession_iface);
}

static HRESULT WINAPI cpc_EnumConnectionPoints(IConnectionPointContainer *iface, IEnumConnectionPoints **out)
{
    if (out) *out = NULL;
    return E_NOTIMPL;
}

static HRESULT WINAPI cpc_FindConnectionPoint(IConnectionPointContainer *iface, REFIID riid, IConnectionPoint **out)
{
    return connpt_find(&impl_from_IConnectionPointContainer(iface)->events, riid, out);
}

static const IConnectionPointContainerVtbl cpc_vtbl = {
    cpc_QueryInterface, cpc_AddRef, cpc_Release, cpc_EnumConnectionPoints, cpc_FindConnectionPoint,
};

HRESULT session_wrap(struct agent *a, msc_session *core, IMsgrSession **out)
{
    struct session *s = msc_session_user(core);

    if (s) {
        session_AddRef(&s->IMsgrSession_iface);
        *out = &s->IMsgrSession_iface;
        return S_OK;
    }
    if (!(s = calloc(1, sizeof(*s)))) return E_OUTOFMEMORY;
    s->IMsgrSession_iface.lpVtbl = &session_vtbl;
    s->IConnectionPointContainer_iface.lpVtbl = &cpc_vtbl;
    classinfo_init(&s->classinfo, (IUnknown *)&s->IMsgrSession_iface, MsgrSession_tid, &DIID_DMsgrSessionEvents);
    errorinfo_init(&s->errorinfo, (IUnknown *)&s->IMsgrSession_iface, &IID_IMsgrSession);
    connpt_init(&s->events, &s->IConnectionPointContainer_iface, &DIID_DMsgrSessionEvents);
    s->ref = 1;
    s->agent = a;
    agent_addref(a);
    s->core = core;
    msc_session_ref(core);
    msc_session_set_user(core, s);
    msgsc_module_lock();
    *out = &s->IMsgrSession_iface;
    return S_OK;
}

/* ---- the engine's events, to the sinks ----------------------------------------------------------- */
enum {
    DISPID_OnStateChanged = 103, DISPID_OnAppNotPresent, DISPID_OnAccepted, DISPID_OnDeclined,
    DISPID_OnCancelled, DISPID_OnTermination, DISPID_OnReadyToLaunch, DISPID_OnContextData, DISPID_OnSendError,
    DISPID_BeforeAppLaunch,
};

/* Fire to the session's sinks; args hold BSTRs made here, freed after. */
static void fire(msc_session *core, DISPID id, VARIANT *args, UINT n)
{
    struct session *s = msc_session_user(core);
    UINT i;

    if (s && connpt_has_sinks(&s->events)) {
        session_AddRef(&s->IMsgrSession_iface);      /* a sink may release the last reference */
        connpt_fire(&s->events, id, args, n);
        session_Release(&s->IMsgrSession_iface);
    }
    for (i = 0; i < n; i++) VariantClear(&args[i]);
}

static void set_long(VARIANT *v, LONG l) { V_VT(v) = VT_I4; V_I4(v) = l; }
static void set_str(VARIANT *v, msc_str s)
{
    V_VT(v) = VT_BSTR;
    V_BSTR(v) = msgsc_bstr_from_str(s);   /* NULL (out of memory) reads as "" */
}

static void ev_state(void *ctx, msc_session *s, msc_state prev)
{
    VARIANT a[1];
    set_long(&a[0], prev);
    fire(s, DISPID_OnStateChanged, a, 1);
}

static void ev_data(msc_session *s, DISPID id, msc_str data)
{
    VARIANT a[1];
    set_str(&a[0], data);
    fire(s, id, a, 1);
}

static void ev_accepted(void *ctx, msc_session *s, msc_str d) { ev_data(s, DISPID_OnAccepted, d); }
static void ev_declined(void *ctx, msc_session *s, msc_str d) { ev_data(s, DISPID_OnDeclined, d); }
static void ev_cancelled(void *ctx, msc_session *s, msc_str d) { ev_data(s, DISPID_OnCancelled, d); }
static void ev_context(void *ctx, msc_session *s, msc_str d) { ev_data(s, DISPID_OnContextData, d); }

static void ev_terminated(void *ctx, msc_session *s, msc_hr hr, msc_str data)
{
    VARIANT a[2];
    set_long(&a[0], hr);
    set_str(&a[1], data);
    fire(s, DISPID_OnTermination, a, 2);
}

static void ev_send_error(void *ctx, msc_session *s, msc_hr hr)
{
    VARIANT a[1];
    set_long(&a[0], hr);
    fire(s, DISPID_OnSendError, a, 1);
}

static void ev_app_not_present(void *ctx, msc_session *s, msc_str name, msc_str url)
{
    VARIANT a[2];
    set_str(&a[0], name);
    set_str(&a[1], url);
    fire(s, DISPID_OnAppNotPresent, a, 2);
}

BOOL session_fire_before_launch(msc_session *core)
{
    VARIANT_BOOL enable = VARIANT_TRUE;
    VARIANT a[1];
    V_VT(&a[0]) = VT_BOOL | VT_BYREF;
    V_BOOLREF(&a[0]) = &enable;
    fire(core, DISPID_BeforeAppLaunch, a, 1);
    return enable != VARIANT_FALSE;
}

void session_fire_ready(msc_session *core) { fire(core, DISPID_OnReadyToLaunch, NULL, 0); }

void session_core_events(msc_events *ev)
{
    ev->state_changed = ev_state;
    ev->accepted = ev_accepted;
    ev->declined = ev_declined;
    ev->cancelled = ev_cancelled;
    ev->terminated = ev_terminated;
    ev->context_data = ev_context;
    ev->send_error = ev_send_error;
    ev->app_not_present = ev_app_not_present;
}
