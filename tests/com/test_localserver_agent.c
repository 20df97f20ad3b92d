/* A CLSCTX_LOCAL_SERVER client on the SIP transport: msgsc.dll runs in the COM surrogate
 * (dllhost), and that surrogate reaches the network through its user's agent (docs/agent.md),
 * like any other msgsc.dll of the user.  Run by localserver_agent.sh, which starts the peer (bob,
 * localserver_peer.js in msgsc-scripthost, with an agent of his own) and configures this user
 * (alice) in HKCU\Software\msgsc only: a surrogate on Windows gets the user's environment, not
 * the client's, so this process must carry no MSGSC_* setting of its own.
 *
 *   1. inviter: alice invites bob; her session sink, advised through the cross-process
 *      connection point, hears OnStateChanged and OnAccepted; she hangs up.
 *   2. invitee: bob invites alice; her manager sink gets OnInvitation(pSession, bstrAppData,
 *      pfHandled) across the process boundary, sets *pfHandled and accepts afterwards; bob hangs up.
 *   3. the agent's log (MSGSC_AGENT_LOG): the agent ran as alice, the only application that
 *      connected to it is a dllhost.exe, and bob's invitation was offered to and handled by that
 *      surrogate's link.  msgsc.dll was never loaded into this process.
 *
 * Environment: MSGSC_TEST_ME (alice's identity, as registered), MSGSC_TEST_PEER (bob's),
 * MSGSC_TEST_APP (the application GUID), MSGSC_AGENT_LOG (the agent's log, a Windows path).
 * Every wait is bounded; the last line is "localserver_agent: surrogate <pid>".
 */
#define COBJMACROS
#define CONST_VTABLE
#include <windows.h>
#include <ole2.h>
#include <olectl.h>
#include <tlhelp32.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "msgrpriv.h"

#define WAIT_MS 30000
#define DATA_INVITE L"hello from the surrogate"
#define DATA_BOB_ACCEPTS L"bob accepts"
#define DATA_BOB_INVITES L"bob invites the surrogate"
#define DATA_ALICE_ACCEPTS L"alice accepts"

static WCHAR me[256], peer[256], app[64], agent_log[MAX_PATH];
static IMsgrSessionManager *mgr;
static DWORD surrogate_pid;
static WCHAR first_id[64], second_id[64];  /* the two sessions' SessionID */

/* ---- small helpers -------------------------------------------------------------------------- */
static BOOL env(const WCHAR *name, WCHAR *out, DWORD cap)
{
    DWORD n = GetEnvironmentVariableW(name, out, cap);
    if (n && n < cap) return TRUE;
    print_error("%ls is not set\n", name);
    return FALSE;
}

/* The message loop: cross-process calls into this STA (events) arrive through it. */
static BOOL pump_until(const LONG *flag, LONG want, DWORD ms)
{
    DWORD end = GetTickCount() + ms;
    MSG msg;
    while (*flag < want) {
        LONG left = (LONG)(end - GetTickCount());
        if (left <= 0) return FALSE;
        MsgWaitForMultipleObjects(0, NULL, FALSE, (DWORD)min(left, 50), QS_ALLINPUT);
        while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE)) {
            TranslateMessage(&msg);
            DispatchMessageW(&msg);
        }
    }
    return TRUE;
}

static void arg_text(VARIANT *v, WCHAR *out, size_t cap)
{
    VARIANT t;
    VariantInit(&t);
    out[0] = 0;
    if (SUCCEEDED(VariantChangeType(&t, v, 0, VT_BSTR)) && V_BSTR(&t)) lstrcpynW(out, V_BSTR(&t), (int)cap);
    VariantClear(&t);
}

static LONG arg_long(VARIANT *v)
{
    VARIANT t;
    LONG r = -1;
    VariantInit(&t);
    if (SUCCEEDED(VariantChangeType(&t, v, 0, VT_I4))) r = V_I4(&t);
    return r;
}

static BSTR signin_of(IDispatch *user)
{
    OLECHAR *name = (OLECHAR *)L"SigninName";
    DISPPARAMS none = { NULL, NULL, 0, 0 };
    DISPID id;
    VARIANT res;
    VariantInit(&res);
    if (FAILED(IDispatch_GetIDsOfNames(user, &IID_NULL, &name, 1, 0, &id))) return NULL;
    if (FAILED(IDispatch_Invoke(user, id, &IID_NULL, 0, DISPATCH_PROPERTYGET, &none, &res, NULL, NULL))
        || V_VT(&res) != VT_BSTR) {
        VariantClear(&res);
        return NULL;
    }
    return V_BSTR(&res);
}

