/* msgsc.dll as a C client sees it, under Wine: creation by CLSID and ProgID, every member of
 * IMsgrSessionManager and IMsgrSession through the vtable and by DISPID through IDispatch, every
 * event through a plain IDispatch sink (DISPID, argument types, order, thread), the errors and
 * their IErrorInfo text, Lock & Key, reference counts, and two users in one process completing
 * invite -> accept, decline, cancel and timeout over the loopback transport.
 *
 * argv[1]: the DLL (registered for the run, unregistered at the end).
 */
#define COBJMACROS
#define CONST_VTABLE
#include <windows.h>
#include <ole2.h>
#include <olectl.h>
#include <dispex.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "msgrpriv.h"

#define APP L"{44BBA842-CC51-11CF-AAFA-00AA00B6015C}"
#define APP_LOWER L"{44bba842-cc51-11cf-aafa-00aa00b6015c}"
#define APP2 L"{5D3E02AB-6190-11D3-BBBB-00C04F795683}"

static const char *dll_path;
static HMODULE dll;
static DWORD main_thread;

/* ---- small helpers ------------------------------------------------------------------------ */
static BSTR B(const WCHAR *s) { return SysAllocString(s); }

static void check_error_text(REFIID iid)
{
    IErrorInfo *info = NULL;
    BSTR desc = NULL;
    GUID guid;
    assert_int_equal(GetErrorInfo(0, &info), S_OK);
    assert_non_null(info);
    assert_int_equal(IErrorInfo_GetDescription(info, &desc), S_OK);
    assert_true(desc && SysStringLen(desc) > 5);
    assert_int_equal(IErrorInfo_GetGUID(info, &guid), S_OK);
    assert_true(IsEqualGUID(&guid, iid));
    SysFreeString(desc);
    IErrorInfo_Release(info);
}

/* A failing call returns hr and leaves an IErrorInfo a script would show. */
#define FAILS(call, hr, iid) do { \
    SetErrorInfo(0, NULL); \
    assert_int_equal((uint32_t)(call), (uint32_t)(hr)); \
    check_error_text(iid); \
} while (0)

static LONG refcount(IUnknown *u)
{
    IUnknown_AddRef(u);
    return (LONG)IUnknown_Release(u);
}

/* Run the message loop until cond(arg) or the time is up; events come from it. */
static BOOL pump_until(BOOL (*cond)(void *), void *arg, DWORD ms)
{
    DWORD end = GetTickCount() + ms;
    MSG msg;
    do {
        while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE)) {
            TranslateMessage(&msg);
            DispatchMessageW(&msg);
        }
        if (cond && cond(arg)) return TRUE;
        Sleep(1);
    } while ((LONG)(end - GetTickCount()) > 0);
    return cond ? cond(arg) : TRUE;
}

static void pump(DWORD ms) { pump_until(NULL, NULL, ms); }

/* ---- a recording sink: a plain IDispatch, as scripts and ATL sinks are --------------------- */
typedef struct rec {
    DISPID id;
    UINT n;
    VARTYPE vt[4];
    LONG l[4];
    WCHAR s[4][600];
    DWORD thread;
} rec;

typedef struct sink {
    IDispatch IDispatch_iface;
    LONG ref;
    rec log[64];
    UINT nlog;
    VARIANT_BOOL handle;          /* OnInvitation: what to put in pfHandled */
    IDispatch *invited;           /* OnInvitation: the session, kept */
    BOOL release_in_event;        /* OnStateChanged: drop `held` from inside the event */
    IUnknown *held;
} sink;

static sink *impl_from_IDispatch(IDispatch *iface) { return CONTAINING_RECORD(iface, sink, IDispatch_iface); }

static HRESULT WINAPI sink_QueryInterface(IDispatch *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
        *ppv = iface;
        IDispatch_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;          /* not the DIID: the server must fall back to IDispatch */
}
static ULONG WINAPI sink_AddRef(IDispatch *iface) { return InterlockedIncrement(&impl_from_IDispatch(iface)->ref); }
static ULONG WINAPI sink_Release(IDispatch *iface) { return InterlockedDecrement(&impl_from_IDispatch(iface)->ref); }
static HRESULT WINAPI sink_GetTypeInfoCount(IDispatch *iface, UINT *n) { *n = 0; return S_OK; }
static HRESULT WINAPI sink_GetTypeInfo(IDispatch *iface, UINT i, LCID l, ITypeInfo **t) { return E_NOTIMPL; }
static HRESULT WINAPI sink_GetIDsOfNames(IDispatch *iface, REFIID r, LPOLESTR *n, UINT c, LCID l, DISPID *d)
{
    return E_NOTIMPL;
}

static HRESULT WINAPI sink_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                  DISPPARAMS *p, VARIANT *res, EXCEPINFO *ei, UINT *argerr)
{
    sink *s = impl_from_IDispatch(iface);
    rec *r;
    UINT i;

    assert_true(s->nlog < 64);
    assert_int_equal(flags, DISPATCH_METHOD);
    assert_true(IsEqualIID(riid, &IID_NULL));
    r = &s->log[s->nlog++];
    memset(r, 0, sizeof(*r));
    r->id = id;
    r->n = p->cArgs;
    r->thread = GetCurrentThreadId();
    assert_int_equal(p->cNamedArgs, 0);
    for (i = 0; i < p->cArgs && i < 4; i++) {
        VARIANT *v = &p->rgvarg[p->cArgs - 1 - i];     /* declared order */
        r->vt[i] = V_VT(v);
        if (V_VT(v) == VT_I4) r->l[i] = V_I4(v);
        if (V_VT(v) == VT_BOOL) r->l[i] = V_BOOL(v);
        if (V_VT(v) == VT_BSTR && V_BSTR(v)) lstrcpynW(r->s[i], V_BSTR(v), 600);
        if (V_VT(v) == (VT_BOOL | VT_BYREF)) *V_BOOLREF(v) = s->handle;
        if (V_VT(v) == VT_DISPATCH && id == 100 && s->handle) {
            if (s->invited) IDispatch_Release(s->invited);
            s->invited = V_DISPATCH(v);
            IDispatch_AddRef(s->invited);
        }
    }
    if (s->release_in_event && s->held && id == 103) {
        IUnknown *h = s->held;
        s->held = NULL;
        IUnknown_Release(h);
    }
    return S_OK;
}

static const IDispatchVtbl sink_vtbl = {
    sink_QueryInterface, sink_AddRef, sink_Release, sink_GetTypeInfoCount, sink_GetTypeInfo,
    sink_GetIDsOfNames, sink_Invoke,
};

static void sink_init(sink *s)
{
    memset(s, 0, sizeof(*s));
    s->IDispatch_iface.lpVtbl = &sink_vtbl;
    s->ref = 1;
}

static const rec *find(const sink *s, DISPID id, UINT nth)
{
    UINT i;
    for (i = 0; i < s->nlog; i++)
        if (s->log[i].id == id && !nth--) return &s->log[i];
    return NULL;
}

static UINT count(const sink *s, DISPID id)
{
    UINT i, n = 0;
    for (i = 0; i < s->nlog; i++) n += s->log[i].id == id;
    return n;
}

static DWORD advise(IUnknown *obj, REFIID diid, sink *s)
{
    IConnectionPointContainer *cpc;
    IConnectionPoint *cp;
    DWORD cookie = 0;
    assert_int_equal(IUnknown_QueryInterface(obj, &IID_IConnectionPointContainer, (void **)&cpc), S_OK);
    assert_int_equal(IConnectionPointContainer_FindConnectionPoint(cpc, diid, &cp), S_OK);
    assert_int_equal(IConnectionPoint_Advise(cp, (IUnknown *)&s->IDispatch_iface, &cookie), S_OK);
    assert_true(cookie != 0);
    IConnectionPoint_Release(cp);
    IConnectionPointContainer_Release(cpc);
    return cookie;
}

