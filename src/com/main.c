/* msgsc.dll: DllMain, the class factory and module lifetime, the type information cache, and
 * the small pieces every object shares (IDispatch through the type library, IProvideClassInfo2,
 * ISupportErrorInfo, error info, BSTR <-> UTF-8).
 */
#include <stdio.h>
#include <stdlib.h>
#include "private.h"

HINSTANCE msgsc_instance;

static ITypeLib *typelib_cache;
static ITypeInfo *typeinfos[LAST_tid];
static LONG module_refs;

void msgsc_module_lock(void) { InterlockedIncrement(&module_refs); }
void msgsc_module_unlock(void) { InterlockedDecrement(&module_refs); }

HRESULT msgsc_module_path(WCHAR *path, DWORD size)
{
    DWORD len = GetModuleFileNameW(msgsc_instance, path, size);

    if (!len) return HRESULT_FROM_WIN32(GetLastError());
    /* A full buffer means the path was cut off (and, before Vista, not terminated). */
    if (len >= size) return HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER);
    return S_OK;
}

HRESULT msgsc_get_typelib(ITypeLib **typelib)
{
    WCHAR path[MAX_PATH];
    ITypeLib *loaded;
    HRESULT hr;

    if (!typelib_cache)
    {
        /* From our own module, not LoadRegTypeLib: that fails in a DLL that was never
         * registered, e.g. one a test loads directly. */
        if (FAILED(hr = msgsc_module_path(path, ARRAYSIZE(path)))) return hr;
        if (FAILED(hr = LoadTypeLibEx(path, REGKIND_NONE, &loaded))) return hr;
        /* Two threads may race here; the loser drops its copy. */
        if (InterlockedCompareExchangePointer((void **)&typelib_cache, loaded, NULL))
            ITypeLib_Release(loaded);
    }
    *typelib = typelib_cache;
    ITypeLib_AddRef(*typelib);
    return S_OK;
}

static REFIID tid_ids[LAST_tid] = {
    &IID_IMsgrSessionManager, &IID_IMsgrSession, &CLSID_MsgrSessionManager, &CLSID_MsgrSession,
};

HRESULT msgsc_get_typeinfo(msgsc_tid tid, ITypeInfo **ti)
{
    ITypeLib *tl;
    ITypeInfo *loaded;
    HRESULT hr;

    if (!typeinfos[tid]) {
        if (FAILED(hr = msgsc_get_typelib(&tl))) return hr;
        hr = ITypeLib_GetTypeInfoOfGuid(tl, tid_ids[tid], &loaded);
        ITypeLib_Release(tl);
        if (FAILED(hr)) return hr;
        if (InterlockedCompareExchangePointer((void **)&typeinfos[tid], loaded, NULL))
            ITypeInfo_Release(loaded);
    }
    *ti = typeinfos[tid];
    return S_OK;
}

static void release_typelib(void)
{
    unsigned i;
    for (i = 0; i < LAST_tid; i++) {
        if (typeinfos[i]) ITypeInfo_Release(typeinfos[i]);
        typeinfos[i] = NULL;
    }
    if (typelib_cache) ITypeLib_Release(typelib_cache);
    typelib_cache = NULL;
}

/* ---- IDispatch of the dual interfaces ------------------------------------------------------ */
HRESULT msgsc_dispatch_typeinfo(msgsc_tid tid, UINT index, ITypeInfo **ti)
{
    HRESULT hr;
    if (!ti) return E_POINTER;
    *ti = NULL;
    if (index) return DISP_E_BADINDEX;
    if (FAILED(hr = msgsc_get_typeinfo(tid, ti))) return hr;
    ITypeInfo_AddRef(*ti);
    return S_OK;
}

HRESULT msgsc_dispatch_ids(msgsc_tid tid, REFIID riid, LPOLESTR *names, UINT count, DISPID *ids)
{
    ITypeInfo *ti;
    HRESULT hr;
    if (!IsEqualIID(riid, &IID_NULL)) return DISP_E_UNKNOWNINTERFACE;
    if (!names || !ids) return E_POINTER;
    if (FAILED(hr = msgsc_get_typeinfo(tid, &ti))) return hr;
    return ITypeInfo_GetIDsOfNames(ti, names, count, ids);
}

/* ITypeInfo::Invoke calls the vtable method; when that fails it turns the IErrorInfo the
 * method set into EXCEPINFO and answers DISP_E_EXCEPTION, which is how a script sees it. */
HRESULT msgsc_dispatch_invoke(msgsc_tid tid, void *iface, DISPID id, REFIID riid, WORD flags,
                              DISPPARAMS *params, VARIANT *result, EXCEPINFO *ei, UINT *argerr)
{
    ITypeInfo *ti;
    HRESULT hr;
    if (!IsEqualIID(riid, &IID_NULL)) return DISP_E_UNKNOWNINTERFACE;
    if (FAILED(hr = msgsc_get_typeinfo(tid, &ti))) return hr;
    return ITypeInfo_Invoke(ti, iface, id, flags, params, result, ei, argerr);
}

