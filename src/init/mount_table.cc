#include "init/mount_table.h"

#include "base/fs.h"

namespace corral::init {

namespace {

// The next space-separated field of `line` from `at`, its escapes decoded; empty at the end.
std::string next_field(std::string_view line, size_t& at) {
    while (at < line.size() && line[at] == ' ')
        ++at;
    std::string field;
    while (at < line.size() && line[at] != ' ') {
        char c = line[at];
        if (c == '\\' && at + 3 < line.size() && line[at + 1] >= '0' && line[at + 1] <= '3' &&
            line[at + 2] >= '0' && line[at + 2] <= '7' && line[at + 3] >= '0' &&
            line[at + 3] <= '7') {
            field += static_cast<char>((line[at + 1] - '0') * 64 + (line[at + 2] - '0') * 8 +
                                       (line[at + 3] - '0'));
            at += 4;
            continue;
        }
        field += c;
        ++at;
    }
    return field;
}

}  // namespace

std::vector<MountInfo> parse_mount_table(std::string_view text) {
    std::vector<MountInfo> table;
    while (!text.empty()) {
        size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue":
        // id, parent, major:minor, root, mount point, options, optional fields, "-", type,
        // source, super options.
        size_t at = 0;
        std::string fields[5];
        for (auto& field : fields)
            field = next_field(line, at);
        if (fields[4].empty())
            continue;
        size_t separator = line.find(" - ", at);
        if (separator == std::string_view::npos)
            continue;
        at = separator + 3;
        MountInfo entry;
        entry.mount_point = std::move(fields[4]);
        entry.type = next_field(line, at);
        entry.source = next_field(line, at);
        if (entry.type.empty())
            continue;
        table.push_back(std::move(entry));
    }
    return table;
}

ErrorOr<std::vector<MountInfo>> read_mount_table(const std::string& path) {
    return parse_mount_table(TRY(fs::read_file(path)));
}

}  // namespace corral::init
