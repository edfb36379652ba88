// The /init of bench/module-load's guest: loads the kernel modules listed in /order.txt (one
// file name per line, dependencies first) from the directory the kernel command line names
// (`dir=/signed` or `dir=/unsigned`), one at a time with finit_module(2), and prints the wall
// and CPU time of each, then the totals, then powers off.
//
// Output lines: `module NAME WALL_MS CPU_MS [error]`, then
// `module-load: DIR total WALL_S s, cpu CPU_S s`.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

namespace {

double seconds(clockid_t clock) {
    timespec now{};
    clock_gettime(clock, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

std::string argument(const std::string& command_line, const std::string& key) {
    size_t at = command_line.find(key + "=");
    if (at == std::string::npos)
        return "";
    at += key.size() + 1;
    size_t end = command_line.find_first_of(" \n", at);
    return command_line.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

int main() {
    mount("proc", "/proc", "proc", 0, nullptr);
    mount("sysfs", "/sys", "sysfs", 0, nullptr);
    mount("devtmpfs", "/dev", "devtmpfs", 0, nullptr);
    std::string command_line;
    {
        std::ifstream file("/proc/cmdline");
        std::getline(file, command_line);
    }
    std::string dir = argument(command_line, "dir");
    if (dir.empty())
        dir = "/signed";
    std::ifstream order("/order.txt");
    std::vector<std::string> lines;
    double wall_start = seconds(CLOCK_MONOTONIC);
    double cpu_start = seconds(CLOCK_PROCESS_CPUTIME_ID);
    std::string name;
    while (std::getline(order, name)) {
        double wall = seconds(CLOCK_MONOTONIC);
        double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID);
        std::string path = dir + "/" + name;
        int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        long result = fd < 0 ? -1 : syscall(SYS_finit_module, fd, "", 0);
        int error = errno;
        if (fd >= 0)
            close(fd);
        char line[256];
        std::snprintf(line, sizeof line, "module %s %.1f %.1f %s\n", name.c_str(),
                      (seconds(CLOCK_MONOTONIC) - wall) * 1e3,
                      (seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu) * 1e3,
                      result == 0 ? "" : std::strerror(error));
        lines.push_back(line);
    }
    double wall_total = seconds(CLOCK_MONOTONIC) - wall_start;
    double cpu_total = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    for (const auto& line : lines)
        std::fputs(line.c_str(), stdout);
    std::printf("module-load: %s total %.3f s, cpu %.3f s\n", dir.c_str(), wall_total, cpu_total);
    std::fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