/* ---- IProvideClassInfo2: what WScript.ConnectObject and script engines need for events ---- */
static inline struct classinfo *impl_from_IProvideClassInfo2(IProvideClassInfo2 *iface)
{
    return CONTAINING_RECORD(iface, struct classinfo, IProvideClassInfo2_iface);
}

static HRESULT WINAPI classinfo_QueryInterface(IProvideClassInfo2 *iface, REFIID riid, void **ppv)
{
    return IUnknown_QueryInterface(impl_from_IProvideClassInfo2(iface)->outer, riid, ppv);
}

static ULONG WINAPI classinfo_AddRef(IProvideClassInfo2 *iface)
{
    return IUnknown_AddRef(impl_from_IProvideClassInfo2(iface)->outer);
}

static ULONG WINAPI classinfo_Release(IProvideClassInfo2 *iface)
{
    return IUnknown_Release(impl_from_IProvideClassInfo2(iface)->outer);
}

static HRESULT WINAPI classinfo_GetClassInfo(IProvideClassInfo2 *iface, ITypeInfo **ti)
{
    return msgsc_dispatch_typeinfo(impl_from_IProvideClassInfo2(iface)->coclass, 0, ti);
}

static HRESULT WINAPI classinfo_GetGUID(IProvideClassInfo2 *iface, DWORD kind, GUID *guid)
{
    struct classinfo *ci = impl_from_IProvideClassInfo2(iface);
    if (!guid) return E_POINTER;
    if (kind != GUIDKIND_DEFAULT_SOURCE_DISP_IID) {
        *guid = GUID_NULL;
        return E_INVALIDARG;
    }
    *guid = *ci->source;
    return S_OK;
}

static const IProvideClassInfo2Vtbl classinfo_vtbl = {
    classinfo_QueryInterface, classinfo_AddRef, classinfo_Release, classinfo_GetClassInfo,
    classinfo_GetGUID,
};

void classinfo_init(struct classinfo *ci, IUnknown *outer, msgsc_tid coclass, const IID *source)
{
    ci->IProvideClassInfo2_iface.lpVtbl = &classinfo_vtbl;
    ci->outer = outer;
    ci->coclass = coclass;
    ci->source = source;
}

/* ---- ISupportErrorInfo and the error info itself ------------------------------------------- */
static inline struct errorinfo *impl_from_ISupportErrorInfo(ISupportErrorInfo *iface)
{
    return CONTAINING_RECORD(iface, struct errorinfo, ISupportErrorInfo_iface);
}

static HRESULT WINAPI errorinfo_QueryInterface(ISupportErrorInfo *iface, REFIID riid, void **ppv)
{
    return IUnknown_QueryInterface(impl_from_ISupportErrorInfo(iface)->outer, riid, ppv);
}

static ULONG WINAPI errorinfo_AddRef(ISupportErrorInfo *iface)
{
    return IUnknown_AddRef(impl_from_ISupportErrorInfo(iface)->outer);
}

static ULONG WINAPI errorinfo_Release(ISupportErrorInfo *iface)
{
    return IUnknown_Release(impl_from_ISupportErrorInfo(iface)->outer);
}

static HRESULT WINAPI errorinfo_InterfaceSupportsErrorInfo(ISupportErrorInfo *iface, REFIID riid)
{
    struct errorinfo *ei = impl_from_ISupportErrorInfo(iface);
    return IsEqualIID(riid, ei->iid) || IsEqualIID(riid, &IID_IMsgrLock) ? S_OK : S_FALSE;
}

static const ISupportErrorInfoVtbl errorinfo_vtbl = {
    errorinfo_QueryInterface, errorinfo_AddRef, errorinfo_Release, errorinfo_InterfaceSupportsErrorInfo,
};

void errorinfo_init(struct errorinfo *ei, IUnknown *outer, const IID *iid)
{
    ei->ISupportErrorInfo_iface.lpVtbl = &errorinfo_vtbl;
    ei->outer = outer;
    ei->iid = iid;
}

HRESULT msgsc_result(HRESULT hr, REFIID iid) { return msgsc_result_text(hr, iid, NULL); }

