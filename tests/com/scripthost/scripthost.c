/* msgsc-scripthost: a small Windows Script Host stand-in that delivers COM events to VBScript and
 * JScript, for msgsc's script tests under Wine.  Wine's cscript cannot: it has no ConnectObject,
 * no CreateObject(progid, prefix) and no working Sleep (docs/toolchain.md §8).
 *
 *   msgsc-scripthost [--timeout SECONDS] [--wait] [--selftest-source]
 *                    [--env NAME=VALUE]... SCRIPT [[--env NAME=VALUE]... SCRIPT]...
 *
 * SCRIPT ends in .vbs (VBScript) or .js (JScript).  All scripts run in one thread, an STA, each in
 * its own engine, in the order given.  A script's --env settings are applied just before its
 * top-level code runs (SetEnvironmentVariableW and the C runtime's _wputenv, so objects created
 * by that script see them through GetEnvironmentVariable and getenv alike); they stay in force
 * for later scripts unless overridden.  "--env NAME=" removes NAME.
 *
 * After every script's top-level code has run, the host pumps window messages (events arrive as
 * posted messages) until a script calls WScript.Quit or the timeout expires.  So:
 *   - a script that waits for events must not call WScript.Quit at its end; the event handler
 *     that sees the last event calls WScript.Quit(0);
 *   - a script that is done calls WScript.Quit(0).  Like cscript, if no script holds an event
 *     connection when the last top-level code ends, the host exits at once (code 0) anyway;
 *     --wait makes it pump until Quit or the timeout even then.
 *
 * The named item WScript (also WSH): Echo(args...), Quit([code]), Sleep(ms) (pumps messages, so
 * events arrive while a script sleeps), CreateObject(progid [, prefix]), ConnectObject(obj,
 * prefix), DisconnectObject(obj), ScriptName, ScriptFullName, Name.  No Arguments, no StdOut.
 *
 * Events: ConnectObject asks the object for its default source interface (IProvideClassInfo2::
 * GetGUID, IProvideClassInfo::GetClassInfo -> [default, source] of the coclass), advises a sink,
 * and on each event calls the script function prefix + event name with the event's arguments in
 * declared order.  A missing handler is skipped.  By-reference arguments: VBScript handlers get
 * them as references (a VT_BYREF|VT_VARIANT to a copy, written back into the source's variable,
 * converted to its type, when the handler returns), so `handled = True` reaches the source.
 * JScript has no by-reference parameters: its handlers get values and cannot write back.
 *
 * Quit stops everything: nothing else is dispatched, Sleep returns at once, no more handlers run.
 * Wine's engines do not implement InterruptScriptThread, so Quit returns E_ABORT to the engine,
 * which ends the running script (top-level code or handler) as if by a runtime error that the
 * host then does not report.  A script that traps errors (On Error Resume Next, try/catch) keeps
 * running its own code after Quit, but every WScript call then fails at once.
 *
 * Exit code: the Quit code (0 without Quit); 2 if any script error was reported (a syntax or
 * runtime error, also inside an event handler), even if Quit(0) came later; 124 on timeout
 * (default 30 s, "--timeout 0" for none; "scripthost: timeout" on stderr; a script that never
 * returns is killed 2 s later); 3 for usage errors and scripts or engines that cannot be loaded.  Errors are printed to stderr as
 *   file(line, col): source: description (0xHRESULT)
 * followed by the source line when known.  Wine's VBScript often leaves the description empty.
 * stdout gets UTF-8 with \n line endings, flushed after each Echo.
 *
 * --selftest-source adds a hidden object for the host's own tests:
 * WScript.CreateObject("ScriptHost.TestSource", "T_") returns an object with IProvideClassInfo2
 * and one connection point for DTestSourceEvents (testsource.idl).  Fire(text, number) posts a
 * message; from the message loop it then fires OnSomething(text, number, handled*) and
 * OnAfter(handled, count), as msgsc does.  Properties: FireCount, LastHandled, Connections.
 *
 * Under Wine: /usr/lib/wine/wine64 msgsc-scripthost.exe t.vbs (x86_64), wine ... (i686); see
 * README.md here, which also lists the host's own tests (t/, ctest -R scripthost).
 */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0601
#endif
#define COBJMACROS
#define CONST_VTABLE
#include <windows.h>
#include <ole2.h>
#include <oleauto.h>
#include <olectl.h>
#include <ocidl.h>
#include <shellapi.h>
/* The engines' parse interfaces (IActiveScriptParse64 on x86_64) are missing from libuuid:
 * let the header define the GUIDs here. */
#include <initguid.h>
#include <activscp.h>
#include "testsource.h"

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

DEFINE_GUID(CLSID_ShVBScript, 0xb54f3741, 0x5b07, 0x11cf, 0xa4, 0xb0, 0x00, 0xaa, 0x00, 0x4a, 0x55, 0xe8);
DEFINE_GUID(CLSID_ShJScript, 0xf414c260, 0x6ac0, 0x11cf, 0xb6, 0xd1, 0x00, 0xaa, 0x00, 0xbb, 0xbb, 0x58);

#define EXIT_SCRIPT_ERROR 2
#define EXIT_LOAD_ERROR 3
#define EXIT_TIMEOUT 124
#define WM_TESTSOURCE_FIRE (WM_APP + 1)

/* ---- state ------------------------------------------------------------------------------------ */

struct script {
    IActiveScriptSite IActiveScriptSite_iface;
    IDispatch WScript_iface;        /* the named item WScript (and WSH) */
    const WCHAR *path;              /* as given */
    const WCHAR *name;              /* its file name part */
    WCHAR *full_path;
    BOOL jscript;
    int env_first, env_count;       /* its --env settings, in host.env */
    WCHAR *text;
    IActiveScript *engine;
    IActiveScriptParse *parse;
};

struct sink;

struct connection {
    struct connection *next;
    struct script *script;
    IUnknown *identity;             /* the object's IUnknown, for DisconnectObject */
    IConnectionPoint *point;
    DWORD cookie;
    struct sink *sink;
};

static struct {
    struct script *scripts;
    int nscripts;
    const WCHAR **env;
    int nenv;
    BOOL selftest, wait;
    ULONGLONG deadline;             /* GetTickCount64() value; 0: no timeout */
    BOOL quit, timed_out, error;
    int quit_code;
    unsigned error_reports;         /* OnScriptError calls so far */
    struct connection *connections;
    HWND window;                    /* message-only: the test source posts to it */
    ITypeLib *typelib;              /* the test source's, from our resources */
} host;

static BOOL stopping(void)
{
    return host.quit || host.timed_out;
}

/* ---- output ----------------------------------------------------------------------------------- */

static void put_w(FILE *f, const WCHAR *s, int len)
{
    char small[512], *buf = small;
    int n;

    if (len < 0)
        len = lstrlenW(s);
    if (!len)
        return;
    n = WideCharToMultiByte(CP_UTF8, 0, s, len, NULL, 0, NULL, NULL);
    if (n <= 0)
        return;
    if (n > (int)sizeof(small) && !(buf = malloc(n)))
        return;
    WideCharToMultiByte(CP_UTF8, 0, s, len, buf, n, NULL, NULL);
    fwrite(buf, 1, n, f);
    if (buf != small)
        free(buf);
}

static void print_script_error(const struct script *sc, BOOL have_pos, ULONG line, LONG col,
                               const EXCEPINFO *ei, HRESULT hr, const WCHAR *source_line,
                               const WCHAR *during)
{
    char num[64];
    const WCHAR *desc = ei && ei->bstrDescription ? ei->bstrDescription : L"";

    if (ei && ei->scode)
        hr = ei->scode;
    else if (ei && ei->wCode)
        hr = MAKE_HRESULT(SEVERITY_ERROR, FACILITY_CONTROL, ei->wCode);
    put_w(stderr, sc->path, -1);
    if (have_pos) {
        snprintf(num, sizeof(num), "(%lu, %ld)", (unsigned long)line + 1, (long)col + 1);
        fputs(num, stderr);
    }
    fputs(": ", stderr);
    if (ei && ei->bstrSource && *ei->bstrSource) {
        put_w(stderr, ei->bstrSource, -1);
        fputs(": ", stderr);
    }
    put_w(stderr, *desc ? desc : L"(no description)", -1);
    if (during) {
        fputs(" [in ", stderr);
        put_w(stderr, during, -1);
        fputs("]", stderr);
    }
    snprintf(num, sizeof(num), " (0x%08lx)\n", (unsigned long)hr);
    fputs(num, stderr);
    if (source_line && *source_line) {
        fputs("    ", stderr);
        put_w(stderr, source_line, -1);
        fputs("\n", stderr);
    }
    fflush(stderr);
}