/* ---- sinks: plain IDispatch objects, called from the surrogate through the proxies ----------- */
struct sink {
    IDispatch IDispatch_iface;
    const IID *diid;
    WCHAR log[1024];                 /* "OnStateChanged(1) OnAccepted(bob accepts) ..." */
    LONG events, ended, connected, calls_on_other_threads;   /* connected: OnStateChanged(SS_ACCEPTED) */
    /* the manager's: OnInvitation */
    LONG invitations, bad_invitations;
    IDispatch *invited;              /* the session of the last invitation, kept */
    WCHAR invited_data[256];
};

static DWORD start_tick;
static struct sink *impl(IDispatch *iface) { return CONTAINING_RECORD(iface, struct sink, IDispatch_iface); }
static DWORD main_thread;

static HRESULT WINAPI sink_QI(IDispatch *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, impl(iface)->diid)) {
        *ppv = iface;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI sink_AddRef(IDispatch *iface) { return 2; }
static ULONG WINAPI sink_Release(IDispatch *iface) { return 1; }
static HRESULT WINAPI sink_GetTypeInfoCount(IDispatch *iface, UINT *n) { *n = 0; return S_OK; }
static HRESULT WINAPI sink_GetTypeInfo(IDispatch *iface, UINT i, LCID l, ITypeInfo **t) { return E_NOTIMPL; }
static HRESULT WINAPI sink_GetIDsOfNames(IDispatch *iface, REFIID r, LPOLESTR *n, UINT c, LCID l, DISPID *d)
{
    return E_NOTIMPL;
}

static void sink_log(struct sink *k, const WCHAR *fmt, ...)
{
    WCHAR line[300];
    va_list ap;
    va_start(ap, fmt);
    wvsprintfW(line, fmt, ap);
    va_end(ap);
    if (k->log[0] && lstrlenW(k->log) + 1 < (int)ARRAYSIZE(k->log)) lstrcatW(k->log, L" ");
    if (lstrlenW(k->log) + lstrlenW(line) < (int)ARRAYSIZE(k->log)) lstrcatW(k->log, line);
    k->events++;
    print_message("[%5lu ms] %ls\n", (unsigned long)(GetTickCount() - start_tick), line);
}

static HRESULT WINAPI sink_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                  DISPPARAMS *p, VARIANT *res, EXCEPINFO *ei, UINT *argerr)
{
    struct sink *k = impl(iface);
    WCHAR text[256];

    if (GetCurrentThreadId() != main_thread) k->calls_on_other_threads++;
    switch (id) {
    case 100:        /* OnInvitation(pSession, bstrAppData, pfHandled): arguments in reverse order */
        if (p->cArgs != 3 || V_VT(&p->rgvarg[2]) != VT_DISPATCH || !V_DISPATCH(&p->rgvarg[2])
            || V_VT(&p->rgvarg[1]) != VT_BSTR || V_VT(&p->rgvarg[0]) != (VT_BOOL | VT_BYREF)
            || !V_BOOLREF(&p->rgvarg[0]) || *V_BOOLREF(&p->rgvarg[0]) != VARIANT_FALSE || k->invited) {
            k->bad_invitations++;
            return S_OK;
        }
        lstrcpynW(k->invited_data, V_BSTR(&p->rgvarg[1]) ? V_BSTR(&p->rgvarg[1]) : L"", ARRAYSIZE(k->invited_data));
        k->invited = V_DISPATCH(&p->rgvarg[2]);
        IDispatch_AddRef(k->invited);          /* answered from the message loop, after this returns */
        *V_BOOLREF(&p->rgvarg[0]) = VARIANT_TRUE;
        k->invitations++;
        break;
    case 103:        /* OnStateChanged(prevState) */
        sink_log(k, L"OnStateChanged(%ld)", p->cArgs == 1 ? arg_long(&p->rgvarg[0]) : -1);
        if (p->cArgs == 1 && arg_long(&p->rgvarg[0]) == SS_ACCEPTED) k->connected++;
        break;
    case 105:        /* OnAccepted(bstrAppData) */
        arg_text(&p->rgvarg[0], text, ARRAYSIZE(text));
        sink_log(k, L"OnAccepted(%s)", p->cArgs == 1 ? text : L"?");
        break;
    case 108:        /* OnTermination(hr, bstrAppData) */
        if (p->cArgs != 2) {
            sink_log(k, L"OnTermination(?)");
        } else {
            arg_text(&p->rgvarg[0], text, ARRAYSIZE(text));
            sink_log(k, L"OnTermination(%08lX, %s)", (unsigned long)arg_long(&p->rgvarg[1]), text);
        }
        k->ended++;
        break;
    case 104: sink_log(k, L"OnAppNotPresent"); break;
    case 106: sink_log(k, L"OnDeclined"); break;
    case 107: sink_log(k, L"OnCancelled"); break;
    case 109: sink_log(k, L"OnReadyToLaunch"); break;
    case 110: sink_log(k, L"OnContextData"); break;
    case 111: sink_log(k, L"OnSendError"); break;
    case 112: sink_log(k, L"BeforeAppLaunch"); break;
    default: break;  /* the manager's other events (OnLockEnable, OnAppRegistered, ...) */
    }
    return S_OK;
}

