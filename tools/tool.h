/* SPDX-License-Identifier: MIT */
/* tool.h - what the mmf tool's source files share. */
#ifndef MMF_TOOL_H
#define MMF_TOOL_H

/* `mmf bench` (bench.c): run the channel benchmark and print its table (or
 * JSON). quick: a tenth of the messages. Returns the exit code. */
int tool_bench(int json, int quick);

#endif
