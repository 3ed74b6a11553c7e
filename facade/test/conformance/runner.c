/* SPDX-License-Identifier: MIT */
/* runner.c - runs the Win32 conformance tests; see w32t.h. */
#ifndef _WIN32
#define _GNU_SOURCE
#endif
#include "w32t.h"

#include <setjmp.h>

#ifndef _WIN32
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#endif

#define MAX_TESTS 512
#define MAX_CHILDREN 64
#define MAX_PATHS 64

static struct { const char *id; w32t_fn fn; } tests[MAX_TESTS];
static struct { const char *name; w32t_child_fn fn; } kids[MAX_CHILDREN];
static int ntests, nkids;

static const char *current = "none";
static unsigned long owner_pid;
static DWORD main_tid;
static int child_mode;
static jmp_buf test_jb;

/* The open Wine-differs region, if any. */
static struct {
    const char *id, *why;
    int active, failed;
} region;
static int n_xdiff, n_xpass;

/* Scratch files handed out by w32t_path, deleted after each test. */
static char paths[MAX_PATHS][300];
static int npaths;

void w32t_register(const char *id, w32t_fn fn)
{
    if (ntests < MAX_TESTS) {
        tests[ntests].id = id;
        tests[ntests].fn = fn;
        ntests++;
    }
}

void w32t_register_child(const char *name, w32t_child_fn fn)
{
    if (nkids < MAX_CHILDREN) {
        kids[nkids].name = name;
        kids[nkids].fn = fn;
        nkids++;
    }
}

const char *w32t_id(void)
{
    return current;
}

unsigned long w32t_owner_pid(void)
{
    return owner_pid;
}

int w32t_is_wine(void)
{
#ifdef _WIN32
    static int wine = -1;
    if (wine < 0) {
        HMODULE ntdll = GetModuleHandleA("ntdll.dll");
        wine = ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
    }
    return wine;
#else
    return 0;
#endif
}

void w32t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    const char *base = strrchr(file, '/');

    base = base != NULL ? base + 1 : file;
    if (region.active && w32t_is_wine() && !child_mode) {
        region.failed++;
        printf("  expected difference under Wine (%s: %s) at %s:%d: ",
               region.id, region.why, base, line);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        return;
    }
    printf("FAIL %s%s %s:%d: ", current, child_mode ? " (child)" : "", base, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    /* A child reports through its exit code; a thread other than the main
     * one cannot unwind the main one's test, so it ends the run. */
    if (child_mode || GetCurrentThreadId() != main_tid)
        _Exit(1);
    longjmp(test_jb, 1);
}

void w32t_skip(const char *why)
{
    printf("skip %s: %s\n", current, why);
    fflush(stdout);
    if (child_mode)
        _Exit(77);
    longjmp(test_jb, 2);
}

void w32t_check_gle(const char *file, int line, DWORD expected)
{
    DWORD got = GetLastError();
    if (got != expected)
        w32t_fail(file, line, "GetLastError() = %lu (%s), expected %lu (%s)",
                  (unsigned long)got, w32t_err_name(got),
                  (unsigned long)expected, w32t_err_name(expected));
}

void w32t_wine_differs_begin(const char *id, const char *why)
{
    region.id = id;
    region.why = why;
    region.active = 1;
    region.failed = 0;
}

void w32t_wine_differs_end(const char *file, int line)
{
    const char *base = strrchr(file, '/');
    base = base != NULL ? base + 1 : file;
    if (region.active && w32t_is_wine()) {
        if (region.failed == 0) {
            n_xpass++;
            printf("  UNEXPECTED PASS under Wine (%s: %s) at %s:%d: Wine now "
                   "behaves as Windows here\n", region.id, region.why, base, line);
        } else {
            n_xdiff++;
        }
    }
    region.active = 0;
}

const char *w32t_name(const char *tag)
{
    static char bufs[16][200];
    static int next;
    char *b = bufs[next++ % 16];
    snprintf(b, sizeof bufs[0], "mmf-test-w32-%lu-%s-%s", owner_pid, current, tag);
    return b;
}

const wchar_t *w32t_wname(const char *tag)
{
    static wchar_t bufs[8][200];
    static int next;
    wchar_t *w = bufs[next++ % 8];
    const char *n = w32t_name(tag);
    size_t i;
    for (i = 0; n[i] != '\0' && i + 1 < 200; i++)
        w[i] = (wchar_t)(unsigned char)n[i];
    w[i] = 0;
    return w;
}

const char *w32t_path(const char *tag)
{
    char dir[260];
    char *b;
#ifdef _WIN32
    DWORD n = GetTempPathA(sizeof dir, dir);
    if (n == 0 || n >= sizeof dir)
        strcpy(dir, ".\\");
#else
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/", t != NULL && t[0] == '/' ? t : "/tmp");
#endif
    if (npaths >= MAX_PATHS)
        w32t_fail(__FILE__, __LINE__, "too many scratch files in one test");
    b = paths[npaths++];
    snprintf(b, sizeof paths[0], "%smmf-test-w32-%lu-%s-%s.dat", dir, owner_pid,
             current, tag);
    return b;
}

