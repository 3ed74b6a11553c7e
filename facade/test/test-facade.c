/* SPDX-License-Identifier: MIT */
/*
 * test-facade.c - the Win32 façade's own machinery, beyond what the
 * conformance suite (conformance/, one test per behaviour) checks: the handle
 * table under bad values, reuse and concurrent closes; thread handles and
 * the order of abandonment and signal; wide names; GetLastError per
 * thread; the file functions; the C runtime's _s functions. The ids in
 * comments (O01, Q19, ...) are those of docs/win32-behaviour.md.
 */
#include "test.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mmf/win32.h>
#include <mmf/compat/conio.h>

/* A scratch file path for this case. */
static const char *scratch(const char *tag)
{
    static char buf[4][256];
    static int i;
    char *p = buf[i++ % 4];
    snprintf(p, 256, "/tmp/%s", test_name(tag));
    return p;
}

/* ------------------------------------------------------------------------ */
/* Handles                                                                   */
/* ------------------------------------------------------------------------ */

/* O01, T03: NULL, garbage, closed and wrong-type handles fail cleanly in
 * every kind of call, never crash. */
TEST(bad_handles)
{
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE bad[] = {NULL, (HANDLE)0xdeadbee0, (HANDLE)(uintptr_t)0x7ffffffffff0ull,
                    (HANDLE)(uintptr_t)4096, e};
    DWORD got;

    CHECK(e != NULL);
    CHECK(CloseHandle(e));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        SetLastError(0);
        CHECK(!CloseHandle(bad[i]));
        CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
        CHECK(!SetEvent(bad[i]));
        CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
        CHECK(!ReleaseMutex(bad[i]));
        CHECK(!ReleaseSemaphore(bad[i], 1, NULL));
        CHECK(MapViewOfFile(bad[i], FILE_MAP_READ, 0, 0, 0) == NULL);
        CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
        CHECK_EQ(WaitForSingleObject(bad[i], 0), WAIT_FAILED);
        CHECK(!ReadFile(bad[i], &got, 1, &got, NULL));
        CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
        CHECK_EQ(GetFileSize(bad[i], NULL), INVALID_FILE_SIZE);
        CHECK(!GetExitCodeThread(bad[i], &got));
    }
    /* Wrong types (R15). */
    {
        HANDLE m = CreateMutexA(NULL, FALSE, NULL);
        HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, NULL);
        CHECK(!SetEvent(m));
        CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
        CHECK(!ReleaseMutex(s));
        CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
        CHECK(MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0) == NULL);
        CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
        CHECK(CreateFileMappingA(m, NULL, PAGE_READONLY, 0, 0, NULL) == NULL);
        CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
        CHECK(CloseHandle(m));
        CHECK(CloseHandle(s));
    }
}

/* O07: the two low bits of a handle value are ignored; a closed value is
 * not handed out again at once (reuse is first-in first-out). */
TEST(handle_values)
{
    HANDLE e = CreateEventA(NULL, TRUE, TRUE, NULL), f;

    CHECK(e != NULL && ((uintptr_t)e & 3) == 0);
    for (uintptr_t low = 1; low < 4; low++)
        CHECK_EQ(WaitForSingleObject((HANDLE)((uintptr_t)e | low), 0), WAIT_OBJECT_0);
    CHECK(CloseHandle(e));
    f = CreateEventA(NULL, TRUE, TRUE, NULL);
    CHECK(f != NULL && f != e);
    CHECK_EQ(WaitForSingleObject(e, 0), WAIT_FAILED);
    CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    CHECK(CloseHandle(f));
    /* Pseudo-handles close as a no-op. */
    CHECK(CloseHandle(GetCurrentProcess()));
    CHECK(CloseHandle(GetCurrentThread()));
}

static HANDLE waited;

static void *wait_infinite(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)WaitForSingleObject(waited, INFINITE);
}

/* Closing a handle while another thread waits through it keeps the object
 * alive until the wait ends: a duplicate still signals it. */
TEST(close_during_wait)
{
    HANDLE dup;
    pthread_t t;
    void *rc;

    waited = CreateEventA(NULL, FALSE, FALSE, NULL);
    CHECK(DuplicateHandle(GetCurrentProcess(), waited, GetCurrentProcess(), &dup, 0,
                          FALSE, DUPLICATE_SAME_ACCESS));
    CHECK(pthread_create(&t, NULL, wait_infinite, NULL) == 0);
    test_sleep_ms(50);
    CHECK(CloseHandle(waited));
    CHECK(SetEvent(dup));
    CHECK(pthread_join(t, &rc) == 0);
    CHECK_EQ((uintptr_t)rc, WAIT_OBJECT_0);
    CHECK(CloseHandle(dup));
}

