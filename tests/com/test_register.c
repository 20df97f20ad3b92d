/* test_register: registration of msgsc.dll and its application list, against the reference in
 * registry/msgsc.reg.txt.
 *
 *   test_register <msgsc.dll> <msgsc.reg.txt>
 *   test_register --check-class <msgsc.dll>      (used by tests/com/side_by_side.sh)
 *   test_register --block-registration | --unblock-registration      (used by regsvr32.sh)
 *
 * The registration tests load the built DLL, call its DllRegisterServer/DllUnregisterServer and
 * read the registry back in this program's own registry view, key by key against the reference.
 * register.c is compiled into this program too (tests/com/CMakeLists.txt), with MSGSC_REGISTER_FAULTS
 * and the msgsc_module_path() below in place of the DLL's.  That copy is used where the DLL
 * cannot be: to make the registry writes fail one at a time (the rollback), and to call the
 * msgsc_apps_* functions, which the DLL does not export.
 *
 * It needs a prefix where msgsc is not registered for this platform, and leaves it so.
 */
#include "private.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

/* The contract (docs/msgr-api.md §2), written out here rather than taken from the headers. */
#define CLSID_MANAGER  L"{E3A3B1D9-5675-43C0-BF04-37BE11939FB7}"
#define CLSID_SESSION  L"{E3A3B1D8-5675-43C0-BF04-37BE11939FB7}"
#define LIBID          L"{53CED51D-432B-45B2-A3E0-0CE2C24235D4}"
#define PROGID         L"MessengerPrivate.MsgrSessionManager"
#define PROGID_VER     L"MessengerPrivate.MsgrSessionManager.1"
#define IID_MANAGER    L"{305D86C6-6896-4099-91F5-CB7BA7733563}"
#define APPS           L"Software\\Microsoft\\MessengerService\\SessionManager\\Apps"
#define MESSENGER_KEY  L"Software\\Microsoft\\MessengerService"

#ifdef _WIN64
#define PLATFORM       L"win64"
#define OTHER_PLATFORM L"win32"
#define OTHER_VIEW     KEY_WOW64_32KEY
#define ARCH           "x86_64"
#else
#define PLATFORM       L"win32"
#define OTHER_PLATFORM L"win64"
#define OTHER_VIEW     KEY_WOW64_64KEY
#define ARCH           "i686"
#endif

/* ---- the compiled-in copy of register.c ------------------------------------------------------ */

unsigned int msgsc_register_fault_at;
static WCHAR copy_module_path[MAX_PATH];     /* the DLL that the copy registers */

HRESULT msgsc_module_path(WCHAR *path, DWORD size)
{
    if (wcslen(copy_module_path) >= size) return HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER);
    wcscpy(path, copy_module_path);
    return S_OK;
}

/* ---- the DLL ----------------------------------------------------------------------------------- */

static WCHAR dll_path[MAX_PATH], ref_path[MAX_PATH];
static HMODULE dll;
static HRESULT (WINAPI *dll_register)(void);
static HRESULT (WINAPI *dll_unregister)(void);

/* ---- small helpers ------------------------------------------------------------------------------ */

/* On 32-bit Windows there is one registry view, and OTHER_VIEW names it. */
static BOOL two_views(void)
{
    BOOL wow64 = FALSE;

    return sizeof(void *) == 8 || (IsWow64Process(GetCurrentProcess(), &wow64) && wow64);
}

static BOOL is_wine(void)
{
    return GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != NULL;
}

static BOOL starts_with(const WCHAR *s, const WCHAR *prefix)
{
    return !_wcsnicmp(s, prefix, wcslen(prefix));
}

static BOOL key_exists(HKEY root, const WCHAR *path, REGSAM view)
{
    HKEY key;

    if (RegOpenKeyExW(root, path, 0, KEY_QUERY_VALUE | view, &key)) return FALSE;
    RegCloseKey(key);
    return TRUE;
}

static void delete_tree(HKEY root, const WCHAR *path, REGSAM view)
{
    HKEY key;
    LONG err;

    if (RegOpenKeyExW(root, path, 0, KEY_ALL_ACCESS | view, &key)) return;
    RegDeleteTreeW(key, NULL);
    RegCloseKey(key);
    err = RegDeleteKeyExW(root, path, view, 0);
    if (err && err != ERROR_FILE_NOT_FOUND) print_error("could not delete %ls (%ld)\n", path, (long)err);
}

/* A string value ("" name: the default); FALSE when absent or not REG_SZ. */
static BOOL get_value(HKEY root, const WCHAR *path, REGSAM view, const WCHAR *name, WCHAR *buf, DWORD chars)
{
    DWORD size = chars * sizeof(WCHAR), type;
    HKEY key;
    LONG err;

    buf[0] = 0;
    if (RegOpenKeyExW(root, path, 0, KEY_QUERY_VALUE | view, &key)) return FALSE;
    err = RegQueryValueExW(key, name, NULL, &type, (BYTE *)buf, &size);
    RegCloseKey(key);
    if (err || type != REG_SZ) return FALSE;
    buf[min(size / sizeof(WCHAR), chars - 1)] = 0;
    return TRUE;
}

/* Wine writes the type library paths with a \\?\ prefix. */
static const WCHAR *unprefixed(const WCHAR *path)
{
    return wcsncmp(path, L"\\\\?\\", 4) ? path : path + 4;
}

/* ---- the reference (registry/msgsc.reg.txt) ------------------------------------------------- */

#define TEXT_CHARS 600

struct ref_value {
    WCHAR name[64];             /* "" for @, the (Default) value */
    BOOL any;                   /* =* */
    WCHAR data[TEXT_CHARS];
};

