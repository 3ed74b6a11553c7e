/* SPDX-License-Identifier: MIT */
/* mutex.c - mutexes: section Q of docs/win32-behaviour.md. */
#include "w32t.h"

/* A wait done by another thread: the result and last error it saw, and,
 * for a mutex it acquired, whether ReleaseMutex then worked (a thread that
 * ended owning the mutex would abandon it). */
struct waiter {
    HANDLE h;
    DWORD timeout;
    int is_mutex;
    DWORD result, gle;
    BOOL released;
    HANDLE started; /* set just before the wait, if not NULL */
};

static DWORD WINAPI waiter_main(LPVOID arg)
{
    struct waiter *w = arg;
    if (w->started != NULL)
        SetEvent(w->started);
    SetLastError(0xdeadbeef);
    w->result = WaitForSingleObject(w->h, w->timeout);
    w->gle = GetLastError();
    if (w->is_mutex && (w->result == WAIT_OBJECT_0 || w->result == WAIT_ABANDONED_0))
        w->released = ReleaseMutex(w->h);
    return 0;
}

/* WaitForSingleObject(m, ms) from another thread; returns its result. */
static DWORD wait_elsewhere(HANDLE m, DWORD ms)
{
    struct waiter w = {m, ms, 1, 0, 0, FALSE, NULL};
    HANDLE t = CreateThread(NULL, 0, waiter_main, &w, 0, NULL);
    CHECK(t != NULL);
    CHECK_WAIT(WaitForSingleObject(t, 30000), WAIT_OBJECT_0);
    CLOSE(t);
    if ((w.result == WAIT_OBJECT_0 || w.result == WAIT_ABANDONED_0) && !w.released)
        w32t_fail(__FILE__, __LINE__, "the other thread could not release the mutex");
    return w.result;
}

/* A thread that takes the mutex and keeps it until `release` is set, then
 * either releases it or (if `abandon`) ends owning it. */
struct owner {
    HANDLE m, taken, release;
    int abandon;
    DWORD result;
};

static DWORD WINAPI owner_main(LPVOID arg)
{
    struct owner *o = arg;
    o->result = WaitForSingleObject(o->m, INFINITE);
    SetEvent(o->taken);
    WaitForSingleObject(o->release, INFINITE);
    if (!o->abandon)
        ReleaseMutex(o->m);
    return 0;
}

static HANDLE start_owner(struct owner *o, HANDLE m, int abandon)
{
    HANDLE t;
    o->m = m;
    o->abandon = abandon;
    o->taken = CreateEventA(NULL, TRUE, FALSE, NULL);
    o->release = CreateEventA(NULL, TRUE, FALSE, NULL);
    CHECK(o->taken != NULL && o->release != NULL);
    t = CreateThread(NULL, 0, owner_main, o, 0, NULL);
    CHECK(t != NULL);
    CHECK_WAIT(WaitForSingleObject(o->taken, 30000), WAIT_OBJECT_0);
    CHECK_EQ(o->result, WAIT_OBJECT_0);
    return t;
}

static void stop_owner(struct owner *o, HANDLE t)
{
    CHECK_TRUE(SetEvent(o->release));
    CHECK_WAIT(WaitForSingleObject(t, 30000), WAIT_OBJECT_0);
    CLOSE(t);
    CLOSE(o->taken);
    CLOSE(o->release);
}

W32T(Q01)
{
    CHECK_FAILS(OpenMutexA(0, FALSE, w32t_name("WineTestMutex")), NULL, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenMutexW(SYNCHRONIZE, FALSE, w32t_wname("WineTestMutex")), NULL,
                ERROR_FILE_NOT_FOUND);
}

