/* msgsc.dll: DllMain, the COM server entry points and the type library cache.
 *
 * Stub stage: no class is served yet.  DllRegisterServer registers only the type library that is
 * embedded in the DLL (resource 1 TYPELIB), so typelib marshaling and type-library readers work;
 * the class registration comes with the objects.
 */
#include "private.h"

HINSTANCE msgsc_instance;

static ITypeLib *typelib_cache;

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

static void release_typelib(void)
{
    if (typelib_cache) ITypeLib_Release(typelib_cache);
    typelib_cache = NULL;
}

/* The SDK headers have no prototype for it (-Wmissing-prototypes). */
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved);

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    switch (reason)
    {
    case DLL_PROCESS_ATTACH:
        msgsc_instance = instance;
        DisableThreadLibraryCalls(instance);
        break;
    case DLL_PROCESS_DETACH:
        /* At process exit (reserved != NULL) other DLLs may already be gone: leave COM alone. */
        if (reserved) break;
        release_typelib();
        break;
    }
    return TRUE;
}

HRESULT WINAPI DllGetClassObject(REFCLSID clsid, REFIID riid, void **ppv)
{
    if (!ppv) return E_POINTER;
    *ppv = NULL;
    return CLASS_E_CLASSNOTAVAILABLE;
}

/* No object and no class factory exists yet, so nothing can keep the DLL loaded.  (With objects
 * this must become a real module count: objects alive + IClassFactory::LockServer.) */
HRESULT WINAPI DllCanUnloadNow(void)
{
    return S_OK;
}

HRESULT WINAPI DllRegisterServer(void)
{
    WCHAR path[MAX_PATH];
    ITypeLib *typelib;
    HRESULT hr;

    if (FAILED(hr = msgsc_module_path(path, ARRAYSIZE(path)))) return hr;
    /* REGKIND_REGISTER writes HKCR\TypeLib\{LIBID}\1.0 with this path, and the Interface keys
     * that route the interfaces' marshaling through the type library. */
    hr = LoadTypeLibEx(path, REGKIND_REGISTER, &typelib);
    if (SUCCEEDED(hr)) ITypeLib_Release(typelib);
    return hr;
}

/* Is the type library registered for this DLL's platform (win32 or win64)?  A registration for
 * the other platform shares the TypeLib key but is not ours to remove. */
static BOOL typelib_registered(void)
{
    WCHAR key[128], libid[40];
    HKEY hkey;

    if (!StringFromGUID2(&LIBID_MessengerPrivate, libid, ARRAYSIZE(libid))) return TRUE;
    lstrcpyW(key, L"TypeLib\\");
    lstrcatW(key, libid);
    lstrcatW(key, MSGSC_TYPELIB_KEY);
    if (RegOpenKeyExW(HKEY_CLASSES_ROOT, key, 0, KEY_READ, &hkey)) return FALSE;
    RegCloseKey(hkey);
    return TRUE;
}

HRESULT WINAPI DllUnregisterServer(void)
{
    /* Unregistering what is not registered succeeds: the wanted state is reached. */
    if (!typelib_registered()) return S_OK;
    return UnRegisterTypeLib(&LIBID_MessengerPrivate, MSGSC_TYPELIB_MAJOR, MSGSC_TYPELIB_MINOR,
                             LOCALE_NEUTRAL, MSGSC_SYSKIND);
}
