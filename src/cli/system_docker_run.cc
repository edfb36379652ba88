// Commands that attach to a container's streams: run, create, start -a, exec, attach.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "cli/system_docker_commands.h"
#include "cli/system_docker_io.h"
#include "cli/system_docker_run_options.h"

namespace corral::cli {

namespace {

std::string container_path(const std::string& id, std::string_view suffix) {
    return "/containers/" + url_encode(id) + std::string(suffix);
}

// The size of the terminal we run in (stdout's, else stdin's), as the docker CLI takes it.
std::optional<TerminalSize> own_terminal_size() {
    auto size = terminal_size(STDOUT_FILENO);
    return size ? size : terminal_size(STDIN_FILENO);
}

// The terminal side of an attached session: raw mode for a TTY on our stdin, and the
// daemon told our window size now and on every SIGWINCH.
struct TerminalSession {
    std::optional<RawTerminal> raw;
    std::function<void()> resize;
};

ErrorOr<TerminalSession> prepare_terminal(DockerApi& api, bool tty, bool interactive,
                                          std::string resize_path) {
    TerminalSession session;
    if (!tty)
        return session;
    session.resize = [&api, resize_path] {
        auto size = own_terminal_size();
        if (!size)
            return;
        // A failed resize (container already gone) changes nothing the user can act on.
        (void)api.call("POST", resize_path + "?h=" + std::to_string(size->rows) +
                                   "&w=" + std::to_string(size->columns));
    };
    if (interactive && ::isatty(STDIN_FILENO))
        session.raw.emplace(TRY(RawTerminal::enable(STDIN_FILENO)));
    return session;
}

// Reads the answer of a wait request sent earlier: {"StatusCode": N, "Error": {...}}.
ErrorOr<int> read_wait_result(http::Connection& connection) {
    TRY(DockerApi::check_status(connection));
    std::string body = TRY(connection.read_body(1 << 20));
    try {
        auto result = Json::parse(body);
        if (result.contains("Error") && result["Error"].is_object() &&
            result["Error"].contains("Message") && result["Error"]["Message"].is_string() &&
            !result["Error"]["Message"].get<std::string>().empty())
            return Error::internal(result["Error"]["Message"].get<std::string>());
        return result.value("StatusCode", 0);
    } catch (const std::exception& error) {
        return Error::invalid(std::string("malformed wait response: ") + error.what());
    }
}

// A container that could not start: `run` words it as docker run does, other commands plainly.
void print_start_error(CommandContext& context, bool from_run, const std::string& message) {
    if (from_run)
        std::fprintf(stderr, "%s: %s\n\nRun '%s run --help' for more information\n",
                     context.program().c_str(), message.c_str(), context.program().c_str());
    else
        std::fprintf(stderr, "%s\n", message.c_str());
}

// Attaches to a created container, starts it, copies its streams and returns its exit code.
struct AttachedRun {
    std::string id;
    bool tty = false;
    bool interactive = false;
    bool sig_proxy = true;
    std::string wait_condition = "next-exit";
    bool already_running = false;  // attach only, no start
    bool from_run = false;
};

ErrorOr<int> run_attached(CommandContext& context, const AttachedRun& run) {
    auto* api = TRY(context.api());
    std::string attach_query =
        std::string("/attach?stream=1&stdout=1&stderr=1&stdin=") + (run.interactive ? "1" : "0");
    // The attach and the wait go out together, each on its connection; the start goes once
    // both answers have begun (the engine then holds both, as with the docker CLI, which sends
    // them one after the other). A start that overtook the wait could let a --rm container that
    // ends at once be removed before its wait arrived.
    auto stream = TRY(api->send_hijack("POST", container_path(run.id, attach_query)));
    std::optional<http::Connection> wait;
    if (!run.already_running)
        wait.emplace(TRY(api->send_only(api->request(
            "POST", container_path(run.id, "/wait?condition=" + run.wait_condition)))));
    TRY(DockerApi::check_status(stream));
    if (wait)
        TRY(DockerApi::check_status(*wait));
    if (!run.already_running) {
        auto started = api->call("POST", container_path(run.id, "/start"));
        if (started.is_error()) {
            print_start_error(context, run.from_run, started.error().message());
            return start_failure_exit_code(started.error().message());
        }
    }
    auto terminal =
        TRY(prepare_terminal(*api, run.tty, run.interactive, container_path(run.id, "/resize")));
    if (terminal.resize)
        terminal.resize();
    PumpOptions pump;
    pump.tty = run.tty;
    pump.send_stdin = run.interactive;
    pump.on_resize = terminal.resize;
    if (!run.tty && run.sig_proxy) {
        pump.on_signal = [api, id = run.id](int signal_number) {
            (void)api->call("POST",
                            container_path(id, "/kill?signal=" + std::to_string(signal_number)));
        };
    }
    TRY(pump_hijacked(stream, pump));
    terminal.raw.reset();
    if (wait)
        return read_wait_result(*wait);
    // attach: the stream ended; the container's state tells how it ended.
    Json state = TRY(api->call_json("GET", container_path(run.id, "/json")));
    if (state.contains("State") && state["State"].is_object() &&
        !state["State"].value("Running", false))
        return state["State"].value("ExitCode", 0);
    return 0;
}

ErrorOr<std::string> create_container(CommandContext& context, ContainerOptions options) {
    if (options.tty && !options.console_size) {
        if (auto size = own_terminal_size())
            options.console_size = std::make_pair(size->rows, size->columns);
    }
    Json body = TRY(build_create_body(options));
    std::string path = "/containers/create";
    if (!options.name.empty())
        path += "?name=" + url_encode(options.name);
    auto* api = TRY(context.api());
    Json created = TRY(api->call_json("POST", path, body));
    if (created.contains("Warnings") && created["Warnings"].is_array()) {
        for (const auto& warning : created["Warnings"]) {
            if (warning.is_string())
                std::fprintf(stderr, "WARNING: %s\n", warning.get<std::string>().c_str());
        }
    }
    if (!created.contains("Id") || !created["Id"].is_string())
        return Error::invalid("daemon did not return the new container's Id");
    return created["Id"].get<std::string>();
}

// Parses run/create flags; prints usage errors itself (returned as an exit code).
std::variant<ContainerOptions, int> parse_run(CommandContext& context, const Arguments& arguments,
                                              bool for_run) {
    std::string_view name = for_run ? "run" : "create";
    for (const auto& argument : arguments) {
        if (argument == "--help") {
            CLI::App app;
            ContainerOptions ignored;
            add_container_flags(app, ignored, for_run);
            std::printf("\nUsage:  %s %.*s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nOptions:\n",
                        context.program().c_str(), static_cast<int>(name.size()), name.data());
            for (const CLI::Option* option : app.get_options())
                std::printf("  %-28s %s\n", option->get_name(false, true).c_str(),
                            option->get_description().c_str());
            return 0;
        }
        if (!argument.starts_with("-"))
            break;
    }
    auto options = parse_container_arguments(arguments, for_run, context.program());
    if (options.is_error())
        return usage_error(context, name, options.error().message());
    return options.release_value();
}

}  // namespace

ErrorOr<int> command_create(CommandContext& context, const Arguments& arguments) {
    auto parsed = parse_run(context, arguments, false);
    if (auto* exit = std::get_if<int>(&parsed))
        return *exit;
    auto& options = std::get<ContainerOptions>(parsed);
    std::string id = TRY(create_container(context, options));
    std::printf("%s\n", id.c_str());
    return 0;
}

ErrorOr<int> command_run(CommandContext& context, const Arguments& arguments) {
    auto parsed = parse_run(context, arguments, true);
    if (auto* exit = std::get_if<int>(&parsed))
        return *exit;
    auto& options = std::get<ContainerOptions>(parsed);
    if (options.tty && options.interactive && !options.detach && !::isatty(STDIN_FILENO)) {
        std::fprintf(stderr, "the input device is not a TTY\n");
        return 1;
    }
    std::string id = TRY(create_container(context, options));
    auto* api = TRY(context.api());
    if (options.detach) {
        auto started = api->call("POST", container_path(id, "/start"));
        if (started.is_error()) {
            print_start_error(context, true, started.error().message());
            return start_failure_exit_code(started.error().message());
        }
        std::printf("%s\n", id.c_str());
        return 0;
    }
    AttachedRun run;
    run.id = id;
    run.tty = options.tty;
    run.interactive = options.interactive;
    run.sig_proxy = options.sig_proxy;
    run.wait_condition = options.remove ? "removed" : "next-exit";
    run.from_run = true;
    auto code = run_attached(context, run);
    if (code.is_error()) {
        // The container ran (or was created): report like the other commands, exit 125.
        print_start_error(context, true, code.error().message());
        return 125;
    }
    return *code;
}

ErrorOr<int> start_attached(CommandContext& context, const std::string& container,
                            bool interactive) {
    auto* api = TRY(context.api());
    Json inspected = TRY(api->call_json("GET", container_path(container, "/json")));
    const Json config = inspected.value("Config", Json::object());
    AttachedRun run;
    run.id = inspected.value("Id", container);
    run.tty = config.value("Tty", false);
    run.interactive = interactive && config.value("OpenStdin", false);
    return run_attached(context, run);
}

ErrorOr<int> command_attach(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    bool no_stdin = false;
    bool sig_proxy = true;
    app.add_flag("--no-stdin", no_stdin, "Do not attach STDIN");
    app.add_flag("--sig-proxy{true}", sig_proxy, "Proxy all received signals to the process");
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "attach", &names, 1, 1))
        return *exit;
    auto* api = TRY(context.api());
    Json inspected = TRY(api->call_json("GET", container_path(names[0], "/json")));
    const Json state = inspected.value("State", Json::object());
    if (!state.value("Running", false))
        return Error::conflict("You cannot attach to a stopped container, start it first");
    const Json config = inspected.value("Config", Json::object());
    AttachedRun run;
    run.id = inspected.value("Id", names[0]);
    run.tty = config.value("Tty", false);
    run.interactive = !no_stdin && config.value("OpenStdin", false);
    run.sig_proxy = sig_proxy;
    run.already_running = true;
    if (run.tty && run.interactive && !::isatty(STDIN_FILENO))
        return Error::invalid("the input device is not a TTY");
    return run_attached(context, run);
}

