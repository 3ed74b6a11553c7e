/* SPDX-License-Identifier: MIT */
/*
 * mmf/win32.h - the Win32 façade: Windows shared-memory code on Linux.
 *
 * OVERVIEW
 *
 * Code written against the Win32 API for file mappings, named mutexes,
 * events, semaphores, waits, threads and files compiles against this header
 * and behaves as it does on Windows: the same return values and the same
 * GetLastError() codes (the reference is docs/win32-behaviour.md; the ids
 * in the comments below, B01, Q07 and so on, are its entries). It is a thin
 * translation of mmf's native API (mmf.h): a HANDLE is an entry in a
 * process-wide table that holds a native handle, and every native MMF_E*
 * code becomes the Win32 error that Windows documents for the call.
 *
 * Build: `pkg-config --cflags --libs mmf-win32` adds this header, the
 * compatibility folder (so that `#include <windows.h>`, `<Windows.h>`,
 * `<tchar.h>` and `<conio.h>` find the façade) and the libraries. On Windows
 * itself this header includes the real <windows.h> instead, so one source
 * builds on both.
 *
 * EXAMPLE (compiles unchanged on Windows)
 *
 *     #include <windows.h>
 *     #include <stdio.h>
 *
 *     int main(void)
 *     {
 *         HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL,
 *                                       PAGE_READWRITE, 0, 1024,
 *                                       L"MyFileMapping");
 *         if (h == NULL) {
 *             printf("CreateFileMapping: error %lu\n",
 *                    (unsigned long)GetLastError());
 *             return 1;
 *         }
 *         char *p = (char *)MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
 *         strcpy_s(p, 1024, "Hello from Process 1");
 *         UnmapViewOfFile(p);
 *         CloseHandle(h);
 *         return 0;
 *     }
 *
 * TYPES AND STRINGS
 *
 * The types have their Windows sizes (DWORD and LONG are 32 bits, LONG64
 * 64 bits, HANDLE a pointer). `W` functions take wchar_t strings, so
 * L"name" works as written; wchar_t is 32 bits (UTF-32) on Linux, and
 * names are converted to UTF-8 for the native API. `A` functions take
 * UTF-8. Defining UNICODE makes the undecorated names (CreateFileMapping,
 * CreateMutex, ...) the `W` forms, as on Windows. WCHAR is wchar_t, so code
 * that assumes 2-byte characters (sizeof(WCHAR) == 2) does not port as is.
 *
 * HANDLES
 *
 * Handle values are small multiples of 4, validated on every use: NULL, a
 * garbage value, a closed handle and a handle of the wrong type give
 * ERROR_INVALID_HANDLE, never a crash. The two low bits of a handle value
 * are ignored, as by Windows (O07). Values are reused after CloseHandle, as
 * Windows reuses them. Each handle carries its Windows access mask, checked
 * as Windows checks it (a wait needs SYNCHRONIZE, SetEvent needs
 * EVENT_MODIFY_STATE, a view needs the SECTION_MAP_* right its protection
 * asks for). GetCurrentProcess() and GetCurrentThread() are pseudo-handles.
 * Handles marked inheritable reach a child started by CreateProcess with
 * bInheritHandles TRUE at the same values (F02); DuplicateHandle into
 * another process is refused (F09).
 *
 * THREADS AND PROCESSES
 *
 * All functions may be called from any thread. GetLastError() and
 * SetLastError() are per thread. Closing a handle while another thread uses
 * it is safe: the object stays alive until that use ends. Named objects are
 * shared with every process of the same user (Local\ and unprefixed names)
 * or of all users (Global\ names, subject to file permissions), exactly as
 * the native API shares them.
 *
 * KNOWN DIFFERENCES FROM WINDOWS
 *
 *   - Security descriptors map onto Linux permissions (owner, everyone,
 *     root as administrator; see "Security descriptors" below); what they
 *     cannot express fails with ERROR_INVALID_SECURITY_DESCR.
 *   - File sharing modes are not enforced (Linux has no mandatory sharing
 *     locks): DeleteFile of an open file succeeds as unlink() does. A
 *     file that a view maps is protected as on Windows (SetEndOfFile
 *     shrinking it fails with ERROR_USER_MAPPED_FILE, DeleteFile with
 *     ERROR_ACCESS_DENIED: D20, D21), but only against views the façade
 *     can see (processes of other users are not, unless it runs as root)
 *     and only at the instant of the call; a section without a view does
 *     not protect its file (Windows refuses SetEndOfFile below the
 *     section's size then too). A file shrunk all the same (by
 *     ftruncate, or by another user) leaves the view's lost pages reading
 *     as zeros, private to each process (see "FILES THAT SHRINK" in
 *     mmf.h). Paths are POSIX paths, not "C:\...".
 *   - Overlapped (asynchronous) I/O is not supported: an OVERLAPPED
 *     argument only gives the file position, as it does for a handle
 *     opened without FILE_FLAG_OVERLAPPED.
 *   - DuplicateHandle into or out of another process fails with
 *     ERROR_ACCESS_DENIED: nothing can write into another process's
 *     handle table on Linux (F09). Children inherit handles instead.
 *   - Exit codes of processes keep 8 bits (Linux's exit status), and the
 *     exit code of a process that is not a child of the caller cannot be
 *     read once it has ended (GetExitCodeProcess).
 *   - CreateThread does not support CREATE_SUSPENDED (ERROR_INVALID_PARAMETER).
 *   - A pulse of an auto-reset event can release one more waiter than on
 *     Windows when a waiting process was killed (see mmf_event_pulse()).
 *   - The ANSI code page (CP_ACP, GetACP) is UTF-8, the encoding of
 *     Linux locales; Windows' is a legacy one (1252, ...). A wchar_t is
 *     UTF-32: a character outside the BMP is one wchar_t, not two.
 *   - Waitable timers have no completion routines (no asynchronous
 *     procedure calls; see "Waitable timers").
 *   - Object names in the W functions have at most MMF_NAME_MAX (2640)
 *     bytes of UTF-8 after their prefix: 1,040 UTF-16 units of any script
 *     but the three-byte ones (880 of those, CJK among them), where
 *     Windows takes 32,767 units (P17). A longer name fails with
 *     ERROR_FILENAME_EXCED_RANGE. The A functions keep Windows' MAX_PATH
 *     (260) limit (P16).
 */
#ifndef MMF_WIN32_H
#define MMF_WIN32_H

#ifdef _WIN32
/* On Windows the real API is the façade. */
#include <windows.h>
#else

/* What MinGW-w64's <windows.h> brings in too, and programs rely on
 * (malloc and free, the ctype macros, INT_MAX, va_list). */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MMF_WIN32_API __attribute__((visibility("default")))
#else
#define MMF_WIN32_API
#endif

/* Calling conventions and annotations have no meaning on Linux. */
#ifndef WINAPI
#define WINAPI
#endif
#ifndef APIENTRY
#define APIENTRY
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef WINBASEAPI
#define WINBASEAPI
#endif
#ifndef WINAPIV
#define WINAPIV
#endif
/* MSVC's calling conventions and its 64-bit integer keyword: empty (and
 * long long) for GCC and Clang here, where one convention serves all. */
#ifndef __cdecl
#define __cdecl
#endif
#ifndef __stdcall
#define __stdcall
#endif
#ifndef __fastcall
#define __fastcall
#endif
#ifndef __int64
#define __int64 long long
#endif
#ifndef __int32
#define __int32 int
#endif
#ifndef FORCEINLINE
#define FORCEINLINE static inline
#endif
#ifndef CONST
#define CONST const
#endif
#ifndef VOID
#define VOID void
#endif

/* ------------------------------------------------------------------------ */
/* Types (Windows sizes: the LLP64 model)                                    */
/* ------------------------------------------------------------------------ */

typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef uint32_t DWORD;
typedef int BOOL;
typedef unsigned char BOOLEAN;
typedef int INT;
typedef unsigned int UINT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef int64_t LONG64;
typedef uint64_t ULONG64;
typedef uint64_t DWORD64;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef uintptr_t DWORD_PTR;
typedef uint16_t USHORT;
typedef ULONG_PTR KAFFINITY;
typedef size_t SIZE_T;
typedef intptr_t SSIZE_T;
typedef char CHAR;
typedef wchar_t WCHAR;
typedef void *PVOID;
typedef void *LPVOID;
typedef const void *LPCVOID;
typedef void *HANDLE;
typedef HANDLE *PHANDLE;
typedef HANDLE *LPHANDLE;
typedef DWORD *PDWORD;
typedef DWORD *LPDWORD;
typedef LONG *PLONG;
typedef LONG *LPLONG;
typedef ULONG *PULONG;
typedef BOOL *PBOOL;
typedef BOOL *LPBOOL;
typedef BYTE *PBYTE;
typedef BYTE *LPBYTE;
typedef CHAR *PSTR;
typedef CHAR *LPSTR;
typedef const CHAR *PCSTR;
typedef const CHAR *LPCSTR;
typedef WCHAR *PWSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *PCWSTR;
typedef const WCHAR *LPCWSTR;

#ifdef UNICODE
typedef WCHAR TCHAR;
#define __TEXT(quote) L##quote
#else
typedef char TCHAR;
#define __TEXT(quote) quote
#endif
typedef TCHAR *LPTSTR;
typedef const TCHAR *LPCTSTR;
#define TEXT(quote) __TEXT(quote)

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* A 64-bit integer with its 32-bit halves (file sizes and offsets). */
typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    };
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef void *PSID;
typedef void *HLOCAL;

/* An access-control list: this header, then AceCount ACEs. */
typedef struct _ACL {
    BYTE AclRevision;
    BYTE Sbz1;
    WORD AclSize;
    WORD AceCount;
    WORD Sbz2;
} ACL, *PACL;

/* The start of each ACE; an allow or deny ACE goes on with its access mask
 * and its trustee's SID. */
typedef struct _ACE_HEADER {
    BYTE AceType;
    BYTE AceFlags;
    WORD AceSize;
} ACE_HEADER, *PACE_HEADER;

/* A security descriptor in absolute form (Windows' layout and size). */
typedef struct _SECURITY_DESCRIPTOR {
    BYTE Revision;
    BYTE Sbz1;
    WORD Control;
    PSID Owner;
    PSID Group;
    PACL Sacl;
    PACL Dacl;
} SECURITY_DESCRIPTOR, *PISECURITY_DESCRIPTOR;
typedef void *PSECURITY_DESCRIPTOR;

typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

/* Only Offset/OffsetHigh are used: the file position of one ReadFile or
 * WriteFile. */
typedef struct _OVERLAPPED {
    ULONG_PTR Internal;
    ULONG_PTR InternalHigh;
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        };
        PVOID Pointer;
    };
    HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

typedef struct _SYSTEM_INFO {
    union {
        DWORD dwOemId;
        struct {
            WORD wProcessorArchitecture;
            WORD wReserved;
        };
    };
    DWORD dwPageSize;
    LPVOID lpMinimumApplicationAddress;
    LPVOID lpMaximumApplicationAddress;
    DWORD_PTR dwActiveProcessorMask;
    DWORD dwNumberOfProcessors;
    DWORD dwProcessorType;
    DWORD dwAllocationGranularity;
    WORD wProcessorLevel;
    WORD wProcessorRevision;
} SYSTEM_INFO, *LPSYSTEM_INFO;

/* CreateProcess: what the façade reads of STARTUPINFO is cb, dwFlags and,
 * with STARTF_USESTDHANDLES, the three standard handles; the other fields
 * (console and window placement) are accepted and ignored. */
