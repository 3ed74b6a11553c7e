/* SPDX-License-Identifier: MIT */
/* process.c - CreateProcess, process handles and handle inheritance:
 * section F of docs/win32-behaviour.md. */
#include "w32t.h"

/* Start W32T_CHILD(name) with `args`; the handles go to *pi. */
static void start(const char *name, BOOL inherit, const char *args,
                  PROCESS_INFORMATION *pi)
{
    char cmd[4096];
    STARTUPINFOA si;

    snprintf(cmd, sizeof cmd, "%s", w32t_child_cmd(name, args));
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    CHECK_TRUE(CreateProcessA(NULL, cmd, NULL, NULL, inherit, 0, NULL, NULL, &si, pi));
}

W32T_CHILD(f_exit)
{
    /* argv[0]: the exit code; argv[1], if there, an event to wait for
     * first (by name). */
    if (argc > 1) {
        HANDLE e = OpenEventA(SYNCHRONIZE, FALSE, w32t_name(argv[1]));
        if (e == NULL || WaitForSingleObject(e, 30000) != WAIT_OBJECT_0)
            return 99;
        CloseHandle(e);
    }
    return (int)w32t_arg(argv[0]);
}

/* CreateProcess starts a child; its process handle is not signaled while
 * it runs and GetExitCodeProcess says STILL_ACTIVE; once it has ended the
 * handle is signaled and gives its exit code; the thread handle too. */
W32T(F01)
{
    HANDLE go = CreateEventA(NULL, TRUE, FALSE, w32t_name("go"));
    PROCESS_INFORMATION pi;
    DWORD code = 0;

    CHECK(go != NULL);
    start("f_exit", FALSE, "42 go", &pi);
    CHECK(pi.dwProcessId != 0 && pi.dwProcessId != GetCurrentProcessId());
    CHECK_EQ(GetProcessId(pi.hProcess), pi.dwProcessId);
    CHECK_WAIT(WaitForSingleObject(pi.hProcess, 50), WAIT_TIMEOUT);
    CHECK_TRUE(GetExitCodeProcess(pi.hProcess, &code));
    CHECK_EQ(code, STILL_ACTIVE);
    CHECK_TRUE(SetEvent(go));
    CHECK_WAIT(WaitForSingleObject(pi.hProcess, 30000), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(pi.hProcess, 0), WAIT_OBJECT_0);
    CHECK_TRUE(GetExitCodeProcess(pi.hProcess, &code));
    CHECK_EQ(code, 42);
    CHECK_WAIT(WaitForSingleObject(pi.hThread, 30000), WAIT_OBJECT_0);
    CHECK_TRUE(GetExitCodeThread(pi.hThread, &code));
    CHECK_EQ(code, 42);
    CLOSE(pi.hThread);
    CLOSE(pi.hProcess);
    CLOSE(go);
}

W32T_CHILD(f02_use)
{
    /* argv: section, event, mutex handle values. */
    HANDLE s = (HANDLE)(uintptr_t)w32t_arg(argv[0]);
    HANDLE e = (HANDLE)(uintptr_t)w32t_arg(argv[1]);
    HANDLE m = (HANDLE)(uintptr_t)w32t_arg(argv[2]);
    char *p;

    CHECK_EQ(argc, 3);
    p = MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(p != NULL);
    CHECK(strcmp(p, "from the parent") == 0);
    CHECK_WAIT(WaitForSingleObject(m, 30000), WAIT_OBJECT_0);
    strcpy(p + 100, "from the child");
    CHECK_TRUE(ReleaseMutex(m));
    CHECK(UnmapViewOfFile(p));
    CHECK_TRUE(SetEvent(e));
    CLOSE(s);
    CLOSE(e);
    CLOSE(m);
    return 0;
}

/* Inheritable handles of an unnamed section, an unnamed event and an
 * unnamed mutex reach the child at the same values; the parent may close
 * its own at once. */