/* Many handles: the table grows and every value stays valid. */
TEST(many_handles)
{
    enum { N = 5000 };
    static HANDLE h[N];
    for (int i = 0; i < N; i++) {
        h[i] = CreateSemaphoreA(NULL, 1, 1, NULL);
        CHECK(h[i] != NULL);
    }
    for (int i = 0; i < N; i++)
        CHECK_EQ(WaitForSingleObject(h[i], 0), WAIT_OBJECT_0);
    for (int i = 0; i < N; i++)
        CHECK(CloseHandle(h[i]));
}

static void *set_error_in_thread(void *arg)
{
    SetLastError(1234);
    return (void *)(uintptr_t)(GetLastError() == 1234 && arg == NULL);
}

/* GetLastError is per thread. */
TEST(last_error_per_thread)
{
    pthread_t t;
    void *ok;
    SetLastError(77);
    CHECK(pthread_create(&t, NULL, set_error_in_thread, NULL) == 0);
    CHECK(pthread_join(t, &ok) == 0);
    CHECK(ok != NULL);
    CHECK_EQ(GetLastError(), 77);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */
/* ------------------------------------------------------------------------ */

static HANDLE owned;

static DWORD WINAPI take_and_return(LPVOID arg)
{
    WaitForSingleObject(owned, INFINITE);
    return (DWORD)(uintptr_t)arg;
}

static DWORD WINAPI take_and_exit(LPVOID arg)
{
    WaitForSingleObject(owned, INFINITE);
    ExitThread((DWORD)(uintptr_t)arg);
}

/* Q19: a thread that ends owning a mutex abandons it before its handle is
 * signaled, by return and by ExitThread alike, every time (the reaper
 * joins the thread before it sets the handle's event). */
TEST(thread_end_abandons_before_signal)
{
    owned = CreateMutexA(NULL, FALSE, NULL);
    for (int i = 0; i < 200; i++) {
        DWORD id = 0, code = 0;
        HANDLE t = CreateThread(NULL, 0, i % 2 ? take_and_exit : take_and_return,
                                (LPVOID)(uintptr_t)(i + 1), 0, &id);
        CHECK(t != NULL && id != 0);
        CHECK_EQ(GetThreadId(t), id);
        CHECK_EQ(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
        CHECK(GetExitCodeThread(t, &code));
        CHECK_EQ(code, (DWORD)i + 1);
        CHECK_EQ(WaitForSingleObject(owned, 0), WAIT_ABANDONED);
        CHECK(ReleaseMutex(owned));
        CHECK(CloseHandle(t));
    }
    CHECK(CloseHandle(owned));
}

static DWORD WINAPI sleeper(LPVOID arg)
{
    Sleep((DWORD)(uintptr_t)arg);
    return 9;
}

/* Thread handles in waits on several objects, STILL_ACTIVE, a thread whose
 * handle is closed at once, and refused arguments. */
TEST(thread_handles)
{
    HANDLE t[2], me;
    DWORD code;

    t[0] = CreateThread(NULL, 0, sleeper, (LPVOID)(uintptr_t)300, 0, NULL);
    t[1] = CreateThread(NULL, 256 * 1024, sleeper, (LPVOID)(uintptr_t)10, 0, NULL);
    CHECK(t[0] != NULL && t[1] != NULL);
    CHECK_EQ(WaitForMultipleObjects(2, t, FALSE, 5000), WAIT_OBJECT_0 + 1);
    CHECK(GetExitCodeThread(t[0], &code));
    CHECK_EQ(code, STILL_ACTIVE);
    CHECK_EQ(WaitForMultipleObjects(2, t, TRUE, 5000), WAIT_OBJECT_0);
    CHECK(GetExitCodeThread(t[0], &code));
    CHECK_EQ(code, 9);
    CHECK(CloseHandle(t[0]));
    CHECK(CloseHandle(t[1]));
    CHECK(CloseHandle(CreateThread(NULL, 0, sleeper, (LPVOID)(uintptr_t)20, 0, NULL)));
    test_sleep_ms(60);
    CHECK(CreateThread(NULL, 0, sleeper, NULL, CREATE_SUSPENDED, NULL) == NULL);
    CHECK_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    CHECK(CreateThread(NULL, 0, NULL, NULL, 0, NULL) == NULL);
    CHECK_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    /* A real handle to the calling thread: not signaled while it runs. */
    CHECK(DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(),
                          &me, 0, FALSE, DUPLICATE_SAME_ACCESS));
    CHECK_EQ(WaitForSingleObject(me, 10), WAIT_TIMEOUT);
    CHECK_EQ(GetThreadId(me), GetCurrentThreadId());
    CHECK(CloseHandle(me));
}

/* ------------------------------------------------------------------------ */
/* Names                                                                     */
/* ------------------------------------------------------------------------ */

/* A W name is the same object as its UTF-8 A name; names that are not
 * Unicode or too long are refused with the Win32 errors. */
TEST(wide_names)
{
    wchar_t wname[200], bad[64], longname[MMF_NAME_MAX + 2];
    char aname[400];
    HANDLE w, a;
    size_t n;

    snprintf(aname, sizeof aname, "%s-\xc3\xbc-\xe2\x82\xac-\xf0\x9d\x84\x9e", test_name("n"));
    n = mbstowcs(wname, test_name("n"), 150);
    CHECK(n != (size_t)-1);
    wname[n++] = L'-';
    wname[n++] = 0xFC;    /* ü */
    wname[n++] = L'-';
    wname[n++] = 0x20AC;  /* € */
    wname[n++] = L'-';
    wname[n++] = 0x1D11E; /* 𝄞 */
    wname[n] = 0;
    w = CreateEventW(NULL, TRUE, TRUE, wname);
    CHECK(w != NULL);
    CHECK_EQ(GetLastError(), 0);
    a = OpenEventA(SYNCHRONIZE, FALSE, aname);
    CHECK(a != NULL);
    CHECK_EQ(WaitForSingleObject(a, 0), WAIT_OBJECT_0);
    CHECK(CloseHandle(a));
    CHECK(CloseHandle(w));

    bad[0] = L'x';
    bad[1] = 0xD800; /* a lone surrogate */
    bad[2] = 0;
    CHECK(CreateMutexW(NULL, FALSE, bad) == NULL);
    CHECK_EQ(GetLastError(), ERROR_INVALID_NAME);
    /* Past the native limit (MMF_NAME_MAX bytes of UTF-8; Windows takes
     * more: P17). */
    for (int i = 0; i < MMF_NAME_MAX + 1; i++)
        longname[i] = L'a';
    longname[MMF_NAME_MAX + 1] = 0;
    CHECK(CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                             longname) == NULL);
    CHECK_EQ(GetLastError(), ERROR_FILENAME_EXCED_RANGE);
    CHECK(OpenFileMappingW(FILE_MAP_READ, FALSE, NULL) == NULL);
    CHECK_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
}