static void unadvise(IUnknown *obj, REFIID diid, DWORD cookie)
{
    IConnectionPointContainer *cpc;
    IConnectionPoint *cp;
    assert_int_equal(IUnknown_QueryInterface(obj, &IID_IConnectionPointContainer, (void **)&cpc), S_OK);
    assert_int_equal(IConnectionPointContainer_FindConnectionPoint(cpc, diid, &cp), S_OK);
    assert_int_equal(IConnectionPoint_Unadvise(cp, cookie), S_OK);
    assert_int_equal(IConnectionPoint_Unadvise(cp, cookie), CONNECT_E_NOCONNECTION);
    IConnectionPoint_Release(cp);
    IConnectionPointContainer_Release(cpc);
}

/* ---- a contact of the test's own: any IDispatch with SigninName will do -------------------- */
typedef struct contact {
    IDispatch IDispatch_iface;
    const WCHAR *name;             /* NULL: the object has no SigninName */
} contact;

static HRESULT WINAPI contact_QI(IDispatch *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
        *ppv = iface;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI contact_AddRef(IDispatch *iface) { return 2; }
static ULONG WINAPI contact_Release(IDispatch *iface) { return 1; }
static HRESULT WINAPI contact_GetIDsOfNames(IDispatch *iface, REFIID r, LPOLESTR *n, UINT c, LCID l, DISPID *d)
{
    contact *ct = CONTAINING_RECORD(iface, contact, IDispatch_iface);
    if (ct->name && !lstrcmpiW(n[0], L"SigninName")) {
        d[0] = 7;
        return S_OK;
    }
    d[0] = DISPID_UNKNOWN;
    return DISP_E_UNKNOWNNAME;
}
static HRESULT WINAPI contact_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                     DISPPARAMS *p, VARIANT *res, EXCEPINFO *ei, UINT *argerr)
{
    contact *ct = CONTAINING_RECORD(iface, contact, IDispatch_iface);
    if (id != 7 || !ct->name || !(flags & DISPATCH_PROPERTYGET)) return DISP_E_MEMBERNOTFOUND;
    V_VT(res) = VT_BSTR;
    V_BSTR(res) = SysAllocString(ct->name);
    return S_OK;
}
static const IDispatchVtbl contact_vtbl = {
    contact_QI, contact_AddRef, contact_Release, sink_GetTypeInfoCount, sink_GetTypeInfo,
    contact_GetIDsOfNames, contact_Invoke,
};
#define CONTACT(n) { { &contact_vtbl }, (n) }

/* ---- objects -------------------------------------------------------------------------------- */
/* A manager for user `who`: the user of this process is read when a manager is made. */
static IMsgrSessionManager *manager(const WCHAR *who)
{
    IMsgrSessionManager *m = NULL;
    SetEnvironmentVariableW(L"MSGSC_IDENTITY", who);
    assert_int_equal(CoCreateInstance(&CLSID_MsgrSessionManager, NULL, CLSCTX_INPROC_SERVER,
                                      &IID_IMsgrSessionManager, (void **)&m), S_OK);
    assert_non_null(m);
    return m;
}

static IMsgrSession *new_session(IMsgrSessionManager *m)
{
    IDispatch *d = NULL;
    IMsgrSession *s = NULL;
    assert_int_equal(IMsgrSessionManager_CreateSession(m, &d), S_OK);
    assert_int_equal(IDispatch_QueryInterface(d, &IID_IMsgrSession, (void **)&s), S_OK);
    IDispatch_Release(d);
    return s;
}

static void expect_bstr(HRESULT got_hr, BSTR got, HRESULT hr, const WCHAR *want)
{
    assert_int_equal((uint32_t)got_hr, (uint32_t)hr);
    assert_non_null(got);
    if (lstrcmpW(got, want)) fail_msg("got \"%ls\", want \"%ls\"", got, want);
    SysFreeString(got);
}

/* call must store into got_; checked after the call (argument order is unspecified in C) */
#define EXPECT_STR(call, hr, want) do { \
    BSTR got_ = NULL; \
    HRESULT h_ = (call); \
    expect_bstr(h_, got_, (hr), (want)); \
} while (0)

static void register_app(IMsgrSessionManager *m, const WCHAR *guid, const WCHAR *name)
{
    BSTR g = B(guid), n = B(name), u = B(L"http://example.org/app"), p = B(L"C:\\apps\\app.exe");
    HRESULT hr = IMsgrSessionManager_RegisterApplication(m, g, n, u, p, 0);
    assert_true(hr == S_OK || hr == SR_APP_ALREADY_REGISTERED);
    SysFreeString(g); SysFreeString(n); SysFreeString(u); SysFreeString(p);
}

static void unregister_app(IMsgrSessionManager *m, const WCHAR *guid)
{
    BSTR g = B(guid);
    IMsgrSessionManager_UnRegisterApplication(m, g);
    SysFreeString(g);
}

/* ---- creation, identity, class info ----------------------------------------------------------- */
static void test_creation(void **state)
{
    IMsgrSessionManager *m;
    IUnknown *u1, *u2;
    IProvideClassInfo2 *pci;
    IDispatch *d;
    ITypeInfo *ti;
    TYPEATTR *attr;
    CLSID clsid;
    GUID g;
    (void)state;

    /* by ProgID, as scripts and VB do */
    assert_int_equal(CLSIDFromProgID(L"MessengerPrivate.MsgrSessionManager", &clsid), S_OK);
    assert_true(IsEqualCLSID(&clsid, &CLSID_MsgrSessionManager));
    assert_int_equal(CLSIDFromProgID(L"MessengerPrivate.MsgrSessionManager.1", &clsid), S_OK);
    assert_int_equal(CoCreateInstance(&clsid, NULL, CLSCTX_ALL, &IID_IDispatch, (void **)&d), S_OK);
    IDispatch_Release(d);

    m = manager(L"creation@example.org");
    /* one identity: IUnknown is the same from every interface */
    assert_int_equal(IMsgrSessionManager_QueryInterface(m, &IID_IUnknown, (void **)&u1), S_OK);
    assert_int_equal(IMsgrSessionManager_QueryInterface(m, &IID_IProvideClassInfo2, (void **)&pci), S_OK);
    assert_int_equal(IProvideClassInfo2_QueryInterface(pci, &IID_IUnknown, (void **)&u2), S_OK);
    assert_ptr_equal(u1, u2);
    assert_int_equal(IProvideClassInfo2_GetGUID(pci, GUIDKIND_DEFAULT_SOURCE_DISP_IID, &g), S_OK);
    assert_true(IsEqualGUID(&g, &DIID_DMsgrSessionManagerEvents));
    assert_int_equal(IProvideClassInfo2_GetClassInfo(pci, &ti), S_OK);
    assert_int_equal(ITypeInfo_GetTypeAttr(ti, &attr), S_OK);
    assert_true(IsEqualGUID(&attr->guid, &CLSID_MsgrSessionManager));
    ITypeInfo_ReleaseTypeAttr(ti, attr);
    ITypeInfo_Release(ti);
    assert_int_equal(IMsgrSessionManager_QueryInterface(m, &IID_IPersist, (void **)&u2), E_NOINTERFACE);
    assert_null(u2);
    IProvideClassInfo2_Release(pci);
    IUnknown_Release(u1);
    IUnknown_Release(u1);
    assert_int_equal(refcount((IUnknown *)m), 1);
    assert_int_equal(IMsgrSessionManager_Release(m), 0);
}

