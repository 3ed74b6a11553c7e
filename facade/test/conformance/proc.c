/* SPDX-License-Identifier: MIT */
/*
 * proc.c - the suite's one process helper: start this executable as a
 * child running a W32T_CHILD function, wait for it, kill it.
 *
 * Under Windows (and Wine) it is CreateProcess; natively it is posix_spawn
 * of /proc/self/exe, since the façade has no CreateProcess. The child's
 * command line is "EXE --child NAME ID OWNER-PID args...": the id and the
 * owner pid give the child the same object names (w32t_name) as its parent.
 */
#ifndef _WIN32
#define _GNU_SOURCE
#endif
#include "w32t.h"

#ifndef _WIN32
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
extern char **environ;
#endif

#define MAX_PROCS 32
#define MAX_ARGS 16

#ifdef _WIN32
static HANDLE procs[MAX_PROCS];
#else
static pid_t procs[MAX_PROCS];
#endif
static int live[MAX_PROCS];

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
#ifdef _WIN32
    {
        char exe[MAX_PATH], cmd[2048];
        STARTUPINFOA si;
        PROCESS_INFORMATION pi;
        int len;

        if (GetModuleFileNameA(NULL, exe, sizeof exe) == 0)
            w32t_fail(__FILE__, __LINE__, "GetModuleFileNameA: %lu",
                      (unsigned long)GetLastError());
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
#else
    {
        char *argv[MAX_ARGS + 6];
        pid_t pid;
        int i = 0;

        if (inherit)
            w32t_skip("handle inheritance needs CreateProcess, which the façade has not");
        argv[i++] = (char *)"/proc/self/exe";
        argv[i++] = (char *)"--child";
        argv[i++] = (char *)name;
        argv[i++] = (char *)w32t_id();
        argv[i++] = (char *)w32t_num(w32t_owner_pid());
        for (int k = 0; k < nargs; k++)
            argv[i++] = (char *)args[k];
        argv[i] = NULL;
        if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ) != 0)
            w32t_fail(__FILE__, __LINE__, "posix_spawn: %s", strerror(errno));
        procs[slot] = pid;
    }
#endif
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
#ifdef _WIN32
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
#else
    {
        uint64_t end = w32t_now_ms() + ms;
        for (;;) {
            int st;
            pid_t r = waitpid(procs[child], &st, WNOHANG);
            if (r == procs[child]) {
                live[child] = 0;
                return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
            }
            if (r < 0 && errno != EINTR)
                w32t_fail(__FILE__, __LINE__, "waitpid: %s", strerror(errno));
            if (w32t_now_ms() >= end)
                return -1;
            {
                struct timespec ts = {0, 2000000};
                nanosleep(&ts, NULL);
            }
        }
    }
#endif
}

void w32t_child_kill(int child)
{
    if (child < 0 || child >= MAX_PROCS || !live[child])
        return;
#ifdef _WIN32
    TerminateProcess(procs[child], 137);
    WaitForSingleObject(procs[child], INFINITE);
    CloseHandle(procs[child]);
#else
    {
        int st;
        kill(procs[child], SIGKILL);
        while (waitpid(procs[child], &st, 0) < 0 && errno == EINTR)
            ;
    }
#endif
    live[child] = 0;
}

void w32t_children_reap(void)
{
    for (int i = 0; i < MAX_PROCS; i++)
        w32t_child_kill(i);
}
