/* press_prompt: plays the user in front of the agent's invitation prompt (tests/com/scripts/prompt.sh,
 * docs/agent.md).
 *
 *   press_prompt yes|no WHO APP              wait for the box, check its text, press Yes or No, and
 *                                            wait for the box to close
 *   press_prompt vanish WHO APP SHOWN-FILE   wait for the box, check its text, create SHOWN-FILE (the
 *                                            inviter withdraws when it appears), then wait for the
 *                                            box to go away by itself without touching it
 *
 * The box is the agent's MessageBoxW: a dialog (class "#32770") titled "msgsc: invitation", whose
 * text is the static control with id 0xFFFF and whose buttons are IDYES and IDNO.  It is in
 * another process (the agent), so everything here goes through window messages.  Every wait is
 * bounded.  Prints "ok N - ..." / "not ok N - ..." and ends with "press_prompt: N checks, fails=F";
 * the exit code is 0 only when nothing failed.
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#define APPEAR_MS 30000u   /* the invitation's way to the box: SIP, the router, a new thread */
#define CLOSE_MS 20000u    /* pressed: at once; withdrawn: alice's CANCEL reaches bob's agent */
#define STEP_MS 50u

static int checks, fails;

static void report(int ok, const char *what, const WCHAR *detail)
{
    checks++;
    if (!ok) fails++;
    printf("%s %d - press_prompt: %s%s%ls\n", ok ? "ok" : "not ok", checks, what, detail ? ": " : "",
           detail ? detail : L"");
    fflush(stdout);
}

static void widen(const char *s, WCHAR *out, int cap)
{
    int n = MultiByteToWideChar(CP_ACP, 0, s, -1, out, cap);
    if (n <= 0) out[0] = 0;
    out[cap - 1] = 0;
}

/* The one prompt on the desktop, or NULL after APPEAR_MS. */
static HWND wait_box(void)
{
    DWORD waited;
    HWND box;
    for (waited = 0; waited <= APPEAR_MS; waited += STEP_MS) {
        if ((box = FindWindowW(L"#32770", L"msgsc: invitation")) && IsWindowVisible(box)) return box;
        Sleep(STEP_MS);
    }
    return NULL;
}

static int wait_gone(HWND box, DWORD ms)
{
    DWORD waited;
    for (waited = 0; waited <= ms; waited += STEP_MS) {
        if (!IsWindow(box)) return 1;
        Sleep(STEP_MS);
    }
    return 0;
}

/* wcsstr, ignoring case (sign-in names are compared without case everywhere else too). */
static int contains(const WCHAR *hay, const WCHAR *needle)
{
    WCHAR h[1024], n[512];
    lstrcpynW(h, hay, ARRAYSIZE(h));
    lstrcpynW(n, needle, ARRAYSIZE(n));
    CharLowerW(h);
    CharLowerW(n);
    return wcsstr(h, n) != NULL;
}

int main(int argc, char **argv)
{
    WCHAR who[256], app[256], quoted[260], text[1024], line[1100];
    const char *mode;
    HWND box, button;
    DWORD_PTR res;
    DWORD pid = 0;
    HANDLE f;
    WCHAR *p;

    if (argc < 4 || (strcmp(argv[1], "yes") && strcmp(argv[1], "no") && strcmp(argv[1], "vanish"))
        || (!strcmp(argv[1], "vanish") && argc < 5)) {
        fprintf(stderr, "usage: press_prompt yes|no WHO APP | press_prompt vanish WHO APP SHOWN-FILE\n");
        return 2;
    }
    mode = argv[1];
    widen(argv[2], who, ARRAYSIZE(who));
    widen(argv[3], app, ARRAYSIZE(app));
    swprintf(quoted, ARRAYSIZE(quoted), L"\"%ls\"", app);

    box = wait_box();
    report(box != NULL, "the prompt appeared", NULL);
    if (!box) goto done;
    GetWindowThreadProcessId(box, &pid);
    swprintf(line, ARRAYSIZE(line), L"process %lu", (unsigned long)pid);
    report(pid != GetCurrentProcessId(), "it belongs to another process (the agent)", line);
    text[0] = 0;
    GetDlgItemTextW(box, 0xFFFF, text, ARRAYSIZE(text));
    lstrcpynW(line, text, ARRAYSIZE(line));
    for (p = line; *p; p++)
        if (*p == '\n' || *p == '\r') *p = '|';         /* one output line per check */
    report(contains(text, who), "the text names the inviter", line);
    report(contains(text, quoted), "the text names the application", quoted);
    report(contains(text, L"Accept the invitation?"), "the text asks", NULL);
    report(GetDlgItem(box, IDYES) && GetDlgItem(box, IDNO), "it has Yes and No", NULL);

    if (!strcmp(mode, "vanish")) {
        WCHAR shown[MAX_PATH];
        widen(argv[4], shown, ARRAYSIZE(shown));
        f = CreateFileW(shown, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
        report(f != INVALID_HANDLE_VALUE, "told the inviter the box is up", shown);
        if (f != INVALID_HANDLE_VALUE) CloseHandle(f);
        report(wait_gone(box, CLOSE_MS), "the box went away by itself when the inviter withdrew", NULL);
        goto done;
    }
    /* press the button as a click does: BM_CLICK makes the button send its BN_CLICKED */
    button = GetDlgItem(box, strcmp(mode, "yes") ? IDNO : IDYES);
    report(button && SendMessageTimeoutW(button, BM_CLICK, 0, 0, SMTO_ABORTIFHUNG, 10000, &res),
           strcmp(mode, "yes") ? "pressed No" : "pressed Yes", NULL);
    report(wait_gone(box, CLOSE_MS), "the box closed", NULL);

done:
    printf("press_prompt: %d checks, fails=%d\n", checks, fails);
    fflush(stdout);
    return fails ? 1 : 0;
}
