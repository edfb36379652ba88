#include "engine/signals.h"

#include <signal.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <tuple>
#include <utility>

namespace corral::engine {

namespace {

constexpr std::array<std::pair<std::string_view, int>, 31> signal_table = {{
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM},     {"BUS", SIGBUS},       {"CHLD", SIGCHLD},
    {"CONT", SIGCONT}, {"FPE", SIGFPE},       {"HUP", SIGHUP},       {"ILL", SIGILL},
    {"INT", SIGINT},   {"IO", SIGIO},         {"IOT", SIGIOT},       {"KILL", SIGKILL},
    {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},     {"PROF", SIGPROF},     {"PWR", SIGPWR},
    {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT}, {"STOP", SIGSTOP},
    {"SYS", SIGSYS},   {"TERM", SIGTERM},     {"TRAP", SIGTRAP},     {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},       {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
}};

bool parse_number(std::string_view text, int& out) {
    if (text.empty())
        return false;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

ErrorOr<int> parse_signal(std::string_view text) {
    auto invalid = [&] { return Error::invalid("Invalid signal: " + std::string(text)); };
    int number = 0;
    if (parse_number(text, number)) {
        if (number < 1 || number > SIGRTMAX)
            return invalid();
        return number;
    }
    std::string name(text);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    std::string_view bare = name;
    if (bare.substr(0, 3) == "SIG")
        bare.remove_prefix(3);
    for (const auto& [signal_name, value] : signal_table)
        if (bare == signal_name)
            return value;
    // Real-time signals: RTMIN, RTMIN+N, RTMAX, RTMAX-N.
    struct RealTime {
        std::string_view prefix;
        int base;
        int direction;
    };
    const RealTime real_time[] = {{"RTMIN", SIGRTMIN, 1}, {"RTMAX", SIGRTMAX, -1}};
    for (const auto& [prefix, base, direction] : real_time) {
        if (bare.substr(0, prefix.size()) != prefix)
            continue;
        auto rest = bare.substr(prefix.size());
        if (rest.empty())
            return base;
        int offset = 0;
        if (rest.size() < 2 || rest[0] != (direction > 0 ? '+' : '-') ||
            !parse_number(rest.substr(1), offset))
            return invalid();
        int value = base + direction * offset;
        if (value < SIGRTMIN || value > SIGRTMAX)
            return invalid();
        return value;
    }
    return invalid();
}

}  // namespace corral::engine
