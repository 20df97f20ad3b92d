/* msgsc.dll: self-registration (DllRegisterServer, DllUnregisterServer) and the application list
 * that RegisterApplication keeps (msgsc_apps_*).
 *
 * registry/msgsc.reg.txt lists every key and value written here; tests/com/test_register.c holds
 * this file to it.
 *
 * Side by side: the x86 and the x64 DLL each register in their own registry view.  CLSID and
 * Interface are per view; the ProgID, AppID and TypeLib keys are shared by both views (Windows 7
 * and later, and Wine).  So unregistration always removes this platform's class key and its
 * win32/win64 type library entry, but a shared key only once the other platform's registration
 * of the same thing is gone too.
 *
 * Errors are returned as their cause (HRESULT_FROM_WIN32 of the registry error, or what
 * LoadTypeLibEx returned) rather than SELFREG_E_CLASS/SELFREG_E_TYPELIB: regsvr32 only tests
 * FAILED() (then exits 5) and prints the code, and 0x80070005 tells the user to run it elevated
 * where SELFREG_E_CLASS would not.  A DllRegisterServer that fails undoes what it wrote first.
 */
#include <stddef.h>

#include "private.h"

#define MANAGER_CLSID L"{E3A3B1D9-5675-43C0-BF04-37BE11939FB7}"
#define MANAGER_NAME  L"Messenger Session Manager Object"
#define LIBID_STRING  L"{53CED51D-432B-45B2-A3E0-0CE2C24235D4}"
#define CLASS_KEY     L"CLSID\\" MANAGER_CLSID
#define TYPELIB_KEY   L"TypeLib\\" LIBID_STRING

/* The other platform: its registry view and its type library entry. */
#ifdef _WIN64
#define OTHER_VIEW        KEY_WOW64_32KEY
#define OTHER_TYPELIB_KEY L"\\1.0\\0\\win32"
#else
#define OTHER_VIEW        KEY_WOW64_64KEY     /* ignored on 32-bit Windows: then it is our view */
#define OTHER_TYPELIB_KEY L"\\1.0\\0\\win64"
#endif

#ifdef MSGSC_REGISTER_FAULTS
/* Set by tests/com/test_register.c, which compiles this file a second time: the n-th registry
 * write from now (counting from 1) fails with ERROR_ACCESS_DENIED. */
extern unsigned int msgsc_register_fault_at;
#endif

static LONG fault(void)
{
#ifdef MSGSC_REGISTER_FAULTS
    if (msgsc_register_fault_at && !--msgsc_register_fault_at) return ERROR_ACCESS_DENIED;
#endif
    return ERROR_SUCCESS;
}

/* ---- what DllRegisterServer writes -------------------------------------------------------- */

enum data { TEXT, MODULE_PATH, SURROGATE };

/* One REG_SZ value below HKEY_CLASSES_ROOT.  A key's parent comes before it (CLSID and AppID
 * always exist), so every key this writes is created by its own entry and can be undone. */
struct reg_value {
    const WCHAR *key;
    const WCHAR *name;          /* NULL: the key's (Default) value */
    enum data data;
    const WCHAR *text;          /* for TEXT */
};

static const struct reg_value values[] = {
    /* The class, in this platform's view.  MsgrSession is not creatable, so not registered. */
    { CLASS_KEY, NULL, TEXT, MANAGER_NAME },
    { CLASS_KEY, L"AppID", TEXT, MANAGER_CLSID },
    { CLASS_KEY L"\\InprocServer32", NULL, MODULE_PATH, NULL },
    { CLASS_KEY L"\\InprocServer32", L"ThreadingModel", TEXT, L"Apartment" },
    { CLASS_KEY L"\\ProgID", NULL, TEXT, MSGSC_PROGID_MANAGER_VER },
    { CLASS_KEY L"\\VersionIndependentProgID", NULL, TEXT, MSGSC_PROGID_MANAGER },
    { CLASS_KEY L"\\TypeLib", NULL, TEXT, LIBID_STRING },
    { CLASS_KEY L"\\Version", NULL, TEXT, L"1.0" },
    /* Shared by both platforms.  The AppID's DllSurrogate lets CLSCTX_LOCAL_SERVER callers (as
     * Messenger's own clients were) get the in-process class through dllhost. */
    { L"AppID\\" MANAGER_CLSID, NULL, TEXT, L"msgsc" },
    { L"AppID\\" MANAGER_CLSID, L"DllSurrogate", SURROGATE, NULL },
    { MSGSC_PROGID_MANAGER, NULL, TEXT, MANAGER_NAME },
    { MSGSC_PROGID_MANAGER L"\\CLSID", NULL, TEXT, MANAGER_CLSID },
    { MSGSC_PROGID_MANAGER L"\\CurVer", NULL, TEXT, MSGSC_PROGID_MANAGER_VER },
    { MSGSC_PROGID_MANAGER_VER, NULL, TEXT, MANAGER_NAME },
    { MSGSC_PROGID_MANAGER_VER L"\\CLSID", NULL, TEXT, MANAGER_CLSID },
};

