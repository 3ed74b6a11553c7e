/* SPDX-License-Identifier: MIT */
/*
 * harness-win.c - the Windows process layer of the test harness, as
 * harness-linux.c is the Linux one (runner.c, shared, has main() and the
 * argv contract).
 *
 *   helpers     CreateProcess of GetModuleFileName(NULL) with the command
 *               line "EXE --helper NAME CASE OWNER args", handles
 *               inherited (test_sync pipes and mmf export tokens travel
 *               that way); every child goes into one job object with
 *               KILL_ON_JOB_CLOSE, so it dies with the test (PDEATHSIG
 *               on Linux)
 *   kills       TerminateProcess(h, 128 + sig), so a killed child reads
 *               137 as after SIGKILL on Linux
 *   test_sync   an inheritable anonymous pipe; its handle values are the
 *               ints the tests pass to helpers
 *   the store   the session's BaseNamedObjects directory (Local\) and the
 *               global one (Global\), read with NtQueryDirectoryObject one
 *               entry at a time (Wine 8 implements only that mode)
 *   a 2nd user  none: test_drop_privileges returns -1 and callers skip
 */
#include "test.h"

#include <fcntl.h>
#include <io.h>
#include <stdarg.h>
#include <stddef.h>
#include <windows.h>
#include <winternl.h>

#define MAX_CHILDREN 512

/* The children started by test_spawn, by pid, until test_wait. */
static struct { DWORD pid; HANDLE h; } children[MAX_CHILDREN];
static HANDLE job;

/* The pipe handles made by test_sync_init, so that close() of one of them
 * (as the tests do on Linux) closes the handle. */
static intptr_t sync_handles[MAX_CHILDREN];

/* Append one argument to a command line, quoted as CommandLineToArgvW and
 * the C runtime read it back: backslashes before a quote are doubled. */
static void append_arg(char *cmd, size_t cap, const char *arg)
{
    size_t n = strlen(cmd);
    if (n + 2 >= cap)
        test_fail(__FILE__, __LINE__, "command line too long");
    cmd[n++] = ' ';
    cmd[n++] = '"';
    for (const char *p = arg;; p++) {
        size_t slashes = 0;
        while (*p == '\\')
            p++, slashes++;
        if (*p == '\0')
            slashes *= 2;
        else if (*p == '"')
            slashes = slashes * 2 + 1;
        if (n + slashes + 3 >= cap)
            test_fail(__FILE__, __LINE__, "command line too long");
        while (slashes-- > 0)
            cmd[n++] = '\\';
        if (*p == '\0')
            break;
        cmd[n++] = *p;
    }
    cmd[n++] = '"';
    cmd[n] = '\0';
}

static HANDLE child_handle(pid_t pid, int take)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (children[i].h != NULL && children[i].pid == (DWORD)pid) {
            HANDLE h = children[i].h;
            if (take)
                children[i].h = NULL;
            return h;
        }
    }
    return NULL;
}

pid_t test_spawn(const char *helper, ...)
{
    static char cmd[32768];
    char exe[MAX_PATH], pidbuf[32];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    va_list ap;
    int slot;

    if (GetModuleFileNameA(NULL, exe, sizeof exe) == 0)
        test_fail(__FILE__, __LINE__, "GetModuleFileName: %lu", GetLastError());
    if (job == NULL) {
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
        memset(&li, 0, sizeof li);
        li.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        job = CreateJobObjectA(NULL, NULL);
        if (job != NULL)
            SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li, sizeof li);
    }
    snprintf(pidbuf, sizeof pidbuf, "%ld", test_owner());
    cmd[0] = '\0';
    append_arg(cmd, sizeof cmd, exe);
    memmove(cmd, cmd + 1, strlen(cmd)); /* no leading blank */
    append_arg(cmd, sizeof cmd, "--helper");
    append_arg(cmd, sizeof cmd, helper);
    append_arg(cmd, sizeof cmd, test_case());
    append_arg(cmd, sizeof cmd, pidbuf);
    va_start(ap, helper);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL;)
        append_arg(cmd, sizeof cmd, a);
    va_end(ap);

    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    fflush(NULL);
    /* Wine 8 under load now and then fails a process start with
     * ERROR_INTERNAL_ERROR before the child runs a line of it: try again
     * (a few times, and under Wine only). */
    for (int tries = 0;; tries++) {
        DWORD e;
        if (CreateProcessA(exe, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi))
            break;
        e = GetLastError();
        if (e != ERROR_INTERNAL_ERROR || tries == 4 || !test_under_wine())
            test_fail(__FILE__, __LINE__, "CreateProcess: %lu", e);
        Sleep(50);
    }
    /* A child that cannot join (an older system without nested jobs) still
     * runs; it just does not die with us. */
    if (job != NULL)
        AssignProcessToJobObject(job, pi.hProcess);
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    for (slot = 0; slot < MAX_CHILDREN && children[slot].h != NULL; slot++)
        ;
    if (slot == MAX_CHILDREN)
        test_fail(__FILE__, __LINE__, "more than %d children", MAX_CHILDREN);
    children[slot].pid = pi.dwProcessId;
    children[slot].h = pi.hProcess;
    return (pid_t)pi.dwProcessId;
}

