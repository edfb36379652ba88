// A minimal HTTP/1.1 client over a connected socket, for the server tests: sends raw bytes,
// reads one response (Content-Length, chunked, or until close).
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <map>
#include <string>

#include "base/fd.h"
#include "base/sys.h"

namespace corral::api::testing {

struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  // lowercased names
    std::string body;
    bool complete = false;
};

inline bool send_text(int fd, std::string_view text) {
    return !sys::write_all(fd, text).is_error();
}

class ResponseReader {
  public:
    explicit ResponseReader(int fd, int timeout_ms = 5000) : fd_(fd), timeout_ms_(timeout_ms) {}

    // Reads one response; `head_only` stops after the head (HEAD requests, 101 upgrades).
    Response read(bool head_only = false) {
        Response response;
        size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill())
                return response;
        }
        std::string head = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
        size_t line_end = head.find("\r\n");
        std::string status_line = head.substr(0, line_end);
        response.status = std::atoi(status_line.substr(9, 3).c_str());
        size_t position = line_end == std::string::npos ? head.size() : line_end + 2;
        while (position < head.size()) {
            size_t next = head.find("\r\n", position);
            if (next == std::string::npos)
                next = head.size();
            std::string line = head.substr(position, next - position);
            size_t colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (auto& c : name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ')
                value.erase(0, 1);
            response.headers[name] = value;
            position = next + 2;
        }
        if (head_only || response.status == 204 || response.status == 304 ||
            response.status == 101) {
            response.complete = true;
            return response;
        }
        if (response.headers.count("content-length")) {
            size_t length = std::stoul(response.headers["content-length"]);
            while (buffer_.size() < length) {
                if (!fill())
                    return response;
            }
            response.body = buffer_.substr(0, length);
            buffer_.erase(0, length);
            response.complete = true;
        } else if (response.headers["transfer-encoding"] == "chunked") {
            while (true) {
                size_t line = 0;
                while ((line = buffer_.find("\r\n")) == std::string::npos) {
                    if (!fill())
                        return response;
                }
                size_t size = std::stoul(buffer_.substr(0, line), nullptr, 16);
                while (buffer_.size() < line + 2 + size + 2) {
                    if (!fill())
                        return response;
                }
                response.body += buffer_.substr(line + 2, size);
                buffer_.erase(0, line + 2 + size + 2);
                if (size == 0)
                    break;
            }
            response.complete = true;
        } else {
            while (fill()) {
            }
            response.body = buffer_;
            buffer_.clear();
            response.complete = true;
        }
        return response;
    }

    // Reads whatever arrives until `count` bytes are buffered or the peer closes.
    std::string read_raw(size_t count) {
        while (buffer_.size() < count && fill()) {
        }
        std::string out = buffer_.substr(0, count);
        buffer_.erase(0, out.size());
        return out;
    }

    // True when the peer closed the connection (after consuming buffered bytes).
    bool closed() { return buffer_.empty() && !fill(); }

  private:
    bool fill() {
        pollfd entry{fd_, POLLIN, 0};
        if (::poll(&entry, 1, timeout_ms_) <= 0)
            return false;
        char chunk[4096];
        ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
        if (n <= 0)
            return false;
        buffer_.append(chunk, static_cast<size_t>(n));
        return true;
    }

    int fd_;
    int timeout_ms_;
    std::string buffer_;
};

}  // namespace corral::api::testing
