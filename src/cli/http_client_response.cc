#include "cli/http_client_response.h"

#include <strings.h>
#include <algorithm>
#include <charconv>

namespace corral::cli::http {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    return text;
}

bool is_token_char(char c) {
    if (c >= 'a' && c <= 'z')
        return true;
    if (c >= 'A' && c <= 'Z')
        return true;
    if (c >= '0' && c <= '9')
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Whether a comma-separated header value lists `token` (Transfer-Encoding: gzip, chunked).
bool lists_token(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        size_t comma = value.find(',');
        std::string_view item = trim(value.substr(0, comma));
        if (equal_ignoring_case(item, token))
            return true;
        if (comma == std::string_view::npos)
            break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

Error malformed(std::string_view what) {
    return Error::invalid("malformed HTTP response: " + std::string(what));
}

}  // namespace

void Headers::add(std::string name, std::string value) {
    fields_.push_back({std::move(name), std::move(value)});
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
    for (const auto& field : fields_) {
        if (equal_ignoring_case(field.name, name))
            return std::string_view(field.value);
    }
    return std::nullopt;
}

ErrorOr<void> ResponseParser::parse_status_line(std::string_view line) {
    // HTTP/1.1 200 OK
    if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || line[8] != ' ')
        return malformed("bad status line");
    if (line.substr(5, 3) != "1.1" && line.substr(5, 3) != "1.0")
        return malformed("unsupported HTTP version");
    int status = 0;
    auto [end, error] = std::from_chars(line.data() + 9, line.data() + 12, status);
    if (error != std::errc() || end != line.data() + 12 || status < 100 || status > 999)
        return malformed("bad status code");
    if (line.size() > 12 && line[12] != ' ')
        return malformed("bad status line");
    head_.status = status;
    head_.reason = std::string(trim(line.size() > 13 ? line.substr(13) : std::string_view()));
    return {};
}

ErrorOr<void> ResponseParser::parse_header_line(std::string_view line) {
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos)
        return malformed("header line without a name");
    std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_token_char))
        return malformed("bad header name");
    if (head_.headers.all().size() >= limits_.max_header_count)
        return Error(ErrorKind::too_large, "HTTP response has too many headers");
    head_.headers.add(std::string(name), std::string(trim(line.substr(colon + 1))));
    return {};
}

ErrorOr<void> ResponseParser::begin_body() {
    int status = head_.status;
    if (no_body_ || status < 200 || status == 204 || status == 304) {
        // 1xx (101 Switching Protocols among them) ends at the head: what follows belongs to
        // the upgraded stream.
        state_ = State::done;
        return {};
    }
    auto transfer_encoding = head_.headers.get("Transfer-Encoding");
    if (transfer_encoding && lists_token(*transfer_encoding, "chunked")) {
        state_ = State::chunk_size;
        return {};
    }
    if (auto length = head_.headers.get("Content-Length")) {
        uint64_t value = 0;
        auto [end, error] = std::from_chars(length->data(), length->data() + length->size(), value);
        if (length->empty() || error != std::errc() || end != length->data() + length->size())
            return malformed("bad Content-Length");
        content_length_ = value;
        remaining_ = value;
        state_ = value == 0 ? State::done : State::body_length;
        return {};
    }
    state_ = State::body_until_close;
    return {};
}

ErrorOr<void> ResponseParser::parse_chunk_size(std::string_view line) {
    std::string_view size_text = trim(line.substr(0, line.find(';')));
    if (size_text.empty() || size_text.size() > 16)
        return malformed("bad chunk size");
    uint64_t size = 0;
    auto [end, error] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (error != std::errc() || end != size_text.data() + size_text.size())
        return malformed("bad chunk size");
    if (size > limits_.max_chunk_size)
        return Error(ErrorKind::too_large, "HTTP chunk too large");
    remaining_ = size;
    state_ = size == 0 ? State::trailers : State::chunk_data;
    return {};
}

ErrorOr<size_t> ResponseParser::feed(std::string_view data, std::string& body) {
    size_t consumed = 0;
    while (consumed < data.size() && state_ != State::done) {
        std::string_view rest = data.substr(consumed);
        switch (state_) {
            case State::status_line:
            case State::headers:
            case State::chunk_size:
            case State::chunk_data_end:
            case State::trailers: {
                size_t newline = rest.find('\n');
                size_t take = newline == std::string_view::npos ? rest.size() : newline + 1;
                bool in_head = state_ == State::status_line || state_ == State::headers;
                size_t limit = in_head ? limits_.max_head_bytes : limits_.max_chunk_line_bytes;
                if (in_head)
                    head_bytes_ += take;
                if ((in_head ? head_bytes_ : line_.size() + take) > limit)
                    return Error(ErrorKind::too_large, "HTTP response head or chunk line too long");
                line_.append(rest.substr(0, take));
                consumed += take;
                if (newline == std::string_view::npos)
                    break;
                std::string line = std::move(line_);
                line_.clear();
                line.pop_back();  // '\n'
                if (!line.empty() && line.back() == '\r')
                    line.pop_back();
                if (state_ == State::status_line) {
                    TRY(parse_status_line(line));
                    state_ = State::headers;
                } else if (state_ == State::headers) {
                    if (line.empty())
                        TRY(begin_body());
                    else
                        TRY(parse_header_line(line));
                } else if (state_ == State::chunk_size) {
                    TRY(parse_chunk_size(line));
                } else if (state_ == State::chunk_data_end) {
                    if (!line.empty())
                        return malformed("chunk data longer than its size");
                    state_ = State::chunk_size;
                } else if (line.empty()) {  // trailers end at an empty line
                    state_ = State::done;
                }
                break;
            }
            case State::body_length:
            case State::chunk_data: {
                size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
                body.append(rest.substr(0, take));
                consumed += take;
                remaining_ -= take;
                if (remaining_ == 0)
                    state_ = state_ == State::body_length ? State::done : State::chunk_data_end;
                break;
            }
            case State::body_until_close:
                body.append(rest);
                consumed += rest.size();
                break;
            case State::done:
                break;
        }
    }
    return consumed;
}

ErrorOr<void> ResponseParser::finish() {
    if (state_ == State::body_until_close) {
        state_ = State::done;
        return {};
    }
    if (state_ != State::done)
        return Error(ErrorKind::unavailable, "connection closed before the end of the response");
    return {};
}

}  // namespace corral::cli::http