/* G09: every view's base is 64 KiB-aligned, and the offset rule is 64 KiB
 * although the system's granularity is a page (G01). */
TEST(views_64k)
{
    HANDLE h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                                  0x30000, NULL);
    void *v[50];

    CHECK(h != NULL);
    for (int i = 0; i < 50; i++) {
        v[i] = MapViewOfFile(h, FILE_MAP_WRITE, 0, (DWORD)(i % 3) * 0x10000, 4096);
        CHECK(v[i] != NULL);
        CHECK_EQ((uintptr_t)v[i] % 65536, 0);
    }
    CHECK(MapViewOfFile(h, FILE_MAP_READ, 0, 4096, 0) == NULL);
    CHECK_EQ(GetLastError(), ERROR_MAPPED_ALIGNMENT);
    for (int i = 0; i < 50; i++)
        CHECK(UnmapViewOfFile(v[i]));
    CHECK(CloseHandle(h));
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

TEST(file_dispositions)
{
    const char *path = scratch("f");
    HANDLE f;
    DWORD n;

    unlink(path);
    CHECK(CreateFileA(path, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL) ==
          INVALID_HANDLE_VALUE);
    CHECK_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
    f = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
    CHECK(f != INVALID_HANDLE_VALUE);
    CHECK_EQ(GetLastError(), 0);
    CHECK(WriteFile(f, "abcdef", 6, &n, NULL) && n == 6);
    CHECK(!ReadFile(f, &n, 1, &n, NULL)); /* write-only handle */
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    CHECK(CloseHandle(f));
    CHECK(CreateFileA(path, GENERIC_READ, 0, NULL, CREATE_NEW, 0, NULL) ==
          INVALID_HANDLE_VALUE);
    CHECK_EQ(GetLastError(), ERROR_FILE_EXISTS);
    f = CreateFileA(path, GENERIC_READ, 0, NULL, OPEN_ALWAYS, 0, NULL);
    CHECK(f != INVALID_HANDLE_VALUE);
    CHECK_EQ(GetLastError(), ERROR_ALREADY_EXISTS);
    CHECK_EQ(GetFileSize(f, NULL), 6);
    CHECK(!WriteFile(f, "x", 1, &n, NULL));
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    CHECK(!FlushFileBuffers(f));
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    CHECK(CloseHandle(f));
    f = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    CHECK_EQ(GetLastError(), ERROR_ALREADY_EXISTS);
    CHECK_EQ(GetFileSize(f, NULL), 0); /* truncated */
    CHECK(CloseHandle(f));
    CHECK(CreateFileA(path, GENERIC_READ, 0, NULL, TRUNCATE_EXISTING, 0, NULL) ==
          INVALID_HANDLE_VALUE);
    CHECK_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    CHECK(CreateFileA("/tmp", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL) ==
          INVALID_HANDLE_VALUE);
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    CHECK(CreateFileA("/nonexistent-dir-mmf/x", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0,
                      NULL) == INVALID_HANDLE_VALUE);
    CHECK_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);
    CHECK(DeleteFileA(path));
    CHECK(!DeleteFileA(path));
    CHECK_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
}

