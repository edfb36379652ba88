#include "runtime/json_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "base/sys.h"

namespace corral::runtime {

std::string format_rfc3339_nano(int64_t unix_ns) {
    time_t seconds = static_cast<time_t>(unix_ns / 1000000000);
    int64_t nanos = unix_ns % 1000000000;
    if (nanos < 0) {
        nanos += 1000000000;
        --seconds;
    }
    struct tm parts {};
    ::gmtime_r(&seconds, &parts);
    char buffer[64];
    size_t length = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &parts);
    std::string result(buffer, length);
    if (nanos != 0) {
        char fraction[16];
        std::snprintf(fraction, sizeof(fraction), ".%09lld", static_cast<long long>(nanos));
        std::string digits = fraction;
        while (digits.back() == '0')
            digits.pop_back();
        result += digits;
    }
    result += 'Z';
    return result;
}

ErrorOr<JsonLogWriter> JsonLogWriter::open(const std::string& path, uint64_t max_size,
                                           int max_file) {
    UniqueFd fd = TRY(sys::open(path, O_WRONLY | O_CREAT | O_APPEND, 0640));
    off_t size = ::lseek(fd.get(), 0, SEEK_END);
    if (size < 0)
        return Error::from_errno("lseek", path, errno);
    return JsonLogWriter(path, std::move(fd), static_cast<uint64_t>(size), max_size,
                         max_file < 1 ? 1 : max_file);
}

void JsonLogWriter::append_entry(std::string& out, std::string_view stream, std::string_view text,
                                 const std::string& time) {
    out += "{\"log\":";
    out += nlohmann::json(std::string(text))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += ",\"stream\":\"";
    out += stream;
    out += "\",\"time\":\"";
    out += time;
    out += "\"}\n";
}

ErrorOr<void> JsonLogWriter::rotate() {
    if (max_file_ <= 1) {
        if (::ftruncate(fd_.get(), 0) < 0)
            return Error::from_errno("ftruncate", path_, errno);
        size_ = 0;
        return {};
    }
    ::unlink((path_ + "." + std::to_string(max_file_ - 1)).c_str());
    for (int i = max_file_ - 2; i >= 1; --i) {
        std::string from = path_ + "." + std::to_string(i);
        if (::rename(from.c_str(), (path_ + "." + std::to_string(i + 1)).c_str()) < 0 &&
            errno != ENOENT)
            return Error::from_errno("rename", from, errno);
    }
    TRY(sys::rename(path_, path_ + ".1"));
    fd_ = TRY(sys::open(path_, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0640));
    size_ = 0;
    return {};
}

ErrorOr<void> JsonLogWriter::commit(std::string& out) {
    if (out.empty())
        return {};
    TRY_CONTEXT(sys::write_all(fd_.get(), out), path_);
    size_ += out.size();
    out.clear();
    return {};
}

ErrorOr<void> JsonLogWriter::write(std::string_view stream, std::string_view data,
                                   int64_t time_ns) {
    std::string& partial = stream == "stderr" ? partial_stderr_ : partial_stdout_;
    std::string time = format_rfc3339_nano(time_ns);
    std::string out;
    auto emit = [&](std::string_view text) -> ErrorOr<void> {
        // Docker rotates before a message once the file has reached its size.
        if (max_size_ > 0 && size_ + out.size() >= max_size_) {
            TRY(commit(out));
            TRY(rotate());
        }
        append_entry(out, stream, text, time);
        return {};
    };
    while (!data.empty()) {
        size_t newline = data.find('\n');
        size_t take = newline == std::string_view::npos ? data.size() : newline + 1;
        if (partial.size() + take > max_line &&
            (newline == std::string_view::npos || partial.size() + take - 1 > max_line)) {
            // A piece of a long line: 16 KiB without its newline.
            size_t room = max_line - partial.size();
            partial.append(data.substr(0, room));
            data.remove_prefix(room);
            TRY(emit(partial));
            partial.clear();
            continue;
        }
        if (newline == std::string_view::npos) {
            partial.append(data);
            break;
        }
        if (partial.empty()) {
            TRY(emit(data.substr(0, take)));
        } else {
            partial.append(data.substr(0, take));
            TRY(emit(partial));
            partial.clear();
        }
        data.remove_prefix(take);
    }
    return commit(out);
}

ErrorOr<void> JsonLogWriter::flush(int64_t time_ns) {
    std::string time = format_rfc3339_nano(time_ns);
    std::string out;
    for (auto [stream, partial] :
         {std::pair<std::string_view, std::string*>{"stdout", &partial_stdout_},
          {"stderr", &partial_stderr_}}) {
        if (partial->empty())
            continue;
        if (max_size_ > 0 && size_ + out.size() >= max_size_) {
            TRY(commit(out));
            TRY(rotate());
        }
        append_entry(out, stream, *partial, time);
        partial->clear();
    }
    return commit(out);
}

}  // namespace corral::runtime
