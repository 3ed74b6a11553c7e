/* SPDX-License-Identifier: MIT */
/* wait.c - WaitForSingleObject: section T of docs/win32-behaviour.md
 * (and O07). */
#include "w32t.h"

static HANDLE with_low_bits(HANDLE h, uintptr_t bits)
{
    return (HANDLE)((uintptr_t)h | bits);
}

static DWORD WINAPI quick_thread(LPVOID arg)
{
    (void)arg;
    return 7;
}

W32T(T01)
{
    HANDLE e = CreateEventA(NULL, TRUE, TRUE, NULL);
    HANDLE s = CreateSemaphoreA(NULL, 1, 1, NULL);
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    HANDLE t = CreateThread(NULL, 0, quick_thread, NULL, 0, NULL);
    DWORD code = 0;

    CHECK(e != NULL && s != NULL && m != NULL && t != NULL);
    SetLastError(0xdeadbeef);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    CHECK_GLE(0xdeadbeef);
    /* A thread handle is signaled once the thread has ended. */
    CHECK_WAIT(WaitForSingleObject(t, 30000), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(t, 0), WAIT_OBJECT_0);
    CHECK_TRUE(GetExitCodeThread(t, &code));
    CHECK_EQ(code, 7);
    CHECK_TRUE(ReleaseMutex(m));
    CLOSE(t);
    CLOSE(m);
    CLOSE(s);
    CLOSE(e);
}

W32T(T02)
{
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE s = CreateSemaphoreA(NULL, 0, 1, NULL);
    uint64_t t0;

    CHECK(e != NULL && s != NULL);
    t0 = w32t_now_ms();
    SetLastError(0xdeadbeef);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_TIMEOUT);
    CHECK_GLE(0xdeadbeef);
    CHECK(w32t_now_ms() - t0 < 1000);
    CLOSE(s);
    CLOSE(e);
}