typedef struct _STARTUPINFOA {
    DWORD cb;
    LPSTR lpReserved;
    LPSTR lpDesktop;
    LPSTR lpTitle;
    DWORD dwX, dwY, dwXSize, dwYSize, dwXCountChars, dwYCountChars;
    DWORD dwFillAttribute;
    DWORD dwFlags;
    WORD wShowWindow;
    WORD cbReserved2;
    LPBYTE lpReserved2;
    HANDLE hStdInput;
    HANDLE hStdOutput;
    HANDLE hStdError;
} STARTUPINFOA, *LPSTARTUPINFOA;
typedef struct _STARTUPINFOW {
    DWORD cb;
    LPWSTR lpReserved;
    LPWSTR lpDesktop;
    LPWSTR lpTitle;
    DWORD dwX, dwY, dwXSize, dwYSize, dwXCountChars, dwYCountChars;
    DWORD dwFillAttribute;
    DWORD dwFlags;
    WORD wShowWindow;
    WORD cbReserved2;
    LPBYTE lpReserved2;
    HANDLE hStdInput;
    HANDLE hStdOutput;
    HANDLE hStdError;
} STARTUPINFOW, *LPSTARTUPINFOW;

typedef struct _PROCESS_INFORMATION {
    HANDLE hProcess;
    HANDLE hThread;
    DWORD dwProcessId;
    DWORD dwThreadId;
} PROCESS_INFORMATION, *PPROCESS_INFORMATION, *LPPROCESS_INFORMATION;

/* What VirtualQuery reports of a range of pages. */
typedef struct _MEMORY_BASIC_INFORMATION {
    PVOID BaseAddress;
    PVOID AllocationBase;
    DWORD AllocationProtect;
    WORD PartitionId;
    SIZE_T RegionSize;
    DWORD State;
    DWORD Protect;
    DWORD Type;
} MEMORY_BASIC_INFORMATION, *PMEMORY_BASIC_INFORMATION;

typedef DWORD(WINAPI *PTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
typedef PTHREAD_START_ROUTINE LPTHREAD_START_ROUTINE;

/* ------------------------------------------------------------------------ */
/* Constants (values of the Windows SDK)                                     */
/* ------------------------------------------------------------------------ */

#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)
#define INFINITE 0xFFFFFFFF
#define MAX_PATH 260
#define MAXIMUM_WAIT_OBJECTS 64

/* Wait results. */
#define WAIT_OBJECT_0 ((DWORD)0x00000000)
#define WAIT_ABANDONED ((DWORD)0x00000080)
#define WAIT_ABANDONED_0 ((DWORD)0x00000080)
#define WAIT_TIMEOUT 258
#define WAIT_FAILED ((DWORD)0xFFFFFFFF)
#define STILL_ACTIVE 259

/* Error codes (GetLastError). */
#define ERROR_SUCCESS 0
#define NO_ERROR 0
#define ERROR_INVALID_FUNCTION 1
#define ERROR_FILE_NOT_FOUND 2
#define ERROR_PATH_NOT_FOUND 3
#define ERROR_TOO_MANY_OPEN_FILES 4
#define ERROR_ACCESS_DENIED 5
#define ERROR_INVALID_HANDLE 6
#define ERROR_NOT_ENOUGH_MEMORY 8
#define ERROR_INVALID_DATA 13
#define ERROR_BAD_LENGTH 24
#define ERROR_OUTOFMEMORY 14
#define ERROR_WRITE_PROTECT 19
#define ERROR_GEN_FAILURE 31
#define ERROR_SHARING_VIOLATION 32
#define ERROR_HANDLE_EOF 38
#define ERROR_NOT_SUPPORTED 50
#define ERROR_FILE_EXISTS 80
#define ERROR_INVALID_PARAMETER 87
#define ERROR_DISK_FULL 112
#define ERROR_INSUFFICIENT_BUFFER 122
#define ERROR_INVALID_NAME 123
#define ERROR_NEGATIVE_SEEK 131
#define ERROR_DIR_NOT_EMPTY 145
#define ERROR_BAD_PATHNAME 161
#define ERROR_BUSY 170
#define ERROR_ALREADY_EXISTS 183
#define ERROR_BAD_EXE_FORMAT 193
#define ERROR_FILENAME_EXCED_RANGE 206
#define ERROR_DIRECTORY 267
#define ERROR_NOT_OWNER 288
#define ERROR_TOO_MANY_POSTS 298
#define ERROR_TIMER_RESUME_IGNORED 722
#define ERROR_INVALID_ADDRESS 487
#define ERROR_ARITHMETIC_OVERFLOW 534
#define ERROR_MUTANT_LIMIT_EXCEEDED 587
#define ERROR_NOACCESS 998
#define ERROR_FILE_INVALID 1006
#define ERROR_NO_UNICODE_TRANSLATION 1113
#define ERROR_IO_DEVICE 1117
#define ERROR_MAPPED_ALIGNMENT 1132
#define ERROR_USER_MAPPED_FILE 1224
#define ERROR_NOT_ALL_ASSIGNED 1300
#define ERROR_UNKNOWN_REVISION 1305
#define ERROR_INVALID_SECURITY_DESCR 1338
#define ERROR_PRIVILEGE_NOT_HELD 1314
#define ERROR_FILE_CORRUPT 1392
#define ERROR_NO_SYSTEM_RESOURCES 1450
#define ERROR_COMMITMENT_LIMIT 1455
#define ERROR_TIMEOUT 1460

/* Page protections (CreateFileMapping flProtect, low byte). */
#define PAGE_NOACCESS 0x01
#define PAGE_READONLY 0x02
#define PAGE_READWRITE 0x04
#define PAGE_WRITECOPY 0x08
#define PAGE_EXECUTE 0x10
#define PAGE_EXECUTE_READ 0x20
#define PAGE_EXECUTE_READWRITE 0x40
#define PAGE_EXECUTE_WRITECOPY 0x80
#define PAGE_GUARD 0x100
#define PAGE_NOCACHE 0x200
#define PAGE_WRITECOMBINE 0x400

/* VirtualAlloc, VirtualFree and VirtualQuery. */
#define MEM_COMMIT 0x00001000
#define MEM_RESERVE 0x00002000
#define MEM_DECOMMIT 0x00004000
#define MEM_RELEASE 0x00008000
#define MEM_FREE 0x00010000
#define MEM_PRIVATE 0x00020000
#define MEM_MAPPED 0x00040000
#define MEM_RESET 0x00080000
#define MEM_TOP_DOWN 0x00100000
#define MEM_WRITE_WATCH 0x00200000
#define MEM_PHYSICAL 0x00400000
#define MEM_RESET_UNDO 0x01000000
#define MEM_LARGE_PAGES 0x20000000
#define MEM_IMAGE 0x01000000

/* Section attributes (CreateFileMapping flProtect, high bits). */
#define SEC_FILE 0x800000
#define SEC_IMAGE 0x1000000
#define SEC_RESERVE 0x4000000
#define SEC_COMMIT 0x8000000
#define SEC_NOCACHE 0x10000000
#define SEC_IMAGE_NO_EXECUTE 0x11000000
#define SEC_WRITECOMBINE 0x40000000
#define SEC_LARGE_PAGES 0x80000000

/* Standard and generic access rights. */
#define DELETE 0x00010000
#define READ_CONTROL 0x00020000
#define WRITE_DAC 0x00040000
#define WRITE_OWNER 0x00080000
#define SYNCHRONIZE 0x00100000
#define STANDARD_RIGHTS_REQUIRED 0x000F0000
#define STANDARD_RIGHTS_READ READ_CONTROL
#define STANDARD_RIGHTS_WRITE READ_CONTROL
#define STANDARD_RIGHTS_EXECUTE READ_CONTROL
#define STANDARD_RIGHTS_ALL 0x001F0000
#define ACCESS_SYSTEM_SECURITY 0x01000000
#define MAXIMUM_ALLOWED 0x02000000
#define GENERIC_READ 0x80000000
#define GENERIC_WRITE 0x40000000
#define GENERIC_EXECUTE 0x20000000
#define GENERIC_ALL 0x10000000

/* File-mapping (section) access rights. */
#define SECTION_QUERY 0x0001
#define SECTION_MAP_WRITE 0x0002
#define SECTION_MAP_READ 0x0004
#define SECTION_MAP_EXECUTE 0x0008
#define SECTION_EXTEND_SIZE 0x0010
#define SECTION_MAP_EXECUTE_EXPLICIT 0x0020
#define SECTION_ALL_ACCESS 0x000F001F
#define FILE_MAP_COPY 0x0001
#define FILE_MAP_WRITE SECTION_MAP_WRITE
#define FILE_MAP_READ SECTION_MAP_READ
#define FILE_MAP_EXECUTE SECTION_MAP_EXECUTE_EXPLICIT
#define FILE_MAP_ALL_ACCESS SECTION_ALL_ACCESS

/* Synchronization object access rights. */
#define MUTANT_QUERY_STATE 0x0001
#define MUTEX_MODIFY_STATE MUTANT_QUERY_STATE
#define MUTANT_ALL_ACCESS 0x001F0001
#define MUTEX_ALL_ACCESS MUTANT_ALL_ACCESS
#define EVENT_QUERY_STATE 0x0001
#define EVENT_MODIFY_STATE 0x0002
#define EVENT_ALL_ACCESS 0x001F0003
#define SEMAPHORE_QUERY_STATE 0x0001
#define SEMAPHORE_MODIFY_STATE 0x0002
#define SEMAPHORE_ALL_ACCESS 0x001F0003
#define THREAD_TERMINATE 0x0001
#define THREAD_QUERY_INFORMATION 0x0040
#define THREAD_QUERY_LIMITED_INFORMATION 0x0800
#define THREAD_ALL_ACCESS 0x001FFFFF
#define PROCESS_TERMINATE 0x0001
#define PROCESS_CREATE_THREAD 0x0002
#define PROCESS_VM_OPERATION 0x0008
#define PROCESS_VM_READ 0x0010
#define PROCESS_VM_WRITE 0x0020
#define PROCESS_DUP_HANDLE 0x0040
#define PROCESS_CREATE_PROCESS 0x0080
#define PROCESS_SET_QUOTA 0x0100
#define PROCESS_SET_INFORMATION 0x0200
#define PROCESS_QUERY_INFORMATION 0x0400
#define PROCESS_SUSPEND_RESUME 0x0800
#define PROCESS_QUERY_LIMITED_INFORMATION 0x1000
#define PROCESS_ALL_ACCESS 0x001FFFFF

/* File access rights, sharing, creation and flags. */
#define FILE_READ_DATA 0x0001
#define FILE_WRITE_DATA 0x0002
#define FILE_APPEND_DATA 0x0004
#define FILE_READ_EA 0x0008
#define FILE_WRITE_EA 0x0010
#define FILE_EXECUTE 0x0020
#define FILE_READ_ATTRIBUTES 0x0080
#define FILE_WRITE_ATTRIBUTES 0x0100
#define FILE_ALL_ACCESS 0x001F01FF
#define FILE_GENERIC_READ 0x00120089
#define FILE_GENERIC_WRITE 0x00120116
#define FILE_GENERIC_EXECUTE 0x001200A0
#define FILE_SHARE_READ 0x00000001
#define FILE_SHARE_WRITE 0x00000002
#define FILE_SHARE_DELETE 0x00000004
#define CREATE_NEW 1
#define CREATE_ALWAYS 2
#define OPEN_EXISTING 3
#define OPEN_ALWAYS 4
#define TRUNCATE_EXISTING 5
#define FILE_ATTRIBUTE_READONLY 0x00000001
#define FILE_ATTRIBUTE_HIDDEN 0x00000002
#define FILE_ATTRIBUTE_SYSTEM 0x00000004
#define FILE_ATTRIBUTE_ARCHIVE 0x00000020
#define FILE_ATTRIBUTE_NORMAL 0x00000080
#define FILE_ATTRIBUTE_TEMPORARY 0x00000100
#define FILE_FLAG_WRITE_THROUGH 0x80000000
#define FILE_FLAG_OVERLAPPED 0x40000000
#define FILE_FLAG_NO_BUFFERING 0x20000000
#define FILE_FLAG_RANDOM_ACCESS 0x10000000
#define FILE_FLAG_SEQUENTIAL_SCAN 0x08000000
#define FILE_FLAG_DELETE_ON_CLOSE 0x04000000
#define FILE_BEGIN 0
#define FILE_CURRENT 1
#define FILE_END 2
#define INVALID_SET_FILE_POINTER ((DWORD)-1)
#define INVALID_FILE_SIZE ((DWORD)0xFFFFFFFF)

/* Security descriptors. */
#define SECURITY_DESCRIPTOR_REVISION 1
#define SECURITY_DESCRIPTOR_MIN_LENGTH (sizeof(SECURITY_DESCRIPTOR))
#define SE_DACL_PRESENT 0x0004
#define SE_DACL_DEFAULTED 0x0008
#define SE_SELF_RELATIVE 0x8000
#define ACL_REVISION 2
#define ACL_REVISION_DS 4
#define ACCESS_ALLOWED_ACE_TYPE 0x0
#define ACCESS_DENIED_ACE_TYPE 0x1
#define SDDL_REVISION_1 1

/* DuplicateHandle options. */
#define DUPLICATE_CLOSE_SOURCE 0x00000001
#define DUPLICATE_SAME_ACCESS 0x00000002

/* SetHandleInformation / GetHandleInformation. */
#define HANDLE_FLAG_INHERIT 0x00000001
#define HANDLE_FLAG_PROTECT_FROM_CLOSE 0x00000002

/* CreateProcess flags and STARTUPINFO.dwFlags. */
#define DEBUG_PROCESS 0x00000001
#define DEBUG_ONLY_THIS_PROCESS 0x00000002
#define DETACHED_PROCESS 0x00000008
#define CREATE_NEW_CONSOLE 0x00000010
#define NORMAL_PRIORITY_CLASS 0x00000020
#define IDLE_PRIORITY_CLASS 0x00000040
#define HIGH_PRIORITY_CLASS 0x00000080
#define REALTIME_PRIORITY_CLASS 0x00000100
#define CREATE_NEW_PROCESS_GROUP 0x00000200
#define CREATE_UNICODE_ENVIRONMENT 0x00000400
#define BELOW_NORMAL_PRIORITY_CLASS 0x00004000
#define ABOVE_NORMAL_PRIORITY_CLASS 0x00008000
#define EXTENDED_STARTUPINFO_PRESENT 0x00080000
#define CREATE_BREAKAWAY_FROM_JOB 0x01000000
#define CREATE_DEFAULT_ERROR_MODE 0x04000000
#define CREATE_NO_WINDOW 0x08000000
#define STARTF_USESHOWWINDOW 0x00000001
#define STARTF_USESTDHANDLES 0x00000100

/* CreateThread flags. */
#define CREATE_SUSPENDED 0x00000004
#define STACK_SIZE_PARAM_IS_A_RESERVATION 0x00010000

/* GetSystemInfo. */
#define PROCESSOR_ARCHITECTURE_INTEL 0
#define PROCESSOR_ARCHITECTURE_ARM 5
#define PROCESSOR_ARCHITECTURE_AMD64 9
#define PROCESSOR_ARCHITECTURE_ARM64 12
#define PROCESSOR_ARCHITECTURE_UNKNOWN 0xFFFF
#define PROCESSOR_INTEL_386 386
#define PROCESSOR_INTEL_486 486
#define PROCESSOR_INTEL_PENTIUM 586
#define PROCESSOR_AMD_X8664 8664
#define PROCESSOR_ARM 0 /* Windows reports 0 on ARM */

/* Memory helpers of winnt.h. */
#define CopyMemory(dst, src, len) memcpy((dst), (src), (len))
#define MoveMemory(dst, src, len) memmove((dst), (src), (len))
#define FillMemory(dst, len, fill) memset((dst), (fill), (len))
#define ZeroMemory(dst, len) memset((dst), 0, (len))
#define RtlCopyMemory CopyMemory
#define RtlMoveMemory MoveMemory
#define RtlFillMemory FillMemory
#define RtlZeroMemory ZeroMemory

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/* The calling thread's last error. Functions set it when they fail (and a
 * few on success, as documented: Create* set 0 or ERROR_ALREADY_EXISTS).
 * Functions that succeed leave it alone unless said otherwise. */
MMF_WIN32_API DWORD WINAPI GetLastError(void);
MMF_WIN32_API void WINAPI SetLastError(DWORD dwErrCode);

/* ------------------------------------------------------------------------ */
/* System information                                                        */
/* ------------------------------------------------------------------------ */

/*
 * Fill *lpSystemInfo: dwPageSize 4096 (the unit of protection and of
 * pagefile-backed section sizes), dwAllocationGranularity 65536 (the unit
 * of view offsets and view base addresses, which the façade enforces as
 * Windows does, A07), the processor count and architecture.
 * GetNativeSystemInfo() is the same.
 */
MMF_WIN32_API void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo);
MMF_WIN32_API void WINAPI GetNativeSystemInfo(LPSYSTEM_INFO lpSystemInfo);