struct ref_key {
    HKEY root;
    WCHAR path[TEXT_CHARS];     /* below root, placeholders not yet replaced */
    int nvalues;
    struct ref_value values[4];
};

static struct ref_key refs[80];
static int nrefs;

/* Placeholders and what they stand for now. */
static struct { const WCHAR *name; WCHAR value[TEXT_CHARS]; } substs[] = {
    { L"<DLLPATH>", L"" }, { L"<PLATFORM>", L"" }, { L"<SURROGATE>", L"" },
    { L"<APPGUID>", L"" }, { L"<NAME>", L"" }, { L"<URL>", L"" }, { L"<PATH>", L"" },
};

static void set_subst(const WCHAR *name, const WCHAR *value)
{
    size_t i;

    for (i = 0; i < ARRAYSIZE(substs); i++)
        if (!wcscmp(substs[i].name, name)) wcsncpy(substs[i].value, value, TEXT_CHARS - 1);
}

/* in with the placeholders replaced; fails the test rather than truncate. */
static const WCHAR *expand(const WCHAR *in, WCHAR out[TEXT_CHARS])
{
    size_t len = 0, i, n;
    const WCHAR *add;

    while (*in)
    {
        for (i = 0; i < ARRAYSIZE(substs); i++)
            if (!wcsncmp(in, substs[i].name, wcslen(substs[i].name))) break;
        if (i < ARRAYSIZE(substs))
        {
            add = substs[i].value;
            n = wcslen(add);
            in += wcslen(substs[i].name);
        }
        else
        {
            add = in++;
            n = 1;
        }
        assert_true(len + n < TEXT_CHARS);
        memcpy(out + len, add, n * sizeof(WCHAR));
        len += n;
    }
    out[len] = 0;
    return out;
}

/* A quoted .reg string at *p, unescaped into out. */
static BOOL parse_quoted(const WCHAR **p, WCHAR *out, size_t size)
{
    const WCHAR *s = *p;
    size_t len = 0;

    if (*s++ != '"') return FALSE;
    for (; *s && *s != '"'; s++)
    {
        if (*s == '\\' && (s[1] == '\\' || s[1] == '"')) s++;
        if (len + 1 >= size) return FALSE;
        out[len++] = *s;
    }
    if (*s != '"') return FALSE;
    out[len] = 0;
    *p = s + 1;
    return TRUE;
}

static BOOL parse_line(WCHAR *line)
{
    struct ref_key *key = nrefs ? &refs[nrefs - 1] : NULL;
    struct ref_value *value;
    const WCHAR *p = line;
    size_t len = wcslen(line);

    if (line[0] == '[')
    {
        if (nrefs == ARRAYSIZE(refs) || line[len - 1] != ']') return FALSE;
        line[len - 1] = 0;
        key = &refs[nrefs++];
        if (starts_with(line + 1, L"HKEY_CLASSES_ROOT\\")) key->root = HKEY_CLASSES_ROOT;
        else if (starts_with(line + 1, L"HKEY_LOCAL_MACHINE\\")) key->root = HKEY_LOCAL_MACHINE;
        else return FALSE;
        p = wcschr(line, '\\') + 1;
        if (wcslen(p) >= TEXT_CHARS) return FALSE;
        wcscpy(key->path, p);
        return TRUE;
    }
    if (!key || key->nvalues == ARRAYSIZE(key->values)) return FALSE;
    value = &key->values[key->nvalues++];
    if (*p == '@') p++;
    else if (!parse_quoted(&p, value->name, ARRAYSIZE(value->name))) return FALSE;
    if (*p++ != '=') return FALSE;
    if (*p == '*') value->any = TRUE, p++;
    else if (!parse_quoted(&p, value->data, ARRAYSIZE(value->data))) return FALSE;
    return !*p;
}

static int load_reference(const WCHAR *path)
{
    HANDLE file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    DWORD size, got;
    char *bytes;
    WCHAR *text, *line, *next, *end;
    int chars, lineno = 0;

    if (file == INVALID_HANDLE_VALUE) return -1;
    size = GetFileSize(file, NULL);
    bytes = malloc(size + 1);
    text = malloc((size + 1) * sizeof(WCHAR));
    if (!bytes || !text || !ReadFile(file, bytes, size, &got, NULL) || got != size)
    {
        CloseHandle(file);
        return -1;
    }
    CloseHandle(file);
    chars = MultiByteToWideChar(CP_UTF8, 0, bytes, size, text, size);
    text[chars] = 0;
    free(bytes);

    for (line = text; line; line = next)
    {
        lineno++;
        if ((next = wcschr(line, '\n'))) *next++ = 0;
        end = line + wcslen(line);
        while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) *--end = 0;
        if (!line[0] || line[0] == ';') continue;
        if (!parse_line(line))
        {
            fprintf(stderr, "%ls:%d: cannot parse: %ls\n", path, lineno, line);
            return -1;
        }
    }
    free(text);
    return nrefs ? 0 : -1;
}

static const struct ref_key *find_ref(HKEY root, const WCHAR *expanded_path)
{
    WCHAR buf[TEXT_CHARS];
    int i;

    for (i = 0; i < nrefs; i++)
        if (refs[i].root == root && !_wcsicmp(expand(refs[i].path, buf), expanded_path)) return &refs[i];
    return NULL;
}

/* Keys msgsc owns outright are compared exactly; below TypeLib and Interface oleaut32 writes,
 * and may add values and keys of its own. */
static BOOL exact(const struct ref_key *ref)
{
    return !starts_with(ref->path, L"TypeLib\\") && !starts_with(ref->path, L"Interface\\");
}