/* Line `line` (0-based) of the script's text, for errors whose engine gives no source line. */
static BSTR text_line(const struct script *sc, ULONG line)
{
    const WCHAR *p = sc->text, *end;

    while (line && *p) {
        if (*p == '\n')
            line--;
        p++;
    }
    if (line)
        return NULL;
    for (end = p; *end && *end != '\n' && *end != '\r'; end++)
        ;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return SysAllocStringLen(p, (UINT)(end - p));
}

static void clear_excepinfo(EXCEPINFO *ei)
{
    SysFreeString(ei->bstrSource);
    SysFreeString(ei->bstrDescription);
    SysFreeString(ei->bstrHelpFile);
    memset(ei, 0, sizeof(*ei));
}

/* Fail a WScript call with a message the engine shows in its error report. */
static HRESULT raise(EXCEPINFO *ei, HRESULT hr, const WCHAR *what, const WCHAR *detail)
{
    size_t n;
    WCHAR *d;

    if (!ei)
        return hr;
    memset(ei, 0, sizeof(*ei));
    ei->scode = hr;
    ei->bstrSource = SysAllocString(L"WScript");
    n = lstrlenW(what) + (detail ? lstrlenW(detail) + 3 : 0) + 1;
    if ((d = malloc(n * sizeof(WCHAR)))) {
        lstrcpyW(d, what);
        if (detail) {
            lstrcatW(d, L" '");
            lstrcatW(d, detail);
            lstrcatW(d, L"'");
        }
        ei->bstrDescription = SysAllocString(d);
        free(d);
    }
    return DISP_E_EXCEPTION;
}

/* ---- message pump ----------------------------------------------------------------------------- */

/* Dispatch messages until `end` (GetTickCount64 value, or 0: until stopped). */
static void pump_until(ULONGLONG end)
{
    for (;;) {
        MSG msg;
        ULONGLONG now, limit;

        while (!stopping() && PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE)) {
            TranslateMessage(&msg);
            DispatchMessageW(&msg);
        }
        if (stopping())
            return;
        now = GetTickCount64();
        if (host.deadline && now >= host.deadline) {
            host.timed_out = TRUE;
            fputs("scripthost: timeout\n", stderr);
            fflush(stderr);
            return;
        }
        if (end && now >= end)
            return;
        limit = end;
        if (host.deadline && (!limit || host.deadline < limit))
            limit = host.deadline;
        MsgWaitForMultipleObjectsEx(0, NULL, limit ? (DWORD)(limit - now) : INFINITE, QS_ALLINPUT,
                                    MWMO_INPUTAVAILABLE);
    }
}

/* A script that never returns (a busy loop, a blocking call) cannot be stopped from the message
 * loop: two seconds after the deadline this thread ends the process. */
static DWORD WINAPI watchdog(void *unused)
{
    static const char msg[] = "scripthost: timeout (a script did not return, killed)\n";
    ULONGLONG until = host.deadline + 2000, now;
    DWORD written;

    while ((now = GetTickCount64()) < until)
        Sleep((DWORD)(until - now));
    WriteFile(GetStdHandle(STD_ERROR_HANDLE), msg, sizeof(msg) - 1, &written, NULL);
    TerminateProcess(GetCurrentProcess(), EXIT_TIMEOUT);
    return 0;
}

/* ---- arguments of IDispatch calls ------------------------------------------------------------- */

static VARIANT *deref(VARIANT *v)
{
    while (V_VT(v) == (VT_BYREF | VT_VARIANT))
        v = V_VARIANTREF(v);
    return v;
}

/* Positional argument i (declared order), or NULL when it was not passed. */
static VARIANT *get_arg(DISPPARAMS *dp, UINT i)
{
    VARIANT *v;

    if (i >= dp->cArgs - dp->cNamedArgs)
        return NULL;
    v = deref(&dp->rgvarg[dp->cArgs - 1 - i]);
    if (V_VT(v) == VT_ERROR && V_ERROR(v) == DISP_E_PARAMNOTFOUND)
        return NULL;
    return v;
}

static HRESULT arg_bstr(DISPPARAMS *dp, UINT i, BSTR *out)
{
    VARIANT *v = get_arg(dp, i), tmp;
    HRESULT hr;

    *out = NULL;
    if (!v)
        return DISP_E_PARAMNOTFOUND;
    VariantInit(&tmp);
    hr = VariantChangeType(&tmp, v, 0, VT_BSTR);
    if (SUCCEEDED(hr))
        *out = V_BSTR(&tmp);
    return hr;
}

static HRESULT arg_long(DISPPARAMS *dp, UINT i, LONG *out)
{
    VARIANT *v = get_arg(dp, i), tmp;
    HRESULT hr;

    if (!v)
        return DISP_E_PARAMNOTFOUND;
    VariantInit(&tmp);
    hr = VariantChangeType(&tmp, v, 0, VT_I4);
    if (SUCCEEDED(hr))
        *out = V_I4(&tmp);
    return hr;
}

static HRESULT arg_dispatch(DISPPARAMS *dp, UINT i, IDispatch **out)
{
    VARIANT *v = get_arg(dp, i), tmp;
    HRESULT hr;

    *out = NULL;
    if (!v)
        return DISP_E_PARAMNOTFOUND;
    VariantInit(&tmp);
    hr = VariantChangeType(&tmp, v, 0, VT_DISPATCH);
    if (SUCCEEDED(hr) && !V_DISPATCH(&tmp))
        hr = DISP_E_TYPEMISMATCH;
    if (SUCCEEDED(hr))
        *out = V_DISPATCH(&tmp);
    return hr;
}

static HRESULT set_result_bstr(VARIANT *res, const WCHAR *s)
{
    if (!res)
        return S_OK;
    V_VT(res) = VT_BSTR;
    V_BSTR(res) = SysAllocString(s);
    return V_BSTR(res) ? S_OK : E_OUTOFMEMORY;
}

struct member {
    const WCHAR *name;
    DISPID id;
};

static HRESULT ids_of_names(const struct member *members, size_t count, LPOLESTR *names,
                            UINT cnames, DISPID *ids)
{
    HRESULT hr = S_OK;
    UINT i;
    size_t j;

    for (i = 0; i < cnames; i++)
        ids[i] = DISPID_UNKNOWN;
    for (j = 0; cnames && j < count; j++)
        if (!lstrcmpiW(names[0], members[j].name))
            ids[0] = members[j].id;
    if (!cnames || ids[0] == DISPID_UNKNOWN)
        hr = DISP_E_UNKNOWNNAME;
    else if (cnames > 1)
        hr = DISP_E_UNKNOWNNAME;    /* no named arguments */
    return hr;
}

/* ---- calling script event handlers ------------------------------------------------------------ */

/* Store `val`, converted, through the by-reference argument `dst` (not VT_VARIANT). */
static void write_back(VARIANT *dst, VARIANT *val)
{
    VARTYPE vt = V_VT(dst) & ~VT_BYREF;
    VARIANT conv;

    if (vt & (VT_ARRAY | VT_VECTOR) || !V_BYREF(dst))
        return;
    VariantInit(&conv);
    if (FAILED(VariantChangeType(&conv, val, 0, vt)))
        return;
    switch (vt) {
    case VT_BOOL: *V_BOOLREF(dst) = V_BOOL(&conv); break;
    case VT_I1: *V_I1REF(dst) = V_I1(&conv); break;
    case VT_UI1: *V_UI1REF(dst) = V_UI1(&conv); break;
    case VT_I2: *V_I2REF(dst) = V_I2(&conv); break;
    case VT_UI2: *V_UI2REF(dst) = V_UI2(&conv); break;
    case VT_I4: *V_I4REF(dst) = V_I4(&conv); break;
    case VT_UI4: *V_UI4REF(dst) = V_UI4(&conv); break;
    case VT_INT: *V_INTREF(dst) = V_INT(&conv); break;
    case VT_UINT: *V_UINTREF(dst) = V_UINT(&conv); break;
    case VT_I8: *V_I8REF(dst) = V_I8(&conv); break;
    case VT_UI8: *V_UI8REF(dst) = V_UI8(&conv); break;
    case VT_R4: *V_R4REF(dst) = V_R4(&conv); break;
    case VT_R8: *V_R8REF(dst) = V_R8(&conv); break;
    case VT_CY: *V_CYREF(dst) = V_CY(&conv); break;
    case VT_DATE: *V_DATEREF(dst) = V_DATE(&conv); break;
    case VT_ERROR: *V_ERRORREF(dst) = V_ERROR(&conv); break;
    case VT_DECIMAL: *V_DECIMALREF(dst) = V_DECIMAL(&conv); break;
    case VT_BSTR:
        SysFreeString(*V_BSTRREF(dst));
        *V_BSTRREF(dst) = V_BSTR(&conv);
        V_VT(&conv) = VT_EMPTY;
        break;
    case VT_DISPATCH:
        if (*V_DISPATCHREF(dst))
            IDispatch_Release(*V_DISPATCHREF(dst));
        *V_DISPATCHREF(dst) = V_DISPATCH(&conv);
        V_VT(&conv) = VT_EMPTY;
        break;
    case VT_UNKNOWN:
        if (*V_UNKNOWNREF(dst))
            IUnknown_Release(*V_UNKNOWNREF(dst));
        *V_UNKNOWNREF(dst) = V_UNKNOWN(&conv);
        V_VT(&conv) = VT_EMPTY;
        break;
    default:
        break;
    }
    VariantClear(&conv);
}