/* ------------------------------------------------------------------------ */
/* NUMA                                                                      */
/* ------------------------------------------------------------------------ */

/* "No preferred node" for the *Numa calls' nndPreferred. */
#define NUMA_NO_PREFERRED_NODE ((DWORD)-1)

/* A processor group's affinity mask (GetNumaNodeProcessorMaskEx). */
typedef struct _GROUP_AFFINITY {
    KAFFINITY Mask;
    WORD Group;
    WORD Reserved[3];
} GROUP_AFFINITY, *PGROUP_AFFINITY;

/* *HighestNodeNumber = the highest NUMA node number (0 on a machine with
 * one node; mmf_numa_highest_node()). TRUE, or FALSE with
 * ERROR_INVALID_PARAMETER for a NULL pointer (J07). */
MMF_WIN32_API BOOL WINAPI GetNumaHighestNodeNumber(PULONG HighestNodeNumber);

/* The processors of NUMA node Node, in processor group 0 (the façade has
 * one group of up to 64 processors): the node's CPUs from Linux's
 * /sys/devices/system/node/node<N>/cpulist, or every online processor
 * without NUMA support. A node without processors gives Mask 0. TRUE, or
 * FALSE with ERROR_INVALID_PARAMETER (Node past the highest node, or a
 * NULL ProcessorMask; J07). */
MMF_WIN32_API BOOL WINAPI GetNumaNodeProcessorMaskEx(USHORT Node,
                                                     PGROUP_AFFINITY ProcessorMask);

/*
 * CreateFileMapping with a preferred NUMA node for the section's memory
 * (nndPreferred, or NUMA_NO_PREFERRED_NODE for none): the native section
 * is created with MMF_NODE(nndPreferred) (see NUMA in mmf.h; for a file
 * the page cache places the pages and the node does not). Opening an
 * existing name ignores the node. Returns and fails as CreateFileMapping,
 * and with ERROR_INVALID_PARAMETER for a node past
 * GetNumaHighestNodeNumber() (B17).
 */
MMF_WIN32_API HANDLE WINAPI CreateFileMappingNumaA(
    HANDLE hFile, LPSECURITY_ATTRIBUTES lpFileMappingAttributes,
    DWORD flProtect, DWORD dwMaximumSizeHigh, DWORD dwMaximumSizeLow,
    LPCSTR lpName, DWORD nndPreferred);
MMF_WIN32_API HANDLE WINAPI CreateFileMappingNumaW(
    HANDLE hFile, LPSECURITY_ATTRIBUTES lpFileMappingAttributes,
    DWORD flProtect, DWORD dwMaximumSizeHigh, DWORD dwMaximumSizeLow,
    LPCWSTR lpName, DWORD nndPreferred);

/*
 * MapViewOfFileEx with a preferred NUMA node for the view's memory
 * (nndPreferred, or NUMA_NO_PREFERRED_NODE for none): the native view is
 * mapped with MMF_NODE(nndPreferred), which Linux shows on the mapping in
 * /proc/self/numa_maps ("prefer:<n>"). Returns and fails as
 * MapViewOfFileEx, and with ERROR_INVALID_PARAMETER for a node past
 * GetNumaHighestNodeNumber() (G14).
 */
MMF_WIN32_API LPVOID WINAPI MapViewOfFileExNuma(HANDLE hFileMappingObject,
                                                DWORD dwDesiredAccess,
                                                DWORD dwFileOffsetHigh,
                                                DWORD dwFileOffsetLow,
                                                SIZE_T dwNumberOfBytesToMap,
                                                LPVOID lpBaseAddress,
                                                DWORD nndPreferred);

/*
 * VirtualAlloc in the process hProcess with a preferred NUMA node for the
 * new pages (nndPreferred, or NUMA_NO_PREFERRED_NODE for none; a memory
 * policy set with mbind(2) on the allocation). Only the calling process
 * (GetCurrentProcess() or a handle to it) is supported. Returns and fails
 * as VirtualAlloc, and with ERROR_INVALID_PARAMETER for a node past
 * GetNumaHighestNodeNumber(), ERROR_INVALID_HANDLE when hProcess is not a
 * process handle, ERROR_ACCESS_DENIED for another process (the façade
 * cannot allocate there, as DuplicateHandle cannot: F09) (J06).
 */
MMF_WIN32_API LPVOID WINAPI VirtualAllocExNuma(HANDLE hProcess, LPVOID lpAddress,
                                               SIZE_T dwSize, DWORD flAllocationType,
                                               DWORD flProtect, DWORD nndPreferred);

/* ------------------------------------------------------------------------ */
/* File mappings                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Create a file mapping (section) of dwMaximumSizeHigh:Low bytes, or open
 * the existing one of that name. hFile INVALID_HANDLE_VALUE gives a
 * pagefile-backed section (its size is rounded up to 4096, B09; it must not
 * be 0, B01); NULL means the same, as on Windows; a file handle from CreateFile gives a file-backed section (size
 * 0 means the file's size, D06; a larger writable section grows the file,
 * D03; an empty file with size 0 is ERROR_FILE_INVALID, D01). flProtect is
 * exactly one of PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY,
 * PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY (B14,
 * B15), optionally with SEC_COMMIT (default), SEC_RESERVE, SEC_NOCACHE,
 * SEC_WRITECOMBINE or SEC_LARGE_PAGES under Windows' rules (C05-C15).
 * The handle's rights follow flProtect (H09).
 *
 * A new object: returns its handle, GetLastError() 0 (B02). An existing
 * name of the same type: returns a handle to it, whose size and protection
 * stay (B03, B04), GetLastError() ERROR_ALREADY_EXISTS. Names are
 * case-sensitive (B06). NULL or "" makes an unnamed section.
 *
 * Returns NULL on failure, with GetLastError():
 *   ERROR_INVALID_PARAMETER  bad flProtect or SEC_* flags, size 0 for a
 *                            pagefile-backed section, PAGE_NOACCESS (D13)
 *   ERROR_INVALID_HANDLE     hFile is not a file handle, or the name
 *                            belongs to a mutex, event or semaphore (P03)
 *   ERROR_ACCESS_DENIED      the file's access does not allow flProtect
 *                            (D08, D10, D11, D15), or the name exists and
 *                            its permissions refuse the caller
 *   ERROR_FILE_INVALID       empty file and size 0 (D01)
 *   ERROR_NOT_ENOUGH_MEMORY  a read-only section larger than its file
 *                            (D05), or a size the system cannot hold (B12)
 *   ERROR_COMMITMENT_LIMIT   the store cannot commit the section (B13)
 *   ERROR_DISK_FULL          the file cannot grow (D04)
 *   ERROR_BAD_EXE_FORMAT     SEC_IMAGE (images are not supported; C07), or
 *                            the file cannot be mapped
 *   ERROR_PRIVILEGE_NOT_HELD SEC_LARGE_PAGES where the system has no huge
 *                            pages to give (C17)
 *   ERROR_BAD_PATHNAME       a name that starts with a backslash (V01)
 *   ERROR_PATH_NOT_FOUND     a backslash in the name after its prefix (P12)
 *   ERROR_INVALID_NAME       a name that is not valid UTF-8 / UTF-32 (a
 *                            façade error: Windows converts any bytes of
 *                            an A name through the ANSI code page)
 *   ERROR_FILENAME_EXCED_RANGE  an A name longer than MAX_PATH UTF-16
 *                            units (P16), a W name longer than
 *                            MMF_NAME_MAX bytes of UTF-8 (P17)
 *   ERROR_TOO_MANY_OPEN_FILES   out of file descriptors (a façade error:
 *                            Windows has no such per-process limit)
 */
