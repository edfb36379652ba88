// Fuzzes the HTTP/1.1 response parser system-docker reads daemon answers with: any bytes, fed
// in pieces whose sizes come from the input itself, must give an error or a well-formed parse,
// never a crash, an overread or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/http_client_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    // The first byte picks the piece size, so every split of the stream gets exercised.
    size_t step = static_cast<size_t>(data[0] % 32) + 1;
    bool head_request = data[0] & 0x80;
    std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);
    corral::cli::http::ParserLimits limits;
    limits.max_head_bytes = 4096;
    corral::cli::http::ResponseParser parser(limits);
    if (head_request)
        parser.expect_no_body();
    std::string body;
    size_t offset = 0;
    while (offset < wire.size() && !parser.message_complete()) {
        auto consumed = parser.feed(wire.substr(offset, step), body);
        if (consumed.is_error())
            return 0;
        if (*consumed == 0)
            break;
        offset += *consumed;
    }
    if (!parser.message_complete())
        (void)parser.finish();
    // Decoded body bytes can never outnumber the input bytes.
    if (body.size() > wire.size())
        __builtin_trap();
    if (parser.head_complete())
        (void)parser.head().headers.get("Content-Length");
    return 0;
}