int test_wait(pid_t pid)
{
    HANDLE h = child_handle(pid, 1);
    DWORD code = 0;
    if (h == NULL)
        test_fail(__FILE__, __LINE__, "test_wait: %ld is not a child", (long)pid);
    if (WaitForSingleObject(h, INFINITE) != WAIT_OBJECT_0 || !GetExitCodeProcess(h, &code))
        test_fail(__FILE__, __LINE__, "test_wait: %lu", GetLastError());
    CloseHandle(h);
    return (int)code;
}

int test_kill_sig(pid_t pid, int sig)
{
    HANDLE h = child_handle(pid, 0);
    int own = 0;
    if (h == NULL) {
        h = OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)pid);
        own = 1;
    }
    if (h == NULL)
        return -1;
    if (sig != 0 && !TerminateProcess(h, (UINT)(128 + sig)) &&
        WaitForSingleObject(h, 0) != WAIT_OBJECT_0) {
        if (own)
            CloseHandle(h);
        return -1;
    }
    if (own)
        CloseHandle(h);
    return 0;
}

int test_await_exit(pid_t pid, long ms)
{
    HANDLE h = child_handle(pid, 0);
    return h != NULL && WaitForSingleObject(h, (DWORD)ms) == WAIT_OBJECT_0;
}

void test_kill(pid_t pid)
{
    test_kill_sig(pid, 9);
}

void test_sleep_ms(long ms)
{
    Sleep((DWORD)ms);
}

long long test_cpu_us(void)
{
    FILETIME c, e, k, u;
    ULARGE_INTEGER kk, uu;
    GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u);
    kk.LowPart = k.dwLowDateTime, kk.HighPart = k.dwHighDateTime;
    uu.LowPart = u.dwLowDateTime, uu.HighPart = u.dwHighDateTime;
    return (long long)((kk.QuadPart + uu.QuadPart) / 10);
}

uint64_t test_now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER now;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    /* Split so that the multiplication cannot overflow. */
    return (uint64_t)(now.QuadPart / freq.QuadPart) * 1000000000u +
           (uint64_t)(now.QuadPart % freq.QuadPart) * 1000000000u / (uint64_t)freq.QuadPart;
}

void test_sync_init(struct test_sync *s)
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE rd, wr;
    if (!CreatePipe(&rd, &wr, &sa, 0))
        test_fail(__FILE__, __LINE__, "CreatePipe: %lu", GetLastError());
    /* Handle values are small multiples of 4: they fit an int. */
    s->rd = (int)(intptr_t)rd;
    s->wr = (int)(intptr_t)wr;
    for (int i = 0, k = 0; i < MAX_CHILDREN && k < 2; i++) {
        if (sync_handles[i] == 0)
            sync_handles[i] = k++ == 0 ? (intptr_t)rd : (intptr_t)wr;
    }
}

void test_sync_signal(int wr_fd)
{
    char c = 1;
    DWORD n = 0;
    if (!WriteFile((HANDLE)(intptr_t)wr_fd, &c, 1, &n, NULL) || n != 1)
        test_fail(__FILE__, __LINE__, "sync write: %lu", GetLastError());
}

int test_sync_wait(struct test_sync *s, long timeout_ms)
{
    HANDLE rd = (HANDLE)(intptr_t)s->rd;
    uint64_t end = test_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        DWORD avail = 0, n = 0;
        char c;
        /* An anonymous pipe cannot be waited on: poll it (a closed write
         * end reads as EOF, as with poll on Linux). */
        if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL))
            return 0;
        if (avail > 0)
            return ReadFile(rd, &c, 1, &n, NULL) && n == 1;
        if (timeout_ms >= 0 && test_now_ns() >= end)
            return 0;
        Sleep(1);
    }
}