W32T(T03)
{
    HANDLE bad = (HANDLE)(uintptr_t)0xdeadbee0;
    for (uintptr_t bits = 0; bits < 4; bits++)
        CHECK_FAILS(WaitForSingleObject(with_low_bits(bad, bits), 0), WAIT_FAILED,
                    ERROR_INVALID_HANDLE);
    CHECK_FAILS(WaitForSingleObject(NULL, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
}

W32T(T04)
{
    /* O07: the two low bits of a handle value are ignored. */
    HANDLE e = CreateEventA(NULL, FALSE, FALSE, NULL);
    CHECK(e != NULL);
    for (uintptr_t bits = 1; bits < 4; bits++) {
        CHECK_WAIT(WaitForSingleObject(with_low_bits(e, bits), 0), WAIT_TIMEOUT);
        CHECK_TRUE(SetEvent(e));
        CHECK_WAIT(WaitForSingleObject(with_low_bits(e, bits), 0), WAIT_OBJECT_0);
        CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    }
    CLOSE(e);
}

W32T(T05)
{
    /* This process and this thread are running: not signaled. */
    CHECK_WAIT(WaitForSingleObject(GetCurrentProcess(), 100), WAIT_TIMEOUT);
    CHECK_WAIT(WaitForSingleObject(GetCurrentThread(), 100), WAIT_TIMEOUT);
}

W32T(T06)
{
    HANDLE e = CreateEventA(NULL, TRUE, TRUE, w32t_name("e"));
    HANDLE s = CreateSemaphoreA(NULL, 1, 1, w32t_name("s"));
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("m"));
    HANDLE eo, so, mo;

    CHECK(e != NULL && s != NULL && m != NULL);
    eo = OpenEventA(EVENT_MODIFY_STATE, FALSE, w32t_name("e"));
    so = OpenSemaphoreA(SEMAPHORE_MODIFY_STATE, FALSE, w32t_name("s"));
    mo = OpenMutexA(MUTANT_QUERY_STATE, FALSE, w32t_name("m"));
    CHECK(eo != NULL && so != NULL && mo != NULL);
    /* Signaled, but the handles lack SYNCHRONIZE. */
    CHECK_FAILS(WaitForSingleObject(eo, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CHECK_FAILS(WaitForSingleObject(so, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CHECK_FAILS(WaitForSingleObject(mo, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    /* Nothing was consumed. */
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CLOSE(mo);
    CLOSE(so);
    CLOSE(eo);
    CLOSE(m);
    CLOSE(s);
    CLOSE(e);
}

struct taker {
    HANDLE m;
    DWORD result;
};

static DWORD WINAPI take_and_leave(LPVOID arg)
{
    struct taker *t = arg;
    t->result = WaitForSingleObject(t->m, 0);
    return 0; /* still owning it */
}

static DWORD WINAPI try_take(LPVOID arg)
{
    struct taker *t = arg;
    t->result = WaitForSingleObject(t->m, 0);
    if (t->result == WAIT_OBJECT_0 || t->result == WAIT_ABANDONED_0)
        ReleaseMutex(t->m);
    return 0;
}

static DWORD in_thread(LPTHREAD_START_ROUTINE fn, HANDLE m)
{
    struct taker t = {m, 0xdeadbeef};
    HANDLE th = CreateThread(NULL, 0, fn, &t, 0, NULL);
    CHECK(th != NULL);
    CHECK_WAIT(WaitForSingleObject(th, 30000), WAIT_OBJECT_0);
    CLOSE(th);
    return t.result;
}

W32T(T07)
{
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    CHECK(m != NULL);
    CHECK_WAIT(in_thread(take_and_leave, m), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(m, 1000), WAIT_ABANDONED);
    /* The caller owns it now. */
    CHECK_WAIT(in_thread(try_take, m), WAIT_TIMEOUT);
    CHECK_TRUE(ReleaseMutex(m));
    CHECK_WAIT(in_thread(try_take, m), WAIT_OBJECT_0);
    CLOSE(m);
}

W32T(T08)
{
    HANDLE s = CreateSemaphoreA(NULL, 2, 5, NULL);
    HANDLE a = CreateEventA(NULL, FALSE, TRUE, NULL);
    HANDLE me = CreateEventA(NULL, TRUE, TRUE, NULL);
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    LONG prev = -1;

    CHECK(s != NULL && a != NULL && me != NULL && m != NULL);
    /* A semaphore loses one. */
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CHECK_TRUE(ReleaseSemaphore(s, 1, &prev));
    CHECK_EQ(prev, 1);
    /* An auto-reset event resets; a manual-reset one does not. */
    CHECK_WAIT(WaitForSingleObject(a, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(a, 0), WAIT_TIMEOUT);
    CHECK_WAIT(WaitForSingleObject(me, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(me, 0), WAIT_OBJECT_0);
    /* A mutex gains an owner. */
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    CHECK_WAIT(in_thread(try_take, m), WAIT_TIMEOUT);
    CHECK_TRUE(ReleaseMutex(m));
    CLOSE(m);
    CLOSE(me);
    CLOSE(a);
    CLOSE(s);
}

static DWORD WINAPI set_later(LPVOID arg)
{
    Sleep(300);
    SetEvent((HANDLE)arg);
    return 0;
}

W32T(T09)
{
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE t;
    uint64_t t0, took;

    CHECK(e != NULL);
    /* 0 never blocks. */
    t0 = w32t_now_ms();
    for (int i = 0; i < 100; i++)
        CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CHECK(w32t_now_ms() - t0 < 2000);
    /* INFINITE returns when the object is signaled, not before. */
    t = CreateThread(NULL, 0, set_later, e, 0, NULL);
    CHECK(t != NULL);
    t0 = w32t_now_ms();
    CHECK_WAIT(WaitForSingleObject(e, INFINITE), WAIT_OBJECT_0);
    took = w32t_now_ms() - t0;
    if (took < 250)
        w32t_fail(__FILE__, __LINE__, "an INFINITE wait returned after %llu ms, before the "
                  "event was set", (unsigned long long)took);
    CHECK_WAIT(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
    CLOSE(t);
    CLOSE(e);
}

W32T(T12)
{
    const char *path;
    HANDLE f = w32t_file("t12", GENERIC_READ | GENERIC_WRITE, 16, &path);
    HANDLE e = CreateEventA(NULL, FALSE, FALSE, NULL);

    CHECK(e != NULL);
    CHECK_FAILS(SignalObjectAndWait(NULL, NULL, 0, FALSE), WAIT_FAILED, ERROR_INVALID_HANDLE);
    CHECK_FAILS(SignalObjectAndWait(f, f, 0, FALSE), WAIT_FAILED, ERROR_INVALID_HANDLE);
    /* A bad handle to wait on: the event is not signaled. */
    CHECK_FAILS(SignalObjectAndWait(e, (HANDLE)(uintptr_t)0xdeadbee0, 0, FALSE), WAIT_FAILED,
                ERROR_INVALID_HANDLE);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CLOSE(e);
    CLOSE(f);
}
