#include "runtime/shim_protocol.h"

namespace corral::runtime::shim_protocol {

namespace {

void put_u32(std::string& out, uint32_t value) {
    out += static_cast<char>(value >> 24);
    out += static_cast<char>(value >> 16);
    out += static_cast<char>(value >> 8);
    out += static_cast<char>(value);
}

uint32_t get_u32(std::string_view in) {
    auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(in[i])); };
    return byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
}

}  // namespace

std::string encode(char type, std::string_view payload) {
    std::string frame;
    frame.reserve(header_size + payload.size());
    frame += type;
    put_u32(frame, static_cast<uint32_t>(payload.size()));
    frame.append(payload);
    return frame;
}

std::string encode_resize(unsigned short rows, unsigned short columns) {
    std::string payload;
    payload += static_cast<char>(rows >> 8);
    payload += static_cast<char>(rows);
    payload += static_cast<char>(columns >> 8);
    payload += static_cast<char>(columns);
    return encode(type::resize, payload);
}

std::string encode_exit(int exit_code, bool oom_killed) {
    std::string payload;
    put_u32(payload, static_cast<uint32_t>(exit_code));
    payload += static_cast<char>(oom_killed ? 1 : 0);
    return encode(type::exit, payload);
}

std::optional<std::pair<unsigned short, unsigned short>> decode_resize(std::string_view payload) {
    if (payload.size() != 4)
        return std::nullopt;
    auto byte = [&](size_t i) { return static_cast<unsigned>(static_cast<uint8_t>(payload[i])); };
    return std::pair{static_cast<unsigned short>(byte(0) << 8 | byte(1)),
                     static_cast<unsigned short>(byte(2) << 8 | byte(3))};
}

std::optional<std::pair<int, bool>> decode_exit(std::string_view payload) {
    if (payload.size() != 5)
        return std::nullopt;
    return std::pair{static_cast<int>(get_u32(payload)), payload[4] != 0};
}

ErrorOr<void> FrameDecoder::feed(std::string_view bytes) {
    buffer_.append(bytes);
    for (;;) {
        std::string_view rest = std::string_view(buffer_).substr(offset_);
        if (rest.size() < header_size)
            break;
        uint32_t length = get_u32(rest.substr(1));
        if (length > max_payload)
            return Error(ErrorKind::too_large,
                         "attach frame of " + std::to_string(length) + " bytes");
        if (rest.size() < header_size + length)
            break;
        frames_.push_back({rest[0], std::string(rest.substr(header_size, length))});
        offset_ += header_size + length;
    }
    // Compact once the consumed prefix dominates, so the buffer stays bounded.
    if (offset_ > 0 && offset_ * 2 >= buffer_.size()) {
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    return {};
}

std::optional<Frame> FrameDecoder::next() {
    if (frames_.empty())
        return std::nullopt;
    Frame frame = std::move(frames_.front());
    frames_.pop_front();
    return frame;
}

}  // namespace corral::runtime::shim_protocol