#ifdef _WIN32
int w32t_readable(const void *p)
{
    return !IsBadReadPtr(p, 1);
}

int w32t_writable(void *p)
{
    return !IsBadWritePtr(p, 1);
}

uint64_t w32t_now_ms(void)
{
    return GetTickCount64();
}

long w32t_dirty_kib(const void *p, const char *path, const char **why)
{
    (void)p;
    (void)path;
    *why = "Windows has no call that reports whether a mapped page is dirty";
    return -1;
}
#else
static sigjmp_buf probe_jb;

static void probe_handler(int sig)
{
    (void)sig;
    siglongjmp(probe_jb, 1);
}

/* Touch one byte with SIGSEGV and SIGBUS caught; 1 if no fault. */
static int probe(volatile char *p, int write)
{
    struct sigaction sa, old_segv, old_bus;
    volatile int ok = 0;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = probe_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    if (sigsetjmp(probe_jb, 1) == 0) {
        char c = *p;
        if (write)
            *p = c;
        ok = 1;
    }
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    return ok;
}

int w32t_readable(const void *p)
{
    return probe((volatile char *)(uintptr_t)p, 0);
}

int w32t_writable(void *p)
{
    return probe((volatile char *)p, 1);
}

uint64_t w32t_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

long w32t_dirty_kib(const void *p, const char *path, const char **why)
{
    struct statfs sfs;
    unsigned long lo, hi, addr = (unsigned long)(uintptr_t)p;
    long kib = -1, v, expire = 0;
    char line[512];
    int in = 0;
    FILE *f;

    /* tmpfs and ramfs have no backing store: their pages stay dirty
     * whatever is flushed. */
    if (statfs(path, &sfs) != 0 || sfs.f_type == 0x01021994 /* TMPFS_MAGIC */ ||
        sfs.f_type == 0x858458f6 /* RAMFS_MAGIC */) {
        *why = "the file is on tmpfs or ramfs, which never write pages back";
        return -1;
    }
    /* The kernel writes back, by itself, pages that have been dirty for
     * vm.dirty_expire_centisecs (30 s by default); much sooner, and a
     * view that was never flushed could turn clean within a check. */
    if ((f = fopen("/proc/sys/vm/dirty_expire_centisecs", "r")) != NULL) {
        if (fscanf(f, "%ld", &expire) != 1)
            expire = 0;
        fclose(f);
    }
    if (expire < 1000) {
        *why = "vm.dirty_expire_centisecs is below 10 s: the kernel's own "
               "write-back could not be told from a flush";
        return -1;
    }
    /* The mapping that holds p: its header line, then its fields. */
    if ((f = fopen("/proc/self/smaps", "r")) == NULL) {
        *why = "no /proc/self/smaps";
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
            if (in)
                break;
            in = addr >= lo && addr < hi;
            if (in)
                kib = 0;
        } else if (in && (sscanf(line, "Shared_Dirty: %ld kB", &v) == 1 ||
                          sscanf(line, "Private_Dirty: %ld kB", &v) == 1)) {
            kib += v;
        }
    }
    fclose(f);
    if (kib < 0)
        *why = "the view is not in /proc/self/smaps";
    return kib;
}
#endif

const char *w32t_numa_policy(const void *p)
{
#ifdef _WIN32
    (void)p;
    return NULL; /* Windows has no call that reports a view's node policy */
#else
    static char policy[64];
    char line[1024], want[32];
    FILE *f = fopen("/proc/self/numa_maps", "r");

    if (f == NULL)
        return NULL;
    policy[0] = '\0';
    snprintf(want, sizeof want, "%lx ", (unsigned long)(uintptr_t)p);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, want, strlen(want)) == 0 &&
            sscanf(line + strlen(want), "%63s", policy) == 1)
            break;
    }
    fclose(f);
    return policy;
#endif
}

int w32t_host_overcommits(void)
{
    /* Under Wine, drive Z: is the host's root. */
#ifdef _WIN32
    FILE *f = fopen("Z:\\proc\\sys\\vm\\overcommit_memory", "r");
#else
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
#endif
    int mode = 0;
    if (f == NULL)
        return 0;
    if (fscanf(f, "%d", &mode) != 1)
        mode = 0;
    fclose(f);
    return mode == 1;
}

const char *w32t_num(unsigned long long v)
{
    static char bufs[16][32];
    static int next;
    char *b = bufs[next++ % 16];
    snprintf(b, sizeof bufs[0], "%llu", v);
    return b;
}