/* ---- every member through the vtable ---------------------------------------------------------- */
static void test_session_members(void **state)
{
    IMsgrSessionManager *m = manager(L"members@example.org");
    IMsgrSession *s = new_session(m);
    contact self = CONTACT(L"MEMBERS@example.org"), nobody = CONTACT(L"nobody@example.org"), nameless = CONTACT(NULL);
    SESSION_STATE st;
    LONG flags;
    BSTR v = NULL, arg;
    IDispatch *user = NULL;
    WCHAR big[600], lone[2] = { 0xD800, 0 };
    int i;
    (void)state;

    register_app(m, APP, L"NetMeeting");
    assert_int_equal(IMsgrSession_get_State(s, &st), S_OK);
    assert_int_equal(st, SS_READY);
    assert_int_equal(IMsgrSession_get_Flags(s, &flags), S_OK);
    assert_int_equal(flags, 0);
    assert_int_equal(IMsgrSession_get_SessionID(s, &v), S_OK);
    assert_int_equal(SysStringLen(v), 38);
    assert_true(v[0] == '{' && v[37] == '}');
    SysFreeString(v);
    /* NULL out-pointers: the documented E_INVALIDARG */
    FAILS(IMsgrSession_get_State(s, NULL), E_INVALIDARG, &IID_IMsgrSession);
    FAILS(IMsgrSession_get_Application(s, NULL), E_INVALIDARG, &IID_IMsgrSession);
    FAILS(IMsgrSession_get_User(s, NULL), E_INVALIDARG, &IID_IMsgrSession);
    /* nothing set yet */
    FAILS(IMsgrSession_get_Application(s, &v), SR_APP_NOT_SPECIFIED, &IID_IMsgrSession);
    FAILS(IMsgrSession_get_ApplicationName(s, &v), SR_APP_NOT_SPECIFIED, &IID_IMsgrSession);
    FAILS(IMsgrSession_get_User(s, &user), SR_NO_USER_INVITED, &IID_IMsgrSession);
    EXPECT_STR(IMsgrSession_get_RemoteAddress(s, &got_), S_FALSE, L"");
    assert_int_equal(IMsgrSession_get_ContextData(s, &v), S_FALSE);
    SysFreeString(v);
    EXPECT_STR(IMsgrSession_get_LocalAddress(s, &got_), S_OK, L"127.0.0.1");
    /* Application */
    arg = B(L"{nope}");
    FAILS(IMsgrSession_put_Application(s, arg), E_INVALIDARG, &IID_IMsgrSession);
    SysFreeString(arg);
    FAILS(IMsgrSession_put_Application(s, NULL), E_INVALIDARG, &IID_IMsgrSession);
    arg = B(APP L"XX");
    FAILS(IMsgrSession_put_Application(s, arg), E_OUTOFMEMORY, &IID_IMsgrSession);
    SysFreeString(arg);
    arg = B(L"{00000000-0000-0000-0000-0000000000AA}");
    FAILS(IMsgrSession_put_Application(s, arg), SR_APP_NOT_REGISTERED, &IID_IMsgrSession);
    SysFreeString(arg);
    arg = B(APP_LOWER);
    assert_int_equal(IMsgrSession_put_Application(s, arg), S_OK);
    SysFreeString(arg);
    EXPECT_STR(IMsgrSession_get_Application(s, &got_), S_OK, APP);
    EXPECT_STR(IMsgrSession_get_ApplicationName(s, &got_), S_OK, L"NetMeeting");
    EXPECT_STR(IMsgrSession_get_ApplicationURL(s, &got_), S_OK, L"http://example.org/app");
    /* LocalAddress: 30 characters at most */
    arg = B(L"0123456789012345678901234567890");
    FAILS(IMsgrSession_put_LocalAddress(s, arg), E_OUTOFMEMORY, &IID_IMsgrSession);
    SysFreeString(arg);
    arg = B(L"192.168.7.7");
    assert_int_equal(IMsgrSession_put_LocalAddress(s, arg), S_OK);
    SysFreeString(arg);
    EXPECT_STR(IMsgrSession_get_LocalAddress(s, &got_), S_OK, L"192.168.7.7");
    /* calls in the wrong state */
    FAILS(IMsgrSession_Accept(s, NULL), SR_SESSION_STATE_INVALID, &IID_IMsgrSession);
    FAILS(IMsgrSession_Decline(s, NULL), SR_SESSION_STATE_INVALID, &IID_IMsgrSession);
    FAILS(IMsgrSession_Cancel(s, 0, NULL), SR_SESSION_STATE_INVALID, &IID_IMsgrSession);
    FAILS(IMsgrSession_SendContextData(s, NULL), SR_SESSION_STATE_INVALID, &IID_IMsgrSession);
    /* Invite: who, and what */
    FAILS(IMsgrSession_Invite(s, NULL, NULL), E_INVALIDARG, &IID_IMsgrSession);
    FAILS(IMsgrSession_Invite(s, &nameless.IDispatch_iface, NULL), E_INVALIDARG, &IID_IMsgrSession);
    FAILS(IMsgrSession_Invite(s, &self.IDispatch_iface, NULL), SR_INVITED_SELF, &IID_IMsgrSession);
    FAILS(IMsgrSession_Invite(s, &nobody.IDispatch_iface, NULL), MSGR_E_NOT_LOGGED_ON, &IID_IMsgrSession);
    for (i = 0; i < 513; i++) big[i] = 'x';
    arg = SysAllocStringLen(big, 513);
    FAILS(IMsgrSession_Invite(s, &nobody.IDispatch_iface, arg), SR_CONTEXT_DATA_OVER_LIMIT, &IID_IMsgrSession);
    SysFreeString(arg);
    arg = B(lone);                                      /* not valid UTF-16 */
    FAILS(IMsgrSession_Invite(s, &nobody.IDispatch_iface, arg), E_INVALIDARG, &IID_IMsgrSession);
    SysFreeString(arg);
    /* refused calls changed nothing */
    assert_int_equal(IMsgrSession_get_State(s, &st), S_OK);
    assert_int_equal(st, SS_READY);
    FAILS(IMsgrSession_get_User(s, &user), SR_NO_USER_INVITED, &IID_IMsgrSession);
    /* a success clears a stale error */
    assert_int_equal(IMsgrSession_get_State(s, &st), S_OK);
    assert_int_equal(GetErrorInfo(0, (IErrorInfo **)&user), S_FALSE);

    assert_int_equal(IMsgrSession_Release(s), 0);
    unregister_app(m, APP);
    assert_int_equal(IMsgrSessionManager_Release(m), 0);
}

