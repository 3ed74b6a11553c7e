/* SPDX-License-Identifier: MIT */
/*
 * port.c - the tool's operating-system calls (port.h): the POSIX half for
 * Linux, the Win32 half for Windows, one function each. Stop requests are
 * signals blocked and then awaited on POSIX, and a console control
 * handler that sets an event on Windows: either way the command decides
 * when to stop, so a held handle is always closed properly.
 */
#ifndef _WIN32
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "port.h"
#include "tool.h"

#ifdef _WIN32

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>

static HANDLE stop_event;

static BOOL WINAPI on_console(DWORD type)
{
    (void)type; /* Ctrl-C, Ctrl-Break, close, logoff, shutdown: all stop */
    SetEvent(stop_event);
    return TRUE;
}

void stop_hold(void)
{
    if (stop_event == NULL && (stop_event = CreateEventW(NULL, TRUE, FALSE, NULL)) != NULL)
        SetConsoleCtrlHandler(on_console, TRUE);
}

int stop_wait(long long ms)
{
    DWORD t = ms < 0 ? INFINITE : ms >= (long long)INFINITE ? INFINITE - 1 : (DWORD)ms;
    if (stop_event == NULL) {
        Sleep(t);
        return 0;
    }
    return WaitForSingleObject(stop_event, t) == WAIT_OBJECT_0;
}

int account_name(uint32_t id, int group, char *buf, size_t cap)
{
    (void)id;
    (void)group;
    (void)buf;
    (void)cap;
    return 0;
}

void local_tm(time_t t, struct tm *tm)
{
    if (localtime_s(tm, &t) != 0)
        memset(tm, 0, sizeof *tm);
}

void utc_tm(time_t t, struct tm *tm)
{
    if (gmtime_s(tm, &t) != 0)
        memset(tm, 0, sizeof *tm);
}

void now_utc(time_t *sec, long *nsec)
{
    FILETIME ft;
    uint64_t t;
    GetSystemTimePreciseAsFileTime(&ft);
    /* 100 ns units since 1601 */
    t = ((uint64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime) - UINT64_C(116444736000000000);
    *sec = (time_t)(t / 10000000u);
    *nsec = (long)(t % 10000000u) * 100;
}

void binary_stream(int fd)
{
    if (fd == 1)
        fflush(stdout);
    _setmode(fd, _O_BINARY);
}

long read_stdin_some(void *buf, size_t n)
{
    return _read(_fileno(stdin), buf, n > 1u << 30 ? 1u << 30 : (unsigned)n);
}

int is_terminal(int fd)
{
    return _isatty(fd);
}

/* Append s to the command line at *p (room left in *left), quoted as the
 * C runtime's argument parser reads it back. 0, or -1 if it does not fit. */
static int quote_arg(const char *s, char **p, size_t *left)
{
    size_t need = 3 + 2 * strlen(s);
    char *o = *p;
    if (need >= *left)
        return -1;
    /* Plain words go as they are: some programs (cmd.exe) parse their
     * command line themselves and take quotes literally. */
    if (s[0] != '\0' && strpbrk(s, " \t\n\v\"") == NULL) {
        size_t n = strlen(s);
        memcpy(o, s, n);
        o[n] = ' ';
        *left -= n + 1;
        *p = o + n + 1;
        return 0;
    }
    *o++ = '"';
    for (;;) {
        size_t slashes = 0;
        while (*s == '\\') {
            s++;
            slashes++;
        }
        if (*s == '\0') {
            /* Backslashes before the closing quote are doubled. */
            for (size_t i = 0; i < 2 * slashes; i++)
                *o++ = '\\';
            break;
        }
        if (*s == '"') {
            for (size_t i = 0; i < 2 * slashes + 1; i++)
                *o++ = '\\';
        } else {
            for (size_t i = 0; i < slashes; i++)
                *o++ = '\\';
        }
        *o++ = *s++;
    }
    *o++ = '"';
    *o++ = ' ';
    *left -= (size_t)(o - *p);
    *p = o;
    return 0;
}

static BOOL WINAPI stay(DWORD type)
{
    (void)type; /* the console sent it to the command too: we stay to release */
    return TRUE;
}

int run_command(char **argv, const char *name, int *status)
{
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    size_t left = 32768;
    char *cmd = malloc(left), *p = cmd;
    HANDLE job;
    DWORD code = 127;

    if (cmd == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (char **a = argv; *a != NULL; a++) {
        if (quote_arg(*a, &p, &left) != 0) {
            free(cmd);
            errno = E2BIG;
            return -1;
        }
    }
    p[-1] = '\0';
    /* The command dies with the tool: a job that kills what it holds when
     * its last handle, ours, closes. */
    job = CreateJobObjectW(NULL, NULL);
    memset(&lim, 0, sizeof lim);
    lim.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (job != NULL)
        SetInformationJobObject(job, JobObjectExtendedLimitInformation, &lim, sizeof lim);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    if (!CreateProcessA(NULL, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi)) {
        DWORD e = GetLastError();
        free(cmd);
        if (job != NULL)
            CloseHandle(job);
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) {
            warn(name, "cannot run %s: not found", show(argv[0]));
            *status = 127;
            return 0;
        }
        errno = e == ERROR_NOT_ENOUGH_MEMORY ? ENOMEM : EINVAL;
        return -1;
    }
    free(cmd);
    if (job != NULL)
        AssignProcessToJobObject(job, pi.hProcess);
    SetConsoleCtrlHandler(stay, TRUE);
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    SetConsoleCtrlHandler(stay, FALSE);
    if (job != NULL)
        CloseHandle(job);
    *status = (int)(code & 0xff);
    return 0;
}

const char *store_location(char *buf, size_t cap)
{
    DWORD session = 0;
    if (ProcessIdToSessionId(GetCurrentProcessId(), &session) && session != 0)
        snprintf(buf, cap, "\\Sessions\\%lu\\BaseNamedObjects", (unsigned long)session);
    else
        snprintf(buf, cap, "\\BaseNamedObjects");
    return buf;
}

#else /* POSIX */

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static sigset_t stop_set;

void stop_hold(void)
{
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop_set, NULL);
}