/* The shared keys above, removed with the last platform's class. */
static const WCHAR *const shared_keys[] = {
    L"AppID\\" MANAGER_CLSID, MSGSC_PROGID_MANAGER, MSGSC_PROGID_MANAGER_VER,
};

/* DllSurrogate "" means the system's dllhost of the class's bitness.  Wine 8 starts the 32-bit
 * one for a 64-bit class too, and the activation fails (docs/toolchain.md §8); a named dllhost
 * works for both bitnesses there.  Only under Wine, which ntdll's wine_get_version gives away. */
static const WCHAR *surrogate(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");

    if (ntdll && GetProcAddress(ntdll, "wine_get_version")) return L"C:\\windows\\system32\\dllhost.exe";
    return L"";
}

static const WCHAR *value_data(const struct reg_value *value, const WCHAR *module_path)
{
    switch (value->data)
    {
    case MODULE_PATH: return module_path;
    case SURROGATE: return surrogate();
    default: return value->text;
    }
}

/* ---- DllRegisterServer's undo list -------------------------------------------------------- */

/* One change below HKEY_CLASSES_ROOT: a key that was created, or a value that was set, with
 * what it held before.  Kept newest first, the order to undo them in. */
struct change {
    struct change *next;
    const WCHAR *key;
    BOOL created;               /* the key was created; else a value of it was set: */
    const WCHAR *name;
    BOOL existed;
    DWORD type, size;
    BYTE data[];
};

static struct change *new_change(const WCHAR *key, DWORD size)
{
    struct change *change = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY,
                                      offsetof(struct change, data) + size);

    if (change) change->key = key;
    return change;
}

static void push_change(struct change **changes, struct change *change)
{
    change->next = *changes;
    *changes = change;
}

/* Save a value of key (opened with KEY_QUERY_VALUE) before it is overwritten. */
static LONG remember_value(struct change **changes, HKEY key, const WCHAR *path, const WCHAR *name)
{
    struct change *change;
    DWORD size;
    LONG err;

    for (;;)
    {
        size = 0;
        err = RegQueryValueExW(key, name, NULL, NULL, NULL, &size);
        if (err == ERROR_FILE_NOT_FOUND) size = 0;
        else if (err) return err;
        if (!(change = new_change(path, size))) return ERROR_OUTOFMEMORY;
        change->name = name;
        if (err == ERROR_FILE_NOT_FOUND) break;
        change->existed = TRUE;
        change->size = size;
        if (!(err = RegQueryValueExW(key, name, NULL, &change->type, change->data, &change->size))) break;
        HeapFree(GetProcessHeap(), 0, change);
        if (err != ERROR_MORE_DATA) return err;
        /* It grew in the meantime: again. */
    }
    push_change(changes, change);
    return ERROR_SUCCESS;
}

static void undo_change(const struct change *change)
{
    HKEY key;

    if (change->created)
        RegDeleteTreeW(HKEY_CLASSES_ROOT, change->key);
    else if (!RegOpenKeyExW(HKEY_CLASSES_ROOT, change->key, 0, KEY_SET_VALUE, &key))
    {
        if (change->existed)
            RegSetValueExW(key, change->name, 0, change->type, change->data, change->size);
        else
            RegDeleteValueW(key, change->name);
        RegCloseKey(key);
    }
}

/* Undo the changes (or only forget them) and free the list. */
static void finish_changes(struct change *changes, BOOL undo)
{
    struct change *next;

    for (; changes; changes = next)
    {
        next = changes->next;
        if (undo) undo_change(changes);
        HeapFree(GetProcessHeap(), 0, changes);
    }
}

