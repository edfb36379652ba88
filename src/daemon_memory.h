// Malloc settings for the programs that stay resident (PID 1, the engine, the shim).
#pragma once

#include <malloc.h>

namespace corral {

// glibc gives each thread that allocates an arena of its own (up to eight per core), and after
// a large block is freed it raises its mmap threshold, so later large requests come from arenas
// that keep their free pages. A daemon that idles most of its life and serves each connection
// on a short thread keeps its resident set close to what is in use with two arenas and fixed
// thresholds (128 KiB: large buffers are mmapped and returned, freed tops are trimmed).
inline void limit_daemon_memory() {
    ::mallopt(M_ARENA_MAX, 2);
    ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    ::mallopt(M_TRIM_THRESHOLD, 128 * 1024);
}

}  // namespace corral