static const IDispatchVtbl sink_vtbl = {
    sink_QI, sink_AddRef, sink_Release, sink_GetTypeInfoCount, sink_GetTypeInfo, sink_GetIDsOfNames, sink_Invoke,
};
static struct sink mgr_sink = { .IDispatch_iface = { &sink_vtbl }, .diid = &DIID_DMsgrSessionManagerEvents };
static struct sink out_sink = { .IDispatch_iface = { &sink_vtbl }, .diid = &DIID_DMsgrSessionEvents };  /* alice invites */
static struct sink in_sink = { .IDispatch_iface = { &sink_vtbl }, .diid = &DIID_DMsgrSessionEvents };   /* alice is invited */

static void advise(IUnknown *obj, REFIID diid, struct sink *k, IConnectionPoint **cp, DWORD *cookie)
{
    IConnectionPointContainer *cpc;
    assert_int_equal(IUnknown_QueryInterface(obj, &IID_IConnectionPointContainer, (void **)&cpc), S_OK);
    assert_int_equal(IConnectionPointContainer_FindConnectionPoint(cpc, diid, cp), S_OK);
    assert_int_equal(IConnectionPoint_Advise(*cp, (IUnknown *)&k->IDispatch_iface, cookie), S_OK);
    IConnectionPointContainer_Release(cpc);
}