/* Compare one key with the registry; returns the number of differences, each printed. */
static int check_ref_key(const struct ref_key *ref, REGSAM view)
{
    WCHAR path[TEXT_CHARS], want[TEXT_CHARS], got[TEXT_CHARS], name[256], sub[TEXT_CHARS + 256];
    DWORD chars, type, size, i;
    int bad = 0, j;
    HKEY key;
    BOOL listed;

    expand(ref->path, path);
    if (RegOpenKeyExW(ref->root, path, 0, KEY_READ | view, &key))
    {
        print_error("missing key %ls\n", path);
        return 1;
    }
    for (j = 0; j < ref->nvalues; j++)
    {
        const struct ref_value *v = &ref->values[j];

        size = sizeof(got) - sizeof(WCHAR);
        memset(got, 0, sizeof(got));
        if (RegQueryValueExW(key, v->name, NULL, &type, (BYTE *)got, &size))
        {
            print_error("%ls: missing value \"%ls\"\n", path, v->name);
            bad++;
        }
        else if (type != REG_SZ)
        {
            print_error("%ls: value \"%ls\" has type %lu, not REG_SZ\n", path, v->name, (unsigned long)type);
            bad++;
        }
        else if (!v->any && wcscmp(unprefixed(got), expand(v->data, want)))
        {
            print_error("%ls: value \"%ls\" is \"%ls\", expected \"%ls\"\n", path, v->name, got, want);
            bad++;
        }
    }
    if (exact(ref))
    {
        for (i = 0; chars = ARRAYSIZE(name), !RegEnumValueW(key, i, name, &chars, NULL, NULL, NULL, NULL); i++)
        {
            for (listed = FALSE, j = 0; j < ref->nvalues && !listed; j++)
                listed = !_wcsicmp(ref->values[j].name, name);
            if (!listed)
            {
                print_error("%ls: unexpected value \"%ls\"\n", path, name);
                bad++;
            }
        }
        for (i = 0; chars = ARRAYSIZE(name), !RegEnumKeyExW(key, i, name, &chars, NULL, NULL, NULL, NULL); i++)
        {
            swprintf(sub, ARRAYSIZE(sub), L"%ls\\%ls", path, name);
            if (!find_ref(ref->root, sub))
            {
                print_error("unexpected key %ls\n", sub);
                bad++;
            }
        }
    }
    RegCloseKey(key);
    return bad;
}

/* What unregistration must leave of a key: its own platform's parts never; the shared parts
 * while the other platform's registration of the same thing is there. */
static BOOL other_class_registered(void)
{
    return key_exists(HKEY_CLASSES_ROOT, L"CLSID\\" CLSID_MANAGER, OTHER_VIEW);
}

static BOOL other_typelib_registered(void)
{
    return key_exists(HKEY_CLASSES_ROOT, L"TypeLib\\" LIBID L"\\1.0\\0\\" OTHER_PLATFORM, 0);
}

static BOOL stays_after_unregister(const struct ref_key *ref)
{
    if (starts_with(ref->path, L"CLSID\\") || wcsstr(ref->path, L"<PLATFORM>")) return FALSE;
    if (starts_with(ref->path, L"TypeLib\\") || starts_with(ref->path, L"Interface\\"))
        return other_typelib_registered();
    return other_class_registered();
}

static void check_registered(void)
{
    int i, bad = 0;

    for (i = 0; i < nrefs; i++)
        if (refs[i].root == HKEY_CLASSES_ROOT) bad += check_ref_key(&refs[i], 0);
    assert_int_equal(bad, 0);
}

