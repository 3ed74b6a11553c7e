// Process 2 of the classic Windows named shared memory example: opens the
// file mapping "MyFileMapping" made by Process 1 and prints its message.
// Written for Windows; builds unchanged on Linux against the mmf Win32
// façade:
//   g++ -DUNICODE process2.cpp $(pkg-config --cflags --libs mmf-win32)
#include <windows.h>
#include <iostream>

#define BUF_SIZE 1024

int main()
{
    HANDLE hMapFile = OpenFileMapping(FILE_MAP_READ, FALSE, L"MyFileMapping");
    if (hMapFile == NULL) {
        std::cout << "Could not open file mapping object (" << GetLastError()
                  << ")." << std::endl;
        return 1;
    }

    LPCSTR pBuf = (LPCSTR)MapViewOfFile(hMapFile, FILE_MAP_READ, 0, 0, BUF_SIZE);
    if (pBuf == NULL) {
        std::cout << "Could not map view of file (" << GetLastError() << ")."
                  << std::endl;
        CloseHandle(hMapFile);
        return 1;
    }

    std::cout << "Process 2 read: " << pBuf << std::endl;

    UnmapViewOfFile(pBuf);
    CloseHandle(hMapFile);
    return 0;
}