MMF_WIN32_API HANDLE WINAPI CreateFileMappingA(
    HANDLE hFile, LPSECURITY_ATTRIBUTES lpFileMappingAttributes,
    DWORD flProtect, DWORD dwMaximumSizeHigh, DWORD dwMaximumSizeLow,
    LPCSTR lpName);
MMF_WIN32_API HANDLE WINAPI CreateFileMappingW(
    HANDLE hFile, LPSECURITY_ATTRIBUTES lpFileMappingAttributes,
    DWORD flProtect, DWORD dwMaximumSizeHigh, DWORD dwMaximumSizeLow,
    LPCWSTR lpName);

/*
 * Open the existing file mapping lpName with dwDesiredAccess (FILE_MAP_*,
 * SECTION_*, standard and generic rights; FILE_MAP_COPY opens for reading).
 * bInheritHandle has no effect. GetLastError() is left alone on success.
 * Returns NULL on failure, with GetLastError():
 *   ERROR_FILE_NOT_FOUND     no such name, or its last handle was closed
 *                            (E01, E02, E10)
 *   ERROR_INVALID_HANDLE     the name belongs to another type (E09)
 *   ERROR_INVALID_PARAMETER  lpName NULL
 *   ERROR_INVALID_HANDLE     lpName ""
 *   ERROR_ACCESS_DENIED      the object's permissions refuse the caller
 *   ERROR_PATH_NOT_FOUND, ERROR_INVALID_NAME, ERROR_FILENAME_EXCED_RANGE
 *                            as for CreateFileMapping
 */
MMF_WIN32_API HANDLE WINAPI OpenFileMappingA(DWORD dwDesiredAccess,
                                             BOOL bInheritHandle,
                                             LPCSTR lpName);
MMF_WIN32_API HANDLE WINAPI OpenFileMappingW(DWORD dwDesiredAccess,
                                             BOOL bInheritHandle,
                                             LPCWSTR lpName);

/*
 * Map a view of dwNumberOfBytesToMap bytes (0: to the end of the section,
 * G06) from the offset dwFileOffsetHigh:Low, which must be a multiple of
 * 65536 (G01). The view's protection follows dwDesiredAccess (H07):
 * FILE_MAP_WRITE (or FILE_MAP_ALL_ACCESS) read-write and shared;
 * FILE_MAP_READ read-only; FILE_MAP_COPY alone copy-on-write; none of them
 * no access; FILE_MAP_EXECUTE adds execute. The view's base address is a
 * multiple of 65536 (G09). Views alias the same memory (G10) and stay
 * valid after the handle is closed (N01). GetLastError() is left alone on
 * success.
 * Returns NULL on failure, with GetLastError():
 *   ERROR_INVALID_HANDLE     hFileMappingObject is not a file mapping
 *   ERROR_ACCESS_DENIED      the handle lacks the right the view needs
 *                            (E03, E05, H02-H06, H08, H10, H11), or the
 *                            size runs past the end of the section (G07)
 *   ERROR_MAPPED_ALIGNMENT   offset not a multiple of 65536 (G01)
 *   ERROR_INVALID_PARAMETER  offset at or past the end (G08), unknown bits
 *   ERROR_NOT_ENOUGH_MEMORY  no address space
 *   ERROR_NOT_SUPPORTED      an executable view where the store forbids it
 *                            (a façade error: /dev/shm mounted noexec)
 */
MMF_WIN32_API LPVOID WINAPI MapViewOfFile(HANDLE hFileMappingObject,
                                          DWORD dwDesiredAccess,
                                          DWORD dwFileOffsetHigh,
                                          DWORD dwFileOffsetLow,
                                          SIZE_T dwNumberOfBytesToMap);

/*
 * As MapViewOfFile, at lpBaseAddress if it is not NULL (G05). Fails with
 * ERROR_MAPPED_ALIGNMENT if lpBaseAddress is not a multiple of 65536 (G03)
 * and ERROR_INVALID_ADDRESS if the range is in use (G04, G13).
 */
MMF_WIN32_API LPVOID WINAPI MapViewOfFileEx(HANDLE hFileMappingObject,
                                            DWORD dwDesiredAccess,
                                            DWORD dwFileOffsetHigh,
                                            DWORD dwFileOffsetLow,
                                            SIZE_T dwNumberOfBytesToMap,
                                            LPVOID lpBaseAddress);

/*
 * Unmap the view containing lpBaseAddress; any address inside a view
 * unmaps the whole view (L02). Returns TRUE, or FALSE with
 * ERROR_INVALID_ADDRESS when the address is not in a view (L03-L07).
 */
MMF_WIN32_API BOOL WINAPI UnmapViewOfFile(LPCVOID lpBaseAddress);

/*
 * Start writing the modified pages of [lpBaseAddress, +dwNumberOfBytesToFlush)
 * of a view to its file (0: to the end of the view; M01, M02); does nothing
 * for pagefile-backed views. Does not wait for the disk: use
 * FlushFileBuffers for durability. Returns TRUE, or FALSE with
 * ERROR_INVALID_ADDRESS (not in a view, or the range runs past it) or
 * ERROR_GEN_FAILURE (I/O error).
 */
MMF_WIN32_API BOOL WINAPI FlushViewOfFile(LPCVOID lpBaseAddress,
                                          SIZE_T dwNumberOfBytesToFlush);

/* ------------------------------------------------------------------------ */
/* Virtual memory: views and private memory                                  */
/* ------------------------------------------------------------------------ */

/*
 * Describe the pages from lpAddress (rounded down to a page) that share
 * one state, protection and allocation (J01, J02): BaseAddress,
 * AllocationBase (the view's base, or VirtualAlloc's), AllocationProtect
 * (the view's mapping or VirtualAlloc's protection), RegionSize, State
 * (MEM_COMMIT, MEM_RESERVE, MEM_FREE), Protect (the current PAGE_* value;
 * 0 for reserved pages) and Type (MEM_MAPPED for a view, MEM_PRIVATE,
 * MEM_IMAGE for a file the system mapped). Returns the size of *lpBuffer,
 * or 0 with ERROR_BAD_LENGTH (dwLength too small) or
 * ERROR_INVALID_PARAMETER (an address above the highest one a program
 * can use). A page of a SEC_RESERVE view that the system has swapped out
 * is reported MEM_RESERVE: Linux tells only which pages are in memory.
 */
MMF_WIN32_API SIZE_T WINAPI VirtualQuery(LPCVOID lpAddress,
                                         PMEMORY_BASIC_INFORMATION lpBuffer,
                                         SIZE_T dwLength);

/*
 * Private memory: MEM_RESERVE (with or without MEM_COMMIT) makes a new
 * allocation of dwSize bytes (rounded up to pages) at a 64 KiB boundary,
 * at lpAddress (rounded down to 64 KiB) if it is not NULL; MEM_COMMIT
 * alone with lpAddress NULL does the same with every page committed. Pages
 * are zero when first committed. MEM_COMMIT inside an allocation commits
 * its pages with flProtect (PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE,
 * PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE).
 *
 * Views: MEM_COMMIT on a view of a SEC_RESERVE section commits the pages in
 * the section, so every view in every process sees them committed (J03);
 * on any view it gives the view's pages flProtect, which must be within
 * what the view was mapped with (PAGE_WRITECOPY for a copy-on-write one).
 * MEM_RESET says the contents are no longer needed: private pages may be
 * dropped (they then read as zero or as before), a view's are kept (J04).
 *
 * Returns the base of the pages, or NULL with GetLastError():
 *   ERROR_INVALID_PARAMETER  dwSize 0, unknown or conflicting flags, a bad
 *                            flProtect, more than a view allows
 *   ERROR_INVALID_ADDRESS    lpAddress in use (MEM_RESERVE), or not inside
 *                            one allocation or view (MEM_COMMIT, MEM_RESET)
 *   ERROR_PRIVILEGE_NOT_HELD MEM_LARGE_PAGES (no one holds the lock-pages
 *                            privilege here)
 *   ERROR_NOT_SUPPORTED      MEM_WRITE_WATCH, MEM_PHYSICAL, MEM_RESET_UNDO
 *                            (a façade error)
 *   ERROR_NOT_ENOUGH_MEMORY, ERROR_COMMITMENT_LIMIT
 */
MMF_WIN32_API LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize,
                                         DWORD flAllocationType, DWORD flProtect);

/*
 * MEM_DECOMMIT: decommit [lpAddress, +dwSize) of a private allocation
 * (dwSize 0 with the allocation's base: all of it); its contents are lost.
 * MEM_RELEASE (dwSize must be 0, lpAddress the allocation's base): give the
 * allocation back. Views cannot be decommitted or released (J04): use
 * UnmapViewOfFile. TRUE, or FALSE with ERROR_INVALID_PARAMETER (another
 * dwFreeType, MEM_RELEASE with a size, a view), ERROR_INVALID_ADDRESS (not
 * an allocation, or not its base for MEM_RELEASE).
 */
MMF_WIN32_API BOOL WINAPI VirtualFree(LPVOID lpAddress, SIZE_T dwSize,
                                      DWORD dwFreeType);

/*
 * Give the committed pages of [lpAddress, +dwSize) flNewProtect;
 * *lpflOldProtect gets the first page's protection before (J05). In a view,
 * flNewProtect must be within what the view was mapped with: read-write
 * in a read-only view, or PAGE_READWRITE in a copy-on-write view, fails
 * with ERROR_INVALID_PARAMETER. TRUE, or FALSE with ERROR_INVALID_ADDRESS
 * (a page not committed, or the range not in one allocation),
 * ERROR_INVALID_PARAMETER, ERROR_NOACCESS (lpflOldProtect NULL).
 */
MMF_WIN32_API BOOL WINAPI VirtualProtect(LPVOID lpAddress, SIZE_T dwSize,
                                         DWORD flNewProtect, PDWORD lpflOldProtect);

/* ------------------------------------------------------------------------ */
/* Handles                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * Close any handle of this header (mapping, file, mutex, event, semaphore,
 * thread). Views of a closed mapping stay valid (O02); closing a mutex
 * handle neither releases nor abandons the mutex (Q04). The last handle to
 * a named object removes its name (N02, N07). Closing a pseudo-handle does
 * nothing and returns TRUE. Returns TRUE, or FALSE with
 * ERROR_INVALID_HANDLE (NULL, garbage, already closed; O01).
 */
MMF_WIN32_API BOOL WINAPI CloseHandle(HANDLE hObject);

/*
 * Make a second handle to the object of hSourceHandle, within the current
 * process: both process handles must name the calling process
 * (GetCurrentProcess(), or a real handle to it). The new handle
 * gets dwDesiredAccess, or the source's access with DUPLICATE_SAME_ACCESS;
 * a file mapping's access cannot be widened beyond the source's
 * (ERROR_ACCESS_DENIED, O05). DUPLICATE_CLOSE_SOURCE closes the source,
 * even if the call fails (O03). Duplicating GetCurrentThread() gives a real
 * handle to the calling thread, waitable until it exits; GetCurrentProcess()
 * a real handle to the calling process (F10). bInheritHandle makes the new
 * handle inheritable. lpTargetHandle NULL makes no duplicate (the call then only checks, and
 * closes the source with DUPLICATE_CLOSE_SOURCE).
 * Returns TRUE, or FALSE with ERROR_INVALID_HANDLE (a bad handle or
 * process handle), ERROR_INVALID_PARAMETER (unknown options: a façade
 * error, Windows ignores them),
 * ERROR_ACCESS_DENIED (undefined rights, widening a mapping's rights, or
 * a process handle to another process: see F09; DUPLICATE_CLOSE_SOURCE
 * then closes nothing), ERROR_NOT_ENOUGH_MEMORY.
 */
MMF_WIN32_API BOOL WINAPI DuplicateHandle(HANDLE hSourceProcessHandle,
                                          HANDLE hSourceHandle,
                                          HANDLE hTargetProcessHandle,
                                          LPHANDLE lpTargetHandle,
                                          DWORD dwDesiredAccess,
                                          BOOL bInheritHandle,
                                          DWORD dwOptions);

