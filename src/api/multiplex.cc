#include "api/multiplex.h"

#include <algorithm>

namespace corral::api {

std::string frame(StreamId stream, std::string_view data) {
    std::string out;
    constexpr size_t max_payload = 0xffffffffu;
    out.reserve(data.size() + 8);
    while (!data.empty()) {
        size_t size = std::min(data.size(), max_payload);
        char header[8] = {static_cast<char>(stream),
                          0,
                          0,
                          0,
                          static_cast<char>((size >> 24) & 0xff),
                          static_cast<char>((size >> 16) & 0xff),
                          static_cast<char>((size >> 8) & 0xff),
                          static_cast<char>(size & 0xff)};
        out.append(header, sizeof(header));
        out.append(data.substr(0, size));
        data.remove_prefix(size);
    }
    return out;
}

ErrorOr<std::vector<std::pair<StreamId, std::string>>> FrameDecoder::feed(std::string_view data) {
    pending_.append(data);
    std::vector<std::pair<StreamId, std::string>> frames;
    size_t offset = 0;
    while (pending_.size() - offset >= 8) {
        auto byte = [&](size_t i) { return static_cast<uint8_t>(pending_[offset + i]); };
        uint8_t stream = byte(0);
        if (stream > 2)
            return Error::invalid("multiplexed stream: bad stream id " + std::to_string(stream));
        size_t size = (size_t{byte(4)} << 24) | (size_t{byte(5)} << 16) | (size_t{byte(6)} << 8) |
                      size_t{byte(7)};
        if (size > max_frame)
            return Error{ErrorKind::too_large,
                         "multiplexed stream: frame of " + std::to_string(size) + " bytes"};
        if (pending_.size() - offset - 8 < size)
            break;
        frames.emplace_back(static_cast<StreamId>(stream), pending_.substr(offset + 8, size));
        offset += 8 + size;
    }
    pending_.erase(0, offset);
    return frames;
}

}  // namespace corral::api
