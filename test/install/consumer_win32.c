/* SPDX-License-Identifier: MIT */
/* consumer_win32.c - a Windows program built against an installed mmf
 * Win32 façade: it says #include <windows.h> and nothing else. */
#include <windows.h>
#include <stdio.h>

int main(void)
{
    SYSTEM_INFO si;
    HANDLE h;
    char *p;

    GetSystemInfo(&si);
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, NULL);
    if (h == NULL) {
        printf("consumer_win32: CreateFileMapping failed (%lu)\n",
               (unsigned long)GetLastError());
        return 1;
    }
    p = (char *)MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    if (p == NULL || (DWORD_PTR)p % si.dwAllocationGranularity != 0) {
        printf("consumer_win32: MapViewOfFile failed (%lu)\n",
               (unsigned long)GetLastError());
        return 1;
    }
    strcpy_s(p, 4096, "ok");
    UnmapViewOfFile(p);
    CloseHandle(h);
    printf("consumer_win32: %s\n", "ok");
    return 0;
}