int test_await_fd(int fd, long ms)
{
    struct test_sync s = {fd, -1};
    return test_sync_wait(&s, ms);
}

int test_close(int fd)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (fd != 0 && sync_handles[i] == (intptr_t)fd) {
            sync_handles[i] = 0;
            return CloseHandle((HANDLE)(intptr_t)fd) ? 0 : -1;
        }
    }
    return _close(fd);
}

void test_die_with_parent(void)
{
    /* The job object of test_spawn does it. */
}

void test_sweep_dead_dirs(const char *parent, const char *prefix)
{
    char pattern[600];
    WIN32_FIND_DATAA e;
    HANDLE d;
    size_t plen = strlen(prefix);

    snprintf(pattern, sizeof pattern, "%s\\%s*", parent, prefix);
    if ((d = FindFirstFileA(pattern, &e)) == INVALID_HANDLE_VALUE)
        return;
    do {
        char dir[900], files[1000], *end;
        WIN32_FIND_DATAA f;
        HANDLE sub, proc;
        long pid = strtol(e.cFileName + plen, &end, 10);

        if (end == e.cFileName + plen || *end != '-' || pid <= 0)
            continue;
        if ((proc = OpenProcess(SYNCHRONIZE, FALSE, (DWORD)pid)) != NULL) {
            int alive = WaitForSingleObject(proc, 0) == WAIT_TIMEOUT;
            CloseHandle(proc);
            if (alive)
                continue;
        }
        snprintf(dir, sizeof dir, "%s\\%s", parent, e.cFileName);
        snprintf(files, sizeof files, "%s\\*", dir);
        if ((sub = FindFirstFileA(files, &f)) != INVALID_HANDLE_VALUE) {
            do {
                char path[1300];
                snprintf(path, sizeof path, "%s\\%s", dir, f.cFileName);
                if (strcmp(f.cFileName, ".") != 0 && strcmp(f.cFileName, "..") != 0 &&
                    !DeleteFileA(path))
                    RemoveDirectoryA(path);
            } while (FindNextFileA(sub, &f));
            FindClose(sub);
        }
        RemoveDirectoryA(dir);
    } while (FindNextFileA(d, &e));
    FindClose(d);
}

/* ntdll's object directory calls, which MinGW-w64 does not declare. */
typedef struct {
    UNICODE_STRING Name;
    UNICODE_STRING TypeName;
} test_dir_entry;
NTSTATUS NTAPI NtOpenDirectoryObject(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES);
NTSTATUS NTAPI NtQueryDirectoryObject(HANDLE, PVOID, ULONG, BOOLEAN, BOOLEAN, PULONG, PULONG);
#define TEST_DIRECTORY_QUERY 0x0001

/* The names in one object directory that contain `needle`. */
static int count_directory(const wchar_t *path, const char *needle)
{
    UNICODE_STRING us;
    OBJECT_ATTRIBUTES oa;
    HANDLE dir;
    ULONG ctx = 0, len;
    union { test_dir_entry e; char raw[4096]; } buf;
    int n = 0;

    us.Buffer = (PWSTR)path;
    us.Length = (USHORT)(wcslen(path) * sizeof(wchar_t));
    us.MaximumLength = us.Length;
    InitializeObjectAttributes(&oa, &us, 0, NULL, NULL);
    if (NtOpenDirectoryObject(&dir, TEST_DIRECTORY_QUERY, &oa) < 0)
        return 0;
    /* One entry per call: the multi-entry mode is not implemented in
     * Wine 8 (STATUS_NOT_IMPLEMENTED). */
    while (NtQueryDirectoryObject(dir, &buf, sizeof buf, TRUE, ctx == 0, &ctx, &len) >= 0) {
        char name[1024];
        int k = WideCharToMultiByte(CP_UTF8, 0, buf.e.Name.Buffer,
                                    buf.e.Name.Length / (int)sizeof(wchar_t), name,
                                    (int)sizeof name - 1, NULL, NULL);
        name[k > 0 ? k : 0] = '\0';
        n += strstr(name, needle) != NULL;
    }
    CloseHandle(dir);
    return n;
}

/* A walk one entry at a time goes by index: another process that makes or
 * drops a name meanwhile shifts the entries, so that one is skipped or
 * seen twice. The count is taken again until two walks agree. */
int test_store_count(const char *needle)
{
    wchar_t local[64];
    DWORD session = 0;
    int n = -1;
    ProcessIdToSessionId(GetCurrentProcessId(), &session);
    swprintf(local, 64, L"\\Sessions\\%lu\\BaseNamedObjects", (unsigned long)session);
    for (int tries = 0; tries < 20; tries++) {
        int again = count_directory(local, needle) + count_directory(L"\\BaseNamedObjects", needle);
        if (again == n)
            break;
        n = again;
    }
    return n;
}