static void check_unregistered(void)
{
    WCHAR path[TEXT_CHARS];
    int i, bad = 0;
    BOOL there, want;

    for (i = 0; i < nrefs; i++)
    {
        if (refs[i].root != HKEY_CLASSES_ROOT) continue;
        there = key_exists(HKEY_CLASSES_ROOT, expand(refs[i].path, path), 0);
        want = stays_after_unregister(&refs[i]);
        if (there != want)
        {
            print_error("%ls is %s after unregistration\n", path, there ? "still there" : "gone");
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* ---- snapshots: everything msgsc may have written, as text ---------------------------------- */

struct text { WCHAR *p; size_t len, cap; };

static void append(struct text *t, const WCHAR *s)
{
    size_t n = wcslen(s);

    if (t->len + n + 1 > t->cap)
    {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap * sizeof(WCHAR));
        assert_non_null(t->p);
    }
    memcpy(t->p + t->len, s, (n + 1) * sizeof(WCHAR));
    t->len += n;
}

static void dump_key(struct text *t, HKEY root, const WCHAR *path, REGSAM view)
{
    WCHAR name[256], line[TEXT_CHARS * 2], sub[TEXT_CHARS + 256];
    BYTE data[TEXT_CHARS * sizeof(WCHAR)];
    DWORD i, chars, type, size;
    HKEY key;

    swprintf(line, ARRAYSIZE(line), L"[%ls]%ls\n", path, view ? L" (other view)" : L"");
    append(t, line);
    if (RegOpenKeyExW(root, path, 0, KEY_READ | view, &key))
    {
        append(t, L"  absent\n");
        return;
    }
    for (i = 0; chars = ARRAYSIZE(name), size = sizeof(data) - sizeof(WCHAR),
                !RegEnumValueW(key, i, name, &chars, NULL, &type, data, &size); i++)
    {
        data[size] = data[size + 1] = 0;
        swprintf(line, ARRAYSIZE(line), L"  \"%ls\" %lu \"%ls\"\n", name, (unsigned long)type,
                 type == REG_SZ ? (WCHAR *)data : L"?");
        append(t, line);
    }
    for (i = 0; chars = ARRAYSIZE(name), !RegEnumKeyExW(key, i, name, &chars, NULL, NULL, NULL, NULL); i++)
    {
        swprintf(sub, ARRAYSIZE(sub), L"%ls\\%ls", path, name);
        dump_key(t, root, sub, view);
    }
    RegCloseKey(key);
}

/* The top keys of the reference (those whose parent it does not list), in this view, plus the
 * class key in the other view and the noncreatable class's key. */
static WCHAR *snapshot(void)
{
    WCHAR path[TEXT_CHARS], *slash;
    struct text t = { NULL, 0, 0 };
    int i;

    for (i = 0; i < nrefs; i++)
    {
        if (refs[i].root != HKEY_CLASSES_ROOT) continue;
        expand(refs[i].path, path);
        if ((slash = wcsrchr(path, '\\')))
        {
            *slash = 0;
            if (find_ref(HKEY_CLASSES_ROOT, path)) continue;
            *slash = '\\';
        }
        dump_key(&t, HKEY_CLASSES_ROOT, path, 0);
    }
    dump_key(&t, HKEY_CLASSES_ROOT, L"CLSID\\" CLSID_MANAGER, OTHER_VIEW);
    dump_key(&t, HKEY_CLASSES_ROOT, L"CLSID\\" CLSID_SESSION, 0);
    return t.p;
}

static void check_snapshot(const WCHAR *want, const char *when, unsigned int step)
{
    WCHAR *got = snapshot();

    /* Printed here: cmocka's messages are cut at 1 KB. */
    if (wcscmp(got, want))
    {
        fprintf(stderr, "expected:\n%ls\ngot:\n%ls", want, got);
        free(got);
        fail_msg("%s (write %u): the registry differs", when, step);
    }
    free(got);
}

/* ---- DllRegisterServer / DllUnregisterServer ------------------------------------------------ */

/* A real registry error halfway through DllRegisterServer: the ProgID ".1" key made volatile, so
 * that its lasting CLSID subkey cannot be created (ERROR_CHILD_MUST_BE_VOLATILE).  Volatile keys
 * live until the registry is unloaded (here: until the wineserver stops) unless deleted. */
static LONG block_registration(BOOL block)
{
    HKEY key;
    LONG err;

    if (!block)
    {
        err = RegDeleteKeyW(HKEY_CLASSES_ROOT, PROGID_VER);
        return err == ERROR_FILE_NOT_FOUND ? ERROR_SUCCESS : err;
    }
    err = RegCreateKeyExW(HKEY_CLASSES_ROOT, PROGID_VER, 0, NULL, REG_OPTION_VOLATILE, KEY_ALL_ACCESS,
                          NULL, &key, NULL);
    if (!err) RegCloseKey(key);
    return err;
}

static BOOL other_class_before;

static int setup_registration(void **state)
{
    set_subst(L"<DLLPATH>", dll_path);
    set_subst(L"<PLATFORM>", PLATFORM);
    set_subst(L"<SURROGATE>", is_wine() ? L"C:\\windows\\system32\\dllhost.exe" : L"");
    if (key_exists(HKEY_CLASSES_ROOT, L"CLSID\\" CLSID_MANAGER, 0)
        || key_exists(HKEY_CLASSES_ROOT, L"TypeLib\\" LIBID L"\\1.0\\0\\" PLATFORM, 0))
    {
        print_error("msgsc is registered for " ARCH " in this prefix already: run regsvr32 /u on it first\n");
        return -1;
    }
    other_class_before = two_views() && other_class_registered();
    if (other_class_before || (two_views() && other_typelib_registered()))
        print_message("note: the other platform's msgsc is registered; its shared keys must stay\n");
    return 0;
}

static int teardown_registration(void **state)
{
    msgsc_register_fault_at = 0;
    dll_unregister();
    block_registration(FALSE);
    return 0;
}

static void test_register_writes_reference(void **state)
{
    assert_int_equal(dll_register(), S_OK);
    check_registered();
    /* Only into this view, and not the noncreatable class. */
    if (!other_class_before && two_views()) assert_false(other_class_registered());
    assert_false(key_exists(HKEY_CLASSES_ROOT, L"CLSID\\" CLSID_SESSION, 0));
}

static void test_register_again_changes_nothing(void **state)
{
    WCHAR *before = snapshot();

    assert_int_equal(dll_register(), S_OK);
    check_snapshot(before, "registering again", 0);
    free(before);
}

static void test_class_resolves(void **state)
{
    static const CLSID clsid_manager = {0xe3a3b1d9, 0x5675, 0x43c0, {0xbf, 0x04, 0x37, 0xbe, 0x11, 0x93, 0x9f, 0xb7}};
    static const GUID libid = {0x53ced51d, 0x432b, 0x45b2, {0xa3, 0xe0, 0x0c, 0xe2, 0xc2, 0x42, 0x35, 0xd4}};
    IClassFactory *factory;
    ITypeLib *typelib;
    CLSID clsid;
    HRESULT hr;

    assert_int_equal(CoInitialize(NULL), S_OK);
    assert_int_equal(CLSIDFromProgID(PROGID, &clsid), S_OK);
    assert_true(IsEqualCLSID(&clsid, &clsid_manager));
    assert_int_equal(CLSIDFromProgID(PROGID_VER, &clsid), S_OK);
    assert_true(IsEqualCLSID(&clsid, &clsid_manager));
    /* COM finds the DLL; before the class exists there, it answers CLASS_E_CLASSNOTAVAILABLE. */
    hr = CoGetClassObject(&clsid_manager, CLSCTX_INPROC_SERVER, NULL, &IID_IClassFactory, (void **)&factory);
    if (SUCCEEDED(hr)) IClassFactory_Release(factory);
    else assert_int_equal(hr, CLASS_E_CLASSNOTAVAILABLE);
    assert_int_equal(LoadRegTypeLib(&libid, 1, 0, LOCALE_NEUTRAL, &typelib), S_OK);
    ITypeLib_Release(typelib);
    CoUninitialize();
}

static void test_unregister_removes_everything(void **state)
{
    CLSID clsid;

    assert_int_equal(dll_unregister(), S_OK);
    check_unregistered();
    if (!other_class_registered())
        assert_int_not_equal(CLSIDFromProgID(PROGID, &clsid), S_OK);
}

static void test_register_fails_cleanly(void **state)
{
    WCHAR *before;
    HRESULT hr;

    assert_int_equal(block_registration(TRUE), ERROR_SUCCESS);
    before = snapshot();
    hr = dll_register();
    assert_int_equal(hr, HRESULT_FROM_WIN32(ERROR_CHILD_MUST_BE_VOLATILE));
    check_snapshot(before, "a failed DllRegisterServer", 0);
    free(before);
    assert_int_equal(block_registration(FALSE), ERROR_SUCCESS);
    check_unregistered();
}

static void test_unregister_again_succeeds(void **state)
{
    WCHAR *before = snapshot();

    assert_int_equal(dll_unregister(), S_OK);
    check_snapshot(before, "unregistering again", 0);
    free(before);
    check_unregistered();
}

/* Make the n-th write of the copy's DllRegisterServer fail, for every n: each time the registry
 * must be as before.  Returns how many writes there were. */
static unsigned int check_rollback(const WCHAR *before, const char *when)
{
    unsigned int n;
    HRESULT hr;

    wcscpy(copy_module_path, dll_path);
    for (n = 1;; n++)
    {
        msgsc_register_fault_at = n;
        hr = DllRegisterServer();
        if (msgsc_register_fault_at) break;         /* no n-th write: it ran to the end */
        if (hr != E_ACCESSDENIED) fail_msg("%s (write %u): 0x%08lx", when, n, (unsigned long)hr);
        check_snapshot(before, when, n);
    }
    msgsc_register_fault_at = 0;
    assert_int_equal(hr, S_OK);
    return n - 1;
}

static void test_register_rolls_back(void **state)
{
    WCHAR *before = snapshot();
    unsigned int writes = check_rollback(before, "registering from nothing");

    /* Every value is a key creation and a value write, and the type library two more. */
    assert_true(writes >= 2 * 15 + 2);
    check_registered();
    assert_int_equal(DllUnregisterServer(), S_OK);
    check_snapshot(before, "unregistered again", 0);
    free(before);
}

/* Over an older registration of another copy of the DLL, that registration must come back. */
static void test_register_rolls_back_to_previous(void **state)
{
    WCHAR other[MAX_PATH], *before;

    assert_true(GetTempPathW(MAX_PATH - 32, other));
    wcscat(other, L"msgsc-test-" ARCH ".dll");
    assert_true(CopyFileW(dll_path, other, FALSE));
    wcscpy(copy_module_path, other);
    assert_int_equal(DllRegisterServer(), S_OK);
    before = snapshot();
    assert_non_null(wcsstr(before, other));

    check_rollback(before, "registering over another path");
    check_registered();
    assert_int_equal(DllUnregisterServer(), S_OK);
    check_unregistered();
    free(before);
    DeleteFileW(other);
}

/* ---- msgsc_apps_* (the compiled-in copy) ------------------------------------------------------ */

#define APP_UPPER L"{0D5C5EB2-7A41-4F1D-9C4E-6B2B3C5E1A01}"
#define APP_LOWER L"{0d5c5eb2-7a41-4f1d-9c4e-6b2b3c5e1a01}"
#define APP_MIXED L"{0d5c5eb2-7A41-4f1d-9C4E-6b2b3c5e1a01}"
#define APP2      L"{0D5C5EB2-7A41-4F1D-9C4E-6B2B3C5E1A02}"
#define APP_LONGEST APP_UPPER L"Z"    /* 39 characters, the most the caller lets through */
#define APP_KEY   APPS L"\\" APP_UPPER
#define APP2_KEY  APPS L"\\" APP2
#define APP_VIEW  KEY_WOW64_64KEY

static BOOL had_machine_key, had_user_key;

static int setup_apps(void **state)
{
    had_machine_key = key_exists(HKEY_LOCAL_MACHINE, MESSENGER_KEY, APP_VIEW);
    had_user_key = key_exists(HKEY_CURRENT_USER, MESSENGER_KEY, 0);
    return 0;
}

static void remove_apps(void)
{
    delete_tree(HKEY_LOCAL_MACHINE, APP_KEY, APP_VIEW);
    delete_tree(HKEY_LOCAL_MACHINE, APP2_KEY, APP_VIEW);
    delete_tree(HKEY_CURRENT_USER, APP_KEY, 0);
    delete_tree(HKEY_CURRENT_USER, APP2_KEY, 0);
    delete_tree(HKEY_LOCAL_MACHINE, APPS L"\\" APP_LONGEST, APP_VIEW);
}

static int teardown_apps(void **state)
{
    msgsc_register_fault_at = 0;
    remove_apps();
    if (!had_machine_key) delete_tree(HKEY_LOCAL_MACHINE, MESSENGER_KEY, APP_VIEW);
    if (!had_user_key) delete_tree(HKEY_CURRENT_USER, MESSENGER_KEY, 0);
    return 0;
}

static int before_each_app_test(void **state)
{
    remove_apps();
    return 0;
}

/* An application key as an installer would write it: each value a string of n copies of a
 * character (n < 0: no value), with or without the terminating NUL. */
static void put_app(HKEY root, const WCHAR *key_path, int name, int url, int path, BOOL terminated)
{
    static const WCHAR *names[] = { L"Name", L"URL", L"Path" };
    const int lens[] = { name, url, path };
    WCHAR buf[1024];
    HKEY key;
    int i;

    assert_int_equal(RegCreateKeyExW(root, key_path, 0, NULL, 0, KEY_SET_VALUE | APP_VIEW, NULL, &key, NULL), 0);
    for (i = 0; i < 3; i++)
    {
        if (lens[i] < 0) continue;
        wmemset(buf, 'a' + i, lens[i]);
        buf[lens[i]] = 0;
        assert_int_equal(RegSetValueExW(key, names[i], 0, REG_SZ, (BYTE *)buf,
                                        (lens[i] + (terminated ? 1 : 0)) * sizeof(WCHAR)), 0);
    }
    RegCloseKey(key);
}

static void test_apps_register_writes_reference(void **state)
{
    static const WCHAR name[] = L"Test Application \x00e9", url[] = L"http://example.invalid/app",
                       path[] = L"\"C:\\Program Files\\Test\\app.exe\" /invited";
    WCHAR n[MSC_MAX_NAME_CHARS + 1], u[MSC_MAX_URL_CHARS + 1], p[MSC_MAX_PATH_CHARS + 1], sub[64];
    const struct ref_key *ref = NULL;
    DWORD i, chars;
    BOOL upper = FALSE;
    HKEY apps;
    int k;

    assert_int_equal(msgsc_apps_register(APP_LOWER, name, url, path), S_OK);
    set_subst(L"<APPGUID>", APP_UPPER);
    set_subst(L"<NAME>", name);
    set_subst(L"<URL>", url);
    set_subst(L"<PATH>", path);
    for (k = 0; k < nrefs && !ref; k++)
        if (refs[k].root == HKEY_LOCAL_MACHINE) ref = &refs[k];
    assert_non_null(ref);
    assert_int_equal(check_ref_key(ref, APP_VIEW), 0);

    /* The key's name as stored: upper case. */
    assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, APPS, 0, KEY_READ | APP_VIEW, &apps), 0);
    for (i = 0; chars = ARRAYSIZE(sub), !RegEnumKeyExW(apps, i, sub, &chars, NULL, NULL, NULL, NULL); i++)
        upper |= !wcscmp(sub, APP_UPPER);
    RegCloseKey(apps);
    assert_true(upper);
    /* One list for both bitnesses: the 64-bit view only. */
    assert_false(key_exists(HKEY_LOCAL_MACHINE, APP_KEY, KEY_WOW64_32KEY));

    assert_true(msgsc_apps_lookup(APP_MIXED, n, u, p));
    assert_true(!wcscmp(n, name) && !wcscmp(u, url) && !wcscmp(p, path));
    assert_true(msgsc_apps_lookup(APP_UPPER, NULL, NULL, NULL));

    assert_int_equal(msgsc_apps_unregister(APP_MIXED), S_OK);
    assert_false(key_exists(HKEY_LOCAL_MACHINE, APP_KEY, APP_VIEW));
    assert_true(key_exists(HKEY_LOCAL_MACHINE, APPS, APP_VIEW));
    wcscpy(n, L"x");
    assert_false(msgsc_apps_lookup(APP_UPPER, n, u, p));
    assert_true(!n[0] && !u[0] && !p[0]);
}