static LONG write_value(struct change **changes, const struct reg_value *value, const WCHAR *data)
{
    struct change *created;
    DWORD disposition;
    HKEY key;
    LONG err;

    /* Allocated before the key exists, so that a key we create is always on the list. */
    if (!(created = new_change(value->key, 0))) return ERROR_OUTOFMEMORY;
    created->created = TRUE;
    if (!(err = fault()))
        err = RegCreateKeyExW(HKEY_CLASSES_ROOT, value->key, 0, NULL, 0, KEY_QUERY_VALUE | KEY_SET_VALUE,
                              NULL, &key, &disposition);
    if (!err && disposition == REG_CREATED_NEW_KEY) push_change(changes, created);
    else HeapFree(GetProcessHeap(), 0, created);
    if (err) return err;

    if (!(err = remember_value(changes, key, value->key, value->name)) && !(err = fault()))
        err = RegSetValueExW(key, value->name, 0, REG_SZ, (const BYTE *)data,
                             (lstrlenW(data) + 1) * sizeof(WCHAR));
    RegCloseKey(key);
    return err;
}

/* ---- the type library --------------------------------------------------------------------- */

/* Is the type library registered for a platform (MSGSC_TYPELIB_KEY or OTHER_TYPELIB_KEY)?  If so
 * and path is given, the file it was registered from ("" when unreadable). */
static BOOL typelib_registered(const WCHAR *platform_key, WCHAR *path, DWORD chars)
{
    WCHAR name[ARRAYSIZE(TYPELIB_KEY) + 16];
    DWORD size = chars * sizeof(WCHAR);
    HKEY key;
    LONG err;

    lstrcpyW(name, TYPELIB_KEY);
    lstrcatW(name, platform_key);
    if ((err = RegOpenKeyExW(HKEY_CLASSES_ROOT, name, 0, KEY_QUERY_VALUE, &key)))
        return err != ERROR_FILE_NOT_FOUND;     /* in doubt, it is there */
    if (path && RegGetValueW(key, NULL, NULL, RRF_RT_REG_SZ, NULL, path, &size)) path[0] = 0;
    RegCloseKey(key);
    return TRUE;
}

static HRESULT register_typelib(const WCHAR *path)
{
    ITypeLib *typelib;
    LONG err;
    HRESULT hr;

    if ((err = fault())) return HRESULT_FROM_WIN32(err);
    /* REGKIND_REGISTER writes HKCR\TypeLib\{LIBID}\1.0 with this path, and the Interface keys
     * that route the interfaces' marshaling through the type library. */
    if (FAILED(hr = LoadTypeLibEx(path, REGKIND_REGISTER, &typelib))) return hr;
    ITypeLib_Release(typelib);
    err = fault();      /* not inside HRESULT_FROM_WIN32: mingw's evaluates its argument twice */
    return HRESULT_FROM_WIN32(err);
}

/* While the other platform's entry is there, only ours goes: UnRegisterTypeLib would also delete
 * the Interface keys, which the other platform needs (Wine even deletes them in both views). */
static HRESULT unregister_typelib(void)
{
    LONG err;

    if (!typelib_registered(MSGSC_TYPELIB_KEY, NULL, 0)) return S_OK;
    if (!typelib_registered(OTHER_TYPELIB_KEY, NULL, 0))
        return UnRegisterTypeLib(&LIBID_MessengerPrivate, MSGSC_TYPELIB_MAJOR, MSGSC_TYPELIB_MINOR,
                                 LOCALE_NEUTRAL, MSGSC_SYSKIND);
    err = RegDeleteTreeW(HKEY_CLASSES_ROOT, TYPELIB_KEY MSGSC_TYPELIB_KEY);
    return err == ERROR_FILE_NOT_FOUND ? S_OK : HRESULT_FROM_WIN32(err);
}

/* ---- the entry points --------------------------------------------------------------------- */

HRESULT WINAPI DllRegisterServer(void)
{
    WCHAR path[MAX_PATH], previous[MAX_PATH];
    struct change *changes = NULL;
    BOOL had_typelib;
    unsigned int i;
    LONG err = ERROR_SUCCESS;
    HRESULT hr;

    if (FAILED(hr = msgsc_module_path(path, ARRAYSIZE(path)))) return hr;
    for (i = 0; i < ARRAYSIZE(values) && !err; i++)
        err = write_value(&changes, &values[i], value_data(&values[i], path));
    hr = HRESULT_FROM_WIN32(err);

    if (SUCCEEDED(hr))
    {
        had_typelib = typelib_registered(MSGSC_TYPELIB_KEY, previous, ARRAYSIZE(previous));
        /* It may have written part of its keys: put back the registration there was. */
        if (FAILED(hr = register_typelib(path)))
        {
            if (!had_typelib) unregister_typelib();
            else if (previous[0]) register_typelib(previous);
        }
    }
    finish_changes(changes, FAILED(hr));
    return hr;
}

