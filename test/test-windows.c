/* SPDX-License-Identifier: MIT */
/*
 * test-windows.c - what only Windows has (built for Windows only, see
 * test/CMakeLists.txt):
 *
 *   interop    a program written against mmf.h and a plain Win32 program
 *              meet on the same name: sections (the same bytes at offset
 *              0) and mutexes (an mmf lock blocks WaitForSingleObject and
 *              the other way round), both directions, across processes
 *   handing    mmf_section_duplicate_to and mmf_section_adopt give an
 *              unnamed section to a running process, and their errors
 *   kills      TerminateProcess at random points of a helper that holds
 *              sections, views and a locked mutex: no name outlives the
 *              handles, and the next owner hears MMF_ABANDONED
 *   DACLs      the security descriptor made from `mode` refuses what the
 *              bits refuse, for the same user (what Wine can show)
 *   Wine       the behaviours Wine cannot show (docs/windows.md): each
 *              case checks the Windows behaviour and skips under Wine
 */
#include "test.h"

#include <windows.h>

/* The query rights of events and semaphores (winnt.h of MinGW-w64 lacks
 * them). */
#ifndef EVENT_QUERY_STATE
#define EVENT_QUERY_STATE 0x0001
#endif
#ifndef SEMAPHORE_QUERY_STATE
#define SEMAPHORE_QUERY_STATE 0x0001
#endif

/* The kernel name of an mmf Local name, as a plain Win32 program spells
 * it. */
static const wchar_t *wide_local(const char *name)
{
    static wchar_t buf[4][300];
    static int next;
    wchar_t *w = buf[next++ % 4];
    int n;
    wcscpy(w, L"Local\\");
    n = MultiByteToWideChar(CP_UTF8, 0, name, -1, w + 6, 290);
    CHECK(n > 0);
    return w;
}

/* ---- Sections ------------------------------------------------------------ */

/* A section made by CreateFileMappingW opens with mmf_section_open and
 * shows the same bytes at offset 0 (no header in front of the data). */
