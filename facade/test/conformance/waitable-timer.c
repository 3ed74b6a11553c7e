/* SPDX-License-Identifier: MIT */
/* waitable-timer.c - waitable timers: section Y of docs/win32-behaviour.md. */
#include "w32t.h"

#ifndef ERROR_TIMER_RESUME_IGNORED
#define ERROR_TIMER_RESUME_IGNORED 722 /* older MinGW-w64 headers lack it */
#endif

/* A relative due time in ms, as SetWaitableTimer takes it. */
static LARGE_INTEGER in_ms(LONGLONG ms)
{
    LARGE_INTEGER li;
    li.QuadPart = -ms * 10000;
    return li;
}

/* The wait must end with `expected` after between lo and hi ms. */
static void wait_between(HANDLE h, DWORD timeout, DWORD expected, uint64_t lo, uint64_t hi)
{
    uint64_t t0 = w32t_now_ms(), took;
    CHECK_WAIT(WaitForSingleObject(h, timeout), expected);
    took = w32t_now_ms() - t0;
    if (took < lo || took > hi)
        w32t_fail(__FILE__, __LINE__, "the wait took %llu ms, expected %llu..%llu",
                  (unsigned long long)took, (unsigned long long)lo,
                  (unsigned long long)hi);
}

W32T(Y01)
{
    HANDLE t, again;
    LARGE_INTEGER due = in_ms(0);

    SetLastError(0xdeadbeef);
    t = CreateWaitableTimerA(NULL, FALSE, w32t_name("timer"));
    CHECK(t != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    /* A new timer is not signaled, and is not set. */
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_TIMEOUT);
    CHECK_WAIT(WaitForSingleObject(t, 100), WAIT_TIMEOUT);
    SetLastError(0xdeadbeef);
    again = CreateWaitableTimerA(NULL, TRUE, w32t_name("timer"));
    CHECK(again != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    /* The existing timer keeps its type (synchronization): one wait takes
     * the signal. Due time 0 fires at once. */
    CHECK_TRUE(SetWaitableTimer(again, &due, 0, NULL, NULL, FALSE));
    CHECK_WAIT(WaitForSingleObject(t, 1000), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(again, 0), WAIT_TIMEOUT);
    CLOSE(again);
    /* The W form finds it too. */
    SetLastError(0xdeadbeef);
    again = CreateWaitableTimerW(NULL, FALSE, w32t_wname("timer"));
    CHECK(again != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    CLOSE(again);
    CLOSE(t);
    /* The last handle closed, the name is gone (N07). */
    CHECK_FAILS(OpenWaitableTimerA(TIMER_ALL_ACCESS, FALSE, w32t_name("timer")), NULL,
                ERROR_FILE_NOT_FOUND);
}

W32T(Y02)
{
    /* A synchronization timer, relative due time: signaled after it, and
     * a satisfied wait resets it. */
    HANDLE t = CreateWaitableTimerA(NULL, FALSE, NULL);
    LARGE_INTEGER due = in_ms(200);

    CHECK(t != NULL);
    CHECK_TRUE(SetWaitableTimer(t, &due, 0, NULL, NULL, FALSE));
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_TIMEOUT);
    wait_between(t, 10000, WAIT_OBJECT_0, 150, 5000);
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_TIMEOUT);
    /* Once only: no period. */
    CHECK_WAIT(WaitForSingleObject(t, 300), WAIT_TIMEOUT);
    CLOSE(t);
}

W32T(Y03)
{
    /* A manual-reset (notification) timer stays signaled for every wait
     * until it is set again; setting it makes it not signaled. */
    HANDLE t = CreateWaitableTimerA(NULL, TRUE, NULL);
    LARGE_INTEGER soon = in_ms(50), later = in_ms(5000);

    CHECK(t != NULL);
    CHECK_TRUE(SetWaitableTimer(t, &soon, 0, NULL, NULL, FALSE));
    CHECK_WAIT(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_OBJECT_0);
    CHECK_TRUE(SetWaitableTimer(t, &later, 0, NULL, NULL, FALSE));
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_TIMEOUT);
    /* Cancel stops it and leaves the state alone. */
    CHECK_TRUE(CancelWaitableTimer(t));
    CHECK_WAIT(WaitForSingleObject(t, 200), WAIT_TIMEOUT);
    CHECK_TRUE(SetWaitableTimer(t, &soon, 0, NULL, NULL, FALSE));
    CHECK_WAIT(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
    CHECK_TRUE(CancelWaitableTimer(t));
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_OBJECT_0);
    CLOSE(t);
}