int stop_wait(long long ms)
{
    int sig;
    if (ms < 0) {
        while (sigwait(&stop_set, &sig) != 0)
            ;
        return 1;
    }
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    return sigtimedwait(&stop_set, NULL, &ts) > 0;
}

int account_name(uint32_t id, int group, char *buf, size_t cap)
{
    if (group) {
        struct group *gr = getgrgid((gid_t)id);
        if (gr == NULL)
            return 0;
        snprintf(buf, cap, "%s", gr->gr_name);
    } else {
        struct passwd *pw = getpwuid((uid_t)id);
        if (pw == NULL)
            return 0;
        snprintf(buf, cap, "%s", pw->pw_name);
    }
    return 1;
}

void local_tm(time_t t, struct tm *tm)
{
    localtime_r(&t, tm);
}

void utc_tm(time_t t, struct tm *tm)
{
    gmtime_r(&t, tm);
}

void now_utc(time_t *sec, long *nsec)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *sec = ts.tv_sec;
    *nsec = ts.tv_nsec;
}

void binary_stream(int fd)
{
    (void)fd;
}

long read_stdin_some(void *buf, size_t n)
{
    return (long)read(STDIN_FILENO, buf, n);
}

int is_terminal(int fd)
{
    return isatty(fd);
}

/* The command `mmf lock` runs, once started. */
static volatile sig_atomic_t lock_child;

/* A stop signal sent to mmf alone (kill PID) goes on to the command, and
 * mmf stays to release the mutex when it ends. One the terminal sent
 * (Ctrl-C: si_code SI_KERNEL) reached the command's process group too,
 * so it is not sent twice. */
static void forward_signal(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    if (lock_child > 0 && si->si_code != SI_KERNEL)
        kill((pid_t)lock_child, sig);
}

static const int stops[] = {SIGTERM, SIGINT, SIGHUP};
#define NSTOPS (sizeof stops / sizeof stops[0])

/*
 * Start argv[0] with the mutex held, as system() does: the terminal's
 * Ctrl-C goes to the command and we stay to release. The stop signals are
 * held back until the command's pid is known, so none is lost.
 */
static pid_t start_command(char **argv, const char *name)
{
    struct sigaction fwd = {0}, ign = {0}, dfl = {0}, old_quit;
    sigset_t set, old_mask;
    pid_t pid, parent = getpid();

    sigemptyset(&set);
    for (size_t i = 0; i < NSTOPS; i++)
        sigaddset(&set, stops[i]);
    sigprocmask(SIG_BLOCK, &set, &old_mask);
    fwd.sa_sigaction = forward_signal;
    /* No SA_RESTART: the wait for the command returns EINTR and goes on,
     * and a runtime that runs handlers only between calls
     * (ThreadSanitizer's) gets to run ours. */
    fwd.sa_flags = SA_SIGINFO;
    for (size_t i = 0; i < NSTOPS; i++)
        sigaction(stops[i], &fwd, NULL);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGQUIT, &ign, &old_quit);
    pid = fork();
    if (pid == 0) {
        dfl.sa_handler = SIG_DFL;
        for (size_t i = 0; i < NSTOPS; i++)
            sigaction(stops[i], &dfl, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        /* The command must not outlive the lock: if mmf dies, even by
         * SIGKILL, leaving the mutex abandoned, the command is killed too.
         * A parent that died before prctl() is caught by getppid(). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(128 + SIGKILL);
        execvp(argv[0], argv);
        warn(name, "cannot run %s: %s", show(argv[0]), strerror(errno));
        _exit(127);
    }
    if (pid > 0)
        lock_child = pid;
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    return pid;
}

int run_command(char **argv, const char *name, int *status)
{
    pid_t pid = start_command(argv, name);
    int st;
    if (pid < 0)
        return -1;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    *status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
    return 0;
}

const char *store_location(char *buf, size_t cap)
{
    const char *dir = getenv("MMF_STORE_DIR");
    snprintf(buf, cap, "%s", dir != NULL && dir[0] == '/' ? dir : "/dev/shm");
    return buf;
}

#endif

void tool_unsupported(const char *name, const char *what, const char *why)
{
    die(EX_ERROR, name, "%s is not supported on this system: %s", what, why);
}