W32T(F02)
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, 65536, NULL);
    HANDLE e = CreateEventA(&sa, TRUE, FALSE, NULL);
    HANDLE m = CreateMutexA(&sa, TRUE, NULL);
    HANDLE e2;
    PROCESS_INFORMATION pi;
    char args[200], *p;
    DWORD code = 1;

    CHECK(s != NULL && e != NULL && m != NULL);
    p = w32t_map(s, FILE_MAP_WRITE, 0);
    strcpy(p, "from the parent");
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), e, GetCurrentProcess(), &e2, 0, FALSE,
                               DUPLICATE_SAME_ACCESS));
    snprintf(args, sizeof args, "%s %s %s", w32t_num((uintptr_t)s), w32t_num((uintptr_t)e),
             w32t_num((uintptr_t)m));
    start("f02_use", TRUE, args, &pi);
    CLOSE(s);
    CLOSE(e);
    /* The child waits for the mutex this thread owns. */
    Sleep(50);
    CHECK(p[100] == '\0');
    CHECK_TRUE(ReleaseMutex(m));
    CHECK_WAIT(WaitForSingleObject(e2, 30000), WAIT_OBJECT_0);
    CHECK(strcmp(p + 100, "from the child") == 0);
    CHECK_WAIT(WaitForSingleObject(pi.hProcess, 30000), WAIT_OBJECT_0);
    CHECK_TRUE(GetExitCodeProcess(pi.hProcess, &code));
    CHECK_EQ(code, 0);
    UNMAP(p);
    CLOSE(m);
    CLOSE(e2);
    CLOSE(pi.hThread);
    CLOSE(pi.hProcess);
}

/* A process handle in WaitForMultipleObjects, with an event: the lowest
 * signaled index wins; after the child ends the process is index 0. */
W32T(F03)
{
    HANDLE go = CreateEventA(NULL, TRUE, FALSE, w32t_name("go"));
    HANDLE other = CreateEventA(NULL, TRUE, TRUE, NULL);
    PROCESS_INFORMATION pi;
    HANDLE hs[2];

    CHECK(go != NULL && other != NULL);
    start("f_exit", FALSE, "0 go", &pi);
    hs[0] = pi.hProcess;
    hs[1] = other;
    CHECK_WAIT(WaitForMultipleObjects(2, hs, FALSE, 0), WAIT_OBJECT_0 + 1);
    CHECK_WAIT(WaitForMultipleObjects(2, hs, TRUE, 50), WAIT_TIMEOUT);
    CHECK_TRUE(SetEvent(go));
    CHECK_WAIT(WaitForMultipleObjects(2, hs, TRUE, 30000), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForMultipleObjects(2, hs, FALSE, 0), WAIT_OBJECT_0);
    CLOSE(pi.hThread);
    CLOSE(pi.hProcess);
    CLOSE(other);
    CLOSE(go);
}

W32T_CHILD(f04_owner)
{
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("m"));
    HANDLE ready = OpenEventA(EVENT_MODIFY_STATE, FALSE, w32t_name("ready"));

    (void)argc;
    (void)argv;
    CHECK(m != NULL && ready != NULL);
    CHECK_WAIT(WaitForSingleObject(m, 30000), WAIT_OBJECT_0);
    CHECK_TRUE(SetEvent(ready));
    Sleep(60000);
    return 0;
}

/* TerminateProcess of a child that owns a named mutex: the child ends with
 * the given exit code, the parent's wait on the mutex is WAIT_ABANDONED,
 * and a second TerminateProcess fails with ERROR_ACCESS_DENIED. */
W32T(F04)
{
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("m"));
    HANDLE ready = CreateEventA(NULL, TRUE, FALSE, w32t_name("ready"));
    PROCESS_INFORMATION pi;
    DWORD code = 0;

    CHECK(m != NULL && ready != NULL);
    start("f04_owner", FALSE, "", &pi);
    CHECK_WAIT(WaitForSingleObject(ready, 30000), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_TIMEOUT);
    CHECK_TRUE(TerminateProcess(pi.hProcess, 7));
    CHECK_WAIT(WaitForSingleObject(pi.hProcess, 30000), WAIT_OBJECT_0);
    CHECK_TRUE(GetExitCodeProcess(pi.hProcess, &code));
    CHECK_EQ(code, 7);
    CHECK_WAIT(WaitForSingleObject(m, 30000), WAIT_ABANDONED);
    CHECK_TRUE(ReleaseMutex(m));
    WINE_DIFFERS_BEGIN("F04", "Wine's TerminateProcess of an ended process succeeds");
    CHECK_FAILS(TerminateProcess(pi.hProcess, 8), FALSE, ERROR_ACCESS_DENIED);
    WINE_DIFFERS_END();
    CHECK_TRUE(GetExitCodeProcess(pi.hProcess, &code));
    CHECK_EQ(code, 7);
    CLOSE(pi.hThread);
    CLOSE(pi.hProcess);
    CLOSE(ready);
    CLOSE(m);
}

