#include "cli/system_docker_stream.h"

#include <algorithm>

namespace corral::cli {

ErrorOr<void> StreamDemultiplexer::feed(std::string_view data) {
    while (!data.empty()) {
        if (payload_left_ == 0) {
            size_t take = std::min(data.size(), sizeof header_ - header_fill_);
            std::copy_n(data.data(), take, header_ + header_fill_);
            header_fill_ += take;
            data.remove_prefix(take);
            if (header_fill_ < sizeof header_)
                return {};
            header_fill_ = 0;
            if (header_[0] > 3 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0)
                return Error::invalid("malformed stream frame header");
            current_ = static_cast<StreamId>(header_[0]);
            payload_left_ = (uint32_t{header_[4]} << 24) | (uint32_t{header_[5]} << 16) |
                            (uint32_t{header_[6]} << 8) | uint32_t{header_[7]};
            continue;
        }
        size_t take = std::min<size_t>(data.size(), payload_left_);
        payload_left_ -= static_cast<uint32_t>(take);
        TRY(sink_(current_, data.substr(0, take)));
        data.remove_prefix(take);
    }
    return {};
}

ErrorOr<std::vector<std::string>> JsonSequenceSplitter::feed(std::string_view data) {
    std::vector<std::string> values;
    for (char c : data) {
        if (pending_.empty() && depth_ == 0) {
            // Between values: whitespace and stray separators are skipped.
            if (c == '{' || c == '[') {
                pending_ += c;
                depth_ = 1;
            } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return Error::invalid("malformed JSON stream: unexpected character between values");
            }
            continue;
        }
        pending_ += c;
        if (pending_.size() > max_value_bytes_)
            return Error(ErrorKind::too_large, "JSON stream value too large");
        if (in_string_) {
            if (escaped_)
                escaped_ = false;
            else if (c == '\\')
                escaped_ = true;
            else if (c == '"')
                in_string_ = false;
            continue;
        }
        if (c == '"') {
            in_string_ = true;
        } else if (c == '{' || c == '[') {
            ++depth_;
        } else if (c == '}' || c == ']') {
            if (--depth_ == 0) {
                values.push_back(std::move(pending_));
                pending_.clear();
            }
        }
    }
    return values;
}

std::string make_stream_frame(StreamId stream, std::string_view payload) {
    std::string frame(8, '\0');
    frame[0] = static_cast<char>(stream);
    uint32_t size = static_cast<uint32_t>(payload.size());
    frame[4] = static_cast<char>(size >> 24);
    frame[5] = static_cast<char>(size >> 16);
    frame[6] = static_cast<char>(size >> 8);
    frame[7] = static_cast<char>(size);
    frame += payload;
    return frame;
}

}  // namespace corral::cli
