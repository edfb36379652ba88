// system-docker against a real Docker Engine: Debian's dockerd, started privately for this
// suite in its own mount namespace (cgroup2 mounted there, as this host's hybrid layout needs),
// with an image built from the host's static busybox. Output is compared with the stock docker
// CLI on the same daemon where one is installed.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "cli/entry.h"
#include "cli/system_docker_api.h"

namespace corral::cli {
namespace {

struct ClientResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs system_docker_main in a child process with the given stdin, capturing its output.
ClientResult run_client(const std::string& host, std::vector<std::string> arguments,
                        const std::string& input = {}) {
    ClientResult result;
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) < 0 || ::pipe2(out_pipe, O_CLOEXEC) < 0 ||
        ::pipe2(err_pipe, O_CLOEXEC) < 0)
        return result;
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = ::fork();
    if (pid == 0) {
        // Without an exec, O_CLOEXEC does not apply: the child closes the parent's ends itself,
        // or its stdin would never reach end of file.
        ::close(in_pipe[1]);
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        arguments.insert(arguments.begin(), {"system-docker", "-H", host});
        std::vector<char*> argv;
        for (auto& argument : arguments)
            argv.push_back(argument.data());
        argv.push_back(nullptr);
        int code = system_docker_main(static_cast<int>(arguments.size()), argv.data());
        std::fflush(stdout);
        std::fflush(stderr);
        ::_exit(code);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    (void)sys::write_all(in_pipe[1], input);
    ::close(in_pipe[1]);
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_count = 2;
    char buffer[4096];
    while (open_count > 0) {
        if (::poll(fds, 2, 60000) <= 0)
            break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n <= 0) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_count;
            } else {
                (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
            }
        }
    }
    for (auto& fd : fds) {
        if (fd.fd >= 0)
            ::close(fd.fd);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

// Runs system_docker_main on a new pseudo-terminal (as a person at a terminal would), typing
// `input` into it; returns everything the terminal showed.
ClientResult run_client_on_terminal(const std::string& host, std::vector<std::string> arguments,
                                    const std::string& input = {}) {
    ClientResult result;
    int master = -1;
    winsize size{};
    size.ws_row = 33;
    size.ws_col = 101;
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
    if (pid < 0)
        return result;
    if (pid == 0) {
        arguments.insert(arguments.begin(), {"system-docker", "-H", host});
        std::vector<char*> argv;
        for (auto& argument : arguments)
            argv.push_back(argument.data());
        argv.push_back(nullptr);
        int code = system_docker_main(static_cast<int>(arguments.size()), argv.data());
        std::fflush(stdout);
        ::_exit(code);
    }
    bool typed = input.empty();
    char buffer[4096];
    for (;;) {
        pollfd fd{master, POLLIN, 0};
        if (::poll(&fd, 1, 30000) <= 0)
            break;
        ssize_t n = ::read(master, buffer, sizeof buffer);
        if (n <= 0)
            break;  // EIO once the child side is closed
        result.out.append(buffer, static_cast<size_t>(n));
        // Type once the shell has shown its prompt.
        if (!typed && result.out.find("# ") != std::string::npos) {
            (void)sys::write_all(master, input);
            typed = true;
        }
    }
    ::close(master);
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

std::string stock_docker() {
    for (const char* path : {"/usr/local/bin/docker", "/usr/bin/docker"}) {
        if (::access(path, X_OK) == 0)
            return path;
    }
    return {};
}

class SystemDockerAgainstDockerd : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        skip_reason_ = new std::string();
        if (::geteuid() != 0) {
            *skip_reason_ = "dockerd needs root";
            return;
        }
        if (::access("/usr/sbin/dockerd", X_OK) != 0 && ::access("/usr/bin/dockerd", X_OK) != 0) {
            *skip_reason_ = "dockerd is not installed (Debian package docker.io)";
            return;
        }
        dir_ = new fs::TempDir(fs::TempDir::create("/tmp", "sd-dockerd").release_value());
        host_ = new std::string("unix://" + dir_->path() + "/docker.sock");
        std::string root = dir_->path();
        // A private mount namespace keeps dockerd's mounts (and a cgroup2 hierarchy where the
        // host has a v1/v2 hybrid) away from the host.
        std::string script =
            "mount --make-rprivate / && "
            "{ mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || true; } && "
            "exec dockerd --iptables=false --ip-masq=false --bridge=none -H unix://" +
            root + "/docker.sock --data-root " + root + "/data --exec-root " + root +
            "/exec --pidfile " + root + "/docker.pid --log-level warn >" + root +
            "/dockerd.log 2>&1";
        SpawnOptions options;
        options.argv = {"unshare", "-m", "--", "sh", "-c", script};
        options.new_session = true;
        auto child = spawn(options);
        if (child.is_error()) {
            *skip_reason_ = "cannot start dockerd: " + child.error().message();
            return;
        }
        daemon_ = new Child(std::move(child.value()));
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            if (DockerApi::connect(*host_))
                break;
            if (auto exited = sys::waitpid(daemon_->pid(), WNOHANG); exited && *exited) {
                delete daemon_;
                daemon_ = nullptr;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (!daemon_ || !DockerApi::connect(*host_)) {
            auto log = fs::read_file(root + "/dockerd.log");
            *skip_reason_ =
                "dockerd cannot run here: " +
                (log ? log->substr(log->size() > 2000 ? log->size() - 2000 : 0) : "no log");
            return;
        }
        std::string archive = root + "/busybox.tar";
        auto built = run({std::string(CORRAL_SOURCE_DIR) + "/tests/fixtures/make-busybox-image",
                          archive, image});
        if (built.is_error() || built->exit_code != 0) {
            setup_error_ = new std::string("make-busybox-image failed");
            return;
        }
        auto loaded = run_client(*host_, {"load", "-i", archive});
        if (loaded.exit_code != 0)
            setup_error_ = new std::string("load failed: " + loaded.out + loaded.err);
        else
            load_output_ = new std::string(loaded.out);
    }

    static void TearDownTestSuite() {
        if (daemon_) {
            // dockerd stops its containers and its containerd on SIGTERM.
            (void)sys::kill(daemon_->pid(), SIGTERM);
            auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            bool exited = false;
            while (!exited && std::chrono::steady_clock::now() < deadline) {
                auto result = sys::waitpid(daemon_->pid(), WNOHANG);
                exited = result && *result;
                if (!exited)
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            if (!exited) {
                (void)sys::kill(daemon_->pid(), SIGKILL);
                (void)sys::waitpid(daemon_->pid(), 0);
            }
            delete daemon_;
            daemon_ = nullptr;
        }
        delete dir_;
        dir_ = nullptr;
    }

    void SetUp() override {
        if (!skip_reason_->empty())
            GTEST_SKIP() << *skip_reason_;
        ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
    }

    ClientResult client(std::vector<std::string> arguments, const std::string& input = {}) {
        return run_client(*host_, std::move(arguments), input);
    }

    // The stock CLI's stdout for the same arguments, or nullopt when it is not installed.
    std::optional<std::string> reference(std::vector<std::string> arguments) {
        std::string docker = stock_docker();
        if (docker.empty())
            return std::nullopt;
        arguments.insert(arguments.begin(), {docker, "-H", *host_});
        auto result = run(arguments);
        if (result.is_error())
            return std::nullopt;
        return result->out;
    }

    static constexpr const char* image = "corral-client-test/busybox:latest";
    static inline std::string* skip_reason_ = nullptr;
    static inline std::string* setup_error_ = nullptr;
    static inline std::string* load_output_ = nullptr;
    static inline std::string* host_ = nullptr;
    static inline fs::TempDir* dir_ = nullptr;
    static inline Child* daemon_ = nullptr;
};

TEST_F(SystemDockerAgainstDockerd, LoadPrintsLoadedImage) {
    EXPECT_EQ(*load_output_, std::string("Loaded image: ") + image + "\n");
}

TEST_F(SystemDockerAgainstDockerd, RunRemovePrintsOutput) {
    auto result = client({"run", "--rm", image, "echo", "hi"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "hi\n");
    // --rm removed it.
    auto listed = client({"ps", "-a", "--filter", "ancestor=" + std::string(image), "-q"});
    EXPECT_EQ(listed.out, "");
}

TEST_F(SystemDockerAgainstDockerd, ExitCodesPropagate) {
    EXPECT_EQ(client({"run", "--rm", image, "sh", "-c", "exit 3"}).exit_code, 3);
    auto missing_command = client({"run", "--rm", image, "no-such-command"});
    EXPECT_EQ(missing_command.exit_code, 127);
    EXPECT_NE(missing_command.err.find("executable file not found"), std::string::npos);
    EXPECT_EQ(client({"run", "--rm", image, "/etc/passwd"}).exit_code, 126);
    auto missing_image = client({"run", "--rm", "corral-client-test/absent:1", "true"});
    EXPECT_EQ(missing_image.exit_code, 125);
    EXPECT_NE(missing_image.err.find("Error response from daemon: No such image: "
                                     "corral-client-test/absent:1"),
              std::string::npos)
        << missing_image.err;
    auto bad_flag = client({"run", "--bogus", image});
    EXPECT_EQ(bad_flag.exit_code, 125);
    EXPECT_TRUE(bad_flag.err.starts_with("unknown flag: --bogus\n"));
}

TEST_F(SystemDockerAgainstDockerd, StdoutAndStderrStaySeparateAndStdinReachesContainer) {
    auto result = client({"run", "--rm", image, "sh", "-c", "echo out; echo err >&2"});
    EXPECT_EQ(result.out, "out\n");
    EXPECT_EQ(result.err, "err\n");
    auto counted = client({"run", "-i", "--rm", image, "wc", "-l"}, "a\nb\nc\n");
    EXPECT_EQ(counted.exit_code, 0) << counted.err;
    EXPECT_EQ(counted.out.find_first_not_of(" "), counted.out.find('3'));
    EXPECT_TRUE(counted.out.ends_with("3\n")) << counted.out;
    // Flags after the image belong to the command.
    auto listing = client({"run", "--rm", image, "ls", "-la", "/bin/busybox"});
    EXPECT_EQ(listing.exit_code, 0) << listing.err;
    EXPECT_NE(listing.out.find("-rwxr-xr-x"), std::string::npos) << listing.out;
}

TEST_F(SystemDockerAgainstDockerd, DetachedContainerLifecycle) {
    auto started = client({"run", "-d", "--name", "sd-life", "-e", "GREETING=hello", image, "sh",
                           "-c", "echo one; echo two >&2; exec sleep 100"});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    ASSERT_TRUE(std::regex_match(started.out, std::regex("[0-9a-f]{64}\n"))) << started.out;
    std::string id = started.out.substr(0, 64);

    auto listed = client({"ps"});
    EXPECT_TRUE(listed.out.starts_with("CONTAINER ID   IMAGE")) << listed.out;
    EXPECT_NE(listed.out.find(id.substr(0, 12) + "   " + image), std::string::npos) << listed.out;
    EXPECT_NE(listed.out.find("sd-life"), std::string::npos);
    EXPECT_NE(listed.out.find("Up "), std::string::npos);

    auto status =
        client({"inspect", "-f", "{{.State.Status}} {{.Id}} {{json .Config.Cmd}}", "sd-life"});
    EXPECT_EQ(status.out,
              "running " + id + " [\"sh\",\"-c\",\"echo one; echo two >&2; exec sleep 100\"]\n");
    if (auto expected = reference(
            {"inspect", "-f", "{{.State.Status}} {{.Id}} {{json .Config.Cmd}}", "sd-life"})) {
        EXPECT_EQ(status.out, *expected);
    }

    // Output may lag the start by a moment.
    ClientResult logs;
    for (int attempt = 0; attempt < 50; ++attempt) {
        logs = client({"logs", "sd-life"});
        if (logs.out == "one\n" && logs.err == "two\n")
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(logs.out, "one\n");
    EXPECT_EQ(logs.err, "two\n");

    auto executed = client({"exec", "sd-life", "sh", "-c", "echo $GREETING; exit 4"});
    EXPECT_EQ(executed.exit_code, 4);
    EXPECT_EQ(executed.out, "hello\n");

    auto top = client({"top", "sd-life"});
    EXPECT_NE(top.out.find("sleep 100"), std::string::npos) << top.out;

    auto stopped = client({"stop", "-t", "1", "sd-life"});
    EXPECT_EQ(stopped.out, "sd-life\n");
    auto exit_code = client({"inspect", "-f", "{{.State.ExitCode}}", "sd-life"});
    // As PID 1 of the container, sleep ignores SIGTERM: stop ends it with SIGKILL.
    EXPECT_EQ(exit_code.out, "137\n");
    auto all = client({"ps", "-a", "--filter", "name=sd-life"});
    EXPECT_NE(all.out.find("Exited (137)"), std::string::npos) << all.out;
    EXPECT_NE(all.out.find("\"sh -c 'echo one; ec…\""), std::string::npos) << all.out;

    EXPECT_EQ(client({"rename", "sd-life", "sd-renamed"}).exit_code, 0);
    auto removed = client({"rm", "sd-renamed"});
    EXPECT_EQ(removed.out, "sd-renamed\n");
    auto gone = client({"inspect", "sd-renamed"});
    EXPECT_EQ(gone.exit_code, 1);
    EXPECT_EQ(gone.err, "Error: No such object: sd-renamed\n");
    auto stop_gone = client({"stop", "sd-renamed"});
    EXPECT_EQ(stop_gone.exit_code, 1);
    EXPECT_EQ(stop_gone.err, "Error response from daemon: No such container: sd-renamed\n");
}

TEST_F(SystemDockerAgainstDockerd, CreateStartAttachWait) {
    auto created =
        client({"create", "--name", "sd-created", image, "sh", "-c", "echo ran; exit 7"});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    auto attached = client({"start", "-a", "sd-created"});
    EXPECT_EQ(attached.exit_code, 7);
    EXPECT_EQ(attached.out, "ran\n");
    EXPECT_EQ(client({"start", "sd-created"}).out, "sd-created\n");
    EXPECT_EQ(client({"wait", "sd-created"}).out, "7\n");
    EXPECT_EQ(client({"rm", "-f", "sd-created"}).exit_code, 0);
}

TEST_F(SystemDockerAgainstDockerd, ImagesTableMatchesStockCli) {
    auto images = client({"images"});
    EXPECT_EQ(images.exit_code, 0);
    EXPECT_TRUE(images.out.starts_with("REPOSITORY"));
    EXPECT_NE(images.out.find("corral-client-test/busybox   latest"), std::string::npos)
        << images.out;
    if (auto expected = reference({"images"})) {
        EXPECT_EQ(images.out, *expected);
    }
    if (auto expected = reference({"images", "-q"})) {
        EXPECT_EQ(client({"images", "-q"}).out, *expected);
    }
}

TEST_F(SystemDockerAgainstDockerd, TagSaveLoadRemove) {
    EXPECT_EQ(client({"tag", image, "corral-client-test/copy:v1"}).exit_code, 0);
    std::string archive = dir_->path() + "/saved.tar";
    auto saved = client({"save", "-o", archive, "corral-client-test/copy:v1"});
    ASSERT_EQ(saved.exit_code, 0) << saved.err;
    auto removed = client({"rmi", "corral-client-test/copy:v1"});
    EXPECT_EQ(removed.out, "Untagged: corral-client-test/copy:v1\n");
    auto loaded = client({"load", "-i", archive});
    EXPECT_EQ(loaded.out, "Loaded image: corral-client-test/copy:v1\n");
    auto id = client({"inspect", "-f", "{{.Id}}", "corral-client-test/copy:v1"});
    EXPECT_EQ(id.out, client({"inspect", "-f", "{{.Id}}", image}).out);
    EXPECT_EQ(client({"rmi", "corral-client-test/copy:v1"}).exit_code, 0);
    EXPECT_EQ(client({"rmi", "corral-client-test/copy:v1"}).exit_code, 1);
}

TEST_F(SystemDockerAgainstDockerd, EventsBetweenTimes) {
    auto ran = client({"run", "--name", "sd-events", image, "true"});
    ASSERT_EQ(ran.exit_code, 0);
    auto events =
        client({"events", "--since", "1m", "--until", "0s", "--filter", "container=sd-events"});
    EXPECT_EQ(events.exit_code, 0) << events.err;
    EXPECT_TRUE(std::regex_search(
        events.out,
        std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container start "
                   "[0-9a-f]{64} \\(image=corral-client-test/busybox(:latest)?, "
                   "name=sd-events\\)\n")))
        << events.out;
    EXPECT_NE(events.out.find("container die"), std::string::npos);
    EXPECT_EQ(client({"rm", "sd-events"}).exit_code, 0);
}

TEST_F(SystemDockerAgainstDockerd, InteractiveTerminalSessions) {
    auto shown = run_client_on_terminal(*host_, {"run", "-it", "--rm", image, "sh"},
                                        "echo typed-$((6*7))\rexit 5\r");
    EXPECT_EQ(shown.exit_code, 5) << shown.out;
    EXPECT_NE(shown.out.find("typed-42\r\n"), std::string::npos) << shown.out;
    // The container's terminal turns "\n" into "\r\n"; ours, raw, must not add another "\r".
    EXPECT_EQ(shown.out.find("\r\r\n"), std::string::npos) << shown.out;

    auto started = client({"run", "-d", "--name", "sd-tty", image, "sleep", "100"});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    auto executed =
        run_client_on_terminal(*host_, {"exec", "-it", "sd-tty", "sh", "-c", "tty; exit 3"});
    EXPECT_EQ(executed.exit_code, 3);
    EXPECT_NE(executed.out.find("/dev/pts/"), std::string::npos) << executed.out;
    EXPECT_EQ(client({"rm", "-f", "sd-tty"}).exit_code, 0);
    // -t without a terminal on stdin is refused as docker refuses it.
    auto refused = client({"run", "-it", "--rm", image, "true"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(refused.err, "the input device is not a TTY\n");
}

// A registry on loopback (Debian's docker-registry), filled with skopeo from the test image.
TEST_F(SystemDockerAgainstDockerd, PullFromLocalRegistry) {
    if (::access("/usr/bin/docker-registry", X_OK) != 0 || ::access("/usr/bin/skopeo", X_OK) != 0)
        GTEST_SKIP() << "docker-registry or skopeo is not installed";
    std::string root = dir_->path() + "/registry";
    ASSERT_TRUE(fs::mkdir_p(root));
    std::string address = "127.0.0.1:" + std::to_string(20000 + ::getpid() % 20000);
    ASSERT_TRUE(fs::write_file_atomic(
        root + "/config.yml", "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + root +
                                  "/data\nhttp:\n  addr: " + address + "\n"));
    SpawnOptions options;
    options.argv = {"docker-registry", "serve", root + "/config.yml"};
    auto registry = spawn(options);
    ASSERT_TRUE(registry);
    struct Stop {
        Child& child;
        ~Stop() {
            (void)sys::kill(child.pid(), SIGTERM);
            (void)child.wait();
        }
    } stop{*registry};
    std::string archive = dir_->path() + "/busybox.tar";
    std::string reference = address + "/corral/busybox:v1";
    ErrorOr<RunResult> copied = Error::internal("not tried");
    for (int attempt = 0; attempt < 50; ++attempt) {
        copied = run({"skopeo", "copy", "--dest-tls-verify=false", "docker-archive:" + archive,
                      "docker://" + reference});
        if (copied && copied->exit_code == 0)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(copied && copied->exit_code == 0) << (copied ? copied->err : "");
    auto pulled = client({"pull", reference});
    EXPECT_EQ(pulled.exit_code, 0) << pulled.err;
    EXPECT_TRUE(pulled.out.starts_with("v1: Pulling from corral/busybox\n")) << pulled.out;
    EXPECT_NE(pulled.out.find("Status: Downloaded newer image for " + reference + "\n"),
              std::string::npos)
        << pulled.out;
    EXPECT_TRUE(pulled.out.ends_with("\n" + reference + "\n"));
    EXPECT_EQ(client({"run", "--rm", reference, "echo", "pulled"}).out, "pulled\n");
    auto missing = client({"pull", address + "/corral/absent"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_TRUE(missing.out.starts_with("Using default tag: latest\n"));
    EXPECT_NE(missing.err.find("Error response from daemon: manifest for " + address +
                               "/corral/absent:latest not found"),
              std::string::npos)
        << missing.err;
    EXPECT_EQ(client({"rmi", reference}).exit_code, 0);
}

}  // namespace
}  // namespace corral::cli
