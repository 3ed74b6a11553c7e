/* SPDX-License-Identifier: MIT */
/*
 * proc.c - the suite's one process helper: start this executable as a
 * child running a W32T_CHILD function, wait for it, kill it.
 *
 * It is CreateProcess, WaitForSingleObject, GetExitCodeProcess and
 * TerminateProcess in both builds: under Windows (and Wine) and natively,
 * where the façade provides them. The child's command line is
 * "EXE --child NAME ID OWNER-PID args...": the id and the owner pid give
 * the child the same object names (w32t_name) as its parent.
 */
#ifndef _WIN32
#define _GNU_SOURCE
#endif
#include "w32t.h"

#ifndef _WIN32
#include <unistd.h>
#endif

#define MAX_PROCS 32
#define MAX_ARGS 16

static HANDLE procs[MAX_PROCS];
static int live[MAX_PROCS];

void w32t_self_path(char *exe, size_t cap)
{
#ifdef _WIN32
    if (GetModuleFileNameA(NULL, exe, (DWORD)cap) == 0)
        w32t_fail(__FILE__, __LINE__, "GetModuleFileNameA: %lu",
                  (unsigned long)GetLastError());
#else
    ssize_t n = readlink("/proc/self/exe", exe, cap - 1);
    if (n <= 0)
        w32t_fail(__FILE__, __LINE__, "readlink /proc/self/exe failed");
    exe[n] = '\0';
#endif
}

const char *w32t_child_cmd(const char *name, const char *args)
{
    static char cmd[4096];
    char exe[1024];

    w32t_self_path(exe, sizeof exe);
    snprintf(cmd, sizeof cmd, "\"%s\" --child %s %s %lu %s", exe, name, w32t_id(),
             w32t_owner_pid(), args);
    return cmd;
}

static int spawn(const char *name, int inherit, va_list ap)
{
    const char *args[MAX_ARGS];
    int nargs = 0, slot;
    const char *a;

    for (slot = 0; slot < MAX_PROCS && live[slot]; slot++)
        ;
    if (slot == MAX_PROCS)
        w32t_fail(__FILE__, __LINE__, "too many children");
    while ((a = va_arg(ap, const char *)) != NULL) {
        if (nargs == MAX_ARGS)
            w32t_fail(__FILE__, __LINE__, "too many child arguments");
        args[nargs++] = a;
    }
    {
        char exe[1024], cmd[2048];
        STARTUPINFOA si;
        PROCESS_INFORMATION pi;
        int len;

        w32t_self_path(exe, sizeof exe);
        len = snprintf(cmd, sizeof cmd, "\"%s\" --child %s %s %lu", exe, name,
                       w32t_id(), w32t_owner_pid());
        for (int i = 0; i < nargs && len > 0 && (size_t)len < sizeof cmd; i++)
            len += snprintf(cmd + len, sizeof cmd - (size_t)len, " %s", args[i]);
        memset(&si, 0, sizeof si);
        si.cb = sizeof si;
        if (!CreateProcessA(exe, cmd, NULL, NULL, inherit ? TRUE : FALSE, 0, NULL,
                            NULL, &si, &pi))
            w32t_fail(__FILE__, __LINE__, "CreateProcessA: %lu",
                      (unsigned long)GetLastError());
        CloseHandle(pi.hThread);
        procs[slot] = pi.hProcess;
    }
    live[slot] = 1;
    return slot;
}

int w32t_spawn(const char *name, ...)
{
    va_list ap;
    int slot;
    va_start(ap, name);
    slot = spawn(name, 0, ap);
    va_end(ap);
    return slot;
}

int w32t_spawn_inherit(const char *name, ...)
{
    va_list ap;
    int slot;
    va_start(ap, name);
    slot = spawn(name, 1, ap);
    va_end(ap);
    return slot;
}

int w32t_child_wait(int child, DWORD ms)
{
    if (child < 0 || child >= MAX_PROCS || !live[child])
        w32t_fail(__FILE__, __LINE__, "no such child %d", child);
    {
        DWORD code;
        if (WaitForSingleObject(procs[child], ms) != WAIT_OBJECT_0)
            return -1;
        if (!GetExitCodeProcess(procs[child], &code))
            code = 255;
        CloseHandle(procs[child]);
        live[child] = 0;
        return (int)code;
    }
}

void w32t_child_kill(int child)
{
    if (child < 0 || child >= MAX_PROCS || !live[child])
        return;
    TerminateProcess(procs[child], 137);
    WaitForSingleObject(procs[child], INFINITE);
    CloseHandle(procs[child]);
    live[child] = 0;
}

void w32t_children_reap(void)
{
    for (int i = 0; i < MAX_PROCS; i++)
        w32t_child_kill(i);
}
