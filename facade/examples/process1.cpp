// Process 1 of the classic Windows named shared memory example: creates
// the file mapping "MyFileMapping", writes a message into it and keeps it
// until a key is pressed. Written for Windows; builds unchanged on Linux
// against the mmf Win32 façade:
//   g++ -DUNICODE process1.cpp $(pkg-config --cflags --libs mmf-win32)
#include <windows.h>
#include <conio.h>
#include <iostream>

#define BUF_SIZE 1024

int main()
{
    HANDLE hMapFile = CreateFileMapping(
        INVALID_HANDLE_VALUE,   // use the paging file
        NULL,                   // default security
        PAGE_READWRITE,         // read/write access
        0,                      // maximum object size (high-order DWORD)
        BUF_SIZE,               // maximum object size (low-order DWORD)
        L"MyFileMapping");      // name of the mapping object

    if (hMapFile == NULL) {
        std::cout << "Could not create file mapping object (" << GetLastError()
                  << ")." << std::endl;
        return 1;
    }

    LPVOID pBuf = MapViewOfFile(hMapFile, FILE_MAP_ALL_ACCESS, 0, 0, BUF_SIZE);
    if (pBuf == NULL) {
        std::cout << "Could not map view of file (" << GetLastError() << ")."
                  << std::endl;
        CloseHandle(hMapFile);
        return 1;
    }

    strcpy_s((char *)pBuf, BUF_SIZE, "Hello from Process 1");
    std::cout << "Process 1 wrote: " << (char *)pBuf << std::endl;
    std::cout << "Press any key to exit (the mapping lives until then)..."
              << std::endl;
    _getch();

    UnmapViewOfFile(pBuf);
    CloseHandle(hMapFile);
    return 0;
}