W32T(Q02)
{
    HANDLE m;
    SetLastError(0xdeadbeef);
    m = CreateMutexA(NULL, FALSE, w32t_name("WineTestMutex"));
    CHECK(m != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(m);
    SetLastError(0xdeadbeef);
    m = CreateMutexW(NULL, FALSE, w32t_wname("WineTestMutex"));
    CHECK(m != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(m);
}

W32T(Q03)
{
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("WineTestMutex"));
    CHECK(m != NULL);
    /* Q03 is a plain check in Wine's test suite today, but Wine 8.0 (the
     * Debian 12 package) still grants access 0. */
    WINE_DIFFERS_BEGIN("Q03", "OpenMutex with access 0 (fixed after Wine 8.0)");
    {
        HANDLE h;
        SetLastError(0xdeadbeef);
        h = OpenMutexA(0, FALSE, w32t_name("WineTestMutex"));
        if (h != NULL) {
            CloseHandle(h);
            w32t_fail(__FILE__, __LINE__, "OpenMutexA(0) succeeded");
        } else {
            CHECK_GLE(ERROR_ACCESS_DENIED);
        }
    }
    WINE_DIFFERS_END();
    CLOSE(m);
}

W32T(Q04)
{
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("WineTestMutex"));
    HANDLE x;

    CHECK(m != NULL);
    /* GENERIC_EXECUTE maps to SYNCHRONIZE: enough to wait. */
    x = OpenMutexA(GENERIC_EXECUTE, FALSE, w32t_name("WineTestMutex"));
    CHECK(x != NULL);
    CHECK_WAIT(WaitForSingleObject(x, INFINITE), WAIT_OBJECT_0);
    /* Closing the handle does not release the mutex. */
    CLOSE(x);
    CHECK_WAIT(wait_elsewhere(m, 0), WAIT_TIMEOUT);
    CHECK_TRUE(ReleaseMutex(m));
    CHECK_WAIT(wait_elsewhere(m, 0), WAIT_OBJECT_0);
    CLOSE(m);
}

W32T(Q05)
{
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("WineTestMutex"));
    HANDLE rw;

    CHECK(m != NULL);
    rw = OpenMutexA(GENERIC_READ | GENERIC_WRITE, FALSE, w32t_name("WineTestMutex"));
    CHECK(rw != NULL);
    /* No SYNCHRONIZE: the wait fails. */
    CHECK_FAILS(WaitForSingleObject(rw, INFINITE), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CLOSE(rw);
    CLOSE(m);
}

W32T(Q06)
{
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("m"));
    HANDLE s;

    CHECK(m != NULL);
    s = OpenMutexA(SYNCHRONIZE, FALSE, w32t_name("m"));
    CHECK(s != NULL);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CHECK_WAIT(wait_elsewhere(m, 0), WAIT_TIMEOUT);
    CHECK_TRUE(ReleaseMutex(s));
    CLOSE(s);
    CLOSE(m);
}

W32T(Q07)
{
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    CHECK(m != NULL);
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    /* The owner waits 31 more times without blocking... */
    for (int i = 0; i < 31; i++)
        CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    /* ...and must release 32 times; the 33rd release fails. */
    for (int i = 0; i < 32; i++) {
        CHECK_TRUE(ReleaseMutex(m));
        if (i < 31)
            CHECK_WAIT(wait_elsewhere(m, 0), WAIT_TIMEOUT);
    }
    CHECK_FAILS(ReleaseMutex(m), FALSE, ERROR_NOT_OWNER);
    CHECK_WAIT(wait_elsewhere(m, 0), WAIT_OBJECT_0);
    CLOSE(m);
}

W32T(Q08)
{
    static const DWORD accesses[] = {
        MUTANT_QUERY_STATE, DELETE, READ_CONTROL, WRITE_DAC, WRITE_OWNER, SYNCHRONIZE,
        MAXIMUM_ALLOWED, GENERIC_READ, GENERIC_WRITE, GENERIC_EXECUTE, GENERIC_ALL,
    };
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("WineTestMutex"));

    CHECK(m != NULL);
    for (size_t i = 0; i < sizeof accesses / sizeof accesses[0]; i++) {
        HANDLE h = OpenMutexA(accesses[i], FALSE, w32t_name("WineTestMutex"));
        if (h == NULL)
            w32t_fail(__FILE__, __LINE__, "OpenMutexA(0x%lx) failed: %lu",
                      (unsigned long)accesses[i], (unsigned long)GetLastError());
        CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
        /* Whatever the handle's access, the owner releases through it. */
        SetLastError(0xdeadbeef);
        if (!ReleaseMutex(h))
            w32t_fail(__FILE__, __LINE__, "ReleaseMutex through a 0x%lx handle: GLE %lu",
                      (unsigned long)accesses[i], (unsigned long)GetLastError());
        CLOSE(h);
    }
    CHECK_FAILS(ReleaseMutex(m), FALSE, ERROR_NOT_OWNER);
    CLOSE(m);
}