/*
 * A handle's flags: HANDLE_FLAG_INHERIT (given to children by
 * CreateProcess with bInheritHandles TRUE) and
 * HANDLE_FLAG_PROTECT_FROM_CLOSE (CloseHandle then fails with
 * ERROR_INVALID_HANDLE). SetHandleInformation changes the flags of dwMask
 * to those of dwFlags. TRUE, or FALSE with ERROR_INVALID_HANDLE.
 */
MMF_WIN32_API BOOL WINAPI GetHandleInformation(HANDLE hObject, LPDWORD lpdwFlags);
MMF_WIN32_API BOOL WINAPI SetHandleInformation(HANDLE hObject, DWORD dwMask,
                                               DWORD dwFlags);

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Open or create the file lpFileName (a POSIX path) with dwDesiredAccess
 * (GENERIC_READ, GENERIC_WRITE, GENERIC_EXECUTE, FILE_* rights, or 0 for a
 * handle that can only be queried) and dwCreationDisposition (CREATE_NEW,
 * CREATE_ALWAYS, OPEN_EXISTING, OPEN_ALWAYS, TRUNCATE_EXISTING). A new file
 * gets mode 0666 less the umask. dwShareMode is accepted but not enforced.
 * FILE_FLAG_WRITE_THROUGH makes writes synchronous (O_DSYNC),
 * FILE_FLAG_DELETE_ON_CLOSE removes the file when this handle closes.
 * FILE_FLAG_OVERLAPPED is refused (ERROR_INVALID_PARAMETER, a façade
 * error: there is no overlapped I/O); hTemplateFile is ignored.
 * CREATE_ALWAYS and OPEN_ALWAYS on an existing file succeed with
 * GetLastError() ERROR_ALREADY_EXISTS, else 0.
 * Returns INVALID_HANDLE_VALUE on failure, with GetLastError():
 *   ERROR_FILE_NOT_FOUND     no such file (OPEN_EXISTING, TRUNCATE_EXISTING)
 *   ERROR_PATH_NOT_FOUND     a directory of the path does not exist, or
 *                            the name is NULL or "" (D22)
 *   ERROR_FILE_EXISTS        CREATE_NEW and the file exists
 *   ERROR_ACCESS_DENIED      permission denied, or a directory
 *   ERROR_INVALID_PARAMETER  bad disposition, TRUNCATE_EXISTING without
 *                            write access
 *   ERROR_WRITE_PROTECT, ERROR_DISK_FULL, ERROR_FILENAME_EXCED_RANGE,
 *   ERROR_TOO_MANY_OPEN_FILES, ERROR_SHARING_VIOLATION (a running program)
 */
MMF_WIN32_API HANDLE WINAPI CreateFileA(LPCSTR lpFileName,
                                        DWORD dwDesiredAccess,
                                        DWORD dwShareMode,
                                        LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                        DWORD dwCreationDisposition,
                                        DWORD dwFlagsAndAttributes,
                                        HANDLE hTemplateFile);
MMF_WIN32_API HANDLE WINAPI CreateFileW(LPCWSTR lpFileName,
                                        DWORD dwDesiredAccess,
                                        DWORD dwShareMode,
                                        LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                        DWORD dwCreationDisposition,
                                        DWORD dwFlagsAndAttributes,
                                        HANDLE hTemplateFile);

/*
 * The file's size: the low 32 bits, the high ones in *lpFileSizeHigh (if not
 * NULL). On failure INVALID_FILE_SIZE with GetLastError() set
 * (ERROR_INVALID_HANDLE); a size whose low part is 0xFFFFFFFF returns it
 * with GetLastError() NO_ERROR.
 */
MMF_WIN32_API DWORD WINAPI GetFileSize(HANDLE hFile, LPDWORD lpFileSizeHigh);
/* The file's size in *lpFileSize. TRUE, or FALSE with ERROR_INVALID_HANDLE. */
MMF_WIN32_API BOOL WINAPI GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize);

/*
 * Move the file position by lDistanceToMove (with *lpDistanceToMoveHigh as
 * the high 32 bits if not NULL; otherwise a signed 32-bit distance) from
 * FILE_BEGIN, FILE_CURRENT or FILE_END. Returns the new position's low 32
 * bits (the high ones in *lpDistanceToMoveHigh), or INVALID_SET_FILE_POINTER
 * with GetLastError(): ERROR_NEGATIVE_SEEK (before the start; the position
 * does not move), ERROR_INVALID_PARAMETER (bad method),
 * ERROR_INVALID_HANDLE. A position past 4 GiB without lpDistanceToMoveHigh
 * is set, and its low 32 bits returned (as Wine does). A successful return
 * of 0xFFFFFFFF sets GetLastError() to NO_ERROR.
 */
MMF_WIN32_API DWORD WINAPI SetFilePointer(HANDLE hFile, LONG lDistanceToMove,
                                          PLONG lpDistanceToMoveHigh,
                                          DWORD dwMoveMethod);
/* As SetFilePointer with a 64-bit distance; the new position goes to
 * *lpNewFilePointer if not NULL. TRUE, or FALSE with the errors above. */
MMF_WIN32_API BOOL WINAPI SetFilePointerEx(HANDLE hFile,
                                           LARGE_INTEGER liDistanceToMove,
                                           PLARGE_INTEGER lpNewFilePointer,
                                           DWORD dwMoveMethod);

/* Make the current position the end of the file (grow or shrink it).
 * TRUE, or FALSE with ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED (no write
 * access), ERROR_DISK_FULL, ERROR_USER_MAPPED_FILE (shrinking a file that
 * a view maps, in this or any other process the caller may inspect: D20;
 * see mmf_file_mapped()). */
MMF_WIN32_API BOOL WINAPI SetEndOfFile(HANDLE hFile);

/* Write the file's data and metadata to stable storage (fsync). TRUE, or
 * FALSE with ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED (no write access,
 * as on Windows), ERROR_GEN_FAILURE. */
MMF_WIN32_API BOOL WINAPI FlushFileBuffers(HANDLE hFile);

/*
 * Read up to nNumberOfBytesToRead bytes at the file position (or at
 * lpOverlapped->Offset/OffsetHigh, without moving the position, if
 * lpOverlapped is not NULL). *lpNumberOfBytesRead gets the count; 0 at the
 * end of the file with TRUE. Returns TRUE, or FALSE with
 * ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED (no read access),
 * ERROR_INVALID_PARAMETER (lpNumberOfBytesRead and lpOverlapped both NULL,
 * which Microsoft's page forbids: a façade error, Windows reads anyway),
 * ERROR_GEN_FAILURE.
 */
MMF_WIN32_API BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer,
                                   DWORD nNumberOfBytesToRead,
                                   LPDWORD lpNumberOfBytesRead,
                                   LPOVERLAPPED lpOverlapped);
/* As ReadFile, writing. Also ERROR_DISK_FULL. */
MMF_WIN32_API BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer,
                                    DWORD nNumberOfBytesToWrite,
                                    LPDWORD lpNumberOfBytesWritten,
                                    LPOVERLAPPED lpOverlapped);

/* Delete the file lpFileName. TRUE, or FALSE with ERROR_FILE_NOT_FOUND,
 * ERROR_PATH_NOT_FOUND (also for NULL or "", D22), ERROR_ACCESS_DENIED (no
 * permission, a directory, or a file that a view maps, in this or any
 * other process the caller may inspect: D21). An open file that no view
 * maps is deleted too (see KNOWN DIFFERENCES). */
MMF_WIN32_API BOOL WINAPI DeleteFileA(LPCSTR lpFileName);
MMF_WIN32_API BOOL WINAPI DeleteFileW(LPCWSTR lpFileName);

/* ------------------------------------------------------------------------ */
/* Security descriptors                                                      */
/* ------------------------------------------------------------------------ */

/*
 * The lpSecurityDescriptor of the SECURITY_ATTRIBUTES that
 * CreateFileMapping, CreateMutex, CreateEvent and CreateSemaphore take
 * decides who else may open a new named object (K01-K04); opening an
 * existing name ignores it, as on Windows. Linux's model is the object
 * file's permissions: the owner (the creating user) and every other user.
 *   - NULL attributes, a NULL descriptor, or one without a DACL: the
 *     default, the owner only.
 *   - A NULL DACL (SetSecurityDescriptorDacl(sd, TRUE, NULL, FALSE)):
 *     every user.
 *   - A DACL: allow ACEs for Everyone (WD), Authenticated Users (AU),
 *     Builtin Users (BU) and Interactive (IU) grant every user, and the
 *     owner, their rights; ACEs for the owner (OW, CO) grant the owner;
 *     Administrators (BA) and Local System (SY) are root, whom Linux never
 *     refuses; Guests (BG) and Anonymous (AN) match nobody. Deny ACEs take
 *     rights away. A section's rights are read (SECTION_MAP_READ, and the
 *     generic rights that include it) and write; a mutex, event or
 *     semaphore is usable with SYNCHRONIZE (a lesser grant gives nothing).
 *     An empty DACL lets no one but root open the object.
 * A descriptor that says what cannot be expressed (another SID, a deny
 * for BA or SY, another ACE type) makes the Create call fail with
 * ERROR_INVALID_SECURITY_DESCR instead of being widened or ignored (a
 * façade error: Windows would create the object).
 */

/* A blank descriptor (no DACL). TRUE, or FALSE with
 * ERROR_UNKNOWN_REVISION (dwRevision is not SECURITY_DESCRIPTOR_REVISION). */
MMF_WIN32_API BOOL WINAPI InitializeSecurityDescriptor(PSECURITY_DESCRIPTOR pSecurityDescriptor,
                                                       DWORD dwRevision);
/* Set the DACL: absent (bDaclPresent FALSE), NULL (everyone), or pDacl,
 * which the caller keeps alive while the descriptor is used. TRUE, or
 * FALSE with ERROR_UNKNOWN_REVISION (not initialized). */
MMF_WIN32_API BOOL WINAPI SetSecurityDescriptorDacl(PSECURITY_DESCRIPTOR pSecurityDescriptor,
                                                    BOOL bDaclPresent, PACL pDacl,
                                                    BOOL bDaclDefaulted);
/* An empty ACL of nAclLength bytes. TRUE, or FALSE with
 * ERROR_INSUFFICIENT_BUFFER (smaller than an ACL) or
 * ERROR_INVALID_PARAMETER (bad revision or length). */
MMF_WIN32_API BOOL WINAPI InitializeAcl(PACL pAcl, DWORD nAclLength, DWORD dwAclRevision);

/*
 * Convert an SDDL string ("D:(A;;GA;;;WD)") into a new descriptor, freed
 * with LocalFree(). Parts O: and G: (owner, group) and S: (audit and label
 * ACEs) are checked and not kept: on Linux the owner is the creator and
 * there are no audit or integrity labels. D: takes the flags P, AI, AR,
 * NO_ACCESS_CONTROL (a NULL DACL) and allow (A) and deny (D) ACEs with
 * the rights GA, GR, GW, GX, RC, SD, WD, WO, FA, FR, FW, FX, KA, KR, KW,
 * KX, the directory-service rights, or a hex mask ("0x1f0003"), for the
 * trustees WD, AU, BU, IU, OW, CO, BA, SY, BG, AN or an "S-1-..." SID.
 * *SecurityDescriptorSize (if not NULL) gets its size. TRUE, or FALSE with
 * ERROR_INVALID_PARAMETER (bad SDDL, or an object ACE), ERROR_UNKNOWN_REVISION
 * (StringSDRevision is not SDDL_REVISION_1), ERROR_NOT_ENOUGH_MEMORY.
 */
MMF_WIN32_API BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorA(
    LPCSTR StringSecurityDescriptor, DWORD StringSDRevision,
    PSECURITY_DESCRIPTOR *SecurityDescriptor, PULONG SecurityDescriptorSize);
MMF_WIN32_API BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorW(
    LPCWSTR StringSecurityDescriptor, DWORD StringSDRevision,
    PSECURITY_DESCRIPTOR *SecurityDescriptor, PULONG SecurityDescriptorSize);