ErrorOr<int> command_exec(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    app.prefix_command();
    bool detach = false;
    bool interactive = false;
    bool tty = false;
    bool privileged = false;
    std::vector<std::string> env;
    std::string user;
    std::string workdir;
    app.add_flag("-d,--detach", detach, "Detached mode: run command in the background");
    app.add_flag("-i,--interactive", interactive, "Keep STDIN open even if not attached");
    app.add_flag("-t,--tty", tty, "Allocate a pseudo-TTY");
    app.add_flag("--privileged", privileged, "Give extended privileges to the command");
    app.add_option("-e,--env", env, "Set environment variables")
        ->allow_extra_args(false)
        ->take_all();
    app.add_option("-u,--user", user, "Username or UID (format: <name|uid>[:<group|gid>])");
    app.add_option("-w,--workdir", workdir, "Working directory inside the container");
    if (auto exit = parse_flags(context, app, arguments, "exec", nullptr, 0))
        return *exit;
    std::vector<std::string> rest = app.remaining();
    if (!rest.empty() && rest[0].starts_with("-"))
        return usage_error(context, "exec",
                           "unknown flag: " + rest[0].substr(0, rest[0].find('=')));
    if (rest.size() < 2)
        return usage_error(context, "exec",
                           "\"" + context.program() + " exec\" requires at least 2 arguments.");
    if (tty && interactive && !detach && !::isatty(STDIN_FILENO)) {
        std::fprintf(stderr, "the input device is not a TTY\n");
        return 1;
    }
    std::string container = rest[0];
    Json body = {{"User", user},
                 {"Privileged", privileged},
                 {"Tty", tty},
                 {"AttachStdin", interactive && !detach},
                 {"AttachStderr", !detach},
                 {"AttachStdout", !detach},
                 {"Detach", detach},
                 {"Env", env},
                 {"WorkingDir", workdir},
                 {"Cmd", std::vector<std::string>(rest.begin() + 1, rest.end())}};
    // The exec's pty gets our size from its start (a resize comes only once it runs).
    if (tty) {
        if (auto size = own_terminal_size())
            body["ConsoleSize"] = {size->rows, size->columns};
    }
    auto* api = TRY(context.api());
    Json created = TRY(api->call_json("POST", container_path(container, "/exec"), body));
    std::string exec_id = created.value("Id", "");
    if (exec_id.empty())
        return Error::invalid("daemon did not return the exec Id");
    std::string exec_path = "/exec/" + url_encode(exec_id);
    Json start = {{"Detach", detach}, {"Tty", tty}};
    if (body.contains("ConsoleSize"))
        start["ConsoleSize"] = body["ConsoleSize"];
    if (detach) {
        TRY(api->call("POST", exec_path + "/start", start));
        return 0;
    }
    auto stream = api->hijack("POST", exec_path + "/start", start);
    if (stream.is_error()) {
        std::fprintf(stderr, "%s\n", stream.error().message().c_str());
        return start_failure_exit_code(stream.error().message());
    }
    auto terminal = TRY(prepare_terminal(*api, tty, interactive, exec_path + "/resize"));
    if (terminal.resize)
        terminal.resize();
    PumpOptions pump;
    pump.tty = tty;
    pump.send_stdin = interactive;
    pump.on_resize = terminal.resize;
    TRY(pump_hijacked(stream.value(), pump));
    terminal.raw.reset();
    Json inspected = TRY(api->call_json("GET", exec_path + "/json"));
    auto exit_code = inspected.find("ExitCode");
    if (exit_code == inspected.end() || !exit_code->is_number_integer())
        return 0;
    return exit_code->get<int>();
}

}  // namespace corral::cli
