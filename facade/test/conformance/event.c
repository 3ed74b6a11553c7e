/* SPDX-License-Identifier: MIT */
/* event.c - events: section R of docs/win32-behaviour.md. */
#include "w32t.h"

/* Threads that wait on one or more handles and record the result. */
struct waiter {
    const HANDLE *h;
    DWORD n, timeout;
    BOOL all;
    DWORD result;
    HANDLE started, thread;
};

static DWORD WINAPI waiter_main(LPVOID arg)
{
    struct waiter *w = arg;
    SetEvent(w->started);
    if (w->n == 1)
        w->result = WaitForSingleObject(w->h[0], w->timeout);
    else
        w->result = WaitForMultipleObjects(w->n, w->h, w->all, w->timeout);
    return 0;
}

/* Start `count` waiters and return once all are (very probably) blocked in
 * their wait: each says it started, then they get 300 ms to get there. */
static void start_waiters(struct waiter *w, int count, const HANDLE *h, DWORD n, BOOL all,
                          DWORD timeout)
{
    for (int i = 0; i < count; i++) {
        w[i].h = h;
        w[i].n = n;
        w[i].all = all;
        w[i].timeout = timeout;
        w[i].result = 0xdeadbeef;
        w[i].started = CreateEventA(NULL, TRUE, FALSE, NULL);
        CHECK(w[i].started != NULL);
        w[i].thread = CreateThread(NULL, 0, waiter_main, &w[i], 0, NULL);
        CHECK(w[i].thread != NULL);
    }
    for (int i = 0; i < count; i++)
        CHECK_WAIT(WaitForSingleObject(w[i].started, 30000), WAIT_OBJECT_0);
    Sleep(300);
}

/* Join the waiters; returns how many got WAIT_OBJECT_0 (the others must
 * have timed out). */
static int join_waiters(struct waiter *w, int count)
{
    int got = 0;
    for (int i = 0; i < count; i++) {
        CHECK_WAIT(WaitForSingleObject(w[i].thread, 30000), WAIT_OBJECT_0);
        CLOSE(w[i].thread);
        CLOSE(w[i].started);
        if (w[i].result == WAIT_OBJECT_0)
            got++;
        else if (w[i].result != WAIT_TIMEOUT)
            w32t_fail(__FILE__, __LINE__, "waiter %d: %s", i, w32t_wait_name(w[i].result));
    }
    return got;
}

static HANDLE event(BOOL manual, BOOL initial)
{
    HANDLE e = CreateEventA(NULL, manual, initial, NULL);
    CHECK(e != NULL);
    return e;
}

