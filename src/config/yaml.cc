#include "config/yaml.h"

#include <yaml-cpp/yaml.h>

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

bool needs_quotes(const Value& value) {
    const std::string& text = value.text();
    if (text.empty())
        return true;
    if (value.quoted() && classify_plain_scalar(text) != ScalarType::string)
        return true;
    // Text that YAML would read differently when plain: leading indicators or spaces.
    if (text.front() == ' ' || text.back() == ' ')
        return true;
    return false;
}

void emit(YAML::Emitter& out, const Value& value) {
    switch (value.kind()) {
        case Value::Kind::null:
            out << YAML::Null;
            break;
        case Value::Kind::scalar:
            if (value.text().find('\n') != std::string::npos)
                out << YAML::Literal << value.text();
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