unsigned long long w32t_arg(const char *s)
{
    return strtoull(s, NULL, 0);
}

const char *w32t_err_name(DWORD e)
{
    switch (e) {
    case 0: return "ERROR_SUCCESS";
    case 2: return "ERROR_FILE_NOT_FOUND";
    case 3: return "ERROR_PATH_NOT_FOUND";
    case 5: return "ERROR_ACCESS_DENIED";
    case 6: return "ERROR_INVALID_HANDLE";
    case 8: return "ERROR_NOT_ENOUGH_MEMORY";
    case 31: return "ERROR_GEN_FAILURE";
    case 50: return "ERROR_NOT_SUPPORTED";
    case 87: return "ERROR_INVALID_PARAMETER";
    case 112: return "ERROR_DISK_FULL";
    case 123: return "ERROR_INVALID_NAME";
    case 183: return "ERROR_ALREADY_EXISTS";
    case 193: return "ERROR_BAD_EXE_FORMAT";
    case 206: return "ERROR_FILENAME_EXCED_RANGE";
    case 288: return "ERROR_NOT_OWNER";
    case 298: return "ERROR_TOO_MANY_POSTS";
    case 487: return "ERROR_INVALID_ADDRESS";
    case 998: return "ERROR_NOACCESS";
    case 1006: return "ERROR_FILE_INVALID";
    case 1132: return "ERROR_MAPPED_ALIGNMENT";
    case 1300: return "ERROR_NOT_ALL_ASSIGNED";
    case 1314: return "ERROR_PRIVILEGE_NOT_HELD";
    case 122: return "ERROR_INSUFFICIENT_BUFFER";
    case 722: return "ERROR_TIMER_RESUME_IGNORED";
    case 1004: return "ERROR_INVALID_FLAGS";
    case 1113: return "ERROR_NO_UNICODE_TRANSLATION";
    case 1450: return "ERROR_NO_SYSTEM_RESOURCES";
    case 1455: return "ERROR_COMMITMENT_LIMIT";
    case 0xdeadbeef: return "untouched sentinel 0xdeadbeef";
    default: return "?";
    }
}

const char *w32t_wait_name(DWORD w)
{
    static char buf[64];
    if (w == WAIT_FAILED)
        snprintf(buf, sizeof buf, "WAIT_FAILED (GLE %lu %s)",
                 (unsigned long)GetLastError(), w32t_err_name(GetLastError()));
    else if (w == WAIT_TIMEOUT)
        return "WAIT_TIMEOUT";
    else if (w < 64)
        snprintf(buf, sizeof buf, "WAIT_OBJECT_0+%lu", (unsigned long)w);
    else if (w >= 0x80 && w < 0x80 + 64)
        snprintf(buf, sizeof buf, "WAIT_ABANDONED_0+%lu", (unsigned long)(w - 0x80));
    else
        snprintf(buf, sizeof buf, "0x%lx", (unsigned long)w);
    return buf;
}

HANDLE w32t_section(const char *name, DWORD protect, uint64_t size)
{
    HANDLE h;
    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, protect, (DWORD)(size >> 32),
                           (DWORD)size, name);
    if (h == NULL)
        w32t_fail(__FILE__, __LINE__, "CreateFileMappingA(%s, 0x%lx, 0x%llx) failed: %lu (%s)",
                  name != NULL ? name : "NULL", (unsigned long)protect,
                  (unsigned long long)size, (unsigned long)GetLastError(),
                  w32t_err_name(GetLastError()));
    CHECK_GLE(ERROR_SUCCESS);
    return h;
}

void *w32t_map(HANDLE h, DWORD access, SIZE_T size)
{
    void *p;
    SetLastError(0xdeadbeef);
    p = MapViewOfFile(h, access, 0, 0, size);
    if (p == NULL)
        w32t_fail(__FILE__, __LINE__, "MapViewOfFile(access 0x%lx, size %llu) failed: %lu (%s)",
                  (unsigned long)access, (unsigned long long)size,
                  (unsigned long)GetLastError(), w32t_err_name(GetLastError()));
    return p;
}

HANDLE w32t_file(const char *tag, DWORD access, DWORD size, const char **path)
{
    const char *p = w32t_path(tag);
    static const char zeros[4096];
    HANDLE f;
    DWORD done, n;

    f = CreateFileA(p, GENERIC_READ | GENERIC_WRITE,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                    CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f == INVALID_HANDLE_VALUE)
        w32t_fail(__FILE__, __LINE__, "CreateFileA(%s) failed: %lu", p,
                  (unsigned long)GetLastError());
    for (done = 0; done < size; done += n) {
        DWORD chunk = size - done < sizeof zeros ? size - done : (DWORD)sizeof zeros;
        CHECK(WriteFile(f, zeros, chunk, &n, NULL));
        CHECK(n == chunk);
    }
    CHECK(CloseHandle(f));
    f = CreateFileA(p, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f == INVALID_HANDLE_VALUE)
        w32t_fail(__FILE__, __LINE__, "CreateFileA(%s, 0x%lx) failed: %lu", p,
                  (unsigned long)access, (unsigned long)GetLastError());
    if (path != NULL)
        *path = p;
    return f;
}