W32T(Y04)
{
    /* A periodic timer fires every lPeriod ms until cancelled. */
    HANDLE t = CreateWaitableTimerA(NULL, FALSE, NULL);
    LARGE_INTEGER due = in_ms(100);
    uint64_t t0, took;

    CHECK(t != NULL);
    t0 = w32t_now_ms();
    CHECK_TRUE(SetWaitableTimer(t, &due, 100, NULL, NULL, FALSE));
    for (int i = 0; i < 4; i++)
        CHECK_WAIT(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
    took = w32t_now_ms() - t0;
    if (took < 350 || took > 10000)
        w32t_fail(__FILE__, __LINE__, "four firings 100 ms apart took %llu ms",
                  (unsigned long long)took);
    CHECK_TRUE(CancelWaitableTimer(t));
    /* A firing may have come between the last wait and the cancel. */
    WaitForSingleObject(t, 0);
    CHECK_WAIT(WaitForSingleObject(t, 400), WAIT_TIMEOUT);
    CLOSE(t);
}

W32T(Y05)
{
    /* A positive due time is an absolute FILETIME; one in the past fires
     * at once. */
    HANDLE t = CreateWaitableTimerA(NULL, FALSE, NULL);
    FILETIME ft;
    LARGE_INTEGER due;

    CHECK(t != NULL);
    GetSystemTimeAsFileTime(&ft);
    due.LowPart = ft.dwLowDateTime;
    due.HighPart = (LONG)ft.dwHighDateTime;
    due.QuadPart += 300 * 10000; /* in 300 ms */
    CHECK_TRUE(SetWaitableTimer(t, &due, 0, NULL, NULL, FALSE));
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_TIMEOUT);
    wait_between(t, 10000, WAIT_OBJECT_0, 200, 5000);
    due.QuadPart -= 3600LL * 10000000; /* an hour ago */
    CHECK_TRUE(SetWaitableTimer(t, &due, 0, NULL, NULL, FALSE));
    wait_between(t, 10000, WAIT_OBJECT_0, 0, 1000);
    CLOSE(t);
}