/* Call the script function prefix + event with the event's arguments.  `dp` is the source's
 * DISPPARAMS (arguments reversed, as always), passed on in the same order. */
static void call_handler(struct script *sc, const WCHAR *prefix, const WCHAR *event, DISPPARAMS *dp)
{
    UINT n = dp->cArgs, nnamed = dp->cNamedArgs, i, argerr = 0;
    WCHAR *fname;
    IDispatch *disp = NULL;
    DISPID id;
    VARIANT *args = NULL, *temps = NULL, **origs = NULL, ret;
    BOOL *byref = NULL, *used = NULL;
    UINT *slots = NULL;
    DISPPARAMS call;
    EXCEPINFO ei;
    unsigned reports;
    HRESULT hr;

    if (!(fname = malloc((lstrlenW(prefix) + lstrlenW(event) + 1) * sizeof(WCHAR))))
        return;
    lstrcpyW(fname, prefix);
    lstrcatW(fname, event);
    if (FAILED(IActiveScript_GetScriptDispatch(sc->engine, NULL, &disp)) || !disp)
        goto done;
    if (FAILED(IDispatch_GetIDsOfNames(disp, &IID_NULL, &fname, 1, LOCALE_USER_DEFAULT, &id)))
        goto done;      /* no handler for this event: skipped, as WSH does */

    args = calloc(n ? n : 1, sizeof(VARIANT));
    temps = calloc(n ? n : 1, sizeof(VARIANT));
    origs = calloc(n ? n : 1, sizeof(VARIANT *));
    byref = calloc(n ? n : 1, sizeof(BOOL));
    used = calloc(n ? n : 1, sizeof(BOOL));
    slots = calloc(n ? n : 1, sizeof(UINT));
    if (!args || !temps || !origs || !byref || !used || !slots)
        goto done;
    /* The script sees positional arguments only: a named one (its DISPID is the parameter's
     * index) goes to its place, positional ones keep theirs; if the names do not make a
     * permutation, everything stays where it is. */
    for (i = 0; i < n; i++) {
        UINT pos = i < nnamed ? (UINT)dp->rgdispidNamedArgs[i] : n - 1 - i;

        if (pos >= n || used[n - 1 - pos])
            break;
        slots[i] = n - 1 - pos;
        used[slots[i]] = TRUE;
    }
    if (i < n)
        for (i = 0; i < n; i++)
            slots[i] = i;
    for (i = 0; i < n; i++) {
        UINT slot = slots[i];
        VARIANT *src = &dp->rgvarg[i];

        origs[slot] = src;
        VariantInit(&temps[slot]);
        if (!(V_VT(src) & VT_BYREF)) {
            args[slot] = *src;                          /* shallow: the source owns it */
        } else if (sc->jscript) {
            VariantCopyInd(&temps[slot], src);          /* JScript: values only */
            args[slot] = temps[slot];
        } else if (V_VT(src) == (VT_BYREF | VT_VARIANT)) {
            args[slot] = *src;                          /* already what VBScript takes by ref */
        } else {
            /* Wine's VBScript binds only VT_BYREF|VT_VARIANT to a ByRef parameter and copies
             * any other by-reference type, so hand it a variant and write it back afterwards. */
            VariantCopyInd(&temps[slot], src);
            V_VT(&args[slot]) = VT_BYREF | VT_VARIANT;
            V_VARIANTREF(&args[slot]) = &temps[slot];
            byref[slot] = TRUE;
        }
    }

    call.rgvarg = args;
    call.rgdispidNamedArgs = NULL;
    call.cArgs = n;
    call.cNamedArgs = 0;
    VariantInit(&ret);
    memset(&ei, 0, sizeof(ei));
    reports = host.error_reports;
    hr = IDispatch_Invoke(disp, id, &IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_METHOD, &call, &ret,
                          &ei, &argerr);
    if (FAILED(hr) && !stopping()) {
        /* An error in a handler counts; print it unless the engine reported it already. */
        if (host.error_reports == reports)
            print_script_error(sc, FALSE, 0, 0, &ei, hr, NULL, fname);
        host.error = TRUE;
    }
    clear_excepinfo(&ei);
    VariantClear(&ret);

    for (i = 0; i < n; i++) {
        if (byref[i])
            write_back(origs[i], &temps[i]);
        VariantClear(&temps[i]);
    }

done:
    free(slots);
    free(used);
    free(byref);
    free(origs);
    free(temps);
    free(args);
    if (disp)
        IDispatch_Release(disp);
    free(fname);
}

/* ---- the generic event sink ------------------------------------------------------------------- */

struct sink {
    IDispatch IDispatch_iface;
    LONG ref;
    IID iid;                        /* the source interface */
    ITypeInfo *events;              /* its type information: names by DISPID */
    struct script *script;
    WCHAR *prefix;
};

static struct sink *sink_from_iface(IDispatch *iface)
{
    return CONTAINING_RECORD(iface, struct sink, IDispatch_iface);
}

static HRESULT STDMETHODCALLTYPE sink_QueryInterface(IDispatch *iface, REFIID riid, void **out)
{
    struct sink *s = sink_from_iface(iface);

    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)
        || IsEqualIID(riid, &s->iid)) {
        *out = iface;
        IDispatch_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE sink_AddRef(IDispatch *iface)
{
    return InterlockedIncrement(&sink_from_iface(iface)->ref);
}

static ULONG STDMETHODCALLTYPE sink_Release(IDispatch *iface)
{
    struct sink *s = sink_from_iface(iface);
    LONG ref = InterlockedDecrement(&s->ref);

    if (!ref) {
        if (s->events)
            ITypeInfo_Release(s->events);
        free(s->prefix);
        free(s);
    }
    return ref;
}

static HRESULT STDMETHODCALLTYPE sink_GetTypeInfoCount(IDispatch *iface, UINT *count)
{
    *count = 0;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_GetTypeInfo(IDispatch *iface, UINT index, LCID lcid,
                                                  ITypeInfo **ti)
{
    *ti = NULL;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE sink_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *names,
                                                    UINT count, LCID lcid, DISPID *ids)
{
    struct sink *s = sink_from_iface(iface);

    return ITypeInfo_GetIDsOfNames(s->events, names, count, ids);
}

static HRESULT STDMETHODCALLTYPE sink_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid,
                                             WORD flags, DISPPARAMS *dp, VARIANT *res,
                                             EXCEPINFO *ei, UINT *argerr)
{
    struct sink *s = sink_from_iface(iface);
    BSTR name = NULL;
    UINT got = 0;

    if (stopping() || !dp)
        return S_OK;
    if (FAILED(ITypeInfo_GetNames(s->events, id, &name, 1, &got)) || !got)
        return S_OK;
    IDispatch_AddRef(iface);        /* the handler may disconnect us */
    call_handler(s->script, s->prefix, name, dp);
    IDispatch_Release(iface);
    SysFreeString(name);
    return S_OK;                    /* like WSH: the handler's failure is not the source's */
}

static const IDispatchVtbl sink_vtbl = {
    sink_QueryInterface, sink_AddRef, sink_Release, sink_GetTypeInfoCount, sink_GetTypeInfo,
    sink_GetIDsOfNames, sink_Invoke,
};

/* ---- ConnectObject / DisconnectObject --------------------------------------------------------- */

static ITypeInfo *default_source(ITypeInfo *coclass)
{
    TYPEATTR *attr;
    ITypeInfo *found = NULL;
    UINT i;

    if (FAILED(ITypeInfo_GetTypeAttr(coclass, &attr)))
        return NULL;
    for (i = 0; i < attr->cImplTypes && !found; i++) {
        INT flags = 0;
        HREFTYPE ref;

        if (SUCCEEDED(ITypeInfo_GetImplTypeFlags(coclass, i, &flags))
            && (flags & (IMPLTYPEFLAG_FDEFAULT | IMPLTYPEFLAG_FSOURCE))
                   == (IMPLTYPEFLAG_FDEFAULT | IMPLTYPEFLAG_FSOURCE)
            && SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(coclass, i, &ref)))
            ITypeInfo_GetRefTypeInfo(coclass, ref, &found);
    }
    ITypeInfo_ReleaseTypeAttr(coclass, attr);
    return found;
}