W32T(R01)
{
    HANDLE e, again, upper;
    SetLastError(0xdeadbeef);
    e = CreateEventA(NULL, FALSE, FALSE, w32t_name("WineTestEvent"));
    CHECK(e != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    SetLastError(0xdeadbeef);
    again = CreateEventA(NULL, FALSE, FALSE, w32t_name("WineTestEvent"));
    CHECK(again != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    SetLastError(0xdeadbeef);
    upper = CreateEventW(NULL, FALSE, FALSE, w32t_wname("WINETESTEVENT"));
    CHECK(upper != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(upper);
    CLOSE(again);
    CLOSE(e);
}

W32T(R02)
{
    HANDLE e = CreateEventA(NULL, FALSE, FALSE, w32t_name("e"));
    HANDLE again;

    CHECK(e != NULL);
    /* Manual-reset and initially set, asked of an existing auto-reset,
     * unset event: both ignored. */
    SetLastError(0xdeadbeef);
    again = CreateEventA(NULL, TRUE, TRUE, w32t_name("e"));
    CHECK(again != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    CHECK_WAIT(WaitForSingleObject(again, 0), WAIT_TIMEOUT);
    /* The handle has EVENT_ALL_ACCESS: it sets and waits. */
    CHECK_TRUE(SetEvent(again));
    CHECK_WAIT(WaitForSingleObject(again, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CLOSE(again);
    CLOSE(e);
}

W32T(R03)
{
    HANDLE e = CreateEventA(NULL, FALSE, FALSE, w32t_name("WineTestEvent"));
    HANDLE o;

    CHECK(e != NULL);
    o = OpenEventA(EVENT_ALL_ACCESS, FALSE, w32t_name("WineTestEvent"));
    CHECK(o != NULL);
    CLOSE(o);
    o = OpenEventW(EVENT_ALL_ACCESS, FALSE, w32t_wname("WineTestEvent"));
    CHECK(o != NULL);
    CLOSE(o);
    CHECK_FAILS(OpenEventA(EVENT_ALL_ACCESS, FALSE, w32t_name("WINETESTEVENT")), NULL,
                ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenEventA(EVENT_ALL_ACCESS, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenEventW(EVENT_ALL_ACCESS, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CLOSE(e);
}

W32T(R04)
{
    SECURITY_ATTRIBUTES sa;
    SECURITY_DESCRIPTOR sd;
    ACL acl;
    HANDLE e;

    CHECK_TRUE(InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION));
    sa.nLength = sizeof sa;
    sa.lpSecurityDescriptor = &sd;
    sa.bInheritHandle = FALSE;
    /* A blank descriptor... */
    e = CreateEventA(&sa, FALSE, FALSE, w32t_name("blank"));
    CHECK(e != NULL);
    CLOSE(e);
    /* ...a NULL DACL... */
    CHECK_TRUE(SetSecurityDescriptorDacl(&sd, TRUE, NULL, FALSE));
    e = CreateEventA(&sa, FALSE, FALSE, w32t_name("null-dacl"));
    CHECK(e != NULL);
    CLOSE(e);
    /* ...and an empty DACL. */
    CHECK_TRUE(InitializeAcl(&acl, sizeof acl, ACL_REVISION));
    CHECK_TRUE(SetSecurityDescriptorDacl(&sd, TRUE, &acl, FALSE));
    e = CreateEventA(&sa, FALSE, FALSE, w32t_name("empty-dacl"));
    CHECK(e != NULL);
    CLOSE(e);
}

W32T(R05)
{
    HANDLE e = event(TRUE, TRUE);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForMultipleObjects(1, &e, FALSE, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForMultipleObjects(1, &e, FALSE, 0), WAIT_OBJECT_0);
    CLOSE(e);
}

W32T(R06)
{
    HANDLE e = event(FALSE, TRUE);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CHECK_TRUE(SetEvent(e));
    CHECK_WAIT(WaitForMultipleObjects(1, &e, FALSE, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForMultipleObjects(1, &e, FALSE, 0), WAIT_TIMEOUT);
    CLOSE(e);
}

W32T(R07)
{
    HANDLE e = event(TRUE, FALSE);
    SetLastError(0xdeadbeef);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CHECK_GLE(0xdeadbeef);
    CLOSE(e);
}

W32T(R08)
{
    HANDLE e = event(FALSE, FALSE);

    /* Set, then set again: no change, one signal. */
    CHECK_TRUE(SetEvent(e));
    CHECK_TRUE(SetEvent(e));
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    /* Reset from set, and from unset. */
    CHECK_TRUE(SetEvent(e));
    CHECK_TRUE(ResetEvent(e));
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CHECK_TRUE(ResetEvent(e));
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    /* Pulse from unset: stays unset. Pulse from set: unset. */
    CHECK_TRUE(PulseEvent(e));
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CHECK_TRUE(SetEvent(e));
    CHECK_TRUE(PulseEvent(e));
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CLOSE(e);
}

W32T(R09)
{
    for (int manual = 0; manual < 2; manual++) {
        HANDLE e = event(manual, FALSE);
        /* No waiter: the pulse is not latched. */
        CHECK_TRUE(PulseEvent(e));
        CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
        CLOSE(e);
    }
}

W32T(R10)
{
    HANDLE e = event(TRUE, FALSE);
    struct waiter w[3];

    start_waiters(w, 3, &e, 1, FALSE, 10000);
    CHECK_TRUE(PulseEvent(e));
    /* Every thread waiting at that moment is released... */
    CHECK_EQ(join_waiters(w, 3), 3);
    /* ...and the event is reset. */
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CLOSE(e);
}

W32T(R11)
{
    HANDLE e = event(FALSE, FALSE);
    struct waiter w[3];

    start_waiters(w, 3, &e, 1, FALSE, 1500);
    CHECK_TRUE(PulseEvent(e));
    /* One waiter is released; the others time out. */
    CHECK_EQ(join_waiters(w, 3), 1);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CLOSE(e);
}

W32T(R12)
{
    HANDLE e = event(FALSE, FALSE);
    struct waiter w[3];

    start_waiters(w, 3, &e, 1, FALSE, 1500);
    CHECK_TRUE(SetEvent(e));
    /* Exactly one waiter gets it, and the event resets. */
    CHECK_EQ(join_waiters(w, 3), 1);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    /* No waiter: it stays set until one wait succeeds. */
    CHECK_TRUE(SetEvent(e));
    Sleep(50);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CLOSE(e);
}

W32T(R13)
{
    HANDLE e = event(TRUE, FALSE);
    struct waiter w[3];

    start_waiters(w, 3, &e, 1, FALSE, 10000);
    CHECK_TRUE(SetEvent(e));
    CHECK_EQ(join_waiters(w, 3), 3);
    /* Later waiters too, until ResetEvent. */
    start_waiters(w, 2, &e, 1, FALSE, 10000);
    CHECK_EQ(join_waiters(w, 2), 2);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    CHECK_TRUE(ResetEvent(e));
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CLOSE(e);
}

W32T(R14)
{
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, w32t_name("e"));
    HANDLE sync_only, modify_only;

    CHECK(e != NULL);
    sync_only = OpenEventA(SYNCHRONIZE, FALSE, w32t_name("e"));
    modify_only = OpenEventA(EVENT_MODIFY_STATE, FALSE, w32t_name("e"));
    CHECK(sync_only != NULL && modify_only != NULL);
    CHECK_FAILS(SetEvent(sync_only), FALSE, ERROR_ACCESS_DENIED);
    CHECK_FAILS(ResetEvent(sync_only), FALSE, ERROR_ACCESS_DENIED);
    CHECK_FAILS(PulseEvent(sync_only), FALSE, ERROR_ACCESS_DENIED);
    CHECK_WAIT(WaitForSingleObject(sync_only, 0), WAIT_TIMEOUT);
    CHECK_TRUE(SetEvent(modify_only));
    CHECK_TRUE(ResetEvent(modify_only));
    CHECK_TRUE(PulseEvent(modify_only));
    CHECK_FAILS(WaitForSingleObject(modify_only, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CLOSE(modify_only);
    CLOSE(sync_only);
    CLOSE(e);
}

W32T(R15)
{
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    HANDLE s = CreateSemaphoreA(NULL, 0, 1, NULL);
    HANDLE sec = w32t_section(NULL, PAGE_READWRITE, 0x1000);
    const HANDLE others[] = {m, s, sec};

    CHECK(m != NULL && s != NULL);
    for (int i = 0; i < 3; i++) {
        CHECK_FAILS(SetEvent(others[i]), FALSE, ERROR_INVALID_HANDLE);
        CHECK_FAILS(PulseEvent(others[i]), FALSE, ERROR_INVALID_HANDLE);
        CHECK_FAILS(ResetEvent(others[i]), FALSE, ERROR_INVALID_HANDLE);
    }
    /* The mutex was not touched. */
    CHECK_FAILS(ReleaseMutex(m), FALSE, ERROR_NOT_OWNER);
    CLOSE(sec);
    CLOSE(s);
    CLOSE(m);
}

W32T(R16)
{
    HANDLE e = event(TRUE, FALSE), other = event(TRUE, FALSE);
    const HANDLE both[] = {e, other};
    struct waiter w[1];

    /* A wait-all waiter whose other object is unset: the pulse passes it
     * by, and nothing is left for when the other object is set. */
    start_waiters(w, 1, both, 2, TRUE, 1500);
    CHECK_TRUE(PulseEvent(e));
    Sleep(100);
    CHECK_TRUE(SetEvent(other));
    CHECK_EQ(join_waiters(w, 1), 0);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    /* With the other object set at the moment of the pulse, it is
     * released. */
    start_waiters(w, 1, both, 2, TRUE, 10000);
    CHECK_TRUE(PulseEvent(e));
    CHECK_EQ(join_waiters(w, 1), 1);
    CLOSE(other);
    CLOSE(e);
}

W32T(R17)
{
    HANDLE e0 = event(FALSE, FALSE), e1 = event(TRUE, TRUE);

    /* Signal the auto-reset e0, wait for the signaled e1. */
    CHECK_WAIT(SignalObjectAndWait(e0, e1, 0, FALSE), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(e0, 0), WAIT_OBJECT_0);
    /* The same event: it is signaled, then the wait consumes it. */
    for (int i = 0; i < 10000; i++)
        CHECK_WAIT(SignalObjectAndWait(e0, e0, 0, FALSE), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(e0, 0), WAIT_TIMEOUT);
    CHECK_TRUE(ResetEvent(e1));
    CHECK_WAIT(SignalObjectAndWait(e0, e1, 0, FALSE), WAIT_TIMEOUT);
    /* The signal happened although the wait timed out. */
    CHECK_WAIT(WaitForSingleObject(e0, 0), WAIT_OBJECT_0);
    CLOSE(e1);
    CLOSE(e0);
}
