// Image commands: images, tag, rmi, save, load, import, pull.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <set>

#include "base/sys.h"
#include "cli/system_docker_commands.h"
#include "cli/system_docker_format.h"
#include "cli/system_docker_io.h"
#include "cli/system_docker_rows.h"

namespace corral::cli {

namespace {

// Renders a JSON progress stream (pull, load, import) the way docker does on a non-terminal:
// "stream" text as it comes, one line per status, errors as errors. The last status is kept
// (import prints the new image id from it).
ErrorOr<void> render_progress(http::Connection& connection, bool quiet, std::string* last_status) {
    TRY(for_each_json_value(
        connection, "progress message", [&](const Json& message) -> ErrorOr<void> {
            if (!message.is_object())
                return {};
            if (message.contains("errorDetail") || message.contains("error")) {
                std::string error = message.value("error", "");
                if (error.empty() && message["errorDetail"].is_object())
                    error = message["errorDetail"].value("message", "");
                return Error::internal(error);
            }
            if (message.contains("stream") && message["stream"].is_string()) {
                if (!quiet)
                    std::fputs(message["stream"].get<std::string>().c_str(), stdout);
                return {};
            }
            std::string status = message.value("status", "");
            if (status.empty())
                return {};
            if (last_status)
                *last_status = status;
            // Byte-count updates ("Downloading 12MB/40MB") only make sense on a terminal.
            bool has_progress = message.contains("progressDetail") &&
                                message["progressDetail"].is_object() &&
                                message["progressDetail"].contains("current");
            if (quiet || has_progress)
                return {};
            std::string id = message.value("id", "");
            if (id.empty())
                std::printf("%s\n", status.c_str());
            else
                std::printf("%s: %s\n", id.c_str(), status.c_str());
            std::fflush(stdout);
            return {};
        }));
    std::fflush(stdout);
    return {};
}

// A request body from a file (sent with its length) or from stdin (chunked).
ErrorOr<std::optional<UniqueFd>> body_source(const std::string& path, http::Request& request) {
    std::optional<UniqueFd> owned;
    if (path.empty() || path == "-") {
        request.body_fd = STDIN_FILENO;
        return owned;
    }
    owned.emplace(TRY(sys::open(path, O_RDONLY)));
    struct stat st {};
    if (::fstat(owned->get(), &st) == 0 && S_ISREG(st.st_mode))
        request.body_length = static_cast<uint64_t>(st.st_size);
    request.body_fd = owned->get();
    return owned;
}

}  // namespace

ErrorOr<int> command_images(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    bool quiet = false;
    bool all = false;
    bool no_trunc = false;
    std::vector<std::string> filters;
    app.add_flag("-q,--quiet", quiet, "Only show image IDs");
    app.add_flag("-a,--all", all, "Show all images");
    app.add_flag("--no-trunc", no_trunc, "Don't truncate output");
    app.add_option("-f,--filter", filters, "Filter output based on conditions provided")
        ->allow_extra_args(false)
        ->take_all();
    std::string format;
    app.add_option("--format", format, "Format output using a custom template");
    std::vector<std::string> positionals;
    if (auto exit = parse_flags(context, app, arguments, "images", &positionals, 0, 1))
        return *exit;
    Json filter_map = Json::object();
    for (const auto& filter : filters) {
        size_t equals = filter.find('=');
        if (equals == std::string::npos || equals == 0)
            return usage_error(context, "images", "bad format of filter (expected name=value)");
        filter_map[filter.substr(0, equals)].push_back(filter.substr(equals + 1));
    }
    if (!positionals.empty())
        filter_map["reference"].push_back(positionals[0]);
    std::string query = "/images/json?all=" + std::string(all ? "1" : "0");
    if (!filter_map.empty())
        query += "&filters=" + url_encode(filter_map.dump());
    auto* api = TRY(context.api());
    Json images = TRY(api->call_json("GET", query));
    if (!images.is_array())
        return Error::invalid("daemon sent an image list that is not a list");
    if (quiet) {
        std::set<std::string> seen;
        for (const auto& image : images) {
            std::string id = image.value("Id", "");
            std::string shown = no_trunc ? id : short_id(id);
            if (seen.insert(shown).second)
                std::printf("%s\n", shown.c_str());
        }
        return 0;
    }
    int64_t now = std::time(nullptr);
    std::vector<Json> rows;
    for (const auto& image : images) {
        std::string id = image.value("Id", "");
        std::string shown_id = no_trunc ? id : short_id(id);
        int64_t created = image.contains("Created") && image["Created"].is_number()
                              ? image["Created"].get<int64_t>()
                              : 0;
        double size =
            image.contains("Size") && image["Size"].is_number() ? image["Size"].get<double>() : 0.0;
        std::vector<std::string> tags;
        if (image.contains("RepoTags") && image["RepoTags"].is_array()) {
            for (const auto& tag : image["RepoTags"]) {
                if (tag.is_string() && tag.get<std::string>() != "<none>:<none>")
                    tags.push_back(tag.get<std::string>());
            }
        }
        if (tags.empty())
            tags.push_back("<none>:<none>");
        for (const auto& tag : tags) {
            auto [repository, tag_name] = split_reference(tag);
            rows.push_back({{"Repository", repository},
                            {"Tag", tag_name.empty() ? "<none>" : tag_name},
                            {"ID", shown_id},
                            {"CreatedSince", human_duration(now - created) + " ago"},
                            {"CreatedAt", format_local_time(created)},
                            {"Size", human_size(size)}});
        }
    }
    if (format.empty())
        format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    static const FieldHeaders headers = {{"Repository", "REPOSITORY"}, {"Tag", "TAG"},
                                         {"ID", "IMAGE ID"},           {"CreatedSince", "CREATED"},
                                         {"CreatedAt", "CREATED AT"},  {"Size", "SIZE"}};
    std::string text = TRY(render_rows(format, rows, headers));
    std::fputs(text.c_str(), stdout);
    return 0;
}

ErrorOr<int> command_tag(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "tag", &names, 2, 2))
        return *exit;
    auto [repository, tag] = split_reference(names[1]);
    auto* api = TRY(context.api());
    TRY(api->call("POST", "/images/" + url_encode(names[0]) +
                              "/tag?repo=" + url_encode(repository) + "&tag=" + url_encode(tag)));
    return 0;
}