/* A contact: any IDispatch with SigninName will do (msgsc calls it back from the surrogate). */
static HRESULT WINAPI contact_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                     DISPPARAMS *p, VARIANT *res, EXCEPINFO *ei, UINT *argerr)
{
    if (id != 7 || !(flags & DISPATCH_PROPERTYGET) || !res) return DISP_E_MEMBERNOTFOUND;
    V_VT(res) = VT_BSTR;
    V_BSTR(res) = SysAllocString(peer);
    return S_OK;
}
static HRESULT WINAPI contact_GetIDsOfNames(IDispatch *iface, REFIID r, LPOLESTR *n, UINT c, LCID l, DISPID *d)
{
    if (c == 1 && !lstrcmpiW(n[0], L"SigninName")) {
        d[0] = 7;
        return S_OK;
    }
    d[0] = DISPID_UNKNOWN;
    return DISP_E_UNKNOWNNAME;
}
static HRESULT WINAPI contact_QI(IDispatch *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
        *ppv = iface;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static const IDispatchVtbl contact_vtbl = {
    contact_QI, sink_AddRef, sink_Release, sink_GetTypeInfoCount, sink_GetTypeInfo, contact_GetIDsOfNames,
    contact_Invoke,
};
static IDispatch bob_contact = { &contact_vtbl };

/* ---- the tests -------------------------------------------------------------------------------- */
/* This process carries no msgsc setting: the surrogate must take alice's from HKCU. */
static void test_configured_in_hkcu(void **state)
{
    static const WCHAR *vars[] = { L"MSGSC_IDENTITY", L"MSGSC_TRANSPORT", L"MSGSC_LISTEN", L"MSGSC_LISTEN_PORT",
                                   L"MSGSC_AGENT", L"MSGSC_PROXY" };
    WCHAR v[256];
    DWORD size = sizeof(v), i;
    (void)state;
    for (i = 0; i < ARRAYSIZE(vars); i++) {
        if (GetEnvironmentVariableW(vars[i], v, ARRAYSIZE(v))) print_error("%ls is set\n", vars[i]);
        assert_int_equal(GetEnvironmentVariableW(vars[i], v, ARRAYSIZE(v)), 0);
    }
    assert_int_equal(RegGetValueW(HKEY_CURRENT_USER, L"Software\\msgsc", L"Identity", RRF_RT_REG_SZ, NULL, v, &size),
                     ERROR_SUCCESS);
    assert_true(!lstrcmpW(v, me));
}

static void test_inviter(void **state)
{
    IConnectionPoint *mcp, *scp;
    DWORD mcookie, scookie;
    IDispatch *d = NULL;
    IMsgrSession *s = NULL;
    SESSION_STATE st;
    BSTR b, g = SysAllocString(app), n = SysAllocString(L"Local server agent test"), u = SysAllocString(L"");
    BSTR path = SysAllocString(L"C:\\lsagent.exe"), data = SysAllocString(DATA_INVITE), bye = SysAllocString(L"bye");
    WCHAR want[512];
    long flags;
    (void)state;

    /* only through the surrogate */
    assert_int_equal(CoCreateInstance(&CLSID_MsgrSessionManager, NULL, CLSCTX_LOCAL_SERVER, &IID_IMsgrSessionManager,
                                      (void **)&mgr), S_OK);
    advise((IUnknown *)mgr, &DIID_DMsgrSessionManagerEvents, &mgr_sink, &mcp, &mcookie);
    IConnectionPoint_Release(mcp);         /* the advise stays until the manager goes */
    IMsgrSessionManager_UnRegisterApplication(mgr, g);      /* left over from an interrupted run */
    assert_int_equal(IMsgrSessionManager_RegisterApplication(mgr, g, n, u, path, 0), S_OK);

    assert_int_equal(IMsgrSessionManager_CreateSession(mgr, &d), S_OK);
    assert_int_equal(IDispatch_QueryInterface(d, &IID_IMsgrSession, (void **)&s), S_OK);
    advise((IUnknown *)s, &DIID_DMsgrSessionEvents, &out_sink, &scp, &scookie);
    assert_int_equal(IMsgrSession_put_Application(s, g), S_OK);
    assert_int_equal(IMsgrSession_Invite(s, &bob_contact, data), S_OK);
    assert_int_equal(IMsgrSession_get_Flags(s, &flags), S_OK);
    assert_int_equal(flags, SF_INVITER);
    assert_int_equal(IMsgrSession_get_SessionID(s, &b), S_OK);
    lstrcpynW(first_id, b, ARRAYSIZE(first_id));
    SysFreeString(b);

    /* bob accepts: OnStateChanged and OnAccepted come back across the process boundary, up to
     * OnStateChanged(SS_ACCEPTED), the move to SS_CONNECTED */
    if (!pump_until(&out_sink.connected, 1, WAIT_MS)) print_error("events so far: %ls\n", out_sink.log);
    assert_int_equal(out_sink.connected, 1);
    assert_int_equal(IMsgrSession_get_State(s, &st), S_OK);
    assert_int_equal(st, SS_CONNECTED);
    assert_int_equal(IMsgrSession_Cancel(s, S_OK, bye), S_OK);  /* hang up */
    if (!pump_until(&out_sink.ended, 1, WAIT_MS)) print_error("events so far: %ls\n", out_sink.log);
    wsprintfW(want, L"OnStateChanged(1) OnStateChanged(2) OnAccepted(%s) OnStateChanged(3) OnStateChanged(4) "
                    L"OnTermination(81000606, bye)", DATA_BOB_ACCEPTS);
    print_message("alice (inviter) heard: %ls\n", out_sink.log);
    assert_true(!lstrcmpW(out_sink.log, want));
    assert_int_equal(out_sink.calls_on_other_threads, 0);

    assert_int_equal(IConnectionPoint_Unadvise(scp, scookie), S_OK);
    IConnectionPoint_Release(scp);
    IMsgrSession_Release(s);
    IDispatch_Release(d);
    SysFreeString(g); SysFreeString(n); SysFreeString(u); SysFreeString(path); SysFreeString(data); SysFreeString(bye);
}

static void test_invitee(void **state)
{
    IConnectionPoint *scp;
    DWORD scookie;
    IMsgrSession *s = NULL;
    IDispatch *user = NULL;
    SESSION_STATE st;
    long flags;
    BSTR b, accept = SysAllocString(DATA_ALICE_ACCEPTS);
    WCHAR want[512];
    (void)state;

    assert_non_null(mgr);
    /* bob's invitation: OnInvitation from the surrogate, pfHandled set here travels back */
    if (!pump_until(&mgr_sink.invitations, 1, WAIT_MS)) print_error("no OnInvitation (%ld malformed)\n", mgr_sink.bad_invitations);
    assert_int_equal(mgr_sink.invitations, 1);
    assert_int_equal(mgr_sink.bad_invitations, 0);
    assert_true(!lstrcmpW(mgr_sink.invited_data, DATA_BOB_INVITES));
    assert_int_equal(IDispatch_QueryInterface(mgr_sink.invited, &IID_IMsgrSession, (void **)&s), S_OK);
    advise((IUnknown *)s, &DIID_DMsgrSessionEvents, &in_sink, &scp, &scookie);
    assert_int_equal(IMsgrSession_get_State(s, &st), S_OK);
    assert_int_equal(st, SS_INVITATION);
    assert_int_equal(IMsgrSession_get_Flags(s, &flags), S_OK);
    assert_int_equal(flags, SF_INVITEE);
    assert_int_equal(IMsgrSession_get_ContextData(s, &b), S_OK);
    assert_true(!lstrcmpW(b, DATA_BOB_INVITES));
    SysFreeString(b);
    assert_int_equal(IMsgrSession_get_User(s, &user), S_OK);
    b = signin_of(user);
    assert_non_null(b);
    assert_true(!lstrcmpiW(b, peer));
    SysFreeString(b);
    IDispatch_Release(user);
    assert_int_equal(IMsgrSession_get_SessionID(s, &b), S_OK);
    lstrcpynW(second_id, b, ARRAYSIZE(second_id));
    SysFreeString(b);

    /* accepted: bob hears OnAccepted and hangs up */
    assert_int_equal(IMsgrSession_Accept(s, accept), S_OK);
    if (!pump_until(&in_sink.ended, 1, WAIT_MS)) print_error("events so far: %ls\n", in_sink.log);
    print_message("alice (invitee) heard: %ls\n", in_sink.log);
    wsprintfW(want, L"OnStateChanged(2) OnStateChanged(3) OnStateChanged(4) OnTermination(81000607, bye from bob)");
    assert_true(!lstrcmpW(in_sink.log, want));
    assert_int_equal(in_sink.calls_on_other_threads + mgr_sink.calls_on_other_threads, 0);

    assert_int_equal(IConnectionPoint_Unadvise(scp, scookie), S_OK);
    IConnectionPoint_Release(scp);
    IMsgrSession_Release(s);
    IDispatch_Release(mgr_sink.invited);
    mgr_sink.invited = NULL;
    SysFreeString(accept);
}

/* The name and parent of a running process, from a snapshot of all of them. */
static BOOL process_info(DWORD pid, WCHAR *name, size_t cap, DWORD *parent)
{
    PROCESSENTRY32W pe;
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    BOOL found = FALSE;
    if (snap == INVALID_HANDLE_VALUE) return FALSE;
    pe.dwSize = sizeof(pe);
    for (BOOL ok = Process32FirstW(snap, &pe); ok && !found; ok = Process32NextW(snap, &pe))
        if (pe.th32ProcessID == pid) {
            lstrcpynW(name, pe.szExeFile, (int)cap);
            *parent = pe.th32ParentProcessID;
            found = TRUE;
        }
    CloseHandle(snap);
    return found;
}

static void test_agent_log(void **state)
{
    static char text[65536];
    char me8[256], id8[64], pat[160], *line, *next, *p;
    unsigned pid = 0, link = 0, hellos = 0, l, apid, agent_pid = 0, ppid;
    WCHAR name[MAX_PATH];
    DWORD got = 0, parent = 0;
    HANDLE f;
    int running = 0, offered = 0, handled = 0;
    (void)state;

    /* nothing of msgsc ran in this process: everything above went through the surrogate */
    assert_null(GetModuleHandleA("msgsc.dll"));
    f = CreateFileW(agent_log, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (f == INVALID_HANDLE_VALUE) print_error("no agent log %ls: the surrogate's agent did not get MSGSC_AGENT_LOG\n", agent_log);
    assert_true(f != INVALID_HANDLE_VALUE);
    ReadFile(f, text, sizeof(text) - 1, &got, NULL);
    CloseHandle(f);
    text[got] = 0;
    print_message("agent log:\n%s", text);
    WideCharToMultiByte(CP_UTF8, 0, me, -1, me8, sizeof(me8), NULL, NULL);
    WideCharToMultiByte(CP_UTF8, 0, second_id, -1, id8, sizeof(id8), NULL, NULL);
    snprintf(pat, sizeof(pat), "running as %s, link port ", me8);
    for (line = text; line && *line; line = next) {
        if ((next = strchr(line, '\n'))) *next++ = 0;
        if (sscanf(line, "[agent %u] ", &apid) != 1 || !(p = strstr(line, "] "))) continue;
        p += 2;
        if (!strncmp(p, pat, strlen(pat))) {
            running++;
            agent_pid = apid;
        }
        if (sscanf(p, "link %u: process %u (parent %u)", &l, &pid, &ppid) == 3) {
            hellos++;
            link = l;
            surrogate_pid = pid;
        }
        if (!strncmp(p, id8, strlen(id8)) && sscanf(p + strlen(id8), ": offered to link %u", &l) == 1 && l == link)
            offered++;
        if (!strncmp(p, id8, strlen(id8)) && sscanf(p + strlen(id8), ": handled by link %u", &l) == 1 && l == link)
            handled++;
    }
    assert_int_equal(running, 1);           /* one agent, as alice */
    assert_int_equal(hellos, 1);            /* one application connected to it ... */
    assert_true(surrogate_pid && surrogate_pid != GetCurrentProcessId());
    assert_true(process_info(surrogate_pid, name, ARRAYSIZE(name), &parent));
    /* Wine starts the surrogate from the client itself (so it inherits this environment);
     * Windows from its DCOM launcher */
    print_message("link %u: process %lu is %ls, started by process %lu (this client: %lu)\n", link,
                  (unsigned long)surrogate_pid, name, (unsigned long)parent, (unsigned long)GetCurrentProcessId());
    assert_true(!lstrcmpiW(name, L"dllhost.exe"));   /* ... the surrogate */
    /* the agent is the rundll32 that the surrogate's msgsc.dll started, alive until stopped */
    assert_true(process_info(agent_pid, name, ARRAYSIZE(name), &parent));
    print_message("agent: process %u is %ls, started by process %lu\n", agent_pid, name, (unsigned long)parent);
    assert_true(!lstrcmpiW(name, L"rundll32.exe"));
    assert_int_equal(parent, surrogate_pid);
    assert_int_equal(offered, 1);           /* bob's invitation went to the surrogate's link */
    assert_int_equal(handled, 1);           /* and its pfHandled came back */
}

static void test_release(void **state)
{
    BSTR g = SysAllocString(app);
    (void)state;
    assert_non_null(mgr);
    assert_int_equal(IMsgrSessionManager_UnRegisterApplication(mgr, g), S_OK);
    assert_int_equal(IMsgrSessionManager_Release(mgr), 0);
    mgr = NULL;
    SysFreeString(g);
}

static int setup(void **state)
{
    (void)state;
    main_thread = GetCurrentThreadId();
    start_tick = GetTickCount();
    if (!env(L"MSGSC_TEST_ME", me, ARRAYSIZE(me)) || !env(L"MSGSC_TEST_PEER", peer, ARRAYSIZE(peer))
        || !env(L"MSGSC_TEST_APP", app, ARRAYSIZE(app)) || !env(L"MSGSC_AGENT_LOG", agent_log, ARRAYSIZE(agent_log)))
        return -1;
    return OleInitialize(NULL) == S_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (mgr) IMsgrSessionManager_Release(mgr);
    OleUninitialize();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_configured_in_hkcu),
        cmocka_unit_test(test_inviter),
        cmocka_unit_test(test_invitee),
        cmocka_unit_test(test_agent_log),
        cmocka_unit_test(test_release),
    };
    int fails = cmocka_run_group_tests(tests, setup, teardown);
    printf("localserver_agent: surrogate %lu\n", (unsigned long)surrogate_pid);
    return fails;
}
