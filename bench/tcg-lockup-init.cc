// The /init of bench/tcg-lockup's guest: four threads allocate kernel objects (sockets, tmpfs
// files) without pause while the main thread makes and removes a cgroup with the cpuset
// controller, over and over. The kernel turns its cpuset static branches on when the first
// cpuset cgroup besides the root comes up and off when the last one goes, and patches its
// code each time, the slab allocator's included (cpusets_enabled()).
//
// Kernel command line: `mode=flip` (the cgroup is the only one: every cycle flips the
// branches) or `mode=held` (a second cpuset cgroup is made first and kept: the branches stay
// on), `seconds=N`. Prints a progress line each second and `tcg-lockup: done ...` at the end,
// then powers off; a guest that locks up prints the kernel's soft-lockup reports instead.
#include <fcntl.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

constexpr int kThreads = 4;
constexpr int kBatch = 2000;
std::atomic<bool> stop{false};
std::atomic<long> rounds[kThreads];

void* allocate(void* argument) {
    long id = reinterpret_cast<long>(argument);
    static thread_local int fds[kBatch];
    char path[64];
    while (!stop) {
        int count = 0;
        for (int i = 0; i < kBatch; i++) {
            int fd = -1;
            if (i % 2) {
                fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            } else {
                std::snprintf(path, sizeof path, "/tmp/%ld-%d", id, i);
                fd = ::open(path, O_CREAT | O_RDWR, 0600);
            }
            if (fd >= 0)
                fds[count++] = fd;
        }
        for (int i = 0; i < count; i++)
            ::close(fds[i]);
        for (int i = 0; i < kBatch; i += 2) {
            std::snprintf(path, sizeof path, "/tmp/%ld-%d", id, i);
            ::unlink(path);
        }
        rounds[id]++;
    }
    return nullptr;
}

bool write_file(const char* path, const char* text) {
    int fd = ::open(path, O_WRONLY);
    if (fd < 0)
        return false;
    bool ok = ::write(fd, text, std::strlen(text)) == static_cast<ssize_t>(std::strlen(text));
    ::close(fd);
    return ok;
}

std::string command_line() {
    char buffer[2048] = {};
    int fd = ::open("/proc/cmdline", O_RDONLY);
    if (fd >= 0) {
        ssize_t got = ::read(fd, buffer, sizeof buffer - 1);
        (void)got;
        ::close(fd);
    }
    return buffer;
}

}  // namespace

int main() {
    ::mount("proc", "/proc", "proc", 0, nullptr);
    ::mount("sysfs", "/sys", "sysfs", 0, nullptr);
    ::mount("tmpfs", "/tmp", "tmpfs", 0, nullptr);
    ::mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, nullptr);
    std::string line = command_line();
    bool held = line.find("mode=held") != std::string::npos;
    long seconds = 60;
    if (auto at = line.find("seconds="); at != std::string::npos)
        seconds = std::atol(line.c_str() + at + 8);
    std::printf("tcg-lockup: mode %s, %ld s\n", held ? "held" : "flip", seconds);
    std::fflush(stdout);
    if (!write_file("/sys/fs/cgroup/cgroup.subtree_control", "+cpuset")) {
        std::printf("tcg-lockup: cannot enable cpuset: %s\n", std::strerror(errno));
        std::fflush(stdout);
    }
    if (held)
        ::mkdir("/sys/fs/cgroup/held", 0755);
    pthread_t threads[kThreads];
    for (long i = 0; i < kThreads; i++)
        ::pthread_create(&threads[i], nullptr, allocate, reinterpret_cast<void*>(i));
    time_t start = std::time(nullptr);
    time_t reported = start;
    long cycles = 0;
    while (std::time(nullptr) - start < seconds) {
        if (::mkdir("/sys/fs/cgroup/cycle", 0755) != 0 || ::rmdir("/sys/fs/cgroup/cycle") != 0) {
            std::printf("tcg-lockup: cgroup cycle: %s\n", std::strerror(errno));
            break;
        }
        cycles++;
        if (std::time(nullptr) != reported) {
            reported = std::time(nullptr);
            std::printf("tcg-lockup: %ld s, %ld cgroup cycles\n", long(reported - start), cycles);
            std::fflush(stdout);
        }
    }
    stop = true;
    long total = 0;
    for (int i = 0; i < kThreads; i++) {
        ::pthread_join(threads[i], nullptr);
        total += rounds[i];
    }
    std::printf("tcg-lockup: done, %ld cgroup cycles, %ld allocation rounds\n", cycles, total);
    std::fflush(stdout);
    ::reboot(RB_POWER_OFF);
    return 0;
}