/* Free what ConvertStringSecurityDescriptorToSecurityDescriptor returned
 * (or NULL). Returns NULL. */
MMF_WIN32_API HLOCAL WINAPI LocalFree(HLOCAL hMem);

/* ------------------------------------------------------------------------ */
/* Mutexes, events, semaphores                                               */
/* ------------------------------------------------------------------------ */

/*
 * The Create* functions return a handle with all access. A new object:
 * GetLastError() 0. An existing name of the same type: a handle to it,
 * GetLastError() ERROR_ALREADY_EXISTS, the creation arguments ignored (Q15,
 * R02, S02). NULL or "" makes an unnamed object. On failure NULL, with
 * GetLastError() ERROR_INVALID_HANDLE (the name belongs to another type,
 * P01-P04), ERROR_ACCESS_DENIED (its permissions refuse the caller),
 * ERROR_PATH_NOT_FOUND, ERROR_INVALID_NAME, ERROR_FILENAME_EXCED_RANGE
 * (bad names, as for CreateFileMapping), ERROR_NOT_ENOUGH_MEMORY,
 * ERROR_COMMITMENT_LIMIT (store full), ERROR_TOO_MANY_OPEN_FILES.
 *
 * The Open* functions take dwDesiredAccess: the object's specific rights,
 * DELETE, READ_CONTROL, WRITE_DAC, WRITE_OWNER, SYNCHRONIZE, the GENERIC_*
 * rights and MAXIMUM_ALLOWED. 0 and undefined bits fail with
 * ERROR_ACCESS_DENIED (Q03, Q09), ACCESS_SYSTEM_SECURITY with
 * ERROR_PRIVILEGE_NOT_HELD. A handle without SYNCHRONIZE cannot wait (Q05);
 * SetEvent/ResetEvent/PulseEvent need EVENT_MODIFY_STATE (R14),
 * ReleaseSemaphore SEMAPHORE_MODIFY_STATE (S10); ReleaseMutex works through
 * any handle (Q08). On failure NULL, with GetLastError()
 * ERROR_FILE_NOT_FOUND (no such name, N07), ERROR_INVALID_PARAMETER (lpName
 * NULL, P08), ERROR_INVALID_HANDLE (another type, P05), and the name errors.
 * bInheritHandle has no effect.
 */

/* Create a mutex, owned by the calling thread if bInitialOwner (and the
 * object is new, Q15). */
MMF_WIN32_API HANDLE WINAPI CreateMutexA(LPSECURITY_ATTRIBUTES lpMutexAttributes,
                                         BOOL bInitialOwner, LPCSTR lpName);
MMF_WIN32_API HANDLE WINAPI CreateMutexW(LPSECURITY_ATTRIBUTES lpMutexAttributes,
                                         BOOL bInitialOwner, LPCWSTR lpName);
MMF_WIN32_API HANDLE WINAPI OpenMutexA(DWORD dwDesiredAccess,
                                       BOOL bInheritHandle, LPCSTR lpName);
MMF_WIN32_API HANDLE WINAPI OpenMutexW(DWORD dwDesiredAccess,
                                       BOOL bInheritHandle, LPCWSTR lpName);

/*
 * Release one acquisition of the mutex by the calling thread (Q07). TRUE,
 * or FALSE with ERROR_NOT_OWNER (the thread does not own it; Q10, Q11),
 * ERROR_INVALID_HANDLE (not a mutex handle).
 */
MMF_WIN32_API BOOL WINAPI ReleaseMutex(HANDLE hMutex);

/* Create an event, manual-reset if bManualReset, signaled if
 * bInitialState. */
MMF_WIN32_API HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes,
                                         BOOL bManualReset, BOOL bInitialState,
                                         LPCSTR lpName);
MMF_WIN32_API HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes,
                                         BOOL bManualReset, BOOL bInitialState,
                                         LPCWSTR lpName);
MMF_WIN32_API HANDLE WINAPI OpenEventA(DWORD dwDesiredAccess,
                                       BOOL bInheritHandle, LPCSTR lpName);
MMF_WIN32_API HANDLE WINAPI OpenEventW(DWORD dwDesiredAccess,
                                       BOOL bInheritHandle, LPCWSTR lpName);

/*
 * SetEvent signals the event (R12, R13), ResetEvent clears it, PulseEvent
 * releases the threads waiting now and clears it (R09-R11, R16). TRUE, or
 * FALSE with ERROR_INVALID_HANDLE (not an event, R15), ERROR_ACCESS_DENIED
 * (no EVENT_MODIFY_STATE, R14).
 */
MMF_WIN32_API BOOL WINAPI SetEvent(HANDLE hEvent);
MMF_WIN32_API BOOL WINAPI ResetEvent(HANDLE hEvent);
MMF_WIN32_API BOOL WINAPI PulseEvent(HANDLE hEvent);

/* Create a semaphore with lInitialCount (0 .. lMaximumCount) and
 * lMaximumCount (> 0); else ERROR_INVALID_PARAMETER (S03, S04). */
MMF_WIN32_API HANDLE WINAPI CreateSemaphoreA(
    LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
    LONG lMaximumCount, LPCSTR lpName);
MMF_WIN32_API HANDLE WINAPI CreateSemaphoreW(
    LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
    LONG lMaximumCount, LPCWSTR lpName);
MMF_WIN32_API HANDLE WINAPI OpenSemaphoreA(DWORD dwDesiredAccess,
                                           BOOL bInheritHandle, LPCSTR lpName);
MMF_WIN32_API HANDLE WINAPI OpenSemaphoreW(DWORD dwDesiredAccess,
                                           BOOL bInheritHandle, LPCWSTR lpName);

/*
 * Add lReleaseCount to the semaphore; *lpPreviousCount (if not NULL) gets
 * the count before. TRUE, or FALSE with ERROR_TOO_MANY_POSTS (the count
 * would pass the maximum: nothing changes and *lpPreviousCount is not
 * written; S06, S07, S11), ERROR_INVALID_PARAMETER (lReleaseCount <= 0,
 * S09), ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED (S10).
 */
MMF_WIN32_API BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore,
                                           LONG lReleaseCount,
                                           LPLONG lpPreviousCount);

/* ------------------------------------------------------------------------ */
/* Waits                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Wait up to dwMilliseconds (INFINITE: forever; 0: just test) for a mutex,
 * event, semaphore, thread or process to be signaled (a file handle always
 * is, F11), and take it (T08): a mutex is
 * acquired, a semaphore's count drops by one, an auto-reset event resets.
 * Returns WAIT_OBJECT_0, WAIT_ABANDONED (a mutex whose owner died: the
 * caller owns it now; T07), WAIT_TIMEOUT (T02), all with GetLastError()
 * untouched, or WAIT_FAILED with ERROR_INVALID_HANDLE (bad handle, T03),
 * ERROR_ACCESS_DENIED (no SYNCHRONIZE, T06),
 * ERROR_MUTANT_LIMIT_EXCEEDED (recursion count at its limit). The
 * pseudo-handles GetCurrentProcess() and GetCurrentThread() are never
 * signaled while the caller runs: the wait times out (T05).
 */
MMF_WIN32_API DWORD WINAPI WaitForSingleObject(HANDLE hHandle,
                                               DWORD dwMilliseconds);

/*
 * Wait for any (bWaitAll FALSE) or all of nCount (1..64) objects. Any:
 * returns WAIT_OBJECT_0 + i for the lowest signaled index i, taking only
 * that object (U02, U13), or WAIT_ABANDONED_0 + i for an abandoned mutex
 * (U07). All: returns when every object is signaled at once, taking all
 * (U05); WAIT_ABANDONED_0 + i if one of them is an abandoned mutex (U06).
 * WAIT_TIMEOUT (U08). WAIT_FAILED with ERROR_INVALID_PARAMETER (nCount 0
 * or > 64, lpHandles NULL, or one object twice in a wait-all; U03, U04),
 * ERROR_INVALID_HANDLE (a bad handle or a pseudo-handle; U09, U10),
 * ERROR_ACCESS_DENIED (no SYNCHRONIZE; U11).
 */
MMF_WIN32_API DWORD WINAPI WaitForMultipleObjects(DWORD nCount,
                                                  const HANDLE *lpHandles,
                                                  BOOL bWaitAll,
                                                  DWORD dwMilliseconds);

/*
 * Signal hObjectToSignal (release a mutex the caller owns, add one to a
 * semaphore, set an event) and then wait for hObjectToWaitOn as
 * WaitForSingleObject does (R17). The two steps are not atomic, as on
 * Windows. Both handles are checked before anything is signaled. Returns
 * what WaitForSingleObject returns, or WAIT_FAILED with GetLastError():
 *   ERROR_NOT_OWNER       hObjectToSignal is a mutex the caller does not
 *                         own (Q25)
 *   ERROR_TOO_MANY_POSTS  a semaphore already at its maximum (S12)
 *   ERROR_INVALID_HANDLE  a bad handle, or hObjectToSignal is not a mutex,
 *                         semaphore or event (T12)
 *   ERROR_ACCESS_DENIED   no EVENT_MODIFY_STATE / SEMAPHORE_MODIFY_STATE on
 *                         hObjectToSignal, or no SYNCHRONIZE on
 *                         hObjectToWaitOn
 * bAlertable has no effect (there are no asynchronous procedure calls, so
 * WAIT_IO_COMPLETION is never returned).
 */
MMF_WIN32_API DWORD WINAPI SignalObjectAndWait(HANDLE hObjectToSignal,
                                               HANDLE hObjectToWaitOn,
                                               DWORD dwMilliseconds,
                                               BOOL bAlertable);

/* Sleep dwMilliseconds (INFINITE: forever; 0: yield the processor). */
MMF_WIN32_API void WINAPI Sleep(DWORD dwMilliseconds);
/* Yield the processor. Returns TRUE. */
MMF_WIN32_API BOOL WINAPI SwitchToThread(void);

/* ------------------------------------------------------------------------ */
/* Processes and threads                                                     */
/* ------------------------------------------------------------------------ */

/* The pseudo-handles of the calling process, (HANDLE)-1, and of the
 * calling thread, (HANDLE)-2. They need no closing. */
MMF_WIN32_API HANDLE WINAPI GetCurrentProcess(void);
MMF_WIN32_API HANDLE WINAPI GetCurrentThread(void);
MMF_WIN32_API DWORD WINAPI GetCurrentProcessId(void);
/* The calling thread's id (its Linux thread id). */
MMF_WIN32_API DWORD WINAPI GetCurrentThreadId(void);

/*
 * Start a thread running lpStartAddress(lpParameter) with a stack of
 * dwStackSize bytes (0: the default). The returned handle is signaled once
 * the thread has ended, whether by returning or by ExitThread, and only
 * after its mutexes are abandoned (Q19): a wait on it and then on such a
 * mutex returns WAIT_ABANDONED. *lpThreadId (if not NULL) gets its id.
 * The thread runs whether or not its handle is closed.
 * Returns NULL on failure, with GetLastError() ERROR_INVALID_PARAMETER
 * (lpStartAddress NULL, CREATE_SUSPENDED or unknown flags: façade errors;
 * Windows starts a thread that faults, suspends it, ignores the flags),
 * ERROR_NOT_ENOUGH_MEMORY (no thread could be started).
 */
MMF_WIN32_API HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes,
                                         SIZE_T dwStackSize,
                                         LPTHREAD_START_ROUTINE lpStartAddress,
                                         LPVOID lpParameter,
                                         DWORD dwCreationFlags,
                                         LPDWORD lpThreadId);

/* End the calling thread with exit code dwExitCode. In a thread made by
 * CreateThread this signals its handle as a return would. */
MMF_WIN32_API void WINAPI ExitThread(DWORD dwExitCode)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

/* The exit code of a thread, or STILL_ACTIVE while it runs. TRUE, or FALSE
 * with ERROR_INVALID_HANDLE. */
MMF_WIN32_API BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);

/* The id of the thread of hThread, or 0 with ERROR_INVALID_HANDLE. */
MMF_WIN32_API DWORD WINAPI GetThreadId(HANDLE Thread);