HRESULT msgsc_result_text(HRESULT hr, REFIID iid, const WCHAR *why)
{
    ICreateErrorInfo *create;
    IErrorInfo *info;
    WCHAR text[256];
    const char *msg;
    char fallback[64];

    if (SUCCEEDED(hr)) {
        SetErrorInfo(0, NULL);          /* no stale text from an earlier call */
        return hr;
    }
    if (!(msg = msc_status_text(hr))) {
        snprintf(fallback, sizeof(fallback), "The operation failed (0x%08lX).", (unsigned long)hr);
        msg = fallback;
    }
    if (why) lstrcpynW(text, why, ARRAYSIZE(text));
    else if (!MultiByteToWideChar(CP_UTF8, 0, msg, -1, text, ARRAYSIZE(text))) text[0] = 0;
    if (SUCCEEDED(CreateErrorInfo(&create))) {
        ICreateErrorInfo_SetGUID(create, iid);
        ICreateErrorInfo_SetSource(create, (LPOLESTR)MSGSC_PROGID_MANAGER);
        ICreateErrorInfo_SetDescription(create, text);
        if (SUCCEEDED(ICreateErrorInfo_QueryInterface(create, &IID_IErrorInfo, (void **)&info))) {
            SetErrorInfo(0, info);
            IErrorInfo_Release(info);
        }
        ICreateErrorInfo_Release(create);
    }
    return hr;
}

/* ---- strings -------------------------------------------------------------------------------- */
HRESULT msgsc_utf8_from_bstr(BSTR b, char **out, size_t *len)
{
    UINT n = b ? SysStringLen(b) : 0;
    int bytes;

    *out = NULL;
    *len = 0;
    if (!n) {
        if (!(*out = malloc(1))) return E_OUTOFMEMORY;
        **out = 0;
        return S_OK;
    }
    /* WC_ERR_INVALID_CHARS: an unpaired surrogate is an error, not a silent U+FFFD. */
    bytes = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, b, (int)n, NULL, 0, NULL, NULL);
    if (bytes <= 0) return E_INVALIDARG;
    if (!(*out = malloc((size_t)bytes + 1))) return E_OUTOFMEMORY;
    WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, b, (int)n, *out, bytes, NULL, NULL);
    (*out)[bytes] = 0;
    *len = (size_t)bytes;
    return S_OK;
}

void msgsc_utf8_copy(const WCHAR *w, char *out, size_t cap)
{
    if (!WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)cap, NULL, NULL)) out[0] = 0;
}

BSTR msgsc_bstr_from_str(msc_str s)
{
    int n;
    BSTR b;

    if (!s.n) return SysAllocStringLen(L"", 0);
    n = MultiByteToWideChar(CP_UTF8, 0, s.p, (int)s.n, NULL, 0);
    if (n <= 0 || !(b = SysAllocStringLen(NULL, (UINT)n))) return NULL;
    MultiByteToWideChar(CP_UTF8, 0, s.p, (int)s.n, b, n);
    return b;
}

/* ---- the class factory ---------------------------------------------------------------------- */
static HRESULT WINAPI factory_QueryInterface(IClassFactory *iface, REFIID riid, void **ppv)
{
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
        *ppv = iface;
        IClassFactory_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

/* The factory is static; a client's reference to it keeps the module loaded. */
static ULONG WINAPI factory_AddRef(IClassFactory *iface)
{
    msgsc_module_lock();
    return 2;
}

static ULONG WINAPI factory_Release(IClassFactory *iface)
{
    msgsc_module_unlock();
    return 1;
}

static HRESULT WINAPI factory_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid, void **ppv)
{
    if (!ppv) return E_POINTER;
    *ppv = NULL;
    if (outer) return CLASS_E_NOAGGREGATION;
    return manager_create(riid, ppv);
}

static HRESULT WINAPI factory_LockServer(IClassFactory *iface, BOOL lock)
{
    if (lock) msgsc_module_lock();
    else msgsc_module_unlock();
    return S_OK;
}

static const IClassFactoryVtbl factory_vtbl = {
    factory_QueryInterface, factory_AddRef, factory_Release, factory_CreateInstance, factory_LockServer,
};
static IClassFactory manager_factory = { &factory_vtbl };

/* The SDK headers have no prototype for it (-Wmissing-prototypes). */
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved);

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    switch (reason)
    {
    case DLL_PROCESS_ATTACH:
        msgsc_instance = instance;
        DisableThreadLibraryCalls(instance);
        apartment_process_attach();
        break;
    case DLL_PROCESS_DETACH:
        /* At process exit (reserved != NULL) other DLLs may already be gone: leave COM alone. */
        if (reserved) break;
        release_typelib();
        apartment_process_detach();
        break;
    }
    return TRUE;
}

HRESULT WINAPI DllGetClassObject(REFCLSID clsid, REFIID riid, void **ppv)
{
    if (!ppv) return E_POINTER;
    *ppv = NULL;
    if (!IsEqualCLSID(clsid, &CLSID_MsgrSessionManager)) return CLASS_E_CLASSNOTAVAILABLE;
    return IClassFactory_QueryInterface(&manager_factory, riid, ppv);
}

/* Live objects, apartments, factory references and LockServer all count: CoFreeUnusedLibraries
 * must not unload us under a session, or under a window that still gets messages. */
HRESULT WINAPI DllCanUnloadNow(void)
{
    return module_refs ? S_FALSE : S_OK;
}
