/* SPDX-License-Identifier: MIT */
/* wait-multiple.c - WaitForMultipleObjects: section U of
 * docs/win32-behaviour.md. */
#include "w32t.h"

static HANDLE event(BOOL manual, BOOL initial)
{
    HANDLE e = CreateEventA(NULL, manual, initial, NULL);
    CHECK(e != NULL);
    return e;
}

/* A mutex abandoned by a thread that ended owning it. */
static DWORD WINAPI take_and_leave(LPVOID arg)
{
    return WaitForSingleObject((HANDLE)arg, 0);
}

static HANDLE abandoned_mutex(void)
{
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    HANDLE t;
    DWORD code = 0xdeadbeef;
    CHECK(m != NULL);
    t = CreateThread(NULL, 0, take_and_leave, m, 0, NULL);
    CHECK(t != NULL);
    CHECK_WAIT(WaitForSingleObject(t, 30000), WAIT_OBJECT_0);
    CHECK_TRUE(GetExitCodeThread(t, &code));
    CHECK_EQ(code, WAIT_OBJECT_0);
    CLOSE(t);
    return m;
}

/* WaitForSingleObject(h, 0) from another thread; a mutex it gets is
 * released again. */
struct probe {
    HANDLE h;
    DWORD result;
};

static DWORD WINAPI probe_main(LPVOID arg)
{
    struct probe *p = arg;
    p->result = WaitForSingleObject(p->h, 0);
    if (p->result == WAIT_OBJECT_0 || p->result == WAIT_ABANDONED_0)
        ReleaseMutex(p->h);
    return 0;
}

static DWORD wait_elsewhere(HANDLE h)
{
    struct probe p = {h, 0xdeadbeef};
    HANDLE t = CreateThread(NULL, 0, probe_main, &p, 0, NULL);
    CHECK(t != NULL);
    CHECK_WAIT(WaitForSingleObject(t, 30000), WAIT_OBJECT_0);
    CLOSE(t);
    return p.result;
}

W32T(U01)
{
    HANDLE ev[MAXIMUM_WAIT_OBJECTS];
    CHECK_EQ(MAXIMUM_WAIT_OBJECTS, 64);
    for (int i = 0; i < 64; i++)
        ev[i] = event(TRUE, i == 63);
    CHECK_WAIT(WaitForMultipleObjects(64, ev, FALSE, 0), WAIT_OBJECT_0 + 63);
    CHECK_WAIT(WaitForMultipleObjects(64, ev, TRUE, 0), WAIT_TIMEOUT);
    for (int i = 0; i < 64; i++)
        CLOSE(ev[i]);
}

W32T(U02)
{
    HANDLE ev[64];
    for (int i = 0; i < 64; i++)
        ev[i] = event(i == 0, TRUE);
    /* The manual-reset event at index 0 stays signaled. */
    CHECK_WAIT(WaitForMultipleObjects(64, ev, FALSE, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForMultipleObjects(64, ev, FALSE, 0), WAIT_OBJECT_0);
    CHECK_TRUE(ResetEvent(ev[0]));
    /* The lowest signaled index wins, and only it is consumed. */
    for (DWORD i = 1; i < 64; i++)
        CHECK_WAIT(WaitForMultipleObjects(64, ev, FALSE, 0), WAIT_OBJECT_0 + i);
    CHECK_WAIT(WaitForMultipleObjects(64, ev, FALSE, 0), WAIT_TIMEOUT);
    for (int i = 0; i < 64; i++)
        CLOSE(ev[i]);
}

W32T(U03)
{
    HANDLE ev[65];
    for (int i = 0; i < 65; i++)
        ev[i] = event(TRUE, TRUE);
    CHECK_FAILS(WaitForMultipleObjects(0, ev, FALSE, 0), WAIT_FAILED, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WaitForMultipleObjects(0, ev, TRUE, 0), WAIT_FAILED, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WaitForMultipleObjects(65, ev, FALSE, 0), WAIT_FAILED, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WaitForMultipleObjects(65, ev, TRUE, 0), WAIT_FAILED, ERROR_INVALID_PARAMETER);
    for (int i = 0; i < 65; i++)
        CLOSE(ev[i]);
}

W32T(U04)
{
    HANDLE e = event(TRUE, TRUE), d;
    HANDLE same[2], two[2];

    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), e, GetCurrentProcess(), &d, 0, FALSE,
                               DUPLICATE_SAME_ACCESS));
    same[0] = same[1] = e;
    two[0] = e;
    two[1] = d;
    /* Wait-all refuses one object twice, by one handle or by two. U04 is
     * [I] (the Windows kernel's ObpWaitForMultipleObjects returns
     * STATUS_INVALID_PARAMETER_MIX) and [D] (MS-WFMO forbids duplicates);
     * Wine 8.0 does not check and satisfies the wait. */
    WINE_DIFFERS_BEGIN("U04", "wait-all on one object twice");
    CHECK_FAILS(WaitForMultipleObjects(2, same, TRUE, 0), WAIT_FAILED, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WaitForMultipleObjects(2, two, TRUE, 0), WAIT_FAILED, ERROR_INVALID_PARAMETER);
    WINE_DIFFERS_END();
    /* Wait-any accepts duplicates. */
    CHECK_WAIT(WaitForMultipleObjects(2, same, FALSE, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForMultipleObjects(2, two, FALSE, 0), WAIT_OBJECT_0);
    CLOSE(d);
    CLOSE(e);
}