/*
 * Start a program. lpApplicationName, if not NULL, is the file to run, used
 * as given; otherwise the first item of lpCommandLine is, looked for (as
 * Windows looks) in the folder of the calling program, the current folder
 * and PATH, unless it has a slash. A name "x.exe" that does not exist runs
 * "x", the usual name of the Linux build of the same program. The child's
 * argv is lpCommandLine split as the Microsoft C runtime splits it
 * (quotes, and backslashes before quotes; F07); with lpCommandLine NULL it
 * is lpApplicationName.
 *
 * bInheritHandles TRUE gives the child every handle of the caller marked
 * inheritable (SECURITY_ATTRIBUTES.bInheritHandle, the bInheritHandle of
 * the Open* functions and DuplicateHandle, SetHandleInformation), for
 * sections, files, mutexes, events and semaphores, at the SAME handle
 * values, with the same access (F02): the parent may pass a value on the
 * command line. The child must use this library (the handles are put in
 * its table when it loads). Thread and process handles are not inherited.
 *
 * dwCreationFlags: CREATE_NEW_CONSOLE, CREATE_NO_WINDOW, DETACHED_PROCESS,
 * the priority classes, CREATE_DEFAULT_ERROR_MODE and
 * CREATE_BREAKAWAY_FROM_JOB are accepted and do nothing;
 * CREATE_NEW_PROCESS_GROUP puts the child in a new process group;
 * CREATE_UNICODE_ENVIRONMENT says lpEnvironment is wide. lpEnvironment
 * (NULL: the caller's) is a block of "name=value" strings ending with an
 * empty one; lpCurrentDirectory (NULL: the caller's) the child's folder.
 * Of lpStartupInfo, STARTF_USESTDHANDLES with file handles from CreateFile
 * sets the child's standard input, output and error.
 *
 * *lpProcessInformation gets a process handle (PROCESS_ALL_ACCESS), a
 * handle to its main thread, and their ids (the thread id is the process
 * id, as Linux numbers a main thread). Close both handles. The process
 * handle is signaled when the process ends (F03) and gives its exit code
 * to GetExitCodeProcess; the thread handle, the same.
 *
 * Returns TRUE, or FALSE with GetLastError():
 *   ERROR_FILE_NOT_FOUND     no such program (F05)
 *   ERROR_ACCESS_DENIED      not executable, or not a regular file
 *   ERROR_BAD_EXE_FORMAT     not a program Linux can run
 *   ERROR_DIRECTORY          lpCurrentDirectory is not a folder
 *   ERROR_INVALID_PARAMETER  both names NULL, lpStartupInfo or
 *                            lpProcessInformation NULL, unknown flags, or
 *                            arguments too long
 *   ERROR_NOT_SUPPORTED      CREATE_SUSPENDED, DEBUG_PROCESS,
 *                            DEBUG_ONLY_THIS_PROCESS,
 *                            EXTENDED_STARTUPINFO_PRESENT (a façade error:
 *                            Windows supports them)
 *   ERROR_INVALID_HANDLE     a standard handle that is not a file (a
 *                            façade error: Windows passes any handle)
 *   ERROR_NOT_ENOUGH_MEMORY, ERROR_TOO_MANY_OPEN_FILES
 */
MMF_WIN32_API BOOL WINAPI CreateProcessA(LPCSTR lpApplicationName, LPSTR lpCommandLine,
                                         LPSECURITY_ATTRIBUTES lpProcessAttributes,
                                         LPSECURITY_ATTRIBUTES lpThreadAttributes,
                                         BOOL bInheritHandles, DWORD dwCreationFlags,
                                         LPVOID lpEnvironment, LPCSTR lpCurrentDirectory,
                                         LPSTARTUPINFOA lpStartupInfo,
                                         LPPROCESS_INFORMATION lpProcessInformation);
MMF_WIN32_API BOOL WINAPI CreateProcessW(LPCWSTR lpApplicationName, LPWSTR lpCommandLine,
                                         LPSECURITY_ATTRIBUTES lpProcessAttributes,
                                         LPSECURITY_ATTRIBUTES lpThreadAttributes,
                                         BOOL bInheritHandles, DWORD dwCreationFlags,
                                         LPVOID lpEnvironment, LPCWSTR lpCurrentDirectory,
                                         LPSTARTUPINFOW lpStartupInfo,
                                         LPPROCESS_INFORMATION lpProcessInformation);

/*
 * A handle to the process dwProcessId with dwDesiredAccess (PROCESS_*,
 * SYNCHRONIZE, standard and generic rights). A handle to a child started
 * by CreateProcess shares its exit code. Returns NULL on failure, with
 * GetLastError() ERROR_INVALID_PARAMETER (no such process, or id 0; F06),
 * ERROR_ACCESS_DENIED (another user's process, or dwDesiredAccess 0 or
 * undefined rights), ERROR_NOT_ENOUGH_MEMORY.
 */
MMF_WIN32_API HANDLE WINAPI OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle,
                                        DWORD dwProcessId);

/*
 * The exit code of the process, or STILL_ACTIVE while it runs (F03). Linux
 * keeps 8 bits of an exit status: a child that calls ExitProcess(1000)
 * gives 1000 & 255. A child killed by TerminateProcess gives the code
 * TerminateProcess was given (F04); one killed by a signal gives
 * 0xC0000005 for SIGSEGV and SIGBUS, 0xC000001D for SIGILL, 0xC0000094 for
 * SIGFPE, 3 for SIGABRT, else 128 + the signal number. TRUE, or FALSE with
 * ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED (no PROCESS_QUERY_INFORMATION
 * or PROCESS_QUERY_LIMITED_INFORMATION), ERROR_NOT_SUPPORTED (a process
 * that has ended and was not started by this one: Linux tells only the
 * parent; a façade error).
 */
MMF_WIN32_API BOOL WINAPI GetExitCodeProcess(HANDLE hProcess, LPDWORD lpExitCode);

/*
 * End the process at once (SIGKILL): it runs no more code, its mutexes
 * are abandoned (a waiter gets WAIT_ABANDONED; F04), its handles close,
 * and its exit code becomes uExitCode. GetCurrentProcess() ends the
 * caller. TRUE, or FALSE with ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED
 * (no PROCESS_TERMINATE, the process has already ended, or another user's
 * process).
 */
MMF_WIN32_API BOOL WINAPI TerminateProcess(HANDLE hProcess, UINT uExitCode);

/* The id of the process of hProcess, or 0 with ERROR_INVALID_HANDLE. */
MMF_WIN32_API DWORD WINAPI GetProcessId(HANDLE Process);

/* End the calling process with exit code uExitCode (exit(): atexit
 * handlers run and stdio is flushed). */
MMF_WIN32_API void WINAPI ExitProcess(UINT uExitCode)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

/* ------------------------------------------------------------------------ */
/* Time                                                                      */
/* ------------------------------------------------------------------------ */

/* A monotonic counter and its frequency (ticks per second, 10 MHz as on
 * current Windows). Always TRUE. */
MMF_WIN32_API BOOL WINAPI QueryPerformanceCounter(LARGE_INTEGER *lpPerformanceCount);
MMF_WIN32_API BOOL WINAPI QueryPerformanceFrequency(LARGE_INTEGER *lpFrequency);
/* Milliseconds on a monotonic clock (since boot; GetTickCount wraps). */
MMF_WIN32_API DWORD WINAPI GetTickCount(void);
MMF_WIN32_API ULONGLONG WINAPI GetTickCount64(void);

/* ------------------------------------------------------------------------ */
/* Interlocked operations                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Atomic operations on aligned 32-bit (LONG) and 64-bit (LONG64) values, in
 * private or shared memory alike: the usual way to coordinate processes
 * through a view without a lock. Each is a full memory barrier, as on
 * Windows. Increment/Decrement return the new value; Exchange, ExchangeAdd,
 * CompareExchange, And, Or and Xor return the old one. MemoryBarrier() is a
 * full fence.
 */