TEST(file_positions)
{
    const char *path = scratch("f");
    HANDLE f = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                           FILE_FLAG_DELETE_ON_CLOSE, NULL);
    LARGE_INTEGER pos, size;
    OVERLAPPED ov;
    char buf[8];
    LONG high;
    DWORD n;
    struct stat st;

    CHECK(f != INVALID_HANDLE_VALUE);
    CHECK(WriteFile(f, "0123456789", 10, &n, NULL));
    CHECK_EQ(SetFilePointer(f, -4, NULL, FILE_CURRENT), 6);
    CHECK(ReadFile(f, buf, 8, &n, NULL));
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "6789", 4) == 0);
    CHECK(ReadFile(f, buf, 8, &n, NULL)); /* the end: TRUE and 0 bytes */
    CHECK_EQ(n, 0);
    CHECK_EQ(SetFilePointer(f, -11, NULL, FILE_END), INVALID_SET_FILE_POINTER);
    CHECK_EQ(GetLastError(), ERROR_NEGATIVE_SEEK);
    CHECK_EQ(SetFilePointer(f, 0, NULL, 7), INVALID_SET_FILE_POINTER);
    CHECK_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    /* A position past 4 GiB, with the high part. */
    high = 1;
    CHECK_EQ(SetFilePointer(f, 5, &high, FILE_BEGIN), 5);
    CHECK_EQ(high, 1);
    CHECK(SetEndOfFile(f));
    CHECK_EQ(GetFileSize(f, (LPDWORD)&high), 5);
    CHECK_EQ(high, 1);
    pos.QuadPart = 3;
    CHECK(SetFilePointerEx(f, pos, &size, FILE_BEGIN));
    CHECK_EQ(size.QuadPart, 3);
    CHECK(SetEndOfFile(f));
    CHECK(GetFileSizeEx(f, &size));
    CHECK_EQ(size.QuadPart, 3);
    /* OVERLAPPED gives the offset and leaves the position alone. */
    memset(&ov, 0, sizeof ov);
    ov.Offset = 1;
    CHECK(ReadFile(f, buf, 2, &n, &ov));
    CHECK(memcmp(buf, "12", 2) == 0);
    CHECK_EQ(SetFilePointer(f, 0, NULL, FILE_CURRENT), 3);
    CHECK(FlushFileBuffers(f));
    CHECK(stat(path, &st) == 0);
    CHECK(CloseHandle(f));
    CHECK(stat(path, &st) != 0); /* FILE_FLAG_DELETE_ON_CLOSE */
}