/* A program that does not exist: FALSE, ERROR_FILE_NOT_FOUND. */
W32T(F05)
{
    char cmd[] = "mmf-no-such-program-f05 arg";
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;

    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    CHECK_FAILS(CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi), FALSE,
                ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(CreateProcessA("mmf-no-such-program-f05", NULL, NULL, NULL, FALSE, 0, NULL,
                               NULL, &si, &pi),
                FALSE, ERROR_FILE_NOT_FOUND);
}

/* OpenProcess: id 0 is ERROR_INVALID_PARAMETER; a handle to a running
 * child waits for it; a handle to this process is never signaled and
 * says STILL_ACTIVE. */
W32T(F06)
{
    HANDLE go = CreateEventA(NULL, TRUE, FALSE, w32t_name("go"));
    PROCESS_INFORMATION pi;
    HANDLE h, self;
    DWORD code = 0;

    CHECK(go != NULL);
    CHECK_FAILS(OpenProcess(SYNCHRONIZE, FALSE, 0), NULL, ERROR_INVALID_PARAMETER);
    self = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                       GetCurrentProcessId());
    CHECK(self != NULL);
    CHECK_WAIT(WaitForSingleObject(self, 10), WAIT_TIMEOUT);
    CHECK_TRUE(GetExitCodeProcess(self, &code));
    CHECK_EQ(code, STILL_ACTIVE);
    CLOSE(self);
    start("f_exit", FALSE, "5 go", &pi);
    h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pi.dwProcessId);
    CHECK(h != NULL);
    CHECK_EQ(GetProcessId(h), pi.dwProcessId);
    /* Without PROCESS_TERMINATE the handle cannot kill. */
    CHECK_FAILS(TerminateProcess(h, 1), FALSE, ERROR_ACCESS_DENIED);
    CHECK_WAIT(WaitForSingleObject(h, 0), WAIT_TIMEOUT);
    CHECK_TRUE(SetEvent(go));
    CHECK_WAIT(WaitForSingleObject(h, 30000), WAIT_OBJECT_0);
    CHECK_TRUE(GetExitCodeProcess(h, &code));
    CHECK_EQ(code, 5);
    CLOSE(h);
    CLOSE(pi.hThread);
    CLOSE(pi.hProcess);
    CLOSE(go);
}

W32T_CHILD(f07_args)
{
    /* The arguments the parent's command line must split into. */
    static const char *const want[] = {"plain", "two words", "quote\"inside",
                                       "back\\slash", "trailing\\", "", "a\"b"};
    if (argc != (int)(sizeof want / sizeof want[0]))
        return 10 + argc;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], want[i]) != 0)
            return 20 + i;
    }
    return 0;
}

/* The command line is split as the Microsoft C runtime splits it: quotes
 * group, \" is a quote, backslashes not before a quote are literal, an
 * even run before a quote is halved, "" is an empty argument, and "" in a
 * quoted part is a quote. */
W32T(F07)
{
    PROCESS_INFORMATION pi;
    DWORD code = 1;

    start("f07_args", FALSE,
          "plain \"two words\" quote\\\"inside back\\slash \"trailing\\\\\" \"\" \"a\"\"b\"", &pi);
    CHECK_WAIT(WaitForSingleObject(pi.hProcess, 30000), WAIT_OBJECT_0);
    CHECK_TRUE(GetExitCodeProcess(pi.hProcess, &code));
    CHECK_EQ(code, 0);
    CLOSE(pi.hThread);
    CLOSE(pi.hProcess);
}