struct all_waiter {
    HANDLE h[2];
    DWORD result;
};

static DWORD WINAPI wait_all_main(LPVOID arg)
{
    struct all_waiter *w = arg;
    w->result = WaitForMultipleObjects(2, w->h, TRUE, 10000);
    if (w->result == WAIT_OBJECT_0)
        ReleaseMutex(w->h[0]);
    return 0;
}

W32T(U05)
{
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    HANDLE e = event(TRUE, FALSE);
    HANDLE s = CreateSemaphoreA(NULL, 1, 1, NULL);
    HANDLE set[3];
    struct all_waiter w;
    HANDLE t;

    CHECK(m != NULL && s != NULL);
    set[0] = m;
    set[1] = s;
    set[2] = e;
    /* Not all signaled: nothing taken, nothing consumed. */
    CHECK_WAIT(WaitForMultipleObjects(3, set, TRUE, 0), WAIT_TIMEOUT);
    CHECK_WAIT(WaitForMultipleObjects(3, set, TRUE, 100), WAIT_TIMEOUT);
    CHECK_WAIT(wait_elsewhere(m), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CHECK_TRUE(ReleaseSemaphore(s, 1, NULL));
    /* A waiting thread does not hold the free mutex meanwhile. */
    w.h[0] = m;
    w.h[1] = e;
    w.result = 0xdeadbeef;
    t = CreateThread(NULL, 0, wait_all_main, &w, 0, NULL);
    CHECK(t != NULL);
    Sleep(200);
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    CHECK_TRUE(SetEvent(e));
    Sleep(100);
    CHECK_TRUE(ReleaseMutex(m));
    /* All signaled at once: the wait is satisfied. */
    CHECK_WAIT(WaitForSingleObject(t, 30000), WAIT_OBJECT_0);
    CHECK_WAIT(w.result, WAIT_OBJECT_0);
    CHECK_WAIT(WaitForMultipleObjects(3, set, TRUE, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_TIMEOUT);
    CHECK_TRUE(ReleaseMutex(m));
    CLOSE(t);
    CLOSE(s);
    CLOSE(e);
    CLOSE(m);
}

W32T(U06)
{
    HANDLE set[2];
    DWORD r;

    set[0] = event(TRUE, FALSE);
    set[1] = abandoned_mutex();
    CHECK_WAIT(WaitForMultipleObjects(2, set, TRUE, 0), WAIT_TIMEOUT);
    CHECK_TRUE(SetEvent(set[0]));
    r = WaitForMultipleObjects(2, set, TRUE, 0);
    if (r < WAIT_ABANDONED_0 || r >= WAIT_ABANDONED_0 + 2)
        w32t_fail(__FILE__, __LINE__, "wait-all with an abandoned mutex: %s",
                  w32t_wait_name(r));
    CHECK_WAIT(wait_elsewhere(set[1]), WAIT_TIMEOUT);
    CHECK_TRUE(ReleaseMutex(set[1]));
    CLOSE(set[1]);
    CLOSE(set[0]);
}

W32T(U07)
{
    HANDLE set[2];

    set[0] = event(TRUE, FALSE);
    set[1] = abandoned_mutex();
    CHECK_WAIT(WaitForMultipleObjects(2, set, FALSE, 0), WAIT_ABANDONED_0 + 1);
    /* The caller owns it. */
    CHECK_WAIT(wait_elsewhere(set[1]), WAIT_TIMEOUT);
    CHECK_TRUE(ReleaseMutex(set[1]));
    CHECK_WAIT(WaitForMultipleObjects(2, set, FALSE, 0), WAIT_OBJECT_0 + 1);
    CHECK_TRUE(ReleaseMutex(set[1]));
    CLOSE(set[1]);
    CLOSE(set[0]);
}

W32T(U08)
{
    HANDLE set[2];
    uint64_t t0, took;

    set[0] = event(TRUE, FALSE);
    set[1] = event(FALSE, FALSE);
    SetLastError(0xdeadbeef);
    CHECK_WAIT(WaitForMultipleObjects(2, set, FALSE, 0), WAIT_TIMEOUT);
    t0 = w32t_now_ms();
    CHECK_WAIT(WaitForMultipleObjects(2, set, FALSE, 200), WAIT_TIMEOUT);
    CHECK_WAIT(WaitForMultipleObjects(2, set, TRUE, 200), WAIT_TIMEOUT);
    took = w32t_now_ms() - t0;
    CHECK_GLE(0xdeadbeef);
    if (took < 350)
        w32t_fail(__FILE__, __LINE__, "two 200 ms waits took %llu ms",
                  (unsigned long long)took);
    CLOSE(set[1]);
    CLOSE(set[0]);
}

W32T(U09)
{
    HANDLE set[2];

    set[0] = event(TRUE, FALSE);
    /* U09: [T-todo] Wine waits on pseudo-handles in an array. */
    WINE_DIFFERS_BEGIN("U09", "pseudo-handles in WaitForMultipleObjects");
    set[1] = GetCurrentProcess();
    CHECK_FAILS(WaitForMultipleObjects(2, set, FALSE, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    set[1] = GetCurrentThread();
    CHECK_FAILS(WaitForMultipleObjects(2, set, FALSE, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    WINE_DIFFERS_END();
    CLOSE(set[0]);
}

W32T(U10)
{
    HANDLE set[2];
    HANDLE closed = event(TRUE, TRUE);

    set[0] = event(TRUE, TRUE);
    CLOSE(closed);
    set[1] = (HANDLE)(uintptr_t)0xdeadbee0;
    CHECK_FAILS(WaitForMultipleObjects(2, set, FALSE, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    CHECK_FAILS(WaitForMultipleObjects(2, set, TRUE, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    set[1] = NULL;
    CHECK_FAILS(WaitForMultipleObjects(2, set, FALSE, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    set[1] = closed;
    CHECK_FAILS(WaitForMultipleObjects(2, set, FALSE, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    CLOSE(set[0]);
}

W32T(U11)
{
    HANDLE e = CreateEventA(NULL, TRUE, TRUE, w32t_name("e"));
    HANDLE set[2];

    CHECK(e != NULL);
    set[0] = event(TRUE, TRUE);
    set[1] = OpenEventA(EVENT_MODIFY_STATE, FALSE, w32t_name("e"));
    CHECK(set[1] != NULL);
    CHECK_FAILS(WaitForMultipleObjects(2, set, FALSE, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CHECK_FAILS(WaitForMultipleObjects(2, set, TRUE, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CLOSE(set[1]);
    CLOSE(set[0]);
    CLOSE(e);
}

static DWORD WINAPI quick_thread(LPVOID arg)
{
    (void)arg;
    return 0;
}

W32T(U12)
{
    HANDLE set[4];

    set[0] = event(FALSE, FALSE);
    set[1] = CreateSemaphoreA(NULL, 0, 1, NULL);
    set[2] = CreateMutexA(NULL, TRUE, NULL);
    set[3] = CreateThread(NULL, 0, quick_thread, NULL, 0, NULL);
    CHECK(set[1] != NULL && set[2] != NULL && set[3] != NULL);
    CHECK_WAIT(WaitForSingleObject(set[3], 30000), WAIT_OBJECT_0);
    /* The owner's mutex (index 2) is signaled for it; the thread (3) too. */
    CHECK_WAIT(WaitForMultipleObjects(4, set, FALSE, 0), WAIT_OBJECT_0 + 2);
    CHECK_WAIT(WaitForMultipleObjects(4, set, TRUE, 0), WAIT_TIMEOUT);
    CHECK_TRUE(SetEvent(set[0]));
    CHECK_TRUE(ReleaseSemaphore(set[1], 1, NULL));
    CHECK_WAIT(WaitForMultipleObjects(4, set, TRUE, 0), WAIT_OBJECT_0);
    /* Each was taken once: the event reset, the semaphore at 0. */
    CHECK_WAIT(WaitForSingleObject(set[0], 0), WAIT_TIMEOUT);
    CHECK_WAIT(WaitForSingleObject(set[1], 0), WAIT_TIMEOUT);
    for (int i = 0; i < 3; i++)
        CHECK_TRUE(ReleaseMutex(set[2]));
    CHECK_FAILS(ReleaseMutex(set[2]), FALSE, ERROR_NOT_OWNER);
    for (int i = 0; i < 4; i++)
        CLOSE(set[i]);
}

W32T(U13)
{
    HANDLE set[3];

    set[0] = CreateSemaphoreA(NULL, 1, 5, NULL);
    set[1] = CreateSemaphoreA(NULL, 1, 5, NULL);
    set[2] = event(FALSE, TRUE);
    CHECK(set[0] != NULL && set[1] != NULL);
    /* Only the first semaphore is decremented; the others are untouched. */
    CHECK_WAIT(WaitForMultipleObjects(3, set, FALSE, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(set[0], 0), WAIT_TIMEOUT);
    CHECK_WAIT(WaitForMultipleObjects(3, set, FALSE, 0), WAIT_OBJECT_0 + 1);
    CHECK_WAIT(WaitForSingleObject(set[1], 0), WAIT_TIMEOUT);
    CHECK_WAIT(WaitForSingleObject(set[2], 0), WAIT_OBJECT_0);
    for (int i = 0; i < 3; i++)
        CLOSE(set[i]);
}