/* D16, D17: a mapping of a file stays valid after the file handle closes,
 * and what a view writes is what ReadFile reads. */
TEST(file_mapping)
{
    const char *path = scratch("f");
    HANDLE f = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0,
                           NULL);
    HANDLE m;
    char *v, buf[6];
    DWORD n;

    CHECK(f != INVALID_HANDLE_VALUE);
    m = CreateFileMappingA(f, NULL, PAGE_READWRITE, 0, 0x2000, NULL);
    CHECK(m != NULL);
    CHECK_EQ(GetFileSize(f, NULL), 0x2000);
    v = MapViewOfFile(m, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(v != NULL);
    memcpy(v + 0x1000, "hello", 6);
    CHECK(FlushViewOfFile(v, 0));
    CHECK_EQ(SetFilePointer(f, 0x1000, NULL, FILE_BEGIN), 0x1000);
    CHECK(ReadFile(f, buf, 6, &n, NULL));
    CHECK(strcmp(buf, "hello") == 0);
    CHECK(CloseHandle(f));
    CHECK(CloseHandle(m));
    CHECK(strcmp(v + 0x1000, "hello") == 0);
    CHECK(UnmapViewOfFile(v));
    CHECK(DeleteFileA(path));
}

/* ------------------------------------------------------------------------ */
/* The C runtime's _s functions                                              */
/* ------------------------------------------------------------------------ */

TEST(crt_copies)
{
    char buf[8];
    wchar_t wbuf[8];

    CHECK_EQ(strcpy_s(buf, sizeof buf, "1234567"), 0);
    CHECK(strcmp(buf, "1234567") == 0);
    CHECK_EQ(strcpy_s(buf, 4, "abc"), 0);
    CHECK_EQ(strcat_s(buf, sizeof buf, "defg"), 0);
    CHECK(strcmp(buf, "abcdefg") == 0);
    CHECK_EQ(strncpy_s(buf, sizeof buf, "0123456789", _TRUNCATE), STRUNCATE);
    CHECK(strcmp(buf, "0123456") == 0);
    CHECK_EQ(strncpy_s(buf, sizeof buf, "0123456789", 3), 0);
    CHECK(strcmp(buf, "012") == 0);
    CHECK_EQ(wcscpy_s(wbuf, 8, L"wide"), 0);
    CHECK(wcscmp(wbuf, L"wide") == 0);
    CHECK_EQ(memcpy_s(buf, sizeof buf, "xy", 2), 0);
    CHECK(buf[0] == 'x' && buf[1] == 'y');
    CHECK_EQ(memmove_s(buf + 1, sizeof buf - 1, buf, 3), 0);
    CHECK_EQ(sprintf_s(buf, sizeof buf, "%d-%d", 12, 34), 5);
    CHECK(strcmp(buf, "12-34") == 0);
    CHECK_EQ(_countof(wbuf), 8);
}

HELPER(crt_violation)
{
    char buf[4] = "ab";
    (void)argc;
    if (strcmp(argv[0], "strcpy") == 0)
        strcpy_s(buf, sizeof buf, "too long");
    else if (strcmp(argv[0], "memcpy") == 0)
        memcpy_s(buf, sizeof buf, buf + 1, 2); /* overlap */
    else
        strcat_s(buf, sizeof buf, NULL);
    return 0; /* not reached: a violation ends the program */
}

/* A violation ends the program, as Microsoft's default handler does. */
TEST(crt_violation_aborts)
{
    const char *cases[] = {"strcpy", "memcpy", "strcat"};
    for (size_t i = 0; i < 3; i++)
        CHECK_EQ(test_wait(test_spawn("crt_violation", cases[i], NULL)), 128 + SIGABRT);
}

/* ------------------------------------------------------------------------ */
/* Processes and inheritance                                                 */
/* ------------------------------------------------------------------------ */

/* F09: DuplicateHandle into or out of another process fails with
 * ERROR_ACCESS_DENIED, whatever the rights of the process handle. */