W32T_CHILD(f08_check)
{
    /* argv: pairs of (handle value, 1 if it must be a working event). */
    for (int i = 0; i + 1 < argc; i += 2) {
        HANDLE h = (HANDLE)(uintptr_t)w32t_arg(argv[i]);
        SetLastError(0xdeadbeef);
        if (w32t_arg(argv[i + 1])) {
            DWORD flags = 0;
            CHECK_TRUE(SetEvent(h));
            CHECK_TRUE(GetHandleInformation(h, &flags));
            CHECK_EQ(flags & HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
        } else {
            CHECK(!SetEvent(h));
            CHECK_GLE(ERROR_INVALID_HANDLE);
        }
    }
    return 0;
}

/* SetHandleInformation(HANDLE_FLAG_INHERIT) makes a handle inheritable or
 * not, and GetHandleInformation reports it; HANDLE_FLAG_PROTECT_FROM_CLOSE
 * makes CloseHandle fail until it is cleared. */
W32T(F08)
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE a = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE b = CreateEventA(&sa, TRUE, FALSE, NULL);
    PROCESS_INFORMATION pi;
    char args[200];
    DWORD flags = 99, code = 1;

    CHECK(a != NULL && b != NULL);
    CHECK_TRUE(GetHandleInformation(a, &flags));
    CHECK_EQ(flags, 0);
    CHECK_TRUE(GetHandleInformation(b, &flags));
    CHECK_EQ(flags, HANDLE_FLAG_INHERIT);
    CHECK_TRUE(SetHandleInformation(a, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT));
    CHECK_TRUE(SetHandleInformation(b, HANDLE_FLAG_INHERIT, 0));
    snprintf(args, sizeof args, "%s 1 %s 0", w32t_num((uintptr_t)a), w32t_num((uintptr_t)b));
    start("f08_check", TRUE, args, &pi);
    CHECK_WAIT(WaitForSingleObject(pi.hProcess, 30000), WAIT_OBJECT_0);
    CHECK_TRUE(GetExitCodeProcess(pi.hProcess, &code));
    CHECK_EQ(code, 0);
    CHECK_WAIT(WaitForSingleObject(a, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(b, 0), WAIT_TIMEOUT);
    CHECK_TRUE(SetHandleInformation(b, HANDLE_FLAG_PROTECT_FROM_CLOSE,
                                    HANDLE_FLAG_PROTECT_FROM_CLOSE));
    CHECK_TRUE(GetHandleInformation(b, &flags));
    CHECK_EQ(flags, HANDLE_FLAG_PROTECT_FROM_CLOSE);
    CHECK_FAILS(CloseHandle(b), FALSE, ERROR_INVALID_HANDLE);
    CHECK_TRUE(SetHandleInformation(b, HANDLE_FLAG_PROTECT_FROM_CLOSE, 0));
    CLOSE(b);
    CLOSE(a);
    CLOSE(pi.hThread);
    CLOSE(pi.hProcess);
}

/* GetCurrentProcess(): GetExitCodeProcess says STILL_ACTIVE; duplicated,
 * it becomes a real handle to this process, which a wait never finds
 * signaled. */
W32T(F10)
{
    HANDLE h;
    DWORD code = 0;

    CHECK_TRUE(GetExitCodeProcess(GetCurrentProcess(), &code));
    CHECK_EQ(code, STILL_ACTIVE);
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), GetCurrentProcess(), GetCurrentProcess(),
                               &h, 0, FALSE, DUPLICATE_SAME_ACCESS));
    CHECK(h != GetCurrentProcess());
    CHECK_EQ(GetProcessId(h), GetCurrentProcessId());
    CHECK_WAIT(WaitForSingleObject(h, 10), WAIT_TIMEOUT);
    CLOSE(h);
}

/* A file handle is waitable and signaled. */
W32T(F11)
{
    const char *path;
    HANDLE f = w32t_file("f11", GENERIC_READ | GENERIC_WRITE, 16, &path);
    HANDLE hs[1];

    CHECK_WAIT(WaitForSingleObject(f, 0), WAIT_OBJECT_0);
    hs[0] = f;
    CHECK_WAIT(WaitForMultipleObjects(1, hs, FALSE, 0), WAIT_OBJECT_0);
    CLOSE(f);
}
