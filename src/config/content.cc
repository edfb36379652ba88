#include "config/content.h"

#include <zlib.h>

namespace corral::config {

ErrorOr<std::string> base64_decode(std::string_view text) {
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        int value;
        if (c >= 'A' && c <= 'Z')
            value = c - 'A';
        else if (c >= 'a' && c <= 'z')
            value = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            value = c - '0' + 52;
        else if (c == '+' || c == '-')
            value = 62;
        else if (c == '/' || c == '_')
            value = 63;
        else if (c == '=' || c == '\n' || c == '\r' || c == ' ' || c == '\t')
            continue;
        else
            return Error::invalid(std::string("base64: invalid character `") + c + "`");
        buffer = (buffer << 6) | static_cast<uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

ErrorOr<std::string> gunzip(std::string_view data, size_t max_size) {
    z_stream stream{};
    // 16 + MAX_WBITS: gzip framing; 32 would also accept zlib, which cloud-init does not.
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
        return Error::internal("gzip: cannot initialise zlib");
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buffer[65536];
    int status = Z_OK;
    while (status != Z_STREAM_END) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer);
        stream.avail_out = sizeof(buffer);
        status = inflate(&stream, Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END) {
            std::string message = stream.msg ? stream.msg : "corrupt data";
            inflateEnd(&stream);
            return Error::invalid("gzip: " + message);
        }
        out.append(buffer, sizeof(buffer) - stream.avail_out);
        if (out.size() > max_size) {
            inflateEnd(&stream);
            return Error(ErrorKind::too_large,
                         "gzip: larger than " + std::to_string(max_size) + " bytes");
        }
        if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
            inflateEnd(&stream);
            return Error::invalid("gzip: truncated data");
        }
    }
    inflateEnd(&stream);
    return out;
}

ErrorOr<std::string> decode_content(std::string_view content, std::string_view encoding) {
    if (encoding.empty())
        return std::string(content);
    if (encoding == "b64" || encoding == "base64")
        return base64_decode(content);
    if (encoding == "gzip" || encoding == "gz")
        return gunzip(content);
    if (encoding == "gz+b64" || encoding == "gz+base64" || encoding == "gzip+b64" ||
        encoding == "gzip+base64")
        return gunzip(TRY(base64_decode(content)));
    return Error::invalid("unknown encoding `" + std::string(encoding) + "`");
}

ErrorOr<unsigned> parse_permissions(std::string_view text) {
    if (text.empty())
        return 0644u;
    unsigned mode = 0;
    for (char c : text) {
        if (c < '0' || c > '7')
            return Error::invalid("permissions `" + std::string(text) + "`: not octal");
        mode = mode * 8 + static_cast<unsigned>(c - '0');
        if (mode > 07777)
            return Error::invalid("permissions `" + std::string(text) + "`: out of range");
    }
    return mode;
}

}  // namespace corral::config