static HRESULT connect_object(struct script *sc, IDispatch *obj, const WCHAR *prefix, EXCEPINFO *ei)
{
    IProvideClassInfo2 *pci2;
    IProvideClassInfo *pci;
    IConnectionPointContainer *cpc = NULL;
    IConnectionPoint *point = NULL;
    ITypeInfo *coclass = NULL, *events = NULL;
    struct connection *conn = NULL;
    struct sink *s = NULL;
    IID iid;
    BOOL have_iid = FALSE;
    HRESULT hr;

    if (SUCCEEDED(IDispatch_QueryInterface(obj, &IID_IProvideClassInfo2, (void **)&pci2))) {
        have_iid = SUCCEEDED(IProvideClassInfo2_GetGUID(pci2, GUIDKIND_DEFAULT_SOURCE_DISP_IID, &iid));
        IProvideClassInfo2_Release(pci2);
    }
    if (SUCCEEDED(IDispatch_QueryInterface(obj, &IID_IProvideClassInfo, (void **)&pci))) {
        if (SUCCEEDED(IProvideClassInfo_GetClassInfo(pci, &coclass)) && coclass) {
            events = default_source(coclass);
            ITypeInfo_Release(coclass);
        }
        IProvideClassInfo_Release(pci);
    }
    if (events && !have_iid) {
        TYPEATTR *attr;
        if (SUCCEEDED(ITypeInfo_GetTypeAttr(events, &attr))) {
            iid = attr->guid;
            have_iid = TRUE;
            ITypeInfo_ReleaseTypeAttr(events, attr);
        }
    }
    if (!events && have_iid) {
        /* No class info, but a GUID: look for its type information next to the object's own. */
        ITypeInfo *own;
        ITypeLib *lib;
        UINT index;
        if (SUCCEEDED(IDispatch_GetTypeInfo(obj, 0, LOCALE_USER_DEFAULT, &own)) && own) {
            if (SUCCEEDED(ITypeInfo_GetContainingTypeLib(own, &lib, &index))) {
                ITypeLib_GetTypeInfoOfGuid(lib, &iid, &events);
                ITypeLib_Release(lib);
            }
            ITypeInfo_Release(own);
        }
    }
    if (!have_iid || !events) {
        hr = raise(ei, E_NOINTERFACE,
                   L"ConnectObject: the object names no default source interface "
                   L"(IProvideClassInfo) for prefix", prefix);
        goto fail;
    }

    hr = IDispatch_QueryInterface(obj, &IID_IConnectionPointContainer, (void **)&cpc);
    if (SUCCEEDED(hr))
        hr = IConnectionPointContainer_FindConnectionPoint(cpc, &iid, &point);
    if (FAILED(hr)) {
        hr = raise(ei, hr, L"ConnectObject: the object has no connection point for its events, prefix",
                   prefix);
        goto fail;
    }

    s = calloc(1, sizeof(*s));
    conn = calloc(1, sizeof(*conn));
    if (!s || !conn || !(s->prefix = malloc((lstrlenW(prefix) + 1) * sizeof(WCHAR)))) {
        hr = E_OUTOFMEMORY;
        goto fail;
    }
    s->IDispatch_iface.lpVtbl = &sink_vtbl;
    s->ref = 1;
    s->iid = iid;
    s->events = events;
    events = NULL;
    s->script = sc;
    lstrcpyW(s->prefix, prefix);

    hr = IConnectionPoint_Advise(point, (IUnknown *)&s->IDispatch_iface, &conn->cookie);
    if (FAILED(hr)) {
        hr = raise(ei, hr, L"ConnectObject: Advise failed, prefix", prefix);
        goto fail;
    }
    IDispatch_QueryInterface(obj, &IID_IUnknown, (void **)&conn->identity);
    conn->script = sc;
    conn->point = point;
    conn->sink = s;
    conn->next = host.connections;
    host.connections = conn;
    IConnectionPointContainer_Release(cpc);
    return S_OK;

fail:
    if (s)
        IDispatch_Release(&s->IDispatch_iface);
    free(conn);
    if (point)
        IConnectionPoint_Release(point);
    if (cpc)
        IConnectionPointContainer_Release(cpc);
    if (events)
        ITypeInfo_Release(events);
    return hr;
}

static void disconnect(struct connection **link)
{
    struct connection *conn = *link;

    *link = conn->next;
    IConnectionPoint_Unadvise(conn->point, conn->cookie);
    IConnectionPoint_Release(conn->point);
    if (conn->identity)
        IUnknown_Release(conn->identity);
    IDispatch_Release(&conn->sink->IDispatch_iface);
    free(conn);
}

static void disconnect_object(struct script *sc, IDispatch *obj)
{
    struct connection **link = &host.connections;
    IUnknown *identity;

    if (FAILED(IDispatch_QueryInterface(obj, &IID_IUnknown, (void **)&identity)))
        return;
    while (*link) {
        if ((*link)->script == sc && (*link)->identity == identity)
            disconnect(link);
        else
            link = &(*link)->next;
    }
    IUnknown_Release(identity);
}

/* ---- the test event source (--selftest-source) ------------------------------------------------ */

#define TESTSOURCE_MAX_SINKS 8

struct test_source {
    IDispatch IDispatch_iface;
    IProvideClassInfo2 IProvideClassInfo2_iface;
    IConnectionPointContainer IConnectionPointContainer_iface;
    IConnectionPoint IConnectionPoint_iface;
    LONG ref;
    IDispatch *sinks[TESTSOURCE_MAX_SINKS];
    LONG fired;
    VARIANT_BOOL last_handled;
};

struct pending_fire {
    struct test_source *src;
    BSTR text;
    LONG number;
};

static struct test_source *ts_from_disp(IDispatch *iface)
{
    return CONTAINING_RECORD(iface, struct test_source, IDispatch_iface);
}

static struct test_source *ts_from_pci(IProvideClassInfo2 *iface)
{
    return CONTAINING_RECORD(iface, struct test_source, IProvideClassInfo2_iface);
}

static struct test_source *ts_from_cpc(IConnectionPointContainer *iface)
{
    return CONTAINING_RECORD(iface, struct test_source, IConnectionPointContainer_iface);
}

static struct test_source *ts_from_cp(IConnectionPoint *iface)
{
    return CONTAINING_RECORD(iface, struct test_source, IConnectionPoint_iface);
}

static HRESULT STDMETHODCALLTYPE ts_QueryInterface(IDispatch *iface, REFIID riid, void **out)
{
    struct test_source *ts = ts_from_disp(iface);

    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch))
        *out = &ts->IDispatch_iface;
    else if (IsEqualIID(riid, &IID_IProvideClassInfo) || IsEqualIID(riid, &IID_IProvideClassInfo2))
        *out = &ts->IProvideClassInfo2_iface;
    else if (IsEqualIID(riid, &IID_IConnectionPointContainer))
        *out = &ts->IConnectionPointContainer_iface;
    else {
        *out = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*out);
    return S_OK;
}

static ULONG STDMETHODCALLTYPE ts_AddRef(IDispatch *iface)
{
    return InterlockedIncrement(&ts_from_disp(iface)->ref);
}

static ULONG STDMETHODCALLTYPE ts_Release(IDispatch *iface)
{
    struct test_source *ts = ts_from_disp(iface);
    LONG ref = InterlockedDecrement(&ts->ref);
    int i;

    if (!ref) {
        for (i = 0; i < TESTSOURCE_MAX_SINKS; i++)
            if (ts->sinks[i])
                IDispatch_Release(ts->sinks[i]);
        free(ts);
    }
    return ref;
}

static HRESULT STDMETHODCALLTYPE ts_GetTypeInfoCount(IDispatch *iface, UINT *count)
{
    *count = 0;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE ts_GetTypeInfo(IDispatch *iface, UINT index, LCID lcid, ITypeInfo **ti)
{
    *ti = NULL;
    return E_NOTIMPL;
}

enum { TS_FIRE = 1, TS_FIRECOUNT, TS_LASTHANDLED, TS_CONNECTIONS };

static const struct member ts_members[] = {
    { L"Fire", TS_FIRE },
    { L"FireCount", TS_FIRECOUNT },
    { L"LastHandled", TS_LASTHANDLED },
    { L"Connections", TS_CONNECTIONS },
};

static HRESULT STDMETHODCALLTYPE ts_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *names,
                                                  UINT count, LCID lcid, DISPID *ids)
{
    return ids_of_names(ts_members, ARRAYSIZE(ts_members), names, count, ids);
}