W32T(Y06)
{
    /* One namespace (P01, P05): a timer's name refuses the other types and
     * the other types' names refuse a timer, with ERROR_INVALID_HANDLE. */
    HANDLE t = CreateWaitableTimerA(NULL, FALSE, w32t_name("t"));
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("m"));
    HANDLE e = CreateEventA(NULL, FALSE, FALSE, w32t_name("e"));
    HANDLE s = CreateSemaphoreA(NULL, 0, 1, w32t_name("s"));
    HANDLE f = w32t_section(w32t_name("f"), PAGE_READWRITE, 4096);

    CHECK(t != NULL && m != NULL && e != NULL && s != NULL);
    CHECK_FAILS(CreateMutexA(NULL, FALSE, w32t_name("t")), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateEventA(NULL, FALSE, FALSE, w32t_name("t")), NULL,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateSemaphoreA(NULL, 0, 1, w32t_name("t")), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                                   w32t_name("t")),
                NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenMutexA(SYNCHRONIZE, FALSE, w32t_name("t")), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, w32t_name("t")), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenSemaphoreA(SYNCHRONIZE, FALSE, w32t_name("t")), NULL,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("t")), NULL,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateWaitableTimerA(NULL, FALSE, w32t_name("m")), NULL,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateWaitableTimerA(NULL, FALSE, w32t_name("e")), NULL,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateWaitableTimerA(NULL, FALSE, w32t_name("s")), NULL,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateWaitableTimerA(NULL, FALSE, w32t_name("f")), NULL,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenWaitableTimerA(SYNCHRONIZE, FALSE, w32t_name("m")), NULL,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenWaitableTimerA(SYNCHRONIZE, FALSE, w32t_name("s")), NULL,
                ERROR_INVALID_HANDLE);
    /* P08 and the other open errors. */
    CHECK_FAILS(OpenWaitableTimerA(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenWaitableTimerW(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    /* "" names the object directory, not a timer (as E21). */
    CHECK_FAILS(OpenWaitableTimerA(SYNCHRONIZE, FALSE, ""), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenWaitableTimerA(SYNCHRONIZE, FALSE, w32t_name("none")), NULL,
                ERROR_FILE_NOT_FOUND);
    /* The W form finds the A form's timer. */
    {
        HANDLE w = OpenWaitableTimerW(SYNCHRONIZE, FALSE, w32t_wname("t"));
        CHECK(w != NULL);
        CLOSE(w);
    }
    CLOSE(t);
    CLOSE(m);
    CLOSE(e);
    CLOSE(s);
    CLOSE(f);
}

W32T(Y07)
{
    /* Access: SetWaitableTimer and CancelWaitableTimer need
     * TIMER_MODIFY_STATE, a wait SYNCHRONIZE; other handles are refused. */
    HANDLE t = CreateWaitableTimerA(NULL, TRUE, w32t_name("t"));
    HANDLE sync = OpenWaitableTimerA(SYNCHRONIZE, FALSE, w32t_name("t"));
    HANDLE mod = OpenWaitableTimerA(TIMER_MODIFY_STATE, FALSE, w32t_name("t"));
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, NULL);
    LARGE_INTEGER due = in_ms(0);

    CHECK(t != NULL && sync != NULL && mod != NULL && e != NULL);
    CHECK_FAILS(SetWaitableTimer(sync, &due, 0, NULL, NULL, FALSE), FALSE,
                ERROR_ACCESS_DENIED);
    CHECK_FAILS(CancelWaitableTimer(sync), FALSE, ERROR_ACCESS_DENIED);
    CHECK_FAILS(WaitForSingleObject(mod, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CHECK_TRUE(SetWaitableTimer(mod, &due, 0, NULL, NULL, FALSE));
    CHECK_WAIT(WaitForSingleObject(sync, 5000), WAIT_OBJECT_0);
    CHECK_FAILS(SetWaitableTimer(e, &due, 0, NULL, NULL, FALSE), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CancelWaitableTimer(e), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(SetWaitableTimer(NULL, &due, 0, NULL, NULL, FALSE), FALSE,
                ERROR_INVALID_HANDLE);
    /* Access 0 is refused, as for OpenMutex (Q03). */
    WINE_DIFFERS_BEGIN("Y07", "OpenWaitableTimer with access 0 (as Q03)");
    {
        HANDLE h;
        SetLastError(0xdeadbeef);
        h = OpenWaitableTimerA(0, FALSE, w32t_name("t"));
        if (h != NULL)
            CloseHandle(h);
        CHECK(h == NULL);
        CHECK_GLE(ERROR_ACCESS_DENIED);
    }
    WINE_DIFFERS_END();
    CLOSE(sync);
    CLOSE(mod);
    CLOSE(e);
    CLOSE(t);
}

W32T(Y08)
{
    /* Timers in WaitForMultipleObjects: any returns the timer's index when
     * it fires; all waits for the timer too. */
    HANDLE h[2];
    LARGE_INTEGER due = in_ms(200);
    uint64_t t0, took;

    h[0] = CreateEventA(NULL, TRUE, FALSE, NULL);
    h[1] = CreateWaitableTimerA(NULL, TRUE, NULL);
    CHECK(h[0] != NULL && h[1] != NULL);
    CHECK_TRUE(SetWaitableTimer(h[1], &due, 0, NULL, NULL, FALSE));
    CHECK_WAIT(WaitForMultipleObjects(2, h, FALSE, 10000), WAIT_OBJECT_0 + 1);
    CHECK_TRUE(SetWaitableTimer(h[1], &due, 0, NULL, NULL, FALSE));
    CHECK_TRUE(SetEvent(h[0]));
    t0 = w32t_now_ms();
    CHECK_WAIT(WaitForMultipleObjects(2, h, TRUE, 10000), WAIT_OBJECT_0);
    took = w32t_now_ms() - t0;
    if (took < 150 || took > 5000)
        w32t_fail(__FILE__, __LINE__, "wait-all with a 200 ms timer took %llu ms",
                  (unsigned long long)took);
    CLOSE(h[0]);
    CLOSE(h[1]);
}

W32T(Y09)
{
    /* A timer set by another thread while this one already waits. */
    HANDLE t = CreateWaitableTimerA(NULL, FALSE, NULL);
    LARGE_INTEGER due = in_ms(0);
    HANDLE dup;

    CHECK(t != NULL);
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), t, GetCurrentProcess(), &dup, 0, FALSE,
                               DUPLICATE_SAME_ACCESS));
    /* The duplicate is the same timer. */
    CHECK_TRUE(SetWaitableTimer(dup, &due, 0, NULL, NULL, FALSE));
    CHECK_WAIT(WaitForSingleObject(t, 5000), WAIT_OBJECT_0);
    CLOSE(dup);
    CLOSE(t);
}

W32T_CHILD(y_waiter)
{
    /* Waits on the parent's timer "t" (argv[0]: how long, ms). */
    HANDLE t = OpenWaitableTimerA(SYNCHRONIZE, FALSE, w32t_name("t"));
    HANDLE ready = OpenEventA(EVENT_MODIFY_STATE, FALSE, w32t_name("ready"));
    (void)argc;
    CHECK(t != NULL && ready != NULL);
    CHECK(SetEvent(ready));
    CHECK_WAIT(WaitForSingleObject(t, (DWORD)w32t_arg(argv[0])), WAIT_OBJECT_0);
    CHECK(CloseHandle(ready));
    CHECK(CloseHandle(t));
    return 0;
}

W32T_CHILD(y_setter)
{
    /* Sets the parent's timer "t" to fire in argv[0] ms, says so, then
     * sleeps until the parent kills it. */
    HANDLE t = OpenWaitableTimerA(TIMER_MODIFY_STATE, FALSE, w32t_name("t"));
    HANDLE ready = OpenEventA(EVENT_MODIFY_STATE, FALSE, w32t_name("ready"));
    LARGE_INTEGER due = in_ms((LONGLONG)w32t_arg(argv[0]));
    (void)argc;
    CHECK(t != NULL && ready != NULL);
    CHECK(SetWaitableTimer(t, &due, 0, NULL, NULL, FALSE));
    CHECK(SetEvent(ready));
    Sleep(INFINITE);
    return 1;
}

W32T(Y10)
{
    /* One timer, two processes: set here, waited on in a child that was
     * already asleep in its wait. */
    HANDLE t = CreateWaitableTimerA(NULL, TRUE, w32t_name("t"));
    HANDLE ready = CreateEventA(NULL, TRUE, FALSE, w32t_name("ready"));
    LARGE_INTEGER due = in_ms(300);
    int child;

    CHECK(t != NULL && ready != NULL);
    child = w32t_spawn("y_waiter", w32t_num(20000), NULL);
    CHECK_WAIT(WaitForSingleObject(ready, 30000), WAIT_OBJECT_0);
    Sleep(200);
    CHECK_TRUE(SetWaitableTimer(t, &due, 0, NULL, NULL, FALSE));
    CHECK_CHILD(child, 30000);
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_OBJECT_0);
    CLOSE(ready);
    CLOSE(t);
}