TEST(duplicate_other_process_refused)
{
    char cmd[] = "sleep 30";
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, NULL), t = NULL;

    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    CHECK(e != NULL);
    CHECK(CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
    SetLastError(0);
    CHECK(!DuplicateHandle(GetCurrentProcess(), e, pi.hProcess, &t, 0, FALSE,
                           DUPLICATE_SAME_ACCESS));
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    CHECK(t == NULL);
    SetLastError(0);
    CHECK(!DuplicateHandle(pi.hProcess, e, GetCurrentProcess(), &t, 0, FALSE,
                           DUPLICATE_SAME_ACCESS));
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    /* A source handle in another process is not closed here either. */
    CHECK(!DuplicateHandle(pi.hProcess, e, GetCurrentProcess(), &t, 0, FALSE,
                           DUPLICATE_CLOSE_SOURCE));
    CHECK_EQ(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CHECK(TerminateProcess(pi.hProcess, 1));
    CHECK_EQ(WaitForSingleObject(pi.hProcess, 10000), WAIT_OBJECT_0);
    CHECK(CloseHandle(pi.hThread));
    CHECK(CloseHandle(pi.hProcess));
    CHECK(CloseHandle(e));
}

/* "x.exe" runs x from PATH; a child killed by SIGSEGV reports
 * STATUS_ACCESS_VIOLATION; ExitProcess's code crosses modulo 256. */
TEST(process_names_and_exit_codes)
{
    char c1[] = "true.exe", c2[] = "sh -c \"kill -SEGV $$\"", c3[] = "sh -c \"exit 300\"";
    char *cmds[] = {c1, c2, c3};
    const DWORD want[] = {0, 0xC0000005, 300 & 255};
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    DWORD code;

    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    for (int i = 0; i < 3; i++) {
        CHECK(CreateProcessA(NULL, cmds[i], NULL, NULL, FALSE, CREATE_NEW_CONSOLE, NULL, NULL,
                             &si, &pi));
        CHECK_EQ(WaitForSingleObject(pi.hProcess, 10000), WAIT_OBJECT_0);
        CHECK(GetExitCodeProcess(pi.hProcess, &code));
        CHECK_EQ(code, want[i]);
        CHECK(CloseHandle(pi.hThread));
        CHECK(CloseHandle(pi.hProcess));
    }
    SetLastError(0);
    CHECK(!CreateProcessA(NULL, c1, NULL, NULL, FALSE, CREATE_SUSPENDED, NULL, NULL, &si, &pi));
    CHECK_EQ(GetLastError(), ERROR_NOT_SUPPORTED);
    CHECK(!CreateProcessA(NULL, c1, NULL, NULL, FALSE, 0x20000000, NULL, NULL, &si, &pi));
    CHECK_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
}

/* argv[0]: the descriptor of the one good record. */
HELPER(inherit_garbage)
{
    const uintptr_t bad[] = {0x8, 0xc, 0x10, 0x14, 0x18, 0x1c, 0x20};
    DWORD size = 0, flags = 0;

    CHECK_EQ(argc, 1);
    /* The variable is read once and removed. */
    CHECK(getenv("MMF_WIN32_HANDLES") == NULL);
    CHECK_EQ(GetFileSize((HANDLE)4, &size), 5);
    CHECK(GetHandleInformation((HANDLE)4, &flags));
    CHECK_EQ(flags, HANDLE_FLAG_INHERIT);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        SetLastError(0);
        CHECK(!GetHandleInformation((HANDLE)bad[i], &flags));
        CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    }
    /* The descriptor now belongs to handle 4 alone, closed on exec. */
    CHECK(fcntl(atoi(argv[0]), F_GETFD) & FD_CLOEXEC);
    CHECK(CloseHandle((HANDLE)4));
    CHECK(fcntl(atoi(argv[0]), F_GETFD) < 0);
    return 0;
}

/* The inheritance variable is untrusted: of its records only the one that
 * is right becomes a handle; a second record for the same descriptor, a
 * standard stream, unknown kinds, rights past the kind's, values the table
 * cannot hold or that are not multiples of 4, and bad tokens are dropped. */