SIZE_T w32t_section_size(HANDLE h, SIZE_T limit)
{
    SIZE_T lo = 0, hi = limit + 1; /* lo maps (0 counts), hi does not */
    while (hi - lo > 1) {
        SIZE_T mid = lo + (hi - lo) / 2;
        void *p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, mid);
        if (p != NULL) {
            CHECK(UnmapViewOfFile(p));
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

#ifndef _WIN32
/* Objects of this test left in mmf's store (natively, named objects are
 * files "mmf.<scope>.<name>" in $MMF_STORE_DIR or /dev/shm). */
static int store_leftovers(const char *id)
{
    const char *dir = getenv("MMF_STORE_DIR");
    char needle[128];
    DIR *d = opendir(dir != NULL && dir[0] == '/' ? dir : "/dev/shm");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return 0;
    snprintf(needle, sizeof needle, "mmf-test-w32-%lu-%s-", owner_pid, id);
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "mmf.", 4) == 0 && strstr(e->d_name, needle) != NULL) {
            printf("  left in the store: %s\n", e->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}
#endif

static int by_id(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return strcmp(x, y);
}

static int selected(const char *id, const char *sel)
{
    if (strcmp(sel, "all") == 0)
        return 1;
    if (strlen(sel) == 1)
        return id[0] == sel[0];
    return strcmp(id, sel) == 0;
}

/* 0 passed, 1 failed, 2 skipped. */
static int run_one(int i)
{
    volatile int status;

    current = tests[i].id;
    region.active = 0;
    npaths = 0;
    status = setjmp(test_jb);
    if (status == 0)
        tests[i].fn();
    region.active = 0;
    w32t_children_reap();
    for (int k = 0; k < npaths; k++)
        DeleteFileA(paths[k]);
#ifndef _WIN32
    if (status == 0 && store_leftovers(current) != 0) {
        printf("FAIL %s: object(s) left in the store after the test\n", current);
        status = 1;
    }
#endif
    if (status == 0)
        printf("ok   %s\n", current);
    fflush(stdout);
    return status;
}

static int run_child(int argc, char **argv)
{
    /* argv: exe --child NAME ID OWNER-PID args... */
    child_mode = 1;
    current = argv[3];
    owner_pid = strtoul(argv[4], NULL, 10);
#ifndef _WIN32
    /* A parent that fails a check does not wait for its children. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    for (int i = 0; i < nkids; i++) {
        if (strcmp(kids[i].name, argv[2]) == 0) {
            int rc = kids[i].fn(argc - 5, argv + 5);
            fflush(NULL);
            _Exit(rc);
        }
    }
    fprintf(stderr, "no child function %s\n", argv[2]);
    return 2;
}

int main(int argc, char **argv)
{
    const char *order[MAX_TESTS];
    int npass = 0, nfail = 0, nskip = 0, nrun = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    owner_pid = (unsigned long)GetCurrentProcessId();
    main_tid = GetCurrentThreadId();
    if (argc >= 5 && strcmp(argv[1], "--child") == 0)
        return run_child(argc, argv);
    for (int i = 0; i < ntests; i++)
        order[i] = tests[i].id;
    qsort(order, (size_t)ntests, sizeof order[0], by_id);
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < ntests; i++)
            printf("%s\n", order[i]);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s all | SECTION-LETTER | ID | --list\n", argv[0]);
        return 2;
    }
    printf("Win32 conformance, %s build%s\n",
#ifdef _WIN32
           "Windows",
#else
           "native (mmf façade)",
#endif
           w32t_is_wine() ? ", running under Wine" : "");
    for (int k = 0; k < ntests; k++) {
        int i = 0;
        if (!selected(order[k], argv[1]))
            continue;
        while (tests[i].id != order[k])
            i++;
        nrun++;
        switch (run_one(i)) {
        case 0: npass++; break;
        case 1: nfail++; break;
        default: nskip++; break;
        }
    }
    printf("%s: %d passed, %d failed, %d skipped", argv[1], npass, nfail, nskip);
    if (w32t_is_wine())
        printf("; %d expected Wine difference(s), %d unexpected pass(es) under Wine",
               n_xdiff, n_xpass);
    printf("\n");
    if (nrun == 0) {
        fprintf(stderr, "no test matches %s\n", argv[1]);
        return 2;
    }
    if (nfail != 0)
        return 1;
    return nskip == nrun ? 77 : 0;
}