ErrorOr<int> command_rmi(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    bool force = false;
    bool no_prune = false;
    app.add_flag("-f,--force", force, "Force removal of the image");
    app.add_flag("--no-prune", no_prune, "Do not delete untagged parents");
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "rmi", &names, 1))
        return *exit;
    auto* api = TRY(context.api());
    int status = 0;
    for (const auto& name : names) {
        auto removed = api->call_json("DELETE", "/images/" + url_encode(name) +
                                                    "?force=" + (force ? "1" : "0") +
                                                    "&noprune=" + (no_prune ? "1" : "0"));
        if (removed.is_error()) {
            std::fprintf(stderr, "%s\n", removed.error().message().c_str());
            status = 1;
            continue;
        }
        if (!removed->is_array())
            continue;
        for (const auto& item : *removed) {
            if (item.contains("Untagged"))
                std::printf("Untagged: %s\n", item.value("Untagged", "").c_str());
            if (item.contains("Deleted"))
                std::printf("Deleted: %s\n", item.value("Deleted", "").c_str());
        }
    }
    return status;
}

ErrorOr<int> command_save(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    std::string output;
    app.add_option("-o,--output", output, "Write to a file, instead of STDOUT");
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "save", &names, 1))
        return *exit;
    if (output.empty() && ::isatty(STDOUT_FILENO)) {
        std::fprintf(stderr,
                     "cowardly refusing to save to a terminal. Use the -o flag or "
                     "redirect\n");
        return 1;
    }
    std::string query = "/images/get?";
    for (size_t i = 0; i < names.size(); ++i)
        query += (i ? "&names=" : "names=") + url_encode(names[i]);
    auto* api = TRY(context.api());
    auto connection = TRY(api->open_stream(api->request("GET", query)));
    UniqueFd file;
    std::string temporary;
    int fd = STDOUT_FILENO;
    if (!output.empty()) {
        // Written beside the target and renamed at the end: no half archive under its name.
        temporary = output + ".tmp-" + std::to_string(::getpid());
        file = TRY(sys::open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0644));
        fd = file.get();
    }
    auto copied = [&]() -> ErrorOr<void> {
        for (;;) {
            auto piece = TRY(connection.read_body_some());
            if (!piece)
                return {};
            TRY(sys::write_all(fd, *piece));
        }
    }();
    if (copied.is_error()) {
        if (!temporary.empty())
            (void)sys::unlink(temporary);
        return copied.release_error();
    }
    if (!temporary.empty()) {
        TRY(sys::fsync(fd, temporary));
        TRY(sys::rename(temporary, output));
    }
    return 0;
}