static void test_apps_already_and_not_registered(void **state)
{
    WCHAR n[MSC_MAX_NAME_CHARS + 1];

    assert_int_equal(msgsc_apps_unregister(APP_UPPER), SR_APP_NOT_REGISTERED);
    assert_int_equal(msgsc_apps_register(APP_UPPER, L"one", L"", L"one.exe"), S_OK);
    assert_int_equal(msgsc_apps_register(APP_UPPER, L"two", L"", L"two.exe"), SR_APP_ALREADY_REGISTERED);
    assert_int_equal(msgsc_apps_register(APP_LOWER, L"two", L"", L"two.exe"), SR_APP_ALREADY_REGISTERED);
    assert_true(msgsc_apps_lookup(APP_UPPER, n, NULL, NULL));
    assert_true(!wcscmp(n, L"one"));
    /* NULL strings are stored empty. */
    assert_int_equal(msgsc_apps_register(APP2, NULL, NULL, NULL), S_OK);
    assert_true(msgsc_apps_lookup(APP2, n, NULL, NULL));
    assert_true(!n[0]);
    assert_int_equal(msgsc_apps_unregister(APP2), S_OK);
    assert_int_equal(msgsc_apps_unregister(APP_LOWER), S_OK);
    assert_int_equal(msgsc_apps_unregister(APP_LOWER), SR_APP_NOT_REGISTERED);
    /* What an installer put below the key goes with it. */
    put_app(HKEY_LOCAL_MACHINE, APP_KEY L"\\Extra", 1, 1, 1, TRUE);
    assert_int_equal(msgsc_apps_unregister(APP_UPPER), S_OK);
    assert_false(key_exists(HKEY_LOCAL_MACHINE, APP_KEY, APP_VIEW));
}