int test_claims_count(const char *needle)
{
    /* A channel's claims are mutexes named after its random id, not after
     * the channel, and they go with the channel's last handle: the
     * channel's own name is what test_store_count finds. */
    (void)needle;
    return 0;
}

int test_drop_privileges(void)
{
    return -1; /* no second account to switch to */
}

int test_under_wine(void)
{
    HMODULE nt = GetModuleHandleA("ntdll.dll");
    return nt != NULL && GetProcAddress(nt, "wine_get_version") != NULL;
}

void *test_reserve_range(size_t len)
{
    return VirtualAlloc(NULL, len, MEM_RESERVE, PAGE_NOACCESS);
}

void test_release_range(void *p, size_t len)
{
    (void)len;
    VirtualFree(p, 0, MEM_RELEASE);
}

int test_addr_prot(const void *p)
{
    MEMORY_BASIC_INFORMATION mi;
    DWORD pr;
    if (VirtualQuery(p, &mi, sizeof mi) != sizeof mi || mi.State != MEM_COMMIT)
        return -1;
    pr = mi.Protect & 0xff;
    switch (pr) {
    case PAGE_NOACCESS: return 0;
    case PAGE_READONLY: return TEST_PROT_READ;
    case PAGE_READWRITE: return TEST_PROT_READ | TEST_PROT_WRITE;
    case PAGE_WRITECOPY: return TEST_PROT_READ | TEST_PROT_WRITE | TEST_PROT_COPY;
    case PAGE_EXECUTE: return TEST_PROT_EXEC;
    case PAGE_EXECUTE_READ: return TEST_PROT_READ | TEST_PROT_EXEC;
    case PAGE_EXECUTE_READWRITE: return TEST_PROT_READ | TEST_PROT_WRITE | TEST_PROT_EXEC;
    case PAGE_EXECUTE_WRITECOPY:
        return TEST_PROT_READ | TEST_PROT_WRITE | TEST_PROT_EXEC | TEST_PROT_COPY;
    }
    return -1;
}

