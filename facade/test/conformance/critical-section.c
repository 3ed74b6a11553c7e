/* SPDX-License-Identifier: MIT */
/* critical-section.c - critical sections and ExitProcess: section X of
 * docs/win32-behaviour.md. */
#include "w32t.h"

/* A thread that tries the section once and says whether it got in. */
struct trier {
    CRITICAL_SECTION *cs;
    BOOL got;
};

static DWORD WINAPI try_once(LPVOID arg)
{
    struct trier *t = arg;
    t->got = TryEnterCriticalSection(t->cs);
    if (t->got)
        LeaveCriticalSection(t->cs);
    return 0;
}

/* TryEnter from another thread: TRUE if that thread could enter. */
static BOOL other_thread_gets_in(CRITICAL_SECTION *cs)
{
    struct trier t = {cs, FALSE};
    HANDLE h = CreateThread(NULL, 0, try_once, &t, 0, NULL);
    CHECK(h != NULL);
    CHECK_WAIT(WaitForSingleObject(h, 30000), WAIT_OBJECT_0);
    CLOSE(h);
    return t.got;
}

W32T(X01)
{
    CRITICAL_SECTION cs;

    InitializeCriticalSection(&cs);
    /* Recursive: the owner enters three times and needs three leaves. */
    EnterCriticalSection(&cs);
    CHECK(TryEnterCriticalSection(&cs));
    EnterCriticalSection(&cs);
    CHECK(!other_thread_gets_in(&cs));
    LeaveCriticalSection(&cs);
    LeaveCriticalSection(&cs);
    CHECK(!other_thread_gets_in(&cs));
    LeaveCriticalSection(&cs);
    CHECK(other_thread_gets_in(&cs));
    DeleteCriticalSection(&cs);
}

/* Threads that add to a plain counter under the section. */
struct adder {
    LPCRITICAL_SECTION cs;
    volatile LONG *counter;
    int rounds;
};

static DWORD WINAPI add_many(LPVOID arg)
{
    struct adder *a = arg;
    for (int i = 0; i < a->rounds; i++) {
        EnterCriticalSection(a->cs);
        /* A read and a write apart, so that a second thread inside the
         * section would lose updates. */
        LONG v = *a->counter;
        if ((i & 255) == 0)
            SwitchToThread();
        *a->counter = v + 1;
        LeaveCriticalSection(a->cs);
    }
    return 0;
}

W32T(X02)
{
    CRITICAL_SECTION cs;
    volatile LONG counter = 0;
    struct adder a;
    HANDLE th[4];

    CHECK(InitializeCriticalSectionAndSpinCount(&cs, 4000));
    a.cs = &cs;
    a.counter = &counter;
    a.rounds = 20000;
    for (int i = 0; i < 4; i++) {
        th[i] = CreateThread(NULL, 0, add_many, &a, 0, NULL);
        CHECK(th[i] != NULL);
    }
    CHECK_WAIT(WaitForMultipleObjects(4, th, TRUE, 120000), WAIT_OBJECT_0);
    for (int i = 0; i < 4; i++)
        CLOSE(th[i]);
    CHECK_EQ(counter, 4 * 20000);
    DeleteCriticalSection(&cs);
}

/* A thread that enters and reports when it is in. */
struct enterer {
    LPCRITICAL_SECTION cs;
    HANDLE entered;
};

static DWORD WINAPI enter_and_signal(LPVOID arg)
{
    struct enterer *e = arg;
    EnterCriticalSection(e->cs);
    SetEvent(e->entered);
    LeaveCriticalSection(e->cs);
    return 0;
}

W32T(X03)
{
    CRITICAL_SECTION cs;
    struct enterer e;
    HANDLE t;

    /* Enter waits while another thread owns the section, and gets in as
     * soon as the owner leaves. The spin count can be changed at any
     * time: SetCriticalSectionSpinCount returns the previous one. */
    CHECK(InitializeCriticalSectionAndSpinCount(&cs, 100));
    CHECK_EQ(SetCriticalSectionSpinCount(&cs, 0), 100);
    e.cs = &cs;
    e.entered = CreateEventA(NULL, TRUE, FALSE, NULL);
    CHECK(e.entered != NULL);
    EnterCriticalSection(&cs);
    t = CreateThread(NULL, 0, enter_and_signal, &e, 0, NULL);
    CHECK(t != NULL);
    CHECK_WAIT(WaitForSingleObject(e.entered, 300), WAIT_TIMEOUT);
    LeaveCriticalSection(&cs);
    CHECK_WAIT(WaitForSingleObject(e.entered, 30000), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(t, 30000), WAIT_OBJECT_0);
    CLOSE(t);
    CLOSE(e.entered);
    DeleteCriticalSection(&cs);
}

W32T_CHILD(x04_exit)
{
    (void)argc;
    ExitProcess((UINT)w32t_arg(argv[0]));
}

W32T(X04)
{
    /* ExitProcess ends the process with its code, as the parent sees. */
    CHECK_EQ(w32t_child_wait(w32t_spawn("x04_exit", w32t_num(42), NULL), 30000), 42);
    CHECK_EQ(w32t_child_wait(w32t_spawn("x04_exit", w32t_num(0), NULL), 30000), 0);
}