TEST(inherit_table_untrusted)
{
    const char *path = scratch("f");
    char var[1024];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

    CHECK(fd > 2);
    CHECK_EQ(write(fd, "hello", 5), 5);
    snprintf(var, sizeof var,
             "1;4:2:120089:fd%d;8:2:120089:fd%d;c:2:120089:fd0;10:99:0:fd%d;"
             "14:2:ffffffff:fd%d;18:5:1f0003:mmf1:999:-1:3;1c:4:1f0001:junk;"
             "ffffffffffff0:2:120089:fd%d;21:2:120089:fd%d;20:2:120089:fd%d",
             fd, fd, fd, fd, fd, fd, 1000);
    CHECK_EQ(setenv("MMF_WIN32_HANDLES", var, 1), 0);
    CHECK_EQ(test_wait(test_spawn("inherit_garbage", test_num(fd), NULL)), 0);
    unsetenv("MMF_WIN32_HANDLES");
    close(fd);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* Security descriptors, against another user                                */
/* ------------------------------------------------------------------------ */

/* The Global\ name of this case's object `tag`. */
static const char *global_name(const char *tag)
{
    static char buf[4][300];
    static int i;
    char *p = buf[i++ % 4];
    snprintf(p, 300, "Global\\%s", test_name(tag));
    return p;
}

/* argv: name, kind ("event" or "section"), expected: "denied", "all",
 * or "read" (a section readable and not writable). As uid 65534. */
HELPER(other_user_opens)
{
    const char *name = argv[0], *want = argv[2];

    CHECK_EQ(argc, 3);
    CHECK_EQ(test_drop_privileges(), 0);
    if (strcmp(argv[1], "event") == 0) {
        HANDLE e;
        SetLastError(0);
        e = OpenEventA(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, name);
        if (strcmp(want, "denied") == 0) {
            CHECK(e == NULL);
            CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
            return 0;
        }
        CHECK(e != NULL);
        CHECK(SetEvent(e));
        CHECK_EQ(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
        CHECK(CloseHandle(e));
    } else {
        HANDLE h;
        char *p;
        SetLastError(0);
        h = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, name);
        if (strcmp(want, "denied") == 0) {
            CHECK(h == NULL);
            CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
            return 0;
        }
        CHECK(h != NULL);
        p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
        CHECK(p != NULL);
        CHECK(strcmp(p, "secured") == 0);
        CHECK(UnmapViewOfFile(p));
        SetLastError(0);
        p = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, 0);
        if (strcmp(want, "read") == 0) {
            CHECK(p == NULL);
            CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
        } else {
            CHECK(p != NULL);
            CHECK(UnmapViewOfFile(p));
        }
        CHECK(CloseHandle(h));
    }
    return 0;
}

/* Create an event and a section under `sa` and check what uid 65534 may do
 * with each. */
static void check_other_user(const char *tag, SECURITY_ATTRIBUTES *sa, const char *event_want,
                             const char *section_want)
{
    HANDLE e = CreateEventA(sa, TRUE, FALSE, global_name(tag));
    HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, sa, PAGE_READWRITE, 0, 4096,
                                  global_name(tag[0] == 'x' ? "xs" : "s"));
    char *p;

    CHECK(e != NULL && s != NULL);
    p = MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(p != NULL);
    strcpy(p, "secured");
    CHECK_EQ(test_wait(test_spawn("other_user_opens", global_name(tag), "event", event_want,
                                  NULL)),
             0);
    CHECK_EQ(test_wait(test_spawn("other_user_opens", global_name(tag[0] == 'x' ? "xs" : "s"),
                                  "section", section_want, NULL)),
             0);
    CHECK(UnmapViewOfFile(p));
    CHECK(CloseHandle(s));
    CHECK(CloseHandle(e));
}

/* K01, K02, K03: no descriptor keeps another user out; a NULL DACL and
 * Everyone:GA let it in; Everyone:GR opens a section for reading only;
 * Administrators only and an empty DACL keep it out. */
TEST(security_other_user)
{
    SECURITY_DESCRIPTOR sd;
    SECURITY_ATTRIBUTES sa = {sizeof sa, &sd, FALSE};
    PSECURITY_DESCRIPTOR conv = NULL;
    ACL acl;

    if (geteuid() != 0)
        SKIP("cross-user cases need root (they switch to uid 65534)");
    check_other_user("default", NULL, "denied", "denied");
    CHECK(InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION));
    CHECK(SetSecurityDescriptorDacl(&sd, TRUE, NULL, FALSE));
    check_other_user("nulldacl", &sa, "all", "all");
    CHECK(InitializeAcl(&acl, sizeof acl, ACL_REVISION));
    CHECK(SetSecurityDescriptorDacl(&sd, TRUE, &acl, FALSE));
    check_other_user("emptydacl", &sa, "denied", "denied");
    CHECK(ConvertStringSecurityDescriptorToSecurityDescriptorA("D:(A;;GA;;;WD)", SDDL_REVISION_1,
                                                               &conv, NULL));
    sa.lpSecurityDescriptor = conv;
    check_other_user("everyone", &sa, "all", "all");
    CHECK(LocalFree(conv) == NULL);
    CHECK(ConvertStringSecurityDescriptorToSecurityDescriptorA(
        "O:BAG:BAD:P(A;;GA;;;OW)(A;;GR;;;AU)(D;;GA;;;AN)S:(ML;;NW;;;LW)", SDDL_REVISION_1, &conv,
        NULL));
    sa.lpSecurityDescriptor = conv;
    check_other_user("readers", &sa, "denied", "read");
    CHECK(LocalFree(conv) == NULL);
    CHECK(ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:(A;;GA;;;BA)(A;;GA;;;SY)",
                                                               SDDL_REVISION_1, &conv, NULL));
    sa.lpSecurityDescriptor = conv;
    check_other_user("admins", &sa, "denied", "denied");
    CHECK(LocalFree(conv) == NULL);
}