void *test_anon_map(size_t len)
{
    return VirtualAlloc(NULL, len, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

void test_anon_unmap(void *p, size_t len)
{
    (void)len;
    VirtualFree(p, 0, MEM_RELEASE);
}

/* PSAPI's working-set query, exported by kernel32 since Windows 7. */
typedef union {
    ULONG_PTR Flags;
    struct { ULONG_PTR Valid : 1; ULONG_PTR rest : 63; } s;
} test_ws_block;
typedef struct {
    PVOID VirtualAddress;
    test_ws_block VirtualAttributes;
} test_ws_info;
BOOL WINAPI K32QueryWorkingSetEx(HANDLE, PVOID, DWORD);

long test_resident(const void *addr, size_t len)
{
    SYSTEM_INFO si;
    size_t n;
    test_ws_info *ws;
    long count = 0;

    GetSystemInfo(&si);
    n = (len + si.dwPageSize - 1) / si.dwPageSize;
    for (size_t i = 0; i < n; i++) {
        if (test_addr_prot((const char *)addr + i * si.dwPageSize) < 0) {
            MEMORY_BASIC_INFORMATION mi;
            /* Reserved but not committed (SEC_RESERVE) is mapped, not in
             * memory; free is not mapped. */
            if (VirtualQuery((const char *)addr + i * si.dwPageSize, &mi, sizeof mi) != sizeof mi ||
                mi.State == MEM_FREE)
                return -1;
        }
    }
    if ((ws = calloc(n, sizeof *ws)) == NULL)
        test_fail(__FILE__, __LINE__, "out of memory");
    for (size_t i = 0; i < n; i++)
        ws[i].VirtualAddress = (char *)addr + i * si.dwPageSize;
    if (!K32QueryWorkingSetEx(GetCurrentProcess(), ws, (DWORD)(n * sizeof *ws)))
        test_fail(__FILE__, __LINE__, "QueryWorkingSetEx: %lu", GetLastError());
    for (size_t i = 0; i < n; i++)
        count += (long)ws[i].VirtualAttributes.s.Valid;
    free(ws);
    return count;
}

long long test_pread(int fd, void *buf, size_t n, long long off)
{
    if (_lseeki64(fd, off, SEEK_SET) < 0)
        return -1;
    return _read(fd, buf, (unsigned)n);
}

long long test_pwrite(int fd, const void *buf, size_t n, long long off)
{
    if (_lseeki64(fd, off, SEEK_SET) < 0)
        return -1;
    return _write(fd, buf, (unsigned)n);
}

/* SystemExtendedHandleInformation (ntdll): one row per open handle of the
 * system. */
struct handle_row {
    PVOID object;
    ULONG_PTR pid, handle;
    ULONG granted_access;
    USHORT creator_back_trace_index, type_index;
    ULONG attributes, reserved;
};
struct handle_table {
    ULONG_PTR count, reserved;
    struct handle_row rows[1];
};

/* GetProcessHandleCount, or where it answers 0 (Wine 8 stubs it: a real
 * process always holds handles) this process's rows of the system's
 * handle table, which Wine keeps. */
int test_open_handles(void)
{
    ULONG len = 1u << 16, ret = 0;
    DWORD count = 0;

    if (GetProcessHandleCount(GetCurrentProcess(), &count) && count != 0)
        return (int)count;
    for (;;) {
        struct handle_table *t = malloc(len);
        NTSTATUS st;
        int n = 0;
        CHECK(t != NULL);
        st = NtQuerySystemInformation((SYSTEM_INFORMATION_CLASS)64, t, len, &ret);
        if (st >= 0) {
            size_t room = (len - offsetof(struct handle_table, rows)) / sizeof t->rows[0];
            for (size_t i = 0; i < t->count && i < room; i++)
                n += t->rows[i].pid == GetCurrentProcessId();
            free(t);
            return n;
        }
        free(t);
        CHECK(st == (NTSTATUS)0xC0000004L /* STATUS_INFO_LENGTH_MISMATCH */ && len < (1u << 28));
        len = ret > len ? ret + (1u << 14) : 2 * len;
    }
}

const char *test_tmp_parent(void)
{
    static char dir[MAX_PATH + 1];
    if (dir[0] == '\0') {
        DWORD n = GetTempPathA(sizeof dir, dir);
        if (n == 0 || n >= sizeof dir)
            test_fail(__FILE__, __LINE__, "GetTempPath: %lu", GetLastError());
        if (dir[n - 1] == '\\')
            dir[n - 1] = '\0'; /* no trailing separator, as "/tmp" */
    }
    return dir;
}

void test_commit_space(unsigned long long *total, unsigned long long *avail)
{
    MEMORYSTATUSEX ms;
    ms.dwLength = sizeof ms;
    GlobalMemoryStatusEx(&ms);
    *total = ms.ullTotalPageFile;
    *avail = ms.ullAvailPageFile;
}

long test_sysconf(int name)
{
    SYSTEM_INFO si;
    (void)name;
    GetSystemInfo(&si);
    return (long)si.dwPageSize;
}

void test_os_init(void)
{
    /* No dialog boxes for a crash or a missing drive: fail instead. */
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
    /* Files the tests open() hold bytes, not text. */
    _fmode = _O_BINARY;
}

void *test_map_channel(const char *name, size_t len)
{
    WCHAR w[1024];
    const char *prefix = strncmp(name, "Local\\", 6) == 0 || strncmp(name, "Global\\", 7) == 0
                             ? "" : "Local\\";
    char full[1024];
    HANDLE h;
    void *p;

    snprintf(full, sizeof full, "%s%s", prefix, name);
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, full, -1, w,
                            (int)(sizeof w / sizeof w[0])) == 0)
        test_fail(__FILE__, __LINE__, "name %s: %lu", full, GetLastError());
    h = OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE, FALSE, w);
    if (h == NULL)
        test_fail(__FILE__, __LINE__, "OpenFileMapping %s: %lu", full, GetLastError());
    p = MapViewOfFile(h, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, len);
    if (p == NULL)
        test_fail(__FILE__, __LINE__, "MapViewOfFile %s: %lu", full, GetLastError());
    CloseHandle(h); /* the view keeps the Section */
    return p;
}

void test_unmap_channel(void *p, size_t len)
{
    (void)len;
    if (!UnmapViewOfFile(p))
        test_fail(__FILE__, __LINE__, "UnmapViewOfFile: %lu", GetLastError());
}

size_t test_chan_ctl_off(void)
{
    return 65536; /* the channel's header region, MMF__WIN_CHAN_HDR */
}

size_t test_chan_area_off(void)
{
    uint64_t g = mmf_allocation_granularity();
    return test_chan_ctl_off() + (size_t)(g > 4096 ? g : 4096);
}
