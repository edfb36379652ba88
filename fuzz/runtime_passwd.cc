// libFuzzer target: the /etc/passwd and /etc/group parsers and user resolution.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/user.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    // Layout: user spec, '\0', passwd text, '\0', group text.
    size_t first = input.find('\0');
    std::string_view user = input.substr(0, first);
    std::string_view rest = first == std::string_view::npos ? "" : input.substr(first + 1);
    size_t second = rest.find('\0');
    std::string_view passwd = rest.substr(0, second);
    std::string_view group = second == std::string_view::npos ? "" : rest.substr(second + 1);
    (void)corral::runtime::parse_passwd(passwd);
    (void)corral::runtime::parse_group(group);
    auto resolved = corral::runtime::resolve_user(user, passwd, group, {"wheel", "12"});
    (void)resolved;
    return 0;
}