static void test_apps_lookup_limits(void **state)
{
    WCHAR n[MSC_MAX_NAME_CHARS + 1], u[MSC_MAX_URL_CHARS + 1], p[MSC_MAX_PATH_CHARS + 1];
    DWORD number = 1;
    HKEY key;
    int terminated;

    for (terminated = 0; terminated < 2; terminated++)
    {
        /* Each at its limit: fits, terminated or not. */
        put_app(HKEY_LOCAL_MACHINE, APP_KEY, MSC_MAX_NAME_CHARS, MSC_MAX_URL_CHARS, MSC_MAX_PATH_CHARS, terminated);
        assert_true(msgsc_apps_lookup(APP_UPPER, n, u, p));
        assert_int_equal(wcslen(n), MSC_MAX_NAME_CHARS);
        assert_int_equal(wcslen(u), MSC_MAX_URL_CHARS);
        assert_int_equal(wcslen(p), MSC_MAX_PATH_CHARS);
        assert_true(n[0] == 'a' && u[0] == 'b' && p[0] == 'c');
        /* One more in any of them: FALSE, never a cut value; also without a buffer. */
        put_app(HKEY_LOCAL_MACHINE, APP_KEY, MSC_MAX_NAME_CHARS + 1, 1, 1, terminated);
        assert_false(msgsc_apps_lookup(APP_UPPER, n, u, p));
        assert_true(!n[0] && !u[0] && !p[0]);
        assert_false(msgsc_apps_lookup(APP_UPPER, NULL, NULL, NULL));
        put_app(HKEY_LOCAL_MACHINE, APP_KEY, 1, MSC_MAX_URL_CHARS + 1, 1, terminated);
        assert_false(msgsc_apps_lookup(APP_UPPER, n, u, p));
        put_app(HKEY_LOCAL_MACHINE, APP_KEY, 1, 1, MSC_MAX_PATH_CHARS + 1, terminated);
        assert_false(msgsc_apps_lookup(APP_UPPER, n, u, p));
        delete_tree(HKEY_LOCAL_MACHINE, APP_KEY, APP_VIEW);
    }
    /* Absent values, and one that is not a string, read as empty. */
    put_app(HKEY_LOCAL_MACHINE, APP_KEY, -1, 3, -1, TRUE);
    assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, APP_KEY, 0, KEY_SET_VALUE | APP_VIEW, &key), 0);
    assert_int_equal(RegSetValueExW(key, L"Path", 0, REG_DWORD, (BYTE *)&number, sizeof(number)), 0);
    RegCloseKey(key);
    assert_true(msgsc_apps_lookup(APP_UPPER, n, u, p));
    assert_true(!n[0] && !wcscmp(u, L"bbb") && !p[0]);
}