static void test_manager_members(void **state)
{
    IMsgrSessionManager *m = manager(L"manager@example.org");
    sink ev;
    DWORD cookie;
    IDispatch *d = NULL;
    BSTR g = B(APP2), n = B(L"File Transfer"), u = B(L"http://example.org/ft"), p = B(L"C:\\ft.exe"), bad;
    (void)state;

    sink_init(&ev);
    cookie = advise((IUnknown *)m, &DIID_DMsgrSessionManagerEvents, &ev);
    unregister_app(m, APP2);
    pump(50);
    ev.nlog = 0;
    FAILS(IMsgrSessionManager_CreateSession(m, NULL), E_INVALIDARG, &IID_IMsgrSessionManager);
    FAILS(IMsgrSessionManager_GetLaunchingSession(m, (LONG)GetCurrentProcessId(), &d), E_FAIL, &IID_IMsgrSessionManager);
    /* no process has ID 0 or below; another process's launching session is not ours; NULL out */
    FAILS(IMsgrSessionManager_GetLaunchingSession(m, 0, &d), E_INVALIDARG, &IID_IMsgrSessionManager);
    FAILS(IMsgrSessionManager_GetLaunchingSession(m, -5, &d), E_INVALIDARG, &IID_IMsgrSessionManager);
    FAILS(IMsgrSessionManager_GetLaunchingSession(m, (LONG)GetCurrentProcessId() + 4, &d), E_FAIL,
          &IID_IMsgrSessionManager);
    FAILS(IMsgrSessionManager_GetLaunchingSession(m, (LONG)GetCurrentProcessId(), NULL), E_INVALIDARG,
          &IID_IMsgrSessionManager);
    FAILS(IMsgrSessionManager_get_Applications(m, &d), E_NOTIMPL, &IID_IMsgrSessionManager);
    /* RegisterApplication: flags must be 0, GUID well formed, name and path present */
    FAILS(IMsgrSessionManager_RegisterApplication(m, g, n, u, p, 1), E_INVALIDARG, &IID_IMsgrSessionManager);
    bad = B(L"not a guid");
    FAILS(IMsgrSessionManager_RegisterApplication(m, bad, n, u, p, 0), E_INVALIDARG, &IID_IMsgrSessionManager);
    FAILS(IMsgrSessionManager_UnRegisterApplication(m, bad), E_INVALIDARG, &IID_IMsgrSessionManager);
    SysFreeString(bad);
    FAILS(IMsgrSessionManager_RegisterApplication(m, g, NULL, u, p, 0), E_INVALIDARG, &IID_IMsgrSessionManager);
    assert_int_equal(IMsgrSessionManager_RegisterApplication(m, g, n, u, p, 0), S_OK);
    FAILS(IMsgrSessionManager_RegisterApplication(m, g, n, u, p, 0), SR_APP_ALREADY_REGISTERED, &IID_IMsgrSessionManager);
    assert_int_equal(IMsgrSessionManager_UnRegisterApplication(m, g), S_OK);
    FAILS(IMsgrSessionManager_UnRegisterApplication(m, g), SR_APP_NOT_REGISTERED, &IID_IMsgrSessionManager);
    /* the events: OnAppRegistered(guid), OnAppUnRegistered(guid) */
    assert_int_equal(count(&ev, 101), 1);
    assert_int_equal(find(&ev, 101, 0)->vt[0], VT_BSTR);
    assert_string_equal(find(&ev, 101, 0)->s[0], APP2);
    assert_int_equal(count(&ev, 102), 1);
    unadvise((IUnknown *)m, &DIID_DMsgrSessionManagerEvents, cookie);
    assert_int_equal(ev.ref, 1);                            /* the server let go of the sink */
    SysFreeString(g); SysFreeString(n); SysFreeString(u); SysFreeString(p);
    assert_int_equal(IMsgrSessionManager_Release(m), 0);
}

/* ---- IDispatch, by DISPID ----------------------------------------------------------------------- */
static HRESULT call(IDispatch *d, DISPID id, WORD flags, VARIANT *args, UINT n, VARIANT *res, EXCEPINFO *ei)
{
    VARIANT rev[4];
    DISPID put = DISPID_PROPERTYPUT;
    DISPPARAMS p = { rev, NULL, n, 0 };
    UINT i;
    for (i = 0; i < n; i++) rev[i] = args[n - 1 - i];
    if (flags == DISPATCH_PROPERTYPUT) {
        p.rgdispidNamedArgs = &put;
        p.cNamedArgs = 1;
    }
    if (res) VariantInit(res);
    memset(ei, 0, sizeof(*ei));
    return IDispatch_Invoke(d, id, &IID_NULL, LOCALE_USER_DEFAULT, flags, &p, res, ei, NULL);
}

static void test_dispatch_by_dispid(void **state)
{
    IMsgrSessionManager *m = manager(L"dispatch@example.org");
    IDispatch *md, *sd;
    contact nobody = CONTACT(L"nobody@example.org");
    VARIANT a[5], r;
    EXCEPINFO ei;
    DISPID id;
    LPOLESTR name = (LPOLESTR)L"SendContextData";
    (void)state;

    register_app(m, APP, L"NetMeeting");
    assert_int_equal(IMsgrSessionManager_QueryInterface(m, &IID_IDispatch, (void **)&md), S_OK);
    /* CreateSession is DISPID 0, the default member */
    assert_int_equal(call(md, 0, DISPATCH_METHOD, NULL, 0, &r, &ei), S_OK);
    assert_int_equal(V_VT(&r), VT_DISPATCH);
    sd = V_DISPATCH(&r);
    /* names resolve to the documented DISPIDs */
    assert_int_equal(IDispatch_GetIDsOfNames(sd, &IID_NULL, &name, 1, 0, &id), S_OK);
    assert_int_equal(id, 14);
    /* Application is DISPID 0: put, then get */
    V_VT(&a[0]) = VT_BSTR;
    V_BSTR(&a[0]) = B(APP);
    assert_int_equal(call(sd, 0, DISPATCH_PROPERTYPUT, a, 1, NULL, &ei), S_OK);
    VariantClear(&a[0]);
    assert_int_equal(call(sd, 0, DISPATCH_PROPERTYGET, NULL, 0, &r, &ei), S_OK);
    assert_int_equal(V_VT(&r), VT_BSTR);
    assert_string_equal(V_BSTR(&r), APP);
    VariantClear(&r);
    /* State (1), Flags (11), SessionID (7), LocalAddress (13), ApplicationName (9) */
    assert_int_equal(call(sd, 1, DISPATCH_PROPERTYGET, NULL, 0, &r, &ei), S_OK);
    assert_int_equal(V_VT(&r), VT_I4);
    assert_int_equal(V_I4(&r), SS_READY);
    assert_int_equal(call(sd, 11, DISPATCH_PROPERTYGET, NULL, 0, &r, &ei), S_OK);
    assert_int_equal(V_I4(&r), 0);
    assert_int_equal(call(sd, 7, DISPATCH_PROPERTYGET, NULL, 0, &r, &ei), S_OK);
    assert_int_equal(SysStringLen(V_BSTR(&r)), 38);
    VariantClear(&r);
    assert_int_equal(call(sd, 9, DISPATCH_PROPERTYGET, NULL, 0, &r, &ei), S_OK);
    assert_string_equal(V_BSTR(&r), L"NetMeeting");
    VariantClear(&r);
    V_VT(&a[0]) = VT_BSTR;
    V_BSTR(&a[0]) = B(L"10.1.2.3");
    assert_int_equal(call(sd, 13, DISPATCH_PROPERTYPUT, a, 1, NULL, &ei), S_OK);
    VariantClear(&a[0]);
    assert_int_equal(call(sd, 13, DISPATCH_PROPERTYGET, NULL, 0, &r, &ei), S_OK);
    assert_string_equal(V_BSTR(&r), L"10.1.2.3");
    VariantClear(&r);
    /* a failure arrives as DISP_E_EXCEPTION with the HRESULT and its text */
    V_VT(&a[0]) = VT_BSTR;
    V_BSTR(&a[0]) = NULL;
    assert_int_equal(call(sd, 5 /* Accept */, DISPATCH_METHOD, a, 1, NULL, &ei), DISP_E_EXCEPTION);
    assert_int_equal((uint32_t)ei.scode, (uint32_t)SR_SESSION_STATE_INVALID);
    assert_non_null(ei.bstrDescription);
    assert_true(SysStringLen(ei.bstrDescription) > 5);
    SysFreeString(ei.bstrDescription);
    SysFreeString(ei.bstrSource);
    SysFreeString(ei.bstrHelpFile);
    V_VT(&a[0]) = VT_DISPATCH;
    V_DISPATCH(&a[0]) = &nobody.IDispatch_iface;
    V_VT(&a[1]) = VT_BSTR;
    V_BSTR(&a[1]) = B(L"hi");
    assert_int_equal(call(sd, 2 /* Invite */, DISPATCH_METHOD, a, 2, NULL, &ei), DISP_E_EXCEPTION);
    assert_int_equal((uint32_t)ei.scode, (uint32_t)MSGR_E_NOT_LOGGED_ON);
    VariantClear(&a[1]);
    SysFreeString(ei.bstrDescription);
    SysFreeString(ei.bstrSource);
    SysFreeString(ei.bstrHelpFile);
    V_VT(&a[0]) = VT_I4;
    V_I4(&a[0]) = 0;
    V_VT(&a[1]) = VT_BSTR;
    V_BSTR(&a[1]) = NULL;
    assert_int_equal(call(sd, 4 /* Cancel */, DISPATCH_METHOD, a, 2, NULL, &ei), DISP_E_EXCEPTION);
    assert_int_equal((uint32_t)ei.scode, (uint32_t)SR_SESSION_STATE_INVALID);
    SysFreeString(ei.bstrDescription);
    SysFreeString(ei.bstrSource);
    SysFreeString(ei.bstrHelpFile);
    /* GetLaunchingSession (1) and Applications (4) on the manager */
    V_VT(&a[0]) = VT_I4;
    V_I4(&a[0]) = 1;
    assert_int_equal(call(md, 1, DISPATCH_METHOD, a, 1, &r, &ei), DISP_E_EXCEPTION);
    assert_int_equal((uint32_t)ei.scode, (uint32_t)E_FAIL);
    SysFreeString(ei.bstrDescription);
    SysFreeString(ei.bstrSource);
    SysFreeString(ei.bstrHelpFile);
    IDispatch_Release(sd);
    IDispatch_Release(md);
    unregister_app(m, APP);
    assert_int_equal(IMsgrSessionManager_Release(m), 0);
}