W32T(Q09)
{
    const DWORD failing = 0x0de0fffe;
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("WineTestMutex"));

    CHECK(m != NULL);
    for (int i = 0; i < 32; i++) {
        DWORD access = 1u << i;
        HANDLE h;
        SetLastError(0xdeadbeef);
        h = OpenMutexA(access, FALSE, w32t_name("WineTestMutex"));
        if (!(failing & access)) {
            if (h == NULL)
                w32t_fail(__FILE__, __LINE__, "OpenMutexA(0x%lx) failed: %lu",
                          (unsigned long)access, (unsigned long)GetLastError());
            else
                CLOSE(h);
            continue;
        }
        /* Q09: [T-todo] Wine grants the undefined bits. */
        WINE_DIFFERS_BEGIN("Q09", "OpenMutex with an undefined access bit");
        if (h != NULL) {
            CloseHandle(h);
            w32t_fail(__FILE__, __LINE__, "OpenMutexA(0x%lx) succeeded", (unsigned long)access);
        } else if (access == ACCESS_SYSTEM_SECURITY) {
            CHECK_GLE(ERROR_PRIVILEGE_NOT_HELD);
        } else {
            CHECK_GLE(ERROR_ACCESS_DENIED);
        }
        WINE_DIFFERS_END();
    }
    CLOSE(m);
}

W32T(Q10)
{
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    CHECK(m != NULL);
    CHECK_FAILS(ReleaseMutex(m), FALSE, ERROR_NOT_OWNER);
    CLOSE(m);
}

W32T_CHILD(q_try)
{
    /* argv: what to do with the parent's mutex "m" while the parent (or
     * its thread) owns it: "release" (must fail: not the owner), or "wait"
     * (a zero wait must time out). */
    HANDLE m = OpenMutexA(SYNCHRONIZE | MUTANT_QUERY_STATE, FALSE, w32t_name("m"));
    (void)argc;
    CHECK(m != NULL);
    if (strcmp(argv[0], "release") == 0) {
        SetLastError(0xdeadbeef);
        CHECK(!ReleaseMutex(m));
        CHECK_GLE(ERROR_NOT_OWNER);
    } else {
        CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_TIMEOUT);
    }
    CHECK(CloseHandle(m));
    return 0;
}

W32T(Q11)
{
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("m"));
    struct owner o;
    HANDLE t;

    CHECK(m != NULL);
    /* Owned by another thread: this one cannot release it. */
    t = start_owner(&o, m, 0);
    CHECK_FAILS(ReleaseMutex(m), FALSE, ERROR_NOT_OWNER);
    stop_owner(&o, t);
    /* Owned by this process: another process cannot release it. */
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    CHECK_CHILD(w32t_spawn("q_try", "release", NULL), 30000);
    CHECK_TRUE(ReleaseMutex(m));
    CLOSE(m);
}

W32T_CHILD(q12_owner)
{
    /* Owns the parent's mutex "m" from "ready" until "go". */
    HANDLE m = OpenMutexA(SYNCHRONIZE, FALSE, w32t_name("m"));
    HANDLE ready = OpenEventA(EVENT_MODIFY_STATE, FALSE, w32t_name("ready"));
    HANDLE go = OpenEventA(SYNCHRONIZE, FALSE, w32t_name("go"));
    (void)argc;
    (void)argv;
    CHECK(m != NULL && ready != NULL && go != NULL);
    CHECK_WAIT(WaitForSingleObject(m, 30000), WAIT_OBJECT_0);
    CHECK(SetEvent(ready));
    CHECK_WAIT(WaitForSingleObject(go, 30000), WAIT_OBJECT_0);
    CHECK(ReleaseMutex(m));
    CHECK(CloseHandle(m));
    CHECK(CloseHandle(ready));
    CHECK(CloseHandle(go));
    return 0;
}