static HRESULT STDMETHODCALLTYPE ts_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid,
                                           WORD flags, DISPPARAMS *dp, VARIANT *res,
                                           EXCEPINFO *ei, UINT *argerr)
{
    struct test_source *ts = ts_from_disp(iface);
    struct pending_fire *p;
    HRESULT hr;
    LONG n = 0;
    int i;

    if (flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF))
        return DISP_E_MEMBERNOTFOUND;
    switch (id) {
    case TS_FIRE:
        if (!(p = calloc(1, sizeof(*p))))
            return E_OUTOFMEMORY;
        if (FAILED(hr = arg_bstr(dp, 0, &p->text))) {
            free(p);
            return hr;
        }
        if (get_arg(dp, 1) && FAILED(hr = arg_long(dp, 1, &p->number))) {
            SysFreeString(p->text);
            free(p);
            return hr;
        }
        p->src = ts;
        IDispatch_AddRef(iface);
        if (!PostMessageW(host.window, WM_TESTSOURCE_FIRE, 0, (LPARAM)p)) {
            hr = HRESULT_FROM_WIN32(GetLastError());
            IDispatch_Release(iface);
            SysFreeString(p->text);
            free(p);
            return hr;
        }
        return S_OK;
    case TS_FIRECOUNT:
        n = ts->fired;
        break;
    case TS_LASTHANDLED:
        if (res) {
            V_VT(res) = VT_BOOL;
            V_BOOL(res) = ts->last_handled;
        }
        return S_OK;
    case TS_CONNECTIONS:
        for (i = 0; i < TESTSOURCE_MAX_SINKS; i++)
            n += ts->sinks[i] != NULL;
        break;
    default:
        return DISP_E_MEMBERNOTFOUND;
    }
    if (res) {
        V_VT(res) = VT_I4;
        V_I4(res) = n;
    }
    return S_OK;
}

static const IDispatchVtbl ts_vtbl = {
    ts_QueryInterface, ts_AddRef, ts_Release, ts_GetTypeInfoCount, ts_GetTypeInfo,
    ts_GetIDsOfNames, ts_Invoke,
};

static HRESULT STDMETHODCALLTYPE ts_pci_QueryInterface(IProvideClassInfo2 *iface, REFIID riid, void **out)
{
    return ts_QueryInterface(&ts_from_pci(iface)->IDispatch_iface, riid, out);
}

static ULONG STDMETHODCALLTYPE ts_pci_AddRef(IProvideClassInfo2 *iface)
{
    return ts_AddRef(&ts_from_pci(iface)->IDispatch_iface);
}

static ULONG STDMETHODCALLTYPE ts_pci_Release(IProvideClassInfo2 *iface)
{
    return ts_Release(&ts_from_pci(iface)->IDispatch_iface);
}

static HRESULT STDMETHODCALLTYPE ts_pci_GetClassInfo(IProvideClassInfo2 *iface, ITypeInfo **ti)
{
    *ti = NULL;
    if (!host.typelib)
        return TYPE_E_LIBNOTREGISTERED;
    return ITypeLib_GetTypeInfoOfGuid(host.typelib, &CLSID_TestSource, ti);
}

static HRESULT STDMETHODCALLTYPE ts_pci_GetGUID(IProvideClassInfo2 *iface, DWORD kind, GUID *guid)
{
    if (kind != GUIDKIND_DEFAULT_SOURCE_DISP_IID)
        return E_INVALIDARG;
    *guid = DIID_DTestSourceEvents;
    return S_OK;
}

static const IProvideClassInfo2Vtbl ts_pci_vtbl = {
    ts_pci_QueryInterface, ts_pci_AddRef, ts_pci_Release, ts_pci_GetClassInfo, ts_pci_GetGUID,
};

static HRESULT STDMETHODCALLTYPE ts_cpc_QueryInterface(IConnectionPointContainer *iface, REFIID riid,
                                                       void **out)
{
    return ts_QueryInterface(&ts_from_cpc(iface)->IDispatch_iface, riid, out);
}

static ULONG STDMETHODCALLTYPE ts_cpc_AddRef(IConnectionPointContainer *iface)
{
    return ts_AddRef(&ts_from_cpc(iface)->IDispatch_iface);
}

static ULONG STDMETHODCALLTYPE ts_cpc_Release(IConnectionPointContainer *iface)
{
    return ts_Release(&ts_from_cpc(iface)->IDispatch_iface);
}