TEST(interop_win32_section_opens_in_mmf)
{
    const char *name = test_name("s");
    HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 65536,
                                  wide_local(name));
    unsigned char *w, *p = NULL;
    mmf_section *s;
    mmf_section_info info;

    CHECK(h != NULL);
    w = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(w != NULL);
    memcpy(w, "from win32", 11);
    w[65535] = 0x5a;

    CHECK_OK(mmf_section_open(&s, name, MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK_OK(mmf_section_stat(s, &info));
    CHECK_EQ(info.size, 65536);
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    CHECK(memcmp(p, "from win32", 11) == 0);
    CHECK_EQ(p[65535], 0x5a);
    memcpy(p, "from mmf", 9);
    CHECK(memcmp(w, "from mmf", 9) == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    UnmapViewOfFile(w);
    CloseHandle(h);
}

HELPER(win32_reads_section)
{
    /* argv: name expected-text: a plain Win32 program reads it. */
    HANDLE h;
    const char *v;
    (void)argc;
    h = OpenFileMappingW(FILE_MAP_READ, FALSE, wide_local(argv[0]));
    if (h == NULL)
        return 10;
    v = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
    if (v == NULL)
        return 11;
    return strcmp(v, argv[1]) == 0 ? 0 : 12;
}

/* The reverse: a section made by mmf_section_create opens with
 * OpenFileMappingW, in this process and in another one. */
TEST(interop_mmf_section_opens_in_win32)
{
    const char *name = test_name("s");
    mmf_section *s;
    char *p = NULL;
    HANDLE h;
    const char *w;

    CHECK_OK(mmf_section_create(&s, name, 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    strcpy(p, "written through mmf");
    h = OpenFileMappingW(FILE_MAP_READ, FALSE, wide_local(name));
    CHECK(h != NULL);
    w = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
    CHECK(w != NULL);
    CHECK(strcmp(w, "written through mmf") == 0);
    UnmapViewOfFile(w);
    CloseHandle(h);
    CHECK_EQ(test_wait(test_spawn("win32_reads_section", name, "written through mmf", NULL)), 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    /* The last handle is gone: so is the name, for Win32 too. */
    CHECK(OpenFileMappingW(FILE_MAP_READ, FALSE, wide_local(name)) == NULL);
    CHECK_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
}

/* ---- Mutexes ------------------------------------------------------------- */

HELPER(win32_try_mutex)
{
    /* argv: name: exit 0 if WaitForSingleObject times out (someone else
     * owns it), 1 if it was acquired, 2 if abandoned, 10+ on errors. */
    HANDLE h = OpenMutexW(SYNCHRONIZE | MUTEX_MODIFY_STATE, FALSE, wide_local(argv[0]));
    DWORD r;
    (void)argc;
    if (h == NULL)
        return 10;
    r = WaitForSingleObject(h, 200);
    if (r == WAIT_TIMEOUT)
        return 0;
    if (r == WAIT_OBJECT_0 || r == WAIT_ABANDONED)
        ReleaseMutex(h);
    return r == WAIT_OBJECT_0 ? 1 : r == WAIT_ABANDONED ? 2 : 11;
}

/* A mutex locked by mmf_mutex_lock blocks a plain WaitForSingleObject in
 * another process, and frees it after mmf_mutex_unlock. */
TEST(interop_mmf_mutex_blocks_win32)
{
    const char *name = test_name("m");
    mmf_sync *m;

    CHECK_OK(mmf_mutex_create(&m, name, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_mutex_lock(m, 0));
    CHECK_EQ(test_wait(test_spawn("win32_try_mutex", name, NULL)), 0);
    CHECK_OK(mmf_mutex_unlock(m));
    CHECK_EQ(test_wait(test_spawn("win32_try_mutex", name, NULL)), 1);
    CHECK_OK(mmf_sync_close(m));
}

HELPER(mmf_try_mutex)
{
    /* argv: name: exit 0 if mmf_mutex_lock times out, 1 if acquired. */
    mmf_sync *m;
    int rc;
    (void)argc;
    if (mmf_mutex_open(&m, argv[0]) != 0)
        return 10;
    rc = mmf_mutex_lock(m, 200);
    if (rc == 0 || rc == MMF_ABANDONED)
        mmf_mutex_unlock(m);
    mmf_sync_close(m);
    return rc == MMF_ETIMEDOUT ? 0 : rc == 0 ? 1 : rc == MMF_ABANDONED ? 2 : 11;
}

/* The reverse: a mutex owned through CreateMutexW blocks mmf_mutex_lock in
 * another process. */
TEST(interop_win32_mutex_blocks_mmf)
{
    const char *name = test_name("m");
    HANDLE h = CreateMutexW(NULL, TRUE, wide_local(name));

    CHECK(h != NULL);
    CHECK_EQ(test_wait(test_spawn("mmf_try_mutex", name, NULL)), 0);
    CHECK(ReleaseMutex(h));
    CHECK_EQ(test_wait(test_spawn("mmf_try_mutex", name, NULL)), 1);
    CloseHandle(h);
}

/* ---- TerminateProcess at random points ---------------------------------- */

HELPER(busy_holder)
{
    /* argv: section-name mutex-name ready-handle: opens both, maps views,
     * locks the mutex, says so, then keeps mapping and unmapping until it
     * is killed. */
    mmf_section *s;
    mmf_sync *m;
    (void)argc;
    if (mmf_section_create(&s, argv[0], 65536, MMF_OPEN_OR_CREATE, NULL) < 0)
        return 10;
    if (mmf_mutex_create(&m, argv[1], 0, MMF_OPEN_OR_CREATE, NULL) < 0)
        return 11;
    if (mmf_mutex_lock(m, 10000) < 0)
        return 12;
    test_sync_signal(atoi(argv[2]));
    for (unsigned long i = 0;; i++) {
        void *p = NULL;
        if (mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p) == 0) {
            ((volatile unsigned long *)p)[0] = i;
            if (i % 2 == 0)
                mmf_view_unmap(p); /* odd ones stay mapped */
        }
    }
}

/* TerminateProcess of a holder at random points, 20 times: the killed
 * child reads 137, a mutex it held is reported MMF_ABANDONED to the next
 * owner, and once our handles are closed no name is left (the kernel drops
 * a name with its last handle; there is nothing stale to reclaim). Half
 * the kills land before the child is ready: anywhere in its start-up. */
TEST_SLOW(terminate_storm)
{
    srand((unsigned)GetTickCount());
    for (int round = 0; round < 20; round++) {
        const char *sname = test_name(test_num(round)), *mname = test_name("mutex");
        struct test_sync ready;
        mmf_sync *m;
        pid_t pid;
        int early = round % 2, rc;

        CHECK(mmf_mutex_create(&m, mname, 0, MMF_OPEN_OR_CREATE, NULL) >= 0);
        test_sync_init(&ready);
        pid = test_spawn("busy_holder", sname, mname, test_num(ready.wr), NULL);
        if (early)
            test_sleep_ms(rand() % 30);
        else
            CHECK(test_sync_wait(&ready, 10000));
        test_sleep_ms(rand() % 20);
        test_kill(pid);
        CHECK_EQ(test_wait(pid), 137);
        close(ready.rd);
        close(ready.wr);
        rc = mmf_mutex_lock(m, 5000);
        if (!early)
            CHECK_RC(rc, MMF_ABANDONED);
        else
            CHECK(rc == 0 || rc == MMF_ABANDONED);
        CHECK_OK(mmf_mutex_unlock(m));
        /* Abandonment is told once. */
        CHECK_OK(mmf_mutex_lock(m, 0));
        CHECK_OK(mmf_mutex_unlock(m));
        CHECK_OK(mmf_sync_close(m));
        CHECK_EQ(test_store_count(sname), 0);
        CHECK_EQ(test_store_count(mname), 0);
    }
}

/* ---- Handing a section to any process ------------------------------------ */

/* The adopting side: waits for a handle value in the mailbox section,
 * adopts it, checks the bytes and answers beside them. The value is no
 * longer open afterwards: mmf_section_adopt closed it. */
HELPER(adopter)
{
    mmf_section *box, *s;
    volatile uint64_t *slot;
    char *p;
    uint64_t value = 0;

    (void)argc;
    if (mmf_section_open(&box, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE) < 0 ||
        mmf_view_map(box, MMF_MAP_WRITE, 0, 0, 0, (void **)&slot) < 0)
        return 10;
    for (int i = 0; i < 1000 && (value = slot[0]) == 0; i++)
        test_sleep_ms(10);
    if (value == 0)
        return 11;
    if (mmf_section_adopt(value, &s) != 0)
        return 12;
    {
        DWORD flags;
        if (GetHandleInformation((HANDLE)(uintptr_t)value, &flags))
            return 13; /* still open: adopt must close it */
    }
    if (mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p) < 0)
        return 14;
    if (strcmp(p, "from the parent") != 0)
        return 15;
    strcpy(p + 100, "from the child");
    slot[1] = 1;
    mmf_view_unmap(p);
    mmf_section_close(s);
    mmf_view_unmap((void *)slot);
    mmf_section_close(box);
    return 0;
}

/* mmf_section_duplicate_to and mmf_section_adopt hand an unnamed section
 * (which no name can reach) to another, already running process: the child
 * sees the parent's bytes and the parent the child's. */
TEST(duplicate_to_and_adopt)
{
    mmf_section *box, *s;
    volatile uint64_t *slot;
    char *p;
    HANDLE proc;
    uint64_t value = 0;
    pid_t pid;

    CHECK_OK(mmf_section_create(&box, test_name("box"), 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(box, MMF_MAP_WRITE, 0, 0, 0, (void **)&slot));
    CHECK_OK(mmf_section_create(&s, NULL, 65536, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    strcpy(p, "from the parent");
    pid = test_spawn("adopter", test_name("box"), NULL);
    proc = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)pid);
    CHECK(proc != NULL);
    CHECK_OK(mmf_section_duplicate_to(s, proc, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &value));
    CHECK(value != 0);
    slot[0] = value;
    CHECK_EQ(test_wait(pid), 0);
    CHECK_EQ(slot[1], 1);
    CHECK(strcmp(p + 100, "from the child") == 0);
    CloseHandle(proc);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_view_unmap((void *)slot));
    CHECK_OK(mmf_section_close(box));
}

/* The errors of the pair, each as mmf.h documents it. */
TEST(duplicate_to_and_adopt_errors)
{
    mmf_section *s, *ro, *x = NULL;
    mmf_sync *m;
    HANDLE self_dup, mutex_dup, weak;
    uint64_t value = 0;
    const char *n = test_name("s");

    CHECK_OK(mmf_section_create(&s, n, 65536, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_open(&ro, n, MMF_ACCESS_READ));
    CHECK(DuplicateHandle(GetCurrentProcess(), GetCurrentProcess(), GetCurrentProcess(),
                          &self_dup, PROCESS_DUP_HANDLE, FALSE, 0));
    /* More access than the handle has. */
    CHECK_RC(mmf_section_duplicate_to(ro, self_dup, MMF_ACCESS_WRITE, &value), MMF_EACCES);
    /* Bad arguments. */
    CHECK_RC(mmf_section_duplicate_to(s, NULL, MMF_ACCESS_READ, &value), MMF_EINVAL);
    CHECK_RC(mmf_section_duplicate_to(s, self_dup, 0, &value), MMF_EINVAL);
    CHECK_RC(mmf_section_duplicate_to(s, self_dup, MMF_ACCESS_READ, NULL), MMF_EINVAL);
    /* A process handle without PROCESS_DUP_HANDLE. */
    CHECK(DuplicateHandle(GetCurrentProcess(), GetCurrentProcess(), GetCurrentProcess(), &weak,
                          PROCESS_QUERY_LIMITED_INFORMATION, FALSE, 0));
    CHECK_RC(mmf_section_duplicate_to(s, weak, MMF_ACCESS_READ, &value), MMF_EACCES);
    CloseHandle(weak);
    /* Into this very process, then adopted: a read-only handle maps for
     * reading only. */
    CHECK_OK(mmf_section_duplicate_to(s, self_dup, MMF_ACCESS_READ, &value));
    CHECK_OK(mmf_section_adopt(value, &x));
    {
        void *p = NULL;
        CHECK_RC(mmf_view_map(x, MMF_MAP_WRITE, 0, 0, 0, &p), MMF_EACCES);
        CHECK_OK(mmf_view_map(x, MMF_MAP_READ, 0, 0, 0, &p));
        CHECK_OK(mmf_view_unmap(p));
    }
    CHECK_OK(mmf_section_close(x));
    /* A value that is not an open handle, and one that is not a section. */
    CHECK_RC(mmf_section_adopt(0, &x), MMF_EINVAL);
    CHECK_RC(mmf_section_adopt(value, &x), MMF_EBADF); /* closed by the adopt */
    CHECK_OK(mmf_mutex_create(&m, test_name("m"), 0, MMF_CREATE_NEW, NULL));
    mutex_dup = OpenMutexW(SYNCHRONIZE, FALSE, wide_local(test_name("m")));
    CHECK(mutex_dup != NULL);
    CHECK_RC(mmf_section_adopt((uint64_t)(uintptr_t)mutex_dup, &x), MMF_ECORRUPT);
    CHECK(CloseHandle(mutex_dup)); /* left open by the failed adopt */
    CHECK_OK(mmf_sync_close(m));
    CloseHandle(self_dup);
    CHECK_OK(mmf_section_close(ro));
    CHECK_OK(mmf_section_close(s));
}

/* ---- Security descriptors from mode ------------------------------------- */

/* Mode 0400: the owner may read, not write. The DACL refuses a write open
 * through mmf and through Win32 alike, for the very user who created it:
 * a section's write open, and an event's or a semaphore's open (a sync
 * object's handle needs read and write; read is the query right only).
 * The right to wait, SYNCHRONIZE, which alone refuses a mutex, is
 * dacl_mode_0400_refuses_waiting. */
TEST(dacl_mode_0400_refuses_write)
{
    mmf_section_opts ro = {.mode = 0400};
    mmf_sync_opts sro = {.mode = 0400};
    const char *name = test_name("s"), *ename = test_name("e"), *sname = test_name("n");
    mmf_section *s, *r;
    mmf_sync *e, *n, *o;
    HANDLE h;

    CHECK_OK(mmf_section_create(&s, name, 4096, MMF_CREATE_NEW, &ro));
    CHECK_RC(mmf_section_open(&r, name, MMF_ACCESS_READ | MMF_ACCESS_WRITE), MMF_EACCES);
    CHECK_OK(mmf_section_open(&r, name, MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(r));
    CHECK(OpenFileMappingW(FILE_MAP_WRITE, FALSE, wide_local(name)) == NULL);
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    h = OpenFileMappingW(FILE_MAP_READ, FALSE, wide_local(name));
    CHECK(h != NULL);
    CloseHandle(h);
    CHECK_OK(mmf_section_close(s));

    CHECK_OK(mmf_event_create(&e, ename, 1, 0, MMF_CREATE_NEW, &sro));
    CHECK_RC(mmf_event_open(&o, ename), MMF_EACCES);
    CHECK(OpenEventW(EVENT_MODIFY_STATE, FALSE, wide_local(ename)) == NULL);
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    h = OpenEventW(EVENT_QUERY_STATE, FALSE, wide_local(ename));
    CHECK(h != NULL);
    CloseHandle(h);
    CHECK_OK(mmf_sync_close(e));

    CHECK_OK(mmf_semaphore_create(&n, sname, 0, 1, MMF_CREATE_NEW, &sro));
    CHECK_RC(mmf_semaphore_open(&o, sname), MMF_EACCES);
    CHECK(OpenSemaphoreW(SEMAPHORE_MODIFY_STATE, FALSE, wide_local(sname)) == NULL);
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    h = OpenSemaphoreW(SEMAPHORE_QUERY_STATE, FALSE, wide_local(sname));
    CHECK(h != NULL);
    CloseHandle(h);
    CHECK_OK(mmf_sync_close(n));
}

/* Mode 0400 does not grant SYNCHRONIZE, the right to wait: OpenEventW,
 * OpenSemaphoreW and OpenMutexW asking for it are refused. A mutex handle
 * needs no other right (waiting takes it, and only its owner releases
 * it), so this is what refuses mmf_mutex_open a mode 0400 mutex. Wine
 * grants SYNCHRONIZE whatever the DACL says. */
TEST(dacl_mode_0400_refuses_waiting)
{
    mmf_sync_opts sro = {.mode = 0400};
    const char *ename = test_name("e"), *sname = test_name("n"), *mname = test_name("m");
    mmf_sync *e, *n, *m, *o;
    HANDLE h;

    WINE_LIMITED("Wine grants SYNCHRONIZE whatever the DACL says: a mode 0400 mutex opens");
    CHECK_OK(mmf_event_create(&e, ename, 1, 0, MMF_CREATE_NEW, &sro));
    CHECK(OpenEventW(SYNCHRONIZE, FALSE, wide_local(ename)) == NULL);
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    CHECK_OK(mmf_sync_close(e));

    CHECK_OK(mmf_semaphore_create(&n, sname, 0, 1, MMF_CREATE_NEW, &sro));
    CHECK(OpenSemaphoreW(SYNCHRONIZE, FALSE, wide_local(sname)) == NULL);
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    CHECK_OK(mmf_sync_close(n));

    CHECK_OK(mmf_mutex_create(&m, mname, 0, MMF_CREATE_NEW, &sro));
    CHECK_RC(mmf_mutex_open(&o, mname), MMF_EACCES);
    CHECK(OpenMutexW(SYNCHRONIZE, FALSE, wide_local(mname)) == NULL);
    CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    h = OpenMutexW(MUTANT_QUERY_STATE, FALSE, wide_local(mname));
    CHECK(h != NULL);
    CloseHandle(h);
    CHECK_OK(mmf_sync_close(m));
}

/* Mode 0600 (the default): the owner gets everything. */
TEST(dacl_mode_0600_owner_full)
{
    mmf_section_opts rw = {.mode = 0600};
    const char *name = test_name("s");
    mmf_section *s, *r;
    HANDLE h;

    CHECK_OK(mmf_section_create(&s, name, 4096, MMF_CREATE_NEW, &rw));
    CHECK_OK(mmf_section_open(&r, name, MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK_OK(mmf_section_close(r));
    h = OpenFileMappingW(FILE_MAP_WRITE, FALSE, wide_local(name));
    CHECK(h != NULL);
    CloseHandle(h);
    CHECK_OK(mmf_section_close(s));
}

/* A second account is refused by an owner-only DACL. Wine has one user. */
TEST(dacl_other_user_refused)
{
    WINE_LIMITED("one user and one session: no second account to refuse");
    SKIP("needs a second account (run as another user on a Windows machine)");
}

/* ---- What Wine cannot show (docs/windows.md) ----------------------------- */

/* SEC_LARGE_PAGES without SeLockMemoryPrivilege is refused. */
TEST(large_pages_need_privilege)
{
    mmf_section_opts lp = {.flags = MMF_SECTION_LARGE_PAGES};
    mmf_section *s;
    int rc;
    WINE_LIMITED("Wine creates SEC_LARGE_PAGES sections without SeLockMemoryPrivilege");
    rc = mmf_section_create(&s, test_name("s"), 2u << 20, MMF_CREATE_NEW, &lp);
    if (rc == 0) {
        mmf_section_close(s);
        SKIP("this account holds SeLockMemoryPrivilege");
    }
    CHECK(rc == MMF_EACCES || rc == MMF_ENOTSUP);
}

/* A Global\ section needs SeCreateGlobalPrivilege. */
TEST(global_section_needs_privilege)
{
    mmf_section_opts g = {.flags = MMF_GLOBAL};
    mmf_section *s;
    int rc;
    WINE_LIMITED("Wine lets any user create Global\\ sections");
    rc = mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, &g);
    if (rc == 0) {
        mmf_section_close(s);
        SKIP("this account holds SeCreateGlobalPrivilege (an administrator or a service)");
    }
    CHECK_RC(rc, MMF_EACCES);
}

/* A committed section larger than the commit limit fails at create. */
TEST(commit_limit_at_create)
{
    mmf_section *s;
    WINE_LIMITED("Wine charges no commit: a 4 TiB SEC_COMMIT section is created");
    CHECK_RC(mmf_section_create(&s, test_name("s"), 4ull << 40, MMF_CREATE_NEW, NULL),
             MMF_ENOMEM);
}

/* The owner of a mutex (NtQueryMutant, MutantOwnerInformation). */
TEST(mutex_owner_reported)
{
    mmf_sync *m;
    mmf_sync_info info;
    WINE_LIMITED("NtQueryMutant(MutantOwnerInformation) is not implemented in Wine 8");
    CHECK_OK(mmf_mutex_create(&m, test_name("m"), 1, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_sync_stat(m, &info));
    CHECK_EQ(info.owner_pid, GetCurrentProcessId());
    CHECK_OK(mmf_mutex_unlock(m));
    CHECK_OK(mmf_sync_close(m));
}