W32T(Q12)
{
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("m"));
    HANDLE ready = CreateEventA(NULL, TRUE, FALSE, w32t_name("ready"));
    HANDLE go = CreateEventA(NULL, TRUE, FALSE, w32t_name("go"));
    struct owner o;
    HANDLE t;
    uint64_t t0, waited;
    int child;

    CHECK(m != NULL && ready != NULL && go != NULL);
    /* Another thread owns it. */
    t = start_owner(&o, m, 0);
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_TIMEOUT);
    t0 = w32t_now_ms();
    CHECK_WAIT(WaitForSingleObject(m, 500), WAIT_TIMEOUT);
    waited = w32t_now_ms() - t0;
    if (waited < 450 || waited > 5000)
        w32t_fail(__FILE__, __LINE__, "a 500 ms wait took %llu ms",
                  (unsigned long long)waited);
    stop_owner(&o, t);
    /* Another process owns it. */
    child = w32t_spawn("q12_owner", NULL);
    CHECK_WAIT(WaitForSingleObject(ready, 30000), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_TIMEOUT);
    CHECK_WAIT(WaitForSingleObject(m, 200), WAIT_TIMEOUT);
    CHECK_TRUE(SetEvent(go));
    CHECK_CHILD(child, 30000);
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    CHECK_TRUE(ReleaseMutex(m));
    CLOSE(go);
    CLOSE(ready);
    CLOSE(m);
}

W32T(Q13)
{
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    CHECK(m != NULL);
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(m, 30000), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(m, INFINITE), WAIT_OBJECT_0);
    CHECK_TRUE(ReleaseMutex(m));
    CHECK_TRUE(ReleaseMutex(m));
    CHECK_TRUE(ReleaseMutex(m));
    CHECK_FAILS(ReleaseMutex(m), FALSE, ERROR_NOT_OWNER);
    CLOSE(m);
}

