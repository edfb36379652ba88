#include "runtime/user.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "base/sys.h"

namespace corral::runtime {

namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
        size_t end = text.find(separator, start);
        if (end == std::string_view::npos) {
            parts.push_back(text.substr(start));
            return parts;
        }
        parts.push_back(text.substr(start, end - start));
        start = end + 1;
    }
}

std::optional<uint32_t> parse_id(std::string_view text) {
    uint32_t value = 0;
    if (text.empty())
        return std::nullopt;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// Calls `line_handler` for each meaningful line (no comments, no blank lines).
template <typename Handler>
void for_each_line(std::string_view text, Handler line_handler) {
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty() || line.front() == '#')
            continue;
        line_handler(line);
    }
}

ErrorOr<std::string> read_in_root(const std::string& rootfs, const std::string& path) {
    UniqueFd root = TRY(sys::open(rootfs, O_RDONLY | O_DIRECTORY));
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    int fd;
    do {
        fd = static_cast<int>(::syscall(SYS_openat2, root.get(), path.c_str(), &how, sizeof(how)));
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno == ENOENT)
            return std::string();
        return Error::from_errno("open", rootfs + "/" + path, errno);
    }
    UniqueFd file(fd);
    std::string content;
    char buffer[16384];
    constexpr size_t max_size = 16 << 20;
    for (;;) {
        size_t n = TRY(sys::read(file.get(), buffer));
        if (n == 0)
            return content;
        if (content.size() + n > max_size)
            return Error(ErrorKind::too_large, rootfs + "/" + path + ": too large");
        content.append(buffer, n);
    }
}

}  // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
    std::vector<PasswdEntry> entries;
    for_each_line(text, [&](std::string_view line) {
        auto fields = split(line, ':');
        if (fields.size() < 7)
            return;
        auto uid = parse_id(fields[2]);
        auto gid = parse_id(fields[3]);
        if (!uid || !gid || fields[0].empty())
            return;
        entries.push_back(
            {std::string(fields[0]), *uid, *gid, std::string(fields[5]), std::string(fields[6])});
    });
    return entries;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
    std::vector<GroupEntry> entries;
    for_each_line(text, [&](std::string_view line) {
        auto fields = split(line, ':');
        if (fields.size() < 4)
            return;
        auto gid = parse_id(fields[2]);
        if (!gid || fields[0].empty())
            return;
        GroupEntry entry{std::string(fields[0]), *gid, {}};
        if (!fields[3].empty()) {
            for (auto member : split(fields[3], ','))
                if (!member.empty())
                    entry.members.emplace_back(member);
        }
        entries.push_back(std::move(entry));
    });
    return entries;
}

ErrorOr<ResolvedUser> resolve_user(std::string_view user, std::string_view passwd_text,
                                   std::string_view group_text,
                                   const std::vector<std::string>& group_add) {
    std::string_view user_part = user;
    std::optional<std::string_view> group_part;
    if (auto colon = user.find(':'); colon != std::string_view::npos) {
        user_part = user.substr(0, colon);
        group_part = user.substr(colon + 1);
    }
    if (user_part.empty())
        user_part = "0";
    auto passwd = parse_passwd(passwd_text);
    auto groups = parse_group(group_text);

    ResolvedUser resolved;
    std::string user_name;
    const PasswdEntry* entry = nullptr;
    if (auto uid = parse_id(user_part)) {
        // A number names a uid whether or not passwd lists it; a listed one gives its gid.
        for (const auto& candidate : passwd)
            if (candidate.uid == *uid) {
                entry = &candidate;
                break;
            }
        resolved.uid = *uid;
        resolved.gid = entry ? entry->gid : 0;
    } else {
        for (const auto& candidate : passwd)
            if (candidate.name == user_part) {
                entry = &candidate;
                break;
            }
        if (!entry)
            return Error::invalid("unable to find user " + std::string(user_part) +
                                  ": no matching entries in passwd file");
        resolved.uid = entry->uid;
        resolved.gid = entry->gid;
    }
    if (entry) {
        user_name = entry->name;
        if (!entry->home.empty())
            resolved.home = entry->home;
    }

    auto find_group = [&](std::string_view name_or_id) -> ErrorOr<uint32_t> {
        if (auto gid = parse_id(name_or_id))
            return *gid;
        for (const auto& group : groups)
            if (group.name == name_or_id)
                return group.gid;
        return Error::invalid("unable to find group " + std::string(name_or_id) +
                              ": no matching entries in group file");
    };
    if (group_part) {
        if (group_part->empty())
            return Error::invalid("invalid user `" + std::string(user) + "`: empty group");
        resolved.gid = TRY(find_group(*group_part));
    } else if (!user_name.empty()) {
        // Supplementary groups come from membership only when no group was named, as docker.
        for (const auto& group : groups) {
            if (std::find(group.members.begin(), group.members.end(), user_name) !=
                    group.members.end() &&
                group.gid != resolved.gid)
                resolved.additional_gids.push_back(group.gid);
        }
    }
    for (const auto& extra : group_add) {
        uint32_t gid = TRY(find_group(extra));
        resolved.additional_gids.push_back(gid);
    }
    std::sort(resolved.additional_gids.begin(), resolved.additional_gids.end());
    resolved.additional_gids.erase(
        std::unique(resolved.additional_gids.begin(), resolved.additional_gids.end()),
        resolved.additional_gids.end());
    return resolved;
}

ErrorOr<ResolvedUser> resolve_user_in_rootfs(const std::string& rootfs, std::string_view user,
                                             const std::vector<std::string>& group_add) {
    std::string passwd = TRY(read_in_root(rootfs, "etc/passwd"));
    std::string group = TRY(read_in_root(rootfs, "etc/group"));
    return resolve_user(user, passwd, group, group_add);
}

}  // namespace corral::runtime