/* ---- two users, one process --------------------------------------------------------------------- */
typedef struct pair {
    IMsgrSessionManager *ma, *mb;          /* alice's and bob's managers */
    sink mev, aev, bev;                    /* bob's manager, alice's session, bob's session */
    IMsgrSession *a, *b;                   /* alice's session, bob's session */
    DWORD mcookie, acookie;
} pair;

static BOOL got_invitation(void *arg) { return ((pair *)arg)->mev.invited != NULL; }

/* alice invites bob with data; bob's manager takes the invitation (pfHandled). */
static void pair_invite(pair *p, const WCHAR *alice, const WCHAR *bob, const WCHAR *data)
{
    contact cb = { { &contact_vtbl }, bob };
    BSTR app = B(APP), d = B(data);

    memset(p, 0, sizeof(*p));
    p->ma = manager(alice);
    p->mb = manager(bob);
    register_app(p->ma, APP, L"NetMeeting");
    sink_init(&p->mev);
    sink_init(&p->aev);
    sink_init(&p->bev);
    p->mev.handle = VARIANT_TRUE;
    p->mcookie = advise((IUnknown *)p->mb, &DIID_DMsgrSessionManagerEvents, &p->mev);
    p->a = new_session(p->ma);
    p->acookie = advise((IUnknown *)p->a, &DIID_DMsgrSessionEvents, &p->aev);
    assert_int_equal(IMsgrSession_put_Application(p->a, app), S_OK);
    assert_int_equal(IMsgrSession_Invite(p->a, &cb.IDispatch_iface, d), S_OK);
    SysFreeString(app);
    SysFreeString(d);
    assert_true(pump_until(got_invitation, p, 5000));
    assert_int_equal(IDispatch_QueryInterface(p->mev.invited, &IID_IMsgrSession, (void **)&p->b), S_OK);
    advise((IUnknown *)p->b, &DIID_DMsgrSessionEvents, &p->bev);
}

static void pair_free(pair *p)
{
    IDispatch_Release(p->mev.invited);
    assert_int_equal(IMsgrSession_Release(p->b), 0);
    assert_int_equal(IMsgrSession_Release(p->a), 0);
    unadvise((IUnknown *)p->mb, &DIID_DMsgrSessionManagerEvents, p->mcookie);
    unregister_app(p->ma, APP);
    assert_int_equal(IMsgrSessionManager_Release(p->mb), 0);
    assert_int_equal(IMsgrSessionManager_Release(p->ma), 0);
    pump(50);
}

static SESSION_STATE state_of(IMsgrSession *s)
{
    SESSION_STATE st = SS_UNKNOWN;
    assert_int_equal(IMsgrSession_get_State(s, &st), S_OK);
    return st;
}

static BOOL ended(void *arg) { return count((sink *)arg, 108) > 0; }
static BOOL got_context(void *arg) { return count((sink *)arg, 110) > 0; }
static BOOL both_connected(void *arg)
{
    pair *p = arg;
    return state_of(p->a) == SS_CONNECTED && state_of(p->b) == SS_CONNECTED;
}

static void test_invite_accept(void **state)
{
    pair p;
    const rec *r;
    BSTR v, d;
    IDispatch *user;
    DISPPARAMS none = { NULL, NULL, 0, 0 };
    VARIANT res;
    LONG flags;
    (void)state;

    pair_invite(&p, L"alice@example.org", L"bob@example.org", L"hello from alice");
    /* OnInvitation(pSession, bstrAppData, pfHandled): DISPID 100, types in order */
    r = find(&p.mev, 100, 0);
    assert_non_null(r);
    assert_int_equal(r->n, 3);
    assert_int_equal(r->vt[0], VT_DISPATCH);
    assert_int_equal(r->vt[1], VT_BSTR);
    assert_int_equal(r->vt[2], VT_BOOL | VT_BYREF);
    assert_string_equal(r->s[1], L"hello from alice");
    assert_int_equal(r->thread, main_thread);
    /* the invitee's session */
    assert_int_equal(state_of(p.b), SS_INVITATION);
    assert_int_equal(IMsgrSession_get_Flags(p.b, &flags), S_OK);
    assert_int_equal(flags, SF_INVITEE);
    EXPECT_STR(IMsgrSession_get_Application(p.b, &got_), S_OK, APP);
    EXPECT_STR(IMsgrSession_get_ContextData(p.b, &got_), S_OK, L"hello from alice");
    EXPECT_STR(IMsgrSession_get_RemoteAddress(p.b, &got_), S_OK, L"127.0.0.1");
    assert_int_equal(IMsgrSession_get_User(p.b, &user), S_OK);
    assert_int_equal(IDispatch_Invoke(user, 1538 /* SigninName */, &IID_NULL, 0, DISPATCH_PROPERTYGET, &none, &res,
                                      NULL, NULL), S_OK);
    assert_string_equal(V_BSTR(&res), L"alice@example.org");
    VariantClear(&res);
    IDispatch_Release(user);
    assert_int_equal(IMsgrSession_get_SessionID(p.a, &v), S_OK);
    EXPECT_STR(IMsgrSession_get_SessionID(p.b, &got_), S_OK, v);
    SysFreeString(v);
    /* alice: OnStateChanged(SS_READY) came during Invite */
    r = find(&p.aev, 103, 0);
    assert_non_null(r);
    assert_int_equal(r->vt[0], VT_I4);
    assert_int_equal(r->l[0], SS_READY);

    d = B(L"welcome");
    assert_int_equal(IMsgrSession_Accept(p.b, d), S_OK);
    SysFreeString(d);
    assert_true(pump_until(both_connected, &p, 5000));
    /* alice: OnStateChanged(INVITATION), OnAccepted("welcome"), OnStateChanged(ACCEPTED) */
    assert_int_equal(p.aev.nlog, 4);
    assert_int_equal(p.aev.log[1].id, 103);
    assert_int_equal(p.aev.log[1].l[0], SS_INVITATION);
    assert_int_equal(p.aev.log[2].id, 105);
    assert_int_equal(p.aev.log[2].vt[0], VT_BSTR);
    assert_string_equal(p.aev.log[2].s[0], L"welcome");
    assert_int_equal(p.aev.log[3].id, 103);
    assert_int_equal(p.aev.log[3].l[0], SS_ACCEPTED);
    assert_int_equal(p.aev.log[3].thread, main_thread);
    EXPECT_STR(IMsgrSession_get_ContextData(p.a, &got_), S_OK, L"welcome");

    /* context data both ways: OnContextData (110) */
    d = B(L"IP:127.0.0.1;Port:6891");
    assert_int_equal(IMsgrSession_SendContextData(p.a, d), S_OK);
    SysFreeString(d);
    assert_true(pump_until(got_context, &p.bev, 5000));
    r = find(&p.bev, 110, 0);
    assert_non_null(r);
    assert_string_equal(r->s[0], L"IP:127.0.0.1;Port:6891");

    /* alice ends it: OnTermination(hr, data) on both, last */
    d = B(L"bye");
    assert_int_equal(IMsgrSession_Cancel(p.a, 0, d), S_OK);
    SysFreeString(d);
    assert_true(pump_until(ended, &p.bev, 5000));
    r = find(&p.aev, 108, 0);
    assert_int_equal(r->vt[0], VT_I4);
    assert_int_equal(r->vt[1], VT_BSTR);
    assert_int_equal((uint32_t)r->l[0], (uint32_t)SR_SESSION_CANCELLED_LOCAL);
    assert_string_equal(r->s[1], L"bye");
    r = find(&p.bev, 108, 0);
    assert_int_equal((uint32_t)r->l[0], (uint32_t)SR_SESSION_CANCELLED_REMOTE);
    assert_true(&p.bev.log[p.bev.nlog - 1] == r);
    assert_int_equal(state_of(p.a), SS_TERMINATED);
    assert_int_equal(state_of(p.b), SS_TERMINATED);
    pair_free(&p);
}