static BOOL key_exists(const WCHAR *path, REGSAM view)
{
    HKEY key;
    LONG err = RegOpenKeyExW(HKEY_CLASSES_ROOT, path, 0, KEY_QUERY_VALUE | view, &key);

    if (!err) RegCloseKey(key);
    /* When in doubt (access denied...), it is there: keep what may be in use. */
    return err != ERROR_FILE_NOT_FOUND;
}

static HRESULT delete_key(const WCHAR *path)
{
    LONG err = RegDeleteTreeW(HKEY_CLASSES_ROOT, path);

    return err == ERROR_FILE_NOT_FOUND ? S_OK : HRESULT_FROM_WIN32(err);
}

/* Unregistering what is not registered succeeds: the wanted state is reached.  A failure does
 * not stop the rest; the first one is returned. */
HRESULT WINAPI DllUnregisterServer(void)
{
    HRESULT hr, next;
    unsigned int i;

    hr = delete_key(CLASS_KEY);
    if (FAILED(next = unregister_typelib()) && SUCCEEDED(hr)) hr = next;
    /* After our own class key is gone, so that on 32-bit Windows (one view) this is false. */
    if (key_exists(CLASS_KEY, OTHER_VIEW)) return hr;
    for (i = 0; i < ARRAYSIZE(shared_keys); i++)
        if (FAILED(next = delete_key(shared_keys[i])) && SUCCEEDED(hr)) hr = next;
    return hr;
}

/* ---- applications ------------------------------------------------------------------------- */

/* Always the 64-bit view, so that x86 and x64 clients see one list (ignored on 32-bit Windows). */
#define APPS_VIEW KEY_WOW64_64KEY
#define APP_KEY_CHARS (ARRAYSIZE(MSGSC_APPS_KEY) + MSC_MAX_APP_GUID_CHARS + 1)

/* MSGSC_APPS_KEY\GUID with the GUID upper-cased, as Messenger listed them (names ignore case).
 * FALSE for what cannot be a single key name of a GUID's length: the caller checks the syntax,
 * this only keeps such a string from overflowing the buffer or naming another key. */
static BOOL app_key(const WCHAR *guid, WCHAR key[APP_KEY_CHARS])
{
    size_t len = ARRAYSIZE(MSGSC_APPS_KEY) - 1, i;

    if (!guid || !guid[0]) return FALSE;
    memcpy(key, MSGSC_APPS_KEY, len * sizeof(WCHAR));
    key[len++] = '\\';
    for (i = 0; guid[i]; i++)
    {
        if (i == MSC_MAX_APP_GUID_CHARS || guid[i] == '\\') return FALSE;
        key[len++] = guid[i] >= 'a' && guid[i] <= 'z' ? guid[i] - 'a' + 'A' : guid[i];
    }
    key[len] = 0;
    return TRUE;
}

static LONG set_string(HKEY key, const WCHAR *name, const WCHAR *text)
{
    size_t len = text ? wcslen(text) : 0;
    LONG err;

    if ((err = fault())) return err;
    if (len >= MAXDWORD / sizeof(WCHAR)) return ERROR_INVALID_PARAMETER;
    return RegSetValueExW(key, name, 0, REG_SZ, (const BYTE *)(text ? text : L""),
                          (DWORD)((len + 1) * sizeof(WCHAR)));
}

HRESULT msgsc_apps_register(const WCHAR *guid, const WCHAR *name, const WCHAR *url, const WCHAR *path)
{
    WCHAR subkey[APP_KEY_CHARS];
    DWORD disposition;
    HKEY key;
    LONG err;

    if (!app_key(guid, subkey)) return REGDB_E_WRITEREGDB;
    /* Asked first, so that a user without write access hears "already registered" too. */
    if (!RegOpenKeyExW(HKEY_LOCAL_MACHINE, subkey, 0, KEY_QUERY_VALUE | APPS_VIEW, &key))
    {
        RegCloseKey(key);
        return SR_APP_ALREADY_REGISTERED;
    }
    if ((err = fault())) return REGDB_E_WRITEREGDB;
    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, subkey, 0, NULL, 0, KEY_SET_VALUE | APPS_VIEW, NULL, &key,
                        &disposition))
        return REGDB_E_WRITEREGDB;
    if (disposition == REG_OPENED_EXISTING_KEY)
    {
        /* Someone else was quicker. */
        RegCloseKey(key);
        return SR_APP_ALREADY_REGISTERED;
    }
    if (!(err = set_string(key, L"Name", name)) && !(err = set_string(key, L"URL", url)))
        err = set_string(key, L"Path", path);
    RegCloseKey(key);
    if (!err) return S_OK;
    /* Not half an application: it would block registering it again. */
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, subkey, APPS_VIEW, 0);
    return REGDB_E_WRITEREGDB;
}