static void test_apps_lookup_falls_back_to_user(void **state)
{
    WCHAR n[MSC_MAX_NAME_CHARS + 1];

    put_app(HKEY_CURRENT_USER, APP_KEY, 2, 2, 2, TRUE);
    assert_true(msgsc_apps_lookup(APP_LOWER, n, NULL, NULL));
    assert_true(!wcscmp(n, L"aa"));
    /* Registration and unregistration are machine-wide: the user's key does not count. */
    assert_int_equal(msgsc_apps_unregister(APP_UPPER), SR_APP_NOT_REGISTERED);
    assert_int_equal(msgsc_apps_register(APP_UPPER, L"machine", L"", L""), S_OK);
    assert_true(msgsc_apps_lookup(APP_LOWER, n, NULL, NULL));
    assert_true(!wcscmp(n, L"machine"));
    assert_int_equal(msgsc_apps_unregister(APP_UPPER), S_OK);
    assert_true(key_exists(HKEY_CURRENT_USER, APP_KEY, 0));
}

static void test_apps_write_failures(void **state)
{
    unsigned int n;
    HRESULT hr;

    for (n = 1;; n++)
    {
        msgsc_register_fault_at = n;
        hr = msgsc_apps_register(APP_UPPER, L"name", L"url", L"path");
        if (msgsc_register_fault_at) break;
        assert_int_equal(hr, REGDB_E_WRITEREGDB);
        assert_false(key_exists(HKEY_LOCAL_MACHINE, APP_KEY, APP_VIEW));
    }
    msgsc_register_fault_at = 0;
    assert_int_equal(hr, S_OK);
    assert_int_equal(n - 1, 4);            /* the key, then Name, URL and Path */

    msgsc_register_fault_at = 1;
    assert_int_equal(msgsc_apps_unregister(APP_UPPER), REGDB_E_WRITEREGDB);
    assert_true(msgsc_apps_lookup(APP_UPPER, NULL, NULL, NULL));
    msgsc_register_fault_at = 2;
    assert_int_equal(msgsc_apps_unregister(APP_UPPER), REGDB_E_WRITEREGDB);
    msgsc_register_fault_at = 0;
    assert_int_equal(msgsc_apps_unregister(APP_UPPER), S_OK);
    assert_false(key_exists(HKEY_LOCAL_MACHINE, APP_KEY, APP_VIEW));
}

/* Not a GUID's length, or not one key name: no overflow, no other key touched. */
static void test_apps_odd_guids(void **state)
{
    static const WCHAR *const odd[] = {
        L"", APP_UPPER L"ZZ", L"{0D5C5EB2}\\{0D5C5EB2}",
        L"{0D5C5EB2-7A41-4F1D-9C4E-6B2B3C5E1A01}{0D5C5EB2-7A41-4F1D-9C4E-6B2B3C5E1A01}",
    };
    static const WCHAR longest[] = APP_LONGEST;
    WCHAR n[MSC_MAX_NAME_CHARS + 1];
    size_t i;

    for (i = 0; i < ARRAYSIZE(odd); i++)
    {
        assert_int_equal(msgsc_apps_register(odd[i], L"x", L"x", L"x"), REGDB_E_WRITEREGDB);
        assert_int_equal(msgsc_apps_unregister(odd[i]), SR_APP_NOT_REGISTERED);
        assert_false(msgsc_apps_lookup(odd[i], n, NULL, NULL));
    }
    assert_int_equal(msgsc_apps_register(NULL, L"x", L"x", L"x"), REGDB_E_WRITEREGDB);
    assert_false(key_exists(HKEY_LOCAL_MACHINE, APPS L"\\{0D5C5EB2}", APP_VIEW));
    assert_int_equal(wcslen(longest), 39);
    assert_int_equal(msgsc_apps_register(longest, L"x", L"x", L"x"), S_OK);
    assert_true(msgsc_apps_lookup(longest, n, NULL, NULL));
    assert_int_equal(msgsc_apps_unregister(longest), S_OK);
}