/* K04: what the permissions cannot say fails the create, named or not,
 * instead of being widened: another SID, a deny for Administrators. */
TEST(security_unexpressible_refused)
{
    static const char *const sddl[] = {"D:(A;;GA;;;S-1-5-21-1-2-3-1000)", "D:(D;;GA;;;BA)"};
    PSECURITY_DESCRIPTOR conv;
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};

    for (size_t i = 0; i < sizeof sddl / sizeof sddl[0]; i++) {
        CHECK(ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl[i], SDDL_REVISION_1,
                                                                   &conv, NULL));
        sa.lpSecurityDescriptor = conv;
        SetLastError(0);
        CHECK(CreateEventA(&sa, TRUE, FALSE, global_name("e")) == NULL);
        CHECK_EQ(GetLastError(), ERROR_INVALID_SECURITY_DESCR);
        CHECK(CreateFileMappingA(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, 4096, NULL) ==
              NULL);
        CHECK_EQ(GetLastError(), ERROR_INVALID_SECURITY_DESCR);
        LocalFree(conv);
    }
}

/* B01, C17, V01: hFile NULL is a pagefile-backed section; a name from the
 * root is ERROR_BAD_PATHNAME; OpenFileMapping("") is ERROR_INVALID_HANDLE. */
TEST(mapping_errors_as_windows)
{
    HANDLE h = CreateFileMappingA(NULL, NULL, PAGE_READWRITE, 0, 4096, NULL);

    CHECK(h != NULL);
    CHECK(CloseHandle(h));
    SetLastError(0);
    CHECK(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, "\\x") == NULL);
    CHECK_EQ(GetLastError(), ERROR_BAD_PATHNAME);
    SetLastError(0);
    CHECK(OpenFileMappingA(FILE_MAP_READ, FALSE, "") == NULL);
    CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
}

/* getch, getche and kbhit, the older names of <conio.h>, read standard
 * input as _getch does: here a pipe, byte by byte, then EOF (-1). (On
 * Windows they read the console, so the conformance suite cannot check
 * them under Wine.) */
TEST(conio_old_names_read_stdin)
{
    int p[2], saved = dup(0);

    CHECK(saved >= 0);
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(write(p[1], "qz", 2), 2);
    CHECK_EQ(close(p[1]), 0);
    CHECK_EQ(dup2(p[0], 0), 0);
    CHECK(kbhit() != 0);
    CHECK_EQ(getch(), 'q');
    CHECK_EQ(getch(), 'z');
    CHECK_EQ(getche(), -1);
    CHECK_EQ(dup2(saved, 0), 0);
    close(saved);
    close(p[0]);
}

/* _vsnwprintf_s, the va_list form under _snwprintf_s and _stprintf_s. */
static int vsn(wchar_t *buf, size_t size, size_t count, const wchar_t *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = _vsnwprintf_s(buf, size, count, fmt, ap);
    va_end(ap);
    return n;
}

TEST(vsnwprintf_s_microsoft_meaning)
{
    wchar_t buf[8];

    CHECK_EQ(vsn(buf, 8, _TRUNCATE, L"%s%S", L"ab", "cd"), 4);
    CHECK(wcscmp(buf, L"abcd") == 0);
    CHECK_EQ(vsn(buf, 8, _TRUNCATE, L"%s", L"0123456789"), -1);
    CHECK(wcscmp(buf, L"0123456") == 0);
}