static void test_invite_decline(void **state)
{
    pair p;
    const rec *r;
    BSTR d = B(L"busy");
    (void)state;
    pair_invite(&p, L"alice2@example.org", L"bob2@example.org", L"");
    assert_int_equal(IMsgrSession_Decline(p.b, d), S_OK);
    SysFreeString(d);
    assert_true(pump_until(ended, &p.aev, 5000));
    r = find(&p.aev, 106, 0);                    /* OnDeclined */
    assert_non_null(r);
    assert_string_equal(r->s[0], L"busy");
    assert_int_equal((uint32_t)find(&p.aev, 108, 0)->l[0], (uint32_t)SR_INVITATION_DECLINED);
    assert_int_equal(state_of(p.a), SS_DECLINED);
    assert_int_equal(state_of(p.b), SS_DECLINED);
    /* the inviter cannot decline, the invitee cannot cancel an invitation */
    FAILS(IMsgrSession_Decline(p.a, NULL), SR_NOT_INVITEE, &IID_IMsgrSession);
    pair_free(&p);
}

static void test_invite_cancel(void **state)
{
    pair p;
    BSTR d = B(L"sorry");
    (void)state;
    pair_invite(&p, L"alice3@example.org", L"bob3@example.org", L"");
    FAILS(IMsgrSession_Cancel(p.b, 0, NULL), SR_NOT_INVITER, &IID_IMsgrSession);
    FAILS(IMsgrSession_Accept(p.a, NULL), SR_NOT_INVITEE, &IID_IMsgrSession);
    assert_int_equal(IMsgrSession_Cancel(p.a, 0, d), S_OK);
    SysFreeString(d);
    assert_true(pump_until(ended, &p.bev, 5000));
    assert_string_equal(find(&p.bev, 107, 0)->s[0], L"sorry");     /* OnCancelled */
    assert_int_equal((uint32_t)find(&p.bev, 108, 0)->l[0], (uint32_t)SR_SESSION_CANCELLED_REMOTE);
    assert_int_equal((uint32_t)find(&p.aev, 108, 0)->l[0], (uint32_t)SR_SESSION_CANCELLED_LOCAL);
    assert_int_equal(state_of(p.b), SS_CANCELLED);
    pair_free(&p);
}

static void test_invite_timeout(void **state)
{
    pair p;
    (void)state;
    SetEnvironmentVariableW(L"MSGSC_LIFETIME_MS", L"400");
    pair_invite(&p, L"alice4@example.org", L"bob4@example.org", L"");
    SetEnvironmentVariableW(L"MSGSC_LIFETIME_MS", NULL);
    assert_true(pump_until(ended, &p.bev, 5000));
    assert_true(pump_until(ended, &p.aev, 5000));
    assert_int_equal((uint32_t)find(&p.aev, 108, 0)->l[0], (uint32_t)SR_SESSION_TIMEOUT);
    assert_int_equal((uint32_t)find(&p.bev, 108, 0)->l[0], (uint32_t)SR_SESSION_TIMEOUT);
    assert_int_equal(state_of(p.a), SS_TERMINATED);
    FAILS(IMsgrSession_Accept(p.b, NULL), SR_SESSION_STATE_INVALID, &IID_IMsgrSession);
    pair_free(&p);
}

/* Limits and wrong types on a live session: over-limit data is refused and changes nothing. */
static void test_limits_and_types(void **state)
{
    pair p;
    WCHAR buf[700];
    BSTR big, ok;
    IDispatch *d;
    VARIANT a[2];
    EXCEPINFO ei;
    int i;
    (void)state;

    pair_invite(&p, L"alice6@example.org", L"bob6@example.org", L"");
    for (i = 0; i < 700; i++) buf[i] = 0x20AC;                     /* EURO SIGN: 3 bytes in UTF-8 */
    big = SysAllocStringLen(buf, 171);                              /* 513 bytes */
    ok = SysAllocStringLen(buf, 170);                               /* 510 bytes */
    FAILS(IMsgrSession_Accept(p.b, big), SR_CONTEXT_DATA_OVER_LIMIT, &IID_IMsgrSession);
    FAILS(IMsgrSession_Decline(p.b, big), SR_CONTEXT_DATA_OVER_LIMIT, &IID_IMsgrSession);
    FAILS(IMsgrSession_Cancel(p.a, 0, big), SR_CONTEXT_DATA_OVER_LIMIT, &IID_IMsgrSession);
    assert_int_equal(state_of(p.b), SS_INVITATION);
    assert_int_equal(IMsgrSession_Accept(p.b, ok), S_OK);
    assert_true(pump_until(both_connected, &p, 5000));
    assert_int_equal(lstrlenW(p.aev.log[2].s[0]), 170);              /* OnAccepted carried it all */
    SysFreeString(big);
    SysFreeString(ok);
    /* context data: 300 characters, 5 calls */
    big = SysAllocStringLen(buf, 301);
    ok = SysAllocStringLen(buf, 300);
    FAILS(IMsgrSession_SendContextData(p.a, big), SR_CONTEXT_DATA_OVER_LIMIT, &IID_IMsgrSession);
    for (i = 0; i < 5; i++) assert_int_equal(IMsgrSession_SendContextData(p.a, ok), S_OK);
    FAILS(IMsgrSession_SendContextData(p.a, ok), SR_CONTEXT_DATA_OVER_LIMIT, &IID_IMsgrSession);
    SysFreeString(big);
    SysFreeString(ok);
    /* wrong VARIANT types through IDispatch: Invite wants an object, Cancel a number */
    assert_int_equal(IMsgrSession_QueryInterface(p.a, &IID_IDispatch, (void **)&d), S_OK);
    V_VT(&a[0]) = VT_BSTR;
    V_BSTR(&a[0]) = SysAllocString(L"bob@example.org");
    V_VT(&a[1]) = VT_BSTR;
    V_BSTR(&a[1]) = NULL;
    assert_true(FAILED(call(d, 2 /* Invite */, DISPATCH_METHOD, a, 2, NULL, &ei)));
    VariantClear(&a[0]);
    V_VT(&a[0]) = VT_BSTR;
    V_BSTR(&a[0]) = SysAllocString(L"not a number");
    assert_true(FAILED(call(d, 4 /* Cancel */, DISPATCH_METHOD, a, 2, NULL, &ei)));
    VariantClear(&a[0]);
    assert_int_equal(call(d, 4, DISPATCH_METHOD, a, 0, NULL, &ei), DISP_E_BADPARAMCOUNT);
    assert_int_equal(state_of(p.a), SS_CONNECTED);                  /* nothing changed */
    IDispatch_Release(d);
    pair_free(&p);
}

