#include "engine/stream_io.h"

#include <sys/socket.h>

#include <cerrno>

namespace corral::engine {

std::string frame(LogStream stream, std::string_view payload) {
    std::string out;
    out.reserve(8 + payload.size());
    auto size = static_cast<uint32_t>(payload.size());
    out += static_cast<char>(stream);
    out.append(3, '\0');
    out += static_cast<char>((size >> 24) & 0xff);
    out += static_cast<char>((size >> 16) & 0xff);
    out += static_cast<char>((size >> 8) & 0xff);
    out += static_cast<char>(size & 0xff);
    out.append(payload);
    return out;
}

ErrorOr<void> write_to_client(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EPIPE || errno == ECONNRESET)
                return Error(ErrorKind::unavailable, "client went away");
            if (errno == ENOTSOCK) {
                // A pipe (tests, or a local caller): plain write.
                n = ::write(fd, data.data(), data.size());
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0)
                    return Error(ErrorKind::unavailable, "client went away", errno);
            } else {
                return Error::from_errno("send", errno);
            }
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

ErrorOr<std::string> parse_detach_keys(std::string_view text) {
    if (text.empty())
        text = "ctrl-p,ctrl-q";
    std::string keys;
    size_t position = 0;
    while (position <= text.size()) {
        size_t comma = text.find(',', position);
        if (comma == std::string_view::npos)
            comma = text.size();
        auto key = text.substr(position, comma - position);
        auto invalid = [&] {
            return Error::invalid("Invalid detach keys (" + std::string(text) + ") provided");
        };
        if (key.size() == 1) {
            keys += key[0];
        } else if (key.size() == 6 && key.substr(0, 5) == "ctrl-") {
            char c = key[5];
            if (c >= 'a' && c <= 'z')
                keys += static_cast<char>(c - 'a' + 1);
            else if (c >= '@' && c <= '_')  // ctrl-@ = 0, ctrl-[ = 27, ... ctrl-_ = 31
                keys += static_cast<char>(c - '@');
            else
                return invalid();
        } else {
            return invalid();
        }
        position = comma + 1;
        if (keys.size() > 16)
            return invalid();
    }
    return keys;
}

DetachMatcher::Result DetachMatcher::feed(std::string_view input) {
    Result result;
    if (keys_.empty()) {
        result.forward = std::string(input);
        return result;
    }
    std::string data = held_ + std::string(input);
    held_.clear();
    for (size_t i = 0; i < data.size(); ++i) {
        // Does the key sequence start here (fully, or as far as the data goes)?
        size_t matched = 0;
        while (matched < keys_.size() && i + matched < data.size() &&
               data[i + matched] == keys_[matched])
            ++matched;
        if (matched == keys_.size()) {
            result.forward += data.substr(0, i);
            result.detach = true;
            return result;
        }
        if (matched > 0 && i + matched == data.size()) {
            result.forward += data.substr(0, i);
            held_ = data.substr(i);
            return result;
        }
    }
    result.forward = std::move(data);
    return result;
}

std::string DetachMatcher::flush() {
    return std::exchange(held_, {});
}

}  // namespace corral::engine