FORCEINLINE LONG InterlockedIncrement(LONG volatile *Addend)
{
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedDecrement(LONG volatile *Addend)
{
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedExchange(LONG volatile *Target, LONG Value)
{
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedExchangeAdd(LONG volatile *Addend, LONG Value)
{
    return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedCompareExchange(LONG volatile *Destination,
                                            LONG Exchange, LONG Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0,
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand; /* the old value, whether or not it was replaced */
}
FORCEINLINE LONG InterlockedAnd(LONG volatile *Destination, LONG Value)
{
    return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedOr(LONG volatile *Destination, LONG Value)
{
    return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG InterlockedXor(LONG volatile *Destination, LONG Value)
{
    return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedIncrement64(LONG64 volatile *Addend)
{
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedDecrement64(LONG64 volatile *Addend)
{
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedExchange64(LONG64 volatile *Target, LONG64 Value)
{
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedExchangeAdd64(LONG64 volatile *Addend, LONG64 Value)
{
    return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedCompareExchange64(LONG64 volatile *Destination,
                                                LONG64 Exchange, LONG64 Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0,
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}
FORCEINLINE LONG64 InterlockedAnd64(LONG64 volatile *Destination, LONG64 Value)
{
    return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedOr64(LONG64 volatile *Destination, LONG64 Value)
{
    return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE LONG64 InterlockedXor64(LONG64 volatile *Destination, LONG64 Value)
{
    return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE PVOID InterlockedExchangePointer(PVOID volatile *Target, PVOID Value)
{
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}
FORCEINLINE PVOID InterlockedCompareExchangePointer(PVOID volatile *Destination,
                                                    PVOID Exchange, PVOID Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0,
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}
FORCEINLINE void MemoryBarrier(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
/* A hint inside spin loops. */
FORCEINLINE void YieldProcessor(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ------------------------------------------------------------------------ */
/* Critical sections                                                         */
/* ------------------------------------------------------------------------ */

/*
 * A lock for the threads of one process, recursive as on Windows: the
 * owning thread may enter again, and each Enter needs one Leave. It is the
 * Windows structure (same field names) but the façade's own values: read
 * the fields for nothing but debugging. Like Windows' it does not work
 * between processes, even placed in shared memory (the owner is a thread
 * id of the process, the wake-up is process-private). The spin count is
 * how often Enter retries before it sleeps. Every call is valid only on a
 * section initialized and not yet deleted; Leave by a thread that does not
 * own it is ignored (Windows' is undefined). None sets GetLastError().
 */
typedef struct _RTL_CRITICAL_SECTION {
    PVOID DebugInfo;
    LONG LockCount;      /* 0 free, 1 held, 2 held with sleepers */
    LONG RecursionCount; /* the owner's Enter count */
    HANDLE OwningThread; /* the owner's thread id, or NULL */
    HANDLE LockSemaphore;
    ULONG_PTR SpinCount;
} RTL_CRITICAL_SECTION, CRITICAL_SECTION, *PRTL_CRITICAL_SECTION,
    *PCRITICAL_SECTION, *LPCRITICAL_SECTION;

/* Initialize a free section (spin count 0, or dwSpinCount). The AndSpinCount
 * and Ex forms return TRUE; Ex accepts and ignores its Flags. */
MMF_WIN32_API void WINAPI InitializeCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
MMF_WIN32_API BOOL WINAPI InitializeCriticalSectionAndSpinCount(
    LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount);
MMF_WIN32_API BOOL WINAPI InitializeCriticalSectionEx(LPCRITICAL_SECTION lpCriticalSection,
                                                      DWORD dwSpinCount, DWORD Flags);
/* Set the spin count; returns the previous one. */
MMF_WIN32_API DWORD WINAPI SetCriticalSectionSpinCount(LPCRITICAL_SECTION lpCriticalSection,
                                                       DWORD dwSpinCount);
/* Wait (without timeout) until the section is free or owned by the caller,
 * and take it once more. */
MMF_WIN32_API void WINAPI EnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
/* As Enter without waiting: TRUE if taken, FALSE if another thread owns it. */
MMF_WIN32_API BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
/* Give back one Enter; the last one frees the section. */
MMF_WIN32_API void WINAPI LeaveCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
/* The section must be free; it needs Initialize again before any use. */
MMF_WIN32_API void WINAPI DeleteCriticalSection(LPCRITICAL_SECTION lpCriticalSection);

/* ------------------------------------------------------------------------ */
/* Waitable timers                                                           */
/* ------------------------------------------------------------------------ */

/*
 * A timer is signaled at its due time, and then again every lPeriod
 * milliseconds if lPeriod is not 0. A manual-reset timer (bManualReset
 * TRUE, "notification timer") stays signaled until it is set again and
 * releases every waiter; a synchronization timer releases one waiter and
 * resets. Waits take timers as any other object: WaitForSingleObject,
 * WaitForMultipleObjects (any and all), SignalObjectAndWait's wait, with
 * TIMER_QUERY_STATE (1), TIMER_MODIFY_STATE (2) and SYNCHRONIZE rights
 * (TIMER_ALL_ACCESS). Timers share the one namespace of sections, mutexes,
 * events and semaphores: creating or opening a timer under another type's
 * name, or another type under a timer's name, fails with
 * ERROR_INVALID_HANDLE (P01).
 *
 * Shared between processes (a named timer opened in several), a timer is
 * one object as on Windows: its due time, period and signaled state live
 * in shared memory, so SetWaitableTimer or CancelWaitableTimer in one
 * process acts for the waiters of every process, and the timer fires at
 * its due time even if the process that set it has exited or was killed,
 * as long as a handle to it is open somewhere. The signal is given by the
 * waiters themselves (whichever waiter finds the due time passed signals
 * the timer and moves its due time on by one period), so a process
 * waiting on a timer wakes at the due time without a thread of its own.
 * A waiter already asleep when another process or thread sets the timer
 * notices the new due time within 50 ms. A timer's A name may be as long
 * as other objects' (MAX_PATH, Y13); its W name may have 7 bytes fewer
 * than MMF_NAME_MAX (the timer keeps its state under derived names, the
 * name and 7 more): a longer one fails with ERROR_FILENAME_EXCED_RANGE (a
 * façade error).
 *
 * A relative due time is measured on the monotonic clock, an absolute one
 * on the system clock (it follows a change of the clock, as on Windows).
 *
 * Known differences: completion routines (pfnCompletionRoutine) are not
 * supported (there are no asynchronous procedure calls); fResume has no effect (SetWaitableTimer then returns TRUE
 * with GetLastError() ERROR_TIMER_RESUME_IGNORED, what NT's
 * STATUS_TIMER_RESUME_IGNORED becomes; Microsoft's page says
 * ERROR_NOT_SUPPORTED). Timers are not inherited by CreateProcess.
 *
 * CreateWaitableTimer: a new timer is not signaled and not set
 * (GetLastError() 0); an existing name of a timer gives a handle to it
 * with ERROR_ALREADY_EXISTS, its type (manual or not) unchanged. Errors as
 * for CreateMutex. OpenWaitableTimer: errors as for OpenMutex.
 */
#define TIMER_QUERY_STATE 0x0001
#define TIMER_MODIFY_STATE 0x0002
#define TIMER_ALL_ACCESS 0x001F0003
MMF_WIN32_API HANDLE WINAPI CreateWaitableTimerA(LPSECURITY_ATTRIBUTES lpTimerAttributes,
                                                 BOOL bManualReset, LPCSTR lpTimerName);
MMF_WIN32_API HANDLE WINAPI CreateWaitableTimerW(LPSECURITY_ATTRIBUTES lpTimerAttributes,
                                                 BOOL bManualReset, LPCWSTR lpTimerName);
MMF_WIN32_API HANDLE WINAPI OpenWaitableTimerA(DWORD dwDesiredAccess, BOOL bInheritHandle,
                                               LPCSTR lpTimerName);
MMF_WIN32_API HANDLE WINAPI OpenWaitableTimerW(DWORD dwDesiredAccess, BOOL bInheritHandle,
                                               LPCWSTR lpTimerName);

/* A time in 100 ns units since 1601-01-01 UTC, the unit of absolute due
 * times. GetSystemTimeAsFileTime gives the system clock's now. */
typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;
MMF_WIN32_API void WINAPI GetSystemTimeAsFileTime(LPFILETIME lpSystemTimeAsFileTime);

/* A completion routine, which the façade does not call (see above). */
typedef void(CALLBACK *PTIMERAPCROUTINE)(LPVOID lpArgToCompletionRoutine,
                                         DWORD dwTimerLowValue, DWORD dwTimerHighValue);

/*
 * Set the timer: *lpDueTime negative is a time relative to now in 100 ns
 * units (-10000000: in one second); positive, an absolute time as a
 * FILETIME (100 ns units since 1601-01-01 UTC, a past time fires at once);
 * 0 fires at once. lPeriod (ms) 0 fires once, else periodically. Setting
 * makes the timer not signaled first. TRUE, or FALSE with
 * ERROR_INVALID_HANDLE (not a timer), ERROR_ACCESS_DENIED (no
 * TIMER_MODIFY_STATE), ERROR_INVALID_PARAMETER (lPeriod < 0),
 * ERROR_NOACCESS (lpDueTime NULL), ERROR_NOT_SUPPORTED (pfnCompletionRoutine not NULL: a façade
 * error).
 */
MMF_WIN32_API BOOL WINAPI SetWaitableTimer(HANDLE hTimer, const LARGE_INTEGER *lpDueTime,
                                           LONG lPeriod, PTIMERAPCROUTINE pfnCompletionRoutine,
                                           LPVOID lpArgToCompletionRoutine, BOOL fResume);
/* Stop the timer without changing its signaled state. TRUE, or FALSE with
 * ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED (no TIMER_MODIFY_STATE). */
MMF_WIN32_API BOOL WINAPI CancelWaitableTimer(HANDLE hTimer);

/* ------------------------------------------------------------------------ */
/* Code pages                                                                */
/* ------------------------------------------------------------------------ */

/*
 * Conversion between multibyte strings and wide strings. The façade knows
 * one multibyte encoding, UTF-8: CP_UTF8, and also CP_ACP, CP_OEMCP,
 * CP_MACCP and CP_THREAD_ACP, the "ANSI" code pages, which are UTF-8 here
 * (a Linux locale's usual encoding; on Windows they are a legacy code page
 * such as 1252, so non-ASCII text converted with CP_ACP differs). Any
 * other code page fails with ERROR_INVALID_PARAMETER. Wide strings are
 * wchar_t, UTF-32 on Linux: a character outside the Basic Multilingual
 * Plane counts one wchar_t here and two (a surrogate pair) on Windows.
 *
 * MultiByteToWideChar converts cbMultiByte bytes of lpMultiByteStr (-1,
 * or any negative count: up to and including its NUL) into lpWideCharStr of cchWideChar wchar_t,
 * and returns the count written (with the NUL if it was converted).
 * cchWideChar 0 writes nothing and returns the count needed. dwFlags is 0
 * or MB_ERR_INVALID_CHARS; without it an invalid UTF-8 sequence becomes
 * U+FFFD, with it the call fails. WideCharToMultiByte is the reverse
 * (cbMultiByte 0: the size query; WC_ERR_INVALID_CHARS makes a surrogate
 * or a value above U+10FFFF fail, else it becomes U+FFFD); lpDefaultChar
 * and lpUsedDefaultChar must be NULL, as Windows requires for CP_UTF8.
 * Both return 0 on failure, with GetLastError():
 *   ERROR_INSUFFICIENT_BUFFER     the output does not fit (what fits may
 *                                 have been written)
 *   ERROR_NO_UNICODE_TRANSLATION  an invalid sequence with
 *                                 MB_ERR_INVALID_CHARS / WC_ERR_INVALID_CHARS
 *   ERROR_INVALID_FLAGS           another flag
 *   ERROR_INVALID_PARAMETER       a NULL or overlapping string, a count of
 *                                 0, an unknown code page,
 *                                 lpDefaultChar or lpUsedDefaultChar not NULL
 */
#define CP_ACP 0
#define CP_OEMCP 1
#define CP_MACCP 2
#define CP_THREAD_ACP 3
#define CP_UTF8 65001
#define MB_PRECOMPOSED 0x00000001
#define MB_ERR_INVALID_CHARS 0x00000008
#define WC_ERR_INVALID_CHARS 0x00000080
#define ERROR_INVALID_FLAGS 1004
MMF_WIN32_API int WINAPI MultiByteToWideChar(UINT CodePage, DWORD dwFlags,
                                             LPCSTR lpMultiByteStr, int cbMultiByte,
                                             LPWSTR lpWideCharStr, int cchWideChar);
MMF_WIN32_API int WINAPI WideCharToMultiByte(UINT CodePage, DWORD dwFlags,
                                             LPCWSTR lpWideCharStr, int cchWideChar,
                                             LPSTR lpMultiByteStr, int cbMultiByte,
                                             LPCSTR lpDefaultChar, LPBOOL lpUsedDefaultChar);
/* The "ANSI" and OEM code pages: CP_UTF8 (see above). */
MMF_WIN32_API UINT WINAPI GetACP(void);
MMF_WIN32_API UINT WINAPI GetOEMCP(void);

/*
 * wsprintf: format into lpOut, which holds at most 1024 characters with the
 * NUL (Microsoft's limit; longer output is cut there). The format has
 * Microsoft's meaning in both forms: in wsprintfW %s and %c are wide and
 * %S, %C narrow; in wsprintfA the reverse (see win32_crt.h, "WIDE
 * PRINTING"). Returns the count written without the NUL.
 */
MMF_WIN32_API int WINAPIV wsprintfA(LPSTR lpOut, LPCSTR lpFmt, ...);
MMF_WIN32_API int WINAPIV wsprintfW(LPWSTR lpOut, LPCWSTR lpFmt, ...);

#ifdef UNICODE
#define CreateWaitableTimer CreateWaitableTimerW
#define OpenWaitableTimer OpenWaitableTimerW
#define wsprintf wsprintfW
#else
#define CreateWaitableTimer CreateWaitableTimerA
#define OpenWaitableTimer OpenWaitableTimerA
#define wsprintf wsprintfA
#endif

/* ------------------------------------------------------------------------ */
/* UNICODE names                                                             */
/* ------------------------------------------------------------------------ */

#ifdef UNICODE
#define CreateFileMapping CreateFileMappingW
#define CreateFileMappingNuma CreateFileMappingNumaW
#define OpenFileMapping OpenFileMappingW
#define CreateFile CreateFileW
#define DeleteFile DeleteFileW
#define CreateMutex CreateMutexW
#define OpenMutex OpenMutexW
#define CreateEvent CreateEventW
#define OpenEvent OpenEventW
#define CreateSemaphore CreateSemaphoreW
#define OpenSemaphore OpenSemaphoreW
#define CreateProcess CreateProcessW
#define ConvertStringSecurityDescriptorToSecurityDescriptor \
    ConvertStringSecurityDescriptorToSecurityDescriptorW
#define STARTUPINFO STARTUPINFOW
#define LPSTARTUPINFO LPSTARTUPINFOW
#else
#define CreateFileMapping CreateFileMappingA
#define CreateFileMappingNuma CreateFileMappingNumaA
#define OpenFileMapping OpenFileMappingA
#define CreateFile CreateFileA
#define DeleteFile DeleteFileA
#define CreateMutex CreateMutexA
#define OpenMutex OpenMutexA
#define CreateEvent CreateEventA
#define OpenEvent OpenEventA
#define CreateSemaphore CreateSemaphoreA
#define OpenSemaphore OpenSemaphoreA
#define CreateProcess CreateProcessA
#define ConvertStringSecurityDescriptorToSecurityDescriptor \
    ConvertStringSecurityDescriptorToSecurityDescriptorA
#define STARTUPINFO STARTUPINFOA
#define LPSTARTUPINFO LPSTARTUPINFOA
#endif

#ifdef __cplusplus
}
#endif

/* The C runtime's "secure" string functions that Windows programs use. */
#include "win32_crt.h"

#endif /* !_WIN32 */
#endif /* MMF_WIN32_H */