/* ---- --check-class: what a client of this bitness sees (tests/com/side_by_side.sh) ---------- */

static int check_class(const char *arg)
{
    static const CLSID clsid_manager = {0xe3a3b1d9, 0x5675, 0x43c0, {0xbf, 0x04, 0x37, 0xbe, 0x11, 0x93, 0x9f, 0xb7}};
    static const GUID libid = {0x53ced51d, 0x432b, 0x45b2, {0xa3, 0xe0, 0x0c, 0xe2, 0xc2, 0x42, 0x35, 0xd4}};
    WCHAR want[MAX_PATH], got[MAX_PATH];
    IClassFactory *factory;
    ITypeLib *typelib;
    CLSID clsid;
    HRESULT hr;
    int bad = 0;

    MultiByteToWideChar(CP_ACP, 0, arg, -1, want, MAX_PATH);
    CoInitialize(NULL);
    if (FAILED(hr = CLSIDFromProgID(PROGID, &clsid)) || !IsEqualCLSID(&clsid, &clsid_manager))
        printf("CLSIDFromProgID(%ls): 0x%08lx\n", PROGID, (unsigned long)hr), bad++;
    if (!get_value(HKEY_CLASSES_ROOT, L"CLSID\\" CLSID_MANAGER L"\\InprocServer32", 0, L"", got, MAX_PATH)
        || _wcsicmp(got, want))
        printf("InprocServer32 is \"%ls\", expected \"%ls\"\n", got, want), bad++;
    hr = CoGetClassObject(&clsid_manager, CLSCTX_INPROC_SERVER, NULL, &IID_IClassFactory, (void **)&factory);
    if (SUCCEEDED(hr)) IClassFactory_Release(factory);
    else if (hr != CLASS_E_CLASSNOTAVAILABLE) printf("CoGetClassObject: 0x%08lx\n", (unsigned long)hr), bad++;
    if (!GetModuleHandleW(want)) printf("COM did not load %ls\n", want), bad++;
    if (FAILED(hr = LoadRegTypeLib(&libid, 1, 0, LOCALE_NEUTRAL, &typelib)))
        printf("LoadRegTypeLib: 0x%08lx\n", (unsigned long)hr), bad++;
    else ITypeLib_Release(typelib);
    if (!key_exists(HKEY_CLASSES_ROOT, L"Interface\\" IID_MANAGER L"\\TypeLib", 0))
        printf("Interface\\%ls is not registered\n", IID_MANAGER), bad++;
    CoUninitialize();
    printf("check-class " ARCH ": %s\n", bad ? "FAILED" : "ok");
    return bad ? 1 : 0;
}

/* ---- main --------------------------------------------------------------------------------------- */

static BOOL full_path(WCHAR *path, const char *arg)
{
    WCHAR buf[MAX_PATH];

    MultiByteToWideChar(CP_ACP, 0, arg, -1, buf, MAX_PATH);
    return GetFullPathNameW(buf, MAX_PATH, path, NULL) && GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest registration[] = {
        cmocka_unit_test(test_register_writes_reference),
        cmocka_unit_test(test_register_again_changes_nothing),
        cmocka_unit_test(test_class_resolves),
        cmocka_unit_test(test_unregister_removes_everything),
        cmocka_unit_test(test_unregister_again_succeeds),
        cmocka_unit_test(test_register_fails_cleanly),
        cmocka_unit_test(test_register_rolls_back),
        cmocka_unit_test(test_register_rolls_back_to_previous),
    };
    const struct CMUnitTest apps[] = {
        cmocka_unit_test_setup(test_apps_register_writes_reference, before_each_app_test),
        cmocka_unit_test_setup(test_apps_already_and_not_registered, before_each_app_test),
        cmocka_unit_test_setup(test_apps_lookup_limits, before_each_app_test),
        cmocka_unit_test_setup(test_apps_lookup_falls_back_to_user, before_each_app_test),
        cmocka_unit_test_setup(test_apps_write_failures, before_each_app_test),
        cmocka_unit_test_setup(test_apps_odd_guids, before_each_app_test),
    };
    int failed = 0;

    if (argc == 3 && !strcmp(argv[1], "--check-class")) return check_class(argv[2]);
    if (argc == 2 && !strcmp(argv[1], "--block-registration")) return block_registration(TRUE) ? 1 : 0;
    if (argc == 2 && !strcmp(argv[1], "--unblock-registration")) return block_registration(FALSE) ? 1 : 0;
    if (argc != 3 || !full_path(dll_path, argv[1]) || !full_path(ref_path, argv[2]))
    {
        fprintf(stderr, "usage: test_register <msgsc.dll> <msgsc.reg.txt> (a file was not found)\n"
                        "       test_register --check-class <msgsc.dll>\n");
        return 2;
    }
    if (load_reference(ref_path))
    {
        fprintf(stderr, "cannot read the reference %ls\n", ref_path);
        return 2;
    }
    if (!(dll = LoadLibraryW(dll_path))
        || !(dll_register = (HRESULT (WINAPI *)(void))(void (*)(void))GetProcAddress(dll, "DllRegisterServer"))
        || !(dll_unregister = (HRESULT (WINAPI *)(void))(void (*)(void))GetProcAddress(dll, "DllUnregisterServer")))
    {
        fprintf(stderr, "cannot load %ls or its entry points (%lu)\n", dll_path, GetLastError());
        return 2;
    }
    failed += cmocka_run_group_tests_name("DllRegisterServer", registration, setup_registration,
                                          teardown_registration);
    failed += cmocka_run_group_tests_name("msgsc_apps", apps, setup_apps, teardown_apps);
    FreeLibrary(dll);
    return failed;
}