HRESULT msgsc_apps_unregister(const WCHAR *guid)
{
    WCHAR subkey[APP_KEY_CHARS];
    HKEY key;
    LONG err;

    if (!app_key(guid, subkey)) return SR_APP_NOT_REGISTERED;
    err = RegOpenKeyExW(HKEY_LOCAL_MACHINE, subkey, 0,
                        DELETE | KEY_ENUMERATE_SUB_KEYS | KEY_QUERY_VALUE | KEY_SET_VALUE | APPS_VIEW, &key);
    if (err == ERROR_FILE_NOT_FOUND) return SR_APP_NOT_REGISTERED;
    if (err) return REGDB_E_WRITEREGDB;
    /* An installer may have put more below it: empty it first, then delete it in our view. */
    if (!(err = fault()))
        err = RegDeleteTreeW(key, NULL);
    RegCloseKey(key);
    if (!err && !(err = fault()))
        err = RegDeleteKeyExW(HKEY_LOCAL_MACHINE, subkey, APPS_VIEW, 0);
    return err ? REGDB_E_WRITEREGDB : S_OK;
}

/* A string value into buf (chars WCHARs, NUL included): TRUE, and "" when it is absent or not
 * a string; FALSE when it does not fit.  REG_EXPAND_SZ is returned as stored.  The registry
 * does not promise a terminator, so one is added when there is room. */
static BOOL get_string(HKEY key, const WCHAR *name, WCHAR *buf, DWORD chars)
{
    DWORD type, size = chars * sizeof(WCHAR), len;
    LONG err = RegQueryValueExW(key, name, NULL, &type, (BYTE *)buf, &size);

    if (err == ERROR_FILE_NOT_FOUND
        || ((err == ERROR_SUCCESS || err == ERROR_MORE_DATA) && type != REG_SZ && type != REG_EXPAND_SZ))
    {
        buf[0] = 0;
        return TRUE;
    }
    if (err) return FALSE;
    len = size / sizeof(WCHAR);
    if (len && !buf[len - 1]) return TRUE;
    if (len == chars) return FALSE;
    buf[len] = 0;
    return TRUE;
}

BOOL msgsc_apps_lookup(const WCHAR *guid, WCHAR name[MSC_MAX_NAME_CHARS + 1],
                       WCHAR url[MSC_MAX_URL_CHARS + 1], WCHAR path[MSC_MAX_PATH_CHARS + 1])
{
    static const HKEY roots[] = { HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER };
    WCHAR subkey[APP_KEY_CHARS], scratch[MSC_MAX_PATH_CHARS + 1];
    unsigned int i;
    HKEY key = NULL;
    BOOL ok;

    if (name) name[0] = 0;
    if (url) url[0] = 0;
    if (path) path[0] = 0;
    if (!app_key(guid, subkey)) return FALSE;
    for (i = 0; i < ARRAYSIZE(roots); i++)
        if (!RegOpenKeyExW(roots[i], subkey, 0, KEY_QUERY_VALUE | APPS_VIEW, &key)) break;
    if (i == ARRAYSIZE(roots)) return FALSE;

    /* Without a buffer the value is still read (into scratch), so that too long still fails. */
    ok = get_string(key, L"Name", name ? name : scratch, MSC_MAX_NAME_CHARS + 1)
      && get_string(key, L"URL", url ? url : scratch, MSC_MAX_URL_CHARS + 1)
      && get_string(key, L"Path", path ? path : scratch, MSC_MAX_PATH_CHARS + 1);
    RegCloseKey(key);
    if (!ok)
    {
        if (name) name[0] = 0;
        if (url) url[0] = 0;
        if (path) path[0] = 0;
    }
    return ok;
}
