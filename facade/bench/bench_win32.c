/* SPDX-License-Identifier: MIT */
/*
 * bench_win32.c - a benchmark written against the Win32 API only, built
 * twice from this one source: natively against the mmf Win32 façade, and
 * with MinGW-w64 against the real <windows.h> to run under Wine (see
 * facade/bench/bench-win32.sh, `make bench-win32`, which runs both and
 * prints the ratio Wine/native).
 *
 *   bench_win32 [iterations]
 *
 * Two loops:
 *   map        CreateFileMapping (a named, 64 KiB pagefile-backed
 *              section), MapViewOfFile, write 4 KiB, UnmapViewOfFile,
 *              CloseHandle - the whole life of a section, per iteration.
 *   pingpong   two processes (this program started again as a child)
 *              signal each other through two named auto-reset events:
 *              SetEvent + WaitForSingleObject on each side, per round trip.
 *
 * Each loop prints one line "RESULT <name> <ns per iteration>" for the
 * driver script, after a human-readable line.
 */
#ifdef _WIN32
#include <windows.h>
#else
#include <windows.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTION_SIZE 65536
#define WRITE_SIZE 4096

static void fail(const char *what)
{
    fprintf(stderr, "bench_win32: %s failed (error %lu)\n", what,
            (unsigned long)GetLastError());
    exit(1);
}

static double now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER t;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart * 1e9 / (double)freq.QuadPart;
}

/* ------------------------------------------------------------------------ */
/* Starting this program again as a child: the one OS-specific helper.      */
/* ------------------------------------------------------------------------ */

#ifdef _WIN32
typedef HANDLE child_t;

static child_t spawn_self(const char *args)
{
    char exe[MAX_PATH], cmd[MAX_PATH + 256];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;

    if (GetModuleFileNameA(NULL, exe, sizeof exe) == 0)
        fail("GetModuleFileName");
    snprintf(cmd, sizeof cmd, "\"%s\" %s", exe, args);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    if (!CreateProcessA(exe, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
        fail("CreateProcess");
    CloseHandle(pi.hThread);
    return pi.hProcess;
}

static int wait_child(child_t c)
{
    DWORD code = 1;
    WaitForSingleObject(c, INFINITE);
    GetExitCodeProcess(c, &code);
    CloseHandle(c);
    return (int)code;
}
#else
typedef pid_t child_t;

static child_t spawn_self(const char *args)
{
    char buf[256], *argv[8];
    int argc = 0;
    pid_t pid;

    snprintf(buf, sizeof buf, "%s", args);
    argv[argc++] = "bench_win32";
    for (char *tok = strtok(buf, " "); tok != NULL && argc < 7; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ) != 0)
        fail("posix_spawn");
    return pid;
}

static int wait_child(child_t c)
{
    int status;
    if (waitpid(c, &status, 0) != c || !WIFEXITED(status))
        return 1;
    return WEXITSTATUS(status);
}
#endif

/* ------------------------------------------------------------------------ */
/* The loops                                                                 */
/* ------------------------------------------------------------------------ */

static void map_loop(long iterations, const char *name)
{
    char data[WRITE_SIZE];
    double t0;

    memset(data, 0x5a, sizeof data);
    t0 = now_ns();
    for (long i = 0; i < iterations; i++) {
        HANDLE h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
                                      0, SECTION_SIZE, name);
        char *p;
        if (h == NULL)
            fail("CreateFileMapping");
        p = (char *)MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
        if (p == NULL)
            fail("MapViewOfFile");
        memcpy(p, data, sizeof data);
        if (!UnmapViewOfFile(p))
            fail("UnmapViewOfFile");
        if (!CloseHandle(h))
            fail("CloseHandle");
    }
    {
        double ns = (now_ns() - t0) / (double)iterations;
        printf("map:      %ld x create/map/write 4 KiB/unmap/close: %.0f ns each\n",
               iterations, ns);
        printf("RESULT map %.1f\n", ns);
    }
}

/* The child's side: answer every ping with a pong. */
static int pong_side(const char *ping_name, const char *pong_name, long iterations)
{
    HANDLE ping = OpenEventA(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, ping_name);
    HANDLE pong = OpenEventA(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, pong_name);

    if (ping == NULL || pong == NULL)
        fail("OpenEvent");
    if (!SetEvent(pong)) /* ready */
        fail("SetEvent");
    for (long i = 0; i < iterations; i++) {
        if (WaitForSingleObject(ping, INFINITE) != WAIT_OBJECT_0)
            fail("WaitForSingleObject");
        if (!SetEvent(pong))
            fail("SetEvent");
    }
    CloseHandle(ping);
    CloseHandle(pong);
    return 0;
}

static void pingpong(long iterations, const char *ping_name, const char *pong_name)
{
    HANDLE ping = CreateEventA(NULL, FALSE, FALSE, ping_name);
    HANDLE pong = CreateEventA(NULL, FALSE, FALSE, pong_name);
    long warm = iterations / 10 + 1;
    char args[256];
    child_t child;
    double t0 = 0;

    if (ping == NULL || pong == NULL)
        fail("CreateEvent");
    snprintf(args, sizeof args, "child %s %s %ld", ping_name, pong_name,
             warm + iterations);
    child = spawn_self(args);
    if (WaitForSingleObject(pong, 60000) != WAIT_OBJECT_0)
        fail("waiting for the child");
    for (long i = 0; i < warm + iterations; i++) {
        if (i == warm)
            t0 = now_ns();
        if (!SetEvent(ping))
            fail("SetEvent");
        if (WaitForSingleObject(pong, INFINITE) != WAIT_OBJECT_0)
            fail("WaitForSingleObject");
    }
    {
        double ns = (now_ns() - t0) / (double)iterations;
        printf("pingpong: %ld round trips between two processes (two events): "
               "%.0f ns each\n", iterations, ns);
        printf("RESULT pingpong %.1f\n", ns);
    }
    if (wait_child(child) != 0) {
        fprintf(stderr, "bench_win32: the child failed\n");
        exit(1);
    }
    CloseHandle(ping);
    CloseHandle(pong);
}

int main(int argc, char **argv)
{
    long iterations = 20000;
    char map_name[64], ping_name[64], pong_name[64];
    DWORD pid = GetCurrentProcessId();

    if (argc == 5 && strcmp(argv[1], "child") == 0)
        return pong_side(argv[2], argv[3], strtol(argv[4], NULL, 10));
    if (argc > 1)
        iterations = strtol(argv[1], NULL, 10);
    if (iterations <= 0) {
        fprintf(stderr, "usage: bench_win32 [iterations]\n");
        return 2;
    }
    snprintf(map_name, sizeof map_name, "bench-win32-%lu-map", (unsigned long)pid);
    snprintf(ping_name, sizeof ping_name, "bench-win32-%lu-ping", (unsigned long)pid);
    snprintf(pong_name, sizeof pong_name, "bench-win32-%lu-pong", (unsigned long)pid);
#ifdef _WIN32
    printf("bench_win32 (Win32 build)\n");
#else
    printf("bench_win32 (native build, mmf Win32 facade)\n");
#endif
    map_loop(iterations, map_name);
    pingpong(iterations, ping_name, pong_name);
    return 0;
}