static HRESULT STDMETHODCALLTYPE ts_cpc_EnumConnectionPoints(IConnectionPointContainer *iface,
                                                             IEnumConnectionPoints **out)
{
    *out = NULL;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ts_cpc_FindConnectionPoint(IConnectionPointContainer *iface,
                                                            REFIID riid, IConnectionPoint **out)
{
    struct test_source *ts = ts_from_cpc(iface);

    if (!out)
        return E_POINTER;
    if (!IsEqualIID(riid, &DIID_DTestSourceEvents)) {
        *out = NULL;
        return CONNECT_E_NOCONNECTION;
    }
    *out = &ts->IConnectionPoint_iface;
    IConnectionPoint_AddRef(*out);
    return S_OK;
}

static const IConnectionPointContainerVtbl ts_cpc_vtbl = {
    ts_cpc_QueryInterface, ts_cpc_AddRef, ts_cpc_Release, ts_cpc_EnumConnectionPoints,
    ts_cpc_FindConnectionPoint,
};

static HRESULT STDMETHODCALLTYPE ts_cp_QueryInterface(IConnectionPoint *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IConnectionPoint)) {
        *out = iface;
        IConnectionPoint_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE ts_cp_AddRef(IConnectionPoint *iface)
{
    return ts_AddRef(&ts_from_cp(iface)->IDispatch_iface);
}

static ULONG STDMETHODCALLTYPE ts_cp_Release(IConnectionPoint *iface)
{
    return ts_Release(&ts_from_cp(iface)->IDispatch_iface);
}

static HRESULT STDMETHODCALLTYPE ts_cp_GetConnectionInterface(IConnectionPoint *iface, IID *iid)
{
    *iid = DIID_DTestSourceEvents;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE ts_cp_GetConnectionPointContainer(IConnectionPoint *iface,
                                                                   IConnectionPointContainer **out)
{
    *out = &ts_from_cp(iface)->IConnectionPointContainer_iface;
    IConnectionPointContainer_AddRef(*out);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE ts_cp_Advise(IConnectionPoint *iface, IUnknown *unk, DWORD *cookie)
{
    struct test_source *ts = ts_from_cp(iface);
    IDispatch *disp;
    int i;

    *cookie = 0;
    if (FAILED(IUnknown_QueryInterface(unk, &DIID_DTestSourceEvents, (void **)&disp))
        && FAILED(IUnknown_QueryInterface(unk, &IID_IDispatch, (void **)&disp)))
        return CONNECT_E_CANNOTCONNECT;
    for (i = 0; i < TESTSOURCE_MAX_SINKS; i++) {
        if (!ts->sinks[i]) {
            ts->sinks[i] = disp;
            *cookie = i + 1;
            return S_OK;
        }
    }
    IDispatch_Release(disp);
    return CONNECT_E_ADVISELIMIT;
}

static HRESULT STDMETHODCALLTYPE ts_cp_Unadvise(IConnectionPoint *iface, DWORD cookie)
{
    struct test_source *ts = ts_from_cp(iface);
    IDispatch *disp;

    if (!cookie || cookie > TESTSOURCE_MAX_SINKS || !ts->sinks[cookie - 1])
        return CONNECT_E_NOCONNECTION;
    disp = ts->sinks[cookie - 1];
    ts->sinks[cookie - 1] = NULL;
    IDispatch_Release(disp);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE ts_cp_EnumConnections(IConnectionPoint *iface, IEnumConnections **out)
{
    *out = NULL;
    return E_NOTIMPL;
}

static const IConnectionPointVtbl ts_cp_vtbl = {
    ts_cp_QueryInterface, ts_cp_AddRef, ts_cp_Release, ts_cp_GetConnectionInterface,
    ts_cp_GetConnectionPointContainer, ts_cp_Advise, ts_cp_Unadvise, ts_cp_EnumConnections,
};

static HRESULT test_source_create(IDispatch **out)
{
    struct test_source *ts = calloc(1, sizeof(*ts));

    *out = NULL;
    if (!ts)
        return E_OUTOFMEMORY;
    ts->IDispatch_iface.lpVtbl = &ts_vtbl;
    ts->IProvideClassInfo2_iface.lpVtbl = &ts_pci_vtbl;
    ts->IConnectionPointContainer_iface.lpVtbl = &ts_cpc_vtbl;
    ts->IConnectionPoint_iface.lpVtbl = &ts_cp_vtbl;
    ts->ref = 1;
    ts->last_handled = VARIANT_FALSE;
    *out = &ts->IDispatch_iface;
    return S_OK;
}

/* Call every sink; a copy of the list, so that a handler may disconnect. */
static void ts_fire_event(struct test_source *ts, DISPID id, DISPPARAMS *dp)
{
    IDispatch *sinks[TESTSOURCE_MAX_SINKS];
    int i;

    for (i = 0; i < TESTSOURCE_MAX_SINKS; i++)
        if ((sinks[i] = ts->sinks[i]))
            IDispatch_AddRef(sinks[i]);
    for (i = 0; i < TESTSOURCE_MAX_SINKS; i++) {
        if (!sinks[i])
            continue;
        IDispatch_Invoke(sinks[i], id, &IID_NULL, LOCALE_SYSTEM_DEFAULT, DISPATCH_METHOD, dp, NULL,
                         NULL, NULL);
        IDispatch_Release(sinks[i]);
    }
}

static void free_pending(struct pending_fire *p)
{
    SysFreeString(p->text);
    IDispatch_Release(&p->src->IDispatch_iface);
    free(p);
}

static void ts_fire(struct pending_fire *p)
{
    struct test_source *ts = p->src;
    VARIANT_BOOL handled = VARIANT_FALSE;
    VARIANT args[3];
    DISPPARAMS dp;

    /* OnSomething(text, number, handled*): arguments reversed */
    V_VT(&args[0]) = VT_BYREF | VT_BOOL;
    V_BOOLREF(&args[0]) = &handled;
    V_VT(&args[1]) = VT_I4;
    V_I4(&args[1]) = p->number;
    V_VT(&args[2]) = VT_BSTR;
    V_BSTR(&args[2]) = p->text;
    dp.rgvarg = args;
    dp.rgdispidNamedArgs = NULL;
    dp.cArgs = 3;
    dp.cNamedArgs = 0;
    ts_fire_event(ts, 1, &dp);
    ts->fired++;
    ts->last_handled = handled;

    /* OnAfter(handled, count) */
    V_VT(&args[0]) = VT_I4;
    V_I4(&args[0]) = ts->fired;
    V_VT(&args[1]) = VT_BOOL;
    V_BOOL(&args[1]) = handled;
    dp.cArgs = 2;
    ts_fire_event(ts, 2, &dp);
}

static LRESULT CALLBACK window_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
    if (msg == WM_TESTSOURCE_FIRE) {
        struct pending_fire *p = (struct pending_fire *)lp;
        if (!stopping())
            ts_fire(p);
        free_pending(p);
        return 0;
    }
    return DefWindowProcW(hwnd, msg, wp, lp);
}

/* ---- the WScript object ----------------------------------------------------------------------- */

static struct script *script_from_wscript(IDispatch *iface)
{
    return CONTAINING_RECORD(iface, struct script, WScript_iface);
}

static HRESULT STDMETHODCALLTYPE ws_QueryInterface(IDispatch *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
        *out = iface;
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

/* Lives as long as the host: no reference counting. */
static ULONG STDMETHODCALLTYPE ws_AddRef(IDispatch *iface)
{
    return 2;
}

static ULONG STDMETHODCALLTYPE ws_Release(IDispatch *iface)
{
    return 1;
}

static HRESULT STDMETHODCALLTYPE ws_GetTypeInfoCount(IDispatch *iface, UINT *count)
{
    *count = 0;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE ws_GetTypeInfo(IDispatch *iface, UINT index, LCID lcid, ITypeInfo **ti)
{
    *ti = NULL;
    return E_NOTIMPL;
}

enum {
    WS_NAME = DISPID_VALUE, WS_ECHO = 1, WS_QUIT, WS_SLEEP, WS_CREATEOBJECT, WS_CONNECTOBJECT,
    WS_DISCONNECTOBJECT, WS_SCRIPTNAME, WS_SCRIPTFULLNAME, WS_PROCESSID,
};

static const struct member ws_members[] = {
    { L"Name", WS_NAME },
    { L"Echo", WS_ECHO },
    { L"Quit", WS_QUIT },
    { L"Sleep", WS_SLEEP },
    { L"CreateObject", WS_CREATEOBJECT },
    { L"ConnectObject", WS_CONNECTOBJECT },
    { L"DisconnectObject", WS_DISCONNECTOBJECT },
    { L"ScriptName", WS_SCRIPTNAME },
    { L"ScriptFullName", WS_SCRIPTFULLNAME },
    { L"ProcessId", WS_PROCESSID },
};

static HRESULT STDMETHODCALLTYPE ws_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *names,
                                                  UINT count, LCID lcid, DISPID *ids)
{
    return ids_of_names(ws_members, ARRAYSIZE(ws_members), names, count, ids);
}

static HRESULT ws_echo(DISPPARAMS *dp, EXCEPINFO *ei)
{
    UINT n = dp->cArgs - dp->cNamedArgs, i;

    for (i = 0; i < n; i++) {
        VARIANT *v = deref(&dp->rgvarg[dp->cArgs - 1 - i]), s;
        HRESULT hr;

        if (i)
            fputc(' ', stdout);
        if (V_VT(v) == VT_EMPTY || (V_VT(v) == VT_ERROR && V_ERROR(v) == DISP_E_PARAMNOTFOUND))
            continue;
        if (V_VT(v) == VT_NULL) {
            fputs("Null", stdout);
            continue;
        }
        VariantInit(&s);
        hr = VariantChangeTypeEx(&s, v, LOCALE_USER_DEFAULT, VARIANT_ALPHABOOL, VT_BSTR);
        if (FAILED(hr)) {
            fputc('\n', stdout);
            fflush(stdout);
            return raise(ei, hr, L"Echo: an argument cannot be shown as text", NULL);
        }
        put_w(stdout, V_BSTR(&s), (int)SysStringLen(V_BSTR(&s)));
        VariantClear(&s);
    }
    fputc('\n', stdout);
    fflush(stdout);
    return S_OK;
}

static HRESULT ws_create_object(struct script *sc, DISPPARAMS *dp, VARIANT *res, EXCEPINFO *ei)
{
    BSTR progid = NULL, prefix = NULL;
    IDispatch *obj = NULL;
    CLSID clsid;
    HRESULT hr;

    if (FAILED(hr = arg_bstr(dp, 0, &progid)))
        return raise(ei, hr, L"CreateObject: needs a ProgID", NULL);
    if (get_arg(dp, 1) && FAILED(hr = arg_bstr(dp, 1, &prefix))) {
        SysFreeString(progid);
        return raise(ei, hr, L"CreateObject: the prefix must be a string", NULL);
    }
    if (host.selftest && !lstrcmpiW(progid, L"ScriptHost.TestSource"))
        hr = test_source_create(&obj);
    else if (SUCCEEDED(hr = CLSIDFromProgID(progid, &clsid)))
        hr = CoCreateInstance(&clsid, NULL, CLSCTX_ALL, &IID_IDispatch, (void **)&obj);
    if (FAILED(hr))
        hr = raise(ei, hr, L"CreateObject: cannot create", progid);
    else if (prefix && *prefix && FAILED(hr = connect_object(sc, obj, prefix, ei))) {
        IDispatch_Release(obj);
        obj = NULL;
    }
    if (obj) {
        if (res) {
            V_VT(res) = VT_DISPATCH;
            V_DISPATCH(res) = obj;
        } else {
            IDispatch_Release(obj);
        }
    }
    SysFreeString(prefix);
    SysFreeString(progid);
    return hr;
}

static HRESULT STDMETHODCALLTYPE ws_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid,
                                           WORD flags, DISPPARAMS *dp, VARIANT *res,
                                           EXCEPINFO *ei, UINT *argerr)
{
    struct script *sc = script_from_wscript(iface);
    DISPPARAMS none = { NULL, NULL, 0, 0 };
    IDispatch *obj;
    BSTR prefix;
    LONG n = 0;
    HRESULT hr;

    if (!dp)
        dp = &none;
    if (flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF))
        return DISP_E_MEMBERNOTFOUND;
    if (stopping())
        return E_ABORT;     /* after Quit nothing runs */
    switch (id) {
    case WS_NAME:
        return set_result_bstr(res, L"msgsc-scripthost");
    case WS_ECHO:
        return ws_echo(dp, ei);
    case WS_QUIT:
        if (get_arg(dp, 0) && FAILED(hr = arg_long(dp, 0, &n)))
            return raise(ei, hr, L"Quit: the exit code must be a number", NULL);
        host.quit = TRUE;
        host.quit_code = (int)n;
        /* End the running script: the engines do not implement InterruptScriptThread, so fail
         * the call.  The error this raises is not reported (we are stopping). */
        return E_ABORT;
    case WS_SLEEP:
        if (FAILED(hr = arg_long(dp, 0, &n)))
            return raise(ei, hr, L"Sleep: needs a time in milliseconds", NULL);
        pump_until(GetTickCount64() + (n > 0 ? (ULONGLONG)n : 0));
        return stopping() ? E_ABORT : S_OK;
    case WS_CREATEOBJECT:
        return ws_create_object(sc, dp, res, ei);
    case WS_CONNECTOBJECT:
        if (FAILED(hr = arg_dispatch(dp, 0, &obj)))
            return raise(ei, hr, L"ConnectObject: needs an object", NULL);
        if (FAILED(hr = arg_bstr(dp, 1, &prefix))) {
            IDispatch_Release(obj);
            return raise(ei, hr, L"ConnectObject: needs a prefix", NULL);
        }
        hr = connect_object(sc, obj, prefix, ei);
        SysFreeString(prefix);
        IDispatch_Release(obj);
        return hr;
    case WS_DISCONNECTOBJECT:
        if (FAILED(hr = arg_dispatch(dp, 0, &obj)))
            return raise(ei, hr, L"DisconnectObject: needs an object", NULL);
        disconnect_object(sc, obj);
        IDispatch_Release(obj);
        return S_OK;
    case WS_SCRIPTNAME:
        return set_result_bstr(res, sc->name);
    case WS_SCRIPTFULLNAME:
        return set_result_bstr(res, sc->full_path);
    case WS_PROCESSID:      /* a script's GetCurrentProcessId, for GetLaunchingSession */
        if (res) {
            V_VT(res) = VT_I4;
            V_I4(res) = (LONG)GetCurrentProcessId();
        }
        return S_OK;
    default:
        return DISP_E_MEMBERNOTFOUND;
    }
}

static const IDispatchVtbl ws_vtbl = {
    ws_QueryInterface, ws_AddRef, ws_Release, ws_GetTypeInfoCount, ws_GetTypeInfo,
    ws_GetIDsOfNames, ws_Invoke,
};

/* ---- the script site -------------------------------------------------------------------------- */

static struct script *script_from_site(IActiveScriptSite *iface)
{
    return CONTAINING_RECORD(iface, struct script, IActiveScriptSite_iface);
}

static HRESULT STDMETHODCALLTYPE site_QueryInterface(IActiveScriptSite *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IActiveScriptSite)) {
        *out = iface;
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE site_AddRef(IActiveScriptSite *iface)
{
    return 2;
}

static ULONG STDMETHODCALLTYPE site_Release(IActiveScriptSite *iface)
{
    return 1;
}

static HRESULT STDMETHODCALLTYPE site_GetLCID(IActiveScriptSite *iface, LCID *lcid)
{
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE site_GetItemInfo(IActiveScriptSite *iface, LPCOLESTR name,
                                                  DWORD mask, IUnknown **unk, ITypeInfo **ti)
{
    struct script *sc = script_from_site(iface);

    if (unk)
        *unk = NULL;
    if (ti)
        *ti = NULL;
    if (lstrcmpiW(name, L"WScript") && lstrcmpiW(name, L"WSH"))
        return TYPE_E_ELEMENTNOTFOUND;
    if (!(mask & SCRIPTINFO_IUNKNOWN))
        return TYPE_E_ELEMENTNOTFOUND;      /* no type information for it */
    if (!unk)
        return E_POINTER;
    *unk = (IUnknown *)&sc->WScript_iface;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE site_GetDocVersionString(IActiveScriptSite *iface, BSTR *version)
{
    *version = NULL;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE site_OnScriptTerminate(IActiveScriptSite *iface, const VARIANT *result,
                                                        const EXCEPINFO *ei)
{
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE site_OnStateChange(IActiveScriptSite *iface, SCRIPTSTATE state)
{
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE site_OnScriptError(IActiveScriptSite *iface, IActiveScriptError *err)
{
    struct script *sc = script_from_site(iface);
    EXCEPINFO ei;
    DWORD context = 0;
    ULONG line = 0;
    LONG col = 0;
    BSTR text = NULL;
    BOOL have_pos;

    host.error_reports++;
    if (stopping())
        return S_OK;        /* the abort that ends a script after Quit or a timeout */
    host.error = TRUE;
    memset(&ei, 0, sizeof(ei));
    if (SUCCEEDED(IActiveScriptError_GetExceptionInfo(err, &ei)) && ei.pfnDeferredFillIn)
        ei.pfnDeferredFillIn(&ei);
    have_pos = SUCCEEDED(IActiveScriptError_GetSourcePosition(err, &context, &line, &col));
    if (FAILED(IActiveScriptError_GetSourceLineText(err, &text)) || !text || !*text) {
        SysFreeString(text);
        text = have_pos ? text_line(sc, line) : NULL;
    }
    print_script_error(sc, have_pos, line, col, &ei, E_FAIL, text, NULL);
    SysFreeString(text);
    clear_excepinfo(&ei);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE site_OnEnterScript(IActiveScriptSite *iface)
{
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE site_OnLeaveScript(IActiveScriptSite *iface)
{
    return S_OK;
}

static const IActiveScriptSiteVtbl site_vtbl = {
    site_QueryInterface, site_AddRef, site_Release, site_GetLCID, site_GetItemInfo,
    site_GetDocVersionString, site_OnScriptTerminate, site_OnStateChange, site_OnScriptError,
    site_OnEnterScript, site_OnLeaveScript,
};

/* ---- running scripts -------------------------------------------------------------------------- */

static WCHAR *load_text(const WCHAR *path)
{
    HANDLE file;
    LARGE_INTEGER size;
    unsigned char *buf;
    DWORD got = 0;
    WCHAR *text = NULL;
    int n;

    file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                       FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return NULL;
    if (!GetFileSizeEx(file, &size) || size.QuadPart > 64 * 1024 * 1024
        || !(buf = malloc((size_t)size.QuadPart + 2))) {
        CloseHandle(file);
        return NULL;
    }
    if (!ReadFile(file, buf, (DWORD)size.QuadPart, &got, NULL) || got != (DWORD)size.QuadPart) {
        CloseHandle(file);
        free(buf);
        return NULL;
    }
    CloseHandle(file);
    if (got >= 2 && buf[0] == 0xff && buf[1] == 0xfe) {         /* UTF-16LE */
        n = (int)((got - 2) / 2);
        if ((text = malloc((n + 1) * sizeof(WCHAR)))) {
            memcpy(text, buf + 2, n * sizeof(WCHAR));
            text[n] = 0;
        }
    } else {                                                    /* UTF-8, else ANSI */
        const char *p = (const char *)buf;
        UINT cp = CP_UTF8;
        DWORD flags = MB_ERR_INVALID_CHARS;

        if (got >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) {
            p += 3;
            got -= 3;
        }
        n = got ? MultiByteToWideChar(cp, flags, p, (int)got, NULL, 0) : 0;
        if (got && !n) {
            cp = CP_ACP;
            flags = 0;
            n = MultiByteToWideChar(cp, flags, p, (int)got, NULL, 0);
        }
        if ((text = malloc((n + 1) * sizeof(WCHAR)))) {
            if (n)
                MultiByteToWideChar(cp, flags, p, (int)got, text, n);
            text[n] = 0;
        }
    }
    free(buf);
    return text;
}

static void apply_env(const struct script *sc)
{
    int i;

    for (i = sc->env_first; i < sc->env_first + sc->env_count; i++) {
        const WCHAR *setting = host.env[i], *eq = wcschr(setting, '=');
        size_t len = eq - setting;
        WCHAR *name = malloc((len + 1) * sizeof(WCHAR));

        if (!name)
            continue;
        memcpy(name, setting, len * sizeof(WCHAR));
        name[len] = 0;
        SetEnvironmentVariableW(name, eq[1] ? eq + 1 : NULL);
        _wputenv(setting);          /* the C runtime keeps its own copy (getenv) */
        free(name);
    }
}

static void engine_error(const struct script *sc, const char *what, HRESULT hr)
{
    char num[32];

    fputs("scripthost: ", stderr);
    put_w(stderr, sc->path, -1);
    fputs(": ", stderr);
    fputs(what, stderr);
    snprintf(num, sizeof(num), " (0x%08lx)\n", (unsigned long)hr);
    fputs(num, stderr);
    fflush(stderr);
}

/* Set up the script's engine and run its top-level code.  FALSE if the engine could not be set
 * up (a load error); script errors are reported through the site. */
static BOOL run_script(struct script *sc, int index)
{
    EXCEPINFO ei;
    unsigned reports;
    HRESULT hr;

    hr = CoCreateInstance(sc->jscript ? &CLSID_ShJScript : &CLSID_ShVBScript, NULL,
                          CLSCTX_INPROC_SERVER, &IID_IActiveScript, (void **)&sc->engine);
    if (FAILED(hr)) {
        sc->engine = NULL;
        engine_error(sc, sc->jscript ? "cannot create the JScript engine"
                                     : "cannot create the VBScript engine", hr);
        return FALSE;
    }
    hr = IActiveScript_QueryInterface(sc->engine, &IID_IActiveScriptParse, (void **)&sc->parse);
    if (FAILED(hr)) {
        sc->parse = NULL;
        engine_error(sc, "the engine has no IActiveScriptParse", hr);
        return FALSE;
    }
    if (FAILED(hr = IActiveScript_SetScriptSite(sc->engine, &sc->IActiveScriptSite_iface))
        || FAILED(hr = sc->parse->lpVtbl->InitNew(sc->parse))
        || FAILED(hr = IActiveScript_AddNamedItem(sc->engine, L"WScript",
                                                  SCRIPTITEM_ISVISIBLE | SCRIPTITEM_NOCODE))
        || FAILED(hr = IActiveScript_AddNamedItem(sc->engine, L"WSH",
                                                  SCRIPTITEM_ISVISIBLE | SCRIPTITEM_NOCODE))
        || FAILED(hr = IActiveScript_SetScriptState(sc->engine, SCRIPTSTATE_CONNECTED))) {
        engine_error(sc, "cannot set up the script engine", hr);
        return FALSE;
    }

    apply_env(sc);
    memset(&ei, 0, sizeof(ei));
    reports = host.error_reports;
    /* Started already, so this compiles and runs the top-level code. */
    hr = sc->parse->lpVtbl->ParseScriptText(sc->parse, sc->text, NULL, NULL, NULL, index, 0,
                                            SCRIPTTEXT_ISVISIBLE, NULL, &ei);
    if (FAILED(hr) && !stopping() && host.error_reports == reports) {
        print_script_error(sc, FALSE, 0, 0, &ei, hr, NULL, NULL);
        host.error = TRUE;
    }
    clear_excepinfo(&ei);
    return TRUE;
}

static void close_scripts(void)
{
    MSG msg;
    int i;

    while (host.connections)
        disconnect(&host.connections);
    for (i = 0; i < host.nscripts; i++) {
        struct script *sc = &host.scripts[i];
        if (sc->engine)
            IActiveScript_Close(sc->engine);
        if (sc->parse)
            sc->parse->lpVtbl->Release(sc->parse);
        if (sc->engine)
            IActiveScript_Release(sc->engine);
        sc->parse = NULL;
        sc->engine = NULL;
    }
    /* Events still queued are dropped, with the references they hold. */
    if (host.window) {
        while (PeekMessageW(&msg, host.window, WM_TESTSOURCE_FIRE, WM_TESTSOURCE_FIRE, PM_REMOVE))
            free_pending((struct pending_fire *)msg.lParam);
        DestroyWindow(host.window);
        host.window = NULL;
    }
}

/* ---- main ------------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: msgsc-scripthost [--timeout SECONDS] [--wait] [--selftest-source]\n"
          "                        [--env NAME=VALUE]... SCRIPT [[--env NAME=VALUE]... SCRIPT]...\n"
          "  SCRIPT         a .vbs (VBScript) or .js (JScript) file; all run in one thread, in order\n"
          "  --env N=V      set N (\"N=\" removes it) just before the next SCRIPT's code runs\n"
          "  --timeout S    stop with exit code 124 after S seconds (default 30; 0: never)\n"
          "  --wait         pump messages until WScript.Quit even if no script holds events\n"
          "  --selftest-source  enable WScript.CreateObject(\"ScriptHost.TestSource\", prefix)\n"
          "Exit code: the WScript.Quit code; 2 after a script error; 124 on timeout; 3 usage/load.\n",
          f);
}

static BOOL parse_args(int argc, WCHAR **argv, double *timeout)
{
    int i, pending_env = 0;

    host.env = calloc(argc, sizeof(*host.env));
    host.scripts = calloc(argc, sizeof(*host.scripts));
    if (!host.env || !host.scripts)
        return FALSE;
    for (i = 1; i < argc; i++) {
        const WCHAR *a = argv[i];

        if (!lstrcmpW(a, L"--timeout") && i + 1 < argc) {
            WCHAR *end;
            *timeout = wcstod(argv[++i], &end);
            if (*end || *timeout < 0) {
                fputs("scripthost: --timeout needs a number of seconds\n", stderr);
                return FALSE;
            }
        } else if (!lstrcmpW(a, L"--env") && i + 1 < argc) {
            const WCHAR *eq = wcschr(argv[++i], '=');
            if (!eq || eq == argv[i]) {
                fputs("scripthost: --env needs NAME=VALUE\n", stderr);
                return FALSE;
            }
            host.env[host.nenv++] = argv[i];
            pending_env++;
        } else if (!lstrcmpW(a, L"--wait")) {
            host.wait = TRUE;
        } else if (!lstrcmpW(a, L"--selftest-source")) {
            host.selftest = TRUE;
        } else if (a[0] == '-' && a[1] == '-') {
            fputs("scripthost: unknown option or missing value: ", stderr);
            put_w(stderr, a, -1);
            fputs("\n", stderr);
            return FALSE;
        } else {
            struct script *sc = &host.scripts[host.nscripts++];
            const WCHAR *dot = wcsrchr(a, '.'), *p;

            sc->path = a;
            sc->name = a;
            for (p = a; *p; p++)
                if (*p == '\\' || *p == '/' || *p == ':')
                    sc->name = p + 1;
            if (dot && !lstrcmpiW(dot, L".js"))
                sc->jscript = TRUE;
            else if (!dot || lstrcmpiW(dot, L".vbs")) {
                fputs("scripthost: not a .vbs or .js file: ", stderr);
                put_w(stderr, a, -1);
                fputs("\n", stderr);
                return FALSE;
            }
            sc->env_first = host.nenv - pending_env;
            sc->env_count = pending_env;
            pending_env = 0;
        }
    }
    if (!host.nscripts) {
        fputs("scripthost: no script given\n", stderr);
        return FALSE;
    }
    if (pending_env) {
        fputs("scripthost: --env after the last script\n", stderr);
        return FALSE;
    }
    return TRUE;
}

int main(void)
{
    WNDCLASSW wc;
    WCHAR exe[MAX_PATH];
    WCHAR **argv;
    double timeout = 30;
    int argc, i, code;
    HRESULT hr;

    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
    argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    if (!argv)
        return EXIT_LOAD_ERROR;
    if (argc == 2 && (!lstrcmpW(argv[1], L"--help") || !lstrcmpW(argv[1], L"-h"))) {
        usage(stdout);
        return 0;
    }
    if (!parse_args(argc, argv, &timeout)) {
        usage(stderr);
        return EXIT_LOAD_ERROR;
    }
    for (i = 0; i < host.nscripts; i++) {
        struct script *sc = &host.scripts[i];
        DWORD len = GetFullPathNameW(sc->path, 0, NULL, NULL);

        sc->IActiveScriptSite_iface.lpVtbl = &site_vtbl;
        sc->WScript_iface.lpVtbl = &ws_vtbl;
        if (len && (sc->full_path = malloc(len * sizeof(WCHAR))))
            GetFullPathNameW(sc->path, len, sc->full_path, NULL);
        if (!(sc->text = load_text(sc->path))) {
            fputs("scripthost: cannot read ", stderr);
            put_w(stderr, sc->path, -1);
            fputs("\n", stderr);
            return EXIT_LOAD_ERROR;
        }
    }

    if (FAILED(hr = OleInitialize(NULL))) {
        fprintf(stderr, "scripthost: OleInitialize failed (0x%08lx)\n", (unsigned long)hr);
        return EXIT_LOAD_ERROR;
    }
    if (host.selftest) {
        /* Only the test source needs a window: under Wine the first window of a process starts
         * explorer.exe /desktop, which outlives us by a second (see run_test.cmake). */
        memset(&wc, 0, sizeof(wc));
        wc.lpfnWndProc = window_proc;
        wc.hInstance = GetModuleHandleW(NULL);
        wc.lpszClassName = L"msgsc-scripthost";
        RegisterClassW(&wc);
        host.window = CreateWindowExW(0, wc.lpszClassName, NULL, 0, 0, 0, 0, 0, HWND_MESSAGE,
                                      NULL, wc.hInstance, NULL);
        if (!host.window || !GetModuleFileNameW(NULL, exe, ARRAYSIZE(exe))
            || FAILED(hr = LoadTypeLibEx(exe, REGKIND_NONE, &host.typelib))) {
            fputs("scripthost: cannot set up the test source (window, type library)\n", stderr);
            return EXIT_LOAD_ERROR;
        }
    }
    if (timeout > 0) {
        HANDLE thread;
        host.deadline = GetTickCount64() + (ULONGLONG)(timeout * 1000.0 + 0.5);
        if ((thread = CreateThread(NULL, 0, watchdog, NULL, 0, NULL)))
            CloseHandle(thread);
    }

    code = 0;
    for (i = 0; i < host.nscripts && !stopping(); i++) {
        if (!run_script(&host.scripts[i], i)) {
            code = EXIT_LOAD_ERROR;
            break;
        }
    }
    if (!code && !stopping() && (host.wait || host.connections))
        pump_until(0);
    /* A timeout found by Sleep in top-level code was reported there. */

    close_scripts();
    if (host.typelib)
        ITypeLib_Release(host.typelib);
    OleUninitialize();

    if (!code) {
        if (host.error)
            code = EXIT_SCRIPT_ERROR;
        else if (host.timed_out)
            code = EXIT_TIMEOUT;
        else if (host.quit)
            code = host.quit_code;
    }
    fflush(stdout);
    fflush(stderr);
    return code;
}