static void test_register_application_limits(void **state)
{
    IMsgrSessionManager *m = manager(L"limits@example.org");
    WCHAR buf[300];
    BSTR g = B(APP2), n = B(L"n"), u = B(L""), p = B(L"C:\\x.exe"), long_;
    int i;
    (void)state;

    for (i = 0; i < 300; i++) buf[i] = 'a';
    unregister_app(m, APP2);
    long_ = SysAllocStringLen(buf, 257);
    FAILS(IMsgrSessionManager_RegisterApplication(m, g, long_, u, p, 0), E_INVALIDARG, &IID_IMsgrSessionManager);
    FAILS(IMsgrSessionManager_RegisterApplication(m, g, n, long_, p, 0), E_INVALIDARG, &IID_IMsgrSessionManager);
    SysFreeString(long_);
    long_ = SysAllocStringLen(buf, 261);
    FAILS(IMsgrSessionManager_RegisterApplication(m, g, n, u, long_, 0), E_INVALIDARG, &IID_IMsgrSessionManager);
    SysFreeString(long_);
    long_ = SysAllocStringLen(L"Chess\0evil", 10);      /* a NUL cannot be stored as REG_SZ text */
    FAILS(IMsgrSessionManager_RegisterApplication(m, g, long_, u, p, 0), E_INVALIDARG, &IID_IMsgrSessionManager);
    SysFreeString(long_);
    long_ = SysAllocStringLen(buf, 256);                 /* exactly at the limits: fine */
    assert_int_equal(IMsgrSessionManager_RegisterApplication(m, g, long_, long_, p, 0), S_OK);
    assert_int_equal(IMsgrSessionManager_UnRegisterApplication(m, g), S_OK);
    SysFreeString(long_);
    long_ = SysAllocString(APP2 L"X");                   /* 39 characters, not a GUID */
    FAILS(IMsgrSessionManager_RegisterApplication(m, long_, n, u, p, 0), E_INVALIDARG, &IID_IMsgrSessionManager);
    SysFreeString(long_);
    SysFreeString(g); SysFreeString(n); SysFreeString(u); SysFreeString(p);
    assert_int_equal(IMsgrSessionManager_Release(m), 0);
}

/* bob signs out while alice's invitation is on its way: OnSendError, then the end.  Once he is
 * gone, inviting him fails at once. */
static void test_send_error(void **state)
{
    IMsgrSessionManager *ma = manager(L"alice7@example.org"), *mb = manager(L"bob7@example.org");
    IMsgrSession *a = new_session(ma), *a2 = new_session(ma);
    contact cb = CONTACT(L"bob7@example.org");
    sink aev;
    const rec *r;
    BSTR app = B(APP);
    (void)state;

    register_app(ma, APP, L"NetMeeting");
    sink_init(&aev);
    advise((IUnknown *)a, &DIID_DMsgrSessionEvents, &aev);
    assert_int_equal(IMsgrSession_put_Application(a, app), S_OK);
    assert_int_equal(IMsgrSessionManager_Release(mb), 0);      /* bob leaves (from the message loop) */
    assert_int_equal(IMsgrSession_Invite(a, &cb.IDispatch_iface, NULL), S_OK);
    assert_true(pump_until(ended, &aev, 5000));
    r = find(&aev, 111, 0);                                     /* OnSendError(hr) */
    assert_non_null(r);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->vt[0], VT_I4);
    assert_int_equal((uint32_t)r->l[0], (uint32_t)SR_INVITATION_SEND_FAILURE);
    assert_true(r < find(&aev, 108, 0));
    /* OnTermination says why: bob signed out while the INVITE travelled */
    assert_int_equal((uint32_t)find(&aev, 108, 0)->l[0], (uint32_t)MSGR_E_NOT_LOGGED_ON);
    assert_int_equal(IMsgrSession_put_Application(a2, app), S_OK);
    FAILS(IMsgrSession_Invite(a2, &cb.IDispatch_iface, NULL), MSGR_E_NOT_LOGGED_ON, &IID_IMsgrSession);
    SysFreeString(app);
    unregister_app(ma, APP);
    assert_int_equal(IMsgrSession_Release(a2), 0);
    assert_int_equal(IMsgrSession_Release(a), 0);
    assert_int_equal(IMsgrSessionManager_Release(ma), 0);
}

/* The app is gone from bob's machine by the time the invitation arrives. */
static void test_app_not_present(void **state)
{
    IMsgrSessionManager *ma = manager(L"alice5@example.org"), *mb = manager(L"bob5@example.org");
    IMsgrSession *a = new_session(ma);
    contact cb = CONTACT(L"bob5@example.org");
    sink aev;
    const rec *r;
    BSTR app = B(APP2);
    (void)state;

    register_app(ma, APP2, L"File Transfer");
    sink_init(&aev);
    advise((IUnknown *)a, &DIID_DMsgrSessionEvents, &aev);
    assert_int_equal(IMsgrSession_put_Application(a, app), S_OK);
    unregister_app(ma, APP2);
    assert_int_equal(IMsgrSession_Invite(a, &cb.IDispatch_iface, NULL), S_OK);
    assert_true(pump_until(ended, &aev, 5000));
    r = find(&aev, 104, 0);                                       /* OnAppNotPresent(name, url) */
    assert_non_null(r);
    assert_int_equal(r->vt[0], VT_BSTR);
    assert_int_equal(r->vt[1], VT_BSTR);
    assert_string_equal(r->s[0], L"File Transfer");
    assert_string_equal(r->s[1], L"http://example.org/app");
    assert_int_equal((uint32_t)find(&aev, 108, 0)->l[0], (uint32_t)MSGR_E_AI_REJECT_NOT_INST);
    SysFreeString(app);
    assert_int_equal(IMsgrSession_Release(a), 0);
    IMsgrSessionManager_Release(mb);
    assert_int_equal(IMsgrSessionManager_Release(ma), 0);
}

/* A sink may release the session from inside its event. */
static void test_release_inside_event(void **state)
{
    IMsgrSessionManager *m = manager(L"release@example.org"), *mb = manager(L"release-b@example.org");
    IMsgrSession *s = new_session(m);
    contact cb = CONTACT(L"release-b@example.org");
    sink ev;
    BSTR app = B(APP);
    (void)state;

    register_app(m, APP, L"NetMeeting");
    sink_init(&ev);
    advise((IUnknown *)s, &DIID_DMsgrSessionEvents, &ev);
    assert_int_equal(IMsgrSession_put_Application(s, app), S_OK);
    ev.release_in_event = TRUE;
    ev.held = (IUnknown *)s;                 /* the test's only reference */
    assert_int_equal(IMsgrSession_Invite(s, &cb.IDispatch_iface, NULL), S_OK);
    assert_null(ev.held);
    assert_int_equal(count(&ev, 103), 1);
    assert_int_equal(ev.ref, 1);             /* the session let go of its sink as it went */
    pump(100);
    SysFreeString(app);
    unregister_app(m, APP);
    IMsgrSessionManager_Release(mb);
    assert_int_equal(IMsgrSessionManager_Release(m), 0);
}

/* ---- Lock & Key, answered locally ----------------------------------------------------------------- */
static BOOL got_lock_result(void *arg) { return count((sink *)arg, 146) > 0; }
static BOOL got_lock_challenge(void *arg) { return count((sink *)arg, 145) > 0; }