W32T(Q14)
{
    HANDLE m;
    SetLastError(0xdeadbeef);
    m = CreateMutexA(NULL, TRUE, w32t_name("m"));
    CHECK(m != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    /* The creator owns it. */
    CHECK_WAIT(wait_elsewhere(m, 0), WAIT_TIMEOUT);
    CHECK_TRUE(ReleaseMutex(m));
    CHECK_WAIT(wait_elsewhere(m, 0), WAIT_OBJECT_0);
    CLOSE(m);
}

W32T(Q15)
{
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("m"));
    HANDLE again;

    CHECK(m != NULL);
    SetLastError(0xdeadbeef);
    again = CreateMutexA(NULL, TRUE, w32t_name("m"));
    CHECK(again != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    /* bInitialOwner was ignored: the caller does not own it. */
    CHECK_FAILS(ReleaseMutex(again), FALSE, ERROR_NOT_OWNER);
    CHECK_WAIT(wait_elsewhere(m, 0), WAIT_OBJECT_0);
    CLOSE(again);
    CLOSE(m);
}

W32T(Q16)
{
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("WineTestMutex"));
    HANDLE again, upper;

    CHECK(m != NULL);
    SetLastError(0xdeadbeef);
    again = CreateMutexA(NULL, FALSE, w32t_name("WineTestMutex"));
    CHECK(again != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    SetLastError(0xdeadbeef);
    upper = CreateMutexA(NULL, FALSE, w32t_name("WINETESTMUTEX"));
    CHECK(upper != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(upper);
    CLOSE(again);
    CLOSE(m);
}

W32T(Q17)
{
    CHECK_FAILS(OpenMutexA(READ_CONTROL, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenMutexW(READ_CONTROL, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
}

static HANDLE dup(HANDLE h)
{
    HANDLE d = NULL;
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, 0, FALSE,
                               DUPLICATE_SAME_ACCESS));
    return d;
}

W32T(Q18)
{
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    struct owner a;
    struct waiter b;
    HANDLE ta, tb, ma, mb;

    CHECK(m != NULL);
    ma = dup(m);
    mb = dup(m);
    /* Thread A owns it, thread B waits for it. */
    ta = start_owner(&a, ma, 1);
    memset(&b, 0, sizeof b);
    b.h = mb;
    b.timeout = INFINITE; /* as Wine's test waits */
    b.is_mutex = 1;
    b.started = CreateEventA(NULL, TRUE, FALSE, NULL);
    CHECK(b.started != NULL);
    tb = CreateThread(NULL, 0, waiter_main, &b, 0, NULL);
    CHECK(tb != NULL);
    CHECK_WAIT(WaitForSingleObject(b.started, 30000), WAIT_OBJECT_0);
    /* Closing a handle releases nothing: B still waits. */
    CLOSE(m);
    CLOSE(ma);
    CHECK_WAIT(WaitForSingleObject(tb, 100), WAIT_TIMEOUT);
    /* A ends owning it (Wine's test uses TerminateThread; a return is the
     * portable way to end a thread): B gets it, abandoned. */
    stop_owner(&a, ta);
    CHECK_WAIT(WaitForSingleObject(tb, 30000), WAIT_OBJECT_0);
    CHECK_WAIT(b.result, WAIT_ABANDONED);
    CHECK(b.released);
    CLOSE(tb);
    CLOSE(b.started);
    CLOSE(mb);
}

W32T(Q19)
{
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    struct owner a;
    HANDLE ta;

    CHECK(m != NULL);
    ta = start_owner(&a, m, 1);
    stop_owner(&a, ta);
    /* Abandoned: the next wait gets it with WAIT_ABANDONED_0, and owns it. */
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_ABANDONED_0);
    CHECK_WAIT(wait_elsewhere(m, 0), WAIT_TIMEOUT);
    CHECK_TRUE(ReleaseMutex(m));
    CLOSE(m);
}

W32T(Q20)
{
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    struct owner a;
    HANDLE ta;

    CHECK(m != NULL);
    ta = start_owner(&a, m, 1);
    stop_owner(&a, ta);
    CHECK_WAIT(WaitForSingleObject(m, INFINITE), WAIT_ABANDONED_0);
    CHECK_TRUE(ReleaseMutex(m));
    /* The abandoned mark is gone. */
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    CHECK_TRUE(ReleaseMutex(m));
    CHECK_WAIT(wait_elsewhere(m, 0), WAIT_OBJECT_0);
    CLOSE(m);
}

W32T_CHILD(q21_owner)
{
    /* argv: "close" (close the handle, then exit), "exit" (exit holding
     * it) or "hang" (wait to be killed). Owns the parent's mutex first. */
    HANDLE m = OpenMutexA(SYNCHRONIZE, FALSE, w32t_name("m"));
    HANDLE ready = OpenEventA(EVENT_MODIFY_STATE, FALSE, w32t_name("ready"));
    (void)argc;
    CHECK(m != NULL && ready != NULL);
    CHECK_WAIT(WaitForSingleObject(m, 30000), WAIT_OBJECT_0);
    if (strcmp(argv[0], "close") == 0)
        CHECK(CloseHandle(m));
    CHECK(SetEvent(ready));
    if (strcmp(argv[0], "hang") == 0)
        Sleep(INFINITE);
    return 0;
}

W32T(Q21)
{
    static const char *const how[] = {"close", "exit", "hang"};

    for (int i = 0; i < 3; i++) {
        HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("m"));
        HANDLE ready = CreateEventA(NULL, TRUE, FALSE, w32t_name("ready"));
        int child;

        CHECK(m != NULL && ready != NULL);
        child = w32t_spawn("q21_owner", how[i], NULL);
        CHECK_WAIT(WaitForSingleObject(ready, 30000), WAIT_OBJECT_0);
        if (i == 2)
            w32t_child_kill(child);
        else
            CHECK_CHILD(child, 30000);
        /* (a) closed then exited, (b) exited, (c) killed: abandoned. */
        CHECK_WAIT(WaitForSingleObject(m, 30000), WAIT_ABANDONED_0);
        /* This process owns it now. */
        CHECK_WAIT(wait_elsewhere(m, 0), WAIT_TIMEOUT);
        CHECK_CHILD(w32t_spawn("q_try", "wait", NULL), 30000);
        CHECK_TRUE(ReleaseMutex(m));
        CLOSE(ready);
        CLOSE(m);
    }
}

W32T(Q25)
{
    HANDLE m = CreateMutexA(NULL, FALSE, NULL), e = CreateEventA(NULL, TRUE, TRUE, NULL);

    CHECK(m != NULL && e != NULL);
    /* Not owned: the signal fails with ERROR_NOT_OWNER and nothing is
     * waited for. */
    CHECK_FAILS(SignalObjectAndWait(m, e, 0, FALSE), WAIT_FAILED, ERROR_NOT_OWNER);
    /* Owned once: released, then taken again by the wait on itself. */
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    CHECK_WAIT(SignalObjectAndWait(m, m, 0, FALSE), WAIT_OBJECT_0);
    CHECK_TRUE(ReleaseMutex(m));
    CHECK_FAILS(ReleaseMutex(m), FALSE, ERROR_NOT_OWNER);
    CLOSE(e);
    CLOSE(m);
}
