#include "cli/system_docker_rows.h"

#include <cctype>

#include "cli/system_docker_format.h"

namespace corral::cli {

namespace {

// As the docker CLI does, the escapes "\t" and "\n" typed on a shell line mean tab and newline.
std::string unescape(std::string_view format) {
    std::string out;
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] == '\\' && i + 1 < format.size() &&
            (format[i + 1] == 't' || format[i + 1] == 'n')) {
            out += format[i + 1] == 't' ? '\t' : '\n';
            ++i;
        } else {
            out += format[i];
        }
    }
    return out;
}

// The header of one table column: the template with each {{.Field}} replaced by its header.
std::string header_of(std::string_view column, const FieldHeaders& headers) {
    std::string out;
    while (!column.empty()) {
        size_t open = column.find("{{");
        if (open == std::string_view::npos) {
            out += column;
            break;
        }
        out += column.substr(0, open);
        size_t close = column.find("}}", open);
        if (close == std::string_view::npos)
            break;
        std::string_view action = column.substr(open + 2, close - open - 2);
        size_t dot = action.find('.');
        if (dot != std::string_view::npos) {
            size_t end = dot + 1;
            while (end < action.size() &&
                   (std::isalnum(static_cast<unsigned char>(action[end])) || action[end] == '_'))
                ++end;
            std::string field(action.substr(dot + 1, end - dot - 1));
            auto found = headers.find(field);
            if (found != headers.end()) {
                out += found->second;
            } else {
                for (char c : field)
                    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            }
        }
        column.remove_prefix(close + 2);
    }
    return out;
}

}  // namespace

ErrorOr<std::string> render_rows(std::string_view format, const std::vector<Json>& rows,
                                 const FieldHeaders& headers) {
    std::string text = unescape(format);
    bool table = text.starts_with("table");
    if (!table) {
        auto compiled = TRY(Template::parse(text));
        std::string out;
        for (const auto& row : rows)
            out += TRY(compiled.execute(row)) + "\n";
        return out;
    }
    text.erase(0, 5);
    while (!text.empty() && text.front() == ' ')
        text.erase(0, 1);
    std::vector<std::string> columns;
    size_t start = 0;
    for (size_t tab; (tab = text.find('\t', start)) != std::string::npos; start = tab + 1)
        columns.push_back(text.substr(start, tab - start));
    columns.push_back(text.substr(start));
    std::vector<Template> compiled;
    Table output;
    std::vector<std::string> header_row;
    for (const auto& column : columns) {
        compiled.push_back(TRY(Template::parse(column)));
        header_row.push_back(header_of(column, headers));
    }
    output.add_row(header_row);
    for (const auto& row : rows) {
        std::vector<std::string> cells;
        for (const auto& column : compiled)
            cells.push_back(TRY(column.execute(row)));
        output.add_row(cells);
    }
    return output.render();
}

}  // namespace corral::cli