static void test_lock_and_key(void **state)
{
    IMsgrSessionManager *m = manager(L"lock@example.org");
    IMsgrLock *lock;
    LockStatus st;
    sink ev;
    BSTR id = B(L"app"), resp = B(L"0123456789abcdef0123456789abcdef");
    (void)state;

    sink_init(&ev);
    advise((IUnknown *)m, &DIID_DMsgrSessionManagerEvents, &ev);
    assert_int_equal(IMsgrSessionManager_QueryInterface(m, &IID_IMsgrLock, (void **)&lock), S_OK);
    assert_int_equal(IMsgrLock_get_Status(lock, &st), S_OK);
    assert_int_equal(st, LOCK_UNLOCKED);
    assert_int_equal(IMsgrLock_get_Status(lock, NULL), E_POINTER);
    pump(100);
    assert_int_equal(count(&ev, 147), 1);                 /* OnLockEnable(TRUE) after advising */
    assert_int_equal(find(&ev, 147, 0)->vt[0], VT_BOOL);
    assert_int_equal(find(&ev, 147, 0)->l[0], VARIANT_TRUE);
    assert_int_equal(IMsgrLock_SendResponse(lock, id, resp, 5), MSGR_E_API_NOTINITIALIZED);
    assert_int_equal(IMsgrLock_RequestChallenge(lock, 1234), S_OK);
    assert_int_equal(IMsgrLock_RequestChallenge(lock, 99), MSGR_E_API_PENDING_UNLOCK);
    assert_true(pump_until(got_lock_challenge, &ev, 5000));
    assert_int_equal(find(&ev, 145, 0)->vt[0], VT_I4);      /* OnLockChallenge(lCookie, bstrChallenge) */
    assert_int_equal(find(&ev, 145, 0)->l[0], 1234);
    assert_int_equal(find(&ev, 145, 0)->vt[1], VT_BSTR);
    assert_true(lstrlenW(find(&ev, 145, 0)->s[1]) > 0);
    assert_int_equal(IMsgrLock_SendResponse(lock, id, resp, 77), E_INVALIDARG);
    assert_int_equal(IMsgrLock_SendResponse(lock, id, resp, 1234), S_OK);
    assert_true(pump_until(got_lock_result, &ev, 5000));
    assert_int_equal(find(&ev, 146, 0)->l[0], 1234);        /* OnLockResult(lCookie, TRUE) */
    assert_int_equal(find(&ev, 146, 0)->vt[1], VT_BOOL);
    assert_int_equal(find(&ev, 146, 0)->l[1], VARIANT_TRUE);
    assert_int_equal(IMsgrLock_get_Status(lock, &st), S_OK);
    assert_int_equal(st, LOCK_UNLOCKED);
    SysFreeString(id);
    SysFreeString(resp);
    IMsgrLock_Release(lock);
    assert_int_equal(IMsgrSessionManager_Release(m), 0);
}

/* ---- module lifetime ------------------------------------------------------------------------------ */
/* HKCU\Software\msgsc decides, when no environment variable overrides it (docs/configuration.md):
 * the identity (an invitation to it is SR_INVITED_SELF), the SIP transport, where it listens and
 * the address it advertises (a new session's LocalAddress). */
static void reg_set(const WCHAR *name, const WCHAR *value)
{
    assert_int_equal(RegSetKeyValueW(HKEY_CURRENT_USER, L"Software\\msgsc", name, REG_SZ, value,
                                     (DWORD)((lstrlenW(value) + 1) * sizeof(WCHAR))), ERROR_SUCCESS);
}

static void test_configuration_from_registry(void **state)
{
    static const WCHAR *names[] = { L"Identity", L"Transport", L"ListenAddress", L"Address" };
    WCHAR transport[32] = L"";
    IMsgrSessionManager *m = NULL;
    IMsgrSession *s;
    contact self = CONTACT(L"regtest@127.0.0.1");
    BSTR app = B(APP);
    size_t i;
    (void)state;

    GetEnvironmentVariableW(L"MSGSC_TRANSPORT", transport, ARRAYSIZE(transport));
    SetEnvironmentVariableW(L"MSGSC_TRANSPORT", NULL);
    SetEnvironmentVariableW(L"MSGSC_AGENT", L"0");       /* this process's own SIP stack */
    SetEnvironmentVariableW(L"MSGSC_IDENTITY", NULL);
    reg_set(L"Identity", L"regtest@127.0.0.1");
    reg_set(L"Transport", L"udp");
    reg_set(L"ListenAddress", L"127.0.0.1:0");           /* any free port */
    reg_set(L"Address", L"127.0.0.9");
    assert_int_equal(CoCreateInstance(&CLSID_MsgrSessionManager, NULL, CLSCTX_INPROC_SERVER,
                                      &IID_IMsgrSessionManager, (void **)&m), S_OK);
    register_app(m, APP, L"NetMeeting");
    s = new_session(m);
    EXPECT_STR(IMsgrSession_get_LocalAddress(s, &got_), S_OK, L"127.0.0.9");
    assert_int_equal(IMsgrSession_put_Application(s, app), S_OK);
    FAILS(IMsgrSession_Invite(s, &self.IDispatch_iface, NULL), SR_INVITED_SELF, &IID_IMsgrSession);
    IMsgrSession_Release(s);
    unregister_app(m, APP);
    IMsgrSessionManager_Release(m);
    pump(200);                                            /* the agent goes from the message loop */
    /* a configuration that cannot work fails the creation, and leaves nothing behind */
    reg_set(L"Address", L"not an address");
    m = (IMsgrSessionManager *)0xdead;
    assert_int_equal(CoCreateInstance(&CLSID_MsgrSessionManager, NULL, CLSCTX_INPROC_SERVER,
                                      &IID_IMsgrSessionManager, (void **)&m), E_INVALIDARG);
    assert_null(m);
    reg_set(L"Address", L"127.0.0.9");
    reg_set(L"Identity", L"no at sign");
    assert_int_equal(CoCreateInstance(&CLSID_MsgrSessionManager, NULL, CLSCTX_INPROC_SERVER,
                                      &IID_IMsgrSessionManager, (void **)&m), E_INVALIDARG);
    pump(200);
    for (i = 0; i < ARRAYSIZE(names); i++)
        RegDeleteKeyValueW(HKEY_CURRENT_USER, L"Software\\msgsc", names[i]);
    SysFreeString(app);
    if (transport[0]) SetEnvironmentVariableW(L"MSGSC_TRANSPORT", transport);
    SetEnvironmentVariableW(L"MSGSC_AGENT", NULL);
}

static void test_dll_can_unload(void **state)
{
    HRESULT (WINAPI *can_unload)(void) = (void *)GetProcAddress(dll, "DllCanUnloadNow");
    IMsgrSessionManager *m;
    IMsgrSession *s;
    (void)state;

    pump(100);
    assert_int_equal(can_unload(), S_OK);
    m = manager(L"unload@example.org");
    s = new_session(m);
    assert_int_equal(IMsgrSessionManager_Release(m), 0);
    assert_int_equal(can_unload(), S_FALSE);           /* a session alone keeps the DLL */
    assert_int_equal(IMsgrSession_Release(s), 0);
    pump(100);                                         /* the apartment winds down */
    assert_int_equal(can_unload(), S_OK);
}

static int group_setup(void **state)
{
    HRESULT (WINAPI *reg)(void);
    (void)state;
    main_thread = GetCurrentThreadId();
    assert_int_equal(OleInitialize(NULL), S_OK);
    dll = LoadLibraryA(dll_path);
    if (!dll) return -1;
    reg = (void *)GetProcAddress(dll, "DllRegisterServer");
    return reg && reg() == S_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    HRESULT (WINAPI *unreg)(void) = (void *)GetProcAddress(dll, "DllUnregisterServer");
    (void)state;
    unreg();
    FreeLibrary(dll);
    OleUninitialize();
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_creation),
        cmocka_unit_test(test_session_members),
        cmocka_unit_test(test_manager_members),
        cmocka_unit_test(test_dispatch_by_dispid),
        cmocka_unit_test(test_invite_accept),
        cmocka_unit_test(test_invite_decline),
        cmocka_unit_test(test_invite_cancel),
        cmocka_unit_test(test_invite_timeout),
        cmocka_unit_test(test_limits_and_types),
        cmocka_unit_test(test_register_application_limits),
        cmocka_unit_test(test_app_not_present),
        cmocka_unit_test(test_send_error),
        cmocka_unit_test(test_release_inside_event),
        cmocka_unit_test(test_lock_and_key),
        cmocka_unit_test(test_configuration_from_registry),
        cmocka_unit_test(test_dll_can_unload),
    };
    if (argc < 2) {
        fprintf(stderr, "usage: test_client <msgsc.dll>\n");
        return 2;
    }
    dll_path = argv[1];
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