ErrorOr<int> command_load(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    std::string input;
    bool quiet = false;
    app.add_option("-i,--input", input, "Read from tar archive file, instead of STDIN");
    app.add_flag("-q,--quiet", quiet, "Suppress the load output");
    if (auto exit = parse_flags(context, app, arguments, "load", nullptr, 0))
        return *exit;
    if (input.empty() && ::isatty(STDIN_FILENO)) {
        std::fprintf(stderr, "requested load from stdin, but stdin is empty\n");
        return 1;
    }
    auto* api = TRY(context.api());
    http::Request request =
        api->request("POST", std::string("/images/load?quiet=") + (quiet ? "1" : "0"));
    request.headers.push_back({"Content-Type", "application/x-tar"});
    auto file = TRY(body_source(input, request));
    auto connection = TRY(api->open_stream(std::move(request)));
    TRY(render_progress(connection, quiet, nullptr));
    return 0;
}

ErrorOr<int> command_import(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    std::string message;
    std::vector<std::string> changes;
    app.add_option("-m,--message", message, "Set commit message for imported image");
    app.add_option("-c,--change", changes, "Apply Dockerfile instruction to the created image")
        ->allow_extra_args(false)
        ->take_all();
    std::vector<std::string> positionals;
    if (auto exit = parse_flags(context, app, arguments, "import", &positionals, 1, 2))
        return *exit;
    std::string query = "/images/create?fromSrc=-";
    if (positionals.size() == 2) {
        auto [repository, tag] = split_reference(positionals[1]);
        query += "&repo=" + url_encode(repository) + "&tag=" + url_encode(tag);
    }
    if (!message.empty())
        query += "&message=" + url_encode(message);
    for (const auto& change : changes)
        query += "&changes=" + url_encode(change);
    auto* api = TRY(context.api());
    http::Request request = api->request("POST", query);
    request.headers.push_back({"Content-Type", "application/x-tar"});
    auto file = TRY(body_source(positionals[0], request));
    auto connection = TRY(api->open_stream(std::move(request)));
    std::string last_status;
    TRY(render_progress(connection, true, &last_status));
    if (!last_status.empty())
        std::printf("%s\n", last_status.c_str());
    return 0;
}

ErrorOr<int> command_pull(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    bool quiet = false;
    std::string platform;
    app.add_flag("-q,--quiet", quiet, "Suppress verbose output");
    app.add_option("--platform", platform, "Set platform if server is multi-platform capable");
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "pull", &names, 1, 1))
        return *exit;
    auto [repository, tag] = split_reference(names[0]);
    bool tagged =
        names[0].find('@') != std::string::npos ||
        names[0].substr(names[0].rfind('/') == std::string::npos ? 0 : names[0].rfind('/'))
                .find(':') != std::string::npos;
    if (!tagged && !quiet)
        std::printf("Using default tag: %s\n", tag.c_str());
    std::string query = "/images/create?fromImage=" + url_encode(repository);
    if (!tag.empty())
        query += "&tag=" + url_encode(tag);
    if (!platform.empty())
        query += "&platform=" + url_encode(platform);
    auto* api = TRY(context.api());
    auto connection = TRY(api->open_stream(api->request("POST", query)));
    auto rendered = render_progress(connection, quiet, nullptr);
    if (rendered.is_error())
        return Error(rendered.error().kind(),
                     "Error response from daemon: " + rendered.error().message());
    std::printf("%s\n", (tag.empty() ? repository : repository + ":" + tag).c_str());
    return 0;
}

}  // namespace corral::cli
