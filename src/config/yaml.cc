#include "config/yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

namespace corral::config {

namespace {

struct Converter {
    const std::string& file;
    size_t nodes = 0;

    Mark mark_of(const YAML::Node& node) const {
        YAML::Mark mark = node.Mark();
        return Mark{file, mark.line + 1, mark.column + 1};
    }

    ErrorOr<Value> convert(const YAML::Node& node, int depth) {
        if (++nodes > max_document_nodes)
            return Error(ErrorKind::too_large, format_mark(mark_of(node)) + "more than " +
                                                   std::to_string(max_document_nodes) +
                                                   " nodes (aliases expanded)");
        if (depth > max_document_depth)
            return Error(ErrorKind::too_large, format_mark(mark_of(node)) + "nested deeper than " +
                                                   std::to_string(max_document_depth) + " levels");
        Value value;
        switch (node.Type()) {
            case YAML::NodeType::Undefined:
            case YAML::NodeType::Null:
                value = Value::null();
                break;
            case YAML::NodeType::Scalar:
                // yaml-cpp tags plain scalars "?" and quoted or block scalars "!".
                value = Value::scalar(node.Scalar(), node.Tag() == "!");
                break;
            case YAML::NodeType::Sequence: {
                std::vector<Value> items;
                for (const auto& item : node)
                    items.push_back(TRY(convert(item, depth + 1)));
                value = Value::sequence(std::move(items));
                break;
            }
            case YAML::NodeType::Map: {
                std::vector<Value::Entry> entries;
                std::vector<Mark> key_marks;
                std::set<std::string> seen;
                for (const auto& entry : node) {
                    const YAML::Node& key = entry.first;
                    if (!key.IsScalar() && !key.IsNull())
                        return Error::invalid(format_mark(mark_of(key)) +
                                              "a map key must be a scalar");
                    std::string name = key.IsNull() ? std::string() : key.Scalar();
                    if (!seen.insert(name).second)
                        return Error::invalid(format_mark(mark_of(key)) + "duplicate key `" + name +
                                              "`");
                    entries.emplace_back(name, TRY(convert(entry.second, depth + 1)));
                    key_marks.push_back(mark_of(key));
                }
                value = Value::mapping(std::move(entries));
                for (size_t i = 0; i < key_marks.size(); ++i)
                    value.set_key_mark(i, key_marks[i]);
                break;
            }
        }
        value.with_mark(mark_of(node));
        return value;
    }
};

// A literal block (`|`) carries text exactly only when every character is printable, no line
// ends in blanks, the text does not start with a blank or newline (that would set the block's
// indentation), and it ends in exactly one newline (the default chomping).
bool fits_literal_block(const std::string& text) {
    if (text.size() < 2 || text.back() != '\n' || text[text.size() - 2] == '\n')
        return false;
    if (text.front() == ' ' || text.front() == '\t' || text.front() == '\n')
        return false;
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            if (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t'))
                return false;
            continue;
        }
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

bool needs_quotes(const Value& value) {
    const std::string& text = value.text();
    if (text.empty())
        return true;
    if (value.quoted() && classify_plain_scalar(text) != ScalarType::string)
        return true;
    // Text that YAML would read differently when plain: blanks at the ends, control characters.
    if (text.front() == ' ' || text.back() == ' ' || text.front() == '\t' || text.back() == '\t')
        return true;
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

void emit(YAML::Emitter& out, const Value& value) {
    switch (value.kind()) {
        case Value::Kind::null:
            out << YAML::Null;
            break;
        case Value::Kind::scalar:
            if (value.text().find('\n') != std::string::npos && fits_literal_block(value.text()))
                out << YAML::Literal << value.text();
            else if (value.text().find('\n') != std::string::npos)
                out << YAML::DoubleQuoted << value.text();
            else if (needs_quotes(value))
                out << YAML::DoubleQuoted << value.text();
            else
                out << value.text();
            break;
        case Value::Kind::sequence:
            if (value.items().empty()) {
                out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
                break;
            }
            out << YAML::BeginSeq;
            for (const auto& item : value.items())
                emit(out, item);
            out << YAML::EndSeq;
            break;
        case Value::Kind::mapping:
            if (value.entries().empty()) {
                out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
                break;
            }
            out << YAML::BeginMap;
            for (const auto& [key, item] : value.entries()) {
                out << YAML::Key;
                if (key.empty() || classify_plain_scalar(key) != ScalarType::string)
                    out << YAML::DoubleQuoted;
                out << key << YAML::Value;
                emit(out, item);
            }
            out << YAML::EndMap;
            break;
    }
}

// YAML streams are printable Unicode text; yaml-cpp accepts stray bytes but cannot write them
// back. Returns the offset of the first byte that is not well-formed UTF-8 or is a control
// character, or npos.
size_t invalid_utf8_offset(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        size_t length = c < 0x80           ? 1
                        : (c >> 5) == 0x6  ? 2
                        : (c >> 4) == 0xe  ? 3
                        : (c >> 3) == 0x1e ? 4
                                           : 0;
        if (length == 0 || i + length > text.size())
            return i;
        // YAML allows no control characters in the stream but tab, line feed, carriage return.
        if (length == 1 && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f))
            return i;
        uint32_t code = length == 1   ? c
                        : length == 2 ? (c & 0x1f)
                        : length == 3 ? (c & 0x0f)
                                      : (c & 0x07);
        for (size_t k = 1; k < length; ++k) {
            unsigned char next = static_cast<unsigned char>(text[i + k]);
            if ((next >> 6) != 0x2)
                return i;
            code = (code << 6) | (next & 0x3f);
        }
        bool overlong = (length == 2 && code < 0x80) || (length == 3 && code < 0x800) ||
                        (length == 4 && code < 0x10000);
        if (overlong || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
            return i;
        i += length;
    }
    return std::string_view::npos;
}

}  // namespace

std::string format_mark(const Mark& mark) {
    std::string out;
    if (!mark.file.empty())
        out += mark.file + ":";
    if (mark.line > 0)
        out += std::to_string(mark.line) + ":" + std::to_string(mark.column) + ":";
    if (!out.empty())
        out += " ";
    return out;
}

ErrorOr<Value> parse_yaml(std::string_view text, const std::string& file) {
    if (text.size() > max_document_bytes)
        return Error(ErrorKind::too_large, (file.empty() ? std::string("document") : file) +
                                               ": larger than " +
                                               std::to_string(max_document_bytes) + " bytes");
    if (size_t bad = invalid_utf8_offset(text); bad != std::string_view::npos) {
        int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + bad, '\n'));
        size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
        int column =
            static_cast<int>(
                bad - (line_start == std::string_view::npos || bad == 0 ? 0 : line_start + 1)) +
            1;
        return Error::invalid(format_mark(Mark{file, line, column}) +
                              "not valid YAML text (control character or invalid UTF-8)");
    }
    try {
        YAML::Node root = YAML::Load(std::string(text));
        Converter converter{file};
        return converter.convert(root, 0);
    } catch (const YAML::Exception& exception) {
        Mark mark{file, exception.mark.is_null() ? 0 : exception.mark.line + 1,
                  exception.mark.is_null() ? 0 : exception.mark.column + 1};
        return Error::invalid(format_mark(mark) + exception.msg);
    } catch (const std::exception& exception) {
        return Error::invalid(format_mark(Mark{file}) + exception.what());
    }
}

std::string emit_yaml(const Value& value) {
    if (value.is_null())
        return "{}\n";
    YAML::Emitter out;
    out.SetIndent(2);
    emit(out, value);
    std::string text = out.c_str();
    text += "\n";
    return text;
}

}  // namespace corral::config