W32T(Y11)
{
    /* Set in a child that is then killed before the due time: the timer
     * is one object, and fires for this process anyway. */
    HANDLE t = CreateWaitableTimerA(NULL, FALSE, w32t_name("t"));
    HANDLE ready = CreateEventA(NULL, TRUE, FALSE, w32t_name("ready"));
    int child;

    CHECK(t != NULL && ready != NULL);
    child = w32t_spawn("y_setter", w32t_num(500), NULL);
    CHECK_WAIT(WaitForSingleObject(ready, 30000), WAIT_OBJECT_0);
    w32t_child_kill(child);
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_TIMEOUT);
    CHECK_WAIT(WaitForSingleObject(t, 20000), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_TIMEOUT);
    /* Cancelled in this process, it does not fire for the other. */
    ResetEvent(ready);
    child = w32t_spawn("y_setter", w32t_num(400), NULL);
    CHECK_WAIT(WaitForSingleObject(ready, 30000), WAIT_OBJECT_0);
    CHECK_TRUE(CancelWaitableTimer(t));
    CHECK_WAIT(WaitForSingleObject(t, 800), WAIT_TIMEOUT);
    w32t_child_kill(child);
    CLOSE(ready);
    CLOSE(t);
}

W32T(Y12)
{
    /* SetWaitableTimer's arguments. */
    HANDLE t = CreateWaitableTimerA(NULL, FALSE, NULL);
    LARGE_INTEGER due = in_ms(10);

    CHECK(t != NULL);
    /* A negative period: NT refuses it (STATUS_INVALID_PARAMETER_6);
     * Wine passes it on as an unsigned one. */
    WINE_DIFFERS_BEGIN("Y12", "SetWaitableTimer with a negative period");
    {
        BOOL ok;
        SetLastError(0xdeadbeef);
        ok = SetWaitableTimer(t, &due, -1, NULL, NULL, FALSE);
        if (ok)
            CancelWaitableTimer(t);
        CHECK(!ok);
        CHECK_GLE(ERROR_INVALID_PARAMETER);
    }
    WINE_DIFFERS_END();
    /* fResume where the system cannot be woken: TRUE, and the last error
     * of NT's STATUS_TIMER_RESUME_IGNORED. */
    SetLastError(0xdeadbeef);
    CHECK(SetWaitableTimer(t, &due, 0, NULL, NULL, TRUE));
    CHECK_GLE(ERROR_TIMER_RESUME_IGNORED);
    CHECK_WAIT(WaitForSingleObject(t, 5000), WAIT_OBJECT_0);
    /* No due time: NT's probe of the pointer fails. */
    CHECK_FAILS(SetWaitableTimer(t, NULL, 0, NULL, NULL, FALSE), FALSE, ERROR_NOACCESS);
    CLOSE(t);
}

/* A name of n characters made of the test's name and 'x's. */
static const char *long_name(size_t n)
{
    static char buf[400];
    const char *base = w32t_name("long");
    size_t k = strlen(base);
    memcpy(buf, base, k);
    memset(buf + k, 'x', n > k ? n - k : 0);
    buf[n > k ? n : k] = '\0';
    return buf;
}

W32T(Y13)
{
    /* Long names: a timer's name may be as long as any other object's:
     * MAX_PATH in the A functions, one more is refused (P16). */
    HANDLE t;

    t = CreateWaitableTimerA(NULL, FALSE, long_name(MAX_PATH - 7));
    CHECK(t != NULL);
    CLOSE(t);
    t = CreateWaitableTimerA(NULL, FALSE, long_name(MAX_PATH - 1));
    CHECK(t != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    {
        HANDLE o = OpenWaitableTimerA(SYNCHRONIZE, FALSE, long_name(MAX_PATH - 1));
        CHECK(o != NULL);
        CLOSE(o);
    }
    CLOSE(t);
    /* Wine's A buffer has no room for the zero after 260 characters. */
    WINE_DIFFERS_BEGIN("Y13", "a 260-character A name (as P16)");
    t = CreateWaitableTimerA(NULL, FALSE, long_name(MAX_PATH));
    CHECK(t != NULL);
    if (t != NULL)
        CLOSE(t);
    WINE_DIFFERS_END();
    CHECK_FAILS(CreateWaitableTimerA(NULL, FALSE, long_name(MAX_PATH + 1)), NULL,
                ERROR_FILENAME_EXCED_RANGE);
}
